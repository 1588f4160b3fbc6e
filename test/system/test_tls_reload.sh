#!/usr/bin/env bash
# SIGHUP re-reads tgtxd's --tls-peers: a partner's pin added is admitted
# without a restart, a pin removed is refused for new connections, a file
# that does not parse changes nothing (logged, the daemon keeps serving
# with the pins in force).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SV=$B/test/tools/tgtx-sharevol
[ -x "$SV" ] || fail "no $SV (make SAN=asan tests)"
IQN=iqn.2026-11.org.tgtx:reload
D=$TGTX_TEST_DIR

mkdir -p "$D/srv"
SPIN=$("$B/tgtxd" --show-node-key --state-dir "$D/srv/state")
CPIN=$("$B/tgtxd" --show-node-key --state-dir "$D/cli")
OPIN=$("$B/tgtxd" --show-node-key --state-dir "$D/other")
printf '%s other\n' "$OPIN" >"$D/peers"
TPORT=$(free_port)
start_tgtxd srv --tls-portal "127.0.0.1:$TPORT" --tls-peers "$D/peers"
truncate -s 4M "$D/a.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$D/a.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
out=$D/out.txt

# exit status of a TLS connection + login with the client key (7: TLS)
probe() {
	local rc=0

	"$SV" info --index 0 --timeout 20 --transport tls \
		--key "$D/cli/node.key" --pin "$SPIN" \
		--peer "iscsi://127.0.0.1:$TPORT/$IQN/1" >"$out" 2>&1 || rc=$?
	cat "$out" >&2
	echo "$rc"
}
hup() {
	local n

	n=$(grep -c "pinned from $D/peers\|not reloaded" "$TGTXD_LOG" || true)
	kill -HUP "$TGTXD_PID"
	wait_until 10 test "$(grep -c "pinned from $D/peers\|not reloaded" \
		"$TGTXD_LOG")" -gt "$n" || fail "SIGHUP: nothing logged"
	proc_alive "$TGTXD_PID" || fail "tgtxd died on SIGHUP"
}

[ "$(probe)" = 7 ] || fail "a client key not in --tls-peers was admitted"
pass "client key not pinned: refused"

printf '%s site-a\n' "$CPIN" >>"$D/peers"
hup
grep -q "TLS: 2 client key(s) pinned from $D/peers (reloaded)" \
	"$TGTXD_LOG" || fail "reload not logged"
rc=$(probe)
[ "$rc" != 7 ] || fail "pin added + SIGHUP: still refused"
grep -q "client key $CPIN site-a accepted" "$TGTXD_LOG" ||
	fail "pin added + SIGHUP: no accepted client in the log"
pass "pin added, SIGHUP: admitted without a restart (same pid)"

cp "$D/peers" "$D/peers.good"
printf 'not-a-pin\n' >>"$D/peers"
hup
grep -q "SIGHUP: --tls-peers not reloaded.*$D/peers:3" "$TGTXD_LOG" ||
	fail "a bad peers file: no FILE:LINE error"
rc=$(probe)
[ "$rc" != 7 ] || fail "a bad peers file dropped the pins in force"
pass "a peers file that does not parse: logged with FILE:LINE, pins kept"

printf '%s other\n' "$OPIN" >"$D/peers"
hup
[ "$(probe)" = 7 ] || fail "pin removed + SIGHUP: still admitted"
pass "pin removed, SIGHUP: refused for new connections"

stop_proc "$TGTXD_PID" || fail "tgtxd did not stop cleanly"
pass "tgtxd stops cleanly after the reloads (no leak under ASan)"
