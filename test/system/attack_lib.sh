# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Shared setup of the test_attack_*.sh tests (issue 9), sourced after
# lib.sh. ATTACK_BASELINE=1 drops the daemon options an older tgtxd does
# not know, so the same tests can be run against it to see them fail.

ATTACK=$(dirname "${BASH_SOURCE[0]}")/attack.py
# These tests measure RSS: under ASan, keep freed memory out of a large
# quarantine and give it back to the kernel promptly, as glibc does.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16:allocator_release_to_os_interval_ms=500
export ASAN_OPTIONS
# An ASan tgtxd pays about twice the RSS per small allocation that its
# memory budget accounts (redzones, size-class caches): attack.py scales its
# RSS limits by this factor; release builds keep the plain limits.
ATTACK_ALLOC_FACTOR=1
if nm "$B/tgtxd" 2>/dev/null | grep ' __asan_init' >/dev/null; then
	ATTACK_ALLOC_FACTOR=2
fi
export ATTACK_ALLOC_FACTOR
ATTACK_IQN=iqn.2026-11.org.tgtx:attack

# attack_opts ARGS...: echoes ARGS one per line, or nothing in baseline mode.
attack_opts() {
	[ -n "${ATTACK_BASELINE:-}" ] && return 0
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@"
}

# attack_start SIZE_MIB [TGTXD ARGS...]: tgtxd with one target, ACL ALL,
# LUN 1 a sparse file of SIZE_MIB MiB.
attack_start() {
	local size=$1 opts=()

	shift
	mapfile -t opts < <(attack_opts "$@")
	start_tgtxd attack "${opts[@]}"
	truncate -s "${size}M" "$TGTX_TEST_DIR/lun.img"
	tgtxadm_ctl --op new --mode target --tid 1 -T "$ATTACK_IQN"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 \
		-b "$TGTX_TEST_DIR/lun.img"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
}

# attack SCENARIO [ARGS...]: runs one scenario of attack.py on the daemon.
attack() {
	local name=$1

	shift
	python3 "$ATTACK" "$name" "$PORT" "$ATTACK_IQN" "$TGTXD_PID" "$@"
}

# attack_alive: the daemon survived and still serves a fresh session.
attack_alive() {
	proc_alive "$TGTXD_PID" || fail "tgtxd died"
	"$RWCHECK" --url "$(lun_url "$ATTACK_IQN" 1)" --blocks 64 --seed 7 ||
		fail "a fresh session does not work after the attack"
	pass "daemon alive and serving afterwards"
}
