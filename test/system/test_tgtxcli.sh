#!/usr/bin/env bash
# tgtxcli builds the README's quick-start configuration the targetcli way
# (a script on stdin, then one-shot commands): a fileio LUN, an xorshare
# backstore with peers, CHAP and ACLs. A real initiator logs in and does
# I/O; ls shows targetcli's status words and never a peer's secret;
# saveconfig -> clearconfig -> restoreconfig gives the same ls and the same
# tgtxadm show; a daemon restart followed by the unit's restore brings it
# back with the data; interactive-style sessions save on exit with a backup.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

TGTXCLI=$B/tgtxcli
[ -x "$TGTXCLI" ] || fail "no $TGTXCLI"
IQN=iqn.2026-11.org.tgtx:cli
INIT=iqn.2026-11.org.tgtx:test-initiator
DIR=$TGTX_TEST_DIR/data
PIN=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
mkdir -p "$DIR"
export TGTXCLI_CONFIG=$TGTX_TEST_DIR/etc/saveconfig.json
export TGTXCLI_BACKUP_DIR=$TGTX_TEST_DIR/etc/backup
export TGTXCLI_DEFAULT_PORTAL= TGTXCLI_HISTORY=

cli() {
	"$TGTXCLI" --control-socket "$CTL" "$@"
}

# the parts of `show` that move by themselves (log use, lag) left out
show_stable() {
	tgtxadm_ctl --op show --mode target |
		grep -Ev 'Share log:|Activity log:|^ *Peer [0-9]+: |Baseline:|Alert:'
}

start_tgtxd main

out=$(cli --no-autosave <<EOS
# README quick start, targetcli style
/backstores/fileio create disk1 $DIR/disk1.img 64M
/backstores/xorshare create vault $DIR/vault.img 32M k=2 n=3 log=$DIR/vault.log options=log_size=64M
cd /backstores/xorshare/vault/peers
create 1 iscsi://siteb%s3cr3tpw@site-b.example:3260/iqn.2026-11.org.example:share/1 transport=tls pin=$PIN rate=10M retain=7d
create 2 iscsi://site-c.example/iqn.2026-11.org.example:share/2 transport=ipsec
/iscsi create $IQN
cd /iscsi/$IQN/tpg1
luns/ create /backstores/fileio/disk1
luns create /backstores/xorshare/vault
acls create $INIT
set auth userid=alice password=alicesecret12
pwd
EOS
) || fail "stdin session failed: $out"
grep -q "^/iscsi/$IQN/tpg1\$" <<<"$out" || fail "pwd after cd: $out"
pass "stdin session builds fileio + xorshare LUNs, peers, ACL, CHAP"

expect_rc 2 "login without CHAP is refused" \
	"$RWCHECK" --url "$(lun_url "$IQN" 0)" --login-only
expect_rc 0 "write/read back on lun0 (fileio) with CHAP" \
	"$RWCHECK" --url "$(lun_url "$IQN" 0)" --chap-user alice \
	--chap-password alicesecret12 --lba 10 --blocks 64 --seed 5
expect_rc 0 "write/read back on lun1 (xorshare) with CHAP" \
	"$RWCHECK" --url "$(lun_url "$IQN" 1)" --chap-user alice \
	--chap-password alicesecret12 --lba 100 --blocks 256 --seed 6
expect_rc 2 "an initiator outside the ACLs is refused" \
	"$RWCHECK" --url "$(lun_url "$IQN" 0)" --chap-user alice \
	--chap-password alicesecret12 --login-only \
	--initiator-name iqn.2026-11.org.tgtx:stranger

# one-shot mode, generated IQN and status words
out=$(cli /iscsi create) || fail "/iscsi create: $out"
gen=$(sed -n 's/^Created target \(iqn\.[^ ]*\)\.$/\1/p' <<<"$out")
[[ $gen == iqn.2026-01.org.tgtx.*:sn.* ]] || fail "generated IQN: $out"
cli ls /iscsi 1 | grep -q "o- $gen " || fail "generated target not in ls"
cli /iscsi delete "$gen" >/dev/null
pass "one-shot /iscsi create makes an IQN ($gen) and delete removes it"

