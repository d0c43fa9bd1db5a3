"""Convolution: ``conv2d`` and ``conv1d`` (cross-correlation, as in PyTorch), one fused node.

A 2-D convolution slides a (kh, kw) kernel over the zero-padded input; every output pixel is
a dot product of the kernel with the window under it:

    out[n, o, y, x] = b[o] + sum_cij W[o, c, i, j] * xp[n, g*Cg + c, y*sh + i*dh, x*sw + j*dw]

with g = o // (C_out / groups) the group of output channel o and Cg = C_in / groups the
channels each group reads. Lowered to one matrix product ("im2col"): copy every window into a
column of ``cols`` (K = Cg*kh*kw rows, one column per output pixel of every image), and

    out = W (C_out, K) @ cols (K, N*H_out*W_out)         per group, batched over groups

The gradients are the two other products of the same three matrices, plus a scatter:

    dW    = grad @ cols^T                                 (C_out, K)
    dcols = W^T @ grad                                    (K, N*H_out*W_out)
    dx    = col2im(dcols): each column added back to the window it was copied from
    db    = grad summed over N, H_out, W_out

``conv1d`` is the same op with a unit height: (N, C, L) is viewed as (N, C, 1, L).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from glassnet.autograd.function import Function
from glassnet.ops._util import as_tensor
from glassnet.tensor import Tensor

__all__ = ["conv1d", "conv2d"]


class Conv2d(Function):
    """out = W * x + b (2-D cross-correlation), with stride, padding, dilation and groups.

    Shape: input (N, C_in, H, W), weight (C_out, C_in/groups, kh, kw), bias (C_out,),
    output (N, C_out, H_out, W_out) with H_out = (H + top + bottom - dh*(kh-1) - 1) // sh + 1
    (W_out alike). ``pads`` = (top, bottom, left, right); ``x4``/``w4`` are the 4-D shapes the
    arrays are viewed in (conv1d and unbatched inputs add unit dimensions).

    Layout: the im2col matrix is (groups, K, N*H_out*W_out) with the batch folded into the
    columns, so each group is ONE large GEMM (a per-image loop of small GEMMs is slower). The
    product comes out as (C_out, N, H_out, W_out) and is transposed into NCHW while the bias
    is added, in one pass.

    d/dW = grad @ cols^T, d/dx = col2im(W^T @ grad), d/db = sum of grad over N, H, W.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, pads, dilation, groups, x4, w4,
                out_shape):
        (sh, sw), (dh, dw), (top, bottom, left, right) = stride, dilation, pads
        n, c, h, w = x4
        c_out, cg, kh, kw = w4
        ctx.x_shape, ctx.weight = x.shape, weight
        x, weight = x.reshape(x4), weight.reshape(w4)  # views: only unit dimensions added
        if top or bottom or left or right:
            xp = np.zeros((n, c, h + top + bottom, w + left + right), dtype=x.dtype)
            xp[:, :, top:top + h, left:left + w] = x
        else:
            xp = x  # any strides: the window view below reads them as they are
        hp, wp = xp.shape[2:]
        h_out, w_out = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
        # Every window, without copying: (groups, Cg, kh, kw, N, H_out, W_out). Dilation and
        # stride are only strides of this view.
        s_n, s_c, s_h, s_w = xp.strides
        windows = as_strided(
            xp, (groups, cg, kh, kw, n, h_out, w_out),
            (cg * s_c, s_c, dh * s_h, dw * s_w, s_n, sh * s_h, sw * s_w), writeable=False)
        k, cols_n = cg * kh * kw, n * h_out * w_out
        cols = np.ascontiguousarray(windows).reshape(groups, k, cols_n)  # the one copy
        wg = weight.reshape(groups, c_out // groups, k)  # (G, Og, K)
        prod = np.matmul(wg, cols)  # (G, Og, N*P): one GEMM per group
        out = np.empty((n, c_out, h_out, w_out), dtype=prod.dtype)
        prod_nchw = prod.reshape(c_out, n, h_out, w_out).transpose(1, 0, 2, 3)
        if bias is not None:
            np.add(prod_nchw, bias[:, None, None], out=out)  # transpose and bias, one pass
        else:
            out[...] = prod_nchw
        ctx.cols = cols if ctx.needs_input_grad[1] else None
        ctx.geometry = (stride, dilation, pads, groups, x4, w4, (hp, wp), (h_out, w_out))
        return out.reshape(out_shape)

    @staticmethod
    def backward(ctx, grad):
        need_x, need_w = ctx.needs_input_grad[:2]
        need_b = len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]
        stride, dilation, pads, groups, x4, w4, (hp, wp), (h_out, w_out) = ctx.geometry
        n, c, h, w = x4
        c_out, cg, kh, kw = w4
        weight = ctx.weight
        # grad as (C_out, N, H_out, W_out), the column order of cols: one transposing copy.
        g = np.empty((c_out, n, h_out, w_out), dtype=grad.dtype)
        g[...] = grad.reshape(n, c_out, h_out, w_out).transpose(1, 0, 2, 3)
        g = g.reshape(groups, c_out // groups, n * h_out * w_out)  # (G, Og, N*P)
        grad_x = grad_w = grad_b = None
        if need_b:
            grad_b = g.reshape(c_out, -1).sum(axis=1)
        if need_w:
            # (cols @ g^T)^T: BLAS is faster with the long N*P axis as the inner dimension
            grad_w = np.matmul(ctx.cols, g.transpose(0, 2, 1)).transpose(0, 2, 1)
            grad_w = np.ascontiguousarray(grad_w).reshape(weight.shape)
        if need_x:
            wg = weight.reshape(groups, c_out // groups, cg * kh * kw)
            dcols = np.matmul(wg.transpose(0, 2, 1), g)  # (G, K, N*P)
            dcols = dcols.reshape(c, kh, kw, n, h_out, w_out)
            # col2im: kernel offset (i, j) read the strided slice below; add its columns back.
            (sh, sw), (dh, dw), (top, _, left, _) = stride, dilation, pads
            gxp = np.zeros((c, n, hp, wp), dtype=dcols.dtype)
            for i in range(kh):
                rows = slice(i * dh, i * dh + sh * (h_out - 1) + 1, sh)
                for j in range(kw):
                    gxp[:, :, rows, j * dw:j * dw + sw * (w_out - 1) + 1:sw] += dcols[:, i, j]
            grad_x = gxp[:, :, top:top + h, left:left + w].transpose(1, 0, 2, 3)
            grad_x = grad_x.reshape(ctx.x_shape)
        return grad_x, grad_w, grad_b


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
    x = as_tensor(input, op)
    w = as_tensor(weight, op, "weight")
    b = None if bias is None else as_tensor(bias, op, "bias")
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
    return Conv2d.apply(x, w, b, stride=stride, pads=pads[0] + pads[1], dilation=dilation,
                        groups=int(groups), x4=x4, w4=w4, out_shape=out_shape)


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
