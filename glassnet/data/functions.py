"""Regression targets for universal-approximation demos: can a small network fit f?

Each ``make_<name>(n, noise=0.0, seed=None)`` samples ``n`` inputs uniformly on the
function's interval and returns ``(X, y)``: X float32 (n, d), y float32 (n, 1), with
y = f(X) + Gaussian noise of standard deviation ``noise``. The noiseless target is the
public function ``<name>(X)`` (NumPy in, (n, 1) out), for plotting the truth beside the fit.
``seed`` is an int, a ``numpy.random.Generator``, or None for glassnet's seeded generator.

    name              d   interval        f
    sine              1   [-pi, pi]       sin(x)
    abs               1   [-1, 1]         |x|                 (a kink: two ReLUs)
    step              1   [-1, 1]         1 if x >= 0 else 0  (a jump: steep sigmoids)
    plane             2   [-1, 1]^2       2 x1 - 3 x2 + 0.5   (linear: one layer suffices)
    sum_of_gaussians  2   [-3, 3]^2       three Gaussian bumps (see ``sum_of_gaussians``)
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.data.toy import as_generator

__all__ = [
    "sine", "abs", "step", "plane", "sum_of_gaussians", "INTERVALS",
    "make_sine", "make_abs", "make_step", "make_plane", "make_sum_of_gaussians",
]

# name -> (low, high, input dimension): the box the inputs are sampled from
INTERVALS = {
    "sine": (-math.pi, math.pi, 1),
    "abs": (-1.0, 1.0, 1),
    "step": (-1.0, 1.0, 1),
    "plane": (-1.0, 1.0, 2),
    "sum_of_gaussians": (-3.0, 3.0, 2),
}

# (height, centre x1, centre x2, width): two hills and a valley
_BUMPS = ((1.0, -1.0, -1.0, 0.8), (0.8, 1.5, 1.0, 0.6), (-0.6, 0.5, -1.5, 1.0))


def sine(x: np.ndarray) -> np.ndarray:
    """sin(x); x (n, 1) -> (n, 1)."""
    return np.sin(x)


def abs(x: np.ndarray) -> np.ndarray:  # noqa: A001 (the function's name)
    """|x|; x (n, 1) -> (n, 1). Not differentiable at 0: relu(x) + relu(-x) fits it exactly."""
    return np.abs(x)


def step(x: np.ndarray) -> np.ndarray:
    """The Heaviside step, 1 where x >= 0 else 0; x (n, 1) -> (n, 1)."""
    return (x >= 0).astype(x.dtype)


def plane(x: np.ndarray) -> np.ndarray:
    """2 x1 - 3 x2 + 0.5; x (n, 2) -> (n, 1). Linear: a single Linear(2, 1) fits it."""
    return 2.0 * x[:, :1] - 3.0 * x[:, 1:2] + 0.5


def sum_of_gaussians(x: np.ndarray) -> np.ndarray:
    """sum_k h_k exp(-|x - c_k|^2 / (2 w_k^2)) over three bumps (h, c, w):
    (1.0, (-1, -1), 0.8), (0.8, (1.5, 1), 0.6), (-0.6, (0.5, -1.5), 1.0);
    x (n, 2) -> (n, 1). Smooth, with two hills and a valley."""
    out = np.zeros((len(x), 1), dtype=x.dtype)
    for h, c1, c2, w in _BUMPS:
        sq = (x[:, :1] - c1) ** 2 + (x[:, 1:2] - c2) ** 2
        out += h * np.exp(-sq / (2 * w * w))
    return out


_TARGETS = {"sine": sine, "abs": abs, "step": step, "plane": plane,
            "sum_of_gaussians": sum_of_gaussians}


def _make(name: str, n: int, noise: float, seed):
    op = f"make_{name}"
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{op}: n must be a positive int, got {n!r}")
    if (isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating, np.integer))
            or not 0 <= noise < math.inf):  # (NaN fails both comparisons)
        raise ValueError(f"{op}: noise must be a finite number >= 0, got {noise!r}")
    gen = as_generator(seed, op)
    low, high, d = INTERVALS[name]
    x = gen.uniform(low, high, size=(int(n), d))
    y = _TARGETS[name](x)
    if noise:
        y = y + gen.normal(0.0, noise, size=y.shape)
    return x.astype(np.float32), y.astype(np.float32)


def make_sine(n: int = 200, noise: float = 0.0, seed=None):
    """x uniform on [-pi, pi], y = sin(x) (+ noise); X (n, 1), y (n, 1) float32."""
    return _make("sine", n, noise, seed)


def make_abs(n: int = 200, noise: float = 0.0, seed=None):
    """x uniform on [-1, 1], y = |x| (+ noise); X (n, 1), y (n, 1) float32."""
    return _make("abs", n, noise, seed)


def make_step(n: int = 200, noise: float = 0.0, seed=None):
    """x uniform on [-1, 1], y = 1 if x >= 0 else 0 (+ noise); X (n, 1), y (n, 1) float32."""
    return _make("step", n, noise, seed)


def make_plane(n: int = 200, noise: float = 0.0, seed=None):
    """x uniform on [-1, 1]^2, y = 2 x1 - 3 x2 + 0.5 (+ noise); X (n, 2), y (n, 1) float32."""
    return _make("plane", n, noise, seed)


def make_sum_of_gaussians(n: int = 400, noise: float = 0.0, seed=None):
    """x uniform on [-3, 3]^2, y = ``sum_of_gaussians(x)`` (+ noise); X (n, 2), y (n, 1)."""
    return _make("sum_of_gaussians", n, noise, seed)
