#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Restore benchmark (issue 12): tgtx-recover restore from k=2 of n=3 share
# volumes on three tgtxd peers on loopback, beside the raw sequential read
# rate of the slowest of those peer LUNs (iscsi-perf, 1 MiB reads, 8 in
# flight: what the peer can deliver). Each peer sends its share volume's
# whole data area (a slot per block: the volume's size plus slot headers),
# so the restore rate per peer is compared with that raw rate; target
# >= 0.8x. Then `check` on a 10 GiB (sparse) volume: target < 5 s.
#
#   test/bench/run-restore-bench.sh [BUILD]        (default build/rel)
#   RESTORE_MB=256  volume size of the restore run
#   CHECK_GB=10     volume size of the check run
#   RESTORE_ARGS    more tgtx-recover options (e.g. "--depth 8")
set -euo pipefail
BUILD=${1:-build/rel}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
export TGTX_BUILD=$BUILD TGTX_TEST_NAME=restore-bench
. test/system/lib.sh

SV=$B/test/tools/tgtx-sharevol
RC=$B/tgtx-recover
[ -x "$SV" ] && [ -x "$RC" ] || fail "no $SV or $RC (make all tools)"
command -v iscsi-perf >/dev/null || skip "iscsi-perf (libiscsi-bin) missing"
MB=${RESTORE_MB:-256}
GB=${CHECK_GB:-10}
NB=$((MB << 8)) # 4096-byte blocks
D=$TGTX_TEST_DIR
IQN=iqn.2026-11.org.tgtx:bench
# the share LUN: 1 MiB header + journal (64 MiB), 4608-byte slots
LUNSZ=$(((NB * 4608 + (66 << 20)) / 1048576 * 1048576))
OUTDIR=${TMPDIR_BENCH:-/dev/shm}
[ -d "$OUTDIR" ] || OUTDIR=$D

urls=()
for i in 0 1 2; do
	start_tgtxd "p$i"
	truncate -s "$LUNSZ" "$D/s$i.img"
	tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:p$i"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$D/s$i.img"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
	urls+=("iscsi://127.0.0.1:$PORT/$IQN:p$i/1")
done
HIST=(--k 2 --n 3 --block-size 4096 --blocks "$NB" --records $((NB / 16))
	--seed 3 --journal $((64 << 20)) --timeout 900)
log "writing the share volumes ($MB MiB volume, $((NB / 16)) records)"
"$SV" write "${HIST[@]}" --checkpoint-every 100 --peer "${urls[0]}" \
	--peer "${urls[1]}" --peer "${urls[2]}" >"$D/write.txt" 2>&1 ||
	{ cat "$D/write.txt"; fail "tgtx-sharevol write"; }
"$SV" expect "${HIST[@]}" --out "$D/vol.img" >/dev/null

# raw: each peer LUN read sequentially for 10 s (iscsi-perf wraps around
# at the end and runs until interrupted), 1 MiB x 8 in flight; its "MB"
# are MiB (requests of 2048 x 512 bytes)
slow=""
for i in 0 1 2; do
	r=$({ timeout -s INT 10 iscsi-perf -b 2048 -m 8 "${urls[$i]}" 2>&1 ||
		true; } |
		tr '\r' '\n' | sed -n 's/.*iops average [0-9]* (\([0-9]*\) MB\/s).*/\1/p' |
		tail -1 | awk '{ printf "%.1f", $1 * 1.048576 }')
	log "raw sequential read of peer LUN $i: ${r:-?} MB/s"
	if [ -n "$r" ] && { [ -z "$slow" ] || awk "BEGIN{exit !($r < $slow)}"; }; then
		slow=$r
	fi
done
[ -n "$slow" ] || fail "iscsi-perf gave no rate"

# restore into a fresh file (page cache / tmpfs: the target is not measured)
rm -f "$OUTDIR/tgtx-restore-bench.img" "$OUTDIR/tgtx-restore-bench.img.tgtx-recover"
t0=$(date +%s.%N)
"$RC" restore --share "${urls[0]}" --share "${urls[1]}" --share "${urls[2]}" \
	--progress plain ${RESTORE_ARGS:-} --to "$OUTDIR/tgtx-restore-bench.img" \
	>"$D/restore.txt" 2>&1 ||
	{ cat "$D/restore.txt"; fail "restore"; }
