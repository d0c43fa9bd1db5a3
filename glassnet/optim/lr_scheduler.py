"""Learning-rate schedulers (PyTorch's ``torch.optim.lr_scheduler``).

A scheduler rewrites ``group["lr"]`` of its optimizer's parameter groups; call
``scheduler.step()`` once per epoch (or per batch for ``OneCycleLR``), after
``optimizer.step()``. Construction already takes the first step (``last_epoch`` becomes 0),
so ``get_last_lr()`` is the rate of the first epoch. ``state_dict()`` holds plain numbers,
lists and strings (JSON-friendly).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from glassnet.optim.optimizer import Optimizer

__all__ = [
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "OneCycleLR",
    "ReduceLROnPlateau",
]


def _check_optimizer(owner: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{owner}: expected an Optimizer (e.g. glassnet.optim.SGD), got "
            f"{type(optimizer).__name__}"
        )


def _per_group(owner: str, name: str, optimizer: Optimizer, value) -> list:
    """One value per parameter group: a list/tuple of that length, or a scalar repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"{owner}: {name} has {len(value)} values but the optimizer has {n} "
                "parameter groups"
            )
        return list(value)
    return [value] * n


class LRScheduler:
    """Base class: subclasses write ``get_lr()``, the rates for the epoch ``last_epoch``
    computed from the current ``group["lr"]`` (the chainable, recursive form) or from
    ``base_lrs`` (``_get_closed_form_lr``, used when ``step(epoch)`` is given).

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        last_epoch: index of the last epoch seen; -1 (default) starts a new schedule. Other
            values resume one, and need ``group["initial_lr"]`` in every group.
    """

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        owner = type(self).__name__
        _check_optimizer(owner, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{owner}: param_groups[{i}] has no 'initial_lr' while resuming with "
                        f"last_epoch={last_epoch}; load the optimizer's state_dict first, or "
                        "use last_epoch=-1 for a new schedule"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates of epoch ``last_epoch`` (called by ``step``)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the latest ``step()``, one per parameter group."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and write the new rates into the optimizer."""
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(
                f"{type(self).__name__}.step(epoch) is deprecated (as in PyTorch); call "
                "step() without arguments", UserWarning, stacklevel=2,
            )
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (numbers, lists, strings)."""
        return {k: _copy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by ``state_dict()``."""
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items()})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


