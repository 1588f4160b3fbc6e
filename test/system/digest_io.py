#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Raw iSCSI initiator that negotiates HeaderDigest=CRC32C and
DataDigest=CRC32C (libiscsi's tools only do header digests), writes blocks
with immediate data, reads them back, checks every digest the target sends
and the data; then sends a PDU with a corrupt data digest and one with a
corrupt header digest and expects the target to drop the connection (ERL 0).

usage: digest_io.py HOST PORT TARGET_IQN LUN"""
import os
import socket
import struct
import sys

HOST, PORT, IQN, LUN = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
# away from the blocks other tests check (LUN of at least 64 MiB)
BASE = 120000

_T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    _T.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b"\0" * 32) == 0x8A9136AA  # RFC 3720 B.4


def digest(data):
    return struct.pack("<I", crc32c(data))


def pad(data):
    return data + b"\0" * (-len(data) % 4)


class RejectError(Exception):
    def __init__(self, reason):
        super().__init__(f"Reject reason {reason:#x}")
        self.reason = reason


class Conn:
    def __init__(self):
        self.s = socket.create_connection((HOST, PORT), timeout=10)
        self.hd = self.dd = False
        self.itt = 1
        self.cmdsn = 0
        self.statsn = 0

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed by the target")
            buf += chunk
        return buf

    def send(self, bhs, data=b"", bad_hd=False, bad_dd=False):
        bhs = bhs[:5] + len(data).to_bytes(3, "big") + bhs[8:]
        out = bhs
        if self.hd:
            d = digest(bhs)
            out += bytes([d[0] ^ 1]) + d[1:] if bad_hd else d
        if data:
            out += pad(data)
            if self.dd:
                d = digest(pad(data))
                out += bytes([d[0] ^ 1]) + d[1:] if bad_dd else d
        self.s.sendall(out)

    def recv(self):
        bhs = self.recv_exact(48)
        if self.hd and self.recv_exact(4) != digest(bhs):
            raise ValueError("bad header digest from the target")
        dlen = int.from_bytes(bhs[5:8], "big")
        data = b""
        if dlen:
            data = self.recv_exact((dlen + 3) & ~3)
            if self.dd and self.recv_exact(4) != digest(data):
                raise ValueError("bad data digest from the target")
        return bhs, data[:dlen]

    def login(self):
        keys = ["InitiatorName=iqn.2026-11.org.tgtx:digest-test",
                f"TargetName={IQN}", "SessionType=Normal",
                "HeaderDigest=CRC32C", "DataDigest=CRC32C",
                "ImmediateData=Yes", "InitialR2T=No",
                "MaxRecvDataSegmentLength=8192"]
        data = ("\0".join(keys) + "\0").encode()
        isid = bytes([0x80, 0, 0, 0, 0x42, 1])
        bhs = bytes([0x43, 0x87, 0, 0, 0, 0, 0, 0]) + isid + b"\0\0" + \
            struct.pack(">IHHII", self.itt, 0, 0, 0, 0)
        self.send(bhs.ljust(48, b"\0"), data)
        rsp, text = self.recv()
        if rsp[0] & 0x3F != 0x23 or rsp[36] != 0:
            raise RuntimeError(f"login failed: status {rsp[36]:#x}/{rsp[37]:#x}")
        kv = dict(p.split("=", 1) for p in text.decode().split("\0") if "=" in p)
        if kv.get("HeaderDigest") != "CRC32C" or kv.get("DataDigest") != "CRC32C":
            raise RuntimeError(f"digests not accepted: {kv}")
        self.statsn = struct.unpack(">I", rsp[24:28])[0] + 1
        self.cmdsn = struct.unpack(">I", rsp[28:32])[0]
        self.hd = self.dd = True

    def scsi(self, cdb, flags, edtl, data=b"", **bad):
        self.itt += 1
        lun = struct.pack(">HHI", LUN, 0, 0)
        bhs = bytes([0x01, flags, 0, 0, 0, 0, 0, 0]) + lun + \
            struct.pack(">IIII", self.itt, edtl, self.cmdsn, self.statsn) + \
            cdb.ljust(16, b"\0")
        self.cmdsn += 1
        self.send(bhs, data, **bad)
        got = b""
        while True:
            rsp, seg = self.recv()
            op = rsp[0] & 0x3F
            if op == 0x25:  # Data-In
                off = struct.unpack(">I", rsp[40:44])[0]
                if off != len(got):
                    raise ValueError(f"Data-In offset {off}, expected {len(got)}")
                got += seg
                if rsp[1] & 0x01:  # status in this PDU
                    self.statsn = struct.unpack(">I", rsp[24:28])[0] + 1
                    return rsp[3], got
            elif op == 0x21:
                self.statsn = struct.unpack(">I", rsp[24:28])[0] + 1
                return rsp[3], got
            elif op == 0x20:  # NOP-In keepalive: ignore
                continue
            elif op == 0x3F:
                raise RejectError(rsp[2])
            else:
                raise ValueError(f"unexpected opcode {op:#x}")


def rw10(op, lba, nblocks):
    return bytes([op, 0]) + struct.pack(">IBH", lba, 0, nblocks) + b"\0"


def expect_drop(what, **bad):
    c = Conn()
    c.login()
    c.scsi(bytes(6), 0x81, 0)
    try:
        c.scsi(rw10(0x2A, BASE + 200, 1), 0xA1, 512, os.urandom(512), **bad)
    except (EOFError, ConnectionResetError, socket.timeout):
        print(f"ok: {what}: the target dropped the connection")
        return
    except RejectError as e:
        # RFC 7143 7.8: a data digest error is answered with a Reject
        if bad.get("bad_dd") and e.reason == 0x02:
            print(f"ok: {what}: Reject with reason 'data digest error'")
            return
        raise RuntimeError(f"{what}: Reject with reason {e.reason:#x}")
    raise RuntimeError(f"{what}: the target accepted the PDU")


c = Conn()
c.login()
c.scsi(bytes(6), 0x81, 0)  # TEST UNIT READY: takes the power-on UA
payload = os.urandom(8 * 512)
status, _ = c.scsi(rw10(0x2A, BASE, 8), 0xA1, len(payload), payload)
assert status == 0, f"WRITE10 status {status:#x}"
# 20 KiB as immediate data, read back as several Data-In PDUs (8 KiB each)
big = os.urandom(40 * 512)
status, _ = c.scsi(rw10(0x2A, BASE + 100, 40), 0xA1, len(big), big)
assert status == 0, f"WRITE10 (20 KiB) status {status:#x}"
status, got = c.scsi(rw10(0x28, BASE, 8), 0xC1, len(payload))
assert status == 0 and got == payload, "read back differs (small)"
status, got = c.scsi(rw10(0x28, BASE + 100, 40), 0xC1, len(big))
assert status == 0, f"READ10 status {status:#x}"
assert got == big, "read back differs (multi-PDU)"
print("ok: write/read with header and data digests, every digest verified")
expect_drop("corrupt data digest", bad_dd=True)
expect_drop("corrupt header digest", bad_hd=True)
print("all digest checks passed")
