#!/usr/bin/env bash
# Encryption in transit (issue 11), k=2 n=3: peers 0 and 1 are tgtxd with a
# TLS portal that accepts only the primary's node key (--tls-peers), peer 2
# is stock tgtd (no TLS). The share-peer URLs of peers 0 and 1 point at the
# TLS portals (nothing else listens there), with the peers' pins.
#   1. peer 0 configured with a wrong pin: refused, the error is named
#      (show or the replicator's log), peer 0 never acknowledges;
#   2. peer 2 with no transport declared (default tls): refused, the
#      error says to declare transport=ipsec or plain; nothing sent;
#   3. the right pin for peer 0, transport=plain declared for peer 2: all
#      three in-sync, show says transport=tls / tls / plain, and every pair
#      rebuilds the volume (read back through the peers' plain portals).
#   4. tgtx-recover restore over the TLS portals (pins, the primary's node
#      key) equals the volume; a wrong pin: exit 3, a named TLS error; a
#      group-readable --key: exit 2, named, before any peer is dialled.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"
rd_need_tools

pin_of() {
	"$B/tgtxd" --state-dir "$1" --show-node-key 2>&1 | grep -Eo '[0-9a-f]{64}' |
		head -n1
}
rd_primary 2 3 8M
PRI_PIN=$(pin_of "$TGTX_TEST_DIR/pri/state")
[ -n "$PRI_PIN" ] || fail "no node key pin for the primary"
echo "$PRI_PIN primary" >"$RD_WORK/tls-peers"
declare -a TLSPORT PIN
for i in 0 1; do
	TLSPORT[i]=$(free_port)
	rd_peer_tgtxd "$i" 24M --tls-portal "127.0.0.1:${TLSPORT[i]}" \
		--tls-peers "$RD_WORK/tls-peers"
	PIN[i]=$(pin_of "$TGTX_TEST_DIR/p$i/state")
	[ -n "${PIN[i]}" ] || fail "no node key pin for peer $i"
	RD_URL[i]=$(lun_url "$RD_IQN:p$i" 1 "${TLSPORT[i]}")
done
rd_peer_tgtd 2 24M
WRONG=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
RD_POPTS[0]="transport=tls pin=$WRONG"
RD_POPTS[1]="transport=tls pin=${PIN[1]}"
RD_POPTS[2]=""
rd_set_peers
rd_start_replicd
"$LOAD" --url "$RD_PRI_URL" --qd 4 --bs 4K --pattern rand --rw write \
	--seconds 2 --seed 4 >"$RD_WORK/load.txt" 2>&1 ||
	fail "writes: $(cat "$RD_WORK/load.txt")"

p1_synced() {
	rd_peer_line 1 | grep -q "state=in-sync" &&
		[ "$(rd_peer_field 1 acked_seq)" -ge "$(rd_durable_seq)" ]
}
wait_until 180 p1_synced || fail "peer 1 (TLS, right pin) not in-sync: $(rd_show)"
pass "peer 1 in-sync through TLS with its pin"
wrong_pin_named() {
	rd_peer_line 0 | grep -Eqi 'error=.*(tls|pin|key)' ||
		grep -Eqi "peer 0.*(tls|pin)|(tls|pin).*peer 0" "$RD_REPLICD_LOG"
}
wait_until 30 wrong_pin_named || fail "wrong pin not named: $(rd_peer_line 0)"
log "peer 0: $(rd_peer_line 0)"
[ "$(rd_peer_field 0 acked_seq)" = 0 ] ||
	fail "peer 0 acknowledged with a wrong pin: $(rd_peer_line 0)"
pass "wrong pin: peer 0 refused and named"
plain_refused() {
	rd_peer_line 2 | grep -Eqi 'error=.*(transport|tls|plain|ipsec)' ||
		grep -Eqi "declare transport|transport=(ipsec|plain)" "$RD_REPLICD_LOG"
}
wait_until 30 plain_refused || fail "peer 2 not refused: $(rd_peer_line 2)"
log "peer 2: $(rd_peer_line 2)"
[ "$(rd_peer_field 2 acked_seq)" = 0 ] ||
	fail "peer 2 got shares without TLS or a declaration: $(rd_peer_line 2)"
