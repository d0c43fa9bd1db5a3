"""Tests of glassnet.classic.perceptron: the rule by hand, convergence within the Novikoff
bound, failure on XOR, the multi-output perceptron, the perceptron criterion, bad input."""

import math

import numpy as np
import pytest

from glassnet.classic import (
    MultiOutputPerceptron,
    Perceptron,
    novikoff_bound,
    perceptron_criterion,
    perceptron_criterion_sgd,
)
from glassnet.data import make_gaussian_clusters, make_xor

X3 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def separable(n=200, gap=0.05, seed=0):
    """Points in [-1, 1]^2 labelled by the side of the line x1 + 2 x2 = 0.3, with every
    point at least ``gap`` from it: separable, but not by a line through the origin."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (4 * n, 2))
    z = (X[:, 0] + 2 * X[:, 1] - 0.3) / math.sqrt(5)   # signed distance to the line
    keep = np.abs(z) > gap
    return X[keep][:n], (z[keep][:n] > 0).astype(np.int64)


def test_first_updates_by_hand():
    # w = (0, 0), b = 0, lr = 1, step(0) = 0. Epoch 1:
    #   x = (1, 0), y = 1: z = 0 -> 0, error +1 -> w = (1, 0),  b = 1
    #   x = (0, 1), y = 0: z = 0 + 1 = 1 -> 1, error -1 -> w = (1, -1), b = 0
    #   x = (1, 1), y = 1: z = 1 - 1 + 0 = 0 -> 0, error +1 -> w = (2, 0), b = 1
    # Epoch 2: (1, 0): z = 3 ok; (0, 1): z = 1 -> 1, error -1 -> w = (2, -1), b = 0;
    #   (1, 1): z = 1 ok.  Epoch 3: z = 2, -1, 1: no mistake.
    p = Perceptron("step").fit(X3, [1, 0, 1], epochs=10)
    expected = [([1, 0], 1), ([1, -1], 0), ([2, 0], 1), ([2, -1], 0)]
    assert len(p.weight_history_) == 4
    for (w, b), (w_hand, b_hand) in zip(p.weight_history_, expected):
        np.testing.assert_array_equal(w, w_hand)
        assert b == b_hand
    assert p.mistakes_per_epoch_ == [3, 1, 0]
    assert p.n_updates_ == 4 and p.converged_ and p.epochs_run_ == 3
    np.testing.assert_array_equal(p.weights_, [2, -1])
    assert p.bias_ == 0
    # margins y (w.x + b) = 2, 1, 1 and ||w|| = sqrt(5)
    assert p.margin_ == pytest.approx(1 / math.sqrt(5))
    # augmented x~: (1,0,1), (0,1,1), (1,1,1): R = sqrt(3); u = (2,-1,0)/sqrt(5): gamma = 1/sqrt(5)
    assert p.R_ == pytest.approx(math.sqrt(3))
    assert p.gamma_ == pytest.approx(1 / math.sqrt(5))
    assert p.novikoff_bound_ == pytest.approx(15.0)


def test_sign_activation_same_run_with_half_rate():
    # with labels -1/+1 the error is +-2, so lr = 0.5 repeats the step run's updates exactly
    p = Perceptron("sign").fit(X3, [1, -1, 1], lr=0.5)
    np.testing.assert_array_equal([w for w, _ in p.weight_history_],
                                  [[1, 0], [1, -1], [2, 0], [2, -1]])
    np.testing.assert_array_equal(p.predict(X3), [1, -1, 1])


def test_converges_within_novikoff_bound():
    X, y = separable()
    for shuffle in (False, True):
        p = Perceptron().fit(X, y, epochs=1000, shuffle=shuffle, seed=1)
        assert p.converged_ and p.mistakes_per_epoch_[-1] == 0
        assert p.score(X, y) == 1.0
        assert p.n_updates_ > 5                         # not a trivial one-step run
        assert p.n_updates_ == sum(p.mistakes_per_epoch_) == len(p.weight_history_)
        assert p.n_updates_ <= p.novikoff_bound_
        # the bound from the true line (a better margin) holds as well
        bound_true, _, gamma_true = novikoff_bound(X, y, [1.0, 2.0], -0.3)
        assert p.n_updates_ <= bound_true
        # the margin is the distance from the learned line to the nearest point
        z = X @ p.weights_ + p.bias_
        assert p.margin_ == pytest.approx(np.min(np.abs(z)) / np.linalg.norm(p.weights_))
        report = p.report()
        assert "converged" in report and "Novikoff" in report and "not linearly" not in report


def test_xor_stops_at_epoch_limit_and_says_so():
    X, y = make_xor(100, seed=0)
    p = Perceptron().fit(X, y, epochs=25)
    assert not p.converged_
    assert p.epochs_run_ == 25 and len(p.mistakes_per_epoch_) == 25
    assert all(m > 0 for m in p.mistakes_per_epoch_)
    assert p.margin_ is None and p.novikoff_bound_ is None
    assert p.score(X, y) < 1.0
    report = p.report()
    assert "the learned line does not separate the data" in report
    assert "epoch limit (25 epochs)" in report


def test_a_run_cut_short_on_separable_data_is_not_called_inseparable():
    X, y = np.array([[1.0], [2.0], [-1.0], [-2.0]]), np.array([1, 1, 0, 0])
    p = Perceptron().fit(X, y, epochs=1)  # one update, then the limit
    assert not p.converged_ and p.score(X, y) == 1.0
    report = p.report()
    assert "does not separate" not in report and "XOR" not in report
    assert "classifies all 4 points right, but the last epoch still made updates" in report


@pytest.mark.parametrize("name, labels", [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]),
                                          ("NAND", [1, 1, 1, 0]), ("NOR", [1, 0, 0, 0])])
def test_gates_with_points_on_the_line_still_get_a_margin_and_a_bound(name, labels):
    # step(0) = 0 leaves some of these points exactly on the learned line
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array(labels)
    p = Perceptron().fit(X, y)
    assert p.converged_ and p.score(X, y) == 1.0
    assert p.margin_ is not None and p.margin_ >= 0 and str(p.margin_) != "-0.0"
    # the bound comes from a strict separator: check it independently
    s = np.where(y == 1, 1.0, -1.0)
    b = p.bias_ - p.bound_shift_
    assert np.all(s * (X @ p.weights_ + b) > 0), name
    u = np.append(p.weights_, b) / np.linalg.norm(np.append(p.weights_, b))
    X1 = np.hstack([X, np.ones((4, 1))])
    gamma, R = np.min(s * (X1 @ u)), np.max(np.linalg.norm(X1, axis=1))
    assert p.novikoff_bound_ == pytest.approx((R / gamma) ** 2)
    assert p.n_updates_ <= p.novikoff_bound_
    assert "Novikoff bound" in p.report()


def test_novikoff_bound_rejects_non_separator():
    with pytest.raises(ValueError, match="does not separate"):
        novikoff_bound(X3, [1, 0, 1], [-1.0, 0.0], 0.0)
    with pytest.raises(ValueError, match="shape"):
        novikoff_bound(X3, [1, 0, 1], [1.0, 0.0, 0.0])


def test_multi_output_on_three_clusters():
    X, y = make_gaussian_clusters(300, noise=0.5, seed=0)
    m = MultiOutputPerceptron().fit(X, y, epochs=100)
    assert m.weights_.shape == (3, 2) and m.bias_.shape == (3,)
    assert m.score(X, y) >= 0.95
    # the update rule on the first sample by hand: all neurons output 0 at W = 0, so the
    # target's neuron moves by +x and the others stay
    one = MultiOutputPerceptron(n_classes=3).fit(X[:1], y[:1], epochs=1)
    expected = np.zeros((3, 2))
    expected[y[0]] = X[0].astype(np.float64)
    np.testing.assert_allclose(one.weights_, expected)


def test_perceptron_criterion_value_by_hand():
    # w = (1, -1), b = 0 on X3 with y = (1, -1, 1): y z = 1, 1, 0 -> only the third counts,
    # contributing -0 = 0; with b = -0.5: y z = 0.5, 1.5, -0.5 -> J = 0.5
    assert perceptron_criterion(X3, [1, -1, 1], [1.0, -1.0], -0.5) == pytest.approx(0.5)
    assert perceptron_criterion(X3, [1, 0, 1], [1.0, -1.0], -0.5) == pytest.approx(0.5)
    assert perceptron_criterion(X3, [1, -1, 1], [0.0, 0.0]) == 0.0


@pytest.mark.parametrize("batch_size", [1, 8])
def test_perceptron_criterion_sgd_reduces_criterion(batch_size):
    X, y = separable()
    r = perceptron_criterion_sgd(X, y, epochs=500, lr=0.1, batch_size=batch_size, seed=3)
    assert r.criterion_per_epoch[0] > 0
    assert r.criterion_per_epoch[-1] < r.criterion_per_epoch[0]
    assert r.converged and r.criterion_per_epoch[-1] == 0
    np.testing.assert_array_equal(r.predict(X), y)
    assert r.criterion_per_epoch[-1] == perceptron_criterion(X, y, r.weights, r.bias)


# ---- bad input ---------------------------------------------------------------------------

def test_bad_labels_name_the_values_and_the_fix():
    wrong_set = r"labels must be in \{0, 1\}, got \[-1\].*\{-1, 1\} use activation='sign'"
    with pytest.raises(ValueError, match=wrong_set):
        Perceptron("step").fit(X3, [1, -1, 1])
    with pytest.raises(ValueError, match=r"labels must be in \{-1, 1\}.*0.*activation='step'"):
        Perceptron("sign").fit(X3, [1, 0, 1])
    with pytest.raises(ValueError, match="labels"):
        Perceptron().fit(X3, [1, 2, 1])


def test_failed_fit_leaves_the_perceptron_as_it_was():
    p = Perceptron().fit(X3, [1, 0, 1])
    w, b, history = p.weights_.copy(), p.bias_, list(p.weight_history_)
    with pytest.raises(ValueError):
        p.fit(X3, [1, 5, 1])
    np.testing.assert_array_equal(p.weights_, w)
    assert p.bias_ == b and len(p.weight_history_) == len(history)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"y must have shape \(3,\).*\(2,\)"):
        Perceptron().fit(X3, [1, 0])
    with pytest.raises(ValueError, match=r"2-D.*shape \(3,\)"):
        Perceptron().fit(np.ones(3), [1, 0, 1])
    p = Perceptron().fit(X3, [1, 0, 1])
    with pytest.raises(ValueError, match="3 features.*trained on 2"):
        p.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"w must have shape \(2,\)"):
        perceptron_criterion(X3, [1, 0, 1], [1.0])
    with pytest.raises(ValueError, match="class indices"):
        MultiOutputPerceptron().fit(X3, [0.5, 1, 0])


def test_bad_options():
    with pytest.raises(ValueError, match="activation.*'relu'"):
        Perceptron("relu")
    with pytest.raises(ValueError, match="epochs"):
        Perceptron().fit(X3, [1, 0, 1], epochs=0)
    with pytest.raises(ValueError, match="lr"):
        Perceptron().fit(X3, [1, 0, 1], lr=-1)
    with pytest.raises(RuntimeError, match="call fit first"):
        Perceptron().report()
    with pytest.raises(ValueError, match="NaN"):
        Perceptron().fit([[np.nan, 0.0]], [1])


# ---- review fixes ------------------------------------------------------------------------

GATES = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND, XOR = np.array([0, 0, 0, 1]), np.array([0, 1, 1, 0])


def test_score_checks_y_as_fit_does():
    p = Perceptron().fit(GATES, AND)
    assert p.score(GATES, AND) == 1.0
    with pytest.raises(ValueError, match=r"Perceptron.score: y must have shape \(4,\).*\(4, 1\)"):
        p.score(GATES, AND.reshape(-1, 1))  # would broadcast to (4, 4) and score 0.625
    with pytest.raises(ValueError, match=r"Perceptron.score: y must have shape \(4,\).*\(3,\)"):
        p.score(GATES, AND[:3])
    with pytest.raises(ValueError, match=r"labels must be in \{0, 1\}, got \[-1\].*'sign'"):
        p.score(GATES, 2 * AND - 1)  # would silently score 0.25


def test_multi_output_score_checks_y_as_fit_does():
    X, y = np.array([[-2.0], [0.0], [2.0]]), np.array([0, 1, 2])
    m = MultiOutputPerceptron().fit(X, y, epochs=5)
    with pytest.raises(ValueError, match=r"score: y must be \(3,\).*shape \(3, 1\)"):
        m.score(X, y[:, None])
    with pytest.raises(ValueError, match=r"score: y must be \(3,\).*shape \(2,\)"):
        m.score(X, y[:2])
    with pytest.raises(ValueError, match="score: y holds class 7 but n_classes is 3"):
        m.score(X, [0, 1, 7])


@pytest.mark.parametrize("activation, labels", [("step", np.zeros(4)), ("step", np.ones(4)),
                                                ("sign", -np.ones(4))])
def test_report_of_a_converged_run_with_zero_weights(activation, labels):
    p = Perceptron(activation).fit(GATES, labels)
    assert p.converged_ and p.margin_ is None and not np.any(p.weights_)
    report = p.report()
    assert "geometric margin: none, since w = 0" in report


def test_report_of_xor_proves_it_inseparable():
    p = Perceptron().fit(GATES, XOR, epochs=20)
    report = p.report()
    assert "did not converge within the epoch limit (20 epochs)" in report
    assert ("the data is not linearly separable: the positives [0.0, 1.0] and [1.0, 0.0] and "
            "the negatives [0.0, 0.0] and [1.0, 1.0] have the same midpoint" in report)
    assert "may not" not in report


def test_report_of_a_point_labelled_both_ways():
    p = Perceptron().fit(np.array([[1.0], [1.0], [2.0]]), [0, 1, 1], epochs=5)
    assert "not linearly separable: the point [1.0] is labelled both ways" in p.report()


def test_report_of_separable_data_cut_short_only_suggests_inseparability():
    # separable with a small margin: 1 epoch is too few, and the report must not call it XOR
    X, y = separable(n=200, gap=0.01, seed=1)
    p = Perceptron().fit(X, y, epochs=1)
    assert not p.converged_ and p.n_wrong_ > 0
    report = p.report()
    assert "XOR" not in report and "is not linearly separable" not in report
    assert "did not converge within the epoch limit (1 epochs)" in report
    assert "may not be linearly separable" in report


def test_module_docstring_xor_example_is_true():
    X, y = make_xor(200, seed=0)
    assert "may not be linearly separable" in Perceptron().fit(X, y, epochs=20).report()
    assert "is not linearly separable" in Perceptron().fit(GATES, XOR).report()


@pytest.mark.parametrize("lr", [math.inf, math.nan, -math.inf])
def test_non_finite_lr_is_refused(lr):
    with pytest.raises(ValueError, match=f"Perceptron.fit: lr must be a positive finite "
                                         f"number, got {lr}"):
        Perceptron().fit(GATES, AND, lr=lr)
    with pytest.raises(ValueError, match="MultiOutputPerceptron.fit: lr"):
        MultiOutputPerceptron().fit(GATES, AND, lr=lr)


@pytest.mark.parametrize("b", [None, "1", math.nan, np.array([1.0, 2.0])])
def test_novikoff_bound_and_criterion_check_b(b):
    with pytest.raises(ValueError, match="novikoff_bound: b must be a finite number"):
        novikoff_bound(GATES, AND, [1.0, 1.0], b)
    with pytest.raises(ValueError, match="perceptron_criterion: b must be a finite number"):
        perceptron_criterion(GATES, AND, [1.0, 1.0], b)
    assert novikoff_bound(GATES, AND, [1.0, 1.0], np.float32(-1.5))[0] == pytest.approx(51)
