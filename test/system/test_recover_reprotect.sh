#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 12 "reprotect then a second disaster and restore", with the real
# daemons on loopback, k=2 n=3 (partners: tgtxd p0, tgtxd p1, stock tgtd st):
#  1. data with overwrites through iSCSI, replicated, in sync
#  2. disaster: the primary's daemons, volume, share log and keys are gone;
#     st is unreachable (its ACL unbound)
#  3. tgtx-recover restore --from p0 --kit --before T --reprotect SEED (from
#     p0, p1): T is before the last overwrites, so the seed lists blocks
#     the peers hold newer content of (the new owner re-logs them)
#  4. a new primary over the restored volume: the seed is refused for a LUN
#     of another size, applied to the real LUN, refused for a second LUN;
#     tgtx-replicd ATTACHES to p0/p1 (bytes written to them << the
#     volume: nothing re-sent), st comes back and gets a fill from the
#     volume and the seed's generation map (its generations equal p0's)
#  5. new writes (overwrites of old blocks): every block whose generation
#     changed on a peer has one >= the seed's floor, which is above every
#     generation held before (no randomness reused)
#  6. second disaster (new primary gone, p1 gone too): restore from p0 + st
#     equals the new primary's last content
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RD=$B/tgtx-replicd
R=${TGTX_RECOVER:-$B/tgtx-recover}
SV=$B/test/tools/tgtx-sharevol
for x in "$RD" "$R" "$B/tgtxd" "$RWCHECK" "$SV"; do
	[ -x "$x" ] || fail "no $x: run make first"
done
command -v curl >/dev/null || fail "no curl (scripts/install-deps.sh)"
W=$TGTX_TEST_DIR
IQN=iqn.2026-11.org.tgtx:rp
VOLSZ=$((16 << 20))
LUNSZ=$((64 << 20))

log "partners: tgtxd p0, tgtxd p1, stock tgtd st"
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
U0="iscsi://127.0.0.1:$PORT_p0/$IQN:p0/1"
U1="iscsi://127.0.0.1:$PORT_p1/$IQN:p1/1"
U2="iscsi://127.0.0.1:$TGT_PORT/$IQN:st/1"
# retain: the journals keep the seqs after the point restored with --before
PEERS="share-peer.0=$U0,share-peer.0.transport=plain,share-peer.0.retain=1h,share-peer.1=$U1,share-peer.1.transport=plain,share-peer.1.retain=1h,share-peer.2=$U2,share-peer.2.transport=plain,share-peer.2.retain=1h"

MPORT=
metric() { # metric NAME PEER: value for the LUN's peer
	curl -sf "http://127.0.0.1:$MPORT/metrics" |
		awk -v n="$1" -v p="peer=\"$2\"" \
			'index($0, n "{") == 1 && index($0, p) {print $NF}'
}
in_sync() { # in_sync N: N peers in-sync
	[ "$(curl -sf "http://127.0.0.1:$MPORT/metrics" |
		grep -c '^tgtx_replicd_peer_state{.*state="in-sync"')" = "$1" ]
}
peer_in_sync() {
	curl -sf "http://127.0.0.1:$MPORT/metrics" |
		grep -q "^tgtx_replicd_peer_state{.*peer=\"$1\",state=\"in-sync\""
}
start_rd() { # start_rd NAME [gossip args...]
	local name=$1

	shift
	MPORT=$(free_port)
	"$RD" -f --control-socket "$(eval echo "\$CTL_$name")" \
		--state-dir "$W/$name/state" --metrics "127.0.0.1:$MPORT" \
		--poll-ms 300 --checkpoint-ms 300 "$@" >"$W/rd-$name.log" 2>&1 &
	RD_PID=$!
	track_proc "$RD_PID" 10
}
gens() { # gens URL INDEX > FILE: "LBA GEN" per block
	"$SV" gens --peer "$1" --index "$2" | grep -E '^[0-9]+ [0-9]+$'
}

log "1. primary: xorshare k=2 n=3, tgtx-replicd with gossip to p0"
start_tgtxd main
truncate -s $VOLSZ "$W/vol.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:main"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$W/vol.img" --bsopts "k=2;n=3;log=$W/vol.log;log_size=256M"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
tgtxadm_ctl --op update --mode logicalunit --tid 1 --lun 1 --params "$PEERS"
MAIN_PIN=$("$B/tgtxd" --show-node-key --state-dir "$W/main/state")
P0_PIN=$("$B/tgtxd" --show-node-key --state-dir "$W/p0/state")
GP_MAIN=$(free_port)
GP_P0=$(free_port)
start_rd main --gossip-listen "127.0.0.1:$GP_MAIN" \
	--gossip-seed "$P0_PIN@127.0.0.1:$GP_P0"
RD_MAIN=$RD_PID
"$RD" -f --control-socket "$CTL_p0" --state-dir "$W/p0/state" --poll-ms 1000 \
	--hold-scan-ms 500 --gossip-listen "127.0.0.1:$GP_P0" \
	--gossip-seed "$MAIN_PIN@127.0.0.1:$GP_MAIN" >"$W/rd-p0.log" 2>&1 &
