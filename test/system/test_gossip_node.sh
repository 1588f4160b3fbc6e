#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The gossip node service (replicator/gossip/gossip_node.c, run by
# tgtx-gossip serve as tgtx-replicd runs it) with four nodes on loopback in
# a line A - B - C - D, each knowing only its neighbours and each in a
# different way: A listens on IPv6 (::1) and has B's key; B knows A by its
# node id only (a share-peer pin=) and lets C in; C reaches B as a seed (an
# address, no key given) and dials D; D only lets C in. A's table reaches D
# through two relays, so does its next version; D restarted alone serves
# what it learned. Then D's bounds: 12 silent connections from one source
# hold at most --max-per-source slots, are dropped at the handshake deadline,
# and D still gossips afterwards.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

G=$B/test/tools/tgtx-gossip
[ -x "$G" ] || fail "build $G first (make SAN=asan tests)"
D=$(tmpdir gnode)
UUID=0a1b2c3d-0000-4000-8000-00000000b001

for n in a b c d; do
	"$G" keygen --key "$D/$n.key" >"$D/$n.id"
	eval "pub_$n=$(awk '/^pub/{print $2}' "$D/$n.id")"
	eval "id_$n=$(awk '/^id/{print $2}' "$D/$n.id")"
	eval "port_$n=$(free_port)"
done
# shellcheck disable=SC2154 # set by the eval above
{
	b=$pub_b c=$pub_c d=$pub_d ida=$id_a
	pa=$port_a pb=$port_b pc=$port_c pd=$port_d
}
L=127.0.0.1

for v in 1 2; do
	"$G" mktable --key "$D/a.key" --uuid "$UUID" --name vol1 --version $v \
		--share "$L:3260,iqn.2026-11.org.tgtx:b.vol1,1" \
		--share "$L:3261,iqn.2026-11.org.tgtx:c.vol1,1" \
		--share "$L:3262,iqn.2026-11.org.tgtx:d.vol$v,1" \
		--out "$D/vol1.v$v.slt"
done

serve() {
	local name=$1 pid

	shift
	mkdir -p "$D/$name"
	"$G" serve --key "$D/$name.key" --state "$D/$name.state" \
		--interval-ms 200 "$@" >"$D/$name/$name.log" 2>&1 &
	pid=$!
	# track_proc may start the watchdog in the background: $! changes
	track_proc "$pid" 5
	eval "pid_$name=$pid"
	wait_until 20 grep -q "^listening" "$D/$name/$name.log" ||
		fail "gossip node $name did not start: $(cat "$D/$name/$name.log"; ss -tanp | grep ":$(eval echo "\$port_$name")")"
}

holds() {
	"$G" dump --state "$D/$1.state" 2>/dev/null |
		grep -q "^$UUID version=$2 owner=${ida:0:16} "
}

serve a --listen "[::1]:$pa" --peer "$b@$L:$pb" --publish "$D/vol1.v1.slt"
serve b --listen "$L:$pb" --peer-id "$ida@[::1]:$pa" --pin "$c"
serve c --listen "$L:$pc" --pin "$b" --seed "$L:$pb" --peer "$d@$L:$pd"
serve d --listen "$L:$pd" --pin "$c" --max-per-source 2 --handshake-ms 500
wait_until 60 holds b 1 || fail "B never got A's table (id pin, IPv6)"
wait_until 60 holds d 1 || fail "D never got A's table through B and C"
pass "A's table reached D through two relays (IPv6, id pin, seed)"

stop_proc "$pid_a"
serve a --listen "[::1]:$pa" --peer "$b@$L:$pb" --publish "$D/vol1.v2.slt"
wait_until 60 holds d 2 || fail "version 2 never reached D"
pass "a new version of the table reached D"

for n in a b c d; do
	stop_proc "$(eval echo "\$pid_$n")"
done
serve d --listen "$L:$pd" --pin "$c" --max-per-source 2 --handshake-ms 500
out=$("$G" pull --key "$D/c.key" --from "$L:$pd" --peer-pub "$d")
echo "$out" | grep -q "^$UUID version=2 " ||
	fail "D did not serve its persisted table after a restart: $out"
pass "persistence: D restarted alone serves version 2"

# a flood of silent connections from one source: 12 sockets, held open
fds=()
for _ in $(seq 12); do
	exec {fd}<>"/dev/tcp/$L/$pd"
	fds+=("$fd")
done
wait_until 20 grep -q "TLS handshake timed out" "$D/d/d.log" ||
	fail "D never dropped the silent connections"
for fd in "${fds[@]}"; do
	exec {fd}>&-
done
out=$("$G" pull --key "$D/c.key" --from "$L:$pd" --peer-pub "$d")
echo "$out" | grep -q "^$UUID version=2 " || fail "D stopped serving: $out"
stop_proc "$pid_d"
line=$(grep "connections:" "$D/d/d.log")
log "$line"
refused=$(echo "$line" | sed -n 's/.*refused-source \([0-9]*\).*/\1/p')
timeouts=$(echo "$line" | sed -n 's/.* timeouts \([0-9]*\).*/\1/p')
max_open=$(echo "$line" | sed -n 's/.*max-open \([0-9]*\).*/\1/p')
[ "$refused" -ge 10 ] || fail "only $refused of 12 refused over the bound"
[ "$timeouts" -ge 2 ] || fail "silent connections not timed out: $line"
[ "$max_open" -le 2 ] || fail "$max_open open at once, bound 2"
pass "flood from one source: $refused refused, at most $max_open open, silent ones timed out; D still serves"

for f in "$D"/*/*.log; do
	check_san_log "$f" || fail "sanitizer report in $f"
done
