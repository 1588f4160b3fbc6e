#!/usr/bin/env bash
# The release daemon under valgrind memcheck through a whole life: targets,
# LUNs, accounts, sessions with I/O, discovery, hostile input, target
# deletion with live sessions, shutdown. Passes only with no memory error
# and nothing definitely/indirectly lost.
#
# The daemon uses its thread-pool I/O engine here (TGTX_AIO=threads):
# memcheck cannot see the kernel fill io_uring read buffers, so with
# io_uring every READ would be reported as sending uninitialised bytes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

REL=${TGTX_REL_BUILD:-build/rel}
command -v valgrind >/dev/null || skip "valgrind is not installed"
[ -x "$REL/tgtxd" ] || skip "no release build in $REL (run make)"

dir=$(tmpdir vg)
PORT=$(free_port)
CTL=$dir/ctl.sock
TGTX_AIO=threads valgrind --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	--log-file="$dir/valgrind.txt" "$REL/tgtxd" -f -d 1 \
	--iscsi "portal=127.0.0.1:$PORT" --control-socket "$CTL" \
	--state-dir "$dir/state" >"$dir/tgtxd.log" 2>&1 &
vpid=$!
track_proc "$vpid" 30
wait_daemon "$vpid" 60 tgtxd_ready || fail "tgtxd under valgrind did not start"
pass "tgtxd runs under valgrind"

IQN=iqn.2026-11.org.tgtx:valgrind
truncate -s 64M "$dir/a.img"
tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$dir/a.img"
tgtxadm_ctl --lld iscsi --op bind --mode target --tid 1 -I ALL
tgtxadm_ctl --lld iscsi --op new --mode account --user vu --password vg-secret-123
URL=$(lun_url "$IQN" 1)
"$RWCHECK" --url "$URL" --blocks 512 --timeout 60 >/dev/null || fail "I/O under valgrind"
"$LOAD" --url "$URL" --qd 8 --bs 64K --pattern rand --rw read --seconds 2 \
	--timeout 60 >/dev/null || fail "load under valgrind"
iscsi-ls -s "iscsi://127.0.0.1:$PORT" >/dev/null || fail "discovery under valgrind"
python3 "$(dirname "$0")/hostile.py" 127.0.0.1 "$PORT" "$IQN" >/dev/null ||
	fail "hostile probes under valgrind"
tgtxadm_ctl --lld iscsi --op show --mode target >/dev/null
tgtxadm_ctl --lld iscsi --op delete --mode target --tid 1 --force
tgtxadm_ctl --lld iscsi --op delete --mode system
rc=0
wait "$vpid" || rc=$?
grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$dir/valgrind.txt" || true
[ "$rc" -eq 0 ] && pass "no memory errors and no leaks" || {
	sed -n '1,80p' "$dir/valgrind.txt"
	fail "valgrind exit $rc"
}
