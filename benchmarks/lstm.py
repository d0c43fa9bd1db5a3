"""One LSTM layer, forward and backward, in glassnet and in PyTorch (CPU), same run.

    .venv/bin/python benchmarks/lstm.py [--rounds 7]

Batch 32, 35 time steps, input and hidden size 256 (a word-level language model's layer),
float32. Both layers hold the same weights (loaded through PyTorch's state_dict keys) and see
the same input; outputs and gradients are compared first, then ``--rounds`` interleaved
rounds of 10 forward+backward passes are timed. Target (issue 6): glassnet >= 0.8x PyTorch;
the goal is to be ahead of it.
"""

from __future__ import annotations  # noqa: I001  (glassnet first: see below)

# glassnet before NumPy: it picks OpenBLAS's kernels, once, as NumPy loads it.
import glassnet as gn

import argparse
import statistics

import numpy as np
import torch
from timing import interleaved, machine_line

from glassnet import nn

STEPS, BATCH, SIZE = 35, 32, 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=10, help="passes per timed round")
    args = parser.parse_args()
    print(machine_line())

    torch.manual_seed(0)
    t_lstm = torch.nn.LSTM(SIZE, SIZE)
    g_lstm = nn.LSTM(SIZE, SIZE)
    g_lstm.load_state_dict({k: v.detach().numpy() for k, v in t_lstm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((STEPS, BATCH, SIZE)).astype(np.float32)
    gx = gn.tensor(x, requires_grad=True)
    tx = torch.from_numpy(x.copy()).requires_grad_()
    v = np.random.default_rng(1).standard_normal((STEPS, BATCH, SIZE)).astype(np.float32)

    def glassnet_pass():
        out, _ = g_lstm(gx)
        out.backward(v)

    def torch_pass():
        out, _ = t_lstm(tx)
        out.backward(torch.from_numpy(v))

    glassnet_pass()
    torch_pass()
    gap = np.abs(gx.grad.data - tx.grad.numpy()).max()
    w_gap = np.abs(g_lstm.weight_hh_l0.grad.data - t_lstm.weight_hh_l0.grad.numpy()).max()
    print(f"largest difference: input gradient {gap:.1e}, weight_hh_l0 gradient {w_gap:.1e}")
    if gap > 1e-3 or w_gap > 1e-2:
        raise SystemExit("glassnet and PyTorch disagree; timings would be meaningless")

    def repeated(run):
        def go():
            for _ in range(args.repeats):
                run()
        return go

    times = interleaved({"glassnet": repeated(glassnet_pass), "pytorch": repeated(torch_pass)},
                        args.rounds)
    ms = {k: 1e3 * statistics.median(t) / args.repeats for k, t in times.items()}
    print(f"{torch.get_num_threads()} torch threads; LSTM {SIZE}->{SIZE}, batch {BATCH}, "
          f"{STEPS} steps, forward+backward, median of {args.rounds} rounds:")
    for name, value in ms.items():
        print(f"   {name:9s} {value:7.1f} ms")
    print(f"   glassnet / pytorch speed = {ms['pytorch'] / ms['glassnet']:.2f}x "
          "(target >= 0.8x; goal > 1x)")


if __name__ == "__main__":
    main()
