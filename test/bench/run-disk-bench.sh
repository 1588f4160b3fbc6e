#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The disk column of `make bench`: an rdwr LUN and an xorshare LUN (k=2,
# n=3) in the same tgtxd, LUN files and share log on the file system that
# holds the repository (not tmpfs), the same workloads against both, one
# target after the other. Per run it reports throughput, average/p50/p99
# latency (tgtx-load) and the bytes the disk wrote per byte the client wrote
# (/proc/diskstats of the device under the repository, counted over the run
# and a `sync` right after it, so the run's write-back is included; and, not
# counting other processes, write_bytes of tgtxd's /proc/PID/io).
#
#   test/bench/run-disk-bench.sh [BUILD]      (default build/rel)
#
# Environment: BENCH_SECONDS (default 8), BENCH_DISK_LUN_SIZE (default 1G),
# BENCH_DISK_DIR (default a fresh directory under BUILD), BENCH_DISK_REPEAT
# (runs per workload and target, default 1). Other processes writing to the
# same disk add to the byte counts: the machine is shared, read the figures
# as upper bounds.
set -euo pipefail

# shellcheck source=test/bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

SECS=${BENCH_SECONDS:-8}
SIZE=${BENCH_DISK_LUN_SIZE:-1G}
REPEAT=${BENCH_DISK_REPEAT:-1}
WORKLOADS=${BENCH_DISK_WORKLOADS:-seqwrite randwrite randwrite1 seqread randread}
W_ARGS[randwrite1]="--bs 4K --qd 1 --pattern rand --rw write"
W_LABEL[randwrite1]="4 KiB rand write QD1"
declare -A W_BS=([seqread]=1048576 [seqwrite]=1048576 [randread]=4096
	[randwrite]=4096 [randwrite1]=4096)

dev=$(findmnt -no SOURCE -T "$top")
devname=$(basename "$(readlink -f "$dev")")
grep -q " $devname " /proc/diskstats ||
	fail "no /proc/diskstats entry for $dev (under $top)"
mkdir -p "$top/build"
DIR=${BENCH_DISK_DIR:-$(mktemp -d "$top/build/bench-disk.XXXXXX")}
mkdir -p "$DIR"
cleanup_path "$DIR"
echo "disk benchmark: files in $DIR on $dev ($(findmnt -no FSTYPE -T "$top")," \
	"/proc/diskstats: $devname), ${SECS} s per run, load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"

# Bytes tgtxd caused to be written (its own writeback, not other processes').
proc_write_bytes() {
	awk '$1 == "write_bytes:" { print $2 }' "/proc/$TGTXD_PID/io"
}

sectors_written() {
	awk -v d="$devname" '$3 == d { print $10 }' /proc/diskstats
}

# A pre-filled volume, so that reads return real blocks.
head -c "$SIZE" /dev/urandom >"$DIR/rdwr.img"
cp "$DIR/rdwr.img" "$DIR/xs.img"
sync

start_tgtxd disk
tgtxadm_ctl --op new --mode target --tid 1 -T iqn.2026-11.org.tgtx:disk-rdwr
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$DIR/rdwr.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
tgtxadm_ctl --op new --mode target --tid 2 -T iqn.2026-11.org.tgtx:disk-xs
tgtxadm_ctl --op new --mode logicalunit --tid 2 --lun 1 -b "$DIR/xs.img" \
	--bstype xorshare --bsopts "k=2;n=3;log=$DIR/xs.log;log_size=${BENCH_DISK_LOG_SIZE:-4G}"
tgtxadm_ctl --op bind --mode target --tid 2 -I ALL
deadline=$((SECONDS + 300))
until tgtxadm_ctl --op show --mode target | grep -q "Baseline: complete"; do
	[ "$SECONDS" -lt "$deadline" ] || fail "xorshare baseline not done"
	sleep 0.5
done
sync
declare -A URL=(
	[rdwr]=$(lun_url iqn.2026-11.org.tgtx:disk-rdwr 1 "$PORT")
	[xorshare]=$(lun_url iqn.2026-11.org.tgtx:disk-xs 1 "$PORT")
)
declare -A RES P50 P99 AVG DBYTES PBYTES

