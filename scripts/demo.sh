#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The whole disaster story on one machine, on loopback only:
#   1. three partner sites: two tgtxd targets and Debian's stock tgtd
#   2. the primary: tgtxd with an xorshare volume (k=2 of n=3) whose three
#      shares live on the partners, and tgtx-replicd replicating to them and
#      gossiping the volume's signed share-location table
#   3. a partner's tgtx-replicd gossips too, with no pin of the primary
#      configured: it learns the volume's owner and table from the share
#      volume it holds, and answers the owner's gossip
#   4. data written through an iSCSI initiator (with overwrites), replicated
#   5. the DR kit exported from the running primary (kept "offline")
#   6. the disaster: the primary's processes, volume, share log and keys
#      are destroyed
#   7. from one partner's address and the kit: list, then restore
#   8. checksums compared
#
# Usage: scripts/demo.sh [BUILD_DIR]   (after `make`; default build/rel)
# Needs tgtx-replicd (issue 11) and tgtx-recover restore (issue 12) on the
# branch being run.
set -euo pipefail
export TGTX_BUILD=${1:-${TGTX_BUILD:-build/rel}}
. "$(dirname "$0")/../test/system/lib.sh"

RD=$B/tgtx-replicd
R=$B/tgtx-recover
for x in "$RD" "$R" "$B/tgtxd" "$RWCHECK"; do
	[ -x "$x" ] || fail "no $x: run make first"
done
W=$TGTX_TEST_DIR
IQN=iqn.2026-11.org.tgtx:demo
VOLSZ=$((16 << 20))
LUNSZ=$((64 << 20))
T0=$(date +%s%N)
step() {
	local ds=$((($(date +%s%N) - T0) / 100000000))

	printf '\n== [%3d.%ds] %s\n' $((ds / 10)) $((ds % 10)) "$*"
}

step "1. partner sites: tgtxd p0, tgtxd p1, stock tgtd st (empty LUNs of $((LUNSZ >> 20)) MiB)"
for p in p0 p1; do
	start_tgtxd "$p"
	truncate -s $LUNSZ "$W/$p.img"
	tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:$p"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$W/$p.img"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
done
start_stock_tgtd st
truncate -s $LUNSZ "$W/st.img"
stock_tgtadm --lld iscsi --op new --mode target --tid 1 -T "$IQN:st"
stock_tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
	-b "$W/st.img"
stock_tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL

step "2. the primary: xorshare volume k=2 n=3, shares on p0, p1, st"
start_tgtxd main
truncate -s $VOLSZ "$W/vol.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:main"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$W/vol.img" --bsopts "k=2;n=3;log=$W/vol.log;log_size=256M"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
tgtxadm_ctl --op update --mode logicalunit --tid 1 --lun 1 --params \
	"share-peer.0=iscsi://127.0.0.1:$PORT_p0/$IQN:p0/1,share-peer.0.transport=plain,share-peer.1=iscsi://127.0.0.1:$PORT_p1/$IQN:p1/1,share-peer.1.transport=plain,share-peer.2=iscsi://127.0.0.1:$TGT_PORT/$IQN:st/1,share-peer.2.transport=plain"
MAIN_PIN=$("$B/tgtxd" --show-node-key --state-dir "$W/main/state")
P0_PIN=$("$B/tgtxd" --show-node-key --state-dir "$W/p0/state")
GP_MAIN=$(free_port)
GP_P0=$(free_port)
MPORT=$(free_port)
"$RD" -f --control-socket "$CTL_main" --state-dir "$W/main/state" \
	--metrics "127.0.0.1:$MPORT" --poll-ms 300 --checkpoint-ms 300 \
	--gossip-listen "127.0.0.1:$GP_MAIN" \
	--gossip-seed "$P0_PIN@127.0.0.1:$GP_P0" >"$W/rd-main.log" 2>&1 &
