#!/usr/bin/env bash
# tgtx-replicd end to end on loopback: a primary tgtxd with an xorshare LUN
# (k=2 n=3) and three share peers (two tgtxd rdwr LUNs, one LUN of Debian's
# stock tgtd), declared with share-peer notes (transport=plain). Data
# written before the replicator starts reaches the peers through the fill
# (resync from the local volume); data written while it runs, through the
# share log. Once every peer is in-sync (metrics), the replicator is
# killed -9 mid-stream and restarted (it resumes from the share volumes),
# stopped with SIGTERM (exit 0), and then EVERY pair of peers rebuilds
# exactly the primary's volume file. The key-share blob is on each peer.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SV=$B/test/tools/tgtx-sharevol
RD=$B/tgtx-replicd
[ -x "$SV" ] || fail "no $SV (make SAN=asan tests)"
[ -x "$RD" ] || fail "no $RD (make SAN=asan tests)"
IQN=iqn.2026-11.org.tgtx:rd-basic
VOL=$TGTX_TEST_DIR/vol.img
LOGDIR=$TGTX_TEST_DIR/vol.log
VOLSZ=$((8 << 20))
LUNSZ=$((40 << 20))
# a test-only switch to see the test fail: TGTX_TEST_RD_PLANT=... (see
# doc/replicator.md)

# peers: two tgtxd rdwr LUNs and a stock tgtd LUN
for p in p0 p1; do
	start_tgtxd "$p"
	truncate -s $LUNSZ "$TGTX_TEST_DIR/$p.img"
	tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:$p"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 \
		-b "$TGTX_TEST_DIR/$p.img"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
done
URL0="iscsi://127.0.0.1:$PORT_p0/$IQN:p0/1"
URL1="iscsi://127.0.0.1:$PORT_p1/$IQN:p1/1"
start_stock_tgtd st
truncate -s $LUNSZ "$TGTX_TEST_DIR/st.img"
stock_tgtadm --lld iscsi --op new --mode target --tid 1 -T "$IQN:st"
stock_tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
	-b "$TGTX_TEST_DIR/st.img"
stock_tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
URL2="iscsi://127.0.0.1:$TGT_PORT/$IQN:st/1"

# the primary
start_tgtxd main
truncate -s $VOLSZ "$VOL"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:main"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$VOL" --bsopts "k=2;n=3;log=$LOGDIR;log_size=256M"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
tgtxadm_ctl --op update --mode logicalunit --tid 1 --lun 1 --params \
	"share-peer.0=$URL0,share-peer.0.transport=plain,share-peer.1=$URL1,share-peer.1.transport=plain,share-peer.2=$URL2,share-peer.2.transport=plain"
URL=$(lun_url "$IQN:main" 1)

expect_rc 0 "write 8 blocks at LBA 7 before the replicator runs" \
	"$RWCHECK" --url "$URL" --lba 7 --blocks 8 --seed 11
expect_rc 0 "write 1 MiB at LBA 5000 before the replicator runs" \
	"$RWCHECK" --url "$URL" --lba 5000 --blocks 2048 --seed 12

MPORT=$(free_port)
RDLOG=$TGTX_TEST_DIR/replicd.log
start_replicd() {
	"$RD" -f --control-socket "$CTL_main" --state-dir "$TGTX_TEST_DIR/rd" \
		--metrics "127.0.0.1:$MPORT" --poll-ms 300 --checkpoint-ms 300 \
		--log-level debug >>"$RDLOG" 2>&1 &
	RD_PID=$!
	track_proc "$RD_PID" 10 strict
}
metrics() {
	curl -sf "http://127.0.0.1:$MPORT/metrics"
}
# all peers in-sync, each holding at least seq $1
all_in_sync() {
	local m
	m=$(metrics) || return 1
	[ "$(grep -c '^tgtx_replicd_peer_state{.*state="in-sync"' <<<"$m")" \
		-eq 3 ] || return 1
	awk -v min="$1" '/^tgtx_replicd_peer_acked_seq/ { n++; if ($2 < min) bad = 1 }
		END { exit !(n == 3 && !bad) }' <<<"$m"
}

