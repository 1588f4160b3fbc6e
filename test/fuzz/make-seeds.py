#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the seed corpora of the libFuzzer harnesses into
test/fuzz/corpus/<harness>/ (the files are committed; rerun this after a
harness changes its input format, then commit the result).

  fuzz_login  valid login sequences (no auth, CHAP, discovery, one-step to
              full feature phase), negotiation text with every key the
              target knows, and broken variants, in fuzz_login.c's format:
              one mode byte, then [48-byte Login Request][data segment]...
  fuzz_pdu    one stream with a PDU of every initiator opcode, with and
              without digests, split at several chunk sizes
  fuzz_conf   targets.conf files using every directive
  fuzz_mgmt   control-socket requests for every mode/op, and responses

usage: make-seeds.py [OUTDIR]   (default: the corpus/ beside this script)"""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else \
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

TN_OPEN = "iqn.2024-01.fuzz:open"  # targets set up by fuzz_login.c
TN_CHAP = "iqn.2024-01.fuzz:chap"
INI = "iqn.fuzz:i"

# ---- iSCSI helpers ----
# The CRC32C of the digests is the raw initiator's: one table, one place.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "system"))
from iscsi_raw import crc32c  # noqa: E402


def pad(b):
    return b + b"\0" * (-len(b) % 4)


def text(*kv):
    return b"".join(k.encode() + b"\0" for k in kv)


def login_bhs(csg, nsg, transit, data, cont=False, itt=1, cmdsn=0,
              tsih=0, isid=b"\x80\0\0\0\0\1", immediate=True):
    flags = (0x80 if transit else 0) | (0x40 if cont else 0) | \
        (csg << 2) | nsg
    op = 0x03 | (0x40 if immediate else 0)
    return bytes([op, flags, 0, 0, 0]) + len(data).to_bytes(3, "big") + \
        isid + struct.pack(">HIHHII", tsih, itt, 0, 0, cmdsn, 0) + \
        b"\0" * 16


def login_seq(mode, steps):
    """fuzz_login input: mode byte, then each (bhs, data) step."""
    out = bytes([mode])
    for hdr, data in steps:
        out += hdr + data
    return out


OPERATIONAL = [
    "HeaderDigest=CRC32C,None", "DataDigest=CRC32C,None",
    "MaxConnections=1", "InitialR2T=No", "ImmediateData=Yes",
    "MaxRecvDataSegmentLength=262144", "MaxBurstLength=16776192",
    "FirstBurstLength=262144", "DefaultTime2Wait=2",
    "DefaultTime2Retain=20", "MaxOutstandingR2T=1", "DataPDUInOrder=Yes",
    "DataSequenceInOrder=Yes", "ErrorRecoveryLevel=0", "IFMarker=No",
    "OFMarker=No", "OFMarkInt=2048~8192", "IFMarkInt=2048~8192",
    "TaskReporting=RFC3720", "RDMAExtensions=No",
    "InitiatorAlias=fuzz initiator", "X-org.example.key=1",
    "X#private=2", "TargetAlias=no", "TargetPortalGroupTag=1",
    "TargetAddress=127.0.0.1:3260,1", "SendTargets=All",
    "UnknownKey=whatever", "MaxRecvDataSegmentLength=512",
]


def login_seeds():
    s = {}
    sec = text(f"InitiatorName={INI}", f"TargetName={TN_OPEN}",
               "SessionType=Normal", "AuthMethod=None")
    op = text(*OPERATIONAL[:-1])
    s["noauth-two-stage"] = login_seq(0x80, [
        (login_bhs(0, 1, True, sec), sec),
        (login_bhs(1, 3, True, op), op)])
    one = text(f"InitiatorName={INI}", f"TargetName={TN_OPEN}",
               "SessionType=Normal", "HeaderDigest=None",
               "DataDigest=None")
    s["one-step-ffp"] = login_seq(0x80, [(login_bhs(1, 3, True, one), one)])
    s["every-key"] = login_seq(0x80, [
        (login_bhs(1, 3, True, text(f"InitiatorName={INI}",
                                    f"TargetName={TN_OPEN}",
                                    "SessionType=Normal", *OPERATIONAL)),
         text(f"InitiatorName={INI}", f"TargetName={TN_OPEN}",
              "SessionType=Normal", *OPERATIONAL))])
    disc = text(f"InitiatorName={INI}", "SessionType=Discovery",
                "AuthMethod=None")
    dop = text("HeaderDigest=None", "MaxRecvDataSegmentLength=65536")
    s["discovery"] = login_seq(0x80, [
        (login_bhs(0, 1, True, disc), disc),
        (login_bhs(1, 3, True, dop), dop)])
    chap1 = text(f"InitiatorName={INI}", f"TargetName={TN_CHAP}",
                 "SessionType=Normal", "AuthMethod=CHAP,None")
    chap2 = text("CHAP_A=5")
    chap3 = text("CHAP_N=user", "CHAP_R=0x" + "00" * 16,
                 "CHAP_I=1", "CHAP_C=0x" + "5a" * 16)
    s["chap"] = login_seq(0x80, [
        (login_bhs(0, 0, False, chap1), chap1),
        (login_bhs(0, 0, False, chap2), chap2),
        (login_bhs(0, 1, True, chap3), chap3),
        (login_bhs(1, 3, True, op), op)])
    # mode bit 0: the harness sends a valid first request itself
    s["prefixed-open"] = login_seq(0x81, [(login_bhs(1, 3, True, op), op)])
    s["prefixed-chap"] = login_seq(0x83, [
        (login_bhs(0, 0, False, chap2), chap2),
        (login_bhs(0, 1, True, chap3), chap3)])
    # small response limit: the target continues its answer (C bit)
    s["small-limit"] = login_seq(0x04, [
        (login_bhs(1, 3, True, text(f"InitiatorName={INI}",
                                    f"TargetName={TN_OPEN}", *OPERATIONAL)),
         text(f"InitiatorName={INI}", f"TargetName={TN_OPEN}",
              *OPERATIONAL)),
        (login_bhs(1, 3, True, b""), b"")])
    # initiator text split over two requests with the C bit
    half = text(f"InitiatorName={INI}", f"TargetName={TN_OPEN}")
    s["continued"] = login_seq(0x80, [
        (login_bhs(0, 1, False, half, cont=True), half),
        (login_bhs(0, 1, True, text("AuthMethod=None")),
         text("AuthMethod=None"))])
    bad = b"InitiatorName\0=\0==\0" + b"K" * 300 + b"=v\0TargetName=" + \
        TN_OPEN.encode() + b"\0"
    s["malformed-text"] = login_seq(0x80, [(login_bhs(1, 3, True, bad), bad)])
    s["unknown-target"] = login_seq(0x80, [
        (login_bhs(1, 3, True, text(f"InitiatorName={INI}",
                                    "TargetName=iqn.nope:x")),
         text(f"InitiatorName={INI}", "TargetName=iqn.nope:x"))])
    return s


# ---- PDU stream (fuzz_pdu.c: cfg byte, then the stream) ----
def pdu(op, flags=0x80, data=b"", itt=1, rest=b"", lun=b"\0" * 8,
        hd=False, dd=False, ahs=b""):
    hdr = bytes([op, flags, 0, 0, len(ahs) // 4]) + \
        len(data).to_bytes(3, "big") + lun + struct.pack(">I", itt) + rest
    hdr = hdr.ljust(48, b"\0") + ahs
    out = hdr
    if hd:
        out += struct.pack("<I", crc32c(hdr))
    if data:
        out += pad(data)
        if dd:
            out += struct.pack("<I", crc32c(pad(data)))
    return out


def every_pdu(hd=False, dd=False):
    lun1 = struct.pack(">HHI", 1, 0, 0)
    tur = bytes(16)
    rd10 = bytes([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0])
    wr10 = bytes([0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0])
    stream = [
        pdu(0x00, data=b"ping", rest=struct.pack(">III", 0xffffffff, 1, 0)),
        pdu(0x01, 0x80, itt=2, lun=lun1,
            rest=struct.pack(">III", 0, 1, 0) + tur),
        pdu(0x01, 0xc0, itt=3, lun=lun1,
            rest=struct.pack(">III", 4096, 2, 0) + rd10.ljust(16, b"\0")),
        pdu(0x01, 0xa0, itt=4, lun=lun1, data=b"w" * 512,
            rest=struct.pack(">III", 512, 3, 0) + wr10.ljust(16, b"\0")),
        pdu(0x02, 0x81, itt=5, lun=lun1,
            rest=struct.pack(">IIII", 3, 4, 0, 0)),
        pdu(0x04, 0x80, itt=6, data=text("SendTargets=All"),
            rest=struct.pack(">III", 0xffffffff, 5, 0)),
        pdu(0x05, 0x80, itt=4, data=b"d" * 1024, lun=lun1,
            rest=struct.pack(">IIIII", 0x10, 0, 0, 0, 512)),
        pdu(0x06, 0x80, itt=7, rest=struct.pack(">HHIII", 0, 0, 6, 0, 0)),
        pdu(0x10, 0x00, itt=0xffffffff,
            rest=struct.pack(">IIIII", 0, 0, 0, 0, 0)),
        pdu(0x43, 0x87, data=text(f"InitiatorName={INI}")),
        pdu(0x1c, 0x80, itt=8),
        pdu(0x01, 0x80, itt=9, lun=lun1, ahs=struct.pack(">HBB", 8, 1, 0) +
            b"\0" * 8, rest=struct.pack(">III", 0, 7, 0) + tur),
    ]
    return b"".join(stream)


def pdu_seeds():
    s = {}
    s["all-opcodes"] = bytes([0x00]) + every_pdu()
    s["all-opcodes-hdigest"] = bytes([0x01]) + every_pdu(hd=True)
    s["all-opcodes-digests"] = bytes([0x03]) + every_pdu(hd=True, dd=True)
    s["all-opcodes-placed"] = bytes([0x14]) + every_pdu()
    s["all-opcodes-bigsteps"] = bytes([0xf0]) + every_pdu()
    s["bad-hdigest"] = bytes([0x01]) + pdu(0x00, hd=False) + b"\0\0\0\0"
    s["oversized"] = bytes([0x00]) + bytes([0x01, 0x80, 0, 0, 0]) + \
        (0xffffff).to_bytes(3, "big") + b"\0" * 40 + b"x" * 64
    return s


# ---- targets.conf ----
CONF_FULL = """# every directive tgt-admin knows, and tgtx's
control-port 0
ignore-errors yes
default-driver iscsi

