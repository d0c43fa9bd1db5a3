"""Norms and similarities of vectors along one dimension: ``normalize`` and
``cosine_similarity``, as ``torch.nn.functional`` has them, on one fused p-norm node.

    ||x||_p = (sum_i |x_i|^p)^(1/p)                     (p >= 1; p = 2 the Euclidean length)
    normalize(x) = x / max(||x||_p, eps)
    cosine_similarity(a, b) = sum_i (a_i / max(||a||, eps)) (b_i / max(||b||, eps))

The norm's gradient is sign(x) |x|^(p-1) / ||x||^(p-1) (x / ||x|| for p = 2) and 0 where the
norm is 0, the subgradient PyTorch picks: a zero vector gets a zero gradient, not NaN.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.autograd.function import Function
from glassnet.ops._util import as_tensor, check_float, normalize_dim
from glassnet.tensor import Tensor

__all__ = ["normalize", "cosine_similarity"]


class VectorNorm(Function):
    """||x||_p along ``dim``, kept as a size-1 dimension.

    Shape: input (*), output (*) with size 1 along ``dim``.
    d/dx = sign(x) * (|x| / ||x||)^(p-1), 0 where ||x|| = 0.
    """

    @staticmethod
    def forward(ctx, x, p: float, dim: int):
        if p == 2:
            norm = np.sqrt(np.sum(x * x, axis=dim, keepdims=True))
        elif p == 1:
            norm = np.sum(np.abs(x), axis=dim, keepdims=True)
        else:
            norm = np.sum(np.abs(x) ** p, axis=dim, keepdims=True) ** (1.0 / p)
        ctx.x, ctx.norm, ctx.p = x, norm, p
        return norm

    @staticmethod
    def backward(ctx, grad):
        x, norm, p = ctx.x, ctx.norm, ctx.p
        zero = norm == 0
        safe = np.where(zero, 1, norm)
        if p == 2:
            slope = x / safe
        elif p == 1:
            slope = np.sign(x)
        else:
            slope = np.sign(x) * (np.abs(x) / safe) ** (p - 1)
        return np.where(zero, 0, grad * slope).astype(x.dtype, copy=False)


def _vector_norm(op: str, x: Tensor, p, dim: int) -> Tensor:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 1 <= p < float("inf"):
        raise ValueError(f"{op}: p must be a finite number >= 1, got {p!r}")
    return VectorNorm.apply(x, p=float(p), dim=dim)


class FloorWithoutGradient(Function):
    """max(x, eps) in value with the gradient of x itself: PyTorch clamps the norms of
    ``cosine_similarity`` in place under no_grad, so the clamp is invisible to backward.

    Shape: input (*), output (*). d/dx = 1.
    """

    @staticmethod
    def forward(ctx, x, eps: float):
        return np.maximum(x, np.asarray(eps, dtype=x.dtype))

    @staticmethod
    def backward(ctx, grad):
        return grad


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p, eps) along ``dim``: unit vectors (zero ones stay zero).

    Shape: input (*), output (*).
    """
    x = as_tensor(input, "normalize")
    check_float("normalize", "input", x)
    if x.ndim == 0:
        raise ValueError("normalize: input must have at least one dimension, got a 0-d tensor")
    d = normalize_dim("normalize", dim, x.ndim)
    norm = _vector_norm("normalize", x, p, d)
    from glassnet.ops.elementwise import clamp, div

    return div(x, clamp(norm, min=eps))


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between x1 and x2 along ``dim``:
    sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps))).

    x1 and x2 broadcast to one shape first. Shape: (*) with ``dim`` removed.
    """
    from glassnet.ops.elementwise import div, mul
    from glassnet.ops.reduce import sum as sum_
    from glassnet.ops.shape import expand

    a, b = as_tensor(x1, "cosine_similarity", "x1"), as_tensor(x2, "cosine_similarity", "x2")
    check_float("cosine_similarity", "x1", a)
    check_float("cosine_similarity", "x2", b)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"cosine_similarity: x1 of shape {a.shape} and x2 of shape {b.shape} "
                         "do not broadcast to one shape") from None
    a = a if a.shape == shape else expand(a, *shape)
    b = b if b.shape == shape else expand(b, *shape)
    if not shape:
        raise ValueError("cosine_similarity: x1 and x2 must have at least one dimension")
    d = normalize_dim("cosine_similarity", dim, len(shape))
    na = FloorWithoutGradient.apply(_vector_norm("cosine_similarity", a, 2, d), eps=eps)
    nb = FloorWithoutGradient.apply(_vector_norm("cosine_similarity", b, 2, d), eps=eps)
    return sum_(mul(div(a, na), div(b, nb)), dim=d)
