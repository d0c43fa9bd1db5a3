"""Convolution: ``conv2d`` and ``conv1d`` (cross-correlation, as in PyTorch), one fused node.

A 2-D convolution slides a (kh, kw) kernel over the zero-padded input; every output pixel is
a dot product of the kernel with the window under it:

    out[n, o, y, x] = b[o] + sum_cij W[o, c, i, j] * xp[n, g*Cg + c, y*sh + i*dh, x*sw + j*dw]

with g = o // (C_out / groups) the group of output channel o and Cg = C_in / groups the
channels each group reads. Lowered to one matrix product ("im2col"): copy every window into a
column of ``cols`` (K = kh*kw*Cg rows, one column per output pixel), and

    out = W (C_out, K) @ cols (K, N*H_out*W_out)          per group, batched over groups

The gradients are the two other products of the same three matrices, plus a scatter:

    dW    = grad @ cols^T                                  (C_out, K)
    dcols = W^T @ grad                                     (K, N*H_out*W_out)
    dx    = col2im(dcols): each column added back to the window it was copied from
    db    = grad summed over N, H_out, W_out

How the copies are made fast (NumPy copies and adds long runs quickly, but walks a matrix of
short rows one row at a time, with ~25 ns of bookkeeping per row):

* im2col in two stages. A kh x kw window is kw taps along a row, then kh rows of those taps:
  stage 1 copies the kw horizontally shifted images ``taps[j] = xp[..., j*dw + sw*x]`` (with
  stride 1, one (N*C*Hp, W_out) matrix of short rows per tap, which OpenBLAS's omatcopy
  copies in C: ``row_blas``), stage 2 copies kh row ranges of each into ``cols`` (runs of a
  whole H_out*W_out image when the stride is 1).
* col2im in the same two stages backwards. With stride 1 each stage is "sum of k shifted
  copies", and part t of every image lands as one run at offset t*dilation: k row-strided
  adds (OpenBLAS's geadd: 0.30 against 0.83 ms for the MNIST CNN's second convolution).
* The rows of ``cols`` are ordered (i, j, c), tap-major, so that col2im's first stage reads
  ``dcols`` in the order it is stored (the weight is viewed the same way, a tiny copy).
* The bias rides along as an extra row of ones in ``cols`` (W's last column is b), so the
  product adds it and dW's last column is db.
* dcols is written over ``cols`` once dW has read it, when the engine frees the node right
  after this backward (no ``retain_graph``): that memory is still in cache, fresh memory is
  not (0.5 ms a step on the MNIST CNN).
* Layout of the product. With few rows (K < 64, e.g. a first layer on 1 or 3 channels) the
  product is memory-bound: ``cols`` is kept per image, (N, K+1, P), so that W @ cols comes
  out in NCHW order with no transposing pass. With many rows one large GEMM over the
  batch-folded (K+1, N*P) matrix is faster, and its output is transposed to NCHW in one pass.
  Per image, dW is a sum of one small product per image: ``small_products`` adds them up
  in place through OpenBLAS's AVX-512 small-matrix kernel where there is one (0.60 -> 0.40
  ms for the MNIST CNN's first layer).

``conv1d`` is the same op with a unit height: (N, C, L) is viewed as (N, C, 1, L).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from glassnet.autograd.function import Function
from glassnet.ops._util import CheckedArguments, as_tensor
from glassnet.ops.row_blas import add_rows_, copy_rows_
from glassnet.ops.small_products import sum_of_products_nt
from glassnet.tensor import Tensor

__all__ = ["conv1d", "conv2d"]

# Below this many rows in cols (kh*kw*C_in/groups) the product is kept per image; see above.
PER_IMAGE_MAX_ROWS = 64


class Conv2d(Function):
    """out = W * x + b (2-D cross-correlation), with stride, padding, dilation and groups.

    Shape: input (N, C_in, H, W), weight (C_out, C_in/groups, kh, kw), bias (C_out,),
    output (N, C_out, H_out, W_out) with H_out = (H + top + bottom - dh*(kh-1) - 1) // sh + 1
    (W_out alike). ``pads`` = (top, bottom, left, right); ``x4``/``w4`` are the 4-D shapes the
    arrays are viewed in (conv1d and unbatched inputs add unit dimensions).

    d/dW = grad @ cols^T, d/dx = col2im(W^T @ grad), d/db = sum of grad over N, H, W.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, pads, dilation, groups, x4, w4,
                out_shape):
        (sh, sw), (dh, dw), (top, bottom, left, right) = stride, dilation, pads
        n, c, h, w = x4
        c_out, cg, kh, kw = w4
        og, k = c_out // groups, kh * kw * cg
        ctx.x_shape, ctx.w_shape = x.shape, weight.shape
        x = x.reshape(x4)  # a view: only unit dimensions added
        if top or bottom or left or right:
            xp = np.zeros((n, c, h + top + bottom, w + left + right), dtype=x.dtype)
            xp[:, :, top:top + h, left:left + w] = x
        else:
            xp = x  # any strides: the view below reads them as they are
        hp, wp = xp.shape[2:]
        h_out, w_out = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
        p = h_out * w_out
        taps = _shifted_rows(xp, kw, dw, sw, w_out)  # stage 1: taps[j, c, n, y, x]
        t_j, t_c, t_n, t_h, t_w = taps.strides
        # Stage 2: cols[(i, j, c), n, y, x] = taps[j, c, n, i*dh + y*sh, x]. The weight is
        # viewed in the same (i, j, c) order: wk[g, o, (i, j, c)] = W[g*Og + o, c, i, j].
        wk = weight.reshape(groups, og, cg, kh, kw).transpose(0, 1, 3, 4, 2)
        rows = k + (bias is not None)  # a row of ones in cols carries the bias
        wmat = np.empty((groups, og, rows), dtype=weight.dtype)
        wmat[:, :, :k].reshape(groups, og, kh, kw, cg)[...] = wk
        if bias is not None:
            wmat[:, :, k] = bias.reshape(groups, og)  # W's last column is b
        per_image = k < PER_IMAGE_MAX_ROWS
        if per_image:
            cols = np.empty((n, groups, rows, p), dtype=x.dtype)
            np.copyto(cols[:, :, :k].reshape(n, groups, kh, kw, cg, h_out, w_out), as_strided(
                taps, (n, groups, kh, kw, cg, h_out, w_out),
                (t_n, cg * t_c, dh * t_h, t_j, t_c, sh * t_h, t_w), writeable=False))
            if bias is not None:
                cols[:, :, k] = 1
            out = np.matmul(wmat, cols).reshape(n, c_out, h_out, w_out)  # NCHW already
        else:
            cols = np.empty((groups, rows, n * p), dtype=x.dtype)
            np.copyto(cols[:, :k].reshape(groups, kh, kw, cg, n, h_out, w_out), as_strided(
                taps, (groups, kh, kw, cg, n, h_out, w_out),
                (cg * t_c, dh * t_h, t_j, t_c, t_n, sh * t_h, t_w), writeable=False))
            if bias is not None:
                cols[:, k] = 1
            prod = np.matmul(wmat, cols)  # (G, Og, N*P): one GEMM per group
            out = np.empty((n, c_out, h_out, w_out), dtype=prod.dtype)
            out[...] = prod.reshape(c_out, n, h_out, w_out).transpose(1, 0, 2, 3)
        del taps
        # dW reads cols, and so does db (the ones row), e.g. a frozen weight's bias.
        need_b = len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]
        ctx.cols = cols if ctx.needs_input_grad[1] or need_b else None
        ctx.wmat, ctx.per_image = wmat, per_image
        ctx.geometry = (stride, dilation, pads, groups, x4, w4, (hp, wp), (h_out, w_out))
        return out.reshape(out_shape)

    @staticmethod
    def backward(ctx, grad):
        need_x, need_w = ctx.needs_input_grad[:2]
        need_b = len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]
        stride, dilation, pads, groups, x4, w4, (hp, wp), (h_out, w_out) = ctx.geometry
        n, c, h, w = x4
        c_out, cg, kh, kw = w4
        og, k, p = c_out // groups, kh * kw * cg, h_out * w_out
        wmat = ctx.wmat
        grad_x = grad_w = grad_b = None
        if ctx.per_image:
            g = grad.reshape(n, groups, og, p)
            if need_w or need_b:
                # sum over images of g_n @ cols_n^T; its last column is db (the ones row)
                cols = ctx.cols
                gw = np.stack([sum_of_products_nt(g[:, i], cols[:, i])  # (G, Og, rows)
                               for i in range(groups)])
                grad_b = gw[:, :, k].reshape(c_out) if need_b else None
                gw = gw[:, :, :k]
            if need_x:
                dcols = np.matmul(wmat[:, :, :k].transpose(0, 2, 1), g,  # (N, G, K, P)
                                  out=_spent_cols(ctx, (slice(None), slice(None), slice(k))))
                dcols = dcols.reshape(n, groups, kh, kw, cg, h_out, w_out)
                dcols = dcols.transpose(2, 3, 1, 4, 0, 5, 6)  # (kh, kw, G, Cg, N, Ho, Wo)
        else:
            # grad as (C_out, N*P), the column order of cols: one transposing copy.
            g = np.empty((c_out, n, h_out, w_out), dtype=grad.dtype)
            g[...] = grad.reshape(n, c_out, h_out, w_out).transpose(1, 0, 2, 3)
            g = g.reshape(groups, og, n * p)
            if need_w or need_b:
                # (cols @ g^T)^T: BLAS is faster with the long N*P axis as the inner dimension;
                # its last column is db (the ones row)
                gw = np.matmul(ctx.cols, g.transpose(0, 2, 1)).transpose(0, 2, 1)  # (G, Og, rows)
                grad_b = gw[:, :, k].reshape(c_out) if need_b else None
                gw = gw[:, :, :k]
            if need_x:
                dcols = np.matmul(wmat[:, :, :k].transpose(0, 2, 1), g,  # (G, K, N*P)
                                  out=_spent_cols(ctx, (slice(None), slice(k))))
                dcols = dcols.reshape(groups, kh, kw, cg, n, h_out, w_out)
                dcols = dcols.transpose(1, 2, 0, 3, 4, 5, 6)  # (kh, kw, G, Cg, N, Ho, Wo)
        if need_w:  # (G, Og, (i, j, c)) back to PyTorch's (C_out, Cg, kh, kw)
            grad_w = np.ascontiguousarray(
                gw.reshape(groups, og, kh, kw, cg).transpose(0, 1, 4, 2, 3)).reshape(ctx.w_shape)
        if need_x:
            (sh, sw), (dh, dw), (top, _, left, _) = stride, dilation, pads
            # col2im, stage 2 backwards: the kh row ranges of each tap image summed back.
            dcols = dcols.reshape(kh, kw, c, n, h_out, w_out)
            taps = _overlap_add(dcols, dh, sh, hp)  # (kw, C, N, Hp, W_out)
            # stage 1 backwards: the kw shifted images summed back into one padded image.
            gxp = _overlap_add(taps[..., None], dw, sw, wp)[..., 0]  # (C, N, Hp, Wp)
            grad_x = np.ascontiguousarray(
                gxp[:, :, top:top + h, left:left + w].transpose(1, 0, 2, 3))
            grad_x = grad_x.reshape(ctx.x_shape)
        return grad_x, grad_w, grad_b


