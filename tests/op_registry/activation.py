"""Registry entries: activation functions, softmax, log_softmax, maxout and dropout."""

import numpy as np
import torch
import torch.nn.functional as TF

from tests.op_registry.spec import Const, Diff, OpInfo, Sample


def _away_from_zero(rng, shape):
    """Values at least 0.1 away from 0, the kink of relu, leaky_relu, elu, step and sign."""
    return rng.uniform(0.1, 2.5, shape) * rng.choice([-1.0, 1.0], shape)


def _unary(rng, draw=None, kwargs=None):
    draw = draw or (lambda shape: _away_from_zero(rng, shape))
    kwargs = kwargs or {}
    return [
        Sample((Diff(draw((3, 4))),), dict(kwargs)),
        # positive: at a negative 0-d value relu's (and gelu's) gradient is ~0, checking
        # nothing; the (3, 4) sample has both signs
        Sample((Diff(np.abs(draw(()))),), dict(kwargs), desc="0d"),
        Sample((Diff(draw((4, 1, 3)).transpose(2, 1, 0)),), dict(kwargs), desc="noncontig"),
        Sample((Diff(draw((1,))),), dict(kwargs), desc="size1"),
    ]


def _normal(rng):
    return _unary(rng, lambda shape: 2 * rng.standard_normal(shape))


def _with_kwargs(**kwargs):
    return lambda rng: _unary(rng) + _unary(rng, kwargs=kwargs)[:2]


def _softplus(rng):
    def draw(shape):  # beta * x stays >= 0.2 away from threshold 5: the switch is a jump
        x = rng.uniform(-4.0, 4.0, shape)
        return np.where(np.abs(2 * x - 5) < 0.2, 1.0, x)

    return (_unary(rng, lambda shape: 3 * rng.standard_normal(shape))
            + [Sample((Diff(draw((4, 5))),), {"beta": 2.0, "threshold": 5.0}, desc="beta"),
               Sample((Diff(np.array([-30.0, -1.0, 19.0, 25.0])),), desc="threshold")])


def _gelu(rng):
    return _normal(rng) + [Sample((Diff(2 * rng.standard_normal((3, 4))),),
                                  {"approximate": "tanh"}, desc="tanh"),
                           Sample((Diff(2 * rng.standard_normal((4, 2)).T),),
                                  {"approximate": "tanh"}, desc="tanh-noncontig")]


def _with_zeros(rng, shape):
    return rng.choice([-1.5, -0.5, 0.0, 0.5, 2.0], shape)


def _heaviside(rng):
    # x is a Diff only when it has no zeros (heaviside jumps there); the zeros are tested
    # with a Const x, where d/dvalues = (x == 0).
    return [
        Sample((Diff(_away_from_zero(rng, (3, 4))), Diff(rng.standard_normal((3, 4))))),
        Sample((Const(_with_zeros(rng, (3, 4))), Diff(rng.standard_normal((4,)))),
               desc="zeros-broadcast"),
        Sample((Const(np.array(0.0)), Diff(rng.standard_normal((2, 3)))), desc="0d-input"),
        Sample((Const(_with_zeros(rng, (4, 3)).T), Diff(rng.standard_normal(()))),
               desc="noncontig-0d-values"),
        Sample((Diff(_away_from_zero(rng, (1,))), Diff(rng.standard_normal((1,)))),
               desc="size1"),
        Sample((Diff(_away_from_zero(rng, (4, 3)).T), Diff(rng.standard_normal((4, 3)).T)),
               desc="noncontig"),
    ]


def _torch_heaviside(x, values):
    # PyTorch has no derivative for heaviside: compare the forward pass only.
    return torch.heaviside(x.detach(), values.detach())


def _maxout(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((4, 6))),), {"pieces": 2}),
        Sample((Diff(n((4, 6))), 3), desc="pieces3"),
        Sample((Diff(n((2, 6, 3))), 3), {"dim": 1}, desc="3d"),
        Sample((Diff(n((2, 3, 4))), 2), {"dim": -1}, desc="last-dim"),
        Sample((Diff(n((6, 4)).T), 2), desc="noncontig"),
        Sample((Diff(n((1, 2))), 2), desc="size1"),
        Sample((Diff(n((3, 4))), 1), desc="pieces1"),
    ]


def _torch_maxout(x, pieces, dim=1):
    dim = dim % x.ndim
    return x.unflatten(dim, (-1, pieces)).amax(dim + 1)


def _softmax(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))),), {"dim": 1}),
        Sample((Diff(n((3, 4))),), {"dim": 0}, desc="dim0"),
        Sample((Diff(n((2, 3, 4))), 1), desc="3d-positional"),
        Sample((Diff(n((2, 3, 4))),), {"dim": -1}, desc="last"),
        Sample((Diff(n(())),), {"dim": 0}, desc="0d"),
        Sample((Diff(n((1,))),), {"dim": 0}, desc="size1"),
        Sample((Diff(n((4, 3)).T),), {"dim": 1}, desc="noncontig"),
        Sample((Diff(50 * n((2, 5))),), {"dim": 1}, desc="large"),
    ]


def _dropout(rng):
    return [Sample((Diff(rng.standard_normal((3, 4))),), {"p": 0.3})]


OPS = [
    OpInfo("sigmoid", _normal, torch.sigmoid),
    OpInfo("tanh", _normal, torch.tanh),
    OpInfo("relu", _unary, TF.relu),
    OpInfo("leaky_relu", _with_kwargs(negative_slope=0.2), TF.leaky_relu),
    OpInfo("elu", _with_kwargs(alpha=0.5), TF.elu),
    OpInfo("softplus", _softplus, TF.softplus),
    OpInfo("gelu", _gelu, TF.gelu),
    OpInfo("heaviside", _heaviside, _torch_heaviside, torch_differentiable=False,
           notes="PyTorch cannot differentiate heaviside; parity covers the forward pass"),
    OpInfo("step", _unary, lambda x: (x > 0).to(x.dtype), torch_differentiable=False,
           notes="Rosenblatt's step; no PyTorch op, its twin is a comparison"),
    OpInfo("sign", _unary, torch.sign),
    OpInfo("maxout", _maxout, _torch_maxout,
           notes="no PyTorch op; the twin groups consecutive features with unflatten"),
    OpInfo("softmax", _softmax, TF.softmax),
    OpInfo("log_softmax", _softmax, TF.log_softmax),
    OpInfo("dropout", _dropout, TF.dropout, gradcheck=False, parity=False,
           notes="random masks: tests/test_activation.py checks seeding, scaling, gradient"),
]
