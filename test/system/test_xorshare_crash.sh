#!/usr/bin/env bash
# kill -9 loop on an xorshare LUN (k=2, n=3, write cache off). Each round:
# start tgtxd on the same volume and share log, run checked writes
# (tgtx-rwcheck ranges, written then read back) beside a QD8 random-write
# load (tgtx-load), SIGKILL the daemon at a random moment, start it again
# (torn-tail cut, hot extents re-logged) and check that
#   - no tool saw an error or a data mismatch while the daemon was alive,
#   - every WRITE command that got GOOD status (both tools append it to an
#     ack log the moment the status arrives, whatever happens to the tool
#     afterwards) reads back: each block holds its latest acknowledged write
#     or a later one that was in flight (tgtx-rwcheck --verify-acks; blocks
#     name their LBA and write id, so stale and torn blocks are caught),
#   - the volume rebuilt from the share log (after a clean stop) equals the
#     volume file byte for byte: log and volume describe the same history,
#   - the restart re-logged the activity log's hot extents in at least one
#     round (the store's crash recovery: doc/sharelog.md).
# The rebuilt image is kept across rounds and only the records of the new
# round are applied to it (--from), so each round costs the same.
#
# XS_CRASH_ROUNDS (default 8) and XS_CRASH_SEED (random) tune a run; the
# loop stops early (at least 3 rounds) when the time budget is used up.
# XS_CRASH_TGTXD_ENV="VAR=VALUE ..." is exported to every tgtxd the test
# starts, for the store's test-only switches: with
# XS_CRASH_TGTXD_ENV=TGTX_TEST_XS_ACK_BEFORE_LOG=1 (writes acknowledged
# before they are logged) this test must fail.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xs_rebuild_lib.sh"

# What the store logs once it re-logged the hot extents after an unclean
# stop (one place, so a change of wording is a one-line change here).
REPLAY_PATTERN='re-logged after an unclean stop'
for kv in ${XS_CRASH_TGTXD_ENV:-}; do
	export "${kv?}"
	log "tgtxd environment: $kv"
done

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
ACKS=$TGTX_TEST_DIR/acks.txt # every acknowledged WRITE, all rounds
RACKS=$TGTX_TEST_DIR/round-acks.txt
KILLED=$TGTX_TEST_DIR/killed # exists once the kill is under way
truncate -s "$SIZE" "$VOL" "$IMG"
: >"$ACKS"

setup_lun() {
	tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 \
		--bstype xorshare -b "$VOL" --params write-cache=off \
		--bsopts "k=2;n=3;log=$LOGDIR;log_size=2G"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
}

# rebuild_clean ROUND: rebuild, after a clean stop (no torn tail allowed).
rebuild_clean() {
	rebuild "$1"
	[ "$(summary torn_bytes)" = 0 ] ||
		fail "round $1: a clean stop left a torn tail"
}

# verify_acks WHEN: every acknowledged write so far reads back.
verify_acks() {
	"$RWCHECK" --url "$URL" --verify-acks "$ACKS" --timeout 30 \
		>"$TGTX_TEST_DIR/verify.txt" 2>&1 ||
		fail "$1: acknowledged writes lost: $(cat "$TGTX_TEST_DIR/verify.txt")"
	pass "$1: $(tail -n1 "$TGTX_TEST_DIR/verify.txt")"
}

