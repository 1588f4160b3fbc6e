#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile and odd TLS clients for test_tls_portal.sh.

  tls_client.py slowloris HOST PORT
      opens a TCP connection ("connected") and trickles a never-finished
      TLS hello, one byte a second; prints "dropped after N.N s" when the
      server hangs up (exit 0), exit 1 if it is still open after 60 s.
  tls_client.py idle HOST PORT COUNT
      opens COUNT connections that send nothing; a second later prints for
      each whether the server closed it ("refused") or holds it ("held");
      keeps them open until stdin closes.
  tls_client.py stall HOST PORT IQN CERT KEY COUNT BLOCKS
      logs in through TLS with CERT/KEY (PEM, Ed25519), sends up to COUNT
      READ(10) of BLOCKS blocks of LUN 1 until the target stops taking
      them ("sent N"), never reads a byte;
      prints "dropped after N.N s" once the target hangs up (exit 0), exit
      1 if it has not after 180 s.
"""
import os
import select
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iscsi_raw  # noqa: E402


def slowloris(host, port):
    s = socket.create_connection((host, port), timeout=5)
    t0 = time.time()
    print("connected", flush=True)
    # a handshake record header announcing 512 bytes, then a trickle
    s.sendall(b"\x16\x03\x01\x02\x00")
    s.settimeout(1)
    while time.time() - t0 < 60:
        try:
            if not s.recv(4096):
                break
        except socket.timeout:
            try:
                s.send(b"\x01")
            except OSError:
                break
        except OSError:
            break
    else:
        print("still open after 60 s")
        return 1
    print("dropped after %.1f s" % (time.time() - t0))
    return 0


def idle(host, port, count):
    socks = [socket.create_connection((host, port), timeout=5)
             for _ in range(count)]
    time.sleep(1)  # a refused one is closed at once, a held one stays
    for s in socks:
        s.setblocking(False)
        try:
            closed = s.recv(1) == b""
        except BlockingIOError:
            closed = False
        except OSError:
            closed = True
        print("refused" if closed else "held", flush=True)
    sys.stdin.read()
    return 0


def stall(host, port, iqn, cert, key, count, blocks):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # a hostile client trusts anyone
    ctx.load_cert_chain(cert, key)
    raw = socket.socket()
    # a small window: what the target sends must wait on its side
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    raw.settimeout(10)
    raw.connect((host, port))
    c = iscsi_raw.Conn.__new__(iscsi_raw.Conn)
    c.s = ctx.wrap_socket(raw)
    c.hd = c.dd = False
    c.itt, c.cmdsn, c.statsn, c.tsih = 1, 0, 0, 0
    c.login(iqn)
    # as many as the target takes: one that stops reading us blocks the
    # sends (5 s without progress ends them), one that buffers without
    # bound takes them all
    c.s.settimeout(5)
    sent = 0
    try:
        for _ in range(count):
            c.itt += 1
            hdr = bytes([0x01, 0xC0, 0, 0, 0, 0, 0, 0]) + \
                iscsi_raw.lun_field(1) + \
                struct.pack(">IIII", c.itt, blocks * 512, c.cmdsn,
                            c.statsn) + \
                iscsi_raw.rw10(0x28, 0, blocks).ljust(16, b"\0")
            c.cmdsn += 1
            c.send(hdr)
            sent += 1
    except (socket.timeout, TimeoutError, ssl.SSLError, OSError):
        pass
    print("sent %d" % sent, flush=True)
    t0 = time.time()
    p = select.poll()
    p.register(c.s.fileno(), select.POLLRDHUP)
    while time.time() - t0 < 180:
        for _, ev in p.poll(1000):
            if ev & (select.POLLRDHUP | select.POLLHUP | select.POLLERR):
                print("dropped after %.1f s" % (time.time() - t0))
                return 0
    print("still open after 180 s")
    return 1


def main():
    if sys.argv[1] == "slowloris":
        return slowloris(sys.argv[2], int(sys.argv[3]))
    if sys.argv[1] == "stall":
        a = sys.argv
        return stall(a[2], int(a[3]), a[4], a[5], a[6], int(a[7]), int(a[8]))
    if sys.argv[1] == "idle":
        return idle(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    return 2


if __name__ == "__main__":
    sys.exit(main())
