"""Shape and indexing ops: reshape/view, transpose/permute, squeeze/unsqueeze, expand,
indexing (``tensor[...]``) and indexed assignment (``tensor[...] = value``, ``index_put``),
gather, cat/stack, split/chunk/narrow, and pad.

None of these ops computes anything: each moves values around. So every backward sends
each element of the output gradient back to the input position it was read from, and
positions read several times (expand, repeated indices, reflect padding) add up their
gradients. Wherever NumPy can, the forward returns a view of the input, as PyTorch does.
"""

from __future__ import annotations

import math
import operator
import re
import warnings

import numpy as np

from glassnet.autograd import versions
from glassnet.autograd.function import Function
from glassnet.ops._util import (
    as_tensor,
    check_number_fits,
    dim_or_axis,
    in_place,
    normalize_dim,
    normalize_dims,
    unbroadcast,
)
from glassnet.ops.elementwise import cast
from glassnet.tensor import Tensor

__all__ = [
    "reshape", "view", "view_as", "reshape_as", "flatten", "squeeze", "unsqueeze",
    "transpose", "permute", "expand", "expand_as", "index", "index_put", "gather", "cat",
    "stack",
    "split", "chunk", "narrow", "pad",
]


# --------------------------------------------------------------------- reshapes
class Reshape(Function):
    """The same values in a new shape (row-major order).  d/dx: the gradient reshaped back.

    Behind reshape, view, flatten, squeeze and unsqueeze.  Shape: input (*), output ``shape``.
    """

    @staticmethod
    def forward(ctx, x, shape, op="reshape"):
        ctx.in_shape = x.shape
        if min(shape, default=0) < -1:  # NumPy reads any negative size as -1; torch refuses
            raise _reshape_error(op, x.shape, shape)
        try:
            return x.reshape(shape)  # a view whenever the strides allow, else a copy
        except ValueError:
            raise _reshape_error(op, x.shape, shape) from None

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


def _reshape_error(op: str, in_shape: tuple, shape: tuple) -> Exception:
    if sum(s == -1 for s in shape) > 1:
        return ValueError(f"{op}: only one dimension can be inferred (-1), got shape {shape}")
    bad = [s for s in shape if s < -1]
    if bad:
        return ValueError(f"{op}: invalid size {bad[0]} in shape {shape}")
    size = math.prod(in_shape)
    return ValueError(
        f"{op}: shape {shape} is invalid for input of size {size} (input shape {in_shape})"
    )


def _sizes(op: str, sizes: tuple, keyword=None, name: str = "size") -> tuple:
    """Accept ``f(x, 2, 3)``, ``f(x, (2, 3))`` and the keyword ``f(x, name=(2, 3))`` alike,
    as PyTorch does (``keyword`` is the keyword's value, None when not given)."""
    if keyword is not None:
        if sizes:
            raise TypeError(f"{op}: got sizes both as arguments {sizes} and as "
                            f"{name}={keyword!r}; pass one")
        sizes = (keyword,)
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        sizes = sizes[0]
    try:
        return tuple(operator.index(s) for s in sizes)
    except TypeError:
        raise TypeError(f"{op}: sizes must be ints, got {sizes!r}") from None


def _int_arg(op: str, name: str, value) -> int:
    """An int argument (a Python or NumPy int, or a one-element integer tensor), or a
    TypeError naming it; bools are refused, as in PyTorch."""
    if not isinstance(value, (bool, np.bool_)):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{op}: argument '{name}' must be an int, got {type(value).__name__} "
                    f"{value!r}")


class Permute(Function):
    """Reorder the dimensions: output dim i is input dim ``dims[i]`` (a view).

    d/dx: the gradient permuted back by the inverse permutation.
    Shape: input (d_0, ..., d_n), output (d_dims[0], ..., d_dims[n]).
    """

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad.transpose(inverse)


class Expand(Function):
    """Repeat size-1 dimensions (and add leading ones) without copying: a broadcast view.

    d/dx: the gradient summed over every repeated copy (``unbroadcast``).
    Shape: input (*), output ``sizes``.
    """

    @staticmethod
    def forward(ctx, x, sizes):
        ctx.in_shape = x.shape
        return np.broadcast_to(x, sizes)  # read-only view, like PyTorch's expanded tensors

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.in_shape)


# --------------------------------------------------------------------- indexing
class Index(Function):
    """input[index] with NumPy/PyTorch indexing rules (ints, slices, None, ..., int and
    bool arrays).  Shape: whatever the index selects.

    d/dx: zeros of the input's shape with the gradient written back where the values came
    from. Basic indices (ints, slices) and bool masks read each element at most once, so
    plain assignment is enough; integer arrays may repeat an element, so their gradients
    are summed with ``np.add.at``.
    """

    @staticmethod
    def forward(ctx, x, index, accumulate=False):
        ctx.in_shape, ctx.index, ctx.accumulate = x.shape, index, accumulate
        try:
            base, rest = _parts(x, index)
            return base[rest]  # a view for basic indices
        except IndexError as e:
            raise _index_error("index", e, x.shape, index) from None

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.in_shape, dtype=grad.dtype)
        base, rest = _parts(out, ctx.index)  # (base: a view of out)
        if ctx.accumulate:
            np.add.at(base, rest, grad)
        else:
            base[rest] = grad
        return out


