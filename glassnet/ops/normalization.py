"""Normalization: ``batch_norm``, one fused node for a whole batch-normalization layer.

Each channel c is normalised over every value it takes in the batch (the batch dimension
and any spatial dimensions: M = N * L values, L = H * W for images), then scaled and shifted
by the learned gamma (``weight``) and beta (``bias``)::

    x_hat = (x - mean_c) / sqrt(var_c + eps)        out = gamma_c * x_hat + beta_c

In training the mean and the (biased) variance are the batch's own, and the running
estimates move towards them; in evaluation the running estimates are used instead.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from glassnet.autograd import versions
from glassnet.autograd.function import Function
from glassnet.ops._util import as_tensor, check_float, row_sums
from glassnet.ops.elementwise import cast
from glassnet.tensor import Tensor

__all__ = ["batch_norm"]


def _per_channel_sum(a: np.ndarray) -> np.ndarray:
    """Sum of (N, C, L) over N and L. Over L as a product with a vector of ones: BLAS reads
    the array once, about 3x faster than ``ndarray.sum`` on these shapes."""
    n, c, length = a.shape
    rows = row_sums(a.reshape(n * c, length))  # (N*C,)
    return rows.reshape(n, c).sum(axis=0)


def _per_channel_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum(a * b) over N and L of two (N, C, L) arrays, without a temporary."""
    return np.einsum("ncl,ncl->nc", a, b).sum(axis=0)


class BatchNorm(Function):
    """batch_norm(x, gamma, beta) with x viewed as (N, C, L); statistics per channel over
    the M = N * L values of the batch.

    Training (batch statistics, biased variance for normalising)::

        mean = sum(x) / M        var = sum((x - mean)^2) / M      inv_std = 1/sqrt(var + eps)
        x_hat = (x - mean) * inv_std                               out = gamma x_hat + beta

    and, as a side effect of forward only, the running estimates move in place towards the
    batch's, with the *unbiased* variance as PyTorch does::

        running_mean = (1 - momentum) running_mean + momentum mean
        running_var  = (1 - momentum) running_var  + momentum var * M / (M - 1)

    The gradient through the batch statistics, with g_hat = grad * gamma (sums per channel)::

        d/dx     = inv_std / M * (M g_hat - sum(g_hat) - x_hat sum(g_hat x_hat))
        d/dgamma = sum(grad x_hat)          d/dbeta = sum(grad)

    Evaluation uses the running estimates, constants: d/dx = grad * gamma * inv_std.

    The running buffers come in as keyword arrays, not graph inputs: updating them in place
    touches nothing the graph saved.

    Shape: input (N, C), (N, C, L) or (N, C, d1, d2, ...); weight, bias, running_mean and
    running_var (C,); output the input's shape.
    """

    @staticmethod
    def forward(ctx, x, weight=None, bias=None, running_mean=None, running_var=None,
                training: bool = False, momentum: float = 0.1, eps: float = 1e-5):
        N, C = x.shape[:2]  # noqa: N806
        x3 = x.reshape(N, C, math.prod(x.shape[2:]))  # (N, C, L): a view when contiguous
        m = x3.shape[0] * x3.shape[2]
        if training:
            # An input with no values (N or L is 0) has an empty output; its statistics are
            # taken as 0 and 0 and the running estimates stay as they are, as in PyTorch.
            mean = _per_channel_sum(x3) / max(m, 1)  # (C,)
            centred = x3 - mean[:, None]  # (N, C, L)
            var = _per_channel_dot(centred, centred) / max(m, 1)  # biased: what normalises
            if running_mean is not None and m:  # the side effect, in place, forward only
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                versions.note_write(running_mean)  # an eval-mode node may have saved it
            if running_var is not None and m:
                running_var *= 1 - momentum
                running_var += momentum * var * (m / (m - 1))  # unbiased, as PyTorch
                versions.note_write(running_var)
        else:
            # a copy: a later training forward moves the running mean in place, and this
            # node's backward must still see the mean it used (PyTorch 2.13 reads the moved
            # buffer at backward time, so its gradient then differs from the forward's math)
            mean = running_mean.astype(x.dtype, copy=True)
            var = running_var.astype(x.dtype, copy=False)
            centred = None  # formed in backward only if gamma needs its gradient
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)  # (C,)
        # out = gamma * (x - mean) * inv_std + beta = x_c * scale + beta in two passes
        scale = inv_std if weight is None else weight * inv_std
        out = (x3 if centred is None else centred) * scale[:, None]  # (N, C, L)
        shift = -mean * scale if centred is None else None  # eval: x * scale - mean * scale
        if bias is not None:
            shift = bias if shift is None else shift + bias
        if shift is not None:
            out += shift[:, None]
        ctx.x3, ctx.mean, ctx.centred, ctx.inv_std = x3, mean, centred, inv_std
        ctx.weight, ctx.training, ctx.x_shape = weight, training, x.shape
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        need_x, need_w, need_b = ctx.needs_input_grad
        inv_std, weight, training = ctx.inv_std, ctx.weight, ctx.training
        g3 = grad.reshape(ctx.x3.shape)  # (N, C, L)
        m = max(g3.shape[0] * g3.shape[2], 1)  # (an empty input's gradients are sums of none)
        sum_g = _per_channel_sum(g3) if (need_b or (need_x and training)) else None
        sum_g_xhat = None  # sum(grad * x_hat) per channel, x_hat = (x - mean) * inv_std
        if need_w or (need_x and training):
            if ctx.centred is not None:
                sum_g_xhat = _per_channel_dot(g3, ctx.centred) * inv_std
            else:  # eval: sum(g (x - mean)) = sum(g x) - mean sum(g)
                sum_gx = _per_channel_dot(g3, ctx.x3)
                sum_g = _per_channel_sum(g3) if sum_g is None else sum_g
                sum_g_xhat = (sum_gx - ctx.mean * sum_g) * inv_std
        grad_x = grad_w = grad_b = None
        if need_x:
            scale = inv_std if weight is None else weight * inv_std  # gamma / sigma, (C,)
            grad_x = np.empty(ctx.x_shape, dtype=g3.dtype)  # owns its memory; filled
            gx3 = grad_x.reshape(g3.shape)  # through this (N, C, L) view
            np.multiply(g3, scale[:, None], out=gx3)
            if training:  # the batch statistics depend on x too:
                # grad_x -= scale / M * (sum(grad) + x_hat * sum(grad x_hat))
                gx3 -= (scale * sum_g / m)[:, None]
                gx3 -= ctx.centred * (scale * inv_std * sum_g_xhat / m)[:, None]
        if need_w:
            grad_w = sum_g_xhat.astype(weight.dtype, copy=False)
        if need_b:
            grad_b = sum_g.astype(grad.dtype, copy=False)
        return grad_x, grad_w, grad_b


