#!/usr/bin/env bash
# kill -9 loop on an xorshare LUN (k=2, n=3, write cache off). Each round:
# start tgtxd on the same volume and share log, run acknowledged writes
# (tgtx-rwcheck, each range recorded once it got GOOD status) beside a
# random-write load, SIGKILL the daemon at a random moment, start it again
# (torn-tail cut, hot extents re-logged) and check that
#   - every acknowledged range reads back (it is in the volume),
#   - the volume rebuilt from the share log (after a clean stop) equals the
#     volume file byte for byte: log and volume describe the same history.
# The rebuilt image is kept across rounds and only the records of the new
# round are applied to it (--from), so each round costs the same.
#
# XS_CRASH_ROUNDS (default 8) and XS_CRASH_SEED (random) tune a run; the
# loop stops early (at least 3 rounds) when the time budget is used up.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DUMP=$B/test/tools/tgtx-sharelog-dump
IQN=iqn.2026-11.org.tgtx:xs-crash
ROUNDS=${XS_CRASH_ROUNDS:-8}
SEED=${XS_CRASH_SEED:-$(( $$ ^ $(date +%s) ))}
BUDGET=120 # seconds for the rounds; the whole test stays under 3 min
SIZE=$((512 << 20))
LOAD_SPAN=$((16 << 20)) # the random load stays below this ...
FIRST_LBA=$((LOAD_SPAN / 512)) # ... and the checked ranges above it
END_LBA=$((SIZE / 512))
[ -x "$DUMP" ] || fail "no $DUMP"
# each round writes its checked ranges in a region of its own
REGION=$(((END_LBA - FIRST_LBA) / ROUNDS))
RANDOM=$SEED
log "seed $SEED (XS_CRASH_SEED=$SEED reproduces the timings)"

# tmpfs: the log may grow to a few GB, and SIGKILL keeps the page cache
# anyway, so fdatasync being a no-op there changes nothing this test sees.
WORK=$(mktemp -d /dev/shm/tgtx-xs-crash.XXXXXX)
cleanup_path "$WORK"
VOL=$WORK/vol.img
LOGDIR=$WORK/vol.log
IMG=$WORK/rebuilt.img
ACKED=$TGTX_TEST_DIR/acked.txt
truncate -s "$SIZE" "$VOL" "$IMG"
: >"$ACKED"

setup_lun() {
	tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 \
		--bstype xorshare -b "$VOL" --params write-cache=off \
		--bsopts "k=2;n=3;log=$LOGDIR;log_size=2G"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
}

# summary FIELD: a field of the dump's summary line.
summary() {
	grep -o "\b$1=[0-9]*" "$TGTX_TEST_DIR/dump.txt" | head -n1 | cut -d= -f2
}

# rebuild: applies the records of the last round to the rebuilt image.
next_seq=1
rebuild() {
	"$DUMP" --quiet --from "$next_seq" --combine "$IMG" "$LOGDIR" \
		>"$TGTX_TEST_DIR/dump.txt" 2>&1 ||
		fail "round $1: combine: $(cat "$TGTX_TEST_DIR/dump.txt")"
	[ "$(summary first_seq)" = 1 ] ||
		fail "round $1: the log lost its oldest records (log_size too" \
			"small for this run): $(cat "$TGTX_TEST_DIR/dump.txt")"
	[ "$(summary torn_bytes)" = 0 ] ||
		fail "round $1: a clean stop left a torn tail"
	next_seq=$(($(summary last_seq) + 1))
}

