#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 12 end to end with the real daemons, k=3 n=5: a primary tgtxd with
# an xorshare LUN (4 MiB), five share peers on loopback: tgtxd p0 and p3
# reached through their TLS portals (transport=tls, pinned), tgtxd p1 and
# p4 and Debian's stock tgtd p2 in the clear (transport=plain); every peer
# keeps an hour of history (retain=1h). tgtx-replicd replicates and gossips
# the signed share-location table to p1's tgtx-replicd. Data with
# overwrites is written through iSCSI in two batches (the time between
# them noted); the DR kit is exported; then the primary is destroyed
# (daemons, volume, share log, state dir with its keys) and, from p1's
# gossip address and the kit only:
#   1. list, check (5 consistent shares: the TLS ones opened too), restore:
#      equals the volume before the disaster (--verify is
#      test_recover_restore's);
#   2. restore --before the second batch: equals the first batch's image;
#   3. the stock tgtd stopped (SIGSTOP) mid-restore: named down, replaced,
#      volume right;
#   4. a restore SIGKILLed mid-way, continued by the same command;
#      the kit's node key (for the TLS shares) is never written: the
#      restore of step 1 runs under strace and creates no file but the
#      target and its progress file, and the killed one leaves TMPDIR
#      empty;
#   5. part of share 1's LUN overwritten on the partner: share 1 named as
#      BAD SHARE, volume still right.
# TGTX_RECOVER=path substitutes a tgtx-recover build (planted defects).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"
rd_need_tools

RC=${TGTX_RECOVER:-$B/tgtx-recover}
GOSSIP=$B/test/tools/tgtx-gossip
[ -x "$RC" ] && [ -x "$GOSSIP" ] || fail "no $RC or $GOSSIP"
command -v curl >/dev/null || fail "no curl (scripts/install-deps.sh)"
command -v strace >/dev/null || fail "no strace (scripts/install-deps.sh)"
W=$RD_WORK
# bytes/s per peer for the steps that act mid-restore: they act once the
# progress file says some blocks are done (saved every second)
RATE=1000000

# created_outside TRACE PREFIX: the paths strace saw created (an O_CREAT
# open, creat, mkdir, link, symlink, or a rename's source or target) that
# do not start with PREFIX, one a line
created_outside() {
	grep -E 'O_CREAT|creat\(|mkdir|link(at)?\(|rename' "$1" |
		grep -Eo '"[^"]*"' | tr -d '"' | grep -v "^$2" || true
}

# some_done FILE: the restore's progress file (recovery/rc_format.h) says
# blocks are restored (done_blocks, LE64 at byte 64, > 0)
some_done() {
	[ -s "$1" ] && [ "$(od -An -t u8 -j 64 -N 8 "$1" | tr -d ' ')" -gt 0 ]
}

pin_of() {
	"$B/tgtxd" --state-dir "$1" --show-node-key 2>&1 |
		grep -Eo '[0-9a-f]{64}' | head -n1
}

# -- set-up: the primary, five partners, the replicator, gossip ----------
RD_LOG_SIZE=64M rd_primary 3 5 4M
PRI_PIN=$(pin_of "$TGTX_TEST_DIR/pri/state")
[ -n "$PRI_PIN" ] || fail "no node key for the primary"
echo "$PRI_PIN primary" >"$W/tls-peers"
declare -a TLSPORT PIN
for i in 0 1 2 3 4; do
	case $i in
	0 | 3)
		TLSPORT[i]=$(free_port)
		rd_peer_tgtxd "$i" 24M --tls-portal "127.0.0.1:${TLSPORT[i]}" \
			--tls-peers "$W/tls-peers"
		PIN[i]=$(pin_of "$TGTX_TEST_DIR/p$i/state")
		RD_URL[i]=$(lun_url "$RD_IQN:p$i" 1 "${TLSPORT[i]}")
		RD_POPTS[i]="transport=tls pin=${PIN[i]} retain=1h"
		;;
	2)
		rd_peer_tgtd "$i" 24M
		RD_POPTS[i]="transport=plain retain=1h"
		;;
	*)
		rd_peer_tgtxd "$i" 24M
		RD_POPTS[i]="transport=plain retain=1h"
		;;
	esac
done
GP_MAIN=$(free_port)
GP_P1=$(free_port)
MPORT=$(free_port)
P1_PIN=$(pin_of "$TGTX_TEST_DIR/p1/state")
rd_set_peers
rd_start_replicd --metrics "127.0.0.1:$MPORT" \
	--gossip-listen "127.0.0.1:$GP_MAIN" \
	--gossip-seed "$P1_PIN@127.0.0.1:$GP_P1"