track_proc $! 10
URL=$(lun_url "$IQN:main" 1)
"$RWCHECK" --url "$URL" --lba 0 --blocks 8192 --seed 1 >/dev/null
"$RWCHECK" --url "$URL" --lba 16384 --blocks 16384 --seed 2 >/dev/null
wait_until 120 in_sync 3 || {
	tail -n 30 "$W/rd-main.log" >&2
	fail "the peers never got in sync"
}
SUM_A=$(sha256sum <"$W/vol.img" | cut -d' ' -f1)
sleep 1
T=$(date +%s.%N)
sleep 1
# after T: overwrites of blocks 4096..8191, which the restore --before T
# drops: the new owner must re-log them (revert) with new generations
"$RWCHECK" --url "$URL" --lba 4096 --blocks 4096 --seed 3 >/dev/null
wait_until 120 in_sync 3 || fail "the peers never got in sync (2)"
pass "written with overwrites, 3 peers in sync"
# p0 has bound the volume it holds to its owner (as after days of
# replication): the reprotected volume's table, signed by the new primary's
# key, must not be p0's first sight of it
p0_bound() { grep -q "bound to owner $MAIN_PIN on first sight" "$W/rd-p0.log"; }
wait_until 60 p0_bound || fail "p0 never bound the share volume it holds"
echo "rp passphrase" >"$W/pass"
P0_PUB=$("$B/test/tools/tgtx-gossip" keygen --key "$W/p0/state/node.key" |
	awk '/^pub/{print $2}')
"$R" kit export --out "$W/dr.kit" --state-dir "$W/main/state" \
	--control-socket "$CTL_main" --name rp-primary \
	--peer "$P0_PUB,127.0.0.1:$GP_P0" --seed "127.0.0.1:$GP_P0" \
	--passphrase-file "$W/pass" --kdf-log2n 14 >/dev/null
gens "$U0" 0 >"$W/gens-before.txt"
[ "$(wc -l <"$W/gens-before.txt")" = 32768 ] || fail "gens of p0 before"

log "2. DISASTER 1: primary gone; st unreachable"
stop_proc "$RD_MAIN"
stop_proc "$PID_main"
rm -rf "$W/vol.img" "$W/vol.log" "$W/main"
stock_tgtadm --lld iscsi --op unbind --mode target --tid 1 -I ALL

log "3. restore --from p0 --before T --reprotect"
wait_until 60 "$R" list --from "127.0.0.1:$GP_P0" --kit "$W/dr.kit" \
	--passphrase-file "$W/pass" --no-probe ||
	fail "p0 knows no volume"
NAME=$("$R" list --from "127.0.0.1:$GP_P0" --kit "$W/dr.kit" \
	--passphrase-file "$W/pass" --no-probe | awk '/^volume /{print $2; exit}')
"$R" restore --from "127.0.0.1:$GP_P0" --volume "$NAME" --kit "$W/dr.kit" \
	--passphrase-file "$W/pass" --to "$W/restored.img" --verify \
	--before "@$T" --progress plain --reprotect "$W/seed" |
	tee "$W/restore1.txt"
[ "$(sha256sum <"$W/restored.img" | cut -d' ' -f1)" = "$SUM_A" ] ||
	fail "restore --before T differs from the volume at T"
grep -q ", 4096 block(s) written after the point to re-log" \
	"$W/restore1.txt" || fail "the seed does not revert blocks 4096..8191"
grep -q "reprotect seed written to $W/seed" "$W/restore1.txt" ||
	fail "no seed written"
[ "$(stat -c %a "$W/seed")" = 600 ] || fail "seed mode not 0600"
FLOOR=$(sed -n 's/.*new generations from \([0-9]*\).*/\1/p' "$W/restore1.txt")
MASK=$(sed -n 's/.*continued: mask \(0x[0-9a-f]*\).*/\1/p' "$W/restore1.txt")
[ "$MASK" = 0x3 ] || fail "seed continues mask $MASK, expected 0x3 (p0, p1)"
MAXB=$(awk '$2 > m {m = $2} END {print m + 0}' "$W/gens-before.txt")
[ -n "$FLOOR" ] && [ "$FLOOR" -gt "$MAXB" ] ||
	fail "generation floor '$FLOOR' not above the newest held ($MAXB)"
pass "restored with a seed: floor $FLOOR > newest generation held $MAXB"

log "4. new primary over the restored volume with the seed"
start_tgtxd main2
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:main"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
cp "$W/seed" "$W/seed.copy"
truncate -s $((VOLSZ / 2)) "$W/small.img"
if tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 --bstype xorshare \
	-b "$W/small.img" --bsopts "k=2;n=3;log=$W/small.log;reprotect=$W/seed.copy" \
	>"$W/err1" 2>&1; then
	fail "a seed for a LUN of another size was accepted"
fi
grep -q "is of a volume of $VOLSZ bytes" "$W/err1" ||
	fail "size mismatch not named: $(cat "$W/err1")"
