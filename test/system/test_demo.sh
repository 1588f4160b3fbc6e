#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The README's main job as a system test (issue 12, k=2 n=3 end to end):
# scripts/demo.sh starts a primary and three partners (one stock tgtd),
# replicates, gossips, exports the kit, destroys the primary and restores
# from one partner's address with the kit; it fails unless the checksums
# are equal and the partner saved what it learned. Run from an empty
# directory, which must still be empty afterwards: no program may write
# beside the operator (a dangling path once put a gossip state file there).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TGTX_BUILD:-build/san}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CWD=$(mktemp -d /tmp/tgtx-demo-cwd.XXXXXX)
trap 'rm -rf "$CWD"' EXIT
rc=0
(cd "$CWD" && "$ROOT/scripts/demo.sh" "$BUILD") || rc=$?
if [ -n "$(ls -A "$CWD")" ]; then
	echo "FAIL: the demo left files in its working directory:" >&2
	ls -la "$CWD" >&2
	exit 1
fi
exit $rc
