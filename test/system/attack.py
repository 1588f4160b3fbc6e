#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Resource attacks on tgtxd (issue 9), one scenario per row of the issue's
table, driven by the raw initiator in iscsi_raw.py. Every scenario talks to
loopback only, is bounded in time and in what it sends, and checks what the
daemon holds (VmRSS from /proc/PID/status, its descriptors) rather than what
went over the wire. Exit status 0 when the daemon held up, 1 with a FAIL
line otherwise.

usage: attack.py SCENARIO PORT IQN PID [ARGS...]"""
import os
import resource
import subprocess
import socket
import struct
import sys
import threading
import time

from iscsi_raw import Conn, bhs, lun_field

HOST = "127.0.0.1"
INITIATOR = "iqn.2026-11.org.tgtx:attacker"


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def nr_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def say(msg):
    print(f"# {msg}", flush=True)


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def deaf_socket(port, src=HOST, timeout=5.0):
    """A connection whose owner never reads: a tiny receive window, so the
    target's output backs up into the target."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    if src != HOST:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((HOST, port))
    return s


def deaf_conn(port, src=HOST, timeout=5.0):
    c = Conn.__new__(Conn)
    c.s = deaf_socket(port, src, timeout)
    c.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.hd = c.dd = False
    c.itt = 1
    c.cmdsn = 0
    c.statsn = 0
    c.tsih = 0
    return c


def push(s, chunk, limit_bytes, seconds=20):
    """Sends chunk (bytes, or a function making the next chunk) repeatedly
    until limit_bytes went out, the target stops reading (a send blocks for
    the socket timeout) or time is up."""
    sent = 0
    end = time.monotonic() + seconds
    try:
        while sent < limit_bytes and time.monotonic() < end:
            data = chunk() if callable(chunk) else chunk
            s.sendall(data)
            sent += len(data)
    except (socket.timeout, BlockingIOError):
        return sent, "blocked"
    except (BrokenPipeError, ConnectionResetError):
        return sent, "closed"
    return sent, "limit"


def wait_for(pred, seconds, step=0.5):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def clear_ua(c):
    """The first command of a session reports the power-on unit attention."""
    c.scsi(b"\0" * 6, 0x80, 0)


def login_pdu(flags=0x40, isid=b"\x80\0\0\0\0\x01", data=b""):
    hdr = bytes([0x43, flags, 0, 0, 0]) + len(data).to_bytes(3, "big") + \
        isid + struct.pack(">HIHHII", 0, 1, 0, 0, 0, 0)
    return hdr.ljust(48, b"\0") + data + b"\0" * (-len(data) % 4)


def scsi_pdu(c, cdb, flags, edtl, lun=1, cmdsn=None):
    c.itt += 1
    sn = c.cmdsn if cmdsn is None else cmdsn
    if cmdsn is None:
        c.cmdsn += 1
    hdr = bytes([0x01, flags, 0, 0, 0, 0, 0, 0]) + lun_field(lun) + \
        struct.pack(">IIII", c.itt, edtl, sn, c.statsn) + cdb.ljust(16, b"\0")
    return hdr


# The budget accounts the bytes the daemon asks malloc for. Under ASan every
# small allocation also carries redzones and sits in per-size-class caches,
# which roughly doubles its RSS cost (a quiet machine's TUR flood queued 146k
# responses: +76 MiB under ASan, +38 MiB in a release build), so an ASan build
# is held to ATTACK_ALLOC_FACTOR (set by attack_lib.sh) times each limit.
ALLOC_FACTOR = float(os.environ.get("ATTACK_ALLOC_FACTOR", "1"))


def rsp_memory_bound(pid, base, limit_mib, what):
    now = rss_mib(pid)
    limit_mib *= ALLOC_FACTOR
    say(f"{what}: RSS {base:.0f} -> {now:.0f} MiB (limit +{limit_mib:.0f} MiB)")
    if now - base > limit_mib:
        fail(f"{what}: RSS grew by {now - base:.0f} MiB")
    return now


# ---- row 1: empty Login PDUs with C=1, responses never read ----
def login_flood(port, iqn, pid, conns="3"):
    base = rss_mib(pid)
    socks = [deaf_socket(port) for _ in range(int(conns))]
    chunk = login_pdu() * 1000
    for s in socks:
        sent, why = push(s, chunk, 250000 * 48, seconds=20)
        say(f"login flood: {sent // 48} PDUs sent, then {why}")
    rsp_memory_bound(pid, base, 48, "login flood")
    for s in socks:
        s.close()


