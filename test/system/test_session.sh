#!/usr/bin/env bash
# Session reinstatement (same initiator + ISID) and target-initiated NOP-In
# keepalive, checked with a raw initiator.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_tgtxd session
IQN=iqn.2026-11.org.tgtx:session
truncate -s 16M "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --lld iscsi --op bind --mode target --tid 1 -I ALL
CHK="$(dirname "$0")/session_checks.py"

python3 "$CHK" 127.0.0.1 "$PORT" "$IQN" reinstate &&
	pass "session reinstatement" || fail "session reinstatement"
if tgtxadm_ctl --lld iscsi --op update --mode target --tid 1 \
	--name nop_interval --value 99999; then
	fail "nop_interval 99999 accepted"
else
	pass "nop_interval outside 0..3600 is refused"
fi
tgtxadm_ctl --lld iscsi --op update --mode target --tid 1 --name nop_interval --value 1
python3 "$CHK" 127.0.0.1 "$PORT" "$IQN" keepalive &&
	pass "NOP-In keepalive" || fail "NOP-In keepalive"
proc_alive "$TGTXD_PID" && pass "daemon alive" || fail "daemon died"
