"""Entries, bundles, append and CONFIGID on the append vectors, against Gramine's results and
the sgx-measure command."""

import json
import pickle

import pytest

import sgx_measure as sm
from conftest import VECTORS, allow_prefix, case_json, results, tomli_w, version

APPEND = [(c, case, r) for c, case, r in results()
          if (c / "base.manifest").exists() and r["dir"].startswith("expected/")]
APPEND_CASES = sorted({c for c, _, _ in APPEND})


def test_entry_value_semantics():
    e = sm.Entry("file:/data/a b.csv", "00ff")
    assert (e.uri, e.sha256) == ("file:/data/a b.csv", "00ff")
    uri, sha = e
    assert (uri, sha) == (e.uri, e.sha256) and len(e) == 2
    assert e == sm.Entry("file:/data/a b.csv", "00ff") and e != sm.Entry("file:/data/a", "00ff")
    assert len({e, sm.Entry("file:/data/a b.csv", "00ff")}) == 1
    assert pickle.loads(pickle.dumps(e)) == e
    assert repr(e) == "Entry(uri='file:/data/a b.csv', sha256='00ff')"
    with pytest.raises(AttributeError):
        e.uri = "x"


@pytest.mark.parametrize("case_dir", APPEND_CASES, ids=lambda p: p.name)
def test_entries_formats_and_configid(case_dir, cli, tmp_path):
    """The three formats of a case read to the same entries; written back they equal the
    command's `entries convert`; CONFIGID equals `sgx-measure configid`."""
    toml = sm.read_entries(case_dir / "entries.toml")
    assert sm.read_entries(case_dir / "entries.json") == toml
    assert sm.read_entries(case_dir / "entries.sha256", uri_prefix="file:") == toml
    assert sm.read_entries((case_dir / "entries.json").read_bytes(), format="json") == toml
    for fmt, to in [("toml", "toml"), ("json", "json"), ("list", "list")]:
        out = tmp_path / f"e.{fmt}"
        sm.write_entries(toml, out, format=fmt)
        want = cli("entries", "convert", case_dir / "entries.toml", "--to", to).stdout
        assert out.read_bytes() == want, fmt
        assert sm.read_entries(out) == toml
    sm.write_entries(toml, tmp_path / "e.sha256", format="sha256sum")
    assert sm.read_entries(tmp_path / "e.sha256", format="sha256sum") == toml
    want = cli("configid", "--entries", case_dir / "entries.toml").stdout.decode().strip()
    assert sm.configid(toml) == want
    assert sm.configid(case_dir / "entries.json") == want
    assert sm.configid([(e.uri, e.sha256) for e in toml]) == want


