#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Classifies each test of a verbose libiscsi iscsi-test-cu run as pass,
fail or skip.

usage: cu-classify.py OUTPUT.txt [--list]
Prints 'pass N fail N skip N total N' (after the per-test lines
'OUTCOME Suite.Test' with --list).

A test has an outcome only once CUnit reports it finished: CUnit prints
"  Test: NAME ..." when a test starts, then the test's own output, then
"passed" or "FAILED" (right after the "..." or at the start of a line).
  - finished "passed", with a "[SKIPPED]" in its output  -> skip
  - finished "passed", with a "[FAILED]" in its output   -> fail (as the
    stock tgt yardstick was classified)
  - finished "passed" otherwise                          -> pass
  - finished "FAILED"                                    -> fail
  - started but never finished (the daemon or the suite crashed, the
    timeout hit, the output was cut: the next test or suite begins, or
    the file ends, before its completion marker)          -> fail
A "passed" at the end of any other line (the test's own messages) does not
finish a test, and a skip message without the completion marker is not a
skip. Tests the suite never started are absent: the caller compares against
a list of expected tests."""
import re
import sys

START = re.compile(r"^\s+Test: (\S+) \.\.\.(.*)$")
SUITE = re.compile(r"^Suite: (\S+)")


def classify(lines):
    res = {}
    suite = None
    cur = None  # the running test: [name, saw_fail, saw_skip]

    def finish(outcome):
        name, saw_fail, saw_skip = cur
        if outcome == "passed":
            outcome = "fail" if saw_fail else "skip" if saw_skip else "pass"
        else:
            outcome = "fail"
        res[name] = outcome

    def output(text):
        """The running test's own output, or its completion marker.
        Returns True when the test finished."""
        if "[FAILED]" in text:
            cur[1] = True
        if "[SKIPPED]" in text:
            cur[2] = True
        t = text.strip()
        if t == "passed" or text.startswith("passed"):
            finish("passed")
            return True
        if text.startswith("FAILED"):
            finish("FAILED")
            return True
        return False

    for line in lines:
        line = line.rstrip("\r\n")
        m = SUITE.match(line)
        if m:
            if cur:
                res[cur[0]] = "fail"  # cut off
                cur = None
            suite = m.group(1)
            continue
        m = START.match(line)
        if m:
            if cur:
                res[cur[0]] = "fail"  # cut off
            cur = [f"{suite}.{m.group(1)}", False, False]
            res[cur[0]] = "fail"  # until it finishes
            rest = m.group(2)
            # "...passed" / "...FAILED", or the first line of its output
            if rest.startswith("passed") or rest.startswith("FAILED"):
                finish("passed" if rest.startswith("passed") else "FAILED")
                cur = None
            elif output(rest.lstrip()) if rest.strip() else False:
                cur = None
            continue
        if cur is None:
            continue
        if output(line):
            cur = None
    return res


def main():
    with open(sys.argv[1], errors="replace") as f:
        res = classify(f)
    counts = {k: sum(1 for v in res.values() if v == k)
              for k in ("pass", "fail", "skip")}
    if "--list" in sys.argv:
        for t, v in sorted(res.items()):
            print(v, t)
    print(f"pass {counts['pass']} fail {counts['fail']} "
          f"skip {counts['skip']} total {len(res)}")


main()
