"""Metrics computed from model outputs and targets (NumPy in, Python numbers out).

accuracy: the fraction of samples (or positions) whose predicted class is the true class.
Predicted classes are argmax over dim 1 of scores (N, C, d...), as ``CrossEntropyLoss`` reads
them; targets are class indices (N, d...) or probabilities of the output's shape (their
argmax). One score per sample, (N,) or (N, 1, d...), predicts class 1 when it is above
``threshold`` (0.5 for probabilities, 0 for logits); 1-D integer output are labels.
binary_accuracy = mean((output > threshold) == (target > 0.5)), element by element.
top-k accuracy counts a hit when fewer than k classes rank above the target, ties ranked by
index as argmax does; confusion_matrix[i, j] counts samples of true class i predicted as j;
mse = mean((p - y)^2); mae = mean(|p - y|).
"""

from __future__ import annotations

import functools

import numpy as np

from glassnet.tensor import Tensor


def _array(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _shapes(output: np.ndarray, target: np.ndarray) -> str:
    return f"output shape {output.shape}, target shape {target.shape}"


def _class_indices(name: str, target: np.ndarray, output: np.ndarray) -> np.ndarray:
    """``target`` as int64 class indices; float targets must hold whole numbers."""
    if target.dtype.kind in "biu":
        return target.astype(np.int64, copy=False)
    if target.dtype.kind != "f":
        raise TypeError(f"{name}: targets must be numbers, got dtype {target.dtype} "
                        f"({_shapes(output, target)})")
    whole = np.isfinite(target) & (target == np.round(target))
    if not whole.all():
        bad = target[~whole].flat[0]
        raise ValueError(f"{name}: targets of shape {target.shape} must be class indices, got "
                         f"the value {bad}; probability targets must have the output's shape "
                         f"({_shapes(output, target)})")
    return target.astype(np.int64)


def _classes(name: str, output, target, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Flat (predicted, true) class indices for ``output`` and ``target`` (module docstring)."""
    output, target = _array(output), _array(target)
    if output.ndim == 1 and output.dtype.kind in "biu":  # predicted labels
        if target.shape != output.shape:
            raise ValueError(f"{name}: {output.shape[0]} predicted labels but targets of shape "
                             f"{target.shape} ({_shapes(output, target)})")
        return output.astype(np.int64), _class_indices(name, target, output).reshape(-1)
    if output.ndim == 0:
        raise ValueError(f"{name}: output must have a batch dimension, got a scalar "
                         f"({_shapes(output, target)})")
    if output.ndim >= 2 and output.shape[1] > 1:  # class scores along dim 1
        predicted = output.argmax(axis=1).reshape(-1)
        if target.shape == output.shape:  # probability (or one-hot) targets
            return predicted, target.argmax(axis=1).reshape(-1)
        if target.shape == output.shape[:1] + output.shape[2:]:
            return predicted, _class_indices(name, target, output).reshape(-1)
        raise ValueError(
            f"{name}: output of shape {output.shape} holds {output.shape[1]} class scores "
            f"along dim 1, so targets must be class indices of shape "
            f"{output.shape[:1] + output.shape[2:]} or probabilities of shape {output.shape}; "
            f"got {output.shape[0] if output.ndim else 0} predictions and targets of shape "
            f"{target.shape}")
    scores = output if output.ndim == 1 else output[:, 0]  # one score per sample: (N, d...)
    if target.shape not in (output.shape, scores.shape):
        raise ValueError(f"{name}: output of shape {output.shape} holds one score per sample, "
                         f"so targets must have shape {scores.shape}; got {scores.shape[0]} "
                         f"predictions and targets of shape {target.shape}")
    truth = target.reshape(scores.shape)
    truth = (truth > 0.5) if truth.dtype.kind == "f" else truth
    return (scores > threshold).astype(np.int64).reshape(-1), truth.astype(np.int64).reshape(-1)


def accuracy(output, target, threshold: float = 0.5) -> float:
    """Fraction of samples whose predicted class equals the target class; ``threshold``
    applies to one score per sample (0.5 for probabilities, 0 for logits)."""
    predicted, truth = _classes("accuracy", output, target, threshold)
    return float((predicted == truth).mean()) if truth.size else 0.0


def binary_accuracy(output, target, threshold: float = 0.5) -> float:
    """Element-wise accuracy of binary (or multi-label) outputs: mean((output > threshold)
    == (target > 0.5)). Output and target have the same shape, as BCE losses require."""
    output, target = _array(output), _array(target)
    if output.shape != target.shape:
        raise ValueError(f"binary_accuracy: output and target must have the same shape "
                         f"({_shapes(output, target)})")
    hits = (output > threshold) == (target > 0.5)
    return float(hits.mean()) if hits.size else 0.0


def top_k_accuracy(output, target, k: int = 5) -> float:
    """Fraction of samples whose target is among the ``k`` highest scores of dim 1. A tie
    is ranked by class index, as argmax does: a hit iff (#classes scoring higher than the
    target) + (#classes scoring the same with a smaller index) < k, so top-1 is accuracy."""
    output, target = _array(output), _array(target)
    if output.ndim < 2 or isinstance(k, bool) or not isinstance(k, (int, np.integer)) \
            or not 1 <= k <= output.shape[1]:
        raise ValueError(f"top_k_accuracy: need scores (N, C, d...) with 1 <= k <= C, got "
                         f"output shape {output.shape} and k={k!r}")
    classes = output.shape[1]
    if target.shape != output.shape[:1] + output.shape[2:]:
        raise ValueError(f"top_k_accuracy: targets must be class indices of shape "
                         f"{output.shape[:1] + output.shape[2:]} ({_shapes(output, target)})")
    labels = _class_indices("top_k_accuracy", target, output).reshape(-1)
    if not labels.size:
        return 0.0
    if labels.min() < 0 or labels.max() >= classes:
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise ValueError(f"top_k_accuracy: target class {bad} is outside [0, {classes - 1}] "
                         f"({_shapes(output, target)})")
    scores = np.moveaxis(output, 1, -1).reshape(-1, classes)  # (N * d..., C)
    mine = scores[np.arange(len(labels)), labels][:, None]
    nan_scores, nan_mine = np.isnan(scores), np.isnan(mine)  # argmax ranks NaN first
    higher = (scores > mine) | (nan_scores & ~nan_mine)
    same = (scores == mine) | (nan_scores & nan_mine)
    before = np.arange(classes) < labels[:, None]
    rank = higher.sum(axis=1) + (same & before).sum(axis=1)
    return float((rank < k).mean())


def confusion_matrix(output, target, num_classes: int | None = None,
                     threshold: float = 0.5) -> np.ndarray:
    """(C, C) int64 counts: row = true class, column = predicted class. Outputs and targets
    are read as by ``accuracy``."""
    predicted, truth = _classes("confusion_matrix", output, target, threshold)
    for what, values in (("target", truth), ("predicted", predicted)):
        if values.size and values.min() < 0:
            raise ValueError(f"confusion_matrix: {what} class {values.min()} is negative; "
                             f"classes are 0, 1, ..., C - 1")
    scores = _array(output)
    if num_classes is None:
        num_classes = int(max(predicted.max(initial=0), truth.max(initial=0))) + 1
        if scores.ndim >= 2 and scores.shape[1] > 1:
            num_classes = max(num_classes, scores.shape[1])
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"confusion_matrix: num_classes must be an int >= 1, got "
                         f"{num_classes!r}")
    for what, values in (("target", truth), ("predicted", predicted)):
        if values.size and values.max() >= num_classes:
            raise ValueError(f"confusion_matrix: {what} class {values.max()} does not fit "
                             f"num_classes={num_classes} (classes 0 to {num_classes - 1})")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix


def _regression_pair(name: str, output, target) -> tuple[np.ndarray, np.ndarray]:
    """Output and target as float64 of one shape: equal shapes, or one with a trailing size-1
    dimension the other lacks (squeezed, as Keras does); anything else is refused."""
    output, target = _array(output), _array(target)
    if output.shape != target.shape:
        if output.shape[-1:] == (1,) and output.shape[:-1] == target.shape:
            output = output[..., 0]
        elif target.shape[-1:] == (1,) and target.shape[:-1] == output.shape:
            target = target[..., 0]
        else:
            raise ValueError(f"{name}: output and target shapes must match (a trailing size-1 "
                             f"dimension is squeezed); got {_shapes(output, target)}")
    return output.astype(np.float64), target.astype(np.float64)


def mse(output, target) -> float:
    """Mean squared error (NaN over no samples)."""
    output, target = _regression_pair("mse", output, target)
    return float(np.mean((output - target) ** 2)) if output.size else float("nan")


def mae(output, target) -> float:
    """Mean absolute error (NaN over no samples)."""
    output, target = _regression_pair("mae", output, target)
    return float(np.mean(np.abs(output - target))) if output.size else float("nan")


METRICS = {"accuracy": accuracy, "acc": accuracy, "binary_accuracy": binary_accuracy,
           "top5": functools.partial(top_k_accuracy, k=5), "mse": mse, "mae": mae}

# Losses that classify, by class or module name: accuracy is their default metric. A binary
# loss maps to the threshold its outputs are read with (probabilities 0.5, logits 0).
CLASS_LOSSES = {"CrossEntropyLoss", "NLLLoss", "cross_entropy", "nll_loss"}
BINARY_LOSSES = {"BCELoss": 0.5, "binary_cross_entropy": 0.5,
                 "BCEWithLogitsLoss": 0.0, "binary_cross_entropy_with_logits": 0.0}


def get_metric(name_or_fn):
    """A metric function from its name ("accuracy", "binary_accuracy", "top5", "mse", "mae")
    or a callable."""
    if callable(name_or_fn):
        return getattr(name_or_fn, "__name__", "metric"), name_or_fn
    if name_or_fn not in METRICS:
        raise ValueError(f"unknown metric {name_or_fn!r}; choose from {sorted(METRICS)}")
    return name_or_fn, METRICS[name_or_fn]


def metrics_for(loss_fn, metrics="auto") -> list:
    """The (name, function) pairs ``fit`` and ``evaluate`` log for ``loss_fn``.

    ``"auto"``: accuracy for classification losses (CrossEntropyLoss, NLLLoss, BCELoss,
    BCEWithLogitsLoss and their functional forms), nothing for others (regression has no
    accuracy). With a BCE loss, "accuracy" (and "binary_accuracy") is element-wise
    ``binary_accuracy`` read at threshold 0.5 (BCELoss) or 0 (BCEWithLogitsLoss: logits).
    """
    names = [getattr(loss_fn, "__name__", None)]  # a function, or a module and its bases
    names += [cls.__name__ for cls in type(loss_fn).__mro__]
    kind = next((n for n in names if n in CLASS_LOSSES or n in BINARY_LOSSES), None)
    if isinstance(metrics, str) and metrics == "auto":
        metrics = ("accuracy",) if kind is not None else ()
    elif isinstance(metrics, str):
        metrics = (metrics,)
    resolved = []
    for metric in metrics or ():
        if metric in ("accuracy", "acc", "binary_accuracy") and kind in BINARY_LOSSES:
            resolved.append((metric, functools.partial(binary_accuracy,
                                                       threshold=BINARY_LOSSES[kind])))
        else:
            resolved.append(get_metric(metric))
    return resolved
