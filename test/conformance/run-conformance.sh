#!/usr/bin/env bash
# libiscsi's iscsi-test-cu against one tgtxd LUN backed by a 1 GiB file,
# classified test by test (test/conformance/cu-classify.py: a test cut off
# by a crash or the timeout is a failure) and compared with
#   - tgtxd's own recorded result (test/conformance/tgtxd-classified.txt):
#     every test that passed there must still pass,
#   - stock tgt 1.0.85's result (tgt-1.0.85-classified.txt, copied from
#     ../shared/conformance): every test that passes on stock tgt must pass,
#     and as many tests in total.
# Fails as well when the suite did not run to its end, when the daemon died,
# or when tgtxd, stopped with SIGTERM after the run, does not exit 0 or its
# log holds a sanitizer report.
#
#   run-conformance.sh                    check tgtxd (TGTX_BUILD, default
#                                         build/san)
#   run-conformance.sh --update-baseline  check, then record this run as
#                                         tgtxd's result (commit the file)
#   run-conformance.sh --stock            run against stock tgtd instead (to
#                                         refresh the yardstick)
#
# Takes several minutes (TGTX_CONFORMANCE_TIMEOUT, default 2400 s, cuts the
# suite short). TGTX_CONFORMANCE_KEEP=DIR keeps the raw output, the
# per-test list and the daemon log; TGTX_CONFORMANCE_DIR=DIR reads the stock
# yardstick from DIR. Prints the counts and the per-test differences.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
B=${TGTX_BUILD:-build/san}
here=$top/test/conformance
ref_dir=${TGTX_CONFORMANCE_DIR:-$here}
ref=$ref_dir/tgt-1.0.85-classified.txt
baseline=$here/tgtxd-classified.txt
classify=$here/cu-classify.py
# what a sanitizer prints (the same as test/system/lib.sh looks for)
san_pattern='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|AddressSanitizer:DEADLYSIGNAL'
stock=0
update=0
case "${1:-}" in
--stock) stock=1 ;;
--update-baseline) update=1 ;;
"") ;;
*)
	echo "usage: $0 [--stock|--update-baseline]"
	exit 1
	;;
esac

for f in "$ref" "$classify"; do
	[ -r "$f" ] || { echo "missing $f"; exit 1; }
done
if [ $stock -eq 0 ] && [ $update -eq 0 ] && [ ! -r "$baseline" ]; then
	echo "missing $baseline (record it with --update-baseline)"
	exit 1
fi
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
# line-buffered, so a suite cut short still shows where it stopped
timeout "${TGTX_CONFORMANCE_TIMEOUT:-2400}" stdbuf -oL -eL iscsi-test-cu -d -v \
	"iscsi://127.0.0.1:$port/$iqn/1" >"$work/cu.txt" 2>&1 || true
status=0
if ! kill -0 "$pid" 2>/dev/null; then
	echo "FAIL: the daemon died during the suite"
	tail -50 "$work/daemon.log"
	exit 1
fi
if ! grep -q "^Tests completed with return value" "$work/cu.txt"; then
	echo "FAIL: iscsi-test-cu did not run to its end (crash or timeout):"
	tail -5 "$work/cu.txt" | sed 's/^/  /'
	status=1
fi
if [ $stock -eq 0 ]; then
	# a clean stop, then leak checks: exit 0 and a clean log
	kill -TERM "$pid"
	rc=0
	for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		echo "FAIL: tgtxd ignored SIGTERM for 30 s"
		status=1
	else
		wait "$pid" || rc=$?
		pid=""
		[ "$rc" -eq 0 ] || { echo "FAIL: tgtxd exited with status $rc"; status=1; }
	fi
	if grep -Eq "$san_pattern" "$work/daemon.log"; then
		echo "FAIL: sanitizer report in the daemon log:"
		grep -E -A30 "$san_pattern" "$work/daemon.log" | head -60
		status=1
	fi
fi

python3 "$classify" "$work/cu.txt" --list | grep -v '^pass [0-9]' | sort -k2 >"$work/ours.txt"
sort -k2 "$ref" | grep -v '^pass [0-9]' >"$work/ref.txt"
if [ $stock -eq 0 ] && [ -r "$baseline" ]; then
	# tgtxd's own record: a test that passed there and does not now (or
	# never ran) is a regression, whether or not stock tgt passes it
	sort -k2 "$baseline" | grep -v '^pass [0-9]' >"$work/base.txt"
	lost=$(join -a 1 -e none -o 0,1.1,2.1 -1 2 -2 2 "$work/base.txt" \
		"$work/ours.txt" | awk '$2 == "pass" && $3 != "pass"')
	if [ -n "$lost" ]; then
		echo "REGRESSIONS against tgtxd's recorded result (test recorded now):"
		echo "$lost" | sed 's/^/  /'
		status=1
	fi
	won=$(join -1 2 -2 2 "$work/base.txt" "$work/ours.txt" |
		awk '$2 != "pass" && $3 == "pass"')
	[ -z "$won" ] || {
		echo "passing now, not in the record (update it with --update-baseline):"
		echo "$won" | sed 's/^/  /'
	}
fi
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
elif [ $update -eq 1 ]; then
	{
		cat "$work/ours.txt"
		python3 "$classify" "$work/cu.txt" | tail -n1
	} >"$baseline"
	echo "recorded in $baseline"
fi
exit $status
