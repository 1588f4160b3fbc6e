#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Restore benchmark (issue 12): tgtx-recover restore from k=2 of n=3 share
# volumes on three tgtxd peers on loopback, beside the raw sequential read
# rate of the slowest of the peer LUNs the restore used: what the peer can
# deliver over the same transport, the best iscsi-perf rate of a few read
# patterns (RAW_PATTERNS, blocks-of-512:in-flight). The best, because one
# pattern alone misleads: iscsi-perf's 1 MiB x 8 (this bench's only
# pattern before) measured 98 MB/s where 1 MiB x 1 gave 950 (a tgtxd peer
# serves a session with several MiB of READ data outstanding far slower,
# and libiscsi grows its reassembly buffer by realloc per Data-In PDU);
# 256 KiB x 4 is what tgtx-recover asks by default.
# Each peer sends its share volume's whole data area (a slot per block: the
# volume's size plus slot headers), so the restore's rate per peer is
# compared with that raw rate; target >= 0.8x. The machine may be shared:
# RESTORE_REPS rounds interleave raw reads and restores, and the median and
# the spread are reported. Every round restores twice: into a file on a
# real file system (under the repository's build/: ext4 here; page cache,
# allocation and the final fsync included) and into /dev/shm (tmpfs: no
# device behind it), to show what the file system costs.
# Then `check` on a 10 GiB volume (sparse share LUNs): target < 5 s.
#
#   test/bench/run-restore-bench.sh [BUILD]        (default build/rel)
#   RESTORE_MB=256  volume size of the restore run
#   RESTORE_REPS=3  rounds (raw + restore to the file system + to /dev/shm)
#   RAW_SECS=4      length of each raw read
#   RAW_PATTERNS="2048:8 2048:1 512:4"  iscsi-perf -b:-m pairs tried
#   CHECK_GB=10     volume size of the check run (0: no check run)
#   TMPDIR_BENCH    directory of the file-system restores (default: a
#                   fresh one under build/, the repository's file system)
#   RESTORE_ARGS    more tgtx-recover options (e.g. "--depth 8")
#   RAW_CONC=512:4  pattern of the like-for-like raw read: the k used LUNs
#                   read at once, as the restore reads them (on loopback the
#                   peers, the reader and the tool share this host's CPUs)
#   TGTX_RECOVER    another tgtx-recover binary (e.g. an older build)
set -euo pipefail
BUILD=${1:-build/rel}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
export TGTX_BUILD=$BUILD TGTX_TEST_NAME=restore-bench
. test/system/lib.sh

SV=$B/test/tools/tgtx-sharevol
RC=${TGTX_RECOVER:-$B/tgtx-recover}
[ -x "$SV" ] && [ -x "$RC" ] || fail "no $SV or $RC (make all tools)"
command -v iscsi-perf >/dev/null || skip "iscsi-perf (libiscsi-bin) missing"
MB=${RESTORE_MB:-256}
GB=${CHECK_GB:-10}
REPS=${RESTORE_REPS:-3}
RAW_SECS=${RAW_SECS:-4}
RAW_PATTERNS=${RAW_PATTERNS:-2048:8 2048:1 512:4}
RAW_CONC=${RAW_CONC:-512:4}
NB=$((MB << 8)) # 4096-byte blocks
D=$TGTX_TEST_DIR
IQN=iqn.2026-11.org.tgtx:bench
# the share LUN: 1 MiB header + journal (64 MiB), 4608-byte slots
LUNSZ=$(((NB * 4608 + (66 << 20)) / 1048576 * 1048576))
AREA=$((NB * 4608)) # what each peer sends
# the file system that holds the repository (a real one, not tmpfs)
if [ -z "${TMPDIR_BENCH:-}" ]; then
	mkdir -p "$top/build"
	FSDIR=$(mktemp -d "$top/build/restore-bench.XXXXXX")
	cleanup_path "$FSDIR"
else
	FSDIR=$TMPDIR_BENCH