class IndexPut(Function):
    """out = x with out[index] = value (value broadcast to the indexed shape, cast to x's
    dtype); in place on x itself when ``inplace`` (``x[index] = value``). With
    ``accumulate``, out[index] += value instead, every repeat of an index adding its value
    (NumPy's ``np.add.at``; PyTorch's ``index_put(..., accumulate=True)``).

    d/dx: grad with zeros where index wrote (those elements no longer depend on x); grad
    itself when accumulating (x is still in every element).
    d/dvalue: grad[index], summed back to value's shape; a repeated integer index passes
    each of its positions' gradient to the value it read, as PyTorch's index_put does.
    Shape: x's.
    """

    @staticmethod
    def forward(ctx, x, value, index, inplace=False, accumulate=False):
        ctx.index, ctx.value_shape, ctx.accumulate = index, np.shape(value), accumulate
        ctx.value_dtype = getattr(value, "dtype", None)
        out = x if inplace else x.copy()
        base, rest = _parts(out, index)
        if accumulate:
            np.add.at(base, rest, value)
        else:
            base[rest] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, need_value = ctx.needs_input_grad
        grad_x = grad_value = None
        grad = np.asarray(grad)  # (a 0-d gradient may come as a NumPy scalar)
        if need_x and ctx.accumulate:
            grad_x = grad
        elif need_x:
            grad_x = grad.copy()
            base, rest = _parts(grad_x, ctx.index)
            base[rest] = 0
        if need_value:
            base, rest = _parts(grad, ctx.index)
            selected = base[rest]
            # a value may carry extra leading 1s beyond the indexed shape (NumPy and PyTorch
            # drop them when writing): sum to the value's shape without them, then restore
            shape = _drop_leading_ones(ctx.value_shape, selected.ndim)
            grad_value = unbroadcast(selected, shape).reshape(ctx.value_shape)
            grad_value = grad_value.astype(ctx.value_dtype, copy=False)
        return grad_x, grad_value


def _drop_leading_ones(shape: tuple, ndim: int) -> tuple:
    """``shape`` without leading 1s beyond ``ndim`` dimensions."""
    while len(shape) > ndim and shape[0] == 1:
        shape = shape[1:]
    return shape


def _index_error(op: str, error: IndexError, shape: tuple, index: tuple) -> IndexError:
    """NumPy's index error in PyTorch's words, with the op, the shape and the index."""
    reason = re.sub(r"axis (\d)", r"dimension \1", str(error))
    return IndexError(f"{op}: {reason} (input shape {shape}, index {_describe(index)})")


def _describe(index) -> str:
    """A short description of an index for error messages (arrays by shape, not values)."""
    if isinstance(index, SelectFirst):
        index = index.items
    parts = []
    for item in index:
        if isinstance(item, np.ndarray) and item.size > 8:
            parts.append(f"<{item.dtype} array of shape {item.shape}>")
        elif isinstance(item, slice):
            start, stop, step = ("" if v is None else str(v)
                                 for v in (item.start, item.stop, item.step))
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
        elif item is Ellipsis:
            parts.append("...")
        else:
            parts.append(repr(item.tolist() if isinstance(item, np.ndarray) else item))
    return "[" + ", ".join(parts) + "]"


class SelectFirst:
    """An index that mixes integers with advanced (array) indices, in PyTorch's reading.

    PyTorch takes each integer as a selection of its dimension first and indexes what is
    left with the arrays; NumPy counts the integers among the advanced indices, which moves
    the arrays' dimensions to the front whenever a slice separates them: ``x[0, :, [0, 1]]``
    of a (2, 3, 4) x is (3, 2) in PyTorch and (2, 3) in NumPy. So this keeps two NumPy
    indices, ``select`` (the integers, full slices elsewhere: basic, a view) and ``rest``
    (what remains, applied to that view); ``_parts`` applies them. Not a tuple, so that
    NumPy refuses it if it is ever used as an index directly.
    """

    __slots__ = ("items", "select", "rest")

    def __init__(self, items: tuple):
        self.items = items  # the whole index, for error messages
        select, rest = [], []
        for item in items:
            if _is_integer(item):
                # int(): NumPy reads a 0-d array as an advanced index, and select must stay
                # basic (a view: writes and gradients go through it)
                select.append(int(item))
            elif item is None:
                rest.append(None)
            elif item is Ellipsis:
                select.append(Ellipsis)
                rest.append(Ellipsis)
            else:  # a slice or an array: consumes one dimension (a bool mask, its ndim)
                consumed = item.ndim if isinstance(item, np.ndarray) and item.dtype == bool \
                    else 1
                select.extend([slice(None)] * consumed)
                rest.append(item)
        self.select, self.rest = tuple(select), tuple(rest)


def _parts(array: np.ndarray, index) -> tuple[np.ndarray, tuple]:
    """(what to index, the NumPy index to use there) for ``array[index]`` in PyTorch's
    reading: a view after the integer selections for a ``SelectFirst``, else the array."""
    if isinstance(index, SelectFirst):
        return array[index.select], index.rest
    return array, index


