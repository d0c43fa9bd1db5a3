"""``gradcheck``: compare an op's analytic gradient with central finite differences.

For a function f of tensors x_1..x_k and a fixed random cotangent v of f's output, the
backward pass gives  d(v . f)/dx_i  at once; central differences estimate each entry as

    (v . f(x + eps e_j) - v . f(x - eps e_j)) / (2 eps)

in float64. Checking one random direction v catches wrong formulas as surely as the full
Jacobian does (a wrong entry would have to be orthogonal to a random vector) and costs
2 * numel forward passes instead of numel backward ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when an analytic gradient disagrees with finite differences."""


@dataclass
class InputReport:
    """How far the analytic gradient of one input is from the numeric one."""

    index: int
    shape: tuple
    max_abs_error: float
    max_rel_error: float
    worst_position: tuple
    analytic: float
    numeric: float
    ok: bool

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        return (
            f"input {self.index} (shape {self.shape}): {verdict}; largest absolute error "
            f"{self.max_abs_error:.3e}, largest relative error {self.max_rel_error:.3e}, worst "
            f"at {self.worst_position} (analytic {self.analytic:.10g}, numeric "
            f"{self.numeric:.10g})"
        )


def _outputs(result) -> list:
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [t for t in items if isinstance(t, Tensor) and t.dtype.kind == "f"]


def _weighted_sum(outputs, cotangents, live) -> float:
    """v . f over the outputs marked ``live`` (those the backward pass also saw)."""
    return float(sum(np.sum(o.data * v) for o, v, k in zip(outputs, cotangents, live) if k))


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, seed: int = 0) -> bool:
    """Check the gradients of ``fn(*inputs)`` against central differences in float64.

    ``inputs`` is a tensor or a sequence of tensors (and other arguments passed through);
    tensors with ``requires_grad=True`` are checked and must be float64. Every floating output
    is weighted by a random cotangent (drawn from ``seed``). An entry passes when
    ``|analytic - numeric| <= atol + rtol * |numeric|`` (so a NaN on either side fails). On
    failure it raises ``GradcheckError`` (or returns False) with, for each input, the largest
    absolute and relative error and where it occurred.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True; nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences need "
                "float64 inputs (use .double())"
            )
    # A checked non-leaf keeps its place in the graph (fn may also reach it through a
    # closure): it retains its .grad for this check, as torch's autograd.grad(out, inputs).
    retained = {id(inputs[i]): (inputs[i], inputs[i]._retains_grad) for i in checked
                if inputs[i].grad_fn is not None}
    for t, _ in retained.values():
        t._retains_grad = True
    try:
        return _run_check(fn, inputs, checked, eps, atol, rtol, raise_exception, seed)
    finally:
        for t, flag in retained.values():
            t._retains_grad = flag


def _run_check(fn, inputs, checked, eps, atol, rtol, raise_exception, seed) -> bool:
    """gradcheck once its inputs are validated: the caller's .grad, the inputs' values and
    every other gradient the backward reaches are put back afterwards, also on error."""
    from glassnet.autograd.engine import topological_order

    outputs = _outputs(fn(*inputs))
    if not outputs:
        raise ValueError("gradcheck: fn returned no floating point tensor to differentiate")
    checked_ids = {id(inputs[i]) for i in checked}
    others = {id(t): t for o in outputs if o.requires_grad for t in topological_order(o)
              if (t.grad_fn is None or t._retains_grad) and id(t) not in checked_ids}
    others_grads = [(t, t.grad, None if t.grad is None else t.grad.data,
                     None if t.grad is None else t.grad.data.copy()) for t in others.values()]
    # A stream of its own: default_rng(seed) would give back the very numbers a test drew
    # for its input from the same seed, and a cotangent equal to the input can be blind
    # (batch norm's input gradient is ~0 along that direction).
    rng = np.random.default_rng((seed, 0x6772616463))
    cotangents = [rng.standard_normal(o.shape) for o in outputs]

    # The caller's .grad and arrays are restored at the end; a read-only input (an expanded
    # view) is perturbed through a private copy.
    saved = {i: (inputs[i].grad, inputs[i].data, inputs[i].data.copy()) for i in checked}
    for i in checked:
        inputs[i].grad = None
        if not inputs[i].data.flags.writeable:
            inputs[i].data = inputs[i].data.copy()
    try:
        return _check(fn, inputs, checked, cotangents, outputs, eps, atol, rtol,
                      raise_exception)
    finally:
        for i, (grad, data, values) in reversed(saved.items()):
            inputs[i].grad, inputs[i].data = grad, data
            if data.flags.writeable:
                data[...] = values
        for leaf, grad, array, values in others_grads:
            leaf.grad = grad
            if grad is not None:
                array[...] = values
                grad.data = array


def _check(fn, inputs, checked, cotangents, outputs, eps, atol, rtol, raise_exception):
    # Analytic: one backward pass of v . f.
    for o, v in zip(outputs, cotangents):
        if not o.requires_grad:
            continue
        o.backward(v.astype(o.dtype), retain_graph=True)

    live = [o.requires_grad for o in outputs]
    live = live if any(live) else [True] * len(outputs)  # torch: then numeric must be 0
    reports = []
    for i in checked:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else x.grad.data.astype(np.float64)
        numeric = np.zeros(x.shape)
        for pos in np.ndindex(*x.shape):
            original = x.data[pos]
            x.data[pos] = original + eps
            plus = _weighted_sum(_outputs(fn(*inputs)), cotangents, live)
            x.data[pos] = original - eps
            minus = _weighted_sum(_outputs(fn(*inputs)), cotangents, live)
            x.data[pos] = original
            numeric[pos] = (plus - minus) / (2 * eps)
        abs_err = np.abs(analytic - numeric)
        rel_err = abs_err / np.maximum(np.abs(numeric), 1e-12)
        bad = ~(abs_err <= atol + rtol * np.abs(numeric))  # a NaN on either side fails
        if x.data.size:
            worst = np.unravel_index(int(np.argmax(abs_err - (atol + rtol * np.abs(numeric)))),
                                     x.shape) if x.ndim else ()
            reports.append(InputReport(
                i, x.shape, float(abs_err.max()), float(rel_err.max()),
                tuple(int(w) for w in worst), float(analytic[worst]), float(numeric[worst]),
                not bad.any()))
    failed = [r for r in reports if not r.ok]
    if failed:
        owner = getattr(fn, "__self__", None)  # Function.apply names its Function class
        name = owner.__name__ if isinstance(owner, type) else getattr(fn, "__name__", repr(fn))
        message = f"gradcheck of {name}: analytic and numeric gradients disagree\n" + "\n".join(
            "  " + str(r) for r in reports) + _first_faulty_op(fn, inputs, eps, atol, rtol)
        if raise_exception:
            raise GradcheckError(message)
        return False
    return True


def _first_faulty_op(fn, inputs, eps: float, atol: float, rtol: float) -> str:
    """Which op is to blame: ``check_model``'s check of each recorded graph node against
    finite differences of its own forward, first to last; '' where none can be singled
    out (every node agrees on its own, or fn cannot be recorded)."""
    from glassnet.autograd import locate  # (locate imports this module)

    try:
        nodes = locate._record(fn, tuple(inputs), None, None)
        rng = np.random.default_rng(0)
        for index, node in enumerate(nodes):
            report = locate._check_node(index, node, eps, atol, rtol, rng, 200)
            if report is not None and not report.ok:
                return f"\n  the first op whose backward disagrees: {report}"
    except Exception:  # noqa: BLE001  (the mismatch above is the finding; this is a hint)
        return ""
    return ""
