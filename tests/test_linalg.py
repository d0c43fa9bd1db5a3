"""Behaviour tests for matmul and linear beyond the op registry: error messages, dtypes
and which gradients get computed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.functional as F


@pytest.mark.parametrize("a,b,pattern", [
    ((3, 4), (5, 6), r"matmul: shapes \(3, 4\) and \(5, 6\) cannot be multiplied: input has 4 "
                     r"columns but other has 5 rows"),
    ((3,), (5,), r"shapes \(3,\) and \(5,\).*input has 3 entries but other has 5 entries"),
    ((2, 3), (4,), r"input has 3 columns but other has 4 entries"),
    ((), (5,), r"matmul: both arguments must be at least 1-D, got shapes \(\) and \(5,\)"),
    ((2, 3, 4), (5, 4, 2), r"batch dimensions \(2,\) and \(5,\) cannot be broadcast"),
])
def test_matmul_shape_errors(a, b, pattern):
    with pytest.raises(ValueError, match=pattern):
        F.matmul(gn.randn(*a), gn.randn(*b))


def test_matmul_operator_and_method():
    a, b = gn.randn(2, 3), gn.randn(3, 4)
    np.testing.assert_allclose((a @ b).data, a.data @ b.data)
    np.testing.assert_allclose(a.matmul(b).data, a.data @ b.data)
    np.testing.assert_allclose((a.data @ b).data, a.data @ b.data)


def test_matmul_and_linear_refuse_mixed_dtypes_like_torch():
    a, b = gn.randn(2, 3), gn.randn(3, 4, dtype=np.float64)
    with pytest.raises(TypeError, match=r"matmul: input dtype float32 and other dtype float64 "
                                        r"must match \(input shape \(2, 3\), other shape"):
        a @ b
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.ones(2, 3) @ torch.ones(3, 4, dtype=torch.float64)
    with pytest.raises(TypeError, match="linear: input dtype float32 and bias dtype float64"):
        F.linear(a, gn.randn(4, 3), gn.randn(4, dtype=np.float64))
    with pytest.raises(TypeError, match="linear: input dtype int64 and weight dtype float32"):
        F.linear(gn.tensor([[1, 2, 3]]), gn.randn(4, 3))
    assert (gn.tensor([[1, 2]]) @ gn.tensor([[3], [4]])).tolist() == [[11]]  # ints stay ints


def test_linear_feature_mismatch_message():
    with pytest.raises(ValueError) as info:
        F.linear(gn.randn(64, 100), gn.randn(128, 784))
    assert str(info.value) == ("linear: input has 100 features but weight expects 784 "
                               "(input shape (64, 100), weight shape (128, 784))")


def test_linear_bad_weight_and_bias():
    with pytest.raises(ValueError, match=r"linear: weight must be 2-D.*weight shape \(5,\)"):
        F.linear(gn.randn(4, 5), gn.randn(5))
    with pytest.raises(ValueError, match=r"linear: bias has shape \(4,\) but weight has 3 "
                                         r"output features"):
        F.linear(gn.randn(2, 5), gn.randn(3, 5), gn.randn(4))
    with pytest.raises(ValueError, match="linear: input must be at least 1-D"):
        F.linear(gn.tensor(1.0), gn.randn(3, 1))


def test_linear_computes_only_requested_gradients():
    x = gn.randn(4, 5)
    w = gn.randn(3, 5, requires_grad=True)
    b = gn.randn(3)
    F.linear(x, w, b).sum().backward()
    np.testing.assert_allclose(w.grad.data, np.ones((4, 3)).T @ x.data, rtol=1e-6)
    assert x.grad is None and b.grad is None


def test_linear_float32_stays_float32():
    x = gn.randn(8, 5, requires_grad=True)
    w = gn.randn(3, 5, requires_grad=True)
    b = gn.randn(3, requires_grad=True)
    out = F.linear(x, w, b)
    out.sum().backward()
    assert out.dtype == np.float32
    assert {t.grad.dtype for t in (x, w, b)} == {np.dtype(np.float32)}
    np.testing.assert_allclose(b.grad.data, np.full(3, 8.0))


def test_an_optimizer_step_between_forward_and_backward_of_a_first_layer_is_fine():
    # x needs no gradient, so the weight is not kept for backward (as in PyTorch) and writing
    # it in place before backward is allowed; glassnet refused ("modified by an in-place
    # operation") because Linear kept W anyway
    x = np.ones((4, 3), np.float32)
    ours, theirs = gn.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    out, t_out = ours(gn.tensor(x)).sum(), theirs(torch.tensor(x)).sum()
    gn.nn.init.zeros_(ours.weight)  # an in-place write the version tracking records
    with torch.no_grad():
        theirs.weight.zero_()
    out.backward()
    t_out.backward()
    np.testing.assert_array_equal(ours.weight.grad.data, theirs.weight.grad.numpy())
