"""normalize, cosine_similarity and one_hot beyond the registry's samples: zero and tiny
vectors (where the gradient is a choice PyTorch made), and the errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
import glassnet.functional as F


def _grads(gn_fn, torch_fn, *arrays):
    gs = [gn.tensor(a.copy(), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    out, t_out = gn_fn(*gs), torch_fn(*ts)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-15)
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(v)
    t_out.backward(torch.tensor(v))
    for g, t in zip(gs, ts, strict=True):
        np.testing.assert_allclose(g.grad.data, t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_zero_vectors_stay_zero_with_a_zero_gradient_as_in_torch():
    x = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]])
    _grads(F.normalize, TF.normalize, x)
    _grads(lambda a, b: F.cosine_similarity(a, b), lambda a, b: TF.cosine_similarity(a, b),
           x, np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))


def test_a_vector_shorter_than_eps_is_clamped_without_a_gradient_through_the_clamp():
    # PyTorch clamps the norms under no_grad: the value uses eps, the gradient the norm
    tiny = np.array([[1e-10, 0.0], [1e-3, 2e-3]])
    _grads(lambda a, b: F.cosine_similarity(a, b), lambda a, b: TF.cosine_similarity(a, b),
           tiny, np.array([[1.0, 1.0], [2.0, -1.0]]))
    _grads(lambda a: F.normalize(a, eps=1e-6), lambda a: TF.normalize(a, eps=1e-6), tiny)


@pytest.mark.parametrize("p", [0.5, float("inf"), -1, "2"])
def test_normalize_refuses_other_norms(p):
    with pytest.raises(ValueError, match="p must be a finite number >= 1"):
        F.normalize(gn.ones(2, 3), p=p)


def test_cosine_similarity_names_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"x1 of shape \(2, 3\) and x2 of shape \(4,\)"):
        F.cosine_similarity(gn.ones(2, 3), gn.ones(4), dim=-1)


def test_one_hot_errors_name_the_value():
    ids = gn.tensor(np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="class id 4 is not smaller than num_classes=3"):
        F.one_hot(ids, 3)
    with pytest.raises(ValueError, match="must be non-negative, got -2"):
        F.one_hot(gn.tensor(np.array([1, -2])))
    with pytest.raises(ValueError, match="cannot infer the number of classes"):
        F.one_hot(gn.tensor(np.zeros(0, dtype=np.int64)))
    with pytest.raises(TypeError, match="expected an int64 tensor"):
        F.one_hot(gn.tensor(np.array([1.0, 0.0])))
    out = F.one_hot(ids)
    assert out.dtype == np.int64 and out.shape == (3, 5) and not out.requires_grad
