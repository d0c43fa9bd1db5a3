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
        assert _routine("axpy", y, x, 0.5)[0] is not None
        assert _routine("scal", y, y, 0.5)[0] is not None


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
    assert _routine("axpy", y, x, 0.3)[0] is None
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


@pytest.mark.parametrize("length", [100, LONG[0] * LONG[1]], ids=["short", "long"])
def test_a_zero_alpha_still_spreads_nan_as_numpy_and_torch_do(length):
    # OpenBLAS's axpy returns early for alpha == 0 and would drop the NaN (a cosine schedule
    # reaches lr = 0 exactly; dampening = 1 scales the gradient by 0).
    for options in ({"lr": 0.0}, {"lr": 0.1, "momentum": 0.9, "dampening": 1.0}):
        w = gn.tensor(np.ones(length, np.float32), requires_grad=True)
        tw = torch.ones(length, requires_grad=True)
        opt, topt = optim.SGD([w], **options), torch.optim.SGD([tw], **options)
        for step in range(2):
            grad = np.ones(length, np.float32)
            grad[5] = np.nan if step == 1 else 1.0
            w.grad, tw.grad = gn.from_numpy(grad.copy()), torch.from_numpy(grad.copy())
            opt.step()
            topt.step()
        np.testing.assert_array_equal(np.isnan(w.data), np.isnan(tw.detach().numpy()))
        assert np.isnan(w.data[5])


def test_size_one_array_and_tensor_hyperparameters_work_on_long_parameters():
    for lr in (np.array([0.1]), np.float32(0.1), gn.tensor(0.1)):
        w = gn.tensor(np.ones(LONG, np.float32), requires_grad=True)
        w.grad = gn.from_numpy(np.ones(LONG, np.float32))
        optim.SGD([w], lr=lr, momentum=np.array([0.9])).step()
        np.testing.assert_allclose(w.data, 0.9, rtol=1e-6)


def test_overlapping_arrays_go_through_numpy():
    base = np.arange(LONG[0] * LONG[1] + 1, dtype=np.float32)
    y, x = base[1:], base[:-1]  # x is y shifted by one element
    expected = y + 2.0 * x
    assert _routine("axpy", y, x, 2.0)[0] is None
    add_scaled_(y, 2.0, x)
    np.testing.assert_array_equal(y, expected)


def test_a_tensor_alpha_updates_short_arrays_in_place():
    # NumPy's fallback: ``y += alpha * x`` with a Tensor alpha used to rebind y to a new Tensor
    # and leave the array unchanged.
    for alpha in (gn.tensor(np.array(0.5, np.float32)), torch.tensor(0.5)):
        y, x = np.ones(10, np.float32), np.arange(10, dtype=np.float32)
        add_scaled_(y, alpha, x)
        np.testing.assert_array_equal(y, 1 + 0.5 * np.arange(10, dtype=np.float32))
        scale_(y, alpha)
        np.testing.assert_array_equal(y, 0.5 + 0.25 * np.arange(10, dtype=np.float32))
