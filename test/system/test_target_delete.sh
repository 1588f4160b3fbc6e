#!/usr/bin/env bash
# Deleting a target spans three layers (sessions, LUs, configuration) and
# per-target iSCSI keys are judged by the iSCSI layer while core stores
# them: both are sequenced by management (mgmt_target_destroy, the update
# handler). A live session refuses a plain delete, --force ends it; bad keys
# are refused with tgtadm's messages; ASan sees nothing leaked at exit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_tgtxd delete
IQN=iqn.2026-11.org.tgtx:delete
truncate -s 16M "$TGTX_TEST_DIR/a.img" "$TGTX_TEST_DIR/b.img"
tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
	-b "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --lld iscsi --op bind --mode target --tid 1 -I ALL

# one idle session, held until the target drops it (or 60 s pass)
PYTHONPATH=$(dirname "$0") python3 - "$PORT" "$IQN" <<'EOF' &
import sys, time
from iscsi_raw import Conn
c = Conn("127.0.0.1", int(sys.argv[1]))
c.login(sys.argv[2], initiator="iqn.2026-11.org.tgtx:delete-holder")
c.s.settimeout(60)
try:
    c.recv_exact(1)
except Exception:
    pass
EOF
holder=$!
track_proc "$holder" 5

has_session() {
	tgtxadm_ctl --lld iscsi --op show --mode target | grep -q delete-holder
}
wait_until 15 has_session || fail "the session never showed up"

out=$(tgtxadm_ctl --lld iscsi --op delete --mode target --tid 1 2>&1) &&
	fail "a target with a session was deleted without --force"
grep -q "this target is still active" <<<"$out" ||
	fail "plain delete refused with the wrong message: $out"
pass "a live session refuses a plain delete"

expect_rc 0 "--force deletes a target with a session" \
	tgtxadm_ctl --lld iscsi --op delete --mode target --tid 1 --force
tgtxadm_ctl --lld iscsi --op show --mode target | grep -q "Target 1:" &&
	fail "target 1 still listed after --force"
wait_until 15 bash -c "! kill -0 $holder 2>/dev/null" ||
	fail "the session's connection was not closed"
pass "the session was closed and the target is gone"

# the LUs go with their target even when there is no session
tgtxadm_ctl --lld iscsi --op new --mode target --tid 2 -T "$IQN-2"
tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 2 --lun 1 \
	-b "$TGTX_TEST_DIR/b.img"
expect_rc 0 "a target with LUs and no session is deleted" \
	tgtxadm_ctl --lld iscsi --op delete --mode target --tid 2
out=$(tgtxadm_ctl --lld iscsi --op delete --mode target --tid 2 2>&1) &&
	fail "a deleted target was deleted again"
grep -q "can't find the target" <<<"$out" ||
	fail "second delete refused with the wrong message: $out"
pass "deleting it again: can't find the target"

# per-target keys: iSCSI judges them, core stores them
tgtxadm_ctl --lld iscsi --op new --mode target --tid 3 -T "$IQN-3"
update() {
	tgtxadm_ctl --lld iscsi --op update --mode target --tid 3 \
		--name "$1" --value "$2" 2>&1
}
refused() {
	local out

	out=$(update "$1" "$2") && fail "$1=$2 accepted"
	grep -q -- "$3" <<<"$out" || fail "$1=$2 refused with: $out"
	pass "$1=$2 refused ($3)"
}
refused NoSuchKey 1 NoSuchKey
refused MaxRecvDataSegmentLength 511 MaxRecvDataSegmentLength
refused "$(printf 'K%.0s' {1..70})" 1 "parameter name or value too long"
update MaxRecvDataSegmentLength 65536 >/dev/null ||
	fail "a valid key was refused"
tgtxadm_ctl --lld iscsi --op show --mode target --tid 3 |
	grep -q "MaxRecvDataSegmentLength=65536" ||
	fail "the valid key was not stored"
pass "a valid key is stored and shown"

proc_alive "$TGTXD_PID" && pass "daemon alive" || fail "daemon died"
stop_tgtxd
pass "no sanitizer report at exit"