# ---- row 1b: TEST UNIT READY stream after login, never read ----
def tur_flood(port, iqn, pid, conns="2"):
    base = rss_mib(pid)
    fds = nr_fds(pid)
    cs = []
    for i in range(int(conns)):
        c = deaf_conn(port)
        c.login(iqn, INITIATOR, isid=bytes([0x80, 0, 0, 0, 1, i]))
        cs.append(c)
    for c in cs:
        # CmdSN in window or not, every TUR is read and answered
        # fresh CmdSNs for every chunk: each TUR is in the window
        def chunk(c=c):
            return b"".join(scsi_pdu(c, b"\0" * 6, 0x80, 0)
                            for _ in range(2000))
        sent, why = push(c.s, chunk, 200000 * 48, seconds=20)
        say(f"TUR flood: {sent // 48} commands sent, then {why}")
    rsp_memory_bound(pid, base, 48, "TUR flood")
    # a peer that never reads is dropped by the stall deadline
    if not wait_for(lambda: nr_fds(pid) <= fds, 40):
        fail(f"TUR flooders still connected after 40 s ({nr_fds(pid)} fds, "
             f"{fds} before)")
    say("TUR flooders dropped")
    for c in cs:
        c.close()


# ---- row 2: a connection being closed never drains ----
def close_deadline(port, iqn, pid):
    fds = nr_fds(pid)
    base = rss_mib(pid)
    cs = []
    for i, how in enumerate(("logout", "protocol error", "failed login")):
        if how == "failed login":
            s = deaf_socket(port)
            # many answered login steps, then one that fails the login
            s.sendall(login_pdu() * 1000)
            bad = bytearray(login_pdu(flags=0x81))
            bad[2], bad[3] = 9, 9  # version 9: unsupported
            s.sendall(bytes(bad))
            cs.append(s)
            continue
        c = deaf_conn(port)
        c.login(iqn, INITIATOR, isid=bytes([0x80, 0, 0, 0, 2, i]))
        clear_ua(c)
        # 8 MiB of Data-In the initiator will never read
        c.s.sendall(scsi_pdu(c, bytes([0x88, 0]) + struct.pack(">QIBB", 0,
                    16384, 0, 0), 0xC0, 8 << 20))
        time.sleep(0.5)
        if how == "logout":
            c.s.sendall(bhs(0x46, 0x80, itt=0x99, rest=struct.pack(
                ">HHII", 0, 0, c.cmdsn, c.statsn)))
        else:
            # a data segment larger than declared: the target must close
            hdr = bytearray(bhs(0x00, 0x80, itt=0x98, rest=struct.pack(
                ">III", 0xFFFFFFFF, c.cmdsn, c.statsn)))
            hdr[5:8] = b"\xff\xff\xff"
            c.s.sendall(bytes(hdr))
        cs.append(c.s)
    time.sleep(1)
    held = rss_mib(pid)
    say(f"closing connections hold RSS {held:.0f} MiB (base {base:.0f}), "
        f"{nr_fds(pid) - fds} fds")
    if not wait_for(lambda: nr_fds(pid) <= fds, 20):
        fail(f"closing connections still open 20 s later "
             f"({nr_fds(pid) - fds} fds)")
    say("closing connections dropped by their deadline")
    time.sleep(0.5)
    rsp_memory_bound(pid, base, 24, "after the close deadline")
    for s in cs:
        s.close()


