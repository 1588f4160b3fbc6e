# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the system tests (test/system/test_*.sh). Source it from a
# bash script that runs with `set -euo pipefail`:
#
#   . "$(dirname "$0")/lib.sh"
#   start_tgtxd main
#   tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN"
#   ...
#   expect_rc 0 "write/read back" "$RWCHECK" --url "$(lun_url "$IQN" 1)"
#   pass "whatever"          # or: fail "why"  (exits)
#
# Everything started through these helpers is stopped when the script exits,
# however it exits (EXIT trap; plus a watchdog for a SIGKILLed script), and
# the temporary directory is removed. A sanitizer report in a tgtxd log
# fails the test, and so does a tgtxd that has to be SIGKILLed because it
# ignored SIGTERM, or that exits non-zero when stopped.
#
# Outcome (exit status): 0 passed, 77 skipped (skip MSG; test/run-checks.sh
# counts it as a skip, never as a pass), anything else failed.
#
# Variables set: B (build dir), TGTXADM, RWCHECK, LOAD, TGTX_TEST_DIR;
# after start_tgtxd NAME: PORT, CTL, TGTXD_PID, TGTXD_DIR, TGTXD_LOG and the
# same values as PORT_<NAME>, CTL_<NAME>, PID_<NAME>; after start_stock_tgtd
# NAME: TGT_PORT, TGT_CP (control port), TGT_PID, TGT_LOG (+ _<NAME>).

TGTX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TGTX_TEST_NAME=$(basename "${0%.sh}")
TGTX_TEST_PID=$$
TGTX_PASSED=0
TGTX_FAILED=0
TGTX_WATCHDOG=""
TGTX_SKIP_EXIT=77
TGTX_SKIPPED=""
TGTX_SAN_PATTERN='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|AddressSanitizer:DEADLYSIGNAL'

