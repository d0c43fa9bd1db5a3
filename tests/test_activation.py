"""Behaviour tests for activations beyond the op registry: numerical stability at +-1e4,
dropout's randomness (seeding, scaling, gradient), and argument errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.functional as F

EXTREME = np.array([-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4])


def _strict(fn):
    """Run ``fn`` with every NumPy floating-point warning and any Python warning an error."""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        return fn()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["sigmoid", "softmax", "log_softmax", "softplus", "tanh"])
def test_finite_output_and_gradient_at_extreme_inputs(name, dtype):
    x = gn.tensor(EXTREME.astype(dtype), requires_grad=True)
    kwargs = {"dim": 0} if "softmax" in name else {}

    def run():
        out = getattr(F, name)(x, **kwargs)
        out.backward(np.linspace(-1, 1, out.shape[0]).astype(dtype))
        return out

    out = _strict(run)
    assert np.isfinite(out.data).all(), out.data
    assert np.isfinite(x.grad.data).all(), x.grad.data
    assert out.dtype == dtype and x.grad.dtype == dtype
    t = torch.tensor(EXTREME.astype(dtype), requires_grad=True)
    t_out = getattr(torch.nn.functional, name)(t, **kwargs)
    t_out.backward(torch.from_numpy(np.linspace(-1, 1, out.shape[0]).astype(dtype)))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_sigmoid_saturates_exactly():
    out = F.sigmoid(gn.tensor([-1e4, 1e4]))
    assert out.tolist() == [0.0, 1.0]


def test_softmax_rows_sum_to_one_with_huge_logits():
    x = gn.tensor([[1e4, -1e4, 0.0], [3e4, 3e4, 3e4]], dtype=np.float64)
    out = _strict(lambda: F.softmax(x, dim=1))
    np.testing.assert_allclose(out.data.sum(1), 1.0)
    np.testing.assert_allclose(out.data[1], 1 / 3)
    log_out = _strict(lambda: F.log_softmax(x, dim=1))
    assert log_out.data[0, 1] == pytest.approx(-2e4)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_requires_dim(name):
    with pytest.raises(TypeError, match=rf"{name}: argument 'dim' is required.*\(2, 3\)"):
        getattr(F, name)(gn.randn(2, 3))
    with pytest.raises(IndexError, match=rf"{name}: argument 'dim' is 2"):
        getattr(F, name)(gn.randn(2, 3), dim=2)


def test_tensor_methods_delegate():
    x = gn.tensor([[-1.0, 0.5], [2.0, -3.0]])
    np.testing.assert_allclose(x.softmax(1).data, F.softmax(x, dim=1).data)
    np.testing.assert_allclose(x.log_softmax(-1).data, F.log_softmax(x, dim=-1).data)
    assert x.relu().tolist() == [[0.0, 0.5], [2.0, 0.0]]
    assert x.sign().tolist() == [[-1.0, 1.0], [1.0, -1.0]]
    assert x.heaviside(gn.tensor(0.5)).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    np.testing.assert_allclose(x.sigmoid().data, 1 / (1 + np.exp(-x.data)), rtol=1e-6)
    np.testing.assert_allclose(x.tanh().data, np.tanh(x.data))


def test_integer_inputs_become_float():
    x = gn.tensor([-2, 0, 3])
    assert F.sigmoid(x).dtype == gn.get_default_dtype()
    assert F.softmax(x, dim=0).dtype == gn.get_default_dtype()
    assert F.relu(x).dtype == np.int64 and F.relu(x).tolist() == [0, 0, 3]
    assert F.step(x).tolist() == [0, 0, 1]


def test_kink_gradients_match_pytorch():
    x = gn.tensor([0.0, 0.0], requires_grad=True)
    (F.relu(x) + F.leaky_relu(x, 0.1) + F.elu(x, alpha=0.7)).sum().backward()
    t = torch.zeros(2, requires_grad=True)
    tf = torch.nn.functional
    (tf.relu(t) + tf.leaky_relu(t, 0.1) + tf.elu(t, alpha=0.7)).sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy())


def test_heaviside_and_step_values():
    x = gn.tensor([-1.0, 0.0, 2.0])
    assert F.heaviside(x, gn.tensor([7.0, 8.0, 9.0])).tolist() == [0.0, 8.0, 1.0]
    assert F.heaviside(x, 0.5).tolist() == [0.0, 0.5, 1.0]
    assert F.step(x).tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(TypeError, match="heaviside: input .*float32.*values.*float64"):
        F.heaviside(x, gn.tensor([0.5], dtype=np.float64))


def test_heaviside_and_sign_gradients_are_zero():
    x = gn.tensor([-1.0, 2.0], requires_grad=True)
    (F.heaviside(x, gn.tensor(0.5)) + F.sign(x) + F.step(x)).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: argument 'approximate'.*'fast'"):
        F.gelu(gn.randn(3), approximate="fast")


def test_maxout_groups_consecutive_features():
    x = gn.tensor([[1.0, 5.0, 3.0, 2.0, 9.0, 0.0]], requires_grad=True)  # (1, 3 * 2)
    out = F.maxout(x, 2)
    assert out.tolist() == [[5.0, 3.0, 9.0]]
    out.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 1.0, 0.0, 1.0, 0.0]]
    assert F.maxout(x, 3).tolist() == [[5.0, 9.0]]


def test_maxout_tie_sends_gradient_to_first():
    x = gn.tensor([[2.0, 2.0]], requires_grad=True)
    F.maxout(x, 2).sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0]]


def test_maxout_bad_arguments():
    with pytest.raises(ValueError, match=r"maxout: 7 features in dimension 1 .*=2.*\(4, 7\)"):
        F.maxout(gn.randn(4, 7), 2)
    with pytest.raises(ValueError, match="maxout: argument 'pieces' must be a positive int"):
        F.maxout(gn.randn(4, 6), 0)
    with pytest.raises(IndexError, match="maxout: argument 'dim' is 2"):
        F.maxout(gn.randn(4, 6), 2, dim=2)


# ------------------------------------------------------------------------------- dropout
def test_dropout_same_seed_same_mask():
    x = gn.ones(50, 40)
    gn.manual_seed(123)
    a = F.dropout(x, p=0.4)
    gn.manual_seed(123)
    b = F.dropout(x, p=0.4)
    c = F.dropout(x, p=0.4)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(b.data, c.data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_zeros_and_scales(dtype):
    p = 0.25
    x = gn.tensor(np.random.default_rng(0).uniform(1, 2, (200, 300)).astype(dtype))
    out = F.dropout(x, p=p)
    assert out.dtype == dtype and out.shape == x.shape
    kept = out.data != 0
    np.testing.assert_allclose(out.data[kept], x.data[kept] / (1 - p), rtol=1e-6)
    assert abs(1 - kept.mean() - p) < 0.01  # 60,000 draws: std of the rate is ~0.002
    ones = F.dropout(gn.ones(400, 500, dtype=dtype), p=p)
    assert abs(ones.data.mean() - 1.0) < 0.01  # inverted dropout preserves the mean


def test_dropout_gradient_is_the_mask():
    x = gn.randn(30, 20, requires_grad=True)
    out = F.dropout(x, p=0.5)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    out.backward(g)
    mask = np.where(out.data != 0, 2.0, 0.0)
    np.testing.assert_allclose(x.grad.data, g * mask, rtol=1e-6)


def test_dropout_eval_and_edge_probabilities():
    x = gn.randn(5, 4, requires_grad=True)
    assert F.dropout(x, p=0.7, training=False) is x
    assert F.dropout(x, p=0.0) is x
    out = F.dropout(x, p=1.0)
    assert not out.data.any() and np.isfinite(out.data).all()
    out.sum().backward()
    assert not x.grad.data.any()


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", None])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match=rf"dropout: argument 'p'.*got {p!r}"):
        F.dropout(gn.randn(3), p=p)


@pytest.mark.parametrize("name", ["relu", "elu", "leaky_relu", "abs", "sign"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_inputs_give_torchs_values_and_gradients(name, dtype):
    # PyTorch's backward tests "x <= 0" (or the output's), which is false at NaN: relu and
    # elu pass the gradient there; sign(NaN) is 0, and so is abs's slope. glassnet gave 0,
    # NaN, NaN and NaN.
    values = np.array([np.nan, 1.5, -1.5, 0.0], dtype)
    x, tx = gn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    ours = getattr(F, name)(x) if name != "abs" else x.abs()
    theirs = getattr(torch.nn.functional, name, None) or getattr(torch, name)
    theirs = theirs(tx)
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    upstream = np.array([2.0, 3.0, 5.0, 7.0], dtype)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6)


# --------------------------------------------------------------------- inplace=True
INPLACE = [("ReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}), ("ELU", {"alpha": 0.7})]


@pytest.mark.parametrize("name, kwargs", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_activation_layers_write_into_their_input_like_torch(name, kwargs):
    # Before: nn.ReLU(inplace=True), torchvision's usual spelling, was a TypeError.
    x = np.random.default_rng(3).standard_normal((3, 4))
    x[0, 0] = 0.0
    ours = getattr(gn.nn, name)(inplace=True, **kwargs)
    theirs = getattr(torch.nn, name)(inplace=True, **kwargs)
    assert repr(ours) == repr(theirs)
    w, tw = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    h, th = w * 2.0, tw * 2.0
    out, t_out = ours(h), theirs(th)
    assert out is h and t_out is th  # the input itself, changed
    np.testing.assert_allclose(h.data, th.detach().numpy(), rtol=1e-15, atol=0)
    g = np.random.default_rng(4).standard_normal(x.shape)
    out.backward(gn.tensor(g))
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(getattr(gn.nn, name)(**kwargs)(gn.tensor(x * 2.0)).data,
                                  h.data)  # the same values as out of place


def test_inplace_relu_refuses_what_torch_refuses():
    x = np.random.default_rng(5).standard_normal((2, 3))
    with pytest.raises(RuntimeError, match="relu: a leaf tensor that requires grad is being "
                                           "changed in place"):
        F.relu(gn.tensor(x, requires_grad=True), inplace=True)
    w = gn.tensor(x, requires_grad=True)
    y = w * 1.0
    F.relu(y, inplace=True)
    z = y * 3
    y += 1  # changes the output relu saved for its backward
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()
    with pytest.raises(ValueError, match=r"elu: inplace=True needs alpha >= 0"):
        F.elu(gn.tensor(x), alpha=-1.0, inplace=True)
    with pytest.raises(TypeError, match="leaky_relu: inplace=True needs a Tensor"):
        F.leaky_relu(x, inplace=True)
    with pytest.raises(TypeError, match="elu: inplace=True needs a floating point tensor"):
        F.elu(gn.tensor([1, -2]), inplace=True)
