# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers of the tgtx-replicd system tests (test_replicd_*.sh), sourced
# after lib.sh:
#
#   rd_primary K N [VOLSIZE] [BSOPTS]   tgtxd "pri" with an xorshare LUN
#   rd_peer_tgtxd I [LUNSIZE]           peer I: tgtxd rdwr LUN
#   rd_peer_tgtd I [LUNSIZE]            peer I: Debian's stock tgtd
#   rd_set_peers [OPTS]                 share-peer.I lines on the LUN
#   rd_start_replicd / rd_stop_replicd / rd_kill_replicd
#   rd_wait_in_sync SECS                every peer in-sync, nothing to send
#   rd_rebuild [ARGS]                   every k-subset vs the volume file
#   rd_finish                           clean stop + sanitizer check
#
# Variables: RD_K, RD_N, RD_VOL (volume file), RD_LOGDIR (share log),
# RD_PRI_URL, RD_PRI_CTL, RD_PRI_PID; per peer I: RD_URL[I], RD_KIND[I]
# (tgtxd|tgtd), RD_PID[I], RD_IMG[I] (LUN file), RD_PNAME[I];
# RD_REPLICD_PID, RD_REPLICD_LOG, RD_STATE (replicator state dir).
# Peer I's LUN is LUN 1 of target $RD_IQN:pI on 127.0.0.1.

# RD_REPLICD: another binary (a planted defect), for seeing a test fail
REPLICD=${RD_REPLICD:-$B/tgtx-replicd}
SHAREVOL=$B/test/tools/tgtx-sharevol
PREFIXCHECK=$B/test/tools/tgtx-prefixcheck
RD_IQN=iqn.2026-11.org.tgtx:rd
RD_WORK=$TGTX_TEST_DIR/rd
mkdir -p "$RD_WORK"
declare -a RD_URL RD_RURL RD_KIND RD_PID RD_IMG RD_PNAME RD_SIZE RD_PARGS
RD_REPLICD_PID=""
RD_REPLICD_LOG=$RD_WORK/replicd.log
# The replicator runs on the primary's node: its node key (TLS) is tgtxd's.
RD_STATE=$TGTX_TEST_DIR/pri/state
RD_POLL_MS=${RD_POLL_MS:-500}
RD_CKPT_MS=${RD_CKPT_MS:-1000}

# RD_METRICS=HOST:PORT, the tgtx-replicd --metrics address the metric
# helpers read (a test that starts the replicator with --metrics sets it).
RD_METRICS=
rd_metrics() {
	curl -sf --max-time 5 "http://$RD_METRICS/metrics"
}
# metric NAME{LABELS}: its value ("" when absent)
metric() {
	rd_metrics | awk -v n="$1" '$1 == n { print $2; exit }'
}
metric_is() {
	[ "$(metric "$1")" = "$2" ]
}
metric_ge() {
	local v

	v=$(metric "$1")
	[ -n "$v" ] && awk -v v="$v" -v m="$2" 'BEGIN { exit !(v >= m) }'
}

rd_need_tools() {
	local t

	for t in "$REPLICD" "$SHAREVOL" "$PREFIXCHECK" "$LOAD"; do
		[ -x "$t" ] || fail "no $t (make && make SAN=asan tests)"
	done
}

# rd_primary K N [VOLSIZE] [BSOPTS]: the protected LUN (tid 1 LUN 1).
rd_primary() {
	RD_K=$1 RD_N=$2
	RD_VOLSIZE=${3:-16M}
	RD_VOL=$RD_WORK/vol.img
	RD_LOGDIR=$RD_WORK/vol.log
	RD_BSOPTS="k=$RD_K;n=$RD_N;log=$RD_LOGDIR;log_size=${RD_LOG_SIZE:-256M}${4:+;$4}"
	[ -e "$RD_VOL" ] || truncate -s "$RD_VOLSIZE" "$RD_VOL"
	start_tgtxd pri
	RD_PRI_CTL=$CTL RD_PRI_PID=$TGTXD_PID RD_PRI_PORT=$PORT
	rd_primary_lun
	RD_PRI_URL=$(lun_url "$RD_IQN:pri" 1 "$RD_PRI_PORT")
	rd_wait_baseline 120
}