def _is_integer(item) -> bool:
    """An integer index: a Python or NumPy int, or a 0-d integer array (PyTorch reads a 0-d
    integer tensor as an int)."""
    if isinstance(item, np.ndarray):
        return item.ndim == 0 and item.dtype.kind in "iu"
    return isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_))


def _numpy_index(index) -> tuple[tuple | SelectFirst, bool]:
    """The index as NumPy understands it, and whether its gradient must accumulate.

    Tensors become their arrays and lists become arrays (PyTorch reads a list as an
    advanced index). Only an integer array of two or more elements can select the same
    element twice; then backward must sum with ``np.add.at``. Integers mixed with arrays
    make a ``SelectFirst`` (PyTorch's layout, not NumPy's).
    """
    if isinstance(index, list) and len(index) < 32 and any(
            isinstance(item, (list, tuple, np.ndarray, Tensor, slice)) or item is None
            or item is Ellipsis for item in index):
        # PyTorch 2.13 reads such a list as a tuple of indices (deprecated; NumPy and later
        # PyTorch read it as one array index): the two give different elements, so neither
        # is guessed.
        raise IndexError(
            "index: a list holding lists, tensors, slices, None or ... is ambiguous "
            "(PyTorch 2.13 reads x[[a, b]] as x[a, b], NumPy as one array index); write "
            "x[tuple(seq)] for the first or x[tensor(seq)] for the second")
    if not isinstance(index, tuple):
        index = (index,)
    items, accumulate = [], False
    has_integer = has_array = False  # both: PyTorch's layout (SelectFirst), not NumPy's
    for item in index:
        if isinstance(item, Tensor):
            item = item.data
        elif isinstance(item, (list, tuple)):
            item = np.asarray(item) if len(item) else np.empty(0, dtype=np.int64)
        if isinstance(item, np.ndarray):
            if item.dtype == np.uint8:
                # PyTorch 2.13 still reads a uint8 index as a mask (deprecated, this warning)
                warnings.warn("indexing with dtype uint8 is deprecated, as in PyTorch, and "
                              "reads it as a mask; use a bool tensor instead", UserWarning,
                              stacklevel=4)
                item = item.astype(bool)
            if item.dtype.kind in "iu" and item.size > 1:
                accumulate = True
            if _is_integer(item):
                has_integer = True
            else:
                has_array = True
        elif not has_integer and _is_integer(item):
            has_integer = True
        items.append(item)
    items = tuple(items)
    return (SelectFirst(items) if has_integer and has_array else items), accumulate


class Gather(Function):
    """out[i][j][k] = input[index[i][j][k]][j][k] along ``dim`` (here dim=0).

    d/dx: each output gradient is added at the input position it was read from
    (``np.add.at``: an index may repeat). ``index`` may be smaller than ``input`` in the
    other dimensions, as in PyTorch.  Shape: index's shape.
    """

    @staticmethod
    def forward(ctx, x, index, dim):
        # An open grid of every dimension's positions, with ``index`` along ``dim``.
        grid = list(np.indices(index.shape, sparse=True))
        grid[dim] = index
        ctx.in_shape, ctx.grid = x.shape, tuple(grid)
        return x[ctx.grid]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.in_shape, dtype=grad.dtype)
        np.add.at(out, ctx.grid, grad)
        return out


# --------------------------------------------------------------------- joining
class Cat(Function):
    """Concatenate tensors along ``dim``.  d/dx_i: the slice of the gradient x_i filled.

    Shape: inputs equal except in ``dim``; output size in ``dim`` is the sum of theirs.
    """

    @staticmethod
    def forward(ctx, *arrays, dim=0, dtype=None, skip=None):
        # skip: which inputs are PyTorch's legacy empty tensors of shape (0,), left out when
        # the others have another shape (their gradient is empty too); None: none is
        ctx.dim, ctx.skip = dim, skip
        ctx.sizes = [None if skip and skip[i] else a.shape[dim] for i, a in enumerate(arrays)]
        ctx.dtypes = [a.dtype for a in arrays]
        joined = [a for a, size in zip(arrays, ctx.sizes, strict=True) if size is not None]
        try:
            return np.concatenate(joined, axis=dim, dtype=dtype)
        except ValueError:
            raise _mismatch_error("cat", [a.shape for a in joined], dim) from None

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.dim
        grads, start = [], 0
        for need, size, dtype in zip(ctx.needs_input_grad, ctx.sizes, ctx.dtypes, strict=True):
            if size is None:  # a skipped (0,) input
                grads.append(np.zeros(0, dtype) if need else None)
                continue
            piece = grad[lead + (slice(start, start + size),)] if need else None
            grads.append(None if piece is None else piece.astype(dtype, copy=False))
            start += size
        return tuple(grads)


