"""One training step of Linear(784,128)-ReLU-Linear(128,10), cross-entropy, SGD with
momentum, batch 64: glassnet ops against hand-written NumPy and PyTorch on the CPU.

    .venv/bin/python benchmarks/mlp_step.py [--steps 200] [--rounds 7]

All three start from the same weights and see the same batches; the script first checks that
their losses agree, then times them in interleaved rounds (rotated order, a pause before each:
see timing.py) and prints the median samples per second and the ratios.
Targets (issue 2): glassnet >= 1.5x PyTorch, and within 30% of hand-written NumPy.
"""

from __future__ import annotations  # noqa: I001  (glassnet first: see below)

# glassnet before NumPy: it picks OpenBLAS's kernels, once, as NumPy loads it.
import glassnet as gn

import argparse
import platform
import statistics
import time

import numpy as np
import torch
from timing import interleaved, machine_line

import glassnet.functional as F

BATCH, IN, HIDDEN, OUT = 64, 784, 128, 10
LR, MOMENTUM = 0.01, 0.9


def make_problem(seed: int = 0, n_batches: int = 32):
    rng = np.random.default_rng(seed)
    b1, b2 = 1 / np.sqrt(IN), 1 / np.sqrt(HIDDEN)
    weights = [
        rng.uniform(-b1, b1, (HIDDEN, IN)).astype(np.float32),
        rng.uniform(-b1, b1, (HIDDEN,)).astype(np.float32),
        rng.uniform(-b2, b2, (OUT, HIDDEN)).astype(np.float32),
        rng.uniform(-b2, b2, (OUT,)).astype(np.float32),
    ]
    xs = rng.random((n_batches, BATCH, IN), dtype=np.float32)
    ys = rng.integers(0, OUT, (n_batches, BATCH))
    return weights, xs, ys


class GlassnetStep:
    """glassnet's functional ops and autograd; the update is SGD with momentum (PyTorch's
    rule: v = mu * v + g; p = p - lr * v) applied in place under no_grad."""

    def __init__(self, weights):
        self.params = [gn.tensor(w, requires_grad=True) for w in weights]
        self.velocity = [np.zeros_like(w) for w in weights]

    def __call__(self, x: np.ndarray, y: np.ndarray) -> float:
        w1, b1, w2, b2 = self.params
        x, y = gn.from_numpy(x), gn.from_numpy(y)
        logits = F.linear(F.relu(F.linear(x, w1, b1)), w2, b2)
        loss = F.cross_entropy(logits, y)
        for p in self.params:
            p.grad = None
        loss.backward()
        with gn.no_grad():
            for p, v in zip(self.params, self.velocity):
                v *= MOMENTUM
                v += p.grad.data
                p.data -= LR * v
        return loss.item()


class NumpyStep:
    """The same step written by hand in NumPy: the floor glassnet's overhead is measured from."""

    def __init__(self, weights):
        self.params = [w.copy() for w in weights]
        self.velocity = [np.zeros_like(w) for w in weights]

    def __call__(self, x: np.ndarray, y: np.ndarray) -> float:
        w1, b1, w2, b2 = self.params
        z1 = x @ w1.T
        z1 += b1
        h = np.maximum(z1, 0)
        logits = h @ w2.T
        logits += b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        n = x.shape[0]
        loss = float(np.log(total[:, 0]).mean() - shifted[np.arange(n), y].mean())
        grad_logits = exp / total
        grad_logits[np.arange(n), y] -= 1
        grad_logits /= n
        grads = [None, None, grad_logits.T @ h, grad_logits.sum(axis=0)]
        grad_h = grad_logits @ w2
        grad_h *= z1 > 0
        grads[0] = grad_h.T @ x
        grads[1] = grad_h.sum(axis=0)
        for p, v, g in zip(self.params, self.velocity, grads):
            v *= MOMENTUM
            v += g
            p -= LR * v
        return loss


class TorchStep:
    def __init__(self, weights):
        self.model = torch.nn.Sequential(
            torch.nn.Linear(IN, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, OUT))
        with torch.no_grad():
            for p, w in zip(self.model.parameters(), weights):
                p.copy_(torch.from_numpy(w))
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def __call__(self, x: np.ndarray, y: np.ndarray) -> float:
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        loss = self.loss_fn(self.model(x), y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.item()


def run(step, xs, ys, steps: int) -> float:
    """Seconds for ``steps`` training steps."""
    n = len(xs)
    start = time.perf_counter()
    for i in range(steps):
        step(xs[i % n], ys[i % n])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="steps per timed round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (median)")
    args = parser.parse_args()
    print(machine_line())

    weights, xs, ys = make_problem()
    impls = {"glassnet": GlassnetStep(weights), "numpy": NumpyStep(weights),
             "pytorch": TorchStep(weights)}

    # Same weights, same batches: the three must agree before their speed means anything.
    losses = {name: [step(xs[i], ys[i]) for i in range(20)] for name, step in impls.items()}
    gap = max(abs(a - b) for name in ("numpy", "pytorch")
              for a, b in zip(losses["glassnet"], losses[name]))
    print("loss after 20 steps: " + ", ".join(f"{k} {v[-1]:.6f}" for k, v in losses.items()))
    print(f"largest loss difference over 20 steps: {gap:.2e}")
    if gap > 1e-4:
        raise SystemExit("implementations disagree; timings would be meaningless")

    for step in impls.values():  # warm-up
        run(step, xs, ys, 20)
    times = interleaved({name: (lambda step=step: run(step, xs, ys, args.steps))
                         for name, step in impls.items()}, args.rounds)

    rate = {name: BATCH * args.steps / statistics.median(t) for name, t in times.items()}
    print(f"\nmachine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} "
          f"torch threads, numpy {np.__version__}, torch {torch.__version__}")
    print(f"median of {args.rounds} rounds x {args.steps} steps, batch {BATCH}:")
    for name, r in rate.items():
        print(f"  {name:9s} {r:12,.0f} samples/s")
    print(f"glassnet / pytorch = {rate['glassnet'] / rate['pytorch']:.2f}x  (target >= 1.5x)")
    print(f"glassnet / numpy   = {rate['glassnet'] / rate['numpy']:.2f}x  (target >= 0.77x, "
          "i.e. within 30%)")


if __name__ == "__main__":
    main()