<target iqn.2026-11.org.tgtx:one>
    tid 3
    driver iscsi
    backing-store disk0.img
    <backing-store disk1.img>
        lun 5
        bs-type xorshare
        bsopts "k=2;n=3;log=disk1.log"
        bsoflags direct:sync
        allow-in-use yes
        vendor_id TGTX
        product_id "FUZZ DISK"
        product_rev 0001
        scsi_id fuzz-1
        scsi_sn SN0001
        removable 0
        readonly 1
        write-cache off
        online 1
        sense-format 1
        thin-provisioning 1
        device-type disk
        block-size 4096
        params thin_provisioning=1,online=1
    </backing-store>
    <backing-store disk2.img>
        xorshare k=2 n=3 log=disk2.log
        lun 7
    </backing-store>
    direct-store raw0
    bs-type rdwr
    initiator-address 127.0.0.1
    initiator-address 10.0.0.0/8
    initiator-name iqn.2026-11.org.tgtx:ini
    incominguser alice secret-alice-1
    outgoinguser bob secret-bob-22
    MaxRecvDataSegmentLength 65536
    HeaderDigest CRC32C,None
    InitialR2T No
    ImmediateData Yes
    active-sessions 0
</target>

<target iqn.2026-11.org.tgtx:two>
    backing-store a.img
    backing-store b.img
    write-cache on
    vendor_id \\
        CONT
