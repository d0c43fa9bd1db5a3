"""Reader for the IDX format, the binary layout of the original MNIST files.

An IDX file is a header followed by raw values in C (row-major) order, all big-endian::

    byte 0-1   0x00 0x00            magic: always two zero bytes
    byte 2     type code            0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int,
                                    0x0D float, 0x0E double
    byte 3     number of dims d
    4 * d      size of each dim     unsigned 32-bit big-endian integers
    ...        the values           prod(sizes) * itemsize bytes, nothing after

``read_idx`` accepts a path or the bytes of a file, gzipped or not (recognised by the gzip
magic bytes 1f 8b, not by the file name). Every size is checked against the length of the
data before anything is allocated, so a corrupt header claiming 10^12 items fails at once
with a message instead of exhausting memory.
"""

from __future__ import annotations

import math
import os
import zlib

import numpy as np

__all__ = ["read_idx", "IDX_TYPES"]

# type code -> (name, big-endian dtype as stored)
IDX_TYPES = {
    0x08: ("ubyte", np.dtype(">u1")),
    0x09: ("byte", np.dtype(">i1")),
    0x0B: ("short", np.dtype(">i2")),
    0x0C: ("int", np.dtype(">i4")),
    0x0D: ("float", np.dtype(">f4")),
    0x0E: ("double", np.dtype(">f8")),
}
_TYPE_NAMES = {dtype: name for name, dtype in IDX_TYPES.values()}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def _type_list() -> str:
    return ", ".join(f"0x{code:02X} ({name})" for code, (name, _) in IDX_TYPES.items())


def _parse_header(head: bytes, name: str, what: str) -> tuple[np.dtype, tuple, int]:
    """Validate the header at the start of ``head``; returns (dtype, shape, header length).

    ``head`` must hold at least the first 4 bytes and, when available, the dim sizes; a
    short ``head`` means the whole file is that short.
    """
    if len(head) < 4:
        raise ValueError(
            f"read_idx: {name}: {what} is {len(head)} bytes, too short for an IDX header "
            "(expected at least 4 bytes: two zero bytes, a type code, the number of dims)"
        )
    if head[0] != 0 or head[1] != 0:
        raise ValueError(
            f"read_idx: {name}: bad magic number: expected the first two bytes to be "
            f"0x00 0x00, found 0x{head[0]:02X} 0x{head[1]:02X} (not an IDX file?)"
        )
    code, ndim = head[2], head[3]
    if code not in IDX_TYPES:
        raise ValueError(
            f"read_idx: {name}: unknown type code 0x{code:02X}; expected one of {_type_list()}"
        )
    if ndim == 0:
        raise ValueError(f"read_idx: {name}: header says 0 dimensions; expected at least 1")
    header_len = 4 + 4 * ndim
    if len(head) < header_len:
        raise ValueError(
            f"read_idx: {name}: truncated header: {ndim} dims need a {header_len}-byte "
            f"header, but {what} has only {len(head)} bytes"
        )
    shape = tuple(int(s) for s in np.frombuffer(head, ">u4", count=ndim, offset=4))
    return IDX_TYPES[code][1], shape, header_len


def _check_length(name: str, what: str, dtype, shape, header_len: int, found: int,
                  cut: bool = False) -> int:
    """Check that ``found`` bytes is exactly header + data; returns the data length.
    ``cut``: decompression stopped at ``found`` bytes, the real length is larger."""
    expected = dtype.itemsize
    for size in shape:  # Python ints: no overflow, however large the header's claims
        expected *= size
    total = header_len + expected
    if found != total:
        kind = "truncated" if found < total else "over-long"
        raise ValueError(
            f"read_idx: {name}: {kind} {what}: header says shape {shape} of "
            f"{_TYPE_NAMES[dtype]} ({dtype.itemsize} bytes each), i.e. {total} bytes "
            f"with the {header_len}-byte header, but found "
            + (f"more (decompression stopped at {found} bytes)" if cut else f"{found} bytes")
        )
    return expected


def _to_array(buffer, dtype: np.dtype, shape: tuple, offset: int) -> np.ndarray:
    """The values as a writable native-endian array (a view of ``buffer`` when possible)."""
    array = np.frombuffer(buffer, dtype, offset=offset, count=math.prod(shape))
    native = dtype.newbyteorder("=")
    if dtype.itemsize > 1:
        array = array.astype(native)  # byte swap on little-endian machines: one copy
    elif not array.flags.writeable:
        array = array.copy()
    else:
        array = array.view(native)
    return array.reshape(shape)


