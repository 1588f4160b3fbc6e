#!/usr/bin/env bash
# Issue 9 row 7: TARGET WARM/COLD RESET from one initiator must not abort or
# close another initiator's work unless the target allows it
# (allow_target_reset target parameter).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

attack_start 64
attack target-reset no && pass "target resets refused by default" ||
	fail "a target reset from one initiator hit the others"
if tgtxadm_ctl --op update --mode target --tid 1 --name allow_target_reset \
	--value maybe 2>/dev/null; then
	fail "allow_target_reset=maybe accepted"
fi
pass "allow_target_reset takes Yes or No only"
tgtxadm_ctl --op update --mode target --tid 1 --name allow_target_reset --value Yes
attack target-reset yes && pass "target reset allowed by allow_target_reset=Yes" ||
	fail "allowed target reset"
attack_alive
