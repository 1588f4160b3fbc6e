#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Readiness: under systemd (Type=notify) tgtxd sends READY=1 only once its
# portal and control socket accept connections (a fake notify socket probes
# both the moment READY=1 arrives, path and abstract names); started without
# -f, tgtxd returns only when ready (tgtxadm works at once, MAINPID names the
# detached daemon) and returns non-zero with the reason when start-up fails.
# TGTX_TEST_STARTUP_DELAY_MS stretches start-up so an early report shows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FAKE=$TGTX_TOP/test/system/fake_notify.py
export TGTX_TEST_STARTUP_DELAY_MS=700

# start_fake SOCKET PORT CTL OUT: the fake systemd, ready to receive
start_fake() {
	local fifo=$TGTX_TEST_DIR/fake.$RANDOM line

	mkfifo "$fifo"
	python3 "$FAKE" "$@" 30 >"$fifo" &
	FAKE_PID=$!
	track_proc "$FAKE_PID" 2
	read -r line <"$fifo"
	rm -f "$fifo"
	[ "$line" = listening ] || fail "fake notify socket did not start"
}

# wait_line FILE PATTERN: waits up to 20 s for a line matching PATTERN
wait_line() {
	wait_until 20 grep -q -- "$2" "$1"
}

d=$(tmpdir fg)

# 1. foreground, notify socket at a path
for kind in path abstract; do
	port=$(free_port)
	ctl=$d/ctl.$kind
	out=$d/notify.$kind
	if [ $kind = path ]; then
		nsock=$d/notify.sock
	else
		nsock=@tgtx-test-notify-$$-$RANDOM
	fi
	start_fake "$nsock" "$port" "$ctl" "$out"
	NOTIFY_SOCKET=$nsock "$B/tgtxd" -f --iscsi "portal=127.0.0.1:$port" \
		--control-socket "$ctl" --state-dir "$d/state" \
		>>"$d/tgtxd.log" 2>&1 &
	pid=$!
	track_proc "$pid" 10
	wait_line "$out" '^probe ' || fail "no READY=1 ($kind socket): $(cat "$out")"
	grep -q '^STATUS=ready' "$out" || fail "no STATUS with READY=1: $(cat "$out")"
	grep -q '^probe portal=ok control=ok$' "$out" ||
		fail "READY=1 came before the daemon was reachable ($kind): $(cat "$out")"
	pass "READY=1 over a $kind notify socket only once portal and control socket answer"
	stop_proc "$pid"
	wait_line "$out" '^STOPPING=1$' || fail "no STOPPING=1 at shutdown: $(cat "$out")"
	pass "STOPPING=1 at shutdown ($kind)"
	stop_proc "$FAKE_PID"
done

# 2. detached: returns once ready, tells systemd the daemon's pid
port=$(free_port)
ctl=$d/ctl.detached
out=$d/notify.detached
start_fake "$d/notify2.sock" "$port" "$ctl" "$out"
rc=0
# the daemon's sanitizer reports go to files: its stderr becomes /dev/null
ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$d/asan" \
	NOTIFY_SOCKET=$d/notify2.sock "$B/tgtxd" --iscsi "portal=127.0.0.1:$port" \
	--control-socket "$ctl" --state-dir "$d/state" 2>"$d/detached.err" || rc=$?
[ $rc -eq 0 ] || fail "detached tgtxd exited $rc: $(cat "$d/detached.err")"
# no retry loop: it must answer right now (judged once the pid is known)
adm_ok=1 portal_ok=1
"$TGTXADM" --control-socket "$ctl" --op show --mode system >/dev/null || adm_ok=0
python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)' \
	"$port" 2>/dev/null || portal_ok=0
if ! wait_line "$out" '^MAINPID='; then
	# still stop the daemon we started: the only one with this socket path
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "$ctl"; then
			track_proc "${p#/proc/}" 10
		fi
	done
	fail "no MAINPID from the detached start (tgtxadm at once: $adm_ok, portal: $portal_ok): $(cat "$out")"
fi
dpid=$(sed -n 's/^MAINPID=//p' "$out" | head -1)
track_proc "$dpid" 10
[ $adm_ok -eq 1 ] || fail "tgtxadm failed right after the detached tgtxd returned"
[ $portal_ok -eq 1 ] || fail "portal not accepting right after the detached tgtxd returned"
pass "detached tgtxd returns only once portal and control socket answer"
grep -q '^READY=1$' "$out" || fail "no READY=1 for the detached start"
[ "$(cat "/proc/$dpid/comm" 2>/dev/null)" = tgtxd ] ||
	fail "MAINPID=$dpid is not a running tgtxd"
pass "detached start sends MAINPID=$dpid and READY=1"
"$TGTXADM" --control-socket "$ctl" --op delete --mode system >/dev/null
wait_until 20 bash -c "! kill -0 $dpid 2>/dev/null" || fail "detached tgtxd did not stop"
if ls "$d"/asan* >/dev/null 2>&1; then
	cat "$d"/asan* >&2
	fail "sanitizer report from the detached tgtxd"
fi
pass "detached tgtxd stops cleanly"

# 3. start-up failures: non-zero exit status and the reason on stderr
busy=$(free_port)
python3 -c 'import socket,sys,time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("up", flush=True); time.sleep(60)' "$busy" >"$d/busy.out" &
track_proc $! 1
wait_until 10 grep -q up "$d/busy.out" || fail "could not occupy a port"
for bad in "portal=127.0.0.1:$busy" "portal=300.1.2.3:3260"; do
	rc=0
	"$B/tgtxd" --iscsi "$bad" --control-socket "$d/ctl.bad" \
		--state-dir "$d/state" 2>"$d/bad.err" || rc=$?
	[ $rc -ne 0 ] || fail "detached tgtxd with $bad exited 0"
	grep -q "portal" "$d/bad.err" || fail "no reason for $bad on stderr: $(cat "$d/bad.err")"
	pass "detached tgtxd with a bad portal ($bad) exits $rc: $(head -1 "$d/bad.err")"
done
rc=0
"$B/tgtxd" --iscsi "portal=127.0.0.1:$(free_port)" --control-socket "$d/ctl.bad" \
	--state-dir /proc/no/such/dir 2>"$d/bad.err" || rc=$?
[ $rc -ne 0 ] && grep -q "state directory" "$d/bad.err" ||
	fail "unusable state dir: exit $rc, $(cat "$d/bad.err")"
pass "detached tgtxd with an unusable state dir exits $rc with the reason"
