#!/usr/bin/env bash
# Runs the whole test suite against already built binaries and prints one
# closing line "check: N passed, N failed". Called by `make check`.
#
#   test/run-checks.sh [--only unit|system|fuzz|conformance] SANBUILD FUZZBUILD
#
# Environment: FUZZ_SECONDS (per fuzzer, default 30), TGTX_CHECK_SKIP
# (space-separated list of parts to skip, e.g. "conformance").
set -u
only=""
if [ "${1:-}" = "--only" ]; then
	only=$2
	shift 2
fi
SAN=${1:-build/san}
FUZZ=${2:-build/fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export TGTX_BUILD=$SAN
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
failures=()
logdir=$(mktemp -d /tmp/tgtx-check.XXXXXX)

want() {
	[ -z "$only" ] || [ "$only" = "$1" ] || return 1
	case " ${TGTX_CHECK_SKIP:-} " in *" $1 "*) return 1 ;; esac
	return 0
}

# run NAME CMD...: runs one test, shows its output, records the outcome
run() {
	local name=$1 log rc start
	shift
	log="$logdir/$(echo "$name" | tr '/ ' '__').log"
	echo "=== $name"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "--- PASS $name ($(($(date +%s) - start)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "--- FAIL $name (exit $rc, $(($(date +%s) - start)) s)"
	fi
}

if want unit; then
	for t in "$SAN"/test/unit/test_*; do
		[ -x "$t" ] || continue
		run "unit/$(basename "$t")" "$t"
	done
fi

if want fuzz; then
	for f in "$FUZZ"/test/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		corpus="$logdir/corpus-$name"
		mkdir -p "$corpus"
		[ -d "test/fuzz/corpus/$name" ] && cp -r "test/fuzz/corpus/$name/." "$corpus/"
		run "fuzz/$name" "$f" -max_total_time="$FUZZ_SECONDS" \
			-rss_limit_mb=2048 -print_final_stats=1 "$corpus"
	done
fi

if want system; then
	for t in test/system/test_*.sh; do
		[ -x "$t" ] || continue
		run "system/$(basename "$t" .sh)" "$t"
	done
fi

if want conformance; then
	run "conformance/iscsi-test-cu" test/conformance/run-conformance.sh
fi

rm -rf "$logdir"
if [ ${#failures[@]} -gt 0 ]; then
	echo "Failed: ${failures[*]}"
fi
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
