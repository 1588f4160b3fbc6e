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
"""
import socket
import sys
import time


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
        try:
            closed = s.recv(1, socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            closed = False
        except OSError:
            closed = True
        print("refused" if closed else "held", flush=True)
    sys.stdin.read()
    return 0


def main():
    if sys.argv[1] == "slowloris":
        return slowloris(sys.argv[2], int(sys.argv[3]))
    if sys.argv[1] == "idle":
        return idle(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    return 2


if __name__ == "__main__":
    sys.exit(main())
