"""sum over n of a[n] @ b[n].T through OpenBLAS's AVX-512 small-matrix kernel
(glassnet/ops/small_products.py): the same sums as NumPy's, the NumPy path wherever the
kernel does not apply, and the convolution's weight gradient unchanged by it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.functional as F
from glassnet.openblas_kernels import loaded_openblas
from glassnet.ops import conv as conv_ops
from glassnet.ops import small_products


def _numpy(a, b):
    return np.matmul(a, b.transpose(0, 2, 1)).sum(axis=0)


def test_the_kernel_is_used_wherever_the_cpu_and_library_have_it():
    flags = small_products._cpu_has_avx512()
    library = loaded_openblas()
    exported = library is not None and hasattr(library, "sgemm_small_kernel_tn_SKYLAKEX")
    for dtype in (np.float32, np.float64):
        assert (small_products._kernel(np.dtype(dtype)) is not None) == (flags and exported)
    assert small_products._kernel(np.dtype(np.float16)) is None


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("shape", [
    (64, 32, 10, 676),  # the MNIST CNN's first layer: (N, Og, rows, P)
    (3, 5, 3, 37),      # odd sizes: remainders of every kernel loop
    (1, 1, 1, 1),
    (2, 7, 1, 9),
    (4, 1, 6, 100),
])
def test_sums_match_numpy(dtype, rtol, shape):
    n, m, p, k = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, m, k)).astype(dtype)
    b = rng.standard_normal((n, p, k)).astype(dtype)
    out = small_products.sum_of_products_nt(a, b)
    assert out.shape == (m, p) and out.dtype == dtype
    np.testing.assert_allclose(out, _numpy(a, b), rtol=rtol, atol=rtol * np.sqrt(n * k))


def test_strided_rows_and_images_are_read_where_they_lie():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((5, 2, 6, 50)).astype(np.float32)[:, 1, :, 3:44]  # rows 50 apart
    b = rng.standard_normal((10, 4, 41)).astype(np.float32)[::2]  # images 2 apart
    np.testing.assert_allclose(small_products.sum_of_products_nt(a, b), _numpy(a, b),
                               rtol=2e-5, atol=1e-4)


@pytest.mark.parametrize("case", ["disabled", "too large", "float16", "empty", "column step"])
def test_everything_else_is_numpys_result_exactly(case, monkeypatch):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4, 20)).astype(np.float32)
    b = rng.standard_normal((3, 5, 20)).astype(np.float32)
    if case == "disabled":
        monkeypatch.setattr(small_products, "enabled", False)
    elif case == "too large":
        monkeypatch.setattr(small_products, "MAX_MULTIPLY_ADDS", 4 * 5 * 20 - 1)
    elif case == "float16":
        a, b = a.astype(np.float16), b.astype(np.float16)
    elif case == "empty":
        a, b = a[:0], b[:0]
    else:
        a = rng.standard_normal((3, 4, 40)).astype(np.float32)[:, :, ::2]
    if case in ("disabled", "too large"):  # the kernel is not even looked up
        monkeypatch.setattr(small_products, "_kernel", lambda dtype: pytest.fail(case))
    out = small_products.sum_of_products_nt(a, b)
    # bit for bit: the kernel sums in another order, so its result would differ somewhere
    np.testing.assert_array_equal(out, _numpy(a, b))
    assert out.dtype == a.dtype and out.shape == (4, 5)


def test_the_kernels_sums_differ_from_numpys_in_rounding_only():
    """What makes the exact comparisons above meaningful: on this data the kernel's result
    is not NumPy's bit for bit (where the kernel exists), yet agrees to rounding."""
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4, 20)).astype(np.float32)
    b = rng.standard_normal((3, 5, 20)).astype(np.float32)
    out = small_products.sum_of_products_nt(a, b)
    if small_products._kernel(np.dtype(np.float32)) is not None:
        assert not np.array_equal(out, _numpy(a, b))
    np.testing.assert_allclose(out, _numpy(a, b), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups", [1, 2])
def test_per_image_conv_weight_gradient_with_and_without_the_kernel(dtype, groups,
                                                                    monkeypatch):
    """A first-layer conv (per-image columns) against PyTorch, then against itself on NumPy
    alone."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 2 * groups, 12, 11)).astype(dtype)
    w = rng.standard_normal((4 * groups, 2, 3, 3)).astype(dtype)
    b = rng.standard_normal(4 * groups).astype(dtype)
    v = rng.standard_normal((6, 4 * groups, 10, 9)).astype(dtype)
    assert 2 * 9 < conv_ops.PER_IMAGE_MAX_ROWS  # the per-image layout

    def grads():
        gw, gb = gn.tensor(w, requires_grad=True), gn.tensor(b, requires_grad=True)
        F.conv2d(gn.tensor(x), gw, gb, groups=groups).backward(gn.tensor(v))
        return gw.grad.data, gb.grad.data

    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    torch.nn.functional.conv2d(torch.tensor(x), tw, tb, groups=groups).backward(
        torch.tensor(v))
    tol = 1e-4 if dtype == np.float32 else 1e-11
    with_kernel = grads()
    for mine, theirs in zip(with_kernel, (tw.grad.numpy(), tb.grad.numpy()), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=tol, atol=tol)
    monkeypatch.setattr(small_products, "enabled", False)
    for mine, numpy_only in zip(with_kernel, grads(), strict=True):
        np.testing.assert_allclose(mine, numpy_only, rtol=tol, atol=tol)
