#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmarks tgtxd against stock tgtd on loopback. Run by `make bench`:
#
#   test/bench/run-bench.sh [BUILD]          (default build/rel)
#
# Each target gets a 1 GiB LUN file on /dev/shm (pre-filled with random
# data, backing store rdwr), both daemons run side by side on random
# 127.0.0.1 ports, and every workload below runs for BENCH_SECONDS (default
# 10) per target with test/tools/tgtx-load, alternating targets so that
# background noise hits both alike. Target CPU time per I/O comes from
# utime+stime of /proc/PID/stat (all threads).
#
# Environment:
#   BENCH_SECONDS      seconds per workload and target (default 10)
#   BENCH_WORKLOADS    subset, e.g. "seqread randread" (default all four)
#   BENCH_ISCSI_PERF   1 = also run libiscsi's iscsi-perf on stock tgt
#                      (read workloads only; default 1)
#   BENCH_NO_TGT       1 = skip stock tgtd
#   BENCH_LUN_SIZE     LUN size (default 1G)
#   BENCH_DISK         0 = skip the disk column (test/bench/run-disk-bench.sh:
#                      rdwr and xorshare LUNs on the repository's own file
#                      system, latency percentiles, disk bytes per client
#                      byte; default 1)
#   BENCH_REPLICD      0 = skip the replication benchmark
#                      (test/bench/run-replicd-bench.sh: tgtx-replicd to 3
#                      tgtxd peers, LUN write rate with and without it, lag,
#                      CPU per replicated MB; default 1)
#
# More rows: any test/bench/extra-*.sh is sourced after the two main targets
# are set up; it can start daemons with the test/system/lib.sh helpers and
# call `bench_register NAME URL PID` (e.g. an xorshare LUN on $TGTX_PID,
# which is empty when there is no tgtxd).
set -euo pipefail
# shellcheck disable=SC2153 # TGTXD_PID, TGT_PORT... are set by lib.sh

# shellcheck source=test/bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

SECS=${BENCH_SECONDS:-10}
LUN_SIZE=${BENCH_LUN_SIZE:-1G}
WORKLOADS=${BENCH_WORKLOADS:-seqread seqwrite randread randwrite}
IQN_X=iqn.2026-11.org.tgtx:bench
IQN_T=iqn.2026-11.org.tgtx:bench-stock
CLK_TCK=$(getconf CLK_TCK)

# unit of each workload's headline number
declare -A W_UNIT=([seqread]=MB/s [seqwrite]=MB/s [randread]=IOPS
	[randwrite]=IOPS)

BENCH_NAMES=()
declare -A BENCH_URL BENCH_PID RESULT CPU
BENCH_ERRORS=0
BASELINE=""

# bench_register NAME URL PID: adds a target (row set) to the benchmark.
bench_register() {
	BENCH_NAMES+=("$1")
	BENCH_URL[$1]=$2
	BENCH_PID[$1]=$3
}

cpu_ticks() {
	# Fields after "(comm)": state is 1st, utime 12th, stime 13th.
	local f

	read -ra f <<<"$(sed 's/^.*) //' "/proc/$1/stat")"
	echo $((f[11] + f[12]))
}

# bench_one NAME WORKLOAD: one tgtx-load run; fills RESULT and CPU.
bench_one() {
	local name=$1 w=$2 url=${BENCH_URL[$1]} pid=${BENCH_PID[$1]}
	local t0 t1 out rc=0 ios mbps iops

	t0=$(cpu_ticks "$pid")
	# shellcheck disable=SC2086 # W_ARGS holds several words on purpose
	out=$("$LOAD" --url "$url" ${W_ARGS[$w]} --seconds "$SECS" 2>&1) ||
		rc=$?
	t1=$(cpu_ticks "$pid")
	if [ "$rc" -ne 0 ]; then
		echo "  $name $w: FAILED (exit $rc): $out" >&2
		RESULT[$name,$w]=ERR
		CPU[$name,$w]=-
		BENCH_ERRORS=$((BENCH_ERRORS + 1))
		return 0
	fi
	out=$(grep '^iops=' <<<"$out")
	ios=$(sed -n 's/.* ios=\([0-9]*\).*/\1/p' <<<"$out")
	mbps=$(sed -n 's/.*mbps=\([0-9.]*\).*/\1/p' <<<"$out")
	iops=$(sed -n 's/^iops=\([0-9]*\).*/\1/p' <<<"$out")
	if [ "${W_UNIT[$w]}" = MB/s ]; then
		RESULT[$name,$w]=$mbps
	else
		RESULT[$name,$w]=$iops
	fi
	CPU[$name,$w]=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$ios" \
		'BEGIN { if (n > 0) printf "%.1f", d * 1e6 / hz / n; else print "-" }')
	echo "  $name $w: $out cpu_us_per_io=${CPU[$name,$w]}"
}

