#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Replication benchmark (issue 11): an xorshare LUN (k=2, n=3) replicated
# by tgtx-replicd to 3 tgtxd peers on loopback (plain rdwr LUNs,
# transport=plain), all files on the file system that holds the repository
# (not tmpfs). Per workload, the same tgtx-load run against the LUN with
# the replicator stopped and with it running (alternating, BENCH_REPEAT
# times); while it runs with the replicator, every 0.5 s: each peer's
# acked seq against the log's durable seq (lag in records) and its rpo
# (lag in seconds), from `tgtxadm --op show`. Reported:
#   - the LUN's write rate (and p99 latency) without and with the replicator
#   - replicated MB/s: bytes tgtx-replicd wrote to its sockets (wchar of
#     /proc/PID/io, all three peers together) from the start of the run to
#     the end of the drain, per second of that time
#   - lag: the largest records/seconds behind over the run, and the drain
#     time after the run until every peer is in-sync again
#   - tgtx-replicd CPU (utime+stime of /proc/PID/stat) per replicated MB
#
#   test/bench/run-replicd-bench.sh [BUILD]      (default build/rel)
#
# Environment: BENCH_SECONDS (default 10), BENCH_REPLICD_VOL (volume size,
# default 512M), BENCH_REPLICD_WORKLOADS (default "seqwrite randwrite"),
# BENCH_REPEAT (default 1), BENCH_REPLICD_DIR (default a fresh directory
# under BUILD).
set -euo pipefail

# shellcheck source=test/bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"
# shellcheck source=test/system/replicd_lib.sh
. test/system/replicd_lib.sh

SECS=${BENCH_SECONDS:-10}
VOLSZ=${BENCH_REPLICD_VOL:-512M}
WORKLOADS=${BENCH_REPLICD_WORKLOADS:-seqwrite randwrite}
REPEAT=${BENCH_REPEAT:-1}
CLK_TCK=$(getconf CLK_TCK)
[ -x "$REPLICD" ] || fail "no $REPLICD: make BUILD=$BUILD all"
mkdir -p "$top/build"
DIR=${BENCH_REPLICD_DIR:-$(mktemp -d "$top/build/bench-replicd.XXXXXX")}
mkdir -p "$DIR"
cleanup_path "$DIR"
RD_WORK=$DIR
RD_REPLICD_LOG=$DIR/replicd.log
RD_STATE=$DIR/replicd-state
dev=$(findmnt -no SOURCE -T "$DIR")
vol_bytes=$(numfmt --from=iec "$VOLSZ")
peer_size=$((vol_bytes * 5 / 2 + (64 << 20)))
echo "replication benchmark: files in $DIR on $dev" \
	"($(findmnt -no FSTYPE -T "$DIR")), volume $VOLSZ, k=2 n=3, 3 tgtxd" \
	"peers on loopback, ${SECS} s per run, load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"

RD_LOG_SIZE=${BENCH_REPLICD_LOG_SIZE:-4G}
rd_primary 2 3 "$VOLSZ" "throttle=off"
for i in 0 1 2; do
	rd_peer_tgtxd "$i" "$peer_size"
done
rd_set_peers "transport=plain"
t0=$SECONDS
rd_start_replicd
wait_until 900 rd_all_in_sync || fail "no initial sync: $(rd_show)"
echo "initial sync of $VOLSZ to 3 peers: $((SECONDS - t0)) s"

cpu_ticks() {
	local f

	read -ra f <<<"$(sed 's/^.*) //' "/proc/$1/stat")"
	echo $((f[11] + f[12]))
}

wchar() {
	awk '$1 == "wchar:" { print $2 }' "/proc/$1/io"
}

# sampler OUT: every 0.5 s "secs lag_records lag_seconds" (worst peer)
sampler() {
	local out=$1 t0=$EPOCHREALTIME

	while :; do
		rd_show | awk -v t0="$t0" -v now="$EPOCHREALTIME" '
			/durable=/ { match($0, /durable=[0-9]+/)
				d = substr($0, RSTART + 8, RLENGTH - 8) }
			/Peer [0-9]+: state=/ {
				match($0, /acked_seq=[0-9]+/)
				a = substr($0, RSTART + 10, RLENGTH - 10)
				match($0, /rpo=[0-9.]+/)
				r = substr($0, RSTART + 4, RLENGTH - 4)
				if (d - a > lr) lr = d - a
				if (r + 0 > ls) ls = r + 0 }
			END { printf "%.1f %d %.1f\n", now - t0, lr, ls }' \
			>>"$out"
		sleep 0.5
	done
}

