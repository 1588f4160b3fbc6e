#!/usr/bin/env bash
# Runs the whole test suite against already built binaries and prints one
# closing line "check: N passed, N failed, N skipped". Called by `make check`.
#
#   test/run-checks.sh [--only unit|system|fuzz|conformance] SANBUILD FUZZBUILD
#
# Every test the tree defines is expected to run: test/unit/test_*.c and
# test/fuzz/fuzz_*.c must be built, test/system/test_*.sh must have the
# execute bit; a missing one is a failure, not a silent drop. The number of
# outcomes is checked against the number of tests found.
#
# Outcomes: exit 0 passed, exit 77 with a "SKIP: why" line skipped (lib.sh
# skip), else failed; a CMocka test that reports "[  SKIPPED ]" counts as
# skipped, not passed. Fuzzers need a seed corpus in test/fuzz/corpus/NAME.
# With CI=true any skip fails the run unless the test is listed, with a
# reason, in test/skip-allowed.txt.
#
# Environment: FUZZ_SECONDS (per fuzzer, default 30), FUZZ_TIMEOUT (seconds
# one input may take, default 10), FUZZ_MIN_EXECS (executions a fuzzer must
# reach, default 1000), TGTX_CHECK_SKIP (space-separated parts or test names
# to skip, e.g. "conformance system/test_valgrind"; each one is reported
# and counted as skipped).
set -u
only=""
if [ "${1:-}" = "--only" ]; then
	only=$2
	shift 2
fi
SAN=${1:-build/san}
FUZZ=${2:-build/fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_MIN_EXECS=${FUZZ_MIN_EXECS:-1000}
SKIP_EXIT=77
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
ALLOW=test/skip-allowed.txt
export TGTX_BUILD=$SAN
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# the SKIPPED detection below reads CMocka's default output format
unset CMOCKA_MESSAGE_OUTPUT

passed=0
failed=0
skipped=0
expected=0
failures=()
skips=()
logdir=$(mktemp -d /tmp/tgtx-check.XXXXXX)

part_wanted() {
	[ -z "$only" ] || [ "$only" = "$1" ]
}

# user_skipped NAME: is NAME or its part listed in TGTX_CHECK_SKIP?
user_skipped() {
	case " ${TGTX_CHECK_SKIP:-} " in
	*" ${1%%/*} "* | *" $1 "*) return 0 ;;
	esac
	return 1
}

outcome_fail() {
	failed=$((failed + 1))
	failures+=("$1")
	echo "--- FAIL $1 ($2)"
}

outcome_skip() {
	skipped=$((skipped + 1))
	skips+=("$1")
	echo "--- SKIP $1 ($2)"
}

