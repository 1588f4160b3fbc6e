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
#   RESTORE_LOOPBACK=off  skip the loopback mode and the check run
#
# Link mode (after the loopback mode; needs root, ip and tc from iproute2):
# on loopback the peers, the raw reader and the tool share two vCPUs and
# the peers deliver 2+ GB/s, so the loopback ratio measures CPU sharing.
# Real partner sites sit behind WAN links: for each rate in RESTORE_LINK
# the whole set-up runs again inside a private network namespace made for
# it (`ip netns add`, only its own `lo`; nothing else is reachable), where
# each peer's traffic to the initiator (source port = the peer's portal)
# goes through its own htb class on lo's egress, i.e. its own rate-limited
# link; requests and the other direction are not shaped. Through the same
# links: the raw read of every peer LUN (iscsi-perf, RAW_LINK_PATTERNS),
# the restore into the file system and into /dev/shm (cmp), the ratio and
# MET / NOT MET. The kernel has no netem here: the links add no delay.
#   RESTORE_LINK="1gbit 2500mbit"  link rates, tc syntax (off: no link mode)
#   RESTORE_LINK_MB=1024  volume size of the link runs
#   RESTORE_LINK_REPS=3   rounds per link rate
#   RAW_LINK_PATTERNS="2048:1 512:4"  iscsi-perf -b:-m pairs in link mode
# The peers' LUN files are on /dev/shm in link mode (not in /tmp).
# Round trip (link mode, the rates in RESTORE_RTT_RATES): then each peer
# is reached through its own tgtx-delay-relay (test/tools), which holds
# every byte RTT/2 in each direction (no netem in this kernel), behind the
# peer's link; the raw reads go through the same relay and link. For each
# RTT (ms) the rounds above run again (raw, restores, the used LUNs at
# once), RESTORE_RTT_REPS of them.
#   RESTORE_RTT="0 10 30"   round trips in ms (off: none)
#   RESTORE_RTT_RATES=1gbit the link rates with the round-trip rounds
#   RESTORE_RTT_REPS=2      rounds per round trip
#   RAW_RTT_PATTERNS=2048:16  iscsi-perf -b:-m through a delay: 16 x 1 MiB
#                   in flight fill 1 Gbit/s up to ~130 ms (the raw read must
#                   fill the pipe to be the reference); also the pattern of
#                   the used LUNs read at once
# RESTORE_COMPARE=BINARY: every round also restores with that tgtx-recover
# (e.g. an older build; "fs-cmp"/"shm-cmp" lines), alternating the order.
# Both modes print the tool's CPU time (utime + stime of tgtx-recover) per
# GiB restored: its headroom.
set -euo pipefail
BUILD=${1:-build/rel}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
LINKS=${RESTORE_LINK-1gbit 2500mbit}
[ "$LINKS" = off ] && LINKS=""
LINK_RATE=${RESTORE_LINK_INNER:-} # set in the namespace (link mode)
if [ -z "$LINK_RATE" ] && [ -n "$LINKS" ]; then
	# fail before the loopback mode spends minutes
	msg="link mode (RESTORE_LINK=$LINKS; RESTORE_LINK=off skips it)"
	[ "$(id -u)" -eq 0 ] || { echo "FAIL: $msg needs root (ip netns, tc)" >&2; exit 1; }
	for t in ip tc; do
		command -v "$t" >/dev/null ||
			{ echo "FAIL: $msg needs $t (iproute2: scripts/install-deps.sh)" >&2; exit 1; }
	done
fi
export TGTX_BUILD=$BUILD TGTX_TEST_NAME=restore-bench${LINK_RATE:+-link}
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
LP="" # prefix of the summary lines: "link RATE: " in link mode
RTTS=${RESTORE_RTT-0 10 30}
[ "$RTTS" = off ] && RTTS=""
RELAY=$B/test/tools/tgtx-delay-relay
CMPRC=${RESTORE_COMPARE:-}
[ -z "$CMPRC" ] || [ -x "$CMPRC" ] || fail "RESTORE_COMPARE=$CMPRC: not executable"
if [ -n "$LINK_RATE" ]; then
	MB=${RESTORE_LINK_MB:-1024}
	REPS=${RESTORE_LINK_REPS:-3}
	RAW_PATTERNS=${RAW_LINK_PATTERNS:-2048:1 512:4}
	LP="link $LINK_RATE per peer: "
