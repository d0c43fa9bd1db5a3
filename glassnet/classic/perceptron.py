"""Rosenblatt's perceptron (1958), its multi-output form (one neuron per class), the
Novikoff bound on its number of updates, and the perceptron criterion trained by SGD.

All in plain NumPy: the perceptron's step and sign have a zero derivative almost everywhere,
so it learns by its own rule rather than by gradient descent through autograd::

    y_hat = step(w . x + b)  (labels {0, 1})   or   sign(w . x + b)  (labels {-1, +1})
    w <- w + lr (y - y_hat) x,   b <- b + lr (y - y_hat)      for each sample in turn

The rule changes w only on a mistake (y - y_hat = 0 otherwise). Training stops after the
first epoch without a mistake or at the epoch limit. Here step(0) = 0 and sign(0) = -1: a
point exactly on the line counts as the negative class, so from w = 0 every positive point
is a mistake and training starts at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glassnet.data.toy import as_generator

__all__ = ["Perceptron", "MultiOutputPerceptron", "novikoff_bound", "perceptron_criterion",
           "perceptron_criterion_sgd", "PerceptronCriterionResult"]

_LABELS = {"step": (0, 1), "sign": (-1, 1)}


def _features(op: str, X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{op}: X must be a 2-D array (n_samples, n_features) with at least "
                         f"one sample, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{op}: X contains NaN or inf (shape {X.shape})")
    return X


def _labels(op: str, y, n: int, allowed: tuple, hint: str = "") -> np.ndarray:
    """y as a 1-D float array of n labels, each one of ``allowed``."""
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"{op}: y must have shape ({n},) (one label per row of X), got "
                         f"shape {y.shape}")
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{op}: y must hold numbers, got dtype {y.dtype}")
    bad = sorted(set(np.unique(y).tolist()) - set(allowed))
    if bad:
        shown = "{" + ", ".join(map(str, allowed)) + "}"
        raise ValueError(f"{op}: labels must be in {shown}, got {bad[:5]}"
                         f"{' ...' if len(bad) > 5 else ''}{hint}")
    return y.astype(np.float64)


def _signed(op: str, y, n: int) -> np.ndarray:
    """Labels {0, 1} or {-1, +1} as -1/+1 (0 maps to -1)."""
    y = _labels(op, y, n, (-1, 0, 1))
    if np.any(y == 0) and np.any(y == -1):
        raise ValueError(f"{op}: labels mix 0 and -1; use {{0, 1}} or {{-1, +1}}")
    return np.where(y > 0, 1.0, -1.0)


def _is_real(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer,
                                                              np.floating))


def _check_positive(op: str, name: str, value) -> None:
    # inf or NaN would pass "> 0" (inf) or slip through as weights of inf/NaN
    if not _is_real(value) or not np.isfinite(value) or not value > 0:
        raise ValueError(f"{op}: {name} must be a positive finite number, got {value!r}")


def _check_bias(op: str, b) -> float:
    if not _is_real(b) or not np.isfinite(b):
        raise ValueError(f"{op}: b must be a finite number (the bias), got {b!r}")
    return float(b)


def _check_epochs(op: str, epochs) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"{op}: epochs must be an int >= 1, got {epochs!r}")


def novikoff_bound(X, y, w, b: float = 0.0) -> tuple[float, float, float]:
    """Novikoff's bound on the perceptron's number of updates: ``(R / gamma)^2``.

    The bias is handled by augmenting every x with a constant 1, x~ = (x, 1), and the
    separator (w, b) is scaled to the unit vector u = (w, b) / ||(w, b)||. Then

        R = max_i ||x~_i||,   gamma = min_i y_i u . x~_i   (labels as -1/+1)

    and if gamma > 0 a perceptron started from zero (with the bias learned as the weight of
    the constant input) makes at most (R / gamma)^2 updates on this data, in any order, with
    any learning rate. The bound holds for every separating u; the optimal one gives the
    tightest. ``Perceptron`` uses its own learned separator, so its bound is valid but looser.

    Args:
        X: (n, d) points; y: (n,) labels in {0, 1} or {-1, +1}; w: (d,); b: the bias.
    Returns:
        ``(bound, R, gamma)``.
    Raises:
        ValueError if (w, b) does not separate the data (gamma <= 0), or on bad shapes.
    """
    X = _features("novikoff_bound", X)
    s = _signed("novikoff_bound", y, len(X))
    b = _check_bias("novikoff_bound", b)
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (X.shape[1],):
        raise ValueError(f"novikoff_bound: w must have shape ({X.shape[1]},) for X of shape "
                         f"{X.shape}, got {w.shape}")
    X_aug = np.hstack([X, np.ones((len(X), 1))])            # (n, d + 1): bias as x_0 = 1
    u = np.append(w, b)
    norm = np.linalg.norm(u)
    if norm == 0:
        raise ValueError("novikoff_bound: the separator (w, b) is zero and separates nothing")
    u = u / norm
    R = float(np.max(np.linalg.norm(X_aug, axis=1)))
    gamma = float(np.min(s * (X_aug @ u)))
    if gamma <= 0:
        raise ValueError(f"novikoff_bound: (w, b) does not separate the data: the smallest "
                         f"margin y u.x~ is {gamma:.6g} (must be > 0)")
    return (R / gamma) ** 2, R, gamma


_MAX_PAIRS_CHECKED = 200  # samples; the pair check below costs O(n^2) memory and time


def _inseparable(X: np.ndarray, s: np.ndarray) -> str | None:
    """A cheap proof that no line (hyperplane) separates the -1/+1 labels ``s``, or None.

    Two positive points and two negative points with the same midpoint (XOR's diagonals
    cross at the centre of the square) put one point in both convex hulls, so no line can
    have both pairs on its two sides. A pair may repeat a point: a point labelled both ways
    is the same proof. Only small data is checked, and finding nothing proves nothing.
    """
    if len(X) > _MAX_PAIRS_CHECKED:
        return None
    pos, neg = X[s > 0], X[s < 0]

    def midpoints(points: np.ndarray) -> dict:
        i, j = np.triu_indices(len(points))               # pairs i <= j, with repeats
        sums = np.round(points[i] + points[j], 9)         # (pairs, d): 2 * midpoint
        return {tuple(row): (a, b) for row, a, b in zip(sums.tolist(), i, j)}

    def pair(points: np.ndarray, a: int, b: int, kind: str) -> str:
        if a == b:
            return f"the {kind} point {points[a].tolist()}"
        return f"the {kind}s {points[a].tolist()} and {points[b].tolist()}"

    neg_mid = midpoints(neg)
    for key, (a, b) in midpoints(pos).items():
        if key in neg_mid:
            c, e = neg_mid[key]
            if a == b and c == e:
                return f"the point {pos[a].tolist()} is labelled both ways"
            return (f"{pair(pos, a, b, 'positive')} and {pair(neg, c, e, 'negative')} have "
                    "the same midpoint (as in XOR)")
    return None


def _short(counts: list[int]) -> str:
    """A long list shown as its first 10 and last 5 entries."""
    if len(counts) <= 20:
        return str(counts)
    return f"[{', '.join(map(str, counts[:10]))}, ..., {', '.join(map(str, counts[-5:]))}]"


class Perceptron:
    """Rosenblatt's perceptron: one neuron with a threshold activation and its learning rule.

    Args:
        activation: ``"step"`` (outputs and labels {0, 1}) or ``"sign"`` (labels {-1, +1}).

    Attributes after ``fit`` (scikit-learn's trailing underscore for learned state):
        weights_ (d,), bias_: the learned line w . x + b = 0 (both start at zero).
        mistakes_per_epoch_: mistakes (= updates) in each epoch; the last is 0 if converged.
        weight_history_: ``(w, b)`` after each update, ``n_updates_`` entries.
        n_updates_, converged_, epochs_run_.
        inseparable_: when some point is still wrong, a proof in words that no line
            separates the data if a cheap check finds one (see ``_inseparable``), else None.
        margin_: the geometric margin min_i y_i (w . x_i + b) / ||w|| of the learned line
            (the distance from the line to the closest point; 0 when a point lies on it), or
            None if any point is wrong.
        novikoff_bound_, R_, gamma_: ``novikoff_bound(X, y, weights_, bias_ - bound_shift_)``
            when every point is classified right, else None. ``bound_shift_`` is 0 when every
            point is strictly on its side; when some lie exactly on the line (classed
            negative), it is half the smallest positive w . x + b, which moves the line off
            them into a strict separator.
    """

    def __init__(self, activation: str = "step"):
        if activation not in _LABELS:
            raise ValueError(f"Perceptron: activation must be 'step' (labels 0/1) or 'sign' "
                             f"(labels -1/+1), got {activation!r}")
        self.activation = activation
        self.weights_: np.ndarray | None = None
        self.bias_ = 0.0

    def _labels(self, op: str, y, n: int) -> np.ndarray:
        """y checked against this activation's label set (fit and score share it)."""
        other = "sign" if self.activation == "step" else "step"
        hint = (f" (activation {self.activation!r}; for labels "
                f"{{{', '.join(map(str, _LABELS[other]))}}} use activation={other!r})")
        return _labels(op, y, n, _LABELS[self.activation], hint)

    def _activate(self, z: np.ndarray) -> np.ndarray:
        if self.activation == "step":
            return np.where(z > 0, 1.0, 0.0)
        return np.where(z > 0, 1.0, -1.0)

    def fit(self, X, y, epochs: int = 100, lr: float = 1.0, shuffle: bool = False,
            seed=None) -> Perceptron:
        """Train from w = 0, b = 0 by the perceptron rule, one sample at a time.

        Stops after the first epoch without a mistake (``converged_``) or after ``epochs``.
        ``shuffle`` visits the samples in a new random order each epoch (``seed``: int,
        Generator or None for glassnet's generator); otherwise in the given order.
        """
        X = _features("Perceptron.fit", X)
        y = self._labels("Perceptron.fit", y, len(X))
        _check_epochs("Perceptron.fit", epochs)
        _check_positive("Perceptron.fit", "lr", lr)
        gen = as_generator(seed, "Perceptron.fit") if shuffle else None
        n, d = X.shape
        w, b = np.zeros(d), 0.0
        history, mistakes = [], []
        converged = False
        for _ in range(epochs):
            order = gen.permutation(n) if shuffle else range(n)
            count = 0
            for i in order:
                y_hat = self._activate(np.array(X[i] @ w + b))
                error = y[i] - y_hat                # 0 when right, +-1 (step) or +-2 (sign)
                if error != 0:
                    w = w + lr * error * X[i]
                    b = b + lr * float(error)
                    history.append((w.copy(), b))
                    count += 1
            mistakes.append(count)
            if count == 0:
                converged = True
                break
        self.weights_, self.bias_ = w, float(b)
        self.mistakes_per_epoch_, self.weight_history_ = mistakes, history
        self.n_updates_, self.converged_, self.epochs_run_ = len(history), converged, len(mistakes)
        self.n_samples_ = n
        self.n_wrong_ = int(np.sum(self.predict(X) != y))
        s = np.where(y == _LABELS[self.activation][1], 1.0, -1.0)
        z = X @ w + b
        norm_w = np.linalg.norm(w)
        right = self.n_wrong_ == 0
        # (+ 0.0: a point on the line would give -0.0 for a negative label)
        self.margin_ = float(np.min(s * z) / norm_w) + 0.0 if right and norm_w > 0 else None
        # step(0) = 0 and sign(0) = -1 put a point exactly on the line in the negative
        # class, so a run can end with margin 0 (AND, OR: points on the line). The same line
        # moved towards the negatives by half the smallest positive z separates strictly,
        # and Novikoff's bound holds for any strict separator.
        self.bound_shift_ = 0.0
        if right and not np.all(s * z > 0):
            positives = z[s > 0]
            self.bound_shift_ = float(positives.min()) / 2 if positives.size else 1.0
        self.novikoff_bound_ = self.R_ = self.gamma_ = None
        if right:
            self.novikoff_bound_, self.R_, self.gamma_ = novikoff_bound(
                X, s, w, b - self.bound_shift_)
        self.inseparable_ = None if right else _inseparable(X, s)
        return self

    def _check_fitted(self, op: str) -> None:
        if self.weights_ is None:
            raise RuntimeError(f"Perceptron.{op}: the perceptron is not trained; call fit first")

    def decision_function(self, X) -> np.ndarray:
        """w . x + b for each row of X: (n,)."""
        self._check_fitted("decision_function")
        X = _features("Perceptron.decision_function", X)
        if X.shape[1] != len(self.weights_):
            raise ValueError(f"Perceptron.decision_function: X has {X.shape[1]} features but "
                             f"the perceptron was trained on {len(self.weights_)} (X shape "
                             f"{X.shape})")
        return X @ self.weights_ + self.bias_

    def predict(self, X) -> np.ndarray:
        """Labels {0, 1} (step) or {-1, +1} (sign) as int64, shape (n,)."""
        return self._activate(self.decision_function(X)).astype(np.int64)

    def score(self, X, y) -> float:
        """Accuracy: the fraction of points classified correctly. y: (n,) labels, checked
        as ``fit`` checks them (a (n, 1) column or the other label set would otherwise
        broadcast or compare silently wrong)."""
        predicted = self.predict(X)
        y = self._labels("Perceptron.score", y, len(predicted))
        return float(np.mean(predicted == y))

    def report(self) -> str:
        """A plain-text summary of the training run."""
        self._check_fitted("report")
        w = np.array2string(self.weights_, precision=4, separator=", ")
        lines = [f"Perceptron ({self.activation} activation), trained on {self.n_samples_} "
                 f"points with {len(self.weights_)} features",
                 f"  learned line: w = {w}, b = {self.bias_:.4g}",
                 f"  mistakes per epoch: {_short(self.mistakes_per_epoch_)}",
                 f"  updates: {self.n_updates_} in {self.epochs_run_} epochs"]
        if self.converged_:
            lines.append(f"  converged: epoch {self.epochs_run_} made no mistake; every point "
                         "is classified right")
            if self.margin_ is None:  # w = 0: no line, the bias alone gives one class
                lines.append(f"  geometric margin: none, since w = 0: there is no line; the "
                             f"bias b = {self.bias_:.4g} alone puts every point in one class")
            else:
                lines.append(f"  geometric margin of the learned line: {self.margin_:.4g}")
            if self.bound_shift_:
                lines.append(f"    (points lie exactly on the line and count as the negative "
                             f"class; for the bound the line is moved off them: b - "
                             f"{self.bound_shift_:.4g})")
            lines.append(
                f"  Novikoff bound (R/gamma)^2 = ({self.R_:.4g}/{self.gamma_:.4g})^2 = "
                f"{self.novikoff_bound_:.4g} updates; used {self.n_updates_}")
            lines.append("    (bias folded in as a constant input 1; gamma is the margin of "
                         "that line, so the bound is valid but looser than the best line's)")
        else:
            lines.append(
                f"  did not converge within the epoch limit ({self.epochs_run_} epochs): "
                f"mistakes in {sum(m > 0 for m in self.mistakes_per_epoch_)} of "
                f"{self.epochs_run_} epochs")
            if self.n_wrong_ == 0:
                lines.append(f"  the learned line now classifies all {self.n_samples_} points "
                             "right, but the last epoch still made updates: one more epoch "
                             "would confirm convergence (raise epochs)")
            else:
                lines.append(
                    f"  the learned line does not separate the data: it misclassifies "
                    f"{self.n_wrong_} of {self.n_samples_} points")
                lines += self._separability_lines()
        return "\n".join(lines)

    def _separability_lines(self) -> list[str]:
        """What is known about a run that stopped with points still wrong."""
        if self.inseparable_:
            return [f"  the data is not linearly separable: {self.inseparable_}",
                    "    (a point in both classes' convex hulls: no line separates them, and "
                    "more epochs will not help)"]
        # a run that ran out of epochs proves nothing: separable data with a small margin
        # can need many more updates than the limit allowed
        return ["  the data may not be linearly separable (if it is, the perceptron converges",
                "    within (R/gamma)^2 updates, so more epochs would find a line)"]

    def __repr__(self) -> str:
        return f"Perceptron(activation={self.activation!r})"


def _class_indices(op: str, y, n: int) -> np.ndarray:
    """y as (n,) non-negative int class indices."""
    y = np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "iu" or y.min() < 0:
        low = f", smallest {y.min()}" if y.size and y.dtype.kind in "iuf" else ""
        raise ValueError(f"{op}: y must be ({n},) non-negative int class indices, got "
                         f"shape {y.shape}, dtype {y.dtype}{low}")
    return y


def _check_classes(op: str, y: np.ndarray, K: int) -> None:
    if y.max() >= K:
        raise ValueError(f"{op}: y holds class {int(y.max())} but n_classes is {K}")


class MultiOutputPerceptron:
    """A layer of perceptrons, one neuron per class, for labels 0..K-1.

    Neuron k fires (step(w_k . x + b_k) = 1) for class k. Each neuron learns by Rosenblatt's
    rule against the one-hot target t = onehot(y)::

        y_hat = step(W x + b)            (K,)   W: (K, d), PyTorch's layout
        W <- W + lr (t - y_hat) x^T,     b <- b + lr (t - y_hat)

    so neuron k learns "class k against the rest". A prediction is the class whose neuron
    has the largest w_k . x + b_k (so exactly one class even when none or several fire).
    Attributes after ``fit``: weights_ (K, d), bias_ (K,), mistakes_per_epoch_ (samples with
    at least one wrong neuron), n_updates_, converged_, epochs_run_.
    """

    def __init__(self, n_classes: int | None = None):
        if n_classes is not None and (isinstance(n_classes, bool) or
                                      not isinstance(n_classes, (int, np.integer))
                                      or n_classes < 2):
            raise ValueError(f"MultiOutputPerceptron: n_classes must be an int >= 2 or None, "
                             f"got {n_classes!r}")
        self.n_classes = n_classes
        self.weights_: np.ndarray | None = None

    def fit(self, X, y, epochs: int = 100, lr: float = 1.0, shuffle: bool = False,
            seed=None) -> MultiOutputPerceptron:
        """Train from zero weights; stops after an epoch without a mistake or at ``epochs``."""
        op = "MultiOutputPerceptron.fit"
        X = _features(op, X)
        y = _class_indices(op, y, len(X))
        K = self.n_classes if self.n_classes is not None else max(int(y.max()) + 1, 2)
        _check_classes(op, y, K)
        _check_epochs(op, epochs)
        _check_positive(op, "lr", lr)
        gen = as_generator(seed, op) if shuffle else None
        n, d = X.shape
        T = np.eye(K)[y]                                   # (n, K) one-hot targets
        W, b = np.zeros((K, d)), np.zeros(K)
        mistakes, updates, converged = [], 0, False
        for _ in range(epochs):
            count = 0
            for i in (gen.permutation(n) if shuffle else range(n)):
                y_hat = np.where(W @ X[i] + b > 0, 1.0, 0.0)   # (K,) every neuron's step
                error = T[i] - y_hat
                if np.any(error):
                    W += lr * np.outer(error, X[i])
                    b += lr * error
                    count += 1
                    updates += 1
            mistakes.append(count)
            if count == 0:
                converged = True
                break
        self.weights_, self.bias_, self.n_classes_ = W, b, K
        self.mistakes_per_epoch_, self.n_updates_ = mistakes, updates
        self.converged_, self.epochs_run_ = converged, len(mistakes)
        return self

    def decision_function(self, X) -> np.ndarray:
        """W x + b for each row: (n, K)."""
        if self.weights_ is None:
            raise RuntimeError("MultiOutputPerceptron: not trained; call fit first")
        X = _features("MultiOutputPerceptron.decision_function", X)
        if X.shape[1] != self.weights_.shape[1]:
            raise ValueError(f"MultiOutputPerceptron.decision_function: X has {X.shape[1]} "
                             f"features but the weights expect {self.weights_.shape[1]} "
                             f"(X shape {X.shape}, weights shape {self.weights_.shape})")
        return X @ self.weights_.T + self.bias_

    def predict(self, X) -> np.ndarray:
        """The class of the neuron with the largest w_k . x + b_k: (n,) int64."""
        return np.argmax(self.decision_function(X), axis=1).astype(np.int64)

    def score(self, X, y) -> float:
        """Accuracy of ``predict``; y: (n,) class indices, checked as ``fit`` checks them."""
        op = "MultiOutputPerceptron.score"
        predicted = self.predict(X)
        y = _class_indices(op, y, len(predicted))
        _check_classes(op, y, self.n_classes_)
        return float(np.mean(predicted == y))


def perceptron_criterion(X, y, w, b: float = 0.0) -> float:
    """The perceptron criterion J(w, b) = sum over misclassified i of -y_i (w . x_i + b).

    Labels in {0, 1} or {-1, +1} (0 counts as -1). A point is misclassified when
    y_i (w . x_i + b) <= 0; each contributes its (non-negative) distance-like penalty, so
    J >= 0 and J = 0 exactly when no point is strictly on the wrong side. Note that
    J(0, 0) = 0 as well: the trivial separator minimises it, which is why
    ``perceptron_criterion_sgd`` starts from random weights.
    """
    X = _features("perceptron_criterion", X)
    s = _signed("perceptron_criterion", y, len(X))
    b = _check_bias("perceptron_criterion", b)
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (X.shape[1],):
        raise ValueError(f"perceptron_criterion: w must have shape ({X.shape[1]},) for X of "
                         f"shape {X.shape}, got {w.shape}")
    margins = s * (X @ w + b)
    return 0.0 - float(np.sum(margins[margins <= 0]))  # 0.0 - ...: no "-0.0" when none


@dataclass
class PerceptronCriterionResult:
    """What ``perceptron_criterion_sgd`` learned: the line, and J and the number of
    misclassified points before training (index 0) and after each epoch."""

    weights: np.ndarray
    bias: float
    criterion_per_epoch: list[float] = field(default_factory=list)
    misclassified_per_epoch: list[int] = field(default_factory=list)
    converged: bool = False
    labels: tuple = (-1, 1)

    def predict(self, X) -> np.ndarray:
        """Labels in the convention of the training labels ({0, 1} or {-1, +1})."""
        X = _features("PerceptronCriterionResult.predict", X)
        if X.shape[1] != len(self.weights):
            raise ValueError(f"PerceptronCriterionResult.predict: X has {X.shape[1]} features "
                             f"but the weights have {len(self.weights)}")
        return np.where(X @ self.weights + self.bias > 0, self.labels[1],
                        self.labels[0]).astype(np.int64)


def perceptron_criterion_sgd(X, y, epochs: int = 100, lr: float = 0.1, batch_size: int = 1,
                             shuffle: bool = True, seed=None) -> PerceptronCriterionResult:
    """Minimise the perceptron criterion by (mini-batch) stochastic gradient descent.

    On a batch B, J_B = sum over misclassified i in B of -y_i (w . x_i + b), so

        dJ_B/dw = -sum_{i in B, misclassified} y_i x_i,  dJ_B/db = -sum y_i
        w <- w - lr dJ_B/dw,  b <- b - lr dJ_B/db

    With batch_size 1 this is the perceptron rule. Weights start from N(0, 1) draws from
    ``seed`` (J(0) = 0 would leave nothing to minimise); stops after an epoch that ends
    with J = 0 and no misclassified point, or at ``epochs``.
    """
    op = "perceptron_criterion_sgd"
    X = _features(op, X)
    s = _signed(op, y, len(X))
    labels = (0, 1) if np.any(np.asarray(y) == 0) else (-1, 1)
    _check_epochs(op, epochs)
    _check_positive(op, "lr", lr)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"{op}: batch_size must be an int >= 1, got {batch_size!r}")
    gen = as_generator(seed, op)
    n, d = X.shape
    w, b = gen.normal(size=d), float(gen.normal())

    def wrong(w, b) -> int:
        return int(np.sum(s * (X @ w + b) <= 0))

    result = PerceptronCriterionResult(w, b, [perceptron_criterion(X, s, w, b)], [wrong(w, b)],
                                       labels=labels)
    for _ in range(epochs):
        order = gen.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            mis = idx[s[idx] * (X[idx] @ w + b) <= 0]     # the batch's misclassified points
            if len(mis):
                w = w + lr * (s[mis] @ X[mis])            # -lr * dJ/dw
                b = b + lr * float(np.sum(s[mis]))        # -lr * dJ/db
        result.criterion_per_epoch.append(perceptron_criterion(X, s, w, b))
        result.misclassified_per_epoch.append(wrong(w, b))
        if result.misclassified_per_epoch[-1] == 0:
            result.converged = True
            break
    result.weights, result.bias = w, b
    return result
