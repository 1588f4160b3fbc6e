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


# ---- share peers (issue 11): parse, apply, show masked, dump, round trip ----
tgtxadm_ctl --op update --mode system --name debug --value on # failures logged
PW=pEEr-s3cret-77
TPW=tgt-s3cret-88
PIN=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
XS=$TGTX_TEST_DIR/xs.img
XSIQN=iqn.2026-11.org.tgtx:conf.xs
truncate -s 16M "$XS"
cat >"$TGTX_TEST_DIR/peers.conf" <<CONF
<target $XSIQN>
	# at target level, inherited by the LUN (it does not set index 2)
	share-peer 2 iscsi://10.0.0.1/iqn.2026-11.org.tgtx:inherit/7 transport=plain
	<backing-store $XS>
		lun 1
		xorshare k=2 n=3 log=$TGTX_TEST_DIR/xs.log log_size=64M
		share-peer 0 "iscsi://alice%$PW@127.0.0.1:3261/iqn.2026-11.org.tgtx:p0/1?target_user=tgt&target_password=$TPW" transport=tls pin=$PIN rate=10M retain=7d
		share-peer 1 iscsi://[::1]:3262/iqn.2026-11.org.tgtx:p1/0 transport=ipsec
	</backing-store>
	initiator-address 127.0.0.1
</target>
CONF
$ADM -e -c "$TGTX_TEST_DIR/peers.conf" >"$TGTX_TEST_DIR/peers.out" 2>&1 ||
	fail "tgtx-admin -e with share peers: $(cat "$TGTX_TEST_DIR/peers.out")"
tgtxadm_ctl --op show --mode target >"$TGTX_TEST_DIR/pshow.txt"
for want in "Share peer 0: iscsi://\*\*\*@127.0.0.1:3261/iqn.2026-11.org.tgtx:p0/1?target_user=\*\*\*&target_password=\*\*\* transport=tls pin=$PIN rate=10M retain=7d\$" \
	"Share peer 1: iscsi://\[::1\]:3262/iqn.2026-11.org.tgtx:p1/0 transport=ipsec\$" \
	"Share peer 2: iscsi://10.0.0.1/iqn.2026-11.org.tgtx:inherit/7 transport=plain\$"; do
	grep -q -- "$want" "$TGTX_TEST_DIR/pshow.txt" ||
		fail "show lacks /$want/: $(grep 'Share peer' "$TGTX_TEST_DIR/pshow.txt")"
done
! grep -q -e "$PW" -e "$TPW" "$TGTX_TEST_DIR/pshow.txt" || fail "show prints a peer secret"
pass "share-peer lines applied (options, target-level inheritance); show masks both secrets"

out=$($ADM -p -e -c "$TGTX_TEST_DIR/peers.conf")
[ -z "$out" ] && pass "re-applying the share-peer config issues nothing" ||
	fail "re-apply would issue: $out"

# tgtxadm, the issue's run-time form: index 1 moves to another peer over TLS
P1B="iscsi://bob%$PW@127.0.0.2:3263/iqn.2026-11.org.tgtx:p1b/2"
tid=$(sed -n "s/^Target \([0-9]*\): $XSIQN\$/\1/p" "$TGTX_TEST_DIR/pshow.txt")
[ -n "$tid" ] || fail "no tid for $XSIQN"
tgtxadm_ctl --op update --mode logicalunit --tid "$tid" --lun 1 \
	--params "share-peer.1=$P1B,share-peer.1.transport=tls" ||
	fail "tgtxadm --params share-peer.1=URL,share-peer.1.transport=tls"
tgtxadm_ctl --op show --mode target | grep -q "Share peer 1: iscsi://\*\*\*@127.0.0.2:3263/iqn.2026-11.org.tgtx:p1b/2 transport=tls\$" &&
	pass "tgtxadm --op update --params share-peer.1=URL,share-peer.1.transport=tls" ||
	fail "tgtxadm update of a peer: $(tgtxadm_ctl --op show --mode target | grep 'Share peer')"

# bad values at run time: refused with a reason that never quotes the URL
before=$($ADM --dump)
plain_tid=$(sed -n "s/^Target \([0-9]*\): iqn.2026-11.org.tgtx:conf.one\$/\1/p" "$TGTX_TEST_DIR/pshow.txt")
while IFS='|' read -r t params want; do
	[ "$t" = X ] && t=$tid
	[ "$t" = P ] && t=$plain_tid
	if out=$(tgtxadm_ctl --op update --mode logicalunit --tid "$t" --lun 1 --params "$params" 2>&1); then
		fail "accepted: $params"
	fi
	grep -qF -- "$want" <<<"$out" || fail "'$params': '$out' lacks '$want'"
	! grep -q -e "$PW" <<<"$out" || fail "'$params': the message shows the password: $out"
