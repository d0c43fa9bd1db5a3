"""Reverse-mode differentiation: walk the graph from an output back to the leaves.

The walk is iterative (an explicit stack, no recursion), so a chain of 100,000 ops
backpropagates. Gradients of a tensor used several times are summed; leaves that require
grad accumulate into ``.grad`` across calls, as in PyTorch; non-leaf gradients are dropped
unless ``retain_grad()`` was called.
"""

from __future__ import annotations

import sys

import numpy as np

from glassnet.autograd import versions


def reference_counter(implementation: str, version: tuple):
    """``sys.getrefcount`` where it tells whether an array is held by nothing but the
    caller's own name, else None (no gradient is then ever handed over as a node's own).

    CPython up to 3.13 counts every reference: a name and getrefcount's argument make 2.
    From 3.14 a call may borrow a local's reference without counting it (the 3.14 C-API
    notes; NumPy's temporary elision met the same change), so 2 could mean one holder
    more than the engine: there, and in other Pythons, no answer is trusted.
    """
    if implementation != "cpython" or version >= (3, 14):
        return None
    return getattr(sys, "getrefcount", None)


_refcount = reference_counter(sys.implementation.name, sys.version_info[:2])


def _inputs(fn) -> tuple:
    """fn's inputs as they were when fn ran: a tensor rebased since by an in-place write
    recorded in the graph is replaced by the stand-in for its earlier history (only needed
    once some tensor was rebased: the callers check ``versions.rebased`` first)."""
    return tuple(versions.as_of(p, fn, i) for i, p in enumerate(fn.parents))


def topological_order(root) -> list:
    """Tensors reachable from ``root`` through requires-grad edges, inputs before outputs."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        fn = tensor.grad_fn
        if fn is not None:
            parents = _inputs(fn) if versions.rebased else fn.parents
            for parent, needed in zip(parents, fn.needs_input_grad):
                if needed and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def backward(root, gradient: np.ndarray, retain_graph: bool = False) -> None:
    """Propagate ``gradient`` (d loss / d root) to every leaf that requires grad.

    The leaves' ``.grad`` change only once the whole pass has succeeded: a backward that
    fails midway (a stale saved value, an op's own error) leaves every ``.grad`` as it was.
    """
    order = topological_order(root)
    grads = {id(root): gradient}
    handed_to_leaves = set()  # arrays already stored in a leaf's .grad during this pass
    arrived = []  # (tensor, grad) for the leaves and retained tensors, stored at the end
    last = not retain_graph  # each node is freed right after its backward (see below)
    for tensor in reversed(order):
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        fn = tensor.grad_fn
        if fn is None or tensor._retains_grad:
            # A leaf's .grad must own its memory: one array can reach two leaves (a + b
            # hands the same gradient to both), and optimizers update .grad in place.
            if grad.base is not None or id(grad) in handed_to_leaves or grad is gradient:
                grad = grad.copy()
            handed_to_leaves.add(id(grad))
            arrived.append((tensor, grad))
            if fn is None:
                continue
        if fn._freed:
            raise RuntimeError(
                f"backward: trying to backward through the graph a second time (node "
                f"{fn!r}); its saved values were freed after the first backward. Pass "
                "retain_graph=True to the first backward call if you need to do this."
            )
        if fn.writes != versions.writes:  # something was written in place since fn ran
            versions.check_saved(tensor, fn)
        # The flags hold for this call only: reset whatever happens, so that a later call
        # (direct, or another pass) never inherits them. Only a pass that frees the graph
        # sets them, so passes with retain_graph in several threads never share one.
        fn.last_backward = last
        # grad is the node's alone when nothing but this loop refers to it (not the caller's
        # seed, not a leaf's .grad, not a view, not also on its way to another node): a
        # fresh array some backward made. Then backward may write its result into it.
        fn.owns_grad = (last and _refcount is not None and _refcount(grad) == 2  # name, call
                        and grad.base is None and grad.flags.writeable)
        try:
            input_grads = type(fn).backward(fn, grad)
        finally:
            fn.last_backward = fn.owns_grad = False
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        parents = _inputs(fn) if versions.rebased else fn.parents
        for parent, needed, parent_grad in zip(parents, fn.needs_input_grad, input_grads):
            if not needed or parent_grad is None:
                continue
            if parent_grad.shape != parent.data.shape:
                parent_grad = _fitted(fn, parents, parent, parent_grad)
            key = id(parent)
            previous = grads.get(key)
            grads[key] = parent_grad if previous is None else previous + parent_grad
        input_grads = parent_grad = previous = None  # no references left behind (owns_grad)
        if last:
            fn.release()
    for tensor, grad in arrived:
        tensor._accumulate_grad(grad)


def _fitted(fn, parents, parent, grad):
    """A gradient an op's backward returned with the wrong shape (a custom Function that
    forgot to undo broadcasting, say): summed down to the input's shape where broadcasting
    explains the difference, as PyTorch does, else a clear error instead of a wrong
    ``.grad``. (Off the hot path: the loop only compares shapes.)"""
    from glassnet.ops._util import unbroadcast  # (ops import autograd: imported late)

    shape = parent.data.shape
    index = next(i for i, p in enumerate(parents) if p is parent)

    try:
        fits = np.broadcast_shapes(shape, grad.shape) == grad.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"backward: {type(fn).__name__}.backward returned a gradient of shape "
            f"{grad.shape} for input {index}, whose shape is {shape}")
    return unbroadcast(grad, shape)
