#!/usr/bin/env bash
# Replicator groundwork on loopback: the share writer (through the peer I/O
# layer over libiscsi) writes share batches for k=2 n=3 to three peer LUNs,
# two plain rdwr LUNs on tgtxd and one on Debian's stock tgtd; the reader
# then rebuilds the volume from every pair of share volumes, exactly as
# after the last seq. Mid-stream, one peer is SIGSTOPped: the others
# finish without waiting for it, its writer times out, reconnects after
# SIGCONT and catches up. An xorshare LUN is refused as a peer, a
# garbage header is named, and the CHAP password never shows in output.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SV=$B/test/tools/tgtx-sharevol
[ -x "$SV" ] || fail "no $SV (make SAN=asan tests)"
IQN=iqn.2026-11.org.tgtx:replica
LUNSZ=$((16 << 20))
SECRET=Sh4reS3cretPw
HIST=(--k 2 --n 3 --blocks 2048 --records 900 --seed 7 --journal $((4 << 20)))

# peer 0: tgtxd, CHAP; peer 1: tgtxd (also serves an xorshare LUN)
start_tgtxd p0
truncate -s $LUNSZ "$TGTX_TEST_DIR/p0.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:p0"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 \
	-b "$TGTX_TEST_DIR/p0.img"
tgtxadm_ctl --op new --mode account --user repl --password "$SECRET"
tgtxadm_ctl --op bind --mode account --tid 1 --user repl
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
URL0="iscsi://repl%$SECRET@127.0.0.1:$PORT/$IQN:p0/1"

start_tgtxd p1
truncate -s $LUNSZ "$TGTX_TEST_DIR/p1.img" "$TGTX_TEST_DIR/xs.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:p1"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 \
	-b "$TGTX_TEST_DIR/p1.img"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 --bstype xorshare \
	-b "$TGTX_TEST_DIR/xs.img" \
	--bsopts "k=2;n=3;log=$TGTX_TEST_DIR/xs.log;log_size=16M"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
URL1="iscsi://127.0.0.1:$PORT/$IQN:p1/1"
URLXS="iscsi://127.0.0.1:$PORT/$IQN:p1/2"
P1_PID=$TGTXD_PID

# peer 2: stock tgtd
start_stock_tgtd st
truncate -s $LUNSZ "$TGTX_TEST_DIR/st.img"
stock_tgtadm --lld iscsi --op new --mode target --tid 1 -T "$IQN:st"
stock_tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
	-b "$TGTX_TEST_DIR/st.img"
stock_tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
URL2="iscsi://127.0.0.1:$TGT_PORT/$IQN:st/1"
ST_PID=$TGT_PID
PEERS=(--peer "$URL0" --peer "$URL1" --peer "$URL2")

out=$TGTX_TEST_DIR/out.txt
# 1. the first 400 records to all three
rc=0
"$SV" write "${HIST[@]}" --upto 400 "${PEERS[@]}" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "write of seqs 1..400: exit $rc"
grep -q "peer 2: checkpoint 400" "$out" || fail "no checkpoint at 400"
pass "share batches 1..400 acknowledged and checkpointed on 3 peers"

# 2. the rest, at 300 kB/s per peer, with the stock tgtd stopped
# mid-stream (once peer 2 took part of it)
"$SV" write "${HIST[@]}" --op-timeout 1500 --rate 300000 "${PEERS[@]}" \
	>"$out" 2>&1 &
wpid=$!
track_proc "$wpid" 5
wait_until 30 grep -q "peer 2: connected.*holds seq 400" "$out" ||
	fail "peer 2 did not connect: $(cat "$out")"
sleep 1
kill -STOP "$ST_PID"
grep -q "peer 2: acked 900" "$out" &&
	fail "phase 2 ended before the stop: the rate limit is not applied"
others_done() {
	grep -q "peer 0: acked 900" "$out" && grep -q "peer 1: acked 900" "$out"
}
if ! wait_until 60 others_done; then
	kill -CONT "$ST_PID"
	cat "$out"
	fail "peers 0 and 1 did not finish while peer 2 was stopped"
fi
wait_until 30 grep -q "peer 2: timeout" "$out" ||
	{ kill -CONT "$ST_PID"; cat "$out"; fail "no timeout on peer 2"; }
grep -q "peer 2: acked 900" "$out" &&
	{ kill -CONT "$ST_PID"; fail "peer 2 acked while stopped"; }
pass "peers 0 and 1 acknowledged all 900 seqs while peer 2 was stopped"
kill -CONT "$ST_PID"
rc=0
wait "$wpid" || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "write with a stopped peer: exit $rc"
grep -q "peer 2: checkpoint 900" "$out" || fail "peer 2 did not catch up"
grep -Eq "peer 2: stats: .* timeouts [1-9]" "$out" ||
	fail "peer 2 reports no timeout"
pass "peer 2 timed out, reconnected after SIGCONT and caught up"
if grep -rq "$SECRET" "$out" "$TGTX_TEST_DIR"/*/tgtxd.log; then
	fail "the CHAP password shows in output or logs"
fi
grep -q "repl%\*\*\*@" "$out" || fail "no redacted peer name in output"
pass "the CHAP password never shows (name: repl%***@...)"

# 3. every pair rebuilds the volume after seq 900
rc=0
"$SV" verify "${HIST[@]}" "${PEERS[@]}" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "verify: exit $rc"
[ "$(grep -c 'seq 900, 2048 blocks identical' "$out")" -eq 3 ] ||
	fail "not all 3 pairs rebuilt the volume"
pass "every pair of share volumes rebuilds the volume after seq 900"

# 4. an xorshare LUN is refused as a peer
rc=0
"$SV" write "${HIST[@]}" --upto 10 --timeout 20 \
	--peer "$URL0" --peer "$URLXS" --peer "$URL2" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 5 ] || fail "xorshare peer: exit $rc, expected 5 (refused)"
grep -q "peer 1: refused: .*xorshare LUN" "$out" || fail "refusal not named"
pass "an xorshare LUN is refused as a peer (VPD 0xC0)"

# 5. a garbage header is named
head -c 8192 /dev/urandom |
	dd of="$TGTX_TEST_DIR/p1.img" bs=8192 count=1 conv=notrunc status=none
kill -0 "$P1_PID"
rc=0
"$SV" info --seed 7 --peer "$URL1" --index 1 >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 6 ] || fail "garbage header: exit $rc, expected 6"
grep -q "share volume invalid: bad-magic: no valid superblock" "$out" ||
	fail "garbage header not named"
rc=0
"$SV" info --seed 7 --peer "$URL2" --index 1 >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 6 ] && grep -q "wrong-index" "$out" ||
	fail "share 2 read as share 1 was not refused"
pass "a garbage header and a wrong share index are named"
