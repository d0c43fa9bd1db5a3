"""``Optimizer``: the base class every optimizer builds on (PyTorch's ``torch.optim.Optimizer``).

An optimizer holds ``param_groups`` (a list of dicts: ``"params"`` plus that group's options,
e.g. ``lr``) and ``state`` (a dict from parameter to its running buffers, e.g. a momentum
buffer). ``step()`` reads each parameter's ``.grad`` and updates ``.data`` in place with NumPy;
no graph is recorded. Subclasses write only ``step`` and ``_check_options``.

``state_dict()`` has PyTorch's layout, with parameters replaced by their index::

    {"state": {0: {"step": 3, "exp_avg": ndarray, ...}, ...},
     "param_groups": [{"lr": 0.1, ..., "params": [0, 1]}, ...]}

Its values are NumPy arrays and Python numbers, so it saves as JSON + safetensors without
pickling. ``load_state_dict`` checks it against the optimizer and changes nothing when it fails.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from glassnet.autograd.grad_mode import enable_grad
from glassnet.tensor import Tensor

__all__ = ["Optimizer"]


def check_option(owner: str, what: str, value, ok: bool, rule: str) -> None:
    """Raise ``ValueError("SGD: invalid learning rate -1.0 (must be >= 0)")`` unless ``ok``."""
    if not ok:
        raise ValueError(f"{owner}: invalid {what} {value!r} (must be {rule})")


def check_nonnegative(owner: str, what: str, value) -> None:
    """``value >= 0`` and not NaN (``not value >= 0`` is True for NaN); one number."""
    shape = tuple(getattr(value, "shape", ()))  # (an array or a Tensor, ours or torch's)
    if math.prod(shape) != 1:
        raise ValueError(f"{owner}: {what} must be one number (a tensor {what} must have one "
                         f"element), got shape {shape}")
    try:
        ok = value >= 0
    except TypeError:
        raise TypeError(
            f"{owner}: {what} must be a number, got {type(value).__name__} {value!r}"
        ) from None
    check_option(owner, what, value, bool(ok), ">= 0")


def _copy_value(value):
    """A snapshot of one state value: arrays copied, NumPy scalars made Python numbers."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Tensor):
        return value.data.copy()
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_value(v) for v in value)
    return value


def _as_number(value):
    """A Python int or float from a number, a NumPy scalar, a 0-d/size-1 array or Tensor
    (also another library's array, e.g. PyTorch's 0-d ``step`` tensor)."""
    if isinstance(value, Tensor):
        value = value.data
    elif hasattr(value, "__array__") and not isinstance(value, (np.ndarray, np.generic)):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def scalar(value):
    """A hyperparameter as the update rules compute with it: a Python number from a number,
    a NumPy scalar, or a one-element array or Tensor (glassnet's or PyTorch's: PyTorch takes
    a Tensor learning rate). A one-element array or Tensor would otherwise turn the update
    into a Tensor expression or promote a float32 parameter's arithmetic to float64 (PyTorch
    treats a 0-d tensor like a Python number there). Anything else is returned as it is.

    One known difference: Adam, AdamW and Adagrad in PyTorch keep a tensor lr a tensor, so a
    float32 lr tensor rounds their step size (lr / bias correction, 1 - lr * weight_decay)
    in float32; here it is computed in double precision (1e-9 to 5e-8 apart after a few
    steps on float64 parameters; identical for a float64 lr tensor and for SGD, RMSprop)."""
    if type(value) is float or type(value) is int:  # (not NumPy's float64, a float subclass)
        return value
    try:
        return _as_number(value)
    except (TypeError, ValueError):  # not one number: the update's arithmetic says why
        return value


def _split_names(owner: str, params: list, groups: list):
    """The names of ``params`` given as (name, Tensor) pairs, e.g. ``named_parameters()``
    (PyTorch 2.13 keeps them as the group's ``param_names``), or None for plain Tensors.
    As in PyTorch, a group's parameters are all named or none are, and so are all groups."""
    named = [isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params]
    if any(named) and not all(named):
        raise ValueError(f"{owner}: all parameters of a group must be named (name, Tensor) "
                         f"pairs or none; params[{named.index(False)}] is a "
                         f"{type(params[named.index(False)]).__name__}")
    is_named = bool(params) and all(named)
    if groups and is_named != ("param_names" in groups[0]):
        raise ValueError(f"{owner}: all parameter groups must be given with names "
                         "(named_parameters()) or all without")
    return [n for n, _ in params] if is_named else None


