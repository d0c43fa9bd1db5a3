"""Reductions: sum, mean, max, min, amax, amin, var, std, logsumexp, argmax, argmin.

Each reduces ``input`` over ``dim`` (an int, a tuple of ints, or None for every
dimension; ``axis=`` is taken for it, as in PyTorch) and drops the reduced dimensions
unless ``keepdim=True``. Backward puts the reduced dimensions back (as size 1) and
broadcasts the incoming gradient over them: a reduction sends d loss / d output to every
element that contributed, times the local derivative.
"""

from __future__ import annotations

import builtins  # the public ``max`` below shadows the builtin
from collections import namedtuple

import numpy as np

from glassnet import backend
from glassnet.autograd.function import Function
from glassnet.ops._util import (
    as_tensor,
    check_float,
    dim_or_axis,
    float_input,
    normalize_dim,
    normalize_dims,
)
from glassnet.ops.elementwise import maximum, minimum
from glassnet.tensor import Tensor

__all__ = [
    "sum", "mean", "max", "min", "amax", "amin", "var", "std", "logsumexp", "argmax",
    "argmin",
]

# What max/min with an int ``dim`` return, as torch.return_types.max / .min.
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def _kept_shape(shape: tuple, axes: tuple | None) -> tuple:
    """``shape`` with the reduced axes set to 1 (what keepdim=True gives)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape: tuple, axes: tuple | None) -> int:
    """How many elements each output value reduces over."""
    n = 1
    for i, size in enumerate(shape):
        if axes is None or i in axes:
            n *= size
    return n


def _expand(grad: np.ndarray, ctx) -> np.ndarray:
    """The output gradient reshaped to keepdim form, ready to broadcast against the input."""
    return grad if ctx.keepdim else grad.reshape(_kept_shape(ctx.shape, ctx.axes))


def _squeeze(out: np.ndarray, axes: tuple | None, keepdim: bool) -> np.ndarray:
    """Drop the reduced axes of a keepdims result unless keepdim is asked for."""
    if keepdim:
        return out
    return out.reshape(()) if axes is None else out.squeeze(axes)


class Sum(Function):
    """sum over dims.  d/dx_i = 1: the gradient is copied to every summed element.

    Shape: input (*), output (*) without the reduced dims (size 1 with keepdim).
    """

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False, dtype=None):
        ctx.shape, ctx.in_dtype, ctx.axes, ctx.keepdim = x.shape, x.dtype, axes, keepdim
        # ufunc.reduce is np.sum without its Python wrapper (same pairwise summation)
        return np.asarray(np.add.reduce(x, axis=axes, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, grad):
        grad = _expand(grad, ctx).astype(ctx.in_dtype, copy=False)
        return np.broadcast_to(grad, ctx.shape)  # a read-only view: no copy


class Mean(Function):
    """mean over dims = sum / N.  d/dx_i = 1 / N.

    Shape: input (*), output (*) without the reduced dims (size 1 with keepdim).
    """

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False, dtype=None):
        ctx.shape, ctx.in_dtype, ctx.axes, ctx.keepdim = x.shape, x.dtype, axes, keepdim
        ctx.n = _count(x.shape, axes)
        if dtype is not None:
            x = x.astype(dtype, copy=False)
        total = np.add.reduce(x, axis=axes, keepdims=keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):  # empty input gives nan
            return np.asarray(total / ctx.n)

    @staticmethod
    def backward(ctx, grad):
        grad = (_expand(grad, ctx) / ctx.n).astype(ctx.in_dtype, copy=False)
        return np.broadcast_to(grad, ctx.shape)


class AmaxAmin(Function):
    """amax / amin over dims, and max / min of the whole tensor.

    The gradient is shared evenly among the elements equal to the result (ties), as in
    PyTorch: d/dx_i = [x_i == out] / (number of such x_i). NaN propagates: for
    ``amax`` a slice holding NaN gets a NaN gradient; for the whole-tensor ``max`` (``full``)
    the gradient is shared among the NaN elements, both exactly as PyTorch does.

    Shape: input (*), output (*) without the reduced dims (size 1 with keepdim).
    """

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False, largest=True, full=False):
        reduce = np.maximum.reduce if largest else np.minimum.reduce  # NaN propagates
        out = reduce(x, axis=axes, keepdims=True)  # (kept)
        ctx.x, ctx.out, ctx.axes, ctx.keepdim, ctx.full = x, out, axes, keepdim, full
        return _squeeze(out, axes, keepdim)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.x, ctx.out
        if ctx.full and np.isnan(out).any():
            mask = np.isnan(x)
        else:
            mask = x == out
        count = mask.sum(axis=ctx.axes, keepdims=True).astype(grad.dtype)
        grad = grad.reshape(out.shape)
        with np.errstate(invalid="ignore", divide="ignore"):  # no match (NaN slice) -> nan
            return mask * (grad / count)


class MaxMinDim(Function):
    """max / min along one dim, given the winning indices (found by the caller).

    The gradient flows only to the element at the returned index (the first occurrence on
    ties, as in PyTorch): d/dx_i = [i == index].

    Shape: input (*), indices and values (*) without ``dim`` (size 1 with keepdim).
    """

    @staticmethod
    def forward(ctx, x, index, dim=0, keepdim=False):
        ctx.shape, ctx.index, ctx.dim, ctx.keepdim = x.shape, index, dim, keepdim
        if x.ndim == 0:
            return x.copy()
        values = np.take_along_axis(x, index, axis=dim)  # index is in keepdim form
        return values if keepdim else values.squeeze(dim)

    @staticmethod
    def backward(ctx, grad):
        if len(ctx.shape) == 0:
            return grad
        if not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.dim)
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(out, ctx.index, grad, axis=ctx.dim)
        return out


class Var(Function):
    """Variance: sum((x - mean)^2) / max(0, N - correction).

    d/dx_i = 2 (x_i - mean) / (N - correction). The mean's own dependence on x_i drops
    out because the deviations sum to zero.

    Shape: input (*), output (*) without the reduced dims (size 1 with keepdim).
    """

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False, correction=1):
        ctx.keepdim = keepdim
        ctx.diff, ctx.dof = _deviations(ctx, x, axes, correction)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.add.reduce(ctx.diff * ctx.diff, axis=axes, keepdims=keepdim) / ctx.dof
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _var_backward(ctx, _expand(grad, ctx))


class Std(Function):
    """Standard deviation: sqrt(var).

    d/dx_i = (x_i - mean) / ((N - correction) * std); 0 where std is 0, as in PyTorch.

    Shape: input (*), output (*) without the reduced dims (size 1 with keepdim).
    """

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False, correction=1):
        ctx.diff, ctx.dof = _deviations(ctx, x, axes, correction)
        with np.errstate(invalid="ignore", divide="ignore"):
            squares = np.add.reduce(ctx.diff * ctx.diff, axis=axes, keepdims=True)
            ctx.std = np.sqrt(squares / ctx.dof)
        return np.asarray(_squeeze(ctx.std, axes, keepdim), dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's order: d std = d var / (2 std), 0 where std is 0, then var's backward
        std = ctx.std
        with np.errstate(invalid="ignore", divide="ignore"):
            grad_var = grad.reshape(std.shape) / (2 * std)
        grad_var = np.where(std == 0, 0.0, grad_var).astype(grad.dtype, copy=False)
        return _var_backward(ctx, grad_var)


def _deviations(ctx, x, axes, correction):
    """Shared by Var and Std: x - mean(x) and the degrees of freedom, max(0, N - correction)
    (``ctx.n_minus_correction`` keeps N - correction itself, for the backward)."""
    ctx.shape, ctx.axes = x.shape, axes
    n = _count(x.shape, axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.add.reduce(x, axis=axes, keepdims=True) / n
    ctx.n_minus_correction = n - correction
    return x - mean, builtins.max(0, n - correction)


def _var_backward(ctx, grad):
    """d var / d x_i = grad * 2 (x_i - mean) / (N - correction), ``grad`` already shaped to
    broadcast against x. With correction >= N PyTorch has two rules, followed here: over
    every dim, inf (NaN where x_i equals the mean) whatever the sign of x_i - mean; over
    given dims, 2 / (N - correction) as it is (negative past N, inf at N)."""
    dof = ctx.n_minus_correction
    with np.errstate(invalid="ignore", divide="ignore"):
        if ctx.axes is None and dof <= 0:
            return grad * np.where(ctx.diff == 0, np.nan, np.inf).astype(grad.dtype)
        return (grad * (2.0 / dof if dof else np.inf)) * ctx.diff


class LogSumExp(Function):
    """log(sum(exp(x))) over dims, computed stably as m + log(sum(exp(x - m))), m = max(x).

    d/dx_i = exp(x_i) / sum(exp(x)) = softmax(x)_i. Finite for inputs of +-1e4; -inf
    entries get gradient 0 and an all -inf slice gives -inf (gradient nan), as in PyTorch.

    Shape: input (*), output (*) without the reduced dims (size 1 with keepdim).
    """

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        m = np.maximum.reduce(x, axis=axes, keepdims=True, initial=-np.inf)  # empty: -inf
        # An infinite max cannot be subtracted (inf - inf = nan); PyTorch shifts by 0 there.
        m = np.where(np.isinf(m), 0.0, m).astype(x.dtype, copy=False)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            ctx.e = np.exp(x - m)
            ctx.s = np.add.reduce(ctx.e, axis=axes, keepdims=True)
            out = np.log(ctx.s) + m
        ctx.keepdim = keepdim
        return _squeeze(out, axes, keepdim)

    @staticmethod
    def backward(ctx, grad):
        s = ctx.s
        with np.errstate(invalid="ignore", divide="ignore"):
            return ctx.e * (grad.reshape(s.shape) / s)


# --------------------------------------------------------------------- public functions
def _axes(op: str, x: Tensor, dim) -> tuple | None:
    """``dim`` as sorted axes, None for every dim; ``()`` also means every dim (PyTorch)."""
    ndim = x.data.ndim
    if type(dim) is int and 0 <= dim < ndim:  # the common case, without the checks below
        return (dim,)
    if dim is None or ndim == 0:
        if dim is not None:
            normalize_dims(op, dim, 0)  # still reject a bad dim on a 0-d tensor
        return None
    axes = normalize_dims(op, dim, ndim)
    return axes if axes else None


def _check_nonempty(op: str, x: Tensor, axes: tuple | None) -> None:
    """max/min-like reductions have no identity: an empty slice is an error, as in PyTorch."""
    if x.data.size:
        return
    if axes is None:
        raise ValueError(
            f"{op}: cannot reduce an empty tensor (shape {x.shape}) over all dimensions; "
            "pass a dim whose size is not 0"
        )
    for axis in axes:
        if x.shape[axis] == 0:
            raise IndexError(
                f"{op}: cannot reduce over dim {axis}, which has size 0 (input shape {x.shape})"
            )


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None,  # noqa: A001
        axis=None) -> Tensor:
    """Sum over ``dim`` (all dims when None). Integer and bool inputs sum to int64."""
    if axis is not None:
        dim = dim_or_axis("sum", dim, axis)
    x = as_tensor(input, "sum")
    if dtype is None:
        if x.data.dtype.kind in "biu":
            dtype = backend.int64
    else:
        dtype = np.dtype(dtype)
    return Sum.apply(x, axes=_axes("sum", x, dim), keepdim=keepdim, dtype=dtype)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, axis=None) -> Tensor:
    """Mean over ``dim`` (all dims when None); floating input only, unless ``dtype`` is."""
    if axis is not None:
        dim = dim_or_axis("mean", dim, axis)
    x = as_tensor(input, "mean")
    if dtype is not None:
        dtype = np.dtype(dtype)
    if (dtype or x.data.dtype).kind != "f":
        raise TypeError(
            f"mean: input dtype must be floating point, got {x.data.dtype} (shape {x.shape}); "
            "convert with .float() or pass dtype="
        )
    return Mean.apply(x, axes=_axes("mean", x, dim), keepdim=keepdim, dtype=dtype)


def _max_min(op: str, largest: bool, input, dim, keepdim, axis):
    if axis is not None:
        dim = dim_or_axis(op, dim, axis)
    x = as_tensor(input, op)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}: keepdim=True needs a dim (got dim=None)")
        _check_nonempty(op, x, None)
        return AmaxAmin.apply(x, axes=None, keepdim=False, largest=largest, full=True)
    if isinstance(dim, (Tensor, np.ndarray)):  # max(input, other): elementwise
        return (maximum if largest else minimum)(x, dim)
    d = normalize_dim(op, dim, x.ndim)
    _check_nonempty(op, x, (d,) if x.ndim else None)
    find = np.argmax if largest else np.argmin
    if x.ndim == 0:
        index = np.zeros((), dtype=np.int64)
        kept = index
    else:
        kept = find(x.data, axis=d, keepdims=True).astype(np.int64, copy=False)
        index = kept if keepdim else kept.squeeze(d)
    values = MaxMinDim.apply(x, kept, dim=d, keepdim=keepdim)
    return (MaxResult if largest else MinResult)(values, Tensor._make(index, False, None))


def max(input: Tensor, dim=None, keepdim: bool = False, *, axis=None):  # noqa: A001
    """Largest element (dim=None), or ``(values, indices)`` along an int ``dim``.

    With dim=None the gradient is shared evenly among tied maxima; along a dim it goes to
    the returned index (the first maximum). ``max(input, other_tensor)`` is ``maximum``.
    """
    return _max_min("max", True, input, dim, keepdim, axis)


def min(input: Tensor, dim=None, keepdim: bool = False, *, axis=None):  # noqa: A001
    """Smallest element (dim=None), or ``(values, indices)`` along an int ``dim``."""
    return _max_min("min", False, input, dim, keepdim, axis)


def amax(input: Tensor, dim=(), keepdim: bool = False, *, axis=None) -> Tensor:
    """Largest values over ``dim`` (() or None: all dims); ties share the gradient evenly."""
    if axis is not None:
        dim = dim_or_axis("amax", dim, axis, ())
    x = as_tensor(input, "amax")
    axes = _axes("amax", x, dim)
    _check_nonempty("amax", x, axes)
    return AmaxAmin.apply(x, axes=axes, keepdim=keepdim, largest=True)


def amin(input: Tensor, dim=(), keepdim: bool = False, *, axis=None) -> Tensor:
    """Smallest values over ``dim`` (() or None: all dims); ties share the gradient evenly."""
    if axis is not None:
        dim = dim_or_axis("amin", dim, axis, ())
    x = as_tensor(input, "amin")
    axes = _axes("amin", x, dim)
    _check_nonempty("amin", x, axes)
    return AmaxAmin.apply(x, axes=axes, keepdim=keepdim, largest=False)


def _var_args(op: str, x: Tensor, dim, unbiased, correction):
    """Sort out torch's two spellings: ``var(x, unbiased)`` / ``unbiased=`` and
    ``correction=`` (1 by default: Bessel's correction)."""
    check_float(op, "input", x)
    if isinstance(dim, bool):  # var(x, False): the old positional ``unbiased``
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{op}: pass either 'unbiased' or 'correction', not both")
        correction = 1 if unbiased else 0
    return _axes(op, x, dim), 1 if correction is None else correction


def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None, axis=None) -> Tensor:
    """Variance over ``dim``: sum((x - mean)^2) / (N - correction), correction 1 by default."""
    if axis is not None:
        dim = dim_or_axis("var", dim, axis)
    x = as_tensor(input, "var")
    axes, correction = _var_args("var", x, dim, unbiased, correction)
    return Var.apply(x, axes=axes, keepdim=keepdim, correction=correction)


