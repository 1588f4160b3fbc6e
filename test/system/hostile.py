#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile iSCSI initiator for system tests: sends garbage, truncated PDUs,
oversized data segments, out-of-window CmdSNs and protocol violations to a
target on loopback. Exits 0 when every probe behaved as the RFC allows (the
target answered, rejected or closed the connection, but never hung or died);
the caller checks separately that the daemon still serves other sessions.

usage: hostile.py HOST PORT TARGET_IQN"""
import os
import random
import socket
import struct
import sys

HOST, PORT, IQN = sys.argv[1], int(sys.argv[2]), sys.argv[3]
TIMEOUT = 5.0
failures = []


def bhs(opcode, flags=0, spec=b"\0\0", ahslen=0, dlen=0, lun=b"\0" * 8,
        itt=0, rest=b""):
    hdr = bytes([opcode, flags]) + spec + bytes([ahslen]) + \
        dlen.to_bytes(3, "big") + lun + struct.pack(">I", itt) + rest
    return hdr.ljust(48, b"\0")


def pad(data):
    return data + b"\0" * (-len(data) % 4)


def conn():
    s = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_pdu(s):
    """Returns (bhs, data) or None when the target closed the connection."""
    try:
        h = recv_exact(s, 48)
        if h is None:
            return None
        dlen = int.from_bytes(h[5:8], "big")
        data = recv_exact(s, (dlen + 3) & ~3) if dlen else b""
        return h, (data or b"")[:dlen]
    except (socket.timeout, ConnectionResetError):
        return None


def login(s, isid=None, session_type="Normal"):
    """One-step login (security skipped) straight to full feature phase."""
    isid = isid or bytes([0x80, 0, 0, 0, random.randint(0, 255), 1])
    keys = [f"InitiatorName=iqn.2026-11.org.tgtx:hostile",
            f"SessionType={session_type}",
            "HeaderDigest=None", "DataDigest=None",
            "MaxRecvDataSegmentLength=65536"]
    if session_type == "Normal":
        keys.append(f"TargetName={IQN}")
    data = "\0".join(keys).encode() + b"\0"
    # CSG=1 (operational) NSG=3 (full feature), T bit
    rest = struct.pack(">HHII", 0, 0, 0, 0)  # CID, rsvd, CmdSN, ExpStatSN
    hdr = bytes([0x43, 0x87, 0, 0, 0]) + len(data).to_bytes(3, "big") + \
        isid + b"\0\0" + struct.pack(">I", 1) + rest
    s.sendall(hdr.ljust(48, b"\0") + pad(data))
    r = recv_pdu(s)
    if r is None:
        return None
    h, _ = r
    if h[0] & 0x3f != 0x23 or h[36] != 0:
        return None
    if not h[1] & 0x80 or h[1] & 0x03 != 3:
        return None
    return struct.unpack(">I", h[28:32])[0]  # ExpCmdSN


def nop(s, cmdsn, itt=0x1234):
    rest = struct.pack(">III", 0xffffffff, cmdsn, 0)
    s.sendall(bhs(0x00, 0x80, itt=itt, rest=rest))


def expect_alive_nop(s, cmdsn, what):
    nop(s, cmdsn, itt=0x77)
    while True:
        r = recv_pdu(s)
        if r is None:
            failures.append(f"{what}: connection lost, NOP-Out unanswered")
            return
        if r[0][0] & 0x3f == 0x20 and struct.unpack(">I", r[0][16:20])[0] == 0x77:
            return


def expect_closed_or_reject(s, what):
    """After a fatal error the target may reject and/or close; both are fine,
    but it must not leave the socket hanging silently forever."""
    while True:
        r = recv_pdu(s)
        if r is None:
            return
        if r[0][0] & 0x3f in (0x3f, 0x23, 0x21, 0x26):
            return


def probe(name, fn):
    try:
        fn()
    except (ConnectionResetError, BrokenPipeError):
        pass  # the target dropping a hostile connection is allowed
    except socket.timeout:
        failures.append(f"{name}: timed out")
    except Exception as e:  # noqa: BLE001
        failures.append(f"{name}: {e!r}")


def garbage():
    s = conn()
    s.sendall(os.urandom(65536))
    expect_closed_or_reject(s, "garbage")
    s.close()


def truncated():
    for n in (1, 20, 47):
        s = conn()
        s.sendall(bhs(0x43, 0x87)[:n])
        s.shutdown(socket.SHUT_WR)
        expect_closed_or_reject(s, "truncated")
        s.close()


def oversized_login():
    s = conn()
    s.sendall(bhs(0x43, 0x87, dlen=0xffffff) + b"A" * 4096)
    expect_closed_or_reject(s, "oversized login")
    s.close()


def huge_ahs():
    s = conn()
    s.sendall(bhs(0x43, 0x87, ahslen=255) + os.urandom(1020))
    expect_closed_or_reject(s, "ahs")
    s.close()


def bad_login_text():
    s = conn()
    data = b"InitiatorName=" + b"x" * 5000 + b"\0" + b"=\0==\0noequals\0"
    hdr = bytes([0x43, 0x87, 0, 0, 0]) + len(data).to_bytes(3, "big")
    s.sendall(hdr.ljust(48, b"\0") + pad(data))
    r = recv_pdu(s)
    if r is not None and r[0][0] & 0x3f == 0x23 and r[0][36] == 0:
        failures.append("bad login text: login accepted")
    s.close()


def out_of_window():
    s = conn()
    cmdsn = login(s)
    if cmdsn is None:
        failures.append("out of window: login failed")
        return
    # TEST UNIT READY far ahead and behind the window: must be ignored
    for sn in (cmdsn + 100000, cmdsn - 5000):
        rest = struct.pack(">III", 0, sn & 0xffffffff, 0) + b"\0" * 16
        s.sendall(bhs(0x01, 0x80, lun=b"\0\1" + b"\0" * 6, itt=9, rest=rest))
    expect_alive_nop(s, cmdsn, "out of window")
    s.close()


def unknown_opcode():
    s = conn()
    cmdsn = login(s)
    if cmdsn is None:
        failures.append("unknown opcode: login failed")
        return
    s.sendall(bhs(0x1f, 0x80, itt=5, rest=struct.pack(">II", 0, cmdsn)))
    r = recv_pdu(s)
    if r is not None and r[0][0] & 0x3f != 0x3f:
        failures.append(f"unknown opcode: answered opcode {r[0][0]:#x}, not Reject")
    s.close()


def bad_data_out():
    s = conn()
    cmdsn = login(s)
    if cmdsn is None:
        failures.append("bad data-out: login failed")
        return
    # Data-Out for a task that does not exist, then oversized Data-Out
    rest = struct.pack(">IIIIII", 0xdeadbeef, 0, 0, 0, 0, 0)
    s.sendall(bhs(0x05, 0x80, dlen=512, itt=0x4444, rest=rest) + b"z" * 512)
    s.sendall(bhs(0x05, 0x80, dlen=0xffffff, itt=0x4445, rest=rest) + b"z" * 1024)
    expect_closed_or_reject(s, "bad data-out")
    s.close()


def huge_write():
    s = conn()
    cmdsn = login(s)
    if cmdsn is None:
        failures.append("huge write: login failed")
        return
    # WRITE(16) of 2^32-1 blocks with EDTL 4 GiB - 1 and no data
    cdb = bytes([0x8a, 0]) + (0).to_bytes(8, "big") + (0xffffffff).to_bytes(4, "big") + b"\0\0"
    rest = struct.pack(">III", 0xffffffff, cmdsn, 0) + cdb
    s.sendall(bhs(0x01, 0xa0, lun=b"\0\1" + b"\0" * 6, itt=11, rest=rest))
    r = recv_pdu(s)
    # a CHECK CONDITION response or a Reject or a close are all fine; an R2T
    # for 4 GiB would mean the target is willing to buffer it
    if r is not None and r[0][0] & 0x3f == 0x31:
        want = struct.unpack(">I", r[0][44:48])[0]
        if want > 64 << 20:
            failures.append(f"huge write: R2T for {want} bytes")
    s.close()


def idle_flood():
    socks = []
    try:
        for _ in range(200):
            socks.append(conn())
    finally:
        for s in socks:
            s.close()


def half_login_then_close():
    for _ in range(50):
        s = conn()
        s.sendall(bhs(0x43, 0x87, dlen=100)[:48] + b"InitiatorName=iqn.x")
        s.close()


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
