"""Elementwise arithmetic with broadcasting: add, sub, mul, div, floor_divide, remainder,
neg, pow, exp, log, sqrt, abs, clamp, maximum, minimum, where, and the dtype cast.

Each op's gradient is the local derivative times the incoming gradient, summed back over
broadcast dimensions by ``unbroadcast``.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.autograd.function import Function
from glassnet.ops._util import (
    as_tensor,
    binary_operands,
    broadcast_error,
    broadcasting,
    check_broadcast,
    check_number_fits,
    float_input,
    signs,
    unbroadcast,
)
from glassnet.tensor import Tensor

__all__ = [
    "add", "sub", "mul", "div", "floor_divide", "remainder", "neg", "pow", "square", "exp",
    "log", "sqrt", "abs",
    "clamp", "clip", "maximum", "minimum", "where", "cast", "clone",
]


def _shape(x) -> tuple:
    return np.shape(x)


class Add(Function):
    """a + b.  d/da = 1, d/db = 1.  Shape: broadcast(a, b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a_shape, ctx.b_shape = _shape(a), _shape(b)
        return broadcasting("add", np.add, a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad, ctx.a_shape) if need_a else None,
                unbroadcast(grad, ctx.b_shape) if need_b else None)


class Sub(Function):
    """a - b.  d/da = 1, d/db = -1.  Shape: broadcast(a, b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a_shape, ctx.b_shape = _shape(a), _shape(b)
        return broadcasting("sub", np.subtract, a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad, ctx.a_shape) if need_a else None,
                unbroadcast(-grad, ctx.b_shape) if need_b else None)


class Mul(Function):
    """a * b.  d/da = b, d/db = a.  Shape: broadcast(a, b).

    Each factor is kept only if the other's gradient needs it (so ``x * 2`` keeps nothing
    of x, and a later in-place change of x does not make this node stale, as in PyTorch).
    """

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.a_shape, ctx.b_shape = _shape(a), _shape(b)
        ctx.a, ctx.b = (a if need_b else None), (b if need_a else None)
        return broadcasting("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad * ctx.b, ctx.a_shape) if need_a else None,
                unbroadcast(grad * ctx.a, ctx.b_shape) if need_b else None)


class Div(Function):
    """a / b.  d/da = 1 / b, d/db = -a / b^2.  Shape: broadcast(a, b).

    b is kept if either gradient is wanted, a only for b's (as PyTorch keeps them).
    """

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.a_shape, ctx.b_shape = _shape(a), _shape(b)
        ctx.a, ctx.b = (a if need_b else None), (b if need_a or need_b else None)
        return broadcasting("div", np.true_divide, a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        grad_over_b = grad / ctx.b
        return (unbroadcast(grad_over_b, ctx.a_shape) if need_a else None,
                unbroadcast(-grad_over_b * ctx.a / ctx.b, ctx.b_shape) if need_b else None)


class FloorDivide(Function):
    """floor(a / b), rounded towards minus infinity (Python's ``//``).  Shape: broadcast(a, b).

    d/da = d/db = 0: the result is constant between the jumps (and has no derivative at
    them), so backward returns zeros, as PyTorch's ``div(rounding_mode="floor")`` does.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.a_shape, ctx.b_shape = _shape(a), _shape(b)
        _check_integer_divisor("floor_divide", a, b)
        return broadcasting("floor_divide", np.floor_divide, a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        zeros = np.zeros_like(grad)
        return (unbroadcast(zeros, ctx.a_shape) if need_a else None,
                unbroadcast(zeros, ctx.b_shape) if need_b else None)


class Remainder(Function):
    """a - floor(a / b) * b: the remainder with the sign of b (Python's ``%``).

    d/da = 1, d/db = -floor(a / b) (PyTorch's formula).  Shape: broadcast(a, b).
    The operands are kept only for b's gradient.

    Floats are computed as PyTorch does, r = fmod(a, b), plus b where r is non-zero and its
    sign differs from b's: bit for bit PyTorch's result, signed zeros included (-3.0 % 3 is
    -0.0 there, while NumPy's ``remainder`` and Python give 0.0).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.a_shape, ctx.b_shape = _shape(a), _shape(b)
        ctx.a, ctx.b = (a, b) if ctx.needs_input_grad[1] else (None, None)
        _check_integer_divisor("remainder", a, b)
        return broadcasting("remainder", _remainder, a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad, ctx.a_shape) if need_a else None,
                unbroadcast(-grad * np.floor_divide(ctx.a, ctx.b), ctx.b_shape)
                if need_b else None)


def _remainder(a, b) -> np.ndarray:
    """PyTorch's remainder: NumPy's for integers, fmod moved into b's sign for floats."""
    if np.result_type(a, b).kind != "f":
        return np.remainder(a, b)
    r = np.fmod(a, b)
    moved = (r != 0) & ((r < 0) != (np.asarray(b) < 0))
    return np.where(moved, r + b, r) if moved.any() else r


def _check_integer_divisor(op: str, a, b) -> None:
    """Integer division by zero has no answer (NumPy would give 0): refuse it, as PyTorch
    does. Float division by zero gives inf or nan, as in PyTorch."""
    if np.result_type(a, b).kind in "iu" and not np.all(b):
        raise ZeroDivisionError(f"{op}: integer division by zero (divisor shape {_shape(b)})")


class Neg(Function):
    """-x.  d/dx = -1.  Shape: input (*), output (*)."""

    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """a ** b (either may be a tensor).  Shape: broadcast(a, b).

    d/da = b * a^(b-1)   (0 where b == 0, as in PyTorch);
    d/db = a^b * log(a)  (0 where a == 0 and b >= 0, as in PyTorch), log taken in the
    result's dtype (a float32 base with a float64 exponent: log in float64, as PyTorch).
    Integers to negative integer powers follow PyTorch's integer rule (``_integer_pow``).
    """

    @staticmethod
    def forward(ctx, a, b):
        try:
            out = np.power(a, b)
        except ValueError as e:
            if "negative integer powers" not in str(e):
                raise broadcast_error("pow", _shape(a), _shape(b)) from None
            out = _integer_pow(a, b)  # (pow() has refused a negative number exponent)
        ctx.a, ctx.b, ctx.out = a, b, out
        return out

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        a, b, out = ctx.a, ctx.b, ctx.out
        grad_a = grad_b = None
        if need_a:
            local = np.where(b == 0, 0.0, b * np.power(a, b - 1)).astype(grad.dtype, copy=False)
            grad_a = unbroadcast(grad * local, _shape(a))
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.log(a, dtype=out.dtype)
            local = np.where((a == 0) & (b >= 0), 0.0, out * log_a).astype(grad.dtype, copy=False)
            grad_b = unbroadcast(grad * local, _shape(b))
        return grad_a, grad_b


def _integer_pow(a, b) -> np.ndarray:
    """a ** b for integer arrays with some b < 0 (NumPy refuses them), as PyTorch computes
    it: 1 ** b = 1, (-1) ** b = 1 or -1 as b is even or odd, anything else 0 (1 / a ** -b
    truncated towards zero; 0 ** -1 is 0 too, not a division error)."""
    negative = b < 0
    out = np.power(a, np.where(negative, 0, b))  # (the negative exponents' places are redone)
    minus_one_power = np.where(b % 2 == 0, 1, -1)
    reciprocal = np.where(a == 1, 1, np.where(a == -1, minus_one_power, 0))
    return np.where(negative, reciprocal, out).astype(out.dtype, copy=False)


class Exp(Function):
    """exp(x).  d/dx = exp(x).  Shape: input (*), output (*)."""

    @staticmethod
    def forward(ctx, x):
        ctx.out = np.exp(x)
        return ctx.out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.out


class Log(Function):
    """log(x) (natural).  d/dx = 1 / x.  Shape: input (*), output (*)."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.x


class Sqrt(Function):
    """sqrt(x).  d/dx = 1 / (2 sqrt(x)).  Shape: input (*), output (*)."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            ctx.out = np.sqrt(x)
        return ctx.out

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(divide="ignore"):
            return grad / (2 * ctx.out)


class Abs(Function):
    """|x|.  d/dx = sign(x) (0 at x = 0 and at NaN, as in PyTorch).  Shape: input (*),
    output (*)."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * signs(ctx.x)  # PyTorch's sign: 0 at NaN, where NumPy's is NaN


class Clamp(Function):
    """clamp(x, min, max) = min(max(x, min), max).  Shape: broadcast(x, min, max).

    d/dx = 1 where min <= x <= max (bounds included, as in PyTorch), else 0. Tensor bounds
    get PyTorch's subgradients: d/dmin = 1 where x < min (and min < max), d/dmax = 1 where
    x > max (or max < min, where max wins); each summed back to its operand's shape.
    """

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        # bounds in x's dtype: a float64 0-d bound does not make a float32 clamp float64
        lo = None if min is None else np.asarray(min, dtype=x.dtype)
        hi = None if max is None else np.asarray(max, dtype=x.dtype)
        ctx.x, ctx.lo, ctx.hi = x, lo, hi
        try:
            return np.clip(x, lo, hi)
        except ValueError:
            shapes = [np.shape(v) for v in (x, lo, hi) if v is not None]
            raise broadcast_error("clamp", *shapes) from None

    @staticmethod
    def backward(ctx, grad):
        x, lo, hi = ctx.x, ctx.lo, ctx.hi
        need_x, need_lo, need_hi = (tuple(ctx.needs_input_grad) + (False, False))[:3]
        inside = True
        if lo is not None:
            inside = x >= lo
        if hi is not None:
            inside = inside & (x <= hi)
        grad_x = unbroadcast(grad * inside, x.shape) if need_x else None
        grad_lo = grad_hi = None
        if need_lo:
            below = (x < lo) & (lo < hi) if hi is not None else x < lo
            grad_lo = unbroadcast(grad * below, lo.shape)
        if need_hi:
            above = (x > hi) | (hi < lo) if lo is not None else x > hi
            grad_hi = unbroadcast(grad * above, hi.shape)
        return grad_x, grad_lo, grad_hi


class Maximum(Function):
    """maximum(a, b), elementwise.  Shape: broadcast(a, b).

    The gradient goes to the larger input; on a tie it is split in half between both,
    and where either is NaN (the result is NaN) both get all of it, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return broadcasting("maximum", np.maximum, a, b)

    @staticmethod
    def backward(ctx, grad):
        return _select_backward(ctx, grad, np.less)


class Minimum(Function):
    """minimum(a, b), elementwise; the gradient goes to the smaller input, halved on ties
    (to both in full where either is NaN, as in PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return broadcasting("minimum", np.minimum, a, b)

    @staticmethod
    def backward(ctx, grad):
        return _select_backward(ctx, grad, np.greater)


def _select_backward(ctx, grad, loses):
    """PyTorch's rule: each input gets grad, halved where a == b, and nothing where it
    ``loses`` to the other (a < b for maximum). A NaN loses no comparison, so both get grad.
    """
    a, b = ctx.a, ctx.b
    need_a, need_b = ctx.needs_input_grad
    tie = a == b

    def share(mine, other):
        return np.where(tie, 0.5, np.where(loses(mine, other), 0.0, 1.0)).astype(grad.dtype)

    return (unbroadcast(grad * share(a, b), _shape(a)) if need_a else None,
            unbroadcast(grad * share(b, a), _shape(b)) if need_b else None)


class Where(Function):
    """where(condition, x, y): x where condition is True, else y.  Shape: broadcast of all.

    d/dx = condition, d/dy = not condition.
    """

    @staticmethod
    def forward(ctx, condition, x, y):
        ctx.condition, ctx.x_shape, ctx.y_shape = condition, _shape(x), _shape(y)
        try:
            return np.where(condition, x, y)
        except ValueError:
            raise broadcast_error("where", _shape(condition), _shape(x), _shape(y)) from None

    @staticmethod
    def backward(ctx, grad):
        _, need_x, need_y = ctx.needs_input_grad
        zero = np.zeros((), dtype=grad.dtype)
        return (None,
                unbroadcast(np.where(ctx.condition, grad, zero), ctx.x_shape) if need_x else None,
                unbroadcast(np.where(ctx.condition, zero, grad), ctx.y_shape) if need_y else None)


class Cast(Function):
    """x.to(dtype).  d/dx = 1, cast back to the input's dtype.  Shape: input (*)."""

    @staticmethod
    def forward(ctx, x, dtype=None):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.in_dtype)


class Clone(Function):
    """A copy of x that owns its memory.  d/dx = 1.  Shape: input (*)."""

    @staticmethod
    def forward(ctx, x):
        return np.array(x, copy=True, order="C")

    @staticmethod
    def backward(ctx, grad):
        return grad


# --------------------------------------------------------------------- public functions
def add(input, other, alpha=1) -> Tensor:
    """input + alpha * other, with broadcasting."""
    if alpha != 1 or type(alpha) is not int:  # (the default, int 1: nothing to do)
        other = _times_alpha("add", input, other, alpha)
    return Add.apply(*binary_operands("add", input, other))


def _times_alpha(op: str, input, other, alpha):
    """other * alpha for add and sub. PyTorch refuses a float alpha when the result would be
    an integer (rather than silently computing in float), and a bool alpha unless it is bool."""
    a, b = binary_operands(op, input, other)
    result = np.result_type(*(v.data if isinstance(v, Tensor) else v for v in (a, b)))
    if result.kind in "biu" and isinstance(alpha, (float, np.floating)):
        raise TypeError(f"{op}: for integral input tensors, argument alpha must not be a "
                        f"floating point number (got alpha={alpha!r}, result dtype {result})")
    if result.kind != "b" and isinstance(alpha, (bool, np.bool_)):
        raise TypeError(f"{op}: a bool alpha is only supported for bool results (got "
                        f"alpha={alpha!r}, result dtype {result})")
    if alpha == 1:  # (a float 1.0, checked above)
        return other
    return mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def sub(input, other, alpha=1) -> Tensor:
    """input - alpha * other, with broadcasting. Refused with a bool operand, as in
    PyTorch (invert a mask with ``~``; compare two with ``^``)."""
    bools = [v for v in (input, other) if _is_bool(v)]
    if bools:
        advice = ("use ^ (logical_xor) for two masks" if len(bools) == 2
                  else "use ~ (logical_not) to invert a mask")
        raise TypeError(f"sub: subtraction with a bool {'tensor' if len(bools) < 2 else 'pair'}"
                        f" is not supported, as in PyTorch; {advice}")
    if alpha != 1 or type(alpha) is not int:  # (the default, int 1: nothing to do)
        other = _times_alpha("sub", input, other, alpha)
    return Sub.apply(*binary_operands("sub", input, other))


def mul(input, other) -> Tensor:
    """input * other, with broadcasting."""
    return Mul.apply(*binary_operands("mul", input, other))


def div(input, other) -> Tensor:
    """input / other (true division; integers give the default float dtype)."""
    a, b = binary_operands("div", input, other)
    if np.result_type(a.data if isinstance(a, Tensor) else a,
                      b.data if isinstance(b, Tensor) else b).kind != "f":
        a = float_input("div", a if isinstance(a, Tensor) else Tensor(a))
        b = b.astype(a.data.dtype) if isinstance(b, np.ndarray) else float_input("div", b)
    return Div.apply(a, b)


def floor_divide(input, other) -> Tensor:
    """input // other: the quotient rounded towards minus infinity (zero gradient)."""
    return FloorDivide.apply(*_no_bools("floor_divide", *binary_operands(
        "floor_divide", input, other)))


def remainder(input, other) -> Tensor:
    """input % other: the remainder with the sign of ``other``, as Python's ``%``."""
    return Remainder.apply(*_no_bools("remainder", *binary_operands("remainder", input, other)))


def _no_bools(op: str, a, b) -> tuple:
    """Division needs numbers: two bool operands are refused, as in PyTorch."""
    kinds = [np.result_type(v.data if isinstance(v, Tensor) else v).kind for v in (a, b)]
    if kinds == ["b", "b"]:
        raise TypeError(f"{op}: not defined for bool tensors; convert one to int or float")
    return a, b


def neg(input) -> Tensor:
    """-input (refused on a bool tensor, as in PyTorch: invert a mask with ``~``)."""
    x = as_tensor(input, "neg")
    if x.data.dtype.kind == "b":
        raise TypeError(f"neg: negation of a bool tensor (shape {x.shape}) is not supported, "
                        "as in PyTorch; use ~ (logical_not) to invert a mask")
    return Neg.apply(x)


def _is_bool(value) -> bool:
    """A bool tensor, array or Python/NumPy bool."""
    if isinstance(value, (bool, np.bool_)):
        return True
    data = value.data if isinstance(value, Tensor) else value
    return isinstance(data, np.ndarray) and data.dtype.kind == "b"


def pow(input, exponent) -> Tensor:
    """input ** exponent; either may be a Tensor or a number. An integer tensor to a
    negative integer number is refused, as in PyTorch (a negative exponent tensor is not)."""
    if isinstance(input, Tensor) and input.data.dtype.kind in "biu" and isinstance(
            exponent, (int, np.integer)) and not isinstance(exponent, (bool, np.bool_)):
        if exponent < 0:
            raise ValueError(f"pow: integers to negative integer powers are not allowed "
                             f"(exponent {exponent}, base dtype {input.data.dtype}); convert "
                             "the base to float first (x.float() ** -1)")
        if input.data.dtype.kind in "iu":  # no wrapping (as + and * do): 200 in int8 is -56
            check_number_fits("pow", exponent, input.data.dtype)
    return Pow.apply(*binary_operands("pow", input, exponent))


def square(input) -> Tensor:
    """input ** 2."""
    return pow(input, 2)


def exp(input) -> Tensor:
    """e ** input."""
    return Exp.apply(float_input("exp", as_tensor(input, "exp")))


def log(input) -> Tensor:
    """Natural logarithm (-inf at 0, nan below, as in PyTorch)."""
    return Log.apply(float_input("log", as_tensor(input, "log")))


def sqrt(input) -> Tensor:
    """Square root (nan below 0, as in PyTorch)."""
    return Sqrt.apply(float_input("sqrt", as_tensor(input, "sqrt")))


def abs(input) -> Tensor:  # noqa: A001 (PyTorch's name)
    """|input| (refused on a bool tensor, as in PyTorch)."""
    x = as_tensor(input, "abs")
    if x.data.dtype.kind == "b":
        raise TypeError(f"abs: not implemented for bool tensors (shape {x.shape}), as in "
                        "PyTorch; convert to int or float first")
    return Abs.apply(x)


def clamp(input, min=None, max=None) -> Tensor:  # noqa: A002 (PyTorch's names)
    """Limit values to [min, max]; either bound may be None."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' and 'max' must be given")
    x = as_tensor(input, "clamp")
    for name, bound in (("min", min), ("max", max)):
        if not isinstance(bound, (Tensor, np.ndarray, numbers.Real, np.generic, type(None))) \
                or isinstance(bound, (np.complexfloating, np.str_, np.bytes_)):
            raise TypeError(f"clamp: argument '{name}' must be a number or a Tensor, got "
                            f"{type(bound).__name__} {bound!r}")
    # Tensor bounds take part in type promotion as a binary op's operands do (a float64
    # bound of shape (1,) makes a float32 clamp float64, a 0-d one does not), and are graph
    # inputs that get gradients. A float number makes an integer input float, as in PyTorch.
    for bound in (min, max):
        if isinstance(bound, Tensor):  # the dtype a binary op of x and the bound would have
            a, b = binary_operands("clamp", x, bound)
            target = np.result_type(*(v.data if isinstance(v, Tensor) else v for v in (a, b)))
            if target != x.data.dtype:
                x = cast(x, target)  # (the bounds are cast to x's dtype in forward)
    if x.data.dtype.kind != "f" and any(isinstance(v, (float, np.floating)) for v in (min, max)):
        x = float_input("clamp", x)
    elif x.data.dtype.kind == "b" and any(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
            for v in (min, max)):
        x = cast(x, np.int64)  # a bool clamped by an int is an int64 clamp, as in PyTorch
    return Clamp.apply(x, min, max)


clip = clamp


def maximum(input, other) -> Tensor:
    """Elementwise maximum of two tensors (ties split the gradient in half), with the
    type promotion of the arithmetic ops."""
    return Maximum.apply(*binary_operands(
        "maximum", as_tensor(input, "maximum"), as_tensor(other, "maximum", "other")))


def minimum(input, other) -> Tensor:
    """Elementwise minimum of two tensors (ties split the gradient in half), with the
    type promotion of the arithmetic ops."""
    return Minimum.apply(*binary_operands(
        "minimum", as_tensor(input, "minimum"), as_tensor(other, "minimum", "other")))


def where(condition, input, other) -> Tensor:
    """Pick ``input`` where ``condition`` is True, else ``other`` (broadcasting all three)."""
    condition = as_tensor(condition, "where", "condition")
    if condition.data.dtype.kind != "b":
        raise TypeError(
            f"where: argument 'condition' must be a bool tensor, got dtype "
            f"{condition.data.dtype} (shape {condition.shape})"
        )
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        # Two numbers: both become tensors of the default float dtype (or int64), as in
        # torch.where(cond, 1.0, 0.0).
        input, other = Tensor(input), Tensor(other)
    x, y = binary_operands("where", input, other)
    check_broadcast("where", condition.shape, np.shape(x.data if isinstance(x, Tensor) else x),
                    np.shape(y.data if isinstance(y, Tensor) else y))
    return Where.apply(condition.data, x, y)


def cast(input: Tensor, dtype) -> Tensor:
    """input converted to ``dtype``; differentiable between floating dtypes."""
    dtype = np.dtype(dtype)
    x = as_tensor(input, "cast")
    if dtype.kind != "f" and x.requires_grad:
        return Tensor._make(x.data.astype(dtype), False, None)
    return Cast.apply(x, dtype=dtype)


def clone(input: Tensor) -> Tensor:
    """A copy that owns its memory; gradients flow through."""
    return Clone.apply(as_tensor(input, "clone"))
