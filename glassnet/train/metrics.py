"""Metrics computed from model outputs and targets (NumPy in, Python numbers out).

accuracy = mean(argmax(logits) == y); top-k accuracy counts a hit when y is among the k
largest logits; confusion_matrix[i, j] counts samples of true class i predicted as j;
mse = mean((p - y)^2); mae = mean(|p - y|).
"""

from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor


def _array(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _predicted_classes(output: np.ndarray) -> np.ndarray:
    """Class predictions from logits (N, C), or from one score per sample (N,) / (N, 1),
    where a score above 0.5 (a probability) means class 1."""
    if output.ndim == 2 and output.shape[1] > 1:
        return output.argmax(axis=1)
    return (output.reshape(-1) > 0.5).astype(np.int64)


def accuracy(output, target) -> float:
    """Fraction of samples whose predicted class equals the target class."""
    output, target = _array(output), _array(target)
    predicted = _predicted_classes(output)
    target = target.reshape(-1)
    if predicted.shape != target.shape:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions but {target.shape[0]} "
                         f"targets (output shape {output.shape})")
    return float((predicted == target).mean()) if target.size else 0.0


def top_k_accuracy(output, target, k: int = 5) -> float:
    """Fraction of samples whose target is among the ``k`` highest scores."""
    output, target = _array(output), _array(target).reshape(-1)
    if output.ndim != 2 or not 1 <= k <= output.shape[1]:
        raise ValueError(f"top_k_accuracy: need logits (N, C) with 1 <= k <= C, got shape "
                         f"{output.shape} and k={k}")
    top = np.argpartition(-output, k - 1, axis=1)[:, :k]
    return float((top == target[:, None]).any(axis=1).mean()) if target.size else 0.0


def confusion_matrix(output, target, num_classes: int | None = None) -> np.ndarray:
    """(C, C) int64 counts: row = true class, column = predicted class."""
    output, target = _array(output), _array(target).reshape(-1)
    predicted = _predicted_classes(output) if output.ndim > 1 or output.dtype.kind == "f" \
        else output.reshape(-1)
    if num_classes is None:
        num_classes = int(max(predicted.max(initial=0), target.max(initial=0))) + 1
        if output.ndim == 2 and output.shape[1] > 1:
            num_classes = max(num_classes, output.shape[1])
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (target.astype(np.int64), predicted.astype(np.int64)), 1)
    return matrix


def mse(output, target) -> float:
    """Mean squared error."""
    output, target = _array(output), _array(target)
    return float(np.mean((output.astype(np.float64) - target) ** 2))


def mae(output, target) -> float:
    """Mean absolute error."""
    output, target = _array(output), _array(target)
    return float(np.mean(np.abs(output.astype(np.float64) - target)))


METRICS = {"accuracy": accuracy, "acc": accuracy, "top5": lambda o, t: top_k_accuracy(o, t, 5),
           "mse": mse, "mae": mae}


def get_metric(name_or_fn):
    """A metric function from its name ("accuracy", "top5", "mse", "mae") or a callable."""
    if callable(name_or_fn):
        return getattr(name_or_fn, "__name__", "metric"), name_or_fn
    if name_or_fn not in METRICS:
        raise ValueError(f"unknown metric {name_or_fn!r}; choose from {sorted(METRICS)}")
    return name_or_fn, METRICS[name_or_fn]
