#!/usr/bin/env bash
# tgtx-admin applies a tgt-style targets.conf idempotently, --dump writes the
# running config back, --update ALL follows edits, bad configs are refused
# with file:line and change nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_tgtxd admin
ADM="$B/tgtx-admin --control-socket $CTL"
truncate -s 16M "$TGTX_TEST_DIR/d1.img" "$TGTX_TEST_DIR/d2.img" "$TGTX_TEST_DIR/d3.img"
cat >"$TGTX_TEST_DIR/targets.conf" <<CONF
# an unmodified tgt-style configuration
default-driver iscsi

<target iqn.2026-11.org.tgtx:conf.one>
	backing-store $TGTX_TEST_DIR/d1.img
	backing-store $TGTX_TEST_DIR/d2.img
	initiator-address 127.0.0.1
	incominguser alice secret-alice-1
	vendor_id TGTXTEST
	write-cache off
</target>

<target iqn.2026-11.org.tgtx:conf.two>
	<backing-store $TGTX_TEST_DIR/d3.img>
		lun 5
		scsi_sn SN-CONF-TWO
	</backing-store>
	initiator-address ALL
	MaxRecvDataSegmentLength 65536
</target>
CONF

$ADM -e -c "$TGTX_TEST_DIR/targets.conf" && pass "tgtx-admin -e applies the file" ||
	fail "tgtx-admin -e"
tgtxadm_ctl --op show --mode target >"$TGTX_TEST_DIR/show1.txt"
grep -q "iqn.2026-11.org.tgtx:conf.one" "$TGTX_TEST_DIR/show1.txt" &&
	grep -q "iqn.2026-11.org.tgtx:conf.two" "$TGTX_TEST_DIR/show1.txt" &&
	grep -q "LUN: 5" "$TGTX_TEST_DIR/show1.txt" && grep -q "alice" "$TGTX_TEST_DIR/show1.txt" &&
	pass "targets, LUNs and accounts created" || fail "show after -e: $(cat "$TGTX_TEST_DIR/show1.txt")"

$ADM -e -c "$TGTX_TEST_DIR/targets.conf" && tgtxadm_ctl --op show --mode target >"$TGTX_TEST_DIR/show2.txt"
cmp -s "$TGTX_TEST_DIR/show1.txt" "$TGTX_TEST_DIR/show2.txt" && pass "applying twice changes nothing" ||
	fail "second apply changed the state: $(diff "$TGTX_TEST_DIR/show1.txt" "$TGTX_TEST_DIR/show2.txt")"

$ADM --dump >"$TGTX_TEST_DIR/dump.conf"
grep -q "<target iqn.2026-11.org.tgtx:conf.two>" "$TGTX_TEST_DIR/dump.conf" &&
	grep -q "$TGTX_TEST_DIR/d3.img" "$TGTX_TEST_DIR/dump.conf" && pass "--dump writes the running config" ||
	fail "dump: $(cat "$TGTX_TEST_DIR/dump.conf")"

# the dump is itself a valid config: a second daemon built from it looks the same
restart_tgtxd
$ADM -e -c "$TGTX_TEST_DIR/dump.conf" && tgtxadm_ctl --op show --mode target >"$TGTX_TEST_DIR/show3.txt"
diff <(grep -v "I_T nexus\|Connection\|IP Address\|Initiator:" "$TGTX_TEST_DIR/show1.txt") \
	<(grep -v "I_T nexus\|Connection\|IP Address\|Initiator:" "$TGTX_TEST_DIR/show3.txt") &&
	pass "the dump round-trips" || fail "dump did not round-trip"

# edit: drop target two, add a LUN to target one
sed -i '/conf.two/,/^<\/target>/d' "$TGTX_TEST_DIR/targets.conf"
sed -i "s|backing-store $TGTX_TEST_DIR/d2.img|backing-store $TGTX_TEST_DIR/d2.img\n\tbacking-store $TGTX_TEST_DIR/d3.img|" "$TGTX_TEST_DIR/targets.conf"
$ADM --update ALL -c "$TGTX_TEST_DIR/targets.conf" && tgtxadm_ctl --op show --mode target >"$TGTX_TEST_DIR/show4.txt"
! grep -q "conf.two" "$TGTX_TEST_DIR/show4.txt" && grep -q "LUN: 3" "$TGTX_TEST_DIR/show4.txt" &&
	pass "--update ALL follows the edited file" || fail "update: $(cat "$TGTX_TEST_DIR/show4.txt")"

# hostile/wrong configs: clear error naming the line, nothing changes
printf '<target iqn.x:bad>\n\tbacking-store %s\n\tno-such-directive 1\n</target>\n' "$TGTX_TEST_DIR/d1.img" >"$TGTX_TEST_DIR/bad1.conf"
printf '<target iqn.x:unterminated>\n\tbacking-store %s\n' "$TGTX_TEST_DIR/d1.img" >"$TGTX_TEST_DIR/bad2.conf"
printf 'include %s\n' "$TGTX_TEST_DIR/bad3.conf" >"$TGTX_TEST_DIR/bad3.conf"
head -c 100000 /dev/urandom >"$TGTX_TEST_DIR/bad4.conf"
for f in bad1 bad2 bad3 bad4; do
	if $ADM -e -c "$TGTX_TEST_DIR/$f.conf" >"$TGTX_TEST_DIR/$f.out" 2>&1; then
		fail "$f.conf accepted"
	elif grep -q "$f.conf" "$TGTX_TEST_DIR/$f.out"; then
		pass "$f.conf refused with a clear error: $(head -1 "$TGTX_TEST_DIR/$f.out")"
	else
		fail "$f.conf error does not name the file: $(head -3 "$TGTX_TEST_DIR/$f.out")"
	fi
done
tgtxadm_ctl --op show --mode target >"$TGTX_TEST_DIR/show5.txt"
cmp -s "$TGTX_TEST_DIR/show4.txt" "$TGTX_TEST_DIR/show5.txt" && pass "bad configs changed nothing" ||
	fail "bad configs changed the state"
proc_alive "$TGTXD_PID" && pass "daemon alive" || fail "daemon died"