def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None, axis=None) -> Tensor:
    """Standard deviation over ``dim``: sqrt(var(input, dim, correction=...))."""
    if axis is not None:
        dim = dim_or_axis("std", dim, axis)
    x = as_tensor(input, "std")
    axes, correction = _var_args("std", x, dim, unbiased, correction)
    return Std.apply(x, axes=axes, keepdim=keepdim, correction=correction)


def logsumexp(input: Tensor, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
    """log(sum(exp(input))) over ``dim`` (required, or given as ``axis``), without overflow;
    integers become float."""
    if axis is not None:
        dim = dim_or_axis("logsumexp", dim, axis)
    elif dim is None:
        raise TypeError("logsumexp: missing argument 'dim' (an int or a tuple of ints)")
    x = float_input("logsumexp", as_tensor(input, "logsumexp"))
    return LogSumExp.apply(x, axes=_axes("logsumexp", x, dim), keepdim=keepdim)


def _arg(op: str, find, input, dim, keepdim, axis) -> Tensor:
    if axis is not None:
        dim = dim_or_axis(op, dim, axis)
    x = as_tensor(input, op)
    if x.data.dtype.kind == "b":
        raise TypeError(f"{op}: does not support bool input (shape {x.shape}), as in "
                        "PyTorch; convert it with .int() first")
    if dim is None:
        _check_nonempty(op, x, None)
        index = find(x.data, axis=None, keepdims=keepdim)
    else:
        d = normalize_dim(op, dim, x.ndim)
        _check_nonempty(op, x, (d,) if x.ndim else None)
        index = find(x.data, axis=d if x.ndim else None, keepdims=keepdim)
    return Tensor._make(np.asarray(index, dtype=np.int64), False, None)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           axis=None) -> Tensor:
    """Index of the largest element (flattened when dim=None); int64, no gradient."""
    return _arg("argmax", np.argmax, input, dim, keepdim, axis)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           axis=None) -> Tensor:
    """Index of the smallest element (flattened when dim=None); int64, no gradient."""
    return _arg("argmin", np.argmin, input, dim, keepdim, axis)
