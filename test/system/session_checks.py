#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Session-level behaviour with a raw initiator.

  session_checks.py HOST PORT IQN reinstate
      a second login with the same initiator name and ISID replaces the
      first session (RFC 7143 6.3.5: the old connection is closed), while a
      session with another ISID lives beside it.
  session_checks.py HOST PORT IQN keepalive
      with nop_interval=1 the target pings an idle connection with NOP-In,
      keeps it while the pings are answered and drops it once they are not.
"""
import select
import struct
import sys
import time

from iscsi_raw import Conn

HOST, PORT, IQN, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
INI = "iqn.2026-11.org.tgtx:session-checks"
TUR = bytes(6)


def closed_within(c, seconds):
    """True when the target closes c within the time (PDUs are skipped)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r, _, _ = select.select([c.s], [], [], deadline - time.monotonic())
        if not r:
            break
        try:
            c.recv()
        except (EOFError, ConnectionResetError):
            return True
    return False


def ready(c):
    c.scsi(TUR, 0x81, 0)  # the first command takes the power-on UA
    status, _ = c.scsi(TUR, 0x81, 0)
    return status == 0


def reinstate():
    isid = bytes([0x80, 0, 0, 0, 0x33, 1])
    c1 = Conn(HOST, PORT)
    c1.login(IQN, INI, isid=isid)
    assert ready(c1), "first session does not work"
    other = Conn(HOST, PORT)
    other.login(IQN, INI, isid=bytes([0x80, 0, 0, 0, 0x34, 1]))
    assert ready(other), "session with another ISID does not work"
    c2 = Conn(HOST, PORT)
    c2.login(IQN, INI, isid=isid)
    assert closed_within(c1, 5), "old session not closed on reinstatement"
    assert ready(c2), "reinstated session does not work"
    status, _ = other.scsi(TUR, 0x81, 0)
    assert status == 0, "the session with another ISID was disturbed"
    print("ok: reinstatement replaced the old session, others untouched")


def next_nop_in(c, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r, _, _ = select.select([c.s], [], [], deadline - time.monotonic())
        if not r:
            break
        hdr, _ = c.recv()
        ttt = struct.unpack(">I", hdr[20:24])[0]
        if hdr[0] & 0x3F == 0x20 and ttt != 0xFFFFFFFF:
            return ttt
    return None


def keepalive():
    c = Conn(HOST, PORT)
    c.login(IQN, INI)
    for i in range(3):
        ttt = next_nop_in(c, 4)
        assert ttt is not None, f"no NOP-In ping within 4 s (ping {i})"
        c.nop_out(0xFFFFFFFF, ttt=ttt, immediate=True)
    print("ok: target pings an idle connection; answered pings keep it")
    assert closed_within(c, 6), "unanswered pings did not drop the connection"
    print("ok: unanswered pings drop the connection")


{"reinstate": reinstate, "keepalive": keepalive}[MODE]()
