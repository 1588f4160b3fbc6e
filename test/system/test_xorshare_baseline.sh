#!/usr/bin/env bash
# A volume already full of data when it is first protected: the baseline
# pass logs all of it once (zero ranges as UNMAP records), show reports its
# progress up to complete, and the volume rebuilt from the log's shares
# equals the pre-filled file. A second volume gets writes while its baseline
# runs: log and volume still describe the same history.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DUMP=$B/test/tools/tgtx-sharelog-dump
IQN=iqn.2026-11.org.tgtx:xs-base
# not a multiple of the 1 MiB chunk: the last chunk is short
SIZE=$(((40 << 20) + 7 * 512))
# B is larger so that its baseline is still running under the writes
SIZE_B=$((96 << 20))
[ -x "$DUMP" ] || fail "no $DUMP"

# prefill FILE SIZE: random data with an all-zero hole in the middle
prefill() {
	head -c "$2" /dev/urandom >"$1"
	dd if=/dev/zero of="$1" bs=1M seek=12 count=5 conv=notrunc \
		status=none
}
prefill "$TGTX_TEST_DIR/a.img" "$SIZE"
prefill "$TGTX_TEST_DIR/b.img" "$SIZE_B"
cp "$TGTX_TEST_DIR/a.img" "$TGTX_TEST_DIR/a.orig"
cp "$TGTX_TEST_DIR/b.img" "$TGTX_TEST_DIR/b.orig"

start_tgtxd main
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL

lun_show() {
	tgtxadm_ctl --op show --mode target |
		sed -n "/^ *LUN: $1\$/,/^ *LUN: \|Account information/p"
}

# Protect A and poll show while its baseline runs.
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$TGTX_TEST_DIR/a.img" \
	--bsopts "k=2;n=3;log=$TGTX_TEST_DIR/a.log;log_size=256M"
seen=""
deadline=$((SECONDS + 60))
while :; do
	line=$(lun_show 1 | grep "Baseline:" || true)
	[ -n "$line" ] || fail "show has no Baseline line: $(lun_show 1)"
	case $line in
	*complete*) break ;;
	*%*)
		pct=$(grep -o '[0-9.]*%' <<<"$line")
		[[ " $seen " == *" $pct "* ]] || seen="$seen $pct"
		;;
	*) fail "unexpected baseline line: $line" ;;
	esac
	[ "$SECONDS" -lt "$deadline" ] || fail "baseline stuck: $line"
	sleep 0.05
done
pass "show: baseline progress${seen:+ (seen$seen)} reached complete"
grep -q "baseline complete ($SIZE bytes)" "$TGTXD_LOG" ||
	fail "no baseline completion in the log: $(grep -i baseline "$TGTXD_LOG")"
pass "the daemon logs the baseline completion"
expect_rc 0 "the protected volume still serves its old data" \
	cmp <(dd if="$TGTX_TEST_DIR/a.img" bs=1M count=4 status=none) \
	<(dd if="$TGTX_TEST_DIR/a.orig" bs=1M count=4 status=none)

# Protect B and write to it while its baseline runs.
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 --bstype xorshare \
	-b "$TGTX_TEST_DIR/b.img" \
	--bsopts "k=2;n=3;log=$TGTX_TEST_DIR/b.log;log_size=2G"
URL2=$(lun_url "$IQN" 2)
log "B at the start of the writes: $(lun_show 2 | grep -o 'Baseline: .*')"
"$LOAD" --url "$URL2" --qd 8 --bs 4096 --pattern rand --rw write \
	--seconds 1 >"$TGTX_TEST_DIR/load.txt" 2>&1 ||
	fail "load during the baseline: $(cat "$TGTX_TEST_DIR/load.txt")"
expect_rc 0 "write during/after the baseline (end of the volume)" \
	"$RWCHECK" --url "$URL2" --lba $((SIZE_B / 512 - 3000)) --blocks 3000 \
	--seed 21
expect_rc 0 "write inside the zero hole" \
	"$RWCHECK" --url "$URL2" --lba $((13 << 11)) --blocks 1000 --seed 22
base_done() {
	lun_show 2 | grep -q "Baseline: complete"
}
wait_until 60 base_done || fail "baseline of B: $(lun_show 2)"
pass "baseline of B completes under writes"
stop_tgtxd

for v in a b; do
	img=$TGTX_TEST_DIR/$v.rebuilt
	truncate -s "$(stat -c %s "$TGTX_TEST_DIR/$v.img")" "$img"
	"$DUMP" --quiet --combine "$img" --shares 1,2 "$TGTX_TEST_DIR/$v.log" \
		>"$TGTX_TEST_DIR/dump.txt" ||
		fail "combine $v: $(cat "$TGTX_TEST_DIR/dump.txt")"
	grep -q "first_seq=1 " "$TGTX_TEST_DIR/dump.txt" ||
		fail "log $v lost its oldest records: $(cat "$TGTX_TEST_DIR/dump.txt")"
	cmp "$img" "$TGTX_TEST_DIR/$v.img" ||
		fail "volume $v rebuilt from the log differs from the volume"
	pass "volume $v rebuilt from shares {1,2} equals the volume"
done
cmp "$TGTX_TEST_DIR/a.rebuilt" "$TGTX_TEST_DIR/a.orig" ||
	fail "volume A rebuilt from the log differs from the pre-filled file"
pass "volume A rebuilt from the log equals the pre-filled file"
cmp -s "$TGTX_TEST_DIR/b.rebuilt" "$TGTX_TEST_DIR/b.orig" &&
	fail "volume B unchanged: the writes did not happen"
pass "volume B holds the pre-filled data plus the writes, in the log too"

# a restart does not start the baseline over
lines=$(wc -l <"$TGTXD_LOG")
start_tgtxd main
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$TGTX_TEST_DIR/a.img" \
	--bsopts "k=2;n=3;log=$TGTX_TEST_DIR/a.log;log_size=256M"
lun_show 1 | grep -q "Baseline: complete" ||
	fail "baseline restarted after a restart: $(lun_show 1)"
tail -n +$((lines + 1)) "$TGTXD_LOG" >"$TGTX_TEST_DIR/restart.log"
grep -q "baseline of [0-9]* bytes" "$TGTX_TEST_DIR/restart.log" &&
	fail "a second baseline: $(cat "$TGTX_TEST_DIR/restart.log")"
pass "a restart keeps the completed baseline"
stop_tgtxd