sizes=(8 128 700 2100 64)
round=0
torn_rounds=0
replayed_rounds=0
start=$SECONDS
while [ "$round" -lt "$ROUNDS" ]; do
	if [ $((SECONDS - start)) -ge "$BUDGET" ]; then
		log "time budget used after $round rounds"
		break
	fi
	round=$((round + 1))
	next_lba=$((FIRST_LBA + (round - 1) * REGION))
	region_end=$((next_lba + REGION))
	start_tgtxd main
	setup_lun
	URL=$(lun_url "$IQN" 1)

	"$LOAD" --url "$URL" --qd 8 --bs 4096 --pattern rand --rw write \
		--span "$LOAD_SPAN" --seed "$((SEED + round))" --seconds 60 \
		--timeout 5 >"$TGTX_TEST_DIR/load.txt" 2>&1 &
	load_pid=$!
	track_proc "$load_pid" 2

	# SIGKILL after 0.3 .. 2.0 s of writing
	delay_ms=$((300 + RANDOM % 1700))
	victim=$TGTXD_PID
	(
		sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
		kill -KILL "$victim"
	) &
	killer=$!

	acked_round=0
	i=0
	while proc_alive "$victim"; do
		blocks=${sizes[$(( (round + i) % ${#sizes[@]} ))]}
		i=$((i + 1))
		if [ $((next_lba + blocks)) -gt "$region_end" ]; then
			sleep 0.1 # region used up: just wait for the kill
			continue
		fi
		lba=$next_lba
		next_lba=$((next_lba + blocks))
		seed=$((SEED % 100000 * 1000 + lba))
		if "$RWCHECK" --url "$URL" --lba "$lba" --blocks "$blocks" \
			--seed "$seed" --timeout 5 >/dev/null 2>&1; then
			echo "$lba $blocks $seed" >>"$ACKED"
			acked_round=$((acked_round + 1))
		fi
	done
	wait "$killer" || true
	wait_until 10 bash -c "! kill -0 $victim 2>/dev/null" ||
		fail "round $round: tgtxd $victim survived SIGKILL"
	stop_proc "$load_pid"
	log "round $round: SIGKILL after ${delay_ms} ms, $acked_round" \
		"acknowledged ranges; load: $(tail -n1 "$TGTX_TEST_DIR/load.txt")"

	# Every other round, also leave what a crash in the middle of an
	# append would: a record that was never acknowledged, cut short or
	# failing its checksum. SIGKILL alone rarely tears a small pwrite.
	tear=""
	case $((round % 4)) in
	1) tear=partial ;;
	3) tear=$( ((RANDOM % 2)) && echo badcrc || echo garbage) ;;
	esac
	if [ -n "$tear" ]; then
		python3 "$TGTX_TOP/test/system/xs_tear.py" "$LOGDIR" "$tear" \
			>"$TGTX_TEST_DIR/tear.txt" ||
			fail "round $round: could not fake a torn tail"
		log "round $round: faked a torn tail ($tear):" \
			"$(cat "$TGTX_TEST_DIR/tear.txt")"
	fi

	# restart: the log is checked, its torn tail cut, its hot extents re-logged
	start_tgtxd main
	setup_lun
	if grep -q "torn tail dropped" "$TGTXD_LOG"; then
		torn_rounds=$((torn_rounds + 1))
	elif [ -n "$tear" ]; then
		fail "round $round: the faked torn tail ($tear) went unnoticed"
	fi
	[ -z "$tear" ] || pass "round $round: torn tail ($tear) detected and dropped"
	bad=0
	while read -r lba blocks seed; do
		"$RWCHECK" --url "$URL" --verify-only --lba "$lba" \
			--blocks "$blocks" --seed "$seed" >/dev/null 2>&1 ||
			{ bad=1; echo "lost: LBA $lba blocks $blocks seed $seed" >&2; }
	done < <(tail -n "$acked_round" "$ACKED")
	[ "$bad" -eq 0 ] || fail "round $round: acknowledged writes lost"
	[ "$acked_round" -eq 0 ] ||
		pass "round $round: $acked_round acknowledged ranges survived SIGKILL"
	stop_tgtxd
	grep -q "re-logged after an unclean stop" "$TGTXD_LOG" &&
		replayed_rounds=$((replayed_rounds + 1))
	# the next round starts from a fresh daemon log
	mv "$TGTXD_LOG" "$TGTXD_LOG.$round"

	rebuild "$round"
	cmp "$IMG" "$VOL" ||
		fail "round $round: volume rebuilt from the log differs from the volume"
	pass "round $round: log and volume agree (seq 1..$((next_seq - 1)))"
done

[ "$round" -ge 3 ] || fail "only $round rounds in the time budget"
total=$(wc -l <"$ACKED")
[ "$total" -gt 0 ] || fail "no write was ever acknowledged"

# Everything acknowledged over all rounds is still there, at the end.
start_tgtxd main
setup_lun
bad=0
while read -r lba blocks seed; do
	"$RWCHECK" --url "$URL" --verify-only --lba "$lba" --blocks "$blocks" \
		--seed "$seed" >/dev/null 2>&1 || bad=$((bad + 1))
done <"$ACKED"
[ "$bad" -eq 0 ] || fail "$bad of $total acknowledged ranges lost by the end"
pass "all $total acknowledged ranges of $round rounds read back"
stop_tgtxd
log "rounds with a re-log: $replayed_rounds, with a torn tail cut: $torn_rounds"
