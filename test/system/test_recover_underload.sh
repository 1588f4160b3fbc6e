#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Disaster under write load, restored by the DR tool itself (issue 12,
# "Tests": the restored volume is a prefix of the history, checked by
# sequence numbers written in the data).
#
# Each round builds the primary site from nothing: tgtxd with an xorshare
# LUN (k=2 n=3) whose shares live on partners p0, p1 (tgtxd) and p2 (stock
# tgtd, transport=plain), tgtx-replicd replicating and gossiping its signed
# share-location table to p0's tgtx-replicd, the DR kit exported (kept
# apart). Then tgtx-load writes self-describing blocks with overwrites
# (--history: every submit and acknowledgement in order; QD1 in round 1,
# QD8 in round 2); once 2 peers acknowledged records written under it
# (60 s at most: a replicator that sends nothing while the writer runs
# fails here), 0.5-3 s later EVERYTHING on the primary site is SIGKILLed
# at once (tgtxd, tgtx-replicd, the writer) and its volume, share log,
# keys and state dir are deleted.
#
# From p0's address and the kit only:
#  - list, check and restore agree on the point (seq and time);
#  - the restored image is exactly the volume after a prefix of the write
#    history (tgtx-prefixcheck);
#  - it holds at least what the primary had reported acknowledged: a peer's
#    acked seq (its status file, written every second before the kill) is
#    durable on that peer, so the point is >= the k-th highest acked seq
#    of the live peers and every write acknowledged to the writer before that record's time
#    is in the image;
#  - with each partner in turn down (its target SIGKILLed), the other two
#    give a prefix too, at or after the lower of their two acked seqs.
# p2 is rate-limited (1 MB/s), so the peers hold different points.
# (A peer the replicator let go before the kill, see "live" below, makes
# the pairs with it refuse, naming it: checked as that.)
# Round 1 takes each partner down in turn, later rounds one at random.
#
# TGTX_RECOVER (a tgtx-recover build) and RD_REPLICD (a tgtx-replicd
# build) let a planted defect stand in; RECOVER_LOAD_SEED reproduces the
# timings; RECOVER_LOAD_ROUNDS (default 2).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"
rd_need_tools

RC=${TGTX_RECOVER:-$B/tgtx-recover}
GOSSIP=$B/test/tools/tgtx-gossip
for t in "$RC" "$GOSSIP"; do
	[ -x "$t" ] || fail "no $t (make && make SAN=asan tests)"
done
ROUNDS=${RECOVER_LOAD_ROUNDS:-2}
SEED=${RECOVER_LOAD_SEED:-$(($$ ^ $(date +%s)))}
RANDOM=$SEED
log "seed $SEED (RECOVER_LOAD_SEED=$SEED reproduces the timings)"
RD_CKPT_MS=300 # checkpoints often, so the kill lands in them too
VOL_SIZE=1M
PEER_SIZE=160M # journals with room: a full one excludes the slowest peer
# p2 slower than the writer: the peers hold different points at the kill
# (with equal points a checkpoint floor that ignores the other peers' acks
# would break no pair)
RD_POPTS[2]="rate=1M"
T0=$SECONDS
step() {
	log "[$((SECONDS - T0)) s] $*"
}
L=127.0.0.1
PASSF=$RD_WORK/pass
echo "a passphrase kept apart from the kit" >"$PASSF"
P0_LOG=$RD_WORK/rd-p0.log
P0_RD=""

