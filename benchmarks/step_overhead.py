"""Each framework's fixed cost of one training step, measured on a network too small to compute.

    .venv/bin/python benchmarks/step_overhead.py [--steps 1000] [--rounds 5]

Linear(8, 8)-ReLU-Linear(8, 2), cross-entropy, SGD with momentum, batch 64: every array
operation here takes about a microsecond, so the time per step is what the framework spends
around its arithmetic (building the graph, the backward walk, module and optimizer code).
Subtracting it from a real step's time (mnist_mlp.py, cnn.py) leaves the numerical work, which
is where the frameworks' kernels differ. Interleaved rounds as in timing.py; median
microseconds per step.
"""

from __future__ import annotations  # noqa: I001  (glassnet first: see below)

# glassnet before NumPy: it picks OpenBLAS's kernels, once, as NumPy loads it.
import glassnet as gn

import argparse
import statistics

import numpy as np
import torch
from timing import interleaved, machine_line

from glassnet import nn, optim

BATCH, IN, HIDDEN, OUT = 64, 8, 8, 2


def glassnet_step_fn(x: np.ndarray, y: np.ndarray):
    model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        loss = loss_fn(model(gn.from_numpy(x)), gn.from_numpy(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def torch_step_fn(x: np.ndarray, y: np.ndarray):
    model = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, OUT))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        loss = loss_fn(model(tx), ty)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="steps per timed round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine_line())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, IN)).astype(np.float32)
    y = rng.integers(0, OUT, BATCH)
    steps = {"glassnet": glassnet_step_fn(x, y), "pytorch": torch_step_fn(x, y)}

    def repeated(step):
        def run():
            for _ in range(args.steps):
                step()
        return run

    for step in steps.values():  # warm up
        for _ in range(100):
            step()
    times = interleaved({name: repeated(step) for name, step in steps.items()}, args.rounds)
    us = {name: 1e6 * statistics.median(t) / args.steps for name, t in times.items()}
    print(f"{torch.get_num_threads()} torch threads; {IN}-{HIDDEN}-{OUT} network, batch "
          f"{BATCH}, median of {args.rounds} rounds x {args.steps} steps:")
    for name, value in us.items():
        print(f"   {name:9s} {value:7.1f} us per step")
    print(f"   pytorch / glassnet fixed cost = {us['pytorch'] / us['glassnet']:.2f}x")


if __name__ == "__main__":
    main()