"$REPLICD" -f --control-socket "$CTL_p1" \
	--state-dir "$TGTX_TEST_DIR/p1/state" --poll-ms 1000 \
	--gossip-listen "127.0.0.1:$GP_P1" \
	--gossip-seed "$PRI_PIN@127.0.0.1:$GP_MAIN" >"$W/rd-p1.log" 2>&1 &
track_proc $! 15

# -- data: two batches with overwrites, through iSCSI ---------------------
# 4 MiB = 8192 LBAs of 512 bytes; blocks 7168..8191 are never written
# (step 5 damages their slots: a written block's share at the restore
# point comes from the journal, which retain= keeps whole)
write() { # LBA BLOCKS SEED
	"$RWCHECK" --url "$RD_PRI_URL" --lba "$1" --blocks "$2" --seed "$3" \
		>/dev/null || fail "writing $2 blocks at $1 through iSCSI"
}
write 0 7168 1
write 1024 2048 2
write 5000 300 3
rd_wait_in_sync 120
cp "$RD_VOL" "$W/batch1.img"
T1=$(date +%s.%N)
sleep 1.2
write 512 1024 4
write 6144 1024 5
write 600 64 6
rd_wait_in_sync 120
SUM=$(sha256sum <"$RD_VOL" | cut -d' ' -f1)
cmp -s "$RD_VOL" "$W/batch1.img" && fail "the second batch changed nothing"
for i in 0 3; do
	[ "$(rd_peer_field "$i" transport)" = tls ] ||
		fail "peer $i not on TLS: $(rd_peer_line "$i")"
done
pass "5 peers in sync (p0, p3 over TLS), volume sha256 $SUM"

# -- the kit, then the disaster --------------------------------------------
echo "e2e passphrase" >"$W/pass"
P1_PUB=$("$GOSSIP" keygen --key "$TGTX_TEST_DIR/p1/state/node.key" |
	awk '/^pub/{print $2}')
"$RC" kit export --out "$W/dr.kit" --state-dir "$RD_STATE" \
	--control-socket "$RD_PRI_CTL" --name e2e-primary \
	--peer "$P1_PUB,127.0.0.1:$GP_P1" --seed "127.0.0.1:$GP_P1" \
	--passphrase-file "$W/pass" --kdf-log2n 14 >"$W/kit.txt" 2>&1 ||
	fail "kit export: $(cat "$W/kit.txt")"
rd_stop_replicd
stop_proc "$RD_PRI_PID" || fail "the primary did not stop cleanly"
rm -rf "$RD_VOL" "$RD_LOGDIR" "$TGTX_TEST_DIR/pri"
log "disaster: primary gone; left: the partners, the kit, 127.0.0.1:$GP_P1"

KIT=(--from "127.0.0.1:$GP_P1" --kit "$W/dr.kit" --passphrase-file "$W/pass")
# where a temporary file would go: the kit's node key must never land here
export TMPDIR=$W/rtmp
mkdir -p "$TMPDIR"
out=$W/out.txt

# -- 1. list, check, restore ------------------------------------------------
wait_until 60 "$RC" list "${KIT[@]}" --no-probe >/dev/null 2>&1 ||
	fail "p1 knows no volume"
"$RC" list "${KIT[@]}" >"$out" 2>&1 || fail "list: $(cat "$out")"
cat "$out"
NAME=$(awk '/^volume /{print $2; exit}' "$out")
[ -n "$NAME" ] || fail "no volume listed"
grep -q "newest restorable point: seq [0-9]*.*(5 of 5" "$out" ||
	fail "list: not 5 of 5 shares reachable"
KIT+=(--volume "$NAME")
rc=0
"$RC" check "${KIT[@]}" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "check: exit $rc"
grep -q "^restorable: yes, 5 consistent shares" "$out" ||
	fail "check: not 5 consistent shares (the TLS shares not read?)"
# under strace: every file it creates is named (LeakSanitizer cannot run
# under ptrace, so this one run goes without leak checks)
rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -s 4096 -o "$W/strace.txt" \
	-e trace=open,openat,openat2,creat,mkdir,mkdirat,link,linkat,symlink,symlinkat,rename,renameat,renameat2 \
	"$RC" restore "${KIT[@]}" --to "$W/r1.img" --progress plain \
	>"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore: exit $rc"
[ "$(sha256sum <"$W/r1.img" | cut -d' ' -f1)" = "$SUM" ] ||
	fail "restored volume differs from the volume before the disaster"
grep -q "\"$W/r1.img\".*O_CREAT" "$W/strace.txt" ||
	fail "strace saw no creation of the target: $(head -n 20 "$W/strace.txt")"
