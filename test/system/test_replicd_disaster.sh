#!/usr/bin/env bash
# Disaster under load (issue 11, "Tests"; guarantee 1, write order), k=2
# n=3, peers: two tgtxd, one stock tgtd. Each round: the primary tgtxd,
# the peers and tgtx-replicd run while tgtx-load writes self-describing
# blocks (--history: every submit and acknowledgement, in order); at a
# random moment EVERYTHING is SIGKILLed (replicator, primary, peers,
# writer). Then, from the peers alone (restarted on their LUN files), every
# pair of share volumes is rebuilt and tgtx-prefixcheck must find the image
# exactly the volume after a prefix of the whole write history (all rounds,
# a barrier between them), and holding at least every write acknowledged
# before the newest record both peers of the pair had acknowledged (the
# replicator's status files: acked_seq and that record's time). Next round:
# the primary restarts on its volume and share log, the replicator on its
# cursors.
#
# RD_DISASTER_ROUNDS (default 5) and RD_DISASTER_SEED tune a run; the loop
# stops early (at least 3 rounds) when its time budget is used up. Odd
# rounds write QD1 (a total order), even rounds QD8.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"
rd_need_tools

ROUNDS=${RD_DISASTER_ROUNDS:-5}
SEED=${RD_DISASTER_SEED:-$(($$ ^ $(date +%s)))}
BUDGET=110
RANDOM=$SEED
log "seed $SEED (RD_DISASTER_SEED=$SEED reproduces the timings)"
HISTS=()
ACK_SEQ=(0 0 0)
ACK_T=(0 0 0)
RD_CKPT_MS=300 # checkpoints often, so kills land in them too

rd_primary 2 3 8M
rd_peer_tgtxd 0 160M
rd_peer_tgtxd 1 160M
rd_peer_tgtd 2 160M
rd_set_peers "transport=plain"

kill_everything() {
	local i

	kill -KILL "$RD_REPLICD_PID" "$RD_PRI_PID" "${RD_PID[@]}" "$1" \
		2>/dev/null || true
	rd_kill_replicd
	for i in "${RD_PID[@]}" "$RD_PRI_PID" "$1"; do
		wait_until 10 bash -c "! kill -0 $i 2>/dev/null" ||
			fail "pid $i survived SIGKILL"
	done
}

# check_subsets ROUND: every pair from the peers alone, against history
# and floor.
check_subsets() {
	local r=$1 rc mask img floor a0 a1 s0 s1 t0 t1 out
	local -a acked_seq acked_t

	# what a peer acknowledged stays acknowledged: the highest report of
	# any round (a restarted replicator reports 0 until it attaches)
	for i in 0 1 2; do
		read -r s0 t0 < <(rd_status_acked "$i")
		if [ "$s0" -gt "${ACK_SEQ[i]}" ]; then
			ACK_SEQ[i]=$s0
			ACK_T[i]=$t0
		fi
		acked_seq[i]=${ACK_SEQ[i]}
		acked_t[i]=${ACK_T[i]}
	done
	log "round $r: status acked_seq ${acked_seq[*]}"
	rc=0
	rd_rebuild --out "$RD_WORK/img" || rc=$?
	cat "$RD_WORK/rebuild.txt"
	[ "$rc" -eq 0 ] || fail "round $r: rebuild from the peers: exit $rc"
	for mask in 0-1 0-2 1-2; do
		a0=${mask%-*} a1=${mask#*-}
		img=$RD_WORK/img.$mask
		# the newest record both peers acknowledged: its time
		floor=${acked_t[a0]}
		[ "${acked_seq[a1]}" -ge "${acked_seq[a0]}" ] ||
			floor=${acked_t[a1]}
		s0=$(grep -o "subset $mask: seq [0-9]*" "$RD_WORK/rebuild.txt" |
			awk '{ print $4 }')
		s1=$((acked_seq[a0] < acked_seq[a1] ? acked_seq[a0] : acked_seq[a1]))
		[ "$s0" -ge "$s1" ] ||
			fail "round $r: pair $mask restores seq $s0, below the" \
				"seq both acknowledged ($s1)"
		rc=0
		out=$("$PREFIXCHECK" --image "$img" "${HISTS[@]}" \
			--acked-before "$floor") || rc=$?
		echo "$out"
		[ "$rc" -eq 0 ] ||
			fail "round $r: pair $mask (seq $s0): not a prefix of the history"
		rm -f "$img"
	done
	pass "round $r: every pair restores a prefix of the history, at or after what it acknowledged"
}

round=0
start=$SECONDS
while [ "$round" -lt "$ROUNDS" ]; do
	if [ "$round" -ge 3 ] && [ $((SECONDS - start)) -ge "$BUDGET" ]; then
		log "time budget used after $round rounds"
		break
	fi
	round=$((round + 1))
	[ "$round" -eq 1 ] || {
		rd_restart_primary
	}
	rd_start_replicd
	# protection established first (a share volume being filled restores
	# nothing); later rounds kill wherever the restart got to
	[ "$round" -gt 1 ] || rd_wait_in_sync 120
	hist=$RD_WORK/hist.$round
	HISTS+=(--history "$hist")
	qd=$((round % 2 ? 1 : 8))
	"$LOAD" --url "$RD_PRI_URL" --qd "$qd" --bs 4K --pattern rand \
		--rw write --seconds 60 --timeout 5 --history "$hist" \
		--id-base "$(((round << 32) + 1))" --seed "$((SEED + round))" \
		>"$RD_WORK/load.txt" 2>&1 &
	lpid=$!
	track_proc "$lpid" 2
	delay_ms=$((1500 + RANDOM % 2500))
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	proc_alive "$lpid" ||
		fail "round $round: the load ended early: $(cat "$RD_WORK/load.txt")"
	kill_everything "$lpid"
	wait "$lpid" 2>/dev/null || true
	log "round $round: SIGKILL after $delay_ms ms (QD$qd):" \
		"$(grep -c '^a' "$hist") writes acknowledged"
	for i in 0 1 2; do
		rd_peer_restart "$i"
	done
	check_subsets "$round"
done
[ "$round" -ge 3 ] || fail "only $round rounds in the time budget"
rd_check_replicd_log