start_replicd
if ! wait_until 90 all_in_sync 1; then
	cat "$RDLOG"
	metrics || true
	fail "the peers did not become in-sync after the fill"
fi
pass "3 peers filled from the local volume and in-sync"
# tgtxd's show reads the status files the replicator writes every second
show_in_sync() {
	tgtxadm_ctl --op show --mode target >"$TGTX_TEST_DIR/show.txt" &&
		[ "$(grep -Ec 'Peer [0-2]: state=in-sync .*transport=plain' \
			"$TGTX_TEST_DIR/show.txt")" -eq 3 ]
}
CTL=$CTL_main
wait_until 10 show_in_sync || {
	cat "$TGTX_TEST_DIR/show.txt"
	fail "show does not say in-sync (transport=plain) for 3 peers"
}
grep -E 'Peer [0-2]:' "$TGTX_TEST_DIR/show.txt"
pass "show: Peer 0..2 state=in-sync transport=plain"

# writes while it runs: a few overwrites and a minute amount of load
expect_rc 0 "overwrite 64 blocks at LBA 5100 while replicating" \
	"$RWCHECK" --url "$URL" --lba 5100 --blocks 64 --seed 13
expect_rc 0 "write 3 MiB at LBA 8192 while replicating" \
	"$RWCHECK" --url "$URL" --lba 8192 --blocks 6144 --seed 14
"$LOAD" --url "$URL" --rw write --pattern rand --bs 4096 --qd 8 \
	--seconds 2 --span $((VOLSZ / 2)) >/dev/null &
lpid=$!
sleep 1
# kill -9 mid-stream, then restart: it resumes from the share volumes
kill -9 "$RD_PID"
wait "$RD_PID" 2>/dev/null || true
wait "$lpid" || fail "load generator failed"
start_replicd
expect_rc 0 "write 16 blocks at LBA 3 after the restart" \
	"$RWCHECK" --url "$URL" --lba 3 --blocks 16 --seed 15
# the primary's log: what the peers must hold at least
last=$("$B/test/tools/tgtx-sharelog-dump" --quiet "$LOGDIR" 2>/dev/null |
	sed -n 's/.* last_seq=\([0-9]*\) .*/\1/p' | head -1)
[ -n "$last" ] || last=1
log "share log ends at seq $last"
if ! wait_until 90 all_in_sync "$last"; then
	cat "$RDLOG"
	metrics || true
	fail "the peers did not catch up to seq $last"
fi
pass "after kill -9 and restart all peers hold seq $last"
metrics >"$TGTX_TEST_DIR/metrics.txt"
grep -q '^tgtx_replicd_peer_written_bytes_total{lun=".*",peer="2"} [1-9]' \
	"$TGTX_TEST_DIR/metrics.txt" || fail "no bytes counted for peer 2"
kill -TERM "$RD_PID"
rc=0
wait "$RD_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "tgtx-replicd exited $rc on SIGTERM"
pass "SIGTERM: clean stop"

out=$TGTX_TEST_DIR/image.txt
rc=0
"$SV" image --image "$VOL" --min-seq "$last" --k 2 --n 3 \
	--volume-key "$LOGDIR/key" \
	--peer "$URL0" --peer "$URL1" --peer "$URL2" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "rebuild from the peers: exit $rc"
[ "$(grep -c 'blocks identical' "$out")" -eq 3 ] ||
	fail "not all 3 pairs rebuilt the volume"
pass "every pair of peers rebuilds exactly the primary's volume"
[ "$(grep -c 'key blobs give back the volume key' "$out")" -eq 3 ] ||
	fail "the key-share blobs of some pair do not give the volume key back"
pass "every pair's key-share blobs give back the volume key"
[ "$(grep -c 'location table blob of [1-9]' "$out")" -eq 3 ] ||
	fail "a peer has no location table blob"
pass "every peer holds the signed location table blob"
grep -E "filling|fill done|resync|error|warn" "$RDLOG" | head -20 || true
check_san_log "$RDLOG" || fail "sanitizer report in $RDLOG"