bad=$(created_outside "$W/strace.txt" "$W/\.\?r1\.img")
[ -z "$bad" ] || fail "tgtx-recover created files besides its target" \
	"and progress file (the kit's node key?): $bad"
[ -z "$(ls -A "$TMPDIR")" ] ||
	fail "tgtx-recover left files in TMPDIR: $(ls -lR "$TMPDIR")"
pass "list, check (5 of 5, TLS included), restore from one partner + kit: checksums equal; no file made but target and progress"

# -- 2. --before the second batch --------------------------------------------
rc=0
"$RC" restore "${KIT[@]}" --before "@$T1" --to "$W/r2.img" >"$out" 2>&1 ||
	rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore --before: exit $rc"
[ "$(sha256sum <"$W/r2.img" | cut -d' ' -f1)" != "$SUM" ] ||
	fail "--before restored the newest point"
cmp "$W/r2.img" "$W/batch1.img" ||
	fail "--before: not the first batch's image"
pass "restore --before (past the last writes) equals the first batch's image"

# -- 3. the stock tgtd stopped mid-restore ------------------------------------
rc=0
"$RC" restore "${KIT[@]}" --to "$W/r3.img" --in-order --op-timeout 2000 \
	--rate $RATE --progress plain >"$out" 2>&1 &
rpid=$!
track_proc "$rpid" 1
wait_until 90 some_done "$W/r3.img.tgtx-recover" ||
	{ cat "$out"; fail "restore made no progress"; }
kill -STOP "${RD_PID[2]}"
wait "$rpid" || rc=$?
kill -CONT "${RD_PID[2]}"
cat "$out"
[ "$rc" -eq 0 ] || fail "restore with a peer stopped: exit $rc"
[ "$(sha256sum <"$W/r3.img" | cut -d' ' -f1)" = "$SUM" ] ||
	fail "peer stopped: volume differs"
grep -q "share 2 (.*): down" "$out" || fail "the stopped peer is not named"
grep -q "share 2 (.*) no longer used; share [34] (.*) takes its place" \
	"$out" || fail "no replacement for share 2 named"
pass "stock tgtd stopped mid-restore: named, replaced, volume right"

# -- 4. a restore killed mid-way, continued by the same command --------------
RESTORE=("$RC" restore "${KIT[@]}" --to "$W/r4.img" --progress plain)
"${RESTORE[@]}" --rate $RATE >"$out" 2>&1 &
rpid=$!
track_proc "$rpid" 1
wait_until 90 some_done "$W/r4.img.tgtx-recover" ||
	{ cat "$out"; fail "restore made no progress"; }
kill -KILL "$rpid"
wait "$rpid" 2>/dev/null || true
cat "$out"
[ -s "$W/r4.img.tgtx-recover" ] || fail "no progress file"
[ -z "$(ls -A "$TMPDIR")" ] ||
	fail "a SIGKILLed tgtx-recover left files in TMPDIR: $(ls -lR "$TMPDIR")"
rc=0
"${RESTORE[@]}" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "resumed restore: exit $rc"
grep -Eq "^continuing an interrupted restore at block [1-9][0-9]*" "$out" ||
	fail "the rerun did not continue the interrupted restore"
[ "$(sha256sum <"$W/r4.img" | cut -d' ' -f1)" = "$SUM" ] ||
	fail "resumed restore differs"
pass "restore killed mid-way (nothing left in TMPDIR), continued by the same command: checksums equal"

# -- 5. share 1 corrupt on the partner ----------------------------------------
# Layout (replicator/rd_peer.c journal_len, doc/share-volume-format.md):
# 1 MiB header, the journal (LUN - 2 MiB - slots), the slots from the next
# MiB: 8192 slots of 1 KiB end 1 MiB before the LUN's end. 256 KiB of
# random bytes 1.75 MiB before the end land on the slots of the never
# written blocks 7424..7679, which every restore reads.
SZ=$(stat -c %s "${RD_IMG[1]}")
dd if=/dev/urandom of="${RD_IMG[1]}" bs=64K \
	seek=$(((SZ - (7 << 18)) / 65536)) count=4 conv=notrunc status=none
rc=0
"$RC" restore "${KIT[@]}" --in-order --to "$W/r5.img" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore with a corrupt share: exit $rc"
[ "$(sha256sum <"$W/r5.img" | cut -d' ' -f1)" = "$SUM" ] ||
	fail "corrupt share: volume differs"
grep -q "BAD SHARE: share 1 (" "$out" || fail "the corrupt share 1 is not named"
grep "BAD SHARE" "$out" | grep -qv "share 1 " && fail "a good share named bad"
pass "share 1 overwritten on the partner: named BAD SHARE, volume right"
