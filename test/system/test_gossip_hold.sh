#!/usr/bin/env bash
# Partners learn the tables of the volumes whose shares they hold (issue 12,
# doc/gossip.md "Held volumes"). Owner A: tgtxd with an xorshare volume k=2
# n=3 and tgtx-replicd (no gossip options at all); partners p0 (tgtxd), p1
# and p2 (stock tgtd). p0's tgtx-replicd is NOT given A's pin (no
# --gossip-seed for A): it reads the share-volume header of its own LUN,
# checks A's signature, binds the volume to A, gossips the table to X (a
# gossip node that never talks to A) and answers `tgtx-recover list` with
# A's kit. Then forgeries of that volume's table are refused and named with
# both keys: a header signed by another key M, a header in A's name with a
# broken signature, and, after a restart of p0's replicator (the binding
# is on disk), M's table arriving by gossip. p0's --metrics count each step
# (held volumes, verdicts, scans; doc/gossip.md "Metrics").
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/replicd_lib.sh"

G=$B/test/tools/tgtx-gossip
RC=$B/tgtx-recover
rd_need_tools
[ -x "$G" ] && [ -x "$RC" ] || fail "no $G or $RC (make SAN=asan tests)"
command -v curl >/dev/null || fail "no curl (scripts/install-deps.sh)"
L=127.0.0.1
W=$TGTX_TEST_DIR

rd_primary 2 3 4M
rd_peer_tgtxd 0
rd_peer_tgtd 1
rd_peer_tgtd 2
rd_set_peers "transport=plain"
rd_start_replicd
"$RWCHECK" --url "$(lun_url "$RD_IQN:pri" 1 "$RD_PRI_PORT")" --lba 0 \
	--blocks 2048 --seed 5 >/dev/null
rd_wait_in_sync 120

A_PIN=$("$B/tgtxd" --show-node-key --state-dir "$RD_STATE")
P0_STATE=$W/p0/state
P0_PUB=$("$G" keygen --key "$P0_STATE/node.key" | awk '/^pub/{print $2}')
for n in x m; do
	"$G" keygen --key "$W/$n.key" >"$W/$n.id"
