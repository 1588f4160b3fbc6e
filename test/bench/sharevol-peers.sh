#!/usr/bin/env bash
# Replicator groundwork figures (not wired into `make bench` yet): the share
# writer (tgtx-sharevol, k=2 n=3, 6000 records of 1..16 blocks) to three
# tgtxd rdwr peers on loopback; prints when each peer acknowledged the last
# seq and finished its checkpoint, and the bytes written/read back per
# second. Usage: TGTX_BUILD=build/rel test/bench/sharevol-peers.sh
set -euo pipefail
. "$(dirname "$0")/../system/lib.sh"
SV=$B/test/tools/tgtx-sharevol
IQN=iqn.2026-11.org.tgtx:bench
URLS=()
for p in 0 1 2; do
	start_tgtxd b$p >/dev/null
	truncate -s $((256 << 20)) "$TGTX_TEST_DIR/b$p.img"
	tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN:$p"
	tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 \
		-b "$TGTX_TEST_DIR/b$p.img"
	tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
	URLS+=(--peer "iscsi://127.0.0.1:$PORT/$IQN:$p/1")
done
for run in "512 1000000" "4096 100"; do
	read -r bs ce <<<"$run"
	for p in 0 1 2; do
		truncate -s 0 "$TGTX_TEST_DIR/b$p.img"
		truncate -s $((256 << 20)) "$TGTX_TEST_DIR/b$p.img"
	done
	nb=$(((64 << 20) / bs))
	out=$TGTX_TEST_DIR/w$bs.txt
	start=$(date +%s.%N)
	"$SV" write --k 2 --n 3 --block-size "$bs" --blocks "$nb" \
		--records 6000 --seed "$bs" --journal $((96 << 20)) \
		--checkpoint-every "$ce" "${URLS[@]}" |
		while IFS= read -r l; do echo "$(date +%s.%N) $l"; done >"$out"
	end=$(date +%s.%N)
	python3 - "$out" "$start" "$end" "$bs" "$ce" <<'PY'
import re, sys
out, start, end, bs, ce = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
txt = open(out).read()
for m in re.finditer(r'^(\S+) (peer \d+: (acked|checkpoint) \d+)$', txt, re.M):
    print('  %6.2f s  %s' % (float(m.group(1)) - start, m.group(2)))
t = end - start
w = sum(int(x) for x in re.findall(r'written (\d+)', txt))
r = sum(int(x) for x in re.findall(r'read (\d+)', txt))
print('block %s, checkpoint every %s seqs: 6000 records in %.2f s, %.1f MB/s '
      'written to 3 peers, %.1f MB/s read back' % (bs, ce, t, w / t / 1e6, r / t / 1e6))
PY
done
