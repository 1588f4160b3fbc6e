#!/usr/bin/env bash
# SIGTERM while an initiator keeps 32 writes in flight: tgtxd stops taking
# work, lets the commands already in the backing stores complete, frees
# everything and exits by itself with status 0 (ASan would report a leaked
# or use-after-freed LU), for an rdwr and an xorshare LUN. The load logs
# every WRITE the moment it gets GOOD status; SIGTERM comes only once it has
# logged some, and after the stop every acknowledged write must read back
# from a fresh daemon on the same files.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

IQN=iqn.2026-11.org.tgtx:shutdown

# setup_lun BSTYPE IMG: target 1, LUN 1 on IMG, open to all.
setup_lun() {
	local opts=()

	[ "$1" = rdwr ] || opts=(--bsopts "k=2;n=3;log=$TGTX_TEST_DIR/$1.log")
	tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN"
	tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
		-b "$2" --bstype "$1" "${opts[@]}"
	tgtxadm_ctl --lld iscsi --op bind --mode target --tid 1 -I ALL
}

acks_at_least() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

for bstype in rdwr xorshare; do
	start_tgtxd "stop-$bstype"
	img="$TGTX_TEST_DIR/$bstype.img"
	acks="$TGTX_TEST_DIR/$bstype.acks"
	truncate -s 256M "$img"
	: >"$acks"
	setup_lun "$bstype" "$img"
	"$LOAD" --url "$(lun_url "$IQN" 1)" --qd 32 --bs 64K --pattern rand \
		--rw write --seconds 60 --ack-log "$acks" \
		>"$TGTX_TEST_DIR/load.txt" 2>&1 &
	load=$!
	track_proc "$load" 2
	# the load is really running: some writes got GOOD status
	wait_until 30 acks_at_least "$acks" 200 ||
		fail "$bstype: the load got no writes through: $(cat "$TGTX_TEST_DIR/load.txt")"
	proc_alive "$load" ||
		fail "$bstype: the load stopped early: $(cat "$TGTX_TEST_DIR/load.txt")"
	pid=$TGTXD_PID
	kill -TERM "$pid"
	if wait_until 15 bash -c "! kill -0 $pid 2>/dev/null"; then
		pass "$bstype: SIGTERM under load: tgtxd exits by itself"
	else
		fail "$bstype: tgtxd still running 15 s after SIGTERM"
	fi
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "$bstype: tgtxd exited with status $rc after SIGTERM"
	pass "$bstype: tgtxd exit status 0"
	wait_until 15 bash -c "! kill -0 $load 2>/dev/null" ||
		fail "$bstype: the load did not notice the stop"
	wait "$load" || true
	log "$bstype: $(wc -l <"$acks") WRITEs acknowledged; load:" \
		"$(head -n1 "$TGTX_TEST_DIR/load.txt")"
	grep -q "tgtxd stopped" "$TGTXD_LOG" &&
		! grep -q "not destroyed\|still in flight" "$TGTXD_LOG" &&
		pass "$bstype: every command drained, every target freed" ||
		fail "$bstype: unclean stop: $(tail -5 "$TGTXD_LOG")"
	check_san_log "$TGTXD_LOG" && pass "$bstype: no sanitizer report" ||
		fail "$bstype: sanitizer report in $TGTXD_LOG"

	# what was acknowledged before and during the drain is on disk
	start_tgtxd "check-$bstype"
	setup_lun "$bstype" "$img"
	"$RWCHECK" --url "$(lun_url "$IQN" 1)" --verify-acks "$acks" \
		>"$TGTX_TEST_DIR/verify.txt" 2>&1 ||
		fail "$bstype: acknowledged writes lost: $(cat "$TGTX_TEST_DIR/verify.txt")"
	pass "$bstype: $(cat "$TGTX_TEST_DIR/verify.txt")"
	stop_tgtxd
done