# bench_target NAME URL PID: registers a target and runs every workload on
# it right away (for scripts that want rows one target at a time).
bench_target() {
	local w

	bench_register "$@"
	for w in $WORKLOADS; do
		bench_one "$1" "$w"
	done
}

# iscsi-perf keeps 32 reads in flight and prints a running average.
iscsi_perf_row() {
	local url=$1 w=$2 args out iops

	case $w in
	seqread) args="-m 32 -b 2048" ;;
	randread) args="-m 32 -b 8 -r" ;;
	*) return 0 ;;
	esac
	# shellcheck disable=SC2086
	out=$(timeout -s INT "$((SECS + 1))" iscsi-perf $args "$url" 2>&1 |
		tr '\r' '\n' | grep -o 'iops average [0-9]*' | tail -n 1) || true
	iops=${out##* }
	[ -n "$iops" ] || return 0
	if [ "$w" = seqread ]; then
		# -b 2048 blocks of 512 bytes: 1 MiB per read
		RESULT[iscsi-perf@tgt,$w]=$(awk -v i="$iops" 'BEGIN { printf "%.1f", i * 1048576 / 1e6 }')
	else
		RESULT[iscsi-perf@tgt,$w]=$iops
	fi
	CPU[iscsi-perf@tgt,$w]=-
	echo "  iscsi-perf on tgt $w: iops=$iops"
}

make_lun_file() {
	local path=$1

	if [ -n "${LUN_TEMPLATE:-}" ]; then
		cp "$LUN_TEMPLATE" "$path"
	else
		# Random data, so reads return real blocks, not tmpfs holes.
		head -c "$LUN_SIZE" /dev/urandom >"$path"
		LUN_TEMPLATE=$path
	fi
}

print_table() {
	local name w base cur ratio

	echo
	echo "Results (${SECS} s per run; MB/s = 10^6 bytes/s; CPU = target" \
		"utime+stime per I/O)"
	echo
	# "vs rdwr": other tgtxd LUN types against tgtxd's own rdwr LUN
	printf '| %-22s | %-22s | %10s | %10s | %6s | %7s | %10s | %10s |\n' \
		workload target result "stock tgt" ratio "vs rdwr" \
		"CPU us/IO" "tgt us/IO"
	printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..24})" \
		"$(printf -- '-%.0s' {1..24})" "$(printf -- '-%.0s' {1..12})" \
		"$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..8})" \
		"$(printf -- '-%.0s' {1..9})" \
		"$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..12})"
	for name in "${BENCH_NAMES[@]}" iscsi-perf@tgt; do
		[ "$name" != "$BASELINE" ] || [ ${#BENCH_NAMES[@]} -eq 1 ] ||
			continue
		for w in $WORKLOADS; do
			cur=${RESULT[$name,$w]:-}
			[ -n "$cur" ] || continue
			base=${RESULT[$BASELINE,$w]:--}
			[ -n "$BASELINE" ] || base=-
			ratio=$(awk -v a="$cur" -v b="$base" 'BEGIN {
				if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b;
				else print "-" }')
			vs=-
			case $name in
			"tgtxd "*)
				vs=$(awk -v a="$cur" -v b="${RESULT[tgtxd,$w]:-}" \
					'BEGIN { if (a + 0 > 0 && b + 0 > 0)
						printf "%.2f", a / b; else print "-" }')
				;;
			esac
			printf '| %-22s | %-22s | %10s | %10s | %6s | %7s | %10s | %10s |\n' \
				"${W_LABEL[$w]}" "$name (${W_UNIT[$w]})" "$cur" \
				"$base" "$ratio" "$vs" "${CPU[$name,$w]:--}" \
				"${CPU[$BASELINE,$w]:--}"
		done
	done
	echo
}

