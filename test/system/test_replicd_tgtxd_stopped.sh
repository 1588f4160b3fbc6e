#!/usr/bin/env bash
# A stopped (or hung) local tgtxd must not freeze tgtx-replicd's reporting.
# The replicator re-reads tgtxd's configuration over the control socket on
# its event loop, the loop that also serves --metrics and writes the status
# files. With tgtxd SIGSTOPped: metrics answer several times within a few
# seconds and say the control socket is unresponsive
# (tgtx_replicd_control_unresponsive 1, one log line for the episode), and
# the status file of the LUN's peer keeps being rewritten. After SIGCONT the
# gauge goes back to 0 and the log says so, without a restart.
# Planted defect to see it fail: RD_REPLICD=<a tgtx-replicd whose control
# exchange waits 60 s again>.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RD=${RD_REPLICD:-$B/tgtx-replicd}
PROBE=$TGTX_TOP/test/system/metrics_probe.py
[ -x "$RD" ] || fail "no $RD (make SAN=asan tests)"
command -v curl >/dev/null || fail "no curl"
IQN=iqn.2026-11.org.tgtx:rd-stopped
VOL=$TGTX_TEST_DIR/vol.img
LOGDIR=$TGTX_TEST_DIR/vol.log
RLOG=$TGTX_TEST_DIR/replicd.log

# an xorshare LUN whose two peers do not listen: the engine runs (peers
# offline), so status.0 is rewritten every second
start_tgtxd main
truncate -s 8M "$VOL"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$VOL" --bsopts "k=2;n=2;log=$LOGDIR;log_size=64M"
DEAD=$(free_port)
tgtxadm_ctl --op update --mode logicalunit --tid 1 --lun 1 --params \
	"share-peer.0=iscsi://127.0.0.1:$DEAD/$IQN:p0/1,share-peer.0.transport=plain,share-peer.1=iscsi://127.0.0.1:$DEAD/$IQN:p1/1,share-peer.1.transport=plain"

MP=$(free_port)
"$RD" -f --control-socket "$CTL" --state-dir "$TGTX_TEST_DIR/rd" \
	--metrics "127.0.0.1:$MP" --poll-ms 300 --hold-scan-ms 300 \
	--control-timeout-ms 2000 >"$RLOG" 2>&1 &
RP=$!
track_proc $RP 60

metric() { # NAME: its value, or nothing
	curl -sf --max-time 20 "http://127.0.0.1:$MP/metrics" |
		awk -v n="$1" '$1 == n { print $2 }'
}
status_written() { [ -e "$LOGDIR/status.0" ]; }
ctl_is() { [ "$(metric tgtx_replicd_control_unresponsive)" = "$1" ]; }
log_has() { grep -q "$1" "$RLOG"; }
mtime() { stat -c %Y.%N "$1" | cut -d. -f1; }

wait_until 60 status_written || fail "no status.0 from the replicator"
wait_until 30 ctl_is 0 || fail "no tgtx_replicd_control_unresponsive 0"
pass "replicator up: metrics answer, status.0 written, control socket 0"

kill -STOP "$TGTXD_PID"
stopped=1
# a stopped tgtxd would ignore the cleanup's SIGTERM: continue it first
trap 'r=$?; [ -z "${stopped:-}" ] || kill -CONT "$TGTXD_PID"; (exit $r); stop_all' EXIT
slow=0
for i in 1 2 3 4 5; do
	t0=$(date +%s%N)
	curl -sf --max-time 10 "http://127.0.0.1:$MP/metrics" >/dev/null ||
		fail "tgtxd stopped: metrics request $i got no answer in 10 s"
	ms=$((($(date +%s%N) - t0) / 1000000))
	log "metrics request $i while tgtxd is stopped: ${ms} ms"
	[ $ms -lt 8000 ] || slow=$((slow + 1))
	sleep 1
done
[ $slow -eq 0 ] || fail "tgtxd stopped: $slow metrics requests took 8 s or more"
wait_until 30 ctl_is 1 ||
	fail "tgtxd stopped: tgtx_replicd_control_unresponsive never 1 ($(tail -3 "$RLOG"))"
pass "tgtxd stopped: 5 metrics requests answered, control socket unresponsive 1"

# status.0 rewritten while tgtxd stays stopped
m0=$(stat -c %Y "$LOGDIR/status.0")
st_moved() { [ "$(stat -c %Y "$LOGDIR/status.0")" -gt "$m0" ]; }
wait_until 15 st_moved || fail "tgtxd stopped: status.0 no longer written"
[ "$(grep -c "unresponsive" "$RLOG")" -eq 1 ] ||
	fail "tgtxd stopped: want one 'unresponsive' log line for the episode: $(grep -c unresponsive "$RLOG")"
pass "tgtxd stopped: status.0 still written, one log line for the episode"

kill -CONT "$TGTXD_PID"
stopped=
wait_until 60 ctl_is 0 ||
	fail "after SIGCONT: tgtx_replicd_control_unresponsive not back to 0"
wait_until 10 log_has "answers again" || fail "after SIGCONT: no 'answers again' log line"
n=$(metric tgtx_replicd_control_timeouts_total)
[ "${n:-0}" -ge 1 ] || fail "control timeouts counter: '$n'"
pass "after SIGCONT: unresponsive 0, logged, $n timed-out reads counted"

kill -TERM $RP
wait $RP || fail "tgtx-replicd exited $? on SIGTERM"
! grep -qE "$TGTX_SAN_PATTERN" "$RLOG" || fail "sanitizer report in the replicator log"
pass "clean stop"
