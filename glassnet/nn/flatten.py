"""``Flatten`` and ``Unflatten``: reshape between images and vectors inside a Sequential."""

from __future__ import annotations

from glassnet import functional as F
from glassnet.nn.module import Module
from glassnet.tensor import Tensor


class Flatten(Module):
    """Merge dimensions start_dim..end_dim into one: (N, 1, 28, 28) -> (N, 784) by default.

    Shape: input (*, S_start, ..., S_end, *), output (*, prod(S_start..S_end), *).
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: (N, 784) -> (N, 1, 28, 28).

    Shape: input (*, S_dim, *), output (*, U_1, ..., U_n, *) with prod(U) = S_dim.
    """

    def __init__(self, dim: int, unflattened_size: tuple):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim % input.ndim
        shape = input.shape[:dim] + self.unflattened_size + input.shape[dim + 1:]
        return F.reshape(input, shape)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
