#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Client side of the tgtxd metrics tests (loopback only).

  metrics_probe.py get PORT
      GET /metrics; prints the page, exit 1 unless 200 with the Prometheus
      content type within 5 s.
  metrics_probe.py value PORT NAME [LABEL=VALUE ...]
      prints the value of the one sample NAME whose labels include the given
      ones (exit 1 if none or several).
  metrics_probe.py poll PORT PID TARGET
      scrapes every 0.2 s while process PID lives; prints "scrapes=N
      max_sessions=M" (M: largest tgtx_target_sessions of TARGET seen);
      exit 1 if a scrape fails.
  metrics_probe.py hostile PORT PID
      huge headers, slowloris, a connection flood and malformed requests;
      checks every answer, that a scrape still works meanwhile, that tgtxd
      (PID) holds a bounded number of descriptors and that stalled
      connections are closed at the deadline. Prints PASS lines; exit 1 on
      the first failure."""
import os
import re
import socket
import sys
import time

HOST = "127.0.0.1"
CTYPE = "text/plain; version=0.0.4; charset=utf-8"
DEADLINE_S = 5.0  # HTTP_DEADLINE_MS in usr/core/http_min.h
MAX_CONNS = 16  # HTTP_MAX_CONNS


def request(port, raw, timeout=5.0):
    """Sends raw bytes, returns (status, headers dict, body) or raises."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ", lines[0])
    if not m:
        raise ValueError(f"bad status line {lines[0]!r}")
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if "content-length" in hdrs and not raw.startswith(b"HEAD") and \
            int(hdrs["content-length"]) != len(body):
        raise ValueError("Content-Length does not match the body")
    return int(m.group(1)), hdrs, body


def scrape(port, timeout=5.0):
    st, hdrs, body = request(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                             timeout)
    if st != 200 or hdrs.get("content-type") != CTYPE:
        raise ValueError(f"scrape: status {st}, type {hdrs.get('content-type')}")
    return body.decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(page):
    for line in page.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError(f"malformed sample line {line!r}")
        yield m.group(1), dict(LABEL.findall(m.group(3) or "")), m.group(4)


def value(page, name, want):
    hits = [v for n, lab, v in samples(page)
            if n == name and all(lab.get(k) == x for k, x in want.items())]
    if len(hits) != 1:
        raise ValueError(f"{len(hits)} samples of {name} {want}")
    return hits[0]


def nr_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def ok(msg):
    print(f"PASS: {msg}", flush=True)


def check(cond, msg):
    if not cond:
        print(f"FAIL: {msg}", flush=True)
        sys.exit(1)


