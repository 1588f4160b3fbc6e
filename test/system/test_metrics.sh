#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tgtxd --metrics: the Prometheus endpoint answers while I/O runs, its
# per-LUN counters match the I/O a known workload did (tgtx-rwcheck exact
# bytes, tgtx-load's completed commands), sessions per target follow the
# logins, an xorshare LUN adds its share-log figures, and hostile HTTP
# clients (huge headers, slowloris, connection floods, garbage) neither stop
# it nor make it hold more than its bounded number of connections.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PROBE=$TGTX_TOP/test/system/metrics_probe.py
IQN=iqn.2026-11.org.tgtx:metrics
MPORT=$(free_port)
d=$(tmpdir luns)

start_tgtxd main --metrics "127.0.0.1:$MPORT"
truncate -s 64M "$d/disk.img"
truncate -s 32M "$d/xs.img"
tgtxadm_ctl --lld iscsi --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$d/disk.img"
tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 2 \
	--bstype xorshare -b "$d/xs.img" --bsopts "k=2;n=3;log=$d/xslog;log_size=64M"
tgtxadm_ctl --lld iscsi --op bind --mode target --tid 1 -I ALL

# scrape: the page into $PAGE
PAGE=$d/page.txt
scrape() {
	python3 "$PROBE" get "$MPORT" >"$PAGE" || fail "scrape: $(tail -1 "$PAGE")"
}
# v NAME LABELS: the value of the sample NAME{LABELS} of the last scrape, as
# an integer (LABELS exactly as tgtxd writes them)
v() {
	local x

	x=$(awk -v k="$1{$2}" '$1 == k { print $2 }' "$PAGE")
	[ -n "$x" ] || fail "no sample $1{$2} on the page"
	printf '%.0f\n' "$x"
}
L1="target=\"$IQN\",lun=\"1\""
L2="target=\"$IQN\",lun=\"2\""

scrape
grep -q '^# TYPE tgtx_lun_latency_seconds histogram$' "$PAGE" ||
	fail "no latency histogram on the page"
pass "GET /metrics answers with the Prometheus text format"

# exact bytes: one WRITE and one READ of 128 blocks
w0=$(v tgtx_lun_bytes_total "$L1,op=\"write\"")
r0=$(v tgtx_lun_bytes_total "$L1,op=\"read\"")
e0=$(v tgtx_lun_errors_total "$L1,op=\"write\"")
expect_rc 0 "tgtx-rwcheck 128 blocks" "$RWCHECK" --url "$(lun_url "$IQN" 1)" --lba 65536 --blocks 128 --seed 7
scrape
w1=$(v tgtx_lun_bytes_total "$L1,op=\"write\"")
r1=$(v tgtx_lun_bytes_total "$L1,op=\"read\"")
[ $((w1 - w0)) -eq 65536 ] && [ $((r1 - r0)) -eq 65536 ] ||
	fail "rwcheck moved 65536 bytes each way; counters moved write $((w1 - w0)), read $((r1 - r0))"
[ "$(v tgtx_lun_errors_total "$L1,op=\"write\"")" -eq "$e0" ] || fail "errors counted for good I/O"
pass "byte counters match tgtx-rwcheck exactly (64 KiB written, 64 KiB read)"

