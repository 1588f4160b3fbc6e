#!/usr/bin/env bash
# tgtx-replicd end to end, k=2 n=3 (issue 11, "Tests"): a primary tgtxd with
# an xorshare LUN, peers 0 and 1 on tgtxd (plain rdwr LUNs), peer 2 on
# Debian's stock tgtd, transport=plain declared. Random and sequential
# writes run while the replicator formats the share volumes and streams;
# once the writes stop and show says every peer is in-sync at the newest
# durable seq, every pair of peers rebuilds exactly the primary's volume.
# Then more writes with the replicator restarted (SIGTERM, cursors resumed)
# and the same check again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"
rd_need_tools

rd_primary 2 3 8M
rd_peer_tgtxd 0
rd_peer_tgtxd 1
rd_peer_tgtd 2
rd_set_peers "transport=plain"
rd_start_replicd

"$LOAD" --url "$RD_PRI_URL" --qd 8 --bs 4K --pattern rand --rw write \
	--seconds 4 --seed 11 >"$RD_WORK/load.txt" 2>&1 ||
	fail "random writes: $(cat "$RD_WORK/load.txt")"
"$RWCHECK" --url "$RD_PRI_URL" --lba 10000 --blocks 4000 --seed 5 \
	>"$RD_WORK/rw.txt" 2>&1 || fail "rwcheck: $(cat "$RD_WORK/rw.txt")"
log "load: $(cat "$RD_WORK/load.txt")"
rd_wait_in_sync 90
log "$(rd_show | grep -E 'Peer [0-9]:|durable=')"
pass "3 peers in-sync at durable seq $(rd_durable_seq)"
rd_stop_replicd
rd_rebuild_equals_volume "after the first writes"

# the replicator again, from its cursors
rd_start_replicd
"$LOAD" --url "$RD_PRI_URL" --qd 4 --bs 64K --pattern seq --rw write \
	--seconds 2 >"$RD_WORK/load.txt" 2>&1 ||
	fail "sequential writes: $(cat "$RD_WORK/load.txt")"
rd_wait_in_sync 90
rd_stop_replicd
rd_rebuild_equals_volume "after a restart and more writes"
