#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fakes what a crash in the middle of a share-log append leaves behind, for
the kill -9 test: finds the end of the valid record chain in the newest
segment of a share log (formats: bs_xorshare/log/sharelog_format.h) and
writes there a record that was never made durable:

  partial  a valid header for the next seq, then only part of its data
  badcrc   a complete record whose payload checksum does not match
  garbage  random bytes

usage: xs_tear.py LOGDIR partial|badcrc|garbage
Prints "seq=S offset=O bytes=B" (what was written); exits 1 when the log
does not look as expected (then nothing is written)."""
import glob
import os
import struct
import sys

REC_MAGIC = 0x32525358
SEG_HDR = 64
REC_HDR = 64


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def make_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        t.append(c)
    return t


TABLE = make_table()


def walk(f, size, first_seq):
    """Returns (end offset of the valid chain, next seq). Header CRCs
    are checked on the first and the last record only: pure Python is slow
    and a SIGKILLed append can only leave its damage at the end."""
    off, seq, first, last = SEG_HDR, first_seq, True, None
    while off + REC_HDR <= size:
        f.seek(off)
        h = f.read(REC_HDR)
        magic, rec_len, rseq = struct.unpack_from("<I", h, 0)[0], \
            struct.unpack_from("<I", h, 12)[0], \
            struct.unpack_from("<Q", h, 16)[0]
        if magic != REC_MAGIC or rseq != seq or rec_len < REC_HDR or \
                off + rec_len > size:
            break
        if first and not hdr_ok(h):
            break
        first, last = False, (off, h)
        off += rec_len
        seq += 1
    if last and not hdr_ok(last[1]):
        off, seq = last[0], seq - 1
    return off, seq


def hdr_ok(h):
    return struct.unpack_from("<I", h, 60)[0] == crc32c(h[:60])


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("partial", "badcrc",
                                                   "garbage"):
        print(__doc__, file=sys.stderr)
        return 1
    segs = sorted(glob.glob(os.path.join(sys.argv[1], "seg-*.sl")))
    if not segs:
        print("xs_tear: no segment", file=sys.stderr)
        return 1
    path, mode = segs[-1], sys.argv[2]
    with open(path, "r+b") as f:
        size = os.fstat(f.fileno()).st_size
        seg = f.read(SEG_HDR)
        if len(seg) < SEG_HDR or seg[:8] != b"TGTXSLOG":
            print(f"xs_tear: {path} has no segment header", file=sys.stderr)
            return 1
        first_seq = struct.unpack_from("<Q", seg, 24)[0]
        end, seq = walk(f, size, first_seq)
        # (a segment just rotated in holds no record: the torn one is first)
        block = struct.unpack_from("<I", seg, 56)[0]
        nblocks = 4096 // block if block <= 4096 else 1
        payload = os.urandom(nblocks * block)
        rec_len = REC_HDR + len(payload)
        hdr = struct.pack("<IHBBIIQQQQIII", REC_MAGIC, 2, 1, 0, nblocks,
                          rec_len, seq, 0, 0, 1 << 62,
                          crc32c(payload[:512]) ^ 1, block, 0)
        hdr += struct.pack("<I", crc32c(hdr))
        if mode == "partial":
            blob = hdr + payload[:len(payload) // 2]
        elif mode == "badcrc":
            blob = hdr + payload + bytes(rec_len - REC_HDR - len(payload))
        else:
            blob = os.urandom(1000)
        f.seek(end)
        f.write(blob)
    print(f"seq={seq} offset={end} bytes={len(blob)} file={path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
