#!/usr/bin/env bash
# Issue 9 soak: every flood of test_attack_*.sh at once for a minute, from
# other loopback addresses, while a healthy initiator on 127.0.0.1 does
# verified I/O. RSS stays within the budget, the healthy session keeps
# working, every attacking connection is dropped by a deadline and memory
# returns once they are gone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

attack_start 1024 --mem-budget 128M
URL=$(lun_url "$ATTACK_IQN" 1)
(
	i=0
	while [ ! -e "$TGTX_TEST_DIR/stop" ]; do
		"$RWCHECK" --url "$URL" --lba $((i * 64 % 100000)) --blocks 64 \
			--seed $i >/dev/null || {
			echo "healthy session failed at round $i" >"$TGTX_TEST_DIR/healthy.err"
			exit 1
		}
		i=$((i + 1))
	done
	echo $i >"$TGTX_TEST_DIR/healthy.rounds"
) &
healthy=$!
export TGTXADM CTL SOAK_STOP=$TGTX_TEST_DIR/stop
rc=0
attack soak 60 128 || rc=$?
touch "$TGTX_TEST_DIR/stop"
wait $healthy || true
[ "$rc" -eq 0 ] || fail "soak"
pass "RSS within the budget, attackers dropped, memory returned"
[ -e "$TGTX_TEST_DIR/healthy.err" ] && fail "$(cat "$TGTX_TEST_DIR/healthy.err")"
pass "healthy session kept working ($(cat "$TGTX_TEST_DIR/healthy.rounds") verified rounds)"
attack_alive
