#!/bin/sh
# Installs the Debian 12 packages needed to build tgtx and run its test suite
# and benchmarks. Idempotent; needs root (or sudo).
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
	build-essential pkg-config clang llvm libclang-rt-14-dev \
	libiscsi-dev libssl-dev liburing-dev libcmocka-dev \
	libiscsi-bin tgt fio valgrind python3 iproute2 procps clang-format \
	libjansson-dev libedit-dev curl strace
