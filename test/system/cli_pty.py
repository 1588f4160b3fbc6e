#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Drives an interactive program through a pseudo-terminal.

cli_pty.py KEYS -- CMD...: writes each KEYS item (separated by '|', with
\\t and \\r escapes) to CMD's terminal, waits for output to settle after
each, and prints everything the program wrote.
"""
import os
import pty
import select
import sys
import time


def main():
    sep = sys.argv.index("--")
    keys = sys.argv[1].encode().decode("unicode_escape").split("|")
    cmd = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b""

    def settle(limit=10.0):
        nonlocal out
        end, quiet = time.time() + limit, time.time() + 0.5
        while time.time() < min(end, quiet):
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return
                if not data:
                    return
                out += data
                quiet = time.time() + 0.5

    settle()
    for k in keys:
        os.write(fd, k.encode())
        settle()
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
