#!/usr/bin/env bash
# The write-order checker of the replicator's disaster tests
# (test/tools/tgtx-prefixcheck) on hand-made histories and images
# (prefix_cases.py): QD1 and QD>1 prefixes pass; a mix of versions, a
# missing acknowledged write, a torn or foreign block, an image below the
# acknowledgement floor fail; a history that does not order overlapping
# writes is refused. Then on a real one: tgtx-load --history (QD8) against
# a tgtxd rdwr LUN, whose file is a prefix after it, and stops being one
# when a block of the last write is zeroed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PC=$B/test/tools/tgtx-prefixcheck
[ -x "$PC" ] || fail "no $PC (make SAN=asan tests)"
work=$(tmpdir cases)
python3 "$TGTX_TOP/test/system/prefix_cases.py" "$PC" "$work" ||
	fail "the checker misjudged a hand-made case (above)"
pass "every hand-made history and image judged as expected"

# A real history: the LUN file itself is the image.
IQN=iqn.2026-11.org.tgtx:prefix
IMG=$TGTX_TEST_DIR/lun.img
HIST=$TGTX_TEST_DIR/hist.txt
truncate -s 8M "$IMG"
start_tgtxd main
tgtxadm_ctl --op new --mode target --tid 1 -T "$IQN"
tgtxadm_ctl --op new --mode logicalunit --tid 1 --lun 1 -b "$IMG" \
	--params write-cache=off
tgtxadm_ctl --op bind --mode target --tid 1 -I ALL
"$LOAD" --url "$(lun_url "$IQN" 1)" --qd 8 --bs 4K --pattern rand \
	--rw write --seconds 3 --history "$HIST" >"$TGTX_TEST_DIR/load.txt" 2>&1 &
lpid=$!
track_proc "$lpid" 2
wait "$lpid" || fail "load: $(cat "$TGTX_TEST_DIR/load.txt")"
out=$("$PC" --image "$IMG" --history "$HIST") || fail "after the load: $out"
log "$out"
grep -q "order partial (QD>1)" <<<"$out" || fail "QD8 history read as total"
pass "a QD8 history and the LUN written by it: prefix"
# roll one block of a write that was later overwritten nearby back to zero
lba=$(awk '$1 == "s" { l = $3 } END { print l }' "$HIST")
dd if=/dev/zero of="$IMG" bs=512 seek="$lba" count=1 conv=notrunc status=none
rc=0
out=$("$PC" --image "$IMG" --history "$HIST") || rc=$?
log "$out"
[ "$rc" -eq 4 ] || fail "a block of the last write zeroed: exit $rc, expected 4"
pass "a zeroed block of an acknowledged write: not a prefix"
