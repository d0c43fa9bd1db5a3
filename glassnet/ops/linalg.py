"""Linear algebra: ``matmul`` (PyTorch's rules for 1-D, 2-D and batched operands) and
``linear``, the fused ``x @ W.T + b`` that every dense layer runs.

The gradients of a product C = A @ B are the two products dL/dA = dL/dC @ B^T and
dL/dB = A^T @ dL/dC, summed back over batch dimensions that broadcasting expanded.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd.function import Function
from glassnet.ops._util import as_tensor, column_sums, unbroadcast
from glassnet.tensor import Tensor

__all__ = ["matmul", "linear"]


def _like(grad: np.ndarray, dtype) -> np.ndarray:
    """The gradient in the input's dtype (mixed float32/float64 products promote)."""
    return grad if grad.dtype == dtype else grad.astype(dtype)


def _matmul_error(a_shape: tuple, b_shape: tuple) -> ValueError:
    """Say which dimensions of ``a_shape @ b_shape`` disagree."""
    shapes = f"shapes {a_shape} and {b_shape}"
    if len(a_shape) == 0 or len(b_shape) == 0:
        return ValueError(f"matmul: both arguments must be at least 1-D, got {shapes}")
    inner_a = a_shape[-1]
    inner_b = b_shape[-2] if len(b_shape) >= 2 else b_shape[0]
    if inner_a != inner_b:
        what_a = "entries" if len(a_shape) == 1 else "columns"
        what_b = "entries" if len(b_shape) == 1 else "rows"
        return ValueError(
            f"matmul: {shapes} cannot be multiplied: input has {inner_a} {what_a} but "
            f"other has {inner_b} {what_b}"
        )
    batch_a, batch_b = a_shape[:-2], b_shape[:-2]
    return ValueError(
        f"matmul: {shapes} cannot be multiplied: batch dimensions {batch_a} and {batch_b} "
        "cannot be broadcast (sizes must match or be 1)"
    )


class Matmul(Function):
    """a @ b with ``torch.matmul``'s rules.  Shape:

    - (k) @ (k) -> ()                       dot product
    - (n, k) @ (k, m) -> (n, m)             matrix product
    - (k) @ (*, k, m) -> (*, m)             a 1 is prepended to a, then removed
    - (*, n, k) @ (k) -> (*, n)             a 1 is appended to b, then removed
    - (*a, n, k) @ (*b, k, m) -> (broadcast(*a, *b), n, m)

    d/da = grad @ b^T,  d/db = a^T @ grad  (on the promoted 2-D-or-more views), each summed
    over the batch dimensions broadcasting added to that operand.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        try:
            return np.matmul(a, b)
        except ValueError:
            raise _matmul_error(np.shape(a), np.shape(b)) from None

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        a, b = ctx.a, ctx.b
        if a.ndim == 1 and b.ndim == 1:  # dot product: grad is 0-d
            return (_like(grad * b, a.dtype) if need_a else None,
                    _like(grad * a, b.dtype) if need_b else None)
        # Promote 1-D operands to matrices and put the removed size-1 dim back into grad.
        a2 = a[None, :] if a.ndim == 1 else a  # (*a, n, k)
        b2 = b[:, None] if b.ndim == 1 else b  # (*b, k, m)
        g = grad
        if a.ndim == 1:
            g = g[..., None, :]
        if b.ndim == 1:
            g = g[..., None]  # (*, n, m)
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(np.matmul(g, np.swapaxes(b2, -1, -2)), a2.shape)
            grad_a = _like(grad_a.reshape(a.shape), a.dtype)
        if need_b:
            if b2.ndim == 2 and a2.ndim > 2:
                # b is shared by every batch entry: fold the batch into the rows, one GEMM
                k, m = b2.shape
                rows = math.prod(a2.shape[:-1])
                grad_b = a2.reshape(rows, k).T @ g.reshape(rows, m)
            else:
                grad_b = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g), b2.shape)
            grad_b = _like(grad_b.reshape(b.shape), b.dtype)
        return grad_a, grad_b


class Linear(Function):
    """linear(x, W, b) = x @ W^T + b, one node for a whole dense layer.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features)
    (or anything that broadcasts to the output), output (*, out_features).

    With the leading dimensions of x and grad folded into N rows (a view when contiguous):

    d/dx = grad @ W          (N, out) @ (out, in) -> (N, in)
    d/dW = grad^T @ x        (out, N) @ (N, in) -> (out, in)
    d/db = sum of grad over the N rows
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        # Fold leading dims into N rows (a view when x is contiguous); 2-D x is used as is.
        x2 = x if x.ndim == 2 else x.reshape(math.prod(x.shape[:-1]), weight.shape[1])
        out = x2 @ weight.T  # (N, out); BLAS reads the transpose without a copy
        if x.ndim != 2:
            out = out.reshape(x.shape[:-1] + (weight.shape[0],))
        if bias is not None:
            # In place for the usual (out,) bias; a bias with leading dims (it broadcasts
            # over the output's shape, not the folded rows) may also change the dtype.
            if bias.shape == (weight.shape[0],) and bias.dtype == out.dtype:
                out += bias
            else:
                out = out + bias
            ctx.bias_shape, ctx.bias_dtype = bias.shape, bias.dtype
        # Kept only for the gradients that need them, as PyTorch does: then an optimizer step
        # (an in-place write to W) between this forward and backward is fine when x needs no
        # gradient, as in every first layer.
        need_x, need_w = ctx.needs_input_grad[:2]
        ctx.x2 = x2 if need_w else None
        ctx.weight = weight if need_x else None
        ctx.rows, ctx.w_shape, ctx.w_dtype = x2.shape[0], weight.shape, weight.dtype
        ctx.x_shape, ctx.x_dtype = x.shape, x.dtype
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, need_w, need_b = ctx.needs_input_grad
        out_features = ctx.w_shape[0]
        g2 = grad if grad.ndim == 2 else grad.reshape(ctx.rows, out_features)
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = _like((g2 @ ctx.weight).reshape(ctx.x_shape), ctx.x_dtype)
        if need_w:
            grad_w = _like(g2.T @ ctx.x2, ctx.w_dtype)
        if need_b:
            if ctx.bias_shape == (out_features,):
                grad_b = column_sums(g2)
            else:
                grad_b = unbroadcast(grad, ctx.bias_shape)
            grad_b = _like(grad_b, ctx.bias_dtype)
        return grad_x, grad_w, grad_b


