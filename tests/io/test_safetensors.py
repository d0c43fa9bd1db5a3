"""The safetensors reader/writer: interchange with the reference library, and refusal of
every malformed file with a message that names the file and the problem."""

import json
import os
import struct

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import glassnet as gn
from glassnet import nn
from glassnet.io import SafetensorsError, load_file, save_file


def sample_tensors():
    rng = np.random.default_rng(0)
    return {
        "w": rng.standard_normal((3, 4)).astype(np.float32),
        "b": rng.standard_normal(4),  # float64
        "idx": np.arange(5, dtype=np.int64),
        "mask": np.array([True, False, True]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "t": rng.standard_normal((4, 3)).astype(np.float32).T,  # non-contiguous
    }


def test_round_trip_keeps_names_dtypes_shapes_values_and_metadata(tmp_path):
    path = tmp_path / "x.safetensors"
    tensors = sample_tensors()
    save_file(tensors, path, {"note": "hello"})
    loaded, meta = load_file(path)
    assert list(loaded) == list(tensors)
    for k, v in tensors.items():
        assert loaded[k].dtype == v.dtype and loaded[k].shape == v.shape
        np.testing.assert_array_equal(loaded[k], v)
    assert meta == {"note": "hello"}


def test_reference_library_reads_our_files_and_we_read_its(tmp_path):
    ours = tmp_path / "ours.safetensors"
    save_file(sample_tensors(), ours, {"a": "b"})
    theirs = safetensors.numpy.load_file(str(ours))
    for k, v in sample_tensors().items():
        np.testing.assert_array_equal(theirs[k], v)
    ref = tmp_path / "ref.safetensors"
    # The reference writer ignores strides, so it is given contiguous arrays (ours is not).
    contiguous = {k: np.ascontiguousarray(v) for k, v in sample_tensors().items()}
    safetensors.numpy.save_file(contiguous, str(ref), metadata={"x": "y"})
    loaded, meta = load_file(ref)
    for k, v in sample_tensors().items():
        np.testing.assert_array_equal(loaded[k], v)
    assert meta == {"x": "y"}


def test_weights_move_to_a_pytorch_model_through_the_file(tmp_path):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    path = tmp_path / "model.safetensors"
    gn.save(model, path, metadata={"epochs": 3})
    twin = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    twin.load_state_dict(safetensors.torch.load_file(str(path)))
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(gn.tensor(x)).data, expected, rtol=1e-6)
    state, meta = gn.load(path, with_metadata=True)
    assert meta == {"epochs": 3} and list(state) == list(model.state_dict())


def _write(path, header: dict, data: bytes = b"", raw_header: bytes | None = None):
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)


