# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal raw iSCSI initiator (Python standard library only) for system
tests that need what libiscsi's tools cannot do: data digests, malformed or
out-of-order PDUs, session reinstatement, answering or ignoring NOP-Ins.
Everything goes to the address the test names (loopback only)."""
import os
import socket
import struct

_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b"\0" * 32) == 0x8A9136AA  # RFC 3720 B.4


def digest(data):
    """CRC32C as iSCSI puts it on the wire (little-endian)."""
    return struct.pack("<I", crc32c(data))


def pad(data):
    return data + b"\0" * (-len(data) % 4)


def bhs(opcode, flags=0, spec=b"\0\0", ahslen=0, dlen=0, lun=b"\0" * 8,
        itt=0, rest=b""):
    """A 48-byte Basic Header Segment; `rest` fills bytes 20..47."""
    hdr = bytes([opcode, flags]) + spec + bytes([ahslen]) + \
        dlen.to_bytes(3, "big") + lun + struct.pack(">I", itt) + rest
    return hdr.ljust(48, b"\0")


def lun_field(lun):
    return struct.pack(">HHI", lun, 0, 0)


def rw10(op, lba, nblocks):
    return bytes([op, 0]) + struct.pack(">IBH", lba, 0, nblocks) + b"\0"


class RejectError(Exception):
    def __init__(self, reason):
        super().__init__(f"Reject reason {reason:#x}")
        self.reason = reason


class Conn:
    """One TCP connection; digests apply once login() turned them on."""

    def __init__(self, host, port, timeout=10, rcvbuf=None):
        if rcvbuf is None:
            self.s = socket.create_connection((host, port), timeout=timeout)
        else:
            # before connect(): the window scale is fixed by the handshake
            self.s = socket.socket(socket.AF_INET6 if ":" in host
                                   else socket.AF_INET)
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.s.settimeout(timeout)
            self.s.connect((host, port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.hd = self.dd = False
        self.itt = 1
        self.cmdsn = 0
        self.statsn = 0
        self.tsih = 0

    def close(self):
        self.s.close()

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed by the target")
            buf += chunk
        return buf

    def send(self, hdr, data=b"", bad_hd=False, bad_dd=False):
        """Sends one PDU; DataSegmentLength is set from data."""
        hdr = hdr[:5] + len(data).to_bytes(3, "big") + hdr[8:]
        out = hdr
        if self.hd:
            d = digest(hdr)
            out += bytes([d[0] ^ 1]) + d[1:] if bad_hd else d
        if data:
            out += pad(data)
            if self.dd:
                d = digest(pad(data))
                out += bytes([d[0] ^ 1]) + d[1:] if bad_dd else d
        self.s.sendall(out)

    def recv(self):
        """(bhs, data) of the next PDU; checks digests; EOFError on close."""
        hdr = self.recv_exact(48)
        if self.hd and self.recv_exact(4) != digest(hdr):
            raise ValueError("bad header digest from the target")
        dlen = int.from_bytes(hdr[5:8], "big")
        data = b""
        if dlen:
            data = self.recv_exact((dlen + 3) & ~3)
            if self.dd and self.recv_exact(4) != digest(data):
                raise ValueError("bad data digest from the target")
        return hdr, data[:dlen]

    def login(self, iqn, initiator="iqn.2026-11.org.tgtx:raw-initiator",
              isid=None, digests=False, session_type="Normal", extra=()):
        """One-step login (security stage skipped) to full feature phase.
        Returns the response keys; raises RuntimeError when refused."""
        keys = [f"InitiatorName={initiator}", f"SessionType={session_type}",
                "HeaderDigest=" + ("CRC32C" if digests else "None"),
                "DataDigest=" + ("CRC32C" if digests else "None"),
                "MaxRecvDataSegmentLength=65536", *extra]
        if session_type == "Normal":
            keys.append(f"TargetName={iqn}")
        data = ("\0".join(keys) + "\0").encode()
        isid = isid or bytes([0x80, 0, 0, 0, os.urandom(1)[0], 1])
        hdr = bytes([0x43, 0x87, 0, 0, 0, 0, 0, 0]) + isid + \
            struct.pack(">HIHHII", self.tsih, self.itt, 0, 0, self.cmdsn, 0)
        self.send(hdr.ljust(48, b"\0"), data)
        rsp, text = self.recv()
        if rsp[0] & 0x3F != 0x23 or rsp[36] != 0:
            raise RuntimeError(f"login refused: {rsp[36]:#x}/{rsp[37]:#x}")
        if not rsp[1] & 0x80 or rsp[1] & 0x03 != 3:
            raise RuntimeError("login did not reach full feature phase")
        kv = dict(p.split("=", 1) for p in text.decode().split("\0") if "=" in p)
        self.tsih = struct.unpack(">H", rsp[14:16])[0]
        self.statsn = struct.unpack(">I", rsp[24:28])[0] + 1
        self.cmdsn = struct.unpack(">I", rsp[28:32])[0]
        self.hd = kv.get("HeaderDigest") == "CRC32C"
        self.dd = kv.get("DataDigest") == "CRC32C"
        return kv

    def nop_out(self, itt, ttt=0xFFFFFFFF, immediate=False, data=b""):
        rest = struct.pack(">III", ttt, self.cmdsn, self.statsn)
        if not immediate and itt != 0xFFFFFFFF:
            self.cmdsn += 1
        self.send(bhs(0x40 if immediate else 0x00, 0x80, itt=itt, rest=rest),
                  data)

    def scsi_send(self, cdb, flags, edtl, data=b"", lun=1, **bad):
        """Sends one command (immediate data only), not waiting for it."""
        self.itt += 1
        hdr = bytes([0x01, flags, 0, 0, 0, 0, 0, 0]) + lun_field(lun) + \
            struct.pack(">IIII", self.itt, edtl, self.cmdsn, self.statsn) + \
            cdb.ljust(16, b"\0")
        self.cmdsn += 1
        self.send(hdr, data, **bad)

    def scsi(self, cdb, flags, edtl, data=b"", lun=1, **bad):
        """Runs one command (immediate data only); returns (status, data)."""
        self.scsi_send(cdb, flags, edtl, data, lun, **bad)
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
            elif op == 0x20:  # target keepalive: answered by the caller
                continue
            elif op == 0x3F:
                raise RejectError(rsp[2])
            else:
                raise ValueError(f"unexpected opcode {op:#x}")
