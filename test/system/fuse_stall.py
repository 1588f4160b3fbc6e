#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Storage that can stop answering, for deadline tests: a read-only FUSE
file system (raw /dev/fuse protocol, no library) with one file NAME whose
bytes are read, at every request, from SRC (opened before the mount, so
SRC may live under the mount point). Reads bypass the page cache
(FOPEN_DIRECT_IO), so while this process is stopped (SIGSTOP) every read
of the file, and its open, waits, as on a hung disk or NFS server; SIGCONT
lets them finish. SIGKILL fails them (ENOTCONN) and the mount goes with its
mount namespace.

  fuse_stall.py --mount DIR --name NAME --src SRC [--pidfile FILE]

Needs CAP_SYS_ADMIN in its mount namespace (root, or `unshare -Urm`).
"""
import argparse
import ctypes
import errno
import os
import struct
import sys

FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR = 1, 2, 3
FUSE_OPEN, FUSE_READ, FUSE_STATFS, FUSE_RELEASE = 14, 15, 17, 18
FUSE_FLUSH, FUSE_INIT, FUSE_OPENDIR, FUSE_RELEASEDIR = 25, 26, 27, 29
FUSE_ACCESS, FUSE_INTERRUPT, FUSE_DESTROY = 34, 36, 38
FUSE_BATCH_FORGET = 42
FOPEN_DIRECT_IO = 1
ROOT, FILE = 1, 2
IN_HDR = struct.Struct("<IIQQIIIHH")  # len opcode unique nodeid uid gid pid
OUT_HDR = struct.Struct("<IiQ")  # len error unique
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")  # struct fuse_attr, 88 bytes


def attr(node, src_fd):
    if node == ROOT:
        size, mode, nlink = 0, 0o40555, 2
    else:
        size, mode, nlink = os.fstat(src_fd).st_size, 0o100444, 1
    return ATTR.pack(node, size, (size + 511) // 512, 0, 0, 0, 0, 0, 0,
                     mode, nlink, os.getuid(), os.getgid(), 0, 4096, 0)


def reply(fd, unique, err=0, body=b""):
    os.write(fd, OUT_HDR.pack(OUT_HDR.size + len(body), -err, unique) + body)


def serve(fd, name, src_fd):
    while True:
        try:
            req = os.read(fd, 1 << 20 | 4096)
        except OSError as e:
            if e.errno in (errno.EINTR, errno.EAGAIN, errno.ENOENT):
                continue  # ENOENT: the request was interrupted
            if e.errno == errno.ENODEV:
                return  # unmounted
            raise
        ln, op, unique, node = IN_HDR.unpack_from(req)[:4]
        arg = req[IN_HDR.size:ln]
        if op in (FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT):
            continue  # no reply
        try:
            if op == FUSE_INIT:
                major, minor, readahead = struct.unpack_from("<III", arg)
                out = struct.pack("<IIIIHHIIHHII", 7, min(minor, 31),
                                  readahead, 0, 16, 12, 1 << 17, 1, 0, 0,
                                  0, 0)
                reply(fd, unique, 0, out.ljust(64, b"\0"))
            elif op == FUSE_LOOKUP:
                if node == ROOT and arg.rstrip(b"\0") == name:
                    reply(fd, unique, 0, struct.pack("<QQQQII", FILE, 0,
                                                     0, 0, 0, 0) +
                          attr(FILE, src_fd))
                else:
                    reply(fd, unique, errno.ENOENT)
            elif op == FUSE_GETATTR:
                reply(fd, unique, 0, struct.pack("<QII", 0, 0, 0) +
                      attr(node, src_fd))
            elif op == FUSE_OPEN:
                reply(fd, unique, 0, struct.pack("<QIi", 0,
                                                 FOPEN_DIRECT_IO, 0))
            elif op == FUSE_OPENDIR:
                reply(fd, unique, 0, struct.pack("<QIi", 0, 0, 0))
            elif op == FUSE_READ:
                _, off, size = struct.unpack_from("<QQI", arg)
                reply(fd, unique, 0, os.pread(src_fd, size, off))
            elif op in (FUSE_RELEASE, FUSE_RELEASEDIR, FUSE_FLUSH,
                        FUSE_ACCESS):
                reply(fd, unique)
            elif op == FUSE_STATFS:
                reply(fd, unique, 0, bytes(80))
            elif op == FUSE_DESTROY:
                reply(fd, unique)
                return
            else:
                reply(fd, unique, errno.ENOSYS)
        except OSError as e:
            if e.errno == errno.ENOENT:
                continue  # the kernel dropped an interrupted request
            raise


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mount", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    src_fd = os.open(a.src, os.O_RDONLY)
    fd = os.open("/dev/fuse", os.O_RDWR)
    libc = ctypes.CDLL(None, use_errno=True)
    opts = "fd=%d,rootmode=40000,user_id=%d,group_id=%d" % (
        fd, os.getuid(), os.getgid())
    if libc.mount(b"fuse_stall", a.mount.encode(), b"fuse.fuse_stall",
                  ctypes.c_ulong(6),  # MS_NOSUID | MS_NODEV
                  opts.encode()) != 0:
        e = ctypes.get_errno()
        sys.exit("fuse_stall: mount %s: %s" % (a.mount, os.strerror(e)))
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pidfile + ".tmp", a.pidfile)
    print("fuse_stall: %s/%s serves %s" % (a.mount, a.name, a.src),
          flush=True)
    serve(fd, a.name.encode(), src_fd)


if __name__ == "__main__":
    main()
