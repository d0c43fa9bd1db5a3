"""Helpers shared by every op family: undoing broadcasting, checking arguments, and the
error messages that name the op, the argument, the shapes and the value received."""

from __future__ import annotations

import math
import numbers

import numpy as np

from glassnet import backend
from glassnet.autograd import grad_mode, versions
from glassnet.tensor import Tensor

REDUCTIONS = ("none", "mean", "sum")


class NonFiniteError(ValueError):
    """A NaN in an op's argument that would silently spread through a reduction."""


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the dimensions that broadcasting expanded, back to ``shape``.

    Broadcasting copies an input along new leading dimensions and along its size-1
    dimensions; the chain rule adds up the gradient over every copy.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def broadcast_error(op: str, *shapes: tuple) -> ValueError:
    """A ValueError naming the first dimension (counted from the right) that cannot broadcast."""
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    for axis in range(ndim - 1, -1, -1):
        sizes = {p[axis] for p in padded} - {1}
        if len(sizes) > 1:
            listed = " and ".join(str(p[axis]) for p in padded)
            return ValueError(
                f"{op}: shapes {' and '.join(str(tuple(s)) for s in shapes)} cannot be "
                f"broadcast: dimension {axis - ndim} has sizes {listed} (sizes must match "
                "or be 1)"
            )
    return ValueError(f"{op}: shapes {shapes} cannot be broadcast")


def broadcasting(op: str, ufunc, a, b) -> np.ndarray:
    """ufunc(a, b), with NumPy's broadcast failure reported in the op's own words."""
    try:
        return ufunc(a, b)
    except ValueError:
        raise broadcast_error(op, np.shape(a), np.shape(b)) from None


def check_broadcast(op: str, *shapes: tuple) -> tuple:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise broadcast_error(op, *shapes) from None


_ZEROS: dict = {}  # dtype -> a read-only zero array, grown as needed (see shared_zeros)


def shared_zeros(x: np.ndarray) -> np.ndarray:
    """A read-only array of zeros shaped like ``x``: a view of one shared buffer per dtype.

    Why: NumPy's ``maximum(x, 0)`` with a scalar takes a slow non-SIMD loop (0.51 ms for
    1.4M float32) while two arrays take the vectorised one (0.21 ms). The buffer is never
    written, so its pages are the kernel's shared zero page and cost no memory.
    """
    zeros = _ZEROS.get(x.dtype)
    if zeros is None or zeros.size < x.size:
        zeros = np.zeros(max(x.size, 1 << 16), dtype=x.dtype)
        zeros.flags.writeable = False
        _ZEROS[x.dtype] = zeros
    return zeros[:x.size].reshape(x.shape)


def signs(x) -> np.ndarray:
    """PyTorch's sign, as an array: NumPy's, but 0 where x is NaN (PyTorch computes
    (x > 0) - (x < 0); NumPy gives NaN). Also the slope of |x| and of L1 losses there."""
    out = np.asarray(np.sign(x))  # (an array also for a 0-d x, whose sign is a scalar)
    if out.dtype.kind == "f":
        out[np.isnan(out)] = 0  # a fresh array; NaN only where x is NaN
    return out


_ONES: dict = {}  # dtype -> a read-only vector of ones, grown as needed (see shared_ones)


def shared_ones(n: int, dtype) -> np.ndarray:
    """A read-only vector of ``n`` ones: a view of one shared buffer per dtype, for sums
    taken as matrix-vector products (``column_sums``, ``row_sums``)."""
    dtype = np.dtype(dtype)
    ones = _ONES.get(dtype)
    if ones is None or ones.size < n:
        ones = np.ones(max(n, 1 << 10), dtype=dtype)
        ones.flags.writeable = False
        _ONES[dtype] = ones
    return ones[:n]


_ROW_STARTS: dict = {}  # (rows, columns) -> read-only arange(0, rows * columns, columns)


