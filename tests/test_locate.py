"""check_model: a whole-model gradient check that names the first faulty op and its layer."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn
from glassnet.autograd import (
    Function,
    GradcheckError,
    ModelCheckError,
    ModelCheckReport,
    check_model,
)


class HalfSquare(Function):
    """x^2 with a deliberately wrong backward: x instead of 2x (half the true gradient)."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * x

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.x


class GoodSquare(Function):
    """x^2 with the right backward, 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * x

    @staticmethod
    def backward(ctx, grad):
        return 2 * grad * ctx.x


class WrongShape(Function):
    """Sum over rows whose backward forgets to broadcast back: a gradient of the wrong shape."""

    @staticmethod
    def forward(ctx, x):
        return x.sum(axis=0)

    @staticmethod
    def backward(ctx, grad):
        return grad


class Apply(nn.Module):
    """A layer that applies one custom Function."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn.apply(x)


def faulty_model():
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), Apply(HalfSquare), nn.Linear(4, 2))


def test_names_the_faulty_op_and_layer_not_the_correct_ones_before_it():
    model, x = faulty_model(), gn.randn(5, 3)
    with pytest.raises(ModelCheckError) as info:
        check_model(model, x)
    report = info.value.report
    fail = report.failure
    assert (fail.op, fail.layer, fail.layer_type) == ("HalfSquare", "2", "Apply")
    assert fail.input_shapes == ((5, 4),)
    assert fail.index == 2 and not fail.ok
    # The two ops before it were checked and are correct, in forward order.
    assert [(n.op, n.layer, n.ok) for n in report.nodes] == [
        ("Linear", "0", True), ("Tanh", "1", True), ("HalfSquare", "2", False)]
    assert report.nodes[0].max_abs_error < 1e-6
    # By hand: d(v . x^2)/dx = 2 v x while the faulty backward gives v x, so at the worst
    # entry numeric = 2 * analytic and the relative error is 1/2.
    entry = fail.inputs[0]
    assert entry.numeric == pytest.approx(2 * entry.analytic, rel=1e-6)
    assert fail.max_rel_error == pytest.approx(0.5, rel=1e-6)
    assert fail.max_abs_error == pytest.approx(abs(entry.analytic), rel=1e-6)
    message = str(info.value)
    assert "HalfSquare" in message and "layer '2' (Apply)" in message
    assert "(5, 4)" in message and "5.000e-01" in message


def test_is_a_gradcheck_error_and_can_return_instead_of_raising():
    model, x = faulty_model(), gn.randn(5, 3)
    with pytest.raises(GradcheckError):
        check_model(model, x)
    report = check_model(model, x, raise_exception=False)
    assert isinstance(report, ModelCheckReport)
    assert not report and report.failure.op == "HalfSquare"


def test_correct_model_with_loss_passes_and_lists_ops_in_forward_order():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), Apply(GoodSquare), nn.Linear(4, 3))
    x, y = gn.randn(6, 3), gn.tensor([0, 2, 1, 1, 0, 2])
    report = check_model(model, x, loss_fn=nn.CrossEntropyLoss(), target=y)
    assert report and report.ok and report.failure is None
    assert [n.op for n in report.nodes] == ["Linear", "Tanh", "GoodSquare", "Linear",
                                            "CrossEntropy"]
    assert [n.layer for n in report.nodes[:4]] == ["0", "1", "2", "3"]
    assert report.nodes[-1].layer_type == "loss_fn"
    assert report.total == 5
    assert all(n.max_abs_error < 1e-6 for n in report.nodes)
    assert "all 5 ops agree" in str(report)


def test_first_of_two_faulty_ops_is_named():
    model = nn.Sequential(nn.Linear(2, 3), Apply(HalfSquare), nn.Linear(3, 3), Apply(HalfSquare))
    report = check_model(model, gn.randn(4, 2), raise_exception=False)
    assert (report.failure.op, report.failure.layer) == ("HalfSquare", "1")
    assert len(report.nodes) == 2  # stops at the first failure


