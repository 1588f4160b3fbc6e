#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""How tgtxd ends plain-TCP iSCSI connections, seen from the initiator.

  tcp_reset.py HOST PORT IQN LOG drop
      a tiny receive window, 16 READs of 1 MiB never read: tgtxd drops the
      connection (NOP-In not answered: IQN's nop_interval is 1) with bytes
      unsent.
  tcp_reset.py HOST PORT IQN LOG logout
      a tiny receive window, one 8 KiB READ and a Logout, never read: the
      answers fit in tgtxd's send buffer but not in our window, so the
      orderly close waits for our acknowledgement until its deadline (IQN
      with the default nop_interval, so no ping overtakes the Logout).
      Both must arrive as a reset at once: no socket of tgtxd's left in
      FIN-WAIT-1 (its FIN queued behind bytes we never take), and the
      initiator's next read fails with ECONNRESET instead of waiting.
  tcp_reset.py HOST PORT IQN LOG graceful
      an initiator that reads logs out: the orderly FIN is kept (EOF after
      the Logout Response, no reset).
LOG is tgtxd's log: the drop is found by our own address in it.
"""
import socket
import struct
import subprocess
import sys
import time

from iscsi_raw import Conn, bhs

HOST, PORT, IQN, LOG, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    sys.argv[4], sys.argv[5]
INI = "iqn.2026-11.org.tgtx:tcp-reset"
# one ISID per mode: the same one twice would reinstate the other session
ISID = bytes([0x80, 0, 0, 0, 0x7C, ["graceful", "drop", "logout"].index(
    sys.argv[5]) if sys.argv[5] in ("graceful", "drop", "logout") else 9])


def fail(msg):
    print(f"tcp_reset {MODE}: FAIL: {msg}")
    sys.exit(1)


def say(msg):
    print(f"tcp_reset {MODE}: {msg}", flush=True)


def read10(lba, blocks):
    return bytes([0x28, 0]) + struct.pack(">IBH", lba, 0, blocks) + b"\0"


def logout(c):
    c.s.sendall(bhs(0x46, 0x80, itt=0x99, rest=struct.pack(
        ">HHII", 0, 0, c.cmdsn, c.statsn)))


def closed_line(me, seconds):
    """tgtxd's 'connection closed' line for our address, waited for."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open(LOG, errors="replace") as f:
            for line in f:
                if f"{me}: connection closed:" in line:
                    return line.strip()
        time.sleep(0.1)
    fail(f"tgtxd did not drop {me} within {seconds} s")


def orphans(me_port):
    """tgtxd's sockets to us still in FIN-WAIT-1 (FIN behind unsent data)."""
    out = subprocess.run(
        ["ss", "-Htan", "state", "fin-wait-1",
         f"( sport = :{PORT} and dport = :{me_port} )"],
        capture_output=True, text=True, check=True).stdout
    return [ln for ln in out.splitlines() if ln.strip()]


def send_q(me_port):
    """Bytes in tgtxd's send queue to us (unsent plus unacknowledged)."""
    out = subprocess.run(
        ["ss", "-Htn", "state", "established",
         f"( sport = :{PORT} and dport = :{me_port} )"],
        capture_output=True, text=True, check=True).stdout.split()
    return int(out[1]) if len(out) > 1 else 0


def wait_queued(c, n):
    me_port = c.s.getsockname()[1]
    end = time.monotonic() + 30
    while send_q(me_port) < n:
        if time.monotonic() > end:
            fail(f"tgtxd did not queue {n} bytes for us within 30 s")
        time.sleep(0.05)


def after_drop(c, line):
    me_port = c.s.getsockname()[1]
    # a reset frees tgtxd's socket at once; give a loaded machine 3 s
    end = time.monotonic() + 3
    left = orphans(me_port)
    while left and time.monotonic() < end:
        time.sleep(0.1)
        left = orphans(me_port)
    if left:
        fail(f"tgtxd's socket is an orphan in FIN-WAIT-1 after the drop "
             f"({line}): {left}")
    # everything the kernel holds for us, then the reset (not a FIN)
    c.s.settimeout(10)
    got = 0
    try:
        while True:
            b = c.s.recv(1 << 16)
            if not b:
                fail(f"an orderly FIN after {got} bytes, not a reset "
                     f"({line})")
            got += len(b)
    except ConnectionResetError:
        pass
    except socket.timeout:
        fail(f"nothing after {got} bytes within 10 s of the drop ({line})")
    say(f"reset seen after {got} bytes; tgtxd: {line}")


def main():
    if MODE == "graceful":
        c = Conn(HOST, PORT)
        c.login(IQN, INI, isid=ISID)
        me = "%s:%d" % c.s.getsockname()[:2]
        c.scsi(bytes(6), 0x80, 0)  # the unit attention after login
        st, data = c.scsi(read10(0, 16), 0xC0, 8192)
        if len(data) != 8192:
            fail(f"READ: status {st}, {len(data)} bytes")
        logout(c)
        rsp, _ = c.recv()
        while rsp[0] & 0x3F == 0x20:  # a NOP-In ping first
            rsp, _ = c.recv()
        if rsp[0] & 0x3F != 0x26 or rsp[2] != 0:
            fail(f"no Logout Response: opcode {rsp[0]:#x}")
        try:
            if c.s.recv(1):
                fail("bytes after the Logout Response")
        except ConnectionResetError:
            fail("a reset after a normal logout, not an orderly FIN")
        line = closed_line(me, 10)
        if "reset" in line:
            fail(f"tgtxd reset a normal logout: {line}")
        say(f"EOF after the Logout Response; tgtxd: {line}")
        return
    # SO_RCVBUF 1: the kernel's minimum (about 2 KiB, half of it window)
    c = Conn(HOST, PORT, rcvbuf=1)
    c.login(IQN, INI, isid=ISID)
    me = "%s:%d" % c.s.getsockname()[:2]
    if MODE == "drop":
        for i in range(16):
            c.scsi_send(read10(i * 2048, 2048), 0xC0, 1 << 20)
        line = closed_line(me, 30)
        if "NOP-In ping not answered" not in line:
            fail(f"dropped for another reason: {line}")
    elif MODE == "logout":
        c.scsi_send(bytes(6), 0x80, 0)  # takes the unit attention
        c.scsi_send(read10(0, 16), 0xC0, 8192)
        # commands still running when the Logout comes end silently: wait
        # until the READ's data waits in tgtxd's send queue
        wait_queued(c, 4096)
        logout(c)
        line = closed_line(me, 30)
        if "not acknowledged by the close deadline" not in line:
            fail(f"not the orderly close waiting for our ACK: {line}")
    else:
        fail("unknown mode")
    after_drop(c, line)


main()
