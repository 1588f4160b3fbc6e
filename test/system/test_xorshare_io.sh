#!/usr/bin/env bash
# An xorshare LUN (k=2, n=3) serves data like any disk; its share log
# rebuilds the volume byte for byte from EVERY pair of derived shares, while
# one share alone does not give the data; the log holds each write once;
# show reports the protection and log use; INQUIRY VPD page 0xC0 marks the
# LUN as xorshare and a plain rdwr LUN does not have the page; data survives
# a restart.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DUMP=$B/test/tools/tgtx-sharelog-dump
VPD=$TGTX_TOP/test/system/xs_vpd.py
IQN=iqn.2026-11.org.tgtx:xs-io
VOL=$TGTX_TEST_DIR/vol.img
PLAIN=$TGTX_TEST_DIR/plain.img
LOGDIR=$TGTX_TEST_DIR/vol.log
SIZE=$((32 << 20))
[ -x "$DUMP" ] || fail "no $DUMP"

truncate -s "$SIZE" "$VOL" "$PLAIN"

setup_luns() {
	tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 \
		--bstype xorshare -b "$VOL" \
		--bsopts "k=2;n=3;log=$LOGDIR;log_size=64M"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 -b "$PLAIN"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
}

start_tgtxd main
setup_luns
URL=$(lun_url "$IQN" 1)

# unaligned small, multi-chunk (> 1 MiB record chunk), and an overwrite
expect_rc 0 "write/read back 8 blocks at LBA 7" \
	"$RWCHECK" --url "$URL" --lba 7 --blocks 8 --seed 11
expect_rc 0 "write/read back 3 MiB at LBA 1000 (several records)" \
	"$RWCHECK" --url "$URL" --lba 1000 --blocks 6144 --seed 12
expect_rc 0 "overwrite 1 MiB inside it with other data" \
	"$RWCHECK" --url "$URL" --lba 3000 --blocks 2048 --seed 13
expect_rc 0 "write/read back near the end of the LUN" \
	"$RWCHECK" --url "$URL" --lba $((SIZE / 512 - 100)) --blocks 100 \
	--seed 14
expect_rc 0 "the overwrite did not disturb its neighbours" \
	"$RWCHECK" --url "$URL" --verify-only --lba 1000 --blocks 2000 \
	--seed 12

tgtxadm_ctl --op show --mode target >"$TGTX_TEST_DIR/show.txt"
if ! grep -q "Backing store type: xorshare" "$TGTX_TEST_DIR/show.txt" ||
	! grep -q "Protection: xorshare k=2 n=3 uuid=" "$TGTX_TEST_DIR/show.txt"; then
	fail "show lacks the protection: $(cat "$TGTX_TEST_DIR/show.txt")"
fi
pass "show reports xorshare k=2 n=3"
grep -Eq "Share log: $LOGDIR used=[1-9][0-9]*/$((64 << 20)) \(.*%\) segments=[1-9]" \
	"$TGTX_TEST_DIR/show.txt" ||
	fail "show lacks log use: $(grep -A8 Protection "$TGTX_TEST_DIR/show.txt")"
grep -Eq "Peer 2: .* cursor=0 lag=[1-9]" "$TGTX_TEST_DIR/show.txt" ||
	fail "show lacks peer lag: $(grep Peer "$TGTX_TEST_DIR/show.txt")"
pass "show reports share log use and peer lag"

out=$(python3 "$VPD" 127.0.0.1 "$PORT" "$IQN" 1) ||
	fail "VPD 0xC0 of the xorshare LUN: exit $? ($out)"
uuid=$(grep -o 'uuid=[0-9a-f-]*' "$TGTX_TEST_DIR/show.txt" | head -n1)
[[ $out == "xorshare k=2 n=3 $uuid version="* ]] ||
	fail "VPD 0xC0 says '$out', show says $uuid"
pass "VPD 0xC0 identifies the xorshare LUN ($out)"
rc=0
out=$(python3 "$VPD" 127.0.0.1 "$PORT" "$IQN" 2) || rc=$?
[ "$rc" -eq 3 ] || fail "VPD 0xC0 of the rdwr LUN: exit $rc ($out)"
pass "an rdwr LUN has no VPD page 0xC0"

stop_tgtxd

# Every pair of shares rebuilds the whole volume (each record's shares are
# derived from its data and generations, combined, and written into an
# empty image in log order; the baseline logged the initial zeroes).
for pair in 0,1 0,2 1,2; do
	img=$TGTX_TEST_DIR/combined-${pair/,/}.img
	truncate -s "$SIZE" "$img"
	"$DUMP" --quiet --combine "$img" --shares "$pair" "$LOGDIR" \
		>"$TGTX_TEST_DIR/dump.txt" ||
		fail "combine with shares $pair: $(cat "$TGTX_TEST_DIR/dump.txt")"
	cmp "$img" "$VOL" ||
		fail "volume rebuilt from shares $pair differs from the volume"
	pass "volume rebuilt from shares {$pair} equals the volume"
done
grep -q "torn_bytes=0" "$TGTX_TEST_DIR/dump.txt" ||
	fail "clean stop left a torn tail: $(cat "$TGTX_TEST_DIR/dump.txt")"

# One share is not enough: combining fails or gives other bytes.
for one in 0 1 2; do
	img=$TGTX_TEST_DIR/single-$one.img
	truncate -s "$SIZE" "$img"
	if "$DUMP" --quiet --combine "$img" --shares "$one" "$LOGDIR" \
		>/dev/null 2>&1 && cmp -s "$img" "$VOL"; then
		fail "share $one alone rebuilt the volume"
	fi
done
pass "no single share rebuilds the volume"

# Each write is logged once: the log holds the data in the clear, exactly
# as the volume beside it does (shares are derived when they are sent), so
# every file of the log directory and the volume are private (0600).
python3 - "$VOL" "$LOGDIR" <<'EOF' || fail "log layout"
import glob, os, stat, sys
vol = open(sys.argv[1], "rb").read()
segs = [open(p, "rb").read() for p in glob.glob(sys.argv[2] + "/seg-*")]
for lba in (7, 1003, 2500, 3000, 5000, 65436):
    blk = vol[lba * 512:lba * 512 + 512]
    assert blk != bytes(512), f"LBA {lba} is zero in the volume"
    n = sum(s.count(blk) for s in segs)
    assert n >= 1, f"LBA {lba} not in the log"
for p in [sys.argv[1]] + glob.glob(sys.argv[2] + "/*"):
    mode = stat.S_IMODE(os.stat(p).st_mode)
    assert mode == 0o600, f"{p} has mode {oct(mode)}, not 0600"
EOF
pass "the log holds each write once, files are 0600"

# Restart: the LUN re-opens its log and still serves the data.
start_tgtxd main
setup_luns
expect_rc 0 "data survives a restart" \
	"$RWCHECK" --url "$URL" --verify-only --lba 3000 --blocks 2048 --seed 13
expect_rc 0 "writes go on after the restart" \
	"$RWCHECK" --url "$URL" --lba 20000 --blocks 256 --seed 15
stop_tgtxd
img=$TGTX_TEST_DIR/combined-after.img
truncate -s "$SIZE" "$img"
"$DUMP" --quiet --combine "$img" "$LOGDIR" >/dev/null ||
	fail "combine after restart"
cmp "$img" "$VOL" || fail "log and volume differ after a restart"
pass "log and volume still agree after a restart"
