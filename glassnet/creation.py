"""Ways to make a tensor: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``rand``,
``randn``, their ``*_like`` forms, and ``from_numpy``. Names and dtype rules are PyTorch's:
Python floats give float32 (the default dtype), Python ints give int64."""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend, random
from glassnet.ops._util import INT64, checked_number
from glassnet.tensor import Tensor, _as_array


def _size(op: str, size: tuple) -> tuple:
    """The sizes of ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return _check_size(op, size)


def _size_arg(op: str, size) -> tuple:
    """A ``size`` argument that must be one sequence (``full``, ``randint``), as in PyTorch."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{op}: argument 'size' must be a tuple of ints, got "
                        f"{type(size).__name__} {size!r}")
    return _check_size(op, tuple(size))


def _check_size(op: str, size: tuple) -> tuple:
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"{op}: sizes must be non-negative ints, got size {size!r}")
    return tuple(int(s) for s in size)


def _dtype_or_default(dtype) -> np.dtype:
    return backend.get_default_dtype() if dtype is None else np.dtype(dtype)


def _number(op: str, arg: str, value):
    """``value`` as a Python bool, int or float. PyTorch's Number arguments also take a NumPy
    scalar or a 0-d tensor, as the Python number it holds (np.float64 infers float32 like a
    Python float); anything else is refused."""
    if isinstance(value, Tensor) and value.ndim == 0:
        value = value.data.item()
    elif isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (bool, int, float)):
        what = (f"a Tensor of shape {value.shape}" if isinstance(value, Tensor)
                else f"{type(value).__name__} {value!r}"[:80])
        raise TypeError(f"{op}: argument '{arg}' must be a real Number, got {what}")
    return value


def _dtype_of_number(value) -> np.dtype:
    """PyTorch's inference for one Python number: bool, int64, or the default float."""
    if isinstance(value, bool):
        return np.dtype(np.bool_)
    return np.dtype(np.int64) if isinstance(value, int) else backend.get_default_dtype()


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
    return _full("full", size, fill_value, dtype, requires_grad)


def _full(op: str, size, fill_value, dtype, requires_grad: bool) -> Tensor:
    fill_value = _number(op, "fill_value", fill_value)
    dtype = _dtype_of_number(fill_value) if dtype is None else np.dtype(dtype)
    fill_value = checked_number(op, fill_value, dtype)  # NaN, inf, 300 into int8: refused
    return Tensor(np.full(_size_arg(op, size), fill_value, dtype), requires_grad)