# --------------------------------------------------------------------- public function
def _check_vector(name: str, value, channels: int, x_shape: tuple):
    """weight, bias and the running buffers must be (C,) tensors; returns the Tensor."""
    if value is None:
        return None
    t = as_tensor(value, "batch_norm", name)
    if t.shape != (channels,):
        raise ValueError(
            f"batch_norm: input has {channels} channels but {name} has shape {t.shape} "
            f"(expected ({channels},); input shape {x_shape})")
    return t


def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over dim 1 of (N, C, *) input; see ``BatchNorm``.

    In training, normalises with the batch statistics and updates ``running_mean`` and
    ``running_var`` in place (when given); in evaluation, normalises with them.
    """
    x = as_tensor(input, "batch_norm")
    check_float("batch_norm", "input", x)
    shape = x.shape
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be at least 2-D (N, C, *), got shape {shape}")
    channels = shape[1]
    rm = _check_vector("running_mean", running_mean, channels, shape)
    rv = _check_vector("running_var", running_var, channels, shape)
    w = _check_vector("weight", weight, channels, shape)
    b = _check_vector("bias", bias, channels, shape)
    # PyTorch's CPU batch norm computes a float16 input in float32 (its sums would overflow
    # at 65504), returns float16, and takes float16 or float32 parameters and buffers; it
    # refuses any other mix.
    given = [(name, t) for name, t in (("running_mean", rm), ("running_var", rv),
                                       ("weight", w), ("bias", b)) if t is not None]
    half = x.dtype == np.float16
    mixed = half and given and all(t.dtype == np.float32 for _, t in given)
    for name, t in given:
        if t.dtype != x.dtype and not mixed:
            raise TypeError(f"batch_norm: {name} dtype {t.dtype} and input dtype {x.dtype} "
                            f"must match (input shape {shape}); convert the layer with "
                            ".to(dtype) or the input")
    if not training and (rm is None or rv is None):
        raise ValueError("batch_norm: running_mean and running_var are needed in evaluation "
                         "mode (training=False)")
    if training and shape[0] * int(np.prod(shape[2:])) == 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got input shape {shape}")
    for name, value in (("momentum", momentum), ("eps", eps)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"batch_norm: argument '{name}' must be a float, got {value!r}")
    if eps < 0 or (training and eps == 0):  # (a constant channel would divide by zero)
        needed = "positive in training" if training else "non-negative"
        raise ValueError(f"batch_norm: argument 'eps' must be {needed}, got {eps!r}")
    if half:  # float16 parameters take part through casts (their gradients come back float16)
        x = cast(x, np.float32)
        w = w if w is None or w.dtype == np.float32 else cast(w, np.float32)
        b = b if b is None or b.dtype == np.float32 else cast(b, np.float32)
    out = BatchNorm.apply(x, w, b,
                          running_mean=None if rm is None else rm.data,
                          running_var=None if rv is None else rv.data,
                          training=bool(training), momentum=float(momentum), eps=float(eps))
    return cast(out, np.float16) if half else out
