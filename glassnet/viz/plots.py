"""The plot functions; each writes one PNG and returns its path.

Every input is checked before a figure is made, and a figure is closed whether the plot is
saved or fails, so a failed call leaves neither an open figure nor a half-written file.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Mapping

import numpy as np


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'glassnet[cli]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextlib.contextmanager
def _closing(fig):
    """Close ``fig`` on the way out, saved or not: pyplot keeps every open figure alive."""
    try:
        yield fig
    finally:
        fig.clf()
        _pyplot().close(fig)


def save_figure(fig, path: str) -> str:
    """Write ``fig`` as a PNG at ``path`` (folders made, written atomically) and close it."""
    with _closing(fig):
        fig.tight_layout()
        return _save(fig, path, "save_figure")


def _save(fig, path: str, op: str) -> str:
    """Write through a temporary file that replaces ``path`` only once complete; the
    temporary file is removed if anything fails."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"{op}: path {path!r} is a folder; give a file name such as "
                                f"{os.path.join(path, 'plot.png')!r}")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{os.path.basename(path)}")
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
        os.replace(tmp, path)  # a half-written plot never replaces a good one
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return path


# ----------------------------------------------------------------------------- checks
def _check_count(op: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{op}: {name} must be an int >= 1, got {value!r}")
    return int(value)


def _labels(op: str, name: str, values, n: int) -> np.ndarray:
    """One label per image: (n,)."""
    labels = np.asarray(values)
    if labels.shape != (n,):
        raise ValueError(f"{op}: {name} must hold one label per image, shape ({n},), got "
                         f"shape {labels.shape}")
    return labels


def _image_size(op: str, pixels: int, image_shape) -> tuple[int, int]:
    """(H, W) of a flattened image of ``pixels`` values: ``image_shape``, else a square."""
    if image_shape is not None:
        shape = tuple(image_shape)
        if len(shape) != 2 or math.prod(shape) != pixels:
            raise ValueError(f"{op}: image_shape {image_shape!r} does not hold the {pixels} "
                             f"pixels of each image; give (H, W) with H * W = {pixels}")
        return shape
    side = math.isqrt(pixels)
    if side * side != pixels:
        raise ValueError(f"{op}: images of {pixels} pixels are not square; pass "
                         f"image_shape=(H, W) with H * W = {pixels}")
    return side, side


def _as_images(op: str, images: np.ndarray, image_shape=None) -> np.ndarray:
    """A batch of images ready for imshow: (N, H, W) grey or (N, H, W, 3) colour (scaled to
    [0, 1]), from (N, H*W) flattened, (N, H, W), or (N, C, H, W) with C = 1 or 3."""
    if images.ndim == 2:
        return images.reshape((len(images),) + _image_size(op, images.shape[1], image_shape))
    if images.ndim == 3:
        return images
    if images.ndim == 4 and images.shape[1] == 1:
        return images[:, 0]
    if images.ndim == 4 and images.shape[1] == 3:
        rgb = images.transpose(0, 2, 3, 1).astype(np.float64)   # (N, H, W, 3)
        low, high = np.nanmin(rgb), np.nanmax(rgb)  # imshow wants colour floats in [0, 1]
        return (rgb - low) / (high - low) if high > low else np.zeros_like(rgb)
    raise ValueError(f"{op}: images must be (N, H*W), (N, H, W) or (N, C, H, W) with C = 1 or "
                     f"3, got shape {images.shape}")


def _numbers(op: str, name: str, values) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{op}: {name} must hold numbers, got {values!r:.80}") from None
    return array


# ----------------------------------------------------------------------------- curves
_CURVES = (("loss", ("loss", "val_loss")), ("accuracy", ("accuracy", "val_accuracy")))


def _curve_series(history) -> dict[str, dict[str, np.ndarray]]:
    """{panel: {key: values}} for the non-empty loss and accuracy series of ``history``."""
    if not isinstance(history, Mapping):
        raise TypeError(f"plot_curves: history must be a dict of per-epoch values, e.g. "
                        f"{{'loss': [...], 'val_loss': [...]}}, got {type(history).__name__}")
    panels = {}
    for panel, keys in _CURVES:
        series = {}
        for key in keys:
            if history.get(key) is None:
                continue
            values = _numbers("plot_curves", f"history[{key!r}]", history[key])
            if values.ndim != 1:
                raise ValueError(f"plot_curves: history[{key!r}] must be one value per epoch "
                                 f"(1-D), got shape {values.shape}")
            if values.size:
                series[key] = values
        if series:
            panels[panel] = series
    if not panels:
        raise ValueError(f"plot_curves: nothing to plot: history has no values for 'loss', "
                         f"'val_loss', 'accuracy' or 'val_accuracy' (keys: {sorted(history)})")
    return panels


def plot_curves(history: dict, path: str, title: str = "") -> str:
    """Loss (left) and accuracy (right, when recorded) per epoch, train and validation.

    ``history`` maps 'loss', 'val_loss', 'accuracy', 'val_accuracy' to lists or 1-D arrays
    of one value per epoch; other keys are ignored.
    """
    panels = _curve_series(history)
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(10 if len(panels) == 2 else 5.5, 4),
                             squeeze=False)
    with _closing(fig):
        for ax, (label, series) in zip(axes[0], panels.items()):
            for key, values in series.items():
                validation = key.startswith("val_")
                ax.plot(np.arange(1, len(values) + 1), values, "-s" if validation else "-o",
                        ms=3, label=("validation " if validation else "train ") + label)
            ax.set_xlabel("epoch")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            ax.legend()
        if title:
            fig.suptitle(title)
        return _save(fig, path, "plot_curves")


