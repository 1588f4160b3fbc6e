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
import sys

from iscsi_raw import Conn, RejectError, rw10

HOST, PORT, IQN, LUN = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
# away from the blocks other tests check (LUN of at least 64 MiB)
BASE = 120000


def session():
    c = Conn(HOST, PORT)
    kv = c.login(IQN, "iqn.2026-11.org.tgtx:digest-test", digests=True,
                 extra=("ImmediateData=Yes", "InitialR2T=No"))
    if not (c.hd and c.dd):
        raise RuntimeError(f"digests not accepted: {kv}")
    c.scsi(bytes(6), 0x81, 0, lun=LUN)  # TEST UNIT READY: takes the power-on UA
    return c


def expect_drop(what, **bad):
    c = session()
    try:
        c.scsi(rw10(0x2A, BASE + 200, 1), 0xA1, 512, os.urandom(512), lun=LUN,
               **bad)
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


c = session()
payload = os.urandom(8 * 512)
status, _ = c.scsi(rw10(0x2A, BASE, 8), 0xA1, len(payload), payload, lun=LUN)
assert status == 0, f"WRITE10 status {status:#x}"
# 20 KiB as immediate data, read back as several Data-In PDUs (8 KiB each)
big = os.urandom(40 * 512)
status, _ = c.scsi(rw10(0x2A, BASE + 100, 40), 0xA1, len(big), big, lun=LUN)
assert status == 0, f"WRITE10 (20 KiB) status {status:#x}"
status, got = c.scsi(rw10(0x28, BASE, 8), 0xC1, len(payload), lun=LUN)
assert status == 0 and got == payload, "read back differs (small)"
status, got = c.scsi(rw10(0x28, BASE + 100, 40), 0xC1, len(big), lun=LUN)
assert status == 0, f"READ10 status {status:#x}"
assert got == big, "read back differs (multi-PDU)"
print("ok: write/read with header and data digests, every digest verified")
expect_drop("corrupt data digest", bad_dd=True)
expect_drop("corrupt header digest", bad_hd=True)
print("all digest checks passed")
