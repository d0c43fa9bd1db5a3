"""What one neuron cannot do, what one hidden layer can, and what a change of coordinates can.

    python examples/single_neuron_limits.py [--out runs/examples/] [--steps 600]

A single neuron, sigmoid(w . x + b) trained with binary cross-entropy, draws one straight
line through the plane: the points with w . x + b > 0 are class 1. On XOR (class 1 in the 2nd
and 4th quadrants) and on concentric circles (a disc inside a ring) no line separates the
classes, so it stays near chance (50 %; 75 % is the best any line can do on XOR). One hidden
layer of tanh units bends the boundary and solves both.

The circles also yield to a single neuron once the inputs are written in polar coordinates
(r, theta) = (sqrt(x1^2 + x2^2), atan2(x2, x1)): the classes differ only in r, so the line
r = 0.75 separates them. XOR does not: in polar coordinates its class depends on which of
four angle ranges theta falls in, still not one threshold. The right features can make a
problem linear, but only if they fit the problem.

Prints a table of test accuracies and saves a 2 x 3 grid of decision boundaries
(rows: XOR, circles; columns: one neuron, hidden layer, one neuron on (r, theta)) to
``<out>/single_neuron_limits.png``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import make_circles, make_xor, train_test_split
from glassnet.viz import save_figure

DATASETS = {
    "xor": lambda n, seed: make_xor(n, noise=0.0, seed=seed),
    "circles": lambda n, seed: make_circles(n, noise=0.05, seed=seed, factor=0.5),
}
COLUMNS = ("neuron", "hidden", "neuron_polar")
TITLES = {"neuron": "one neuron on (x1, x2)", "hidden": "hidden layer",
          "neuron_polar": "one neuron on (r, theta)"}


def to_polar(X: np.ndarray) -> np.ndarray:
    """(x1, x2) -> (r, theta), theta in (-pi, pi]; X (n, 2) -> (n, 2)."""
    r = np.sqrt(X[:, 0] ** 2 + X[:, 1] ** 2)
    theta = np.arctan2(X[:, 1], X[:, 0])
    return np.stack([r, theta], axis=1).astype(np.float32)


def make_model(kind: str, hidden: int) -> nn.Module:
    if kind == "hidden":
        return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1), nn.Sigmoid())
    return nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())  # one neuron: a line in the plane


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, steps: int, lr: float) -> None:
    """Full-batch Adam on binary cross-entropy: forward, loss, backward, step."""
    x_t, y_t = gn.tensor(X), gn.tensor(y.reshape(-1, 1).astype(np.float32))
    loss_fn, opt = nn.BCELoss(), optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = loss_fn(model(x_t), y_t)
        opt.zero_grad()
        loss.backward()
        opt.step()


def predict_proba(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with gn.no_grad():
        return model(gn.tensor(X.astype(np.float32))).numpy().reshape(-1)


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    return float(((predict_proba(model, X) > 0.5) == (y == 1)).mean())


def main(out: str = "runs/examples/", n: int = 400, steps: int = 600, hidden: int = 8,
         lr: float = 0.05, seed: int = 0, plot: bool = True) -> dict:
    """Train the three models on both data sets; returns {dataset: {column: test accuracy}}."""
    gn.manual_seed(seed)
    findings, fitted = {}, {}
    for name, make in DATASETS.items():
        X, y = make(n, seed)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.25, seed=seed)
        findings[name] = {}
        for column in COLUMNS:
            polar = column == "neuron_polar"
            features = to_polar if polar else (lambda a: a)
            model = make_model(column, hidden)
            train(model, features(X_tr), y_tr, steps, lr)
            findings[name][column] = accuracy(model, features(X_te), y_te)
            fitted[name, column] = (model, features(X), y)

    print(f"Test accuracy ({n} points, 25 % held out; chance is 50 %)\n")
    print(f"  {'data':8s} | {'one neuron':>10s} | {'hidden layer':>12s} | "
          f"{'one neuron on (r, theta)':>24s}")
    print("  " + "-" * 64)
    for name, row in findings.items():
        print(f"  {name:8s} | {row['neuron']:10.1%} | {row['hidden']:12.1%} | "
              f"{row['neuron_polar']:24.1%}")
    if plot:
        path = plot_grid(fitted, findings, os.path.join(out, "single_neuron_limits.png"))
        print(f"\nDecision boundaries saved to {path}")
    return findings


def plot_grid(fitted: dict, findings: dict, path: str) -> str:
    """2 x 3 grid: each model's predicted class over its input plane, with the data on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(13, 8.5))
    for row, name in enumerate(DATASETS):
        for col, column in enumerate(COLUMNS):
            ax = axes[row, col]
            model, X, y = fitted[name, column]
            lo, hi = X.min(axis=0), X.max(axis=0)
            pad = 0.08 * (hi - lo)
            xx, yy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], 200),
                                 np.linspace(lo[1] - pad[1], hi[1] + pad[1], 200))
            grid = np.stack([xx.ravel(), yy.ravel()], axis=1)
            zz = (predict_proba(model, grid) > 0.5).reshape(xx.shape)
            ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.3)
            ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=9, edgecolors="k",
                       linewidths=0.2)
            ax.set_title(f"{name}: {TITLES[column]}\ntest accuracy "
                         f"{findings[name][column]:.1%}", fontsize=10)
            polar = column == "neuron_polar"
            ax.set_xlabel("r" if polar else "x1")
            ax.set_ylabel("theta" if polar else "x2")
    return save_figure(fig, path)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples/", help="folder for the plot")
    parser.add_argument("--n", type=int, default=400, help="points per data set")
    parser.add_argument("--steps", type=int, default=600, help="full-batch training steps")
    parser.add_argument("--hidden", type=int, default=8, help="hidden units of the MLP")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    main(out=args.out, n=args.n, steps=args.steps, hidden=args.hidden, seed=args.seed)
