"""Reductions: behaviour the op registry cannot express (ties, NaN, integer dtypes, edge
cases, errors), each compared with PyTorch where PyTorch defines it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.functional as F

TIES = np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, -1.0, 2.0], [4.0, 4.0, 4.0, 4.0]])
NANS = np.array([[1.0, np.nan, np.nan, 2.0], [0.5, 3.0, 3.0, -1.0]])


def _both(array, dtype=np.float64):
    array = np.asarray(array, dtype=dtype)
    return (gn.Tensor(array.copy(), requires_grad=True),
            torch.tensor(array.copy(), requires_grad=True))


def _check_grad(g_out, t_out, g_in, t_in, seed=0):
    v = np.random.default_rng(seed).standard_normal(g_out.shape).astype(g_out.dtype)
    g_out.backward(v)
    t_out.backward(torch.from_numpy(v.copy()))
    np.testing.assert_allclose(g_in.grad.data, t_in.grad.numpy(), rtol=1e-12, atol=1e-12,
                               equal_nan=True)
    assert g_in.grad.dtype == g_in.dtype


# ----------------------------------------------------------------------------- ties
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, False), (1, True), (-1, True)])
def test_max_min_dim_ties_pick_first_and_send_grad_to_it(name, dim, keepdim):
    g, t = _both(TIES if name == "max" else -TIES)
    g_res = getattr(F, name)(g, dim, keepdim)
    t_res = getattr(torch, name)(t, dim, keepdim)
    np.testing.assert_array_equal(g_res.values.data, t_res.values.detach().numpy())
    np.testing.assert_array_equal(g_res.indices.data, t_res.indices.numpy())
    assert g_res.indices.dtype == np.int64 and not g_res.indices.requires_grad
    _check_grad(g_res.values, t_res.values, g, t)


@pytest.mark.parametrize("name", ["max", "min"])
def test_full_max_min_ties_share_the_gradient_evenly(name):
    x = np.array([[1.0, 4.0, 4.0], [4.0, 0.0, 2.0]])
    g, t = _both(x if name == "max" else -x)
    _check_grad(getattr(F, name)(g), getattr(torch, name)(t), g, t)
    g.grad = None
    getattr(F, name)(g).backward()
    np.testing.assert_array_equal(g.grad.data, [[0.0, 1 / 3, 1 / 3], [1 / 3, 0.0, 0.0]])


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("dim,keepdim", [((), False), (1, False), (0, True), ((0, 1), True)])
def test_amax_amin_ties_share_the_gradient_evenly(name, dim, keepdim):
    g, t = _both(TIES if name == "amax" else -TIES)
    g_out, t_out = getattr(F, name)(g, dim, keepdim), getattr(torch, name)(t, dim, keepdim)
    np.testing.assert_array_equal(g_out.data, t_out.detach().numpy())
    _check_grad(g_out, t_out, g, t)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_argmax_argmin_ties_pick_first(name, dim):
    g, t = _both(TIES)
    g_out, t_out = getattr(F, name)(g, dim), getattr(torch, name)(t, dim)
    np.testing.assert_array_equal(g_out.data, t_out.numpy())
    assert g_out.dtype == np.int64 and not g_out.requires_grad and g_out.grad_fn is None


# ----------------------------------------------------------------------------- NaN
@pytest.mark.parametrize("name,dim", [("max", None), ("min", None), ("amax", 1),
                                      ("amin", 1), ("amax", ())])
def test_nan_propagates_like_torch(name, dim):
    g, t = _both(NANS)
    args = () if dim is None else (dim,)
    g_out, t_out = getattr(F, name)(g, *args), getattr(torch, name)(t, *args)
    np.testing.assert_array_equal(g_out.data, t_out.detach().numpy())
    _check_grad(g_out, t_out, g, t)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_dim_nan_index_like_torch(name):
    g, t = _both(NANS)
    g_res, t_res = getattr(F, name)(g, 1), getattr(torch, name)(t, 1)
    np.testing.assert_array_equal(g_res.values.data, t_res.values.detach().numpy())
    np.testing.assert_array_equal(g_res.indices.data, t_res.indices.numpy())
    _check_grad(g_res.values, t_res.values, g, t)


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int32, np.int64])
def test_sum_of_integers_and_bools_is_int64(dtype):
    x = np.array([[1, 0, 1], [1, 1, 0]]).astype(dtype)
    for dim in (None, 1):
        out = F.sum(gn.Tensor(x), dim)
        expected = torch.sum(torch.from_numpy(x), dim) if dim is not None else \
            torch.sum(torch.from_numpy(x))
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out.data, expected.numpy())


def test_sum_dtype_keeps_the_input_gradient_dtype():
    g, t = _both(np.arange(6.0).reshape(2, 3), np.float32)
    out = F.sum(g, 1, dtype=np.float64)
    assert out.dtype == np.float64
    _check_grad(out, torch.sum(t, 1, dtype=torch.float64), g, t)
    assert g.grad.dtype == np.float32


def test_float32_gradients_stay_float32():
    x = gn.Tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32),
                  requires_grad=True)
    for fn in (F.sum, F.mean, F.max, F.amax, F.var, F.std, lambda t: F.logsumexp(t, 1),
               lambda t: F.max(t, 1).values):
        x.grad = None
        fn(x).sum().backward()
        assert x.grad.dtype == np.float32, fn
        assert fn(x).dtype == np.float32


def test_logsumexp_of_integers_is_float():
    out = F.logsumexp(gn.Tensor([0, 1, 2]), 0)
    expected = torch.logsumexp(torch.tensor([0, 1, 2]), 0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-6)


def test_mean_of_integers_with_dtype():
    out = F.mean(gn.Tensor([1, 2, 4]), dtype=np.float64)
    assert out.dtype == np.float64 and out.item() == pytest.approx(7 / 3)


def test_max_min_amax_keep_integer_dtype():
    x = np.array([[3, 9, 1], [9, 0, 2]])
    for name in ("max", "min", "amax", "amin"):
        out = getattr(F, name)(gn.Tensor(x))
        expected = getattr(torch, name)(torch.from_numpy(x))
        assert out.dtype == np.int64 and out.item() == expected.item()
    res = F.max(gn.Tensor(x), 1)
    np.testing.assert_array_equal(res.values.data, [9, 9])
    np.testing.assert_array_equal(res.indices.data, [1, 0])


# ----------------------------------------------------------------------------- edge cases
def test_logsumexp_stays_finite_at_extremes():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [-np.inf, 1.0, -np.inf]])
    for dtype in (np.float32, np.float64):
        g, t = _both(x, dtype)
        g_out, t_out = F.logsumexp(g, 1), torch.logsumexp(t, 1)
        assert np.isfinite(g_out.data).all()
        np.testing.assert_allclose(g_out.data, t_out.detach().numpy(), rtol=1e-6)
        g_out.sum().backward()
        t_out.sum().backward()
        assert np.isfinite(g.grad.data).all()
        # torch's float32 exp(x - out) loses ~1e-5 at -1e4 (out rounds); ours is closer
        np.testing.assert_allclose(g.grad.data, t.grad.numpy(), rtol=1e-4, atol=1e-7)


def test_logsumexp_infinite_and_empty_like_torch():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0]])
    g, t = _both(x)
    g_out, t_out = F.logsumexp(g, 1), torch.logsumexp(t, 1)
    np.testing.assert_array_equal(g_out.data, t_out.detach().numpy())
    _check_grad(g_out, t_out, g, t)
    empty = F.logsumexp(gn.Tensor(np.zeros((2, 0))), 1)
    np.testing.assert_array_equal(empty.data, [-np.inf, -np.inf])


def test_var_std_correction_larger_than_n_like_torch():
    x = np.array([[1.0, 2.0], [3.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about degrees of freedom <= 0
        for name in ("var", "std"):
            for correction in (2, 3):
                g = getattr(F, name)(gn.Tensor(x), 1, correction=correction)
                t = getattr(torch, name)(torch.from_numpy(x), 1, correction=correction)
                np.testing.assert_array_equal(g.data, t.numpy())
            single = getattr(F, name)(gn.Tensor([1.0]))
            assert np.isnan(single.item())


def test_std_of_constant_has_zero_gradient_like_torch():
    g, t = _both(np.full((2, 3), 1.5))
    _check_grad(F.std(g, 1), torch.std(t, 1), g, t)
    np.testing.assert_array_equal(g.grad.data, 0.0)


def test_var_std_accept_unbiased_like_torch():
    x = np.random.default_rng(1).standard_normal((3, 5))
    tx = torch.from_numpy(x)
    for name in ("var", "std"):
        fn, tfn = getattr(F, name), getattr(torch, name)
        np.testing.assert_allclose(fn(gn.Tensor(x), False).data, tfn(tx, False).numpy())
        np.testing.assert_allclose(fn(gn.Tensor(x), 1, False, True).data,
                                   tfn(tx, 1, False, True).numpy())
        np.testing.assert_allclose(fn(gn.Tensor(x), dim=0, unbiased=True).data,
                                   tfn(tx, dim=0, unbiased=True).numpy())


def test_mean_of_empty_is_nan_and_sum_is_zero():
    assert np.isnan(F.mean(gn.Tensor(np.zeros(0))).item())
    assert F.sum(gn.Tensor(np.zeros((0, 3)))).item() == 0.0


def test_max_dim_returns_a_named_tuple():
    res = F.max(gn.Tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
    values, indices = res
    assert type(res).__name__ == "max" and res._fields == ("values", "indices")
    assert values is res.values and indices is res.indices
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert type(F.min(gn.Tensor([1.0]), 0)).__name__ == "min"


def test_max_with_a_tensor_is_elementwise_maximum():
    a, b = gn.Tensor([1.0, 5.0]), gn.Tensor([3.0, 2.0])
    np.testing.assert_array_equal(F.max(a, b).data, [3.0, 5.0])
    np.testing.assert_array_equal(F.min(a, b).data, [1.0, 2.0])


def test_methods_call_the_functional_ops():
    x = gn.Tensor([[1.0, 5.0, 2.0], [7.0, 2.0, 0.0]])
    assert x.sum().item() == 17.0
    assert x.mean(1).shape == (2,)
    assert x.max().item() == 7.0
    np.testing.assert_array_equal(x.max(1).indices.data, [1, 0])
    np.testing.assert_array_equal(x.min(dim=0, keepdim=True).values.data, [[1.0, 2.0, 0.0]])
    assert x.amax(1, keepdim=True).shape == (2, 1)
    assert x.argmax().item() == 3 and x.argmin(1).tolist() == [0, 2]
    assert x.var().item() == pytest.approx(np.var(x.data, ddof=1))
    assert x.std(1).shape == (2,)
    assert x.logsumexp(1).shape == (2,)


def test_no_graph_without_requires_grad_or_under_no_grad():
    x = gn.Tensor([[1.0, 2.0]], requires_grad=True)
    with gn.no_grad():
        assert not F.sum(x).requires_grad
        assert not F.max(x, 1).values.requires_grad
    assert F.max(x, 1).values.requires_grad


def test_sum_backward_accumulates_into_leaf():
    x = gn.Tensor(np.ones((2, 3)), requires_grad=True)
    F.sum(x).backward()
    F.sum(x, 0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2.0)
    x.grad.data += 1.0  # the leaf's grad owns its memory (not a read-only broadcast view)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("name,args", [
    ("sum", (3,)), ("mean", ((0, -4),)), ("max", (2,)), ("min", (-3,)), ("amax", (5,)),
    ("var", (2,)), ("std", (-3,)), ("logsumexp", (2,)), ("argmax", (2,)), ("argmin", (7,)),
])
def test_dim_out_of_range_names_op_dim_and_ndim(name, args):
    x = gn.Tensor(np.zeros((2, 3)))
    bad = args[0] if isinstance(args[0], int) else args[0][1]
    with pytest.raises(IndexError) as info:
        getattr(F, name)(x, *args)
    message = str(info.value)
    assert message.startswith(f"{name}:")
    assert str(bad) in message and "2 dimension" in message


def test_dim_out_of_range_on_0d():
    with pytest.raises(IndexError, match=r"sum: .* 1, out of range .* 0 dimension"):
        F.sum(gn.Tensor(1.0), 1)


def test_repeated_dim_is_an_error():
    with pytest.raises(ValueError, match="sum: .*more than once"):
        F.sum(gn.Tensor(np.zeros((2, 3))), (0, -2))


@pytest.mark.parametrize("name", ["mean", "var", "std"])
def test_mean_var_std_of_integers_name_the_dtype(name):
    with pytest.raises(TypeError) as info:
        getattr(F, name)(gn.Tensor([1, 2, 3]))
    assert str(info.value).startswith(f"{name}:") and "int64" in str(info.value)


def test_max_dim_must_be_an_int():
    with pytest.raises(TypeError, match="max: argument 'dim' must be an int"):
        F.max(gn.Tensor(np.zeros((2, 3))), (0,))
    with pytest.raises(TypeError, match="max: keepdim=True needs a dim"):
        F.max(gn.Tensor(np.zeros((2, 3))), keepdim=True)


def test_var_rejects_unbiased_with_correction():
    with pytest.raises(TypeError, match="var: pass either 'unbiased' or 'correction'"):
        F.var(gn.Tensor(np.zeros((2, 3))), 1, unbiased=True, correction=0)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "argmax", "argmin"])
def test_empty_reductions_without_identity_are_errors(name):
    with pytest.raises(ValueError, match=f"{name}: cannot reduce an empty tensor .*\\(0, 3\\)"):
        getattr(F, name)(gn.Tensor(np.zeros((0, 3))))
    with pytest.raises(IndexError, match=f"{name}: cannot reduce over dim 0, which has size 0"):
        getattr(F, name)(gn.Tensor(np.zeros((0, 3))), 0)
    out = getattr(F, name)(gn.Tensor(np.zeros((0, 3))), 1)  # empty output: fine, as torch
    if name in ("max", "min"):
        assert out.values.shape == (0,) and out.indices.shape == (0,)
    else:
        assert out.shape == (0,)


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("correction, dim", [(2, None), (4, None), (3, 0), (2, 0), (1, None),
                                             (0, 0)], ids=str)
def test_var_and_std_gradients_past_the_degrees_of_freedom_follow_torch(op, correction, dim):
    # Before: correction >= N gave -inf where torch has inf (every dim) or a finite
    # negative slope 2 / (N - correction) (a given dim).
    x = np.array([1.0, 2.0, 2.0])[:2]
    ours, theirs = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns that dof <= 0
        out = getattr(ours, op)(correction=correction) if dim is None \
            else getattr(ours, op)(dim, correction=correction)
        t_out = getattr(theirs, op)(correction=correction) if dim is None \
            else getattr(theirs, op)(dim, correction=correction)
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "var", "std", "logsumexp",
                                  "argmax", "argmin", "max", "min"])
def test_reductions_take_numpys_axis_for_dim_like_torch(name):
    # Before: TypeError, unexpected keyword argument 'axis'
    data = np.arange(6.0).reshape(2, 3)
    ours = getattr(gn.tensor(data), name)(axis=1)
    theirs = getattr(torch.tensor(data), name)(axis=1)
    if name in ("max", "min"):
        assert ours.indices.tolist() == theirs.indices.tolist()
        ours, theirs = ours.values, theirs.values
    np.testing.assert_allclose(ours.data, theirs.numpy())
    with pytest.raises(TypeError, match=rf"{name}: got both dim=0 and its alias axis=1"):
        getattr(gn.tensor(data), name)(0, axis=1)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_of_a_bool_tensor_are_refused_like_torch(name):
    with pytest.raises(RuntimeError, match=rf"{name}\(\): does not support bool input"):
        getattr(torch.tensor([True, False]), name)()
    with pytest.raises(TypeError, match=rf"{name}: does not support bool input \(shape \(2,\)\)"):
        getattr(gn.tensor([True, False]), name)()