# Round R's share LUNs are LUN 1 of target tid R ("$RD_IQN:pI-rR") on the
# partners' daemons, which run for the whole test (the partner sites): this
# replaces replicd_lib's rd_peer_lun, so rd_peer_restart brings back the
# current round's LUN.
ROUND=1
rd_peer_lun() {
	local i=$1 n=${RD_PNAME[$1]} iqn=$RD_IQN:${RD_PNAME[$1]}-r$ROUND

	if [ "${RD_KIND[i]}" = tgtxd ]; then
		local ctl=CTL_$n
		"$TGTXADM" --control-socket "${!ctl}" --op new --mode target \
			--tid "$ROUND" -T "$iqn"
		"$TGTXADM" --control-socket "${!ctl}" --op new \
			--mode logicalunit --tid "$ROUND" --lun 1 -b "${RD_IMG[i]}"
		"$TGTXADM" --control-socket "${!ctl}" --op bind --mode target \
			--tid "$ROUND" -I ALL
	else
		local cp=TGT_CP_$n
		tgtadm -C "${!cp}" --lld iscsi --op new --mode target \
			--tid "$ROUND" -T "$iqn"
		tgtadm -C "${!cp}" --lld iscsi --op new --mode logicalunit \
			--tid "$ROUND" --lun 1 -b "${RD_IMG[i]}"
		tgtadm -C "${!cp}" --lld iscsi --op bind --mode target \
			--tid "$ROUND" -I ALL
	fi
}

rd_peer_tgtxd 0 "$PEER_SIZE"
rd_peer_tgtxd 1 "$PEER_SIZE"
rd_peer_tgtd 2 "$PEER_SIZE"
for i in 0 1 2; do
	RD_URL[i]=${RD_URL[i]/%:p$i\/1/:p$i-r1\/1}
done
P0_PIN=$("$B/tgtxd" --show-node-key --state-dir "$TGTX_TEST_DIR/p0/state")
P0_PUB=$("$GOSSIP" keygen --key "$TGTX_TEST_DIR/p0/state/node.key" |
	awk '/^pub/{print $2}')
GP_P0=$(free_port)

# start_p0_gossip PIN PORT: p0's tgtx-replicd, a gossip node that pins the
# primary of this round (its node key PIN, its gossip port PORT)
start_p0_gossip() {
	if [ -n "$P0_RD" ]; then
		stop_proc "$P0_RD"
		check_san_log "$P0_LOG" || fail "sanitizer report in $P0_LOG"
	fi
	# shellcheck disable=SC2154 # CTL_p0: set by start_tgtxd p0
	"$REPLICD" -f --control-socket "$CTL_p0" \
		--state-dir "$TGTX_TEST_DIR/p0/state" --poll-ms 1000 \
		--gossip-listen "$L:$GP_P0" --gossip-seed "$1@$L:$2" \
		>>"$P0_LOG" 2>&1 &
	P0_RD=$!
	track_proc "$P0_RD" 10
}

# new_site R: the primary site of round R, from nothing, on fresh peer LUNs
# (the peers' daemons keep running: they are the partner sites).
new_site() {
	local r=$1 i

	if [ "$r" -gt 1 ]; then
		ROUND=$r
		for i in 0 1 2; do
			rm -f "${RD_IMG[i]}"
			RD_IMG[i]=$RD_WORK/p$i.r$r.img
			truncate -s "${RD_SIZE[i]}" "${RD_IMG[i]}"
			rd_peer_lun "$i"
			RD_URL[i]=${RD_URL[i]/%-r$((r - 1))\/1/-r$r\/1}
		done
	fi
	rd_primary 2 3 "$VOL_SIZE"
	rd_set_peers "transport=plain"
	PRI_PIN=$("$B/tgtxd" --show-node-key --state-dir "$RD_STATE")
	GP_MAIN=$(free_port)
	rd_start_replicd --gossip-listen "$L:$GP_MAIN" \
		--gossip-seed "$P0_PIN@$L:$GP_P0"
	start_p0_gossip "$PRI_PIN" "$GP_MAIN"
	step "round $r: replicating, waiting for the fill"
	rd_wait_in_sync 120
	KIT=$RD_WORK/kit.$r # "offline": not on the primary site
	"$RC" kit export --out "$KIT" --state-dir "$RD_STATE" \
		--control-socket "$RD_PRI_CTL" --name "site-r$r" \
		--peer "$P0_PUB,$L:$GP_P0" --seed "$L:$GP_P0" \
		--passphrase-file "$PASSF" --kdf-log2n 14 >/dev/null ||
		fail "round $r: kit export"
	KITA=(--from "$L:$GP_P0" --kit "$KIT" --passphrase-file "$PASSF")
	wait_until 60 p0_knows ||
		fail "round $r: p0 never learned the table signed by the primary"
	pass "round $r: primary site up, in sync, table gossiped to p0, kit exported"
}