def closed_by_peer(s, wait):
    """True when the server closes s (EOF or reset) within wait seconds."""
    s.settimeout(wait)
    try:
        while True:
            if not s.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def hostile(port, pid):
    base_fds = nr_fds(pid)

    # malformed and unexpected requests: each answered, nothing kept
    cases = [(b"POST /metrics HTTP/1.1\r\n\r\n", 405),
             (b"GET /nothing HTTP/1.1\r\n\r\n", 404),
             (b"GET /metrics HTTP/2.0\r\n\r\n", 505),
             (b"GET /metrics\r\n\r\n", 400),
             (b"\x16\x03\x01\x02\x00garbage\r\n\r\n", 400),
             (b"GET /met\0rics HTTP/1.1\r\n\r\n", 400),
             (b"GET  /metrics HTTP/1.1\r\n\r\n", 400),
             (b"GET /metrics?x=1 HTTP/1.0\n\n", 200)]
    for raw, want in cases:
        st, _, _ = request(port, raw)
        check(st == want, f"{raw[:24]!r}: status {st}, expected {want}")
    st, hdrs, body = request(port, b"HEAD /metrics HTTP/1.1\r\n\r\n")
    check(st == 200 and body == b"" and int(hdrs["content-length"]) > 0,
          "HEAD: headers only")
    ok("malformed requests answered 400/404/405/505, HEAD and HTTP/1.0 work")

    # huge headers: 431 (or a close) after HTTP_MAX_REQ bytes, never more
    s = socket.create_connection((HOST, port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.1\r\n")
    sent, answer = 0, b""
    try:
        while sent < 4 << 20:
            s.sendall(b"X-Pad: " + b"a" * 1000 + b"\r\n")
            sent += 1009
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        s.settimeout(5)
        answer = s.recv(4096)
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    check(answer.startswith(b"HTTP/1.1 431") or answer == b"",
          f"huge headers: {answer[:40]!r}")
    check(sent < 4 << 20, "4 MiB of headers were all accepted")
    page = scrape(port)
    check(int(value(page, "tgtx_metrics_http_rejected_total",
                    {"reason": "too_large"})) >= 1, "too_large not counted")
    ok(f"huge headers refused ({answer[:12]!r}) after {sent} bytes sent")

    # slowloris: many half-sent requests; a real scrape still gets through
    slow = []
    for _ in range(3 * MAX_CONNS):
        c = socket.create_connection((HOST, port), timeout=5)
        c.sendall(b"GET /metrics HTTP/1.1\r\nX-Slow: ")
        slow.append(c)
    time.sleep(0.3)
    t0 = time.monotonic()
    page = scrape(port, timeout=3)
    check(time.monotonic() - t0 < 3, "scrape slow under slowloris")
    fds = nr_fds(pid)
    check(fds <= base_fds + MAX_CONNS + 2,
          f"tgtxd holds {fds} fds under slowloris (base {base_fds})")
    ok(f"scrape answered under slowloris ({len(slow)} stalled clients, "
       f"tgtxd fds {base_fds} -> {fds})")
    # every stalled client is closed by the deadline (or evicted before)
    t0 = time.monotonic()
    for c in slow:
        check(closed_by_peer(c, max(0.1, DEADLINE_S + 3 - (time.monotonic() - t0))),
              "a stalled connection outlived the deadline")
        c.close()
    ok(f"stalled connections closed within {time.monotonic() - t0:.1f} s")

    # connection flood: hundreds of idle connections, descriptors bounded
    flood = []
    for _ in range(300):
        try:
            flood.append(socket.create_connection((HOST, port), timeout=2))
        except OSError:
            break
    time.sleep(0.3)
    page = scrape(port, timeout=3)
    fds = nr_fds(pid)
    check(fds <= base_fds + MAX_CONNS + 2,
          f"tgtxd holds {fds} fds under a flood (base {base_fds})")
    for c in flood:
        c.close()
    ok(f"scrape answered under a {len(flood)}-connection flood "
       f"(tgtxd fds {base_fds} -> {fds})")
    # a burst of scrapes: renders are rationed (RENDER_BURST, RENDER_PER_S in
    # usr/metrics/metrics.c), the rest get 503 with Retry-After
    time.sleep(1.5)
    codes = []
    for _ in range(2):
        wave = [socket.create_connection((HOST, port), timeout=5)
                for _ in range(MAX_CONNS - 2)]
        for c in wave:
            c.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
        for c in wave:
            data = b""
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                data += chunk
            c.close()
            codes.append(int(data[9:12]))
            if codes[-1] == 503:
                check(b"\r\nRetry-After: 1\r\n" in data, "503 without Retry-After")
    check(codes.count(503) > 0 and codes.count(200) >= 10,
          f"scrape burst of {len(codes)}: {codes.count(200)} x 200, "
          f"{codes.count(503)} x 503")
    ok(f"scrape burst of {len(codes)}: {codes.count(200)} rendered, "
       f"{codes.count(503)} answered 503 Retry-After")
    time.sleep(1.5)
    page = scrape(port)
    check(int(value(page, "tgtx_metrics_http_rejected_total",
                    {"reason": "rate_limited"})) == codes.count(503),
          "rate_limited counter")
    ev = int(value(page, "tgtx_metrics_http_rejected_total", {"reason": "evicted"}))
    check(ev > 0, "no eviction counted")
    check(nr_fds(pid) <= base_fds + 1, f"descriptors left over: {nr_fds(pid)}")
    ok(f"{ev} connections evicted, descriptors back to {nr_fds(pid)}")


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    try:
        if cmd == "get":
            sys.stdout.write(scrape(port))
        elif cmd == "value":
            want = dict(a.split("=", 1) for a in sys.argv[4:])
            print(value(scrape(port), sys.argv[3], want))
        elif cmd == "poll":
            pid, target = int(sys.argv[3]), sys.argv[4]
            n = best = 0
            while os.path.exists(f"/proc/{pid}") and \
                    not open(f"/proc/{pid}/stat").read().split(") ")[1].startswith("Z"):
                page = scrape(port)
                best = max(best, int(value(page, "tgtx_target_sessions",
                                           {"target": target})))
                n += 1
                time.sleep(0.2)
            print(f"scrapes={n} max_sessions={best}")
        elif cmd == "hostile":
            hostile(port, int(sys.argv[3]))
        else:
            sys.exit(2)
    except (OSError, ValueError) as e:
        print(f"FAIL: {cmd}: {e}", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
