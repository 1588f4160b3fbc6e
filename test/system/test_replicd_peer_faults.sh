#!/usr/bin/env bash
# Peer LUNs changed under the replicator (issue 11, guarantees 3 and 4),
# k=2 n=3: peers 0 and 1 on tgtxd, peer 2 on stock tgtd, transport=plain.
#   1. peer 1's LUN grown (its admin appends zeros and restarts the target)
#      and peer 2's LUN copied block for block to a bigger file served in
#      its place: replication goes on, every pair still rebuilds the volume;
#   2. peer 0 returns garbage (its share volume overwritten with random
#      bytes, the target restarted so the replicator reconnects): the error
#      is named (show's error= or the replicator's log), peers 1 and 2 go
#      on acknowledging new writes, the writes never fail, and peers 1+2
#      rebuild the volume; nothing ever rebuilds from peer 0's garbage.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"
rd_need_tools

rd_primary 2 3 8M
rd_peer_tgtxd 0 24M
rd_peer_tgtxd 1 24M
rd_peer_tgtd 2 24M
rd_set_peers "transport=plain"
rd_start_replicd
"$LOAD" --url "$RD_PRI_URL" --qd 4 --bs 4K --pattern rand --rw write \
	--seconds 2 --seed 1 >"$RD_WORK/load.txt" 2>&1 ||
	fail "writes: $(cat "$RD_WORK/load.txt")"
rd_wait_in_sync 60

# 1. grown and copied
rd_peer_kill 1
truncate -s 40M "${RD_IMG[1]}"
rd_peer_restart 1
rd_peer_kill 2
cp --sparse=always "${RD_IMG[2]}" "$RD_WORK/p2-copy.img"
truncate -s 32M "$RD_WORK/p2-copy.img"
RD_IMG[2]=$RD_WORK/p2-copy.img
rd_peer_restart 2
"$LOAD" --url "$RD_PRI_URL" --qd 4 --bs 4K --pattern rand --rw write \
	--seconds 2 --seed 2 >"$RD_WORK/load.txt" 2>&1 ||
	fail "writes: $(cat "$RD_WORK/load.txt")"
rd_wait_in_sync 90
rd_stop_replicd
rd_rebuild_equals_volume "peer 1 grown, peer 2 copied to a bigger LUN"
rd_start_replicd

# 2. garbage on peer 0
rd_peer_kill 0
head -c $((24 << 20)) /dev/urandom >"${RD_IMG[0]}"
rd_peer_restart 0
a1=$(rd_peer_field 1 acked_seq) a2=$(rd_peer_field 2 acked_seq)
"$LOAD" --url "$RD_PRI_URL" --qd 4 --bs 4K --pattern rand --rw write \
	--seconds 3 --seed 3 >"$RD_WORK/load.txt" 2>&1 ||
	fail "writes with a garbage peer: $(cat "$RD_WORK/load.txt")"
NAMES="bad-magic|bad-crc|bad-version|bad-field|bad-slot|bad-share|foreign|wrong-index|stale|journal-broken"
named() {
	rd_peer_line 0 | grep -Eq "error=.*($NAMES)" ||
		grep -Eq "$NAMES" "$RD_REPLICD_LOG"
}
wait_until 60 named || fail "peer 0's garbage not named: $(rd_peer_line 0)"
log "peer 0: $(rd_peer_line 0)"
log "replicator: $(grep -Em1 "$NAMES" "$RD_REPLICD_LOG" || true)"
rd_peer_line 0 | grep -q "state=in-sync" && fail "a garbage peer shown in-sync"
others() {
	local d

	d=$(rd_durable_seq)
	[ "$(rd_peer_field 1 acked_seq)" -ge "$d" ] &&
		[ "$(rd_peer_field 2 acked_seq)" -ge "$d" ] &&
		[ "$d" -gt "$a1" ] && [ "$d" -gt "$a2" ]
}
wait_until 60 others || fail "peers 1 and 2 stuck behind the garbage: $(rd_show)"
pass "peer 0's garbage named, peers 1 and 2 acknowledged every new write"
proc_alive "$RD_REPLICD_PID" || fail "the replicator died"
rd_stop_replicd
rc=0
rd_rebuild --shares 1,2 --compare "$RD_VOL" || rc=$?
cat "$RD_WORK/rebuild.txt"
[ "$rc" -eq 0 ] || fail "peers 1+2 do not rebuild the volume"
rc=0
rd_rebuild --shares 0,1 --compare "$RD_VOL" || rc=$?
cat "$RD_WORK/rebuild.txt"
if [ "$rc" -eq 0 ]; then
	# the replicator may have re-formatted and resynced peer 0: only then
	# can it serve
	grep -qi "format\|resync" "$RD_REPLICD_LOG" ||
		fail "peer 0 rebuilds without having been re-formatted"
fi
pass "peers 1+2 rebuild the volume; peer 0 serves only what the replicator rewrote"
