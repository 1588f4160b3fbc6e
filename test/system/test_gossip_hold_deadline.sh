#!/usr/bin/env bash
# The held-volume scan's deadline (doc/gossip.md "Held volumes", "Deadline
# per read"): a LUN whose storage stops answering must not stop
# tgtx-replicd. Node A: tgtxd with an xorshare volume (k=2 n=3, peers p0
# tgtxd, p1 and p2 stock tgtd) and a plain LUN "held" holding a copy of
# p0's share volume; A's tgtx-replicd runs with gossip and --metrics in its
# own mount namespace, where the held LUN's directory is a FUSE file system
# (test/system/fuse_stall.py) passing reads through to the real file, which
# tgtxd serves as usual outside. SIGSTOP of the FUSE server is a hung disk
# for the scan only. While it hangs: the scan gives up after its 5 s
# deadline and logs it naming the LUN and the path; the overdue gauge and
# the deadline counter say so; the daemon's loop, the metrics, the peers
# (new writes reach them, status files advance) and gossip (a node started
# now gets A's table) go on. After SIGCONT the late result is thrown away,
# the LUN is skipped for 10 scans, then read again.
# Needs CAP_SYS_ADMIN (root: `unshare -m`) or user namespaces
# (`unshare -Urm`) and /dev/fuse.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"

G=$B/test/tools/tgtx-gossip
FUSE_PY=$(cd "$(dirname "$0")" && pwd)/fuse_stall.py
rd_need_tools
[ -x "$G" ] || fail "no $G (make SAN=asan tests)"
command -v curl >/dev/null || fail "no curl (scripts/install-deps.sh)"
command -v unshare >/dev/null || fail "no unshare (util-linux)"
[ -c /dev/fuse ] || fail "no /dev/fuse: the hung-storage FUSE file needs it"
if [ "$(id -u)" -eq 0 ]; then
	NS=(unshare -m --propagation private)
else
	NS=(unshare -Urm --propagation private)
fi
L=127.0.0.1
W=$TGTX_TEST_DIR
D=$W/held # the FUSE mount point in A's replicator's namespace
mkdir -p "$D"
: >"$D/held.img"
HELD_PATH=$D/held.img

rd_primary 2 3 4M
rd_peer_tgtxd 0
rd_peer_tgtd 1
rd_peer_tgtd 2
rd_set_peers "transport=plain"

