#!/usr/bin/env python3
"""Makes a derived enclave from ENCLAVES_DIR/derived.json. Usage: apply.py ENCLAVES_DIR NAME OUT"""
import json
import sys
from pathlib import Path

d, name, out = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
spec = json.loads((d / "derived.json").read_text())[name]
b = bytearray((d / f"{spec['from']}.so").read_bytes())
for off, n, val in spec["patches"]:
    b[off:off + n] = val.to_bytes(n, "little")
if "truncate" in spec:
    b = b[: spec["truncate"]]
Path(out).write_bytes(bytes(b))
