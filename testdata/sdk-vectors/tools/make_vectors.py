#!/usr/bin/env python3
"""Runs Intel's sgx_sign over cases.json and writes expected/<release>/<case>/ (written for this
corpus; it only runs an sgx_sign you built yourself, see ../README.md).

  make_vectors.py --sgx-sign 2.22=/path/to/sgx_sign [--sgx-sign 2.26=...] --shim fixed_time.so
                  [--only CASE ...]

Every run happens in a scratch directory with relative file names, so no output names a path
of the machine. The date is fixed with the LD_PRELOAD shim (fixed_time.c): 2026-01-01."""
import argparse
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXED_TIME = "1767268800"  # 2026-01-01 12:00:00 UTC
METADATA_SIZE = {"2.20": 0x5000, "2.21": 0x5000, "occlum-2.20": 0x5000, "2.22": 0x5000, "2.23": 0x5000, "2.24": 0x6000, "2.25": 0x6000, "2.26": 0x6000}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def note_offset(b):
    """File offset of the .note.sgxmeta descriptor (None if absent)."""
    shoff = struct.unpack_from("<Q", b, 40)[0]
    shnum, shstrndx = struct.unpack_from("<HH", b, 60)
    if shnum == 0 or shoff + 64 * shnum > len(b):
        return None
    strtab = struct.unpack_from("<Q", b, shoff + 64 * shstrndx + 24)[0]
    for i in range(shnum):
        name, = struct.unpack_from("<I", b, shoff + 64 * i)
        end = b.index(b"\0", strtab + name)
        if b[strtab + name:end] == b".note.sgxmeta":
            off = struct.unpack_from("<Q", b, shoff + 64 * i + 24)[0]
            namesz = struct.unpack_from("<I", b, off)[0]
            return off + 12 + namesz
    return None


def enclave_dir(sdk):
    """Occlum's SDK 2.20 signs the enclaves built for 2.20 (same version word)."""
    return {"occlum-2.20": "2.20"}.get(sdk, sdk)


def enclave_bytes(case, sdk, tmp):
    e = case["enclave"]
    if e.startswith("signed:"):
        return reconstruct(sdk, e.split(":", 1)[1])
    if e.startswith("other-sdk:"):
        other = "2.26" if sdk != "2.26" else "2.22"
        return (ROOT / "enclaves" / other / (e.split(":", 1)[1] + ".so")).read_bytes()
    if "/" in e:
        return (ROOT / "enclaves" / (e + ".so")).read_bytes()
    p = ROOT / "enclaves" / enclave_dir(sdk) / (e + ".so")
    if p.exists():
        return p.read_bytes()
    out = tmp / "derived.so"
    subprocess.run(["python3", str(ROOT / "tools" / "apply.py"), str(ROOT / "enclaves" / enclave_dir(sdk)), e, str(out)], check=True)
    return out.read_bytes()


def reconstruct(sdk, case_name):
    """The signed enclave of an earlier case: its input with the stored metadata."""
    d = ROOT / "expected" / sdk / case_name
    r = json.loads((d / "result.json").read_text())
    if "enclave_file" in r:
        base = bytearray((ROOT / "enclaves" / (r["enclave_file"] + ".so")).read_bytes())
    else:
        base = bytearray(reconstruct(sdk, r["input_case"]))
    meta = (d / "metadata.bin").read_bytes().ljust(r["metadata_size"], b"\0")
    off = r["metadata_offset"]
    base[off:off + len(meta)] = meta
    b = bytes(base)
    assert hashlib.sha256(b).hexdigest() == r["signed_sha256"], case_name
    return b


def run(exe, args, shim, cwd):
    env = dict(os.environ, LD_PRELOAD=shim, FIXED_TIME=FIXED_TIME)
    p = subprocess.run([exe] + args, cwd=cwd, env=env, capture_output=True)
    err = ANSI.sub("", p.stderr.decode(errors="replace"))
    # 2.26 names the FIPS provider it looks for next to its own binary.
    err = err.replace(str(Path(exe).parent) + "/", "<sgx_sign dir>/")
    return p.returncode, err