# Echoes the build directory holding tgtxd, tgtxadm and test/tools.
tgtx_build_dir() {
	local b=${TGTX_BUILD:-build/san}

	case $b in
	/*) echo "$b" ;;
	*) echo "$TGTX_TOP/$b" ;;
	esac
}

B=$(tgtx_build_dir)
TGTXADM=$B/tgtxadm
RWCHECK=$B/test/tools/tgtx-rwcheck
LOAD=$B/test/tools/tgtx-load
export B TGTXADM RWCHECK LOAD

# Everything temporary lives under one directory, so helpers used inside
# $(...) subshells still get cleaned up.
TGTX_TEST_DIR=$(mktemp -d "/tmp/tgtx-${TGTX_TEST_NAME}.XXXXXX")
: >"$TGTX_TEST_DIR/.procs"

log() {
	echo "# $*"
}

pass() {
	TGTX_PASSED=$((TGTX_PASSED + 1))
	echo "PASS: $*"
}

# fail MSG: records the failure and ends the test (the EXIT trap cleans up).
fail() {
	TGTX_FAILED=$((TGTX_FAILED + 1))
	echo "FAIL: $*" >&2
	exit 1
}

# skip MSG: the test cannot run here (missing tool...); ends the test with
# exit status 77, which test/run-checks.sh counts as skipped, not passed.
skip() {
	TGTX_SKIPPED=$*
	echo "SKIP: $*"
	exit "$TGTX_SKIP_EXIT"
}

# tmpdir [NAME]: echoes a fresh directory under the test's temp dir.
tmpdir() {
	mktemp -d "$TGTX_TEST_DIR/${1:-tmp}.XXXXXX"
}

# cleanup_path PATH: removes PATH (file or directory) at exit as well, for
# things that cannot live under /tmp (e.g. LUN files on /dev/shm).
cleanup_path() {
	echo "$1" >>"$TGTX_TEST_DIR/.paths"
}

# free_port: echoes a TCP port on 127.0.0.1 that the kernel says is free.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# lun_url IQN LUN [PORT]: the libiscsi URL of a LUN on 127.0.0.1.
lun_url() {
	echo "iscsi://127.0.0.1:${3:-$PORT}/$1/$2"
}

# wait_until SECONDS CMD...: retries CMD every 0.1 s; 0 once it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))

	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# expect_rc RC DESC CMD...: runs CMD, passes if it exits with RC, else fails.
expect_rc() {
	local want=$1 desc=$2 rc=0

	shift 2
	"$@" || rc=$?
	[ "$rc" -eq "$want" ] ||
		fail "$desc: exit $rc, expected $want (cmd: $*)"
	pass "$desc"
}

proc_alive() {
	local state

	[ -r "/proc/$1/stat" ] || return 1
	# A zombie has exited; only its parent's wait is missing.
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# proc_start PID: the process's start time (clock ticks since boot); with
# the PID it identifies the process even after the PID is recycled.
proc_start() {
	local f

	read -ra f <<<"$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null)"
	echo "${f[19]:-0}"
}

# track_proc PID GRACE [strict]: records a process just started with `&` so
# that it is stopped at exit (SIGTERM, GRACE seconds, SIGKILL). A strict
# process (tgtxd) must stop on SIGTERM within GRACE and exit 0, or the test
# fails.
track_proc() {
	echo "$1 $2 $(proc_start "$1") ${3:-lax}" >>"$TGTX_TEST_DIR/.procs"
	start_watchdog
}

# wait_daemon PID SECONDS CMD...: like wait_until, but gives up as soon as
# PID has exited.
wait_daemon() {
	local pid=$1 deadline=$((SECONDS + $2))

	shift 2
	while ! "$@" >/dev/null 2>&1; do
		proc_alive "$pid" || return 1
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# proc_is PID START: is PID alive and still the process we started?
proc_is() {
	proc_alive "$1" && [ "$(proc_start "$1")" = "$2" ]
}

# stop_proc PID: SIGTERM, up to its GRACE seconds, then SIGKILL. Only
# processes recorded by track_proc are touched. Returns 1 (and records why
# in .strict-failures) when a strict process had to be SIGKILLed or exited
# non-zero.
stop_proc() {
	local pid=$1 p grace start kind i st=0 why=""

	while read -r p grace start kind; do
		[ "$p" = "$pid" ] && break
	done <"$TGTX_TEST_DIR/.procs"
	[ "$p" = "$pid" ] || return 0
	proc_is "$pid" "$start" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < grace * 10; i++)); do
		proc_is "$pid" "$start" || break
		sleep 0.1
	done
	if proc_is "$pid" "$start"; then
		echo "# pid $pid ignored SIGTERM for $grace s: SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
		why="pid $pid ignored SIGTERM for $grace s and was SIGKILLed"
	fi
	# 127: not our child (started in a subshell), status unknown
	wait "$pid" 2>/dev/null || st=$?
	if [ -z "$why" ] && [ "$st" -ne 0 ] && [ "$st" -ne 127 ]; then
		why="pid $pid exited with status $st after SIGTERM"
	fi
	[ -n "$why" ] && [ "$kind" = strict ] || return 0
	echo "$why" >>"$TGTX_TEST_DIR/.strict-failures"
	echo "# $why" >&2
	return 1
}

# A watchdog outlives a SIGKILLed test script just long enough to stop its
# daemons, so nothing survives the test even then.
start_watchdog() {
	[ -z "$TGTX_WATCHDOG" ] || return 0
	(
		trap '' INT TERM HUP
		while kill -0 "$TGTX_TEST_PID" 2>/dev/null; do
			sleep 1
		done
		while read -r pid grace start _; do
			if proc_is "$pid" "$start"; then
				kill -KILL "$pid" 2>/dev/null
			fi
		done <"$TGTX_TEST_DIR/.procs"
		while read -r path; do
			[ -n "$path" ] && rm -rf -- "$path"
		done < <(cat "$TGTX_TEST_DIR/.paths" 2>/dev/null)
		while read -r cp; do
			rm -f "/var/run/tgtd/socket.$cp" \
				"/var/run/tgtd/socket.$cp.lock"
		done < <(cat "$TGTX_TEST_DIR/.tgt-cps" 2>/dev/null)
		rm -rf "$TGTX_TEST_DIR"
	) </dev/null >/dev/null 2>&1 &
	TGTX_WATCHDOG=$!
}

# Fails the test if a sanitizer complained in LOG.
check_san_log() {
	if grep -Eq "$TGTX_SAN_PATTERN" "$1" 2>/dev/null; then
		echo "sanitizer report in $1:" >&2
		cat "$1" >&2
		return 1
	fi
	return 0
}

stop_all() {
	local rc=$? pid grace start log path cp san_bad=0 skipped=0

	trap - EXIT INT TERM HUP
	set +e
	if [ "$rc" -eq "$TGTX_SKIP_EXIT" ]; then
		# 77 from anything but skip() must not read as a skip
		[ -n "$TGTX_SKIPPED" ] && skipped=1 || rc=1
	fi
	if [ -f "$TGTX_TEST_DIR/.procs" ]; then
		while read -r pid grace start _; do
			stop_proc "$pid"
		done < <(cat "$TGTX_TEST_DIR/.procs")
		if [ -s "$TGTX_TEST_DIR/.strict-failures" ]; then
			sed 's/^/FAIL: /' "$TGTX_TEST_DIR/.strict-failures" >&2
			san_bad=1
		fi
		for log in "$TGTX_TEST_DIR"/*/tgtxd.log; do
			[ -f "$log" ] || continue
			check_san_log "$log" || san_bad=1
		done
		# Stock tgtd leaves its socket and lock files behind.
		while read -r cp; do
			rm -f "/var/run/tgtd/socket.$cp" \
				"/var/run/tgtd/socket.$cp.lock"
		done < <(cat "$TGTX_TEST_DIR/.tgt-cps" 2>/dev/null)
	fi
	while read -r path; do
		[ -n "$path" ] && rm -rf -- "$path"
	done < <(cat "$TGTX_TEST_DIR/.paths" 2>/dev/null)
	if [ -n "$TGTX_WATCHDOG" ]; then
		kill -KILL "$TGTX_WATCHDOG" 2>/dev/null
		wait "$TGTX_WATCHDOG" 2>/dev/null
	fi
	if [ "$rc" -ne 0 ] && [ -n "${TGTX_KEEP_LOGS:-}" ]; then
		echo "logs kept in $TGTX_TEST_DIR" >&2
	else
		if [ "$rc" -ne 0 ] && [ "$skipped" -eq 0 ]; then
			for log in "$TGTX_TEST_DIR"/*/*.log; do
				[ -f "$log" ] || continue
				echo "--- last lines of $log" >&2
				tail -n 30 "$log" >&2
			done
		fi
		rm -rf "$TGTX_TEST_DIR"
	fi
	if [ "$san_bad" -ne 0 ]; then
		TGTX_FAILED=$((TGTX_FAILED + 1))
		[ "$rc" -ne 0 ] && [ "$skipped" -eq 0 ] || rc=1
		skipped=0
	fi
	if [ "$skipped" -eq 1 ]; then
		echo "$TGTX_TEST_NAME: skipped ($TGTX_SKIPPED)"
		exit "$rc"
	fi
	if [ "$rc" -ne 0 ] && [ "$TGTX_FAILED" -eq 0 ]; then
		# set -e stopped the script without fail(): count it too.
		TGTX_FAILED=1
		echo "FAIL: command exited with status $rc" >&2
	fi
	echo "$TGTX_TEST_NAME: $TGTX_PASSED passed, $TGTX_FAILED failed"
	exit "$rc"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Sets NAME-suffixed copies of variables (PORT_main=...).
set_named() {
	local suffix=${1//[^A-Za-z0-9_]/_} var

	shift
	for var in "$@"; do
		printf -v "${var}_${suffix}" '%s' "${!var}"
		export "${var?}_${suffix}"
	done
}

# start_tgtxd NAME [EXTRA ARGS...]: starts tgtxd on 127.0.0.1:<free port>
# with its control socket in the test dir; returns once it answers tgtxadm.
start_tgtxd() {
	local name=$1 dir attempt

	shift
	[ -x "$B/tgtxd" ] || fail "no $B/tgtxd (build it, or set TGTX_BUILD)"
	[ -x "$TGTXADM" ] || fail "no $TGTXADM"
	dir="$TGTX_TEST_DIR/$name"
	mkdir -p "$dir"
	for attempt in 1 2 3; do
		# A restart under the same NAME keeps its port if it can.
		local named=PORT_${name//[^A-Za-z0-9_]/_}
		if [ "$attempt" -eq 1 ] && [ -n "${!named:-}" ]; then
			PORT=${!named}
		else
			PORT=$(free_port)
		fi
		CTL=$dir/ctl.sock
		TGTXD_DIR=$dir
		TGTXD_NAME=$name
		TGTXD_LOG=$dir/tgtxd.log
		# Its own node id (state dir), kept across restarts.
		"$B/tgtxd" -f --iscsi "portal=127.0.0.1:$PORT" \
			--control-socket "$CTL" --state-dir "$dir/state" \
			"$@" >>"$TGTXD_LOG" 2>&1 &
		TGTXD_PID=$!
		# Sanitizer leak checks at exit can take a while.
		track_proc "$TGTXD_PID" 10 strict
		if wait_daemon "$TGTXD_PID" 15 tgtxd_ready; then
			export PORT CTL TGTXD_PID TGTXD_DIR TGTXD_LOG TGTXD_NAME
			set_named "$name" PORT CTL
			printf -v "PID_${name//[^A-Za-z0-9_]/_}" '%s' "$TGTXD_PID"
			log "tgtxd '$name' pid $TGTXD_PID on 127.0.0.1:$PORT"
			return 0
		fi
		if proc_alive "$TGTXD_PID"; then
			stop_proc "$TGTXD_PID" || true # failing below anyway
			break
		fi
		# Someone may have taken the port between probe and bind.
		grep -qi 'in use' "$TGTXD_LOG" || break
	done
	cat "$TGTXD_LOG" >&2
	fail "tgtxd '$name' did not come up (log above)"
}

# restart_tgtxd: stops the last started tgtxd and starts it again under the
# same name (same port and control socket); its configuration is gone.
restart_tgtxd() {
	local name=$TGTXD_NAME

	stop_tgtxd
	start_tgtxd "$name"
}

tgtxd_ready() {
	"$TGTXADM" --control-socket "$CTL" --op show --mode system
}

# tgtxadm_ctl ARGS...: tgtxadm on the last started (or $CTL's) tgtxd.
tgtxadm_ctl() {
	"$TGTXADM" --control-socket "$CTL" "$@"
}

# stop_tgtxd [PID]: stops one tgtxd now (default: the last started) and
# fails the test on a sanitizer report in its log, or when it ignored
# SIGTERM or exited non-zero.
stop_tgtxd() {
	local pid=${1:-$TGTXD_PID} log

	if ! stop_proc "$pid"; then
		log=$(tail -n1 "$TGTX_TEST_DIR/.strict-failures")
		: >"$TGTX_TEST_DIR/.strict-failures" # reported here, not again
		fail "tgtxd did not stop cleanly: $log"
	fi
	for log in "$TGTX_TEST_DIR"/*/tgtxd.log; do
		check_san_log "$log" || fail "sanitizer report in $log"
	done
}