# ---- row 3: one source holding every connection slot ----
def conn_fairness(port, iqn, pid, count="1100"):
    hard = raise_nofile()
    n = min(int(count), hard - 100)
    held = []
    for _ in range(n):
        try:
            s = socket.create_connection((HOST, port), timeout=5)
        except OSError as e:
            say(f"connect {len(held)}: {e}")
            break
        held.append(s)
    say(f"{len(held)} idle connections from {HOST}")
    time.sleep(1)
    for src in ("127.0.0.2", "127.0.0.3"):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(10)
        s.connect((HOST, port))
        c = Conn.__new__(Conn)
        c.s, c.hd, c.dd, c.itt, c.cmdsn, c.statsn, c.tsih = \
            s, False, False, 1, 0, 0, 0
        try:
            if src == "127.0.0.2":
                c.login(iqn, "iqn.2026-11.org.tgtx:victim")
                clear_ua(c)
                st, _ = c.scsi(b"\0" * 6, 0x80, 0)
                if st != 0:
                    fail(f"victim TEST UNIT READY status {st:#x}")
            else:
                c.login(iqn, "iqn.2026-11.org.tgtx:victim",
                        session_type="Discovery")
        except (RuntimeError, EOFError, ConnectionResetError, OSError) as e:
            fail(f"login from {src} during the flood: {e!r}")
        say(f"login from {src} works during the flood")
        if src == "127.0.0.3":
            disc = c
        else:
            c.close()
    for s in held:
        s.close()
    # an idle discovery session ends (answering NOP-Ins is not activity)
    disc.s.settimeout(1)
    end = time.monotonic() + 50
    while time.monotonic() < end:
        try:
            h, d = disc.recv()
        except socket.timeout:
            continue
        except (EOFError, ConnectionResetError):
            say("idle discovery session closed by the target")
            return
        if h[0] & 0x3F == 0x20 and h[16:20] == b"\xff" * 4:
            ttt = struct.unpack(">I", h[20:24])[0]
            disc.s.sendall(bhs(0x40, 0x80, itt=0xFFFFFFFF, rest=struct.pack(
                ">III", ttt, disc.cmdsn, disc.statsn)))
    fail("idle discovery session still open after 50 s")


# ---- row 4: out of descriptors ----
def fd_exhaustion(port, iqn, pid, count="300", logf=None):
    raise_nofile()
    held = []
    for _ in range(int(count)):
        try:
            held.append(socket.create_connection((HOST, port), timeout=5))
        except OSError:
            break
    lines0 = sum(1 for _ in open(logf, errors="replace")) if logf else 0
    cpu0 = cpu_s(pid)
    time.sleep(4)
    cpu = cpu_s(pid) - cpu0
    lines = (sum(1 for _ in open(logf, errors="replace")) - lines0) \
        if logf else 0
    say(f"{len(held)} connections held: daemon CPU {cpu:.2f} s in 4 s, "
        f"{lines} log lines")
    for s in held:
        s.close()
    if cpu > 0.5:
        fail(f"daemon spins while out of descriptors ({cpu:.2f} s CPU in 4 s)")
    if lines > 20:
        fail(f"{lines} log lines in 4 s while out of descriptors")


# ---- row 5: SendTargets repeated in one request ----
def text_exchange(c, payload, piece=8192):
    """Sends payload as one Text request (C bit pieces), returns the whole
    answer text."""
    itt = 0x500
    ttt = 0xFFFFFFFF
    off = 0
    while True:
        part = payload[off:off + piece]
        off += len(part)
        more = off < len(payload)
        c.send(bhs(0x04, 0x40 if more else 0x80, itt=itt,
                   rest=struct.pack(">III", ttt, c.cmdsn, c.statsn)), part)
        c.cmdsn += 1
        h, d = c.recv()
        if h[0] & 0x3F != 0x24:
            fail(f"Text request answered with opcode {h[0] & 0x3F:#x}")
        c.statsn = struct.unpack(">I", h[24:28])[0] + 1
        ttt = struct.unpack(">I", h[20:24])[0]
        if not more:
            break
    answer = d
    total = len(d)
    while h[1] & 0x40:  # continued answer: ask for the next piece
        c.send(bhs(0x04, 0x80, itt=itt, rest=struct.pack(
            ">III", ttt, c.cmdsn, c.statsn)))
        c.cmdsn += 1
        h, d = c.recv()
        c.statsn = struct.unpack(">I", h[24:28])[0] + 1
        ttt = struct.unpack(">I", h[20:24])[0]
        total += len(d)
        if total > 64 << 20:
            fail("Text answer over 64 MiB")
        answer += d if len(answer) < (1 << 20) else b""
    return answer, total


