#!/usr/bin/env bash
# The share log filled with a peer down (issue 11, "Never in the way"),
# k=2 n=3, log_size 4 MiB, throttle=50%, full=drop-lagging; peers 0 and 2
# on tgtxd and stock tgtd, peer 1 on tgtxd. Peer 1 is SIGKILLed and 24 MiB
# are written: its cursor holds the log, so first the throttle alert shows
# (writes slowed, never failed), then peer 1 is marked needs-resync and its
# records freed; the writes all succeed. Peer 1 comes back: the replicator
# resyncs it from the local site alone (peers 0 and 2 enter resync only if
# the store dropped them as well: the slow stock tgtd may lag by more than
# 4 MiB),
# every peer ends in-sync and every pair rebuilds exactly the volume.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"
rd_need_tools

RD_LOG_SIZE=4M
rd_primary 2 3 8M "full=drop-lagging;throttle=50%"
rd_peer_tgtxd 0 24M
rd_peer_tgtxd 1 24M
rd_peer_tgtd 2 24M
rd_set_peers "transport=plain"
rd_start_replicd
rd_wait_in_sync 60
rd_peer_kill 1

SAMPLES=$RD_WORK/show-samples
(
	while :; do
		rd_show 2>/dev/null | grep -E "Alert|Peer [0-9]:|throttl|Throttl" |
			sed "s/^/$SECONDS /"
		sleep 0.2
	done
) >"$SAMPLES" &
spid=$!
track_proc "$spid" 1
"$RWCHECK" --url "$RD_PRI_URL" --lba 0 --blocks 16384 --seed 1 --timeout 60 \
	>"$RD_WORK/rw.txt" 2>&1 || fail "8 MiB of writes: $(cat "$RD_WORK/rw.txt")"
"$RWCHECK" --url "$RD_PRI_URL" --lba 0 --blocks 16384 --seed 2 --timeout 60 \
	>"$RD_WORK/rw.txt" 2>&1 || fail "8 more MiB: $(cat "$RD_WORK/rw.txt")"
"$RWCHECK" --url "$RD_PRI_URL" --lba 0 --blocks 16384 --seed 3 --timeout 60 \
	>"$RD_WORK/rw.txt" 2>&1 || fail "8 more MiB: $(cat "$RD_WORK/rw.txt")"
pass "24 MiB written through a 4 MiB log with peer 1 down: no error"
dropped() { rd_peer_line 1 | grep -q "needs-resync"; }
wait_until 20 dropped || fail "peer 1 not needs-resync: $(rd_show)"
sleep 0.5
grep -qi "throttl" "$SAMPLES" ||
	fail "no throttle alert while the log filled: $(tail -n 20 "$SAMPLES")"
log "first throttle report: $(grep -im1 "throttl" "$SAMPLES")"
log "first needs-resync: $(grep -m1 "Peer 1: .*needs-resync" "$SAMPLES")"
t_thr=$(grep -im1 "throttl" "$SAMPLES" | cut -d' ' -f1)
t_drop=$(grep -m1 "Peer 1: .*needs-resync" "$SAMPLES" | cut -d' ' -f1)
[ -z "$t_drop" ] || [ "$t_thr" -le "$t_drop" ] ||
	fail "needs-resync (at ${t_drop}s) came before the throttle (${t_thr}s)"
pass "throttle alert first, then peer 1 needs-resync"

rd_peer_restart 1
rd_wait_in_sync 120
kill "$spid"
# a resync of peer 0 or 2 is legitimate only if the store dropped it too
# (it may lag by more than this small log); never otherwise
for p in 0 2; do
	first_drop=$(grep -n "Peer $p: .*needs-resync" "$SAMPLES" | head -n1 | cut -d: -f1)
	first_rs=$(grep -n "Peer $p: state=resync" "$SAMPLES" | head -n1 | cut -d: -f1)
	if [ -n "$first_rs" ] && { [ -z "$first_drop" ] || [ "$first_drop" -gt "$first_rs" ]; }; then
		fail "peer $p resynced without being dropped: $(sed -n "${first_rs}p" "$SAMPLES")"
	fi
	[ -z "$first_rs" ] || log "peer $p was dropped too (it lagged by more than the log) and resynced"
done
pass "peer 1 resynced automatically; no peer resynced without a drop"
rd_stop_replicd
rd_rebuild_equals_volume "after the automatic resync"
"$RWCHECK" --url "$RD_PRI_URL" --lba 0 --blocks 16384 --seed 3 --verify-only \
	>/dev/null || fail "the last data does not read back"
