"""The backward engine: PyTorch's semantics for accumulation, retain_graph, non-leaf grads,
no_grad, and a graph walk that does not recurse."""

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.functional as F


def test_chain_rule_through_a_small_graph_matches_torch():
    a_np, b_np = np.array([0.5, -1.2, 2.0]), np.array([1.5, 0.3, -0.7])
    a, b = gn.tensor(a_np, requires_grad=True), gn.tensor(b_np, requires_grad=True)
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    ((a * b + a.exp()) / (b * b + 1)).sum().backward()
    ((ta * tb + ta.exp()) / (tb * tb + 1)).sum().backward()
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-12)


def test_gradients_accumulate_on_leaves_across_backward_calls():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_a_tensor_used_twice_gets_the_sum_of_both_paths():
    x = gn.tensor(3.0, requires_grad=True)
    (x * x + x).backward()
    assert x.grad.item() == 7.0


def test_one_gradient_reaching_two_leaves_is_not_shared():
    a = gn.tensor([1.0, 2.0], requires_grad=True)
    b = gn.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data += 10  # an optimizer updating one leaf's grad in place
    assert b.grad.tolist() == [1.0, 1.0]


def test_non_leaf_grads_are_not_kept_unless_retained():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * 3
    y.retain_grad()
    w = z * 1
    w.sum().backward()
    assert z.grad is None
    assert y.grad.tolist() == [3.0, 3.0]
    assert x.grad.tolist() == [6.0, 6.0]


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0], "the failed call must not change the gradient"


def test_retain_graph_allows_a_second_backward():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_backward_of_non_scalar_needs_gradient():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"one-element.*shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(gn.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]


def test_backward_gradient_of_wrong_shape_is_refused():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2,\)"):
        (x * 2).backward(gn.ones(3))


def test_backward_on_tensor_without_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gn.ones(1).backward()