# (Re)creates the primary's target and LUN (after a restart).
rd_primary_lun() {
	rd_pri --op new --mode target --tid 1 -T "$RD_IQN:pri"
	rd_pri --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
		-b "$RD_VOL" --bsopts "$RD_BSOPTS" ${RD_PRI_PARAMS:+--params "$RD_PRI_PARAMS"}
	rd_pri --op bind --mode target --tid 1 -I ALL
}

# rd_restart_primary: a tgtxd killed (or stopped) comes back on the same
# volume and share log, same port, with the peers set again.
rd_restart_primary() {
	stop_proc "$RD_PRI_PID" || true
	start_tgtxd pri
	RD_PRI_CTL=$CTL RD_PRI_PID=$TGTXD_PID
	[ "$PORT" = "$RD_PRI_PORT" ] || fail "primary came back on another port"
	rd_primary_lun
	[ -z "${RD_PEER_OPTS+x}" ] || rd_set_peers "$RD_PEER_OPTS"
}

rd_pri() {
	"$TGTXADM" --control-socket "$RD_PRI_CTL" "$@"
}

rd_show() {
	rd_pri --op show --mode target
}

rd_baseline_done() {
	rd_show | grep -q "Baseline: complete"
}

rd_wait_baseline() {
	wait_until "$1" rd_baseline_done ||
		fail "xorshare baseline not complete after $1 s: $(rd_show)"
}

# rd_peer_tgtxd I [LUNSIZE [TGTXD ARGS...]]: tgtxd "pI" serving a plain
# rdwr LUN. RD_URL[I] is its plain portal's URL (RD_RURL[I] too: what the
# test reads the share volume through).
rd_peer_tgtxd() {
	local i=$1

	RD_SIZE[i]=${2:-${RD_PEER_SIZE:-48M}}
	RD_PARGS[i]="${*:3}"
	RD_PNAME[i]=p$i
	RD_KIND[i]=tgtxd
	RD_IMG[i]=$RD_WORK/p$i.img
	truncate -s "${RD_SIZE[i]}" "${RD_IMG[i]}"
	# shellcheck disable=SC2086 # words on purpose (no spaces in paths)
	start_tgtxd "p$i" ${RD_PARGS[i]}
	RD_PID[i]=$TGTXD_PID
	rd_peer_lun "$i"
	RD_URL[i]=$(lun_url "$RD_IQN:p$i" 1 "$PORT")
	RD_RURL[i]=${RD_URL[i]}
}

# rd_peer_tgtd I [LUNSIZE]: Debian's stock tgtd "pI" as peer I.
rd_peer_tgtd() {
	local i=$1

	RD_SIZE[i]=${2:-${RD_PEER_SIZE:-48M}}
	RD_PNAME[i]=p$i
	RD_KIND[i]=tgtd
	RD_IMG[i]=$RD_WORK/p$i.img
	truncate -s "${RD_SIZE[i]}" "${RD_IMG[i]}"
	start_stock_tgtd "p$i"
	RD_PID[i]=$TGT_PID
	rd_peer_lun "$i"
	RD_URL[i]=$(lun_url "$RD_IQN:p$i" 1 "$TGT_PORT")
	RD_RURL[i]=${RD_URL[i]}
}

# The peer's target, LUN and ACL (its daemon was just started).
rd_peer_lun() {
	local i=$1 n=${RD_PNAME[$1]}

	if [ "${RD_KIND[i]}" = tgtxd ]; then
		local ctl=CTL_$n
		"$TGTXADM" --control-socket "${!ctl}" --op new --mode target \
			--tid 1 -T "$RD_IQN:$n"
		"$TGTXADM" --control-socket "${!ctl}" --op new \
			--mode logicalunit --tid 1 --lun 1 -b "${RD_IMG[i]}"
		"$TGTXADM" --control-socket "${!ctl}" --op bind --mode target \
			--tid 1 -I ALL
	else
		local cp=TGT_CP_$n
		tgtadm -C "${!cp}" --lld iscsi --op new --mode target --tid 1 \
			-T "$RD_IQN:$n"
		tgtadm -C "${!cp}" --lld iscsi --op new --mode logicalunit \
			--tid 1 --lun 1 -b "${RD_IMG[i]}"
		tgtadm -C "${!cp}" --lld iscsi --op bind --mode target --tid 1 \
			-I ALL
	fi
}

