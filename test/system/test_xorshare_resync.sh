#!/usr/bin/env bash
# A lost peer is rebuilt from the local site alone. An xorshare LUN (k=2,
# n=4) takes writes and a restart; tgtx-sharelog-dump then plays the peers:
# each holds the shares the log would have sent it (share.<i>). Peer 1's
# shares are destroyed and rebuilt from the local volume and generation map
# only (--resync): bit for bit what it had, and every k-subset of peers that
# includes it rebuilds the volume. Any single peer alone does not.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DUMP=$B/test/tools/tgtx-sharelog-dump
IQN=iqn.2026-11.org.tgtx:xs-resync
VOL=$TGTX_TEST_DIR/vol.img
LOGDIR=$TGTX_TEST_DIR/vol.log
PEERS=$TGTX_TEST_DIR/peers
SIZE=$((16 << 20))
[ -x "$DUMP" ] || fail "no $DUMP"
truncate -s "$SIZE" "$VOL"
mkdir -p "$PEERS"

setup_lun() {
	tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 \
		--bstype xorshare -b "$VOL" \
		--bsopts "k=2;n=4;log=$LOGDIR;log_size=256M"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
}

start_tgtxd main
setup_lun
URL=$(lun_url "$IQN" 1)
expect_rc 0 "write 3 MiB" "$RWCHECK" --url "$URL" --lba 100 --blocks 6144 \
	--seed 1
"$LOAD" --url "$URL" --qd 8 --bs 4096 --pattern rand --rw write \
	--seconds 2 --seed 5 >/dev/null || fail "random writes"
stop_tgtxd
start_tgtxd main
setup_lun
expect_rc 0 "overwrite after a restart" "$RWCHECK" --url "$URL" \
	--lba 3000 --blocks 700 --seed 2
stop_tgtxd

"$DUMP" --quiet --export-shares "$PEERS" "$LOGDIR" >/dev/null ||
	fail "exporting the peers' shares"
mv "$PEERS/share.1" "$TGTX_TEST_DIR/share.1.lost"
"$DUMP" --resync 1 --volume "$VOL" --out "$PEERS/share.1" "$LOGDIR" ||
	fail "resync of peer 1"
cmp "$PEERS/share.1" "$TGTX_TEST_DIR/share.1.lost" ||
	fail "peer 1 rebuilt from the volume differs from what it had"
pass "peer 1 rebuilt from the local volume and map, bit for bit"
for pair in 0,1 1,2 1,3; do
	img=$TGTX_TEST_DIR/rebuilt-${pair/,/}.img
	"$DUMP" --combine-peers "$PEERS" --shares "$pair" --out "$img" \
		"$LOGDIR" || fail "combining peers $pair"
	cmp "$img" "$VOL" || fail "peers {$pair} do not rebuild the volume"
	pass "peers {$pair} rebuild the volume"
done
for one in 0 1; do
	if "$DUMP" --combine-peers "$PEERS" --shares "$one" \
		--out "$TGTX_TEST_DIR/one.img" "$LOGDIR" 2>/dev/null &&
		cmp -s "$TGTX_TEST_DIR/one.img" "$VOL"; then
		fail "peer $one alone rebuilt the volume"
	fi
done
pass "one peer alone does not rebuild the volume"