def test_no_grad_as_context_manager_and_decorator():
    x = gn.tensor([1.0], requires_grad=True)
    with gn.no_grad():
        y = x * 2
        with gn.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    assert gn.is_grad_enabled()

    @gn.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert gn.is_grad_enabled()


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ValueError):
        with gn.no_grad():
            raise ValueError("boom")
    assert gn.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_data():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    (x * d).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_chain_of_100000_ops_backpropagates_without_recursion_error():
    x = gn.tensor(1.0, dtype=gn.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    assert x.grad.item() == pytest.approx(1.00001 ** 100_000, rel=1e-9)


def test_gradient_keeps_the_leaf_dtype():
    x = gn.randn(3, requires_grad=True)
    (x * 2.0).sum().backward()
    assert x.grad.dtype == gn.float32
    y = gn.randn(3, dtype=gn.float64, requires_grad=True)
    (y * 2.0).sum().backward()
    assert y.grad.dtype == gn.float64


def test_inputs_that_do_not_require_grad_get_no_grad():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    c = gn.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None


def test_inplace_update_of_leaf_requiring_grad_needs_no_grad():
    w = gn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.zero_()
    with gn.no_grad():
        w.zero_()
    assert w.tolist() == [0.0, 0.0]


def test_functional_and_method_forms_agree():
    x = gn.randn(3, 4)
    np.testing.assert_array_equal(F.exp(x).data, x.exp().data)


def test_inplace_operators_update_parameters_under_no_grad():
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with gn.no_grad():
        w -= 0.5 * w.grad
        w *= 2
    assert w.tolist() == [0.0, 0.0] and w.is_leaf and w.requires_grad
    with pytest.raises(RuntimeError, match=r"\+=: a leaf tensor that requires grad"):
        w += 1


def test_changing_a_saved_tensor_in_place_makes_backward_refuse():
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with gn.no_grad():
        w.fill_(0.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y * x  # mul keeps y for x's gradient
    with gn.no_grad():
        y.zero_()
    with pytest.raises(RuntimeError, match=r"its input 0 \(shape \(2,\)\) of node <MulBackward>"):
        z.sum().backward()
    y = x.exp()
    z = y * 1.0  # mul keeps nothing of y now, but exp kept its output: exp refuses
    with gn.no_grad():
        y.zero_()
    with pytest.raises(RuntimeError, match="its output of node <ExpBackward>"):
        z.sum().backward()
    y = x.exp()  # Exp saved its output: changing that output is caught too
    with gn.no_grad():
        y.zero_()
    with pytest.raises(RuntimeError, match="its output of node <ExpBackward>"):
        y.backward(gn.ones(2))
    c = gn.tensor([3.0, 4.0])  # a constant whose values a node saved
    loss = (x * c).sum()
    c += 1
    with pytest.raises(RuntimeError, match=r"its input 1 \(shape \(2,\)\)"):
        loss.backward()


def test_set_grad_enabled_as_call_and_context_manager_and_bare_no_grad():
    with gn.set_grad_enabled(False):
        assert not gn.is_grad_enabled()
    assert gn.is_grad_enabled()
    gn.set_grad_enabled(False)
    try:
        assert not gn.is_grad_enabled()
    finally:
        gn.set_grad_enabled(True)

    @gn.no_grad
    def double(t):
        return t * 2

    assert not double(gn.ones(2, requires_grad=True)).requires_grad
    assert gn.is_grad_enabled()


def test_errors_leave_tensors_unchanged():
    a = gn.randn(3, 4, requires_grad=True)
    b = gn.randn(5, 4, requires_grad=True)
    a_data, b_data = a.data.copy(), b.data.copy()
    with pytest.raises(ValueError, match=r"dimension -2 has sizes 3 and 5"):
        a + b
    with pytest.raises(ValueError, match=r"matmul: .*\(3, 4\) and \(5, 4\)"):
        F.matmul(a, b)
    np.testing.assert_array_equal(a.data, a_data)
    np.testing.assert_array_equal(b.data, b_data)
    assert a.grad is None and b.grad is None


def test_a_backward_that_fails_midway_changes_no_gradient():
    # Both orders of the sum: in one of them the walk reaches w2 before the stale node
    # (mul keeps x for w1's gradient) stops it. No .grad may change, not even one that
    # already held a value.
    w1 = gn.tensor([1.0, 2.0], requires_grad=True)
    w2 = gn.tensor([0.5, -1.0], requires_grad=True)
    (w2 * 2).sum().backward()
    x = gn.tensor([1.0, 1.0])
    for first in (True, False):
        a, b = (w2 * 3.0).sum(), (w1 * x).sum()
        loss = a + b if first else b + a
        with gn.no_grad():
            x.fill_(float(first) + 2.0)
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            loss.backward()
        assert w2.grad.tolist() == [2.0, 2.0] and w1.grad is None


# --------------------------------------------------------------------- grad-mode decorators
def test_set_grad_enabled_as_a_decorator_changes_nothing_until_the_function_runs():
    assert gn.is_grad_enabled()

    @gn.set_grad_enabled(False)
    def infer(x):
        return x * 2

    assert gn.is_grad_enabled()  # defining it left the mode alone, as in torch
    x = gn.ones(2, requires_grad=True)
    assert not infer(x).requires_grad and (x * 3).requires_grad


def test_grad_mode_decorators_cover_every_step_of_a_generator():
    @gn.no_grad()
    def steps():
        x = gn.ones(2, requires_grad=True)
        received = yield (x * 2).requires_grad
        yield received, (x * 2).requires_grad

    gen = steps()
    assert next(gen) is False
    assert gn.is_grad_enabled()  # the caller's mode between steps
    assert gen.send("hello") == ("hello", False)
    with pytest.raises(StopIteration):
        next(gen)


# --------------------------------------------------------------------- gradient shapes
def test_a_backward_that_returns_a_broadcast_gradient_is_summed_to_the_input_shape():
    class AddNoUnbroadcast(gn.autograd.Function):
        @staticmethod
        def forward(ctx, x, b):
            return x + b

        @staticmethod
        def backward(ctx, g):
            return g, g  # forgot to sum g over the broadcast rows for b

    x = gn.randn(2, 3, requires_grad=True)
    b = gn.randn(3, requires_grad=True)
    AddNoUnbroadcast.apply(x, b).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0, 2.0])


def test_a_backward_that_returns_an_unrelated_shape_is_named():
    class WrongShape(gn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return np.ones((5,))

    x = gn.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShape.backward returned a gradient of shape "
                                           r"\(5,\) for input 0, whose shape is \(3,\)"):
        WrongShape.apply(x).sum().backward()
    assert x.grad is None


def test_grad_mode_is_per_thread_as_in_torch():
    import threading

    inside, release, seen = threading.Event(), threading.Event(), {}

    def evaluate():
        with gn.no_grad():
            inside.set()
            release.wait(5)
            seen["other thread"] = gn.is_grad_enabled()

    worker = threading.Thread(target=evaluate)
    worker.start()
    inside.wait(5)
    x = gn.ones(2, requires_grad=True)
    assert (x * 2).requires_grad  # the other thread's no_grad does not reach this one
    with gn.no_grad():
        started = []
        fresh = threading.Thread(target=lambda: started.append(gn.is_grad_enabled()))
        fresh.start()
        fresh.join(5)
    release.set()
    worker.join(5)
    assert seen["other thread"] is False and started == [True] and gn.is_grad_enabled()