rm -f "$W/seed.copy"
pass "a seed is refused for a LUN of another size"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$W/restored.img" \
	--bsopts "k=2;n=3;log=$W/vol2.log;log_size=256M;reprotect=$W/seed"
truncate -s $VOLSZ "$W/other.img"
if tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 --bstype xorshare \
	-b "$W/other.img" --bsopts "k=2;n=3;log=$W/other.log;reprotect=$W/seed" \
	>"$W/err2" 2>&1; then
	fail "a used seed was accepted for a second LUN"
fi
grep -q "already used" "$W/err2" || fail "reuse not named: $(cat "$W/err2")"
pass "a used seed is refused for a second LUN"
tgtxadm_ctl --op update --mode logicalunit --tid 1 --lun 1 --params "$PEERS"
start_rd main2
RD2=$RD_PID
wait_until 60 peer_in_sync 0 && wait_until 30 peer_in_sync 1 || {
	tail -n 30 "$W/rd-main2.log" >&2
	fail "p0/p1 not in sync after the reprotect"
}
sleep 1
B0=$(metric tgtx_replicd_peer_written_bytes_total 0)
B1=$(metric tgtx_replicd_peer_written_bytes_total 1)
log "bytes written after the reprotect: p0 $B0, p1 $B1 (volume $VOLSZ)"
# the revert re-logs extent 0 (4 MiB, 1/4 of the volume); a rebuild sends
# at least the whole volume
[ "${B0%.*}" -lt $((VOLSZ * 3 / 8)) ] && [ "${B1%.*}" -lt $((VOLSZ * 3 / 8)) ] ||
	fail "p0/p1 got ${B0}/${B1} bytes: their share volumes were rebuilt"
pass "tgtx-replicd attached to p0 and p1: $B0 and $B1 bytes written"
stock_tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
wait_until 120 in_sync 3 || {
	tail -n 30 "$W/rd-main2.log" >&2
	fail "st was not filled"
}
B2=$(metric tgtx_replicd_peer_written_bytes_total 2)
[ "${B2%.*}" -ge "$VOLSZ" ] || fail "st got only $B2 bytes: no fill?"
pass "st (unreachable at the reprotect) got a fill: $B2 bytes"

log "5. new writes with overwrites on the new primary"
URL2=$(lun_url "$IQN:main" 1 "$PORT_main2")
"$RWCHECK" --url "$URL2" --lba 2048 --blocks 4096 --seed 4 >/dev/null
"$RWCHECK" --url "$URL2" --lba 20000 --blocks 2048 --seed 5 >/dev/null
sleep 1
wait_until 120 in_sync 3 || fail "not in sync after the new writes"
SUM2=$(sha256sum <"$W/restored.img" | cut -d' ' -f1)
gens "$U0" 0 >"$W/gens-p0.txt"
gens "$U2" 2 >"$W/gens-st.txt"
cmp -s "$W/gens-p0.txt" "$W/gens-st.txt" ||
	fail "st's generations differ from p0's: the fill used a wrong map ($(diff "$W/gens-p0.txt" "$W/gens-st.txt" | head -3))"
paste -d' ' "$W/gens-before.txt" "$W/gens-p0.txt" >"$W/gens-both.txt"
# rewritten since the reprotect: extent 0 (re-logged: blocks 0..8191,
# 2048..6143 written again on top) and 20000..22047; every other block
# keeps the generation it had before the first disaster
new_block() { awk '{r = $1 < 8192 || ($1 >= 20000 && $1 < 22048)} '"$1"; }
BADG=$(new_block "r && \$4 < $FLOOR" <"$W/gens-both.txt" | wc -l)
[ "$BADG" = 0 ] || fail "$BADG rewritten blocks have a generation below the floor $FLOOR (randomness reuse): $(new_block "r && \$4 < $FLOOR" <"$W/gens-both.txt" | head -3)"
KEPT=$(new_block '!r && $2 != $4' <"$W/gens-both.txt" | wc -l)
[ "$KEPT" = 0 ] || fail "$KEPT untouched blocks changed generation: $(new_block '!r && $2 != $4' <"$W/gens-both.txt" | head -3)"
pass "10240 rewritten blocks have generations >= $FLOOR, the others kept theirs; st's equal p0's"

log "6. DISASTER 2: new primary gone, p1 gone; restore from p0 + st"
stop_proc "$RD2"
stop_proc "$PID_main2"
stop_proc "$PID_p1"
rm -rf "$W/restored.img" "$W/vol2.log" "$W/main2"
"$R" restore --from "127.0.0.1:$GP_P0" --volume "$NAME" --kit "$W/dr.kit" \
	--passphrase-file "$W/pass" --to "$W/restored2.img" --verify \
	--progress plain | tee "$W/restore2.txt"
GOT=$(sha256sum <"$W/restored2.img" | cut -d' ' -f1)
[ "$GOT" = "$SUM2" ] || fail "second restore differs from the new primary"
pass "second restore equals the new primary's last content"
pass "test_recover_reprotect"
