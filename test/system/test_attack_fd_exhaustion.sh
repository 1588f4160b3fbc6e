#!/usr/bin/env bash
# Issue 9 row 4: out of file descriptors. Started with a soft limit of 128
# (the daemon must raise it to the hard one), then held to 64 for real
# with prlimit: accepting must back off, not spin and flood the log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

command -v prlimit >/dev/null || fail "prlimit (util-linux) is missing"
ulimit -Sn 128
attack_start 64
attack fd-exhaustion 300 "$TGTXD_LOG" &&
	pass "soft descriptor limit: no spin, no log flood" ||
	fail "soft descriptor limit"
prlimit --pid "$TGTXD_PID" --nofile=64:64
attack fd-exhaustion 300 "$TGTXD_LOG" &&
	pass "hard descriptor limit: accepting backs off, logged once" ||
	fail "out of descriptors"
n=$(grep -c "out of descriptors" "$TGTXD_LOG" || true)
[ "$n" -ge 1 ] && [ "$n" -le 3 ] ||
	fail "$n 'out of descriptors' log lines, expected 1 to 3"
pass "running out of descriptors logged $n time(s)"
attack_alive