# run_one TARGET WORKLOAD REP
run_one() {
	local t=$1 w=$2 r=$3 out s0 s1 p0 p1 ios val bytes

	sync
	s0=$(sectors_written)
	p0=$(proc_write_bytes)
	# shellcheck disable=SC2086
	out=$("$LOAD" --url "${URL[$t]}" ${W_ARGS[$w]} --seconds "$SECS" \
		--seed "$RANDOM" 2>&1 | grep '^iops=') ||
		fail "$t $w: tgtx-load failed: $out"
	sync
	s1=$(sectors_written)
	p1=$(proc_write_bytes)
	ios=$(sed -n 's/.* ios=\([0-9]*\).*/\1/p' <<<"$out")
	case $w in
	seq*) val=$(sed -n 's/.*mbps=\([0-9.]*\).*/\1/p' <<<"$out") ;;
	*) val=$(sed -n 's/^iops=\([0-9]*\).*/\1/p' <<<"$out") ;;
	esac
	RES[$t,$w,$r]=$val
	AVG[$t,$w,$r]=$(sed -n 's/.*lat_avg_us=\([0-9]*\).*/\1/p' <<<"$out")
	P50[$t,$w,$r]=$(sed -n 's/.*lat_p50_us=\([0-9]*\).*/\1/p' <<<"$out")
	P99[$t,$w,$r]=$(sed -n 's/.*lat_p99_us=\([0-9]*\).*/\1/p' <<<"$out")
	bytes=$((ios * W_BS[$w]))
	case $w in
	*write*) DBYTES[$t,$w,$r]=$(awk -v s=$((s1 - s0)) -v b="$bytes" \
		'BEGIN { if (b > 0) printf "%.2f", s * 512 / b; else print "-" }') ;;
	*) DBYTES[$t,$w,$r]=- ;;
	esac
	PBYTES[$t,$w,$r]=$(awk -v p=$((p1 - p0)) -v b="$bytes" \
		'BEGIN { if (b > 0) printf "%.2f", p / b; else print "-" }')
	echo "  $t $w #$r: $out disk_bytes_per_client_byte=${DBYTES[$t,$w,$r]}" \
		"tgtxd_write_bytes_per_client_byte=${PBYTES[$t,$w,$r]}"
}

for w in $WORKLOADS; do
	echo "${W_LABEL[$w]}:"
	for r in $(seq 1 "$REPEAT"); do
		run_one rdwr "$w" "$r"
		run_one xorshare "$w" "$r"
	done
done
stop_tgtxd

echo
echo "Disk results ($dev; ${SECS} s per run; MB/s = 10^6 bytes/s; latency in us;"
echo "disk = bytes written to $devname per byte written by the client; tgtxd ="
echo "write_bytes of tgtxd's /proc/PID/io per client byte: its own share, other"
echo "processes' writes excluded)"
echo
echo "| workload | rdwr | xorshare | ratio | rdwr avg/p50/p99 | xorshare avg/p50/p99 | disk rdwr | disk xorshare | tgtxd rdwr | tgtxd xorshare |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for w in $WORKLOADS; do
	for r in $(seq 1 "$REPEAT"); do
		unit=IOPS
		case $w in seq*) unit=MB/s ;; esac
		ratio=$(awk -v a="${RES[xorshare,$w,$r]}" -v b="${RES[rdwr,$w,$r]}" \
			'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
		echo "| ${W_LABEL[$w]} | ${RES[rdwr,$w,$r]} $unit | ${RES[xorshare,$w,$r]} $unit | $ratio |" \
			"${AVG[rdwr,$w,$r]}/${P50[rdwr,$w,$r]}/${P99[rdwr,$w,$r]} |" \
			"${AVG[xorshare,$w,$r]}/${P50[xorshare,$w,$r]}/${P99[xorshare,$w,$r]} |" \
			"${DBYTES[rdwr,$w,$r]} | ${DBYTES[xorshare,$w,$r]} |" \
			"${PBYTES[rdwr,$w,$r]} | ${PBYTES[xorshare,$w,$r]} |"
	done
done
echo
pass "disk benchmark complete"
