#!/usr/bin/env bash
# The local demo: starts tgtxd on 127.0.0.1 (random port), exports a plain
# disk LUN and, when the xorshare store is built in, a (2,3) xorshare LUN,
# writes and reads through libiscsi, shows the target and stops everything.
#   scripts/demo.sh [BUILD_DIR]      (default build/rel; run `make` first)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$top/build/rel}
work=$(mktemp -d /tmp/tgtx-demo.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
[ -x "$B/tgtxd" ] || { echo "build first: make"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
iqn=iqn.2026-11.org.tgtx:demo
adm() { "$B/tgtxadm" --control-socket "$work/ctl.sock" --lld iscsi "$@"; }

echo "== starting tgtxd on 127.0.0.1:$port"
"$B/tgtxd" -f --iscsi portal=127.0.0.1:"$port" --control-socket "$work/ctl.sock" \
	--state-dir "$work/state" \
	2>"$work/tgtxd.log" &
pid=$!
for _ in $(seq 100); do adm --op show --mode system >/dev/null 2>&1 && break; sleep 0.1; done

truncate -s 64M "$work/disk.img"
adm --op new --mode target --tid 1 -T "$iqn"
adm --op new --mode logicalunit --tid 1 --lun 1 -b "$work/disk.img"
if adm --op show --mode system | grep -q xorshare; then
	truncate -s 64M "$work/protected.img"
	adm --op new --mode logicalunit --tid 1 --lun 2 --bstype xorshare \
		-b "$work/protected.img" --bsopts "k=2;n=3;log=$work/log" ||
		echo "(xorshare LUN not created)"
fi
adm --op bind --mode target --tid 1 -I ALL

echo "== discovery and inquiry with libiscsi"
iscsi-ls -s "iscsi://127.0.0.1:$port" || true
iscsi-inq "iscsi://127.0.0.1:$port/$iqn/1" || true
if [ -x "$B/test/tools/tgtx-rwcheck" ]; then
	echo "== write + read back 1 MiB on LUN 1"
	"$B/test/tools/tgtx-rwcheck" --url "iscsi://127.0.0.1:$port/$iqn/1" || true
fi
xs=0
if [ -e "$work/protected.img" ] && [ -x "$B/test/tools/tgtx-rwcheck" ]; then
	echo "== write + read back 4 MiB on the xorshare LUN 2"
	"$B/test/tools/tgtx-rwcheck" --url "iscsi://127.0.0.1:$port/$iqn/2" \
		--blocks 8192 --seed 42 && xs=1
fi
echo "== tgtxadm --op show --mode target"
adm --op show --mode target
echo "== stopping"
adm --op delete --mode system || kill "$pid"
wait "$pid" 2>/dev/null || true
pid=""
if [ $xs -eq 1 ] && [ -x "$B/test/tools/tgtx-sharelog-dump" ]; then
	echo "== disaster drill: rebuild the protected volume from shares 0 and 2 only"
	"$B/test/tools/tgtx-sharelog-dump" --quiet --combine "$work/rebuilt.img" \
		--shares 0,2 "$work/log"
	if cmp -n $((8192 * 512)) "$work/protected.img" "$work/rebuilt.img"; then
		echo "rebuilt volume == original for the 4 MiB written"
	else
		echo "rebuilt volume differs!"
		exit 1
	fi
	echo "(any 2 of the 3 shares rebuild it; any single share is uniformly"
	echo " random, whatever the data: doc/xorshare.md section 2)"
fi
echo "demo done"
