"""``SGD``: stochastic gradient descent with optional momentum, Nesterov momentum and weight
decay, with PyTorch's update rule (``torch.optim.SGD``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from glassnet.autograd import versions
from glassnet.optim.blas_update import add_scaled_, scale_
from glassnet.optim.optimizer import (
    Optimizer,
    check_nonnegative,
    grad_of,
    implementation_options,
    scalar,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum).

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`::

        g_t   <- -g_t                                   if maximize
        g_t   <- g_t + weight_decay * theta_{t-1}       if weight_decay != 0
        if momentum != 0:
            b_t <- g_t                                  at the first step (no dampening)
            b_t <- momentum * b_{t-1} + (1 - dampening) * g_t   afterwards
            g_t <- g_t + momentum * b_t                 if nesterov
            g_t <- b_t                                  otherwise
        theta_t <- theta_{t-1} - lr * g_t

    The buffer :math:`b` is ``state[p]["momentum_buffer"]``. Parameters whose ``.grad`` is None
    are skipped (their momentum is not decayed either).

    Args:
        params: Tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-3, as PyTorch).
        momentum: momentum factor (default 0).
        dampening: dampening of the gradient in the momentum buffer (default 0).
        weight_decay: L2 penalty coefficient added to the gradient (default 0).
        nesterov: use Nesterov momentum; needs momentum > 0 and dampening == 0.
        maximize: ascend the objective instead of descending it.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        implementation_options("SGD", foreach=foreach, fused=fused,
                               differentiable=differentiable)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        check_nonnegative("SGD", "learning rate", options["lr"])
        check_nonnegative("SGD", "momentum", options["momentum"])
        check_nonnegative("SGD", "weight_decay", options["weight_decay"])
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got "
                f"momentum={options['momentum']!r}, dampening={options['dampening']!r}"
            )

    def step(self, closure: Callable | None = None):
        """One update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._run_closure(closure)
        state = self.state
        for gi, group in enumerate(self.param_groups):
            lr = scalar(group["lr"])
            momentum = scalar(group["momentum"])
            dampening = scalar(group["dampening"])
            weight_decay = scalar(group["weight_decay"])
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for i, p in enumerate(group["params"]):
                g = grad_of("SGD", p, gi, i)
                if g is None:
                    continue
                theta = p.data
                if maximize:
                    g = -g
                if weight_decay != 0:
                    g = g + weight_decay * theta
                if momentum != 0:
                    param_state = state[p]
                    buf = param_state.get("momentum_buffer")
                    if buf is None:
                        # First step: the buffer is the gradient itself, undampened.
                        # (np.array, not the temporary itself: NumPy gives 0-d results
                        # as scalars, and the buffer must be an array updated in place)
                        buf = param_state["momentum_buffer"] = np.array(g)
                    else:
                        scale_(buf, momentum)
                        add_scaled_(buf, 1 - dampening, g)
                    if nesterov:
                        g = np.array(g, dtype=np.result_type(g, buf))  # g + momentum * buf
                        add_scaled_(g, momentum, buf)
                    else:
                        g = buf
                add_scaled_(theta, -lr, g)
                versions.note_write(theta)
        return loss