def test_nested_layer_gets_its_dotted_name():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)
            self.act = Apply(HalfSquare)

        def forward(self, x):
            return self.act(self.fc(x))

    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), Block())
    report = check_model(model, gn.randn(4, 2), raise_exception=False)
    assert (report.failure.layer, report.failure.layer_type) == ("2.act", "Apply")
    assert [n.layer for n in report.nodes] == ["0", "1", "2.fc", "2.act"]


def test_ops_in_the_models_own_forward_and_in_a_plain_loss_function():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return F.relu(self.fc(x)) * 3.0  # the multiply runs in Net's own forward

    def bad_loss(output, target):
        return HalfSquare.apply(output - target).sum()

    x, t = gn.randn(5, 2), gn.randn(5, 2)
    report = check_model(Net(), x, loss_fn=bad_loss, target=t, raise_exception=False)
    layers = [(n.op, n.layer, n.layer_type) for n in report.nodes]
    assert layers[0] == ("Linear", "fc", "Linear")
    assert layers[1][1:] == ("", "Net")  # relu, called from Net.forward
    assert report.failure.op == "HalfSquare" and report.failure.layer_type == "loss_fn"
    assert "the loss function" in str(report)


def test_wrong_gradient_shape_and_missing_gradient_are_reported():
    report = check_model(nn.Sequential(nn.Linear(2, 3), Apply(WrongShape)), gn.randn(4, 2),
                         raise_exception=False)
    assert report.failure.op == "WrongShape"
    assert "shape (3,)" in report.failure.error and "(4, 3)" in report.failure.error

    class NoGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            return None

    report = check_model(Apply(NoGrad), gn.randn(3), raise_exception=False)
    assert report.failure.op == "NoGrad" and "no gradient for input 0" in report.failure.error


def test_dropout_in_training_mode_is_checked_with_its_mask_replayed():
    model = nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.5), nn.Linear(6, 2))
    report = check_model(model, gn.randn(8, 4))
    assert "Dropout" in [n.op for n in report.nodes]


def test_model_function_apply_and_random_state_are_restored():
    model, x = faulty_model(), gn.randn(5, 3)
    weight_array = model[0].weight.data
    state = gn.get_rng_state()
    apply = Function.__dict__["apply"]
    with pytest.raises(ModelCheckError):
        check_model(model, x)
    assert model[0].weight.data is weight_array and model[0].weight.dtype == np.float32
    assert model[0].weight.grad is None
    assert Function.__dict__["apply"] is apply
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert gn.get_rng_state() == state

    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            raise RuntimeError("boom")

    broken = Broken()
    with pytest.raises(RuntimeError, match="boom"):
        check_model(broken, gn.randn(2, 3))
    assert broken.fc.weight.dtype == np.float32 and Function.__dict__["apply"] is apply
    assert "forward" not in broken.__dict__


def test_max_entries_bounds_the_work_and_still_finds_a_dense_fault():
    report = check_model(faulty_model(), gn.randn(50, 3), max_entries=5, raise_exception=False)
    assert report.failure.op == "HalfSquare"


@pytest.mark.parametrize("kwargs, words", [
    ({"eps": 0.0}, ["eps", "positive", "0.0"]),
    ({"atol": -1.0}, ["atol", "-1.0"]),
    ({"target": gn.randn(2, 2)}, ["target", "loss_fn"]),
    ({"max_entries": 0}, ["max_entries", "0"]),
])
def test_bad_arguments_are_named(kwargs, words):
    with pytest.raises(ValueError) as info:
        check_model(nn.Linear(2, 2), gn.randn(2, 2), **kwargs)
    assert all(w in str(info.value) for w in words)


def test_bad_inputs_and_nothing_to_check():
    with pytest.raises(TypeError, match=r"inputs\[0\].*list"):
        check_model(nn.Linear(2, 2), [[1.0, 2.0]])
    with pytest.raises(TypeError, match="model must be"):
        check_model(42, gn.randn(2, 2))
    with pytest.raises(ValueError, match="nothing to check"):
        check_model(lambda x: gn.zeros(2), gn.randn(2))
