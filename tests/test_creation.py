"""Tensor creation compared with PyTorch: randint's forms, arange's integer rule, full's
fill_value, rand's [0, 1) in float16, big ints in tensor(), and the errors they raise."""

import numpy as np
import pytest
import torch

import glassnet as gn


def _torch_dtype(dtype) -> torch.dtype:
    return getattr(torch, np.dtype(dtype).name)


# ----------------------------------------------------------------------------- randint
def test_randint_takes_torchs_forms():
    for args, kwargs, shape in [((10, (2, 3)), {}, (2, 3)), ((2, 5, (4,)), {}, (4,)),
                                ((5, [2, 2]), {}, (2, 2)), ((5, ()), {}, ()),
                                ((5,), {"size": (3,)}, (3,)),
                                ((), {"high": 5, "size": (3,)}, (3,)),
                                ((), {"low": 2, "high": 5, "size": (3,)}, (3,)),
                                ((gn.tensor(5), (2,)), {}, (2,)),
                                ((np.int64(5), (2,)), {}, (2,))]:
        ours, theirs = gn.randint(*args, **kwargs), torch.randint(
            *[torch.tensor(5) if isinstance(a, gn.Tensor) else a for a in args], **kwargs)
        assert ours.shape == tuple(theirs.shape) == shape and ours.dtype == gn.int64
        low = args[0] if len(args) == 3 else kwargs.get("low", 0)
        high = args[1] if len(args) == 3 else kwargs.get("high", args[0] if args else None)
        values = ours.data.ravel()
        assert ((values >= low) & (values < int(high))).all()
    gn.manual_seed(0)
    draws = gn.randint(10, (10000,)).data
    assert set(np.unique(draws).tolist()) == set(range(10))  # all of [0, 10), not (10, ...)


def test_randint_dtypes_give_integers_in_that_dtype():
    for dtype in (gn.int32, gn.uint8, gn.int8, gn.float16, gn.float32, gn.float64):
        ours = gn.randint(0, 5, (50,), dtype=dtype)
        theirs = torch.randint(0, 5, (50,), dtype=_torch_dtype(dtype))
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        assert ((ours.data >= 0) & (ours.data < 5) & (ours.data == np.round(ours.data))).all()
    assert gn.randint(0, 2, (20,), dtype=gn.bool).dtype == gn.bool
    floats = gn.randint(0, 2, (3,), dtype=gn.float32, requires_grad=True)
    assert floats.requires_grad and torch.randint(0, 2, (3,), dtype=torch.float32,
                                                  requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="randint: only floating point tensors can require"):
        gn.randint(0, 2, (3,), requires_grad=True)


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((5,), {}, TypeError, "randint: missing argument 'size'"),
    ((5, 3), {}, TypeError, "randint: missing argument 'size'"),
    ((2.5, (2,)), {}, TypeError, "randint: argument 'high' must be an int, got float 2.5"),
    ((0, 2.5, (2,)), {}, TypeError, "randint: argument 'high' must be an int"),
    ((0.5, 3, (2,)), {}, TypeError, "randint: argument 'low' must be an int"),
    ((0, 5, 3), {}, TypeError, "randint: argument 'size' must be a tuple of ints, got int 3"),
    ((0, 2**63, (2,)), {}, OverflowError, "randint: argument 'high' .* does not fit in int64"),
    ((5, 5, (3,)), {}, ValueError, r"randint: .*'from' to be less than 'to'.*low=5 >= high=5"),
    ((0, (3,)), {}, ValueError, "low=0 >= high=0"),
    ((-3, (2,)), {}, ValueError, "low=0 >= high=-3"),
    ((0, 300, (3,)), {"dtype": gn.uint8}, ValueError, r"\[0, 300\) is out of bounds for "
                                                      "dtype uint8"),
    ((-1, 3, (3,)), {"dtype": gn.uint8}, ValueError, "out of bounds for dtype uint8"),
    ((0, 70000, (3,)), {"dtype": gn.float16}, ValueError, "out of bounds for dtype float16"),
    ((5, (-1,)), {}, ValueError, "randint: sizes must be non-negative ints"),
])
def test_randint_refuses_bad_arguments_in_one_line(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        gn.randint(*args, **kwargs)
    with pytest.raises((TypeError, ValueError, RuntimeError)):  # PyTorch refuses them too
        torch.randint(*args, **{k: _torch_dtype(v) for k, v in kwargs.items()})


# ----------------------------------------------------------------------------- arange
ARANGE_CASES = [(-0.5, 2.5, 1), (0, 4, 1.5), (0.5, 3.7, 1), (0, 2.9, 1), (-2.5, 2.5, 1),
                (0, 5, 2.5), (-0.7, 3, 1.9), (5, 0.5, -1.5), (-1.5, -5, -1), (0, 10, 3),
                (0, 0.5, 1), (2**62, 2**62 + 3, 1)]


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "float16", "float32",
                                   "float64"])
