"""Pooling and batch norm against PyTorch where the op registry cannot reach: ties, NaN and
-inf windows in max pooling, sweeps over many window configurations (ceil_mode divisors
included), batch norm's running statistics over several steps, and bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
import glassnet.functional as F


def _both(x: np.ndarray):
    return gn.tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)


def _check_max_pool(x: np.ndarray, **kwargs) -> None:
    """Values, indices and the input gradient match PyTorch exactly (float64)."""
    gx, tx = _both(x)
    out, idx = F.max_pool2d(gx, return_indices=True, **kwargs)
    t_out, t_idx = TF.max_pool2d(tx, return_indices=True, **kwargs)
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    np.testing.assert_array_equal(idx.data, t_idx.numpy())
    assert idx.dtype == np.int64
    v = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(v)
    t_out.backward(torch.tensor(v))
    np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------- max pool: ties
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=2, stride=1),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=2, stride=1, dilation=2),
], ids=["2x2", "overlap", "pad", "nonsquare-ceil", "dilation"])
def test_max_pool_ties_go_to_the_first_maximum_as_in_torch(kwargs):
    # Values from {0, 1, 2}: almost every window holds a tie for its maximum.
    x = np.random.default_rng(0).integers(0, 3, (2, 3, 7, 6)).astype(np.float64)
    _check_max_pool(x, **kwargs)


@pytest.mark.parametrize("kernel_size", [2, 3, (2, 3)])
def test_max_pool_ties_and_signed_zeros_in_tiling_windows_match_torch(kernel_size):
    # Windows that tile the image exactly take the contiguous-taps search; values from
    # {-0.0, 0.0, 1.0}: ties everywhere, and -0.0 == 0.0 ties whose first one must win.
    x = np.random.default_rng(3).choice([-0.0, 0.0, 1.0], (2, 3, 6, 6))
    _check_max_pool(x, kernel_size=kernel_size)


@pytest.mark.parametrize("shape, kernel_size", [
    ((2, 3, 11, 11), 2),       # the MNIST CNN's second pooling: row 10 and column 10 left out
    ((2, 3, 7, 9), (2, 3)),
    ((1, 2, 8, 5), (3, 2)),    # rows 6-7 and column 4 left out
])
def test_max_pool_tiling_windows_that_leave_the_last_rows_out_match_torch(shape, kernel_size):
    x = np.random.default_rng(4).standard_normal(shape)
    _check_max_pool(x, kernel_size=kernel_size)
    _check_max_pool(np.round(x), kernel_size=kernel_size)  # with ties
    _check_max_pool(x, kernel_size=kernel_size, ceil_mode=True)  # an overhang: not tiled


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=2, padding=1),
                                    dict(kernel_size=3, stride=1)],
                         ids=["tiling", "padded", "overlapping"])
def test_max_pool_keeps_the_first_of_signed_zero_ties_like_torch(dtype, kwargs):
    # The sign of a zero maximum is the first tied pixel's, as in PyTorch (which replaces
    # its running maximum only on a strictly larger value), in every dtype and search path
    x = np.random.default_rng(5).choice([-0.0, 0.0], (2, 3, 6, 6)).astype(dtype)
    expected = TF.max_pool2d(torch.tensor(x), **kwargs).numpy()
    for requires_grad in (False, True):  # the values-only search and the one with indices
        out = F.max_pool2d(gn.tensor(x, requires_grad=requires_grad), **kwargs).data
        assert out.dtype == dtype
        np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))


def test_max_pool_all_equal_window_picks_first_pixel():
    x = np.ones((1, 1, 4, 4))
    _, idx = F.max_pool2d(gn.tensor(x), 2, return_indices=True)
    assert idx.tolist() == [[[[0, 2], [8, 10]]]]


def test_max_pool_nan_wins_like_torch():
    x = np.random.default_rng(2).standard_normal((2, 2, 6, 6))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = x[1, 1, 4, 4] = np.nan
    for kwargs in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        gx, tx = _both(x)
        out, idx = F.max_pool2d(gx, return_indices=True, **kwargs)
        t_out, t_idx = TF.max_pool2d(tx, return_indices=True, **kwargs)
        np.testing.assert_array_equal(out.data, t_out.detach().numpy())  # NaN == NaN here
        np.testing.assert_array_equal(idx.data, t_idx.numpy())
        # the no-grad path (values only) propagates NaN the same way
        with gn.no_grad():
            np.testing.assert_array_equal(F.max_pool2d(gx, **kwargs).data, out.data)


def test_max_pool_minus_inf_windows_match_torch():
    x = np.full((1, 2, 5, 5), -np.inf)
    x[0, 1, 2, 3] = 1.0
    _check_max_pool(x, kernel_size=3, stride=2, padding=1)
    _check_max_pool(x, kernel_size=2, stride=2, ceil_mode=True)


def test_max_pool_without_grad_gives_the_same_values():
    x = np.random.default_rng(3).standard_normal((2, 3, 9, 8))
    kwargs = dict(kernel_size=3, stride=2, padding=1, dilation=(1, 2), ceil_mode=True)
    with_grad = F.max_pool2d(gn.tensor(x, requires_grad=True), **kwargs)
    without = F.max_pool2d(gn.tensor(x), **kwargs)
    assert without.grad_fn is None
    np.testing.assert_array_equal(with_grad.data, without.data)


# --------------------------------------------------------------------- sweeps
def _configs():
    for (h, w), k, s, p, ceil in itertools.product(
            [(5, 5), (6, 7), (1, 4)], [(1, 1), (2, 2), (3, 2), (3, 3)], [(1, 1), (2, 2), (2, 3)],
            [(0, 0), (1, 0), (1, 1)], [False, True]):
        if p[0] <= k[0] // 2 and p[1] <= k[1] // 2 and h + 2 * p[0] >= k[0] \
                and w + 2 * p[1] >= k[1]:
            yield (h, w), dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil)


CONFIGS = list(_configs())


def test_max_pool_sweep_matches_torch():
    rng = np.random.default_rng(4)
    for (h, w), kwargs in CONFIGS:
        for dilation in (1, (2, 1)):
            x = rng.standard_normal((2, 2, h, w))
            try:
                TF.max_pool2d(torch.tensor(x), dilation=dilation, **kwargs)
            except RuntimeError:
                continue  # the dilated kernel no longer fits: the error tests cover this
            try:
                _check_max_pool(x, dilation=dilation, **kwargs)
            except ValueError as e:  # a dilated window that sees only padding (see below)
                assert "covers only padding" in str(e)


def test_avg_pool_sweep_matches_torch_divisors():
    """count_include_pad counts the padding but not a ceil_mode overhang beyond it."""
    rng = np.random.default_rng(5)
    for ((h, w), kwargs), include, override in itertools.product(
            CONFIGS, (True, False), (None, 3)):
        x = rng.standard_normal((2, 2, h, w))
        gx, tx = _both(x)
        extra = dict(count_include_pad=include, divisor_override=override)
        out, t_out = F.avg_pool2d(gx, **kwargs, **extra), TF.avg_pool2d(tx, **kwargs, **extra)
        assert out.shape == tuple(t_out.shape)
        np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-14)
        v = rng.standard_normal(out.shape)
        out.backward(v)
        t_out.backward(torch.tensor(v))
        np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("size,out", [((5, 7), (3, 2)), ((3, 3), (5, 4)), ((26, 26), 7),
                                      ((4, 9), (None, 4))])
def test_adaptive_avg_pool_matches_torch(size, out):
    x = np.random.default_rng(6).standard_normal((2, 3, *size))
    gx, tx = _both(x)
    y, t_y = F.adaptive_avg_pool2d(gx, out), TF.adaptive_avg_pool2d(tx, out)
    assert y.shape == tuple(t_y.shape)
    np.testing.assert_allclose(y.data, t_y.detach().numpy(), rtol=1e-12, atol=1e-14)
    v = np.random.default_rng(7).standard_normal(y.shape)
    y.backward(v)
    t_y.backward(torch.tensor(v))
    np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_pooling_keeps_float32():
    x = gn.randn(2, 3, 6, 6, requires_grad=True)
    for out in (F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 1, 1), F.adaptive_avg_pool2d(x, 2)):
        assert out.dtype == np.float32
        out.sum().backward()
        assert x.grad.dtype == np.float32


def test_empty_batch():
    for fn, args in ((F.max_pool2d, (2,)), (F.avg_pool2d, (2,)), (F.adaptive_avg_pool2d, (3,))):
        out = fn(gn.zeros(0, 3, 6, 6), *args)
        assert out.shape == (0, 3, 3, 3)
    # an empty output size is allowed too, as in PyTorch
    assert F.adaptive_avg_pool2d(gn.zeros(2, 3, 6, 6), (0, 2)).shape == (2, 3, 0, 2)


# --------------------------------------------------------------------- pooling: bad input
@pytest.mark.parametrize("fn", [F.max_pool2d, F.avg_pool2d])
@pytest.mark.parametrize("kwargs,match", [
    (dict(kernel_size=6), r"kernel_size \(6, 6\) is larger than the padded input \(5, 5\)"),
    (dict(kernel_size=3, padding=2), r"padding \(2, 2\) must be at most half the kernel"),
    (dict(kernel_size=2, stride=0), r"'stride' must be positive, got 0"),
    (dict(kernel_size=2, stride=(1, -1)), r"'stride' must be positive, got \(1, -1\)"),
    (dict(kernel_size=0), r"'kernel_size' must be positive, got 0"),
    (dict(kernel_size=2, padding=-1), r"'padding' must be non-negative"),
    (dict(kernel_size=2.5), r"'kernel_size' must be an int or a pair of ints, got 2.5"),
])
def test_pool_argument_errors(fn, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fn(gn.randn(1, 2, 5, 5), **kwargs)


@pytest.mark.parametrize("shape", [(5, 5), (1, 2, 3, 5, 5), (2, 0, 5, 5)])
def test_pool_wrong_ndim(shape):
    for fn in (F.max_pool2d, F.avg_pool2d):
        with pytest.raises(ValueError, match=rf"must be 3-D .* got shape {shape}".replace(
                "(", r"\(").replace(")", r"\)")):
            fn(gn.zeros(*shape), 2)
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: input must be 3-D"):
        F.adaptive_avg_pool2d(gn.zeros(*shape), 2)


def test_max_pool_dilated_window_in_padding_only_is_an_error():
    # Rows -1 and +1 of a 1-row image: PyTorch returns -inf with an index outside the
    # plane and sends the gradient into the next channel; we refuse.
    with pytest.raises(ValueError, match="covers only padding"):
        F.max_pool2d(gn.randn(1, 2, 1, 3), (2, 2), 1, (1, 0), dilation=(2, 1))


def test_avg_and_adaptive_argument_errors():
    with pytest.raises(ValueError, match="divisor_override.*got 0"):
        F.avg_pool2d(gn.randn(1, 1, 4, 4), 2, divisor_override=0)
    with pytest.raises(ValueError, match=r"output_size.*got \(2, -1\)"):
        F.adaptive_avg_pool2d(gn.randn(1, 1, 4, 4), (2, -1))
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool2d(gn.randn(1, 1, 4, 4), (1, 2, 3))
    with pytest.raises(TypeError, match="floating point"):
        F.max_pool2d(gn.tensor(np.zeros((1, 1, 4, 4), np.int64)), 2)


# --------------------------------------------------------------------- batch norm
def test_batch_norm_running_stats_follow_torch_over_steps():
    rng = np.random.default_rng(8)
    for shape, momentum in (((6, 3), 0.1), ((4, 3, 5), 0.5), ((3, 3, 4, 4), 1.0)):
        rm, rv = gn.zeros(3, dtype=np.float64), gn.ones(3, dtype=np.float64)
        t_rm, t_rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
        w, b = rng.standard_normal(3), rng.standard_normal(3)
        for step in range(4):
            x = rng.standard_normal(shape) * (step + 1) + step
            gx, tx = _both(x)
            gw, tw = _both(w)
            gb, tb = _both(b)
            out = F.batch_norm(gx, rm, rv, gw, gb, training=True, momentum=momentum)
            t_out = TF.batch_norm(tx, t_rm, t_rv, tw, tb, training=True, momentum=momentum)
            np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(rm.data, t_rm.numpy(), rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(rv.data, t_rv.numpy(), rtol=1e-12, atol=1e-14)
            v = rng.standard_normal(shape)
            out.backward(v)
            t_out.backward(torch.tensor(v))
            for ours, theirs in ((gx, tx), (gw, tw), (gb, tb)):
                np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-9,
                                           atol=1e-11)
        # evaluation with the accumulated statistics
        x = rng.standard_normal(shape)
        out = F.batch_norm(gn.tensor(x), rm, rv, gn.tensor(w), gn.tensor(b))
        t_out = TF.batch_norm(torch.tensor(x), t_rm, t_rv, torch.tensor(w), torch.tensor(b))
        np.testing.assert_allclose(out.data, t_out.numpy(), rtol=1e-10, atol=1e-12)


def test_batch_norm_float32_running_stats_stay_float32():
    rm, rv = gn.zeros(4), gn.ones(4)
    out = F.batch_norm(gn.randn(8, 4, 3), rm, rv, training=True)
    assert out.dtype == rm.dtype == rv.dtype == np.float32


def test_batch_norm_update_does_not_invalidate_earlier_graphs():
    """The running stats are not graph inputs: updating them again before backward is fine."""
    rm, rv = gn.zeros(3, dtype=np.float64), gn.ones(3, dtype=np.float64)
    x = gn.tensor(np.random.default_rng(9).standard_normal((4, 3)), requires_grad=True)
    w = gn.tensor(np.ones(3), requires_grad=True)
    first = F.batch_norm(x, rm, rv, w, None, training=True)
    F.batch_norm(x, rm, rv, w, None, training=True)  # changes rm, rv in place again
    (first * first).sum().backward()
    # the same gradients as a graph whose running stats were never touched again
    x2 = gn.tensor(x.data.copy(), requires_grad=True)
    w2 = gn.tensor(np.ones(3), requires_grad=True)
    out = F.batch_norm(x2, gn.zeros(3, dtype=np.float64), gn.ones(3, dtype=np.float64), w2,
                       None, training=True)
    (out * out).sum().backward()
    np.testing.assert_allclose(x.grad.data, x2.grad.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.data, w2.grad.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.data, 2 * (first.data ** 2).sum(0), rtol=1e-12)


def test_batch_norm_errors_leave_running_stats_untouched():
    rm, rv = gn.tensor([1.0, 2.0, 3.0]), gn.tensor([4.0, 5.0, 6.0])
    before = rm.data.copy(), rv.data.copy()
    with pytest.raises(ValueError, match=r"more than 1 value per channel when training, got "
                                         r"input shape \(1, 3\)"):
        F.batch_norm(gn.randn(1, 3), rm, rv, training=True)
    with pytest.raises(ValueError, match=r"input has 4 channels but running_mean has shape "
                                         r"\(3,\)"):
        F.batch_norm(gn.randn(2, 4), rm, rv, training=True)
    with pytest.raises(ValueError, match=r"weight has shape \(2,\)"):
        F.batch_norm(gn.randn(2, 3), rm, rv, gn.ones(2), training=True)
    with pytest.raises(ValueError, match="at least 2-D"):
        F.batch_norm(gn.randn(3), rm, rv, training=True)
    with pytest.raises(TypeError, match="'momentum' must be a float, got None"):
        F.batch_norm(gn.randn(2, 3), rm, rv, training=True, momentum=None)
    np.testing.assert_array_equal(rm.data, before[0])
    np.testing.assert_array_equal(rv.data, before[1])
    with pytest.raises(ValueError, match="needed in evaluation mode"):
        F.batch_norm(gn.randn(2, 3), None, None)
    # one value per channel is fine in evaluation
    assert F.batch_norm(gn.randn(1, 3), rm, rv).shape == (1, 3)


# --------------------------------------------------------------------- tiled windows
@pytest.mark.parametrize("shape, kernel", [((3, 4, 26, 26), 2), ((2, 3, 9, 12), 3),
                                           ((2, 2, 4, 9), (2, 3)), ((5, 8), (1, 2))],
                         ids=["2x2", "3x3", "2x3", "unbatched-1x2"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool_over_tiling_windows_takes_the_copied_taps_and_matches_torch(shape, kernel,
                                                                                dtype):
    from glassnet.ops.pooling import _geometry, _tiled_taps
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, (1, 1, *shape) if len(shape) == 2 else shape).astype(dtype)
    if len(shape) == 2:
        x = x[0]  # (C, H, W): unbatched
    x4 = x if x.ndim == 4 else x[None]
    g = _geometry("max_pool2d", x4.shape, kernel, None, 0, 1, False)
    assert _tiled_taps(x4, g) is not None  # the windows tile the input
    x[..., 0, 1] = np.nan  # a NaN wins its window, as in torch
    _check_max_pool(x, kernel_size=kernel)
    gx, tx = _both(x)
    with gn.no_grad():
        np.testing.assert_array_equal(F.max_pool2d(gx, kernel).data,
                                      TF.max_pool2d(tx, kernel).detach().numpy())


def test_max_pool_backward_over_many_input_shapes_keeps_few_window_tables():
    from glassnet.ops import pooling
    rng = np.random.default_rng(6)
    for n in range(1, 12):  # more shapes than the table cache keeps
        _check_max_pool(rng.standard_normal((n, 2, 6, 5)), kernel_size=2)
        assert len(pooling._starts_cache) <= 8
    starts = next(iter(pooling._starts_cache.values()))
    assert not starts.flags.writeable  # shared between calls: nobody may write into it


# --------------------------------------------------------------------- winner indices
@pytest.mark.parametrize("shape, kwargs", [
    ((1, 2, 12, 12), dict(kernel_size=12)),  # 144 taps: offsets wider than int8
    ((2, 3, 9, 300), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0),
                          dilation=(2, 3))),  # steps up to 1,203: int16 arithmetic
    ((1, 1, 6, 3), dict(kernel_size=(3, 1), dilation=(2, 1))),  # one column per window
    ((1, 1, 5, 5), dict(kernel_size=(1, 3), dilation=(1, 2))),  # one row per window
], ids=["144-taps", "wide-steps", "kw-1", "kh-1"])
def test_max_pool_winner_indices_and_gradient_match_torch_for_any_step_size(shape, kwargs):
    x = np.random.default_rng(7).standard_normal(shape)
    gx, tx = _both(x)
    out, idx = F.max_pool2d(gx, return_indices=True, **kwargs)
    t_out, t_idx = TF.max_pool2d(tx, return_indices=True, **kwargs)
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    np.testing.assert_array_equal(idx.data, t_idx.numpy())
    (out * out).sum().backward()
    (t_out * t_out).sum().backward()
    np.testing.assert_array_equal(gx.grad.data, tx.grad.numpy())


def test_pool_geometry_is_remembered_only_for_calls_that_passed_its_checks():
    x = gn.randn(2, 3, 8, 8)
    expected = F.max_pool2d(x, 2).data  # remembered
    np.testing.assert_array_equal(F.max_pool2d(x, [2, 2]).data, expected)  # checked afresh
    with pytest.raises(TypeError, match=r"max_pool2d: argument 'kernel_size' must be an int"):
        F.max_pool2d(x, True)  # True == 1, but a bool is refused after a cached 1 too
    F.max_pool2d(x, 1)
    with pytest.raises(TypeError, match=r"argument 'kernel_size' must be an int"):
        F.max_pool2d(x, True)
    for _ in range(2):  # a failed check is never remembered
        with pytest.raises(ValueError, match="padding .* must be at most half the kernel"):
            F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"kernel_size \(9, 9\) is larger than the padded"):
        F.max_pool2d(x, 9)  # the output size depends on the input's shape, which is checked
