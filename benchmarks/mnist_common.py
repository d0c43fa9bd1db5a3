"""What the MNIST benchmarks share: the data (read once, through glassnet's verified fetcher)
and the PyTorch twin of glassnet's default recipe."""

from __future__ import annotations

import numpy as np
import torch

from glassnet.data import MNIST

BATCH, HIDDEN = 64, 128


def mnist_arrays():
    """(x_train (60000, 784) float32 in [0, 1], y_train int64, x_test, y_test)."""
    x_train, y_train = MNIST(train=True).arrays()
    x_test, y_test = MNIST(train=False).arrays()
    return x_train, y_train, x_test, y_test


def initial_weights(seed: int = 0) -> list[np.ndarray]:
    """PyTorch's default Linear initialisation, drawn once and given to both frameworks."""
    rng = np.random.default_rng(seed)
    b1, b2 = 1 / np.sqrt(784), 1 / np.sqrt(HIDDEN)
    return [rng.uniform(-b1, b1, (HIDDEN, 784)).astype(np.float32),
            rng.uniform(-b1, b1, (HIDDEN,)).astype(np.float32),
            rng.uniform(-b2, b2, (10, HIDDEN)).astype(np.float32),
            rng.uniform(-b2, b2, (10,)).astype(np.float32)]


def torch_mlp(weights) -> torch.nn.Sequential:
    model = torch.nn.Sequential(torch.nn.Linear(784, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, 10))
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.from_numpy(w))
    return model


def torch_batches(x: torch.Tensor, y: torch.Tensor, order: np.ndarray):
    """Batches by one index per batch (the fast path; torch's per-sample DataLoader would
    make PyTorch look slower than it is)."""
    for i in range(0, len(order), BATCH):
        idx = torch.from_numpy(order[i:i + BATCH])
        yield x[idx], y[idx]


def torch_accuracy(model, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())