# the baseline copy runs in the background: compare once it is done
protected() {
	cli ls /backstores/xorshare | grep -q "k=2 n=3 protected"
}
wait_until 60 protected || fail "xorshare never protected: $(cli ls)"
cli ls >"$TGTX_TEST_DIR/ls1"
for want in "o- disk1 .*\[$DIR/disk1.img \(64.0MiB\) write-back activated\]" \
	"o- vault .*k=2 n=3 protected, lag [0-9.]*[KMG]*i*B activated\]" \
	"o- tpg1 .*\[no-gen-acls, tpg-auth\]" \
	"o- $INIT .*\[Mapped LUNs: 2\]" \
	"o- mapped_lun1 .*\[lun1 xorshare/vault \(rw\)\]" \
	"o- lun0 .*\[fileio/disk1 \($DIR/disk1.img\)\]" \
	"o- peers .*\[Peers: 2\]" \
	"o- 1 .*\[iscsi://\*\*\*@site-b.example:3260/iqn.2026-11.org.example:share/1 transport=tls pin=${PIN:0:16}\.\.\. rate=10M retain=7d\]" \
	"o- 2 .*\[iscsi://site-c.example/iqn.2026-11.org.example:share/2 transport=ipsec\]" \
	"o- 127.0.0.1:$PORT .*\[OK\]"; do
	grep -Eq -- "$want" "$TGTX_TEST_DIR/ls1" ||
		fail "ls lacks /$want/: $(cat "$TGTX_TEST_DIR/ls1")"
done
pass "ls shows targetcli's status words, xorshare protection and lag"
cli /backstores/xorshare/vault/peers/1 info >"$TGTX_TEST_DIR/info"
show_stable >"$TGTX_TEST_DIR/show0"
if grep -q s3cr3tpw "$TGTX_TEST_DIR/ls1" "$TGTX_TEST_DIR/info" \
	"$TGTX_TEST_DIR/show0"; then
	fail "a peer secret is printed"
fi
grep -q "Share peer 1: iscsi://\*\*\*@site-b.example:3260/iqn.2026-11.org.example:share/1 transport=tls pin=$PIN rate=10M retain=7d\$" \
	"$TGTX_TEST_DIR/show0" || fail "tgtxadm show lacks the peer"
tgtxadm_ctl --op show --mode system --name dump --value conf |
	grep -q "share-peer 1 \"iscsi://siteb%s3cr3tpw@site-b.example:3260/iqn.2026-11.org.example:share/1\" transport=tls pin=$PIN rate=10M retain=7d\$" ||
	fail "the dump lacks the peer URL"
pass "peers are LU parameters: shown masked, dumped whole"

out=$("$B/tgtx-admin" --control-socket "$CTL" --dump) ||
	fail "tgtx-admin --dump on a tgtxcli configuration: $out"
echo "$out" >"$TGTX_TEST_DIR/targets.conf"
out=$("$B/tgtx-admin" --control-socket "$CTL" -e -v -c "$TGTX_TEST_DIR/targets.conf") ||
	fail "tgtx-admin -e of its own dump: $out"
[ -z "$(grep tgtxadm <<<"$out" || true)" ] || fail "tgtx-admin -e acted: $out"
pass "tgtx-admin reads the dump of a tgtxcli configuration (nothing to do)"

# saveconfig -> clearconfig -> restoreconfig
cli saveconfig >/dev/null
[ "$(stat -c %a "$TGTXCLI_CONFIG")" = 600 ] ||
	fail "saveconfig mode $(stat -c %a "$TGTXCLI_CONFIG")"
python3 - "$TGTXCLI_CONFIG" "$IQN" <<'PY' || fail "saveconfig layout"
import json, sys
c = json.load(open(sys.argv[1]))
so = {o["name"]: o for o in c["storage_objects"]}
assert so["disk1"]["plugin"] == "fileio" and so["disk1"]["size"] == 64 << 20
v = so["vault"]
assert (v["plugin"], v["k"], v["n"]) == ("xorshare", 2, 3), v
assert [p["index"] for p in v["peers"]] == [1, 2], v
assert (v["peers"][0]["transport"], v["peers"][0]["rate"], v["peers"][0]["retain"]) == ("tls", "10M", "7d"), v
assert len(v["peers"][0]["pin"]) == 64 and v["peers"][1]["transport"] == "ipsec", v
t = [t for t in c["targets"] if t["wwn"] == sys.argv[2]][0]
tpg = t["tpgs"][0]
assert tpg["tag"] == 1 and tpg["attributes"]["authentication"] == 1
assert tpg["chap_userid"] == "alice" and "parameters" in tpg
assert [l["storage_object"] for l in tpg["luns"]] == ["/backstores/fileio/disk1", "/backstores/xorshare/vault"]
assert tpg["node_acls"][0]["mapped_luns"][1]["tpg_lun"] == 1
assert tpg["portals"] and "port" in tpg["portals"][0]
PY
pass "saveconfig writes rtslib's layout with the xorshare fields, mode 0600"

