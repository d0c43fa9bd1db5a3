"""MNIST with 10 hidden neurons against 1,568 (2 x 784): what width buys, and what it does not.

    python examples/mnist_width.py [--out runs/examples/] [--epochs 3] [--limit 60000]

Two MLPs, 784 -> hidden -> ReLU -> 10, trained with the same recipe (Adam, learning rate
1e-3, batch 128, cross-entropy, the same seed and data order): one with 10 hidden units
(7,960 parameters: a bottleneck as narrow as the output) and one with 1,568 (1,246,570
parameters). The wide one is more accurate, but the narrow one already gets most digits
right, and both stumble on the same kind of digit: sloppy 4/9, 3/5/8, 7/2 look-alikes.

Prints test accuracy, parameter count, training time and the most frequent confusions
(true -> predicted) for each, and saves a grid of mistakes per model to
``<out>/mnist_width_<hidden>.png`` (via ``glassnet.viz.plot_digit_predictions``).
``--limit`` trains on the first N training images (and ``--test-limit`` tests on the first N
test images) for a quick run.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import MNIST
from glassnet.train import confusion_matrix, fit, predict

WIDTHS = (10, 1568)


def make_model(hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def top_confusions(matrix: np.ndarray, k: int = 3) -> list:
    """The k most frequent (true, predicted, count) with true != predicted."""
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:k]
    return [(int(i), int(j), int(off[i, j])) for i, j in
            (np.unravel_index(o, off.shape) for o in order) if off[i, j] > 0]


def main(out: str = "runs/examples/", widths=WIDTHS, epochs: int = 3, limit: int | None = None,
         test_limit: int | None = None, batch_size: int = 128, lr: float = 1e-3,
         seed: int = 0, plot: bool = True, mistakes: int = 24) -> dict:
    """Returns {hidden: {"test_accuracy", "parameters", "seconds", "confusions"}}."""
    X_train, y_train = MNIST(train=True).arrays()  # (60000, 784) float32 in [0, 1], (60000,)
    X_test, y_test = MNIST(train=False).arrays()  # (10000, 784), (10000,)
    X_train, y_train = X_train[:limit], y_train[:limit]
    X_test, y_test = X_test[:test_limit], y_test[:test_limit]
    findings = {}
    for hidden in widths:
        gn.manual_seed(seed)  # same initial draw and data order for both widths
        model = make_model(hidden)
        start = time.perf_counter()
        fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=lr),
            (X_train, y_train), epochs=epochs, batch_size=batch_size, verbose=False)
        seconds = time.perf_counter() - start
        logits = predict(model, X_test).numpy()  # (N, 10)
        predicted = logits.argmax(axis=1)
        matrix = confusion_matrix(logits, y_test, num_classes=10)
        findings[hidden] = {
            "test_accuracy": float((predicted == y_test).mean()),
            "parameters": sum(p.numel() for p in model.parameters()),
            "seconds": seconds,
            "confusions": top_confusions(matrix),
        }
        if plot:
            from glassnet.viz.plots import plot_digit_predictions

            wrong = np.flatnonzero(predicted != y_test)[:mistakes]
            if len(wrong):
                path = os.path.join(out, f"mnist_width_{hidden}.png")
                plot_digit_predictions(X_test[wrong], predicted[wrong], y_test[wrong], path)
                findings[hidden]["plot"] = path

    print(f"MNIST, 784 -> hidden -> ReLU -> 10, Adam lr {lr}, batch {batch_size}, {epochs} "
          f"epoch(s) on {len(X_train)} images; tested on {len(X_test)}\n")
    print(f"  {'hidden':>6s} | {'parameters':>10s} | {'test accuracy':>13s} | {'train s':>7s} | "
          "most frequent mistakes (true->predicted x count)")
    print("  " + "-" * 96)
    for hidden, f in findings.items():
        mistakes_text = ", ".join(f"{t}->{p} x{c}" for t, p, c in f["confusions"])
        print(f"  {hidden:6d} | {f['parameters']:10,d} | {f['test_accuracy']:13.2%} | "
              f"{f['seconds']:7.1f} | {mistakes_text}")
    for hidden, f in findings.items():
        if "plot" in f:
            print(f"\nMistakes of the {hidden}-unit network saved to {f['plot']}", end="")
    print()
    return findings


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples/", help="folder for the plots")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images")
    parser.add_argument("--test-limit", type=int, default=None,
                        help="test on the first N test images")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    main(out=args.out, epochs=args.epochs, limit=args.limit, test_limit=args.test_limit,
         seed=args.seed)