def test_arange_values_and_lengths_match_torch_in_every_dtype(dtype):
    for start, end, step in ARANGE_CASES:
        if start > 2**24 and dtype != "int64":
            continue
        ours = gn.arange(start, end, step, dtype=getattr(gn, dtype))
        theirs = torch.arange(start, end, step, dtype=getattr(torch, dtype)).numpy()
        assert ours.dtype == theirs.dtype, (start, end, step)
        np.testing.assert_array_equal(ours.data, theirs, err_msg=str((start, end, step)))


def test_arange_wraps_a_narrow_integer_dtype_as_torch():
    for dtype in ("uint8", "int8"):
        ours = gn.arange(-3, 300, dtype=getattr(gn, dtype)).data
        np.testing.assert_array_equal(
            ours, torch.arange(-3, 300, dtype=getattr(torch, dtype)).numpy())


def test_arange_infers_the_default_float_from_numpy_floats_and_float_tensors():
    for bound, tbound in [(np.float32(2.5), np.float32(2.5)), (np.float64(2.5), 2.5),
                          (gn.tensor(2.5), torch.tensor(2.5)),
                          (gn.tensor(3.0, dtype=gn.float64),
                           torch.tensor(3.0, dtype=torch.float64))]:
        ours, theirs = gn.arange(bound), torch.arange(tbound)
        assert ours.dtype == gn.float32 and theirs.dtype == torch.float32
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    ours = gn.arange(0, 5, np.float32(1.5))
    assert ours.dtype == gn.float32 and ours.tolist() == [0.0, 1.5, 3.0, 4.5]
    assert gn.arange(np.int32(3)).dtype == gn.int64 and gn.arange(gn.tensor(3)).tolist() == [
        0, 1, 2]
    assert gn.arange(end=5).tolist() == torch.arange(end=5).tolist() == [0, 1, 2, 3, 4]
    assert gn.arange(start=1, end=3).tolist() == [1, 2]


@pytest.mark.parametrize("args, error, match", [
    ((5, 1), ValueError, "arange: upper bound and lower bound inconsistent with step sign"),
    ((1, 5, -1), ValueError, "inconsistent with step sign"),
    ((-3,), ValueError, "inconsistent with step sign"),
    ((0, float("inf")), ValueError, "arange: start, end and step must be finite.*end=inf"),
    ((float("nan"),), ValueError, "must be finite"),
    ((0, 1, float("nan")), ValueError, "must be finite"),
    ((0, 5, 0), ValueError, "arange: argument 'step' must be non-zero"),
    (("5",), TypeError, "arange: argument 'end' must be a real Number, got str '5'"),
    ((gn.tensor([3, 4]),), TypeError, "argument 'end' must be a real Number, got a Tensor"),
    ((), TypeError, "arange: missing argument 'end'"),
])
def test_arange_refuses_bad_ranges_in_one_line(args, error, match):
    with pytest.raises(error, match=match):
        gn.arange(*args)


def test_arange_refuses_bool_dtype_and_a_huge_length():
    with pytest.raises(TypeError, match="arange: dtype bool is not supported"):
        gn.arange(3, dtype=gn.bool)
    with pytest.raises(ValueError, match="arange: the range would have .* elements"):
        gn.arange(0, 1e30, 1e-30)


# ----------------------------------------------------------------------------- full
@pytest.mark.parametrize("fill, dtype", [(float("nan"), "int64"), (float("inf"), "int32"),
                                         (-1.5, "uint8"), (300, "uint8"), (128, "int8"),
                                         (2**40, "int32"), (-256, "uint8")])
def test_full_refuses_a_fill_value_the_integer_dtype_cannot_hold(fill, dtype):
    with pytest.raises(ValueError, match=f"full: value .* cannot be converted to type {dtype}"):
        gn.full((2,), fill, dtype=getattr(gn, dtype))
    with pytest.raises(RuntimeError, match="without overflow"):
        torch.full((2,), fill, dtype=getattr(torch, dtype))
    with pytest.raises(ValueError, match="full_like: value"):
        gn.full_like(gn.zeros(2, dtype=getattr(gn, dtype)), fill)


def test_full_wraps_an_in_range_negative_int_for_unsigned_dtypes_as_fill_does():
    for fill in (-1, -129, -255):
        ours = gn.full((2,), fill, dtype=gn.uint8)
        assert ours.tolist() == torch.full((2,), fill, dtype=torch.uint8).tolist()
    assert gn.full_like(gn.zeros(2, dtype=gn.uint8), -1).tolist() == [255, 255]
    assert gn.full((2,), 3.7, dtype=gn.int64).tolist() == [3, 3]  # truncated, as in PyTorch


