#!/usr/bin/env bash
# tgtx-recover with gossip: the owner A signed its volume's share-location
# table (k=2 n=3, plain transport, partners B, C, D) and gossiped it to B;
# then A is gone (its key and gossip state deleted). With A's DR kit and B's
# address only, `list` shows the volume and the newest point its shares can
# restore, `check`/`restore --from --volume` find the share LUNs (portal,
# IQN, LUN from the table, the CHAP secret of share 0 from the kit) and the
# restore equals the volume tgtx-sharevol derived. A table another node
# signed is refused (exit 3).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SV=$B/test/tools/tgtx-sharevol
G=$B/test/tools/tgtx-gossip
RC=${TGTX_RECOVER:-$B/tgtx-recover} # a planted-defect build can stand in
[ -x "$SV" ] && [ -x "$RC" ] && [ -x "$G" ] ||
	fail "no $SV, $G or $RC (make SAN=asan tests)"
IQN=iqn.2026-11.org.tgtx:gsh
LUNSZ=$((16 << 20))
NB=2048
HIST=(--k 2 --n 3 --blocks $NB --records 300 --seed 21 --journal $((4 << 20)))
D=$TGTX_TEST_DIR
L=127.0.0.1
SECRET=Gossip5ecretPw

start_tgtxd p0
truncate -s $LUNSZ "$D/s0.img" "$D/s1.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:p0"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$D/s0.img"
tgtxadm_ctl --op new --mode account --user repl --password "$SECRET"
tgtxadm_ctl --op bind --mode account --tid 1 --user repl
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
P0=$PORT
tgtxadm_ctl --op new --mode target --tid 2 -T "$IQN:p1"
tgtxadm_ctl --op new --mode logicalunit --tid 2 --lun 1 -b "$D/s1.img"
tgtxadm_ctl --op bind --mode target --tid 2 -I ALL
start_stock_tgtd st
truncate -s $LUNSZ "$D/s2.img"
stock_tgtadm --lld iscsi --op new --mode target --tid 1 -T "$IQN:st"
stock_tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
	-b "$D/s2.img"
stock_tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL

out=$D/out.txt
"$SV" write "${HIST[@]}" --peer "iscsi://repl%$SECRET@$L:$P0/$IQN:p0/1" \
	--peer "iscsi://$L:$P0/$IQN:p1/1" \
	--peer "iscsi://$L:$TGT_PORT/$IQN:st/1" >"$out" 2>&1 ||
	{ cat "$out"; fail "tgtx-sharevol write"; }
"$SV" expect "${HIST[@]}" --out "$D/vol.img" >/dev/null
# the volume UUID as tgtx-sharevol made it (seed 21)
VUUID=$("$RC" check --share "iscsi://$L:$P0/$IQN:p1/1" \
	--share "iscsi://$L:$TGT_PORT/$IQN:st/1" |
	sed -n 's/^volume \([0-9a-f-]*\):.*/\1/p')
[ -n "$VUUID" ] || fail "no volume UUID from check"

for n in a b c d m; do
	"$G" keygen --key "$D/$n.key" >"$D/$n.id"
	eval "pub_$n=$(awk '/^pub/{print $2}' "$D/$n.id")"
	eval "port_$n=$(free_port)"
done
# shellcheck disable=SC2154 # set by the eval above
{
	a=$pub_a b=$pub_b c=$pub_c d=$pub_d pa=$port_a pb=$port_b
}
"$G" mktable --key "$D/a.key" --uuid "$VUUID" --name vol1 --version 1 \
	--share "$L:$P0,$IQN:p0,1,plain,$b" \
	--share "$L:$P0,$IQN:p1,1,plain,$c" \
	--share "$L:$TGT_PORT,$IQN:st,1,plain,$d" --out "$D/vol1.slt"
"$G" mktable --key "$D/m.key" --uuid 0a1b2c3d-0000-4000-8000-0000000000ee \
	--name volm --version 1 --share "$L:$P0,$IQN:p1,1,plain" \
	--share "$L:$TGT_PORT,$IQN:st,1,plain" --out "$D/volm.slt"
serve() {
	local name=$1 port

	shift
	port=$(eval echo "\$port_$name")
	mkdir -p "$D/$name"
	"$G" serve --key "$D/$name.key" --state "$D/$name.state" \
		--listen "$L:$port" --interval-ms 200 "$@" \
		>"$D/$name/$name.log" 2>&1 &
	track_proc $! 5
	eval "pid_$name=$!"
	wait_until 20 grep -q "^listening" "$D/$name/$name.log" ||
		fail "gossip node $name did not start"
}
serve a --peer "$b@$L:$pb" --publish "$D/vol1.slt" --publish "$D/volm.slt"
serve b --peer "$a@$L:$pa"
b_holds() {
	"$G" dump --state "$D/b.state" 2>/dev/null | grep -q "^$VUUID version=1"
}
wait_until 60 b_holds || fail "B never got A's table"
echo "a long kit passphrase" >"$D/pass"
"$RC" kit export --out "$D/kit" --key "$D/a.key" --name site-a \
	--peer "$b,$L:$pb,iscsi://repl%$SECRET@$L:$P0/$IQN:p0/1" \
	--seed "$L:$pb" --passphrase-file "$D/pass" \
	--kdf-log2n 14 >/dev/null
# shellcheck disable=SC2154
stop_proc "$pid_a"
rm -f "$D/a.key" "$D/a.state"
KIT=(--kit "$D/kit" --passphrase-file "$D/pass")
pass "A's table gossiped to B; A's key and state deleted; the kit kept"

rc=0
"$RC" list --from "$L:$pb" "${KIT[@]}" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "list: exit $rc"
grep -q "newest restorable point: seq 300 written .* (3 of 3 share volumes readable)" \
	"$out" || fail "list does not show the newest restorable point"
grep -q "$SECRET" "$out" && fail "list printed the CHAP secret"
pass "list from B shows vol1 with its newest restorable point (seq 300)"

rc=0
"$RC" check --from "$L:$pb" --volume vol1 "${KIT[@]}" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "check --from: exit $rc"
grep -q "^restorable: yes, 3 consistent shares" "$out" || fail "check --from"
rc=0
"$RC" restore --from "$L:$pb" --volume "$VUUID" "${KIT[@]}" \
	--to "$D/r.img" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "restore --from: exit $rc"
cmp "$D/r.img" "$D/vol.img" || fail "restored volume differs"
grep -q "$SECRET" "$out" && fail "restore printed the CHAP secret"
pass "check and restore --from B --volume (name, UUID) with A's kit: volume right"

rc=0
"$RC" restore --from "$L:$pb" --volume volm "${KIT[@]}" --to "$D/m.img" \
	>"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 3 ] || fail "a table signed by another node: exit $rc, expected 3"
grep -q "not signed by this kit's node" "$out" || fail "no reason given"
[ -e "$D/m.img" ] && fail "something was restored from a foreign table"
pass "a table another node signed is refused (exit 3)"