A_PIN=$("$B/tgtxd" --show-node-key --state-dir "$RD_STATE")
A_PUB=$("$G" keygen --key "$RD_STATE/node.key" | awk '/^pub/{print $2}')
"$G" keygen --key "$W/x.key" >"$W/x.id"
X_ID=$(awk '/^id/{print $2}' "$W/x.id")
[ ${#A_PIN} -eq 64 ] && [ ${#X_ID} -eq 64 ] && [ -n "$A_PUB" ] ||
	fail "keys: A=$A_PIN X=$X_ID"
GA=$(free_port)
PX=$(free_port)
MPORT=$(free_port)

# A's replicator in its own mount namespace over the FUSE mount
FUSE_PIDF=$W/fuse.pid
mkdir -p "$RD_STATE"
"${NS[@]}" bash -c '
	python3 "$1" --mount "$2" --name held.img --src "$2/held.img" \
		--pidfile "$3" >>"$4" 2>&1 &
	for _ in $(seq 200); do [ -s "$3" ] && break; sleep 0.05; done
	[ -s "$3" ] || { echo "fuse_stall did not mount" >&2; exit 1; }
	shift 4
	exec "$@"' _ "$FUSE_PY" "$D" "$FUSE_PIDF" "$W/fuse.log" \
	"$REPLICD" -f --control-socket "$RD_PRI_CTL" --state-dir "$RD_STATE" \
	--poll-ms 300 --checkpoint-ms "$RD_CKPT_MS" --log-level info \
	--hold-scan-ms 300 --metrics "$L:$MPORT" --gossip-listen "$L:$GA" \
	--gossip-seed "$X_ID@$L:$PX" >>"$RD_REPLICD_LOG" 2>&1 &
RD_REPLICD_PID=$!
wait_until 20 test -s "$FUSE_PIDF" || {
	cat "$W/fuse.log" "$RD_REPLICD_LOG" >&2
	fail "the FUSE file system did not mount (CAP_SYS_ADMIN or userns and /dev/fuse needed)"
}
FUSE_PID=$(cat "$FUSE_PIDF")
# the hung storage first: at exit it is killed before the replicator waits
track_proc "$FUSE_PID" 1
track_proc "$RD_REPLICD_PID" 15 strict
log "tgtx-replicd pid $RD_REPLICD_PID, FUSE server pid $FUSE_PID"

"$RWCHECK" --url "$RD_PRI_URL" --lba 0 --blocks 2048 --seed 5 >/dev/null
rd_wait_in_sync 120

# A copy of p0's share volume becomes A's plain LUN "held" (same inode as
# the one the FUSE server passes through)
cat "${RD_IMG[0]}" >"$HELD_PATH"
rd_pri --op new --mode target --tid 2 -T "$RD_IQN:held"
rd_pri --op new --mode logicalunit --tid 2 --lun 1 -b "$HELD_PATH"
HELD_LUN="$RD_IQN:held/1 ($HELD_PATH)"

says() {
	grep -qF -- "$1" "$RD_REPLICD_LOG"
}
RD_METRICS=$L:$MPORT
SAME='tgtx_replicd_held_tables_total{verdict="same"}'
DEADLINE='tgtx_replicd_hold_scan_errors_total{kind="deadline"}'

wait_until 60 says "LUN $HELD_LUN, share 0: volume" || {
	tail -n 30 "$RD_REPLICD_LOG" >&2
	fail "A's scan never read the held LUN through the FUSE mount"
}
wait_until 20 metric_ge "$SAME" 2 || fail "no repeated read of the held LUN"
metric_is tgtx_replicd_held_volumes 1 || fail "held_volumes is not 1"
metric_is "$DEADLINE" 0 || fail "a deadline missed before any stall"
metric_is tgtx_replicd_hold_read_overdue 0 || fail "overdue before any stall"
pass "A's scan reads the held LUN through the FUSE file system and binds it"

# --- the storage stops answering ---
kill -STOP "$FUSE_PID"
T0=$SECONDS
overdue() {
	says "reading the header of LUN $HELD_LUN has taken" &&
		metric_is tgtx_replicd_hold_read_overdue 1
}
wait_until 60 overdue || {
	tail -n 20 "$RD_REPLICD_LOG" >&2
	rd_metrics >/dev/null ||
		fail "the stuck header read blocks the daemon's loop: no metrics answer"
	rd_metrics | grep hold >&2 || true
	fail "no deadline: the stuck header read was not named in the log and metrics"
}
waited=$((SECONDS - T0))
[ "$waited" -ge 4 ] || fail "deadline named after ${waited} s, before its 5 s"
grep -F "reading the header of LUN $HELD_LUN has taken" "$RD_REPLICD_LOG"
metric_is "$DEADLINE" 1 || fail "deadline counter is not 1 during the stall"
pass "the stuck read is named (LUN and path) after its 5 s deadline (${waited} s), overdue gauge 1, deadline counter 1"

# the rest of the daemon goes on: the peers get new writes
SCANS_STUCK=$(metric tgtx_replicd_hold_scans_total)
read -r seq0 _ < <(rd_status_acked 0)
"$RWCHECK" --url "$RD_PRI_URL" --lba 4096 --blocks 512 --seed 9 >/dev/null
rd_wait_in_sync 60
# status.0 is rewritten on the replicator's own timer: wait for it
acked_past() {
	local s

	read -r s _ < <(rd_status_acked 0)
	[ "$s" -gt "$seq0" ]
}
wait_until 30 acked_past || fail "peer 0's status did not advance past $seq0"
read -r seq1 _ < <(rd_status_acked 0)
pass "while the scan hangs the peers replicate new writes (peer 0 acked $seq0 -> $seq1)"

# ... and gossip: X, started now, gets A's table from A
"$G" serve --key "$W/x.key" --state "$W/x.state" --listen "$L:$PX" \
	--peer "$A_PUB@$L:$GA" --interval-ms 200 >"$W/x.log" 2>&1 &
track_proc $! 5
x_has_a() {
	"$G" dump --state "$W/x.state" 2>/dev/null |
		grep -q "owner=${A_PIN:0:16}"
}
wait_until 60 x_has_a || {
	cat "$W/x.log" >&2
	fail "gossip did not answer while the scan hung"
}
overdue || fail "the read stopped hanging by itself"
[ "$(metric tgtx_replicd_hold_scans_total)" = "$SCANS_STUCK" ] ||
	fail "a scan completed while its read hung"
SAME_STUCK=$(metric "$SAME")
pass "while the scan hangs gossip answers (X got A's table) and metrics answer"

# --- the storage answers again ---
kill -CONT "$FUSE_PID"
wait_until 30 says "LUN $RD_IQN:held/1 ($HELD_PATH): header read took" || {
	tail -n 20 "$RD_REPLICD_LOG" >&2
	fail "the late read was not logged as ignored"
}
grep -F "LUN $RD_IQN:held/1 ($HELD_PATH): header read took" "$RD_REPLICD_LOG"
says "result ignored, LUN skipped for 10 scans" ||
	fail "the late result was not thrown away"
wait_until 10 metric_is tgtx_replicd_hold_read_overdue 0 ||
	fail "still overdue after SIGCONT"
# Counted in scans, not seconds: the hung scan completes as scan S+1, the
# LUN is skipped in scans S+2..S+11 and read again from scan S+12 on (one
# "same" verdict per read). In any snapshot after that, reads since the
# stall <= complete scans - S - 10; without the backoff reads would be
# about scans - S - 1, however late the snapshot is taken.
again=$W/again.txt
read_again() {
	rd_metrics >"$again" || return 1
	awk -v n="$SAME" -v old="$SAME_STUCK" '$1 == n { f = 1; ok = $2 > old }
		END { exit !(f && ok) }' "$again"
}
wait_until 90 read_again || {
	rd_metrics | grep hold >&2
	fail "the held LUN was never read again after its backoff"
}
scans_then=$(awk '$1 == "tgtx_replicd_hold_scans_total" { print $2 }' "$again")
reads=$(($(awk -v n="$SAME" '$1 == n { print $2 }' "$again") - SAME_STUCK))
[ "$reads" -le $((scans_then - SCANS_STUCK - 10)) ] ||
	fail "the held LUN was read $reads times in $((scans_then - SCANS_STUCK)) scans since the hung one began: not skipped for 10 scans"
metric_is "$DEADLINE" 1 || fail "deadline counter is not 1 at the end"
last=$(metric tgtx_replicd_hold_scan_last_complete_seconds)
awk -v t="$last" -v now="$(date +%s)" 'BEGIN { exit !(t > now - 60 && t <= now + 1) }' ||
	fail "last complete scan time $last is not recent"
pass "after SIGCONT the late result is ignored, the LUN skipped for 10 scans, then read again ($reads reads in $((scans_then - SCANS_STUCK)) scans); scans complete"

rd_finish