# rd_peer_kill I: SIGKILL peer I's daemon.
rd_peer_kill() {
	kill -KILL "${RD_PID[$1]}" 2>/dev/null || true
	wait_until 10 bash -c "! kill -0 ${RD_PID[$1]} 2>/dev/null" ||
		fail "peer $1 (pid ${RD_PID[$1]}) survived SIGKILL"
}

# rd_peer_restart I: peer I's daemon again, same port, same LUN file.
rd_peer_restart() {
	local i=$1 n=${RD_PNAME[$1]} port

	if [ "${RD_KIND[i]}" = tgtxd ]; then
		port=PORT_$n
		local want=${!port}
		stop_proc "${RD_PID[i]}" || true
		# shellcheck disable=SC2086
		start_tgtxd "$n" ${RD_PARGS[i]}
		RD_PID[i]=$TGTXD_PID
		[ "$PORT" = "$want" ] || fail "peer $i came back on another port"
	else
		port=TGT_PORT_$n
		local want=${!port} cp=TGT_CP_$n
		stop_proc "${RD_PID[i]}" || true
		# tgtd has no "same port" helper: start it by hand on the old one
		TGT_CP=${!cp}
		TGT_PORT=$want
		TGT_LOG=$TGTX_TEST_DIR/$n/tgtd.log
		"$(command -v tgtd)" -f --iscsi "portal=127.0.0.1:$TGT_PORT" \
			-C "$TGT_CP" >>"$TGT_LOG" 2>&1 &
		TGT_PID=$!
		track_proc "$TGT_PID" 1
		wait_daemon "$TGT_PID" 10 stock_tgtd_ready ||
			fail "stock tgtd did not come back: $(tail "$TGT_LOG")"
		RD_PID[i]=$TGT_PID
	fi
	rd_peer_lun "$i"
}

# rd_set_peers [OPTS]: share-peer.I=URL (+ share-peer.I.OPT=V for each
# OPT=V of OPTS, e.g. "transport=plain", then of RD_POPTS[I]) for every
# peer 0..N-1.
declare -a RD_POPTS
rd_set_peers() {
	local i params="" kv

	RD_PEER_OPTS=${1:-}
	for ((i = 0; i < RD_N; i++)); do
		params+="${params:+,}share-peer.$i=${RD_URL[i]}"
		for kv in $RD_PEER_OPTS ${RD_POPTS[i]:-}; do
			params+=",share-peer.$i.$kv"
		done
	done
	rd_pri --op update --mode logicalunit --tid 1 --lun 1 \
		--params "$params"
}

# rd_start_replicd [ARGS]: the replicator of the primary, in the
# foreground, log in RD_REPLICD_LOG.
rd_start_replicd() {
	mkdir -p "$RD_STATE"
	"$REPLICD" -f --control-socket "$RD_PRI_CTL" --state-dir "$RD_STATE" \
		--poll-ms "$RD_POLL_MS" --checkpoint-ms "$RD_CKPT_MS" \
		--log-level info "$@" >>"$RD_REPLICD_LOG" 2>&1 &
	RD_REPLICD_PID=$!
	track_proc "$RD_REPLICD_PID" 15 strict
	sleep 0.2
	proc_alive "$RD_REPLICD_PID" ||
		fail "tgtx-replicd exited at once: $(tail "$RD_REPLICD_LOG")"
	log "tgtx-replicd pid $RD_REPLICD_PID"
}

rd_check_replicd_log() {
	if grep -Eq "$TGTX_SAN_PATTERN" "$RD_REPLICD_LOG" 2>/dev/null; then
		cat "$RD_REPLICD_LOG" >&2
		fail "sanitizer report in the tgtx-replicd log (above)"
	fi
}

# rd_stop_replicd: SIGTERM; it must exit 0 within its grace time.
rd_stop_replicd() {
	[ -n "$RD_REPLICD_PID" ] || return 0
	if ! stop_proc "$RD_REPLICD_PID"; then
		: >"$TGTX_TEST_DIR/.strict-failures"
		tail -n 30 "$RD_REPLICD_LOG" >&2
		fail "tgtx-replicd did not stop cleanly on SIGTERM"
	fi
	RD_REPLICD_PID=""
	rd_check_replicd_log
}