def row_starts(rows: int, columns: int) -> np.ndarray:
    """The flat index of each row's first element in a C-ordered (rows, columns) matrix,
    read-only and shared: element (m, j) is element ``row_starts[m] + j`` of the flat view,
    so adding a column index per row gives a flat gather index (``take``), ~2x faster than
    the 2-D fancy index ``a[arange(rows), j]``. Kept for the last few shapes seen."""
    key = (rows, columns)
    starts = _ROW_STARTS.get(key)
    if starts is None:
        if len(_ROW_STARTS) >= 8:
            _ROW_STARTS.clear()
        starts = np.arange(0, rows * columns, columns)
        starts.flags.writeable = False
        _ROW_STARTS[key] = starts
    return starts


def column_sums(m: np.ndarray) -> np.ndarray:
    """m (N, C) summed over its N rows, as ``ones (N) @ m``: BLAS's gemv, which takes half
    the time of ``m.sum(axis=0)`` on a (64, 128) batch and 3-7x less on long ones."""
    return shared_ones(m.shape[0], m.dtype) @ m


def row_sums(m: np.ndarray) -> np.ndarray:
    """m (N, C) summed along each row, as ``m @ ones (C)``: gemv again, 2x faster than
    ``m.sum(axis=1)`` on (64, 10) logits and several times on short rows generally."""
    return m @ shared_ones(m.shape[1], m.dtype)


class CheckedArguments:
    """A small memo of argument checks whose outcome depends only on plain values (shapes,
    ints, strings): a layer called with the same arguments every step checks them once.

    ``key(*values)`` is a hashable key, or None when a value is not plain (a list, a NumPy
    int, a bool where an int belongs...): such calls are checked every time, so that
    ``True`` never passes for a cached ``1``. Only successful checks are stored, so every bad
    call still raises its own error. The memo forgets everything past ``limit`` entries.
    """

    _PLAIN = (int, bool, str, type(None))  # by exact type: True is kept apart from 1

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self.results: dict = {}

    def key(self, *values):
        for v in values:
            if type(v) is tuple:
                if not all(type(item) is int for item in v):
                    return None
            elif type(v) not in self._PLAIN and not isinstance(v, np.dtype):
                return None
        return tuple((type(v), v) for v in values)

    def store(self, key, result):
        if key is not None:
            if len(self.results) >= self.limit:
                self.results.clear()
            self.results[key] = result
        return result


