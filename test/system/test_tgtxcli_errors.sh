#!/usr/bin/env bash
# Every error path of tgtxcli's grammar gets a clear message and exit
# status 1 in one-shot mode, and changes nothing (the daemon's dump and
# tgtxcli's backstore state are byte-identical afterwards); a restore that
# fails half-way is undone; a script on stdin reports each failing line and
# exits 1; LIO's /etc/target/saveconfig.json imports, reporting every part
# tgtx has no equivalent for. Run under ASan (build/san) by make check.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

TGTXCLI=$B/tgtxcli
[ -x "$TGTXCLI" ] || fail "no $TGTXCLI"
IQN=iqn.2026-11.org.tgtx:err
DIR=$TGTX_TEST_DIR/data
mkdir -p "$DIR"
export TGTXCLI_CONFIG=$TGTX_TEST_DIR/etc/saveconfig.json
export TGTXCLI_BACKUP_DIR=$TGTX_TEST_DIR/etc/backup
export TGTXCLI_DEFAULT_PORTAL= TGTXCLI_HISTORY=
T=/iscsi/$IQN/tpg1

cli() {
	"$TGTXCLI" --control-socket "$CTL" "$@"
}

snapshot() {
	tgtxadm_ctl --op show --mode system --name dump --value state
	tgtxadm_ctl --op show --mode portal
	cat "$CTL.backstores.json" 2>/dev/null || true
}

start_tgtxd main
cli /backstores/fileio create d1 "$DIR/d1.img" 8M >/dev/null
cli /backstores/xorshare create x1 "$DIR/x1.img" 8M k=2 n=3 \
	log="$DIR/x1.log" >/dev/null
cli /backstores/null create n1 >/dev/null
cli /iscsi create "$IQN" >/dev/null
cli "$T/luns" create /backstores/fileio/d1 >/dev/null
cli "$T/luns" create /backstores/xorshare/x1 >/dev/null
cli "$T/acls" create iqn.2026-11.org.tgtx:test-initiator >/dev/null
cli "$T" set auth userid=carol password=carolsecret12 >/dev/null
cli saveconfig "$DIR/self.json" >/dev/null
snapshot >"$TGTX_TEST_DIR/before"

n=0
while IFS='|' read -r cmd want; do
	[ -n "$cmd" ] || continue
	# shellcheck disable=SC2086 # the table's words are the command line
	rc=0
	out=$(eval "cli $cmd" 2>&1) || rc=$?
	[ "$rc" -eq 1 ] || fail "'$cmd': exit $rc, expected 1 ($out)"
	grep -qF -- "$want" <<<"$out" ||
		fail "'$cmd': message '$out' lacks '$want'"
	n=$((n + 1))