RD_MAIN=$!
track_proc "$RD_MAIN" 10
log "primary node $MAIN_PIN, tgtx-replicd gossiping on 127.0.0.1:$GP_MAIN"

step "3. partner p0's tgtx-replicd gossips (no pin of the primary: it learns the owner from the share volume it holds)"
"$RD" -f --control-socket "$CTL_p0" --state-dir "$W/p0/state" --poll-ms 1000 \
	--gossip-listen "127.0.0.1:$GP_P0" >"$W/rd-p0.log" 2>&1 &
track_proc $! 10

step "4. writing 12 MiB through iSCSI, then overwriting 2 MiB of it"
URL=$(lun_url "$IQN:main" 1)
"$RWCHECK" --url "$URL" --lba 0 --blocks 8192 --seed 1 >/dev/null
"$RWCHECK" --url "$URL" --lba 16384 --blocks 16384 --seed 2 >/dev/null
"$RWCHECK" --url "$URL" --lba 4096 --blocks 4096 --seed 3 >/dev/null
in_sync() {
	curl -sf "http://127.0.0.1:$MPORT/metrics" |
		grep -c '^tgtx_replicd_peer_state{.*state="in-sync"' |
		grep -qx 3
}
wait_until 120 in_sync || {
	tail -n 30 "$W/rd-main.log" >&2
	fail "the peers never got in sync (tgtx-replicd's log above)"
}
SUM=$(sha256sum <"$W/vol.img" | cut -d' ' -f1)
log "all 3 partners in sync; volume sha256 $SUM"

step "5. the DR kit, exported from the running primary (kept offline)"
echo "demo passphrase, keep it apart from the kit" >"$W/pass"
P0_PUB=$("$B/test/tools/tgtx-gossip" keygen --key "$W/p0/state/node.key" |
	awk '/^pub/{print $2}')
"$R" kit export --out "$W/dr.kit" --state-dir "$W/main/state" \
	--control-socket "$CTL_main" --name demo-primary \
	--peer "$P0_PUB,127.0.0.1:$GP_P0" --seed "127.0.0.1:$GP_P0" \
	--passphrase-file "$W/pass" --kdf-log2n 14
cp "$W/dr.kit" "$W/offline.kit"

step "6. DISASTER: the primary's daemons, volume, share log and keys are gone"
stop_proc "$RD_MAIN"
stop_proc "$PID_main"
rm -rf "$W/vol.img" "$W/vol.log" "$W/main" "$W/dr.kit"
log "left: the partners, the kit, the passphrase and one address 127.0.0.1:$GP_P0"

step "7. tgtx-recover list --from p0 (the partner learned the table, with no configuration of it)"
wait_until 60 "$R" list --from "127.0.0.1:$GP_P0" --kit "$W/offline.kit" \
	--passphrase-file "$W/pass" --no-probe >/dev/null 2>&1 ||
	fail "p0 knows no volume"
"$R" list --from "127.0.0.1:$GP_P0" --kit "$W/offline.kit" \
	--passphrase-file "$W/pass" | tee "$W/list.txt"
NAME=$(awk '/^volume /{print $2; exit}' "$W/list.txt")
[ -n "$NAME" ] || fail "no volume listed"
# what p0 learned survives its restart: it is on disk in its state dir
wait_until 10 test -s "$W/p0/state/gossip/state" ||
	fail "partner p0 did not save the tables it learned"

step "8. tgtx-recover restore --from p0 --volume $NAME"
"$R" restore --from "127.0.0.1:$GP_P0" --volume "$NAME" \
	--kit "$W/offline.kit" --passphrase-file "$W/pass" \
	--to "$W/restored.img" --verify --progress plain
GOT=$(sha256sum <"$W/restored.img" | cut -d' ' -f1)
log "before the disaster: $SUM"
log "restored:            $GOT"
[ "$GOT" = "$SUM" ] || fail "the restored volume differs"
step "done: the volume is back, checksums equal"
pass "demo"