# --------------------------------------------------------------------- public functions
def matmul(input, other) -> Tensor:
    """Matrix product with ``torch.matmul``'s rules for 1-D, 2-D and batched operands; both
    operands must have the same dtype, as in PyTorch (no promotion)."""
    a, b = as_tensor(input, "matmul"), as_tensor(other, "matmul", "other")
    _same_dtype("matmul", ("input", a), ("other", b))
    return Matmul.apply(a, b)


def linear(input, weight, bias=None) -> Tensor:
    """input @ weight.T + bias: weight (out_features, in_features), input (*, in_features)."""
    x = input if isinstance(input, Tensor) else as_tensor(input, "linear")
    w = weight if isinstance(weight, Tensor) else as_tensor(weight, "linear", "weight")
    w_shape, x_shape = w.data.shape, x.data.shape
    if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]:
        raise _linear_error(x_shape, w_shape)
    if bias is not None:
        if not isinstance(bias, Tensor):
            bias = as_tensor(bias, "linear", "bias")
        if bias.data.shape != (w_shape[0],):
            _check_bias(x_shape, w_shape, bias.data.shape)
    dtype = x.data.dtype
    if w.data.dtype != dtype or (bias is not None and bias.data.dtype != dtype):
        _same_dtype("linear", ("input", x), ("weight", w), ("bias", bias))  # raises
    return Linear.apply(x, w, bias)


def _same_dtype(op: str, *named) -> None:
    """PyTorch's products refuse mixed dtypes rather than promote: so does glassnet."""
    present = [(name, t) for name, t in named if t is not None]
    first_name, first = present[0]
    for name, t in present[1:]:
        if t.data.dtype != first.data.dtype:
            raise TypeError(
                f"{op}: {first_name} dtype {first.data.dtype} and {name} dtype {t.data.dtype} "
                f"must match ({first_name} shape {first.shape}, {name} shape {t.shape}); "
                f"convert one with .to(dtype)")


def _linear_error(x_shape: tuple, w_shape: tuple) -> ValueError:
    shapes = f"(input shape {x_shape}, weight shape {w_shape})"
    if len(w_shape) != 2:
        return ValueError(
            f"linear: weight must be 2-D (out_features, in_features), got {len(w_shape)}-D "
            f"{shapes}"
        )
    if not x_shape:
        return ValueError(f"linear: input must be at least 1-D (*, in_features) {shapes}")
    return ValueError(
        f"linear: input has {x_shape[-1]} features but weight expects {w_shape[1]} {shapes}"
    )


def _check_bias(x_shape: tuple, w_shape: tuple, b_shape: tuple) -> None:
    out_shape = x_shape[:-1] + (w_shape[0],)
    try:
        fits = np.broadcast_shapes(out_shape, b_shape) == out_shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"linear: bias has shape {b_shape} but weight has {w_shape[0]} output features "
            f"(expected bias shape ({w_shape[0]},); input shape {x_shape}, weight shape "
            f"{w_shape})"
        )
