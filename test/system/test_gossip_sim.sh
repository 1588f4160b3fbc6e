#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The gossip state machine, unchanged, in a 100-node simulation (simulated
# clock and network, tgtx-gossip-sim): every table must reach every node
# within a bound of rounds, also with churn, message loss, a partition, a
# version update and a forger, and no forged table may be accepted. The
# 1,000-node figures are in doc/gossip.md (`make gossip-sim-bench`).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SIM=$B/test/tools/tgtx-gossip-sim
[ -x "$SIM" ] || fail "build $SIM first (make SAN=asan tests)"

# measured 5 rounds; the bound leaves room without hiding a regression
expect_rc 0 "100 nodes, 50 volumes: converged within 15 rounds" \
	"$SIM" --nodes 100 --volumes 50 --expect-rounds 15
# version 2 signed at round 40 (churn until 30, partition 5-20): measured
# everywhere 6 rounds later
expect_rc 0 "churn 5%, loss 2%, partition, update, forger: v2 everywhere by round 55, no forgery accepted" \
	"$SIM" --nodes 100 --volumes 50 --churn 5 --loss 2 --partition 5:20 \
	--update-at 40 --forger --expect-rounds 55
expect_rc 0 "owners pinned everywhere: forger refused even mid-churn" \
	"$SIM" --nodes 100 --volumes 50 --churn 5 --pin-owners --forger \
	--expect-rounds 40
