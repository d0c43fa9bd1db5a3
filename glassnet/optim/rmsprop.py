"""``RMSprop``: divide the gradient by a running root-mean-square of recent gradients, with
PyTorch's update rule (``torch.optim.RMSprop``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from glassnet.autograd import versions
from glassnet.optim.optimizer import (
    Optimizer,
    check_nonnegative,
    grad_of,
    implementation_options,
    lerp_,
    scalar,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e; centered form from Graves, 2013).

    For each parameter :math:`\theta` with gradient :math:`g_t`::

        g_t     <- -g_t                                      if maximize
        g_t     <- g_t + weight_decay * theta_{t-1}          if weight_decay != 0
        v_t     =  alpha * v_{t-1} + (1 - alpha) * g_t^2             (state "square_avg")
        if centered:
            a_t  =  alpha * a_{t-1} + (1 - alpha) * g_t              (state "grad_avg")
            d_t  =  sqrt(v_t - a_t^2) + eps
        else:
            d_t  =  sqrt(v_t) + eps
        if momentum > 0:
            b_t     =  momentum * b_{t-1} + g_t / d_t                (state "momentum_buffer")
            theta_t =  theta_{t-1} - lr * b_t
        else:
            theta_t =  theta_{t-1} - lr * g_t / d_t

    All buffers start at zero. Parameters whose ``.grad`` is None are skipped.

    Args:
        params: Tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the averages (default 0.99).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty added to the gradient (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by the estimated variance instead of the raw second moment.
        maximize: ascend the objective instead of descending it.
    """

    required_state = frozenset({"step", "square_avg"})

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        implementation_options("RMSprop", foreach=foreach, capturable=capturable,
                               differentiable=differentiable)
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                    "momentum": momentum, "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        check_nonnegative("RMSprop", "learning rate", options["lr"])
        check_nonnegative("RMSprop", "eps", options["eps"])
        check_nonnegative("RMSprop", "momentum", options["momentum"])
        check_nonnegative("RMSprop", "weight_decay", options["weight_decay"])
        check_nonnegative("RMSprop", "alpha", options["alpha"])

    def step(self, closure: Callable | None = None):
        """One update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._run_closure(closure)
        state = self.state
        for gi, group in enumerate(self.param_groups):
            lr = scalar(group["lr"])
            alpha = scalar(group["alpha"])
            eps = scalar(group["eps"])
            weight_decay = scalar(group["weight_decay"])
            momentum = scalar(group["momentum"])
            centered = group["centered"]
            maximize = group["maximize"]
            for i, p in enumerate(group["params"]):
                g = grad_of("RMSprop", p, gi, i)
                if g is None:
                    continue
                theta = p.data
                st = state[p]
                if not st:
                    st["step"] = 0
                    st["square_avg"] = np.zeros_like(theta)
                    if momentum > 0:
                        st["momentum_buffer"] = np.zeros_like(theta)
                    if centered:
                        st["grad_avg"] = np.zeros_like(theta)
                st["step"] += 1
                if maximize:
                    g = -g
                if weight_decay != 0:
                    g = g + weight_decay * theta
                square_avg = st["square_avg"]
                square_avg *= alpha
                scratch = g * (1 - alpha)
                scratch *= g
                square_avg += scratch
                if centered:
                    grad_avg = st.get("grad_avg")
                    if grad_avg is None:
                        grad_avg = st["grad_avg"] = np.zeros_like(theta)
                    lerp_(grad_avg, g, 1 - alpha)
                    avg = np.sqrt(square_avg - grad_avg * grad_avg)
                else:
                    avg = np.sqrt(square_avg)
                avg += eps
                if momentum > 0:
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        buf = st["momentum_buffer"] = np.zeros_like(theta)
                    buf *= momentum
                    buf += g / avg
                    theta -= lr * buf
                else:
                    update = g * lr
                    update /= avg
                    theta -= update
                versions.note_write(theta)
        return loss