_MAX_DEFLATE_RATIO = 1032  # DEFLATE's best case: a 258-byte match in 2 bits, per stream


def _gunzip(data, name: str) -> tuple[bytearray, bool]:
    """Decompress gzip ``data`` in bounded steps. Once the IDX header is out, the total size
    it claims caps the output at one byte past it, so a gzip bomb or a corrupt header stops
    early (the length check then reports it) instead of filling memory; a claim no gzip
    file of this size could decompress to is refused at once."""
    out = bytearray()
    limit = None  # header + data bytes the IDX header claims, once the header is out
    decomp = zlib.decompressobj(wbits=31)
    pending = memoryview(data)
    try:
        while True:
            room = _CHUNK if limit is None else min(_CHUNK, limit + 1 - len(out))
            if room <= 0:
                return out, True  # past the claimed size: over-long, stop here
            piece = decomp.decompress(pending, room)
            pending = decomp.unconsumed_tail
            out += piece
            if limit is None and len(out) >= 4 and len(out) >= 4 + 4 * out[3]:
                dtype, shape, header_len = _parse_header(
                    bytes(out[:4 + 4 * out[3]]), name, "the decompressed file")
                limit = header_len + dtype.itemsize * math.prod(shape)
                if limit > _MAX_DEFLATE_RATIO * len(data) + 1024:
                    raise ValueError(
                        f"read_idx: {name}: the header claims shape {shape} ({limit} bytes), "
                        f"more than {len(data)} gzip bytes can hold (DEFLATE compresses at "
                        f"most {_MAX_DEFLATE_RATIO}:1); the file is corrupt")
            if decomp.eof:
                rest = decomp.unused_data
                if not rest.strip(b"\x00"):  # gzip allows zero padding at the end
                    break
                decomp = zlib.decompressobj(wbits=31)  # another gzip member follows
                pending = memoryview(rest)
            elif not piece and not pending:
                raise ValueError(
                    f"read_idx: {name}: truncated gzip stream: it ends after {len(out)} "
                    "decompressed bytes without the gzip end marker"
                )
    except zlib.error as exc:
        raise ValueError(f"read_idx: {name}: not a valid gzip stream ({exc})") from None
    return out, False


def _read_path(path) -> tuple[bytearray, str]:
    name = os.fspath(path)
    with open(name, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head == _GZIP_MAGIC:
            return bytearray(f.read()), name
        # Not gzipped: check the header against the file size before reading the data.
        size = os.fstat(f.fileno()).st_size
        first = f.read(4)
        ndim = first[3] if len(first) == 4 else 0
        head = first + f.read(4 * ndim)
        dtype, shape, header_len = _parse_header(head, name, "the file")
        _check_length(name, "file", dtype, shape, header_len, size)
        f.seek(0)
        buffer = bytearray(size)
        got = f.readinto(buffer)
        if got != size:
            raise ValueError(f"read_idx: {name}: file shrank while reading: "
                             f"expected {size} bytes, read {got}")
        return buffer, name


def read_idx(source, name: str | None = None) -> np.ndarray:
    """Read an IDX file into a NumPy array with the file's shape and a native-endian dtype.

    Args:
        source: a path (str or os.PathLike) or the file's bytes (bytes, bytearray,
            memoryview); gzip-compressed data is decompressed transparently.
        name: what to call the source in error messages (default: the path, or "<bytes>").

    Returns:
        An array of dtype uint8, int8, int16, int32, float32 or float64 (per the type code),
        writable. When given a bytearray of an uncompressed byte-typed file, the array is a
        view of it (no copy).

    Raises:
        ValueError: bad magic number, unknown type code, zero dims, a truncated header, or
            data shorter or longer than the header's sizes say; the message names the file,
            what was expected and what was found.
        TypeError: ``source`` is neither a path nor bytes.
    """
    if isinstance(source, (str, os.PathLike)):
        buffer, default_name = _read_path(source)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        buffer, default_name = source, "<bytes>"
    else:
        raise TypeError(
            f"read_idx: source must be a path or bytes, got {type(source).__name__}"
        )
    name = name or default_name
    what, cut = "file", False
    if bytes(buffer[:2]) == _GZIP_MAGIC:
        (buffer, cut), what = _gunzip(buffer, name), "decompressed file"
    dtype, shape, header_len = _parse_header(bytes(buffer[:1028]), name, f"the {what}")
    _check_length(name, what, dtype, shape, header_len, len(buffer), cut)
    return _to_array(buffer, dtype, shape, header_len)
