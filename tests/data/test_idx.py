"""The IDX reader: round trips (raw and gzipped) and every kind of bad file, each rejected
with a message naming the file, what was expected and what was found, without allocating
what a corrupt header claims."""

import gzip
import struct
import tracemalloc

import numpy as np
import pytest

from glassnet.data.idx import read_idx

CODES = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
         np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}


def write_idx(array: np.ndarray, code: int | None = None) -> bytes:
    """A tiny independent IDX writer: header, then big-endian values."""
    code = CODES[array.dtype] if code is None else code
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def header(code: int, *shape: int) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5), (0,), (1, 1, 1, 2)])
def test_round_trip_bytes_and_gzip(dtype, shape):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal(shape) * 100).astype(dtype)
    raw = write_idx(array)
    for data in (raw, bytearray(raw), gzip.compress(raw)):
        out = read_idx(data)
        assert out.dtype == dtype and out.dtype.isnative
        assert out.shape == shape
        np.testing.assert_array_equal(out, array)
        assert out.flags.writeable


def test_round_trip_path_gzip_detected_by_magic_not_name(tmp_path):
    array = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    raw = write_idx(array)
    # gzipped content under a plain name, raw content under a .gz name
    (tmp_path / "a-idx3-int").write_bytes(gzip.compress(raw))
    (tmp_path / "b.gz").write_bytes(raw)
    for name in ("a-idx3-int", "b.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name), array)
        np.testing.assert_array_equal(read_idx(str(tmp_path / name)), array)


def test_multi_member_gzip():
    raw = write_idx(np.arange(100, dtype=np.uint8))
    data = gzip.compress(raw[:50]) + gzip.compress(raw[50:])
    np.testing.assert_array_equal(read_idx(data), np.arange(100, dtype=np.uint8))


def test_bytearray_source_is_viewed_not_copied():
    buf = bytearray(write_idx(np.arange(10, dtype=np.uint8)))
    out = read_idx(buf)
    buf[-1] = 99
    assert out[-1] == 99


def _error(data, match, tmp_path=None, name="bad-idx"):
    if tmp_path is not None:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ValueError, match=match) as info:
            read_idx(path)
        assert str(path) in str(info.value)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(data, name="thefile")
    assert "thefile" in str(info.value)
    return str(info.value)


def test_bad_magic(tmp_path):
    data = b"\x01\x00" + write_idx(np.arange(3, dtype=np.uint8))[2:]
    msg = _error(data, "bad magic number", tmp_path)
    assert "0x00 0x00" in msg and "0x01 0x00" in msg
    _error(b"PK\x03\x04" + b"\x00" * 20, "bad magic", tmp_path)


def test_wrong_type_code(tmp_path):
    data = write_idx(np.arange(3, dtype=np.uint8), code=0x0A)
    msg = _error(data, "unknown type code 0x0A", tmp_path)
    assert "0x08 (ubyte)" in msg and "0x0E (double)" in msg


def test_too_short_and_truncated_header(tmp_path):
    _error(b"\x00\x00", "2 bytes, too short", tmp_path)
    _error(b"", "0 bytes, too short", tmp_path)
    msg = _error(header(0x08, 5, 5, 5)[:9], "truncated header", tmp_path)
    assert "3 dims need a 16-byte header" in msg and "9 bytes" in msg
    _error(bytes([0, 0, 0x08, 0]), "0 dimensions", tmp_path)


def test_truncated_data(tmp_path):
    data = write_idx(np.arange(12, dtype=np.int16).reshape(3, 4))[:-3]
    msg = _error(data, "truncated", tmp_path)
    assert "(3, 4)" in msg and "36 bytes" in msg and "found 33" in msg


def test_over_long(tmp_path):
    data = write_idx(np.arange(12, dtype=np.float32)) + b"\x00"
    msg = _error(data, "over-long", tmp_path)
    assert "56 bytes" in msg and "found 57" in msg


def test_count_mismatch(tmp_path):
    # header says 3 x 4 ubyte values, the file holds 10
    data = header(0x08, 3, 4) + bytes(10)
    msg = _error(data, "truncated", tmp_path)
    assert "shape (3, 4)" in msg and "found 22 bytes" in msg and "24 bytes" in msg
    _error(gzip.compress(data), "truncated decompressed file")


def test_huge_header_claim_does_not_allocate(tmp_path):
    data = header(0x0E, 1000000, 1000000) + bytes(16)  # claims 8 * 10^12 bytes
    (tmp_path / "huge").write_bytes(data)
    tracemalloc.start()
    try:
        for source in (data, tmp_path / "huge", gzip.compress(data)):
            with pytest.raises(ValueError, match="truncated|more than .* gzip bytes can hold"):
                read_idx(source)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


def test_gzip_claiming_more_than_deflate_can_hold_is_refused_before_inflating():
    # Before: the header's own (impossible) claim became the decompression cap, so the 30 MB
    # of zeros behind it were all inflated before the length check refused the file.
    raw = header(0x08, 2**32 - 1, 2**32 - 1, 2**32 - 1) + bytes(30 << 20)
    data = gzip.compress(raw, compresslevel=1)
    del raw
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"claims shape \(4294967295, 4294967295, "
                                             r"4294967295\) .* more than \d+ gzip bytes can "
                                             r"hold \(DEFLATE compresses at most 1032:1\)"):
            read_idx(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


def test_gzip_bomb_stops_early():
    # 40 MB of zeros after a header claiming 10 bytes: decompression stops past 10 bytes
    raw = header(0x08, 10) + bytes(40 << 20)
    data = gzip.compress(raw, compresslevel=1)
    del raw
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"over-long .*found more \(decompression stopped"):
            read_idx(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_corrupt_and_truncated_gzip():
    data = gzip.compress(write_idx(np.arange(1000, dtype=np.int32)))
    with pytest.raises(ValueError, match="truncated gzip stream"):
        read_idx(data[:-20], name="x.gz")
    corrupt = data[:20] + bytes(b ^ 0xFF for b in data[20:40]) + data[40:]
    with pytest.raises(ValueError, match="x.gz"):
        read_idx(corrupt, name="x.gz")


def test_bad_source_type():
    with pytest.raises(TypeError, match="path or bytes"):
        read_idx(123)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")