pass "stock tgtd without a declared transport: refused, nothing sent"

RD_POPTS[0]="transport=tls pin=${PIN[0]}"
RD_POPTS[2]="transport=plain"
rd_set_peers
rd_pri --op show --mode target | grep -q "$WRONG" &&
	log "note: show prints pins (they are public)"
rd_wait_in_sync 90
for i in 0 1; do
	[ "$(rd_peer_field "$i" transport)" = tls ] ||
		fail "show: peer $i transport: $(rd_peer_line "$i")"
done
[ "$(rd_peer_field 2 transport)" = plain ] ||
	fail "show: peer 2 transport: $(rd_peer_line 2)"
pass "all in-sync; show says transport=tls, tls, plain"
rd_stop_replicd
for i in 0 1; do
	RD_RURL[i]=$(lun_url "$RD_IQN:p$i" 1 "$(eval echo "\$PORT_p$i")")
done
rd_rebuild_equals_volume "shares sent through TLS"

# 4. tgtx-recover reads the TLS shares itself: the two TLS portals with
#    their pins, the primary's node key (the one they accept) as ours, and
#    must rebuild the primary's volume; a wrong pin is refused (exit 3, a
#    named TLS error), never read; a group-readable --key is refused
#    (exit 2) before any peer is dialled.
RC=${TGTX_RECOVER:-$B/tgtx-recover} # a planted-defect build can stand in
RKEY=$RD_STATE/node.key
[ -r "$RKEY" ] || fail "no primary node key at $RKEY"
rc=0
"$RC" restore --share "${RD_URL[0]} transport=tls pin=${PIN[0]}" \
	--share "${RD_URL[1]} transport=tls pin=${PIN[1]}" --key "$RKEY" \
	--to "$RD_WORK/recovered.img" --progress plain \
	>"$RD_WORK/recover.txt" 2>&1 || rc=$?
cat "$RD_WORK/recover.txt"
[ "$rc" -eq 0 ] || fail "tgtx-recover over TLS: exit $rc"
cmp "$RD_WORK/recovered.img" "$RD_VOL" ||
	fail "tgtx-recover over TLS: restored volume differs from the primary's"
pass "tgtx-recover restore over TLS (pins, primary's key) equals the volume"
rc=0
"$RC" restore --share "${RD_URL[0]} transport=tls pin=$WRONG" \
	--share "${RD_URL[1]} transport=tls pin=${PIN[1]}" --key "$RKEY" \
	--to "$RD_WORK/wrongpin.img" >"$RD_WORK/recover-wrong.txt" 2>&1 || rc=$?
cat "$RD_WORK/recover-wrong.txt"
[ "$rc" -eq 3 ] || fail "tgtx-recover with a wrong pin: exit $rc, not 3"
grep -q "source 0 (.*p0/1): unreachable: tls: .*not pinned" \
	"$RD_WORK/recover-wrong.txt" ||
	fail "tgtx-recover with a wrong pin: no named TLS error for share 0"
pass "tgtx-recover with a wrong pin: exit 3, TLS error named"
# --key is loaded once, before any share is dialled: a key file others can
# read is refused up front (exit 2), named
install -m 0644 "$RKEY" "$RD_WORK/open.key"
rc=0
"$RC" check --share "${RD_URL[0]} transport=tls pin=${PIN[0]}" \
	--share "${RD_URL[1]} transport=tls pin=${PIN[1]}" \
	--key "$RD_WORK/open.key" >"$RD_WORK/recover-open.txt" 2>&1 || rc=$?
cat "$RD_WORK/recover-open.txt"
[ "$rc" -eq 2 ] || fail "tgtx-recover with a group-readable --key: exit $rc, not 2"
grep -q "node key $RD_WORK/open.key: readable by group or others" \
	"$RD_WORK/recover-open.txt" ||
	fail "tgtx-recover with a group-readable --key: not named"
pass "tgtx-recover with a group-readable --key: refused before any peer, named"
