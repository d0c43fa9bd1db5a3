"""In-place writes against the values a graph saved: a backward pass that would read values
changed since its forward pass refuses to run, rather than return wrong gradients.

A node keeps what its backward needs as arrays on ``ctx`` (``ctx.out``, ``ctx.x``, ...), and
those are often views of its inputs' or its output's memory. Any in-place write (``zero_``,
``+=``, ``copy_``, an optimizer step, ``load_state_dict``, ...) calls ``note_write(array)``,
which stamps the written array's storage, the array at the root of its ``.base`` chain, with
a new write count. Every view of that storage shares the stamp: a slice, a ``reshape``, a
``detach()``, all see the same memory. (PyTorch shares one version counter per storage in the
same way.)

Before running a node's backward the engine compares the write count of the forward pass
(``ctx.writes``) with the current one: equal (the common case) means nothing was written at
all and costs nothing. Otherwise ``check_saved`` looks for a storage stamped later than the
node ran whose memory overlaps one of the node's saved arrays. So a node that saved nothing of
a changed input (``w + c`` keeps neither ``w`` nor ``c``) still runs, as in PyTorch.
"""

from __future__ import annotations

import weakref

import numpy as np

# Writes so far, in any tensor (the engine's fast check and each storage's stamp).
writes = 0

# id(storage root) -> [stamp of its last write, weakref to the root]; entries leave with
# their root, so the table holds only live storages that were ever written in place.
_stamps: dict[int, list] = {}

# What apply and the engine keep on every node: not values saved for backward.
_BOOKKEEPING = frozenset(("parents", "needs_input_grad", "writes"))


def storage_root(array: np.ndarray) -> np.ndarray:
    """The array at the root of ``array``'s ``.base`` chain: the owner of its memory."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def note_write(array: np.ndarray) -> None:
    """Record that ``array`` (any view) was just changed in place."""
    global writes
    writes += 1
    root = storage_root(array)
    key = id(root)
    entry = _stamps.get(key)
    if entry is not None and entry[1]() is root:
        entry[0] = writes
        return

    def forget(ref, key=key):
        if _stamps.get(key, (None, None))[1] is ref:
            del _stamps[key]

    _stamps[key] = [writes, weakref.ref(root, forget)]


def check_saved(output, fn) -> None:
    """Raise if ``fn`` (the node that made ``output``) saved an array whose memory was
    written in place after ``fn`` ran."""
    since = fn.writes
    changed = [root for stamp, ref in list(_stamps.values())
               if stamp > since and (root := ref()) is not None]
    if not changed:
        return
    for name, value in vars(fn).items():
        if name in _BOOKKEEPING:
            continue
        for saved in _arrays(value):
            if any(np.may_share_memory(saved, root) for root in changed):
                raise RuntimeError(
                    f"backward: {_describe(saved, name, output, fn)} of node {fn!r} was "
                    "modified by an in-place operation after the forward pass; the values "
                    "saved for its gradient are stale. Compute out of place (x = x + y) or "
                    "clone() before changing it.")


def _arrays(value) -> list:
    """The ndarrays in a saved attribute: the value itself, or the items of a tuple/list."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (tuple, list)):
        return [v for v in value if isinstance(v, np.ndarray)]
    return []


def _describe(saved: np.ndarray, name: str, output, fn) -> str:
    """Name the changed value as the user knows it: the node's output, an input, or ctx.name."""
    if np.may_share_memory(saved, output.data):
        return "its output"
    for i, parent in enumerate(fn.parents):
        data = parent if isinstance(parent, np.ndarray) else getattr(parent, "data", None)
        if isinstance(data, np.ndarray) and np.may_share_memory(saved, data):
            return f"its input {i} (shape {data.shape})"
    return f"a value it saved (ctx.{name}, shape {saved.shape})"
