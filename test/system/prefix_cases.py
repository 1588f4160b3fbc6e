#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hand-made histories and images for tgtx-prefixcheck (the write-order
checker of the replicator's disaster tests).

Each case writes a history in tgtx-load --history form and a volume image
of self-describing blocks (test/tools/tool_common.h, tool_block_fill), runs
the checker and compares its exit status with the expected one: 0 a prefix,
4 not a prefix (or below the floor), 1 a history that cannot be checked.

usage: prefix_cases.py CHECKER WORKDIR
"""
import os
import subprocess
import sys

BS = 512
NBLOCKS = 64
M64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def block(wid, lba):
    st = splitmix64(wid ^ splitmix64(lba))
    out = bytearray(b"TGTXBLK1")
    out += lba.to_bytes(8, "little") + wid.to_bytes(8, "little")
    while len(out) < BS:
        st = splitmix64(st)
        out += st.to_bytes(8, "little")
    return bytes(out[:BS])


class Case:
    """A history (events) and an image (LBA -> block bytes)."""

    def __init__(self, name, want, args=()):
        self.name, self.want, self.args = name, want, list(args)
        self.lines, self.blocks, self.where, self.t = [], {}, {}, 1000

    def s(self, wid, lba, n=1):
        self.where[wid] = (lba, n)
        self.t += 1
        self.lines.append(f"s {wid} {lba} {n} {self.t}\n")
        return self

    def a(self, wid, t=None):
        self.t = t if t is not None else self.t + 1
        self.lines.append(f"a {wid} {self.t}\n")
        return self

    def e(self, wid):
        self.t += 1
        self.lines.append(f"e {wid} {self.t}\n")
        return self

    def b(self):
        self.lines.append("b\n")
        return self

    def qd1(self, *writes):
        for wid, lba, n in writes:
            self.s(wid, lba, n).a(wid)
        return self

    def show(self, *wids, skip=()):
        """The image shows these writes (in this order, later wins),
        except the LBAs in skip."""
        for wid in wids:
            lba, n = self.where[wid]
            for b in range(lba, lba + n):
                if b not in skip:
                    self.blocks[b] = block(wid, b)
        return self

    def put(self, lba, data):
        self.blocks[lba] = data
        return self

    def run(self, checker, work):
        hist = os.path.join(work, self.name + ".hist")
        img = os.path.join(work, self.name + ".img")
        with open(hist, "w") as f:
            f.writelines(self.lines)
        with open(img, "wb") as f:
            for b in range(NBLOCKS):
                f.write(self.blocks.get(b, bytes(BS)))
        r = subprocess.run(
            [checker, "--image", img, "--history", hist] + self.args,
            capture_output=True, text=True)
        ok = r.returncode == self.want
        print(f"{'ok  ' if ok else 'FAIL'} {self.name}: exit {r.returncode}"
              f" (want {self.want}): {(r.stdout + r.stderr).strip()}")
        return ok


def cases():
    c = []
    w5 = [(1, 0, 1), (2, 8, 2), (3, 16, 1), (4, 0, 1), (5, 24, 4)]
    c.append(Case("qd1-all", 0).qd1(*w5).show(1, 2, 3, 4, 5))
    c.append(Case("qd1-prefix", 0).qd1(*w5).show(1, 2, 3))
    c.append(Case("qd1-nothing", 0).qd1(*w5))
    # write 5 is there, write 3 (acknowledged before 5 was sent) is not
    c.append(Case("qd1-mixed-missing", 4).qd1(*w5).show(1, 2, 4, 5))
    # block 0 still holds write 1 although write 4 rewrote it before the
    # cut (write 5 is there)
    c.append(Case("qd1-mixed-old-version", 4).qd1(*w5).show(1, 2, 3, 5))
    # half of the two-block write 2
    c.append(Case("qd1-torn-write", 4).qd1(*w5).show(1, 2, skip={9}))
    # QD>1: 1 and 2 in flight together, either may be first
    for name, shown in (("both", (1, 2)), ("first", (1,)), ("second", (2,))):
        c.append(Case("qd2-" + name, 0).s(1, 0).s(2, 8).a(2).a(1)
                 .show(*shown))
    # 3 was sent after 1's ack, before 2's: 3 without 2 is a prefix ...
    c.append(Case("qd2-cut-in-flight", 0).s(1, 0).s(2, 8).a(1).s(3, 16)
             .a(2).a(3).show(1, 3))
    # ... 3 without 1 is not
    c.append(Case("qd2-skips-acked", 4).s(1, 0).s(2, 8).a(1).s(3, 16)
             .a(2).a(3).show(2, 3))
    # the floor: writes acknowledged before it must be there
    fl = [(1, 0, 1), (2, 8, 1), (3, 16, 1), (4, 24, 1), (5, 32, 1)]

    def floor_case(name, want, floor):
        k = Case(name, want, ["--acked-before", str(floor)])
        for wid, lba, n in fl:
            k.s(wid, lba, n).a(wid, t=wid * 100 + 50)
        return k.show(1, 2, 3)
    c.append(floor_case("floor-met", 0, 351))
    c.append(floor_case("floor-missed", 4, 451))
    bad = bytearray(block(2, 8))
    bad[300] ^= 1
    c.append(Case("torn-block", 4).qd1(*w5).show(1).put(8, bytes(bad)))
    c.append(Case("unknown-write", 4).qd1(*w5).show(1).put(40, block(9, 40)))
    c.append(Case("misplaced-block", 4).qd1(*w5).show(1).put(
        40, block(1, 40)))
    c.append(Case("garbage", 4).qd1(*w5).put(50, os.urandom(BS)))
    # overlapping writes in flight together: no order to check against
    c.append(Case("unordered-history", 1).s(1, 0).s(2, 0).a(1).a(2)
             .show(2))
    # a barrier settles write 1 (never acknowledged): present or not ...
    for name, shown in (("with", (1, 2)), ("without", (2,))):
        c.append(Case("barrier-" + name, 0).s(1, 0).b().s(2, 8, 2).a(2)
                 .show(*shown))
    # ... but it cannot win over a later write to the same block
    c.append(Case("barrier-overwritten", 4).s(1, 0).b().s(2, 0, 2).a(2)
             .show(2).show(1))
    c.append(Case("failed-write-landed", 0).s(1, 0).e(1).s(2, 8).a(2)
             .show(1, 2))
    c.append(Case("failed-write-lost", 0).s(1, 0).e(1).s(2, 8).a(2)
             .show(2))
    # the writer killed in the middle of a line: the torn line is ignored
    k = Case("torn-history-line", 0).qd1(*w5[:2]).show(1, 2)
    k.lines.append("s 3 16")
    c.append(k)
    return c


def main():
    checker, work = sys.argv[1], sys.argv[2]
    results = [k.run(checker, work) for k in cases()]
    print(f"{sum(results)} of {len(results)} cases as expected")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
