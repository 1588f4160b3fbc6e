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
RC=${TGTX_RECOVER:-$B/tgtx-recover} # a planted-defect build can stand in
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
# the restored copy damaged: rerun with --verify (complete: verify only)
printf XXXXXXXX | dd of="$D/r1.img" bs=1 seek=$((1000 * 512 + 8)) \
	conv=notrunc status=none
rc=0
"$RC" restore "${SHARES[@]}" --to "$D/r1.img" --verify >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 5 ] || fail "verify of a damaged copy: exit $rc, expected 5"
grep -q "verify: block 1000 differs" "$out" || fail "the block is not named"
pass "--verify finds a damaged block of the target (exit 5)"

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

# 4. share 1's slots overwritten (256 KiB of its data area, which starts
# at 5 MiB: 1 MiB header + 4 MiB journal): named, restore still right
CORRUPT=(bs=64K seek=$(((5 << 20) / 65536 + 16)) count=4 conv=notrunc status=none)
dd if="$D/b.img" of="$D/b.saved" bs=64K skip=$(((5 << 20) / 65536 + 16)) \
	count=4 status=none
dd if=/dev/urandom of="$D/b.img" "${CORRUPT[@]}"
rc=0
"$RC" restore --share "$URL1" --share "$URL0" --share "$URL2" --in-order \
	--to "$D/r3.img" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore with a corrupt share: exit $rc"
cmp "$D/r3.img" "$D/vol900.img" || fail "corrupt share: volume differs"
grep -q "BAD SHARE: share 1 (iscsi://127.0.0.1:[0-9]*/$IQN:b/1): block" \
	"$out" || fail "the corrupt share 1 is not named"
grep "BAD SHARE" "$out" | grep -qv "share 1 " && fail "a good share named"
grep -q "rebuilt from shares 0,2" "$out" || fail "no other k-subset named"
pass "share 1 with overwritten slots: named (BAD SHARE), rebuilt from shares 0,2, volume right"

# 5. a restore killed mid-way continues when the same command is rerun;
# a different point refuses to mix into it
RESTORE=("$RC" restore "${SHARES[@]}" --to "$D/r4.img" --progress plain)
"${RESTORE[@]}" --rate 300000 >"$out" 2>&1 &
rpid=$!
track_proc "$rpid" 1
wait_until 60 grep -q "restore: [1-9][0-9]*\.[0-9]%" "$out" ||
	{ cat "$out"; fail "restore made no progress"; }
sleep 1
kill -9 "$rpid"
wait "$rpid" 2>/dev/null || true
cat "$out"
[ -s "$D/r4.img.tgtx-recover" ] || fail "no progress file"
rc=0
"$RC" restore "${SHARES[@]}" --to "$D/r4.img" --before @0.0010007005 \
	>"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 3 ] || fail "another point into the same target: exit $rc, expected 3"
grep -q "refusing to mix" "$out" || fail "no refusal message"
rc=0
"${RESTORE[@]}" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "resumed restore: exit $rc"
grep -Eq "^continuing an interrupted restore at block [1-9][0-9]* of $NB" \
	"$out" || fail "the rerun did not continue"
cmp "$D/r4.img" "$D/vol900.img" || fail "resumed restore differs"
rc=0
"${RESTORE[@]}" >"$out" 2>&1 || rc=$?
grep -q "^already restored" "$out" || fail "third run: $(cat "$out")"
pass "killed restore continued by the same command (volume right); another point refused (exit 3)"

# share 1 repaired (else the next step has only one good share of some blocks)
dd if="$D/b.saved" of="$D/b.img" "${CORRUPT[@]}"

# 6. the target is an iSCSI LUN
rc=0
"$RC" restore "${SHARES[@]}" --to "$URLT" --state "$D/t.state" \
	>"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore to $URLT: exit $rc"
cmp "$D/target.img" "$D/vol900.img" || fail "iSCSI target differs"
pass "restore to an iSCSI LUN equals the volume"

# 7. the stock tgtd (share 2, used first) killed mid-restore: share 1 takes
# its place
rc=0
"$RC" restore --share "$URL2" --share "$URL0" --share "$URL1" --in-order \
	--op-timeout 2000 --rate 300000 --progress plain --to "$D/r5.img" \
	>"$out" 2>&1 &
rpid=$!
track_proc "$rpid" 1
wait_until 60 grep -q "restore: [1-9][0-9]*\.[0-9]%" "$out" ||
	{ cat "$out"; fail "restore made no progress"; }
kill -9 "$ST_PID"
wait "$rpid" || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore with a peer killed: exit $rc"
cmp "$D/r5.img" "$D/vol900.img" || fail "peer killed: volume differs"
grep -q "share 2 (.*): down: " "$out" || fail "the dead peer is not named"
grep -q "share 2 (.*) no longer used; share 1 (.*) takes its place" \
	"$out" || fail "no replacement named"
pass "peer killed mid-restore: named, replaced by share 1, volume right"
