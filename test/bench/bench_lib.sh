# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034 # W_* are read by the sourcing script
#
# Set-up shared by run-bench.sh and run-disk-bench.sh, sourced first thing
# with the script's own arguments: BUILD from $1 (default build/rel), the
# repository top as the working directory, test/system/lib.sh, and the
# tgtx-load arguments and labels of the common workloads.

BUILD=${1:-build/rel}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit
export TGTX_BUILD=$BUILD
# shellcheck source=test/system/lib.sh
. test/system/lib.sh

# workload -> tgtx-load arguments and label
declare -A W_ARGS=(
	[seqread]="--bs 1M --qd 32 --pattern seq --rw read"
	[seqwrite]="--bs 1M --qd 32 --pattern seq --rw write"
	[randread]="--bs 4K --qd 32 --pattern rand --rw read"
	[randwrite]="--bs 4K --qd 32 --pattern rand --rw write"
)
declare -A W_LABEL=(
	[seqread]="1 MiB seq read QD32"
	[seqwrite]="1 MiB seq write QD32"
	[randread]="4 KiB rand read QD32"
	[randwrite]="4 KiB rand write QD32"
)