# scrapes during a known workload; then commands == completed I/Os
for rw in write read; do
	scrape
	c0=$(v tgtx_lun_commands_total "$L1,op=\"$rw\"")
	b0=$(v tgtx_lun_bytes_total "$L1,op=\"$rw\"")
	h0=$(v tgtx_lun_latency_seconds_count "$L1,op=\"$rw\"")
	"$LOAD" --url "$(lun_url "$IQN" 1)" --rw $rw --bs 4K --qd 8 --seconds 6 \
		--span 16M >"$d/load.$rw" 2>&1 &
	lpid=$!
	track_proc "$lpid" 5
	poll=$(python3 "$PROBE" poll "$MPORT" "$lpid" "$IQN") || fail "scrape during $rw load: $poll"
	wait "$lpid" || fail "tgtx-load $rw: $(cat "$d/load.$rw")"
	n=$(sed -n 's/scrapes=\([0-9]*\) .*/\1/p' <<<"$poll")
	[ "$n" -ge 2 ] || fail "only $poll while the $rw load ran"
	[[ $poll == *max_sessions=1 ]] || fail "sessions gauge did not show the load's session: $poll"
	ios=$(sed -n 's/.* ios=\([0-9]*\) errors=0 .*/\1/p' "$d/load.$rw")
	[ -n "$ios" ] && [ "$ios" -gt 0 ] || fail "tgtx-load $rw: $(cat "$d/load.$rw")"
	scrape
	c1=$(v tgtx_lun_commands_total "$L1,op=\"$rw\"")
	b1=$(v tgtx_lun_bytes_total "$L1,op=\"$rw\"")
	h1=$(v tgtx_lun_latency_seconds_count "$L1,op=\"$rw\"")
	[ $((c1 - c0)) -eq "$ios" ] || fail "$rw: tgtx-load completed $ios, commands counter moved $((c1 - c0))"
	[ $((b1 - b0)) -eq $((ios * 4096)) ] || fail "$rw: bytes moved $((b1 - b0)), expected $((ios * 4096))"
	[ $((h1 - h0)) -eq "$ios" ] || fail "$rw: latency histogram count moved $((h1 - h0)), expected $ios"
	pass "$rw load: $poll while it ran; $ios commands, $((ios * 4096)) bytes counted exactly"
done
sessions_zero() {
	scrape
	[ "$(v tgtx_target_sessions "target=\"$IQN\"")" -eq 0 ]
}
wait_until 10 sessions_zero || fail "sessions gauge did not return to 0"
pass "tgtx_target_sessions back to 0 after logout"

# xorshare LUN: share-log figures through the store's metrics hook
expect_rc 0 "write to the xorshare LUN" "$RWCHECK" --url "$(lun_url "$IQN" 2)" --blocks 64
xs_seen() {
	scrape
	[ "$(v tgtx_xorshare_log_records "$L2")" -gt 0 ] &&
		[ "$(v tgtx_xorshare_peer_lag_records "$L2,peer=\"2\"")" -gt 0 ]
}
wait_until 10 xs_seen || fail "xorshare figures: $(grep xorshare "$PAGE")"
v tgtx_xorshare_log_used_bytes "$L2" >/dev/null
v tgtx_xorshare_log_drops_total "$L2" >/dev/null
v tgtx_xorshare_peer_lag_seconds "$L2,peer=\"0\"" >/dev/null
pass "xorshare LUN reports log use, records and per-peer lag"

# hostile clients, with iSCSI I/O going on at the same time
"$LOAD" --url "$(lun_url "$IQN" 1)" --rw write --bs 4K --qd 4 --seconds 15 \
	--span 16M >"$d/load.bg" 2>&1 &
lpid=$!
track_proc "$lpid" 5
python3 "$PROBE" hostile "$MPORT" "$TGTXD_PID" | tee "$d/hostile.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "hostile HTTP clients (above)"
wait "$lpid" || fail "iSCSI load during the hostile clients: $(cat "$d/load.bg")"
grep -q ' errors=0 ' "$d/load.bg" || fail "iSCSI errors during hostile HTTP: $(cat "$d/load.bg")"
pass "iSCSI I/O unharmed during hostile HTTP ($(cat "$d/load.bg"))"
proc_alive "$TGTXD_PID" || fail "tgtxd died"
expect_rc 0 "data intact after all that" "$RWCHECK" --url "$(lun_url "$IQN" 1)" --lba 65536 --blocks 128 --seed 7 --verify-only
# stop with metrics connections still open (no crash, no sanitizer report)
python3 -c 'import socket,sys,time
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(4)]
for c in cs: c.sendall(b"GET /met")
print("held", flush=True); time.sleep(8)' "$MPORT" >"$d/held.out" &
track_proc $! 1
wait_until 10 grep -q held "$d/held.out" || fail "could not open metrics connections"
stop_tgtxd
pass "tgtxd stopped cleanly with metrics connections open (no sanitizer report)"

# a bad --metrics address stops start-up with a reason
rc=0
"$B/tgtxd" -f --iscsi "portal=127.0.0.1:$(free_port)" --control-socket "$d/ctl.bad" \
	--state-dir "$d/st" --metrics 127.0.0.1 2>"$d/bad.err" || rc=$?
[ $rc -ne 0 ] && grep -q "metrics" "$d/bad.err" || fail "--metrics without a port: exit $rc $(cat "$d/bad.err")"
pass "--metrics without a port is refused at start-up"
