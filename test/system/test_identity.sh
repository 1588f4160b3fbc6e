#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Default LUN identities are unique across hosts: two tgtxd with their own
# state directories (node ids) and the same target/LUN configuration show
# different VPD 0x80 serials, NAA and T10 designators; a restart, or the
# configuration applied again, shows the same values; explicit scsi_sn and
# scsi_id still win; the node id file is 0600.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

IDENT=$TGTX_TOP/test/system/lu_ident.py
IQN=iqn.2026-11.org.tgtx:ident
d=$(tmpdir luns)

# setup: target 1 with LUN 1 and LUN 2 on the last started tgtxd
setup() {
	tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN"
	for l in 1 2; do
		[ -f "$d/$TGTXD_NAME.$l.img" ] || truncate -s 16M "$d/$TGTXD_NAME.$l.img"
		tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 \
			--lun "$l" -b "$d/$TGTXD_NAME.$l.img"
	done
	tgtxadm_ctl --lld iscsi --op bind --mode target --tid 1 -I ALL
}

ident() {
	python3 "$IDENT" 127.0.0.1 "$1" "$IQN" "$2" || fail "cannot read identities of LUN $2"
}

start_tgtxd alpha
setup
a1=$(ident "$PORT" 1)
a2=$(ident "$PORT" 2)
log "alpha LUN 1: $a1"
log "alpha LUN 2: $a2"
start_tgtxd beta
setup
b1=$(ident "$PORT" 1)
log "beta  LUN 1: $b1"

for v in "$a1" "$a2" "$b1"; do
	case $v in *naa=3*) ;; *) fail "no NAA 3 designator: $v" ;; esac
	case $v in *naa=-* | *t10=-* | serial=-*) fail "designator missing: $v" ;; esac
done
pass "every LUN has a serial, an NAA 3 and a T10 vendor id designator"

field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
for f in serial naa t10; do
	[ "$(field "$a1" $f)" != "$(field "$b1" $f)" ] ||
		fail "$f equal on two nodes for the same IQN and LUN: $a1 / $b1"
	[ "$(field "$a1" $f)" != "$(field "$a2" $f)" ] ||
		fail "$f equal for two LUNs of one node: $a1 / $a2"
done
pass "two nodes with the same configuration show different serial, NAA and T10 ids"

# The same node after a restart, and after the config is applied again.
[ "$(stat -c %a "$TGTX_TEST_DIR/alpha/state/node-id")" = 600 ] ||
	fail "node-id mode is $(stat -c %a "$TGTX_TEST_DIR/alpha/state/node-id")"
pass "node-id file is mode 0600"
stop_tgtxd "$PID_alpha"
start_tgtxd alpha
setup
[ "$(ident "$PORT" 1)" = "$a1" ] || fail "LUN 1 identity changed across a restart: $(ident "$PORT" 1) vs $a1"
pass "identity stable across a restart"
tgtxadm_ctl --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
tgtxadm_ctl --lld iscsi --op delete --mode target --tid 1 --force 2>/dev/null ||
	tgtxadm_ctl --lld iscsi --op delete --mode target --tid 1
# the same IQN under another tid: the LUN's id is its IQN and number
tgtxadm_ctl --lld iscsi --op new --mode target --tid 7 -T "$IQN"
tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 7 --lun 1 -b "$d/alpha.1.img"
tgtxadm_ctl --lld iscsi --op bind --mode target --tid 7 -I ALL
[ "$(ident "$PORT" 1)" = "$a1" ] || fail "identity changed when the config was applied again: $(ident "$PORT" 1) vs $a1"
pass "identity stable when the configuration is applied again (other tid)"

# Explicit values keep precedence.
tgtxadm_ctl --lld iscsi --op update --mode logicalunit --tid 7 --lun 1 \
	--params scsi_sn=SN-ADMIN-1,scsi_id=cluster-disk-1
e=$(ident "$PORT" 1)
[ "$(field "$e" serial)" = SN-ADMIN-1 ] && [ "$(field "$e" t10)" = TGTX____cluster-disk-1 ] ||
	fail "explicit scsi_sn/scsi_id not shown: $e"
[ "$(field "$e" naa)" != "$(field "$a1" naa)" ] || fail "NAA did not follow the explicit scsi_id"
pass "explicit scsi_sn and scsi_id win over the defaults: $e"