for w in $WORKLOADS; do
	[ -n "${W_ARGS[$w]:-}" ] || fail "unknown workload '$w'"
done
[ -x "$LOAD" ] || fail "no $LOAD: run 'make BUILD=$BUILD tools' first"

echo "tgtx benchmark: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' \
	/proc/cpuinfo | head -n 1)), kernel $(uname -r)," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "initiator (tgtx-load) and targets share this machine"

TGTX_PID=""
TGTX_PORT=""
SHM=$(mktemp -d /dev/shm/tgtx-bench.XXXXXX)
cleanup_path "$SHM"

# A configuration error on one target should not hide the other's numbers.
setup_tgtxd() {
	tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN_X" &&
		tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 \
			--lun 1 -b "$SHM/tgtx.img" \
			--bstype "${BENCH_TGTX_BSTYPE:-rdwr}" &&
		tgtxadm_ctl --lld iscsi --op bind --mode target --tid 1 -I ALL
}

if [ -x "$B/tgtxd" ] && [ -x "$TGTXADM" ]; then
	make_lun_file "$SHM/tgtx.img"
	start_tgtxd tgtx
	TGTX_PID=$TGTXD_PID
	TGTX_PORT=$PORT
	if setup_tgtxd; then
		bench_register tgtxd "$(lun_url "$IQN_X" 1 "$TGTX_PORT")" \
			"$TGTX_PID"
	else
		echo "ERROR: could not configure tgtxd (log: $TGTXD_LOG)" >&2
		BENCH_ERRORS=$((BENCH_ERRORS + 1))
	fi
else
	echo "NOTE: no $B/tgtxd yet: measuring stock tgt only"
fi

if [ "${BENCH_NO_TGT:-0}" != 1 ] && command -v tgtd >/dev/null; then
	make_lun_file "$SHM/tgt.img"
	start_stock_tgtd tgt
	stock_tgtadm --lld iscsi --op new --mode target --tid 1 -T "$IQN_T"
	stock_tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
		-b "$SHM/tgt.img" --bstype rdwr
	stock_tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
	bench_register tgt "$(lun_url "$IQN_T" 1 "$TGT_PORT")" "$TGT_PID"
	BASELINE=tgt
fi

for extra in test/bench/extra-*.sh; do
	[ -f "$extra" ] || continue
	echo "# sourcing $extra"
	# shellcheck disable=SC1090
	. "$extra"
done

[ ${#BENCH_NAMES[@]} -gt 0 ] || fail "nothing to benchmark"

for w in $WORKLOADS; do
	echo "${W_LABEL[$w]}:"
	for name in "${BENCH_NAMES[@]}"; do
		bench_one "$name" "$w"
	done
	if [ "$BASELINE" = tgt ] && [ "${BENCH_ISCSI_PERF:-1}" = 1 ] &&
		command -v iscsi-perf >/dev/null; then
		iscsi_perf_row "${BENCH_URL[tgt]}" "$w"
	fi
done

print_table

if [ -x "$B/tgtx-xorshare" ]; then
	echo "xorshare codec ($B/tgtx-xorshare bench):"
	"$B/tgtx-xorshare" bench || {
		echo "tgtx-xorshare bench failed" >&2
		BENCH_ERRORS=$((BENCH_ERRORS + 1))
	}
	echo
fi

if [ "${BENCH_DISK:-1}" != 0 ]; then
	test/bench/run-disk-bench.sh "$BUILD" || {
		echo "disk benchmark failed" >&2
		BENCH_ERRORS=$((BENCH_ERRORS + 1))
	}
fi

if [ "${BENCH_REPLICD:-1}" != 0 ]; then
	test/bench/run-replicd-bench.sh "$BUILD" || {
		echo "replication benchmark failed" >&2
		BENCH_ERRORS=$((BENCH_ERRORS + 1))
	}
fi

[ "$BENCH_ERRORS" -eq 0 ] || fail "$BENCH_ERRORS benchmark run(s) failed"
pass "benchmark complete"
