#!/usr/bin/env bash
# Issue 9 row 6: sessions send 80 x 8 MiB READ(16) at once and never read
# the data; another parks commands behind a CmdSN gap. All of it comes out
# of one daemon-wide budget (here 128 MiB).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

attack_start 1024 --mem-budget 128M
attack read-flood 2 128 && pass "READ flood and parked commands within the budget" ||
	fail "READ flood exceeds the budget"
attack_alive