class Stack(Function):
    """Stack equal-shaped tensors along a new dimension ``dim``.

    d/dx_i: the gradient's i-th slice along ``dim``.  Shape: n inputs (*) -> output with
    n inserted at ``dim``.
    """

    @staticmethod
    def forward(ctx, *arrays, dim=0, dtype=None):
        ctx.dim = dim
        ctx.dtypes = [a.dtype for a in arrays]
        try:
            return np.stack(arrays, axis=dim, dtype=dtype)
        except ValueError:
            raise _mismatch_error("stack", [a.shape for a in arrays], None) from None

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.dim
        needs = ctx.needs_input_grad
        return tuple(grad[lead + (i,)].astype(dtype, copy=False) if needs[i] else None
                     for i, dtype in enumerate(ctx.dtypes))


def _mismatch_error(op: str, shapes: list, dim: int | None) -> ValueError:
    """Name the first tensor whose shape does not fit the first one's."""
    first = shapes[0]
    for i, shape in enumerate(shapes):
        if len(shape) != len(first):
            return ValueError(
                f"{op}: tensor {i} has {len(shape)} dimension(s) but tensor 0 has "
                f"{len(first)} (shapes {shape} and {first})"
            )
        if any(a != b for d, (a, b) in enumerate(zip(shape, first, strict=True)) if d != dim):
            rule = ("must match except in dimension " + str(dim) if dim is not None
                    else "must be equal")
            return ValueError(f"{op}: tensor sizes {rule}, but tensor {i} has shape {shape} "
                              f"and tensor 0 has shape {first}")
    return ValueError(f"{op}: cannot join tensors of shapes {shapes}")


# --------------------------------------------------------------------- padding
class Pad(Function):
    """Pad (or, with negative amounts, crop) every dimension by ``(before, after)``.

    mode "constant" fills with ``value``; "reflect" mirrors without repeating the edge
    (x2 x1 | x0 x1 x2 | x1 x0), "replicate" repeats the edge (x0 x0 | x0 x1 x2 | x2 x2),
    "circular" wraps around (x1 x2 | x0 x1 x2 | x0 x1).  Shape: d -> d + before + after.

    d/dx: the interior of the gradient goes straight back to the input; in the
    non-constant modes each padded slice also adds its gradient into the input slice it
    was copied from.
    """

    @staticmethod
    def forward(ctx, x, pads, mode="constant", value=0.0, maps=None):
        # pads: one (before, after) per dimension; maps: per padded dimension, the input
        # position each output position reads (non-constant modes only).
        shape = x.shape
        src = tuple(slice(max(-lo, 0), n - max(-hi, 0))
                    for n, (lo, hi) in zip(shape, pads, strict=True))  # kept input part
        dst = tuple(slice(max(lo, 0), max(lo, 0) + s.stop - s.start)
                    for s, (lo, _) in zip(src, pads, strict=True))  # where it lands
        ctx.in_shape, ctx.src, ctx.dst, ctx.maps = shape, src, dst, maps
        if mode == "constant":
            out_shape = [n + lo + hi for n, (lo, hi) in zip(shape, pads, strict=True)]
            out = np.full(out_shape, value, x.dtype)
            out[dst] = x[src]
            return out
        # One gather reads every output position from its source (an open grid of the
        # padded trailing dimensions, so their order is kept).
        first = min(maps)
        grid = [maps.get(d, np.arange(x.shape[d])) for d in range(first, x.ndim)]
        grid = [g.reshape((-1,) + (1,) * (len(grid) - 1 - i)) for i, g in enumerate(grid)]
        return x[(slice(None),) * first + tuple(grid)]

    @staticmethod
    def backward(ctx, grad):
        if not ctx.maps:
            if all(s.stop - s.start == n for s, n in zip(ctx.src, ctx.in_shape, strict=True)):
                return grad[ctx.dst]  # nothing was cropped: the interior is the gradient
            out = np.zeros(ctx.in_shape, dtype=grad.dtype)
            out[ctx.src] = grad[ctx.dst]
            return out
        # Fold one padded dimension at a time, last first: copy the interior back, then
        # add each padded slice into the input slice it was read from.
        for d in sorted(ctx.maps, reverse=True):
            source, lead = ctx.maps[d], (slice(None),) * d
            shape = list(grad.shape)
            shape[d] = ctx.in_shape[d]
            folded = np.zeros(shape, dtype=grad.dtype)
            src, dst = ctx.src[d], ctx.dst[d]
            folded[lead + (src,)] = grad[lead + (dst,)]
            for j in (*range(dst.start), *range(dst.stop, len(source))):
                folded[lead + (source[j],)] += grad[lead + (j,)]
            grad = folded
        return grad


PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_map(mode: str, n: int, lo: int, hi: int, dim: int, shape: tuple) -> np.ndarray:
    """For one dimension, the input position each output position reads."""
    where = f"dimension {dim} (size {n}) of input shape {shape}"
    if mode == "circular":
        # PyTorch crops first and wraps the cropped part around, at most once.
        start, stop = max(-lo, 0), n - max(-hi, 0)
        m = stop - start
        if max(lo, 0) > m or max(hi, 0) > m:
            raise ValueError(f"pad: circular padding ({lo}, {hi}) of {where} wraps around "
                             f"more than once (at most {m} allowed)")
        return np.arange(-max(lo, 0), m + max(hi, 0)) % m + start
    if n == 0:
        raise ValueError(f"pad: {mode} padding ({lo}, {hi}) needs a non-empty {where}")
    positions = np.arange(-lo, n + hi)  # relative to the uncropped input
    if mode == "replicate":
        return np.clip(positions, 0, n - 1)
    if lo >= n or hi >= n:
        raise ValueError(f"pad: reflect padding ({lo}, {hi}) of {where} must be less than "
                         "the dimension's size")
    positions = np.abs(positions)
    return np.where(positions >= n, 2 * (n - 1) - positions, positions)


