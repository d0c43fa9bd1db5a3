"""``DataLoader``: iterate over a dataset in (optionally shuffled) mini-batches.

Two ways to make a batch:

* fast path: when the dataset has ``get_batch`` (``TensorDataset``, ``MNIST``, a ``Subset``
  of either) and no ``collate_fn`` is given, a batch is one fancy-index per tensor: no
  Python loop over samples, a few microseconds of overhead per batch. Each batch is a copy
  (a model may change its input in place without touching the dataset).
* generic path: ``collate_fn([dataset[i] for i in batch_indices])``, by default
  ``default_collate``, which stacks numbers, arrays and Tensors into Tensors and collates
  tuples, lists and dicts field by field.

Shuffling: each epoch draws one seed from the generator and permutes with a fresh PCG64
seeded by it. That seed plus the number of batches served is the whole position of the
loader, so ``state_dict()`` is a small JSON-friendly dict, and a loader restored with
``load_state_dict`` serves the rest of the interrupted epoch bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from glassnet import random
from glassnet.data.dataset import batch_getter
from glassnet.tensor import Tensor

__all__ = ["DataLoader", "default_collate", "default_convert"]


def _stack(arrays: list, what: str) -> np.ndarray:
    shape = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != shape:
            raise ValueError(f"default_collate: cannot stack {what} of different shapes: "
                             f"sample 0 has shape {tuple(shape)}, sample {i} has shape "
                             f"{tuple(a.shape)}")
    return np.stack(arrays)


def default_collate(batch: list):
    """Merge a list of samples into a batch, as PyTorch's ``default_collate`` does.

    Tensors and arrays are stacked along a new first dimension; numbers become a 1-D Tensor
    (a batch starting with a Python float is float64; one starting with an int or a bool
    takes the dtype ``tensor`` infers from all of it: bools bool, ints int64, any float the
    default float32; NumPy scalars keep their dtype); strings
    stay a list; dicts and sequences are collated field by field. One difference from
    PyTorch: a sample that is a tuple or list gives a tuple (PyTorch gives a list).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return Tensor(_stack([t.data for t in batch], "tensors"))
    if isinstance(elem, np.ndarray):
        return Tensor(_stack(batch, "arrays"))
    if isinstance(elem, np.generic):
        return Tensor(np.array(batch))
    if isinstance(elem, int):  # (bool too) the dtype of the whole batch, as torch.tensor
        return Tensor(batch)     # infers it: [True, 2] int64, [1, 2.5] float32, bools bool
    if isinstance(elem, float):
        return Tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, Sequence):
        size = len(elem)
        for i, sample in enumerate(batch):
            if len(sample) != size:
                raise ValueError(f"default_collate: every sample must have the same number of "
                                 f"fields: sample 0 has {size}, sample {i} has {len(sample)}")
        fields = tuple(default_collate(list(f)) for f in zip(*batch, strict=True))
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
            return type(elem)(*fields)
        return fields
    raise TypeError(f"default_collate: samples must be Tensors, arrays, numbers, strings, "
                    f"dicts or sequences; got {type(elem).__name__}")


