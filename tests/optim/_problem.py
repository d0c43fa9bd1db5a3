"""A shared test problem: four parameters (one 0-d) with fixed NumPy gradient functions, run
through a glassnet optimizer and the matching torch.optim one side by side."""

from __future__ import annotations

import numpy as np
import torch

import glassnet as gn

SHAPES = [(3, 4), (4,), (2, 3), ()]
_rng = np.random.default_rng(1234)
INIT = [_rng.standard_normal(s) for s in SHAPES]
# gradient of 0.5 (x - c)^T M (x - c) + 0.1 * sum(cos(x)): a quadratic with a wobble
_MATS, _CENTERS = [], []
for _shape in SHAPES:
    n = int(np.prod(_shape))
    q = _rng.standard_normal((n, n))
    _MATS.append(q @ q.T / n + 0.5 * np.eye(n))
    _CENTERS.append(_rng.standard_normal(n))


def gradient(k: int, x: np.ndarray) -> np.ndarray:
    flat = x.reshape(-1)
    g = _MATS[k] @ (flat - _CENTERS[k]) - 0.1 * np.sin(flat)
    return g.reshape(x.shape)


def skipped(k: int, t: int) -> bool:
    """The 0-d parameter gets no gradient every third step (optimizers must skip it)."""
    return k == 3 and t % 3 == 1


def make_params():
    gparams = [gn.Tensor(a.copy(), requires_grad=True) for a in INIT]
    tparams = [torch.tensor(a.copy(), requires_grad=True) for a in INIT]
    return gparams, tparams


def groups(params, spec):
    """spec: None for one plain list, else [(indices, options), ...] param groups."""
    if spec is None:
        return list(params)
    return [{"params": [params[i] for i in idx], **opts} for idx, opts in spec]


def set_grads(gparams, tparams, t: int) -> None:
    for k, (gp, tp) in enumerate(zip(gparams, tparams, strict=True)):
        if skipped(k, t):
            gp.grad, tp.grad = None, None
        else:
            gp.grad = gn.Tensor(gradient(k, gp.data))
            tp.grad = torch.from_numpy(gradient(k, tp.detach().numpy()))


def set_glassnet_grads(gparams, t: int) -> None:
    for k, gp in enumerate(gparams):
        gp.grad = None if skipped(k, t) else gn.Tensor(gradient(k, gp.data))


def assert_close(gparams, tparams, t: int, rtol: float = 1e-10) -> None:
    for k, (gp, tp) in enumerate(zip(gparams, tparams, strict=True)):
        np.testing.assert_allclose(
            gp.data, tp.detach().numpy(), rtol=rtol, atol=1e-12,
            err_msg=f"parameter {k} after step {t + 1}",
        )