done <<EOT
X|share-peer.1.pin=XYZ|bad share-peer pin
X|share-peer.1.transport=https|bad share-peer transport 'https' (tls, ipsec or plain)
X|share-peer.1.rate=0|bad share-peer rate
X|share-peer.1.retain=1y|bad share-peer retain
X|share-peer.1=https://alice%$PW@h/iqn.x:y/1|share-peer URL must be iscsi://
X|share-peer.1=iscsi://alice%$PW@h/iqn.x:y|share-peer URL lacks the LUN
X|share-peer.1=iscsi://alice%$PW@h:0/iqn.x:y/1|bad HOST[:PORT]
X|share-peer.1=iscsi://h/iqn.x:y/1,$PW|bad parameter (want key=value, no commas
X|share-peer.3=iscsi://h/iqn.x:y/1|has n=3 shares
X|share-peer.16=iscsi://h/iqn.x:y/1|unknown LU parameter 'share-peer.16'
X|share-peer.1.colour=red|unknown LU parameter 'share-peer.1.colour'
P|share-peer.0=iscsi://alice%$PW@h/iqn.x:y/1|is not xorshare
X|share-peer.1=,share-peer.1.transport=tls|set share-peer.1 (the peer's URL) first
EOT
tgtxadm_ctl --op update --mode logicalunit --tid "$tid" --lun 1 --params "share-peer.1=$P1B,share-peer.1.transport=tls" ||
	fail "restoring peer 1"
[ "$before" = "$($ADM --dump)" ] && pass "13 bad share-peer values refused with a reason, nothing quoted" ||
	fail "a refused update changed the configuration: $(diff <(echo "$before") <($ADM --dump))"

# bad config files: FILE:LINE, no secret echoed, nothing applied
n=0
while IFS='|' read -r line want; do
	n=$((n + 1))
	printf '<target iqn.2026-11.org.tgtx:conf.bad>\n\t<backing-store %s>\n\t\txorshare k=2 n=3 log=%s\n\t\t%s\n\t</backing-store>\n</target>\n' \
		"$TGTX_TEST_DIR/d1.img" "$TGTX_TEST_DIR/bad.log" "$line" >"$TGTX_TEST_DIR/pbad$n.conf"
	if $ADM -e -c "$TGTX_TEST_DIR/pbad$n.conf" >"$TGTX_TEST_DIR/pbad.out" 2>&1; then
		fail "pbad$n.conf accepted: $line"
	fi
	grep -qF -- "pbad$n.conf:4: $want" "$TGTX_TEST_DIR/pbad.out" ||
		fail "pbad$n.conf ($line): $(cat "$TGTX_TEST_DIR/pbad.out") lacks 'pbad$n.conf:4: $want'"
	! grep -q -e "$PW" "$TGTX_TEST_DIR/pbad.out" || fail "pbad$n.conf: the password is echoed"
done <<EOT
share-peer 16 iscsi://h/iqn.x:y/1|bad share-peer index '16' (0..15)
share-peer 1 http://alice%$PW@h/iqn.x:y/1|share-peer 1: share-peer URL must be iscsi://
share-peer 1 iscsi://alice%$PW@h/iqn.x:y/1?nope=1|share-peer 1: bad share-peer URL: known arguments
share-peer 1 iscsi://alice%$PW@h/iqn.x:y/1 transport=clear|share-peer 1: bad share-peer transport 'clear'
share-peer 1 iscsi://alice%$PW@h/iqn.x:y/1 pin=1234|share-peer 1: bad share-peer pin '1234'
share-peer 1 iscsi://alice%$PW@h/iqn.x:y/1 rate=fast|share-peer 1: bad share-peer rate 'fast'
share-peer 1 iscsi://alice%$PW@h/iqn.x:y/1 retain=forever|share-peer 1: bad share-peer retain 'forever'
share-peer 1 iscsi://alice%$PW@h/iqn.x:y/1 rate=1M rate=2M|share-peer 1: rate given twice
share-peer 1 iscsi://alice%$PW@h/iqn.x:y/1 colour=red|share-peer 1: unknown option 'colour'
share-peer 3 iscsi://alice%$PW@h/iqn.x:y/1|share-peer 3: LUN 1 of iqn.2026-11.org.tgtx:conf.bad has n=3 shares
EOT
tgtxadm_ctl --op show --mode target | grep -q conf.bad && fail "a bad config was applied"
pass "$n bad share-peer lines refused at FILE:LINE, no password echoed, nothing applied"

# the dump holds the line and what a replicator needs to find the share log
$ADM --dump >"$TGTX_TEST_DIR/pdump1.conf"
for want in "<backing-store $XS>" "bs-type xorshare" "bsopts \"k=2;n=3;log=$TGTX_TEST_DIR/xs.log;log_size=64M\"" \
	"share-peer 0 \"iscsi://alice%$PW@127.0.0.1:3261/iqn.2026-11.org.tgtx:p0/1?target_user=tgt&target_password=$TPW\" transport=tls pin=$PIN rate=10M retain=7d" \
	"share-peer 1 \"$P1B\" transport=tls" \
	"share-peer 2 \"iscsi://10.0.0.1/iqn.2026-11.org.tgtx:inherit/7\" transport=plain"; do
	grep -qxF -- "		$want" "$TGTX_TEST_DIR/pdump1.conf" || grep -qxF -- "	$want" "$TGTX_TEST_DIR/pdump1.conf" ||
		fail "dump lacks '$want': $(grep -A20 "$XSIQN" "$TGTX_TEST_DIR/pdump1.conf")"
done
pass "the dump writes share-peer I \"URL\" OPT=V lines, bs-type, bsopts (log=) and the path"

# -e never removes a peer; --update does
sed -i '/share-peer 1 /d' "$TGTX_TEST_DIR/peers.conf"
$ADM -e -c "$TGTX_TEST_DIR/peers.conf" || fail "-e without peer 1"
tgtxadm_ctl --op show --mode target | grep -q "Share peer 1:" || fail "-e removed peer 1"
$ADM --update "$XSIQN" -c "$TGTX_TEST_DIR/peers.conf" || fail "--update without peer 1"
tgtxadm_ctl --op show --mode target >"$TGTX_TEST_DIR/pshow2.txt"
! grep -q "Share peer 1:" "$TGTX_TEST_DIR/pshow2.txt" && grep -q "Share peer 0: .* transport=tls pin=$PIN rate=10M retain=7d\$" "$TGTX_TEST_DIR/pshow2.txt" &&
	pass "-e keeps a peer the file lacks, --update removes it (and only it)" ||
	fail "--update: $(grep 'Share peer' "$TGTX_TEST_DIR/pshow2.txt")"

# round trip: dump -> a fresh tgtxd -> dump is identical
restart_tgtxd
tgtxadm_ctl --op update --mode system --name debug --value on
$ADM -e -c "$TGTX_TEST_DIR/pdump1.conf" >"$TGTX_TEST_DIR/pdump.out" 2>&1 ||
	fail "applying the dump: $(cat "$TGTX_TEST_DIR/pdump.out")"
$ADM --dump >"$TGTX_TEST_DIR/pdump2.conf"
diff -u "$TGTX_TEST_DIR/pdump1.conf" "$TGTX_TEST_DIR/pdump2.conf" &&
	pass "dump -> apply to a fresh tgtxd -> dump: identical, share peers included" ||
	fail "the dump did not round-trip"
out=$($ADM -p -e -c "$TGTX_TEST_DIR/pdump2.conf")
[ -z "$out" ] || fail "re-applying the dump would issue: $out"

# tgtx-admin -v (and its error lines, the same text) reach the journal when
# the unit runs it: a changed peer URL is printed masked
sed "s|share-peer 0 \"iscsi://alice|share-peer 0 \"iscsi://carol|" "$TGTX_TEST_DIR/pdump1.conf" >"$TGTX_TEST_DIR/pfail.conf"
$ADM -v -e -c "$TGTX_TEST_DIR/pfail.conf" >"$TGTX_TEST_DIR/pfail.out" 2>&1 ||
	fail "applying a changed peer URL: $(cat "$TGTX_TEST_DIR/pfail.out")"
grep -q "share-peer.0=iscsi://\*\*\*@127.0.0.1:3261.*target_password=\*\*\*" "$TGTX_TEST_DIR/pfail.out" ||
	fail "tgtx-admin -v does not show the masked peer update: $(cat "$TGTX_TEST_DIR/pfail.out")"
! grep -q -e "$PW" -e "$TPW" "$TGTX_TEST_DIR/pfail.out" ||
	fail "tgtx-admin -v prints a peer secret: $(cat "$TGTX_TEST_DIR/pfail.out")"
pass "tgtx-admin -v masks share-peer URLs"

# every failure above went through tgtxd's (debug) log: no secret there
if grep -n -e "$PW" -e "$TPW" "$TGTX_TEST_DIR"/*/tgtxd.log; then
	fail "a share-peer secret reached tgtxd's log"
fi
grep -q "failed:" "$TGTX_TEST_DIR"/admin/tgtxd.log || fail "no refused request was logged (debug off?)"
pass "no share-peer secret in tgtxd's log ($(grep -c 'failed:' "$TGTX_TEST_DIR"/admin/tgtxd.log) refusals logged)"
proc_alive "$TGTXD_PID" && pass "daemon alive" || fail "daemon died"
