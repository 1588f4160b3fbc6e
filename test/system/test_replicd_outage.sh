#!/usr/bin/env bash
# Peers and the replicator failing mid-stream (issue 11, "Tests"), k=2 n=3:
# peers 0 and 1 on tgtxd, peer 2 on stock tgtd, transport=plain declared.
# While tgtx-load writes (QD2, --history) for the whole test:
#   1. the stock tgtd is SIGSTOPped: show stops calling it in-sync, peers 0
#      and 1 keep acknowledging, the writes go on; SIGCONT: it catches up;
#   2. peer 0's tgtxd is SIGKILLed and restarted on its LUN file;
#   3. tgtx-replicd is SIGKILLed: from the peers alone every pair rebuilds
#      a prefix of the write history holding at least what both had
#      acknowledged (status files), except pairs with a peer the replicator
#      had let go (refused, naming it); restarted, it resumes from its
#      cursors;
# the writer never sees an error. At the end every peer is in-sync and
# every pair rebuilds exactly the primary's volume.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"
rd_need_tools

rd_primary 2 3 8M
rd_peer_tgtxd 0 160M
rd_peer_tgtxd 1 160M
rd_peer_tgtd 2 160M
rd_set_peers "transport=plain"
rd_start_replicd
rd_wait_in_sync 60

HIST=$RD_WORK/hist
"$LOAD" --url "$RD_PRI_URL" --qd 2 --bs 4K --pattern rand --rw write \
	--seconds 30 --timeout 10 --history "$HIST" >"$RD_WORK/load.txt" 2>&1 &
lpid=$!
track_proc "$lpid" 2
sleep 2

acked() { rd_peer_field "$1" acked_seq; }
# 1. stock tgtd stopped
kill -STOP "${RD_PID[2]}"
a0=$(acked 0) a1=$(acked 1)
lagging() { ! rd_peer_line 2 | grep -q "state=in-sync"; }
others_moved() {
	[ "$(acked 0)" -gt "$a0" ] && [ "$(acked 1)" -gt "$a1" ]
}
if ! wait_until 30 lagging || ! wait_until 60 others_moved; then
	kill -CONT "${RD_PID[2]}"
	rd_show >&2
	fail "with peer 2 stopped: peer 2 still in-sync or peers 0/1 stuck"
fi
log "peer 2 stopped: $(rd_peer_line 2)"
proc_alive "$lpid" || fail "the writes stopped: $(cat "$RD_WORK/load.txt")"
pass "peer 2 SIGSTOPped: it is reported lagging, peers 0 and 1 go on, writes go on"
kill -CONT "${RD_PID[2]}"

# 2. peer 0 killed and back
rd_peer_kill 0
sleep 1
rd_peer_restart 0
proc_alive "$lpid" || fail "the writes stopped: $(cat "$RD_WORK/load.txt")"
pass "peer 0 SIGKILLed and restarted while the writes went on"

# 3. the replicator killed: what the peers hold is a prefix
sleep 2
rd_kill_replicd
log "replicator killed; status acked seqs:" \
	"$(for i in 0 1 2; do rd_status_acked "$i" | cut -d' ' -f1; done)"
rc=0
rd_rebuild --out "$RD_WORK/img" || rc=$?
cat "$RD_WORK/rebuild.txt"
# A peer that acknowledged nothing for 5 s while another's journal filled
# is let go from the checkpoint floor (a new membership epoch without it,
# recorded in the share volumes): pairs with it may then be refused, and
# must name it. Every pair of peers still live must rebuild.
live=$(sed -n 's/.* epoch \([0-9]*\) live 0x\([0-9a-f]*\)$/\1 \2/p' \
	"$RD_WORK/rebuild.txt" | sort -n | tail -1 | cut -d' ' -f2)
[ -n "$live" ] || fail "no live mask in the rebuild's output"
[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] ||
	fail "rebuild after the replicator's SIGKILL: exit $rc"
restored=0
for mask in 0-1 0-2 1-2; do
	a=${mask%-*} b=${mask#*-}
	if [ ! -f "$RD_WORK/img.$mask" ]; then
		x=$(((0x$live >> a) & 1 ? b : a))
		(((0x$live >> x) & 1)) &&
			fail "pair $mask of live peers (0x$live) not rebuilt"
		grep -q "^subset $mask: .*share $x is stale" \
			"$RD_WORK/rebuild.txt" ||
			fail "pair $mask refused without naming peer $x"
		log "pair $mask: refused, peer $x was let go (live 0x$live)"
		continue
	fi
	restored=$((restored + 1))
	read -r sa ta < <(rd_status_acked "$a")
	read -r sb tb < <(rd_status_acked "$b")
	t=$((sa < sb ? ta : tb))
	out=$("$PREFIXCHECK" --image "$RD_WORK/img.$mask" --history "$HIST" \
		--acked-before "$t") || fail "pair $mask: $out"
	log "pair $mask: $out"
done
[ "$restored" -gt 0 ] || fail "no pair rebuilt after the replicator's SIGKILL"
pass "replicator SIGKILLed: every pair rebuilt holds a prefix, nothing acknowledged lost ($restored of 3; live 0x$live)"
rd_start_replicd

rc=0
wait "$lpid" || rc=$?
[ "$rc" -eq 0 ] || fail "the writer saw an error: $(cat "$RD_WORK/load.txt")"
log "load: $(cat "$RD_WORK/load.txt")"
pass "30 s of writes without an error through all of it"
rd_wait_in_sync 180
rd_stop_replicd
rd_rebuild_equals_volume "after the outages"
