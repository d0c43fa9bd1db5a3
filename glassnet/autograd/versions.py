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

An in-place write that is itself recorded in the graph (``x[i] = v`` with ``v`` requiring
grad) gives ``x`` a new history: ``x.grad_fn`` becomes the write's node, whose input is a
stand-in Tensor carrying the history ``x`` had before. A node that used ``x`` before the
write must send its gradient to that earlier history, not through the write: ``rebase``
keeps each rebased tensor's past histories, ``Function.apply`` records (only once any tensor
was rebased) how many rebases each input had seen, and the engine routes each edge with
``as_of``.

Such a write may also go through a view (``v = base[1:]; v += w``): the view gets the new
history, the tensor it views does not. Python itself gives that tensor the history at once
for ``base[1:] += w``, which is ``v = base[1:]; v += w; base[1:] = v``; until then
(``note_view_write``, ``take_back``), ops refuse every other tensor of that memory whose
history is older than the write, rather than backpropagate without it (``check_views``).
"""

from __future__ import annotations

import weakref

import numpy as np

from glassnet.autograd import grad_mode

# Writes so far, in any tensor (the engine's fast check and each storage's stamp).
writes = 0

# id(storage root) -> [stamp of its last write, weakref to the root]; entries leave with
# their root, so the table holds only live storages that were ever written in place.
_stamps: dict[int, list] = {}
# The same for writes that were recorded in the graph (x[i] = v with v requiring grad).
recorded_writes: dict[int, list] = {}

# What apply and the engine keep on every node: not values saved for backward.
_BOOKKEEPING = frozenset(("parents", "needs_input_grad", "writes", "histories"))


def storage_root(array: np.ndarray) -> np.ndarray:
    """The array at the root of ``array``'s ``.base`` chain: the owner of its memory."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def note_write(array: np.ndarray, recorded: bool = False) -> None:
    """Record that ``array`` (any view) was just changed in place; ``recorded`` when the
    write is itself a node of the graph (see ``check_views``)."""
    global writes
    writes += 1
    root = array if array.base is None else storage_root(array)
    entry = _stamps.get(id(root))  # (the common case inline: every optimizer step lands here)
    if entry is not None and entry[1]() is root:
        entry[0] = writes
    else:
        _stamp(_stamps, root, writes)
    if recorded:
        _stamp(recorded_writes, root, writes)


def _stamp(table: dict, root: np.ndarray, stamp: int) -> None:
    """table[id(root)] = [stamp, weakref(root)]; the entry leaves with the root."""
    key = id(root)
    entry = table.get(key)
    if entry is not None and entry[1]() is root:
        entry[0] = stamp
        return

    def forget(ref, key=key, table=table):  # the table bound: it outlives module teardown
        if table.get(key, (None, None))[1] is ref:
            del table[key]

    table[key] = [stamp, weakref.ref(root, forget)]


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


def _arrays(value, depth: int = 0) -> list:
    """The ndarrays in a saved attribute: the value itself, a Tensor's data, or those inside
    tuples, lists and dict values (a few levels deep: custom Functions nest them)."""
    if isinstance(value, np.ndarray):
        return [value]
    data = getattr(value, "data", None)
    if isinstance(data, np.ndarray) and hasattr(value, "grad_fn"):  # a Tensor
        return [data]
    if depth < 4 and isinstance(value, (tuple, list, dict)):
        items = value.values() if isinstance(value, dict) else value
        return [a for item in items for a in _arrays(item, depth + 1)]
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


# --------------------------------------------------------------------- rebased histories
# id(tensor) -> [weakref to the tensor, [its history before rebase 1, before rebase 2, ...]]
rebased: dict[int, list] = {}


def rebase(tensor, stand_in) -> None:
    """Record that ``tensor``'s history so far now lives on ``stand_in`` (a Tensor with the
    same data and the old ``grad_fn``); the caller then gives ``tensor`` its new grad_fn."""
    _entries_of(rebased, tensor).append(stand_in)


def histories(inputs) -> tuple:
    """For ``Function.apply``: how many times each input had been rebased when it was used."""
    counts = []
    for t in inputs:
        entry = rebased.get(id(t))
        counts.append(len(entry[1]) if entry is not None and entry[0]() is t else 0)
    return tuple(counts)


