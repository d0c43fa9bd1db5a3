"""Activation functions and their relatives: sigmoid, tanh, the ReLU family, softplus, GELU,
the threshold functions (heaviside, Rosenblatt's step, sign), maxout, softmax, log_softmax
and dropout, with ``torch.nn.functional``'s names, arguments and defaults.

Each op's gradient is the local derivative times the incoming gradient. Where PyTorch picks
a value at a kink (relu at 0, leaky_relu at 0, elu at 0) we pick the same one.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from glassnet import random
from glassnet.autograd.function import Function
from glassnet.ops._util import (
    as_tensor,
    float_input,
    in_place,
    normalize_dim,
    shared_zeros,
    signs,
    unbroadcast,
)
from glassnet.tensor import Tensor

__all__ = [
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "heaviside", "step",
    "sign", "maxout", "softmax", "log_softmax", "dropout",
]


def _stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow: with e = exp(-|z|) <= 1, sigmoid is 1 / (1 + e)
    for z >= 0 and e / (1 + e) for z < 0, and exp never sees a large positive argument."""
    e = np.exp(-np.abs(z))
    r = 1 / (1 + e)
    return np.where(z >= 0, r, e * r)


class Sigmoid(Function):
    """sigmoid(x) = 1 / (1 + exp(-x)).  d/dx = sigmoid(x) * (1 - sigmoid(x)).

    Computed from exp(-|x|), so inputs of +-1e4 give 1 and 0 without overflow.
    Shape: input (*), output (*).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.out = _stable_sigmoid(x)
        return ctx.out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.out
        return grad * out * (1 - out)


class Tanh(Function):
    """tanh(x).  d/dx = 1 - tanh(x)^2.  Shape: input (*), output (*)."""

    @staticmethod
    def forward(ctx, x):
        ctx.out = np.tanh(x)
        return ctx.out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.out
        return grad * (1 - out * out)


class ReLU(Function):
    """relu(x) = max(x, 0).  d/dx = 1 where x > 0, else 0 (0 at x = 0, as in PyTorch).

    Shape: input (*), output (*). A NaN input gives NaN and passes the gradient on, as
    PyTorch's (which zeroes it only where the output is <= 0).
    """

    @staticmethod
    def forward(ctx, x, inplace=False):
        # an array, not 0: NumPy's fast loop. In place, out is x's memory: backward reads it
        # (a later write there is caught by the version check, as in PyTorch)
        ctx.out = np.maximum(x, shared_zeros(x), out=x if inplace else None)
        return ctx.out

    @staticmethod
    def backward(ctx, grad):
        # The output is >= 0 or NaN, so "not (out <= 0)", PyTorch's test, is out != 0: true
        # at NaN (unlike out > 0), and one pass like it
        mask = np.not_equal(ctx.out, 0)
        if (ctx.owns_grad and type(ctx) is ReLU  # (a subclass's backward may read grad after)
                and grad.dtype == ctx.out.dtype and grad.shape == ctx.out.shape):
            # into the gradient array, which nothing else holds: memory the op before just
            # wrote, still in cache (0.3 ms a step on the MNIST CNN's first layer)
            return np.multiply(grad, mask, out=grad)
        return grad * mask


class LeakyReLU(Function):
    """leaky_relu(x) = x where x > 0, else negative_slope * x.

    d/dx = 1 where x > 0, else negative_slope (negative_slope at x = 0, as in PyTorch).
    Shape: input (*), output (*).
    """

    @staticmethod
    def forward(ctx, x, negative_slope=0.01, inplace=False):
        ctx.positive, ctx.slope = x > 0, negative_slope
        if inplace:  # only the non-positive elements change
            return np.multiply(x, x.dtype.type(negative_slope), out=x,
                               where=~ctx.positive)
        return np.where(ctx.positive, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        return np.where(ctx.positive, grad, grad * ctx.slope)


class ELU(Function):
    """elu(x) = x where x > 0, else alpha * (exp(x) - 1).

    d/dx = 1 where x > 0, else alpha * exp(x) (alpha at x = 0, as in PyTorch; 1 at a NaN
    input, whose output is NaN, as PyTorch's test x <= 0 gives).
    Shape: input (*), output (*).
    """

    @staticmethod
    def forward(ctx, x, alpha=1.0, inplace=False):
        ctx.alpha, ctx.inplace = alpha, inplace
        # expm1 only where it is used: exp of a large positive x would overflow
        negative = np.minimum(x, 0)
        out = np.where(x > 0, x, alpha * np.expm1(negative)).astype(x.dtype, copy=False)
        if inplace:  # x is gone after this: backward works from the output, as PyTorch's
            x[...] = out  # elu_ does (out <= 0 exactly where x <= 0, for alpha >= 0)
            ctx.out = x
            return x
        ctx.x = x
        return out

    @staticmethod
    def backward(ctx, grad):
        if ctx.inplace:  # alpha * exp(x) = out + alpha where x <= 0
            out = ctx.out
            return np.where(out <= 0, grad * (out + out.dtype.type(ctx.alpha)), grad)
        x = ctx.x
        return np.where(x <= 0, grad * (ctx.alpha * np.exp(np.minimum(x, 0))), grad)


class Softplus(Function):
    """softplus(x) = log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold
    (PyTorch's rule, which keeps large inputs exact).

    d/dx = sigmoid(beta * x), and 1 where beta * x > threshold.
    Shape: input (*), output (*).
    """

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        z = x * beta
        ctx.z, ctx.linear = z, z > threshold
        # log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)): no overflow for any z
        soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        return np.where(ctx.linear, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return np.where(ctx.linear, grad, grad * _stable_sigmoid(ctx.z))


# NumPy has no erf; math.erf is exact to double precision, applied elementwise.
_erf = np.frompyfunc(math.erf, 1, 1)
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_KAPPA = 0.044715


class GELU(Function):
    """gelu(x) = x * Phi(x), Phi the standard normal CDF.  Shape: input (*), output (*).

    approximate="none":  Phi(x) = (1 + erf(x / sqrt(2))) / 2,
                         d/dx = Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi).
    approximate="tanh":  gelu(x) = x / 2 * (1 + tanh(u)), u = sqrt(2 / pi) (x + 0.044715 x^3),
                         d/dx = (1 + tanh(u)) / 2
                                + x / 2 * (1 - tanh(u)^2) * sqrt(2 / pi) (1 + 3 * 0.044715 x^2).
    """

    @staticmethod
    def forward(ctx, x, approximate="none"):
        ctx.x, ctx.approximate = x, approximate
        if approximate == "tanh":
            ctx.t = np.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x * x * x))
            return 0.5 * x * (1 + ctx.t)
        ctx.cdf = 0.5 * (1 + np.asarray(_erf(x * _SQRT_HALF), dtype=x.dtype))
        return x * ctx.cdf

    @staticmethod
    def backward(ctx, grad):
        x = ctx.x
        if ctx.approximate == "tanh":
            t = ctx.t
            inner = _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner)
        pdf = np.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return grad * (ctx.cdf + x * pdf)


class Heaviside(Function):
    """heaviside(x, values) = 0 where x < 0, values where x == 0, 1 where x > 0.

    d/dx = 0 (the function is flat wherever it is differentiable in x);
    d/dvalues = 1 where x == 0, else 0 (summed over broadcast dimensions).
    PyTorch defines no derivative for heaviside and raises on backward instead.
    Shape: broadcast(x, values).
    """

    @staticmethod
    def forward(ctx, x, values):
        ctx.x, ctx.v_shape = x, values.shape
        return np.where(x == 0, values, x > 0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        need_x, need_v = ctx.needs_input_grad
        x = ctx.x
        return (np.zeros(x.shape, grad.dtype) if need_x else None,
                unbroadcast(grad * (x == 0), ctx.v_shape) if need_v else None)


class Step(Function):
    """step(x) = 1 where x > 0, else 0: the threshold unit of Rosenblatt's perceptron.

    d/dx = 0 (the step is flat everywhere but at 0).  Shape: input (*), output (*).
    """

    @staticmethod
    def forward(ctx, x):
        return (x > 0).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad)


class Sign(Function):
    """sign(x) = -1, 0 or 1 (0 at NaN, as PyTorch's (x > 0) - (x < 0)).  d/dx = 0, as in
    PyTorch.  Shape: input (*), output (*)."""

    @staticmethod
    def forward(ctx, x):
        return signs(x)

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad)


class Maxout(Function):
    """maxout(x, pieces, dim): the largest of each group of ``pieces`` consecutive features.

    Along ``dim``, features [0 .. pieces-1] form output feature 0, [pieces .. 2*pieces-1]
    output feature 1, and so on: x of shape (N, C * pieces) is viewed as (N, C, pieces) and
    the maximum is taken over the last axis.
    d/dx = grad at the argmax of each group (the first one on ties), 0 elsewhere.
    Shape: input (*, C * pieces, *) -> output (*, C, *), the split dimension being ``dim``.
    """

    @staticmethod
    def forward(ctx, x, pieces=2, dim=1):
        grouped = x.reshape(x.shape[:dim] + (-1, pieces) + x.shape[dim + 1:])
        ctx.grouped, ctx.axis, ctx.x_shape = grouped, dim + 1, x.shape
        return grouped.max(axis=dim + 1)

    @staticmethod
    def backward(ctx, grad):
        grouped, axis = ctx.grouped, ctx.axis
        winner = grouped.argmax(axis=axis)  # first maximum on ties
        grad_grouped = np.zeros(grouped.shape, grad.dtype)
        np.put_along_axis(grad_grouped, np.expand_dims(winner, axis),
                          np.expand_dims(grad, axis), axis)
        return grad_grouped.reshape(ctx.x_shape)


class Softmax(Function):
    """softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m) along ``dim``, m = max_j x_j.

    Subtracting the maximum leaves the value unchanged and keeps exp from overflowing.
    d/dx = s * (grad - sum(grad * s, dim)), s = softmax(x).
    Shape: input (*), output (*).
    """

    @staticmethod
    def forward(ctx, x, dim=-1):
        axis = None if x.ndim == 0 else dim
        # out= keeps a 0-d result an array, so the in-place steps below work for it too
        peak = x.max(axis=axis, keepdims=True, initial=-np.inf)  # initial: empty rows
        out = np.subtract(x, peak, out=np.empty(x.shape, x.dtype))
        np.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        ctx.out, ctx.axis = out, axis
        return out

    @staticmethod
    def backward(ctx, grad):
        s = ctx.out
        return s * (grad - (grad * s).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """log_softmax(x)_i = (x_i - m) - log(sum_j exp(x_j - m)) along ``dim``, m = max_j x_j.

    d/dx = grad - exp(log_softmax(x)) * sum(grad, dim).
    Shape: input (*), output (*).
    """

    @staticmethod
    def forward(ctx, x, dim=-1):
        axis = None if x.ndim == 0 else dim
        shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
        with np.errstate(divide="ignore"):  # an empty row sums to 0; its result is empty
            out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.out, ctx.axis = out, axis
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad - np.exp(ctx.out) * grad.sum(axis=ctx.axis, keepdims=True)


class Dropout(Function):
    """Inverted dropout: each element is zeroed with probability p and the survivors are
    scaled by 1 / (1 - p), so the expected value of every element is unchanged.

    d/dx = mask, the same zeros and 1 / (1 - p) scales as the forward pass.
    The mask is drawn from ``glassnet.random.default_generator()`` (seeded by
    ``glassnet.manual_seed``). With ``inplace`` the product is written into x.
    Shape: input (*), output (*).
    """

    @staticmethod
    def forward(ctx, x, p=0.5, inplace=False):
        if p == 1:
            ctx.mask = np.zeros(x.shape, x.dtype)
        else:
            draw_dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
            uniform = random.default_generator().random(x.shape, dtype=draw_dtype)
            ctx.mask = (uniform >= p) * x.dtype.type(1 / (1 - p))
        return np.multiply(x, ctx.mask, out=x if inplace else None)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.mask


# --------------------------------------------------------------------- public functions
def _float(op: str, input) -> Tensor:
    return float_input(op, input if isinstance(input, Tensor) else as_tensor(input, op))


def sigmoid(input) -> Tensor:
    """1 / (1 + exp(-input)), stable for inputs of any size."""
    return Sigmoid.apply(_float("sigmoid", input))


def tanh(input) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(_float("tanh", input))


def relu(input, inplace: bool = False) -> Tensor:
    """max(input, 0); ``inplace`` writes it into ``input`` and returns it (PyTorch's
    ``relu(x, inplace=True)``, ``nn.ReLU(inplace=True)``)."""
    if inplace:
        return in_place("relu", ReLU, _inplace_input("relu", input, float_only=False))
    return ReLU.apply(input if isinstance(input, Tensor) else as_tensor(input, "relu"))


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where positive, else negative_slope * input; ``inplace`` writes into input."""
    if inplace:
        return in_place("leaky_relu", LeakyReLU, _inplace_input("leaky_relu", input),
                        negative_slope=negative_slope)
    return LeakyReLU.apply(_float("leaky_relu", input), negative_slope=negative_slope)


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where positive, else alpha * (exp(input) - 1); ``inplace`` writes into input
    (alpha >= 0 then, as in PyTorch: its gradient is recovered from the output)."""
    if inplace:
        if alpha < 0:
            raise ValueError(f"elu: inplace=True needs alpha >= 0 (the gradient is computed "
                             f"from the output, as in PyTorch), got alpha={alpha!r}")
        return in_place("elu", ELU, _inplace_input("elu", input), alpha=alpha)
    return ELU.apply(_float("elu", input), alpha=alpha)


def _inplace_input(op: str, input, float_only: bool = True) -> Tensor:
    """The Tensor an ``inplace=True`` activation writes into: it must be a Tensor (of a
    floating dtype where the result is fractional), as in PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: inplace=True needs a Tensor to write into, got "
                        f"{type(input).__name__}")
    if float_only and input.data.dtype.kind != "f" or input.data.dtype.kind == "b":
        raise TypeError(f"{op}: inplace=True needs a floating point tensor, got dtype "
                        f"{input.data.dtype} (shape {input.shape})")
    return input


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * input)) / beta; input itself where beta * input > threshold."""
    return Softplus.apply(_float("softplus", input), beta=beta, threshold=threshold)


def gelu(input, approximate: str = "none") -> Tensor:
    """input * Phi(input), Phi the standard normal CDF; ``approximate="tanh"`` for the
    tanh formula of Hendrycks and Gimpel."""
    if approximate not in ("none", "tanh"):
        raise ValueError(
            f"gelu: argument 'approximate' must be 'none' or 'tanh', got {approximate!r}"
        )
    return GELU.apply(_float("gelu", input), approximate=approximate)


def heaviside(input, values) -> Tensor:
    """0 where input < 0, ``values`` where input == 0, 1 where input > 0."""
    x = as_tensor(input, "heaviside")
    if isinstance(values, (numbers.Number, np.generic)):
        values = Tensor._make(np.asarray(values, dtype=x.data.dtype), False, None)
    v = as_tensor(values, "heaviside", "values")
    if v.data.dtype != x.data.dtype:
        raise TypeError(
            f"heaviside: input (dtype {x.data.dtype}, shape {x.shape}) and values (dtype "
            f"{v.data.dtype}, shape {v.shape}) must have the same dtype"
        )
    try:
        np.broadcast_shapes(x.shape, v.shape)
    except ValueError:
        raise ValueError(
            f"heaviside: input shape {x.shape} and values shape {v.shape} cannot be broadcast"
        ) from None
    return Heaviside.apply(x, v)


def step(input) -> Tensor:
    """1 where input > 0, else 0, in the input's dtype (Rosenblatt's threshold unit)."""
    return Step.apply(as_tensor(input, "step"))


def sign(input) -> Tensor:
    """-1, 0 or 1 by the sign of each element (zero gradient); a bool tensor is its own
    sign, as in PyTorch."""
    x = as_tensor(input, "sign")
    if x.data.dtype.kind == "b":
        return Tensor(x.data.copy())
    return Sign.apply(x)


def maxout(input, pieces: int, dim: int = 1) -> Tensor:
    """Maximum over groups of ``pieces`` consecutive features along ``dim``: input
    (N, C * pieces) is viewed as (N, C, pieces) and reduced over the last axis -> (N, C)."""
    x = as_tensor(input, "maxout")
    if isinstance(pieces, bool) or not isinstance(pieces, (int, np.integer)) or pieces < 1:
        raise ValueError(f"maxout: argument 'pieces' must be a positive int, got {pieces!r}")
    axis = normalize_dim("maxout", dim, x.ndim)
    if x.ndim == 0 or x.shape[axis] % pieces:
        size = "a 0-d input" if x.ndim == 0 else f"{x.shape[axis]} features in dimension {dim}"
        raise ValueError(
            f"maxout: {size} cannot be split into groups of pieces={pieces} (input shape "
            f"{x.shape})"
        )
    return Maxout.apply(x, pieces=int(pieces), dim=axis)


def _softmax_args(op: str, input, dim, dtype) -> tuple:
    x = input if isinstance(input, Tensor) else as_tensor(input, op)
    if dim is None:
        raise TypeError(
            f"{op}: argument 'dim' is required: the dimension to normalise over, e.g. "
            f"{op}(logits, dim=-1) for logits of shape (N, C); got input shape {x.shape}"
        )
    axis = normalize_dim(op, dim, x.ndim)
    if dtype is not None:
        x = x.to(np.dtype(dtype))
    return float_input(op, x), axis


def softmax(input, dim: int | None = None, dtype=None) -> Tensor:
    """exp(input) / sum(exp(input)) along ``dim`` (required), computed stably."""
    x, axis = _softmax_args("softmax", input, dim, dtype)
    return Softmax.apply(x, dim=axis)


def log_softmax(input, dim: int | None = None, dtype=None) -> Tensor:
    """log(softmax(input, dim)), computed stably without forming softmax first."""
    x, axis = _softmax_args("log_softmax", input, dim, dtype)
    return LogSoftmax.apply(x, dim=axis)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) when
    ``training``; return ``input`` unchanged otherwise. ``inplace`` writes the result into
    ``input`` (a float tensor) and returns it, as PyTorch's ``dropout(..., inplace=True)``."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(
            f"dropout: argument 'p' (the probability of zeroing an element) must be between "
            f"0 and 1, got {p!r}"
        )
    x = input if isinstance(input, Tensor) else as_tensor(input, "dropout")
    if not training or p == 0:
        return x
    if inplace:
        if not isinstance(input, Tensor) or x.data.dtype.kind != "f":
            raise TypeError(f"dropout: inplace=True needs a floating point Tensor, got "
                            f"{getattr(x.data, 'dtype', type(input).__name__)}")
        return in_place("dropout", Dropout, x, p=float(p))
    return Dropout.apply(float_input("dropout", x), p=float(p))
