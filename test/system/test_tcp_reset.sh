#!/usr/bin/env bash
# Plain-TCP iSCSI connections tgtxd drops while the initiator has not taken
# its bytes end with a reset (core/tcp_drop.h): a hostile initiator with a
# tiny receive window that never reads is dropped at the NOP-In deadline,
# and one that logs out without reading the answers at the close deadline;
# both see ECONNRESET at once and tgtxd keeps no orphan socket in
# FIN-WAIT-1 with their bytes. An initiator that reads keeps the orderly
# FIN after its Logout Response.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

command -v ss >/dev/null || fail "no ss (iproute2)"
start_tgtxd tcpreset
IQN=iqn.2026-11.org.tgtx:tcpreset
truncate -s 32M "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
	-b "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --lld iscsi --op bind --mode target --tid 1 -I ALL
# target 1: the deadline that drops a connection that neither reads nor
# sends is 2 NOP-In intervals of 1 s; target 2 keeps the default (30 s)
# for the logouts, which a ping must not overtake on a loaded machine
tgtxadm_ctl --lld iscsi --op update --mode target --tid 1 \
	--name nop_interval --value 1
tgtxadm_ctl --lld iscsi --op new --mode target --tid 2 -T "$IQN-2"
tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 2 --lun 1 \
	-b "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --lld iscsi --op bind --mode target --tid 2 -I ALL
RST="python3 $(dirname "$0")/tcp_reset.py 127.0.0.1 $PORT"

# the three at once (each finds its own line in the log by its address)
$RST "$IQN-2" "$TGTXD_LOG" graceful >"$TGTX_TEST_DIR/graceful.out" 2>&1 &
G=$!
$RST "$IQN" "$TGTXD_LOG" drop >"$TGTX_TEST_DIR/drop.out" 2>&1 &
D=$!
$RST "$IQN-2" "$TGTXD_LOG" logout >"$TGTX_TEST_DIR/logout.out" 2>&1 &
L=$!
rg=0 rd=0 rl=0
wait $G || rg=$?
wait $D || rd=$?
wait $L || rl=$?
cat "$TGTX_TEST_DIR"/{graceful,drop,logout}.out
[ "$rg" -eq 0 ] || fail "a normal logout"
pass "a normal logout keeps the orderly FIN (EOF, no reset)"
[ "$rd" -eq 0 ] || fail "a non-reading initiator dropped at the NOP-In deadline"
pass "dropped with 16 MiB unsent: reset, no FIN-WAIT-1 orphan"
[ "$rl" -eq 0 ] || fail "a non-reading initiator's logout"
pass "logout answers not acknowledged by the close deadline: reset, no orphan"
proc_alive "$TGTXD_PID" || fail "tgtxd died"
pass "tgtxd alive"