fi
SHMDIR=/dev/shm
[ -d "$SHMDIR" ] || SHMDIR=""
fstype() { df --output=fstype "$1" 2>/dev/null | tail -1 || echo "?"; }

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
if [ -n "${BENCH_HOLD:-}" ]; then
	# keep the peers up for profiling: the share URLs go to BENCH_HOLD
	printf '%s\n' "${urls[@]}" >"$BENCH_HOLD"
	echo "$D/vol.img" >>"$BENCH_HOLD"
	log "holding the peers (URLs in $BENCH_HOLD) until it is removed"
	while [ -e "$BENCH_HOLD" ]; do sleep 1; done
	exit 0
fi

# A LUN read sequentially for RAW_SECS with one pattern (iscsi-perf wraps
# around at the end and runs until interrupted); its "MB" are MiB.
raw_one() {
	{ timeout -s INT "$RAW_SECS" iscsi-perf -b "$2" -m "$3" "$1" 2>&1 ||
		true; } |
		tr '\r' '\n' |
		sed -n 's/.*iops average [0-9]* (\([0-9]*\) MB\/s).*/\1/p' |
		tail -1 | awk '{ printf "%.1f", $1 * 1.048576 }'
}
# The best of RAW_PATTERNS; each pattern's rate goes to $D/rawlog.
raw_read() {
	local best="" p r

	for p in $RAW_PATTERNS; do
		r=$(raw_one "$1" "${p%%:*}" "${p##*:}")
		echo "$1 $p ${r:-?}" >>"$D/rawlog"
		[ -n "$r" ] || continue
		if [ -z "$best" ] || awk "BEGIN{exit !($r > $best)}"; then
			best=$r
		fi
	done
	echo "$best"
}

# One restore into DIR: "WHOLE_S REBUILD_S SHARES" (seconds of the whole
# command and of the rebuild phase, the shares used).
restore_into() {
	local out=$1/tgtx-restore-bench.img t0 t1 secs used

	rm -f "$out" "$out.tgtx-recover"
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	"$RC" restore --share "${urls[0]}" --share "${urls[1]}" \
		--share "${urls[2]}" --progress plain ${RESTORE_ARGS:-} \
		--to "$out" >"$D/restore.txt" 2>&1 ||
		{ cat "$D/restore.txt"; fail "restore into $1"; }
	t1=$(date +%s.%N)
	cmp "$out" "$D/vol.img" || fail "restored volume differs ($1)"
	rm -f "$out" "$out.tgtx-recover"
	secs=$(sed -n 's/^restored [0-9]* blocks in \([0-9.]*\) s.*/\1/p' "$D/restore.txt")
	used=$(sed -n 's/^using shares \([0-9,]*\) .*/\1/p' "$D/restore.txt")
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') ${secs:-0} $used"
}

rate() { awk -v a="$AREA" -v s="$1" 'BEGIN { printf "%.1f", (s > 0 ? a / s / 1e6 : 0) }'; }
ratio() { awk -v r="$1" -v raw="$2" 'BEGIN { printf "%.2f", (raw > 0 ? r / raw : 0) }'; }

