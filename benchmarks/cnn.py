"""The lectures' MNIST CNN trained in glassnet and in PyTorch (CPU), same run.

    .venv/bin/python benchmarks/cnn.py [--steps 60] [--rounds 5]

conv 1->32 3x3, ReLU, max-pool 2, conv 32->64 3x3, ReLU, max-pool 2, linear 1600->128, ReLU,
linear 128->10; batch 64; SGD with momentum 0.9. Both start from the same weights and see the
same MNIST batches; the losses are compared first, then ``--rounds`` interleaved rounds of
``--steps`` training steps are timed and the median samples per second printed.
Target (issue 5): glassnet >= 0.8x PyTorch; the goal is to be ahead of it.
"""

from __future__ import annotations  # noqa: I001  (glassnet first: see below)

# glassnet before NumPy: it picks OpenBLAS's kernels, once, as NumPy loads it.
import glassnet as gn

import argparse
import statistics

import numpy as np
import torch
from mnist_common import BATCH, mnist_arrays
from timing import interleaved, machine_line

from glassnet import models, nn, optim


def torch_cnn() -> torch.nn.Sequential:
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(1600, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine_line())

    x, y, _, _ = mnist_arrays()
    x = x.reshape(-1, 1, 28, 28)
    tmodel = torch_cnn()
    gmodel = models.mnist_cnn()
    gmodel.load_state_dict({k: v.detach().numpy() for k, v in tmodel.state_dict().items()})
    t_opt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
    g_opt = optim.SGD(gmodel.parameters(), lr=0.01, momentum=0.9)
    t_loss, g_loss = torch.nn.CrossEntropyLoss(), nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    batches = [rng.choice(len(x), BATCH, replace=False) for _ in range(args.steps)]

    def torch_step(idx):
        loss = t_loss(tmodel(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]))
        t_opt.zero_grad(set_to_none=True)
        loss.backward()
        t_opt.step()
        return loss.item()

    def glassnet_step(idx):
        loss = g_loss(gmodel(gn.from_numpy(x[idx])), gn.from_numpy(y[idx]))
        g_opt.zero_grad()
        loss.backward()
        g_opt.step()
        return loss.item()

    gap = max(abs(glassnet_step(b) - torch_step(b)) for b in batches[:10])
    print(f"largest loss difference over 10 steps: {gap:.2e}")
    if gap > 1e-3:
        raise SystemExit("glassnet and PyTorch disagree; timings would be meaningless")

    def rounds_of(step):
        def run():
            for idx in batches:
                step(idx)
        return run

    times = interleaved({"glassnet": rounds_of(glassnet_step),
                         "pytorch": rounds_of(torch_step)}, args.rounds)
    rate = {k: BATCH * args.steps / statistics.median(v) for k, v in times.items()}
    print(f"{torch.get_num_threads()} torch threads; median of {args.rounds} rounds x "
          f"{args.steps} steps, batch {BATCH}:")
    for name, r in rate.items():
        print(f"   {name:9s} {r:8,.0f} samples/s")
    print(f"   glassnet / pytorch = {rate['glassnet'] / rate['pytorch']:.2f}x "
          "(target >= 0.8x; goal > 1x)")


if __name__ == "__main__":
    main()