@pytest.mark.parametrize("case,match", [
    ("short", "shorter than the 8-byte header length"),
    ("huge_header", "the header claims"),
    ("bad_json", "not valid JSON"),
    ("bad_dtype", "unknown dtype 'F99'"),
    ("bad_shape", "invalid shape"),
    ("offsets_outside", "outside the"),
    ("size_mismatch", "need 24"),
    ("gap", "contiguous"),
    ("trailing", "trailing bytes"),
    ("bad_metadata", "__metadata__ must map strings to strings"),
    ("shape_overflows_int64", r"need 73786976294838206464"),
    ("shape_product_wraps_to_zero", r"need 73786976294838206464"),
    # These escaped as TypeError, RecursionError and NumPy's own ValueError, so the glassnet
    # command printed a traceback instead of its one-line error:
    ("dtype_is_a_list", r"entry 'w' has unknown dtype \['F32'\]"),
    ("deep_json", "nests JSON too deeply"),
    ("empty_but_huge_shape", r"entry 'w' has an invalid shape \[0, 10{30}\]"),
    ("empty_huge_in_bytes", r"entry 'w' has an invalid shape \[0, 2305843009213693952\]"),
])
def test_malformed_files_are_refused_with_a_reason(tmp_path, case, match):
    path = tmp_path / f"{case}.safetensors"
    entry = {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    data = bytes(24)
    if case == "short":
        path.write_bytes(b"\x01\x02")
    elif case == "huge_header":
        path.write_bytes(struct.pack("<Q", 10**15) + b"{}")
    elif case == "bad_json":
        _write(path, {}, raw_header=b"{not json")
    elif case == "bad_dtype":
        _write(path, {"w": {**entry, "dtype": "F99"}}, data)
    elif case == "bad_shape":
        _write(path, {"w": {**entry, "shape": [2, -3]}}, data)
    elif case == "offsets_outside":
        _write(path, {"w": {**entry, "data_offsets": [0, 2400]}}, data)
    elif case == "size_mismatch":
        _write(path, {"w": {**entry, "data_offsets": [0, 20]}}, data[:20])
    elif case == "gap":
        _write(path, {"w": {**entry, "data_offsets": [4, 28]}}, bytes(28))
    elif case == "trailing":
        _write(path, {"w": entry}, data + b"xx")
    elif case == "bad_metadata":
        _write(path, {"w": entry, "__metadata__": {"a": 1}}, data)
    elif case == "shape_overflows_int64":  # 2**64 elements: int64 arithmetic overflows
        _write(path, {"w": {**entry, "shape": [2**64], "data_offsets": [0, 0]}})
    elif case == "shape_product_wraps_to_zero":  # 2**32 * 2**32 wraps to 0 in int64
        _write(path, {"w": {**entry, "shape": [2**32, 2**32], "data_offsets": [0, 0]}})
    elif case == "dtype_is_a_list":
        _write(path, {"w": {**entry, "dtype": ["F32"]}}, data)
    elif case == "deep_json":
        _write(path, {}, raw_header=b"[" * 100_000 + b"]" * 100_000)
    elif case == "empty_but_huge_shape":
        _write(path, {"w": {**entry, "shape": [0, 10**30], "data_offsets": [0, 0]}})
    elif case == "empty_huge_in_bytes":  # 2**61 float64 elements: 2**64 bytes
        _write(path, {"w": {**entry, "dtype": "F64", "shape": [0, 2**61],
                            "data_offsets": [0, 0]}})
    with pytest.raises(SafetensorsError, match=match) as info:
        load_file(path)
    assert str(path) in str(info.value)


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"a": np.ones(3, np.float32)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="complex128"):
        save_file({"a": np.ones(3, np.float32), "z": np.ones(2, np.complex128)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"], "no temp file left"


def test_loading_never_unpickles(tmp_path):
    # A pickle payload stored as bytes is just data: it comes back as uint8, never executed.
    import pickle

    payload = np.frombuffer(pickle.dumps(os.system), dtype=np.uint8)
    path = tmp_path / "p.safetensors"
    save_file({"blob": payload}, path)
    loaded, _ = load_file(path)
    assert loaded["blob"].dtype == np.uint8


def test_files_get_the_mode_a_new_file_would_and_keep_an_existing_ones(tmp_path):
    # mkstemp's 0600 used to reach every safetensors file, unlike the run's other files
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.safetensors"
        save_file({"w": np.zeros(2)}, fresh)
        assert fresh.stat().st_mode & 0o777 == 0o644
        os.chmod(fresh, 0o640)
        save_file({"w": np.ones(2)}, fresh)
        assert fresh.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)


def test_a_tensor_named_like_the_metadata_key_is_refused_before_writing(tmp_path):
    path = tmp_path / "m.safetensors"
    with pytest.raises(ValueError, match="'__metadata__' is reserved"):
        save_file({"__metadata__": np.zeros(2)}, path)
    assert not path.exists()


def test_unsigned_tensors_round_trip_and_read_the_reference_files(tmp_path):
    # U16, U32 and U64 are safetensors dtypes; they were refused on save and called "not a
    # valid safetensors file" on load
    tensors = {f"u{bits}": np.array([0, 1, 2**bits - 1], dtype=f"u{bits // 8}")
               for bits in (16, 32, 64)}
    ours, theirs = tmp_path / "ours.safetensors", tmp_path / "theirs.safetensors"
    save_file(tensors, ours)
    safetensors.numpy.save_file(tensors, str(theirs))
    for path in (ours, theirs):
        loaded, _ = load_file(path)
        for name, array in tensors.items():
            assert loaded[name].dtype == array.dtype
            np.testing.assert_array_equal(loaded[name], array)
    reference = safetensors.numpy.load_file(str(ours))  # the reference reads ours
    np.testing.assert_array_equal(reference["u64"], tensors["u64"])
