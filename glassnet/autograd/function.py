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
"""

from __future__ import annotations

from glassnet.autograd import grad_mode


class Function:
    """Base class of every op. ``ctx`` (an instance) is the node in the graph."""

    # Set by apply: the positional inputs (Tensors or constants) and which need a gradient.
    parents: tuple = ()
    needs_input_grad: tuple = ()
    _freed = False

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        ctx = cls()
        # One pass over the inputs (this runs for every op: it is the library's hot path).
        arrays, needs, versions, any_needs = [], [], [], False
        for t in inputs:
            if isinstance(t, Tensor):
                arrays.append(t.data)
                needs.append(t.requires_grad)
                versions.append(t._version)
                any_needs = any_needs or t.requires_grad
            else:
                arrays.append(t)
                needs.append(False)
                versions.append(0)
        ctx.needs_input_grad = needs = tuple(needs)
        out = cls.forward(ctx, *arrays, **params)
        if any_needs and grad_mode._enabled:
            ctx.parents = inputs
            # Versions of the inputs now: the engine refuses to run backward if one of them
            # (whose values this node may have saved) was changed in place since. The global
            # write count lets it skip that check when nothing was written at all.
            ctx.versions = tuple(versions)
            ctx.writes = Tensor._writes
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
