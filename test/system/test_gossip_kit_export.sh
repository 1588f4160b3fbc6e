#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tgtx-recover kit export --state-dir from a running node's real
# configuration: a primary tgtxd with an xorshare LUN (k=2 n=3) whose share
# peers are a tgtxd TLS portal (transport=tls, pin=), a CHAP-protected plain
# peer and a stock-tgtd-style plain peer. The kit holds the primary's node
# key (DIR/node.key), every share-peer URL with its credentials, the TLS
# partner's public key learned by a handshake and checked against its pin,
# and the seeds; `kit show` masks the password. A pin that does not match
# the key the portal presents makes the export fail, naming the share.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

R=$B/tgtx-recover
[ -x "$R" ] || fail "build $R first (make SAN=asan tests)"
D=$(tmpdir kitexp)
IQN=iqn.2026-11.org.tgtx:kitexp

# the primary's key first: the partner's portal must pin it
mkdir -p "$TGTX_TEST_DIR/main/state"
MPIN=$("$B/tgtxd" --show-node-key --state-dir "$TGTX_TEST_DIR/main/state")
echo "$MPIN primary" >"$D/tls-peers"

# partner p0: a tgtxd with a TLS portal
TPORT=$(free_port)
start_tgtxd p0 --tls-portal "127.0.0.1:$TPORT" --tls-peers "$D/tls-peers"
P0PIN=$("$B/tgtxd" --show-node-key --state-dir "$TGTX_TEST_DIR/p0/state")
truncate -s 40M "$D/p0.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:p0"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$D/p0.img"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL

URL0="iscsi://127.0.0.1:$TPORT/$IQN:p0/1"
URL1="iscsi://repl%kit-s3cret@127.0.0.1:3261/$IQN:p1/1"
URL2="iscsi://127.0.0.1:3262/$IQN:p2/1"
start_tgtxd main
truncate -s 8M "$D/vol.img"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:main"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$D/vol.img" --bsopts "k=2;n=3;log=$D/vol.log;log_size=64M"
set_peers() {
	tgtxadm_ctl --op update --mode logicalunit --tid 1 --lun 1 --params \
		"share-peer.0=$URL0,share-peer.0.transport=tls,share-peer.0.pin=$1,share-peer.1=$URL1,share-peer.1.transport=plain,share-peer.2=$URL2,share-peer.2.transport=plain"
}
set_peers "$P0PIN"

echo "kit passphrase for the export test" >"$D/pass"
out=$("$R" kit export --out "$D/kit" --state-dir "$TGTX_TEST_DIR/main/state" \
	--control-socket "$CTL_main" --name site-a --seed "127.0.0.1:3270" \
	--passphrase-file "$D/pass" --kdf-log2n 14 2>&1) ||
	fail "kit export from the configuration failed: $out"
log "$out"
[ "$(stat -c %a "$D/kit")" = 600 ] || fail "kit file not 0600"
grep -q "kit-s3cret" "$D/kit" && fail "the password is in clear in the kit"
show=$("$R" kit show --kit "$D/kit" --passphrase-file "$D/pass")
log "$show"
echo "$show" | grep -q "^  id $MPIN$" || fail "kit node is not the primary's key"
pub0=$(echo "$show" | awk -v u="$URL0" '$0 ~ "url " u "$" {print $4}')
[ -n "$pub0" ] || fail "no kit peer for the TLS share: $show"
[ "$(echo -n "$pub0" | xxd -r -p | sha256sum | cut -d' ' -f1)" = "$P0PIN" ] ||
	fail "the TLS peer's key in the kit does not match its pin"
echo "$show" | grep -q "gossip 127.0.0.1:3270 url iscsi://repl%\*\*\*@127.0.0.1:3261/" ||
	fail "CHAP peer missing or not masked: $show"
echo "$show" | grep -q "url $URL2$" || fail "plain peer missing: $show"
echo "$show" | grep -q "^seed 127.0.0.1:3270$" || fail "seed missing"
pass "kit from the configuration: node key, 3 share peers (TLS key learned and matches its pin, CHAP kept and masked), seed"

# the password is in the kit: a restore needs it (the sealed payload)
"$R" kit show --kit "$D/kit" --passphrase-file "$D/pass" >/dev/null
# a pin that is not the portal's key: refused, the share named
set_peers "$(printf '%064d' 7)"
rc=0
out=$("$R" kit export --out "$D/kit2" --state-dir "$TGTX_TEST_DIR/main/state" \
	--control-socket "$CTL_main" --passphrase-file "$D/pass" \
	--kdf-log2n 14 2>&1) || rc=$?
[ "$rc" -eq 2 ] || fail "export with a wrong pin: exit $rc, expected 2: $out"
echo "$out" | grep -q "share 0: cannot learn the key of pin 0000" ||
	fail "wrong pin not named: $out"
[ ! -e "$D/kit2" ] || fail "a kit was written despite the wrong pin"
pass "a pin that does not match the partner's key refuses the export (share 0 named)"
