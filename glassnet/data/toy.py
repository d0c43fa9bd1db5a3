"""Two-dimensional toy classification sets, as in the TensorFlow playground and lectures.

Each ``make_*`` returns ``(X, y)``: X float32 (n, 2) points, y int64 (n,) class labels. The
classes are balanced (n split as evenly as possible) and the rows shuffled. ``noise`` is the
standard deviation of Gaussian noise added to each coordinate. ``seed`` is an int, a
``numpy.random.Generator``, or None for glassnet's seeded generator (``glassnet.manual_seed``
makes it reproducible).

What each set teaches:

* ``make_blobs``: two Gaussian blobs; linearly separable, a single neuron (logistic
  regression or a perceptron) solves it.
* ``make_xor``: XOR of the signs of the coordinates; not linearly separable, the classic
  case for one hidden layer.
* ``make_circles``: a disc inside a ring; not linearly separable, but separable by a
  hidden layer (or by adding x1^2 + x2^2 as a feature).
* ``make_moons``: two interleaved half circles; a curved boundary.
* ``make_spirals``: interleaved spiral arms; hard, needs depth or width and training time.
* ``make_gaussian_clusters``: k overlapping Gaussian clusters; multi-class softmax, where the
  best accuracy is below 100 % when the clusters overlap.

``train_test_split`` holds out a random fraction for testing.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import random
from glassnet.tensor import Tensor

__all__ = [
    "make_blobs", "make_xor", "make_circles", "make_moons", "make_spirals",
    "make_gaussian_clusters", "train_test_split", "as_generator",
]


def as_generator(seed, op: str = "data") -> np.random.Generator:
    """An int seed -> a new PCG64 generator; a Generator as is; None -> glassnet's."""
    if seed is None:
        return random.default_generator()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op}: seed must be an int, a numpy.random.Generator or None, got "
                        f"{type(seed).__name__} {seed!r}")
    return np.random.Generator(np.random.PCG64(int(seed)))


def _check(op: str, n, n_classes: int, noise) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < n_classes:
        raise ValueError(f"{op}: n must be an int >= {n_classes} (one sample per class), "
                         f"got {n!r}")
    if (isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating, np.integer))
            or not 0 <= noise < math.inf):  # (NaN fails both comparisons)
        raise ValueError(f"{op}: noise must be a finite number >= 0, got {noise!r}")