fi
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
# The peers' LUN files. Link mode: on tmpfs, so that their write-back
# (GBs just written) does not compete with the file-system restore for
# the disk, and a peer stops at once (tgtxd syncs its LUNs at exit).
LUNDIR=$D
if [ -n "$LINK_RATE" ] && [ -n "$SHMDIR" ]; then
	LUNDIR=$(mktemp -d "$SHMDIR/tgtx-restore-bench-luns.XXXXXX")
	cleanup_path "$LUNDIR"
fi
fstype() { df --output=fstype "$1" 2>/dev/null | tail -1 || echo "?"; }

# The outer run: the link mode, one namespace per rate, this script again
# inside it (RESTORE_LINK_INNER). The namespace goes at exit whatever
# happens; a watcher removes it if this script is SIGKILLed.
LINK_NS=""
LINK_WATCH=""
link_cleanup() {
	local i pids

	[ -n "$LINK_NS" ] || return 0
	# only processes of our namespace: the inner script and what it started
	mapfile -t pids < <(ip netns pids "$LINK_NS" 2>/dev/null)
	[ "${#pids[@]}" -eq 0 ] || kill -TERM "${pids[@]}" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		mapfile -t pids < <(ip netns pids "$LINK_NS" 2>/dev/null)
		[ "${#pids[@]}" -gt 0 ] || break
		sleep 0.1
	done
	[ "${#pids[@]}" -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
	ip netns del "$LINK_NS" 2>/dev/null ||
		echo "# could not delete network namespace $LINK_NS" >&2
	LINK_NS=""
	if [ -n "$LINK_WATCH" ]; then
		kill -KILL "$LINK_WATCH" 2>/dev/null || true
		wait "$LINK_WATCH" 2>/dev/null || true
		LINK_WATCH=""
	fi
}
if [ -z "$LINK_RATE" ]; then
	# shellcheck disable=SC2154 # rc_ is set by the trap itself
	trap 'rc_=$?; link_cleanup; set +e; (exit $rc_); stop_all' EXIT
fi
run_link_mode() {
	local rate=$1 pid rc=0 me=$$

	LINK_NS=tgtx-rb-$$-${rate//[^A-Za-z0-9]/}
	start_watchdog # lib.sh's: this script's own files if it is SIGKILLed
	ip netns add "$LINK_NS" || fail "ip netns add $LINK_NS"
	(
		# the inner script cleans up after itself on SIGTERM
		trap '' INT TERM HUP
		while kill -0 "$me" 2>/dev/null; do
			sleep 1
		done
		LINK_WATCH=""
		link_cleanup
	) </dev/null >/dev/null 2>&1 &
	LINK_WATCH=$!
	log "link mode: $rate per peer, namespace $LINK_NS"
	# in the background: a TERM to this script is handled at once
	ip netns exec "$LINK_NS" env RESTORE_LINK_INNER="$rate" \
		RESTORE_LINK_NS="$LINK_NS" "$0" "$BUILD" &
	pid=$!
	wait "$pid" || rc=$?
	link_cleanup
	[ "$rc" -eq 0 ] || fail "link mode $rate: exit $rc"
}

if [ -n "$LINK_RATE" ]; then
	# never shape a namespace this script did not make (the host's lo)
	[ "$(ip netns identify $$ 2>/dev/null)" = "${RESTORE_LINK_NS:-}" ] &&
		[ -n "${RESTORE_LINK_NS:-}" ] ||
		fail "RESTORE_LINK_INNER is for the namespace the link mode makes"
	ip link set lo up || fail "ip link set lo up (namespace $RESTORE_LINK_NS)"
	tc qdisc add dev lo root handle 1: htb ||
		fail "tc qdisc add dev lo root htb (sch_htb missing?)"
fi
# shape_peer I PORT: the traffic the peer on PORT sends (source port PORT)
# goes through class 1:1I, rate LINK_RATE; the burst lets lo's 64 KiB
# segments through at that rate, unclassified traffic is not shaped.
shape_peer() {
	local cls=1:$((10 + $1))

	tc class add dev lo parent 1: classid "$cls" htb rate "$LINK_RATE" \
		ceil "$LINK_RATE" burst 256k cburst 256k quantum 65536 ||
		fail "tc class add $cls rate $LINK_RATE"
	tc filter add dev lo parent 1: protocol ip prio 1 u32 \
		match ip sport "$2" 0xffff flowid "$cls" ||
		fail "tc filter add (sport $2 to $cls)"
}

# Three peers (shaped in link mode), the share volumes of an MB MiB volume
# written through them, the expected volume in $D/vol.img.
setup_peers() {
	local i

	urls=()
	ppids=()
	pports=()
	for i in 0 1 2; do
		start_tgtxd "p$i"
		ppids+=("$TGTXD_PID")
		pports+=("$PORT")
		[ -z "$LINK_RATE" ] || shape_peer "$i" "$PORT"
		truncate -s "$LUNSZ" "$LUNDIR/s$i.img"
		tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:p$i"
		tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$LUNDIR/s$i.img"
		tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
		urls+=("iscsi://127.0.0.1:$PORT/$IQN:p$i/1")
	done
	HIST=(--k 2 --n 3 --block-size 4096 --blocks "$NB" --records $((NB / 16))
		--seed 3 --journal $((64 << 20)) --timeout 900)
	log "${LP}writing the share volumes ($MB MiB volume, $((NB / 16)) records)"
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
}

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

# utime + stime of a process, in clock ticks, from /proc/PID/stat
proc_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null |
		awk '{ print $12 + $13 }' || echo 0
}
peers_ticks() {
	local p t=0

	for p in "${ppids[@]}"; do
		t=$((t + $(proc_ticks "$p")))
	done
	echo "$t"
}

# One restore into DIR; $D/res gets "WHOLE_S REBUILD_S SHARES CPU_S
# PEERS_CPU_S": seconds of the whole command and of the rebuild phase, the
# shares used, the tool's CPU seconds (utime + stime: bash's `times` of a
# subshell whose only child is the tool) and the three peers' CPU seconds.
restore_into() {
	local out=$1/tgtx-restore-bench.img t0 t1 secs used cpu p0 p1 rc=${2:-$RC}

	rm -f "$out" "$out.tgtx-recover"
	p0=$(peers_ticks)
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	(
		e=0
		"$rc" restore --share "${urls[0]}" --share "${urls[1]}" \
			--share "${urls[2]}" --progress plain ${RESTORE_ARGS:-} \
			--to "$out" >"$D/restore.txt" 2>&1 || e=$?
		times >"$D/times"
		exit "$e"
	) || { cat "$D/restore.txt"; fail "${LP}restore into $1 ($rc)"; }
	t1=$(date +%s.%N)
	p1=$(peers_ticks)
	cmp "$out" "$D/vol.img" || fail "${LP}restored volume differs ($1)"
	rm -f "$out" "$out.tgtx-recover"
	secs=$(sed -n 's/^restored [0-9]* blocks in \([0-9.]*\) s.*/\1/p' "$D/restore.txt")
	# the reads in flight the tool reached per peer (tools that say so)
	depth=$(sed -n 's/^reads in flight per peer, at most: //p' "$D/restore.txt")
	used=$(sed -n 's/^using shares \([0-9,]*\) .*/\1/p' "$D/restore.txt")
	# second line of `times`: the children's user and system time (XmY.YYYs)
	cpu=$(awk 'NR == 2 { t = 0; for (i = 1; i <= NF; i++) {
		split($i, f, "m"); sub(/s$/, "", f[2]); t += f[1] * 60 + f[2] }
		printf "%.2f", t }' "$D/times")
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') ${secs:-0} $used ${cpu:-0}" \
		"$(awk -v a="$p0" -v b="$p1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')" >"$D/res"
}