# run NAME CMD...: runs one expected test, shows its output, records the
# outcome.
run() {
	local name=$1 log rc start secs
	shift
	if user_skipped "$name"; then
		outcome_skip "$name" "TGTX_CHECK_SKIP"
		return
	fi
	log="$logdir/$(echo "$name" | tr '/ ' '__').log"
	echo "=== $name"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	cat "$log"
	if [ $rc -eq 0 ] && [[ $name == unit/* ]] &&
		grep -q '^\[  SKIPPED \]' "$log"; then
		outcome_skip "$name" "CMocka skipped: $(grep '^\[  SKIPPED \]' \
			"$log" | grep -v 'test(s)' | sed 's/^\[  SKIPPED \] //' |
			sort -u | tr '\n' ' ')"
	elif [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "--- PASS $name ($secs s)"
	elif [ $rc -eq $SKIP_EXIT ] && grep -q '^SKIP: ' "$log"; then
		outcome_skip "$name" "$(grep -m1 '^SKIP: ' "$log" | cut -c7-)"
	else
		outcome_fail "$name" "exit $rc, $secs s"
	fi
}

# missing NAME WHY: an expected test that cannot run at all.
missing() {
	if user_skipped "$1"; then
		outcome_skip "$1" "TGTX_CHECK_SKIP"
	else
		echo "=== $1"
		outcome_fail "$1" "$2"
	fi
}

# fuzz_one BIN CORPUS: a bounded libFuzzer run that must reach
# FUZZ_MIN_EXECS executions (a harness that stops early or runs one slow
# input for the whole time proves nothing).
fuzz_one() {
	local out rc execs

	out=$(mktemp "$logdir/fuzz.XXXXXX")
	mkdir -p "$FUZZ/artifacts"
	"$1" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" \
		-rss_limit_mb=2048 -print_final_stats=1 -error_exitcode=1 \
		-timeout_exitcode=1 -artifact_prefix="$FUZZ/artifacts/" "$2" \
		>"$out" 2>&1
	rc=$?
	cat "$out"
	[ $rc -eq 0 ] || return $rc
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" |
		tail -n1)
	if [ "${execs:-0}" -lt "$FUZZ_MIN_EXECS" ]; then
		echo "FAIL: ${execs:-0} executions, FUZZ_MIN_EXECS=$FUZZ_MIN_EXECS"
		return 1
	fi
	echo "fuzz: $execs executions in $FUZZ_SECONDS s"
}

# count_tests PART GLOB: adds the tests of PART the tree defines to
# $expected, before anything runs.
count_tests() {
	local f

	part_wanted "$1" || return 0
	shift
	for f in "$@"; do
		[ -e "$f" ] && expected=$((expected + 1))
	done
}
count_tests unit test/unit/test_*.c
count_tests fuzz test/fuzz/fuzz_*.c
count_tests system test/system/test_*.sh
count_tests conformance test/conformance/run-conformance.sh

if part_wanted unit; then
	for src in test/unit/test_*.c; do
		[ -e "$src" ] || continue
		t=$SAN/test/unit/$(basename "$src" .c)
		name="unit/$(basename "$t")"
		if [ -x "$t" ]; then
			run "$name" "$t"
		else
			missing "$name" "not built: no $t"
		fi
	done
fi

if part_wanted fuzz; then
	for src in test/fuzz/fuzz_*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		f=$FUZZ/test/fuzz/$name
		if [ ! -x "$f" ]; then
			missing "fuzz/$name" "not built: no $f"
			continue
		fi
		if ! ls "test/fuzz/corpus/$name"/* >/dev/null 2>&1; then
			missing "fuzz/$name" "no seed corpus in test/fuzz/corpus/$name"
			continue
		fi
		corpus="$logdir/corpus-$name"
		mkdir -p "$corpus"
		cp -r "test/fuzz/corpus/$name/." "$corpus/"
		run "fuzz/$name" fuzz_one "$f" "$corpus"
	done
fi

if part_wanted system; then
	for t in test/system/test_*.sh; do
		[ -e "$t" ] || continue
		name="system/$(basename "$t" .sh)"
		if [ -x "$t" ]; then
			run "$name" "$t"
		else
			missing "$name" "$t has no execute bit"
		fi
	done
fi

if part_wanted conformance; then
	run "conformance/iscsi-test-cu" test/conformance/run-conformance.sh
fi

rm -rf "$logdir"
status=0
if [ $((passed + failed + skipped)) -lt "$expected" ] || [ "$expected" -eq 0 ]; then
	echo "FAIL: the tree defines $expected tests, only" \
		"$((passed + failed + skipped)) ran"
	status=1
fi
if [ ${#failures[@]} -gt 0 ]; then
	echo "Failed: ${failures[*]}"
	status=1
fi
if [ ${#skips[@]} -gt 0 ]; then
	echo "Skipped: ${skips[*]}"
	if [ "${CI:-}" = true ]; then
		for s in "${skips[@]}"; do
			# an entry is "NAME  # why"; one without a reason is ignored
			if ! awk -v n="$s" '$1 == n && /#[[:space:]]*[^[:space:]]/ \
				{ ok = 1 } END { exit !ok }' "$ALLOW" 2>/dev/null; then
				echo "FAIL: $s skipped in CI and not allowed in $ALLOW"
				status=1
			fi
		done
	fi
fi
echo "check: $passed passed, $failed failed, $skipped skipped"
exit $status
