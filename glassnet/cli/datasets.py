"""The datasets the command trains on: MNIST and the 2-D toy sets."""

from __future__ import annotations

import numpy as np

TOY_SETS = ("blobs", "xor", "circles", "moons", "spirals", "clusters")
DATASETS = ("mnist", *TOY_SETS)
# MNIST's shape without reading it: predict checks a run's model against it.
MNIST_INFO = {"in_features": 784, "classes": 10, "image_shape": [28, 28]}


def load(name: str, seed: int, root: str | None = None, n_samples: int = 1000):
    """(X_train, y_train, X_test, y_test, info) as NumPy arrays: float32 inputs, int64 labels.

    MNIST images are flattened to 784 values in [0, 1]; toy sets are (n, 2) points.
    """
    if name == "mnist":
        from glassnet.data import MNIST

        train, test = MNIST(root, train=True), MNIST(root, train=False)
        x_train, y_train = train.arrays()
        x_test, y_test = test.arrays()
        return x_train, y_train, x_test, y_test, {**MNIST_INFO}  # (a copy: callers own it)
    if name in TOY_SETS:
        from glassnet.data import toy

        make = getattr(toy, f"make_{'gaussian_clusters' if name == 'clusters' else name}")
        X, y = make(n_samples, seed=seed)
        x_train, x_test, y_train, y_test = toy.train_test_split(X, y, test_fraction=0.25,
                                                                seed=seed)
        info = {"in_features": 2, "classes": int(np.max(y)) + 1}
        return x_train, y_train, x_test, y_test, info
    raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


def model_inputs(config: dict, x: np.ndarray) -> np.ndarray:
    """The model's input layout: flat (N, 784) rows for an MLP, (N, 1, 28, 28) images for
    the CNN (a view, no copy)."""
    if config.get("model") == "cnn":
        return x.reshape(len(x), 1, 28, 28)
    return x