rd_kill_replicd() {
	[ -n "$RD_REPLICD_PID" ] || return 0
	kill -KILL "$RD_REPLICD_PID" 2>/dev/null || true
	wait "$RD_REPLICD_PID" 2>/dev/null || true
	RD_REPLICD_PID=""
}

# rd_peer_line I: peer I's line of show ("Peer I: state=... ...").
rd_peer_line() {
	rd_show | grep -m1 "Peer $1: " || true
}

# rd_peer_field I FIELD: a field of that line (acked_seq, state, rpo...).
rd_peer_field() {
	rd_peer_line "$1" | grep -o "\b$2=[^ ]*" | head -n1 | cut -d= -f2
}

# The share log's newest durable seq (show: "durable=N").
rd_durable_seq() {
	rd_show | grep -o '\bdurable=[0-9]*' | head -n1 | cut -d= -f2
}

# rd_all_in_sync: every peer in-sync and holding the newest durable seq.
rd_all_in_sync() {
	local i d line

	d=$(rd_durable_seq)
	[ -n "$d" ] || return 1
	for ((i = 0; i < RD_N; i++)); do
		line=$(rd_peer_line "$i")
		grep -q "state=in-sync" <<<"$line" || return 1
		[ "$(grep -o '\backed_seq=[0-9]*' <<<"$line" | cut -d= -f2)" \
			-ge "$d" ] 2>/dev/null || return 1
	done
}

rd_wait_in_sync() {
	if ! wait_until "$1" rd_all_in_sync; then
		rd_show >&2
		tail -n 40 "$RD_REPLICD_LOG" >&2
		fail "peers not in sync after $1 s (show and replicd log above)"
	fi
}

rd_peer_args() {
	local i

	for ((i = 0; i < RD_N; i++)); do
		printf -- '--peer\n%s\n' "${RD_RURL[i]}"
	done
}

# rd_rebuild [ARGS]: tgtx-sharevol rebuild from the peers (every k-subset
# unless ARGS say --shares), output in $RD_WORK/rebuild.txt; returns its
# exit status.
rd_rebuild() {
	local peers rc=0

	mapfile -t peers < <(rd_peer_args)
	"$SHAREVOL" rebuild "${peers[@]}" --timeout 60 --op-timeout 10000 \
		"$@" >"$RD_WORK/rebuild.txt" 2>&1 || rc=$?
	return "$rc"
}

# rd_rebuild_equals_volume DESC: every k-subset rebuilds exactly the
# primary's volume file, at the same seq. Stop the replicator first (a
# checkpoint running while the peers are read is not a state to judge).
rd_rebuild_equals_volume() {
	local rc=0 subsets want

	rd_rebuild --compare "$RD_VOL" "${@:2}" || rc=$?
	cat "$RD_WORK/rebuild.txt"
	[ "$rc" -eq 0 ] || fail "$1: rebuild exit $rc (output above)"
	want=$(python3 -c "import math; print(math.comb($RD_N, $RD_K))")
	subsets=$(grep -c "identical to the reference" "$RD_WORK/rebuild.txt")
	[ "$subsets" -eq "$want" ] ||
		fail "$1: $subsets of $want subsets rebuilt the volume"
	pass "$1: all $want ${RD_K}-subsets of $RD_N peers rebuild the volume"
}

# rd_status_acked I: "ACKED_SEQ ACKED_TIME_NS" from the replicator's
# status file DIR/status.<I> (struct sl_peer_status; "0 0" if none).
rd_status_acked() {
	python3 - "$RD_LOGDIR/status.$1" <<'EOF'
import struct, sys
try:
    b = open(sys.argv[1], "rb").read()
except OSError:
    print("0 0"); sys.exit(0)
if len(b) < 144 or struct.unpack_from("<I", b, 0)[0] != 0x53505358:
    print("0 0"); sys.exit(0)
seq, t = struct.unpack_from("<QQ", b, 16)
print(seq, t)
EOF
}

# rd_finish: stop the replicator cleanly and check its log.
rd_finish() {
	rd_stop_replicd
}
