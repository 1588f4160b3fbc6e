#!/usr/bin/env bash
# tgtx-replicd end to end, k=3 n=5 (issue 11, "Tests"): peers 0..3 on
# tgtxd, peer 4 on Debian's stock tgtd (transport=plain declared). After
# the initial fill, random writes; once every peer is in-sync at the newest durable seq, every
# one of the 10 3-subsets rebuilds exactly the primary's volume, and no
# 2-subset rebuilds anything (k-1 shares: sv_common_seq refuses).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"
rd_need_tools

rd_primary 3 5 4M
for i in 0 1 2 3; do
	rd_peer_tgtxd "$i" 16M
done
rd_peer_tgtd 4 16M
rd_set_peers "transport=plain"
rd_start_replicd
# the share volumes filled first, so the writes below are streamed records
# (a fill reads the volume itself)
rd_wait_in_sync 120
"$LOAD" --url "$RD_PRI_URL" --qd 8 --bs 4K --pattern rand --rw write \
	--seconds 2 --seed 3 >"$RD_WORK/load.txt" 2>&1 ||
	fail "random writes: $(cat "$RD_WORK/load.txt")"
"$LOAD" --url "$RD_PRI_URL" --qd 2 --bs 128K --pattern seq --rw write \
	--seconds 1 >"$RD_WORK/load.txt" 2>&1 ||
	fail "sequential writes: $(cat "$RD_WORK/load.txt")"
rd_wait_in_sync 120
pass "5 peers in-sync at durable seq $(rd_durable_seq)"
rd_stop_replicd
rd_rebuild_equals_volume "k=3 n=5"
rc=0
rd_rebuild --shares 0,4 || rc=$?
cat "$RD_WORK/rebuild.txt"
[ "$rc" -ne 0 ] || fail "two of five shares rebuilt a volume with k=3"
pass "2 of 5 shares (k=3) are refused: exit $rc"