def _spent_cols(ctx, rows: tuple) -> np.ndarray | None:
    """Where backward may write dcols: the rows of ``cols`` without the ones row, once dW
    has read them and when the engine frees the node right after this backward (no
    ``retain_graph``); else None (a new array). The MNIST CNN's second convolution reads
    9 MB of cols for dW and writes 9 MB of dcols: into the memory dW just read, which is
    still in cache, its step takes 0.5 ms less than into fresh memory."""
    cols = ctx.cols
    # (not for a subclass: its backward may read cols after calling this one)
    if not ctx.last_backward or type(ctx) is not Conv2d or cols is None:
        return None
    # From here cols no longer holds what forward saved: should this backward be cut short
    # (an error, Ctrl-C), running the node again raises instead of using them.
    ctx._freed = True
    return cols[rows]


def _shifted_rows(xp: np.ndarray, kw: int, dw: int, sw: int, w_out: int) -> np.ndarray:
    """im2col's stage 1: taps[j, c, n, y, x] = xp[n, c, y, j*dw + x*sw], every row y.

    Shape: xp (N, C, Hp, Wp) -> taps (kw, C, N, Hp, W_out), a view of new memory. With a
    contiguous xp and stride 1, tap j is one (N*C*Hp, W_out) block of xp's rows, copied by
    OpenBLAS's omatcopy (2x NumPy's speed on rows this short), and its memory is laid out
    (kw, N, C, Hp, W_out); otherwise NumPy copies it in (kw, C, N, Hp, W_out) order. The
    callers read ``taps.strides``, so either order serves.
    """
    n, c, hp, wp = xp.shape
    if sw == 1 and xp.flags.c_contiguous:
        taps = np.empty((kw, n, c, hp, w_out), dtype=xp.dtype)
        rows = xp.reshape(n * c * hp, wp)
        for j in range(kw):
            copy_rows_(taps[j].reshape(n * c * hp, w_out), rows[:, j * dw:j * dw + w_out])
        return taps.transpose(0, 2, 1, 3, 4)
    s_n, s_c, s_h, s_w = xp.strides
    return np.ascontiguousarray(as_strided(
        xp, (kw, c, n, hp, w_out), (dw * s_w, s_c, s_n, s_h, sw * s_w), writeable=False))


