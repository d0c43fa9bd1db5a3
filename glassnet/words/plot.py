"""2-D maps of word vectors: PCA (by SVD) and exact t-SNE, and a labelled scatter plot.

    plot_words(model.wv, ["whale", "ship", "sea", "ahab", "starbuck"], "words.png")

PCA: centre the rows, X - mean = U S V^T; the map is the first two columns of U S (the
projections on the two directions of largest variance). t-SNE (van der Maaten & Hinton,
2008), exact O(n^2), for up to a few hundred points: Gaussian affinities p_j|i whose
bandwidth gives each point the chosen perplexity (binary search on beta = 1 / (2 sigma^2)),
symmetrised P = (P_j|i + P_i|j) / 2n; Student-t affinities in the map,
q_ij = (1 + |y_i - y_j|^2)^-1 / Z; gradient dC/dy_i = 4 sum_j (p_ij - q_ij)(y_i - y_j)
(1 + |y_i - y_j|^2)^-1, with early exaggeration (P x 12 for the first 250 steps) and
momentum 0.5 then 0.8, as in the paper.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from glassnet.viz.plots import _closing, _pyplot, _save

__all__ = ["pca_2d", "tsne_2d", "plot_words"]


def pca_2d(x) -> np.ndarray:
    """Project the rows of ``x`` (n, d) on their two principal axes -> (n, 2).

    The sign of each axis is fixed so that its largest-magnitude loading is positive, so
    the same data always gives the same picture."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"pca_2d: need a 2-D array of at least 2 rows, got shape {x.shape}")
    centred = x - x.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(2, vt.shape[0])
    signs = np.sign(vt[np.arange(k), np.abs(vt[:k]).argmax(axis=1)])
    out = np.zeros((x.shape[0], 2))
    out[:, :k] = u[:, :k] * s[:k] * np.where(signs == 0, 1, signs)
    return out


def _affinities(x: np.ndarray, perplexity: float, tol: float = 1e-5) -> np.ndarray:
    """Row-conditional Gaussian affinities with entropy log(perplexity) per row (n, n)."""
    n = x.shape[0]
    sq = np.sum(x * x, axis=1)
    dist = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0)   # (n, n) squared
    target = np.log(perplexity)
    # A bisection on beta for all rows at once (vectorised over rows).
    beta = np.ones(n)
    lo, hi = np.full(n, 0.0), np.full(n, np.inf)
    off = ~np.eye(n, dtype=bool)
    for _ in range(100):
        d = np.where(off, dist * beta[:, None], np.inf)  # exp(-inf) = 0 on the diagonal
        d = d - d.min(axis=1, keepdims=True)  # stability
        p = np.exp(-d)
        sum_p = p.sum(axis=1, keepdims=True)
        p /= sum_p
        entropy = np.log(sum_p[:, 0]) + beta * np.sum(dist * p, axis=1) \
            - beta * np.where(off, dist, np.inf).min(axis=1)
        diff = entropy - target
        if np.all(np.abs(diff) < tol):
            break
        too_flat = diff > 0  # entropy too high: narrow the Gaussian (raise beta)
        lo = np.where(too_flat, beta, lo)
        hi = np.where(too_flat, hi, beta)
        beta = np.where(np.isinf(hi), beta * 2, (lo + hi) / 2)
    return p


def tsne_2d(x, perplexity: float = 30.0, n_iter: int = 1000,
            learning_rate: float | None = None, seed: int = 0) -> np.ndarray:
    """Exact t-SNE of the rows of ``x`` (n, d) -> (n, 2); O(n^2) memory and time per step,
    so for up to a few hundred points. ``perplexity`` (>= 1) is capped at (n - 1) / 3, but
    not below 1; the
    learning rate defaults to max(n / 48, 50) (scikit-learn's "auto": the paper's 200
    overshoots on small n under early exaggeration)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if x.ndim != 2 or n < 3:
        raise ValueError(f"tsne_2d: need a 2-D array of at least 3 rows, got shape {x.shape}")
    if n > 2000:
        raise ValueError(f"tsne_2d: exact t-SNE is O(n^2); {n} points is too many (<= 2000)")
    if isinstance(perplexity, bool) or not isinstance(perplexity, numbers.Real) \
            or not perplexity >= 1:
        raise ValueError(f"tsne_2d: perplexity must be a number >= 1 (an effective number "
                         f"of neighbours), got {perplexity!r}")
    # capped at (n - 1) / 3 but kept >= 1: below 1 no spread of neighbours reaches it
    perplexity = max(min(float(perplexity), (n - 1) / 3), 1.0)
    if learning_rate is None:
        learning_rate = max(n / 48, 50.0)
    cond = _affinities(x, perplexity)
    p = np.maximum((cond + cond.T) / (2 * n), 1e-12)
    rng = np.random.default_rng(seed)
    y = rng.normal(scale=1e-4, size=(n, 2))
    velocity = np.zeros_like(y)
    gains = np.ones_like(y)
    for it in range(n_iter):
        exaggeration = 12.0 if it < 250 else 1.0
        momentum = 0.5 if it < 250 else 0.8
        sq = np.sum(y * y, axis=1)
        num = 1 / (1 + np.maximum(sq[:, None] + sq[None, :] - 2 * y @ y.T, 0))  # (n, n)
        np.fill_diagonal(num, 0)
        q = np.maximum(num / num.sum(), 1e-12)
        w = (exaggeration * p - q) * num                                      # (n, n)
        grad = 4 * (w.sum(axis=1)[:, None] * y - w @ y)                      # (n, 2)
        # delta-bar-delta gains, as in the reference implementation
        same = np.sign(grad) == np.sign(velocity)
        gains = np.maximum(np.where(same, gains * 0.8, gains + 0.2), 0.01)
        velocity = momentum * velocity - learning_rate * gains * grad
        y = y + velocity
        y -= y.mean(axis=0)
    return y


def plot_words(vectors, words, path: str | os.PathLike, method: str = "pca",
               title: str | None = None, **tsne_options) -> str:
    """A scatter plot of the chosen words' vectors mapped to 2-D, each point labelled;
    written to ``path`` as PNG (atomically). Returns the path.

    Args:
        vectors: a ``KeyedVectors``.
        words: the words to show (unknown ones raise KeyError with suggestions).
        method: "pca" or "tsne".
    """
    if method not in ("pca", "tsne"):
        raise ValueError(f"plot_words: method must be 'pca' or 'tsne', got {method!r}")
    words = list(dict.fromkeys(words))  # drop repeats, keep order
    x = vectors[words]
    xy = pca_2d(x) if method == "pca" else tsne_2d(x, **tsne_options)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    with _closing(fig):  # closed, and no temp file left, whether the save works or not
        ax.scatter(xy[:, 0], xy[:, 1], s=14, color="tab:blue")
        for (px, py), word in zip(xy, words):
            ax.annotate(word, (px, py), xytext=(3, 3), textcoords="offset points", fontsize=9)
        ax.set_xlabel("PC 1" if method == "pca" else "t-SNE 1")
        ax.set_ylabel("PC 2" if method == "pca" else "t-SNE 2")
        ax.grid(alpha=0.3)
        ax.set_title(title or f"{len(words)} words, {method.upper()} of "
                     f"{vectors.vector_size}-d vectors")
        return _save(fig, os.fspath(path), "plot_words")
