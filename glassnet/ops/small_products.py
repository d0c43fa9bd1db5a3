"""A sum of many small matrix products, ``sum over n of a[n] @ b[n].T``, through OpenBLAS's
AVX-512 small-matrix kernel where NumPy's OpenBLAS has one and the CPU can run it.

Where it is used: the weight gradient of a convolution whose im2col columns are kept per
image (a first layer, on 1 or 3 channels; see conv.py) is one small product per image,
summed over the batch::

    dW (Og, rows) = sum over n of  grad[n] (Og, P)  @  cols[n] (rows, P).T

Why not ``np.matmul(a, b.transpose(0, 2, 1)).sum(axis=0)``: NumPy calls BLAS once per image,
and OpenBLAS sends a product this small (the MNIST CNN's first layer: (32, 676) @ (676, 10))
through its general driver, which first copies both operands into packed buffers. OpenBLAS
has kernels for products of at most 100^3 multiply-adds that read the operands where they
lie ("small-matrix kernels"), but only in its SkylakeX (AVX-512) kernel set, which it uses
only when that is the set it picked for the process; on Zen 4 glassnet picks the Zen set
(openblas_kernels.py), faster for everything else. The SkylakeX set's kernels are in the
same library all the same (a build for many CPUs exports each set's kernels by name), so
they are called directly here, one call per image, each adding its product into the sum
(beta = 1): no per-image results to allocate and add up afterwards. Measured on this
project's 2-core Zen 4, the MNIST CNN's first-layer weight gradient over 64 images: 0.60 ms
through NumPy, 0.40 ms here.

When: float32 or float64 arrays whose last axis is contiguous, products of at most 100^3
multiply-adds, a CPU with the AVX-512 extensions the SkylakeX kernels use (F, CD, BW, DQ
and VL), and a kernel that gives NumPy's result on a test case the first time it is
needed. Anything else goes to NumPy. The kernel sums each dot product in a different order
from NumPy's path, so results agree to rounding, not bit for bit.

The kernel (OpenBLAS's ``gemm_small_kernel_tn``, column-major): C = alpha * A^T B + beta C
for A (K x M) with leading dimension lda, B (K x N) with ldb, C (M x N) with ldc, sizes as
64-bit integers::

    int kernel(M, N, K, A, lda, alpha, B, ldb, beta, C, ldc)
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np

from glassnet.openblas_kernels import _read_cpuinfo, loaded_openblas

__all__ = ["sum_of_products_nt"]

enabled = True  # False sends everything through NumPy (the tests compare the two)

# OpenBLAS's own limit for its small-matrix kernels (no blocking: larger products slow down)
MAX_MULTIPLY_ADDS = 100 ** 3

# What the SkylakeX kernels may use (they are built for -march=skylake-avx512)
_AVX512 = ("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl")
_SYMBOLS = {np.dtype(np.float32): "sgemm_small_kernel_tn_SKYLAKEX",
            np.dtype(np.float64): "dgemm_small_kernel_tn_SKYLAKEX"}


def sum_of_products_nt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum over n of a[n] @ b[n].T, for a (N, M, K) and b (N, P, K): an (M, P) array.

    The small-matrix kernel where it applies (see the module docstring), else NumPy.
    """
    n, m, k = a.shape
    p = b.shape[1]
    if b.ndim != 3 or b.shape[0] != n or b.shape[2] != k:
        raise ValueError(f"sum_of_products_nt: a (N, M, K) and b (N, P, K) must agree in N "
                         f"and K, got shapes {a.shape} and {b.shape}")
    small = enabled and a.dtype == b.dtype and m * p * k <= MAX_MULTIPLY_ADDS
    kernel = _kernel(a.dtype) if small else None
    if kernel is None or n == 0 or not (_rows_ok(a) and _rows_ok(b)):
        return np.matmul(a, b.transpose(0, 2, 1)).sum(axis=0)
    out = np.zeros((m, p), dtype=a.dtype)
    # Row-major out (M, P) is column-major (P x M): out^T = sum b[n] a[n]^T, and b[n] (P, K)
    # row-major is column-major (K x P): the kernel's A^T B with A = b[n], B = a[n].
    a_step, a_lead = a.strides[0], a.strides[1] // a.itemsize
    b_step, b_lead = b.strides[0], b.strides[1] // b.itemsize
    a_ptr, b_ptr, out_ptr = a.ctypes.data, b.ctypes.data, out.ctypes.data
    for i in range(n):
        kernel(p, m, k, b_ptr + i * b_step, b_lead, 1.0, a_ptr + i * a_step, a_lead, 1.0,
               out_ptr, p)
    return out


def _rows_ok(x: np.ndarray) -> bool:
    """Each x[n] a matrix BLAS can read: contiguous rows, a whole number of elements apart,
    in increasing order (any step between the x[n])."""
    itemsize = x.itemsize
    _, rows, cols = x.shape
    _, row_step, step = x.strides
    return (step == itemsize or cols <= 1) and row_step % itemsize == 0 \
        and (rows <= 1 or row_step >= cols * itemsize)


@functools.cache
def _kernel(dtype: np.dtype):
    """The small-matrix kernel for ``dtype``, checked on a test case, or None."""
    symbol = _SYMBOLS.get(np.dtype(dtype))
    if symbol is None or not _cpu_has_avx512():
        return None
    library = loaded_openblas()
    function = getattr(library, symbol, None) if library is not None else None
    if function is None:
        return None
    size, pointer = ctypes.c_int64, ctypes.c_void_p
    real = ctypes.c_float if np.dtype(dtype) == np.float32 else ctypes.c_double
    function.argtypes = [size, size, size, pointer, size, real, pointer, size, real, pointer,
                         size]
    function.restype = ctypes.c_int
    return function if _works(function, np.dtype(dtype)) else None


def _works(function, dtype: np.dtype) -> bool:
    """Whether ``function`` sums a few products as NumPy does (to rounding), on odd sizes
    with strided rows, and leaves the rest of its output alone."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 5, 41)).astype(dtype)[:, :, :37]  # rows 41 apart
    b = rng.standard_normal((3, 3, 37)).astype(dtype)
    out = np.full((5, 4), 7.0, dtype=dtype)  # (5, 3) of it is C, with ldc 4
    for i in range(3):
        function(3, 5, 37, b[i].ctypes.data, 37, 1.0, a[i].ctypes.data, 41, 1.0,
                 out.ctypes.data, 4)
    expected = np.matmul(a, b.transpose(0, 2, 1)).sum(axis=0) + 7.0
    return bool(np.allclose(out[:, :3], expected, rtol=1e-4, atol=1e-4)
                and np.all(out[:, 3] == 7.0))


def _cpu_has_avx512() -> bool:
    """Whether the CPU (Linux's /proc/cpuinfo) has every AVX-512 extension in ``_AVX512``."""
    cpuinfo = _read_cpuinfo()
    if cpuinfo is None:
        return False
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return all(flag in flags for flag in _AVX512)
    return False
