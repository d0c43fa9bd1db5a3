"""The engine hands a node its incoming gradient to write into only when nothing else holds
that array (glassnet/autograd/engine.py, Function.owns_grad); ReLU's backward then writes its
result there. Every other holder of the array must see it unchanged."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.autograd.function import Function
from glassnet.ops import activation


def _relu_grad(x, g):
    return g * (x > 0)


def test_relu_backward_writes_into_a_gradient_nothing_else_holds(monkeypatch):
    seen = []
    real = activation.ReLU.backward

    def spy(ctx, grad):
        seen.append((ctx.owns_grad, id(grad)))
        out = real(ctx, grad)
        seen.append(id(out))
        return out

    monkeypatch.setattr(activation.ReLU, "backward", staticmethod(spy))
    x = gn.randn(4, 5, requires_grad=True)
    (x.relu() * 3.0).sum().backward()  # the product's backward makes a fresh array
    (owned, grad_id), out_id = seen[0], seen[1]
    assert owned and out_id == grad_id  # written in place
    np.testing.assert_array_equal(x.grad.data, np.where(x.data > 0, 3.0, 0.0))


def test_the_callers_seed_gradient_is_never_written():
    x = gn.randn(3, 4, requires_grad=True)
    seed = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    kept = seed.copy()
    x.relu().backward(gn.tensor(seed))
    np.testing.assert_array_equal(seed, kept)
    y = gn.randn(3, 4, requires_grad=True)
    y.relu().backward(seed)  # a bare array too
    np.testing.assert_array_equal(seed, kept)


def test_a_gradient_on_its_way_to_two_nodes_reaches_both_unchanged():
    # a + a's backward hands one array to both uses of r; each relu must read it intact
    x = gn.randn(5, 6, requires_grad=True)
    r = x * 2.0
    (r.relu() + r.relu()).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2 * 2.0 * (x.data > 0))


def test_retained_and_leaf_gradients_are_not_written_into():
    x = gn.randn(4, 4, requires_grad=True)
    h = x * 1.5
    h.retain_grad()
    out = h.relu()
    out.retain_grad()
    (out * 2.0).sum().backward()
    np.testing.assert_array_equal(out.grad.data, np.full((4, 4), 2.0, np.float32))
    np.testing.assert_array_equal(h.grad.data, _relu_grad(h.data, 2.0))
    # a leaf's .grad is its own array: a second pass accumulates into it correctly
    x2 = gn.randn(4, 4, requires_grad=True)
    for _ in range(2):
        (x2.relu() * 2.0).sum().backward()
    np.testing.assert_array_equal(x2.grad.data, _relu_grad(x2.data, 4.0))


def test_owns_grad_is_false_outside_the_engine():
    assert Function.owns_grad is False and Function.last_backward is False