# --------------------------------------------------------------------- public functions
def reshape(input: Tensor, *sizes, shape=None) -> Tensor:
    """The same values in ``shape`` (one size may be -1: inferred). A view when possible.
    The sizes may be given as arguments, one tuple, or ``shape=`` (PyTorch's keyword)."""
    x = as_tensor(input, "reshape")
    return Reshape.apply(x, shape=_sizes("reshape", sizes, shape, "shape"), op="reshape")


def view(input: Tensor, *sizes, size=None) -> Tensor:
    """Like reshape (sizes as arguments, one tuple or ``size=``). PyTorch's view refuses
    inputs whose strides cannot be viewed in the new shape; glassnet's view then copies, as
    reshape does, instead of raising."""
    x = as_tensor(input, "view")
    return Reshape.apply(x, shape=_sizes("view", sizes, size), op="view")


def view_as(input: Tensor, other: Tensor) -> Tensor:
    """view(input, other.shape)."""
    return Reshape.apply(as_tensor(input, "view_as"), shape=tuple(other.shape), op="view_as")


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """reshape(input, other.shape)."""
    return Reshape.apply(as_tensor(input, "reshape_as"), shape=tuple(other.shape),
                         op="reshape_as")


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim (inclusive) into one; a 0-d input gives (1,).

    The dims are checked first, also for a 0-d input (which counts as 1-d there, as in
    PyTorch): nn.Flatten()'s start_dim=1 is out of range for a scalar, not a no-op."""
    x = as_tensor(input, "flatten")
    shape = x.shape
    start = normalize_dim("flatten", start_dim, len(shape), "start_dim")
    end = normalize_dim("flatten", end_dim, len(shape), "end_dim")
    if not shape:
        return Reshape.apply(x, shape=(1,), op="flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) cannot come after end_dim "
                         f"({end_dim}) for input shape {shape}")
    new = shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]
    return Reshape.apply(x, shape=new, op="flatten")


def squeeze(input: Tensor, dim=None, *, axis=None) -> Tensor:
    """Drop size-1 dimensions: all of them, or those in ``dim`` (or ``axis``; an int or a
    tuple). A listed dimension whose size is not 1 is left alone, as in PyTorch."""
    if axis is not None:
        dim = dim_or_axis("squeeze", dim, axis)
    x = as_tensor(input, "squeeze")
    axes = normalize_dims("squeeze", dim, x.ndim)
    new = tuple(n for i, n in enumerate(x.shape) if n != 1 or (axes is not None and i not in axes))
    return Reshape.apply(x, shape=new, op="squeeze")


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dimension at ``dim`` (-ndim-1 <= dim <= ndim)."""
    x = as_tensor(input, "unsqueeze")
    d = normalize_dim("unsqueeze", dim, x.ndim + 1)
    return Reshape.apply(x, shape=x.shape[:d] + (1,) + x.shape[d:], op="unsqueeze")


def permute(input: Tensor, *order, dims=None) -> Tensor:
    """Reorder dimensions: output dim i is input dim dims[i] (given as arguments, one tuple
    or ``dims=``). A view."""
    x = as_tensor(input, "permute")
    dims = _sizes("permute", order, dims, "dims")
    ndim = x.ndim
    if sorted(dims) == list(range(ndim)):  # the common case: already a valid permutation
        return Permute.apply(x, dims=dims)
    if len(dims) != ndim:
        raise ValueError(f"permute: dims {dims} has {len(dims)} entries but the input has "
                         f"{ndim} dimension(s) (shape {x.shape})")
    dims = tuple(normalize_dim("permute", d, ndim, "dims") for d in dims)
    if len(set(dims)) != ndim:
        raise ValueError(f"permute: dims {dims} repeats a dimension (input shape {x.shape})")
    return Permute.apply(x, dims=dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dimensions dim0 and dim1. A view."""
    x = as_tensor(input, "transpose")
    ndim = x.ndim
    a = normalize_dim("transpose", dim0, ndim, "dim0")
    b = normalize_dim("transpose", dim1, ndim, "dim1")
    dims = list(range(ndim))
    if ndim:
        dims[a], dims[b] = b, a
    return Permute.apply(x, dims=tuple(dims))


