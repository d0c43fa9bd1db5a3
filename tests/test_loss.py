"""Loss functions beyond the op registry: numerical stability at extreme logits, PyTorch's
clamped binary cross-entropy at p = 0 and 1, and bad input (clear errors, nothing changed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
import glassnet.functional as F


def _leaf(array, dtype=np.float32):
    return gn.Tensor(np.asarray(array, dtype=dtype), requires_grad=True)


# ----------------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_finite_at_extreme_logits(dtype):
    logits = np.array([1e4, -1e4, 1e4, -1e4, 0.0], dtype=dtype)
    target = np.array([1.0, 0.0, 0.0, 1.0, 0.5], dtype=dtype)
    pos_weight = np.array(2.0, dtype=dtype)
    for kwargs in ({}, {"pos_weight": gn.Tensor(pos_weight)}):
        x = _leaf(logits, dtype)
        loss = F.binary_cross_entropy_with_logits(x, gn.Tensor(target), reduction="sum",
                                                  **kwargs)
        loss.backward()
        tx = torch.tensor(logits, requires_grad=True)
        t_kwargs = {k: torch.tensor(pos_weight) for k in kwargs}
        t_loss = TF.binary_cross_entropy_with_logits(tx, torch.tensor(target), reduction="sum",
                                                     **t_kwargs)
        t_loss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(x.grad.data).all()
        np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-6)
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_finite_at_extreme_logits(dtype, smoothing):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    target = np.array([1, 2, 0])
    x = _leaf(logits, dtype)
    loss = F.cross_entropy(x, gn.Tensor(target), label_smoothing=smoothing)
    loss.backward()
    tx = torch.tensor(logits, requires_grad=True)
    t_loss = TF.cross_entropy(tx, torch.tensor(target), label_smoothing=smoothing)
    t_loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_is_clamped_like_torch_at_zero_and_one(dtype):
    p = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    x = _leaf(p, dtype)
    loss = F.binary_cross_entropy(x, gn.Tensor(y), reduction="none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0, 0.0, 0.0])
    assert F.binary_cross_entropy(gn.Tensor(np.array([0.0])), gn.Tensor(np.array([1.0]))
                                  ).item() == 100.0
    loss.sum().backward()
    tx = torch.tensor(p, requires_grad=True)
    TF.binary_cross_entropy(tx, torch.tensor(y), reduction="sum").backward()
    assert np.isfinite(x.grad.data).all()  # +-1e12 from PyTorch's eps, not inf
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x = gn.Tensor(np.zeros((2, 3)))
    target = gn.Tensor(np.array([-100, -100]))
    assert np.isnan(F.cross_entropy(x, target).item())
    assert F.cross_entropy(x, target, reduction="sum").item() == 0.0


def test_cross_entropy_float32_stays_float32():
    x = _leaf(np.random.default_rng(0).standard_normal((64, 10)))
    loss = F.cross_entropy(x, gn.Tensor(np.arange(64) % 10))
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


# ----------------------------------------------------------------------------- bad input
LOSSES = [
    (F.mse_loss, (3,), (3,)), (F.l1_loss, (3,), (3,)), (F.huber_loss, (3,), (3,)),
    (F.smooth_l1_loss, (3,), (3,)), (F.binary_cross_entropy, (3,), (3,)),
    (F.binary_cross_entropy_with_logits, (3,), (3,)), (F.hinge_embedding_loss, (3,), (3,)),
    (F.kl_div, (3,), (3,)),
]


@pytest.mark.parametrize("fn,xs,ts", LOSSES, ids=lambda v: getattr(v, "__name__", ""))
def test_unknown_reduction_names_op_and_value(fn, xs, ts):
    x, t = gn.Tensor(np.full(xs, 0.5)), gn.Tensor(np.full(ts, 0.5))
    with pytest.raises(ValueError, match=rf"{fn.__name__}.*reduction.*'avg'"):
        fn(x, t, reduction="avg")


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss, F.multi_margin_loss])
def test_unknown_reduction_class_losses(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}.*'elementwise_mean'"):
        fn(gn.Tensor(np.zeros((2, 3))), gn.Tensor(np.array([0, 1])), reduction="elementwise_mean")


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss, F.multi_margin_loss])
@pytest.mark.parametrize("bad", [12, -1])
def test_class_index_out_of_range_names_index_and_classes(fn, bad):
    data = np.random.default_rng(0).standard_normal((64, 10)).astype(np.float32)
    x = gn.Tensor(data.copy(), requires_grad=True)
    labels = np.arange(64) % 10
    labels[7] = bad
    target = gn.Tensor(labels.copy())
    with pytest.raises(IndexError) as info:
        fn(x, target)
    message = str(info.value)
    assert fn.__name__ in message and f"class index {bad}" in message
    assert "10 classes" in message and "(64, 10)" in message
    np.testing.assert_array_equal(x.data, data)
    np.testing.assert_array_equal(target.data, labels)
    assert x.grad is None


def test_cross_entropy_float_target_where_indices_expected():
    x = gn.Tensor(np.zeros((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"float32.*\(4, 3\).*\(4,\).*long"):
        F.cross_entropy(x, gn.Tensor(np.array([0.0, 1.0, 2.0, 1.0], dtype=np.float32)))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        F.cross_entropy(x, gn.Tensor(np.zeros((4, 2), dtype=np.float32)))
    with pytest.raises(TypeError, match=r"nll_loss.*float32"):
        F.nll_loss(x, gn.Tensor(np.zeros(4, dtype=np.float32)))


def test_cross_entropy_index_target_shape_mismatch():
    with pytest.raises(ValueError, match=r"cross_entropy.*\(4,\).*\(4, 3\).*\(5,\)"):
        F.cross_entropy(gn.Tensor(np.zeros((4, 3))), gn.Tensor(np.zeros(5, dtype=np.int64)))


def test_cross_entropy_integer_input():
    with pytest.raises(TypeError, match=r"cross_entropy.*input.*int64"):
        F.cross_entropy(gn.Tensor(np.zeros((4, 3), dtype=np.int64)), gn.Tensor(np.zeros(4)))


def test_cross_entropy_bad_weight_and_smoothing():
    x, t = gn.Tensor(np.zeros((4, 3))), gn.Tensor(np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match=r"cross_entropy.*weight.*\(3,\).*\(4,\)"):
        F.cross_entropy(x, t, gn.Tensor(np.ones(4)))
    with pytest.raises(ValueError, match=r"label_smoothing.*1.5"):
        F.cross_entropy(x, t, label_smoothing=1.5)


@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss,
                                F.binary_cross_entropy_with_logits, F.kl_div])
def test_shape_mismatch_is_an_error_not_a_broadcast(fn):
    x = gn.Tensor(np.full((4, 1), 0.5), requires_grad=True)
    with pytest.raises(ValueError, match=rf"{fn.__name__}.*\(4, 1\).*\(4,\)"):
        fn(x, gn.Tensor(np.full(4, 0.5)))
    assert x.grad is None


def test_bce_input_outside_unit_interval():
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*1\.5"):
        F.binary_cross_entropy(gn.Tensor(np.array([0.2, 1.5])), gn.Tensor(np.array([0.0, 1.0])))
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*-0\.25"):
        F.binary_cross_entropy(gn.Tensor(np.array([-0.25])), gn.Tensor(np.array([0.0])))


@pytest.mark.parametrize("target, shown", [([0.0, 2.0], "2.0"), ([-0.5, 1.0], "-0.5")])
def test_bce_target_outside_unit_interval(target, shown):
    # torch: "all elements of target should be between 0 and 1"; unchecked, the loss < 0
    x = gn.Tensor(np.array([0.3, 0.6]), requires_grad=True)
    with pytest.raises(ValueError, match=rf"binary_cross_entropy: target.*\[0, 1\].*{shown}"):
        F.binary_cross_entropy(x, gn.Tensor(np.array(target)))
    assert x.grad is None


def test_bad_loss_parameters():
    x = gn.Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"huber_loss.*delta.*0"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match=r"smooth_l1_loss.*beta.*-1"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match=r"multi_margin_loss.*'p'.*3"):
        F.multi_margin_loss(gn.Tensor(np.zeros((2, 3))), gn.Tensor(np.array([0, 1])), p=3)
    with pytest.raises(ValueError, match=r"kl_div.*batchmean.*'avg'"):
        F.kl_div(x, x, reduction="avg")


# ------------------------------------------------------------------ NaN in a reduction
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_nan_input_poisoning_a_reduction_is_named(reduction):
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    x[2, 1] = np.nan
    logits = gn.tensor(x, requires_grad=True)
    with pytest.raises(ValueError, match=r"cross_entropy: argument 'input' contains NaN "
                                         r"\(1 of 12 values, first at position \(2, 1\)"):
        F.cross_entropy(logits, gn.tensor([0, 1, 2, 0]), reduction=reduction)
    assert logits.grad is None
    with pytest.raises(ValueError, match=r"mse_loss: argument 'target' contains NaN"):
        F.mse_loss(gn.zeros(2, 2), gn.tensor([[0.0, float("nan")], [1.0, 2.0]]),
                   reduction=reduction)


def test_nan_passes_through_reduction_none_like_torch():
    out = F.mse_loss(gn.tensor([float("nan"), 1.0]), gn.tensor([0.0, 0.0]), reduction="none")
    assert np.isnan(out.data[0]) and out.data[1] == 1.0


def test_all_ignored_targets_give_zero_gradients_like_torch():
    x_np = np.random.default_rng(0).standard_normal((2, 3))
    for fn, tfn in ((F.cross_entropy, TF.cross_entropy), (F.nll_loss, TF.nll_loss)):
        x = gn.tensor(x_np, requires_grad=True)
        tx = torch.tensor(x_np, requires_grad=True)
        fn(x, gn.tensor([-100, -100])).backward()
        tfn(tx, torch.tensor([-100, -100])).backward()
        np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


@pytest.mark.parametrize("name, kwargs", [("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.0}),
                                          ("smooth_l1_loss", {}), ("huber_loss", {})])
def test_l1_family_gradients_at_a_nan_input_match_torch(name, kwargs):
    # sign(NaN) is 0 in PyTorch (NaN in NumPy): the L1 slope there is 0, not NaN
    values = np.array([np.nan, 1.5, -0.25, 0.0])
    x, tx = gn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    target = np.zeros(4)
    ours = getattr(F, name)(x, gn.tensor(target), reduction="none", **kwargs)
    theirs = getattr(torch.nn.functional, name)(tx, torch.tensor(target), reduction="none",
                                                **kwargs)
    ours.backward(np.ones(4))
    theirs.backward(torch.ones(4, dtype=torch.float64))
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
