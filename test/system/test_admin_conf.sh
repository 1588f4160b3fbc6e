#!/usr/bin/env bash
# tgtx-admin applies a tgt-style targets.conf idempotently, --dump writes the
# running config back, --update ALL follows edits, bad configs are refused
# with file:line and change nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_tgtxd admin
ADM="$B/tgtx-admin --control-socket $CTL"
truncate -s 16M "$TMP/d1.img" "$TMP/d2.img" "$TMP/d3.img"
cat >"$TMP/targets.conf" <<CONF
# an unmodified tgt-style configuration
default-driver iscsi

<target iqn.2026-11.org.tgtx:conf.one>
	backing-store $TMP/d1.img
	backing-store $TMP/d2.img
	initiator-address 127.0.0.1
	incominguser alice secret-alice-1
	vendor_id TGTXTEST
	write-cache off
</target>

<target iqn.2026-11.org.tgtx:conf.two>
	<backing-store $TMP/d3.img>
		lun 5
		scsi_sn SN-CONF-TWO
	</backing-store>
	initiator-address ALL
	MaxRecvDataSegmentLength 65536
</target>
CONF

$ADM -e -c "$TMP/targets.conf" && pass "tgtx-admin -e applies the file" ||
	fail "tgtx-admin -e"
tgtxadm_ctl --op show --mode target >"$TMP/show1.txt"
grep -q "iqn.2026-11.org.tgtx:conf.one" "$TMP/show1.txt" &&
	grep -q "iqn.2026-11.org.tgtx:conf.two" "$TMP/show1.txt" &&
	grep -q "LUN: 5" "$TMP/show1.txt" && grep -q "alice" "$TMP/show1.txt" &&
	pass "targets, LUNs and accounts created" || fail "show after -e: $(cat "$TMP/show1.txt")"

$ADM -e -c "$TMP/targets.conf" && tgtxadm_ctl --op show --mode target >"$TMP/show2.txt"
cmp -s "$TMP/show1.txt" "$TMP/show2.txt" && pass "applying twice changes nothing" ||
	fail "second apply changed the state: $(diff "$TMP/show1.txt" "$TMP/show2.txt")"

$ADM --dump >"$TMP/dump.conf"
grep -q "<target iqn.2026-11.org.tgtx:conf.two>" "$TMP/dump.conf" &&
	grep -q "$TMP/d3.img" "$TMP/dump.conf" && pass "--dump writes the running config" ||
	fail "dump: $(cat "$TMP/dump.conf")"

# the dump is itself a valid config: a second daemon built from it looks the same
restart_tgtxd
$ADM -e -c "$TMP/dump.conf" && tgtxadm_ctl --op show --mode target >"$TMP/show3.txt"
diff <(grep -v "I_T nexus\|Connection\|IP Address\|Initiator:" "$TMP/show1.txt") \
	<(grep -v "I_T nexus\|Connection\|IP Address\|Initiator:" "$TMP/show3.txt") &&
	pass "the dump round-trips" || fail "dump did not round-trip"

# edit: drop target two, add a LUN to target one
sed -i '/conf.two/,/^<\/target>/d' "$TMP/targets.conf"
sed -i "s|backing-store $TMP/d2.img|backing-store $TMP/d2.img\n\tbacking-store $TMP/d3.img|" "$TMP/targets.conf"
$ADM --update ALL -c "$TMP/targets.conf" && tgtxadm_ctl --op show --mode target >"$TMP/show4.txt"
! grep -q "conf.two" "$TMP/show4.txt" && grep -q "LUN: 3" "$TMP/show4.txt" &&
	pass "--update ALL follows the edited file" || fail "update: $(cat "$TMP/show4.txt")"

# hostile/wrong configs: clear error naming the line, nothing changes
printf '<target iqn.x:bad>\n\tbacking-store %s\n\tno-such-directive 1\n</target>\n' "$TMP/d1.img" >"$TMP/bad1.conf"
printf '<target iqn.x:unterminated>\n\tbacking-store %s\n' "$TMP/d1.img" >"$TMP/bad2.conf"
printf 'include %s\n' "$TMP/bad3.conf" >"$TMP/bad3.conf"
head -c 100000 /dev/urandom >"$TMP/bad4.conf"
for f in bad1 bad2 bad3 bad4; do
	if $ADM -e -c "$TMP/$f.conf" >"$TMP/$f.out" 2>&1; then
		fail "$f.conf accepted"
	elif grep -q "$f.conf" "$TMP/$f.out"; then
		pass "$f.conf refused with a clear error: $(head -1 "$TMP/$f.out")"
	else
		fail "$f.conf error does not name the file: $(head -3 "$TMP/$f.out")"
	fi
done
tgtxadm_ctl --op show --mode target >"$TMP/show5.txt"
cmp -s "$TMP/show4.txt" "$TMP/show5.txt" && pass "bad configs changed nothing" ||
	fail "bad configs changed the state"
daemon_alive && pass "daemon alive" || fail "daemon died"
finish
