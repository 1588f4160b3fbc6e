#!/usr/bin/env bash
# Power loss on an xorshare LUN (k=2, n=3, write cache ON, a tiny activity
# log of 4 extents so that extents keep leaving it). Each round starts tgtxd
# with the store's power-loss simulator (TGTX_TEST_XS_POWERLOSS, see
# bs_xorshare/log/sl_pio.h): under a QD32 random-write load plus FUA writes
# that are recorded once acknowledged, after a random number of writes it
# puts back the pre-image of all, or of a random subset, of the writes not
# yet flushed (log, generation map, volume) and exits. Then tgtxd starts
# again (torn tail cut, hot extents re-logged) and the test checks that
#   - every FUA write acknowledged before the cut reads back,
#   - the volume rebuilt from the shares the log would send (derived,
#     combined) equals the volume byte for byte,
# and at the end that the generation map rebuilds every peer's shares from
# the volume alone (resync), equal to what the log sent them, and that no
# generation (nonce) was ever used for two different contents
# (TGTX_TEST_XS_NONCE_LOG, checked by xs_nonce_check.py).
#
# XS_PL_ROUNDS (default 12), XS_PL_SEED (random) tune a run; the loop stops
# early (at least 4 rounds) when its time budget is used up.
# XS_PL_BREAK_AL=1 runs it with the activity log never written
# (TGTX_TEST_XS_BREAK_AL=1): the test must then fail.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xs_rebuild_lib.sh"

DUMP=$B/test/tools/tgtx-sharelog-dump
NONCE_CHECK=$TGTX_TOP/test/system/xs_nonce_check.py
IQN=iqn.2026-11.org.tgtx:xs-powerloss
ROUNDS=${XS_PL_ROUNDS:-12}
SEED=${XS_PL_SEED:-$(( $$ ^ $(date +%s) ))}
BUDGET=100
SIZE=$((64 << 20))
LOAD_SPAN=$((48 << 20))	       # random load below this ...
FIRST_LBA=$((LOAD_SPAN / 512)) # ... FUA ranges above it
END_LBA=$((SIZE / 512))
REGION=$(((END_LBA - FIRST_LBA) / ROUNDS))
[ -x "$DUMP" ] || fail "no $DUMP"
RANDOM=$SEED
log "seed $SEED (XS_PL_SEED=$SEED reproduces the cut points)"

WORK=$(mktemp -d /dev/shm/tgtx-xs-pl.XXXXXX)
cleanup_path "$WORK"
VOL=$WORK/vol.img
LOGDIR=$WORK/vol.log
IMG=$WORK/rebuilt.img
NONCES=$WORK/nonces.bin
ACKED=$TGTX_TEST_DIR/acked.txt
truncate -s "$SIZE" "$VOL" "$IMG"
: >"$ACKED"
export TGTX_TEST_XS_NONCE_LOG=$NONCES
[ "${XS_PL_BREAK_AL:-0}" != 1 ] || export TGTX_TEST_XS_BREAK_AL=1

setup_lun() {
	tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 \
		--bstype xorshare -b "$VOL" \
		--bsopts "k=2;n=3;log=$LOGDIR;log_size=1G;al_extents=4"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
}

# wait_relog: the store has re-logged every hot extent of the last crash.
wait_relog() {
	wait_until 60 bash -c "'$TGTXADM' --control-socket '$CTL' --op show \
		--mode target | grep -q 're-log pending=0'" ||
		fail "round $1: re-log did not finish"
}

# the first start logs the baseline of the empty volume; then a clean stop
start_tgtxd main
setup_lun
URL=$(lun_url "$IQN" 1)
stop_tgtxd
rebuild 0