def sendtargets(port, iqn, pid, ntargets="1"):
    c = Conn(HOST, port)
    c.login(iqn, INITIATOR, session_type="Discovery")
    base = rss_mib(pid)
    answer, total = text_exchange(c, b"SendTargets=All\0" * 4096)
    names = answer.count(b"TargetName=")
    say(f"64 KiB of SendTargets=All: {total} bytes back, {names} TargetName")
    if names != int(ntargets):
        fail(f"{names} TargetName keys for {ntargets} target(s)")
    rsp_memory_bound(pid, base, 8, "SendTargets")
    c.close()


# ---- row 6: 80 x 8 MiB READ(16), never read; commands parked ----
def read_flood(port, iqn, pid, sessions="2", budget_mib="128"):
    base = rss_mib(pid)
    cs = []
    for i in range(int(sessions)):
        c = deaf_conn(port, timeout=30)
        c.login(iqn, INITIATOR, isid=bytes([0x80, 0, 0, 0, 3, i]))
        clear_ua(c)
        cs.append(c)
        out = b"".join(scsi_pdu(c, bytes([0x88, 0]) + struct.pack(
            ">QIBB", n * 16384, 16384, 0, 0), 0xC0, 8 << 20)
            for n in range(80))
        c.s.sendall(out)
    # one more session parks commands behind a CmdSN gap
    p = deaf_conn(port, timeout=30)
    p.login(iqn, INITIATOR, isid=bytes([0x80, 0, 0, 0, 4, 0]))
    gap = p.cmdsn
    data = b"\xAA" * 8192
    out = b""
    for k in range(1, 128):
        hdr = bytearray(scsi_pdu(p, bytes([0x2A, 0]) + struct.pack(
            ">IBHB", k * 16, 0, 16, 0), 0xA0, 8192, cmdsn=gap + k))
        hdr[5:8] = len(data).to_bytes(3, "big")
        out += bytes(hdr) + data
    try:
        p.s.sendall(out)
    except (socket.timeout, OSError):
        pass
    time.sleep(3)
    peak = rss_mib(pid)
    say(f"READ flood x{sessions} + parked commands: RSS {base:.0f} -> "
        f"{peak:.0f} MiB, budget {budget_mib} MiB")
    if peak - base > int(budget_mib) + 32:
        fail(f"RSS grew by {peak - base:.0f} MiB, over the {budget_mib} MiB "
             f"budget")
    for c in cs:
        c.close()
    p.close()


# ---- row 7: target reset from one initiator ----
def tmf(c, fn, itt=0x700):
    c.send(bhs(0x42, 0x80 | fn, itt=itt, rest=struct.pack(
        ">IIIII", 0xFFFFFFFF, c.cmdsn, c.statsn, 0, 0)))
    while True:
        h, _ = c.recv()
        if h[0] & 0x3F == 0x22:
            c.statsn = struct.unpack(">I", h[24:28])[0] + 1
            return h[2]


def target_reset(port, iqn, pid, allowed="no"):
    victim = Conn(HOST, port)
    victim.login(iqn, "iqn.2026-11.org.tgtx:victim")
    clear_ua(victim)
    attacker = Conn(HOST, port)
    attacker.login(iqn, INITIATOR)
    for fn, name in ((6, "TARGET WARM RESET"), (7, "TARGET COLD RESET")):
        if allowed == "yes" and fn == 7:
            break
        r = tmf(attacker, fn)
        say(f"{name} answered with response {r}")
        if allowed == "no" and r != 5:
            fail(f"{name} from one initiator answered {r}, expected 5 "
                 "(not supported)")
        if allowed == "yes" and r != 0:
            fail(f"{name} allowed by the target but answered {r}")
    try:
        victim.s.settimeout(5)
        st, _ = victim.scsi(b"\0" * 6, 0x80, 0)
    except (EOFError, ConnectionResetError, OSError) as e:
        fail(f"the other initiator's session died: {e!r}")
    say(f"other initiator's TEST UNIT READY: status {st:#x}")
    if allowed == "no" and st != 0:
        fail(f"other initiator got status {st:#x} after a refused reset")
    if allowed == "yes" and st not in (0, 2):
        fail(f"other initiator got status {st:#x} after a warm reset")
    victim.close()
    attacker.close()


