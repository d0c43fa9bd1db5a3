"""``Dropout``: zero each activation with probability p while training."""

from __future__ import annotations

import numbers

from glassnet import functional as F
from glassnet.nn.module import Module
from glassnet.tensor import Tensor


class Dropout(Module):
    """Inverted dropout: while training, each element is zeroed with probability ``p`` and
    the survivors are scaled by 1 / (1 - p), so evaluation needs no rescaling. In eval mode it
    is the identity. Masks come from glassnet's seeded generator. ``inplace=True`` writes
    into the input; backward then refuses, here as in PyTorch, when the op before saved its
    output for its own gradient (ReLU and Tanh do; Linear does not).

    Shape: input (*), output (*).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not isinstance(p, numbers.Real):  # (a str or None would fail the comparison)
            raise TypeError(f"Dropout: dropout probability p must be a number between 0 and "
                            f"1, got {type(p).__name__} {p!r}")
        if not 0.0 <= p <= 1.0:  # (NaN too)
            raise ValueError(f"Dropout: dropout probability has to be between 0 and 1, but "
                             f"got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