def expand(input: Tensor, *sizes, size=None) -> Tensor:
    """Repeat size-1 dimensions to ``sizes`` (arguments, one tuple or ``size=``) without
    copying (-1 keeps a size; new leading dimensions may be added). Backward sums over the
    copies."""
    x = as_tensor(input, "expand")
    sizes = _sizes("expand", sizes, size)
    shape = x.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes {sizes} given for a tensor with "
                         f"{len(shape)} dimensions (shape {shape}); give at least {len(shape)}")
    out = list(sizes)
    for i, size in enumerate(sizes):
        if i < lead:
            if size < 0:
                raise ValueError(f"expand: size {size} is not allowed in the new leading "
                                 f"dimension {i} (sizes {sizes}, input shape {shape})")
            continue
        have = shape[i - lead]
        if size == -1:
            out[i] = have
        elif size < 0:
            raise ValueError(f"expand: size {size} at dimension {i} is not allowed (sizes must "
                             f"be non-negative, or -1 to keep one; sizes {sizes}, input shape "
                             f"{shape})")
        elif size != have and have != 1:
            raise ValueError(
                f"expand: the expanded size {size} must match the existing size {have} at "
                f"non-singleton dimension {i} (sizes {sizes}, input shape {shape})"
            )
    return Expand.apply(x, sizes=tuple(out))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """expand(input, other.shape)."""
    return expand(input, tuple(other.shape))


def index(input: Tensor, index) -> Tensor:
    """input[index]: ints, slices (any step, negative too), None, ..., integer arrays,
    lists or int64 tensors, bool masks, and mixes of them, with NumPy/PyTorch rules."""
    x = as_tensor(input, "index")
    idx, accumulate = _numpy_index(index)
    return Index.apply(x, index=idx, accumulate=accumulate)