</target>

account carol secret-carol-3
"""

CONF_ERRORS = """mode_page 1
<target iqn.a:b>
    mode_page 8:0:18
    lun 99999
    backing-store
    xorshare k=2;n=3
    incominguser onlyname
</target>
"""

CONF_TRICKY = """<target "iqn.2026-11.org.tgtx:quoted name">
  <backing-store "with space.img">
    lun 16383
  </backing-store>
  <backing-store x.img>
    lun 0
  </backing-store>
</target>
<target iqn.x:y>
</target>
<target iqn.x:y>
</target>
</target>
<backing-store orphan>
"""


CONF_PEERS = """<target iqn.2026-11.org.tgtx:peers>
    share-peer 2 iscsi://10.0.0.1/iqn.2026-11.org.tgtx:t/7 transport=plain
    <backing-store p.img>
        lun 1
        xorshare k=2 n=3 log=p.log
        share-peer 0 "iscsi://u%pw@[::1]:3261/iqn.2026-11.org.tgtx:s/1?target_user=t&target_password=tp" transport=tls pin=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef rate=10M retain=7d
        share-peer.1 "iscsi://h/iqn.2026-11.org.tgtx:s/2"
        share-peer.1.transport ipsec
        share-peer.1.rate 512K
    </backing-store>
