"""Metrics read every output/target layout the losses accept, and refuse the rest clearly."""

import numpy as np
import pytest

from glassnet import train


def test_accuracy_reads_what_cross_entropy_accepts():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 3, 5))  # (N, C, T) with targets (N, T)
    target = logits.argmax(1)
    target[0, 0] = (target[0, 0] + 1) % 3
    assert train.accuracy(logits, target) == 19 / 20
    probabilities = np.eye(3)[[0, 1, 2, 1]]  # targets of the output's shape: their argmax
    assert train.accuracy(np.eye(3)[[0, 1, 2, 2]], probabilities) == 0.75
    assert train.accuracy(np.array([2, 3, 1]), np.array([2, 3, 0])) == 2 / 3  # 1-D labels
    with pytest.raises(ValueError, match=r"class indices of shape \(4, 5\).*\(4, 3\)"):
        train.accuracy(logits, np.zeros((4, 3), np.int64))


def test_accuracy_threshold_reads_single_logits_and_probabilities():
    logits = np.array([[-2.0], [0.3], [3.0]])
    assert train.accuracy(logits, np.array([0, 1, 1]), threshold=0.0) == 1.0
    assert train.accuracy(logits, np.array([0, 1, 1])) == 2 / 3  # probabilities: 0.5
    assert train.accuracy(np.array([0.2, 0.7]), np.array([[0.0], [1.0]])[:, 0]) == 1.0
    assert train.binary_accuracy(np.array([[0.9, 0.1], [0.2, 0.8]]),
                                 np.array([[1.0, 1.0], [0.0, 1.0]])) == 0.75


def test_top_1_agrees_with_accuracy_on_ties_and_ties_rank_by_index():
    rng = np.random.default_rng(0)
    for _ in range(200):
        scores = rng.integers(0, 2, (8, 6)).astype(np.float32)
        target = rng.integers(0, 6, 8)
        assert train.top_k_accuracy(scores, target, 1) == train.accuracy(scores, target)
    scores = np.array([[3.0, 2.0, 2.0, 2.0, 0.0]])  # k=2: classes 0 and 1, as torch.topk
    assert [train.top_k_accuracy(scores, np.array([c]), 2) for c in range(5)] == \
        [1.0, 1.0, 0.0, 0.0, 0.0]
    nan = np.array([[1.0, np.nan, np.nan]])  # argmax takes the first NaN
    assert train.top_k_accuracy(nan, np.array([1]), 1) == train.accuracy(nan, np.array([1]))
    with pytest.raises(ValueError, match=r"targets must be class indices of shape \(4,\)"):
        train.top_k_accuracy(rng.random((4, 10)), np.array([3]), 5)


def test_confusion_matrix_names_bad_classes():
    eye = np.eye(3)
    with pytest.raises(ValueError, match="target class -1 is negative"):
        train.confusion_matrix(eye, np.array([0, 1, -1]))
    with pytest.raises(ValueError, match="target class 2 does not fit num_classes=2"):
        train.confusion_matrix(eye, np.array([0, 1, 2]), num_classes=2)
    logits = np.zeros((1, 3, 2))
    logits[0, 2, 0] = logits[0, 1, 1] = 1.0  # (N, C, T): positions predicted 2 and 1
    assert train.confusion_matrix(logits, np.array([[2, 0]])).tolist() == \
        [[0, 1, 0], [0, 0, 0], [0, 0, 1]]


@pytest.mark.parametrize("metric", [train.mse, train.mae])
def test_regression_metrics_squeeze_a_trailing_one_and_refuse_other_shapes(metric):
    column, flat = np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 2.0, 3.0])
    assert metric(column, flat) == 0.0 and metric(flat, column) == 0.0
    with pytest.raises(ValueError, match=r"shape \(3, 2\), target shape \(3,\)"):
        metric(np.ones((3, 2)), flat)
