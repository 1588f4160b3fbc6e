#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Gossip of share-location tables over TLS 1.3 on loopback, with the test
# driver tgtx-gossip (the glue into tgtx-replicd comes later) and
# tgtx-recover: three nodes A - B - C in a line converge (C gets A's table
# through B: the relay case, C never talks to A); a node M that C trusts as
# a peer gossips a forged table for A's volume: refused; a node whose key is
# not pinned is refused, and so is a server presenting the wrong key; C
# restarted alone still serves what it learned (persistence); tgtx-recover
# lists A's volume from C with A's DR kit; a wrong passphrase is refused.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

G=$B/test/tools/tgtx-gossip
R=$B/tgtx-recover
[ -x "$G" ] && [ -x "$R" ] || fail "build $G and $R first (make SAN=asan tests)"
D=$(tmpdir gossip)
UUID=0a1b2c3d-0000-4000-8000-00000000a001

for n in a b c m x; do
	"$G" keygen --key "$D/$n.key" >"$D/$n.id"
	eval "pub_$n=$(awk '/^pub/{print $2}' "$D/$n.id")"
	eval "port_$n=$(free_port)"
done
# shellcheck disable=SC2154 # set by the eval above
{
	a=$pub_a b=$pub_b c=$pub_c m=$pub_m
	pa=$port_a pb=$port_b pc=$port_c pm=$port_m
}
L=127.0.0.1

"$G" mktable --key "$D/a.key" --uuid "$UUID" --name vol1 --version 1 \
	--share "$L:3260,iqn.2026-11.org.tgtx:b.vol1,1" \
	--share "$L:3261,iqn.2026-11.org.tgtx:c.vol1,1" \
	--share "$L:3262,iqn.2026-11.org.tgtx:d.vol1,1" --out "$D/vol1.slt"
# M signs a table for the same UUID with its own key
"$G" mktable --key "$D/m.key" --uuid "$UUID" --name vol1 --version 99 --k 1 \
	--share "$L:9999,iqn.2026-11.org.evil:m.vol1,1" --out "$D/forged.slt"

# serve NAME ARGS...: starts a gossip node, logs in $D/NAME/NAME.log
serve() {
	local name=$1 port pid

	shift
	port=$(eval echo "\$port_$name")
	mkdir -p "$D/$name"
	"$G" serve --key "$D/$name.key" --state "$D/$name.state" \
		--listen "$L:$port" --interval-ms 200 "$@" \
		>"$D/$name/$name.log" 2>&1 &
	pid=$!
	# track_proc may start the watchdog in the background: $! changes
	track_proc "$pid" 5
	eval "pid_$name=$pid"
	wait_until 20 grep -q "^listening" "$D/$name/$name.log" ||
		fail "gossip node $name did not start"
}

# holds NAME OWNERPUB VERSION: NAME's state file has vol1 at VERSION by OWNER
holds() {
	local owner_id
	owner_id=$(awk '/^id/{print substr($2, 1, 16)}' "$D/$2.id")
	"$G" dump --state "$D/$1.state" 2>/dev/null |
		grep -q "^$UUID version=$3 owner=$owner_id "
}

serve a --peer "$b@$L:$pb" --publish "$D/vol1.slt"
serve b --peer "$a@$L:$pa" --peer "$c@$L:$pc"
serve c --peer "$b@$L:$pb" --peer "$m@$L:$pm" --pin "$a"
wait_until 60 holds b a 1 || fail "B never got A's table"
pass "B (A's peer) got A's table over TLS"
# C is given no address of A and A none of C: only B can carry the table
wait_until 60 holds c a 1 || fail "C never got A's table through B"
pass "relay: C got A's table through B without ever talking to A"

# M turns up and gossips its forged table to C (its only peer)
serve m --peer "$c@$L:$pc" --publish "$D/forged.slt"
# (a function, not grep on <(...): that is expanded once, so a retry would
# read the same first, possibly empty, dump)
wait_until 60 holds m m 99 || fail "M does not hold its forged table"
sleep 3 # several rounds of M contacting C
holds c a 1 || fail "C's table of vol1 changed after M's forgery"
stop_proc "$pid_c"
grep -Eq "stopping: .* forged [1-9]" "$D/c/c.log" ||
	fail "C did not count the forged table as refused"
pass "forged table from a pinned peer refused, A's table kept"

# C alone, restarted: it reloads what it learned and serves it
serve c --pin "$a"
out=$("$G" pull --key "$D/a.key" --from "$L:$pc" --peer-pub "$c")
echo "$out" | grep -q "^$UUID version=1 " ||
	fail "C did not serve its persisted table after a restart: $out"
pass "persistence: C restarted alone serves the table it learned"

# an unpinned client is refused by B; a server with another key is refused
rc=0
"$G" pull --key "$D/x.key" --from "$L:$pb" --peer-pub "$b" >/dev/null 2>&1 ||
	rc=$?
[ "$rc" -ne 0 ] || fail "B answered a client whose key it does not pin"
wait_until 10 grep -q "refused: TLS handshake" "$D/b/b.log" ||
	fail "B did not log the refused handshake"
pass "client with an unpinned key refused (exit $rc)"
expect_rc 3 "server presenting another key than the pinned one refused" \
	"$G" pull --key "$D/a.key" --from "$L:$pb" --peer-pub "$c"

# the DR operator: A is gone; its kit and C's address are enough
echo "a long kit passphrase" >"$D/pass"
"$R" kit export --out "$D/kit" --key "$D/a.key" --name site-a \
	--peer "$b,$L:$pb,iscsi://u%s3cret@$L:3260/iqn.2026-11.org.tgtx:b.vol1/1" \
	--peer "$c,$L:$pc" --seed "$L:$pc" --passphrase-file "$D/pass" \
	--kdf-log2n 14 >/dev/null
stop_proc "$pid_a"
rm -f "$D/a.key" "$D/a.state"
out=$("$R" kit show --kit "$D/kit" --passphrase-file "$D/pass")
echo "$out" | grep -q "u%\*\*\*@" || fail "kit show: password not masked"
echo "$out" | grep -q s3cret && fail "kit show printed a password"
pass "kit show masks the peer password"
out=$("$R" list --from "$L:$pc" --kit "$D/kit" --passphrase-file "$D/pass")
echo "$out" | grep -q "^volume vol1 uuid $UUID" ||
	fail "tgtx-recover list did not show vol1: $out"
echo "$out" | grep -q "(this kit's node)" ||
	fail "vol1 not attributed to the kit's node: $out"
echo "$out" | grep -q "iqn.2026-11.org.tgtx:d.vol1" ||
	fail "share locations missing: $out"
pass "tgtx-recover list from C with A's kit shows vol1 and its shares"
echo "not the passphrase" >"$D/wrong"
expect_rc 3 "wrong kit passphrase refused" \
	"$R" list --from "$L:$pc" --kit "$D/kit" --passphrase-file "$D/wrong"
expect_rc 1 "restore without a share source is a usage error" "$R" restore

for n in b c m; do
	stop_proc "$(eval echo "\$pid_$n")"
done
for f in "$D"/*/*.log; do
	check_san_log "$f" || fail "sanitizer report in $f"
done
