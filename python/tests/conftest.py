"""Shared fixtures: the repository's test vectors and the sgx-measure command to compare with."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "testdata" / "vectors" / "public"
KEY = ROOT / "testdata" / "vectors" / "test-signing-key.pem"
EVIDENCE = ROOT / "testdata" / "evidence"
# The fake libsysdb.so of the oracle's Gramine install (testdata/vectors/README.md).
ORACLE_LIBSYSDB_SHA256 = "4d67a948b7e9ed9a40f5c09c60901c848bd4d6983ce595ede25a440197e9bc62"


def cli_path():
    exe = os.environ.get("SGX_MEASURE") or str(ROOT / "target" / "release" / "sgx-measure")
    if not os.access(exe, os.X_OK):
        pytest.fail(f"the sgx-measure command is needed to compare with ({exe}): "
                    "cargo build --release --bin sgx-measure, or set SGX_MEASURE")
    return exe


@pytest.fixture(scope="session")
def cli():
    exe = cli_path()

    def run(*args, cwd=None, check=True, stdin=None):
        p = subprocess.run([exe, *map(str, args)], cwd=cwd, capture_output=True,
                           input=stdin)
        if check and p.returncode != 0:
            raise AssertionError(f"sgx-measure {' '.join(map(str, args))} failed: "
                                 f"{p.stderr.decode(errors='replace')}")
        return p

    return run


def results():
    """Every result of every vector case: (case dir, case entry, result entry)."""
    index = json.loads((VECTORS / "index.json").read_text())
    for c in index["cases"]:
        for r in c["results"]:
            yield VECTORS / c["name"], c, r


def version(r):
    return r["gramine_version"].lstrip("v")


def tomli_w(r):
    return "0.4" if (r.get("tomli_w_version") or "").startswith("0.4") else "1"


def case_json(case_dir):
    return json.loads((case_dir / "case.json").read_text())


@pytest.fixture
def staged(tmp_path):
    """Copies a case to a temporary directory laid out like the vectors (signing runs with
    CWD = the case, whose URIs are relative); runs its setup."""

    def stage(case_dir):
        public = tmp_path / "public"
        public.mkdir(exist_ok=True)
        if not (public / "elf").exists():
            (public / "elf").symlink_to(VECTORS / "elf")
            (tmp_path / "tools").symlink_to(VECTORS.parent / "tools")
        dst = public / case_dir.name
        shutil.copytree(case_dir, dst, symlinks=True)
        setup = case_json(case_dir).get("setup")
        if setup:
            subprocess.run(["sh", "-c", setup], cwd=dst, check=True, capture_output=True)
        return dst

    return stage


def allow_prefix(entries):
    """The longest common prefix of the entries' URIs, cut after its last '/'."""
    uris = [e.uri for e in entries]
    pre = os.path.commonprefix(uris)
    i = pre.rfind("/")
    return pre[: i + 1] if i >= 0 else "file:"
