"""Activation layers: thin modules over the functional activations (formulas live there)."""

from __future__ import annotations

from glassnet import functional as F
from glassnet.nn.module import Module
from glassnet.tensor import Tensor


class ReLU(Module):
    """relu(x) = max(0, x).  Shape: input (*), output (*).

    ``inplace=True`` writes the result into the input and returns it (saves a copy of the
    activations; the input's earlier values are gone, and autograd refuses a backward that
    needs them, as in PyTorch)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """leaky_relu(x) = x if x > 0 else negative_slope * x.  Shape: input (*), output (*).
    ``inplace=True`` writes into the input, as ReLU's."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class ELU(Module):
    """elu(x) = x if x > 0 else alpha * (exp(x) - 1).  Shape: input (*), output (*).
    ``inplace=True`` writes into the input, as ReLU's (alpha >= 0 then, as in PyTorch)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + exp(-x)).  Shape: input (*), output (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x).  Shape: input (*), output (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class GELU(Module):
    """gelu(x) = x * Phi(x) (or its tanh approximation).  Shape: input (*), output (*)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """softplus(x) = log(1 + exp(beta * x)) / beta (linear above threshold)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j) along ``dim``.  Shape: input (*), output (*)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log_softmax(x) = x - logsumexp(x) along ``dim``.  Shape: input (*), output (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)


class Maxout(Module):
    """Maxout (Goodfellow et al. 2013): the max over ``pieces`` consecutive features.

    Shape: input (N, C * pieces), output (N, C). Put it after a Linear with
    ``out_features = C * pieces``.
    """

    def __init__(self, pieces: int):
        super().__init__()
        self.pieces = pieces

    def forward(self, input: Tensor) -> Tensor:
        return F.maxout(input, self.pieces)

    def extra_repr(self) -> str:
        return f"pieces={self.pieces}"


class Step(Module):
    """Heaviside step as Rosenblatt used it: 1 where x > 0, else 0. Its gradient is zero
    almost everywhere, so a network of steps cannot learn by backpropagation."""

    def forward(self, input: Tensor) -> Tensor:
        return F.step(input)


Heaviside = Step