def index_put(input: Tensor, index, value, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``[index] = value``: the out-of-place form of
    ``input[index] = value`` (any index ``input[index]`` accepts; value a tensor or a number
    that broadcasts to the indexed shape, cast to input's dtype). Gradients flow to both.
    ``accumulate=True`` adds instead, ``[index] += value``, summing repeated indices
    (PyTorch's ``accumulate``).
    """
    x = as_tensor(input, "index_put")
    if not isinstance(accumulate, (bool, np.bool_)):
        raise TypeError(f"index_put: argument 'accumulate' must be a bool, got {accumulate!r}")
    idx, value = _put_operands("index_put", x, index, value)
    return IndexPut.apply(x, value, index=idx, accumulate=bool(accumulate))


def setitem(input: Tensor, index, value) -> None:
    """``input[index] = value`` in place (``Tensor.__setitem__``), as in PyTorch.

    Without grad mode, or when neither ``input`` nor ``value`` requires grad, it is a plain
    in-place write. Otherwise it is recorded in the graph: ``input`` gets a new history whose
    node is the write (``IndexPut``), and ops that used ``input`` before keep sending their
    gradients to the history they saw (``in_place`` in ops/_util.py). Refused on a leaf that
    requires grad (use ``no_grad()``) and, when recorded, on a view (write through the base:
    ``base[i, j] = v``, not ``base[i][j] = v``).
    """
    idx, value = _put_operands("setitem", input, index, value)
    # x[i] += v wrote through the view x[i] first (versions.py): x now takes the write back,
    # and may be a view itself (x[j][i] += v), which then carries it in turn
    taking_back = bool(versions.view_writes) and isinstance(value, Tensor) and (
        versions.take_back(*_parts(input.data, idx), value))
    in_place("setitem", IndexPut, input, value, index=idx, view_ok=taking_back)


def assign(op: str, input: Tensor, value) -> None:
    """``input[...] = value`` in place for Tensor's in-place methods (``x += y`` is
    ``assign("+=", x, x + y)``; ``copy_``, ``fill_``), recorded in the graph as ``setitem``
    is. Unlike ``setitem`` it may write through a view: Python runs ``base[1:] += w`` as
    ``v = base[1:]; v += w; base[1:] = v``. The caller has checked shapes and dtypes."""
    _, value = _put_operands(op, input, Ellipsis, value)
    in_place(op, IndexPut, input, value, index=(Ellipsis,), view_ok=True)


def _put_operands(op: str, x: Tensor, index, value) -> tuple:
    """Checks shared by index_put and setitem, before anything is written: the index as
    NumPy reads it and the value cast to x's dtype (a Tensor keeps its graph through the
    cast), broadcastable to the indexed shape."""
    idx, _ = _numpy_index(index)
    try:
        base, rest = _parts(x.data, idx)
        target = base[rest]  # only for its shape (and the index's own errors)
    except IndexError as e:
        raise _index_error(op, e, x.shape, idx) from None
    if isinstance(value, Tensor):
        if value.data.dtype != x.data.dtype:
            value = cast(value, x.data.dtype)  # the gradient is cast back
        shape = value.shape
    else:
        value = _number_or_array(op, value, x.data.dtype)
        shape = value.shape
    try:
        fits = np.broadcast_shapes(_drop_leading_ones(shape, target.ndim),
                                   target.shape) == target.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{op}: a value of shape {shape} cannot be written into the indexed "
                         f"shape {target.shape} (input shape {x.shape}, index "
                         f"{_describe(idx)})")
    return idx, value


def _number_or_array(op: str, value, dtype: np.dtype) -> np.ndarray:
    """A value that is not a Tensor, as an array of ``dtype``: numbers are checked first
    (``check_number_fits``); strings, None and the like are refused, as in PyTorch."""
    check_number_fits(op, value, dtype)
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: can't write a value of type {type(value).__name__} "
                        f"({value!r}) into a tensor of dtype {dtype}")
    return array.astype(dtype)




def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """out[..., i, ...] = input[..., index[..., i, ...], ...] along ``dim``. As in PyTorch, a
    0-d input or index counts as 1-d (a 0-d index into a 1-d input gives a 0-d result).
    ``sparse_grad`` is PyTorch's; glassnet's gradients are dense, so only False is taken."""
    x = as_tensor(input, "gather")
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        got = f"dtype {index.dtype}" if isinstance(index, Tensor) else type(index).__name__
        raise TypeError(f"gather: argument 'index' must be an int64 tensor, got {got}")
    if sparse_grad:
        raise ValueError("gather: sparse_grad=True is not supported (glassnet has no sparse "
                         "gradients); leave it False for a dense gradient")
    d = normalize_dim("gather", dim, x.ndim)
    idx, shape = index.data, x.shape
    if max(idx.ndim, 1) != max(len(shape), 1):  # (0-d counts as 1-d, as in PyTorch)
        raise ValueError(f"gather: index has {idx.ndim} dimension(s) but input has "
                         f"{len(shape)} (index shape {idx.shape}, input shape {shape})")
    if idx.ndim == len(shape) and any(
            i > n for k, (i, n) in enumerate(zip(idx.shape, shape, strict=True)) if k != d):
        raise ValueError(f"gather: index shape {idx.shape} is larger than input shape {shape} "
                         f"outside dimension {d}")
    size = shape[d] if shape else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)].flat[0]
        raise IndexError(f"gather: index {bad} is out of bounds for dimension {d} with size "
                         f"{size} (input shape {shape}, index shape {idx.shape})")
    if idx.ndim == 0 or not shape:  # a 0-d side: gather with both seen as 1-d
        flat = Reshape.apply(x, shape=(-1,)) if not shape else x
        one = Gather.apply(flat, index=idx.reshape(-1), dim=0)
        return Reshape.apply(one, shape=idx.shape)
    return Gather.apply(x, index=idx, dim=d)


def _tensor_list(op: str, tensors) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: argument 'tensors' must be a list or tuple of Tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of Tensors")
    return [t if isinstance(t, Tensor) else as_tensor(t, op, f"tensors[{i}]")
            for i, t in enumerate(tensors)]


def _join_dtype(tensors: list):
    """PyTorch's promotion for cat/stack: floats win over ints, the widest float wins."""
    dtypes = {t.data.dtype for t in tensors}
    if len(dtypes) == 1:
        return None
    floats = [d for d in dtypes if d.kind == "f"]
    return max(floats, key=lambda d: d.itemsize) if floats else np.result_type(*dtypes)


def cat(tensors, dim: int = 0, *, axis=None) -> Tensor:
    """Concatenate along an existing dimension ``dim`` (or ``axis``). As in PyTorch, empty
    1-d tensors (shape (0,)) are skipped when the others have another shape; they still
    take part in the result's dtype."""
    if axis is not None:
        dim = dim_or_axis("cat", dim, axis, 0)
    ts = _tensor_list("cat", tensors)
    if any(t.ndim == 0 for t in ts):
        i = next(i for i, t in enumerate(ts) if t.ndim == 0)
        raise ValueError(f"cat: tensor {i} is 0-d and cannot be concatenated (use stack)")
    skip = tuple(t.shape == (0,) for t in ts)
    if all(skip):  # only (0,) tensors: PyTorch takes any int dim and gives (0,)
        _int_arg("cat", "dim", dim)
        return Cat.apply(*ts, dim=0, dtype=_join_dtype(ts))
    first = ts[skip.index(False)]  # the dim counts in the first tensor that is not skipped
    d = normalize_dim("cat", dim, first.ndim)
    return Cat.apply(*ts, dim=d, dtype=_join_dtype(ts), skip=skip if any(skip) else None)


def stack(tensors, dim: int = 0, *, axis=None) -> Tensor:
    """Join equal-shaped tensors along a new dimension ``dim`` (or ``axis``)."""
    if axis is not None:
        dim = dim_or_axis("stack", dim, axis, 0)
    ts = _tensor_list("stack", tensors)
    d = normalize_dim("stack", dim, ts[0].ndim + 1)
    return Stack.apply(*ts, dim=d, dtype=_join_dtype(ts))


def _narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    return Index.apply(x, index=(slice(None),) * dim + (slice(start, start + length),))


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """input's elements start..start+length-1 along ``dim`` (a view)."""
    x = as_tensor(input, "narrow")
    d = normalize_dim("narrow", dim, x.ndim)
    if x.ndim == 0:
        raise ValueError("narrow: cannot narrow a 0-d tensor")
    start, length = _int_arg("narrow", "start", start), _int_arg("narrow", "length", length)
    if length < 0:
        raise ValueError(f"narrow: length must be non-negative, got {length}")
    size = x.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"narrow: start {start} is out of range for dimension {d} of size "
                         f"{size} (input shape {x.shape})")
    start = start % size if start < 0 else start
    if start + length > size:
        raise ValueError(f"narrow: start ({start}) + length ({length}) exceeds dimension {d} "
                         f"of size {size} (input shape {x.shape})")
    return _narrow(x, d, start, length)


