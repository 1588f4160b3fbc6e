#!/usr/bin/env bash
# Issue 9 row 9: initiator-supplied text (CHAP_A, CHAP_N before
# authentication, InitiatorAlias) must not forge log lines or lines of
# `tgtxadm --op show`; non-UTF-8 names are refused; the control socket
# refuses bytes after a request.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

attack_start 64
CHAP_IQN=iqn.2026-11.org.tgtx:attack-chap
tgtxadm_ctl --op new --mode target --tid 2 -T "$CHAP_IQN"
tgtxadm_ctl --op bind --mode target --tid 2 -I ALL
tgtxadm_ctl --op new --mode account --user alice --password secretsecret1
tgtxadm_ctl --op bind --mode account --tid 2 --user alice
export TGTXADM CTL
attack escape "$CHAP_IQN" "$TGTXD_LOG" && pass "peer text escaped" ||
	fail "peer text reaches logs or show raw"
attack_alive
