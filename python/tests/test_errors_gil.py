"""Wrong types and bad files raise the documented exceptions (never a crash); hashing releases
the GIL; hash_files equals the command, in one run and in shards."""

import os
import pickle
import random
import threading
import time

import pytest

import sgx_measure as sm
from conftest import KEY, VECTORS


def test_exception_hierarchy():
    for cls in [sm.FileError, sm.ParseError, sm.ManifestError, sm.SigningError,
                sm.MeasurementError, sm.PolicyError, sm.VerificationError, sm.ArgumentError,
                sm.UnsupportedError, sm.InternalError]:
        assert issubclass(cls, sm.Error) and cls.__module__ == "sgx_measure"
    assert issubclass(sm.FileError, OSError)
    assert issubclass(sm.ParseError, ValueError) and issubclass(sm.ArgumentError, ValueError)
    e = pickle.loads(pickle.dumps(sm.ParseError("m", code="toml", path="p", entry=3)))
    assert (type(e), str(e), e.code, e.path, e.entry) == (sm.ParseError, "m", "toml", "p", 3)


def test_wrong_types_raise_type_error():
    calls = [
        lambda: sm.mrenclave(1, b""),
        lambda: sm.mrenclave(b"", None),
        lambda: sm.configid(5),
        lambda: sm.configid([1, 2]),
        lambda: sm.configid([("file:/a",)]),
        lambda: sm.read_entries(3.5),
        lambda: sm.write_entries([sm.Entry("file:/a", "00")], b"path", format="toml"),
        lambda: sm.hash_files(7, uri_prefix=None),
        lambda: sm.hash_files([7], uri_prefix=None),
        lambda: sm.hash_files(".", uri_prefix=None, progress=3),
        lambda: sm.hash_files(".", uri_prefix=None, shard=("a", 2)),
        lambda: sm.parse_evidence(None),
        lambda: sm.parse_sigstruct(1),
        lambda: sm.Bundle.load(1),
        lambda: sm.Bundle.build(b"", libpal=b"", allow_prefixes=3),
        lambda: sm.Entry(1, "00"),
        lambda: sm.sign(b"", libpal=b"", key=b"", output=5),
    ]
    for i, call in enumerate(calls):
        with pytest.raises(TypeError):
            call()
        assert i >= 0


def test_bad_files_raise_documented_exceptions(tmp_path, tmp_path_factory):
    missing = tmp_path / "missing.manifest"
    with pytest.raises(sm.FileError) as e:
        sm.mrenclave(missing, b"")
    assert (e.value.code, e.value.path, e.value.filename) == ("read", str(missing), str(missing))
    assert str(missing) in str(e.value) and isinstance(e.value, OSError)

    pal = VECTORS / "elf" / "pal-basic.so"
    with pytest.raises(sm.ParseError) as e:
        sm.mrenclave(b"[sgx\nenclave_size = 1", pal)
    assert e.value.code == "toml"
    with pytest.raises(sm.MeasurementError) as e:
        sm.mrenclave(b'sgx.enclave_size = "64M"\n', b"not an ELF")
    assert e.value.code == "pal"
    with pytest.raises(sm.ManifestError) as e:
        sm.mrenclave(b"sgx.enclave_size = 64\n", pal)
    assert e.value.code == "manifest" and "enclave_size" in str(e.value)
    with pytest.raises(sm.MeasurementError) as e:
        sm.mrenclave(b'sgx.enclave_size = "4K"\n', pal)
    assert e.value.code in ("layout", "measure") and "enclave" in str(e.value)
    with pytest.raises(sm.ArgumentError) as e:
        sm.mrenclave(b"", pal, gramine="2.0")
    assert "1.9" in str(e.value)

    bad = tmp_path / "owner.json"
    bad.write_text('[{"uri": "file:/a", "sha256": "00"}, {"uri": 5, "sha256": "00"}]')
    with pytest.raises(sm.ParseError) as e:
        sm.read_entries(bad)
    assert (e.value.code, e.value.entry) == ("entries", 1)
    assert str(bad) in str(e.value) and "entry 1" in str(e.value)
    with pytest.raises(sm.ParseError):
        sm.configid(bad)
    with pytest.raises(sm.ArgumentError):
        sm.read_entries(bad, uri_prefix="file:/data/")
    with pytest.raises(sm.ArgumentError):
        sm.read_entries(bad, format="yaml")
    with pytest.raises(sm.ArgumentError):
        sm.write_entries([], tmp_path / "x", format="yaml")
    # A missing parent directory is created (docs/cli.md: every output alike); a parent that is
    # a regular file cannot be.
    made = tmp_path_factory.mktemp("outputs")
    sm.write_entries([], made / "no" / "such" / "dir" / "x", format="toml")
    assert (made / "no" / "such" / "dir" / "x").is_file()
    (made / "plain").write_bytes(b"")
    with pytest.raises(sm.FileError) as e:
        sm.write_entries([], made / "plain" / "x", format="toml")
    assert e.value.code == "create_dir"
    with pytest.raises(sm.ParseError) as e:
        sm.Bundle.load(b"not a bundle")
    assert e.value.code == "bundle"

    with pytest.raises(sm.SigningError) as e:
        sm.sign(b"", libpal=pal, key=b"not a key", output=tmp_path / "o", date="2026-01-01",
                libos_sha256="00" * 32)
    assert e.value.code == "key"
    with pytest.raises(sm.ArgumentError):
        sm.sign(b"", libpal=pal, key=KEY, output=tmp_path / "o", date="26-1-1")
    with pytest.raises(sm.ArgumentError):
        sm.sign(b"", libpal=pal, key=KEY, output=tmp_path / "o", tomli_w="2")
    with pytest.raises(sm.ManifestError):
        sm.sign(b'sgx.trusted_files = ["file:missing"]\n', libpal=pal, key=KEY,
                output=tmp_path / "o.manifest.sgx", date="2026-01-01", libos_sha256="00" * 32)
    with pytest.raises(sm.Error):  # the .sig would overwrite the manifest just written
        sm.sign(b"", libpal=pal, key=KEY, output=tmp_path / "o", sigfile=tmp_path / "o",
                date="2026-01-01", libos_sha256="00" * 32)
    # Nothing was written by the failed calls.
    assert sorted(os.listdir(tmp_path)) == ["owner.json"]


