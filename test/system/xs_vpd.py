#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reads INQUIRY VPD page 0xC0 (the xorshare identification page, see
bs_xorshare/bs_xorshare.h) from a LUN on loopback. libiscsi's iscsi-inq
refuses vendor pages it cannot decode, hence this minimal initiator.

usage: xs_vpd.py HOST PORT TARGET_IQN LUN

Prints "xorshare k=K n=N uuid=UUID version=V" and exits 0 when the LUN
answers the page with the TGTX-XORSHARE marker; prints "no-page" and exits
3 when the LUN rejects the page (CHECK CONDITION) or answers without the
marker; exits 1 on protocol or connection trouble."""
import struct
import socket
import sys
import uuid

PAGE = 0xC0
MARKER = b"TGTX-XORSHARE"
TIMEOUT = 10.0


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("target closed the connection")
        buf += chunk
    return buf


def recv_pdu(s):
    h = recv_exact(s, 48)
    ahs = h[4] * 4
    if ahs:
        recv_exact(s, ahs)
    dlen = int.from_bytes(h[5:8], "big")
    data = recv_exact(s, (dlen + 3) & ~3)[:dlen] if dlen else b""
    return h, data


def login(s, iqn):
    keys = ["InitiatorName=iqn.2026-11.org.tgtx:xs-vpd",
            "SessionType=Normal", f"TargetName={iqn}",
            "HeaderDigest=None", "DataDigest=None",
            "MaxRecvDataSegmentLength=65536"]
    data = "\0".join(keys).encode() + b"\0"
    isid = bytes([0x80, 0, 0, 0, 0x5a, 1])
    # Login request, T bit, CSG=operational NSG=full feature
    hdr = bytes([0x43, 0x87, 0, 0, 0]) + len(data).to_bytes(3, "big") + \
        isid + b"\0\0" + struct.pack(">IHHII", 1, 0, 0, 0, 0)
    s.sendall(hdr.ljust(48, b"\0") + data + b"\0" * (-len(data) % 4))
    h, _ = recv_pdu(s)
    if h[0] & 0x3F != 0x23 or h[36] != 0:
        raise RuntimeError(f"login refused: class {h[36]} detail {h[37]}")
    if not h[1] & 0x80 or h[1] & 0x03 != 3:
        raise RuntimeError("login did not reach full feature phase")
    return struct.unpack(">I", h[24:28])[0] + 1  # next ExpStatSN


def inquiry(s, lun, statsn):
    alloc = 255
    cdb = bytes([0x12, 0x01, PAGE, 0, alloc, 0]).ljust(16, b"\0")
    lunf = bytes([lun >> 8 & 0x3F, lun & 0xFF]).ljust(8, b"\0")
    # SCSI command: F + R, simple task attribute
    hdr = bytes([0x01, 0xC1, 0, 0, 0, 0, 0, 0]) + lunf + \
        struct.pack(">IIII", 0x10, alloc, 0, statsn) + cdb
    s.sendall(hdr)
    data = b""
    while True:
        h, d = recv_pdu(s)
        op = h[0] & 0x3F
        if op == 0x25:  # Data-In
            data += d
            if h[1] & 0x01:  # S bit: status is here
                return h[3], data
        elif op == 0x21:  # SCSI response
            return h[3], data
        elif op == 0x20:  # NOP-In: ignore
            continue
        else:
            raise RuntimeError(f"unexpected opcode 0x{op:02x}")


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 1
    host, port, iqn, lun = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        int(sys.argv[4])
    try:
        s = socket.create_connection((host, port), timeout=TIMEOUT)
        statsn = login(s, iqn)
        status, data = inquiry(s, lun, statsn)
        s.close()
    except (OSError, RuntimeError, ConnectionError) as e:
        print(f"xs_vpd: {e}", file=sys.stderr)
        return 1
    if status != 0 or len(data) < 40 or data[1] != PAGE or \
            data[4:4 + len(MARKER)] != MARKER:
        print("no-page")
        return 3
    u = uuid.UUID(bytes=bytes(data[24:40]))
    print(f"xorshare k={data[21]} n={data[22]} uuid={u} version={data[20]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
