"""``Adagrad``: per-coordinate learning rates from the sum of all past squared gradients, with
PyTorch's update rule (``torch.optim.Adagrad``)."""

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
    scalar,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011).

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t = 1, 2, ...`::

        g_t     <- -g_t                                   if maximize
        g_t     <- g_t + weight_decay * theta_{t-1}       if weight_decay != 0
        lr_t    =  lr / (1 + (t - 1) * lr_decay)
        s_t     =  s_{t-1} + g_t^2                                  (state "sum")
        theta_t =  theta_{t-1} - lr_t * g_t / (sqrt(s_t) + eps)

    ``s_0 = initial_accumulator_value`` everywhere: the constructor's value, also for groups
    added later; a group's own ``initial_accumulator_value`` is kept in the group but not
    used, as in PyTorch. As in PyTorch the state (``"step"`` = 0 and ``"sum"``) exists from
    construction on. Parameters whose ``.grad`` is None are skipped.

    Args:
        params: Tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        initial_accumulator_value: starting value of the sum of squares (default 0).
        eps: added to the denominator for numerical stability (default 1e-10).
        maximize: ascend the objective instead of descending it.
    """

    required_state = frozenset({"step", "sum"})

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        implementation_options("Adagrad", foreach=foreach, fused=fused,
                               differentiable=differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        check_nonnegative("Adagrad", "learning rate", options["lr"])
        check_nonnegative("Adagrad", "lr_decay", options["lr_decay"])
        check_nonnegative("Adagrad", "weight_decay", options["weight_decay"])
        check_nonnegative("Adagrad", "initial_accumulator_value",
                          options["initial_accumulator_value"])
        check_nonnegative("Adagrad", "eps", options["eps"])

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(p, group)

    def _init_state(self, p, group: dict[str, Any]) -> dict[str, Any]:
        st = self.state[p]
        if not st:
            st["step"] = 0
            # (PyTorch reads the constructor's value, self.defaults, never the group's)
            st["sum"] = np.full_like(p.data, self.defaults["initial_accumulator_value"])
        return st

    def step(self, closure: Callable | None = None):
        """One update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._run_closure(closure)
        for gi, group in enumerate(self.param_groups):
            lr = scalar(group["lr"])
            lr_decay = scalar(group["lr_decay"])
            eps = scalar(group["eps"])
            weight_decay = scalar(group["weight_decay"])
            maximize = group["maximize"]
            for i, p in enumerate(group["params"]):
                g = grad_of("Adagrad", p, gi, i)
                if g is None:
                    continue
                theta = p.data
                st = self._init_state(p, group)
                st["step"] = step = st["step"] + 1
                if maximize:
                    g = -g
                if weight_decay != 0:
                    g = g + weight_decay * theta
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = st["sum"]
                state_sum += g * g
                std = np.sqrt(state_sum)
                std += eps
                update = g * clr
                update /= std
                theta -= update
                versions.note_write(theta)
        return loss