# ----------------------------------------------------------------------------- confusion
def _cell_text(value) -> str:
    """Counts as ints; other numbers compactly (a normalised matrix: 0.333, not 0.3333...)."""
    if np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}"


def _class_names(class_names, n: int) -> list[str]:
    if class_names is None:
        return [str(i) for i in range(n)]
    if isinstance(class_names, str) or not hasattr(class_names, "__len__"):
        raise TypeError(f"plot_confusion_matrix: class_names must be a sequence of names, got "
                        f"{type(class_names).__name__}")
    if len(class_names) != n:
        raise ValueError(f"plot_confusion_matrix: class_names has {len(class_names)} names "
                         f"for a {n}x{n} matrix; give one name per class")
    return [str(name) for name in class_names]


def plot_confusion_matrix(matrix: np.ndarray, path: str, class_names=None,
                          title: str = "Confusion matrix") -> str:
    """Counts per (true, predicted) class, with the count written in each cell.

    ``matrix``: (n, n), rows the true class, columns the predicted one (counts, or
    fractions for a normalised matrix); ``class_names``: any sequence of n names.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(f"plot_confusion_matrix: matrix must be square 2-D (n_classes, "
                         f"n_classes) with n_classes >= 1, got shape {matrix.shape}")
    matrix = _numbers("plot_confusion_matrix", "matrix", matrix)
    n = matrix.shape[0]
    names = _class_names(class_names, n)
    # long names side by side overlap: slant them once they would not fit under a cell
    slant = n > 10 or max(map(len, names)) > 4
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(0.55 * n + 2.5, 0.55 * n + 2))
    with _closing(fig):
        image = ax.imshow(matrix, cmap="Blues")
        fig.colorbar(image, ax=ax, fraction=0.046)
        ax.set_xticks(range(n), names, rotation=45 if slant else 0,
                      ha="right" if slant else "center", rotation_mode="anchor")
        ax.set_yticks(range(n), names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        threshold = np.nanmax(matrix) / 2 if np.isfinite(matrix).any() else 0
        for i in range(n):
            for j in range(n):
                ax.text(j, i, _cell_text(matrix[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if matrix[i, j] > threshold else "black")
        accuracy = np.trace(matrix) / max(matrix.sum(), 1)
        ax.set_title(f"{title} (accuracy {accuracy:.2%})")
        return _save(fig, path, "plot_confusion_matrix")


# ----------------------------------------------------------------------------- digits
def plot_digit_predictions(images: np.ndarray, predicted, truth, path: str,
                           columns: int = 8, image_shape=None) -> str:
    """A grid of digits captioned "Predicted: 4, Truth: 4"; mistakes in red with a red frame.

    ``images``: (N, H, W), (N, C, H, W) with C = 1 or 3, or (N, H*W) flattened, when
    ``image_shape`` = (H, W) says how to unflatten (default: a square). predicted, truth: (N,).
    """
    op = "plot_digit_predictions"
    images = np.asarray(images)
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(f"{op}: images must hold at least one image, (N, H, W) or (N, H*W), "
                         f"got shape {images.shape}")
    images = _as_images(op, images, image_shape)
    predicted = _labels(op, "predicted", predicted, len(images))
    truth = _labels(op, "truth", truth, len(images))
    columns = _check_count(op, "columns", columns)
    rows = math.ceil(len(images) / columns)
    plt = _pyplot()
    fig, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.9 * rows), squeeze=False)
    with _closing(fig):
        for ax in axes.ravel():
            ax.axis("off")
        for ax, image, p, t in zip(axes.ravel(), images, predicted, truth):
            _show_digit(ax, image, p, t)
        wrong_count = int(np.sum(predicted != truth))
        fig.suptitle(f"{len(images)} test digits, {wrong_count} mistakes (red)")
        return _save(fig, path, op)


def _label_text(label) -> str:
    """A class label as written: 4, not 4.0 (predictions may arrive as floats)."""
    if isinstance(label, (float, np.floating)) and float(label).is_integer():
        return str(int(label))
    return str(label)


def _show_digit(ax, image: np.ndarray, predicted, truth) -> None:
    predicted, truth = _label_text(predicted), _label_text(truth)
    wrong = predicted != truth
    ax.imshow(image, cmap="gray_r")
    ax.set_title(f"Predicted: {predicted}, Truth: {truth}", fontsize=7,
                 color="red" if wrong else "black")
    if wrong:
        ax.axis("on")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_edgecolor("red")
            spine.set_linewidth(2.5)


# ----------------------------------------------------------------------------- boundary
def _class_colours(n: int):
    """A colour map of exactly n distinct colours, class k taking colour k."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    if n <= 2:
        return ListedColormap(colormaps["coolwarm"]([0.0, 1.0])[:n])
    if n <= 10:
        return ListedColormap(colormaps["tab10"].colors[:n])
    if n <= 20:  # tab20 pairs a dark and a light shade of 10 hues: all dark ones first
        pairs = colormaps["tab20"].colors
        return ListedColormap((pairs[0::2] + pairs[1::2])[:n])
    return ListedColormap(colormaps["turbo"](np.linspace(0, 1, n)))


