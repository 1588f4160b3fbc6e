#!/usr/bin/env bash
# Issue 9 row 1b: logged-in sessions stream TEST UNIT READY and never read
# the responses. Their memory share bounds what they hold, and a peer that
# stays paused without reading is dropped (stall deadline).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

attack_start 64 --mem-budget 64M
attack tur-flood 2 && pass "TUR flood: RSS bounded, flooders dropped" ||
	fail "TUR flood"
attack_alive