sizes=(8 128 700 2100 64)
round=0
torn_rounds=0
replayed_rounds=0
rw_acks=0
load_acks=0
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
	rm -f "$KILLED"
	: >"$RACKS.load"
	: >"$RACKS.rw"

	# write ids grow across rounds: the latest write of a block has the
	# highest id (rwcheck ranges never overlap the load's span)
	"$LOAD" --url "$URL" --qd 8 --bs 4096 --pattern rand --rw write \
		--span "$LOAD_SPAN" --seed "$((SEED + round))" --seconds 60 \
		--timeout 5 --ack-log "$RACKS.load" \
		--id-base "$(((round << 32) + 1))" >"$TGTX_TEST_DIR/load.txt" 2>&1 &
	load_pid=$!
	track_proc "$load_pid" 2

	# SIGKILL after 0.3 .. 2.0 s of writing; the load must still be
	# running then (it stops at its first error)
	delay_ms=$((300 + RANDOM % 1700))
	victim=$TGTXD_PID
	(
		sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
		proc_alive "$load_pid" || touch "$TGTX_TEST_DIR/load-died"
		touch "$KILLED"
		kill -KILL "$victim"
	) &
	killer=$!

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
		seed=$(((round << 32) + (1 << 31) + i))
		rc=0
		"$RWCHECK" --url "$URL" --lba "$lba" --blocks "$blocks" \
			--seed "$seed" --timeout 5 --ack-log "$RACKS.rw" \
			>"$TGTX_TEST_DIR/rw.txt" 2>&1 || rc=$?
		# a mismatch is a read that got GOOD status: never legitimate
		[ "$rc" -ne 4 ] ||
			fail "round $round: read-back mismatch: $(cat "$TGTX_TEST_DIR/rw.txt")"
		[ "$rc" -eq 0 ] || [ -e "$KILLED" ] ||
			fail "round $round: rwcheck exit $rc before the kill:" \
				"$(cat "$TGTX_TEST_DIR/rw.txt")"
	done
	wait "$killer" || true
	wait_until 10 bash -c "! kill -0 $victim 2>/dev/null" ||
		fail "round $round: tgtxd $victim survived SIGKILL"
	[ ! -e "$TGTX_TEST_DIR/load-died" ] ||
		fail "round $round: the load stopped before the kill:" \
			"$(cat "$TGTX_TEST_DIR/load.txt")"
	wait_until 15 bash -c "! kill -0 $load_pid 2>/dev/null" ||
		fail "round $round: the load did not notice the dead target"
	wait "$load_pid" || true
	round_rw=$(wc -l <"$RACKS.rw")
	round_load=$(wc -l <"$RACKS.load")
	rw_acks=$((rw_acks + round_rw))
	load_acks=$((load_acks + round_load))
	cat "$RACKS.rw" "$RACKS.load" >>"$ACKS"
	log "round $round: SIGKILL after ${delay_ms} ms; acknowledged WRITEs:" \
		"$round_rw rwcheck, $round_load load;" \
		"load: $(head -n1 "$TGTX_TEST_DIR/load.txt")"

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

	# restart: the log is checked, its torn tail cut, hot extents re-logged
	start_tgtxd main
	setup_lun
	if grep -q "torn tail dropped" "$TGTXD_LOG"; then
		torn_rounds=$((torn_rounds + 1))
	elif [ -n "$tear" ]; then
		fail "round $round: the faked torn tail ($tear) went unnoticed"
	fi
	[ -z "$tear" ] || pass "round $round: torn tail ($tear) detected and dropped"
	verify_acks "round $round"
	stop_tgtxd
	if grep -q "$REPLAY_PATTERN" "$TGTXD_LOG"; then
		replayed_rounds=$((replayed_rounds + 1))
	fi
	# the next round starts from a fresh daemon log
	mv "$TGTXD_LOG" "$TGTXD_LOG.$round"

	rebuild_clean "$round"
	cmp "$IMG" "$VOL" ||
		fail "round $round: volume rebuilt from the log differs from the volume"
	pass "round $round: log and volume agree (seq 1..$((next_seq - 1)))"
done

[ "$round" -ge 3 ] || fail "only $round rounds in the time budget"
[ "$rw_acks" -gt 0 ] || fail "no rwcheck WRITE was ever acknowledged"
[ "$load_acks" -gt 0 ] || fail "no load WRITE was ever acknowledged"
log "rounds with a re-log: $replayed_rounds, with a torn tail cut: $torn_rounds"
[ "$replayed_rounds" -gt 0 ] ||
	fail "no restart re-logged ('$REPLAY_PATTERN' in no daemon log)"
pass "$replayed_rounds of $round restarts re-logged their hot extents"

# Everything acknowledged over all rounds is still there, at the end.
start_tgtxd main
setup_lun
verify_acks "all $round rounds ($rw_acks rwcheck and $load_acks load WRITEs)"
stop_tgtxd
