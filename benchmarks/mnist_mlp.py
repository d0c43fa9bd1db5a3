"""MNIST MLP 784-128-10 in glassnet and in PyTorch (CPU), same recipe, same run.

    .venv/bin/python benchmarks/mnist_mlp.py [--rounds 5]

1. Throughput: one epoch at batch 64 with SGD + momentum 0.9 (lr 0.01), interleaved between
   the two frameworks for ``--rounds`` epochs each (timing.py); median samples per second.
   Target (issue 3): glassnet >= 1.5x PyTorch (goal 2x).
2. Time to 98.0% test accuracy with glassnet's documented default recipe (`glassnet train`:
   SGD lr 0.1 with Nesterov momentum 0.9, one-cycle schedule over 12 epochs, batch 64), the
   same initial weights and the same batch order in both: training seconds (test evaluation
   after each epoch is not counted) until the epoch whose test accuracy reaches 98.0%.
   Target: glassnet within 20 s and faster than PyTorch.
"""

from __future__ import annotations  # noqa: I001  (glassnet first: see below)

# glassnet before NumPy: it picks OpenBLAS's kernels, once, as NumPy loads it.
import glassnet as gn

import argparse
import statistics
import time

import numpy as np
import torch
from mnist_common import (
    BATCH,
    initial_weights,
    mnist_arrays,
    torch_accuracy,
    torch_batches,
    torch_mlp,
)
from timing import interleaved, machine_line

from glassnet import nn, optim
from glassnet.cli.train import DEFAULTS


def glassnet_mlp(weights) -> nn.Sequential:
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    model.load_state_dict(dict(zip(model.state_dict(), weights)))
    return model


def glassnet_epoch(model, optimizer, x, y, order, schedule=None) -> None:
    loss_fn = nn.CrossEntropyLoss()
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        loss = loss_fn(model(gn.from_numpy(x[idx])), gn.from_numpy(y[idx]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()


def torch_epoch(model, optimizer, x, y, order, schedule=None) -> None:
    loss_fn = torch.nn.CrossEntropyLoss()
    for xb, yb in torch_batches(x, y, order):
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()


def throughput(data, rounds: int) -> dict:
    x, y = data[0], data[1]
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    weights = initial_weights()
    g_model, t_model = glassnet_mlp(weights), torch_mlp(weights)
    g_opt = optim.SGD(g_model.parameters(), lr=0.01, momentum=0.9)
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.01, momentum=0.9)
    order = np.random.default_rng(0).permutation(len(x))
    times = interleaved({
        "glassnet": lambda: glassnet_epoch(g_model, g_opt, x, y, order),
        "pytorch": lambda: torch_epoch(t_model, t_opt, tx, ty, order)}, rounds)
    return {k: len(x) / statistics.median(v) for k, v in times.items()}


def time_to_target(data, target: float = 0.98) -> dict:
    """Training seconds until the test accuracy after an epoch reaches ``target``."""
    x, y, x_test, y_test = data
    tx, ty, tx_test, ty_test = (torch.from_numpy(a) for a in data)
    epochs, lr, momentum = DEFAULTS["epochs"], DEFAULTS["lr"], DEFAULTS["momentum"]
    steps = epochs * ((len(x) + BATCH - 1) // BATCH)
    weights = initial_weights(1)
    g_model, t_model = glassnet_mlp(weights), torch_mlp(weights)
    g_opt = optim.SGD(g_model.parameters(), lr=lr, momentum=momentum, nesterov=True)
    t_opt = torch.optim.SGD(t_model.parameters(), lr=lr, momentum=momentum, nesterov=True)
    g_sched = optim.lr_scheduler.OneCycleLR(g_opt, max_lr=lr, total_steps=steps)
    t_sched = torch.optim.lr_scheduler.OneCycleLR(t_opt, max_lr=lr, total_steps=steps)
    results = {}
    for name in ("glassnet", "pytorch"):
        rng = np.random.default_rng(0)  # the same batch order for both
        elapsed, reached = 0.0, None
        for epoch in range(epochs):
            order = rng.permutation(len(x))
            start = time.perf_counter()
            if name == "glassnet":
                glassnet_epoch(g_model, g_opt, x, y, order, g_sched)
            else:
                torch_epoch(t_model, t_opt, tx, ty, order, t_sched)
            elapsed += time.perf_counter() - start
            if name == "glassnet":
                with gn.no_grad():
                    logits = g_model(gn.from_numpy(x_test)).data
                accuracy = float((logits.argmax(1) == y_test).mean())
            else:
                accuracy = torch_accuracy(t_model, tx_test, ty_test)
            if accuracy >= target and reached is None:
                reached = (epoch + 1, elapsed, accuracy)
        results[name] = {"reached": reached, "final_accuracy": accuracy,
                         "total_seconds": elapsed}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-time-to-target", action="store_true")
    args = parser.parse_args()
    print(machine_line())
    data = mnist_arrays()
    print(f"{torch.get_num_threads()} torch threads; numpy {np.__version__}, torch "
          f"{torch.__version__}")
    rate = throughput(data, args.rounds)
    print(f"\n1. one epoch, batch {BATCH}, SGD momentum (median of {args.rounds} epochs each):")
    for name, r in rate.items():
        print(f"   {name:9s} {r:10,.0f} samples/s")
    print(f"   glassnet / pytorch = {rate['glassnet'] / rate['pytorch']:.2f}x "
          "(target >= 1.5x, goal 2x)")
    if args.skip_time_to_target:
        return
    print("\n2. time to 98.0% test accuracy, default recipe (training seconds):")
    results = time_to_target(data)
    for name, r in results.items():
        if r["reached"]:
            epoch, seconds, acc = r["reached"]
            print(f"   {name:9s} {seconds:6.2f} s  (epoch {epoch}, test accuracy {acc:.2%}; "
                  f"after all epochs {r['final_accuracy']:.2%} in {r['total_seconds']:.1f} s)")
        else:
            print(f"   {name:9s} did not reach 98.0% (final {r['final_accuracy']:.2%})")
    g, t = results["glassnet"]["reached"], results["pytorch"]["reached"]
    if g and t:
        print(f"   pytorch / glassnet time = {t[1] / g[1]:.2f}x (target: glassnet <= 20 s and "
              "faster)")


if __name__ == "__main__":
    main()
