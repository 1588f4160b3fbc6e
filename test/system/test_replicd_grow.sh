#!/usr/bin/env bash
# A grown primary volume keeps its protection without new share volumes
# (k=2 n=3, three tgtxd peers): 4 MiB written; the primary's LUN grown to 8
# (backing file larger, LUN re-created while tgtx-replicd runs: the store
# logs SL_REC_GROW);
# data written beyond the old end; peers 0 and 1 (their partners grew
# their LUNs beforehand) extend their share volumes in place; peer 2's LUN
# is too small: `blocked`, and show names the exact bytes its LUN needs;
# its partner grows the LUN to exactly that with zeroes (truncate + LUN
# re-created) and it goes on by itself, no restart; all in sync; the
# primary destroyed; tgtx-recover restores the grown size from peers 1+2,
# equal to the volume; --before the growth gives the old size and the old
# content. Shrinking the primary is refused with advice.
#
# TGTX_REPLICD / TGTX_RECOVER: planted-defect builds can stand in.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
RD_REPLICD=${TGTX_REPLICD:-}
. "$(dirname "$0")/replicd_lib.sh"
RC=${TGTX_RECOVER:-$B/tgtx-recover}
rd_need_tools
W=$RD_WORK

write() { # LBA BLOCKS SEED
	"$RWCHECK" --url "$RD_PRI_URL" --lba "$1" --blocks "$2" --seed "$3" \
		>/dev/null || fail "writing $2 blocks at $1 through iSCSI"
}

# peer_lun_again I: its partner's tgtxd sees the file's new size once the
# LUN is re-created (the replicator reconnects; a LUN with commands in
# progress is retried).
peer_lun_again() {
	local ctl=CTL_p$1 t

	for t in $(seq 1 100); do
		if "$TGTXADM" --control-socket "${!ctl}" --op delete \
			--mode logicalunit --tid 1 --lun 1 2>/dev/null; then
			"$TGTXADM" --control-socket "${!ctl}" --op new \
				--mode logicalunit --tid 1 --lun 1 \
				-b "${RD_IMG[$1]}"
			return 0
		fi
		sleep 0.1
	done
	fail "peer $1: LUN could not be re-created"
}

rd_primary 2 3 4M
for i in 0 1 2; do
	rd_peer_tgtxd "$i" 32M
	RD_POPTS[i]="transport=plain retain=1h"
done
rd_set_peers
rd_start_replicd
write 0 8192 1
rd_wait_in_sync 120
cp "$RD_VOL" "$W/old.img"
T1=$(date +%s.%N)
sleep 1.2
pass "4 MiB volume written, 3 peers in sync"

# the partners of peers 0 and 1 make room ahead of time
for i in 0 1; do
	truncate -s 56M "${RD_IMG[i]}"
	peer_lun_again "$i"
done

# -- grow the primary: backing file, LUN re-created ------------------------
# (the replicator keeps running: it follows the LUN away and back)
MARK=$(wc -l <"$RD_REPLICD_LOG")
rd_pri --op delete --mode logicalunit --tid 1 --lun 1
truncate -s 8M "$RD_VOL"
rd_pri --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$RD_VOL" --bsopts "$RD_BSOPTS"
rd_set_peers
"$B/test/tools/tgtx-sharelog-dump" "$RD_LOGDIR" 2>/dev/null |
	grep -q "type=grow lba=8192 blocks=8192" ||
	fail "no GROW record 8192+8192 in the share log"
write 8192 8192 2
write 100 50 3
pass "primary grown to 8 MiB (GROW logged), written beyond the old end"

# -- peer 2 blocked with the exact size ------------------------------------
p2_blocked() {
	rd_peer_line 2 | grep -q "state=blocked" &&
		rd_show | grep -q "grow LUN to >= [0-9]* bytes"
}
wait_until 60 p2_blocked || {
	rd_show >&2
	fail "peer 2 not blocked with a size"
}
NEED=$(rd_show | grep -o "grow LUN to >= [0-9]* bytes" | head -n1 |
	grep -o "[0-9]*")
HAS=$(stat -c %s "${RD_IMG[2]}")
[ "$NEED" -gt "$HAS" ] || fail "asks for $NEED bytes, LUN has $HAS"
for i in 0 1; do
	grow_ok() { rd_peer_line "$1" | grep -q "state=in-sync"; }
	wait_until 60 grow_ok "$i" || fail "peer $i: $(rd_peer_line "$i")"
done
pass "peer 2 blocked: grow its LUN to >= $NEED bytes (has $HAS); peers 0, 1 in sync"

# one block short is still too small
truncate -s $((NEED - 512)) "${RD_IMG[2]}"
peer_lun_again 2
sleep 3
rd_peer_line 2 | grep -q "state=blocked" ||
	fail "peer 2 went on with a LUN 512 bytes short: $(rd_peer_line 2)"
truncate -s "$NEED" "${RD_IMG[2]}"
peer_lun_again 2
rd_wait_in_sync 120
tail -n +"$MARK" "$RD_REPLICD_LOG" >"$W/after.log"
grep -q "peer 2: share LUN now large enough" "$W/after.log" ||
	fail "peer 2 did not say it went on"
! grep -q "resyncing from\|filling from" "$W/after.log" ||
	fail "a peer was rebuilt instead of extended: $(grep "resyncing from\|filling from" "$W/after.log")"
pass "peer 2 grown to exactly $NEED bytes: in sync by itself, extended in place"

# -- shrinking is refused ---------------------------------------------------
rd_stop_replicd
cp "$RD_VOL" "$W/grown.img"
rd_pri --op delete --mode logicalunit --tid 1 --lun 1
truncate -s 4M "$W/small.img"
out=$(rd_pri --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$W/small.img" --bsopts "$RD_BSOPTS" 2>&1) &&
	fail "a shrunk volume was accepted"
grep -q "shrinking is refused" <<<"$out" || fail "shrink refusal: $out"
pass "shrinking refused: $out"

# -- disaster: restore the grown size from peers 1 and 2 -------------------
stop_proc "$RD_PRI_PID" || true
rm -rf "$RD_VOL" "$RD_LOGDIR"
SHARES=(--share "${RD_URL[1]}" --share "${RD_URL[2]}")
"$RC" restore "${SHARES[@]}" --to "$W/r.img" >"$W/r.txt" 2>&1 ||
	{ cat "$W/r.txt"; fail "restore"; }
[ "$(stat -c %s "$W/r.img")" -eq $((8 << 20)) ] ||
	fail "restored $(stat -c %s "$W/r.img") bytes, not 8 MiB"
cmp "$W/r.img" "$W/grown.img" || fail "restored volume differs"
pass "restore from peers 1+2: 8 MiB, equal to the grown volume"
"$RC" restore "${SHARES[@]}" --before "@$T1" --to "$W/r1.img" \
	>"$W/r1.txt" 2>&1 || { cat "$W/r1.txt"; fail "restore --before"; }
[ "$(stat -c %s "$W/r1.img")" -eq $((4 << 20)) ] ||
	fail "--before the growth gave $(stat -c %s "$W/r1.img") bytes"
cmp "$W/r1.img" "$W/old.img" || fail "--before the growth: content differs"
pass "restore --before the growth: the old 4 MiB volume"
rd_check_replicd_log
