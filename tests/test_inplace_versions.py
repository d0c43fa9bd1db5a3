"""In-place writes after a forward pass: backward refuses exactly when a value a node saved
was changed, whichever tensor the write went through (a view, a detached tensor, an optimizer
step), as PyTorch's per-storage version counter does; a node that saved nothing still runs."""

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn, optim

STALE = "modified by an in-place operation"


def both(build):
    """Run ``build(lib)`` for glassnet and torch: (glassnet error or None, torch error or
    None), so each test states the outcome once and checks torch agrees."""
    outcomes = []
    for lib in (gn, torch):
        try:
            build(lib)
            outcomes.append(None)
        except RuntimeError as error:
            outcomes.append(str(error))
    return outcomes


def test_a_write_through_a_slice_of_a_saved_constant_is_refused():
    def build(lib):
        a = lib.tensor([1.0, 2.0, 3.0])
        w = lib.ones(3, requires_grad=True)
        out = (w * a).sum()
        a[0:2].zero_()
        out.backward()
    ours, theirs = both(build)
    assert theirs is not None and ours is not None and STALE in ours
    assert "its input 1 (shape (3,))" in ours


def test_a_write_through_detach_is_refused():
    def build(lib):
        w = lib.tensor([0.5, 1.5], requires_grad=True)
        y = w.exp()
        z = y * y
        y.detach().zero_()
        z.sum().backward()
    ours, theirs = both(build)
    assert theirs is not None and ours is not None and STALE in ours


def test_a_write_through_a_reshaped_view_is_refused():
    def build(lib):
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        w = lib.ones(2, 2, requires_grad=True)
        out = (w * a).sum()
        a.reshape(4).fill_(7.0)
        out.backward()
    ours, theirs = both(build)
    assert theirs is not None and ours is not None and STALE in ours


def test_a_write_to_another_view_of_the_same_storage_is_refused_as_in_torch():
    def build(lib):
        base = lib.tensor([1.0, 2.0, 3.0, 4.0])
        w = lib.ones(2, requires_grad=True)
        out = (w * base[:2]).sum()
        base[2:].zero_()
        out.backward()
    ours, theirs = both(build)
    assert theirs is not None and ours is not None and STALE in ours


def test_a_write_to_an_unrelated_tensor_leaves_backward_correct():
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    a = gn.tensor([3.0, 5.0])
    other = gn.zeros(2)
    loss = (w * a).sum()
    other += 1  # the global write count moves, but nothing the graph saved changed
    loss.backward()
    assert w.grad.tolist() == [3.0, 5.0]


def test_a_node_that_saved_nothing_of_the_changed_input_still_runs():
    def build(lib):
        w = lib.ones(3, requires_grad=True)
        c = lib.ones(3)
        y = (w + c).sum()
        c += 1  # add keeps neither operand for its gradient
        y.backward()
        return w.grad
    ours, theirs = both(build)
    assert ours is None and theirs is None
    w = gn.ones(3, requires_grad=True)
    c = gn.ones(3)
    y = (w + c).sum()
    c += 1
    y.backward()
    assert w.grad.tolist() == [1.0, 1.0, 1.0]


def test_an_optimizer_step_between_forward_and_backward_is_refused():
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)

    def build(lib):
        model = (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)) if lib is gn else
                 torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                     torch.nn.Linear(4, 2)))
        opt = (optim.SGD if lib is gn else torch.optim.SGD)(model.parameters(), lr=0.1)
        loss = model(lib.from_numpy(x)).sum()
        loss.backward(retain_graph=True)
        opt.step()
        loss.backward()
    ours, theirs = both(build)
    assert theirs is not None and ours is not None and STALE in ours