def _overlap_add(parts: np.ndarray, dilation: int, stride: int, length: int) -> np.ndarray:
    """out[..., t*dilation + y*stride, :] = sum over t of parts[t, ..., y, :]; 0 elsewhere.

    Shape: parts (k, *mid, L_in, inner) -> out (*mid, length, inner). This is col2im along
    one axis: the k kernel taps each read L_in positions of a length-``length`` axis.

    With stride 1 part t of each of the prod(mid) blocks is one run of L_in*inner values
    landing at offset t*dilation*inner of the block's length*inner: part 0 is copied to the
    front (``copy_rows_``), the rest of each block is zeroed, and parts 1.. are added as
    row-strided adds (``add_rows_``; OpenBLAS's omatcopy and geadd where they can), which
    writes the output once less than zeroing all of it first. Otherwise, strided slice adds.
    """
    k, l_in, inner = parts.shape[0], parts.shape[-2], parts.shape[-1]
    mid = parts.shape[1:-2]
    if stride == 1:
        blocks = math.prod(mid)
        run = l_in * inner  # part t of one block lands as one run at offset t*dilation*inner
        width = length * inner
        out = np.empty((*mid, length, inner), dtype=parts.dtype)
        out_rows = out.reshape(blocks, width)
        # (where nothing else lands, a -0.0 of part 0 stays -0.0: a sum into zeros would
        # give 0.0; the two compare equal)
        copy_rows_(out_rows[:, :run], parts[0].reshape(blocks, run))
        if width > run:  # the tail no part 0 reaches
            copy_rows_(out_rows[:, run:], np.zeros((blocks, width - run), dtype=out.dtype))
        for t in range(1, k):
            start = t * dilation * inner
            add_rows_(out_rows[:, start:start + run], parts[t].reshape(blocks, run))
        return out
    out = np.zeros((*mid, length, inner), dtype=parts.dtype)
    for t in range(k):
        start = t * dilation
        out[..., start:start + stride * (l_in - 1) + 1:stride, :] += parts[t]
    return out


