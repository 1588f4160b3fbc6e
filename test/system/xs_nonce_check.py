#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks the nonce log an xorshare store writes in test mode
(TGTX_TEST_XS_NONCE_LOG): one 24-byte entry (LBA, generation, CRC32C of the
block, little-endian u64 each) per block it ever logged. A generation is the
nonce of the block's shares: used for two different (block, content) pairs,
one peer could learn their XOR. Exit 0 when no generation was ever used for
two different contents; else prints the first clashes and exits 1.

usage: xs_nonce_check.py NONCE_LOG"""
import struct
import sys


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    data = open(sys.argv[1], "rb").read()
    if len(data) % 24:
        print(f"{sys.argv[1]}: truncated entry", file=sys.stderr)
        return 1
    seen, clashes = {}, 0
    for off in range(0, len(data), 24):
        lba, gen, crc = struct.unpack_from("<QQQ", data, off)
        if gen == 0:
            print(f"entry {off // 24}: generation 0", file=sys.stderr)
            return 1
        prev = seen.setdefault(gen, (lba, crc))
        if prev != (lba, crc):
            clashes += 1
            if clashes <= 5:
                print(f"generation {gen}: LBA {prev[0]} crc {prev[1]:#x} "
                      f"and LBA {lba} crc {crc:#x}", file=sys.stderr)
    print(f"{len(data) // 24} blocks logged, {len(seen)} generations, "
          f"{clashes} reused for other content")
    return 1 if clashes else 0


if __name__ == "__main__":
    sys.exit(main())
