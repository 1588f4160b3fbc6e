#!/usr/bin/env bash
# tgtx-recover check/restore over share URLs (no gossip), k=2 n=3 on
# loopback: two tgtxd peers and one stock tgtd, share volumes written by
# tgtx-sharevol (the replicator's path: derive share i, sv_writer) with
# the journal holding seqs 601..900 (checkpoint held at 600, as retain=
# does). check names the point; restore equals the volume tgtx-sharevol
# derives; --before goes back to seq 700 (and refuses past the journal);
# a peer with overwritten slots is named and the restore is still right;
# a restore killed mid-way continues when rerun (and refuses to mix in
# another point); a peer killed mid-restore is replaced; an iSCSI LUN as
# the target; --verify.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SV=$B/test/tools/tgtx-sharevol
RC=$B/tgtx-recover
[ -x "$SV" ] && [ -x "$RC" ] || fail "no $SV or $RC (make SAN=asan tests)"
IQN=iqn.2026-11.org.tgtx:share
LUNSZ=$((16 << 20))
NB=4096
HIST=(--k 2 --n 3 --blocks $NB --records 900 --seed 11 --journal $((4 << 20)))
D=$TGTX_TEST_DIR

start_tgtxd pa
truncate -s $LUNSZ "$D/a.img"
truncate -s $((NB * 512)) "$D/target.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:a"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$D/a.img"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 -b "$D/target.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
URL0="iscsi://127.0.0.1:$PORT/$IQN:a/1"
URLT="iscsi://127.0.0.1:$PORT/$IQN:a/2"

start_tgtxd pb
truncate -s $LUNSZ "$D/b.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:b"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$D/b.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
URL1="iscsi://127.0.0.1:$PORT/$IQN:b/1"

start_stock_tgtd st
truncate -s $LUNSZ "$D/st.img"
stock_tgtadm --lld iscsi --op new --mode target --tid 1 -T "$IQN:st"
stock_tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
	-b "$D/st.img"
stock_tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
URL2="iscsi://127.0.0.1:$TGT_PORT/$IQN:st/1"
ST_PID=$TGT_PID
SHARES=(--share "$URL0" --share "$URL1" --share "$URL2")

out=$D/out.txt
"$SV" write "${HIST[@]}" --checkpoint-max 600 \
	--peer "$URL0" --peer "$URL1" --peer "$URL2" >"$out" 2>&1 ||
	{ cat "$out"; fail "tgtx-sharevol write"; }
"$SV" expect "${HIST[@]}" --out "$D/vol900.img" >/dev/null
"$SV" expect "${HIST[@]}" --upto 700 --out "$D/vol700.img" >/dev/null
pass "3 share volumes written (seqs 1..900, checkpoint 600)"

# 1. check: the point, the size, an estimate, nothing written
sum_before=$(md5sum "$D/a.img" "$D/b.img" "$D/st.img")
rc=0
"$RC" check "${SHARES[@]}" --op-timeout 3000 >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "check: exit $rc"
grep -q "^restorable: yes, 3 consistent shares" "$out" ||
	fail "check does not say 3 consistent shares"
grep -q "^point: seq 900, written 1970-01-01T00:00:00.001Z" "$out" ||
	fail "check does not name seq 900 and its time"
grep -q "k=2 n=3, $NB blocks of 512 bytes" "$out" || fail "no size"
grep -Eq "about [0-9]+ s at .*/s" "$out" || fail "no estimate"
[ "$sum_before" = "$(md5sum "$D/a.img" "$D/b.img" "$D/st.img")" ] ||
	fail "check wrote to a share volume"
pass "check: 3 consistent shares, seq 900 and its time, size, estimate; wrote nothing"

# 2. restore (and --verify) equals the volume after seq 900
rc=0
"$RC" restore "${SHARES[@]}" --to "$D/r1.img" --verify --progress plain \
	>"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore: exit $rc"
cmp "$D/r1.img" "$D/vol900.img" || fail "restored volume differs"
grep -q "^verify: the target equals the shares" "$out" || fail "no verify"
grep -q "^restored point: seq 900, written 1970-01-01T00:00:00.001Z" \
	"$out" || fail "no restored point printed"
pass "restore equals the volume after seq 900; --verify agrees; RPO printed"

# 3. --before: seq 700 (time 1000700 ns); before the journal: refused
rc=0
"$RC" restore "${SHARES[@]}" --to "$D/r2.img" --before @0.0010007005 \
	>"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore --before: exit $rc"
cmp "$D/r2.img" "$D/vol700.img" || fail "--before 700: volume differs"
grep -q "^restored point: seq 700" "$out" || fail "--before: not seq 700"
cmp -s "$D/r2.img" "$D/vol900.img" && fail "--before restored seq 900"
rc=0
"$RC" check "${SHARES[@]}" --before @0.0010005 >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 4 ] || fail "--before past the journal: exit $rc, expected 4"
pass "--before restores seq 700 (writes 701..900 undone); past the journal: exit 4"
