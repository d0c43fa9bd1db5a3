"""Datasets: indexable collections of samples, as in ``torch.utils.data``.

``Dataset`` is the interface (``__getitem__`` and ``__len__``). ``TensorDataset`` wraps
tensors that share their first dimension; ``Subset`` views part of a dataset;
``random_split`` cuts a dataset into random, disjoint subsets.

A dataset may also offer ``get_batch(indices)``: the whole batch for an index array at once,
as a tuple of Tensors. ``DataLoader`` uses it when present (one fancy-index per tensor per
batch instead of a Python loop over samples); ``TensorDataset`` and ``MNIST`` have it, and a
``Subset`` of such a dataset passes it through.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from glassnet import random
from glassnet.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]


class Dataset:
    """A collection of samples: ``dataset[i]`` is sample ``i``, ``len(dataset)`` their count.

    Subclasses implement ``__getitem__`` and ``__len__``, and may add ``get_batch`` for fast
    batching (see the module docstring).
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class TensorDataset(Dataset):
    """Samples are slices of tensors along their first dimension: ``dataset[i]`` is
    ``(tensors[0][i], tensors[1][i], ...)``.

    Args:
        *tensors: Tensors (or NumPy arrays, wrapped without copying) with the same size in
            their first dimension, e.g. inputs ``(N, 784)`` and labels ``(N,)``.
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        wrapped = []
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                if not isinstance(t, np.ndarray):
                    raise TypeError(f"TensorDataset: tensor {i} must be a Tensor or a NumPy "
                                    f"array, got {type(t).__name__}")
                t = Tensor(t)
            if t.data.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; every tensor needs a "
                                 "first dimension to index samples along")
            wrapped.append(t)
        sizes = [t.data.shape[0] for t in wrapped]
        if len(set(sizes)) > 1:
            raise ValueError(
                "TensorDataset: all tensors must have the same size in the first dimension, "
                f"got sizes {', '.join(map(str, sizes))} (shapes "
                f"{', '.join(str(tuple(t.shape)) for t in wrapped)})"
            )
        self.tensors = tuple(wrapped)
        self._arrays = tuple(t.data for t in wrapped)

    def __getitem__(self, index):
        return tuple(Tensor(a[index]) for a in self._arrays)

    def get_batch(self, indices) -> tuple:
        """The samples at ``indices`` (an index array or a slice), stacked: one fancy-index
        per tensor, in new memory (``rows``)."""
        return tuple(Tensor(rows(a, indices)) for a in self._arrays)

    def __len__(self) -> int:
        return self._arrays[0].shape[0]

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(a.shape)) for a in self._arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i]`` is
    ``dataset[indices[i]]``."""

    def __init__(self, dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        self._index_array = None  # built on the first batched access

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def get_batch(self, indices) -> tuple:
        """The samples at ``indices``, through the parent's ``get_batch`` (which must exist)."""
        if self._index_array is None:
            self._index_array = np.asarray(self.indices, dtype=np.int64)
        return self.dataset.get_batch(self._index_array[indices])

    def __len__(self) -> int:
        return len(self.indices)


def rows(array: np.ndarray, indices) -> np.ndarray:
    """``array[indices]`` in new memory: a slice (an unshuffled loader's batch) is copied as
    a fancy index would be. A view would let a batch edited in place (``x += 1``,
    ``Dropout(inplace=True)``) change the dataset itself; PyTorch's collate stacks samples
    into new memory too."""
    batch = array[indices]
    return batch.copy() if isinstance(indices, slice) else batch


def batch_getter(dataset):
    """``dataset.get_batch`` if the dataset (or, through Subsets, the one under it) has
    one; else None."""
    base = dataset
    while isinstance(base, Subset):
        base = base.dataset
    if getattr(base, "get_batch", None) is None:
        return None
    return dataset.get_batch


def random_split(dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    Args:
        dataset: any dataset with ``len``.
        lengths: sizes that sum to ``len(dataset)``, or fractions that sum to 1; fractions
            give ``floor(f * n)`` each, and the remainder is dealt one by one to the subsets
            in order (PyTorch's rule).
        generator: a ``numpy.random.Generator`` (default: glassnet's seeded generator).
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:  # fractions
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"random_split: fraction at index {i} is {frac}, "
                                 "not between 0 and 1")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this "
                              "results in an empty dataset", stacklevel=2)
        lengths = counts
    if any(isinstance(length, (float, np.floating)) for length in lengths):
        raise ValueError(f"random_split: fractions must sum to 1 (at most 1 exactly, as in "
                         f"PyTorch), got {lengths} summing to {sum(lengths)!r}")
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
            raise ValueError(f"random_split: lengths must be non-negative ints or fractions "
                             f"summing to 1, got {length!r} at index {i} (lengths {lengths})")
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} sum to {sum(lengths)}, but the "
                         f"dataset has {n} samples")
    gen = generator if generator is not None else random.default_generator()
    if not isinstance(gen, np.random.Generator):
        raise TypeError("random_split: generator must be a numpy.random.Generator, got "
                        f"{type(gen).__name__}")
    order = gen.permutation(n).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start:start + length]))
        start += length
    return subsets
