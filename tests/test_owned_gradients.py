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


def test_the_flags_last_one_call_only():
    # after a pass with retain_graph, a direct call of the node's backward may not write
    # into the array it is given (review finding)
    x = gn.randn(3, 4, requires_grad=True)
    y = x.relu()
    (y * 2.0).sum().backward(retain_graph=True)
    node = y.grad_fn
    assert not node.owns_grad and not node.last_backward
    g = np.ones((3, 4), np.float32)
    type(node).backward(node, g)
    np.testing.assert_array_equal(g, np.ones((3, 4), np.float32))


def test_a_relu_subclass_that_reads_grad_after_relus_backward_is_right():
    class LeakyStraightThrough(activation.ReLU):
        @staticmethod
        def backward(ctx, grad):
            return activation.ReLU.backward(ctx, grad) + 0.1 * grad

    x = gn.tensor(np.array([-1.0, 2.0, -3.0, 4.0]), requires_grad=True)
    (LeakyStraightThrough.apply(x) * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.3, 3.3, 0.3, 3.3])


def test_no_gradient_is_handed_over_where_reference_counts_cannot_be_trusted():
    from glassnet.autograd.engine import reference_counter

    assert reference_counter("cpython", (3, 11)) is not None
    assert reference_counter("cpython", (3, 13)) is not None
    assert reference_counter("cpython", (3, 14)) is None  # a call may borrow a reference
    assert reference_counter("pypy", (3, 10)) is None
