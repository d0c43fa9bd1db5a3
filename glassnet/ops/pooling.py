"""Pooling over images (NCHW): ``max_pool2d``, ``avg_pool2d`` and ``adaptive_avg_pool2d``.

A pooling window of kh x kw pixels slides over each channel with a stride, after padding the
border. Every output pixel summarises one window: its largest value (max) or its mean (avg).
The windows are read through one strided *view* of the (padded) input, shaped
(N, C, out_h, out_w, kh, kw) and never copied; the work is a loop over the kh*kw kernel
offsets, each step touching every window at once.

Output size along one dimension (PyTorch's formula, ``//`` rounding down)::

    out = (size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil_mode else 0))
          // stride + 1

and with ``ceil_mode`` the last window must start inside the input or the left padding, so
``out`` drops by one when ``(out - 1) * stride >= size + pad``.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from glassnet.autograd.function import Function
from glassnet.autograd.grad_mode import is_grad_enabled
from glassnet.ops._util import CheckedArguments, as_tensor, check_float
from glassnet.ops.elementwise import cast
from glassnet.ops.row_blas import copy_rows_, copy_transposed_
from glassnet.tensor import Tensor

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]


class Geometry(NamedTuple):
    """Where the windows of a 2-D pooling lie: kernel (kh, kw), stride (sh, sw), padding
    (ph, pw), dilation (dh, dw) and the output size (oh, ow) on an (H, W) input."""

    kh: int
    kw: int
    sh: int
    sw: int
    ph: int
    pw: int
    dh: int
    dw: int
    oh: int
    ow: int


# --------------------------------------------------------------------- argument checks
def _pair(op: str, arg: str, value, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (>= ``minimum``) as a pair, or a clear error."""
    pair = (value, value) if isinstance(value, (numbers.Integral, np.integer)) else value
    if isinstance(pair, (tuple, list)) and len(pair) == 1:  # (k,) means (k, k), as in torch
        pair = (pair[0], pair[0])
    ok = (isinstance(pair, (tuple, list)) and len(pair) == 2
          and all(isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)
                  for v in pair))
    if not ok or isinstance(value, bool):
        raise TypeError(f"{op}: argument '{arg}' must be an int or a pair of ints, got "
                        f"{value!r}")
    if min(pair) < minimum:
        what = "non-negative" if minimum == 0 else "positive"
        raise ValueError(f"{op}: argument '{arg}' must be {what}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size along one dimension (see the module docstring)."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window would start inside the right padding
    return out


def _image_input(op: str, input) -> Tensor:
    x = as_tensor(input, op)
    check_float(op, "input", x)
    shape = x.shape
    if x.ndim not in (3, 4) or 0 in shape[-3:]:
        raise ValueError(f"{op}: input must be 3-D (C, H, W) or 4-D (N, C, H, W) with non-zero "
                         f"C, H and W, got shape {shape}")
    return x


_GEOMETRIES = CheckedArguments()  # a layer's geometry, checked once per input shape


def _geometry(op: str, shape: tuple, kernel_size, stride, padding, dilation,
              ceil_mode: bool) -> Geometry:
    """Check the pooling arguments against the input's shape; say what is wrong and why.
    (Remembered for plain arguments: ~20 us a call otherwise.)"""
    key = _GEOMETRIES.key(op, shape, kernel_size, stride, padding, dilation, ceil_mode)
    geometry = _GEOMETRIES.results.get(key)
    if geometry is None:
        geometry = _GEOMETRIES.store(key, _checked_geometry(
            op, shape, kernel_size, stride, padding, dilation, ceil_mode))
    return geometry


def _checked_geometry(op: str, shape: tuple, kernel_size, stride, padding, dilation,
                      ceil_mode: bool) -> Geometry:
    """``_geometry`` without the memo."""
    kh, kw = _pair(op, "kernel_size", kernel_size, 1)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    sh, sw = (kh, kw) if no_stride else _pair(op, "stride", stride, 1)
    ph, pw = _pair(op, "padding", padding, 0)
    dh, dw = _pair(op, "dilation", dilation, 1)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{op}: padding {(ph, pw)} must be at most half the kernel size "
                         f"{(kh, kw)} (padding <= kernel_size // 2 in each dimension)")
    H, W = shape[-2:]  # noqa: N806
    oh = _out_size(H, kh, sh, ph, dh, ceil_mode)
    ow = _out_size(W, kw, sw, pw, dw, ceil_mode)
    if oh < 1 or ow < 1:
        dil = f", dilation {(dh, dw)}" if (dh, dw) != (1, 1) else ""
        raise ValueError(
            f"{op}: kernel_size {(kh, kw)}{dil} is larger than the padded input "
            f"{(H + 2 * ph, W + 2 * pw)} (input shape {shape}, padding {(ph, pw)}); the "
            f"output would be {oh}x{ow}")
    for dim, size, o, k, st, p, d in (("height", H, oh, kh, sh, ph, dh),
                                      ("width", W, ow, kw, sw, pw, dw)):
        start = np.arange(o) * st - p
        first = start + (-(-np.maximum(-start, 0) // d)) * d  # first row/col at or after 0
        empty = (first > start + (k - 1) * d) | (first >= size)
        if empty.any():
            # Only dilation can do this; PyTorch returns -inf there, an index outside the
            # plane, and sends that window's gradient into the next channel.
            raise ValueError(
                f"{op}: with kernel_size {(kh, kw)}, dilation {(dh, dw)} and padding "
                f"{(ph, pw)}, the window at output {dim} position {int(np.argmax(empty))} "
                f"covers only padding (input shape {shape}); use less padding or dilation")
    return Geometry(kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)


# --------------------------------------------------------------------- windows
def _padded_shape(shape: tuple, g: Geometry) -> tuple | None:
    """Shape of the (N, C, H, W) input padded by ``ph``/``pw`` before and, after, as far as
    the windows reach (ceil_mode may hang a window over the right padding); None when the
    windows stay inside the input."""
    N, C, H, W = shape  # noqa: N806
    need_h = (g.oh - 1) * g.sh + g.dh * (g.kh - 1) + 1  # rows the windows span
    need_w = (g.ow - 1) * g.sw + g.dw * (g.kw - 1) + 1
    if g.ph == g.pw == 0 and need_h <= H and need_w <= W:
        return None
    return N, C, max(need_h, g.ph + H), max(need_w, g.pw + W)


def _padded(x: np.ndarray, g: Geometry, fill: float) -> np.ndarray:
    """x (N, C, H, W) padded with ``fill`` (see ``_padded_shape``); x itself if need not."""
    shape = _padded_shape(x.shape, g)
    if shape is None:
        return x
    out = np.full(shape, fill, dtype=x.dtype)
    out[:, :, g.ph:g.ph + x.shape[2], g.pw:g.pw + x.shape[3]] = x
    return out


def _windows(xp: np.ndarray, g: Geometry, writeable: bool = False) -> np.ndarray:
    """The (N, C, oh, ow, kh, kw) view of every window of xp; no copy."""
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(xp, (xp.shape[0], xp.shape[1], g.oh, g.ow, g.kh, g.kw),
                      (s_n, s_c, g.sh * s_h, g.sw * s_w, g.dh * s_h, g.dw * s_w),
                      writeable=writeable)


def _overlap(g: Geometry) -> bool:
    """Whether two windows can share an input pixel (their gradients must then add)."""
    return g.sh < g.dh * (g.kh - 1) + 1 or g.sw < g.dw * (g.kw - 1) + 1


def _first_valid(g: Geometry) -> np.ndarray:
    """(oh, ow) kernel offset of each window's first pixel inside the input (not padding):
    where PyTorch starts its search, and so the answer when the window holds only -inf."""
    fi = -(-np.maximum(g.ph - np.arange(g.oh) * g.sh, 0) // g.dh)  # ceil division
    fj = -(-np.maximum(g.pw - np.arange(g.ow) * g.sw, 0) // g.dw)
    return fi[:, None] * g.kw + fj[None, :]


def _flat_indices(offset: np.ndarray, g: Geometry, W: int) -> np.ndarray:  # noqa: N803
    """Kernel offsets k = i * kw + j of the winners -> flat indices into each H*W plane:
    row = oh * sh - ph + i * dh, col = ow * sw - pw + j * dw, index = row * W + col."""
    return _window_corners(g, W) + _window_steps(offset, g, W)  # (N, C, oh, ow) int64


def _window_corners(g: Geometry, W: int) -> np.ndarray:  # noqa: N803
    """(oh, ow) int64: the flat index, in a row-major plane of width W, of each window's
    top-left corner (padding included: it may be negative)."""
    return ((np.arange(g.oh) * g.sh - g.ph) * W)[:, None] + (np.arange(g.ow) * g.sw - g.pw)


def _window_steps(offset: np.ndarray, g: Geometry, W: int) -> np.ndarray:  # noqa: N803
    """How far each kernel offset k = i * kw + j lands from its window's start in a
    row-major plane of width W: i * dh * W + j * dw, same shape as ``offset``.

    With i = k // kw and j = k - i * kw that is (k // kw) * (dh * W - kw * dw) + k * dw:
    a floor division and two in-place passes over ``offset``'s small integers (integer
    remainder and divmod are ~40x slower in NumPy), in the narrowest signed type that
    holds every intermediate (int8 for small kernels on small images). Widening the result
    and adding the int64 window starts is then cheaper than looking the steps up in an
    int64 table (``take``: 0.16 against 0.33 ms for the (64, 32, 13, 13) winners of the
    MNIST CNN's first pooling).
    """
    bound = g.kh * g.kw * (g.dh * W + g.kw * g.dw)  # above |i * coefficient| + k * dw
    dtype = np.promote_types(offset.dtype, np.min_scalar_type(-bound))
    k = offset.astype(dtype, copy=False)
    steps = k // g.kw  # i, a new array
    steps *= g.dh * W - g.kw * g.dw
    steps += k if g.dw == 1 else k * g.dw
    return steps


_starts_cache: dict[tuple, np.ndarray] = {}


def _window_starts(g: Geometry, shape: tuple) -> np.ndarray:
    """(N, C, oh, ow) int64, read-only: the flat index into the whole (N, C, H, W) input of
    each window's top-left corner (padding included). The same for every batch of a
    training run, so it is kept (a few entries, a few MB): building it was a third of the
    backward's index arithmetic (0.56 -> 0.32 ms on a (64, 32, 26, 26) input)."""
    key = (g, shape)
    starts = _starts_cache.get(key)
    if starts is None:
        N, C, H, W = shape  # noqa: N806
        plane = (np.arange(N * C, dtype=np.int64) * (H * W)).reshape(N, C, 1, 1)
        starts = plane + _window_corners(g, W)
        starts.flags.writeable = False
        if len(_starts_cache) >= 8:  # e.g. a last, smaller batch and an evaluation size
            _starts_cache.clear()
        _starts_cache[key] = starts
    return starts


# --------------------------------------------------------------------- max pooling
class MaxPool2d(Function):
    """max_pool2d: each output pixel is the largest value of its window.

        out[n, c, y, x] = max over (i, j) of xpad[n, c, y*sh + i*dh, x*sw + j*dw]

    with xpad the input padded with -inf (padding never wins). The gradient flows only to
    the winner: d/dx = grad at the argmax of each window, added up where windows overlap.
    Ties go to the first maximum in window order (row by row), a NaN wins as soon as it is
    seen (the last NaN of a window), and a window of only -inf picks its first pixel inside
    the input: PyTorch's CPU rules.

    ``apply`` returns one array; with ``indices_out`` (a list) the winners' flat indices
    into each H*W plane (int64, what ``return_indices`` gives) are appended to it. With
    ``find_indices=False`` (no backward will run) only the values are computed.

    Shape: input (N, C, H, W) or (C, H, W), output (N, C, oh, ow) or (C, oh, ow).
    """

    @staticmethod
    def forward(ctx, x, geometry: Geometry, find_indices: bool = True,
                indices_out: list | None = None):
        g = geometry
        x4 = x if x.ndim == 4 else x[None]  # (N, C, H, W)
        win = _windows(_padded(x4, g, -np.inf), g)  # (N, C, oh, ow, kh, kw) view
        taps = _tiled_taps(x4, g)  # (kh*kw, N, C, oh, ow) copies, where windows tile x
        if not find_indices:  # no backward and no indices wanted: the values alone
            best = (win[..., 0, 0] if taps is None else taps[0]).copy()
            for k in range(1, g.kh * g.kw):
                tap = win[..., k // g.kw, k % g.kw] if taps is None else taps[k]
                _keep_max(best, tap)  # NaN propagates; a tie keeps best
            return best if x.ndim == 4 else best[0]
        best, offset = _max_and_offset(win, g, taps)
        ctx.offset, ctx.g, ctx.x_shape = offset, g, x.shape
        if indices_out is not None:
            idx = _flat_indices(offset, g, x4.shape[3])
            indices_out.append(idx if x.ndim == 4 else idx[0])
        return best if x.ndim == 4 else best[0]

    @staticmethod
    def backward(ctx, grad):
        g, x_shape = ctx.g, ctx.x_shape
        N, C, H, W = x_shape if len(x_shape) == 4 else (1, *x_shape)  # noqa: N806
        # indices into the whole flat input: the winners' steps widened to int64 (a vector
        # cast; an add of mixed types casts in buffers: 0.20 against 0.17 ms), plus the
        # window starts
        flat = _window_steps(ctx.offset, g, W).astype(np.int64)
        flat += _window_starts(g, (N, C, H, W))
        flat = flat.ravel()
        # One scatter on flat indices. Measured on (64, 32, 26, 26): as fast as a loop over
        # kernel offsets for 2x2/2 (~1 ms) and ~2.5x faster for overlapping 3x3/1.
        grad_x = np.zeros(x_shape, dtype=grad.dtype)
        flat_x = grad_x.reshape(-1)  # a view: writes land in grad_x
        if _overlap(g):
            np.add.at(flat_x, flat, grad.ravel())  # one pixel may win several windows
        else:
            flat_x[flat] = grad.ravel()  # every pixel belongs to at most one window
        return grad_x  # owns its memory (the engine would copy a view for a leaf's .grad)


def _tiled_taps(x: np.ndarray, g: Geometry) -> np.ndarray | None:
    """taps[i*kw + j, n, c, y, x] = x[n, c, y*kh + i, x*kw + j], each tap contiguous, when
    the windows tile x (stride = kernel, no padding or dilation: the 2x2 pooling of every
    LeNet-style network; a last row or column that floor mode leaves out is skipped);
    None otherwise.

    Every window's taps are read through strided views otherwise, with a NumPy loop per
    row of the output (13 values in the MNIST CNN's first pooling). Here, for each window
    row i, the image rows y*kh + i are copied out whole (``copy_rows_``: rows of W values),
    and that block, seen as rows of kw values, is transposed (``copy_transposed_``: column
    j of every window in one array, which is tap (i, j)). For a (64, 32, 26, 26) float32
    input: 0.37 ms, against 0.43 ms for one transposition of all of x followed by kh*kw
    copies of rows of ow values, and 0.66 ms for NumPy's strided copies.
    """
    n, c, h, w = x.shape
    if (g.ph or g.pw or g.dh != 1 or g.dw != 1 or g.sh != g.kh or g.sw != g.kw
            or g.kh * g.kw < 2 or g.oh * g.kh > h or g.ow * g.kw > w  # (ceil mode overhang)
            or not x.flags.c_contiguous or x.dtype not in (np.float32, np.float64)):
        return None
    rows = n * c * g.oh  # one per row of windows
    used = g.oh * g.kh  # image rows the windows cover (floor mode may leave the last out)
    if used != h:  # those rows of each image, as one block: one copy of runs of used*w
        block = np.empty((n * c, used * w), dtype=x.dtype)
        copy_rows_(block, x.reshape(n * c, h * w)[:, :used * w])
        x = block
    by_window_row = x.reshape(rows, g.kh, w)[:, :, :g.ow * g.kw]
    w = g.ow * g.kw
    taps = np.empty((g.kh * g.kw, n, c, g.oh, g.ow), dtype=x.dtype)
    image_rows = np.empty((rows, w), dtype=x.dtype)  # window row i of every window
    for i in range(g.kh):
        copy_rows_(image_rows, by_window_row[:, i, :])
        copy_transposed_(taps[i * g.kw:(i + 1) * g.kw].reshape(g.kw, rows * g.ow),
                         image_rows.reshape(rows * g.ow, g.kw))
    return taps


@functools.cache
def _second_wins_ties(dtype: np.dtype) -> bool:
    """Whether ``np.maximum(a, b)`` returns b where a == b, for this dtype: on x86 its
    float32 and float64 loops do (the SIMD max instruction's rule), its float16 loop
    returns a. Seen on 0.0 against -0.0, the one tie whose two sides differ, over a length
    that covers the vector loop and its scalar tail."""
    zeros = np.zeros(67, dtype=dtype)
    signs = np.signbit(np.maximum(zeros, -zeros))
    return bool(signs.all())


def _keep_max(best: np.ndarray, v: np.ndarray) -> None:
    """best = max(best, v) in place, NaN propagating, a tie keeping best's value (so that
    the first of -0.0 and 0.0 wins, as in PyTorch, which replaces only on v > best)."""
    if _second_wins_ties(best.dtype):
        np.maximum(v, best, out=best)
    else:
        np.maximum(best, v, out=best)


def _max_and_offset(win: np.ndarray, g: Geometry,
                    taps: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each window's largest value and its kernel offset k = i * kw + j (a small int).

    A loop over kernel offsets with branchless updates (a random boolean mask in
    np.copyto/np.where costs ~10x more): best = max(best, v), and the offset moves to k
    exactly where v > best strictly, which keeps the first maximum on ties. ``taps`` (from
    ``_tiled_taps``) holds every offset's values already copied out of ``win``.
    """
    k_total = g.kh * g.kw
    offset_dtype = np.int8 if k_total <= 127 else np.int32
    shape = win.shape[:4]
    if taps is not None and offset_dtype is np.int8:
        return _max_and_offset_of_taps(win, g, taps)
    if g.ph == g.pw == 0:
        first = win[..., 0, 0] if taps is None else taps[0]
        best, offset, start = first.copy(), np.zeros(shape, offset_dtype), 1
    else:  # windows may begin in the padding: start from each window's first real pixel
        best = np.full(shape, -np.inf, dtype=win.dtype)
        offset = np.broadcast_to(_first_valid(g).astype(offset_dtype), shape).copy()
        start = 0
    v = np.empty(shape, win.dtype) if taps is None else None
    won = np.empty(shape, bool)
    step = np.empty(shape, offset_dtype)
    for k in range(start, k_total):
        if taps is None:
            np.copyto(v, win[..., k // g.kw, k % g.kw])  # strided read once, then contiguous
        else:
            v = taps[k]
        np.greater(v, best, out=won)
        _keep_max(best, v)  # propagates NaN, as PyTorch does; a tie keeps best
        np.subtract(offset_dtype(k), offset, out=step)
        # (bool as int8 is a free view; a wider offset type, for kernels of more than 127
        # taps, multiplies by the bool itself)
        step *= won.view(offset_dtype) if offset_dtype is np.int8 else won
        offset += step  # offset = k where won, unchanged elsewhere
    if np.isnan(best).any():  # rare: redo the search with PyTorch's "NaN wins" rule
        best = np.full(shape, -np.inf, dtype=win.dtype)
        offset = np.broadcast_to(_first_valid(g).astype(offset_dtype), shape).copy()
        for k in range(k_total):
            v = win[..., k // g.kw, k % g.kw]
            won = (v > best) | np.isnan(v)
            best = np.where(won, v, best)
            offset = np.where(won, offset_dtype(k), offset)
    return best, offset


def _max_and_offset_of_taps(win: np.ndarray, g: Geometry,
                            taps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_max_and_offset`` for contiguous taps (no padding, at most 127 of them): the maximum
    first, then the offset of the first tap equal to it, which is the first maximum.

    With ne[k] = (taps[k] != best) as 0/1, the first k where ne[k] is 0 is
    f[0] with f[K-1] = 0 and f[k] = ne[k] * (1 + f[k+1]) (every tap after the first equal
    one is multiplied away). That is one comparison and two byte passes per tap, where
    tracking the offset during the search takes a comparison and three byte passes.
    """
    # (propagates NaN, as PyTorch does; a tie keeps the earlier tap's value)
    second_wins = _second_wins_ties(taps.dtype)
    best = np.maximum(taps[1], taps[0]) if second_wins else np.maximum(taps[0], taps[1])
    for k in range(2, len(taps)):
        _keep_max(best, taps[k])
    if np.isnan(best).any():  # rare: PyTorch's "NaN wins" rule, in the general search
        return _max_and_offset(win, g, None)
    # f[K-2] = ne[K-2]; bool as int8 is a free view, and these bytes are only read as int8
    offset = np.not_equal(taps[-2], best).view(np.int8)
    ne = np.empty(best.shape, bool)
    for k in range(len(taps) - 3, -1, -1):
        np.not_equal(taps[k], best, out=ne)
        offset += 1
        offset *= ne.view(np.int8)
    return best, offset


# --------------------------------------------------------------------- average pooling
def _avg_divisor(g: Geometry, H: int, W: int, count_include_pad: bool,  # noqa: N803
                 divisor_override) -> np.ndarray | int:
    """What each window's sum is divided by, (oh, ow), with PyTorch's rules: the window
    clipped to the padded input (padding counts, a ceil_mode overhang beyond it does not);
    without ``count_include_pad`` the window clipped to the input itself."""
    if divisor_override is not None:
        return divisor_override

    def sizes(o, s, p, k, n):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        return end - start, np.minimum(end, n) - np.maximum(start, 0)

    pool_h, valid_h = sizes(g.oh, g.sh, g.ph, g.kh, H)
    pool_w, valid_w = sizes(g.ow, g.sw, g.pw, g.kw, W)
    if count_include_pad:
        return pool_h[:, None] * pool_w[None, :]
    return valid_h[:, None] * valid_w[None, :]


class AvgPool2d(Function):
    """avg_pool2d: each output pixel is the sum of its window divided by ``divisor``.

        out[n, c, y, x] = sum over (i, j) of xpad[n, c, y*sh + i, x*sw + j] / divisor[y, x]

    with xpad the input padded with zeros; the divisor (see ``_avg_divisor``) is the window
    size, the part inside the input (``count_include_pad=False``) or ``divisor_override``.
    d/dx: every pixel of a window receives grad / divisor, added up where windows overlap.

    Shape: input (N, C, H, W) or (C, H, W), output (N, C, oh, ow) or (C, oh, ow).
    """

    @staticmethod
    def forward(ctx, x, geometry: Geometry, count_include_pad: bool = True,
                divisor_override=None):
        g = geometry
        x4 = x if x.ndim == 4 else x[None]
        win = _windows(_padded(x4, g, 0), g)  # (N, C, oh, ow, kh, kw) view
        out = win[..., 0, 0].copy()
        for k in range(1, g.kh * g.kw):
            out += win[..., k // g.kw, k % g.kw]
        divisor = _avg_divisor(g, x4.shape[2], x4.shape[3], count_include_pad,
                               divisor_override)
        out /= np.asarray(divisor, dtype=x.dtype)
        ctx.g, ctx.x_shape, ctx.divisor = g, x.shape, divisor
        return out if x.ndim == 4 else out[0]

    @staticmethod
    def backward(ctx, grad):
        g, x_shape = ctx.g, ctx.x_shape
        x4_shape = x_shape if len(x_shape) == 4 else (1, *x_shape)
        N, C, H, W = x4_shape  # noqa: N806
        share = grad.reshape(N, C, g.oh, g.ow) / np.asarray(ctx.divisor, dtype=grad.dtype)
        padded = np.zeros(_padded_shape(x4_shape, g) or x4_shape, grad.dtype)
        grad_win = _windows(padded, g, writeable=True)
        overlap = _overlap(g)
        for k in range(g.kh * g.kw):
            view = grad_win[..., k // g.kw, k % g.kw]
            if overlap:
                view += share
            else:
                view[...] = share
        if padded.shape != x4_shape:  # crop the padding (a copy that owns its memory)
            padded = np.ascontiguousarray(padded[:, :, g.ph:g.ph + H, g.pw:g.pw + W])
        return padded if len(x_shape) == 4 else padded[0]


# --------------------------------------------------------------------- adaptive pooling
def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i is 1/len on PyTorch's window
    start = floor(i * size / out), end = ceil((i + 1) * size / out) and 0 elsewhere."""
    i = np.arange(out)
    start = (i * size) // out
    end = -(-((i + 1) * size) // out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2d(Function):
    """adaptive_avg_pool2d: the output size is fixed; windows adapt (and may overlap).

    Output row i averages input rows floor(i*H/oh) .. ceil((i+1)*H/oh) - 1, and likewise
    for columns. The mean over a rectangle is separable, so with A_h (oh, H) and A_w (ow, W)
    the averaging matrices (1/len on each window):

        out = A_h @ x @ A_w^T          d/dx = A_h^T @ grad @ A_w

    Global pooling (output 1x1) is a plain mean: out = mean(x), d/dx = grad / (H*W).

    Shape: input (N, C, H, W) or (C, H, W), output (N, C, oh, ow) or (C, oh, ow).
    """

    @staticmethod
    def forward(ctx, x, output_size: tuple[int, int]):
        *lead, H, W = x.shape  # noqa: N806
        oh, ow = output_size
        a_h = _adaptive_matrix(H, oh, x.dtype)
        a_w = _adaptive_matrix(W, ow, x.dtype)
        B = math.prod(lead)  # noqa: N806  (N*C images)
        ctx.a_h, ctx.a_w, ctx.x_shape = a_h, a_w, x.shape
        if oh == ow == 1 and H * W > 0:  # global average pooling: one matrix-vector product
            out = x.reshape(B, H * W) @ np.full(H * W, 1 / (H * W), dtype=x.dtype)
            return out.reshape(*lead, 1, 1)
        # Two GEMMs over the whole batch, not B small products:
        rows = x.reshape(B * H, W) @ a_w.T  # (B*H, ow): x @ A_w^T for every row of every image
        rows = rows.reshape(B, H, ow).transpose(1, 0, 2).reshape(H, B * ow)  # small copy
        out = (a_h @ rows).reshape(oh, B, ow).transpose(1, 0, 2)  # (B, oh, ow)
        return np.ascontiguousarray(out).reshape(*lead, oh, ow)

    @staticmethod
    def backward(ctx, grad):
        *lead, H, W = ctx.x_shape  # noqa: N806
        oh, ow = ctx.a_h.shape[0], ctx.a_w.shape[0]
        B = math.prod(lead)  # noqa: N806
        if oh == ow == 1 and H * W > 0:  # global: every pixel gets grad / (H*W)
            grad_x = np.empty(ctx.x_shape, dtype=grad.dtype)
            grad_x.reshape(B, H * W)[...] = grad.reshape(B, 1) / (H * W)
            return grad_x
        # The small step first (A_h^T @ grad, on the (B, oh, ow) gradient), then one GEMM
        # that writes d/dx straight into its (B*H, W) layout.
        g = grad.reshape(B, oh, ow).transpose(1, 0, 2).reshape(oh, B * ow)  # small copy
        rows = (ctx.a_h.T @ g).reshape(H, B, ow).transpose(1, 0, 2).reshape(B * H, ow)
        grad_x = np.empty(ctx.x_shape, dtype=grad.dtype)
        np.matmul(rows, ctx.a_w, out=grad_x.reshape(B * H, W))  # (B*H, W)
        return grad_x


# --------------------------------------------------------------------- public functions
def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max pooling over (N, C, H, W) or (C, H, W) images; see ``MaxPool2d``.

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel) is -inf;
    with ``return_indices`` also returns each winner's flat index into its H*W plane.
    """
    x = _image_input("max_pool2d", input)
    g = _geometry("max_pool2d", x.shape, kernel_size, stride, padding, dilation,
                  bool(ceil_mode))
    if not return_indices:
        # The winners' positions are only needed for the backward pass.
        return MaxPool2d.apply(x, geometry=g,
                               find_indices=x.requires_grad and is_grad_enabled())
    indices: list = []
    out = MaxPool2d.apply(x, geometry=g, indices_out=indices)
    return out, Tensor._make(indices[0], False, None)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Average pooling over (N, C, H, W) or (C, H, W) images; see ``AvgPool2d``."""
    x = _image_input("avg_pool2d", input)
    g = _geometry("avg_pool2d", x.shape, kernel_size, stride, padding, 1, bool(ceil_mode))
    if divisor_override is not None:
        if (isinstance(divisor_override, bool)
                or not isinstance(divisor_override, (numbers.Integral, np.integer))
                or divisor_override == 0):
            raise ValueError(f"avg_pool2d: argument 'divisor_override' must be a non-zero int "
                             f"or None, got {divisor_override!r}")
        divisor_override = int(divisor_override)
    if x.dtype == np.float16:  # sum in float32, as PyTorch does: float16 overflows at 65504
        out = AvgPool2d.apply(cast(x, np.float32), geometry=g,
                              count_include_pad=bool(count_include_pad),
                              divisor_override=divisor_override)
        return cast(out, np.float16)
    return AvgPool2d.apply(x, geometry=g, count_include_pad=bool(count_include_pad),
                           divisor_override=divisor_override)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed ``output_size`` (int or pair; None keeps that dimension)
    over (N, C, H, W) or (C, H, W) images; see ``AdaptiveAvgPool2d``."""
    x = _image_input("adaptive_avg_pool2d", input)
    size = _output_size("adaptive_avg_pool2d", output_size)
    size = tuple(x.shape[-2 + i] if s is None else s for i, s in enumerate(size))
    return AdaptiveAvgPool2d.apply(x, output_size=size)


def _output_size(op: str, output_size) -> tuple:
    """``output_size`` as a pair of non-negative ints or None (keep that dimension)."""
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) \
        else (output_size, output_size)
    if len(size) != 2 or not all(
            s is None or (isinstance(s, (numbers.Integral, np.integer))
                          and not isinstance(s, bool) and s >= 0) for s in size):
        raise ValueError(f"{op}: argument 'output_size' must be a non-negative int or a pair "
                         f"of them (None keeps that dimension), got {output_size!r}")
    return tuple(None if s is None else int(s) for s in size)
