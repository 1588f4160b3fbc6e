#!/usr/bin/env bash
# tgtxd configured with tgtxadm, driven by libiscsi tools: discovery,
# inquiry, capacity, data written = data read back, with digests off and on,
# two LUNs, 4 KiB block LUN, and data surviving a daemon restart.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_tgtxd main
IQN=iqn.2026-11.org.tgtx:basic
truncate -s 64M "$TMP/a.img"
truncate -s 32M "$TMP/b.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$TMP/a.img"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 -b "$TMP/b.img" \
	--params block_size=4096
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
URL=iscsi://127.0.0.1:$PORT/$IQN

iscsi-ls -s "iscsi://127.0.0.1:$PORT" >"$TMP/ls.txt"
grep -q "$IQN" "$TMP/ls.txt" && pass "SendTargets lists the target" ||
	fail "SendTargets: $(cat "$TMP/ls.txt")"

iscsi-inq "$URL/1" >"$TMP/inq.txt"
grep -qi "Peripheral Device Type:.*0*0\b\|DIRECT_ACCESS\|Direct" "$TMP/inq.txt" &&
	pass "INQUIRY reports a disk" || fail "INQUIRY: $(cat "$TMP/inq.txt")"

iscsi-readcapacity16 "$URL/1" >"$TMP/rc.txt"
grep -q "Logical block length:512" "$TMP/rc.txt" &&
	grep -q "Last LBA:131071" "$TMP/rc.txt" &&
	pass "READ CAPACITY 16 of the 64 MiB LUN" || fail "capacity: $(cat "$TMP/rc.txt")"
iscsi-readcapacity16 "$URL/2" >"$TMP/rc2.txt"
grep -q "Logical block length:4096" "$TMP/rc2.txt" &&
	pass "4096-byte block LUN" || fail "capacity lun2: $(cat "$TMP/rc2.txt")"

RW="$B/test/tools/tgtx-rwcheck"
for dig in none crc32c; do
	"$RW" --url "$URL/1" --digest "$dig" --lba 100 --blocks 2048 --seed 7 &&
		pass "write/read back 1 MiB, digest $dig" ||
		fail "write/read back, digest $dig"
done
"$RW" --url "$URL/2" --lba 3 --blocks 100 --seed 9 &&
	pass "write/read back on 4 KiB LUN" || fail "4 KiB LUN write/read"

# what we wrote is really on the backing file
cmp <(dd if="$TMP/a.img" bs=512 skip=100 count=2048 status=none) \
	<("$RW" --print-pattern --blocks 2048 --seed 7 --block-size 512) &&
	pass "backing file holds the written pattern" ||
	fail "backing file content differs from the written pattern"

restart_tgtxd
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$TMP/a.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
"$RW" --url "$URL/1" --verify-only --lba 100 --blocks 2048 --seed 7 &&
	pass "data survives a daemon restart" || fail "data lost across restart"

tgtxadm_ctl --op show --mode target >"$TMP/show.txt"
grep -q "Target 1: $IQN" "$TMP/show.txt" && grep -q "LUN: 1" "$TMP/show.txt" &&
	pass "show lists target and LUN" || fail "show: $(cat "$TMP/show.txt")"
finish