def split(tensor: Tensor, split_size_or_sections=None, dim: int = 0, *,
          split_size=None) -> tuple:
    """Split into pieces of ``split_size`` (the last may be smaller) or of the listed sizes;
    returns a tuple of views. ``split_size=`` is Tensor.split's name for the argument,
    ``split_size_or_sections=`` torch.split's; either is taken."""
    x = as_tensor(tensor, "split")
    sections = _split_sizes_argument(split_size_or_sections, split_size)
    if x.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor")
    d = normalize_dim("split", dim, x.ndim)
    size = x.shape[d]
    if not isinstance(sections, (list, tuple)):
        step = sections
        if step < 0 or (step == 0 and size != 0):
            raise ValueError(f"split: split_size must be positive, got {step} (dimension {d} "
                             f"of size {size})")
        sizes = [step] * (size // step) + [size % step] if step else [0]
        if len(sizes) > 1 and sizes[-1] == 0:
            sizes.pop()
    else:
        sizes = sections
        if any(s < 0 for s in sizes) or sum(sizes) != size:
            raise ValueError(f"split: split sizes {sizes} must be non-negative and sum to "
                             f"{size}, the size of dimension {d} (input shape {x.shape})")
    pieces, start = [], 0
    for s in sizes:
        pieces.append(_narrow(x, d, start, s))
        start += s
    return tuple(pieces)


def _split_sizes_argument(split_size_or_sections, split_size) -> int | list:
    """split's size argument, under either of its names: an int, or a list of ints."""
    if (split_size_or_sections is None) == (split_size is None):
        raise TypeError("split: pass the split size (an int or a list of ints) once, as "
                        "split_size_or_sections or split_size")
    value = split_size if split_size_or_sections is None else split_size_or_sections
    if isinstance(value, (list, tuple)):
        return [_int_arg("split", f"split_size_or_sections[{i}]", v)
                for i, v in enumerate(value)]
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    raise TypeError(f"split: argument 'split_size_or_sections' must be an int or a list of "
                    f"ints, got {type(value).__name__} {value!r}")


def chunk(input: Tensor, chunks: int, dim: int = 0, *, axis=None) -> tuple:
    """Split into ``chunks`` pieces of ceil(size / chunks) (fewer pieces when that divides
    the size into fewer), as PyTorch does; ``dim`` may be given as ``axis``."""
    if axis is not None:
        dim = dim_or_axis("chunk", dim, axis, 0)
    x = as_tensor(input, "chunk")
    chunks = _int_arg("chunk", "chunks", chunks)
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be greater than 0, got {chunks}")
    if x.ndim == 0:
        raise ValueError("chunk: cannot chunk a 0-d tensor")
    d = normalize_dim("chunk", dim, x.ndim)
    size = x.shape[d]
    if size == 0:
        return split(x, [0] * chunks, d)
    return split(x, -(-size // chunks), d)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dimensions: ``pad = (left, right, top, bottom, front, back)`` starts from
    the last dimension. Negative amounts crop. Modes: "constant" (fill with ``value``,
    default 0), "reflect", "replicate", "circular". Unlike PyTorch, the non-constant modes
    accept any number of padded dimensions, and any input rank."""
    x = as_tensor(input, "pad")
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(map(repr, PAD_MODES))}; "
                         f"got {mode!r}")
    if not isinstance(pad, (list, tuple, np.ndarray)):
        raise TypeError(f"pad: argument 'pad' must be a tuple of ints, got "
                        f"{type(pad).__name__} {pad!r}")
    amounts = [_int_arg("pad", f"pad[{i}]", p) for i, p in enumerate(pad)]
    shape = x.shape
    if len(amounts) % 2 or len(amounts) > 2 * len(shape):
        raise ValueError(f"pad: pad {tuple(amounts)} must have an even length of at most "
                         f"{2 * len(shape)} (twice the dimensions of input shape {shape})")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: mode {mode!r} does not take a value (got {value!r})")
    k = len(amounts) // 2
    pads = [(0, 0)] * (len(shape) - k) + [(amounts[2 * i], amounts[2 * i + 1])
                                           for i in range(k - 1, -1, -1)]
    for d, (n, (lo, hi)) in enumerate(zip(shape, pads, strict=True)):
        if max(-lo, 0) + max(-hi, 0) > n:
            raise ValueError(f"pad: padding ({lo}, {hi}) of dimension {d} (size {n}) crops "
                             f"more than the dimension holds (input shape {shape})")
    if mode == "constant":
        return Pad.apply(x, pads=pads, value=0 if value is None else value)
    maps = {d: _pad_map(mode, n, lo, hi, d, shape)
            for d, (n, (lo, hi)) in enumerate(zip(shape, pads, strict=True)) if lo or hi}
    if not maps:
        return Reshape.apply(x, shape=shape, op="pad")
    return Pad.apply(x, pads=pads, mode=mode, maps=maps)
