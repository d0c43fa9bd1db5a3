"""``Adam`` and ``AdamW``: adaptive moment estimation, with PyTorch's update rules
(``torch.optim.Adam``, ``torch.optim.AdamW``). AdamW is Adam with decoupled weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from glassnet.autograd import versions
from glassnet.optim.optimizer import (
    Optimizer,
    check_nonnegative,
    check_option,
    grad_of,
    implementation_options,
    lerp_,
    scalar,
)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), with the AMSGrad variant (Reddi et al., 2018).

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t = 1, 2, ...`::

        g_t     <- -g_t                                   if maximize
        theta   <- theta * (1 - lr * weight_decay)        if decoupled_weight_decay (AdamW)
        g_t     <- g_t + weight_decay * theta_{t-1}       otherwise, if weight_decay != 0
        m_t     =  beta1 * m_{t-1} + (1 - beta1) * g_t            (state "exp_avg")
        v_t     =  beta2 * v_{t-1} + (1 - beta2) * g_t^2          (state "exp_avg_sq")
        vmax_t  =  max(vmax_{t-1}, v_t)     if amsgrad, used instead of v_t below
                                                                  (state "max_exp_avg_sq")
        denom   =  sqrt(v_t) / sqrt(1 - beta2^t) + eps
        theta_t =  theta_{t-1} - lr / (1 - beta1^t) * m_t / denom

    ``m`` and ``v`` start at zero; ``(1 - beta^t)`` corrects their bias towards zero.
    Parameters whose ``.grad`` is None are skipped.

    Args:
        params: Tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moment averages (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty (default 0), added to the gradient unless decoupled.
        amsgrad: use the running maximum of ``v`` (default False).
        maximize: ascend the objective instead of descending it.
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
    """

    required_state = frozenset({"step", "exp_avg", "exp_avg_sq"})

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        implementation_options(type(self).__name__, foreach=foreach, fused=fused,
                               capturable=capturable, differentiable=differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        name = type(self).__name__
        check_nonnegative(name, "learning rate", options["lr"])
        check_nonnegative(name, "eps", options["eps"])
        betas = options["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for k, beta in enumerate(betas):
            check_option(name, f"beta parameter at index {k}", beta,
                         bool(0.0 <= beta < 1.0), "in [0, 1)")
        check_nonnegative(name, "weight_decay", options["weight_decay"])

    def step(self, closure: Callable | None = None):
        """One update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._run_closure(closure)
        name = type(self).__name__
        state = self.state
        for gi, group in enumerate(self.param_groups):
            lr = scalar(group["lr"])
            beta1, beta2 = (scalar(beta) for beta in group["betas"])
            eps = scalar(group["eps"])
            weight_decay = scalar(group["weight_decay"])
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for i, p in enumerate(group["params"]):
                g = grad_of(name, p, gi, i)
                if g is None:
                    continue
                theta = p.data
                st = state[p]
                if not st:
                    st["step"] = 0
                    st["exp_avg"] = np.zeros_like(theta)
                    st["exp_avg_sq"] = np.zeros_like(theta)
                    if amsgrad:
                        st["max_exp_avg_sq"] = np.zeros_like(theta)
                st["step"] = step = st["step"] + 1
                if maximize:
                    g = -g
                if weight_decay != 0:
                    if decoupled:
                        theta *= 1 - lr * weight_decay
                    else:
                        g = g + weight_decay * theta
                exp_avg, exp_avg_sq = st["exp_avg"], st["exp_avg_sq"]
                lerp_(exp_avg, g, 1 - beta1)
                exp_avg_sq *= beta2
                scratch = g * (1 - beta2)
                scratch *= g
                exp_avg_sq += scratch
                step_size = lr / (1 - beta1**step)
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                if amsgrad:
                    max_sq = st.get("max_exp_avg_sq")
                    if max_sq is None:  # amsgrad switched on after the first step
                        max_sq = st["max_exp_avg_sq"] = np.zeros_like(theta)
                    np.maximum(max_sq, exp_avg_sq, out=max_sq)
                    denom = np.sqrt(max_sq)
                else:
                    denom = np.sqrt(exp_avg_sq)
                denom /= bias_correction2_sqrt
                denom += eps
                update = exp_avg * step_size
                update /= denom
                theta -= update
                versions.note_write(theta)
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    The same update as :class:`Adam` except that weight decay shrinks the weights directly,
    before the Adam step, instead of entering the gradient (and so the moment estimates)::

        theta <- theta * (1 - lr * weight_decay)
        (then the Adam update of theta with the raw gradient g_t)

    Args: as :class:`Adam`, with ``weight_decay`` defaulting to 1e-2.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         foreach=foreach, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
