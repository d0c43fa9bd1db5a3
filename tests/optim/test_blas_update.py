"""glassnet.optim.blas_update: the optimizers' in-place updates through OpenBLAS, their NumPy
fallback, and SGD on parameters long enough to take the BLAS path, against PyTorch."""

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import optim
from glassnet.openblas_kernels import loaded_openblas
from glassnet.optim import blas_update
from glassnet.optim.blas_update import MIN_BLAS_SIZE, _routine, add_scaled_, scale_

LONG = (MIN_BLAS_SIZE // 64 + 3, 64)  # over the threshold, and not a round size


def _pair(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)


@pytest.fixture
def numpy_only(monkeypatch):
    monkeypatch.setattr(blas_update, "enabled", False)


def test_long_contiguous_float_arrays_take_openblas_where_numpy_has_it():
    if loaded_openblas() is None:
        pytest.skip("this NumPy does not run on OpenBLAS: the NumPy path is the only one")
    for dtype in (np.float32, np.float64):
        y, x = _pair(LONG, dtype)
        assert _routine("axpy", y, x) is not None and _routine("scal", y, y) is not None


def test_add_scaled_is_y_plus_alpha_x_within_one_rounding():
    y, x = _pair(LONG, np.float32)
    # float32 products are exact in float64, so this is the exact sum, rounded once
    exact = y.astype(np.float64) + np.float64(np.float32(-0.37)) * x.astype(np.float64)
    add_scaled_(y, -0.37, x)
    np.testing.assert_array_max_ulp(y, exact.astype(np.float32), maxulp=1)
    y, x = _pair(LONG, np.float64)
    expected = y - 0.37 * x
    add_scaled_(y, -0.37, x)
    np.testing.assert_allclose(y, expected, rtol=0, atol=4e-16 * np.abs(expected).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scale_is_exactly_numpys_product(dtype):
    x, _ = _pair(LONG, dtype)
    expected = x * dtype(0.9)
    scale_(x, 0.9)
    np.testing.assert_array_equal(x, expected)


@pytest.mark.parametrize("case", ["short", "float16", "strided", "mixed dtypes", "disabled"])
def test_other_arrays_go_through_numpy_with_its_rounding(case, monkeypatch):
    shape, dtype = (LONG, np.float32) if case != "short" else ((10, 10), np.float32)
    if case == "float16":
        dtype = np.float16
    y, x = _pair(shape, dtype)
    if case == "strided":
        y, x = np.asfortranarray(y), np.asfortranarray(x)
    if case == "mixed dtypes":
        x = x.astype(np.float64)
    if case == "disabled":
        monkeypatch.setattr(blas_update, "enabled", False)
    assert _routine("axpy", y, x) is None
    expected = y.copy()
    expected += 0.3 * x
    add_scaled_(y, 0.3, x)
    np.testing.assert_array_equal(y, expected)


def test_a_zero_length_or_numpy_scalar_alpha_works():
    y, x = _pair(LONG, np.float32)
    expected = y + np.float32(2.0) * x
    add_scaled_(y, np.float32(2.0), x)  # ctypes takes only Python floats: converted
    np.testing.assert_array_max_ulp(y, expected, maxulp=1)
    empty = np.zeros((0,), np.float32)
    add_scaled_(empty, 1.0, empty)
    scale_(empty, 2.0)


def _sgd_trajectory(options, steps=5):
    """Parameters after ``steps`` SGD steps on a fixed quadratic-ish loss, both frameworks."""
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal(LONG).astype(np.float32)
    targets = [rng.standard_normal(LONG).astype(np.float32) for _ in range(steps)]
    w = gn.tensor(w0.copy(), requires_grad=True)
    tw = torch.tensor(w0.copy(), requires_grad=True)
    opt, topt = optim.SGD([w], **options), torch.optim.SGD([tw], **options)
    for target in targets:
        for param, o, lib in ((w, opt, gn), (tw, topt, torch)):
            o.zero_grad()
            loss = ((param - lib.from_numpy(target)) ** 2 * 0.5).sum()
            loss.backward()
            o.step()
    return w.data, tw.detach().numpy()


@pytest.mark.parametrize("options", [
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-2},
    {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "maximize": True},
], ids=["momentum", "nesterov+decay", "dampening+maximize"])
def test_sgd_on_a_long_parameter_matches_torch_both_paths(options, monkeypatch):
    ours, theirs = _sgd_trajectory(options)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    monkeypatch.setattr(blas_update, "enabled", False)
    numpy_ours, _ = _sgd_trajectory(options)
    np.testing.assert_allclose(numpy_ours, ours, rtol=1e-5, atol=1e-6)
