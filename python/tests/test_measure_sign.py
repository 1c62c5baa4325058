"""mrenclave, sign, expand and parse_sigstruct on the Gramine vectors, against Gramine's own
results (testdata/vectors) and the sgx-measure command."""

import os

import pytest

import sgx_measure as sm
from conftest import (KEY, ORACLE_LIBSYSDB_SHA256, VECTORS, case_json, results, tomli_w,
                      version)

OK = [(c, case, r) for c, case, r in results() if r["exit_code"] == 0]
SIGN_CASES = sorted({c for c, case, r in OK if not (c / "base.manifest").exists()})


def test_mrenclave_of_every_case(cli):
    """Each case's newest successful result: its .manifest.sgx measures to Gramine's MRENCLAVE
    (the command's too); the oldest result as well when it is another Gramine version."""
    per_case = {}
    for case_dir, case, r in OK:
        per_case.setdefault(case_dir, (case, []))[1].append(r)
    n = 0
    for case_dir, (case, rs) in per_case.items():
        libpal = case_dir / case["libpal"]
        for i, r in enumerate([rs[-1]] + ([rs[0]] if version(rs[0]) != version(rs[-1]) else [])):
            out = case_dir / r["dir"] / "out.manifest.sgx"
            got = sm.mrenclave(out, str(libpal), gramine=version(r))
            assert got == r["mrenclave"], r["dir"]
            if i == 0:
                want = cli("mrenclave", "-q", "--gramine", version(r), "-m", out, "-l", libpal)
                assert got == want.stdout.decode().strip()
            n += 1
    assert n >= 100


def test_mrenclave_from_bytes():
    case_dir, case, r = OK[0]
    data = (case_dir / r["dir"] / "out.manifest.sgx").read_bytes()
    pal = (case_dir / case["libpal"]).read_bytes()
    assert sm.mrenclave(data, bytearray(pal), gramine=version(r)) == r["mrenclave"]
    assert sm.mrenclave(memoryview(data), pal, gramine=version(r)) == r["mrenclave"]


@pytest.mark.filterwarnings("ignore::sgx_measure.GramineWarning")  # p16: deprecated syntax
@pytest.mark.parametrize("case_dir", SIGN_CASES, ids=lambda p: p.name)
def test_sign_and_expand_reproduce_gramine(case_dir, staged, tmp_path, monkeypatch):
    """sign() writes Gramine's .manifest.sgx and .sig byte for byte (the oldest and newest
    Gramine version of the case, and tomli_w 0.4), expand() returns the same manifest, and
    Signed describes them."""
    d = staged(case_dir)
    monkeypatch.chdir(d)
    case = case_json(case_dir)
    rs = [r for c, _, r in OK if c == case_dir]
    rs = [r for i, r in enumerate(rs) if i in (0, len(rs) - 1) or tomli_w(r) == "0.4"]
    for r in rs:
        expected = case_dir / r["dir"]
        out, sig = tmp_path / "out.manifest.sgx", tmp_path / "out.sig"
        signed = sm.sign(r["manifest"], libpal=d / case["libpal"], key=KEY, output=out,
                         sigfile=sig, date="2026-01-01", gramine=version(r), tomli_w=tomli_w(r),
                         libos_sha256=ORACLE_LIBSYSDB_SHA256)
        assert out.read_bytes() == (expected / "out.manifest.sgx").read_bytes(), r["dir"]
        assert sig.read_bytes() == (expected / "out.sig").read_bytes(), r["dir"]
        assert signed.mrenclave == r["mrenclave"]
        assert signed.mrsigner == r["mrsigner"]
        assert os.fspath(signed.manifest_sgx) == os.fspath(out)
        assert os.fspath(signed.sig) == os.fspath(sig)
        assert signed.sigstruct.bytes == sig.read_bytes()
        assert signed.sigstruct.mrenclave == r["mrenclave"]
        text = sm.expand(r["manifest"], gramine=version(r), tomli_w=tomli_w(r),
                         libos_sha256=ORACLE_LIBSYSDB_SHA256)
        assert text == (expected / "out.manifest.sgx").read_bytes()


def test_sign_equals_the_command_and_defaults(cli, staged, tmp_path, monkeypatch):
    """The default .sig path is Gramine's (app.manifest -> app.sig); the key and manifest may
    be bytes; the outputs equal the command's."""
    case_dir = VECTORS / "p09-debug-exinfo-isv"
    d = staged(case_dir)
    monkeypatch.chdir(d)
    libpal = d / case_json(case_dir)["libpal"]
    (d / "app.manifest").write_bytes((d / "input.manifest").read_bytes())
    signed = sm.sign("app.manifest", libpal=libpal, key=KEY, output="app.manifest.sgx",
                     date="2026-01-01", libos_sha256=ORACLE_LIBSYSDB_SHA256)
    assert os.fspath(signed.sig) == "app.sig"
    cli("sign", "-q", "-m", "app.manifest", "-l", libpal, "-k", KEY, "-o", "cli.manifest.sgx",
        "-s", "cli.sig", "-d", "2026-01-01", "--libos-sha256", ORACLE_LIBSYSDB_SHA256)
    assert (d / "app.manifest.sgx").read_bytes() == (d / "cli.manifest.sgx").read_bytes()
    assert (d / "app.sig").read_bytes() == (d / "cli.sig").read_bytes()
    again = sm.sign((d / "app.manifest").read_bytes(), libpal=libpal.read_bytes(),
                    key=KEY.read_bytes(), output=tmp_path / "b.manifest.sgx", date="2026-01-01",
                    libos_sha256=ORACLE_LIBSYSDB_SHA256)
    assert os.fspath(again.sig) == os.fspath(tmp_path / "b.sig")
    assert (tmp_path / "b.sig").read_bytes() == (d / "cli.sig").read_bytes()
    view = cli("sigstruct", "view", "--json", "cli.sig").stdout.decode()
    assert signed.sigstruct.view(format="json", verbose=True) == view.rstrip("\n")


def test_parse_sigstruct():
    case_dir, case, r = next((c, case, r) for c, case, r in OK if r["gramine_version"] == "v1.9")
    path = case_dir / r["dir"] / "out.sig"
    s = sm.parse_sigstruct(path)
    assert s.mrenclave == r["mrenclave"] and s.mrsigner == r["mrsigner"]
    assert s.bytes == path.read_bytes() and len(s.signing_data) == 256
    assert s.signature_valid and all(v is None for v in s.verify().values())
    assert s.date() == "2026-01-01"
    assert sm.parse_sigstruct(path.read_bytes()).mrenclave == s.mrenclave
    bad = bytearray(path.read_bytes())
    bad[1000] ^= 1  # inside the signed fields: the signature no longer verifies
    t = sm.parse_sigstruct(bytes(bad))
    assert not t.signature_valid and t.verify()["SIGNATURE"]
    with pytest.raises(sm.ParseError) as e:
        sm.parse_sigstruct(b"\0" * 100)
    assert e.value.code == "sigstruct"