rate() { awk -v a="$AREA" -v s="$1" 'BEGIN { printf "%.1f", (s > 0 ? a / s / 1e6 : 0) }'; }
ratio() { awk -v r="$1" -v raw="$2" 'BEGIN { printf "%.2f", (raw > 0 ? r / raw : 0) }'; }
per_gib() { awk -v c="$1" -v mb="$MB" 'BEGIN { printf "%.2f", c * 1024 / mb }'; }

# median and spread per target
summary() {
	local tg=$1 name=$2

	awk -v tg="$tg" -v name="$name" -v n="$REPS" -v mb="$MB" '
	function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$1 == tg { c++; raw[c] = $2; rw[c] = $3; rr[c] = $4; xw[c] = $5; xr[c] = $6; cg[c] = $7; pg[c] = $8 }
	END {
		if (!c) exit;
		mraw = med(raw, c); mrw = med(rw, c); mrr = med(rr, c);
		lo = xw[1]; hi = xw[1]; lor = xr[1]; hir = xr[1];
		for (i = 1; i <= c; i++) {
			if (xw[i] < lo) lo = xw[i]; if (xw[i] > hi) hi = xw[i];
			if (xr[i] < lor) lor = xr[i]; if (xr[i] > hir) hir = xr[i];
		}
		clo = cg[1]; chi = cg[1];
		for (i = 1; i <= c; i++) { if (cg[i] < clo) clo = cg[i]; if (cg[i] > chi) chi = cg[i] }
		mxw = med(xw, c); mxr = med(xr, c); mcg = med(cg, c); mpg = med(pg, c);
		printf "%s: %d MiB volume, %d rounds: raw slowest used LUN median %.1f MB/s; restore per peer median %.1f MB/s whole command, %.1f MB/s rebuild phase\n", name, mb, c, mraw, mrw, mrr;
		printf "%s: tool CPU (utime+stime of tgtx-recover) median %.2f s per GiB restored (%.2f..%.2f); the 3 peers %.2f s per GiB\n", name, mcg, clo, chi, mpg;
		printf "%s: restore / raw = %.2f whole command (%.2f..%.2f), %.2f rebuild phase (%.2f..%.2f): target >= 0.80 %s\n", name, mxw, lo, hi, mxr, lor, hir, (mxw >= 0.8 ? "MET" : "NOT MET");
	}' "$D/rounds"
}

