"""``check_model``: a gradient check of a whole model that points at the faulty op.

``gradcheck`` says *whether* a function's gradient is wrong; on a model of many layers that
is not enough to fix it. ``check_model`` runs the model's forward once in float64 while
recording every graph node (each ``Function.apply`` call) in the order it was created, which
is forward order, together with the module whose ``forward`` was running at the time. Then
it checks the nodes one by one, first to last. For a node f with inputs x_1..x_k, output
y = f(x) and a fixed random cotangent v of y's shape, the node's own backward gives

    g_i = d(v . f(x)) / dx_i        (one call of ``backward(ctx, v)``)

and central differences of the node's own forward, on the inputs it saw, estimate

    g_i[j] ~ (v . f(x + eps e_j) - v . f(x - eps e_j)) / (2 eps)

An entry passes when ``|analytic - numeric| <= atol + rtol * |numeric|``. The first node
that fails is reported with its op (the Function class name), its layer (the dotted module
name, as in ``state_dict`` keys, and the module's class), its input shapes and the largest
absolute and relative errors. Checking each node against its own forward, rather than the
whole model end to end, is what localises the fault: a wrong backward upstream or
downstream cannot hide or mimic it.

Nothing is patched permanently: ``Function.apply`` and the modules' ``forward`` are wrapped
only while the recording forward runs, and the parameters' dtype, the random generator's
state and the modules' parameters and buffers are restored afterwards, also on error. The
op hot path is untouched when no check runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from glassnet import random
from glassnet.autograd import grad_mode
from glassnet.autograd.check import GradcheckError, InputReport
from glassnet.autograd.function import Function
from glassnet.tensor import Tensor

__all__ = ["check_model", "ModelCheckError", "ModelCheckReport", "NodeReport"]


class ModelCheckError(GradcheckError):
    """Raised by ``check_model`` when an op's backward disagrees with finite differences;
    ``.report`` holds the ``ModelCheckReport``."""

    def __init__(self, report: ModelCheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass
class NodeReport:
    """The check of one graph node (one op call), in forward order."""

    index: int  # 0-based position among the graph nodes, in forward (creation) order
    op: str  # the Function class name, e.g. "Linear", "Sigmoid"
    layer: str  # dotted module name ("2", "encoder.fc"); "" for the model itself
    layer_type: str  # the module's class name, or "loss_fn" / "model"
    input_shapes: tuple  # one shape per positional input (None for non-array inputs)
    inputs: list = field(default_factory=list)  # InputReport per checked input
    error: str = ""  # backward raised, returned a wrong shape, ...: why it failed outright
    ok: bool = True

    @property
    def max_abs_error(self) -> float:
        return max((r.max_abs_error for r in self.inputs), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((r.max_rel_error for r in self.inputs), default=0.0)

    @property
    def where(self) -> str:
        if self.layer_type == "loss_fn":
            return "the loss function"
        if self.layer == "":
            return f"the model's own forward ({self.layer_type})"
        return f"layer '{self.layer}' ({self.layer_type})"

    def __str__(self) -> str:
        shapes = ", ".join("-" if s is None else str(s) for s in self.input_shapes)
        head = (f"op #{self.index} {self.op} in {self.where}, input shapes {shapes}: "
                f"{'ok' if self.ok else 'MISMATCH'}; largest absolute error "
                f"{self.max_abs_error:.3e}, largest relative error {self.max_rel_error:.3e}")
        lines = [head]
        if self.error:
            lines.append("    " + self.error)
        lines += ["    " + str(r) for r in self.inputs if not r.ok]
        return "\n".join(lines)


@dataclass
class ModelCheckReport:
    """The outcome of ``check_model``: the nodes checked (up to and including the first
    failure) and that failure, if any. True when every node passed."""

    nodes: list  # NodeReport per node checked, in forward order
    total: int  # graph nodes recorded in the forward pass
    failure: NodeReport | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            worst = max((n.max_abs_error for n in self.nodes), default=0.0)
            return (f"check_model: all {self.total} ops agree with finite differences "
                    f"(largest absolute error {worst:.3e})")
        fail = self.failure
        passed = [n for n in self.nodes if n.ok]
        lines = [
            f"check_model: op #{fail.index} ({fail.op}) in {fail.where} is the first op, in "
            f"forward order, whose backward disagrees with finite differences of its forward",
            "  " + str(fail),
        ]
        if passed:
            lines.append(f"  the {len(passed)} op(s) before it agree: " + ", ".join(
                f"{n.op} ({n.where}, abs err {n.max_abs_error:.1e})" for n in passed))
        return "\n".join(lines)


@dataclass
class _Node:
    """What the recording forward saw of one op call."""

    cls: type
    arrays: list  # copies of the positional inputs (arrays or constants)
    needs: tuple  # which inputs need a gradient
    params: dict
    layer: str
    layer_type: str
    rng_state: dict  # the generator state the op drew from (dropout masks)


def _to_float64(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float64)
    return value


def _as_model_input(value, name: str):
    """Float inputs become float64 leaves that require grad, so every node downstream of
    them is recorded and checked; integer inputs (indices, labels) pass unchanged."""
    if isinstance(value, (Tensor, np.ndarray)):
        array = value.data if isinstance(value, Tensor) else value
        if array.dtype.kind == "f":
            return Tensor(array.astype(np.float64), requires_grad=True)
        return value if isinstance(value, Tensor) else Tensor(array)
    if isinstance(value, (int, float, bool, type(None), str)):
        return value
    raise TypeError(f"check_model: {name} must be a Tensor, a NumPy array or a number, got "
                    f"{type(value).__name__}")


def _record(model, inputs: tuple, loss_fn, target) -> list:
    """Run the forward (and the loss) once, recording every graph node in creation order."""
    from glassnet.nn.module import Module

    nodes: list[_Node] = []
    stack = [("", type(model).__name__ if isinstance(model, Module) else "model")]
    original_apply = Function.__dict__["apply"]

    recording_thread = threading.get_ident()  # Function.apply is patched for every thread

    def recording_apply(cls, *args, **params):
        needs = tuple(isinstance(t, Tensor) and t.requires_grad for t in args)
        record = (grad_mode.is_grad_enabled() and True in needs
                  and threading.get_ident() == recording_thread)
        if record:
            arrays = [t.data.copy() if isinstance(t, Tensor) else t for t in args]
            state = random.get_rng_state()
        out = original_apply.__func__(cls, *args, **params)
        if record:
            layer, layer_type = stack[-1]
            nodes.append(_Node(cls, arrays, needs, dict(params), layer, layer_type, state))
        return out

    def tagged(forward: Callable, name: str, type_name: str) -> Callable:
        def forward_in_layer(*args, **kwargs):
            stack.append((name, type_name))
            try:
                return forward(*args, **kwargs)
            finally:
                stack.pop()
        return forward_in_layer

    modules = []  # (module, its own 'forward' instance attribute or None)
    if isinstance(model, Module):
        modules += [(name, m) for name, m in model.named_modules()]
    if isinstance(loss_fn, Module):
        modules += [(None, m) for m in loss_fn.modules()]
    wrapped = []
    Function.apply = classmethod(recording_apply)
    try:
        for name, m in modules:
            own = m.__dict__.get("forward")
            wrapped.append((m, own))
            label = ("", "loss_fn") if name is None else (name, type(m).__name__)
            object.__setattr__(m, "forward", tagged(m.forward, *label))
        with grad_mode.enable_grad():
            output = model(*inputs)
            if loss_fn is not None:
                stack.append(("", "loss_fn"))
                try:
                    output = loss_fn(output) if target is None else loss_fn(output, target)
                finally:
                    stack.pop()
    finally:
        Function.apply = original_apply
        for m, own in wrapped:
            if own is None:
                m.__dict__.pop("forward", None)
            else:
                object.__setattr__(m, "forward", own)
    if not isinstance(output, Tensor):
        what = "loss_fn" if loss_fn is not None else "the model"
        raise TypeError(f"check_model: {what} returned {type(output).__name__}, expected a "
                        "Tensor")
    return nodes


def _forward(node: _Node, arrays: list):
    """The node's forward on ``arrays`` (copied: an op may work in place), drawing the same
    random numbers as in the recorded pass."""
    random.set_rng_state(node.rng_state)
    ctx = node.cls()
    ctx.needs_input_grad = node.needs
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in arrays]
    return ctx, node.cls.forward(ctx, *args, **node.params)


def _check_node(index: int, node: _Node, eps: float, atol: float, rtol: float,
                rng: np.random.Generator, max_entries: int | None) -> NodeReport | None:
    arrays = [_to_float64(a) for a in node.arrays]
    shapes = tuple(tuple(a.shape) if isinstance(a, np.ndarray) else None for a in arrays)
    report = NodeReport(index, node.cls.__name__, node.layer, node.layer_type, shapes)
    ctx, out = _forward(node, arrays)
    if not isinstance(out, np.ndarray) or out.dtype.kind != "f":
        return None  # an integer or non-array output has no gradient to check
    v = rng.standard_normal(out.shape)
    try:
        grads = node.cls.backward(ctx, v.copy())
    except Exception as error:  # noqa: BLE001  (any failure of backward is the finding)
        report.ok = False
        report.error = f"backward raised {type(error).__name__}: {error}"
        return report
    if not isinstance(grads, tuple):
        grads = (grads,)
    for i, (x, need) in enumerate(zip(arrays, node.needs)):
        if not need:
            continue
        g = grads[i] if i < len(grads) else None
        if g is None:
            report.ok = False
            report.error = (f"backward returned no gradient for input {i} (shape {x.shape}), "
                            "which needs one")
            continue
        g = np.asarray(g, dtype=np.float64)
        if g.shape != x.shape and _broadcasts_to(x.shape, g.shape):
            from glassnet.ops._util import unbroadcast
            g = unbroadcast(g, tuple(x.shape))  # the engine sums it down likewise
        if g.shape != x.shape:
            report.ok = False
            report.error = (f"backward returned a gradient of shape {g.shape} for input {i} "
                            f"of shape {x.shape}")
            continue
        positions = list(np.ndindex(*x.shape))
        if max_entries is not None and len(positions) > max_entries:
            picked = rng.choice(len(positions), size=max_entries, replace=False)
            positions = [positions[k] for k in np.sort(picked)]
        analytic = np.array([g[p] for p in positions])
        numeric = np.empty(len(positions))
        for k, pos in enumerate(positions):
            original = x[pos]
            x[pos] = original + eps
            plus = float(np.sum(_forward(node, arrays)[1] * v))
            x[pos] = original - eps
            minus = float(np.sum(_forward(node, arrays)[1] * v))
            x[pos] = original
            numeric[k] = (plus - minus) / (2 * eps)
        if not positions:
            continue
        abs_err = np.abs(analytic - numeric)
        abs_err[~np.isfinite(abs_err)] = np.inf
        rel_err = abs_err / np.maximum(np.abs(numeric), 1e-12)
        excess = abs_err - (atol + rtol * np.abs(numeric))
        worst = int(np.argmax(excess))
        entry = InputReport(i, tuple(x.shape), float(abs_err.max()), float(rel_err.max()),
                            tuple(int(w) for w in positions[worst]), float(analytic[worst]),
                            float(numeric[worst]), not bool((excess > 0).any()))
        report.inputs.append(entry)
        report.ok = report.ok and entry.ok
    return report


def _broadcasts_to(shape: tuple, grad_shape: tuple) -> bool:
    """Whether broadcasting ``shape`` gives ``grad_shape`` (then the gradient is summed)."""
    try:
        return np.broadcast_shapes(shape, grad_shape) == grad_shape
    except ValueError:
        return False


def _snapshot(modules: list) -> list:
    """Each module's parameter/buffer tables and each tensor's array, to restore later."""
    saved = []
    for m in modules:
        tables = (dict(m._parameters), dict(m._buffers))
        arrays = [(t, t.data) for t in (*tables[0].values(), *tables[1].values())
                  if t is not None]
        saved.append((m, tables, arrays))
    return saved


def _restore(saved: list) -> None:
    for m, (params, buffers), arrays in saved:
        m._parameters.clear()
        m._parameters.update(params)
        m._buffers.clear()
        m._buffers.update(buffers)
        for t, data in arrays:
            t.data = data


def check_model(model, inputs, loss_fn=None, target=None, eps: float = 1e-6,
                atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                seed: int = 0, max_entries: int | None = None) -> ModelCheckReport:
    """Check every op of ``model(*inputs)`` (and of ``loss_fn``) against finite differences,
    in forward order, and name the first op and layer whose backward is wrong.

    Args:
        model: a ``glassnet.nn.Module`` (or any callable of Tensors); its float parameters
            and buffers are cast to float64 for the check and restored afterwards.
        inputs: a Tensor/array or a tuple of them; float ones are copied to float64 leaves
            that require grad, so the ops on them are checked too.
        loss_fn: optional, called as ``loss_fn(output, target)`` (or ``loss_fn(output)``
            when ``target`` is None); its ops are reported as in "the loss function".
        target: the loss target (float targets are cast to float64).
        eps, atol, rtol: the central-difference step and the tolerance
            ``|analytic - numeric| <= atol + rtol * |numeric|``, as in ``gradcheck``.
        raise_exception: raise ``ModelCheckError`` on the first failure (else return the
            report, which is falsy).
        seed: seeds the random cotangents.
        max_entries: check at most this many entries per input of each op (chosen at
            random) to bound the cost on large layers; None checks every entry.

    Returns:
        a ``ModelCheckReport``: the nodes checked, each with its largest errors, and the
        failure (op, layer, input shapes, errors) if one was found.
    """
    from glassnet.nn.module import Module

    if not callable(model):
        raise TypeError(f"check_model: model must be a Module or a callable, got "
                        f"{type(model).__name__}")
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
                or (name == "eps" and value == 0):
            kind = "positive" if name == "eps" else "non-negative"
            raise ValueError(f"check_model: {name} must be a {kind} number, got {value!r}")
    if max_entries is not None and (isinstance(max_entries, bool)
                                    or not isinstance(max_entries, int) or max_entries < 1):
        raise ValueError(f"check_model: max_entries must be a positive int or None, got "
                         f"{max_entries!r}")
    if target is not None and loss_fn is None:
        raise ValueError("check_model: target was given without loss_fn; pass the loss "
                         "function that compares the output with it")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"check_model: loss_fn must be callable, got {type(loss_fn).__name__}")
    raw = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    inputs = tuple(_as_model_input(x, f"inputs[{i}]") for i, x in enumerate(raw))
    if target is not None:
        target = _as_model_input(target, "target")
        if isinstance(target, Tensor):
            target = target.detach() if target.requires_grad else target

    modules = []
    for obj in (model, loss_fn):
        if isinstance(obj, Module):
            modules += list(obj.modules())
    saved = _snapshot(modules)
    rng_state = random.get_rng_state()
    try:
        for _, _, arrays in saved:
            for t, data in arrays:
                t.data = _to_float64(data)
        nodes = _record(model, inputs, loss_fn, target)
        if not nodes:
            raise ValueError("check_model: the forward pass recorded no op with an input that "
                             "requires grad; nothing to check (does the model use its inputs "
                             "and parameters through glassnet ops?)")
        rng = np.random.default_rng(seed)
        checked = []
        failure = None
        for index, node in enumerate(nodes):
            result = _check_node(index, node, eps, atol, rtol, rng, max_entries)
            if result is None:
                continue
            checked.append(result)
            if not result.ok:
                failure = result
                break
    finally:
        _restore(saved)
        random.set_rng_state(rng_state)
    report = ModelCheckReport(checked, len(nodes), failure)
    if failure is not None and raise_exception:
        raise ModelCheckError(report)
    return report
