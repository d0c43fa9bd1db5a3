"""The public gradcheck: passes correct gradients and reports wrong ones precisely."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.autograd import Function, GradcheckError, gradcheck


class WrongSquare(Function):
    """x^2 with a deliberately wrong backward (3x instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * x

    @staticmethod
    def backward(ctx, grad):
        return grad * 3 * ctx.x


def test_gradcheck_accepts_correct_gradients():
    x = gn.randn(3, 4, dtype=gn.float64, requires_grad=True)
    y = gn.randn(4, dtype=gn.float64, requires_grad=True)
    assert gradcheck(lambda a, b: F.exp(a) * b + a / (b * b + 1), (x, y))


class OffByOneAt10(Function):
    """2x with a backward that adds 1 to the gradient at position (1, 0) only."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        wrong = 2 * grad
        wrong[1, 0] += 1.0
        return wrong


def test_gradcheck_reports_the_largest_errors_and_where():
    x = gn.tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True)
    y = gn.tensor(np.array([0.1, 0.2]), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: OffByOneAt10.apply(a) * b, (x, y))
    message = str(info.value)
    assert "input 0 (shape (2, 2)): MISMATCH" in message
    assert "largest absolute error 1.000e+00" in message
    assert "worst at (1, 0)" in message
    assert "input 1 (shape (2,)): ok" in message


def test_gradcheck_names_a_wrong_formula():
    x = gn.tensor(np.array([1.5]), requires_grad=True)
    with pytest.raises(GradcheckError, match="relative error 5.000e-01"):
        gradcheck(WrongSquare.apply, (x,))  # analytic 3x against numeric 2x


def test_gradcheck_can_return_false_instead_of_raising():
    x = gn.tensor([1.0, 2.0], dtype=gn.float64, requires_grad=True)
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_requires_float64():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(F.exp, (x,))


def test_gradcheck_leaves_inputs_unchanged():
    data = np.array([0.3, -0.8, 1.7])
    x = gn.tensor(data.copy(), requires_grad=True)
    gradcheck(F.exp, (x,))
    np.testing.assert_array_equal(x.data, data)
    assert x.grad is None


def test_gradcheck_keeps_an_existing_grad_and_handles_read_only_inputs():
    x = gn.tensor([1.0, 2.0], dtype=gn.float64, requires_grad=True)
    x.grad = gn.tensor([5.0, 5.0], dtype=gn.float64)
    assert gradcheck(F.exp, (x,))
    assert x.grad.tolist() == [5.0, 5.0]
    base = np.array([[0.5, -1.0]])
    view = gn.Tensor(np.broadcast_to(base, (3, 2)), requires_grad=True)  # read-only
    assert gradcheck(F.sigmoid, (view,))


def test_gradcheck_names_the_function_class():
    x = gn.tensor([1.5], dtype=gn.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="gradcheck of WrongSquare"):
        gradcheck(WrongSquare.apply, (x,))


class NaNGrad(Function):
    """2x whose backward returns NaN: a comparison with NaN is False, so it must fail."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        return grad * np.nan


def test_a_nan_gradient_is_a_mismatch():
    x = gn.randn(3, dtype=gn.float64, requires_grad=True)
    assert gradcheck(NaNGrad.apply, x, raise_exception=False) is False
    with pytest.raises(GradcheckError, match="MISMATCH"):
        gradcheck(NaNGrad.apply, x)


def test_every_output_of_a_multi_output_function_is_checked():
    x = gn.randn(2, 3, dtype=gn.float64, requires_grad=True)
    assert gradcheck(lambda t: (2 * t, t * t), x)
    with pytest.raises(GradcheckError, match="WrongSquare|lambda"):
        gradcheck(lambda t: (2 * t, WrongSquare.apply(t)), x)  # only the second is wrong


def test_the_cotangent_is_not_the_input_drawn_from_the_same_seed():
    # batch norm's input gradient vanishes along the direction of its own input; with a
    # cotangent drawn from default_rng(0), the sample drawn from default_rng(0) hid a zero
    # input gradient (an audit found this in the op registry)
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.standard_normal((4, 3)), requires_grad=True)

    class ZeroInputGrad(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.a = a
            return (a - a.mean(0)) / a.std(0)

        @staticmethod
        def backward(ctx, grad):
            return np.zeros_like(grad)  # wrong everywhere except along a few directions

    with pytest.raises(GradcheckError):
        gradcheck(ZeroInputGrad.apply, x)


def test_gradcheck_of_a_non_leaf_input():
    a = gn.randn(3, dtype=gn.float64, requires_grad=True)
    assert gradcheck(F.exp, (a * 2,))


def test_gradcheck_leaves_every_other_leafs_grad_alone():
    layer = gn.nn.Linear(3, 2).double()
    x = gn.randn(4, 3, dtype=gn.float64, requires_grad=True)
    layer.bias.grad = gn.tensor(np.array([1.0, 2.0]))
    assert gradcheck(lambda t: layer(t), (x,))
    assert layer.weight.grad is None  # an optimizer step after it must see no stray gradient
    np.testing.assert_array_equal(layer.bias.grad.data, [1.0, 2.0])
    assert x.grad is None


def test_gradcheck_names_the_op_whose_backward_is_wrong():
    a = gn.randn(2, 2, dtype=gn.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"first op whose backward disagrees: op #1 "
                                             r"OffByOneAt10"):
        gradcheck(lambda x: F.exp(OffByOneAt10.apply(F.tanh(x))), (a,))


def test_gradcheck_of_a_non_leaf_that_fn_also_reaches_through_a_closure():
    x = gn.randn(3, dtype=gn.float64, requires_grad=True)
    y = x * 2.0
    assert gradcheck(lambda t: t * y, (y,))  # d(y*y)/dy = 2y, through both uses


def test_gradcheck_ignores_outputs_that_do_not_require_grad():
    x = gn.randn(3, dtype=gn.float64, requires_grad=True)
    assert gradcheck(lambda t: (t * 2.0, t.detach()), (x,))


def test_an_error_inside_fn_leaves_the_inputs_as_they_were():
    x = gn.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    calls = []

    def fn(t):
        calls.append(1)
        if len(calls) == 3:  # inside the finite differences, with x perturbed
            raise RuntimeError("boom")
        return t * 2.0

    with pytest.raises(RuntimeError, match="boom"):
        gradcheck(fn, (x,))
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])


