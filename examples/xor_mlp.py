"""A small MLP learns XOR through autograd: the problem a single neuron cannot solve.

    python examples/xor_mlp.py

Two inputs, a hidden layer of 4 tanh units, one sigmoid output, binary cross-entropy, and
full-batch gradient descent written out by hand: w <- w - lr * dL/dw. It prints the loss as
it falls and the final predictions for the four points of the XOR truth table.
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F


def init_linear(in_features: int, out_features: int) -> tuple[gn.Tensor, gn.Tensor]:
    """PyTorch's default for nn.Linear: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias."""
    bound = 1.0 / np.sqrt(in_features)
    weight = (gn.rand(out_features, in_features) * 2 - 1) * bound
    bias = (gn.rand(out_features) * 2 - 1) * bound
    return weight.requires_grad_(), bias.requires_grad_()


def main(epochs: int = 2000, lr: float = 0.5, hidden: int = 4, seed: int = 0) -> float:
    gn.manual_seed(seed)
    x = gn.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # (4, 2)
    y = gn.tensor([[0.0], [1.0], [1.0], [0.0]])  # (4, 1): x1 XOR x2
    w1, b1 = init_linear(2, hidden)
    w2, b2 = init_linear(hidden, 1)
    params = [w1, b1, w2, b2]

    print(f"XOR with a 2-{hidden}-1 MLP (tanh hidden, sigmoid output), lr={lr}")
    for epoch in range(epochs + 1):
        h = F.tanh(F.linear(x, w1, b1))  # (4, hidden)
        p = F.sigmoid(F.linear(h, w2, b2))  # (4, 1)
        loss = F.binary_cross_entropy(p, y)
        for w in params:
            w.grad = None
        loss.backward()
        with gn.no_grad():
            for w in params:
                w.data -= lr * w.grad.data
        if epoch % (epochs // 10) == 0:
            print(f"  epoch {epoch:5d}  loss {loss.item():.6f}")

    print("\n  x1  x2 | target | prediction")
    for (x1, x2), target, prob in zip(x.tolist(), y.tolist(), p.detach().tolist()):
        label = int(prob[0] > 0.5)
        print(f"  {x1:2.0f}  {x2:2.0f} |   {target[0]:.0f}    | {prob[0]:.4f} -> {label}")
    correct = int(((p.detach().data > 0.5) == (y.data > 0.5)).sum())
    print(f"\n{correct}/4 correct, final loss {loss.item():.6f}")
    return loss.item()


if __name__ == "__main__":
    main()
