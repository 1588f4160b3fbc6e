#!/usr/bin/env bash
# IPv6: a portal on [::1] (command line and tgtxadm --mode portal), discovery
# and I/O over it, and an IPv6 address ACL that refuses IPv4 initiators.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
	skip "no IPv6 loopback here"
P6=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))
print(s.getsockname()[1])')
start_tgtxd v6 --iscsi "portal=[::1]:$P6"
IQN=iqn.2026-11.org.tgtx:ipv6
truncate -s 16M "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$TGTX_TEST_DIR/a.img"
tgtxadm_ctl --lld iscsi --op bind --mode target --tid 1 -I ::1

tgtxadm_ctl --op show --mode portal | grep -q "\[::1\]:$P6" &&
	pass "IPv6 portal from the command line is listed" || fail "portal list"
iscsi-ls -s "iscsi://[::1]:$P6" | grep -q "Portal:\[::1\]:$P6" &&
	pass "SendTargets over IPv6 gives the IPv6 TargetAddress" || fail "IPv6 discovery"
"$RWCHECK" --url "iscsi://[::1]:$P6/$IQN/1" --blocks 256 &&
	pass "write/read back over IPv6" || fail "IPv6 I/O"
expect_rc 2 "IPv6 ACL refuses an IPv4 initiator" \
	"$RWCHECK" --url "$(lun_url "$IQN" 1)" --login-only

# a second IPv6 portal added at run time
P6B=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))
print(s.getsockname()[1])')
tgtxadm_ctl --lld iscsi --op new --mode portal --param "portal=[::1]:$P6B"
"$RWCHECK" --url "iscsi://[::1]:$P6B/$IQN/1" --login-only &&
	pass "portal added with tgtxadm --mode portal" || fail "runtime portal"
tgtxadm_ctl --lld iscsi --op delete --mode portal --param "portal=[::1]:$P6B"
expect_rc 2 "deleted portal no longer accepts logins" \
	"$RWCHECK" --url "iscsi://[::1]:$P6B/$IQN/1" --login-only --timeout 5
