"""The plot functions; each writes one PNG and returns its path."""

from __future__ import annotations

import os

import numpy as np


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'glassnet[cli]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str) -> str:
    """Write ``fig`` as a PNG at ``path`` (folders made, written atomically) and close it."""
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{os.path.basename(path)}")
    fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    os.replace(tmp, path)  # a half-written plot never replaces a good one
    fig.clf()
    _pyplot().close(fig)
    return path


def plot_curves(history: dict, path: str, title: str = "") -> str:
    """Loss (left) and accuracy (right, when recorded) per epoch, train and validation."""
    plt = _pyplot()
    has_acc = "accuracy" in history or "val_accuracy" in history
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5.5, 4))
    axes = np.atleast_1d(axes)
    for ax, key, label in ((axes[0], "loss", "loss"),
                           *(((axes[1], "accuracy", "accuracy"),) if has_acc else ())):
        for prefix, style in (("", "-o"), ("val_", "-s")):
            values = history.get(prefix + key)
            if values:
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, style, ms=3,
                        label=("validation " if prefix else "train ") + label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_confusion_matrix(matrix: np.ndarray, path: str, class_names=None,
                          title: str = "Confusion matrix") -> str:
    """Counts per (true, predicted) class, with the count written in each cell."""
    plt = _pyplot()
    matrix = np.asarray(matrix)
    n = matrix.shape[0]
    names = class_names or [str(i) for i in range(n)]
    fig, ax = plt.subplots(figsize=(0.55 * n + 2.5, 0.55 * n + 2))
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if matrix[i, j] > threshold else "black")
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    ax.set_title(f"{title} (accuracy {accuracy:.2%})")
    return _save(fig, path)


def plot_digit_predictions(images: np.ndarray, predicted, truth, path: str,
                           columns: int = 8) -> str:
    """A grid of digits captioned "Predicted: 4, Truth: 4"; mistakes in red with a red frame."""
    plt = _pyplot()
    images = np.asarray(images).reshape(len(images), 28, 28)
    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.9 * rows))
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for ax, image, p, t in zip(np.atleast_1d(axes).ravel(), images, predicted, truth):
        wrong = int(p) != int(t)
        ax.imshow(image, cmap="gray_r")
        ax.set_title(f"Predicted: {int(p)}, Truth: {int(t)}", fontsize=7,
                     color="red" if wrong else "black")
        if wrong:
            ax.axis("on")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_edgecolor("red")
                spine.set_linewidth(2.5)
    wrong_count = int(np.sum(np.asarray(predicted) != np.asarray(truth)))
    fig.suptitle(f"{len(images)} test digits, {wrong_count} mistakes (red)")
    return _save(fig, path)


def plot_decision_boundary(predict_proba, X: np.ndarray, y: np.ndarray, path: str,
                           title: str = "Decision boundary", resolution: int = 300) -> str:
    """The classifier's predicted class over the plane, with the data points on top.

    ``predict_proba(points (M, 2)) -> scores (M, C)`` (or (M,) / (M, 1) for one output).
    """
    plt = _pyplot()
    X, y = np.asarray(X), np.asarray(y)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 1e-3
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
    scores = np.asarray(predict_proba(grid))
    if scores.ndim == 2 and scores.shape[1] > 1:
        classes = scores.argmax(axis=1)
    else:
        classes = (scores.reshape(-1) > 0.5).astype(int)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    n_classes = int(max(classes.max(), y.max())) + 1
    ax.contourf(xx, yy, classes.reshape(xx.shape), levels=np.arange(n_classes + 1) - 0.5,
                cmap="coolwarm" if n_classes == 2 else "tab10", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm" if n_classes == 2 else "tab10",
               s=12, edgecolors="k", linewidths=0.3, vmin=0, vmax=max(n_classes - 1, 1))
    ax.set_title(title)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    return _save(fig, path)


def plot_filters(weight: np.ndarray, path: str, title: str = "First-layer filters") -> str:
    """Each output channel's kernel (averaged over input channels) as a small image."""
    plt = _pyplot()
    weight = np.asarray(weight)  # (out, in, kh, kw)
    kernels = weight.mean(axis=1)
    n = len(kernels)
    columns = min(8, n)
    rows = int(np.ceil(n / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.4 * rows + 0.4))
    limit = np.abs(kernels).max() or 1.0
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for i, (ax, kernel) in enumerate(zip(np.atleast_1d(axes).ravel(), kernels)):
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(str(i), fontsize=7)
    fig.suptitle(f"{title} ({weight.shape[2]}x{weight.shape[3]}; red +, blue -)")
    return _save(fig, path)


def plot_feature_maps(image: np.ndarray, maps: dict, path: str, per_layer: int = 8) -> str:
    """One input digit and, per convolution layer, its first ``per_layer`` feature maps."""
    plt = _pyplot()
    rows = 1 + len(maps)
    fig, axes = plt.subplots(rows, per_layer, figsize=(1.4 * per_layer, 1.6 * rows))
    axes = np.atleast_2d(axes)
    for ax in axes.ravel():
        ax.axis("off")
    axes[0, 0].imshow(np.asarray(image).reshape(28, 28), cmap="gray_r")
    axes[0, 0].set_title("input", fontsize=8)
    for row, (name, fmap) in enumerate(maps.items(), start=1):
        fmap = np.asarray(fmap)  # (C, H, W)
        for j in range(min(per_layer, fmap.shape[0])):
            axes[row, j].imshow(fmap[j], cmap="viridis")
            axes[row, j].set_title(f"{name} #{j}" if j == 0 else f"#{j}", fontsize=7)
    fig.suptitle("Feature maps of one test digit after each convolution (+ReLU)")
    return _save(fig, path)
