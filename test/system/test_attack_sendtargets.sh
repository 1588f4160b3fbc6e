#!/usr/bin/env bash
# Issue 9 row 5: one Discovery Text request carrying 64 KiB of repeated
# SendTargets=All gets one answer, not one per copy.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

attack_start 64
attack sendtargets 1 && pass "SendTargets answered once per request" ||
	fail "SendTargets answered per copy"
attack_alive
