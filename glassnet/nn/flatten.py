"""``Flatten`` and ``Unflatten``: reshape between images and vectors inside a Sequential."""

from __future__ import annotations

import math

import numpy as np

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

    ``unflattened_size`` is a tuple or list of ints (one may be -1: inferred), kept as given
    so the repr reads as PyTorch's. Shape: input (*, S_dim, *), output (*, U_1, ..., U_n, *)
    with prod(U) = S_dim.
    """

    def __init__(self, dim: int, unflattened_size: tuple | list):
        super().__init__()
        # Checked here, not at the first forward, so a bad model fails where it is built.
        _check_dim(dim)
        _check_sizes(unflattened_size)
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        shape = input.shape
        dim = _wrap_dim(self.dim, len(shape))
        sizes = _infer_sizes(tuple(int(s) for s in self.unflattened_size), dim, shape)
        return F.reshape(input, shape[:dim] + sizes + shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _check_dim(dim) -> None:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"Unflatten: argument 'dim' must be an int, got {type(dim).__name__} "
                        f"{dim!r}")


def _check_sizes(sizes) -> None:
    """A tuple or list of ints, not empty, at most one -1 and none below -1: PyTorch's
    rules (it checks the values only in forward; a size list that can never fit any input
    is refused here)."""
    if not isinstance(sizes, (tuple, list)):
        raise TypeError("Unflatten: unflattened_size must be a tuple of ints, but found type "
                        f"{type(sizes).__name__}")
    for pos, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError("Unflatten: unflattened_size must be a tuple of ints, but found "
                            f"element of type {type(size).__name__} at pos {pos}")
    if not sizes:
        raise ValueError("Unflatten: unflattened_size must be non-empty, got ()")
    if min(sizes) < -1 or list(sizes).count(-1) > 1:
        raise ValueError("Unflatten: unflattened_size may hold sizes >= 0 and at most one -1 "
                         f"(inferred), got {tuple(int(s) for s in sizes)}")


def _wrap_dim(dim: int, ndim: int) -> int:
    """``dim`` as an index into the input's shape; out of range is an IndexError in
    PyTorch's words (a 0-d input has no dimension to split)."""
    if ndim == 0:
        raise IndexError(f"Unflatten: dimension specified as {dim} but the input tensor has "
                         "no dimensions")
    if not -ndim <= dim < ndim:
        raise IndexError(f"Unflatten: Dimension out of range (expected to be in range of "
                         f"[{-ndim}, {ndim - 1}], but got {dim})")
    return int(dim) % ndim


def _infer_sizes(sizes: tuple, dim: int, shape: tuple) -> tuple:
    """``sizes`` with its -1 filled in; their product must be the size of ``dim``."""
    known = math.prod(s for s in sizes if s != -1)
    size = shape[dim]
    if -1 in sizes and known and size % known == 0:
        sizes = tuple(size // known if s == -1 else s for s in sizes)
    if math.prod(sizes) != size or -1 in sizes:
        raise ValueError(f"Unflatten: sizes {sizes} don't multiply up to the size of dim {dim} "
                         f"({size}) of the input (shape {shape})")
    return sizes
