#!/usr/bin/env bash
# Hostile input: garbage, truncated PDUs, oversized data segments,
# out-of-window CmdSNs, protocol violations, connection floods. The daemon
# must keep serving a healthy session running at the same time, and live.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_tgtxd hostile
IQN=iqn.2026-11.org.tgtx:hostile
truncate -s 64M "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
URL=iscsi://127.0.0.1:$PORT/$IQN/1
RW="$B/test/tools/tgtx-rwcheck"

# a healthy session doing I/O in a loop while the attacks run
(
	i=0
	while [ ! -e "$TGTX_TEST_DIR/stop" ]; do
		"$RW" --url "$URL" --lba $((i * 64 % 100000)) --blocks 64 --seed $i || {
			echo "healthy session failed at round $i" >"$TGTX_TEST_DIR/healthy.err"
			exit 1
		}
		i=$((i + 1))
	done
	echo $i >"$TGTX_TEST_DIR/healthy.rounds"
) &
healthy=$!

python3 "$(dirname "$0")/hostile.py" 127.0.0.1 "$PORT" "$IQN" &&
	pass "every hostile probe handled" || fail "hostile probes"
touch "$TGTX_TEST_DIR/stop"
wait $healthy || true
[ -e "$TGTX_TEST_DIR/healthy.err" ] && fail "$(cat "$TGTX_TEST_DIR/healthy.err")" ||
	pass "healthy session kept working ($(cat "$TGTX_TEST_DIR/healthy.rounds" 2>/dev/null) rounds)"
proc_alive "$TGTXD_PID" && pass "daemon alive after the attacks" || fail "daemon died"
"$RW" --url "$URL" --blocks 256 --seed 99 && pass "fresh session works afterwards" ||
	fail "fresh session after attacks"