# --------------------------------------------------------------------- argument checks
def _tuple(op: str, arg: str, value, nd: int, minimum: int) -> tuple:
    """An int or a sequence of 1 or ``nd`` ints, each >= ``minimum``, as an ``nd``-tuple."""
    items = value if isinstance(value, (tuple, list)) else (value,)
    ok = len(items) in (1, nd) and all(
        isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)
        for v in items)
    if not ok:
        raise TypeError(f"{op}: argument '{arg}' must be an int or a tuple of {nd} ints, "
                        f"got {value!r}")
    items = tuple(int(v) for v in items) * (nd if len(items) == 1 else 1)
    if min(items) < minimum:
        what = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{op}: argument '{arg}' must be {what}, got {value!r}")
    return items


def conv_padding(op: str, padding, nd: int, stride: tuple, dilation: tuple,
                 kernel: tuple) -> tuple:
    """``padding`` (int, tuple, "valid" or "same") as (before, after) amounts per dimension.

    "same" pads dilation*(k-1) in all, half before and the odd one after, like PyTorch.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise ValueError(f"{op}: argument 'padding' must be an int, a tuple of ints, "
                             f"'valid' or 'same'; got {padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided "
                             f"convolutions (stride {stride})")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel, strict=True)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in _tuple(op, "padding", padding, nd, 0))


def _conv(op: str, nd: int, input, weight, bias, stride, padding, dilation,
          groups) -> Tensor:
    """Check every argument of conv1d/conv2d (``nd`` = 1 or 2), then run the fused op."""
    x, w, b, params = check_conv(op, nd, input, weight, bias, stride, padding, dilation,
                                 groups)
    return Conv2d.apply(x, w, b, **params)


def check_conv(op: str, nd: int, input, weight, bias, stride, padding, dilation,
               groups) -> tuple:
    """Every check of conv1d/conv2d, before any work: returns (x, weight, bias, the keyword
    parameters of ``Conv2d.apply``), or raises an error that names ``op``, the argument and
    the shapes. (``nn.Conv2d`` with a non-zero ``padding_mode`` checks here first, then pads.)
    """
    x = as_tensor(input, op)
    w = as_tensor(weight, op, "weight")
    b = None if bias is None else as_tensor(bias, op, "bias")
    bias_shape, bias_dtype = (None, None) if b is None else (b.data.shape, b.data.dtype)
    key = _CHECKED.key(op, nd, x.data.shape, w.data.shape, bias_shape, x.data.dtype,
                       w.data.dtype, bias_dtype, stride, padding, dilation, groups)
    params = _CHECKED.results.get(key)
    if params is None:
        params = _CHECKED.store(key, _conv_params(op, nd, x, w, b, stride, padding, dilation,
                                                  groups))
    return x, w, b, params


# What check_conv found for plain arguments (~12 us a call otherwise): a layer's shapes and
# settings are the same every step.
_CHECKED = CheckedArguments()


def _conv_params(op: str, nd: int, x: Tensor, w: Tensor, b: Tensor | None, stride, padding,
                 dilation, groups) -> dict:
    """check_conv's checks and the keyword parameters of ``Conv2d.apply``, without the memo."""
    xs, ws = x.data.shape, w.data.shape
    shapes = f"(input shape {xs}, weight shape {ws})"
    dims = ("L",) if nd == 1 else ("H", "W")
    if len(ws) != nd + 2:
        raise ValueError(f"{op}: weight must be {nd + 2}-D (out_channels, in_channels/groups, "
                         f"{', '.join('k' + d.lower() for d in dims)}), got {len(ws)}-D {shapes}")
    if len(xs) not in (nd + 1, nd + 2):
        raise ValueError(f"{op}: expected {nd + 1}-D (C, {', '.join(dims)}) or {nd + 2}-D "
                         f"(N, C, {', '.join(dims)}) input, got {len(xs)}-D {shapes}")
    for arg, t in (("input", x), ("weight", w), ("bias", b)):
        if t is not None and t.data.dtype.kind != "f":
            raise TypeError(f"{op}: argument '{arg}' must be a floating point tensor, got "
                            f"dtype {t.data.dtype} {shapes}")
        if t is not None and t.data.dtype != x.data.dtype:
            raise TypeError(f"{op}: {arg} dtype {t.data.dtype} and input dtype "
                            f"{x.data.dtype} must match {shapes}")
    if 0 in ws[2:] or ws[0] == 0:
        raise ValueError(f"{op}: weight must have at least one output channel and a kernel of "
                         f"positive size, got weight shape {ws} {shapes}")
    if 0 in xs[-nd:]:
        raise ValueError(f"{op}: input has an empty spatial dimension {shapes}; only an empty "
                         "batch is allowed")
    if isinstance(groups, bool) or not isinstance(groups, (numbers.Integral, np.integer)) \
            or groups < 1:
        raise ValueError(f"{op}: argument 'groups' must be a positive int, got {groups!r}")
    stride = _tuple(op, "stride", stride, nd, 1)
    dilation = _tuple(op, "dilation", dilation, nd, 1)
    kernel = ws[2:]
    pads = conv_padding(op, padding, nd, stride, dilation, kernel)
    c_in = xs[-nd - 1]
    c_out = ws[0]
    if c_in % groups:
        raise ValueError(f"{op}: groups={groups} does not divide the {c_in} input channels "
                         f"{shapes}")
    if c_out % groups:
        raise ValueError(f"{op}: groups={groups} does not divide the {c_out} output channels "
                         f"of the weight {shapes}")
    if c_in != ws[1] * groups:
        expects = f"{ws[1]}" if groups == 1 else f"{ws[1] * groups} ({ws[1]} x groups={groups})"
        raise ValueError(f"{op}: input has {c_in} channels but weight expects {expects} "
                         f"{shapes}")
    if b is not None and b.data.shape != (c_out,):
        raise ValueError(f"{op}: bias has shape {b.data.shape} but weight has {c_out} output "
                         f"channels (expected bias shape ({c_out},)) {shapes}")
    size = xs[-nd:]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, pads, strict=True))
    reach = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel, strict=True))
    if any(r > p for r, p in zip(reach, padded, strict=True)):
        dilated = "" if reach == tuple(kernel) else f" (dilated {reach})"
        raise ValueError(f"{op}: kernel size {tuple(kernel)}{dilated} is larger than the "
                         f"padded input {padded} (padding {tuple(pads)}) {shapes}")
    # Everything as 2-D: conv1d gets a unit height, an unbatched input a unit batch.
    n = 1 if len(xs) == nd + 1 else xs[0]
    x4 = (n, c_in) + ((1,) + size if nd == 1 else size)
    w4 = ws[:2] + ((1,) + kernel if nd == 1 else kernel)
    if nd == 1:
        stride, dilation, pads = (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    out_size = tuple((p - r) // s + 1 for p, r, s in zip(padded, reach, stride[-nd:],
                                                          strict=True))
    out_shape = xs[:-nd - 1] + (c_out,) + out_size
    return {"stride": stride, "pads": pads[0] + pads[1], "dilation": dilation,
            "groups": int(groups), "x4": x4, "w4": w4, "out_shape": out_shape}


# --------------------------------------------------------------------- public functions
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D convolution (cross-correlation) over an (N, C_in, H, W) or (C_in, H, W) input.

    weight (C_out, C_in/groups, kh, kw), bias (C_out,) or None; ``stride``, ``padding`` and
    ``dilation`` an int or a pair; ``padding`` also "valid" (none) or "same" (output as large
    as the input; stride 1 only). Output (N, C_out, H_out, W_out).
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D convolution over an (N, C_in, L) or (C_in, L) input: weight (C_out, C_in/groups, k).

    The same fused op as ``conv2d`` on the input viewed as (N, C_in, 1, L).
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)