def default_convert(sample):
    """One sample as ``DataLoader(batch_size=None)`` yields it, as PyTorch's
    ``default_convert``: arrays become Tensors (no batch dimension added), dicts and
    sequences are converted field by field, anything else (numbers, strings) is kept."""
    if isinstance(sample, (np.ndarray, np.generic)) and sample.dtype.kind in "biufc":
        return Tensor(np.asarray(sample))  # a NumPy scalar becomes a 0-d Tensor
    if isinstance(sample, Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):  # a namedtuple
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(v) for v in sample)
    return sample


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    Args:
        dataset: a ``Dataset`` (anything with ``__getitem__`` and ``__len__``).
        batch_size: samples per batch (the last one may be smaller unless ``drop_last``);
            None turns batching off, as in PyTorch: one sample at a time, arrays made
            Tensors by ``default_convert`` (or ``collate_fn`` if given), no batch dimension.
        shuffle: visit the samples in a new random order each epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: a ``numpy.random.Generator`` for the shuffle (default: glassnet's seeded
            generator, so ``glassnet.manual_seed`` makes the order reproducible).
        collate_fn: merges a list of samples into a batch (default ``default_collate``);
            giving one turns off the fast path.

    Iterating yields what the dataset's samples collate to: for a ``TensorDataset``, a tuple
    of Tensors ``(inputs, targets)`` with a leading batch dimension.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, generator: np.random.Generator | None = None,
                 collate_fn: Callable | None = None) -> None:
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, (int, np.integer)) or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive int or None, got "
                             f"{batch_size!r}")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None turns batching off, so there is no "
                             "last batch to drop: drop_last must be False")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator or None, "
                            f"got {type(generator).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got "
                            f"{type(collate_fn).__name__}")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        unbatched = batch_size is None
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_convert if unbatched else default_collate)
        self._fast = collate_fn is None and not unbatched  # get_batch where offered
        self._epoch = 0  # epochs started
        self._seed = None  # the current epoch's shuffle seed
        self._position = 0  # batches served in the current epoch
        self._resume = None  # a loaded mid-epoch state, consumed by the next __iter__
        self._live = 0  # id of the newest iterator: only it updates the position

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        if self._resume is not None:
            state, self._resume = self._resume, None
            self._epoch, self._seed, self._position = state["epoch"], state["seed"], \
                state["position"]
        else:
            self._epoch += 1
            self._position = 0
            self._seed = None
            if self.shuffle:
                gen = self.generator if self.generator is not None \
                    else random.default_generator()
                self._seed = int(gen.integers(0, 2**63 - 1))
        self._live += 1
        return self._batches(self._live, self._seed, self._position)

    def _batches(self, live: int, seed: int | None, start: int):
        n = len(self.dataset)
        size = self.batch_size or 1
        order = None if seed is None else np.random.default_rng(seed).permutation(n)
        dataset, collate = self.dataset, self.collate_fn
        # Looked up per epoch: a transform set on the dataset since turns the fast path off.
        get_batch = batch_getter(dataset) if self._fast else None
        for b in range(start, len(self)):
            lo, hi = b * size, min((b + 1) * size, n)
            if live == self._live:
                # Counted when served: a checkpoint taken while this batch is being
                # trained on resumes with the next one.
                self._position = b + 1
            if get_batch is not None:
                yield get_batch(slice(lo, hi) if order is None else order[lo:hi])
            elif self.batch_size is None:  # no batching: the sample itself, converted
                yield collate(dataset[lo if order is None else int(order[lo])])
            else:
                indices = range(lo, hi) if order is None else order[lo:hi].tolist()
                yield collate([dataset[i] for i in indices])

    # ----------------------------------------------------------------- resuming
    def state_dict(self) -> dict:
        """Where the loader stands, as a small JSON-friendly dict: the epoch count, the
        current epoch's shuffle seed, the number of batches served in it, and (only for a
        loader given its own ``generator``) that generator's state. glassnet's global
        generator is not included: checkpoints save it with ``glassnet.get_rng_state``."""
        if self._resume is not None:  # loaded but not yet iterated: still that state
            state = dict(self._resume)
        else:
            state = {
                "epoch": self._epoch, "seed": self._seed, "position": self._position,
                "num_samples": len(self.dataset), "batch_size": self.batch_size,
                "shuffle": self.shuffle, "drop_last": self.drop_last,
            }
        if self.generator is not None:
            state["generator"] = _jsonable(self.generator.bit_generator.state)
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict``: the next ``iter()`` serves the remaining batches of the
        saved epoch (exactly those the original run would have served), or starts the next
        epoch if the saved one was finished."""
        keys = ("epoch", "seed", "position", "num_samples", "batch_size", "shuffle",
                "drop_last")
        missing = [k for k in keys if k not in state]
        if missing:
            raise ValueError(f"DataLoader.load_state_dict: state is missing {missing}")
        for key in ("epoch", "position"):  # counts, as state_dict wrote them
            value = state[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"DataLoader.load_state_dict: '{key}' must be a count >= 0, "
                                 f"got {value!r}")
        seed = state["seed"]
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"DataLoader.load_state_dict: 'seed' must be an int or None, got "
                             f"{seed!r}")
        saved = (state["num_samples"], state["batch_size"], state["shuffle"],
                 state["drop_last"])
        mine = (len(self.dataset), self.batch_size, self.shuffle, self.drop_last)
        if saved != mine:
            raise ValueError(
                "DataLoader.load_state_dict: state was saved for (num_samples, batch_size, "
                f"shuffle, drop_last) = {saved}, but this loader has {mine}"
            )
        # A shuffling loader's state with no seed and nothing served was taken before its
        # epoch began (before iter()): the next iter() begins it, drawing the seed then.
        not_begun = self.shuffle and state["seed"] is None and state["position"] == 0
        if self.shuffle and 0 < state["position"] < len(self) and state["seed"] is None:
            raise ValueError("DataLoader.load_state_dict: a shuffling loader's mid-epoch "
                             "state needs its 'seed', got None")
        if "generator" in state:
            if self.generator is None:
                raise ValueError("DataLoader.load_state_dict: state holds a generator state "
                                 "but this loader has no generator of its own")
            self.generator.bit_generator.state = state["generator"]
        self._live += 1  # iterators made before the restore no longer move the position
        if state["position"] < len(self) and not not_begun:
            self._resume = {k: state[k] for k in keys}
        else:
            self._resume = None
            self._epoch, self._seed, self._position = state["epoch"], state["seed"], \
                state["position"]


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