# ---- row 8: persistent reservation keys without end ----
def pr_register(c, key):
    param = struct.pack(">QQ", 0, key) + b"\0" * 8
    cdb = bytes([0x5F, 0x00, 0, 0, 0]) + struct.pack(">I", len(param)) + b"\0"
    c.itt += 1
    hdr = bytes([0x01, 0x80 | 0x20, 0, 0, 0, 0, 0, 0]) + lun_field(1) + \
        struct.pack(">IIII", c.itt, len(param), c.cmdsn, c.statsn) + \
        cdb.ljust(16, b"\0")
    c.cmdsn += 1
    c.send(hdr, param)
    while True:
        h, d = c.recv()
        if h[0] & 0x3F == 0x21:
            c.statsn = struct.unpack(">I", h[24:28])[0] + 1
            sense = d[2:] if len(d) > 2 else b""
            return h[3], sense


def pr_limit(port, iqn, pid, limit="16"):
    limit = int(limit)
    got = []
    for i in range(limit + 4):
        c = Conn(HOST, port)
        c.login(iqn, INITIATOR, isid=bytes([0x80, 0, 0, 1, i >> 8, i & 255]))
        clear_ua(c)
        st, sense = pr_register(c, 0x1000 + i)
        got.append((st, sense[2] & 0xF if sense else 0,
                    sense[12:14] if len(sense) >= 14 else b""))
        c.close()
    ok = sum(1 for st, _, _ in got if st == 0)
    say(f"{limit + 4} initiator ports registered: {ok} accepted")
    if ok != limit:
        fail(f"{ok} registrations accepted with a limit of {limit}")
    for st, key, asc in got[limit:]:
        if st != 2 or key != 5 or asc != b"\x55\x04":
            fail(f"registration over the limit: status {st:#x} key {key} "
                 f"ASC/ASCQ {asc.hex()}, expected 5/55/04")
    say("INSUFFICIENT REGISTRATION RESOURCES beyond the limit")
    # at the limit, a registered port may still change its key
    c = Conn(HOST, port)
    c.login(iqn, INITIATOR, isid=bytes([0x80, 0, 0, 1, 0, 0]))
    clear_ua(c)
    param = struct.pack(">QQ", 0x1000, 0x2000) + b"\0" * 8
    cdb = bytes([0x5F, 0x00, 0, 0, 0]) + struct.pack(">I", 24) + b"\0"
    c.itt += 1
    c.send(bytes([0x01, 0xA0, 0, 0, 0, 0, 0, 0]) + lun_field(1) +
           struct.pack(">IIII", c.itt, 24, c.cmdsn, c.statsn) +
           cdb.ljust(16, b"\0"), param)
    c.cmdsn += 1
    h, _ = c.recv()
    if h[3] != 0:
        fail(f"re-registration at the limit: status {h[3]:#x}")
    c.close()
    say("a registered port can still change its key at the limit")