declare -A RES P99 REPL LAGR LAGS DRAIN CPUMB
# run_one WORKLOAD MODE(off|on) REP
run_one() {
	local w=$1 mode=$2 r=$3 out c0 c1 b0 b1 spid t_end val

	if [ "$mode" = on ]; then
		rd_start_replicd
		wait_until 300 rd_all_in_sync || fail "no sync before the run"
		: >"$DIR/samples"
		sampler "$DIR/samples" &
		spid=$!
		c0=$(cpu_ticks "$RD_REPLICD_PID")
		b0=$(wchar "$RD_REPLICD_PID")
	fi
	# shellcheck disable=SC2086
	out=$("$LOAD" --url "$RD_PRI_URL" ${W_ARGS[$w]} --seconds "$SECS" \
		--seed "$RANDOM" 2>&1 | grep '^iops=') ||
		fail "$w ($mode): tgtx-load failed: $out"
	val=$(sed -n 's/.*mbps=\([0-9.]*\).*/\1/p' <<<"$out")
	RES[$w,$mode,$r]=$val
	P99[$w,$mode,$r]=$(sed -n 's/.*lat_p99_us=\([0-9]*\).*/\1/p' <<<"$out")
	if [ "$mode" = on ]; then
		t_end=$SECONDS
		wait_until 600 rd_all_in_sync || fail "no sync after the run"
		DRAIN[$w,$r]=$((SECONDS - t_end))
		c1=$(cpu_ticks "$RD_REPLICD_PID")
		b1=$(wchar "$RD_REPLICD_PID")
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		# everything the run wrote, sent during the run and the drain
		REPL[$w,$r]=$(awk -v b=$((b1 - b0)) -v s="$SECS" \
			-v d="${DRAIN[$w,$r]}" \
			'BEGIN { printf "%.1f", b / (s + d) / 1e6 }')
		CPUMB[$w,$r]=$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" \
			-v b=$((b1 - b0)) 'BEGIN { if (b > 0)
				printf "%.1f", c / hz * 1000 / (b / 1e6);
				else print "-" }')
		LAGR[$w,$r]=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$DIR/samples")
		LAGS[$w,$r]=$(awk '$3 > m { m = $3 } END { print m + 0 }' "$DIR/samples")
		echo "  lag samples (s since start, worst peer's records behind, rpo s):"
		awk '{ printf "    %s\n", $0 }' "$DIR/samples" | head -n 60
		rd_stop_replicd
	fi
	echo "  $w replicator $mode #$r: $out${REPL[$w,$r]:+ replicated_mbps=${REPL[$w,$r]}}"
}

# A benchmark reports a slow stop instead of ending on it (the tests fail
# on it: rd_stop_replicd in test/system/replicd_lib.sh).
rd_stop_replicd() {
	local t0=$SECONDS

	[ -n "$RD_REPLICD_PID" ] || return 0
	kill -TERM "$RD_REPLICD_PID" 2>/dev/null || true
	wait_until 60 bash -c "! kill -0 $RD_REPLICD_PID 2>/dev/null" ||
		fail "tgtx-replicd still running 60 s after SIGTERM"
	[ $((SECONDS - t0)) -lt 15 ] ||
		echo "WARNING: tgtx-replicd took $((SECONDS - t0)) s to stop on SIGTERM"
	wait "$RD_REPLICD_PID" 2>/dev/null || true
	RD_REPLICD_PID=""
}

rd_stop_replicd
for w in $WORKLOADS; do
	echo "${W_LABEL[$w]}:"
	for r in $(seq 1 "$REPEAT"); do
		run_one "$w" off "$r"
		run_one "$w" on "$r"
	done
done

echo
echo "Replication results ($dev; ${SECS} s per run; MB/s = 10^6 bytes/s;"
echo "replicated = bytes tgtx-replicd sent to the 3 peers per second, run +"
echo "drain; lag = worst peer behind the durable seq, largest sample; drain = s"
echo "after the run until all in-sync; CPU = tgtx-replicd ms per replicated MB,"
echo "run + drain)"
echo
echo "| workload | LUN MB/s without | with replicator | ratio | p99 us without/with | replicated MB/s | max lag records | max lag s | drain s | CPU ms/MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for w in $WORKLOADS; do
	for r in $(seq 1 "$REPEAT"); do
		ratio=$(awk -v a="${RES[$w,on,$r]}" -v b="${RES[$w,off,$r]}" \
			'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
		echo "| ${W_LABEL[$w]} | ${RES[$w,off,$r]} | ${RES[$w,on,$r]} |" \
			"$ratio | ${P99[$w,off,$r]}/${P99[$w,on,$r]} |" \
			"${REPL[$w,$r]} | ${LAGR[$w,$r]} | ${LAGS[$w,$r]} |" \
			"${DRAIN[$w,$r]} | ${CPUMB[$w,$r]} |"
	done
done
echo
pass "replication benchmark complete"