def fips_ranges(meta, base):
    """File ranges of the FIPS signature entries (made with a throw-away key)."""
    out = []
    pos = 0
    while pos + 32 <= len(meta):
        magic, = struct.unpack_from("<Q", meta, pos)
        size, = struct.unpack_from("<I", meta, pos + 16)
        if magic != 0x86A80294635D0E4C or size == 0:
            break
        off, dsize = struct.unpack_from("<II", meta, pos + 1872 + 8 * 3)
        if off and dsize:
            sig_off = struct.unpack_from("<I", meta, pos + off + 8)[0]
            out.append([base + pos + sig_off, 772])
        pos += size
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sgx-sign", action="append", required=True, help="RELEASE=PATH")
    ap.add_argument("--shim", required=True)
    ap.add_argument("--only", action="append")
    a = ap.parse_args()
    tools = dict(s.split("=", 1) for s in a.sgx_sign)
    shim = str(Path(a.shim).resolve())
    cases = json.loads((ROOT / "cases.json").read_text())["cases"]
    key = ROOT / "test-key.pem"
    pub = ROOT / "test-key.pub.pem"
    for sdk, exe in tools.items():
        exe = str(Path(exe).resolve())
        version = subprocess.run([exe, "-version"], capture_output=True).stderr.decode()
        version = re.search(r"version (\S+) for Linux", version).group(1)
        for case in cases:
            if sdk not in case["sdks"] or (a.only and case["name"] not in a.only):
                continue
            out_dir = ROOT / "expected" / sdk / case["name"]
            shutil.rmtree(out_dir, ignore_errors=True)
            out_dir.mkdir(parents=True)
            with tempfile.TemporaryDirectory() as t:
                tmp = Path(t)
                src = enclave_bytes(case, sdk, tmp)
                (tmp / "enclave.so").write_bytes(src)
                shutil.copy(key, tmp / "key.pem")
                shutil.copy(pub, tmp / "key.pub.pem")
                cfg = []
                if case.get("config"):
                    shutil.copy(ROOT / "configs" / (case["config"] + ".xml"), tmp / "config.xml")
                    cfg = ["-config", "config.xml"]
                args = ["sign", "-enclave", "enclave.so"] + cfg + ["-key", "key.pem", "-out", "signed.so"] + case["options"]
                code, err = run(exe, args, shim, tmp)
                r = {"sdk": sdk, "sgx_sign_version": version, "case": case["name"],
                     "command": "sgx_sign " + " ".join(args), "exit_code": code,
                     "stderr": err.splitlines()}
                e = case["enclave"]
                if e.startswith("signed:"):
                    r["input_case"] = e.split(":", 1)[1]
                elif "/" in e:
                    r["enclave_file"] = e
                elif e.startswith("other-sdk:"):
                    pass
                elif (ROOT / "enclaves" / enclave_dir(sdk) / (e + ".so")).exists():
                    r["enclave_file"] = f"{enclave_dir(sdk)}/{e}"
                if code == 0:
                    signed = (tmp / "signed.so").read_bytes()
                    off = note_offset(src)
                    msize = METADATA_SIZE[sdk]
                    assert signed[:off] == src[:off]
                    assert signed[off + msize:] == src[off + msize:]
                    meta = signed[off:off + msize]
                    (out_dir / "metadata.bin").write_bytes(meta.rstrip(b"\0"))
                    r.update(metadata_offset=off, metadata_size=msize, signed_size=len(signed),
                             signed_sha256=hashlib.sha256(signed).hexdigest())
                    css = meta[64:64 + 1808]
                    r["mrenclave"] = css[960:992].hex()
                    r["mrsigner"] = hashlib.sha256(css[128:512]).hexdigest()
                    r["date"] = "%08x" % struct.unpack_from("<I", css, 20)[0]
                    fr = fips_ranges(meta, off)
                    if fr:
                        r["nondeterministic_ranges"] = fr
                    dcode, derr = run(exe, ["dump", "-enclave", "signed.so", "-dumpfile", "dump.txt", "-cssfile", "css.bin"], shim, tmp)
                    r["dump_exit_code"] = dcode
                    if dcode == 0:
                        shutil.copy(tmp / "dump.txt", out_dir / "dump.txt")
                        # The dump's SIGSTRUCT is the one in the metadata.
                        assert (tmp / "css.bin").read_bytes() == css
                    else:
                        r["dump_stderr"] = derr.splitlines()
                    if case.get("gendata"):
                        gargs = ["gendata", "-enclave", "enclave.so"] + cfg + ["-out", "gendata.bin"]
                        gcode, gerr = run(exe, gargs, shim, tmp)
                        assert gcode == 0, gerr
                        subprocess.run(["openssl", "dgst", "-sha256", "-sign", "key.pem", "-out", "gendata.sig", "gendata.bin"], cwd=tmp, check=True)
                        cargs = ["catsig", "-enclave", "enclave.so"] + cfg + ["-key", "key.pub.pem", "-sig", "gendata.sig", "-unsigned", "gendata.bin", "-out", "catsig.so"]
                        ccode, cerr = run(exe, cargs, shim, tmp)
                        assert ccode == 0, cerr
                        shutil.copy(tmp / "gendata.bin", out_dir / "gendata.bin")
                        shutil.copy(tmp / "gendata.sig", out_dir / "gendata.sig")
                        r["gendata_command"] = "sgx_sign " + " ".join(gargs)
                        r["catsig_command"] = "sgx_sign " + " ".join(cargs)
                        r["catsig_sha256"] = hashlib.sha256((tmp / "catsig.so").read_bytes()).hexdigest()
                (out_dir / "result.json").write_text(json.dumps(r, indent=1) + "\n")
                print(sdk, case["name"], "exit", code, r.get("mrenclave", ""), (r["stderr"] or [""])[-2:] if code else "")


if __name__ == "__main__":
    main()
