#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reservation check cost (issue 9 row 8): registers NREGS keys from new
I_T nexuses (logins with new ISIDs, loopback), then a holder registers last,
reserves (Write Exclusive) and times 2000 READ(10)s of one block. Start
tgtxd with --pr-max-registrations above NREGS; LUN 1 of IQN.

usage: pr_lookup.py PORT IQN NREGS"""
import os
import statistics
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "system"))
from iscsi_raw import Conn  # noqa: E402
from attack import pr_register, clear_ua  # noqa: E402
port, iqn, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
holder = Conn("127.0.0.1", port)
holder.login(iqn, "iqn.2026-11.org.tgtx:holder")
clear_ua(holder)
t0 = time.time()
for i in range(n):
    c = Conn("127.0.0.1", port)
    c.login(iqn, "iqn.2026-11.org.tgtx:reg", isid=bytes([0x80, 0, 1, i >> 16 & 255, i >> 8 & 255, i & 255]))
    clear_ua(c)
    st, _ = pr_register(c, 0x1000 + i)
    assert st == 0, (i, st)
    c.close()
assert pr_register(holder, 0xABC)[0] == 0
# RESERVE, Write Exclusive, by the holder
param = struct.pack(">QQ", 0xABC, 0) + b"\0" * 8
cdb = bytes([0x5F, 0x01, 0x01, 0, 0]) + struct.pack(">I", 24) + b"\0"
st, _ = holder.scsi(cdb, 0xA0, 24, param)
assert st == 0, st
lat = []
for k in range(2000):
    t = time.perf_counter()
    st, d = holder.scsi(bytes([0x28, 0]) + struct.pack(">IBHB", 0, 0, 1, 0), 0xC0, 512)
    lat.append((time.perf_counter() - t) * 1e6)
    assert st == 0
print(f"{n} registrants (registered in {time.time()-t0:.0f} s): holder READ(10) 512 B median {statistics.median(lat):.0f} us, p90 {sorted(lat)[1800]:.0f} us")