expect_rc 1 "clearconfig without confirm refuses" cli clearconfig
cli clearconfig confirm=True >/dev/null
[ -z "$(tgtxadm_ctl --op show --mode target)" ] || fail "clearconfig left targets"
[ -z "$(tgtxadm_ctl --op show --mode account | grep -v 'Account list')" ] ||
	fail "clearconfig left accounts"
cli ls | grep -q "o- fileio .*\[Storage Objects: 0\]" ||
	fail "clearconfig left backstores"
cli restoreconfig >/dev/null
cli ls >"$TGTX_TEST_DIR/ls2"
diff -u "$TGTX_TEST_DIR/ls1" "$TGTX_TEST_DIR/ls2" || fail "ls differs after restore"
show_stable >"$TGTX_TEST_DIR/show2"
diff -u "$TGTX_TEST_DIR/show0" "$TGTX_TEST_DIR/show2" ||
	fail "tgtxadm show differs after restore"
pass "saveconfig -> clearconfig -> restoreconfig: same ls, same tgtxadm show"
expect_rc 0 "data survived the round trip (fileio)" \
	"$RWCHECK" --url "$(lun_url "$IQN" 0)" --chap-user alice \
	--chap-password alicesecret12 --verify-only --lba 10 --blocks 64 --seed 5

# a restart restores through the unit's command (conf/tgtxd.service)
restart_tgtxd
[ -z "$(tgtxadm_ctl --op show --mode target)" ] || fail "restart kept targets"
# the unit's ExecStartPost line, with this test's paths
unit=$(sed -n "s/^ExecStartPost=-\/bin\/sh -c '\(.*tgtxcli restoreconfig.*\)'\$/\1/p" \
	"$TGTX_TOP/conf/tgtxd.service")
