"""Registry entries: reductions (sum, mean, max, min, amax, amin, var, std, logsumexp,
argmax, argmin).

Samples avoid ties for the differentiable max-like ops (finite differences are not defined
there); the tie rules are checked against PyTorch in ``tests/test_reduce.py``.
"""

import numpy as np
import torch

from tests.op_registry.spec import Const, Diff, OpInfo, Sample

_TORCH_DTYPES = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}


def _sum_mean(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))),), desc="all"),
        Sample((Diff(n((3, 4))), 1), desc="dim"),
        Sample((Diff(n((3, 4))), -1, True), desc="negdim-keepdim"),
        Sample((Diff(n((2, 3, 4))),), {"dim": (0, 2)}, desc="dims"),
        Sample((Diff(n((2, 3, 4))), [-1, 0], True), desc="dims-list-keepdim"),
        Sample((Diff(n((2, 3))),), {"dim": ()}, desc="empty-dims-means-all"),
        Sample((Diff(n((2, 3))),), {"keepdim": True, "dim": None}, desc="all-keepdim"),
        Sample((Diff(n(())),), desc="0d"),
        Sample((Diff(n(())), 0), desc="0d-dim"),
        Sample((Diff(n((1, 3, 1))), 0), desc="size1"),
        Sample((Diff(n((4, 3)).T), 0), desc="noncontig"),
        Sample((Diff(n((2, 5, 3)).transpose(2, 0, 1)), (1, 2)), desc="noncontig-dims"),
        Sample((Diff(n((3, 4))), 0), {"dtype": np.float64}, desc="dtype"),
    ]


def _with_torch_dtype(fn):
    def call(*args, dtype=None, **kwargs):
        if dtype is not None:
            kwargs["dtype"] = _TORCH_DTYPES[np.dtype(dtype)]
        return fn(*args, **kwargs)

    return call


def _distinct(rng, shape):
    """Values with no two equal, so max/min have a unique winner (no ties)."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.37 + rng.uniform(0, 0.1, size)).reshape(shape) - 1.0


def _max_min(rng):
    d = lambda shape: _distinct(rng, shape)  # noqa: E731
    return [
        Sample((Diff(d((3, 4))),), desc="all"),
        Sample((Diff(d((3, 4))), 1), desc="dim"),
        Sample((Diff(d((3, 4))), 1, True), desc="dim-keepdim"),
        Sample((Diff(d((2, 3, 4))),), {"dim": -2, "keepdim": False}, desc="negdim"),
        Sample((Diff(d((2, 3, 4))), -1, True), desc="negdim-keepdim"),
        Sample((Diff(d(())),), desc="0d"),
        Sample((Diff(d(())), 0), desc="0d-dim"),
        Sample((Diff(d(())), -1, True), desc="0d-dim-keepdim"),
        Sample((Diff(d((1, 4))), 0), desc="size1"),
        Sample((Diff(d((4, 3)).T),), desc="noncontig-all"),
        Sample((Diff(d((4, 3)).T), 0), desc="noncontig-dim"),
        Sample((Diff(d((3, 4))), Diff(d((4,)))), desc="other-tensor"),
    ]


def _amax_amin(rng):
    d = lambda shape: _distinct(rng, shape)  # noqa: E731
    return [
        Sample((Diff(d((3, 4))),), desc="default-all"),
        Sample((Diff(d((3, 4))), 1), desc="dim"),
        Sample((Diff(d((2, 3, 4))), (0, 2), True), desc="dims-keepdim"),
        Sample((Diff(d((2, 3, 4))),), {"dim": -1}, desc="negdim"),
        Sample((Diff(d((2, 3))), (), True), desc="all-keepdim"),
        Sample((Diff(d(())),), desc="0d"),
        Sample((Diff(d((1, 4))), 0), desc="size1"),
        Sample((Diff(d((4, 3)).T), 0), desc="noncontig"),
    ]


def _var_std(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))),), desc="all"),
        Sample((Diff(n((3, 4))), 1), desc="dim"),
        Sample((Diff(n((2, 3, 4))), (0, 2), True), desc="dims-keepdim"),
        Sample((Diff(n((2, 3, 4))),), {"dim": -1, "correction": 0}, desc="correction0"),
        Sample((Diff(n((3, 5))),), {"dim": 1, "correction": 2}, desc="correction2"),
        Sample((Diff(n((3, 4))),), {"dim": 0, "unbiased": False}, desc="unbiased-kw"),
        Sample((Diff(n((3, 4))), 1, True, True), desc="unbiased-positional"),
        Sample((Diff(n((3, 4))), False), desc="unbiased-only"),
        Sample((Diff(n((4, 1))),), {"dim": 1, "correction": 0}, desc="size1-zero"),
        Sample((Diff(n((4, 3)).T), 0), desc="noncontig"),
        Sample((Diff(n(())),), {"correction": 0}, desc="0d"),
    ]


def _logsumexp(rng):
    n = rng.standard_normal
    extreme = n((2, 4))
    extreme[0, 0], extreme[1, 2], extreme[1, 3] = 1e4, -1e4, 1e4 - 0.5
    with_neg_inf = n((2, 3))
    with_neg_inf[0, 1] = with_neg_inf[1, 0] = -np.inf
    return [
        Sample((Diff(n((3, 4))), 1), desc="dim"),
        Sample((Diff(n((3, 4))), -1, True), desc="negdim-keepdim"),
        Sample((Diff(n((2, 3, 4))), (0, 2)), desc="dims"),
        Sample((Diff(n((2, 3))), (0, 1), True), desc="all-keepdim"),
        Sample((Diff(n(())), 0), desc="0d"),
        Sample((Diff(n((1, 4))), 0), desc="size1"),
        Sample((Diff(n((4, 3)).T), 0), desc="noncontig"),
        Sample((Diff(extreme), 1), desc="extreme"),
        Sample((Diff(with_neg_inf), 1), desc="neg-inf"),
    ]


def _arg(rng):
    n = rng.standard_normal
    ties = Const(np.array([[1, 3, 3, 0], [2, 2, 0, 0], [5, 5, 5, 5]]))
    return [
        Sample((Diff(n((3, 4))),), desc="all"),
        Sample((Diff(n((3, 4))), 1), desc="dim"),
        Sample((Diff(n((3, 4))), -2, True), desc="negdim-keepdim"),
        Sample((Diff(n((3, 4))), None, True), desc="all-keepdim"),
        Sample((Diff(n(())),), desc="0d"),
        Sample((Diff(n(())), 0), desc="0d-dim"),
        Sample((Diff(n((4, 3)).T), 1), desc="noncontig"),
        Sample((ties, 1), desc="int-ties"),
        Sample((ties,), desc="int-ties-all"),
    ]


OPS = [
    OpInfo("sum", _sum_mean, _with_torch_dtype(torch.sum)),
    OpInfo("mean", _sum_mean, _with_torch_dtype(torch.mean)),
    OpInfo("max", _max_min, torch.max),
    OpInfo("min", _max_min, torch.min),
    OpInfo("amax", _amax_amin, torch.amax),
    OpInfo("amin", _amax_amin, torch.amin),
    OpInfo("var", _var_std, torch.var),
    OpInfo("std", _var_std, torch.std),
    OpInfo("logsumexp", _logsumexp, torch.logsumexp),
    OpInfo("argmax", _arg, torch.argmax, gradcheck=False,
           notes="integer output without gradient"),
    OpInfo("argmin", _arg, torch.argmin, gradcheck=False,
           notes="integer output without gradient"),
]