def test_full_reads_numpy_scalars_and_0d_tensors_as_python_numbers():
    for fill, tfill in [(np.float64(1.5), np.float64(1.5)), (np.float32(1.5), np.float32(1.5)),
                        (np.int32(3), np.int32(3)), (gn.tensor(2.5), torch.tensor(2.5)),
                        (gn.tensor(1.5, dtype=gn.float64), torch.tensor(1.5, dtype=torch.float64)),
                        (gn.tensor(3, dtype=gn.int32), torch.tensor(3, dtype=torch.int32))]:
        ours, theirs = gn.full((2,), fill), torch.full((2,), tfill)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("fill", [[1, 2], gn.tensor([1.0, 2.0]), "a", None, np.array([1.5])])
def test_full_refuses_a_fill_value_that_is_not_a_number(fill):
    with pytest.raises(TypeError, match="full: argument 'fill_value' must be a real Number"):
        gn.full((2,), fill)


def test_full_needs_a_size_sequence_like_torch():
    with pytest.raises(TypeError, match="full: argument 'size' must be a tuple of ints, got int"):
        gn.full(2, 0)
    with pytest.raises(TypeError, match="must be tuple of ints"):
        torch.full(2, 0)
    assert gn.full([2], 0).tolist() == torch.full([2], 0).tolist() == [0, 0]


# ----------------------------------------------------------------------------- rand
def test_rand_float16_stays_below_one():
    gn.manual_seed(0)
    draws = gn.rand(200_000, dtype=gn.float16).data  # ~50 float64 draws round up to 1.0
    assert draws.dtype == np.float16 and draws.max() < 1.0 and draws.min() >= 0.0
    assert draws.max() == np.nextafter(np.float16(1), np.float16(0))
    assert gn.rand_like(gn.zeros(100_000, dtype=gn.float16)).data.max() < 1.0


# ----------------------------------------------------------------------------- tensor
@pytest.mark.parametrize("data", [2**63, 2**64 - 1, 2**64, -(2**63) - 1, [1, 2**63],
                                  [[1], [2**64]]])
def test_tensor_refuses_ints_that_do_not_fit_int64(data):
    with pytest.raises(OverflowError, match=r"tensor: the int -?\d+ does not fit in int64"):
        gn.tensor(data)
    with pytest.raises((ValueError, OverflowError), match="Overflow"):
        torch.tensor(data)


def test_tensor_keeps_int64_extremes_and_big_ints_among_floats():
    assert gn.tensor(2**63 - 1).item() == torch.tensor(2**63 - 1).item()
    assert gn.tensor(-(2**63)).item() == -(2**63)
    ours, theirs = gn.tensor([1.5, 2**63]), torch.tensor([1.5, 2**63])
    assert ours.dtype == gn.float32 and ours.tolist() == theirs.tolist()


# ----------------------------------------------------------------------------- errors
def test_size_out_of_range_is_torchs_index_error():
    x = gn.zeros(2, 3)
    with pytest.raises(IndexError, match=r"size: Dimension out of range \(expected to be in "
                                         r"range of \[-2, 1\], but got 2\)"):
        x.size(2)
    with pytest.raises(IndexError, match=r"\[-2, 1\], but got -3"):
        x.size(-3)
    with pytest.raises(IndexError, match="size: Dimension specified as 0 but tensor has no "
                                         "dimensions"):
        gn.tensor(1.0).size(0)
    with pytest.raises(TypeError, match="size: argument 'dim' must be an int, got float 1.0"):
        x.size(1.0)
    assert x.size(-1) == torch.zeros(2, 3).size(-1) == 3 and x.size(np.int64(0)) == 2


@pytest.mark.parametrize("state, error", [(None, TypeError), ({}, ValueError),
                                          (np.random.MT19937(0).state, ValueError),
                                          ({"bit_generator": "PCG64"}, ValueError)])
def test_set_rng_state_names_itself_and_leaves_the_generator_alone(state, error):
    before = gn.get_rng_state()
    with pytest.raises(error, match="set_rng_state: "):
        gn.set_rng_state(state)
    assert gn.get_rng_state() == before


@pytest.mark.parametrize("value, dtype", [(float("nan"), "int64"), (300, "uint8"),
                                          (float("inf"), "int32")])
def test_tensor_of_a_number_an_integer_dtype_cannot_hold_is_refused_like_torch(value, dtype):
    # Before: NumPy's "cannot convert float NaN to integer" / "out of bounds for uint8"
    with pytest.raises(RuntimeError, match="without overflow"):
        torch.tensor(value, dtype=getattr(torch, dtype))
    with pytest.raises(ValueError, match=rf"^tensor: value .* cannot be converted to type "
                                         rf"{dtype} without overflow"):
        gn.tensor(value, dtype=getattr(np, dtype))


def test_tensor_of_a_negative_int_as_uint8_wraps_like_torch():
    assert gn.tensor(-1, dtype=np.uint8).item() == torch.tensor(-1, dtype=torch.uint8).item()