def test_gradcheck_restores_other_gradients_in_their_own_arrays():
    x = gn.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    w = gn.tensor(np.array([0.5, 0.5, 0.5]), requires_grad=True)
    (x * w).sum().backward()
    held = w.grad.data  # e.g. kept by a logging helper
    a = gn.tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = a * 2.0
    h.retain_grad()
    (h * 1.0).sum().backward(retain_graph=True)
    gradcheck(lambda t: t * w, (x,))
    gradcheck(lambda t: t * h, (gn.tensor(np.array([0.3, 0.4]), requires_grad=True),))
    assert held is w.grad.data
    np.testing.assert_array_equal(held, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(h.grad.data, [1.0, 1.0])  # a retained non-leaf too


def test_the_op_hint_skips_a_backward_whose_broadcast_gradient_the_engine_sums():
    class AddBias(Function):  # correct: the engine sums g down to b's shape
        @staticmethod
        def forward(ctx, x, b):
            return x + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = gn.randn(4, 3, dtype=gn.float64, requires_grad=True)
    b = gn.randn(3, dtype=gn.float64, requires_grad=True)
    assert gradcheck(AddBias.apply, (x, b))
    with pytest.raises(GradcheckError, match=r"disagrees: op #1 OffByOneAt10"):
        gradcheck(lambda x, b: OffByOneAt10.apply(AddBias.apply(x, b)), (x, b))


def test_the_op_hint_ignores_ops_other_threads_run_meanwhile():
    import threading

    class OtherWrong(Function):  # wrong too, but only ever run by the other thread
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            return 5 * grad

    stop = threading.Event()

    def busy():
        t = gn.tensor(np.ones(2), requires_grad=True)
        while not stop.is_set():
            OtherWrong.apply(t)

    def fn(x):
        y = x
        for _ in range(3000):  # long enough for the interpreter to switch threads
            y = y * 1.0
        return F.exp(OffByOneAt10.apply(y))

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        with pytest.raises(GradcheckError, match=r"disagrees: op #3000 OffByOneAt10"):
            gradcheck(fn, (gn.randn(2, 2, dtype=gn.float64, requires_grad=True),))
    finally:
        stop.set()
        worker.join(5)