# RESTORE_REPS rounds of: raw read of every LUN, a restore into the file
# system and one into /dev/shm, the used LUNs read at once; then the
# summary lines.
run_rounds() {
	local r i tg dir slow rw rr whole reb used cpu pcpu lastused pids conc c p
	local tool depth

	: >"$D/rounds"
	: >"$D/rawlog"
	: >"$D/conc"
	targets="fs"
	[ -n "$SHMDIR" ] && targets="fs shm"
	[ -z "$CMPRC" ] || targets="fs fs-cmp${SHMDIR:+ shm shm-cmp}"
	log "${LP}restore target: $FSDIR ($(fstype "$FSDIR"))${SHMDIR:+ and $SHMDIR ($(fstype "$SHMDIR"))}"
	for r in $(seq 1 "$REPS"); do
		raws=()
		for i in 0 1 2; do
			raws[i]=$(raw_read "${urls[$i]}")
			[ -n "${raws[i]}" ] || fail "iscsi-perf gave no rate (LUN $i)"
		done
		order=$targets
		# with a comparison: each pair alternates who goes first
		if [ -n "$CMPRC" ] && [ $((r % 2)) -eq 0 ]; then
			order=$(echo "$targets" | sed 's/\(fs\) \(fs-cmp\)/\2 \1/; s/\(shm\) \(shm-cmp\)/\2 \1/')
		fi
		for tg in $order; do
			dir=$FSDIR
			[ "${tg%-cmp}" = shm ] && dir=$SHMDIR
			tool=$RC
			[ "$tg" = "${tg%-cmp}" ] || tool=$CMPRC
			depth=""
			restore_into "$dir" "$tool"
			read -r whole reb used cpu pcpu <"$D/res"
			slow=""
			for i in ${used//,/ }; do
				if [ -z "$slow" ] || awk "BEGIN{exit !(${raws[i]} < $slow)}"; then
					slow=${raws[i]}
				fi
			done
			rw=$(rate "$whole")
			rr=$(rate "$reb")
			echo "$tg $slow $rw $rr $(ratio "$rw" "$slow") $(ratio "$rr" "$slow") $(per_gib "$cpu") $(per_gib "$pcpu")" >>"$D/rounds"
			lastused=$used
			printf '# %sround %d %-3s raw LUNs %s/%s/%s MB/s, slowest used (%s): %s; restore %.2f s whole = %s MB/s per peer (%.2fx), rebuild %.2f s = %s MB/s (%.2fx); tool CPU %.2f s = %s s/GiB%s\n' \
				"$LP" "$r" "$tg" "${raws[0]}" "${raws[1]}" "${raws[2]}" "$used" "$slow" \
				"$whole" "$rw" "$(ratio "$rw" "$slow")" "$reb" "$rr" "$(ratio "$rr" "$slow")" \
				"$cpu" "$(per_gib "$cpu")" "${depth:+; reads in flight at most:$depth}"
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
		log "${LP}round $r: the used LUNs ($lastused) read at once ($RAW_CONC): slowest ${conc:-?} MB/s"
	done

	for p in $RAW_PATTERNS; do
		awk -v p="$p" '$2 == p && $3 != "?" { print $3 }' "$D/rawlog" | sort -n |
			awk -v p="$p" -v lp="$LP" '{ a[NR] = $1 } END { if (NR)
			printf "%sraw pattern %s (iscsi-perf -b:-m), every LUN and round: median %.1f MB/s (%.1f..%.1f)\n",
				lp, p, (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[1], a[NR] }'
	done
	sort -n "$D/conc" | awk -v lp="$LP" '{ a[NR] = $1 } END { if (NR)
		printf "%sthe used LUNs read at once (like for like), slowest: median %.1f MB/s (%.1f..%.1f)\n",
			lp, (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[1], a[NR] }'
	summary fs "${LP}restore to $(fstype "$FSDIR") ($FSDIR)"
	[ -n "$SHMDIR" ] && summary shm "${LP}restore to $(fstype "$SHMDIR") ($SHMDIR)"
	if [ -n "$CMPRC" ]; then
		summary fs-cmp "${LP}RESTORE_COMPARE $CMPRC: restore to $(fstype "$FSDIR")"
		[ -n "$SHMDIR" ] && summary shm-cmp "${LP}RESTORE_COMPARE $CMPRC: restore to $(fstype "$SHMDIR")"
	fi
	return 0
}

# check on a big volume: sparse share LUNs (truncate), journals of 500
# records; check reads superblocks, journals and a short measured read
check_run() {
	local i t0 t1 CNB CLUN curls=() cpids=()

	CNB=$((GB << 18))
	CLUN=$(((CNB * 4608 + (66 << 20)) / 1048576 * 1048576))
	for i in 0 1 2; do
		start_tgtxd "c$i"
		cpids+=("$TGTXD_PID")
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
	for i in "${cpids[@]}"; do
		stop_tgtxd "$i"
	done
	rm -f "$D"/c?.img
}

# What each link carried (htb class counters), to see the shaping worked.
link_stats() {
	local i

	for i in 0 1 2; do
		tc -s class show dev lo classid "1:$((10 + i))" |
			awk -v i="$i" -v lp="$LP" '/Sent/ { printf "# %speer %d link: sent %.1f MB, dropped %s, overlimits %s\n",
				lp, i, $2 / 1e6, substr($7, 1, length($7) - 1), $9 }'
	done
}

