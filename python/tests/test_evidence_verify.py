"""parse_evidence on real and synthetic quotes and reports; verify against every kind of
expected identity, compared with `sgx-measure verify --json`."""

import base64
import hashlib
import json
import os
import struct
import subprocess

import pytest

import sgx_measure as sm
from conftest import EVIDENCE, KEY, ROOT, VECTORS, case_json

# testdata/evidence/README.md
REAL = {
    "dcap-qvl-sgx-v3.bin": ("33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb",
                            "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6",
                            10, 15, 0x5, 0xe7),
    "intel-dcap-sample-v3.bin": ("4f8822f11d5d689ef195c55811bcf8ef88241db6795e4d1f69498d1ab4713953",
                                 "d412a4f07ef83892a5915fb2ab584be31e186e5a4f95ab5f6950fd4eb8694d7b",
                                 2, 7, 0x7, 0x7),
    "mobilecoin-hw-v3.bin": ("1dd0df84810e53e26b2b167dfe0f97cc4364085fe0bd41d5e18a759c21d5c189",
                             "d412a4f07ef83892a5915fb2ab584be31e186e5a4f95ab5f6950fd4eb8694d7b",
                             7, 12, 0x7, 0x7),
    "trustee-occlum-v3.bin": ("8f173e4613ff05c52aaf04162d234edae8c9977eae47eb2299ae16a553011c68",
                              "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e",
                              8, 13, 0x7, 0xe7),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_quotes(name):
    mrenclave, mrsigner, qe_svn, pce_svn, flags, xfrm = REAL[name]
    data = (EVIDENCE / name).read_bytes()
    for form, enc in [(EVIDENCE / name, "binary"), (data.hex().encode(), "hex"),
                      (base64.b64encode(data), "base64")]:
        q = sm.parse_evidence(form)
        assert isinstance(q, sm.Quote) and isinstance(q, sm.Evidence)
        assert q.kind == "quote" and q.encoding == enc and q.bytes == data
        assert (q.version, q.tee_type, q.qe_svn, q.pce_svn) == (3, 0, qe_svn, pce_svn)
        assert (q.mrenclave, q.mrsigner, q.isvprodid, q.isvsvn) == (mrenclave, mrsigner, 0, 0)
        assert (q.attributes.flags, q.attributes.xfrm) == (flags, xfrm)
        assert q.debug == bool(flags & 2) and q.attributes.mode64bit
        assert q.config_id == "00" * 64 and q.config_svn == 0
        assert len(q.report_data) == 64
        assert q.pck_cert_chain.startswith("-----BEGIN CERTIFICATE-----")
    assert sm.parse_evidence(EVIDENCE / "dcap-qvl-sgx-v3.bin").report_data.startswith(b"Hello, world!")


@pytest.mark.parametrize("version", [3, 4, 5])
def test_synthetic_quotes_of_every_version(version):
    """Fields read by version (v5 has a body descriptor before the report body), not by a fixed
    offset: every field of the synthetic quotes is distinct and non-zero."""
    path = EVIDENCE / "synthetic" / f"quote-v{version}.bin"
    q = sm.parse_evidence(path)
    assert q.version == version
    body = q.bytes[48 + (6 if version == 5 else 0):][:384]
    assert q.mrenclave == body[64:96].hex() and q.mrsigner == body[128:160].hex()
    assert q.config_id == body[192:256].hex() and q.report_data == body[320:384]
    assert (q.isvprodid, q.isvsvn, q.config_svn) == struct.unpack_from("<HHH", body, 256)
    assert q.isv_family_id == body[304:320].hex() and q.isv_ext_prod_id == body[32:48].hex()


def test_report():
    path = EVIDENCE / "synthetic" / "report.bin"
    r = sm.parse_evidence(path)
    data = path.read_bytes()
    assert isinstance(r, sm.Report) and r.kind == "report" and len(r.bytes) == 432
    assert r.mrenclave == data[64:96].hex() and r.key_id == data[384:416].hex()
    assert r.mac == data[416:432].hex() and r.attributes.kss


def test_bad_evidence_raises_parse_error(tmp_path):
    for bad in [b"", b"\x03\x00" + b"\0" * 100, b"not evidence at all",
                (EVIDENCE / "dcap-qvl-tdx-v4.bin").read_bytes(),
                (EVIDENCE / "trustee-tdx-v5.bin").read_bytes(),
                (EVIDENCE / "dcap-qvl-sgx-v3.bin").read_bytes()[:1000]]:
        with pytest.raises(sm.ParseError) as e:
            sm.parse_evidence(bad)
        assert e.value.code == "evidence"
    (tmp_path / "q.bin").write_bytes(b"\x03\x00garbage")
    with pytest.raises(sm.ParseError) as e:
        sm.parse_evidence(tmp_path / "q.bin")
    assert e.value.path == str(tmp_path / "q.bin") and str(tmp_path / "q.bin") in str(e.value)


def report_bytes(mrenclave, mrsigner, isvprodid=0, isvsvn=0, debug=False, configid=bytes(64),
                 report_data=bytes(64)):
    """A REPORT with these fields (zero KEYID and MAC), as examples/federation/make_report.py."""
    flags = 0x1 | 0x4 | (0x2 if debug else 0) | (0x80 if any(configid) else 0)
    body = bytearray(384)
    struct.pack_into("<QQ", body, 48, flags, 0x3)
    body[64:96] = bytes.fromhex(mrenclave)
    body[128:160] = bytes.fromhex(mrsigner)
    body[192:256] = configid
    struct.pack_into("<HH", body, 256, isvprodid, isvsvn)
    body[320:384] = report_data
    return bytes(body) + bytes(48)


@pytest.fixture(scope="module")
def pa01(tmp_path_factory):
    """The pa01 base as a bundle, its entries, and Gramine's .sig of base + entries."""
    case_dir = VECTORS / "pa01-append-1-entry"
    cwd = os.getcwd()
    os.chdir(case_dir)
    try:
        entries = sm.read_entries("entries.toml")
        b = sm.Bundle.build("base.manifest", libpal=case_dir / case_json(case_dir)["libpal"],
                            allow_prefixes=["file:/data/"])
    finally:
        os.chdir(cwd)
    d = tmp_path_factory.mktemp("pa01")
    b.save(d / "base.bundle")
    sig = case_dir / "expected" / "v1.9_tomliw-1.2.0" / "out.sig"
    return b, entries, sig, d


def test_verify_sig_against_bundle_equals_the_command(pa01, cli):
    b, entries, sig, d = pa01
    mrsigner = "31ecbf4d643bddb30e2216800a2193f052328a5705e2fe300f0fde4dccb1d9f4"
    v = sm.verify(bundle=b, entries=entries, sig=sig, mrsigner=mrsigner, isvprodid=0,
                  min_isvsvn=0)
    assert v.ok and bool(v) and v.failed == []
    p = cli("verify", "--json", "--bundle", d / "base.bundle", "--entries",
            VECTORS / "pa01-append-1-entry" / "entries.toml", "--sig", sig, "--mrsigner",
            mrsigner, "--isvprodid", "0", "--min-isvsvn", "0")
    want = json.loads(p.stdout)
    got = json.loads(v.to_json())
    assert got["checks"] == want["checks"]
    assert got["ok"] is True and got["entries"]["configid"] == want["entries"]["configid"]
    assert [c.name for c in v.checks][:2] == ["append policy", "MRENCLAVE"]
    assert all(c.ok and c.status == "pass" for c in v.checks)
    assert v.get("mrenclave").group == "identity" and v.get("sigstruct_signature").ok
    v.raise_for_failure()
    # The same with every input as bytes or parsed objects.
    v2 = sm.verify(bundle=b.bytes, entries=(VECTORS / "pa01-append-1-entry" / "entries.json")
                   .read_bytes(), sig=sm.parse_sigstruct(sig))
    assert v2.ok


def test_verify_report_fails_on_each_mismatch(pa01, cli):
    b, entries, sig, d = pa01
    want = sm.verify(bundle=b, entries=entries, sig=sig).checks[1].expected
    mrsigner = "31ecbf4d643bddb30e2216800a2193f052328a5705e2fe300f0fde4dccb1d9f4"
    cert = b"-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"
    rd = hashlib.sha256(cert).digest() + bytes(32)
    good = report_bytes(want, mrsigner, isvprodid=1, isvsvn=2, report_data=rd,
                        configid=bytes.fromhex(sm.configid(entries)))
    v = sm.verify(bundle=b, entries=entries, report=good, mrsigner=mrsigner, isvprodid=1,
                  min_isvsvn=2, configid="auto", report_data=hashlib.sha256(cert).digest())
    assert v.ok, v.to_json()
    assert [c.name for c in v.checks] == ["append policy", "MRENCLAVE", "MRSIGNER", "ISVPRODID",
                                           "ISVSVN", "DEBUG", "CONFIGID", "REPORTDATA"]
    assert any("MAC NOT verified" in n for n in v.notes)
    (d / "report.bin").write_bytes(good)
    (d / "cert.pem").write_bytes(cert)
    p = cli("verify", "--json", "--bundle", d / "base.bundle", "--entries",
            VECTORS / "pa01-append-1-entry" / "entries.toml", "--report", d / "report.bin",
            "--mrsigner", mrsigner, "--isvprodid", "1", "--min-isvsvn", "2", "--configid", "auto",
            "--report-data-sha256", d / "cert.pem")
    want = json.loads(p.stdout)
    v = sm.verify(bundle=b, entries=entries, report=good, mrsigner=mrsigner, isvprodid=1,
                  min_isvsvn=2, configid="auto", report_data_sha256=d / "cert.pem")
    got = json.loads(v.to_json())
    assert want["ok"] is True and got["checks"] == want["checks"] and got["notes"] == want["notes"]
    bad = report_bytes("00" * 32, "11" * 32, isvprodid=2, isvsvn=1, debug=True)
    v = sm.verify(bundle=b, entries=entries, report=bad, mrsigner=mrsigner, isvprodid=1,
                  min_isvsvn=2, configid="auto", report_data=b"\x01")
    assert not v.ok and not bool(v)
    # configid="auto" expects the CONFIGID of the owner whose MRENCLAVE matched: none did, so
    # that check is skipped (MRENCLAVE already fails), as the command reports it.
    assert v.failed == ["MRENCLAVE", "MRSIGNER", "ISVPRODID", "ISVSVN", "DEBUG", "REPORTDATA"]
    with pytest.raises(sm.VerificationError) as e:
        v.raise_for_failure()
    assert e.value.verdict is v and e.value.code == "verification_failed"
    assert "MRENCLAVE" in str(e.value)
    assert sm.verify(bundle=b, entries=entries, report=bad, allow_debug=True).checks[-1].ok


def test_verify_other_sources_and_quotes(pa01):
    b, entries, sig, d = pa01
    case = VECTORS / "pa01-append-1-entry"
    res = case / "expected" / "v1.9_tomliw-1.2.0"
    meta = json.loads((res / "meta.json").read_text())
    libpal = case / case_json(case)["libpal"]
    v = sm.verify(manifest=res / "out.manifest.sgx", libpal=libpal, sig=sig)
    assert v.ok and v.expected_mrenclave == meta["mrenclave"]
    v = sm.verify(expect_mrenclave=meta["mrenclave"], sig=sig)
    assert v.ok and v.checks[0].name == "MRENCLAVE"
    q = sm.parse_evidence(EVIDENCE / "dcap-qvl-sgx-v3.bin")
    v = sm.verify(expect_mrenclave=q.mrenclave, quote=q, skip_quote_signature=True)
    assert v.ok and any("NOT verified" in n for n in v.notes)
    assert v.get("quote_chain").status == "skipped"
    v = sm.verify(expect_mrenclave=meta["mrenclave"], quote=q, skip_quote_signature=True)
    assert v.failed == ["MRENCLAVE"]


def test_verify_quote_with_collateral_equals_the_command(cli):
    """A real quote verified with its real collateral (its chain to Intel's root, TCB status,
    advisories), as `sgx-measure verify --collateral` does."""
    quote = EVIDENCE / "dcap-qvl-sgx-v3.bin"
    coll = EVIDENCE / "dcap-qvl-sgx-v3.collateral.json"
    mrenclave = REAL["dcap-qvl-sgx-v3.bin"][0]
    v = sm.verify(expect_mrenclave=mrenclave, quote=quote, collateral=coll, now=1750377600,
                  report_data=b"Hello, world!")
    assert not v.ok and v.failed == ["TCB status"]
    assert v.tcb_status == "ConfigurationAndSWHardeningNeeded"
    assert v.advisory_ids == ["INTEL-SA-00289", "INTEL-SA-00615"]
    assert v.get("quote_signature").ok and v.get("pck_chain").ok and v.get("report_data").ok
    ok = sm.verify(expect_mrenclave=mrenclave, quote=quote.read_bytes(), collateral=coll.read_bytes(),
                   now="2025-06-20T00:00:00Z",
                   allow_tcb_status=["UpToDate", "ConfigurationAndSWHardeningNeeded"])
    assert ok.ok, ok.to_json()
    want = json.loads(cli("verify", "--json", "--expect-mrenclave", mrenclave, "--quote", quote,
                          "--collateral", coll, "--now", "1750377600", "--allow-tcb-status",
                          "UpToDate,ConfigurationAndSWHardeningNeeded").stdout)
    got = json.loads(ok.to_json())
    # The only difference: the source is named as the keyword argument, not the flag.
    assert want["checks"][0]["detail"] == "--expect-mrenclave"
    want["checks"][0]["detail"] = "expect_mrenclave"
    assert got["checks"] == want["checks"] and got["tcb"] == want["tcb"]
    denied = sm.verify(expect_mrenclave=mrenclave, quote=quote, collateral=coll, now=1750377600,
                       allow_tcb_status="ConfigurationAndSWHardeningNeeded",
                       deny_advisory=["INTEL-SA-00289"])
    assert denied.failed == ["advisory IDs"]
    late = sm.verify(expect_mrenclave=mrenclave, quote=quote, collateral=coll,
                     allow_tcb_status=["ConfigurationAndSWHardeningNeeded"])
    assert not late.ok  # today: the collateral of 2025 has expired
    with pytest.raises(sm.ArgumentError):
        sm.verify(expect_mrenclave=mrenclave, quote=quote)  # no collateral: refused
    with pytest.raises(sm.ArgumentError):
        sm.verify(expect_mrenclave=mrenclave, quote=quote, collateral=coll,
                  allow_tcb_status=["Revoked"])
    with pytest.raises(sm.ParseError) as e:
        sm.verify(expect_mrenclave=mrenclave, quote=quote, collateral=b"{}")
    assert e.value.code == "collateral"
    with pytest.raises(sm.ParseError) as e:
        sm.verify(expect_mrenclave=mrenclave, quote=quote, collateral=coll, trust_root=b"x")
    assert e.value.code == "trust_root"


@pytest.fixture(scope="module")
def ita_token(tmp_path_factory):
    """An Intel Trust Authority-style token signed by the repository's private test PKI
    (test-pki's participant_evidence example), with its JWKS and root; valid at NOW."""
    d = tmp_path_factory.mktemp("token")
    mrenclave, mrsigner = "ab" * 32, "cd" * 32
    p = subprocess.run(["cargo", "run", "-q", "-p", "sgx-test-pki", "--example",
                        "participant_evidence", "--", "token", mrenclave, mrsigner, "1", "3",
                        "aa" * 32, str(d)], cwd=ROOT, capture_output=True, text=True, check=True)
    return d, mrenclave, mrsigner, int(p.stdout.strip())


def test_verify_token_equals_the_command(ita_token, cli):
    d, mrenclave, mrsigner, now = ita_token
    token, jwks, root = d / "token.jwt", d / "token-jwks.json", d / "token-root.pem"
    v = sm.verify(expect_mrenclave=mrenclave, token=token, jwks=jwks, trust_root=root, now=now,
                  mrsigner=mrsigner, isvprodid=1, min_isvsvn=3,
                  report_data_sha256=None, report_data=bytes.fromhex("aa" * 32))
    assert v.ok, v.to_json()
    assert v.get("token_signature").ok and v.get("token_chain").ok
    assert v.tcb_status == "UpToDate"
    want = json.loads(cli("verify", "--json", "--expect-mrenclave", mrenclave, "--token", token,
                          "--jwks", jwks, "--trust-root", root, "--now", str(now), "--mrsigner",
                          mrsigner, "--isvprodid", "1", "--min-isvsvn", "3", "--report-data",
                          "aa" * 32).stdout)
    got = json.loads(v.to_json())
    want["checks"][0]["detail"] = "expect_mrenclave"
    # The notes name the keyword argument (nonce=) where the command names its flag (--nonce).
    assert got["notes"] == [n.replace("--nonce", "nonce=") for n in want["notes"]]
    assert got["checks"] == want["checks"] and len(got["notes"]) == 1
    assert got["tcb"] == want["tcb"] and got["token"]["service"] == "intel_trust_authority"
    # The token's text (str or bytes) instead of its file.
    text = token.read_text()
    for t in (text, text.encode()):
        assert sm.verify(expect_mrenclave=mrenclave, token=t, jwks=jwks.read_bytes(),
                         trust_root=root.read_bytes(), now=now).ok
    # Genuine, but not the expected enclave; expired; an unrelated root; another issuer.
    assert sm.verify(expect_mrenclave="00" * 32, token=token, jwks=jwks, trust_root=root,
                     now=now).failed == ["MRENCLAVE"]
    late = sm.verify(expect_mrenclave=mrenclave, token=token, jwks=jwks, trust_root=root,
                     now=now + 3600)
    assert not late.ok and not late.get("token_expiry").ok
    subprocess.run(["cargo", "run", "-q", "-p", "sgx-test-pki", "--example",
                    "participant_evidence", "--", "3", mrenclave, mrsigner, "1", "3", "aa", str(d)],
                   cwd=ROOT, capture_output=True, check=True)  # its root.pem: another PKI's
    other = sm.verify(expect_mrenclave=mrenclave, token=token, jwks=jwks, trust_root=d / "root.pem",
                      now=now)
    assert not other.ok and not other.get("token_chain").ok
    iss = sm.verify(expect_mrenclave=mrenclave, token=token, jwks=jwks, trust_root=root,
                    now=now, issuer="Someone Else")
    assert not iss.ok and not iss.get("token_issuer").ok
    tampered = text[:-4] + ("AAAA" if not text.endswith("AAAA") else "BBBB")
    t = sm.verify(expect_mrenclave=mrenclave, token=tampered, jwks=jwks, trust_root=root, now=now)
    assert not t.ok and not t.get("token_signature").ok


def test_verify_token_needs_its_keys(ita_token, pa01):
    d, mrenclave, _, now = ita_token
    b, entries, sig, _ = pa01
    token, jwks, root = d / "token.jwt", d / "token-jwks.json", d / "token-root.pem"
    for kw in [dict(token=token), dict(token=token, jwks=jwks), dict(token=token, trust_root=root),
               dict(sig=sig, jwks=jwks, trust_root=root), dict(sig=sig, issuer="x"),
               dict(token=token, jwks=jwks, trust_root=root, collateral=b"{}")]:
        with pytest.raises(sm.ArgumentError):
            sm.verify(expect_mrenclave=mrenclave, now=now, **kw)
    with pytest.raises(sm.ParseError) as e:
        sm.verify(expect_mrenclave=mrenclave, token=b"not a token", jwks=jwks, trust_root=root)
    assert e.value.code == "token"
    with pytest.raises(sm.ParseError) as e:
        sm.verify(expect_mrenclave=mrenclave, token=token, jwks=b"{}", trust_root=root)
    assert e.value.code == "jwks"
    with pytest.raises(sm.ParseError) as e:
        sm.verify(expect_mrenclave=mrenclave, token=token, jwks=jwks, trust_root=b"x")
    assert e.value.code == "trust_root"


def test_verify_argument_errors(pa01):
    b, entries, sig, d = pa01
    cases = [
        dict(bundle=b, entries=entries),  # no evidence
        dict(bundle=b, entries=entries, sig=sig, report=sig),  # two
        dict(sig=sig),  # no expected identity
        dict(bundle=b, sig=sig),  # bundle without entries
        dict(bundle=b, entries=entries, expect_mrenclave="00" * 32, sig=sig),
        dict(expect_mrenclave="00" * 31, sig=sig),
        dict(expect_mrenclave="zz" * 32, sig=sig),
        dict(expect_mrenclave="00" * 32, sig=sig, configid="auto"),
        dict(expect_mrenclave="00" * 32, sig=sig, mrsigner="00"),
        dict(manifest=sig, sig=sig),
        dict(expect_mrenclave="00" * 32, sig=sig, report_data=b""),
        dict(expect_mrenclave="00" * 32, sig=sig, collateral=b"{}"),
        dict(expect_mrenclave="00" * 32, quote=EVIDENCE / "dcap-qvl-sgx-v3.bin",
             skip_quote_signature=True, collateral=b"{}"),
        dict(expect_mrenclave="00" * 32, quote=EVIDENCE / "dcap-qvl-sgx-v3.bin",
             trust_root=b"x"),
    ]
    for kw in cases:
        with pytest.raises(sm.ArgumentError):
            sm.verify(**kw)
    with pytest.raises(sm.ParseError):
        sm.verify(expect_mrenclave="00" * 32, quote=EVIDENCE / "synthetic" / "report.bin",
                  skip_quote_signature=True)
    with pytest.raises(TypeError):
        sm.verify(expect_mrenclave="00" * 32, sig=sig, report_data="text")