def _copy(value):
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` epochs::

        lr_epoch = base_lr * gamma ** (epoch // step_size)

    Args:
        optimizer: the optimizer.
        step_size: period of the decay, in epochs.
        gamma: multiplicative factor (default 0.1).
        last_epoch: the index of the last epoch (default -1: start).
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if not isinstance(step_size, numbers.Integral) or step_size <= 0:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every epoch::

        lr_epoch = base_lr * gamma ** epoch

    Args:
        optimizer: the optimizer.
        gamma: multiplicative factor.
        last_epoch: the index of the last epoch (default -1: start).
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the learning rate along a cosine from ``base_lr`` down to ``eta_min`` over
    ``T_max`` epochs (and back up over the next ``T_max``, as PyTorch)::

        lr_epoch = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    Computed recursively from the current rate as PyTorch does, so another scheduler or a
    manual change of ``group["lr"]`` composes with it.

    Args:
        optimizer: the optimizer.
        T_max: number of epochs of a half cosine period.
        eta_min: minimum learning rate (default 0).
        last_epoch: the index of the last epoch (default -1: start).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        epoch, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and epoch > 0:
            return [eta_min + (base - eta_min) * (1 + math.cos(epoch * math.pi / t_max)) / 2
                    for base in self.base_lrs]
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            return [g["lr"] + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                    for base, g in zip(self.base_lrs, groups, strict=True)]
        return [(1 + math.cos(math.pi * epoch / t_max))
                / (1 + math.cos(math.pi * (epoch - 1) / t_max))
                * (g["lr"] - eta_min) + eta_min
                for g in groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, 2017): warm the learning rate up from
    ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of the steps, then
    anneal it to ``initial_lr / final_div_factor``; momentum (SGD's ``momentum`` or Adam's
    ``beta1``) moves the opposite way between ``max_momentum`` and ``base_momentum``.

    Phases (``T = total_steps``, anneal = cosine or linear interpolation in ``pct``)::

        two phases:   steps 0 .. pct_start*T - 1   lr: initial -> max,  momentum: max -> base
                      ..      .. T - 1             lr: max -> min,      momentum: base -> max
        three_phase:  0 .. pct_start*T - 1         lr: initial -> max,  momentum: max -> base
                      .. 2*pct_start*T - 2         lr: max -> initial,  momentum: base -> max
                      .. T - 1                     lr: initial -> min,  momentum: max
        cos anneal(start, end, pct) = end + (start - end) / 2 * (1 + cos(pi * pct))

    Step it once per batch. Args as PyTorch: ``total_steps`` or ``epochs`` and
    ``steps_per_epoch``; ``max_lr``, ``base_momentum`` and ``max_momentum`` may be one value
    per parameter group.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        owner = "OneCycleLR"
        _check_optimizer(owner, optimizer)
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(
                    f"{owner}: total_steps must be a positive integer, got {total_steps!r}"
                )
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            for arg, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(value, int) or value <= 0:
                    raise ValueError(f"{owner}: {arg} must be a positive integer, got {value!r}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(
                f"{owner}: give either total_steps or both epochs and steps_per_epoch "
                f"(got total_steps={total_steps!r}, epochs={epochs!r}, "
                f"steps_per_epoch={steps_per_epoch!r})"
            )
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"{owner}: pct_start must be a float in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"{owner}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        total = self.total_steps
        if three_phase:
            self._schedule_phases = [
                {"end_step": float(pct_start * total) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum",
                 "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * total) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum",
                 "end_momentum": "max_momentum"},
                {"end_step": total - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self._schedule_phases = [
                {"end_step": float(pct_start * total) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum",
                 "end_momentum": "base_momentum"},
                {"end_step": total - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]

        max_lrs = _per_group(owner, "max_lr", optimizer, max_lr)
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{owner}: cycle_momentum=True needs an optimizer with momentum or betas, "
                    f"got {type(optimizer).__name__}; pass cycle_momentum=False"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            max_momentums = _per_group(owner, "max_momentum", optimizer, max_momentum)
            base_momentums = _per_group(owner, "base_momentum", optimizer, base_momentum)
        if last_epoch == -1:
            for i, group in enumerate(optimizer.param_groups):
                group["initial_lr"] = max_lrs[i] / div_factor
                group["max_lr"] = max_lrs[i]
                group["min_lr"] = group["initial_lr"] / final_div_factor
                if cycle_momentum:
                    if self.use_beta1:
                        group["betas"] = (max_momentums[i], *group["betas"][1:])
                    else:
                        group["momentum"] = max_momentums[i]
                    group["max_momentum"] = max_momentums[i]
                    group["base_momentum"] = base_momentums[i]
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step_num} times, but total_steps is "
                f"{self.total_steps}"
            )
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == last:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(group[phase["start_momentum"]],
                                                group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the learning rate by ``factor`` when a metric has stopped improving for more
    than ``patience`` epochs; call ``step(metric)`` after each validation.

    A value ``a`` improves on the best so far when (``rel`` / ``abs`` threshold_mode)::

        mode="min":  a < best * (1 - threshold)    /   a < best - threshold
        mode="max":  a > best * (1 + threshold)    /   a > best + threshold

    After ``patience + 1`` epochs without improvement: ``lr <- max(lr * factor, min_lr)``
    (skipped when the change is at most ``eps``), then ``cooldown`` epochs in which bad epochs
    are not counted.

    Args:
        optimizer: the optimizer.
        mode: "min" (default) or "max".
        factor: multiplicative factor, < 1 (default 0.1).
        patience: bad epochs tolerated before a reduction (default 10).
        threshold: significance of an improvement (default 1e-4).
        threshold_mode: "rel" (default) or "abs".
        cooldown: epochs to wait after a reduction (default 0).
        min_lr: lower bound, one value or one per group (default 0).
        eps: smallest change of lr that is applied (default 1e-8).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        owner = "ReduceLROnPlateau"
        if not factor < 1.0:
            raise ValueError(f"{owner}: factor must be < 1.0, got {factor!r}")
        _check_optimizer(owner, optimizer)
        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr = None
            self.min_lrs = _per_group(owner, "min_lr", optimizer, min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got "
                f"{threshold_mode!r}"
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def step(self, metrics, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record one epoch's metric and reduce the rates if it has plateaued."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn("ReduceLROnPlateau.step(metrics, epoch) is deprecated (as in "
                          "PyTorch); call step(metrics)", UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer now has {len(groups)} parameter "
                    f"groups but min_lr was given for {len(self.min_lrs)}; set min_lrs to "
                    "one value per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
