"""The safetensors file format, read and written with NumPy alone.

Layout (https://github.com/huggingface/safetensors):

    8 bytes   N, the header length, unsigned little-endian
    N bytes   JSON: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
                     ..., "__metadata__": {"key": "string value"}}
    rest      the tensors' bytes, little-endian, C order, at their offsets

Loading parses JSON and copies bytes: it never executes code (no pickle). Every header field
is checked against the file before any array is made, so a corrupt or hostile file raises a
clear error instead of allocating or misreading. Writes are atomic: a temp file in the same
folder, fsync, then rename over the target, so a crash leaves the old file intact.
"""

from __future__ import annotations

import json
import math
import os
import stat
import struct
from collections import OrderedDict

import numpy as np

DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"), "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
    "U16": np.dtype("<u2"), "U32": np.dtype("<u4"), "U64": np.dtype("<u8"),
}
_CODES = {dtype.newbyteorder("<") if dtype.itemsize > 1 else dtype: code
          for code, dtype in DTYPES.items()}
MAX_HEADER = 100 * 1024 * 1024  # the reference implementation's limit


class SafetensorsError(ValueError):
    """A file that is not valid safetensors; the message names the file and the problem."""


def _code(name: str, array: np.ndarray) -> str:
    dtype = array.dtype.newbyteorder("<") if array.dtype.itemsize > 1 else array.dtype
    if dtype not in _CODES:
        raise TypeError(f"save: tensor '{name}' has dtype {array.dtype}, which safetensors "
                        f"cannot store (supported: {', '.join(DTYPES)})")
    return _CODES[dtype]


def serialize(tensors: dict, metadata: dict | None = None) -> bytes:
    """The bytes of a safetensors file holding ``tensors`` (name -> array) and ``metadata``
    (str -> str)."""
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"save: tensor names must be strings, got {name!r}")
        if name == "__metadata__":  # the format's own key: the file could not be read back
            raise ValueError("save: '__metadata__' is reserved by the safetensors format; "
                             "give the tensor another name")
        array = np.asarray(array)
        code = _code(name, array)
        data = np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        bad = {k: type(v).__name__ for k, v in metadata.items()
               if not isinstance(k, str) or not isinstance(v, str)}
        if bad:
            raise TypeError(f"save: metadata keys and values must be strings, got {bad}")
        header["__metadata__"] = dict(metadata)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # align the data to 8 bytes, as the reference does
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that it is either the old file or the whole new one."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = _new_temp_file(folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _keep_mode(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def _new_temp_file(folder: str) -> tuple[int, str]:
    """(descriptor, path) of a new, unique temp file in ``folder``, created with mode 0666 so
    that the kernel applies the umask as for any new file (mkstemp would make it 0600)."""
    for _ in range(100):
        tmp = os.path.join(folder, f".tmp-{os.urandom(6).hex()}.part")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {folder}")


def _keep_mode(tmp: str, path: str) -> None:
    """Give the new file the permission bits of the file it replaces, if there is one (and
    the filesystem has permissions at all)."""
    try:
        os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode) & 0o777)
    except OSError:
        pass


def save_file(tensors: dict, path, metadata: dict | None = None) -> None:
    """Write ``tensors`` (name -> array or Tensor) and string ``metadata`` atomically."""
    arrays = {k: getattr(v, "data", v) for k, v in tensors.items()}
    atomic_write(path, serialize(arrays, metadata))


def deserialize(buffer: bytes, source: str = "<bytes>") -> tuple[OrderedDict, dict]:
    """Parse safetensors bytes into (name -> array, metadata), validating every field."""
    def fail(problem: str) -> SafetensorsError:
        return SafetensorsError(f"load: {source} is not a valid safetensors file: {problem}")

    if len(buffer) < 8:
        raise fail(f"it is {len(buffer)} bytes long, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", buffer[:8])
    if n > MAX_HEADER or 8 + n > len(buffer):
        raise fail(f"the header claims {n} bytes but the file has {len(buffer) - 8} after "
                   "the length field")
    try:
        header = json.loads(buffer[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise fail(f"the header is not valid JSON ({e})") from None
    except RecursionError:
        raise fail("the header nests JSON too deeply to be a safetensors header") from None
    if not isinstance(header, dict):
        raise fail("the header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise fail("__metadata__ must map strings to strings")
    data = memoryview(buffer)[8 + n:]
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise fail(f"entry '{name}' must have exactly dtype, shape and data_offsets")
        dtype = DTYPES.get(info["dtype"]) if isinstance(info["dtype"], str) else None
        if dtype is None:
            raise fail(f"entry '{name}' has unknown dtype {info['dtype']!r}")
        shape, offsets = info["shape"], info["data_offsets"]
        if not isinstance(shape, list) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape) \
                or 0 in shape and math.prod(s for s in shape if s) * dtype.itemsize >= 2**62:
            # (a huge shape with a 0 needs 0 bytes, so the byte count below cannot catch it)
            raise fail(f"entry '{name}' has an invalid shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= len(data)):
            raise fail(f"entry '{name}' has data_offsets {offsets!r} outside the "
                       f"{len(data)}-byte data section")
        expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
        if offsets[1] - offsets[0] != expected:
            raise fail(f"entry '{name}' spans {offsets[1] - offsets[0]} bytes but dtype "
                       f"{info['dtype']} and shape {tuple(shape)} need {expected}")
        entries.append((offsets[0], offsets[1], name, dtype, tuple(shape)))
    entries.sort()
    position = 0
    for begin, end, name, _, _ in entries:
        if begin != position:
            raise fail(f"entry '{name}' starts at byte {begin}; expected {position} (the "
                       "data must be contiguous, without gaps or overlaps)")
        position = end
    if position != len(data):
        raise fail(f"the data section has {len(data) - position} trailing bytes")
    order = {name: i for i, name in enumerate(header)}
    tensors = OrderedDict()
    for begin, end, name, dtype, shape in sorted(entries, key=lambda e: order[e[2]]):
        array = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
        tensors[name] = array.astype(dtype.newbyteorder("="), copy=True)
    return tensors, dict(metadata)


def load_file(path) -> tuple[OrderedDict, dict]:
    """Read a safetensors file: (name -> NumPy array, metadata dict)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            buffer = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no such file: {path}") from None
    return deserialize(buffer, source=path)
