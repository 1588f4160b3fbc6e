# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Extra benchmark rows (sourced by test/bench/run-bench.sh): an xorshare LUN
# (k=2, n=3) on the running tgtxd, volume and share log both in /dev/shm,
# same size and pre-filled data as the rdwr LUN, so its rows compare with
# the "tgtxd" rows directly (issue target: writes >= 0.8x, reads 1.0x).
#
# The log is bounded (BENCH_XS_LOG_SIZE, default 2G) and no replicator
# runs: once it is full the peers are dropped (drop-lagging) and its
# segments are reused, the steady state of a LUN whose partners are away. The baseline pass over the pre-filled volume runs (and is
# waited for) before any measurement.
#
# Environment: BENCH_NO_XORSHARE=1 skips these rows.

xs_bench_setup() {
	local iqn=iqn.2026-11.org.tgtx:bench-xs deadline

	[ -n "$TGTX_PID" ] || return 0
	[ "${BENCH_NO_XORSHARE:-0}" != 1 ] || return 0
	make_lun_file "$SHM/xs.img"
	if ! tgtxadm_ctl --lld iscsi --op new --mode target --tid 2 -T "$iqn" ||
		! tgtxadm_ctl --lld iscsi --op new --mode logicalunit --tid 2 \
			--lun 1 -b "$SHM/xs.img" --bstype xorshare \
			--bsopts "k=2;n=3;log=$SHM/xs.log;log_size=${BENCH_XS_LOG_SIZE:-2G}" ||
		! tgtxadm_ctl --lld iscsi --op bind --mode target --tid 2 -I ALL; then
		echo "ERROR: could not set up the xorshare LUN" >&2
		BENCH_ERRORS=$((BENCH_ERRORS + 1))
		return 0
	fi
	# the baseline shares the whole pre-filled volume once: not measured
	deadline=$((SECONDS + 120))
	until tgtxadm_ctl --op show --mode target |
		grep -q "Baseline: complete"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "ERROR: xorshare baseline not done in 120 s" >&2
			BENCH_ERRORS=$((BENCH_ERRORS + 1))
			return 0
		fi
		sleep 0.2
	done
	bench_register "tgtxd xorshare" "$(lun_url "$iqn" 1 "$TGTX_PORT")" \
		"$TGTX_PID"
}

xs_bench_setup
