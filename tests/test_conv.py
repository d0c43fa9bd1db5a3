"""conv2d / conv1d beyond the registry: bad input is refused early with a message naming the
op, the argument and the shapes, and the shapes of "same" / "valid" / strided outputs."""

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.functional as F
from glassnet.ops import conv as conv_ops
from tests import test_ops


def _conv2d_args(x_shape=(2, 3, 8, 8), w_shape=(4, 3, 3, 3), b_shape=(4,)):
    x = gn.randn(*x_shape, requires_grad=True)
    w = gn.randn(*w_shape, requires_grad=True)
    b = gn.randn(*b_shape, requires_grad=True) if b_shape else None
    return x, w, b


BAD_CONV2D = [
    # (x shape, w shape, kwargs, error type, pieces of the message)
    ((2, 3, 8, 8), (4, 1, 3, 3), {}, ValueError,
     ["conv2d: input has 3 channels but weight expects 1", "(2, 3, 8, 8)", "(4, 1, 3, 3)"]),
    ((2, 4, 8, 8), (6, 1, 3, 3), dict(groups=3), ValueError,
     ["conv2d", "groups=3", "4 input channels", "(2, 4, 8, 8)"]),
    ((2, 6, 8, 8), (4, 2, 3, 3), dict(groups=3), ValueError,
     ["conv2d", "groups=3", "4 output channels", "(4, 2, 3, 3)"]),
    ((2, 4, 8, 8), (6, 1, 3, 3), dict(groups=2), ValueError,
     ["conv2d: input has 4 channels but weight expects 2 (1 x groups=2)"]),
    ((2, 3, 2, 2), (4, 3, 3, 3), {}, ValueError,
     ["conv2d: kernel size (3, 3) is larger than the padded input (2, 2)", "(2, 3, 2, 2)"]),
    ((2, 3, 4, 4), (4, 3, 2, 2), dict(dilation=4), ValueError,
     ["kernel size (2, 2) (dilated (5, 5))", "padded input (4, 4)"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(stride=0), ValueError,
     ["conv2d: argument 'stride' must be positive, got 0"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(stride=(1, -2)), ValueError,
     ["'stride' must be positive", "(1, -2)"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(dilation=0), ValueError, ["'dilation' must be positive"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(padding=-1), ValueError,
     ["'padding' must be non-negative"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(padding="full"), ValueError,
     ["'padding'", "'valid' or 'same'", "'full'"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(padding="same", stride=2), ValueError,
     ["padding='same' is not supported for strided convolutions"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(stride=(1, 2, 3)), TypeError,
     ["'stride' must be an int or a tuple of 2 ints"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(groups=0), ValueError,
     ["'groups' must be a positive int, got 0"]),
    ((8, 8), (4, 3, 3, 3), {}, ValueError,
     ["conv2d: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got 2-D", "(8, 8)"]),
    ((1, 2, 3, 8, 8), (4, 3, 3, 3), {}, ValueError, ["got 5-D", "(1, 2, 3, 8, 8)"]),
    ((2, 3, 8, 8), (4, 3, 3), {}, ValueError,
     ["conv2d: weight must be 4-D", "got 3-D", "(4, 3, 3)"]),
    ((1, 3, 4, 4), (2, 3, 3, 0), {}, ValueError,
     ["conv2d: weight must have at least one output channel and a kernel of positive size",
      "(2, 3, 3, 0)"]),
    ((1, 3, 4, 4), (0, 3, 3, 3), {}, ValueError, ["at least one output channel", "(0, 3, 3, 3)"]),
    ((1, 3, 0, 4), (2, 3, 3, 3), dict(padding=2), ValueError,
     ["conv2d: input has an empty spatial dimension", "(1, 3, 0, 4)"]),
]


@pytest.mark.parametrize("x_shape,w_shape,kwargs,error,pieces", BAD_CONV2D,
                         ids=[str(i) for i in range(len(BAD_CONV2D))])
def test_conv2d_bad_input_is_refused_with_a_clear_message(x_shape, w_shape, kwargs, error,
                                                          pieces):
    x, w, b = _conv2d_args(x_shape, w_shape, (w_shape[0],))
    before = [t.data.copy() for t in (x, w, b)]
    with pytest.raises(error) as info:
        F.conv2d(x, w, b, **kwargs)
    for piece in pieces:
        assert piece in str(info.value), f"{piece!r} not in {str(info.value)!r}"
    for t, old in zip((x, w, b), before):
        assert np.array_equal(t.data, old) and t.grad is None


def test_conv2d_bias_shape_and_dtype_are_checked():
    x, w, _ = _conv2d_args()
    with pytest.raises(ValueError, match=r"conv2d: bias has shape \(3,\) but weight has 4 "
                                         r"output channels"):
        F.conv2d(x, w, gn.randn(3))
    with pytest.raises(TypeError, match="conv2d: weight dtype float64 and input dtype "
                                        "float32 must match"):
        F.conv2d(x, w.double())
    with pytest.raises(TypeError, match="conv2d: argument 'input' must be a floating point"):
        F.conv2d(gn.tensor(np.ones((1, 3, 4, 4), dtype=np.int64)), w)


def test_conv1d_bad_input_names_conv1d():
    with pytest.raises(ValueError, match=r"conv1d: input has 2 channels but weight expects 3 "
                                         r"\(input shape \(4, 2, 9\), weight shape \(5, 3, 3\)\)"):
        F.conv1d(gn.randn(4, 2, 9), gn.randn(5, 3, 3))
    with pytest.raises(ValueError, match=r"conv1d: expected 2-D \(C, L\) or 3-D \(N, C, L\)"):
        F.conv1d(gn.randn(4, 2, 9, 9), gn.randn(5, 2, 3))
    with pytest.raises(ValueError, match=r"conv1d: kernel size \(5,\) is larger"):
        F.conv1d(gn.randn(1, 2, 4), gn.randn(5, 2, 5))


@pytest.mark.parametrize("padding,stride,dilation,expected", [
    ("same", 1, 1, (2, 4, 7, 6)),
    ("same", 1, 2, (2, 4, 7, 6)),
    ("valid", 1, 1, (2, 4, 5, 3)),
    (1, 2, 1, (2, 4, 4, 3)),
    ((0, 2), (2, 3), (1, 2), (2, 4, 3, 2)),
])
def test_conv2d_output_shapes(padding, stride, dilation, expected):
    x, w, b = _conv2d_args((2, 3, 7, 6), (4, 3, 3, 4))
    out = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    assert out.shape == expected


def test_conv2d_is_one_node_and_conv1d_too():
    x, w, b = _conv2d_args()
    out = F.conv2d(x, w, b)
    assert out.grad_fn.name == "Conv2d"
    assert all(p is q for p, q in zip(out.grad_fn.parents, (x, w, b)))
    x1 = gn.randn(2, 3, 9, requires_grad=True)
    out1 = F.conv1d(x1, gn.randn(4, 3, 3, requires_grad=True))
    assert out1.grad_fn.parents[0] is x1


def test_conv2d_float32_stays_float32_and_skips_unneeded_gradients():
    x = gn.randn(2, 3, 8, 8)
    w = gn.randn(4, 3, 3, 3, requires_grad=True)
    out = F.conv2d(x, w)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3, 3, 3) and w.grad.dtype == np.float32


# The product has two layouts (per image for few rows, batch-folded for many, see
# glassnet/ops/conv.py). The registry's small samples all take the per-image one; every
# sample is run here in both, against PyTorch (float64) and through gradcheck.
_CONV_CASES = [c for c in test_ops.CASES if c.values[0].name in ("conv2d", "conv1d")]


@pytest.mark.parametrize("rows_limit", [0, 10**9], ids=["batch-folded", "per-image"])
@pytest.mark.parametrize("info,sample", _CONV_CASES)
def test_conv_both_product_layouts_match_torch_and_gradcheck(monkeypatch, rows_limit, info,
                                                             sample):
    monkeypatch.setattr(conv_ops, "PER_IMAGE_MAX_ROWS", rows_limit)
    test_ops._compare(info, sample, np.float64, info.float64_rtol, info.float64_atol)
    test_ops.test_gradcheck_float64(info, sample)


@pytest.mark.parametrize("rows_limit", [0, 10**9], ids=["batch-folded", "per-image"])
def test_conv2d_layouts_agree_on_the_mnist_cnn_shapes(monkeypatch, rows_limit):
    """The benchmark's second layer (K = 288 rows) in both layouts, against PyTorch."""
    monkeypatch.setattr(conv_ops, "PER_IMAGE_MAX_ROWS", rows_limit)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 32, 13, 13))
    w = rng.standard_normal((64, 32, 3, 3)) * 0.1
    b = rng.standard_normal(64)
    gx, gw, gb = (gn.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(gx, gw, gb, padding=1)
    ref = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    v = rng.standard_normal(out.shape)
    out.backward(gn.tensor(v))
    ref.backward(torch.tensor(v))
    for mine, theirs in ((gx, tx), (gw, tw), (gb, tb)):
        np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("rows_limit", [0, 10**9], ids=["batch-folded", "per-image"])
def test_conv2d_bias_gradient_with_a_frozen_weight(monkeypatch, rows_limit):
    """Fine-tuning only the bias: db must not depend on the weight wanting a gradient."""
    monkeypatch.setattr(conv_ops, "PER_IMAGE_MAX_ROWS", rows_limit)
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 1, 6, 5)), rng.standard_normal((3, 1, 3, 3)), \
        rng.standard_normal(3)
    gb = gn.tensor(b, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    v = rng.standard_normal((2, 3, 4, 3))
    F.conv2d(gn.tensor(x), gn.tensor(w), gb).backward(gn.tensor(v))
    torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), tb).backward(torch.tensor(v))
    np.testing.assert_allclose(gb.grad.data, tb.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_conv2d_checks_are_remembered_only_for_calls_that_passed_them():
    x, w = gn.randn(2, 3, 8, 8), gn.randn(4, 3, 3, 3)
    expected = F.conv2d(x, w, stride=1, padding=1).data  # remembered
    # The same settings spelled otherwise: a list is checked afresh, with the same result
    np.testing.assert_array_equal(F.conv2d(x, w, stride=[1, 1], padding=(1, 1)).data,
                                  expected)
    # True == 1 and hashes alike, but a bool stride is still refused after a cached 1
    with pytest.raises(TypeError, match=r"conv2d: argument 'stride' must be an int"):
        F.conv2d(x, w, stride=True, padding=1)
    # A failed check is never remembered: the same bad call fails again, and so does a
    # channel mismatch after a good call with the same settings
    for _ in range(2):
        with pytest.raises(ValueError, match="groups=2 does not divide the 3 input channels"):
            F.conv2d(x, w, stride=1, padding=1, groups=2)
    with pytest.raises(ValueError, match="input has 5 channels but weight expects 3"):
        F.conv2d(gn.randn(2, 5, 8, 8), w, stride=1, padding=1)
    # dtype is part of what was checked
    with pytest.raises(TypeError, match="weight dtype float64 and input dtype float32"):
        F.conv2d(x, w.double(), stride=1, padding=1)


@pytest.mark.parametrize("rows_limit", [0, 10**9], ids=["batch-folded", "per-image"])
def test_conv2d_backward_twice_with_retain_graph_gives_the_same_gradients(monkeypatch,
                                                                          rows_limit):
    """Backward writes dx's columns over the forward's saved columns only when the node is
    freed right after; with retain_graph the second pass must still read them intact."""
    monkeypatch.setattr(conv_ops, "PER_IMAGE_MAX_ROWS", rows_limit)
    rng = np.random.default_rng(5)
    x = gn.tensor(rng.standard_normal((3, 4, 7, 6)), requires_grad=True)
    w = gn.tensor(rng.standard_normal((5, 4, 3, 2)), requires_grad=True)
    b = gn.tensor(rng.standard_normal(5), requires_grad=True)
    out = F.conv2d(x, w, b, padding=1)
    v = gn.tensor(rng.standard_normal(out.shape))
    out.backward(v, retain_graph=True)
    first = [t.grad.data.copy() for t in (x, w, b)]
    out.backward(v)  # the node's last backward: now it may reuse its saved columns
    for t, g1 in zip((x, w, b), first, strict=True):
        np.testing.assert_allclose(t.grad.data, 2 * g1, rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward(v)


def test_conv2d_backward_called_outside_the_engine_leaves_the_saved_columns_alone():
    x, w = gn.randn(2, 3, 6, 6, requires_grad=True), gn.randn(4, 3, 3, 3, requires_grad=True)
    node = F.conv2d(x, w).grad_fn
    cols = node.cols.copy()
    assert not node.last_backward
    type(node).backward(node, np.ones((2, 4, 4, 4), np.float32))
    np.testing.assert_array_equal(node.cols, cols)


@pytest.mark.parametrize("rows_limit", [0, 10**9], ids=["batch-folded", "per-image"])
def test_conv2d_backward_cut_short_after_reusing_its_columns_cannot_be_rerun(monkeypatch,
                                                                             rows_limit):
    """Once backward has written over the saved columns, an interrupted pass (an error,
    Ctrl-C) must not be retried on them: the retry raises (review finding)."""
    monkeypatch.setattr(conv_ops, "PER_IMAGE_MAX_ROWS", rows_limit)
    x = gn.randn(2, 3, 6, 6, requires_grad=True)
    w = gn.randn(4, 3, 3, 3, requires_grad=True)
    out = F.conv2d(x, w)
    real = conv_ops._overlap_add

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(conv_ops, "_overlap_add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        out.backward(gn.ones(*out.shape))
    monkeypatch.setattr(conv_ops, "_overlap_add", real)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward(gn.ones(*out.shape))
    assert w.grad is None and x.grad is None  # nothing half-done reached the leaves