def test_load_state_dict_between_forward_and_backward_is_refused():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = gn.randn(5, 3)
    loss = model(x).sum()
    model.load_state_dict({k: v.data * 2 for k, v in model.state_dict().items()})
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_batch_norm_evaluated_then_trained_still_backpropagates_its_first_output():
    # A training forward moves the running statistics in place; the evaluation node keeps
    # its own copy of the mean it used, so its gradients are those of the values it saw.
    # (PyTorch 2.13 updates the running buffers without a version bump and backpropagates
    # with the new variance here: 2% off.)
    x_np = np.random.default_rng(1).standard_normal((4, 3))
    bn = nn.BatchNorm1d(3).double()
    with gn.no_grad():
        bn.running_mean.copy_(gn.tensor([0.5, -0.5, 1.0], dtype=gn.float64))
        bn.running_var.copy_(gn.tensor([2.0, 0.5, 1.5], dtype=gn.float64))
    mean, var = bn.running_mean.data.copy(), bn.running_var.data.copy()
    bn.eval()
    x = gn.tensor(x_np, requires_grad=True)
    y = bn(x)
    bn.train()
    bn(gn.tensor(np.random.default_rng(2).standard_normal((4, 3))))
    assert not np.allclose(bn.running_mean.data, mean)  # the statistics did move
    (y * y).sum().backward()
    x_hat = (x_np - mean) / np.sqrt(var + bn.eps)  # gamma = 1, beta = 0
    np.testing.assert_allclose(x.grad.data, 2 * x_hat / np.sqrt(var + bn.eps), rtol=1e-12)
    np.testing.assert_allclose(bn.weight.grad.data, (2 * x_hat * x_hat).sum(0), rtol=1e-12)


def test_a_write_to_a_saved_output_through_detach_names_the_output():
    # relu keeps only its output; a write to it through a detached view is found and named
    w = gn.tensor([-1.0, 2.0], requires_grad=True)
    y = w.relu()
    z = y * 3.0
    with gn.no_grad():
        y.detach().zero_()
    with pytest.raises(RuntimeError, match="its output of node <ReLUBackward>"):
        y.backward(gn.ones(2))
    assert z is not None


