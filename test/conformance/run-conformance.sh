#!/usr/bin/env bash
# libiscsi's iscsi-test-cu against one tgtxd LUN backed by a 1 GiB file,
# compared test by test with stock tgt 1.0.85's outcome
# (../shared/conformance/tgt-1.0.85-classified.txt).
#
# Fails when a test that passes on stock tgt does not pass here, or when fewer
# tests pass in total. TGTX_CONFORMANCE_KEEP=DIR keeps the raw output,
# the per-test list and the daemon log. `--stock` runs the suite against stock tgtd instead (to
# refresh the yardstick). Prints the counts and the per-test differences.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
B=${TGTX_BUILD:-build/san}
ref_dir=${TGTX_CONFORMANCE_DIR:-$top/../shared/conformance}
ref=$ref_dir/tgt-1.0.85-classified.txt
classify=$ref_dir/cu-classify.py
stock=0
[ "${1:-}" = "--stock" ] && stock=1

for f in "$ref" "$classify"; do
	[ -r "$f" ] || { echo "missing $f (shared/conformance beside the repo)"; exit 1; }
done
command -v iscsi-test-cu >/dev/null || { echo "iscsi-test-cu not installed (libiscsi-bin)"; exit 1; }

work=$(mktemp -d /tmp/tgtx-conf.XXXXXX)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
iqn=iqn.2026-11.org.tgtx:conformance
truncate -s 1G "$work/lun1.img"

if [ $stock -eq 1 ]; then
	cport=$((20000 + RANDOM % 10000))
	tgtd -f -C "$cport" --iscsi portal=127.0.0.1:"$port" >"$work/daemon.log" 2>&1 &
	pid=$!
	adm() { tgtadm -C "$cport" --lld iscsi "$@"; }
else
	"$B/tgtxd" -f -d 1 --iscsi portal=127.0.0.1:"$port" \
		--control-socket "$work/ctl.sock" --state-dir "$work/state" \
		>"$work/daemon.log" 2>&1 &
	pid=$!
	adm() { "$B/tgtxadm" --control-socket "$work/ctl.sock" --lld iscsi "$@"; }
fi
for _ in $(seq 100); do
	adm --op show --mode target >/dev/null 2>&1 && break
	sleep 0.1
done
adm --op new --mode target --tid 1 -T "$iqn"
adm --op new --mode logicalunit --tid 1 --lun 1 -b "$work/lun1.img"
adm --op bind --mode target --tid 1 -I ALL

echo "iscsi-test-cu -d -v iscsi://127.0.0.1:$port/$iqn/1"
timeout 2400 iscsi-test-cu -d -v "iscsi://127.0.0.1:$port/$iqn/1" \
	>"$work/cu.txt" 2>&1 || true
if ! kill -0 "$pid" 2>/dev/null; then
	echo "FAIL: the daemon died during the suite"
	tail -50 "$work/daemon.log"
	exit 1
fi

python3 "$classify" "$work/cu.txt" --list | grep -v '^pass [0-9]' | sort -k2 >"$work/ours.txt"
sort -k2 "$ref" | grep -v '^pass [0-9]' >"$work/ref.txt"
if [ -n "${TGTX_CONFORMANCE_KEEP:-}" ]; then
	mkdir -p "$TGTX_CONFORMANCE_KEEP"
	cp "$work/cu.txt" "$work/ours.txt" "$work/daemon.log" "$TGTX_CONFORMANCE_KEEP/"
fi
ours_pass=$(grep -c '^pass ' "$work/ours.txt" || true)
ours_fail=$(grep -c '^fail ' "$work/ours.txt" || true)
ours_skip=$(grep -c '^skip ' "$work/ours.txt" || true)
ref_pass=$(grep -c '^pass ' "$work/ref.txt" || true)

join -1 2 -2 2 "$work/ref.txt" "$work/ours.txt" >"$work/joined.txt" || true
regress=$(awk '$2 == "pass" && $3 != "pass"' "$work/joined.txt")
gained=$(awk '$2 != "pass" && $3 == "pass"' "$work/joined.txt")
missing=$(join -v 1 -1 2 -2 2 "$work/ref.txt" "$work/ours.txt" | awk '$2 == "pass"' || true)

label=tgtxd; [ $stock -eq 1 ] && label="stock tgtd (this run)"
echo "$label: pass $ours_pass fail $ours_fail skip $ours_skip of $((ours_pass + ours_fail + ours_skip))"
echo "stock tgt 1.0.85: pass $ref_pass"
[ -n "$gained" ] && { echo "passing here, not on stock tgt:"; echo "$gained" | sed 's/^/  /'; }
grep '^fail ' "$work/ours.txt" | sed 's/^/  failing: /' || true
status=0
if [ -n "$regress" ] || [ -n "$missing" ]; then
	echo "REGRESSIONS against stock tgt (test stock ours):"
	echo "$regress" "$missing" | sed 's/^/  /'
	status=1
fi
if [ "$ours_pass" -lt "$ref_pass" ]; then
	echo "FAIL: fewer passes than stock tgt ($ours_pass < $ref_pass)"
	status=1
fi
if [ $status -ne 0 ]; then
	echo "--- daemon log tail"
	tail -30 "$work/daemon.log"
fi
exit $status
