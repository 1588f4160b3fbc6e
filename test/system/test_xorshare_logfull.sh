#!/usr/bin/env bash
# A share log much smaller than the data written:
#   full=drop-lagging: writes keep succeeding, lagging peers are marked
#     needs-resync, show reports it with an alert, the daemon logs an ALERT;
#   full=block: a write that does not fit waits (reads go on, show says
#     BLOCKED) until the peers' cursors move (tgtx-sharelog-dump --confirm,
#     as the replicator would), then completes with the right data.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DUMP=$B/test/tools/tgtx-sharelog-dump
IQN=iqn.2026-11.org.tgtx:xs-full
LOGSIZE=$((1 << 20))
[ -x "$DUMP" ] || fail "no $DUMP"
truncate -s 16M "$TGTX_TEST_DIR/drop.img" "$TGTX_TEST_DIR/block.img"
DROPLOG=$TGTX_TEST_DIR/drop.log
BLOCKLOG=$TGTX_TEST_DIR/block.log

start_tgtxd main
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$TGTX_TEST_DIR/drop.img" \
	--bsopts "k=2;n=3;log=$DROPLOG;log_size=$LOGSIZE;full=drop-lagging"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 --bstype xorshare \
	-b "$TGTX_TEST_DIR/block.img" \
	--bsopts "k=2;n=3;log=$BLOCKLOG;log_size=$LOGSIZE;full=block"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL

# lun_show LUN: the show lines of one LUN
lun_show() {
	tgtxadm_ctl --op show --mode target |
		sed -n "/^ *LUN: $1\$/,/^ *LUN: \|Account information/p"
}

# ---- full=drop-lagging ----
expect_rc 0 "4 MiB through a 1 MiB log (drop-lagging): writes succeed" \
	"$RWCHECK" --url "$(lun_url "$IQN" 1)" --lba 0 --blocks 8192 --seed 1
expect_rc 0 "and more writes after the peers were dropped" \
	"$RWCHECK" --url "$(lun_url "$IQN" 1)" --lba 10000 --blocks 4096 --seed 2
expect_rc 0 "earlier data still reads back" \
	"$RWCHECK" --url "$(lun_url "$IQN" 1)" --verify-only --lba 0 \
	--blocks 8192 --seed 1
# the writer publishes its state between batches: give it a moment
dropped_show() {
	lun_show 1 | grep -q needs-resync
}
wait_until 5 dropped_show || true
lun_show 1 >"$TGTX_TEST_DIR/show1.txt"
grep -Eq "Peer [0-2]: .*needs-resync" "$TGTX_TEST_DIR/show1.txt" ||
	fail "show has no needs-resync peer: $(cat "$TGTX_TEST_DIR/show1.txt")"
pass "show: $(grep -Ec "Peer [0-2]: .*needs-resync" "$TGTX_TEST_DIR/show1.txt") peer(s) needs-resync"
alert=$(grep "Alert:" "$TGTX_TEST_DIR/show1.txt" || true)
if [ -z "$alert" ] || grep -q "Alert: none" <<<"$alert"; then
	fail "show has no alert: $(cat "$TGTX_TEST_DIR/show1.txt")"
fi
pass "show reports the alert:${alert#*Alert:}"
grep -q "used=[0-9]*/$LOGSIZE" "$TGTX_TEST_DIR/show1.txt" ||
	fail "show: log size: $(grep 'Share log' "$TGTX_TEST_DIR/show1.txt")"
used=$(grep -o "used=[0-9]*" "$TGTX_TEST_DIR/show1.txt" | cut -d= -f2)
[ "$used" -le "$LOGSIZE" ] || fail "log uses $used bytes, more than $LOGSIZE"
pass "the log stays within its $LOGSIZE bytes (uses $used)"
grep -q "ALERT.*$DROPLOG" "$TGTXD_LOG" ||
	fail "no ALERT in the daemon log: $(tail -n 20 "$TGTXD_LOG")"
pass "daemon log: $(grep -m1 "ALERT.*$DROPLOG" "$TGTXD_LOG" | cut -c1-150)"
# the files agree: the state says so after a restart of the log reader
"$DUMP" --quiet "$DROPLOG" >"$TGTX_TEST_DIR/dump1.txt"
grep -q "needs-resync" "$TGTX_TEST_DIR/dump1.txt" ||
	fail "needs-resync not persisted: $(cat "$TGTX_TEST_DIR/dump1.txt")"
pass "needs-resync is persisted in the log's state"

# ---- full=block ----
URL2=$(lun_url "$IQN" 2)
expect_rc 0 "128 KiB fit in the 1 MiB log (block)" \
	"$RWCHECK" --url "$URL2" --lba 0 --blocks 256 --seed 3
"$RWCHECK" --url "$URL2" --lba 1000 --blocks 4096 --seed 4 --timeout 120 \
	>"$TGTX_TEST_DIR/blocked.txt" 2>&1 &
writer=$!
track_proc "$writer" 1

blocked_show() {
	lun_show 2 | grep -q "BLOCKED"
}
unblocked_show() {
	! blocked_show
}
wait_until 15 blocked_show ||
	fail "show never says BLOCKED: $(lun_show 2)"
pass "show says BLOCKED once the log is full"
sleep 1.5
proc_alive "$writer" ||
	fail "the 2 MiB write completed without space: $(cat "$TGTX_TEST_DIR/blocked.txt")"
pass "the write waits while the log is full"
grep -q "ALERT.*$BLOCKLOG.*block" "$TGTXD_LOG" ||
	fail "no ALERT for the blocked log: $(tail -n 20 "$TGTXD_LOG")"
pass "daemon log has the blocked ALERT"
expect_rc 0 "reads go on while writes are blocked" \
	"$RWCHECK" --url "$URL2" --verify-only --lba 0 --blocks 256 --seed 3 \
	--timeout 10
proc_alive "$writer" || fail "the write completed without space"

# Play the replicator: confirm everything logged so far for every peer,
# until the waiting write is through.
confirms=0
deadline=$((SECONDS + 60))
while proc_alive "$writer"; do
	[ "$SECONDS" -lt "$deadline" ] || fail "write still blocked after 60 s"
	last=$("$DUMP" --quiet "$BLOCKLOG" | grep -o "last_seq=[0-9]*" |
		cut -d= -f2)
	for p in 0 1 2; do
		"$DUMP" --confirm "$p" "$last" "$BLOCKLOG" ||
			fail "confirm peer $p seq $last"
	done
	confirms=$((confirms + 1))
	sleep 0.2
done
rc=0
wait "$writer" || rc=$?
[ "$rc" -eq 0 ] ||
	fail "blocked write failed (exit $rc): $(cat "$TGTX_TEST_DIR/blocked.txt")"
pass "the write completed once the peers confirmed ($confirms rounds of confirms)"
expect_rc 0 "its data reads back" \
	"$RWCHECK" --url "$URL2" --verify-only --lba 1000 --blocks 4096 --seed 4
wait_until 5 unblocked_show ||
	fail "still BLOCKED: $(lun_show 2)"
lun_show 2 >"$TGTX_TEST_DIR/show2.txt"
grep -q "needs-resync" "$TGTX_TEST_DIR/show2.txt" &&
	fail "full=block dropped a peer: $(cat "$TGTX_TEST_DIR/show2.txt")"
pass "full=block never drops a peer, and is no longer BLOCKED"
stop_tgtxd