</target>
"""


def conf_seeds():
    return {
        "share-peers": CONF_PEERS.encode(),
        "full": CONF_FULL.encode(),
        "tricky": CONF_TRICKY.encode(),
        "errors": CONF_ERRORS.encode(),
        "errors-ignored": b"ignore-errors yes\n" + CONF_ERRORS.encode(),
        "empty": b"",
        "include-loop": b"include self.conf\n",
        "include-glob": b"include *.conf\n<target iqn.a:b>\nbacking-store z\n</target>\n",
        "include-nested": b"include nested.conf\ninclude missing-*.conf\n",
        "long-continuation": b"<target iqn.a:b>\nvendor_id " +
        b"\\\n" * 200 + b"X\n</target>\n",
    }


# ---- control socket ----
def req(*kv):
    return ("".join(f"{k}={v}\n" for k, v in kv) + "\n").encode()


def mgmt_seeds():
    s = {}
    reqs = {
        "target-new": req(("op", "new"), ("mode", "target"), ("tid", "1"),
                          ("targetname", "iqn.2026-11.org.tgtx:a"),
                          ("lld", "iscsi")),
        "lun-new": req(("op", "new"), ("mode", "logicalunit"), ("tid", "1"),
                       ("lun", "1"), ("backing-store", "/tmp/a.img"),
                       ("bstype", "xorshare"),
                       ("bsopts", "k=2;n=3;log=/tmp/a.log"),
                       ("params", "vendor_id=X,write-cache=off")),
        "bind": req(("op", "bind"), ("mode", "target"), ("tid", "1"),
                    ("initiator-address", "ALL")),
        "account": req(("op", "new"), ("mode", "account"),
                       ("user", "alice"), ("password", "secret")),
        "show": req(("op", "show"), ("mode", "system")),
        "update": req(("op", "update"), ("mode", "target"), ("tid", "1"),
                      ("name", "MaxRecvDataSegmentLength"),
                      ("value", "65536")),
        "delete": req(("op", "delete"), ("mode", "target"), ("tid", "1"),
                      ("force", "")),
        "portal": req(("op", "new"), ("mode", "portal"),
                      ("param", "portal=[::1]:3260")),
        "conn": req(("op", "delete"), ("mode", "connection"), ("tid", "1"),
                    ("sid", "1"), ("cid", "0")),
        "bad-key": b"Op=new\nmode\n=x\nmode=a\nmode=b\n\n",
        "no-end": req(("op", "show"))[:-1],
        "two-requests": req(("op", "show")) + req(("op", "new")),
    }
    # fuzz_mgmt.c: first byte picks request or response parsing
    for name, r in reqs.items():
        s["req-" + name] = b"\0" + r
    s["rsp-ok"] = b"\1status=0\n\nTarget 1: iqn.x\n"
    s["rsp-err"] = b"\1status=22\n\nbad tid\n"
    s["rsp-bad"] = b"\1status=x\nstatus=1\n"
    return s


def main():
    sets = {"fuzz_login": login_seeds(), "fuzz_pdu": pdu_seeds(),
            "fuzz_conf": conf_seeds(), "fuzz_mgmt": mgmt_seeds()}
    for harness, seeds in sets.items():
        d = os.path.join(OUT, harness)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"{d}: {len(seeds)} seeds")


main()
