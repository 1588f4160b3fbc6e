#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile iSCSI initiator for system tests: sends garbage, truncated PDUs,
oversized data segments, out-of-window CmdSNs and protocol violations to a
target on loopback. Exits 0 when every probe behaved as the RFC allows (the
target answered, rejected or closed the connection, but never hung or died);
the caller checks separately that the daemon still serves other sessions.
"Never hung" is enforced: a target that neither answers nor closes within
HANG seconds (longer than tgtxd's 30 s login deadline) fails the probe, and
a silence is never taken for a close.

usage: hostile.py HOST PORT TARGET_IQN"""
import os
import socket
import struct
import sys

from iscsi_raw import Conn, bhs, pad

HOST, PORT, IQN = sys.argv[1], int(sys.argv[2]), sys.argv[3]
TIMEOUT = 5.0
HANG = 35.0
failures = []


class Hung(Exception):
    pass


def conn():
    return Conn(HOST, PORT, timeout=TIMEOUT)


def recv_pdu(c, limit=HANG):
    """(bhs, data), or None when the target closed the connection; raises
    Hung when it did neither within `limit` seconds."""
    c.s.settimeout(limit)
    try:
        return c.recv()
    except (EOFError, ConnectionResetError):
        return None
    except socket.timeout:
        raise Hung(f"no answer and no close within {limit:.0f} s") from None


def login(c):
    """Full feature phase, or None when the target refused."""
    try:
        c.login(IQN, "iqn.2026-11.org.tgtx:hostile")
    except (RuntimeError, EOFError, ConnectionResetError):
        return None
    return c.cmdsn


def nop(c, cmdsn, itt=0x1234):
    rest = struct.pack(">III", 0xffffffff, cmdsn, 0)
    c.s.sendall(bhs(0x00, 0x80, itt=itt, rest=rest))


def expect_alive_nop(c, cmdsn, what):
    """Sends a NOP-Out and returns the PDUs that came before its NOP-In
    (None when the connection was lost)."""
    nop(c, cmdsn, itt=0x77)
    before = []
    while True:
        r = recv_pdu(c)
        if r is None:
            failures.append(f"{what}: connection lost, NOP-Out unanswered")
            return None
        if r[0][0] & 0x3f == 0x20 and struct.unpack(">I", r[0][16:20])[0] == 0x77:
            return before
        before.append(r)


def expect_closed_or_reject(c, what):
    """After a fatal error the target may reject and/or close; both are fine,
    but it must not leave the socket hanging silently forever."""
    while True:
        r = recv_pdu(c)
        if r is None:
            return
        if r[0][0] & 0x3f in (0x3f, 0x23, 0x21, 0x26):
            return


def probe(name, fn):
    try:
        fn()
    except (ConnectionResetError, BrokenPipeError):
        pass  # the target dropping a hostile connection is allowed
    except Hung as e:
        failures.append(f"{name}: hung: {e}")
    except socket.timeout:
        failures.append(f"{name}: timed out")
    except Exception as e:  # noqa: BLE001
        failures.append(f"{name}: {e!r}")


def garbage():
    c = conn()
    c.s.sendall(os.urandom(65536))
    expect_closed_or_reject(c, "garbage")
    c.close()


def truncated():
    for n in (1, 20, 47):
        c = conn()
        c.s.sendall(bhs(0x43, 0x87)[:n])
        c.s.shutdown(socket.SHUT_WR)
        expect_closed_or_reject(c, "truncated")
        c.close()


def oversized_login():
    c = conn()
    c.s.sendall(bhs(0x43, 0x87, dlen=0xffffff) + b"A" * 4096)
    expect_closed_or_reject(c, "oversized login")
    c.close()


def huge_ahs():
    c = conn()
    c.s.sendall(bhs(0x43, 0x87, ahslen=255) + os.urandom(1020))
    expect_closed_or_reject(c, "ahs")
    c.close()


def bad_login_text():
    c = conn()
    data = b"InitiatorName=" + b"x" * 5000 + b"\0" + b"=\0==\0noequals\0"
    hdr = bytes([0x43, 0x87, 0, 0, 0]) + len(data).to_bytes(3, "big")
    c.s.sendall(hdr.ljust(48, b"\0") + pad(data))
    r = recv_pdu(c)
    if r is not None and r[0][0] & 0x3f == 0x23 and r[0][36] == 0:
        failures.append("bad login text: login accepted")
    c.close()


def out_of_window():
    c = conn()
    cmdsn = login(c)
    if cmdsn is None:
        failures.append("out of window: login failed")
        return
    # TEST UNIT READY far ahead and behind the window: must be ignored
    # (RFC 7143 3.2.2.1), so nothing may answer ITT 9 before the NOP-In
    # that answers the in-window NOP-Out sent after them
    for sn in (cmdsn + 100000, cmdsn - 5000):
        rest = struct.pack(">III", 0, sn & 0xffffffff, 0) + b"\0" * 16
        c.s.sendall(bhs(0x01, 0x80, lun=b"\0\1" + b"\0" * 6, itt=9, rest=rest))
    before = expect_alive_nop(c, cmdsn, "out of window")
    for r in before or []:
        if struct.unpack(">I", r[0][16:20])[0] == 9:
            failures.append(f"out of window: the command was answered "
                            f"(opcode {r[0][0] & 0x3f:#x})")
    c.close()


def unknown_opcode():
    c = conn()
    cmdsn = login(c)
    if cmdsn is None:
        failures.append("unknown opcode: login failed")
        return
    c.s.sendall(bhs(0x1f, 0x80, itt=5, rest=struct.pack(">II", 0, cmdsn)))
    r = recv_pdu(c)
    if r is not None and r[0][0] & 0x3f != 0x3f:
        failures.append(f"unknown opcode: answered opcode {r[0][0]:#x}, not Reject")
    c.close()


def bad_data_out():
    c = conn()
    cmdsn = login(c)
    if cmdsn is None:
        failures.append("bad data-out: login failed")
        return
    # Data-Out for a task that does not exist, then oversized Data-Out
    rest = struct.pack(">IIIIII", 0xdeadbeef, 0, 0, 0, 0, 0)
    c.s.sendall(bhs(0x05, 0x80, dlen=512, itt=0x4444, rest=rest) + b"z" * 512)
    c.s.sendall(bhs(0x05, 0x80, dlen=0xffffff, itt=0x4445, rest=rest) + b"z" * 1024)
    expect_closed_or_reject(c, "bad data-out")
    c.close()


def huge_write():
    c = conn()
    cmdsn = login(c)
    if cmdsn is None:
        failures.append("huge write: login failed")
        return
    # WRITE(16) of 2^32-1 blocks with EDTL 4 GiB - 1 and no data
    cdb = bytes([0x8a, 0]) + (0).to_bytes(8, "big") + (0xffffffff).to_bytes(4, "big") + b"\0\0"
    rest = struct.pack(">III", 0xffffffff, cmdsn, 0) + cdb
    c.s.sendall(bhs(0x01, 0xa0, lun=b"\0\1" + b"\0" * 6, itt=11, rest=rest))
    r = recv_pdu(c)
    # a CHECK CONDITION response or a Reject or a close are all fine; an R2T
    # for 4 GiB would mean the target is willing to buffer it
    if r is not None and r[0][0] & 0x3f == 0x31:
        want = struct.unpack(">I", r[0][44:48])[0]
        if want > 64 << 20:
            failures.append(f"huge write: R2T for {want} bytes")
    c.close()


def idle_flood():
    socks = []
    try:
        for _ in range(200):
            socks.append(conn())
    finally:
        for c in socks:
            c.close()


def half_login_then_close():
    for _ in range(50):
        c = conn()
        c.s.sendall(bhs(0x43, 0x87, dlen=100)[:48] + b"InitiatorName=iqn.x")
        c.close()


for name, fn in [("garbage", garbage), ("truncated", truncated),
                 ("oversized login", oversized_login), ("huge ahs", huge_ahs),
                 ("bad login text", bad_login_text),
                 ("out of window", out_of_window),
                 ("unknown opcode", unknown_opcode),
                 ("bad data-out", bad_data_out), ("huge write", huge_write),
                 ("idle flood", idle_flood),
                 ("half login", half_login_then_close)]:
    probe(name, fn)
    print(f"probe {name}: done")

if failures:
    for f in failures:
        print("FAIL:", f)
    sys.exit(1)
print("all hostile probes handled")