# ---- row 9: initiator text in logs and show ----
def escape(port, iqn, pid, chap_iqn="", logf=""):
    bad = []
    evil_alias = "alias\n    Target 99: forged\x1b[2J"
    c = Conn(HOST, port)
    c.login(iqn, INITIATOR, extra=(f"InitiatorAlias={evil_alias}",))
    # CHAP_A and CHAP_N carrying line breaks and ESC, before authentication
    for key, val in (("CHAP_A", "9\nFORGED-LINE 1\x1b[31m"),
                     ("CHAP_N", "user\nFORGED-LINE 2\x1b[31m")):
        s = Conn(HOST, port)
        keys = [f"InitiatorName={INITIATOR}", "SessionType=Normal",
                f"TargetName={chap_iqn}", "AuthMethod=CHAP"]
        s.send(login_pdu(flags=0x81, data=("\0".join(keys) + "\0").encode())
               [:48], ("\0".join(keys) + "\0").encode())
        try:
            s.recv()
            if key == "CHAP_A":
                txt = f"CHAP_A={val}\0".encode()
            else:
                s.send(login_pdu(flags=0x00, data=b"CHAP_A=5\0")[:48],
                       b"CHAP_A=5\0")
                s.recv()
                txt = f"CHAP_N={val}\0CHAP_R=0x{'00' * 16}\0".encode()
            s.send(login_pdu(flags=0x00, data=txt)[:48], txt)
            s.recv()
        except (EOFError, ConnectionResetError):
            pass
        s.close()
    # a non-UTF-8 InitiatorName is not a name (RFC 7143 4.2.7)
    s = Conn(HOST, port)
    keys = b"InitiatorName=iqn.2026-11.org.tgtx:\xff\xfe\0SessionType=" \
        b"Discovery\0HeaderDigest=None\0DataDigest=None\0"
    s.send(login_pdu(flags=0x87, data=keys)[:48], keys)
    h, _ = s.recv()
    say(f"non-UTF-8 InitiatorName: login status {h[36]:#x}/{h[37]:#x}")
    if h[36] == 0:
        bad.append("a non-UTF-8 InitiatorName was accepted")
    s.close()
    time.sleep(0.5)
    show = subprocess.run([os.environ["TGTXADM"], "--control-socket",
                           os.environ["CTL"], "--op", "show", "--mode",
                           "target"], capture_output=True, check=True).stdout
    if b"\nTarget 99" in show or b"\x1b" in show:
        bad.append("InitiatorAlias forged a line of tgtxadm --op show")
    say("show: InitiatorAlias escaped")
    # the control socket refuses bytes after the request's empty line
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.settimeout(10)
    u.connect(os.environ["CTL"])
    u.sendall(b"op=show\nmode=system\n\nop=delete\nmode=system\n\n")
    reply = b""
    while True:
        part = u.recv(65536)
        if not part:
            break
        reply += part
    u.close()
    first = reply.split(b"\n")[0]
    say(f"control request with trailing bytes: {first!r}")
    if not reply.startswith(b"status=22"):
        bad.append("the control socket ignored bytes after the terminator")
    with open(logf, "rb") as f:
        log = f.read()
    for raw in (b"\nFORGED-LINE", b"\x1b"):
        if raw in log:
            bad.append(f"peer text reached the log raw ({raw!r})")
    if b"FORGED-LINE 1" not in log or b"FORGED-LINE 2" not in log:
        bad.append("CHAP_A/CHAP_N were not logged at all (test broken?)")
    c.close()
    for b in bad:
        print(f"FAIL: {b}", flush=True)
    if bad:
        sys.exit(1)
    say("log lines and show: peer text escaped")


# ---- the soak: every flood at once, from other loopback addresses ----
def show_text():
    return subprocess.run([os.environ["TGTXADM"], "--control-socket",
                           os.environ["CTL"], "--op", "show", "--mode",
                           "system"], capture_output=True).stdout.decode()


def show_conns():
    out = subprocess.run([os.environ["TGTXADM"], "--control-socket",
                          os.environ["CTL"], "--op", "show", "--mode",
                          "system"], capture_output=True).stdout.decode()
    for line in out.splitlines():
        if line.startswith("Connections:"):
            return int(line.split()[1])
    return -1


class Soak:
    def __init__(self, port, iqn, seconds):
        self.port, self.iqn = port, iqn
        self.end = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.socks = []      # every attacking socket, kept open
        self.opened = 0
        self.errors = []

    def live(self):
        return time.monotonic() < self.end

    def keep(self, s):
        with self.lock:
            self.socks.append(s)
            self.opened += 1

    def hold(self, s):
        """Keeps s open, unread, until the target drops it (a send then
        fails) or the soak ends."""
        while self.live():
            try:
                s.send(b"")
                time.sleep(1)
                s.getpeername()
            except OSError:
                return
            try:
                data = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                if data == b"":
                    return
            except BlockingIOError:
                pass
            except OSError:
                return

    def run(self, fn, src):
        while self.live():
            try:
                fn(src)
            except (OSError, EOFError, RuntimeError, ValueError):
                time.sleep(0.2)

    def login_flood(self, src):
        s = deaf_socket(self.port, src)
        self.keep(s)
        push(s, login_pdu() * 1000, 250000 * 48, seconds=10)
        self.hold(s)

    def tur_flood(self, src):
        c = deaf_conn(self.port, src, timeout=10)
        self.keep(c.s)
        c.login(self.iqn, INITIATOR, isid=os.urandom(6))

        def chunk():
            return b"".join(scsi_pdu(c, b"\0" * 6, 0x80, 0)
                            for _ in range(2000))
        push(c.s, chunk, 200000 * 48, seconds=10)
        self.hold(c.s)

    def read_flood(self, src):
        c = deaf_conn(self.port, src, timeout=10)
        self.keep(c.s)
        c.login(self.iqn, INITIATOR, isid=os.urandom(6))
        clear_ua(c)
        c.s.sendall(b"".join(scsi_pdu(c, bytes([0x88, 0]) + struct.pack(
            ">QIBB", n * 16384, 16384, 0, 0), 0xC0, 8 << 20)
            for n in range(80)))
        self.hold(c.s)

    def parked(self, src):
        c = deaf_conn(self.port, src, timeout=10)
        self.keep(c.s)
        c.login(self.iqn, INITIATOR, isid=os.urandom(6))
        gap = c.cmdsn
        out = b""
        for k in range(1, 128):
            hdr = bytearray(scsi_pdu(c, bytes([0x2A, 0]) + struct.pack(
                ">IBHB", k * 16, 0, 16, 0), 0xA0, 8192, cmdsn=gap + k))
            hdr[5:8] = (8192).to_bytes(3, "big")
            out += bytes(hdr) + b"\x55" * 8192
        push(c.s, out, len(out), seconds=10)
        self.hold(c.s)

    def idle(self, src):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(5)
        s.connect((HOST, self.port))
        self.keep(s)
        self.hold(s)

    def discovery(self, src):
        c = Conn.__new__(Conn)
        c.s = socket.socket()
        c.s.bind((src, 0))
        c.s.settimeout(10)
        c.s.connect((HOST, self.port))
        c.hd = c.dd = False
        c.itt, c.cmdsn, c.statsn, c.tsih = 1, 0, 0, 0
        self.keep(c.s)
        c.login(self.iqn, INITIATOR, session_type="Discovery")
        text_exchange(c, b"SendTargets=All\0" * 4096)
        self.hold(c.s)


