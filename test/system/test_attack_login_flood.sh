#!/usr/bin/env bash
# Issue 9 row 1: unauthenticated connections send empty Login PDUs with C=1
# and never read the responses. The daemon must stop reading from them (a
# small fixed allowance before login), not allocate a response buffer each.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

attack_start 64 --mem-budget 256M
attack login-flood 2 && pass "login flood: RSS bounded" ||
	fail "login flood: memory not bounded"
attack_alive
