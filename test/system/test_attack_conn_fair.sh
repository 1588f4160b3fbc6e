#!/usr/bin/env bash
# Issue 9 row 3: one address opens more idle connections than the daemon's
# limit; logins from other addresses (127.0.0.2, .3: loopback) must still
# succeed, and an idle discovery session must be timed out.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

attack_start 64
attack conn-fairness 1100 &&
	pass "other sources log in during a connection flood; idle discovery ends" ||
	fail "connection flood locks others out"
attack_alive
