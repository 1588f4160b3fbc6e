#!/usr/bin/env bash
# The reading side the replicator tests rely on (tgtx-sharevol rebuild),
# checked without the daemon: tgtx-sharevol write puts a known history
# (k=2 n=3, 700 records) on two tgtxd peers and a stock tgtd peer; then
#   - rebuild of every pair, at the newest common seq and at --seq 700,
#     equals the volume of the history after seq 700 (tgtx-sharevol
#     expect); --seq 300 (checkpointed away) is refused;
#   - --out writes the same image --compare checks;
#   - a peer overwritten with garbage is named (bad-magic) and only the
#     pairs holding it fail; --shares 0 alone (k-1 shares) rebuilds nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"
[ -x "$SHAREVOL" ] || fail "no $SHAREVOL"
HIST=(--k 2 --n 3 --blocks 4096 --records 700 --seed 9 --journal $((8 << 20)))

rd_peer_tgtxd 0 16M
rd_peer_tgtxd 1 16M
rd_peer_tgtd 2 16M
RD_N=3 RD_K=2
mapfile -t peers < <(rd_peer_args)
"$SHAREVOL" write "${HIST[@]}" --upto 300 "${peers[@]}" >"$RD_WORK/w.txt" 2>&1 ||
	fail "write 1..300: $(cat "$RD_WORK/w.txt")"
"$SHAREVOL" write "${HIST[@]}" --checkpoint-every 1000000 "${peers[@]}" \
	>"$RD_WORK/w.txt" 2>&1 || fail "write ..700: $(cat "$RD_WORK/w.txt")"
"$SHAREVOL" expect "${HIST[@]}" --out "$RD_WORK/v700.img"
"$SHAREVOL" expect "${HIST[@]}" --upto 300 --out "$RD_WORK/v300.img"
RD_VOL=$RD_WORK/v700.img
rd_rebuild_equals_volume "newest common seq"
grep -c "seq 700," "$RD_WORK/rebuild.txt" | grep -qx 3 ||
	fail "not every pair at seq 700"
RD_VOL=$RD_WORK/v700.img
rd_rebuild_equals_volume "--seq 700" --seq 700
rc=0
rd_rebuild --seq 300 || rc=$?
[ "$rc" -eq 4 ] || fail "--seq 300 after a checkpoint at 700: exit $rc"
pass "--seq 300, checkpointed away: refused (exit 4)"
rc=0
rd_rebuild --shares 0,2 --out "$RD_WORK/out.img" || rc=$?
[ "$rc" -eq 0 ] && cmp "$RD_WORK/out.img" "$RD_WORK/v700.img" ||
	fail "--out image differs: $(cat "$RD_WORK/rebuild.txt")"
pass "--out writes the rebuilt volume"
rc=0
rd_rebuild --compare "$RD_WORK/v300.img" --shares 0,1 || rc=$?
[ "$rc" -eq 4 ] || fail "seq 700 compared with seq 300: exit $rc, expected 4"
pass "a different volume is told apart (exit 4)"

rd_peer_kill 1
head -c $((16 << 20)) /dev/urandom >"${RD_IMG[1]}"
rd_peer_restart 1
rc=0
rd_rebuild --compare "$RD_WORK/v700.img" || rc=$?
cat "$RD_WORK/rebuild.txt"
[ "$rc" -eq 6 ] || fail "garbage peer: exit $rc, expected 6"
grep -q "peer 1: unusable: bad-magic" "$RD_WORK/rebuild.txt" ||
	fail "garbage not named"
grep -q "subset 0-2: seq 700, 4096 blocks, identical" "$RD_WORK/rebuild.txt" ||
	fail "pair 0-2 did not rebuild beside the garbage peer"
[ "$(grep -c "peer 1 unusable" "$RD_WORK/rebuild.txt")" -eq 2 ] ||
	fail "pairs with peer 1 not refused"
pass "garbage named (bad-magic); only the pairs holding it fail"
rc=0
rd_rebuild --shares 2 --compare "$RD_WORK/v700.img" || rc=$?
[ "$rc" -ne 0 ] || fail "one share of k=2 rebuilt the volume"
pass "one share of two rebuilds nothing (exit $rc)"
