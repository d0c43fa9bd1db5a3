"""``Function``: one differentiable op, its forward and backward side by side.

An op subclasses ``Function`` and writes two static methods::

    class Exp(Function):
        '''exp(x);  d/dx = exp(x).  Shape: input (*), output (*).'''

        @staticmethod
        def forward(ctx, x):
            ctx.out = np.exp(x)
            return ctx.out

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.out

``forward`` receives plain arrays (Tensors are unwrapped) and keyword parameters, and returns
one array. ``backward`` receives the gradient of the loss with respect to that output and
returns one gradient per positional input (a bare array when there is one input, else a
tuple), ``None`` where ``ctx.needs_input_grad[i]`` is False. ``ctx`` is the graph node itself:
ops keep what backward needs as attributes on it.

``Function.apply(*inputs, **params)`` runs forward and, when grad mode is on and some input
requires grad, returns a Tensor whose ``grad_fn`` is the node.

For the one call of backward in a pass that frees the graph (no ``retain_graph``) the engine
sets two flags on ``ctx``; they are False otherwise, and whenever backward is called
directly: ``ctx.last_backward``, the node is freed right after, so backward may write over
the arrays it saved; ``ctx.owns_grad``, nothing but the engine holds the ``grad`` array, so
backward may write its result into it. Both save a pass over fresh memory: a large array
written where the op before has just read or written is still in cache. (An op that uses
them leaves them alone in a subclass, whose backward may read those arrays after its own.)
"""

from __future__ import annotations

from glassnet.autograd import versions
from glassnet.autograd.grad_mode import _state as _grad_mode  # per thread: .enabled


class Function:
    """Base class of every op. ``ctx`` (an instance) is the node in the graph."""

    # Set by apply: the positional inputs (Tensors or constants) and which need a gradient.
    parents: tuple = ()
    needs_input_grad: tuple = ()
    _freed = False
    # Set by the engine before backward: True when the node is freed right after this
    # backward (no retain_graph), so backward may write over the memory of what it saved;
    # and whether the incoming gradient array is the node's alone to write into.
    last_backward = False
    owns_grad = False

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        if versions.recorded_writes:  # a view made before such a write is stale: refuse
            versions.check_views(cls.__name__, inputs)
        ctx = cls()
        # One pass over the inputs (this runs for every op: it is the library's hot path).
        arrays, needs, any_needs = [], [], False
        for t in inputs:
            if isinstance(t, Tensor):
                arrays.append(t.data)
                need = t._requires_grad  # (the slot behind the requires_grad property)
                needs.append(need)
                any_needs = any_needs or need
            else:
                arrays.append(t)
                needs.append(False)
        ctx.needs_input_grad = needs = tuple(needs)
        out = cls.forward(ctx, *arrays, **params)
        if any_needs and _grad_mode.enabled:
            ctx.parents = inputs
            # The write count now: if anything is changed in place before backward, the
            # engine checks that none of the arrays this node saved was (versions.py).
            ctx.writes = versions.writes
            if versions.rebased:  # some tensor was rebased by an in-place write: see as_of
                ctx.histories = versions.histories(inputs)
            return Tensor._make(out, True, ctx)
        return Tensor._make(out, False, None)

    def release(self) -> None:
        """Drop saved arrays and parents after a backward pass without ``retain_graph``."""
        self.__dict__.clear()
        self._freed = True

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


from glassnet.tensor import Tensor  # noqa: E402  (Tensor's module imports ops, which import us)
