#!/usr/bin/env bash
# Issue 9 row 2: connections the target is closing (logout, protocol error,
# failed login) with output their peer never reads must still go away by a
# deadline, with their memory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

attack_start 64 --mem-budget 128M
attack close-deadline && pass "closing connections end by their deadline" ||
	fail "closing connections without a deadline"
attack_alive