# The rounds again for each round trip in RTTS: every peer behind its own
# tgtx-delay-relay (RTT/2 each way) in front of its shaped link; the raw
# reads and the restores go through the relays.
listening() { ss -Hltn "sport = :$1" | grep -q .; }
rtt_rounds() {
	local rtt i rp rpids durls=("${urls[@]}") reps=$REPS lp=$LP pats=$RAW_PATTERNS
	local conc=$RAW_CONC

	[ -x "$RELAY" ] || fail "no $RELAY (make tools)"
	REPS=${RESTORE_RTT_REPS:-2}
	RAW_PATTERNS=${RAW_RTT_PATTERNS:-2048:16}
	RAW_CONC=${RAW_PATTERNS%% *}
	for rtt in $RTTS; do
		rpids=()
		for i in 0 1 2; do
			rp=$(free_port)
			"$RELAY" --listen "$rp" --upstream "${pports[i]}" \
				--delay-ms "$(awk -v r="$rtt" 'BEGIN { print r / 2 }')" \
				2>"$D/relay$i.txt" &
			rpids+=($!)
			track_proc "$!" 2
			urls[i]="iscsi://127.0.0.1:$rp/$IQN:p$i/1"
			wait_until 10 listening "$rp" ||
				fail "tgtx-delay-relay on port $rp did not listen"
		done
		LP="${lp}RTT $rtt ms (tgtx-delay-relay): "
		log "${LP}raw pattern $RAW_PATTERNS, the used LUNs at once $RAW_CONC"
		run_rounds
		for i in "${rpids[@]}"; do
			stop_proc "$i" || true
		done
	done
	urls=("${durls[@]}")
	REPS=$reps
	LP=$lp
	RAW_PATTERNS=$pats
	RAW_CONC=$conc
}

log "load: $(uptime)"
if [ -n "$LINK_RATE" ]; then
	setup_peers
	# what the file-system target can absorb, durably
	dd if=/dev/zero of="$FSDIR/dd" bs=1M count="$MB" conv=fdatasync 2>"$D/dd.txt" ||
		{ cat "$D/dd.txt"; fail "dd to $FSDIR"; }
	rm -f "$FSDIR/dd"
	echo "${LP}reference: dd of $MB MiB to $(fstype "$FSDIR") with fdatasync: $(awk '/copied/ { print $(NF - 1), $NF }' "$D/dd.txt") (the restore writes 8/9 of its per-peer rate)"
	run_rounds
	link_stats
	case " ${RESTORE_RTT_RATES-1gbit} " in
	*" $LINK_RATE "*) [ -z "$RTTS" ] || rtt_rounds ;;
	esac
	log "load: $(uptime)"
	exit 0
fi
if [ "${RESTORE_LOOPBACK:-on}" != off ]; then
	setup_peers
	run_rounds
	for i in "${ppids[@]}"; do
		stop_tgtxd "$i"
	done
	rm -f "$D"/s?.img "$D/vol.img"
	[ "$GB" -le 0 ] || check_run
fi
for rate in $LINKS; do
	run_link_mode "$rate"
done
log "load: $(uptime)"