: >"$D/rounds"
targets="fs"
[ -n "$SHMDIR" ] && targets="fs shm"
log "restore target: $FSDIR ($(fstype "$FSDIR"))${SHMDIR:+ and $SHMDIR ($(fstype "$SHMDIR"))}"
for r in $(seq 1 "$REPS"); do
	raws=()
	for i in 0 1 2; do
		raws[i]=$(raw_read "${urls[$i]}")
		[ -n "${raws[i]}" ] || fail "iscsi-perf gave no rate (LUN $i)"
	done
	for tg in $targets; do
		dir=$FSDIR
		[ "$tg" = shm ] && dir=$SHMDIR
		read -r whole reb used < <(restore_into "$dir")
		slow=""
		for i in ${used//,/ }; do
			if [ -z "$slow" ] || awk "BEGIN{exit !(${raws[i]} < $slow)}"; then
				slow=${raws[i]}
			fi
		done
		rw=$(rate "$whole")
		rr=$(rate "$reb")
		echo "$tg $slow $rw $rr $(ratio "$rw" "$slow") $(ratio "$rr" "$slow")" >>"$D/rounds"
		lastused=$used
		printf '# round %d %-3s raw LUNs %s/%s/%s MB/s, slowest used (%s): %s; restore %.2f s whole = %s MB/s per peer (%.2fx), rebuild %.2f s = %s MB/s (%.2fx)\n' \
			"$r" "$tg" "${raws[0]}" "${raws[1]}" "${raws[2]}" "$used" "$slow" \
			"$whole" "$rw" "$(ratio "$rw" "$slow")" "$reb" "$rr" "$(ratio "$rr" "$slow")"
	done
	# like for like: the used LUNs read at once
	pids=()
	for i in ${lastused//,/ }; do
		raw_one "${urls[$i]}" "${RAW_CONC%%:*}" "${RAW_CONC##*:}" >"$D/conc$i" &
		pids+=($!)
	done
	wait "${pids[@]}" # not lib.sh's watchdog
	conc=""
	for i in ${lastused//,/ }; do
		c=$(cat "$D/conc$i")
		[ -n "$c" ] || continue
		if [ -z "$conc" ] || awk "BEGIN{exit !($c < $conc)}"; then
			conc=$c
		fi
	done
	echo "${conc:-0}" >>"$D/conc"
	log "round $r: the used LUNs ($lastused) read at once ($RAW_CONC): slowest ${conc:-?} MB/s"
done

# median and spread per target
summary() {
	local tg=$1 name=$2

	awk -v tg="$tg" -v name="$name" -v n="$REPS" -v mb="$MB" '
	function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$1 == tg { c++; raw[c] = $2; rw[c] = $3; rr[c] = $4; xw[c] = $5; xr[c] = $6 }
	END {
		if (!c) exit;
		mraw = med(raw, c); mrw = med(rw, c); mrr = med(rr, c);
		lo = xw[1]; hi = xw[1]; lor = xr[1]; hir = xr[1];
		for (i = 1; i <= c; i++) {
			if (xw[i] < lo) lo = xw[i]; if (xw[i] > hi) hi = xw[i];
			if (xr[i] < lor) lor = xr[i]; if (xr[i] > hir) hir = xr[i];
		}
		mxw = med(xw, c); mxr = med(xr, c);
		printf "%s: %d MiB volume, %d rounds: raw slowest used LUN median %.1f MB/s; restore per peer median %.1f MB/s whole command, %.1f MB/s rebuild phase\n", name, mb, c, mraw, mrw, mrr;
		printf "%s: restore / raw = %.2f whole command (%.2f..%.2f), %.2f rebuild phase (%.2f..%.2f): target >= 0.80 %s\n", name, mxw, lo, hi, mxr, lor, hir, (mxw >= 0.8 ? "MET" : "NOT MET");
	}' "$D/rounds"
}
for p in $RAW_PATTERNS; do
	awk -v p="$p" '$2 == p && $3 != "?" { print $3 }' "$D/rawlog" | sort -n |
		awk -v p="$p" '{ a[NR] = $1 } END { if (NR)
		printf "raw pattern %s (iscsi-perf -b:-m), every LUN and round: median %.1f MB/s (%.1f..%.1f)\n",
			p, (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[1], a[NR] }'
done
sort -n "$D/conc" | awk '{ a[NR] = $1 } END { if (NR)
	printf "the used LUNs read at once (like for like), slowest: median %.1f MB/s (%.1f..%.1f)\n",
		(NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[1], a[NR] }'
summary fs "restore to $(fstype "$FSDIR") ($FSDIR)"
[ -n "$SHMDIR" ] && summary shm "restore to $(fstype "$SHMDIR") ($SHMDIR)"

[ "$GB" -gt 0 ] || exit 0
# check on a big volume: sparse share LUNs (truncate), journals of 500
# records; check reads superblocks, journals and a short measured read
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
	s = t1 - t0;
	printf "check of a %d GiB volume (3 sparse share LUNs, journals of 500 records): %.2f s: target < 5 s %s\n", g, s, (s < 5 ? "MET" : "NOT MET") }'
