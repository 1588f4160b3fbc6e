#!/usr/bin/env bash
# SIGTERM while an initiator keeps 32 writes in flight: tgtxd stops taking
# work, lets the commands already in the backing stores complete, frees
# everything and exits by itself (ASan would report a leaked or
# use-after-freed LU), for an rdwr and an xorshare LUN.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for bstype in rdwr xorshare; do
	start_tgtxd "stop-$bstype"
	IQN=iqn.2026-11.org.tgtx:shutdown
	img="$TGTX_TEST_DIR/$bstype.img"
	truncate -s 256M "$img"
	opts=()
	[ "$bstype" = rdwr ] || opts=(--bsopts "k=2;n=3;log=$TGTX_TEST_DIR/$bstype.log")
	tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN"
	tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
		-b "$img" --bstype "$bstype" "${opts[@]}"
	tgtxadm_ctl --lld iscsi --op bind --mode target --tid 1 -I ALL
	"$LOAD" --url "$(lun_url "$IQN" 1)" --qd 32 --bs 64K --pattern rand \
		--rw write --seconds 20 >"$TGTX_TEST_DIR/load.txt" 2>&1 &
	load=$!
	sleep 2
	kill -TERM "$TGTXD_PID"
	if wait_until 15 bash -c "! kill -0 $TGTXD_PID 2>/dev/null"; then
		pass "$bstype: SIGTERM under load: tgtxd exits by itself"
	else
		fail "$bstype: tgtxd still running 15 s after SIGTERM"
	fi
	wait "$load" || true
	grep -q "tgtxd stopped" "$TGTXD_LOG" &&
		! grep -q "not destroyed\|still in flight" "$TGTXD_LOG" &&
		pass "$bstype: every command drained, every target freed" ||
		fail "$bstype: unclean stop: $(tail -5 "$TGTXD_LOG")"
	check_san_log "$TGTXD_LOG" && pass "$bstype: no sanitizer report" ||
		fail "$bstype: sanitizer report in $TGTXD_LOG"
done