def _counts(n: int, k: int) -> list[int]:
    """n split into k near-equal class sizes (the first n % k classes get one more)."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _finish(parts: list[np.ndarray], noise: float, gen: np.random.Generator):
    """Stack per-class points, add noise, shuffle; returns (X float32, y int64)."""
    x = np.concatenate(parts)
    y = np.concatenate([np.full(len(p), c, dtype=np.int64) for c, p in enumerate(parts)])
    if noise:
        x = x + gen.normal(0.0, noise, size=x.shape)
    order = gen.permutation(len(x))
    return x[order].astype(np.float32), y[order]


def make_blobs(n: int = 200, noise: float = 0.5, seed=None, distance: float = 4.0):
    """Two Gaussian blobs of standard deviation ``noise``: class 0 centred at
    ``(-distance/2, -distance/2)``, class 1 at ``(distance/2, distance/2)``.

    Linearly separable (in practice) while ``noise`` is well below the gap between the
    centres: the line x1 + x2 = 0 splits them, and a single neuron learns it.
    """
    _check("make_blobs", n, 2, noise)
    gen = as_generator(seed, "make_blobs")
    c0, c1 = _counts(n, 2)
    half = distance / 2
    parts = [np.full((c0, 2), -half), np.full((c1, 2), half)]
    return _finish(parts, noise, gen)


def make_xor(n: int = 200, noise: float = 0.0, seed=None, padding: float = 0.1):
    """Points in the square [-1, 1]^2, class 1 where the coordinates' signs differ (the 2nd
    and 4th quadrants), class 0 where they agree: y = xor(x1 > 0, x2 > 0).

    Each coordinate's magnitude is uniform in [padding, 1], leaving a gap of 2 * padding
    along the axes. Not linearly separable: no single line splits the classes, which is
    why a perceptron fails and a hidden layer of two or more units succeeds.
    """
    _check("make_xor", n, 2, noise)
    gen = as_generator(seed, "make_xor")
    parts = []
    for label, count in enumerate(_counts(n, 2)):
        mag = gen.uniform(padding, 1.0, size=(count, 2))
        s1 = gen.choice([-1.0, 1.0], size=count)
        s2 = s1 if label == 0 else -s1  # same signs: class 0; opposite: class 1
        parts.append(mag * np.stack([s1, s2], axis=1))
    return _finish(parts, noise, gen)


def make_circles(n: int = 200, noise: float = 0.05, seed=None, factor: float = 0.5):
    """A ring of radius 1 (class 0) around a circle of radius ``factor`` (class 1), at
    uniformly random angles, as scikit-learn's ``make_circles``.

    Not linearly separable: the boundary is a circle, so a linear model scores about 50 %,
    while a small hidden layer (or the feature x1^2 + x2^2) separates it.
    """
    _check("make_circles", n, 2, noise)
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be in (0, 1), got {factor!r}")
    gen = as_generator(seed, "make_circles")
    parts = []
    for radius, count in zip((1.0, factor), _counts(n, 2), strict=True):
        angle = gen.uniform(0.0, 2 * math.pi, size=count)
        parts.append(radius * np.stack([np.cos(angle), np.sin(angle)], axis=1))
    return _finish(parts, noise, gen)


def make_moons(n: int = 200, noise: float = 0.1, seed=None):
    """Two interleaved half circles, as scikit-learn's ``make_moons``: class 0 on
    (cos t, sin t) and class 1 on (1 - cos t, 0.5 - sin t), t uniform in [0, pi].

    Not linearly separable; the boundary is a gentle S curve, learned by a small MLP.
    """
    _check("make_moons", n, 2, noise)
    gen = as_generator(seed, "make_moons")
    c0, c1 = _counts(n, 2)
    t0, t1 = gen.uniform(0.0, math.pi, size=c0), gen.uniform(0.0, math.pi, size=c1)
    parts = [np.stack([np.cos(t0), np.sin(t0)], axis=1),
             np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)]
    return _finish(parts, noise, gen)


def make_spirals(n: int = 300, noise: float = 0.05, seed=None, n_classes: int = 2,
                 turns: float = 1.0):
    """``n_classes`` spiral arms winding out from the origin, one per class (the CS231n and
    TensorFlow-playground spiral).

    Arm ``k`` holds points at radius r in [0, 1] (evenly spaced) and angle
    ``2 pi (turns * r + k / n_classes)``. Far from linearly separable; each extra turn
    makes it harder, and it is a good test of depth, width and optimisers.
    """
    _check("make_spirals", n, n_classes, noise)
    if n_classes < 2:
        raise ValueError(f"make_spirals: n_classes must be >= 2, got {n_classes!r}")
    gen = as_generator(seed, "make_spirals")
    parts = []
    for k, count in enumerate(_counts(n, n_classes)):
        r = np.linspace(0.0, 1.0, count)
        angle = 2 * math.pi * (turns * r + k / n_classes)
        parts.append(r[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1))
    return _finish(parts, noise, gen)


def make_gaussian_clusters(n: int = 300, noise: float = 0.7, seed=None, n_classes: int = 3,
                           radius: float = 2.0, centers=None):
    """``n_classes`` Gaussian clusters of standard deviation ``noise``, centred evenly on a
    circle of ``radius`` (or at ``centers``, an array (n_classes, 2)).

    A multi-class problem for softmax regression: the optimal boundaries are straight lines,
    and with overlapping clusters even the best classifier makes some mistakes.
    """
    if centers is None:
        if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) \
                or n_classes < 2:
            raise ValueError(f"make_gaussian_clusters: n_classes must be an int >= 2, got "
                             f"{n_classes!r}")
        angle = 2 * math.pi * np.arange(n_classes) / n_classes
        centers = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    else:
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2 or centers.shape[1] != 2 or len(centers) < 2:
            raise ValueError(f"make_gaussian_clusters: centers must be an array (k, 2) with "
                             f"k >= 2, got shape {centers.shape}")
        n_classes = len(centers)
    _check("make_gaussian_clusters", n, n_classes, noise)
    gen = as_generator(seed, "make_gaussian_clusters")
    parts = [np.broadcast_to(c, (count, 2))
             for c, count in zip(centers, _counts(n, n_classes), strict=True)]
    return _finish(parts, noise, gen)


def train_test_split(X, y, test_fraction: float = 0.2, seed=None):
    """Shuffle and split into ``(X_train, X_test, y_train, y_test)`` (scikit-learn's order).

    The test set gets ``ceil(test_fraction * n)`` samples. Accepts NumPy arrays or Tensors
    and returns the same kind.
    """
    n = len(X)
    if len(y) != n:
        raise ValueError(f"train_test_split: X has {n} samples but y has {len(y)} (shapes "
                         f"{tuple(np.shape(X))} and {tuple(np.shape(y))})")
    if not 0 < test_fraction < 1:
        raise ValueError(f"train_test_split: test_fraction must be in (0, 1), got "
                         f"{test_fraction!r}")
    n_test = math.ceil(test_fraction * n)
    if n_test >= n:
        raise ValueError(f"train_test_split: test_fraction {test_fraction} of {n} samples "
                         f"leaves no training samples")
    order = as_generator(seed, "train_test_split").permutation(n)
    test, train = order[:n_test], order[n_test:]

    def take(a, idx):
        return Tensor(a.data[idx]) if isinstance(a, Tensor) else np.asarray(a)[idx]

    return take(X, train), take(X, test), take(y, train), take(y, test)
