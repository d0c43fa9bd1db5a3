"""Tests generated from the op registry: completeness, float64 gradient checks, and parity
with PyTorch (forward and backward) in float64 (tight) and float32 (1e-5 relative)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.functional as F
from glassnet.autograd import gradcheck
from tests.op_registry import OPS, Const, Diff

torch.set_default_dtype(torch.float32)


def _cases():
    for name, info in sorted(OPS.items()):
        for i, sample in enumerate(info.samples(np.random.default_rng(0))):
            suffix = f"-{sample.desc}" if sample.desc else ""
            yield pytest.param(info, sample, id=f"{name}-{i}{suffix}")


CASES = list(_cases())


def _convert(value, dtype, lib):
    """Diff/Const -> a glassnet or torch tensor in ``dtype``; other values unchanged."""
    if isinstance(value, (Diff, Const)):
        array = np.asarray(value.array)
        if array.dtype.kind == "f":
            array = array.astype(dtype)  # order "K": a transposed view stays non-contiguous
        grad = isinstance(value, Diff)
        if lib == "gn":
            return gn.Tensor(array.copy(order="K"), requires_grad=grad)
        t = torch.from_numpy(np.array(array, copy=True, order="K"))
        return t.requires_grad_(grad)
    if isinstance(value, (list, tuple)) and any(isinstance(v, (Diff, Const)) for v in value):
        return type(value)(_convert(v, dtype, lib) for v in value)
    return value


def _flat_outputs(out):
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def _diff_leaves(args):
    leaves = []
    for a in args:
        if isinstance(a, (list, tuple)):
            leaves.extend(_diff_leaves(a))
        elif isinstance(a, (gn.Tensor, torch.Tensor)) and a.requires_grad:
            leaves.append(a)
    return leaves


def _run(info, sample, dtype, lib):
    args = tuple(_convert(a, dtype, lib) for a in sample.args)
    kwargs = {k: _convert(v, dtype, lib) for k, v in sample.kwargs.items()}
    fn = (info.gn_fn or getattr(F, info.name)) if lib == "gn" else info.torch_fn
    out = fn(*args, **kwargs)
    return args, out


def test_every_public_op_is_in_the_registry():
    missing = sorted(set(F.__all__) - set(OPS))
    assert not missing, f"public ops without an op-registry entry: {missing}"


def test_registry_lists_only_public_ops():
    unknown = sorted(set(OPS) - set(F.__all__))
    assert not unknown, f"registry entries for names that glassnet.functional lacks: {unknown}"


@pytest.mark.parametrize("info,sample", [c for c in CASES if c.values[0].gradcheck])
def test_gradcheck_float64(info, sample):
    args = tuple(_convert(a, np.float64, "gn") for a in sample.args)
    kwargs = {k: _convert(v, np.float64, "gn") for k, v in sample.kwargs.items()}
    leaves = _diff_leaves(args)
    if not leaves:
        pytest.fail(f"{info.name}: sample has no Diff input to check")
    fn = info.gn_fn or getattr(F, info.name)
    def call(*tensors):
        it = iter(tensors)

        def put(a):
            if isinstance(a, (list, tuple)):
                return type(a)(put(v) for v in a)
            if isinstance(a, gn.Tensor) and a.requires_grad:
                return next(it)
            return a

        return fn(*(put(a) for a in args), **kwargs)

    assert gradcheck(call, leaves, eps=1e-6, atol=1e-5, rtol=1e-3)


def _compare(info, sample, dtype, rtol, atol):
    gn_args, gn_out = _run(info, sample, dtype, "gn")
    t_args, t_out = _run(info, sample, dtype, "torch")
    gn_outs, t_outs = _flat_outputs(gn_out), _flat_outputs(t_out)
    assert len(gn_outs) == len(t_outs), f"{info.name}: {len(gn_outs)} outputs vs {len(t_outs)}"
    rng = np.random.default_rng(1)
    gn_root, t_root = [], []
    for g, t in zip(gn_outs, t_outs):
        t_np = t.detach().numpy()
        assert g.shape == tuple(t_np.shape), f"{info.name}: shape {g.shape} vs torch {t_np.shape}"
        assert g.dtype == t_np.dtype, f"{info.name}: dtype {g.dtype} vs torch {t_np.dtype}"
        np.testing.assert_allclose(g.data, t_np, rtol=rtol, atol=atol,
                                   err_msg=f"{info.name} forward")
        assert g.requires_grad == t.requires_grad or not info.torch_differentiable, \
            f"{info.name}: requires_grad {g.requires_grad} vs torch {t.requires_grad}"
        if g.requires_grad and t.requires_grad:
            v = rng.standard_normal(g.shape).astype(dtype)
            gn_root.append((g, v))
            t_root.append((t, torch.from_numpy(v.copy())))
    if not gn_root:
        return
    for g, v in gn_root:
        g.backward(v, retain_graph=True)
    torch.autograd.backward([t for t, _ in t_root], [v for _, v in t_root])
    for g_leaf, t_leaf in zip(_diff_leaves(gn_args), _diff_leaves(t_args)):
        t_grad = t_leaf.grad
        if t_grad is None:
            assert g_leaf.grad is None or not g_leaf.grad.data.any()
            continue
        assert g_leaf.grad is not None, f"{info.name}: glassnet gave no gradient"
        np.testing.assert_allclose(g_leaf.grad.data, t_grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{info.name} backward")


@pytest.mark.parametrize("info,sample", [c for c in CASES if c.values[0].parity])
def test_parity_with_torch_float64(info, sample):
    _compare(info, sample, np.float64, info.float64_rtol, info.float64_atol)


@pytest.mark.parametrize("info,sample", [c for c in CASES if c.values[0].parity])
def test_parity_with_torch_float32(info, sample):
    _compare(info, sample, np.float32, info.float32_rtol, info.float32_atol)
