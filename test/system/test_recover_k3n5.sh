#!/usr/bin/env bash
# tgtx-recover with k=3 n=5 on loopback (4096-byte blocks): five share
# volumes on two tgtxd (two LUNs each) and a stock tgtd, written by
# tgtx-sharevol. check and restore --verify from all five equal the volume
# tgtx-sharevol derives; with one share unreachable and another one's
# slots overwritten, the restore still equals it (the bad share named,
# another 3-subset used); with only two shares reachable check says
# not restorable (exit 4); `key` gives the volume key back from the
# key-share blobs of any 3.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SV=$B/test/tools/tgtx-sharevol
RC=${TGTX_RECOVER:-$B/tgtx-recover} # a planted-defect build can stand in
[ -x "$SV" ] && [ -x "$RC" ] || fail "no $SV or $RC (make SAN=asan tests)"
IQN=iqn.2026-11.org.tgtx:k3n5
LUNSZ=$((24 << 20))
NB=2048
HIST=(--k 3 --n 5 --block-size 4096 --blocks $NB --records 400 --seed 5
	--journal $((4 << 20)))
D=$TGTX_TEST_DIR

start_tgtxd pa
truncate -s $LUNSZ "$D/s0.img" "$D/s1.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:a"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$D/s0.img"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 -b "$D/s1.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
U0="iscsi://127.0.0.1:$PORT/$IQN:a/1"
U1="iscsi://127.0.0.1:$PORT/$IQN:a/2"

start_tgtxd pb
truncate -s $LUNSZ "$D/s2.img" "$D/s3.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:b"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$D/s2.img"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 -b "$D/s3.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
U2="iscsi://127.0.0.1:$PORT/$IQN:b/1"
U3="iscsi://127.0.0.1:$PORT/$IQN:b/2"

start_stock_tgtd st
truncate -s $LUNSZ "$D/s4.img"
stock_tgtadm --lld iscsi --op new --mode target --tid 1 -T "$IQN:st"
stock_tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
	-b "$D/s4.img"
stock_tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
U4="iscsi://127.0.0.1:$TGT_PORT/$IQN:st/1"
# nobody listens there: an unreachable partner
DEAD="iscsi://127.0.0.1:$(free_port)/$IQN:gone/1"

out=$D/out.txt
"$SV" write "${HIST[@]}" --checkpoint-max 300 --key-blob \
	--peer "$U0" --peer "$U1" \
	--peer "$U2" --peer "$U3" --peer "$U4" >"$out" 2>&1 ||
	{ cat "$out"; fail "tgtx-sharevol write"; }
"$SV" expect "${HIST[@]}" --out "$D/vol.img" --key-out "$D/key.want" >/dev/null
pass "5 share volumes written (k=3, seqs 1..400, checkpoint 300)"

rc=0
"$RC" check --share "$U0" --share "$U1" --share "$U2" --share "$U3" \
	--share "$U4" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "check: exit $rc"
grep -q "^restorable: yes, 5 consistent shares (0,1,2,3,4), k=3 needed" \
	"$out" || fail "check: not 5 consistent shares"
grep -q "^point: seq 400" "$out" || fail "check: not seq 400"
rc=0
"$RC" restore --share "$U0" --share "$U1" --share "$U2" --share "$U3" \
	--share "$U4" --to "$D/r1.img" --verify >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore: exit $rc"
cmp "$D/r1.img" "$D/vol.img" || fail "restored volume differs"
grep -q "^verify: the target equals the shares" "$out" || fail "no verify"
pass "k=3 n=5: check (5 consistent, seq 400) and restore --verify equal the volume"

# share 3's slots overwritten from block 256 on (its data area starts at
# 5 MiB; 4096-byte blocks make 4608-byte slots)
dd if=/dev/urandom of="$D/s3.img" bs=4608 seek=$(((5 << 20) / 4608 + 256)) \
	count=200 conv=notrunc status=none
rc=0
"$RC" restore --share "$U3" --share "$DEAD" --share "$U0" --share "$U1" \
	--share "$U2" --in-order --op-timeout 2000 --to "$D/r2.img" \
	>"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore with a dead and a corrupt share: exit $rc"
cmp "$D/r2.img" "$D/vol.img" || fail "volume differs"
grep -q "source 1 (iscsi://.*gone/1): unreachable" "$out" ||
	fail "the unreachable partner is not named"
grep -q "BAD SHARE: share 3 (iscsi://.*:b/2): block" "$out" ||
	fail "the corrupt share 3 is not named"
grep "BAD SHARE" "$out" | grep -qv "share 3 " && fail "a good share named"
pass "one share unreachable, one corrupt: both named, volume right"

rc=0
"$RC" check --share "$U0" --share "$DEAD" --share "$U4" --op-timeout 2000 \
	>"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 4 ] || fail "two of k=3 reachable: exit $rc, expected 4"
grep -q "2 share volume(s) readable, k=3 needed" "$out" || fail "no reason"
pass "two shares reachable of k=3: not restorable (exit 4)"

rc=0
"$RC" key --share "$U4" --share "$DEAD" --share "$U2" --share "$U0" \
	--op-timeout 2000 --to "$D/key.got" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "key: exit $rc"
cmp "$D/key.got" "$D/key.want" || fail "the recovered volume key differs"
[ "$(stat -c %a "$D/key.got")" = 600 ] || fail "key file not 0600"
rc=0
"$RC" key --share "$U4" --share "$U2" --to "$D/key2" >"$out" 2>&1 || rc=$?
[ "$rc" -eq 4 ] || fail "key from 2 of k=3: exit $rc, expected 4"
pass "key: the volume key back from 3 key shares (0600); from 2: exit 4"
