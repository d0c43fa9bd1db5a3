"""Classic neural networks written as the lectures write them, in plain NumPy, no autograd.

- ``Perceptron``: Rosenblatt's perceptron (step or sign activation) and its learning rule
  ``w <- w + lr (y - y_hat) x``, with mistakes per epoch, the weight history, the margin and
  the Novikoff bound ``(R/gamma)^2`` (``novikoff_bound``); ``MultiOutputPerceptron`` (one
  neuron per class); ``perceptron_criterion`` and ``perceptron_criterion_sgd``.
- ``TextbookMLP``: an MLP trained by the explicit delta recursion
  ``delta_L = grad_yhat(L) * f'(z_L)``, ``delta_l = (delta_{l+1} W_{l+1}) * f'(z_l)``,
  ``dL/dW_l = h_{l-1}^T delta_l``, ``dL/db_l = sum of delta_l``; weights move to and from a
  ``glassnet.nn.Sequential``, and its gradients equal autograd's.

Example::

    import numpy as np
    from glassnet.classic import Perceptron, TextbookMLP
    from glassnet.data import make_blobs, make_xor

    X, y = make_blobs(200, seed=0)
    p = Perceptron("step").fit(X, y, epochs=100)
    print(p.converged_, p.n_updates_, p.novikoff_bound_)  # True, updates <= bound
    X, y = make_xor(200, seed=0)
    print(Perceptron().fit(X, y, epochs=20).report())      # "... may not be linearly separable"
    gates = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    print(Perceptron().fit(gates, [0, 1, 1, 0]).report())  # "... is not linearly separable ..."

    net = TextbookMLP([2, 4, 1], activation="tanh", output_activation="sigmoid",
                      loss="binary_cross_entropy", seed=0)
    for epoch in range(2000):
        loss = net.train_step(X, y[:, None].astype(float), lr=0.5)  # forward, backward, step
    print(loss, net.delta[1].shape, net.dW[1].shape)      # (200, 4) and (4, 2)
    model = net.to_module()                                # glassnet.nn.Sequential
    same = TextbookMLP.from_module(model, loss="binary_cross_entropy")
"""

from glassnet.classic.backprop import ACTIVATIONS, LOSSES, TextbookMLP
from glassnet.classic.perceptron import (
    MultiOutputPerceptron,
    Perceptron,
    PerceptronCriterionResult,
    novikoff_bound,
    perceptron_criterion,
    perceptron_criterion_sgd,
)

__all__ = [
    "Perceptron", "MultiOutputPerceptron", "novikoff_bound", "perceptron_criterion",
    "perceptron_criterion_sgd", "PerceptronCriterionResult", "TextbookMLP", "ACTIVATIONS",
    "LOSSES",
]
