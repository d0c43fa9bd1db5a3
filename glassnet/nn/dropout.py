"""``Dropout``: zero each activation with probability p while training."""

from __future__ import annotations

from glassnet import functional as F
from glassnet.nn.module import Module
from glassnet.tensor import Tensor


class Dropout(Module):
    """Inverted dropout: while training, each element is zeroed with probability ``p`` and
    the survivors are scaled by 1 / (1 - p), so evaluation needs no rescaling. In eval mode it
    is the identity. Masks come from glassnet's seeded generator.

    Shape: input (*), output (*).
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be between 0 and 1, got {p}")
        self.p = p

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