done <<EOT
/nowhere ls|No such path /nowhere
/iscsi/$IQN/tpg2 ls|No such path /iscsi/$IQN/tpg2
/backstores/tape create t1|No such path /backstores/tape
/iscsi frobnicate|Command not found 'frobnicate' at /iscsi
create x|Command not found 'create' at /
/backstores/fileio/d1 create x|Command not found 'create'
/iscsi create not_an_iqn|WWN not valid as: iqn, naa, eui
/iscsi create $IQN|Target $IQN already exists
/iscsi delete iqn.2026-11.org.tgtx:none|No such target iqn.2026-11.org.tgtx:none
/iscsi delete|Missing required parameter wwn
/iscsi create wwn=iqn.2026-11.org.tgtx:a iqn.2026-11.org.tgtx:b|parameter wwn given twice
/iscsi create iqn.2026-11.org.tgtx:a extra|Too many parameters: 'extra'
/iscsi create color=blue|Unexpected keyword parameter 'color'
/iscsi/$IQN create 2|tgtxd has one portal group per target
/backstores/fileio create|Missing required parameter name
/backstores/fileio create d1 $DIR/other.img 1M|Storage object fileio/d1 exists
/backstores/fileio create 'bad name' $DIR/o.img 1M|Invalid name 'bad name'
/backstores/fileio create d2|Missing required parameter file_or_dev
/backstores/fileio create d2 $DIR/missing.img|does not exist: give a SIZE
/backstores/fileio create d2 $DIR/o.img 12Q|Invalid size '12Q'
/backstores/fileio create d2 $DIR/o.img 0|Invalid size '0'
/backstores/fileio create d2 $DIR 1M|is a directory
/backstores/fileio create d2 $DIR/o.img 1M write_back=maybe|Invalid value 'maybe' for write_back
/backstores/block create b1 $DIR/d1.img|is not a block device
/backstores/xorshare create x2 $DIR/x2.img 1M k=3 n=2 log=$DIR/l|Invalid n '2'
/backstores/xorshare create x2 $DIR/x2.img 1M k=0 n=2 log=$DIR/l|Invalid k '0'
/backstores/xorshare create x2 $DIR/x2.img 1M k=2 n=3|log=DIR is required
/backstores/xorshare create x2 $DIR/x2.img 1M n=3 log=$DIR/l|k is required
/backstores/xorshare/x1/peers create 3 iscsi://a/iqn.x:y/1|Invalid index '3' (0..2)
/backstores/xorshare/x1/peers create -1 iscsi://a/iqn.x:y/1|Invalid index '-1'
/backstores/xorshare/x1/peers create 1|Missing URL
/backstores/xorshare/x1/peers create 1 not-a-url|Invalid url: share-peer URL must be iscsi://
/backstores/xorshare/x1/peers create 1 http://a/iqn.x:y/1|Invalid url: share-peer URL must be iscsi://
/backstores/xorshare/x1/peers create 1 'iscsi://a/iqn.x:y/1 c'|Invalid url: bad share-peer URL: no spaces
/backstores/xorshare/x1/peers create 1 iscsi://u%p,w@a/iqn.x:y/1|Invalid url: bad share-peer URL: no spaces
/backstores/xorshare/x1/peers create 1 iscsi://a/iqn.x:y|Invalid url: share-peer URL lacks the LUN
/backstores/xorshare/x1/peers create 1 iscsi://a:99999/iqn.x:y/1|Invalid url: bad share-peer URL: bad HOST[:PORT]
/backstores/xorshare/x1/peers create 1 iscsi://a/iqn.x:y/1 transport='t t'|Invalid transport: bad share-peer transport
/backstores/xorshare/x1/peers create 1 iscsi://a/iqn.x:y/1 transport=https|Invalid transport: bad share-peer transport 'https' (tls, ipsec or plain)
/backstores/xorshare/x1/peers create 1 iscsi://a/iqn.x:y/1 pin=abc|Invalid pin: bad share-peer pin 'abc' (64 lowercase hex digits
/backstores/xorshare/x1/peers create 1 iscsi://a/iqn.x:y/1 rate=0|Invalid rate: bad share-peer rate '0'
/backstores/xorshare/x1/peers create 1 iscsi://a/iqn.x:y/1 rate=10X|Invalid rate: bad share-peer rate '10X'
/backstores/xorshare/x1/peers create 1 iscsi://a/iqn.x:y/1 retain=7w|Invalid retain: bad share-peer retain '7w'
/backstores/xorshare/x1/peers create 1 iscsi://a/iqn.x:y/1 color=red|Unexpected keyword parameter 'color'
/backstores/xorshare/x1/peers delete 2|No peer 2
/backstores/xorshare/x1/peers/9 ls|No such path
/backstores/fileio/d1/peers ls|No such path
/backstores/fileio delete nope|No storage object named fileio/nope
$T/luns create /backstores/fileio/nope|Invalid storage object /backstores/fileio/nope
$T/luns create /iscsi|Invalid storage object /iscsi
$T/luns create /backstores/xorshare/x1|already mapped: an xorshare share log has one writer
$T/luns create /backstores/null/n1 lun0|lun0 already exists
$T/luns create /backstores/null/n1 lunx|Invalid LUN 'lunx'
$T/luns create /backstores/null/n1 99999|Invalid LUN '99999'
$T/luns delete lun7|No such LUN lun7
$T/luns delete|Invalid or missing LUN
$T/luns/lun9 ls|No such path $T/luns/lun9
$T/acls create not-an-iqn|WWN not valid as: iqn, naa, eui
$T/acls create iqn.2026-11.org.tgtx:test-initiator|This NodeACL already exists
$T/acls delete iqn.2026-11.org.tgtx:nobody|No such NodeACL
$T/acls/iqn.2026-11.org.tgtx:test-initiator set auth userid=x password=y|tgtxd has no per-initiator CHAP
$T/acls/iqn.2026-11.org.tgtx:test-initiator/mapped_lun5 ls|No such path
$T/portals create 999.1.1.1|Invalid IP address '999.1.1.1'
$T/portals create ::1 70000|Invalid port '70000'
$T/portals create 127.0.0.1 $PORT|This NetworkPortal already exists
$T/portals delete 192.0.2.1 3260|No such portal in tgtxd
$T/portals delete 127.0.0.1|Usage: delete IP PORT
$T set attribute|Usage: set attribute
$T set attribute foo=1|Unknown attribute 'foo'
$T set attribute authentication=2|Invalid value '2' for authentication
$T set attribute generate_node_acls=1|generate_node_acls=1 while ACLs exist
$T set auth|Usage: set auth
$T set auth foo=bar|Unknown auth parameter 'foo'
$T set auth userid=|userid and password go together
$T set auth mutual_userid=m1|mutual_userid and mutual_password go together
$T set auth mutual_userid=carol mutual_password=carolsecret12|mutual_userid must differ
$T set auth 'userid=a b'|Invalid value for userid
$T set parameter HeaderDigest=None|iSCSI parameters are set with tgtxadm
$T set frob x=1|Unknown configuration group 'frob'
$T set attribute auth x=1|Usage: set attribute|auth
$T get bogus|Unknown configuration group 'bogus'
$T get attribute nonsense|Unknown attribute 'nonsense'
$T get x=1|Usage: get
/iscsi get|No configuration groups at /iscsi
ls / many|Invalid depth 'many'
ls / 1 2|Too many parameters: '2'
ls /nope|No such path /nope
cd /nope|No such path /nope
pwd extra|pwd takes no parameters
help nosuchverb|No such command 'nosuchverb'
info x|info takes no parameters
exit now|exit takes no parameters
restoreconfig $DIR/self.json|already exists; use clear_existing=true
clearconfig|As a precaution, confirm=True needs to be set
clearconfig confirm=False|As a precaution, confirm=True needs to be set
clearconfig confirm=perhaps|Invalid value 'perhaps' for confirm
restoreconfig $DIR/none.json|cannot open $DIR/none.json
restoreconfig $DIR/none.json clear_existing=maybe|Invalid value 'maybe' for clear_existing
saveconfig /proc/no/such/dir/x.json|cannot create /proc/no/such/dir
EOT
[ "$(snapshot)" = "$(cat "$TGTX_TEST_DIR/before")" ] ||
	fail "a failing command changed the configuration"
