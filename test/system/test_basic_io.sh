#!/usr/bin/env bash
# tgtxd configured with tgtxadm, driven by libiscsi tools: discovery,
# inquiry, capacity, data written = data read back, with digests off and on,
# two LUNs, 4 KiB block LUN, and data surviving a daemon restart.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_tgtxd main
IQN=iqn.2026-11.org.tgtx:basic
truncate -s 64M "$TGTX_TEST_DIR/a.img"
truncate -s 32M "$TGTX_TEST_DIR/b.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 -b "$TGTX_TEST_DIR/b.img" \
	--params block_size=4096
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
URL=iscsi://127.0.0.1:$PORT/$IQN

iscsi-ls -s "iscsi://127.0.0.1:$PORT" >"$TGTX_TEST_DIR/ls.txt"
grep -q "$IQN" "$TGTX_TEST_DIR/ls.txt" && pass "SendTargets lists the target" ||
	fail "SendTargets: $(cat "$TGTX_TEST_DIR/ls.txt")"

iscsi-inq "$URL/1" >"$TGTX_TEST_DIR/inq.txt"
grep -qi "Peripheral Device Type:.*0*0\b\|DIRECT_ACCESS\|Direct" "$TGTX_TEST_DIR/inq.txt" &&
	pass "INQUIRY reports a disk" || fail "INQUIRY: $(cat "$TGTX_TEST_DIR/inq.txt")"

iscsi-readcapacity16 "$URL/1" >"$TGTX_TEST_DIR/rc.txt"
grep -q "LOGICAL BLOCK LENGTH IN BYTES:512" "$TGTX_TEST_DIR/rc.txt" &&
	grep -q "RETURNED LOGICAL BLOCK ADDRESS:131071" "$TGTX_TEST_DIR/rc.txt" &&
	pass "READ CAPACITY 16 of the 64 MiB LUN" || fail "capacity: $(cat "$TGTX_TEST_DIR/rc.txt")"
iscsi-readcapacity16 "$URL/2" >"$TGTX_TEST_DIR/rc2.txt"
grep -q "LOGICAL BLOCK LENGTH IN BYTES:4096" "$TGTX_TEST_DIR/rc2.txt" &&
	pass "4096-byte block LUN" || fail "capacity lun2: $(cat "$TGTX_TEST_DIR/rc2.txt")"

RW="$B/test/tools/tgtx-rwcheck"
for dig in none crc32c; do
	"$RW" --url "$URL/1" --digest "$dig" --lba 100 --blocks 2048 --seed 7 &&
		pass "write/read back 1 MiB, digest $dig" ||
		fail "write/read back, digest $dig"
done
python3 "$(dirname "$0")/digest_io.py" 127.0.0.1 "$PORT" "$IQN" 1 &&
	pass "header + data digests (CRC32C) both ways, corrupt digests refused" ||
	fail "data digest test"
"$RW" --url "$URL/2" --lba 3 --blocks 100 --seed 9 &&
	pass "write/read back on 4 KiB LUN" || fail "4 KiB LUN write/read"

# what we wrote really reached the backing file
if cmp -s <(dd if="$TGTX_TEST_DIR/a.img" bs=512 skip=100 count=2048 status=none) \
	<(head -c $((2048 * 512)) /dev/zero); then
	fail "backing file still zero where the initiator wrote"
else
	pass "backing file holds the written data"
fi

restart_tgtxd
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
"$RW" --url "$URL/1" --verify-only --lba 100 --blocks 2048 --seed 7 &&
	pass "data survives a daemon restart" || fail "data lost across restart"

tgtxadm_ctl --op show --mode target >"$TGTX_TEST_DIR/show.txt"
grep -q "Target 1: $IQN" "$TGTX_TEST_DIR/show.txt" && grep -q "LUN: 1" "$TGTX_TEST_DIR/show.txt" &&
	pass "show lists target and LUN" || fail "show: $(cat "$TGTX_TEST_DIR/show.txt")"