def test_arrays_a_custom_function_keeps_in_containers_are_checked_too():
    class SquareNested(gn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.saved = {"inputs": [(x,)], "shape": x.shape}
            return x * x

        @staticmethod
        def backward(ctx, grad):
            return 2 * ctx.saved["inputs"][0][0] * grad

    a = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = a * 1.0
    y = SquareNested.apply(x)
    with gn.no_grad():
        x.fill_(100.0)
    with pytest.raises(RuntimeError, match=STALE):
        y.sum().backward()


@pytest.mark.parametrize("op", ["div", "remainder"])
def test_division_keeps_only_what_the_wanted_gradients_need_like_torch(op):
    # x / c and x % c need nothing of x for x's gradient: changing x afterwards is fine
    def build(lib):
        a = lib.tensor([2.0, 3.0, 4.0], requires_grad=True)
        x = a * 1.0
        y = (x / lib.tensor([4.0, 9.0, 16.0])) if op == "div" else x % 2.5
        with (gn.no_grad() if lib is gn else torch.no_grad()):
            x.add_(1.0) if lib is torch else x.__iadd__(1.0)
        y.sum().backward()
        return a.grad.tolist()
    assert build(gn) == pytest.approx(build(torch), rel=1e-7)


def test_resetting_batch_norm_between_forward_and_backward_is_refused_like_torch():
    x_np = np.random.default_rng(3).standard_normal((4, 2)).astype(np.float32)
    for lib in (gn, torch):
        bn = (nn.BatchNorm1d if lib is gn else torch.nn.BatchNorm1d)(2)
        with (gn.no_grad() if lib is gn else torch.no_grad()):
            bn.weight.fill_(3.0)
        y = bn(lib.tensor(x_np, requires_grad=True))
        bn.reset_parameters()
        with pytest.raises(RuntimeError, match="modified by an in"):
            (y * y).sum().backward()


# --------------------------------------------------------------------- recorded in-place ops
def grads_of(build):
    """``build(lib)`` returns the leaves whose gradients to compare: (glassnet's, torch's),
    each a list of lists, after ``build`` ran its backward."""
    return [[leaf.grad.tolist() for leaf in build(lib)] for lib in (gn, torch)]


def test_augmented_assignment_with_a_value_that_requires_grad_is_recorded_like_torch():
    def accumulate(lib):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        acc = lib.zeros(())
        for i in range(3):
            acc += w[i] ** 2
        acc.backward()
        return [w]

    def multiply(lib):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = lib.ones(3)
        h *= w  # mul keeps h's old values for w's gradient: the write must not change them
        (h * w).sum().backward()
        return [w]

    def chain(lib):  # on a tensor already in the graph (refused before), every operator
        w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        u = lib.tensor([0.5, 3.0], dtype=lib.float64, requires_grad=True)
        y = w * 2
        y += u
        y *= w
        y **= 2
        y /= u
        y -= w
        y %= 7.0
        y.sum().backward()
        return [w, u]

    for build in (accumulate, multiply, chain):
        ours, theirs = grads_of(build)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert grads_of(accumulate)[0] == [[2.0, 4.0, 6.0]]


def test_copy_and_fill_from_a_tensor_that_requires_grad_are_recorded_like_torch():
    def copy(lib):
        w = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        h = lib.zeros(3)  # float32: the copy casts, the gradient is cast back
        h.copy_(w)
        assert h.requires_grad and h.grad_fn is not None and h.dtype == lib.float32
        (h * h).sum().backward()
        return [w]

    def fill(lib):
        v = lib.tensor(2.0, requires_grad=True)
        h = lib.zeros(3)
        h.fill_(v)
        (h * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return [v]

    def zero(lib):  # zero_ on a tensor in the graph: the old values get no gradient
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y = w * 2
        y.zero_()
        (y + w).sum().backward()
        return [w]

    for build in (copy, fill, zero):
        ours, theirs = grads_of(build)
        assert ours == theirs
    assert grads_of(copy)[0] == [[2.0, 4.0, 6.0]]


def test_recorded_in_place_ops_keep_their_refusals():
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\+=: a leaf tensor that requires grad"):
        w += gn.tensor([1.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="copy_: a leaf tensor that requires grad"):
        w.copy_(gn.ones(2))
    ints = gn.tensor([1, 2])
    with pytest.raises(RuntimeError, match=r"\+=: result type float32 can't be cast"):
        ints += w
    with pytest.raises(RuntimeError, match=r"\*=: this tensor is a read-only view"):
        expanded = gn.zeros(1).expand(2)
        expanded *= w
    h = gn.zeros(2)
    with pytest.raises(RuntimeError, match=r"\+=: a value of shape \(3, 2\) cannot be written"):
        h += w * gn.ones(3, 1)
    assert w.tolist() == [1.0, 2.0] and ints.tolist() == [1, 2] and h.tolist() == [0.0, 0.0]
    assert w.grad is None and h.grad_fn is None and not h.requires_grad


def test_a_recorded_write_to_a_value_a_node_saved_is_still_refused_like_torch():
    def build(lib):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        h = lib.ones(2)
        z = h * w  # keeps h for w's gradient
        h += w  # recorded, and changes the h that z saved
        z.sum().backward()
    ours, theirs = both(build)
    assert theirs is not None and ours is not None and STALE in ours


def test_plain_in_place_writes_record_nothing():
    h = gn.zeros(3)
    h += gn.ones(3)
    h *= 2
    h.copy_(gn.tensor([1.0, 2.0, 3.0]))
    assert h.grad_fn is None and not h.requires_grad and h.tolist() == [1.0, 2.0, 3.0]
    w = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with gn.no_grad():
        h += w  # no graph under no_grad, whatever requires grad
        w -= 1.0
    assert h.grad_fn is None and not h.requires_grad and h.tolist() == [2.0, 4.0, 6.0]
    assert w.is_leaf and w.tolist() == [0.0, 1.0, 2.0]
