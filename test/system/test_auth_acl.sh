#!/usr/bin/env bash
# CHAP (one-way and mutual) and initiator ACLs by name and by address.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_tgtxd auth
IQN=iqn.2026-11.org.tgtx:auth
GOOD_INI=iqn.2026-11.org.tgtx:good-initiator
truncate -s 16M "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I 127.0.0.1
tgtxadm_ctl --op new --mode account --user alice --password secret-alice-1
tgtxadm_ctl --op bind --mode account --tid 1 --user alice
URL=iscsi://127.0.0.1:$PORT/$IQN/1
RW="$B/test/tools/tgtx-rwcheck"

rc=0; "$RW" --url "$URL" --login-only || rc=$?
[ $rc -eq 2 ] && pass "login without CHAP refused" || fail "no-CHAP login: exit $rc"
rc=0; "$RW" --url "$URL" --login-only --chap-user alice --chap-password wrong-password || rc=$?
[ $rc -eq 2 ] && pass "wrong CHAP password refused" || fail "wrong password: exit $rc"
rc=0; "$RW" --url "$URL" --login-only --chap-user mallory --chap-password secret-alice-1 || rc=$?
[ $rc -eq 2 ] && pass "unknown CHAP user refused" || fail "unknown user: exit $rc"
"$RW" --url "$URL" --chap-user alice --chap-password secret-alice-1 --blocks 64 &&
	pass "right CHAP password: login and I/O" || fail "right CHAP password refused"

# mutual CHAP: the target proves itself with the outgoing account
tgtxadm_ctl --op new --mode account --user target-bob --password secret-bob-22
tgtxadm_ctl --op bind --mode account --tid 1 --user target-bob --outgoing
"$RW" --url "$URL" --login-only --chap-user alice --chap-password secret-alice-1 \
	--target-user target-bob --target-password secret-bob-22 &&
	pass "mutual CHAP" || fail "mutual CHAP login failed"
rc=0; "$RW" --url "$URL" --login-only --chap-user alice --chap-password secret-alice-1 \
	--target-user target-bob --target-password not-bobs-secret || rc=$?
[ $rc -eq 2 ] && pass "mutual CHAP with a wrong target secret is refused by the initiator" ||
	fail "mutual CHAP wrong target secret: exit $rc"

# ACL by address: only 127.0.0.2 may connect now; we connect to 127.0.0.1
tgtxadm_ctl --op unbind --mode account --tid 1 --user alice
tgtxadm_ctl --op unbind --mode account --tid 1 --user target-bob --outgoing
tgtxadm_ctl --op unbind --mode target --tid 1 -I 127.0.0.1
tgtxadm_ctl --op bind --mode target --tid 1 -I 127.0.0.2
rc=0; "$RW" --url "$URL" --login-only || rc=$?
[ $rc -eq 2 ] && pass "ACL refuses an unlisted address" || fail "address ACL: exit $rc"
# Discovery: a second target open to all is the positive control, so an
# iscsi-ls that fails for any other reason cannot pass for "hidden".
VISIBLE=iqn.2026-11.org.tgtx:auth-visible
truncate -s 1M "$TGTX_TEST_DIR/v.img"
tgtxadm_ctl --op new --mode target --tid 2 -T "$VISIBLE"
tgtxadm_ctl --op new --mode logicalunit --tid 2 --lun 1 -b "$TGTX_TEST_DIR/v.img"
tgtxadm_ctl --op bind --mode target --tid 2 -I ALL
iscsi-ls -s "iscsi://127.0.0.1:$PORT" >"$TGTX_TEST_DIR/ls.txt" 2>&1 ||
	fail "discovery failed: $(cat "$TGTX_TEST_DIR/ls.txt")"
grep -q "Target:$VISIBLE " "$TGTX_TEST_DIR/ls.txt" ||
	fail "SendTargets does not show the open target: $(cat "$TGTX_TEST_DIR/ls.txt")"
grep -q "$IQN " "$TGTX_TEST_DIR/ls.txt" && fail "SendTargets shows a target the ACL hides" ||
	pass "SendTargets shows the open target and hides the one the ACL refuses"
tgtxadm_ctl --op delete --mode target --tid 2 --force

# ACL by CIDR + initiator name
tgtxadm_ctl --op bind --mode target --tid 1 -I 127.0.0.0/8
tgtxadm_ctl --op bind --mode target --tid 1 -Q "$GOOD_INI"
"$RW" --url "$URL" --login-only --initiator-name "$GOOD_INI" &&
	pass "listed initiator name accepted (CIDR address ACL)" ||
	fail "listed initiator refused"
rc=0; "$RW" --url "$URL" --login-only --initiator-name iqn.2026-11.org.tgtx:other || rc=$?
[ $rc -eq 2 ] && pass "ACL refuses an unlisted initiator name" || fail "name ACL: exit $rc"