def soak(port, iqn, pid, seconds="60", budget_mib="128"):
    raise_nofile()
    budget = int(budget_mib)
    base = rss_mib(pid)
    sk = Soak(port, iqn, int(seconds))
    plan = [(sk.login_flood, "127.0.0.2", 2), (sk.tur_flood, "127.0.0.3", 2),
            (sk.read_flood, "127.0.0.4", 3), (sk.parked, "127.0.0.5", 1),
            (sk.idle, "127.0.0.6", 40), (sk.discovery, "127.0.0.7", 4)]
    threads = []
    for fn, src, n in plan:
        for _ in range(n):
            t = threading.Thread(target=sk.run, args=(fn, src), daemon=True)
            t.start()
            threads.append(t)
    peak = base
    while sk.live():
        time.sleep(1)
        peak = max(peak, rss_mib(pid))
    if os.environ.get("SOAK_STOP"):
        open(os.environ["SOAK_STOP"], "w").close()  # healthy I/O ends too
        time.sleep(3)
    say(f"soak: {sk.opened} attacking connections in {seconds} s, RSS "
        f"{base:.0f} -> peak {peak:.0f} MiB, budget {budget} MiB")
    if peak - base > budget + 48:
        fail(f"RSS peaked {peak - base:.0f} MiB over the start, budget "
             f"{budget} MiB")
    # every attacker still connected must be dropped by a deadline
    for t in threads:
        t.join(timeout=15)
    left = show_conns()
    if not wait_for(lambda: show_conns() == 0, 50, step=1):
        print(show_text().split("Connections:")[1], flush=True)
        fail(f"{show_conns()} attacking connections still open 50 s after "
             f"the soak ({left} at its end)")
    say(f"all attacking connections dropped by the target ({left} were open "
        "at the end)")
    for s in sk.socks:
        s.close()
    time.sleep(3)
    rsp_memory_bound(pid, base, budget // 2, "after the soak")


SCENARIOS = {
    "login-flood": login_flood,
    "tur-flood": tur_flood,
    "close-deadline": close_deadline,
    "conn-fairness": conn_fairness,
    "fd-exhaustion": fd_exhaustion,
    "sendtargets": sendtargets,
    "read-flood": read_flood,
    "target-reset": target_reset,
    "pr-limit": pr_limit,
    "escape": escape,
    "soak": soak,
}

if __name__ == "__main__":
    if len(sys.argv) < 5 or sys.argv[1] not in SCENARIOS:
        sys.exit(__doc__)
    fn = SCENARIOS[sys.argv[1]]
    args = sys.argv[5:]
    fn(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), *args)
    print("OK", flush=True)