sizes=(8 64 300 1 2048)
round=0
cuts=0
start=$SECONDS
while [ "$round" -lt "$ROUNDS" ]; do
	if [ $((SECONDS - start)) -ge "$BUDGET" ]; then
		log "time budget used after $round rounds"
		break
	fi
	round=$((round + 1))
	next_lba=$((FIRST_LBA + (round - 1) * REGION))
	region_end=$((next_lba + REGION))
	TGTX_TEST_XS_POWERLOSS=$((SEED + round)) \
		TGTX_TEST_XS_POWERLOSS_MAX=$((2000 + RANDOM % 20000)) \
		start_tgtxd main
	setup_lun
	victim=$TGTXD_PID
	"$LOAD" --url "$URL" --qd 32 --bs 4096 --pattern rand --rw write \
		--span "$LOAD_SPAN" --seed "$((SEED + round))" --seconds 60 \
		--timeout 5 >"$TGTX_TEST_DIR/load.txt" 2>&1 &
	load_pid=$!
	track_proc "$load_pid" 2
	acked_round=0
	i=0
	deadline=$((SECONDS + 60))
	while proc_alive "$victim"; do
		[ "$SECONDS" -lt "$deadline" ] ||
			fail "round $round: no simulated power cut within 60 s"
		blocks=${sizes[$(((round + i) % ${#sizes[@]}))]}
		i=$((i + 1))
		if [ $((next_lba + blocks)) -gt "$region_end" ]; then
			sleep 0.1
			continue
		fi
		lba=$next_lba
		next_lba=$((next_lba + blocks))
		seed=$((SEED % 100000 * 1000 + lba))
		if "$RWCHECK" --url "$URL" --fua --lba "$lba" \
			--blocks "$blocks" --seed "$seed" --timeout 5 \
			>/dev/null 2>&1; then
			echo "$lba $blocks $seed" >>"$ACKED"
			acked_round=$((acked_round + 1))
		fi
	done
	wait_until 10 bash -c "! kill -0 $victim 2>/dev/null" ||
		fail "round $round: tgtxd $victim did not exit"
	stop_proc "$load_pid"
	grep -q "TEST MODE: power cut" "$TGTXD_LOG" ||
		fail "round $round: tgtxd died without a simulated power cut:" \
			"$(tail -n 5 "$TGTXD_LOG")"
	cuts=$((cuts + 1))
	log "round $round: $(grep -o 'power cut: .*' "$TGTXD_LOG"), " \
		"$acked_round FUA ranges acknowledged"
	mv "$TGTXD_LOG" "$TGTXD_LOG.cut$round"

	start_tgtxd main
	setup_lun
	wait_relog "$round"
	bad=0
	while read -r lba blocks seed; do
		"$RWCHECK" --url "$URL" --verify-only --lba "$lba" \
			--blocks "$blocks" --seed "$seed" >/dev/null 2>&1 ||
			{ bad=1; echo "lost: LBA $lba blocks $blocks" >&2; }
	done < <(tail -n "$acked_round" "$ACKED")
	[ "$bad" -eq 0 ] || fail "round $round: acknowledged FUA writes lost"
	stop_tgtxd
	mv "$TGTXD_LOG" "$TGTXD_LOG.$round"
	rebuild "$round"
	cmp "$IMG" "$VOL" ||
		fail "round $round: the volume differs from what the log sends"
	pass "round $round: FUA writes kept, log and volume agree" \
		"(seq 1..$((next_seq - 1)))"
done
[ "$cuts" -ge 4 ] || fail "only $cuts power cuts in the time budget"

# Resync: each peer's shares rebuilt from the local volume and generation
# map equal what the log sent it; any two peers rebuild the volume.
"$DUMP" --quiet --export-shares "$WORK" "$LOGDIR" >/dev/null ||
	fail "exporting the peers' shares"
for p in 0 1 2; do
	"$DUMP" --resync "$p" --volume "$VOL" --out "$WORK/resync.$p" \
		"$LOGDIR" || fail "resync of peer $p"
	cmp "$WORK/resync.$p" "$WORK/share.$p" ||
		fail "peer $p rebuilt from the volume differs from its shares"
done
pass "every peer's shares rebuilt from the volume and map alone"

python3 "$NONCE_CHECK" "$NONCES" >"$TGTX_TEST_DIR/nonce.txt" 2>&1 ||
	fail "a generation was reused: $(cat "$TGTX_TEST_DIR/nonce.txt")"
pass "no generation used twice over $cuts power cuts:" \
	"$(cat "$TGTX_TEST_DIR/nonce.txt")"