done
X_ID=$(awk '/^id/{print $2}' "$W/x.id")
M_ID=$(awk '/^id/{print $2}' "$W/m.id")
[ ${#A_PIN} -eq 64 ] && [ ${#X_ID} -eq 64 ] && [ ${#M_ID} -eq 64 ] &&
	[ -n "$P0_PUB" ] || fail "keys: A=$A_PIN X=$X_ID M=$M_ID P0=$P0_PUB"
GP0=$(free_port)
PX=$(free_port)
PM=$(free_port)
MP0=$(free_port)
RD_METRICS=$L:$MP0
verdict() {
	echo "tgtx_replicd_held_tables_total{verdict=\"$1\"}"
}

# X: a gossip node that knows p0 only
"$G" serve --key "$W/x.key" --state "$W/x.state" --listen "$L:$PX" \
	--peer "$P0_PUB@$L:$GP0" --interval-ms 200 >"$W/x.log" 2>&1 &
track_proc $! 5
wait_until 20 grep -q "^listening" "$W/x.log" || fail "X did not start"

P0_LOG=$W/rd-p0.log
start_p0_replicd() {
	"$REPLICD" -f --control-socket "$CTL_p0" --state-dir "$P0_STATE" \
		--poll-ms 300 --hold-scan-ms 400 --gossip-listen "$L:$GP0" \
		--metrics "$L:$MP0" \
		--gossip-seed "$X_ID@$L:$PX" "$@" >>"$P0_LOG" 2>&1 &
	P0_RD=$!
	track_proc "$P0_RD" 15 strict
}
start_p0_replicd
p0_says() {
	grep -q -- "$1" "$P0_LOG"
}
wait_until 60 p0_says "bound to owner $A_PIN on first sight" || {
	cat "$P0_LOG" >&2
	fail "p0 never bound the volume to A from its share volume's header"
}
VUUID=$(sed -n "s/.*held volumes: LUN .*: volume \([0-9a-f-]*\) .*bound to owner $A_PIN.*/\1/p" \
	"$P0_LOG" | head -n1)
[ -n "$VUUID" ] || fail "no volume UUID in p0's log"
grep -q -- "--gossip-seed.*$A_PIN" /proc/"$P0_RD"/cmdline 2>/dev/null &&
	fail "p0 was given A's pin"
pass "p0 (no pin of A configured) bound volume $VUUID to A from its header"
wait_until 20 metric_ge tgtx_replicd_hold_scans_total 2 ||
	fail "metrics: no complete scan"
for m in "tgtx_replicd_held_volumes 1" "tgtx_replicd_held_volumes_cap 256" \
	"$(verdict bound) 1" "$(verdict other-key) 0" "$(verdict bad) 0" \
	"tgtx_replicd_held_volumes_unbound 0" "tgtx_replicd_hold_read_overdue 0" \
	'tgtx_replicd_hold_scan_errors_total{kind="deadline"} 0'; do
	# shellcheck disable=SC2086 # NAME VALUE
	metric_is $m || fail "metrics: want $m, got $(metric "${m% *}")"
done
metric_ge tgtx_replicd_hold_scan_last_complete_seconds 1 ||
	fail "metrics: no time of the last complete scan"
pass "metrics: 1 held volume of 256, bound 1, nothing refused, scans complete"

echo "a long kit passphrase" >"$W/pass"
"$RC" kit export --out "$W/kit" --key "$RD_STATE/node.key" --name site-a \
	--peer "$P0_PUB,$L:$GP0" --seed "$L:$GP0" \
	--passphrase-file "$W/pass" --kdf-log2n 14 >/dev/null
KIT=(--kit "$W/kit" --passphrase-file "$W/pass" --no-probe)
out=$W/list.txt
lists_a() {
	"$RC" list --from "$L:$GP0" "${KIT[@]}" >"$out" 2>&1 &&
		grep -q "uuid $VUUID" "$out" &&
		grep -q "owner ${A_PIN:0:16} (this kit's node), table version 1 " \
			"$out"
}
wait_until 30 lists_a || {
	cat "$out" "$P0_LOG" >&2
	fail "tgtx-recover list --from p0 does not show A's volume"
}
cat "$out"
pass "tgtx-recover list --from p0 shows A's volume (owner A, version 1)"

x_holds() {
	"$G" dump --state "$W/x.state" 2>/dev/null |
		grep -q "^$VUUID version=1 owner=${A_PIN:0:16}"
}
wait_until 40 x_holds || {
	"$G" dump --state "$W/x.state" >&2 || true
	fail "X never got A's table from p0"
}
pass "p0 gossips A's table to X, a node that never talked to A"

# --- forged header: the same volume, signed by M ---
SHARES=(--share "$L:1,iqn.2026-11.org.tgtx:f0,1,plain"
	--share "$L:2,iqn.2026-11.org.tgtx:f1,1,plain"
	--share "$L:3,iqn.2026-11.org.tgtx:f2,1,plain")
"$G" mktable --key "$W/m.key" --uuid "$VUUID" --name forged --version 99 \
	"${SHARES[@]}" --out "$W/forged.slt"
"$G" plant --lun "${RD_IMG[0]}" --table "$W/forged.slt"
wait_until 30 p0_says "REFUSED table of volume $VUUID (forged) version 99: signed by $M_ID, but this node holds the volume for owner $A_PIN" || {
	cat "$P0_LOG" >&2
	fail "p0 did not refuse (and name) the header table signed by M"
}
grep "REFUSED table of volume $VUUID" "$P0_LOG" | head -n1
lists_a || { cat "$out" >&2; fail "after the forged header, list changed"; }
wait_until 20 metric_ge "$(verdict other-key)" 1 ||
	fail "metrics: the other-key refusal is not counted"
metric_is tgtx_replicd_held_volumes 1 || fail "metrics: held volumes changed"
pass "a header table of the volume signed by another key is refused, LUN and both pins named, counted"

# --- A's key in the table, version 50, signature broken (CRC right) ---
"$G" mktable --key "$RD_STATE/node.key" --uuid "$VUUID" --name vol \
	--version 50 "${SHARES[@]}" --out "$W/badsig.slt"
"$G" plant-bad-signature --lun "${RD_IMG[0]}" --table "$W/badsig.slt"
wait_until 30 p0_says "refused table claiming volume $VUUID, owner $A_PIN: malformed or its signature does not verify" || {
	cat "$P0_LOG" >&2
	fail "p0 did not refuse a header table with a broken signature"
}
p0_says "version 50 accepted" && fail "p0 accepted a broken signature"
lists_a || { cat "$out" >&2; fail "after the bad signature, list changed"; }
wait_until 20 metric_ge "$(verdict bad)" 1 ||
	fail "metrics: the bad signature is not counted"
pass "a header table with A's key but a broken signature is refused, counted"

# --- restart: the binding is on disk; M's table now arrives by gossip ---
stop_proc "$P0_RD" || fail "p0's tgtx-replicd did not stop cleanly"
"$G" plant --lun "${RD_IMG[0]}" --table "$W/forged.slt" >/dev/null
"$G" serve --key "$W/m.key" --state "$W/m.state" --listen "$L:$PM" \
	--peer "$P0_PUB@$L:$GP0" --publish "$W/forged.slt" --interval-ms 200 \
	>"$W/m.log" 2>&1 &
track_proc $! 5
wait_until 20 grep -q "^listening" "$W/m.log" || fail "M did not start"
: >"$P0_LOG.1"
mv "$P0_LOG" "$P0_LOG.1"
start_p0_replicd --gossip-seed "$M_ID@$L:$PM"
wait_until 40 p0_says "refused table of volume $VUUID version 99 .*signed by $M_ID, but the volume's owner is $A_PIN (forged)" || {
	cat "$P0_LOG" >&2
	fail "p0 did not refuse (and name) M's table arriving by gossip"
}
grep "refused table of volume $VUUID version 99" "$P0_LOG" | head -n1
wait_until 30 p0_says "REFUSED table of volume $VUUID (forged) version 99" ||
	fail "after the restart the forged header was not refused"
p0_says "bound to owner" && fail "after the restart p0 bound the volume again"
lists_a || { cat "$out" >&2; fail "after the restart, list changed"; }
wait_until 20 metric_ge 'tgtx_replicd_gossip_tables_total{verdict="forged"}' 1 ||
	fail "metrics: M's forged gossip table is not counted"
metric_is tgtx_replicd_held_volumes 1 && metric_is "$(verdict bound)" 0 ||
	fail "metrics: after the restart the binding is not the one on disk"
pass "after a restart (binding on disk) M's table is refused by gossip and in the header"

stop_proc "$P0_RD" || fail "p0's tgtx-replicd did not stop cleanly"
grep -Eq "$TGTX_SAN_PATTERN" "$P0_LOG" "$P0_LOG.1" &&
	fail "sanitizer report in p0's tgtx-replicd log"
rd_finish