# start_stock_tgtd [NAME]: starts Debian's tgtd on 127.0.0.1:<free port>
# with a control port of its own; use stock_tgtadm to configure it.
start_stock_tgtd() {
	local name=${1:-tgt} dir cp tries=0 tgtd

	tgtd=$(command -v tgtd) || skip "stock tgtd is not installed"
	dir="$TGTX_TEST_DIR/$name"
	mkdir -p "$dir" /var/run/tgtd
	# tgtd has one instance per control port: find one nobody answers on.
	while :; do
		cp=$((RANDOM % 900 + 100))
		if ! tgtadm -C "$cp" --op show --mode system >/dev/null 2>&1; then
			break
		fi
		tries=$((tries + 1))
		[ "$tries" -lt 50 ] || fail "no free tgtd control port"
	done
	echo "$cp" >>"$TGTX_TEST_DIR/.tgt-cps"
	TGT_CP=$cp
	TGT_PORT=$(free_port)
	TGT_LOG=$dir/tgtd.log
	"$tgtd" -f --iscsi "portal=127.0.0.1:$TGT_PORT" -C "$TGT_CP" \
		>>"$TGT_LOG" 2>&1 &
	TGT_PID=$!
	# tgtd ignores SIGTERM while it has targets: do not wait long.
	track_proc "$TGT_PID" 1
	wait_daemon "$TGT_PID" 10 stock_tgtd_ready ||
		fail "stock tgtd did not come up: $(cat "$TGT_LOG")"
	export TGT_CP TGT_PORT TGT_PID TGT_LOG
	set_named "$name" TGT_CP TGT_PORT TGT_PID
	log "stock tgtd '$name' pid $TGT_PID on 127.0.0.1:$TGT_PORT (-C $TGT_CP)"
}

stock_tgtd_ready() {
	tgtadm -C "$TGT_CP" --op show --mode system
}

# stock_tgtadm ARGS...: tgtadm on the last started stock tgtd.
stock_tgtadm() {
	tgtadm -C "$TGT_CP" "$@"
}