def implementation_options(owner: str, foreach=None, fused=None, capturable=False,
                           differentiable=False) -> None:
    """PyTorch's switches between implementations of the same update. glassnet has one
    implementation of each (NumPy arrays, updated in place), so ``foreach`` and ``fused``
    are accepted and change nothing; ``capturable`` (CUDA graph capture) and
    ``differentiable`` (a graph through the update) have no meaning here and are refused."""
    for arg, value in (("foreach", foreach), ("fused", fused)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{owner}: argument '{arg}' must be a bool or None, got {value!r}")
    if capturable:
        raise ValueError(f"{owner}: capturable=True is for CUDA graph capture; glassnet "
                         "updates NumPy arrays on the CPU, so leave it False")
    if differentiable:
        raise ValueError(f"{owner}: differentiable=True is not supported: glassnet's "
                         "optimizers update the parameters in place and record no graph")


def grad_of(owner: str, p, gi: int, i: int):
    """``p.grad`` as an array, checked against ``p``'s shape (None when there is no grad)."""
    grad = p.grad
    if grad is None:
        return None
    g = grad.data
    if g.shape != p.data.shape:
        raise ValueError(
            f"{owner}.step: parameter {i} of group {gi} has shape {p.data.shape} but its "
            f"grad has shape {g.shape}"
        )
    return g


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start <- start + weight * (end - start)`` in place, in PyTorch's two-branch form
    (the branch keeps the result exact at weight 0 and 1)."""
    diff = end - start
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        np.subtract(end, diff, out=start)


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups), each with
            a ``"params"`` entry and any options that differ from ``defaults`` for that group,
            e.g. ``[{"params": body}, {"params": head, "lr": 1e-2}]``.
        defaults: the default options of every group (the optimizer's keyword arguments).
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self._check_options(defaults)
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params should be an iterable of Tensors or dicts, got a single "
                f"Tensor of shape {params.shape}; pass a list, e.g. {name}([t], ...)"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{name}: params must be an ordered collection (list, tuple, generator), got "
                "a set, whose order changes between runs and would scramble state_dict()"
            )
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)  # parameter -> its state dict
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # The buffers a parameter's state always holds once it has been stepped, which step()
    # reads without a default: ``load_state_dict`` refuses a non-empty state without them
    # (another optimizer class's, which would fail at the next step). Extra entries, e.g. a
    # wrapper's own, are kept. Empty, as here, checks nothing.
    required_state: frozenset = frozenset()

    # ------------------------------------------------------------------ to override
    def _check_options(self, options: dict[str, Any]) -> None:
        """Raise ValueError for an invalid option value (called for defaults and each group)."""

    def step(self, closure: Callable | None = None):
        """Update every parameter that has a ``.grad``; return ``closure()`` if given."""
        raise NotImplementedError

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones from ``defaults``)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}: a parameter group must be a dict, got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(
                f"{name}: a parameter group needs a 'params' entry, got keys "
                f"{sorted(param_group)}"
            )
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{name}: a group's params must be an ordered collection, got a set, whose "
                "order changes between runs"
            )
        else:
            params = list(params)
        names = _split_names(name, params, self.param_groups)
        if names is not None:
            params = [p for _, p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: can only optimize Tensors, but params[{i}] is "
                    f"{type(p).__name__}"
                )
            if p.grad_fn is not None and not p._retains_grad:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (params[{i}], shape {p.shape}, "
                    f"made by {p.grad_fn!r}); optimize the leaves it was computed from"
                )
        group = {k: v for k, v in param_group.items() if k != "params"}
        if names is not None:  # PyTorch keeps them as the group's first entry
            group = {"param_names": names, **group}
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._check_options(group)
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            warnings.warn(
                f"{name}: a parameter group contains the same parameter more than once; it "
                "will be updated once per occurrence",
                stacklevel=3,
            )
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if not taken.isdisjoint(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = params
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: set it to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.data.fill(0)

    def _run_closure(self, closure: Callable | None):
        """Evaluate ``closure`` (which recomputes the loss and calls backward) with grad on."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state with parameters replaced by their index (a snapshot: arrays
        are copies, so later steps do not change a state dict already taken)."""
        index: dict[int, int] = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: _copy_value(v) for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = _copy_value(self.state[p])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state from ``state_dict()``. The groups must hold the same number of
        parameters, and every state array the shape of its parameter; on any mismatch a
        ValueError says what differs and the optimizer is left as it was."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        missing = [k for k in ("state", "param_groups") if k not in state_dict]
        if missing:
            raise ValueError(
                f"{name}: the state dict lacks {missing} (it has keys {sorted(state_dict)}); "
                "expected the output of Optimizer.state_dict()"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the state dict has {len(saved_groups)} parameter groups but the "
                f"optimizer has {len(self.param_groups)}"
            )
        id_map: dict[int, Tensor] = {}
        new_groups = []
        for gi, group in enumerate(self.param_groups):
            saved = saved_groups[gi]
            saved_params = list(saved.get("params", []))
            if len(saved_params) != len(group["params"]):
                raise ValueError(
                    f"{name}: parameter group {gi} has {len(saved_params)} parameters in the "
                    f"state dict but {len(group['params'])} in the optimizer"
                )
            for index, p in zip(saved_params, group["params"], strict=True):
                id_map[int(index)] = p
            new_group = dict(group)
            for key, value in saved.items():
                if key == "params":
                    continue
                # JSON turns tuples (Adam's betas) into lists: give back the tuple.
                if isinstance(group.get(key), tuple) and isinstance(value, list):
                    value = tuple(value)
                new_group[key] = _copy_value(value)
            self._check_options(new_group)
            new_groups.append(new_group)

        new_state: defaultdict = defaultdict(dict)
        for key, param_state in state_dict["state"].items():
            try:
                index = int(key)  # JSON makes the integer keys strings
            except (TypeError, ValueError):
                raise ValueError(
                    f"{name}: state keys must be parameter indices, got {key!r}"
                ) from None
            if index not in id_map:
                raise ValueError(
                    f"{name}: the state dict has state for parameter index {index}, but its "
                    f"parameter groups list only indices {sorted(id_map)}"
                )
            p = id_map[index]
            self._check_state_keys(name, index, param_state)
            new_state[p] = {k: self._load_value(name, index, p, k, v)
                            for k, v in param_state.items()}

        for group, new_group in zip(self.param_groups, new_groups, strict=True):
            group.clear()
            group.update(new_group)
        self.state = new_state

    def _check_state_keys(self, name: str, index: int, param_state) -> None:
        missing = self.required_state - set(param_state) if param_state else ()
        if missing:
            raise ValueError(
                f"{name}: the state of parameter {index} has {sorted(param_state)} but lacks "
                f"{sorted(missing)}, which {type(self).__name__} keeps; is it another "
                "optimizer's state?")

    @staticmethod
    def _load_value(name: str, index: int, p: Tensor, key: str, value):
        where = f"{name}: state {key!r} of parameter {index}"
        if key == "step":
            try:
                step = _as_number(value)
            except (TypeError, ValueError, RuntimeError):
                step = None
            if isinstance(step, bool) or not isinstance(step, (int, float)) or not (
                    math.isfinite(step) and step >= 0):
                raise ValueError(f"{where} must be a count >= 0, got {value!r}")
            return step
        if value is None and key == "momentum_buffer":  # SGD's, before its first step
            return None
        try:
            if isinstance(value, Tensor):
                value = value.data
            elif isinstance(value, (list, tuple, int, float, np.generic)) and not isinstance(
                    value, bool):
                # JSON gives arrays back as lists, and 0-d arrays as plain numbers.
                value = np.asarray(value, dtype=p.dtype)
            elif hasattr(value, "__array__") and not isinstance(value, np.ndarray):
                value = np.asarray(value)  # another library's array, e.g. a torch.Tensor
        except (TypeError, ValueError, RuntimeError) as e:  # e.g. bfloat16, requires_grad
            raise ValueError(f"{where} cannot be read as an array ({e})") from None
        if not isinstance(value, np.ndarray):
            raise ValueError(
                f"{name}: state {key!r} of parameter {index} is a {type(value).__name__}; "
                "expected an array of the parameter's shape")
        if value.shape != p.shape:
            raise ValueError(
                f"{name}: state {key!r} of parameter {index} has shape {value.shape} but "
                f"the parameter has shape {p.shape}"
            )
        if value.dtype.kind != "f":
            raise ValueError(
                f"{name}: state {key!r} of parameter {index} has dtype {value.dtype}; "
                "expected a floating array"
            )
        return value.astype(p.dtype, copy=True)  # own memory, the parameter's dtype

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