# p0_knows: p0 lists a volume of this round's owner; sets VNAME, VUUID.
p0_knows() {
	local out

	out=$("$RC" list "${KITA[@]}" --no-probe 2>/dev/null) || return 1
	read -r VNAME VUUID < <(awk '/^volume /{ n = $2; u = $4 }
		/^  owner .*[(]this kit.s node[)]/{ print n, u; exit }' <<<"$out")
	[ -n "${VUUID:-}" ]
}

# status_acked I: "ACKED_SEQ ACKED_TIME_NS" of peer I from the replicator's
# status file (as rd_status_acked, without a python start per call: this
# is polled under load)
status_acked() {
	local sf=$RD_LOGDIR/status.$1 v

	v=$(od -An -tx4 -N4 "$sf" 2>/dev/null | tr -d ' ') || true
	if [ "$v" != 53505358 ] || [ "$(stat -c %s "$sf")" -lt 144 ]; then
		echo "0 0"
		return
	fi
	od -An -tu8 -j16 -N16 "$sf" | awk '{ print $1, $2 }'
}

# acked_under_load S0: 2 of the 3 peers report an acked seq above S0.
acked_under_load() {
	local i s t n=0

	for i in 0 1 2; do
		read -r s t < <(status_acked "$i")
		[ "$s" -le "$1" ] || n=$((n + 1))
	done
	[ "$n" -ge 2 ]
}

kill_site() {
	local lpid=$1 p

	kill -KILL "$RD_REPLICD_PID" "$RD_PRI_PID" "$lpid" 2>/dev/null || true
	for p in "$RD_REPLICD_PID" "$RD_PRI_PID" "$lpid"; do
		wait_until 10 bash -c "! kill -0 $p 2>/dev/null" ||
			fail "pid $p survived SIGKILL"
	done
	rd_kill_replicd
	wait "$lpid" 2>/dev/null || true
}

# point FILE LABEL: "SEQ TIME" of the line "LABEL: seq N, written T..."
point() {
	sed -n "s/^$2: seq \([0-9]*\), written \([^ ;]*\).*/\1 \2/p" "$1" |
		head -n1
}

# restore_checked R TAG FLOOR_SEQ FLOOR_NS [ARGS]: restore into img.R.TAG,
# which must be a prefix of the history at or after the floor; echoes the
# restored "SEQ TIME" into $RD_WORK/pt.R.TAG.
restore_checked() {
	local r=$1 tag=$2 fseq=$3 fns=$4 img=$RD_WORK/img.$1.$2 rc=0 pt seq
	local out=$RD_WORK/restore.$1.$2

	shift 4
	"$RC" restore "${KITA[@]}" --volume "$VUUID" --to "$img" \
		--progress plain "$@" >"$out" 2>&1 || rc=$?
	cat "$out"
	[ "$rc" -eq 0 ] || fail "round $r, $tag: restore exit $rc"
	pt=$(point "$out" "restored point")
	[ -n "$pt" ] || fail "round $r, $tag: no restored point printed"
	seq=${pt%% *}
	[ "$seq" -ge "$fseq" ] ||
		fail "round $r, $tag: restored seq $seq is below seq $fseq," \
			"which the peers used had acknowledged before the kill"
	rc=0
	"$PREFIXCHECK" --image "$img" --history "$RD_WORK/hist.$r" \
		--acked-before "$fns" || rc=$?
	[ "$rc" -eq 0 ] ||
		fail "round $r, $tag: the restored seq $seq is not the volume" \
			"after a prefix of the writes (or misses writes" \
			"acknowledged before seq $fseq)"
	echo "$pt" >"$RD_WORK/pt.$r.$tag"
	rm -f "$img" "$img.tgtx-recover"
}

round() {
	local r=$1 qd=$2 lpid delay_ms i s t hi lo2 out nacked pt ptc ptl s0 live rc
	local -a aseq ats

	step "round $r: new primary site"
	new_site "$r"
	s0=$(rd_durable_seq)
	step "round $r: QD$qd load (log at seq $s0)"
	"$LOAD" --url "$RD_PRI_URL" --qd "$qd" --bs 4K --pattern rand \
		--rw write --seconds 120 --timeout 5 \
		--history "$RD_WORK/hist.$r" --id-base "$(((r << 32) + 1))" \
		--seed "$((SEED + r))" >"$RD_WORK/load.$r" 2>&1 &
	lpid=$!
	track_proc "$lpid" 2
	# replication under load first: k peers acknowledge records written
	# under it (a replicator that sends nothing while the writer runs
	# would make any restore trivially a prefix: the empty one)
	wait_until 60 acked_under_load "$s0" ||
		fail "round $r: in 60 s of QD$qd load, fewer than 2 peers" \
			"acknowledged anything written under it: $(rd_show | grep 'Peer [0-9]:')"
	step "round $r: 2 peers acknowledged writes made under load"
	delay_ms=$((500 + RANDOM % 2500))
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	proc_alive "$lpid" ||
		fail "round $r: the load ended early: $(cat "$RD_WORK/load.$r")"
	rd_show | grep "Peer [0-9]:" || true
	kill_site "$lpid"
	step "round $r: primary site killed"
	# what each peer had acknowledged (durable on it), as the replicator
	# last reported it before it died: a lower bound of the truth
	for i in 0 1 2; do
		read -r s t < <(status_acked "$i")
		aseq[i]=$s ats[i]=$t
	done
	nacked=$(grep -c '^a' "$RD_WORK/hist.$r" || true)
	log "round $r: SIGKILL $delay_ms ms after 2 peers acknowledged load:" \
		"$nacked writes acknowledged; peers' acked seqs ${aseq[*]}"
	# the disaster: nothing of the primary site is left
	cp "$TGTX_TEST_DIR/pri/tgtxd.log" "$RD_WORK/pri.$r.log"
	check_san_log "$RD_WORK/pri.$r.log" || fail "sanitizer report (primary)"
	rm -rf "$RD_VOL" "$RD_LOGDIR" "$TGTX_TEST_DIR/pri"

	# list, check, restore from p0 with the kit agree on the point
	step "round $r: primary site destroyed; list, check, restore from p0"
	out=$RD_WORK/list.$r
	"$RC" list "${KITA[@]}" >"$out" 2>&1 || {
		cat "$out"
		fail "round $r: list exit"
	}
	ptl=$(awk -v u="$VUUID" '/^volume /{ v = ($4 == u) }
		v && /^  newest restorable point: seq/{ print $5, $7; exit }' "$out")
	out=$RD_WORK/check.$r
	"$RC" check "${KITA[@]}" --volume "$VNAME" >"$out" 2>&1 || {
		cat "$out"
		fail "round $r: check --volume $VNAME exit"
	}
	cat "$out"
	grep -q "^restorable: yes, [23] consistent shares" "$out" ||
		fail "round $r: check does not find 2 or 3 consistent shares"
	ptc=$(point "$out" point)
	# The replicator lets a peer that stopped acknowledging for 5 s go
	# from the checkpoint floor when another's journal fills (a new
	# membership epoch without it): the newest epoch's live mask says
	# which peers the guarantee is about.
	live=$(awk '/^  share [0-9] .* epoch [0-9]*, live 0x/ {
		e = $0; sub(/.* epoch /, "", e); sub(/,.*/, "", e)
		m = $0; sub(/.*, live /, "", m); sub(/[,( ].*/, "", m)
		if (e + 0 >= best) { best = e + 0; mask = m } }
		END { print mask }' "$out")
	[ -n "$live" ] || fail "round $r: no membership in check's output"
	live=$((live))
	# the newest point 2 of the live peers hold: at least the 2nd
	# highest acked seq among them
	hi=-1 lo2=-1
	for i in 0 1 2; do
		[ $((live >> i & 1)) -eq 1 ] || continue
		if [ "$hi" -lt 0 ] || [ "${aseq[i]}" -gt "${aseq[hi]}" ]; then
			lo2=$hi hi=$i
		elif [ "$lo2" -lt 0 ] || [ "${aseq[i]}" -gt "${aseq[lo2]}" ]; then
			lo2=$i
		fi
	done
	[ "$lo2" -ge 0 ] || fail "round $r: fewer than 2 live peers ($live)"
	[ "$live" -eq 7 ] ||
		log "round $r: the replicator had let a peer go (live mask $live)"
	restore_checked "$r" all "${aseq[lo2]}" "${ats[lo2]}"
	pt=$(cat "$RD_WORK/pt.$r.all")
	[ "$ptc" = "$pt" ] ||
		fail "round $r: check says point '$ptc', restore restored '$pt'"
	[ "$ptl" = "$pt" ] ||
		fail "round $r: list says point '$ptl', restore restored '$pt'"
	pass "round $r: list, check and restore agree on seq ${pt% *}" \
		"(>= ${aseq[lo2]}, acked); the image is a prefix of the history"

	# any 2 of the 3: each partner's target down in turn (in later
	# rounds one of them, at random: the time budget)
	local downs=(0 1 2)
	[ "$r" -eq 1 ] || downs=($((RANDOM % 3)))
	for i in "${downs[@]}"; do
		local a=$(((i + 1) % 3)) b=$(((i + 2) % 3)) f
		f=$a
		[ "${aseq[b]}" -ge "${aseq[a]}" ] || f=$b
		step "round $r: partner $i down"
		rd_peer_kill "$i"
		if [ $((live >> a & live >> b & 1)) -eq 0 ]; then
			# one of the two left is not live: named, exit 4
			rc=0
			"$RC" restore "${KITA[@]}" --volume "$VUUID" \
				--to "$RD_WORK/img.$r.down$i" >"$out" 2>&1 || rc=$?
			cat "$out"
			if [ "$rc" -ne 4 ] || ! grep -q "stale or resyncing" "$out"; then
				fail "round $r: partner $i down, shares $a,$b" \
					"(not both live: $live): exit $rc, expected 4" \
					"naming the stale share"
			fi
			rd_peer_restart "$i"
			pass "round $r: partner $i down: shares $a,$b (live mask" \
				"$live) refused as designed, the stale share named"
			continue
		fi
		restore_checked "$r" "down$i" "${aseq[f]}" "${ats[f]}"
		grep -q "UNREACHABLE" "$RD_WORK/restore.$r.down$i" ||
			fail "round $r: partner $i down, not named unreachable"
		rd_peer_restart "$i"
		pass "round $r: partner $i down: shares $a,$b restore seq" \
			"$(cut -d' ' -f1 "$RD_WORK/pt.$r.down$i") (>= ${aseq[f]}), a prefix"
	done
}

start=$SECONDS
for ((r = 1; r <= ROUNDS; r++)); do
	round "$r" $((r % 2 ? 1 : 8))
	log "round $r done at $((SECONDS - start)) s"
done
rd_check_replicd_log
check_san_log "$P0_LOG" || fail "sanitizer report in $P0_LOG"
