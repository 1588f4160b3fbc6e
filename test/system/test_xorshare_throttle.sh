#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The soft limit of a filling share log (bsopts throttle=P%), with no
# replicator: past P% of log_size the LUN's writes are delayed (they still
# succeed), show says THROTTLED with an Alert line, the daemon logs an
# ALERT, the metric tgtx_xorshare_throttle_delay_ms is above 0; the same
# writes on a LUN with throttle=off are never delayed; a bad value is
# refused. Timing is not measured (the delay curve is a unit test).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PROBE=$TGTX_TOP/test/system/metrics_probe.py
IQN=iqn.2026-11.org.tgtx:xs-throttle
LOGSIZE=$((1 << 20))
MPORT=$(free_port)
d=$(tmpdir throttle)
truncate -s 16M "$d/on.img" "$d/off.img"

start_tgtxd main --metrics "127.0.0.1:$MPORT"
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 --bstype xorshare \
	-b "$d/on.img" --bsopts "k=2;n=3;log=$d/on.log;log_size=$LOGSIZE;throttle=50%"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 2 --bstype xorshare \
	-b "$d/off.img" --bsopts "k=2;n=3;log=$d/off.log;log_size=$LOGSIZE;throttle=off"
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
if "$TGTXADM" --control-socket "$CTL" --op new --mode logicalunit --tid 1 \
	--lun 3 --bstype xorshare -b "$d/off.img" \
	--bsopts "k=2;n=3;log=$d/bad.log;throttle=100%" >"$d/bad.txt" 2>&1; then
	fail "throttle=100% accepted"
fi
pass "throttle=100% refused: $(head -c 150 "$d/bad.txt")"

lun_show() {
	tgtxadm_ctl --op show --mode target |
		sed -n "/^ *LUN: $1\$/,/^ *LUN: \|Account information/p"
}

# 640 KiB of data into a 1 MiB log: past 50% (no peer frees anything)
expect_rc 0 "writes past throttle=50% of the log still succeed" \
	"$RWCHECK" --url "$(lun_url "$IQN" 1)" --lba 0 --blocks 1280 --seed 1
expect_rc 0 "the same writes with throttle=off" \
	"$RWCHECK" --url "$(lun_url "$IQN" 2)" --lba 0 --blocks 1280 --seed 1
# one more batch each: the delay is set when a batch is taken
expect_rc 0 "and one more write each" \
	"$RWCHECK" --url "$(lun_url "$IQN" 1)" --lba 2000 --blocks 8 --seed 2
expect_rc 0 "and on the throttle=off LUN" "$RWCHECK" --url "$(lun_url "$IQN" 2)" --lba 2000 --blocks 8 \
	--seed 2

throttled_show() {
	lun_show 1 | grep -q "THROTTLED"
}
wait_until 5 throttled_show || true
lun_show 1 >"$d/show1.txt"
lun_show 2 >"$d/show2.txt"
grep -q "throttle=50% THROTTLED" "$d/show1.txt" ||
	fail "show does not say THROTTLED: $(cat "$d/show1.txt")"
alert=$(grep "Alert:" "$d/show1.txt")
grep -Eq "Alert: log [0-9]+% full \(throttle=50%\): writes delayed [0-9.]+ ms per batch" <<<"$alert" ||
	fail "no throttle alert in show: $alert"
pass "show:${alert#*Alert:}"
grep -q "throttle=off" "$d/show2.txt" && ! grep -q THROTTLED "$d/show2.txt" ||
	fail "throttle=off LUN throttled: $(cat "$d/show2.txt")"
grep -q "Alert: none" "$d/show2.txt" ||
	fail "throttle=off LUN has an alert: $(grep Alert "$d/show2.txt")"
pass "throttle=off: never delayed, no alert"
grep -q "ALERT.*$d/on.log.*throttle=50%" "$TGTXD_LOG" ||
	fail "no throttle ALERT in the daemon log"
pass "daemon log: $(grep -m1 "ALERT.*throttle=50%" "$TGTXD_LOG" | cut -c1-160)"
python3 "$PROBE" get "$MPORT" >"$d/page.txt" || fail "scrape failed"
on=$(awk -v k="tgtx_xorshare_throttle_delay_ms{target=\"$IQN\",lun=\"1\"}" \
	'$1 == k { print $2 }' "$d/page.txt")
off=$(awk -v k="tgtx_xorshare_throttle_delay_ms{target=\"$IQN\",lun=\"2\"}" \
	'$1 == k { print $2 }' "$d/page.txt")
[ -n "$on" ] && [ -n "$off" ] ||
	fail "no tgtx_xorshare_throttle_delay_ms samples: $(grep throttle "$d/page.txt")"
awk -v a="$on" -v b="$off" 'BEGIN { exit !(a > 0 && b == 0) }' ||
	fail "metric: throttled LUN $on ms, throttle=off LUN $off ms"
pass "metric tgtx_xorshare_throttle_delay_ms: $on (throttle=50%), $off (off)"
# peer lines say what a replicator-less LUN is
grep -q "Peer 0: state=offline (no replicator status)" "$d/show1.txt" ||
	fail "peer line: $(grep 'Peer 0' "$d/show1.txt")"
pass "peer line: $(grep -m1 'Peer 0' "$d/show1.txt" | sed 's/^ *//')"
cat "$d/show1.txt"
stop_tgtxd