def _grid_classes(predict_proba, grid: np.ndarray) -> np.ndarray:
    """The predicted class of each grid point: (M,)."""
    scores = np.asarray(predict_proba(grid))
    if scores.ndim not in (1, 2) or len(scores) != len(grid):
        raise ValueError(f"plot_decision_boundary: predict_proba returned shape {scores.shape} "
                         f"for {len(grid)} points; it must return ({len(grid)}, C), "
                         f"({len(grid)}, 1) or ({len(grid)},)")
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    return (scores.reshape(-1) > 0.5).astype(int)


def plot_decision_boundary(predict_proba, X: np.ndarray, y: np.ndarray, path: str,
                           title: str = "Decision boundary", resolution: int = 300) -> str:
    """The classifier's predicted class over the plane, with the data points on top.

    ``predict_proba(points (M, 2)) -> scores (M, C)`` (or (M,) / (M, 1) for one output);
    X: (N, 2) points, y: (N,) int classes.
    """
    op = "plot_decision_boundary"
    X = _numbers(op, "X", X)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"{op}: X must be (n_samples, 2) points with at least one sample, "
                         f"got shape {X.shape}")
    y = _numbers(op, "y", y)
    if y.shape != (len(X),) or not np.all((y >= 0) & (y == np.round(y))):
        raise ValueError(f"{op}: y must be ({len(X)},) non-negative int classes, got shape "
                         f"{y.shape}, values {np.unique(y)[:5]}")
    y = y.astype(np.int64)
    resolution = _check_count(op, "resolution", resolution)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 1e-3
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)  # (M, 2)
    classes = _grid_classes(predict_proba, grid)
    n_classes = int(max(classes.max(), y.max())) + 1
    colours = _class_colours(n_classes)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    with _closing(fig):
        # class k at the centre of the band k - 1/2 .. k + 1/2: colour k of the map
        ax.contourf(xx, yy, classes.reshape(xx.shape), levels=np.arange(n_classes + 1) - 0.5,
                    cmap=colours, vmin=-0.5, vmax=n_classes - 0.5, alpha=0.35)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap=colours, vmin=-0.5, vmax=n_classes - 0.5,
                   s=12, edgecolors="k", linewidths=0.3)
        ax.set_title(title)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        return _save(fig, path, op)