def as_of(parent, fn, i: int):
    """Input ``i`` of ``fn`` as it was when ``fn`` ran: ``parent`` itself, or the stand-in for
    the history it had then if it was rebased since."""
    entry = rebased.get(id(parent))
    if entry is None or entry[0]() is not parent:
        return parent
    seen = fn.histories[i] if hasattr(fn, "histories") else 0
    past = entry[1]
    return parent if seen == len(past) else past[seen]


def check_views(op: str, inputs) -> None:
    """For ``Function.apply`` while recorded writes exist: refuse an input that is a view
    made before a recorded write to its memory. Its values are the new ones but its history
    is the old one (PyTorch regenerates a view's history; glassnet does not)."""
    for t in inputs:
        fn = getattr(t, "grad_fn", None)
        if view_writes and grad_mode._state.enabled and hasattr(t, "grad_fn"):
            _check_view_write(op, t, fn)
        if fn is None or fn._freed or t.data.base is None:
            continue  # (a freed history cannot be backpropagated anyway)
        root = storage_root(t.data)
        entry = recorded_writes.get(id(root))
        if entry is not None and entry[1]() is root and entry[0] > getattr(fn, "writes", 0):
            raise RuntimeError(
                f"{op}: input of shape {t.shape} is a view (made by {fn!r}) taken before an "
                "in-place write "
                "recorded in the graph changed the memory it shows, so its values and its "
                "history disagree; take the view again after the write")


# --------------------------------------------------------------------- writes through views
# id(storage root) -> [weakref to the root, [(stamp, weakref to the view written), ...]]:
# writes recorded in the graph that went through a view of that memory while the tensor it
# views has not taken them back, oldest first (an entry leaves with its root; ``take_back``
# removes the latest).
view_writes: dict[int, list] = {}


def note_view_write(view) -> None:
    """After ``note_write``: the recorded write just made went through ``view``, a Tensor
    showing part of another tensor's memory; only ``view``'s history includes it."""
    _entries_of(view_writes, storage_root(view.data)).append((writes, weakref.ref(view)))


def _entries_of(table: dict, owner) -> list:
    """The list ``table`` keeps for ``owner`` (keyed by id, made on first use); the entry
    goes when ``owner`` is garbage-collected, so a new object at the same id starts afresh."""
    key = id(owner)
    entry = table.get(key)
    if entry is None or entry[0]() is not owner:
        def forget(ref, key=key, table=table):
            if table.get(key, (None,))[0] is ref:
                del table[key]

        entry = table[key] = [weakref.ref(owner, forget), []]
    return entry[1]


def take_back(array: np.ndarray, index: tuple, value) -> bool:
    """For ``x[index] = value`` (``array`` is x's data): whether ``value`` is the view written
    last through, at exactly that place (Python's ``x[index] += w``). Then x's new history
    will include that write, so it no longer counts as missing (earlier ones still do)."""
    root = storage_root(array)
    entry = view_writes.get(id(root))
    if entry is None or entry[0]() is not root or entry[1][-1][1]() is not value:
        return False
    target = array[index]
    if (isinstance(target, np.ndarray) and target.shape == value.data.shape
            and target.strides == value.data.strides
            and target.__array_interface__["data"][0]
            == value.data.__array_interface__["data"][0]):
        entry[1].pop()
        if not entry[1]:
            del view_writes[id(root)]
        return True
    return False


def _check_view_write(op: str, t, fn) -> None:
    """Refuse ``t`` if a write through a view of its memory is newer than its history."""
    root = storage_root(t.data)
    entry = view_writes.get(id(root))
    if entry is None or entry[0]() is not root:
        return
    stamp, view = entry[1][-1]
    if fn is not None and not fn._freed and getattr(fn, "writes", -1) >= stamp:
        return  # t was made after the write, or is the view written (its history has it)
    view = view()
    shown = f"a view of shape {view.shape}" if view is not None else "a view"
    raise RuntimeError(
        f"{op}: input of shape {t.shape} shares its memory with {shown} that was changed "
        "in place by a write recorded in the graph (v += w with w requiring grad), so its "
        "values include that change but its history does not. Make the change through "
        "the tensor itself (base[1:] += w rather than v = base[1:]; v += w), or clone() "
        "the view before changing it")