pass "$n bad commands: clear message, exit 1, nothing changed"

out=$("$TGTXCLI" --control-socket "$TGTX_TEST_DIR/no.sock" ls 2>&1) && fail "no daemon: exit 0"
grep -q "can't connect to the tgtxd daemon" <<<"$out" || fail "no daemon: $out"
pass "no daemon: $out"

# a script goes on after a bad line, names it, and exits 1
rc=0
out=$(printf 'ls /nowhere\n/iscsi create "unterminated\n/backstores/null create n2\n' |
	cli --no-autosave 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "stdin with a bad line: exit $rc"
grep -q "No such path /nowhere" <<<"$out" || fail "stdin error: $out"
grep -q "unterminated quote" <<<"$out" || fail "stdin quote error: $out"
cli ls /backstores/null | grep -q "o- n2 " || fail "stdin stopped at the error"
cli /backstores/null delete n2 >/dev/null
pass "stdin: the bad line is reported, the others run, exit 1"

# broken files: refused whole, nothing applied
printf '{"targets": [ {"fabric": "iscsi", "wwn": 3} ]}' >"$DIR/bad1.json"
printf '{"storage_objects": {}}' >"$DIR/bad2.json"
printf '{"targets": [' >"$DIR/bad3.json"
printf '{"storage_objects":[{"plugin":"xorshare","name":"q","dev":"/x","k":5,"n":3,"log":"/l"}]}' >"$DIR/bad4.json"
printf '{"a":1,"a":2}' >"$DIR/bad5.json"
for f in bad1:"bad wwn" bad2:"storage_objects must be an array" \
	bad3:"line 1" bad4:"needs k, n" bad5:"duplicate"; do
	rc=0
	out=$(cli restoreconfig "$DIR/${f%%:*}.json" 2>&1) || rc=$?
	[ "$rc" -eq 1 ] && grep -qF "${f#*:}" <<<"$out" ||
		fail "${f%%:*}: exit $rc: $out"
done
[ "$(snapshot)" = "$(cat "$TGTX_TEST_DIR/before")" ] ||
	fail "a broken file changed the configuration"
pass "malformed saveconfig files are refused with the reason"

# a restore that fails at its last step is undone step by step
cat >"$DIR/half.json" <<EOF2
{"storage_objects": [
 {"plugin": "fileio", "name": "ok1", "dev": "$DIR/ok1.img", "size": 1048576},
 {"plugin": "xorshare", "name": "broken", "dev": "$DIR/b.img",
  "size": 1048576, "k": 2, "n": 3, "log": "/proc/no/such/log"}],
 "targets": [
 {"fabric": "iscsi", "wwn": "iqn.2026-11.org.tgtx:new1", "tpgs": [{"tag": 1,
  "luns": [{"index": 0, "storage_object": "/backstores/fileio/ok1"}],
  "node_acls": [{"node_wwn": "iqn.2026-11.org.tgtx:c9"}],
  "chap_userid": "zed", "chap_password": "zedsecret1234",
  "attributes": {"authentication": 1}}]},
 {"fabric": "iscsi", "wwn": "iqn.2026-11.org.tgtx:new2", "tpgs": [{"tag": 1,
  "luns": [{"index": 0, "storage_object": "/backstores/xorshare/broken"}]}]}]}
EOF2
rc=0
out=$(cli restoreconfig "$DIR/half.json" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "half restore: exit $rc ($out)"
grep -q "step: new logicalunit tid=[0-9]* lun=0; nothing was changed" \
	<<<"$out" || fail "half restore message: $out"
[ "$(snapshot)" = "$(cat "$TGTX_TEST_DIR/before")" ] ||
	fail "the failed restore left changes: $(snapshot | diff "$TGTX_TEST_DIR/before" - || true)"
[ ! -e "$DIR/ok1.img" ] && [ ! -e "$DIR/b.img" ] ||
	fail "the failed restore left its files"
pass "a restore failing at its last step is rolled back ($out)"

# LIO's saveconfig.json
sed -e "s|@DIR@|$DIR|g" -e "s|@PORT@|$PORT|g" \
	"$TGTX_TOP/test/data/lio-saveconfig.json" >"$DIR/lio.json"
truncate -s 16M "$DIR/lio-blk.img"
out=$(cli restoreconfig "$DIR/lio.json" clear_existing=true 2>&1) ||
	fail "LIO import failed: $out"
for want in "fabric module iscsi: settings (discovery authentication" \
	"storage object ramdisk/ram1: no tgtx backstore for plugin 'ramdisk'" \
	"storage object pscsi/tape0: no tgtx backstore for plugin 'pscsi'" \
	"storage object user/rbd1: no tgtx backstore for plugin 'user'" \
	"storage object fileio/disk1: LIO unit serial (wwn 0c6c5b1e" \
	"storage object fileio/disk1: 27 LIO attributes" \
	"storage object block/sdb: unknown field \"readonly\" ignored" \
	"tpg1: attribute default_cmdsn_depth not supported" \
	"tpg1: parameter MaxRecvDataSegmentLength=65536 not applied" \
	"lun2 (/backstores/ramdisk/ram1) not imported" \
	"per-ACL CHAP user lioclient became the target's CHAP account" \
	"acl iqn.1994-05.com.redhat:otherhost: per-ACL CHAP user otherhost not applied" \
	"otherhost: mapped LUN 0 is write protected in LIO" \
	"otherhost: mapped_lun0 -> lun1 renumbering not supported" \
	"otherhost: LIO maps 1 of 3 LUNs" \
	"portal 127.0.0.1:$PORT iSER/offload not supported" \
	"sn.4d2c1b0a9f8e: tpg2 not imported" \
	"sn.demo00000001 tpg1: disabled in LIO; imported enabled" \
	"target naa.5001405aa1b2c3d4: fabric 'loopback' not supported" \
	"target 21:00:00:24:ff:31:4c:48: fabric 'qla2xxx' not supported"; do
	grep -qF -- "not applied: " <<<"$out" || fail "no report: $out"
	grep -qF -- "$want" <<<"$out" || fail "LIO report lacks '$want': $out"
done
LIQN=iqn.2003-01.org.linux-iscsi.storage1.x8664:sn.4d2c1b0a9f8e
cli ls >"$TGTX_TEST_DIR/lio-ls"
grep -q "o- $IQN " "$TGTX_TEST_DIR/lio-ls" && fail "clear_existing kept $IQN"
grep -Eq "o- sdb .*\[$DIR/lio-blk.img \(16.0MiB\) write-thru activated\]" \
	"$TGTX_TEST_DIR/lio-ls" || fail "block sdb: $(cat "$TGTX_TEST_DIR/lio-ls")"
grep -Eq "o- sn.demo00000001|o- iqn.2003-01.org.linux-iscsi.storage1.x8664:sn.demo00000001" \
	"$TGTX_TEST_DIR/lio-ls" || fail "demo target missing"
cli "/iscsi/$LIQN/tpg1" get auth | grep -q "^userid=lioclient$" ||
	fail "tpg CHAP after import"
pass "LIO saveconfig.json imports; $(grep -c 'not applied' <<<"$out") unsupported parts reported"
expect_rc 0 "I/O on the imported fileio LUN with the imported CHAP account" \
	"$RWCHECK" --url "$(lun_url "$LIQN" 0)" --chap-user lioclient \
	--chap-password lioclientsecret1 --lba 0 --blocks 16
