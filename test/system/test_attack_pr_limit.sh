#!/usr/bin/env bash
# Issue 9 row 8: new initiator ports registering reservation keys without
# end. Past the per-LU limit a registration gets INSUFFICIENT REGISTRATION
# RESOURCES; registered ports keep working.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

attack_start 64 --pr-max-registrations 16
attack pr-limit 16 && pass "registrations limited per LU" ||
	fail "registrations unbounded"
attack_alive
