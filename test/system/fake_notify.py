#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for systemd's notification socket (sd_notify(3) protocol).

usage: fake_notify.py SOCKET PORTAL_PORT CONTROL_SOCKET OUT [TIMEOUT]

Binds an AF_UNIX datagram socket at SOCKET (a path, or "@name" for the
abstract namespace), prints "listening" on stdout, then writes one line per
received assignment to OUT. When READY=1 arrives it at once tries a TCP
connection to 127.0.0.1:PORTAL_PORT and a connection to CONTROL_SOCKET and
records "probe portal=ok|fail control=ok|fail". Stops after STOPPING=1 or
TIMEOUT seconds (default 60)."""
import socket
import sys
import time


def probe_portal(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return "ok"
    except OSError:
        return "fail"


def probe_control(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(path)
        return "ok"
    except OSError:
        return "fail"
    finally:
        s.close()


def main():
    path, port, ctl, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + path[1:] if path.startswith("@") else path)
    print("listening", flush=True)
    end = time.monotonic() + timeout
    with open(out, "w", buffering=1) as f:
        while time.monotonic() < end:
            s.settimeout(max(0.1, end - time.monotonic()))
            try:
                msg = s.recv(4096).decode("utf-8", "replace")
            except socket.timeout:
                break
            lines = msg.split("\n")
            if "READY=1" in lines:
                # probe before logging anything: this is the race window
                res = "probe portal=%s control=%s" % (probe_portal(port),
                                                     probe_control(ctl))
                lines.append(res)
            for line in lines:
                f.write(line + "\n")
            if "STOPPING=1" in lines:
                break


if __name__ == "__main__":
    main()
