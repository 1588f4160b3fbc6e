#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Prints a LUN's identities as an initiator reads them: VPD page 0x80 (unit
serial number) and the logical-unit designators of page 0x83 (NAA as hex,
T10 vendor id as text).

usage: lu_ident.py HOST PORT TARGET_IQN LUN

Output: one line "serial=S naa=HEX t10=T" (fields missing from the page are
"-"); exit 0, or 1 on protocol or connection trouble."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iscsi_raw  # noqa: E402


def inquiry(c, lun, page):
    cdb = bytes([0x12, 1, page, 1, 0, 0])  # allocation length 256
    for _ in range(4):  # the first commands collect unit attentions
        status, data = c.scsi(cdb, 0xC0, 256, lun=lun)  # F, R
        if status == 0:
            return data
    raise RuntimeError(f"INQUIRY page {page:#x}: status {status:#x}")


def main():
    host, port, iqn, lun = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    c = iscsi_raw.Conn(host, port)
    c.login(iqn)
    p80 = inquiry(c, lun, 0x80)
    serial = p80[4:4 + struct.unpack(">H", p80[2:4])[0]].decode("ascii")
    p83 = inquiry(c, lun, 0x83)
    end = 4 + struct.unpack(">H", p83[2:4])[0]
    naa = t10 = "-"
    off = 4
    while off + 4 <= end:
        dtype, assoc, dlen = p83[off + 1] & 0x0F, (p83[off + 1] >> 4) & 3, p83[off + 3]
        body = p83[off + 4:off + 4 + dlen]
        if assoc == 0 and dtype == 3:
            naa = body.hex()
        elif assoc == 0 and dtype == 1:
            t10 = body.decode("ascii")
        off += 4 + dlen
    c.close()
    print(f"serial={serial} naa={naa} t10={t10.replace(' ', '_')}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, RuntimeError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