def test_gramine_warnings_are_python_warnings(monkeypatch):
    case = VECTORS / "p16-loader-entrypoint-string"
    monkeypatch.chdir(case)
    with pytest.warns(sm.GramineWarning, match="deprecated"):
        sm.expand(case / "input.manifest", gramine="1.8", libos_sha256="00" * 32)
    # Issued even when the call then fails.
    with pytest.warns(sm.GramineWarning):
        with pytest.raises(sm.Error):
            sm.expand(b'loader.entrypoint = "file:/nonexistent/libsysdb.so"\n', gramine="1.8")


def make_tree(root, n, rng):
    for i in range(n):
        d = root / f"d{rng.randrange(4)}" / (f"e{rng.randrange(3)}" if rng.random() < 0.5 else "")
        d.mkdir(parents=True, exist_ok=True)
        size = rng.choice([0, 1, 100, 4096, 70_000, 1 << 20 if rng.random() < 0.05 else 10])
        (d / f"f{i:03d}{rng.choice(['', '.csv', ' x', '.a.b'])}").write_bytes(rng.randbytes(size))


def test_hash_files_equals_the_command_in_one_run_and_in_shards(tmp_path, cli):
    rng = random.Random(17)
    data = tmp_path / "data"
    make_tree(data, 120, rng)
    (tmp_path / "single.bin").write_bytes(b"x" * 10)
    args = [data, tmp_path / "single.bin"]
    one = sm.hash_files(args, uri_prefix=None)
    for fmt in ["toml", "json", "sha256sum"]:
        sm.write_entries(one, tmp_path / f"py.{fmt}", format=fmt)
        want = cli("hash-files", "-q", *args, "--format", fmt).stdout
        assert (tmp_path / f"py.{fmt}").read_bytes() == want, fmt
    pre = sm.hash_files(os.fspath(data), uri_prefix="file:/data/owner1/")
    want = cli("hash-files", "-q", data, "--uri-prefix", "file:/data/owner1/").stdout
    sm.write_entries(pre, tmp_path / "pre.toml", format="toml")
    assert (tmp_path / "pre.toml").read_bytes() == want
    for n in [1, 2, 3, 7, 200]:
        shards = [sm.hash_files(args, uri_prefix=None, shard=(k, n)) for k in range(n)]
        assert all(isinstance(s, sm.Shard) and isinstance(s, list) for s in shards)
        assert [(s.index, s.count, s.files) for s in shards] == [(k, n, len(one)) for k in range(n)]
        assert sum(map(len, shards)) == len(one)
        assert sm.merge_entries(*shards) == one, n
        assert sm.merge_entries(*reversed(shards)) == one, n
        assert pickle.loads(pickle.dumps(shards[-1])) == shards[-1]
        if n > 1:
            with pytest.raises(sm.ArgumentError) as e:  # a shard twice
                sm.merge_entries(*shards, shards[-1])
            assert e.value.code == "shards" and "overlap" in str(e.value)
            with pytest.raises(sm.ArgumentError) as e:  # a shard missing
                sm.merge_entries(*shards[1:])
            assert "missing" in str(e.value)
            with pytest.raises(sm.ArgumentError):  # shards of another n
                sm.merge_entries(*shards[1:], sm.hash_files(args, uri_prefix=None,
                                                            shard=(0, n + 1)))
    # The shard files of `hash-files --shard K/N`, both ways.
    n = 3
    shards = [sm.hash_files(args, uri_prefix=None, shard=(k, n)) for k in range(n)]
    for k, s in enumerate(shards):
        want = cli("hash-files", "-q", *args, "--shard", f"{k}/{n}").stdout
        assert s.to_bytes() == want
        s.save(tmp_path / f"part-{k}")
        (tmp_path / f"json-{k}").write_bytes(
            cli("hash-files", "-q", *args, "--shard", f"{k}/{n}", "--format", "json").stdout)
    merged = cli("entries", "merge", *[tmp_path / f"part-{k}" for k in range(n)]).stdout
    assert merged == cli("hash-files", "-q", *args).stdout
    from_cli = [sm.Shard.load(tmp_path / f"json-{k}") for k in range(n)]
    assert [s.format for s in from_cli] == ["json"] * n
    assert sm.merge_entries(*from_cli) == one
    with pytest.raises(sm.ArgumentError) as e:  # shards made for different formats
        sm.merge_entries(shards[0], *from_cli[1:])
    assert "format" in str(e.value)
    # Shards of another tree (a file added after shard 0 was made) are refused.
    (data / "d0" / "late").write_bytes(b"late")
    later = [sm.hash_files(args, uri_prefix=None, shard=(k, n)) for k in range(n)]
    with pytest.raises(sm.ArgumentError) as e:
        sm.merge_entries(shards[0], *later[1:])
    assert e.value.code == "shards" and "differ" in str(e.value)
    # An entry changed in transit is refused (the joined URIs no longer hash to the tree).
    tampered = sm.Shard([sm.Entry("file:/elsewhere", x.sha256) if i == 0 else x
                         for i, x in enumerate(later[1])], *later[1]._record())
    with pytest.raises(sm.ArgumentError) as e:
        sm.merge_entries(later[0], tampered, later[2])
    assert "tree" in str(e.value)
    with pytest.raises(sm.ArgumentError):
        sm.hash_files(args, uri_prefix=None, shard=(3, 3))
    with pytest.raises(sm.FileError) as e:
        sm.hash_files([tmp_path / "nope"], uri_prefix=None)
    assert e.value.code == "stat"


