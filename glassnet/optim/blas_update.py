"""The optimizers' in-place updates, split over OpenBLAS's threads for long parameters:
``add_scaled_(y, alpha, x)`` is y += alpha * x (BLAS axpy), ``scale_(x, alpha)`` is
x *= alpha (BLAS scal), both through NumPy's own OpenBLAS.

Why not NumPy: a matrix product splits its work over OpenBLAS's threads, one per core, so
after the forward and backward passes half of each weight and of each weight's gradient sits
in the other core's cache. A NumPy ufunc runs on one core and pulls that half across first.
SGD with momentum on the MNIST MLP's 101,770 parameters took 72-88 us per step after the
products (43 us on arrays no product had touched); through axpy, which splits a vector of
more than 10,000 elements over the same threads, it takes 55 us. Through the same axpy on
one thread it took 83 us: the gain is the split, not the kernel.

Rounding: axpy rounds y + alpha * x once (a fused multiply-add), as PyTorch's CPU
``add_(x, alpha=a)`` does; NumPy's ``y += alpha * x`` rounds the product first. Parameters
shorter than ``MIN_BLAS_SIZE``, other dtypes, strided arrays, or a NumPy without OpenBLAS
take the NumPy path, which rounds twice.
"""

from __future__ import annotations

import ctypes

import numpy as np

from glassnet.openblas_kernels import cblas_routine
from glassnet.optim.optimizer import _as_number

__all__ = ["MIN_BLAS_SIZE", "add_scaled_", "scale_"]

# Below this, OpenBLAS's axpy runs on one thread anyway (it splits above 10,000 elements)
# and a NumPy call costs no more than a ctypes one.
MIN_BLAS_SIZE = 1 << 14

enabled = True  # False sends every update through NumPy (the tests compare the two)

_PREFIXES = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}
_routines: dict[tuple[str, np.dtype], tuple | None] = {}


def add_scaled_(y: np.ndarray, alpha, x: np.ndarray) -> None:
    """y += alpha * x in place (``alpha`` a number, or a 0-d or size-1 array or Tensor)."""
    if y.size >= MIN_BLAS_SIZE:
        axpy, number = _routine("axpy", y, x, alpha)
        if axpy is not None:
            axpy(y.size, number, x.ctypes.data, 1, y.ctypes.data, 1)
            return
    if type(alpha) is not float and type(alpha) is not int:
        alpha = _numpy_value(alpha)
    y += x if alpha == 1 else alpha * x


def scale_(x: np.ndarray, alpha) -> None:
    """x *= alpha in place."""
    if x.size >= MIN_BLAS_SIZE:
        scal, number = _routine("scal", x, x, alpha)
        if scal is not None:
            scal(x.size, number, x.ctypes.data, 1)
            return
    x *= alpha if type(alpha) is float or type(alpha) is int else _numpy_value(alpha)


def _numpy_value(alpha):
    """alpha as NumPy computes with it in place: a Tensor (glassnet's or another library's)
    becomes its array. Left as a Tensor, ``y += alpha * x`` would rebind ``y`` to a new
    Tensor (the Tensor's reflected operator wins) and leave the array unchanged."""
    if isinstance(alpha, (int, float, np.ndarray, np.generic)):
        return alpha
    return np.asarray(alpha) if hasattr(alpha, "__array__") else alpha


def _routine(name: str, y: np.ndarray, x: np.ndarray, alpha):
    """(OpenBLAS's ``name`` for these arrays, alpha as a Python float), or (None, None) where
    NumPy should do it."""
    if (not enabled or y.size < MIN_BLAS_SIZE or y.dtype not in _PREFIXES
            or x.dtype != y.dtype or x.shape != y.shape
            or not (y.flags.c_contiguous and x.flags.c_contiguous and y.flags.writeable)):
        return None, None
    try:
        number = float(_as_number(alpha))
    except (TypeError, ValueError):  # not one number: NumPy broadcasts it, or says why not
        return None, None
    # alpha == 0: OpenBLAS returns early, so a NaN or inf in x would not reach y as it does
    # in NumPy and PyTorch (0 * nan = nan). Overlapping x and y: axpy reads what it wrote.
    if number == 0 or (name == "axpy" and np.may_share_memory(x, y)):
        return None, None
    key = (name, y.dtype)
    if key not in _routines:
        _routines[key] = _load(name, y.dtype)
    routine, max_size = _routines[key] or (None, 0)
    return (routine, number) if y.size <= max_size else (None, None)


def _load(name: str, dtype: np.dtype):
    """(the CBLAS routine with argument types set, checked on a small case, the longest array
    it takes), or None where NumPy's BLAS has no such routine."""
    letter = _PREFIXES[dtype]
    real = ctypes.c_float if letter == "s" else ctypes.c_double
    function, size = cblas_routine(letter + name)
    if function is None:
        return None
    pointer = ctypes.c_void_p
    function.argtypes = ([size, real, pointer, size, pointer, size] if name == "axpy"
                         else [size, real, pointer, size])
    function.restype = None
    if not _works(name, function, dtype):
        return None
    # A C int size would wrap past 2**31 - 1 elements: longer arrays go to NumPy.
    return function, (2**63 - 1 if size is ctypes.c_int64 else 2**31 - 1)


def _works(name: str, function, dtype: np.dtype) -> bool:
    """Whether ``function`` computes what it should on a case exact in any rounding."""
    y, x = np.arange(1, 6, dtype=dtype), np.arange(5, dtype=dtype)
    if name == "axpy":
        function(5, 2.0, x.ctypes.data, 1, y.ctypes.data, 1)
        return y.tolist() == [1.0, 4.0, 7.0, 10.0, 13.0]
    function(5, 0.5, y.ctypes.data, 1)
    return y.tolist() == [0.5, 1.0, 1.5, 2.0, 2.5]