def as_tensor(value, op: str = "", arg: str = "input") -> Tensor:
    """Accept a Tensor as is; wrap a NumPy array or Python number (no gradient)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, numbers.Number, list, tuple, np.generic)):
        return Tensor(value)
    raise TypeError(f"{op}: argument '{arg}' must be a Tensor, got {type(value).__name__}")


def binary_operands(op: str, a, b):
    """Make the operands of a binary arithmetic op follow PyTorch's type promotion.

    A Python number takes the tensor's dtype (``float32_tensor * 2.5`` stays float32); a
    float number or float tensor with an integer tensor gives the default float dtype rather
    than NumPy's float64. Returns the two operands as Tensors or scalars of the right dtype.
    """
    a_is_t, b_is_t = isinstance(a, Tensor), isinstance(b, Tensor)
    if a_is_t and b_is_t:
        da, db = a.data.dtype, b.data.dtype
        if da == db:
            return a, b
        # PyTorch's categories bool < integer < float: the higher category decides, whichever
        # operand is 0-d (bool [..] + int64 0-d is int64, not bool)
        ka, kb = backend.category(da), backend.category(db)
        if ka > kb:
            return a, b.data.astype(da)
        if kb > ka:
            return a.data.astype(db), b
        # Same category, different width: PyTorch lets a tensor with dimensions decide over
        # a 0-d one (float32 [..] * float64 0-d stays float32); otherwise the wider wins.
        if a.data.ndim and not b.data.ndim:
            return a, _cast_keep_graph(b, da)
        if b.data.ndim and not a.data.ndim:
            return _cast_keep_graph(a, db), b
        return a, b
    if not a_is_t and not b_is_t:
        raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    tensor, other = (a, b) if a_is_t else (b, a)
    if isinstance(other, np.ndarray):
        other = Tensor(other)
        return binary_operands(op, *((tensor, other) if a_is_t else (other, tensor)))
    if not isinstance(other, (numbers.Number, np.generic)) or isinstance(other, complex):
        raise TypeError(
            f"{op}: unsupported operand of type {type(other).__name__} with a Tensor"
        )
    dtype = tensor.data.dtype
    if dtype.kind != "f" and isinstance(other, (float, np.floating)):
        # int tensor with a float number: PyTorch computes in the default float dtype
        tensor = Tensor._make(tensor.data.astype(backend.get_default_dtype()),
                              False, None)
        dtype = tensor.data.dtype
    elif dtype.kind == "b" and not isinstance(other, (bool, np.bool_)):
        dtype = np.dtype(np.int64)
    try:
        scalar = np.asarray(other, dtype=dtype)
    except OverflowError:  # a Python int out of the range of a narrow integer dtype
        scalar = wrapped_int(op, other, dtype)
    return (tensor, scalar) if a_is_t else (scalar, tensor)


_UINT64_MASK = (1 << 64) - 1


def wrapped_int(op: str, value: int, dtype) -> np.ndarray:
    """A Python int as a 0-d array of an integer ``dtype``, its bits cut to the dtype's width
    as PyTorch does with a scalar operand (uint8 + 300 adds 300 - 256 = 44; NumPy refuses).
    Only ints that fit in 64 bits (signed or unsigned), as in PyTorch; others are refused."""
    if not -(1 << 63) <= value <= _UINT64_MASK:
        raise OverflowError(f"{op}: the integer {value} does not fit in 64 bits, so it cannot "
                            f"be used with a tensor of dtype {np.dtype(dtype)}")
    # two's complement: the low 64 bits, then the low bits of those for narrower dtypes
    return np.asarray(value & _UINT64_MASK, dtype=np.uint64).astype(dtype)


INT64 = np.iinfo(np.int64)  # (the range of a Python int PyTorch takes)


def check_number_fits(op: str, value, dtype: np.dtype) -> None:
    """Refuse, as PyTorch does, a number written into an integer tensor (``x[i] = v``,
    ``fill_``) that its dtype cannot hold: NaN, inf, a float out of the dtype's range, an int
    out of it (NumPy would write INT64_MIN for NaN and wrap 300 to 44 in int8). As in
    PyTorch, an unsigned dtype takes -max..-1 as wrapped (uint8 stores -1 as 255). Into a
    float dtype, a finite number beyond its range is refused too (1e5 into float16, 1e40 into
    float32: NumPy would store inf); inf and NaN themselves are fine there."""
    if isinstance(value, (bool, np.bool_)):
        return
    if dtype.kind == "f":
        _check_float_fits(op, value, dtype)
        return
    if dtype.kind not in "iu":
        return
    info = np.iinfo(dtype)
    if isinstance(value, (int, np.integer)):
        value = int(value)
        lowest = -info.max if dtype.kind == "u" else info.min
        fits = INT64.min <= value <= INT64.max and lowest <= value <= info.max
    elif isinstance(value, (float, np.floating)):
        fits = info.min <= value <= info.max  # (False for NaN and inf)
    else:
        return
    if not fits:
        raise ValueError(f"{op}: value {value!r} cannot be converted to type {dtype} without "
                         "overflow (as in PyTorch)")


def checked_number(op: str, value, dtype: np.dtype):
    """``value`` to be written into a tensor of ``dtype``, checked by ``check_number_fits``;
    an int for an integer dtype comes back as a 0-d array of it, wrapped as PyTorch wraps
    (uint8 takes -1 as 255, where NumPy refuses it)."""
    check_number_fits(op, value, dtype)
    if dtype.kind in "iu" and isinstance(value, (int, np.integer)):
        return np.asarray(value).astype(dtype)
    return value


def _check_float_fits(op: str, value, dtype: np.dtype) -> None:
    """The float-dtype half of ``check_number_fits``."""
    if isinstance(value, (int, np.integer)):
        if not INT64.min <= int(value) <= INT64.max:  # (PyTorch: "int too big to convert")
            raise ValueError(f"{op}: the integer {value} does not fit in 64 bits, so it cannot "
                             f"be written into a tensor of dtype {dtype}")
        value = float(value)
    elif not isinstance(value, (float, np.floating)):
        return
    if math.isfinite(value) and abs(value) > float(np.finfo(dtype).max):
        raise ValueError(f"{op}: value {value!r} cannot be converted to type {dtype} without "
                         "overflow (as in PyTorch)")


def _cast_keep_graph(t: Tensor, dtype):
    """A 0-d operand cast to ``dtype``: through the graph when it needs a gradient."""
    if t.requires_grad:
        from glassnet.ops.elementwise import cast

        return cast(t, dtype)
    return t.data.astype(dtype)


def float_input(op: str, x: Tensor) -> Tensor:
    """Integer and bool tensors become the default float dtype (exp, log, sigmoid ...)."""
    if x.data.dtype.kind == "f":
        return x
    return Tensor._make(x.data.astype(backend.get_default_dtype()), False, None)


def normalize_dim(op: str, dim: int, ndim: int, arg: str = "dim") -> int:
    """Turn a possibly negative ``dim`` into an index in ``range(ndim)``, or raise."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: argument '{arg}' must be an int, got {type(dim).__name__} {dim!r}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(
            f"{op}: argument '{arg}' is {dim}, out of range for a tensor with {ndim} "
            f"dimension(s) (expected {-size} to {size - 1})"
        )
    return int(dim) % size