# ----------------------------------------------------------------------------- CNNs
def plot_filters(weight: np.ndarray, path: str, title: str = "First-layer filters") -> str:
    """Each output channel's kernel (averaged over input channels) as a small image.

    ``weight``: a convolution's (C_out, C_in, kh, kw).
    """
    weight = _numbers("plot_filters", "weight", weight)
    if weight.ndim != 4 or 0 in weight.shape:
        raise ValueError(f"plot_filters: weight must be a convolution's 4-D (C_out, C_in, kh, "
                         f"kw) with at least one filter, got shape {weight.shape}")
    kernels = weight.mean(axis=1)  # (C_out, kh, kw)
    n = len(kernels)
    columns = min(8, n)
    rows = math.ceil(n / columns)
    finite = np.abs(kernels[np.isfinite(kernels)])
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    plt = _pyplot()
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.4 * rows + 0.4),
                             squeeze=False)
    with _closing(fig):
        for ax in axes.ravel():
            ax.axis("off")
        for i, (ax, kernel) in enumerate(zip(axes.ravel(), kernels)):
            ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(str(i), fontsize=7)
        fig.suptitle(f"{title} ({weight.shape[2]}x{weight.shape[3]}; red +, blue -)")
        return _save(fig, path, "plot_filters")


def _feature_maps(maps) -> dict[str, np.ndarray]:
    """Each layer's maps as (C, H, W); a leading batch dimension of 1 is dropped."""
    if not isinstance(maps, Mapping):
        raise TypeError(f"plot_feature_maps: maps must be a dict of layer name -> (C, H, W) "
                        f"feature maps, got {type(maps).__name__}")
    out = {}
    for name, fmap in maps.items():
        fmap = _numbers("plot_feature_maps", f"maps[{name!r}]", fmap)
        if fmap.ndim == 4 and len(fmap) == 1:
            fmap = fmap[0]  # (1, C, H, W): the maps of one image, still batched
        if fmap.ndim != 3:
            raise ValueError(f"plot_feature_maps: maps[{name!r}] must be (C, H, W) feature "
                             f"maps of one image, got shape {fmap.shape}")
        out[name] = fmap
    return out


def plot_feature_maps(image: np.ndarray, maps: dict, path: str, per_layer: int = 8,
                      image_shape=None) -> str:
    """One input image and, per convolution layer, its first ``per_layer`` feature maps.

    ``image``: (H, W), (C, H, W) with C = 1 or 3, or (H*W,) flattened (``image_shape``
    = (H, W), default a square); ``maps``: layer name -> (C, H, W).
    """
    op = "plot_feature_maps"
    per_layer = _check_count(op, "per_layer", per_layer)
    maps = _feature_maps(maps)
    image = np.asarray(image)
    if image.ndim not in (1, 2, 3) or image.size == 0:
        raise ValueError(f"{op}: image must be one image, (H, W), (C, H, W) or (H*W,), got "
                         f"shape {image.shape}")
    shown = _as_images(op, image[None], image_shape)[0]  # as a batch of one
    rows = 1 + len(maps)
    plt = _pyplot()
    fig, axes = plt.subplots(rows, per_layer, figsize=(1.4 * per_layer + 0.4, 1.6 * rows),
                             squeeze=False)
    with _closing(fig):
        for ax in axes.ravel():
            ax.axis("off")
        axes[0, 0].imshow(shown, cmap="gray_r")
        axes[0, 0].set_title("input", fontsize=8)
        for row, (name, fmap) in enumerate(maps.items(), start=1):
            for j in range(min(per_layer, len(fmap))):
                axes[row, j].imshow(fmap[j], cmap="viridis")
                axes[row, j].set_title(f"{name} #{j}" if j == 0 else f"#{j}", fontsize=7)
        fig.suptitle("Feature maps of one input after each convolution (+ReLU)")
        return _save(fig, path, op)