def test_hash_files_releases_the_gil_and_reports_progress(tmp_path):
    """While hash_files hashes 256 MiB, another Python thread keeps running; the progress
    callback is called from the caller's thread and ends with done == total."""
    big = tmp_path / "big"
    big.mkdir()
    chunk = os.urandom(1 << 20)
    for i in range(4):
        with open(big / f"part{i}", "wb") as f:
            for _ in range(64):
                f.write(chunk)
    ticks = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks[0] += 1

    calls = []
    caller = threading.get_ident()

    def progress(done, total):
        calls.append((done, total, threading.get_ident()))

    t = threading.Thread(target=spin)
    t.start()
    try:
        before = ticks[0]
        start = time.perf_counter()
        entries = sm.hash_files(big, uri_prefix="file:/data/", progress=progress)
        elapsed = time.perf_counter() - start
        during = ticks[0] - before
    finally:
        stop.set()
        t.join()
    assert len(entries) == 4
    # With the GIL held for the whole call, the other thread could not have run at all; it
    # counts millions of times a second when it can.
    assert during > 1000, (during, elapsed)
    assert calls and calls[-1][:2] == (4 << 26, 4 << 26)
    assert all(c[2] == caller for c in calls)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))

    def failing(done, total):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        sm.hash_files(big, uri_prefix=None, progress=failing)
    for p in big.iterdir():  # 256 MiB: not left in pytest's kept temporary directories
        p.unlink()