def dim_or_axis(op: str, dim, axis, default=None):
    """``dim``, or ``axis``, NumPy's name for it, which PyTorch's ops with a ``dim`` take too
    (``x.sum(axis=0)``); both at once are refused. Called only when ``axis`` is given."""
    if dim is not default and dim != default:
        raise TypeError(f"{op}: got both dim={dim!r} and its alias axis={axis!r}; pass one")
    return axis


def normalize_dims(op: str, dim, ndim: int) -> tuple | None:
    """``dim`` as a sorted tuple of non-negative axes; None means every dimension."""
    if dim is None:
        return None
    if not isinstance(dim, (int, np.integer, tuple, list)):
        raise TypeError(f"{op}: argument 'dim' must be an int or a tuple of ints, got "
                        f"{type(dim).__name__} {dim!r}")
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = tuple(sorted(normalize_dim(op, d, ndim) for d in dims))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: dimension listed more than once in dim={dim!r}")
    return axes


def check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"{op}: argument 'reduction' must be one of 'none', 'mean', 'sum'; "
            f"got {reduction!r}"
        )


def check_float(op: str, arg: str, x: Tensor) -> None:
    if x.data.dtype.kind != "f":
        raise TypeError(
            f"{op}: argument '{arg}' must be a floating point tensor, got dtype "
            f"{x.data.dtype} (shape {x.shape})"
        )


def check_same_shape(op: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"{op}: input shape {input.shape} and target shape {target.shape} must match"
        )


