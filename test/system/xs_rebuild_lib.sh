# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Rebuilding the volume from an xorshare share log, shared by
# test_xorshare_crash.sh and test_xorshare_powerloss.sh. Sourced after
# lib.sh; the test sets DUMP (tgtx-sharelog-dump), LOGDIR (the share log)
# and IMG (the rebuilt image, kept across rounds).

# summary FIELD: a field of the dump's summary line.
summary() {
	grep -o "\b$1=[0-9]*" "$TGTX_TEST_DIR/dump.txt" | head -n1 | cut -d= -f2
}

# rebuild ROUND: applies the records logged since the last call to the
# rebuilt image (--from), so each round costs the same.
next_seq=1
rebuild() {
	"$DUMP" --quiet --from "$next_seq" --combine "$IMG" "$LOGDIR" \
		>"$TGTX_TEST_DIR/dump.txt" 2>&1 ||
		fail "round $1: combine: $(cat "$TGTX_TEST_DIR/dump.txt")"
	[ "$(summary first_seq)" = 1 ] ||
		fail "round $1: the log lost its oldest records (log_size too" \
			"small for this run): $(cat "$TGTX_TEST_DIR/dump.txt")"
	next_seq=$(($(summary last_seq) + 1))
}
