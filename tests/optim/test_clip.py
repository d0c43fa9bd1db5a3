"""clip_grad_norm_ and clip_grad_value_ equal torch.nn.utils' on the same gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.optim import clip_grad_norm_, clip_grad_value_

SHAPES = [(3, 4), (5,), (), (2, 1, 3)]


def _pair(dtype=np.float64, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    grads = [np.array(scale * rng.standard_normal(s), dtype=dtype) for s in SHAPES]
    g = [gn.Tensor(np.zeros(s, dtype), requires_grad=True) for s in SHAPES]
    t = [torch.zeros(s, dtype=torch.float64 if dtype == np.float64 else torch.float32,
                     requires_grad=True) for s in SHAPES]
    for gp, tp, grad in zip(g, t, grads, strict=True):
        gp.grad = gn.Tensor(grad.copy())
        tp.grad = torch.from_numpy(grad.copy())
    extra = gn.Tensor(np.zeros(2), requires_grad=True)  # no grad: ignored
    return g + [extra], t + [torch.zeros(2, dtype=torch.float64, requires_grad=True)]


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-6)])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(dtype, rtol, norm_type, max_norm):
    g, t = _pair(dtype)
    total = clip_grad_norm_(g, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type=norm_type)
    assert isinstance(total, gn.Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.data, expected.numpy(), rtol=rtol)
    for gp, tp in zip(g, t, strict=True):
        if tp.grad is None:
            assert gp.grad is None
        else:
            np.testing.assert_allclose(gp.grad.data, tp.grad.numpy(), rtol=rtol, atol=1e-30)


def test_clip_grad_norm_single_tensor_generator_and_empty():
    p = gn.Tensor(np.zeros(2), requires_grad=True)
    p.grad = gn.Tensor(np.array([3.0, 4.0]))
    assert clip_grad_norm_(p, 1.0).item() == 5.0
    np.testing.assert_allclose(p.grad.data, np.array([3.0, 4.0]) / (5.0 + 1e-6))
    p.grad = gn.Tensor(np.array([3.0, 4.0]))
    assert clip_grad_norm_((q for q in [p]), 10.0).item() == 5.0
    np.testing.assert_array_equal(p.grad.data, [3.0, 4.0])  # coef > 1: untouched
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    g, t = _pair()
    g[0].grad.data[0, 0] = np.inf
    t[0].grad[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(g, 1.0, error_if_nonfinite=True)
    total = clip_grad_norm_(g, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(t, 1.0)
    assert np.isinf(total.item()) and np.isinf(expected.item())
    for gp, tp in zip(g[:-1], t[:-1], strict=True):
        np.testing.assert_array_equal(gp.grad.data, tp.grad.numpy())


@pytest.mark.parametrize("clip_value", [0.3, 1.0, 10.0])
def test_clip_grad_value_matches_torch(clip_value):
    g, t = _pair(scale=2.0)
    assert clip_grad_value_(g, clip_value) is None
    torch.nn.utils.clip_grad_value_(t, clip_value)
    for gp, tp in zip(g[:-1], t[:-1], strict=True):
        np.testing.assert_array_equal(gp.grad.data, tp.grad.numpy())


@pytest.mark.parametrize("norm_type", [2.0, 3.0, 1.0, math.inf])
def test_clip_grad_norm_sums_float16_in_float32_as_torch_does(norm_type):
    # Before: the float16 sum of squares overflowed (norm inf) and wiped every grad to 0.
    grad = np.full(1000, 10.0, np.float16)
    g = gn.Tensor(np.zeros(1000, np.float16), requires_grad=True)
    t = torch.zeros(1000, dtype=torch.float16, requires_grad=True)
    g.grad, t.grad = gn.Tensor(grad.copy()), torch.from_numpy(grad.copy())
    total, t_total = clip_grad_norm_([g], 1.0, norm_type), \
        torch.nn.utils.clip_grad_norm_([t], 1.0, norm_type)
    assert total.dtype == gn.float16 and np.isfinite(total.data)
    np.testing.assert_array_equal(total.data, t_total.numpy())
    np.testing.assert_array_equal(g.grad.data, t.grad.numpy())


def test_clip_grad_norm_scales_each_grad_in_its_own_dtype_as_torch_does():
    # float64 and float32 grads clipped together: torch rounds the float64 coefficient to
    # float32 before multiplying the float32 grad (before, 7 of 12 values were an ulp off).
    rng = np.random.default_rng(5)
    grads = [rng.standard_normal(6), rng.standard_normal(12).astype(np.float32)]
    ours = [gn.Tensor(np.zeros_like(a), requires_grad=True) for a in grads]
    theirs = [torch.zeros(a.shape, dtype=torch.from_numpy(a).dtype, requires_grad=True)
              for a in grads]
    for o, t, a in zip(ours, theirs, grads, strict=True):
        o.grad, t.grad = gn.Tensor(a.copy()), torch.from_numpy(a.copy())
    np.testing.assert_array_equal(clip_grad_norm_(ours, 1.0).data,
                                  torch.nn.utils.clip_grad_norm_(theirs, 1.0).numpy())
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(o.grad.data, t.grad.numpy())
