"""Ways to make a tensor: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``rand``,
``randn``, their ``*_like`` forms, and ``from_numpy``. Names and dtype rules are PyTorch's:
Python floats give float32 (the default dtype), Python ints give int64."""

from __future__ import annotations

import numpy as np

from glassnet import backend, random
from glassnet.tensor import Tensor, _as_array


def _size(op: str, size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"{op}: sizes must be non-negative ints, got size {size!r}")
    return tuple(int(s) for s in size)


def _dtype_or_default(dtype) -> np.dtype:
    return backend.get_default_dtype() if dtype is None else np.dtype(dtype)


def _float_dtype(dtype, op: str) -> np.dtype:
    """The dtype of a random draw: the default float, or a floating ``dtype`` (PyTorch
    refuses integer ones here too; a cast would give zeros from rand)."""
    dtype = _dtype_or_default(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{op}: samples need a floating dtype, got {dtype} (for random "
                        "integers use randint)")
    return dtype


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, an array, a Tensor)."""
    array = _as_array(data, dtype)
    if isinstance(data, (np.ndarray, Tensor)) and dtype is None:
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_size("zeros", size), _dtype_or_default(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_size("ones", size), _dtype_or_default(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from it as PyTorch does)."""
    if dtype is None:
        dtype = _as_array(fill_value).dtype
    return Tensor(np.full(_size("full", tuple(size)), fill_value, np.dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` in steps of ``step``."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: argument 'step' must be non-zero")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.get_default_dtype() if is_float else np.int64
    # Computed in float64 and then cast, so a float32 range does not accumulate rounding
    # error (np.arange in float32 drifts: -0.39999998 where PyTorch gives -0.4).
    dtype = np.dtype(dtype)
    if dtype.kind != "f" and int(step) == 0:  # torch casts the step first, and refuses 0
        raise ValueError(f"arange: argument 'step' ({step!r}) is 0 in dtype {dtype}; "
                         "pass a floating dtype or an integer step")
    work = np.float64 if dtype.kind == "f" else dtype
    return Tensor(np.arange(start, end, step, dtype=work).astype(dtype), requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1), drawn from the seeded library generator."""
    gen = random.default_generator()
    dtype = _float_dtype(dtype, "rand")
    # Drawn in the target precision: float64 draws cast to float32 could round up to 1.0.
    draw_dtype = np.float32 if dtype == np.float32 else np.float64
    data = gen.random(_size("rand", size), dtype=draw_dtype).astype(dtype, copy=False)
    return Tensor(data, requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples, drawn from the seeded library generator."""
    gen = random.default_generator()
    data = gen.standard_normal(_size("randn", size)).astype(_float_dtype(dtype, "randn"))
    return Tensor(data, requires_grad)


def randint(low, high=None, size=(), dtype=None) -> Tensor:
    """Integers uniform in [low, high)."""
    if high is None:
        low, high = 0, low
    gen = random.default_generator()
    return Tensor(gen.integers(low, high, _size("randint", tuple(size)),
                               dtype=np.dtype(dtype or np.int64)))


def _like(fn, input: Tensor, dtype, requires_grad, *extra):
    return fn(input.shape, *extra, dtype=dtype or input.dtype, requires_grad=requires_grad)


def zeros_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _like(zeros, input, dtype, requires_grad)


def ones_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _like(ones, input, dtype, requires_grad)


def full_like(input: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return full(input.shape, fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def rand_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _like(rand, input, dtype, requires_grad)


def randn_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _like(randn, input, dtype, requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uninitialised memory is a trap for learners: ``empty`` gives zeros."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)
