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