def in_place(op: str, cls, tensor: Tensor, *inputs, view_ok: bool = False,
             **params) -> Tensor:
    """Run the op ``cls`` with its forward writing into ``tensor.data`` (``x[i] = v``,
    ``dropout(x, inplace=True)``), as PyTorch's in-place ops do; returns ``tensor``.

    ``cls.forward`` takes ``inplace=True`` and returns the array it wrote. When grad mode is
    on and ``tensor`` or an input requires grad, the write is a node of the graph: ``tensor``
    gets a new history whose input is a stand-in for the one it had, and ops that used
    ``tensor`` before keep theirs (``versions.rebase``). Refused, as in PyTorch, on a leaf
    that requires grad and on a read-only view; also on a view of another tensor's memory
    when recorded, where PyTorch would rewrite the base tensor's history. With ``view_ok``
    (``x += y``, ``copy_``, ``fill_``: Python writes ``base[i] += y`` through a view) such a
    write is allowed, unless the view shows a leaf that requires grad, and noted
    (``versions.note_view_write``) until the base takes it back.
    """
    recorded = grad_mode.is_grad_enabled() and (tensor.requires_grad or any(
        isinstance(t, Tensor) and t.requires_grad for t in inputs))
    if not tensor.data.flags.writeable:
        raise RuntimeError(f"{op}: this tensor is a read-only view (e.g. from expand); clone() "
                           "it before changing it in place")
    if recorded and tensor.requires_grad and tensor.grad_fn is None:
        raise RuntimeError(f"{op}: a leaf tensor that requires grad is being changed in place; "
                           "wrap the update in no_grad(), or use the out-of-place form")
    view = recorded and _is_view(tensor)
    if view and view_ok and _shows_a_leaf(tensor):
        raise RuntimeError(
            f"{op}: this tensor (shape {tensor.shape}) is a view of a leaf tensor that "
            "requires grad, which is being changed in place; wrap the update in no_grad(), "
            "or use the out-of-place form")
    if view and not view_ok:
        raise RuntimeError(
            f"{op}: this tensor (shape {tensor.shape}) is a view of another tensor's memory "
            "(from slicing, reshape, ...), so an in-place change recorded in the graph would "
            "change that tensor behind its history; change the tensor it views instead "
            "(base[i, j] = v rather than base[i][j] = v), or clone() this one first")
    if recorded:
        stand_in = Tensor._make(tensor.data, tensor.requires_grad, tensor.grad_fn)
        node = cls.apply(stand_in, *inputs, inplace=True, **params).grad_fn
        node.in_place = True  # its input 0 is this tensor's own earlier history
        versions.rebase(tensor, stand_in)
        tensor.grad_fn, tensor.requires_grad = node, True
    else:
        cls.apply(tensor, *inputs, inplace=True, **params)
    versions.note_write(tensor.data, recorded=recorded)
    if view:
        versions.note_view_write(tensor)
    if recorded:  # the node's output is the state after its own write, not before it
        tensor.grad_fn.writes = versions.writes
    return tensor


def _shows_a_leaf(tensor: Tensor) -> bool:
    """Whether ``tensor`` shows the memory of a leaf that requires grad, through the ops
    that made it from that memory (slicing, reshape, earlier in-place writes ...)."""
    while True:
        fn = tensor.grad_fn
        if fn is None or fn._freed:
            return fn is None and tensor.requires_grad
        tensor = next((p for p in fn.parents if isinstance(p, Tensor)
                       and np.may_share_memory(tensor.data, p.data)), None)
        if tensor is None:
            return False


def _is_view(tensor: Tensor) -> bool:
    """Whether ``tensor`` shows another tensor's memory: its data is a view (or the very
    array) of an input of the node that made it (reshape, slicing, transpose, ...), or, with
    no node to ask, its array is a view at all. An op that only reshapes a fresh result of its
    own (linear on 3-D input, conv, batch norm) does not count."""
    fn = tensor.grad_fn
    while fn is not None and not fn._freed and getattr(fn, "in_place", False):
        tensor = fn.parents[0]  # an earlier in-place write: ask of the history before it
        fn = tensor.grad_fn
    if fn is None or fn._freed:
        return tensor.data.base is not None
    return any(np.may_share_memory(tensor.data, p.data) for p in fn.parents
               if isinstance(p, Tensor))
