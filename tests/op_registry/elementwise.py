"""Registry entries: elementwise arithmetic."""

import numpy as np
import torch

from tests.op_registry.spec import Const, Diff, OpInfo, Sample


def _binary(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))), Diff(n((3, 4)))), desc="same"),
        Sample((Diff(n((2, 3, 4))), Diff(n((3, 1)))), desc="broadcast"),
        Sample((Diff(n(())), Diff(n((2, 1)))), desc="0d"),
        Sample((Diff(n((4, 3)).T), Diff(n((1, 4)))), desc="noncontig"),
        Sample((Diff(n((2, 3))), 1.5), desc="scalar"),
        Sample((2.5, Diff(n((2, 3)))), desc="rscalar"),
    ]


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def _div(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))), Diff(_positive(rng, (3, 4))))),
        Sample((Diff(n((2, 3, 4))), Diff(-_positive(rng, (4,)))), desc="broadcast"),
        Sample((Diff(n((4, 3)).T), Diff(_positive(rng, ()))), desc="noncontig-0d"),
        Sample((2.0, Diff(_positive(rng, (2, 3)))), desc="rscalar"),
    ]


def _pow(rng):
    return [
        Sample((Diff(_positive(rng, (3, 4))), Diff(rng.standard_normal((3, 4)))), desc="tensors"),
        Sample((Diff(_positive(rng, (2, 3))), Diff(rng.standard_normal((1, 3)))),
               desc="broadcast"),
        Sample((Diff(rng.standard_normal((3, 4))), 2), desc="int-exponent"),
        Sample((Diff(_positive(rng, (4, 3)).T), 0.5), desc="noncontig"),
        Sample((Diff(rng.standard_normal((2, 3))), 0), desc="zero-exponent"),
        Sample((2.0, Diff(rng.standard_normal((2, 3)))), desc="rscalar"),
    ]


def _division(rng):
    """(a, b) with a / b kept 0.2 away from every integer (the jumps of floor and %), and b
    away from zero; a takes the broadcast shape, b the smaller one."""
    def pair(a_shape, b_shape):
        b = _positive(rng, b_shape) * rng.choice([-1.0, 1.0], b_shape)
        q = rng.integers(-3, 4, a_shape) + rng.uniform(0.2, 0.8, a_shape)
        return q * b, b

    a, b = pair((3, 4), (3, 4))
    a2, b2 = pair((2, 3, 4), (4,))
    a3, b3 = pair((4, 3), ())
    a4 = (rng.integers(-3, 4, (2, 3)) + rng.uniform(0.2, 0.8, (2, 3))) * 1.5
    return [
        Sample((Diff(a), Diff(b)), desc="same"),
        Sample((Diff(a2), Diff(b2)), desc="broadcast"),
        Sample((Diff(np.ascontiguousarray(a3.T).T), Diff(b3)), desc="noncontig-0d"),
        Sample((Diff(a4), 1.5), desc="scalar"),
    ]


def _floor_divide_torch(a, b):
    # floor_divide has no autograd formula in PyTorch; div with floor rounding is the same
    # function with the zero gradient glassnet gives
    return torch.div(a, b, rounding_mode="floor")


def _unary(rng, low=None, high=None):
    def draw(shape):
        return rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape)

    return [
        Sample((Diff(draw((3, 4))),)),
        Sample((Diff(draw(())),), desc="0d"),
        Sample((Diff(draw((4, 1, 3)).transpose(2, 1, 0)),), desc="noncontig"),
        Sample((Diff(draw((1,))),), desc="size1"),
    ]


def _away_from_zero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _abs(rng):
    return [Sample((Diff(_away_from_zero(rng, (3, 4))),)),
            Sample((Diff(_away_from_zero(rng, (4, 2)).T),), desc="noncontig"),
            Sample((Diff(_away_from_zero(rng, ())),), desc="0d")]


def _clamp(rng):
    x = _away_from_zero(rng, (4, 5))
    x[np.abs(np.abs(x) - 1.0) < 0.05] = 0.7  # keep values away from the bounds (kinks)
    return [
        Sample((Diff(x),), {"min": -1.0, "max": 1.0}),
        Sample((Diff(x.T),), {"min": -0.2}, desc="min-only-noncontig"),
        Sample((Diff(x),), {"max": 0.25}, desc="max-only"),
        # tensor bounds get gradients too (broadcast against x); kept 0.1 away from x
        Sample((Diff(x), Diff(np.array([[-0.55], [0.45], [-1.55], [0.05]])),
                Diff(np.array([0.65, 1.45, 0.35, 2.05, 0.95]))), desc="tensor-bounds"),
    ]


def _extreme(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))), Diff(n((3, 4))))),
        Sample((Diff(n((2, 3, 4))), Diff(n((3, 1)))), desc="broadcast"),
        Sample((Diff(n((4, 3)).T), Diff(n(()))), desc="noncontig-0d"),
    ]


def _extreme_ties(rng):
    n = rng.standard_normal
    a, b = n((3, 4)), n((3, 4))
    b[0, :2] = a[0, :2]  # ties: PyTorch splits the gradient in half
    return [Sample((Diff(a), Diff(b)), desc="ties")]


def _where(rng):
    n = rng.standard_normal
    return [
        Sample((Const(n((3, 4)) > 0), Diff(n((3, 4))), Diff(n((3, 4))))),
        Sample((Const(n((2, 1, 4)) > 0), Diff(n((3, 1))), Diff(n((4,)))), desc="broadcast"),
        Sample((Const(n((3, 4)) > 0), Diff(n((4, 3)).T), Diff(n(()))), desc="noncontig-0d"),
    ]


def _cast(rng):
    return [Sample((Diff(rng.standard_normal((3, 4))), np.float64)),
            Sample((Diff(rng.standard_normal((3, 4)).T), np.float32), desc="noncontig")]


def _torch_cast(x, dtype):
    return x.to({np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[
        np.dtype(dtype)])


OPS = [
    OpInfo("add", _binary, torch.add),
    OpInfo("sub", _binary, torch.sub),
    OpInfo("mul", _binary, torch.mul),
    OpInfo("div", _div, torch.div),
    OpInfo("floor_divide", _division, _floor_divide_torch),
    OpInfo("remainder", _division, torch.remainder),
    OpInfo("neg", _unary, torch.neg),
    OpInfo("pow", _pow, torch.pow),
    OpInfo("square", _unary, torch.square),
    OpInfo("exp", _unary, torch.exp),
    OpInfo("log", lambda rng: _unary(rng, 0.2, 3.0), torch.log),
    OpInfo("sqrt", lambda rng: _unary(rng, 0.2, 3.0), torch.sqrt),
    OpInfo("abs", _abs, torch.abs),
    OpInfo("clamp", _clamp, torch.clamp),
    OpInfo("clip", _clamp, torch.clip),
    OpInfo("maximum", lambda rng: _extreme(rng) + _extreme_ties(rng), torch.maximum),
    OpInfo("minimum", lambda rng: _extreme(rng) + _extreme_ties(rng), torch.minimum),
    OpInfo("where", _where, torch.where),
    OpInfo("cast", _cast, _torch_cast, gradcheck=False,
           notes="gradcheck needs float64 in and out; parity covers both directions"),
    OpInfo("clone", _unary, torch.clone),
]