def arange(start=None, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` (default 0) up to, not including, ``end`` in steps of ``step``:
    ``ceil((end - start) / step)`` of them, ``start + i * step``, as in PyTorch."""
    if end is None:
        if start is None:
            raise TypeError("arange: missing argument 'end'")
        start, end = 0, start
    start, end, step = (_number("arange", name, value) for name, value
                        in (("start", 0 if start is None else start), ("end", end),
                            ("step", step)))
    _check_range(start, end, step)
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.get_default_dtype() if is_float else np.int64
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        data = _float_range(start, end, step, dtype)
    elif dtype.kind in "iu":
        data = _int_range(start, end, step, dtype)
    else:
        raise TypeError(f"arange: dtype {dtype} is not supported (as in PyTorch); "
                        "pass an integer or floating dtype")
    return Tensor(data, requires_grad)


def _check_range(start, end, step) -> None:
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise ValueError(f"arange: start, end and step must be finite, got start={start}, "
                         f"end={end}, step={step}")
    if step == 0:
        raise ValueError("arange: argument 'step' must be non-zero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise ValueError(f"arange: upper bound and lower bound inconsistent with step sign "
                         f"(start={start}, end={end}, step={step})")


def _length(op: str, length: float) -> int:
    if length > np.iinfo(np.intp).max:
        raise ValueError(f"{op}: the range would have {length:.3g} elements, too many to hold")
    return max(int(length), 0)


def _float_range(start, end, step, dtype: np.dtype) -> np.ndarray:
    # In float64 and then cast, so a float32 range does not accumulate rounding error.
    n = _length("arange", math.ceil((end - start) / step))
    return (float(start) + np.arange(n, dtype=np.float64) * float(step)).astype(dtype)


def _int_range(start, end, step, dtype: np.dtype) -> np.ndarray:
    """PyTorch's rule: the values are trunc(start) + i * trunc(step); for int64 the length is
    taken from the truncated bounds too, for narrower dtypes from the bounds as given
    (so arange(-0.5, 2.5, 1) is [0, 1] in int64 but [0, 1, 2] in int32)."""
    first, stop, stride = int(start), int(end), int(step)  # toward zero
    if stride == 0:  # torch casts the step first, and refuses 0
        raise ValueError(f"arange: argument 'step' ({step!r}) is 0 in dtype {dtype}; "
                         "pass a floating dtype or an integer step")
    for name, value in (("start", first), ("end", stop), ("step", stride)):
        if not INT64.min <= value <= INT64.max:
            raise OverflowError(f"arange: {name}={value} cannot be converted to int64 "
                                "without overflow")
    if dtype == np.int64:
        n = _length("arange", -((first - stop) // stride))  # ceil((stop - first) / stride)
    else:
        n = _length("arange", math.ceil((end - start) / step))
    # Computed in int64; a narrower dtype wraps as in PyTorch (uint8 holds -1 as 255).
    return (first + np.arange(n, dtype=np.int64) * stride).astype(dtype)


def rand(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1), drawn from the seeded library generator."""
    gen = random.default_generator()
    dtype = _float_dtype(dtype, "rand")
    # Drawn in the target precision: float64 draws cast to float32 could round up to 1.0.
    draw_dtype = np.float32 if dtype == np.float32 else np.float64
    data = gen.random(_size("rand", size), dtype=draw_dtype).astype(dtype, copy=False)
    if dtype != draw_dtype:  # float16 rounds draws above 1 - 2**-12 up to 1.0: keep [0, 1)
        np.minimum(data, np.nextafter(dtype.type(1), dtype.type(0)), out=data)
    return Tensor(data, requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples, drawn from the seeded library generator."""
    gen = random.default_generator()
    data = gen.standard_normal(_size("randn", size)).astype(_float_dtype(dtype, "randn"))
    return Tensor(data, requires_grad)


def randint(low=None, high=None, size=None, dtype=None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high), PyTorch's forms: ``randint(high, size)``,
    ``randint(low, high, size)``, or keywords (a lone bound is ``high``; ``low`` defaults
    to 0). A float ``dtype`` gives the integers as floats."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = None, low, high  # randint(high, size)
    if size is None:
        raise TypeError("randint: missing argument 'size' (a tuple of ints); call "
                        "randint(high, size) or randint(low, high, size)")
    if high is None:
        low, high = None, low  # randint(5, size=(2,))
    low = 0 if low is None else _bound("low", low)
    high = _bound("high", high)
    if low >= high:
        raise ValueError(f"randint: 'low' must be less than 'high' (PyTorch: random_ expects "
                         f"'from' to be less than 'to'), got low={low} >= high={high}")
    dtype = np.dtype(np.int64) if dtype is None else np.dtype(dtype)
    _check_bounds_fit(low, high, dtype)
    if requires_grad and dtype.kind != "f":
        raise TypeError(f"randint: only floating point tensors can require gradients, got "
                        f"dtype {dtype}")
    shape = _size_arg("randint", size)
    data = random.default_generator().integers(low, high, shape, dtype=np.int64)
    return Tensor(data.astype(dtype), requires_grad)


def _bound(arg: str, value) -> int:
    """A bound of randint: an int (a NumPy int or 0-d tensor holding one), within int64."""
    number = _number("randint", arg, value)
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"randint: argument '{arg}' must be an int, got "
                        f"{type(value).__name__} {value!r}"[:200])
    if not INT64.min <= number <= INT64.max:
        raise OverflowError(f"randint: argument '{arg}' ({number}) does not fit in int64")
    return number


def _check_bounds_fit(low: int, high: int, dtype: np.dtype) -> None:
    """PyTorch refuses bounds the dtype cannot hold; a float dtype holds the integers its
    mantissa can (up to 2**11 in float16, 2**24 in float32, 2**53 in float64)."""
    if dtype.kind == "f":
        largest = 2 ** (np.finfo(dtype).nmant + 1)
        lowest = -largest
    elif dtype.kind in "iub":
        lowest, largest = (0, 1) if dtype.kind == "b" else (np.iinfo(dtype).min,
                                                            np.iinfo(dtype).max)
    else:
        raise TypeError(f"randint: dtype {dtype} is not supported; pass an integer, bool or "
                        "floating dtype")
    if low < lowest or high - 1 > largest:
        raise ValueError(f"randint: [low, high) = [{low}, {high}) is out of bounds for dtype "
                         f"{dtype} (which holds integers from {lowest} to {largest})")


def _like(fn, input: Tensor, dtype, requires_grad, *extra):
    return fn(input.shape, *extra, dtype=dtype or input.dtype, requires_grad=requires_grad)


def zeros_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _like(zeros, input, dtype, requires_grad)


def ones_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _like(ones, input, dtype, requires_grad)


def full_like(input: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return _full("full_like", input.shape, fill_value, dtype or input.dtype, requires_grad)


def rand_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _like(rand, input, dtype, requires_grad)


def randn_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _like(randn, input, dtype, requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uninitialised memory is a trap for learners: ``empty`` gives zeros."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)