[ -n "$unit" ] || fail "conf/tgtxd.service does not restore tgtxcli's file"
unit=${unit//\/etc\/tgtx\/saveconfig.json/$TGTXCLI_CONFIG}
unit=${unit//\/usr\/local\/sbin\/tgtxcli/$TGTXCLI --control-socket $CTL}
sh -c "$unit" >/dev/null || fail "the unit's restore failed: $unit"
cli ls >"$TGTX_TEST_DIR/ls3"
diff -u "$TGTX_TEST_DIR/ls1" "$TGTX_TEST_DIR/ls3" || fail "ls differs after restart"
pass "after a daemon restart, the unit's restoreconfig gives the same ls"
expect_rc 0 "xorshare data survived the restart" \
	"$RWCHECK" --url "$(lun_url "$IQN" 1)" --chap-user alice \
	--chap-password alicesecret12 --verify-only --lba 100 --blocks 256 --seed 6

# a session that changes something saves on exit; the old file is kept
printf '/backstores/null create scratch 1G\nexit\n' | cli >"$TGTX_TEST_DIR/auto"
grep -q "Configuration saved to $TGTXCLI_CONFIG" "$TGTX_TEST_DIR/auto" ||
	fail "no auto-save: $(cat "$TGTX_TEST_DIR/auto")"
grep -q '"scratch"' "$TGTXCLI_CONFIG" || fail "auto-save lacks the change"
ls "$TGTXCLI_BACKUP_DIR"/saveconfig-*.json >/dev/null 2>&1 ||
	fail "no backup of the previous file"
pass "auto-save on exit, previous file kept in the backup dir"

# the shell at a terminal: Tab completes, history is kept
out=$(TGTXCLI_HISTORY=$TGTX_TEST_DIR/hist python3 "$TGTX_TOP/test/system/cli_pty.py" \
	"cd /backst\\t|\\r|pwd\\r|/iscsi/$IQN/tpg1 set au\\t|\\x15exit\\r" -- \
	"$TGTXCLI" --control-socket "$CTL" --no-autosave) ||
	fail "interactive session: $out"
grep -q "^/backstores\s*\$" <<<"$(tr -d '\r' <<<"$out")" ||
	fail "Tab did not complete /backstores: $out"
grep -q "set au.*th " <<<"$out" || fail "Tab did not complete 'auth': $out"
grep -q "backstores" "$TGTX_TEST_DIR/hist" || fail "no history file"
pass "interactive shell: path and parameter completion, history"

# deleting the last ACL closes the target again (no initiator-address ALL)
cli "/iscsi/$IQN/tpg1/acls" delete "$INIT" >/dev/null
expect_rc 2 "after the last ACL is deleted, the former initiator is refused" \
	"$RWCHECK" --url "$(lun_url "$IQN" 0)" --chap-user alice \
	--chap-password alicesecret12 --login-only
cli "/iscsi/$IQN/tpg1" set attribute generate_node_acls=1 >/dev/null
expect_rc 0 "generate_node_acls=1 admits any initiator" \
	"$RWCHECK" --url "$(lun_url "$IQN" 0)" --chap-user alice \
	--chap-password alicesecret12 --login-only \
	--initiator-name iqn.2026-11.org.tgtx:anyone

# an IPv6 portal (when this machine has ::1), mutual CHAP
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	P6=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))
print(s.getsockname()[1])')
	cli "/iscsi/$IQN/tpg1/portals" create ::1 "$P6" >/dev/null
	cli ls "/iscsi/$IQN/tpg1/portals" | grep -q "o- \[::1\]:$P6 " ||
		fail "IPv6 portal not listed: $(cli ls "/iscsi/$IQN/tpg1/portals")"
	expect_rc 0 "login over the IPv6 portal made by tgtxcli" \
		"$RWCHECK" --url "iscsi://[::1]:$P6/$IQN/0" --chap-user alice \
		--chap-password alicesecret12 --login-only
	cli "/iscsi/$IQN/tpg1/portals" delete "[::1]" "$P6" >/dev/null
	tgtxadm_ctl --op show --mode portal | grep -q "::1" &&
		fail "portal delete left [::1]:$P6"
	pass "portals create/delete [::1] $P6"
else
	log "no IPv6 loopback here: IPv6 portal part not run"
fi
cli "/iscsi/$IQN/tpg1" set auth mutual_userid=tgt1 mutual_password=tgtsecret9876 >/dev/null
expect_rc 0 "mutual CHAP set with set auth mutual_userid=" \
	"$RWCHECK" --url "$(lun_url "$IQN" 0)" --chap-user alice \
	--chap-password alicesecret12 --target-user tgt1 \
	--target-password tgtsecret9876 --login-only
cli "/iscsi/$IQN/tpg1" set attribute authentication=0 >/dev/null
expect_rc 0 "authentication=0 removes the CHAP requirement" \
	"$RWCHECK" --url "$(lun_url "$IQN" 0)" --login-only
[ -z "$(tgtxadm_ctl --op show --mode account | grep -v 'Account list')" ] ||
	fail "authentication=0 left accounts"
cli /backstores/fileio delete disk1 >/dev/null
cli ls "/iscsi/$IQN/tpg1/luns" | grep -q "\[LUNs: 1\]" ||
	fail "deleting a mapped backstore kept its LUN"
pass "deleting a mapped backstore removes its LUN"

# two sessions at once: each command sees the other's changes (state lock)
pids=()
for s in a b; do
	for i in $(seq 15); do echo "/backstores/null create $s$i"; done |
		cli --no-autosave >/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
n=$(cli ls /backstores/null | grep -Ec "o- [ab][0-9]+ ")
[ "$n" -eq 30 ] || fail "concurrent sessions lost backstores: $n of 30"
pass "two concurrent sessions: no lost update"

# the peer's password went through tgtxcli, tgtxd and saveconfig: never a log
if grep -l s3cr3tpw "$TGTX_TEST_DIR"/*/tgtxd.log; then
	fail "a share-peer password reached tgtxd's log"
fi
pass "no share-peer password in tgtxd's log"
