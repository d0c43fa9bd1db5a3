"""Without activations, depth buys nothing: three Linear layers are one linear map.

    python examples/linear_collapse.py [--out runs/examples/] [--steps 600]

An MLP with layers h1 = W1 x + b1, h2 = W2 h1 + b2, y = W3 h2 + b3 and no activation in
between computes

    y = W3 (W2 (W1 x + b1) + b2) + b3 = (W3 W2 W1) x + (W3 W2 b1 + W3 b2 + b3) = W x + b,

a single linear map. Part 1 builds W and b from a random 2-16-16-1 network's weights and
shows, on random inputs in float64, that the network and the collapsed map agree to
rounding error. Part 2 trains the same deep linear network (with a sigmoid output and
binary cross-entropy) on XOR and on concentric circles next to a single neuron and a
tanh MLP: the deep linear network ends up no better than the single neuron, its
predictions are exactly those of its own collapsed map (one straight boundary), and only
the MLP with a nonlinearity solves the problems.

Prints both findings as tables and saves ``<out>/linear_collapse.png``: network output
against collapsed-map output (the diagonal), and the deep linear network's boundary on
XOR and circles with the collapsed line w . x + b = 0 drawn on top.
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
    "xor": lambda n, seed: make_xor(n, seed=seed),
    "circles": lambda n, seed: make_circles(n, noise=0.05, seed=seed),
}


def deep_linear(widths=(2, 16, 16, 1)) -> nn.Sequential:
    """Linear layers back to back, no activation between them."""
    return nn.Sequential(*[nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])])


def collapse(net: nn.Sequential) -> tuple[np.ndarray, np.ndarray]:
    """The single map (W, b) of a stack of Linear layers, in float64.

    Folding layer by layer: after layers 1..k the map is x -> W x + b; adding layer k+1
    (W', b') gives x -> (W' W) x + (W' b + b'). For three layers this is W = W3 W2 W1 and
    b = W3 W2 b1 + W3 b2 + b3.
    """
    first = net[0]
    W = first.weight.data.astype(np.float64)  # (out, in)
    b = first.bias.data.astype(np.float64)  # (out,)
    for layer in list(net)[1:]:
        Wk = layer.weight.data.astype(np.float64)
        W, b = Wk @ W, Wk @ b + layer.bias.data.astype(np.float64)
    return W, b


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, steps: int, lr: float) -> None:
    """Full-batch Adam on binary cross-entropy of sigmoid(model(x))."""
    x_t, y_t = gn.tensor(X), gn.tensor(y.reshape(-1, 1).astype(np.float32))
    loss_fn, opt = nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = loss_fn(model(x_t), y_t)
        opt.zero_grad()
        loss.backward()
        opt.step()


def logits(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with gn.no_grad():
        return model(gn.tensor(X.astype(np.float32))).numpy().reshape(-1)


def main(out: str = "runs/examples/", n: int = 400, steps: int = 600, hidden: int = 16,
         lr: float = 0.05, seed: int = 0, plot: bool = True) -> dict:
    """Returns {"max_abs_diff": float, "xor"/"circles": {model: test accuracy,
    "agreement": fraction of points where the trained net and its collapsed map agree}}."""
    gn.manual_seed(seed)
    widths = (2, hidden, hidden, 1)

    # Part 1: the collapse, numerically, in float64.
    net = deep_linear(widths).double()
    W, b = collapse(net)
    x = np.random.default_rng(seed).standard_normal((1000, 2))
    with gn.no_grad():
        y_net = net(gn.tensor(x)).numpy()  # (1000, 1)
    y_map = x @ W.T + b  # (1000, 1)
    max_diff = float(np.abs(y_net - y_map).max())
    findings = {"max_abs_diff": max_diff}
    print(f"Part 1: a {'-'.join(map(str, widths))} network without activations "
          f"({sum(p.numel() for p in net.parameters())} parameters) is one linear map")
    print(f"  W = W3 W2 W1 = {np.array2string(W.ravel(), precision=4)},  b = "
          f"W3 W2 b1 + W3 b2 + b3 = {b[0]:.4f}")
    print(f"  max |network(x) - (W x + b)| over {len(x)} random inputs (float64): "
          f"{max_diff:.2e}\n")

    # Part 2: trained on XOR and circles, the deep linear net is still one line.
    fitted = {"collapse": (y_net.ravel(), y_map.ravel())}
    for name, make in DATASETS.items():
        X, y = make(n, seed)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.25, seed=seed)
        models = {"single neuron": nn.Linear(2, 1), "deep linear": deep_linear(widths),
                  "tanh MLP": nn.Sequential(nn.Linear(2, hidden), nn.Tanh(),
                                            nn.Linear(hidden, hidden), nn.Tanh(),
                                            nn.Linear(hidden, 1))}
        row = {}
        for label, model in models.items():
            train(model, X_tr, y_tr, steps, lr)
            row[label] = float(((logits(model, X_te) > 0) == (y_te == 1)).mean())
        Wt, bt = collapse(models["deep linear"])
        net_says = logits(models["deep linear"], X) > 0
        map_says = X.astype(np.float64) @ Wt.T.ravel() + bt[0] > 0
        row["agreement"] = float((net_says == map_says).mean())
        findings[name] = row
        fitted[name] = (models["deep linear"], X, y, Wt, bt)

    print("Part 2: test accuracy (chance 50 %) and whether the trained deep linear network "
          "predicts exactly as its collapsed map\n")
    print(f"  {'data':8s} | {'single neuron':>13s} | {'deep linear':>11s} | "
          f"{'tanh MLP':>8s} | {'net == W x + b':>14s}")
    print("  " + "-" * 68)
    for name in DATASETS:
        r = findings[name]
        print(f"  {name:8s} | {r['single neuron']:13.1%} | {r['deep linear']:11.1%} | "
              f"{r['tanh MLP']:8.1%} | {r['agreement']:14.1%}")
    if plot:
        path = plot_findings(fitted, findings, os.path.join(out, "linear_collapse.png"))
        print(f"\nPlot saved to {path}")
    return findings


def plot_findings(fitted: dict, findings: dict, path: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    y_net, y_map = fitted["collapse"]
    ax = axes[0]
    ax.scatter(y_map, y_net, s=6)
    lims = [min(y_map.min(), y_net.min()), max(y_map.max(), y_net.max())]
    ax.plot(lims, lims, "k--", lw=1)
    ax.set_xlabel("collapsed map  W x + b")
    ax.set_ylabel("3-layer network output")
    ax.set_title(f"identical: max |difference| = {findings['max_abs_diff']:.1e}")
    for ax, name in zip(axes[1:], DATASETS):
        model, X, y, W, b = fitted[name]
        lo, hi = X.min(axis=0) - 0.1, X.max(axis=0) + 0.1
        xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
        zz = logits(model, np.stack([xx.ravel(), yy.ravel()], axis=1)).reshape(xx.shape) > 0
        ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.3)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=8, edgecolors="k", linewidths=0.2)
        w1, w2 = W.ravel()
        if abs(w2) > 1e-12:  # the collapsed boundary w1 x1 + w2 x2 + b = 0
            ax.plot(xx[0], -(w1 * xx[0] + b[0]) / w2, "k-", lw=1.5, label="W x + b = 0")
            ax.legend(loc="upper right", fontsize=8)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_title(f"{name}: trained deep linear net, test accuracy "
                     f"{findings[name]['deep linear']:.1%}", fontsize=10)
    return save_figure(fig, path)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples/", help="folder for the plot")
    parser.add_argument("--n", type=int, default=400, help="points per data set")
    parser.add_argument("--steps", type=int, default=600, help="full-batch training steps")
    parser.add_argument("--hidden", type=int, default=16, help="width of the hidden layers")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    main(out=args.out, n=args.n, steps=args.steps, hidden=args.hidden, seed=args.seed)