@pytest.mark.parametrize("case_dir", APPEND_CASES, ids=lambda p: p.name)
def test_bundle_append_reproduces_gramine(case_dir, cli, tmp_path, monkeypatch):
    """Bundle.build equals `sgx-measure bundle` byte for byte; append gives Gramine's MRENCLAVE
    for the combined manifest (or refuses what Gramine or the policy refuses), final_manifest
    gives Gramine's .manifest.sgx; save/load round-trips."""
    monkeypatch.chdir(case_dir)
    case = case_json(case_dir)
    libpal = case_dir / case["libpal"]
    entries = sm.read_entries("entries.toml")
    prefix = allow_prefix(entries)
    by_policy = any(f.startswith("append-dup") for f in case["features"])
    rs = [x[2] for x in APPEND if x[0] == case_dir]
    for i, r in enumerate(rs[-1:] + rs[:1] if len(rs) > 1 else rs):
        b = sm.Bundle.build("base.manifest", libpal=libpal, allow_prefixes=[prefix],
                            gramine=version(r), tomli_w=tomli_w(r))
        out = tmp_path / "cli.bundle"
        cli("bundle", "-q", "--gramine", version(r), "--tomli-w", tomli_w(r), "-m",
            "base.manifest", "-l", libpal, "--allow-prefix", prefix, "-o", out)
        assert b.bytes == out.read_bytes()
        assert b.gramine == version(r) and b.allow_prefixes == [prefix]
        b.save(tmp_path / "py.bundle")
        loaded = sm.Bundle.load(tmp_path / "py.bundle")
        assert loaded.sha256 == b.sha256
        if r["exit_code"] != 0 or by_policy:
            with pytest.raises((sm.PolicyError, sm.ManifestError)) as e:
                b.append(entries)
            assert e.value.code in ("policy", "manifest")
            p = cli("append", "-q", "--bundle", out, "--entries", "entries.toml", check=False)
            assert p.returncode == 2  # refused input (docs/cli.md)
            if r["exit_code"] == 0:
                assert b.append(entries, unsafe_no_policy=True) == r["mrenclave"]
            continue
        got = loaded.append(entries)
        assert got == r["mrenclave"], r["dir"]
        p = cli("append", "-q", "--bundle", out, "--entries", "entries.toml")
        assert got == p.stdout.decode().strip()
        if i == 0:
            assert b.append(case_dir / "entries.sha256") == got
            assert b.append((case_dir / "entries.json").read_bytes()) == got
        final = b.final_manifest(entries)
        assert final == (case_dir / r["dir"] / "out.manifest.sgx").read_bytes()
        base = json.loads((case_dir / "expected-base" / r["dir"].split("/")[1] / "meta.json")
                          .read_text()) if (case_dir / "expected-base" / r["dir"].split("/")[1]).exists() else None
        if base:
            assert b.base_mrenclave == base["mrenclave"]


def test_policy_errors_name_the_entry():
    case_dir = VECTORS / "pa05-append-data-prefix"
    case = case_json(case_dir)
    import os
    cwd = os.getcwd()
    os.chdir(case_dir)
    try:
        b = sm.Bundle.build("base.manifest", libpal=case_dir / case["libpal"],
                            allow_prefixes="file:/data/owner1/")
    finally:
        os.chdir(cwd)
    ok = sm.Entry("file:/data/owner1/x.csv", "00" * 32)
    with pytest.raises(sm.PolicyError) as e:
        b.append([ok, sm.Entry("file:/data/owner2/y.csv", "11" * 32)])
    assert (e.value.code, e.value.entry, e.value.rule) == ("policy", 1, "outside_prefixes")
    assert "entry 1" in str(e.value) and "file:/data/owner2/y.csv" in str(e.value)
    with pytest.raises(sm.PolicyError) as e:
        b.append([ok, ok])
    assert e.value.rule == "duplicate" and e.value.entry == 1
    with pytest.raises(sm.PolicyError) as e:
        sm.Bundle.build(b"", libpal=b"", allow_prefixes=["file:/data"])
    assert e.value.code == "prefix"
    nothing = sm.Bundle.load(b.bytes)
    assert nothing.append([]) == b.base_mrenclave


def test_merge_entries_takes_shards_only():
    """Plain lists carry no record of the tree they came from: refused, as are non-lists."""
    a = [sm.Entry("file:/d/a", "01"), sm.Entry("file:/d/b", "02")]
    with pytest.raises(sm.ArgumentError) as e:
        sm.merge_entries(a)
    assert e.value.code == "shards" and "lists[0]" in str(e.value)
    with pytest.raises(sm.ArgumentError) as e:
        sm.merge_entries()
    assert e.value.code == "shards"
    one = sm.Shard(a, 0, 1, 2, 0, 2, "00" * 32)
    with pytest.raises(sm.ArgumentError) as e:
        sm.merge_entries(one)  # the URIs do not hash to the tree recorded
    assert e.value.code == "shards" and "tree" in str(e.value)
    with pytest.raises(TypeError):
        sm.merge_entries(sm.Shard([1], 0, 1, 1, 0, 1, "00" * 32))
    with pytest.raises(sm.ArgumentError):
        sm.merge_entries(sm.Shard(a, 0, 1, 2, 0, 2, "not hex"))
    with pytest.raises(sm.ParseError) as e:
        sm.Shard.from_bytes(b"sgx-measure shard v1\nshard 2/2\n", name="part-2")
    assert e.value.code == "shard" and "part-2" in str(e.value)
