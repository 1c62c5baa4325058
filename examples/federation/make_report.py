#!/usr/bin/env python3
"""Write a 432-byte SGX REPORT (sgx_report_t) holding the given identity values.

For demonstrations and tests only. A real REPORT is written by the CPU (EREPORT), and its MAC is
made with a key that only the target enclave can derive; this one has a zero KEYID and MAC, so
it proves nothing: it exercises a verifier's comparison of the identity fields.

REPORTBODY offsets (docs/evidence.md): ATTRIBUTES.FLAGS 48, ATTRIBUTES.XFRM 56, MRENCLAVE 64,
MRSIGNER 128, CONFIGID 192, ISVPRODID 256, ISVSVN 258, REPORTDATA 320; then KEYID (384, 32 bytes)
and MAC (416, 16 bytes). Integers are little-endian.

Example:
  make_report.py --mrenclave 29243f15...a6 --mrsigner 31ecbf4d...f4 --isvprodid 1 --isvsvn 1 -o report.bin
"""
import argparse
import os
import struct
import sys

FLAG_INIT = 0x1
FLAG_DEBUG = 0x2
FLAG_MODE64BIT = 0x4
FLAG_KSS = 0x80


def hex_bytes(n):
    def parse(s):
        try:
            b = bytes.fromhex(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not hex: {s!r}")
        if len(b) != n:
            raise argparse.ArgumentTypeError(f"{len(b)} bytes, expected {n} ({2 * n} hex digits)")
        return b
    return parse


def main():
    p = argparse.ArgumentParser(description="Write a 432-byte SGX REPORT with the given identity (zero MAC: for tests).")
    p.add_argument("--mrenclave", type=hex_bytes(32), required=True, help="64 hex digits")
    p.add_argument("--mrsigner", type=hex_bytes(32), required=True, help="64 hex digits")
    p.add_argument("--configid", type=hex_bytes(64), default=bytes(64),
                   help="128 hex digits; a non-zero CONFIGID also sets the KSS attribute, as only KSS enclaves have one")
    p.add_argument("--isvprodid", type=int, default=0)
    p.add_argument("--isvsvn", type=int, default=0)
    p.add_argument("--debug", action="store_true", help="set ATTRIBUTES.DEBUG")
    p.add_argument("--report-data", type=hex_bytes(64), default=bytes(64), help="128 hex digits")
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    for name in ("isvprodid", "isvsvn"):
        if not 0 <= getattr(a, name) <= 0xFFFF:
            p.error(f"--{name} must be 0..65535")

    flags = FLAG_INIT | FLAG_MODE64BIT
    if a.debug:
        flags |= FLAG_DEBUG
    if any(a.configid):
        flags |= FLAG_KSS
    body = bytearray(384)
    struct.pack_into("<QQ", body, 48, flags, 0x3)  # XFRM: x87 and SSE, as Gramine's default
    body[64:96] = a.mrenclave
    body[128:160] = a.mrsigner
    body[192:256] = a.configid
    struct.pack_into("<HH", body, 256, a.isvprodid, a.isvsvn)
    body[320:384] = a.report_data
    report = bytes(body) + bytes(32) + bytes(16)  # KEYID, MAC
    assert len(report) == 432
    tmp = a.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(report)
    os.replace(tmp, a.output)


if __name__ == "__main__":
    sys.exit(main())