t1=$(date +%s.%N)
cmp "$OUTDIR/tgtx-restore-bench.img" "$D/vol.img" || fail "restored volume differs"
rm -f "$OUTDIR/tgtx-restore-bench.img" "$OUTDIR/tgtx-restore-bench.img.tgtx-recover"
area=$((NB * 4608))
awk -v a="$area" -v v="$((NB * 4096))" -v t0="$t0" -v t1="$t1" -v raw="$slow" \
	'BEGIN {
		s = t1 - t0; r = a / s / 1e6;
		printf "restore: %d MiB volume in %.2f s (whole command): %.1f MB/s of volume, %.1f MB/s from each of the 2 peers used\n", v / 1048576, s, v / s / 1e6, r;
		printf "raw sequential read of the slowest peer LUN: %.1f MB/s\n", raw;
		printf "restore / raw = %.2f (target >= 0.80)\n", r / raw;
	}'
# on loopback the peers and the tool share this host's CPUs: the same k
# LUNs read at once, raw, is the like-for-like ceiling
used=$(sed -n 's/^using shares \([0-9,]*\) .*/\1/p' "$D/restore.txt")
pids=()
for i in ${used//,/ }; do
	{ timeout -s INT 10 iscsi-perf -b 2048 -m 8 "${urls[$i]}" >"$D/perf$i" 2>&1 || true; } &
	pids+=($!)
done
wait "${pids[@]}"
cslow=""
for i in ${used//,/ }; do
	r=$(tr '\r' '\n' <"$D/perf$i" | sed -n 's/.*iops average [0-9]* (\([0-9]*\) MB\/s).*/\1/p' |
		tail -1 | awk '{ printf "%.1f", $1 * 1.048576 }')
	log "raw sequential read of peer LUN $i while the other used one is read too: ${r:-?} MB/s"
	if [ -n "$r" ] && { [ -z "$cslow" ] || awk "BEGIN{exit !($r < $cslow)}"; }; then
		cslow=$r
	fi
done
# the rebuild alone (after connect, journal scan and the 8 MB speed test)
secs=$(sed -n 's/^restored [0-9]* blocks in \([0-9.]*\) s.*/\1/p' "$D/restore.txt")
awk -v a="$area" -v s="$secs" -v raw="$slow" 'BEGIN {
	printf "rebuild phase: %.2f s, %.1f MB/s from each peer: %.2f x raw\n", s, a / s / 1e6, a / s / 1e6 / raw }'
[ -n "$cslow" ] && awk -v a="$area" -v s="$secs" -v raw="$cslow" 'BEGIN {
	printf "the used LUNs read at once, raw: slowest %.1f MB/s; rebuild phase = %.2f x that\n", raw, a / s / 1e6 / raw }'

# check on a big sparse volume
CNB=$((GB << 18))
CLUN=$(((CNB * 4608 + (66 << 20)) / 1048576 * 1048576))
curls=()
for i in 0 1 2; do
	start_tgtxd "c$i"
	rm -f "$D/s$i.img"
	truncate -s "$CLUN" "$D/c$i.img"
	tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:c$i"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$D/c$i.img"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
	curls+=("iscsi://127.0.0.1:$PORT/$IQN:c$i/1")
done
"$SV" write --k 2 --n 3 --block-size 4096 --blocks "$CNB" --records 1000 \
	--seed 4 --journal $((64 << 20)) --checkpoint-every 100 \
	--checkpoint-max 500 --timeout 900 \
	--peer "${curls[0]}" --peer "${curls[1]}" --peer "${curls[2]}" \
	>"$D/write2.txt" 2>&1 || { cat "$D/write2.txt"; fail "write (check run)"; }
t0=$(date +%s.%N)
"$RC" check --share "${curls[0]}" --share "${curls[1]}" --share "${curls[2]}" \
	>"$D/check.txt" 2>&1 || { cat "$D/check.txt"; fail "check"; }
t1=$(date +%s.%N)
cat "$D/check.txt"
awk -v t0="$t0" -v t1="$t1" -v g="$GB" 'BEGIN {
	printf "check of a %d GiB volume (3 shares, journals of 500 records): %.2f s (target < 5 s)\n", g, t1 - t0 }'
