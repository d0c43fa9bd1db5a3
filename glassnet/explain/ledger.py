"""The backprop ledger: every number of one forward and backward pass of a small fully
connected network, each with the formula that produced it and the numbers put into it.

Notation (the lectures'): layer l = 1..L is a Linear layer and its activation f_l,

    z_l = W_l h_{l-1} + b_l,   h_l = f_l(z_l),   h_0 = x,   yhat = h_L,
    delta_L = dL/dyhat * f_L'(z_L),   delta_l = (delta_{l+1} W_{l+1}) * f_l'(z_l),
    dL/dW_l = delta_l^T h_{l-1},   dL/db_l = sum over samples of delta_l,
    W_l' = W_l - lr * dL/dW_l.

``W_l`` has PyTorch's layout (out_features, in_features), so ``W1[j,i]`` joins input i to
neuron j. One sample is indexed ``z1[j]``; a batch ``z1[n,j]`` (sample n, neuron j).

Exact mode computes with ``fractions.Fraction`` when every activation and the loss are
rational functions (identity, ReLU, leaky ReLU, step; MSE). A number is read as the
shortest decimal that rounds to it in its own dtype (``repr`` for Python floats,
``np.format_float_positional`` for NumPy scalars), so a weight written 0.1 reads as 1/10,
even when it was stored as float32; ints, Fractions, Decimals and numeric strings are taken
as they are. Elsewhere the ledger computes in float64 and shows ``digits`` significant
digits, recording why exact mode fell back in ``Ledger.notes``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np

MAX_SAMPLES = 8  # a ledger is read by a person: beyond a handful of samples it is noise

Number = float | Fraction

_SUPPORTED = ("Linear layers and elementwise activations (Identity, ReLU, LeakyReLU, "
              "Sigmoid, Tanh, Step/Heaviside, ELU, and Softmax at the output)")

# Why an activation or loss leaves the rationals (shown when exact mode falls back).
_IRRATIONAL = {
    "sigmoid": "sigmoid(z) = 1/(1 + e^-z) is irrational for rational z != 0",
    "tanh": "tanh(z) = (e^z - e^-z)/(e^z + e^-z) is irrational for rational z != 0",
    "elu": "elu(z) = alpha*(e^z - 1) is irrational for rational z < 0",
    "softmax": "softmax(z)_k = e^z_k / sum_j e^z_j is irrational for rational z",
    "bce": "the binary cross-entropy's log(p) is irrational for rational p != 1",
    "cross_entropy": "the cross-entropy's softmax and log are irrational for rational logits",
}


# ----------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class LedgerRow:
    """One quantity: ``formula`` in symbols, ``numbers`` the same with values put in."""

    section: str  # "forward", "loss", "backward" or "update"
    quantity: str  # e.g. "z1[0]", "dL/dW2[0,1]", "W2'[0,1]"
    formula: str  # e.g. "z1[0] = W1[0,0]*x[0] + W1[0,1]*x[1] + b1[0]"
    numbers: str  # e.g. "= 0.5*1 + (-0.25)*2 + 0.1"
    value: Number


class Ledger:
    """The rows of one forward/backward pass; render with ``to_text``, ``to_markdown``,
    ``to_csv``, ``to_latex`` or ``to_html``; look a value up with ``ledger["z1[0]"]`` or a
    whole quantity with ``ledger.array("dL/dW1")``."""

    def __init__(self, rows: list[LedgerRow], exact: bool = False, digits: int = 4,
                 notes: list[str] | None = None):
        self.rows, self.exact, self.digits = list(rows), exact, digits
        self.notes = list(notes or [])
        self._index = {row.quantity: row for row in self.rows}

    def __getitem__(self, quantity: str) -> Number:
        try:
            return self._index[quantity].value
        except KeyError:
            raise KeyError(f"Ledger: no quantity {quantity!r}; it holds e.g. "
                           f"{', '.join(list(self._index)[:6])}") from None

    def __contains__(self, quantity: str) -> bool:
        return quantity in self._index

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    @property
    def loss(self) -> Number:
        return self["L"]

    def array(self, name: str) -> np.ndarray:
        """All values of one quantity as a float64 array, e.g. ``array("dL/dW1")`` has the
        weight's shape (out, in) and ``array("z1")`` the shape (N, out) or (out,)."""
        pattern = re.compile(re.escape(name) + r"\[([0-9,]+)\]$")
        found = {}
        for row in self.rows:
            m = pattern.match(row.quantity)
            if m:
                found[tuple(int(i) for i in m.group(1).split(","))] = float(row.value)
        if not found:
            raise KeyError(f"Ledger.array: no quantity named {name!r}")
        shape = tuple(max(k[d] for k in found) + 1 for d in range(len(next(iter(found)))))
        out = np.zeros(shape)
        for k, v in found.items():
            out[k] = v
        return out

    def value_text(self, value: Number) -> str:
        """A value as the tables show it: exact fractions exactly, floats to ``digits``."""
        return format_number(value, self.digits)

    def to_text(self) -> str:
        from glassnet.explain import render
        return render.to_text(self)

    def to_markdown(self) -> str:
        from glassnet.explain import render
        return render.to_markdown(self)

    def to_csv(self) -> str:
        from glassnet.explain import render
        return render.to_csv(self)

    def to_latex(self) -> str:
        from glassnet.explain import render
        return render.to_latex(self)

    def to_html(self) -> str:
        from glassnet.explain import render
        return render.to_html(self)

    __str__ = to_text

    def __repr__(self) -> str:
        return (f"Ledger({len(self.rows)} rows, loss={self.value_text(self.loss)}, "
                f"exact={self.exact})")


# ----------------------------------------------------------------------------- numbers
def format_number(value: Number, digits: int = 4) -> str:
    """Fractions exactly (as a terminating decimal when there is a short one, else p/q);
    floats to ``digits`` significant digits."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        d, twos, fives = value.denominator, 0, 0
        while d % 2 == 0:
            d, twos = d // 2, twos + 1
        while d % 5 == 0:
            d, fives = d // 5, fives + 1
        places = max(twos, fives)
        if d == 1 and places <= 12:  # a short terminating decimal reads better than p/q
            scaled = abs(value.numerator) * 10 ** places // value.denominator
            whole, frac = divmod(scaled, 10 ** places)
            sign = "-" if value < 0 else ""
            return f"{sign}{whole}.{str(frac).rjust(places, '0').rstrip('0')}"
        return f"{value.numerator}/{value.denominator}"
    text = f"{float(value):.{digits}g}"
    return "0" if text == "-0" else text


def _operand(value: Number, digits: int) -> str:
    """A number inside a formula: negatives and fractions p/q in parentheses."""
    text = format_number(value, digits)
    return f"({text})" if text.startswith("-") or "/" in text else text


def _exact(value, what: str) -> Fraction:
    """The exact rational a user meant by ``value`` (see the module docstring)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"ledger: {what} is {value!r}, not a number")
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    try:
        if isinstance(value, Decimal):
            return Fraction(value)
        if isinstance(value, np.floating):
            # float32 0.1 is 0.100000001490116...; its shortest round-trip decimal is "0.1"
            return Fraction(np.format_float_positional(value, unique=True, trim="-"))
        if isinstance(value, float):
            return Fraction(repr(value))
        if isinstance(value, str):
            _float(value, what)  # "abc" is not a number, "nan" not a finite one
            return Fraction(value.strip())
    except (ValueError, ArithmeticError) as e:
        if str(e).startswith("ledger:"):
            raise
        raise ValueError(f"ledger: {what} is {value!r}, not a finite number") from None
    raise TypeError(f"ledger: {what} is {value!r}, not a number")


def finite_number(value, what: str) -> float:
    """``value`` (a number or numeric string) as a finite float, or an error that says
    "{what} is 'abc', not a number"; shared by the ledger and ``glassnet explain``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, Fraction, Decimal, str, np.integer, np.floating)):
        raise TypeError(f"{what} is {value!r}, not a number")
    try:
        out = float(value)
    except ValueError:
        raise ValueError(f"{what} is {value!r}, not a number") from None
    if not math.isfinite(out):
        raise ValueError(f"{what} is {value!r}, not a finite number")
    return out


def _float(value, what: str) -> float:
    return finite_number(value, f"ledger: {what}")


def _array(data, what: str) -> np.ndarray:
    """``data`` as an array that keeps each element's own type (float32 stays float32,
    Fractions stay Fractions)."""
    from glassnet.tensor import Tensor
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, np.ndarray):
        return data
    arr = np.array(data, dtype=object)
    if arr.dtype == object and any(isinstance(v, (list, tuple)) for v in arr.flat):
        raise ValueError(f"ledger: {what} is ragged (rows of different lengths): {data!r}")
    return arr


def _convert(arr: np.ndarray, what: str, exact: bool) -> list:
    """Nested Python lists of Fractions (exact) or floats, with errors naming the entry."""
    conv = _exact if exact else _float

    def go(a, idx):
        if not isinstance(a, np.ndarray) or a.ndim == 0:
            a = a[()] if isinstance(a, np.ndarray) else a
            return conv(a, f"{what}[{','.join(map(str, idx))}]" if idx else what)
        return [go(a[i], idx + (i,)) for i in range(a.shape[0])]
    return go(arr, ())


# ----------------------------------------------------------------------------- the network
@dataclass
class _Act:
    kind: str  # identity, relu, leaky_relu, sigmoid, tanh, step, elu, softmax
    param: object = None  # leaky ReLU's negative_slope, ELU's alpha
    where: str = ""  # "layer 3 (ReLU)", for messages


@dataclass
class _Dense:
    where: str
    weight: np.ndarray  # (out, in), elements in their own dtype
    bias: np.ndarray | None
    act: _Act


def _activation(module) -> _Act | None:
    from glassnet import nn
    kinds = ((nn.ReLU, "relu"), (nn.LeakyReLU, "leaky_relu"), (nn.Sigmoid, "sigmoid"),
             (nn.Tanh, "tanh"), (nn.Step, "step"), (nn.ELU, "elu"))
    if type(module) is nn.Softmax:  # LogSoftmax subclasses Softmax and is not elementwise
        return _Act("softmax", module.dim)
    for cls, kind in kinds:
        if type(module) is cls:
            param = getattr(module, "negative_slope", getattr(module, "alpha", None))
            return _Act(kind, param)
    return None


def _flat_layers(model) -> list[tuple[str, object]]:
    from glassnet import nn
    if isinstance(model, nn.Sequential):
        out = []
        for i, m in enumerate(model):
            if isinstance(m, nn.Sequential):
                out += [(f"{i}.{j}", sub) for j, sub in _flat_layers(m)]
            else:
                out.append((str(i), m))
        return out
    if isinstance(model, nn.Linear):
        return [("0", model)]
    raise TypeError(f"ledger: model must be an nn.Sequential of {_SUPPORTED}; got "
                    f"{type(model).__name__}")


def _network(model, input_ndim: int) -> list[_Dense]:
    from glassnet import nn
    layers = _flat_layers(model)
    dense: list[_Dense] = []
    for pos, (idx, m) in enumerate(layers):
        where = f"layer {idx} ({type(m).__name__})"
        if isinstance(m, nn.Linear):
            bias = None if m.bias is None else m.bias.data
            dense.append(_Dense(where, m.weight.data, bias, _Act("identity")))
            continue
        if type(m) is nn.Identity:
            continue
        act = _activation(m)
        if act is None:
            raise ValueError(f"ledger: {where} cannot be laid out: the ledger handles "
                             f"{_SUPPORTED}")
        act.where = where
        if not dense:
            raise ValueError(f"ledger: {where} comes before any Linear layer; the ledger "
                             "starts with a Linear layer")
        if dense[-1].act.kind != "identity":
            raise ValueError(f"ledger: {where} follows {dense[-1].act.where} with no Linear "
                             "layer between; the ledger takes one activation per Linear")
        if act.kind == "softmax":
            rest = [type(r).__name__ for _, r in layers[pos + 1:] if type(r) is not nn.Identity]
            if rest:
                raise ValueError(f"ledger: {where} must be the last layer (the ledger takes "
                                 f"Softmax at the output only); it is followed by {rest[0]}")
            if act.param not in (-1, input_ndim - 1):
                raise ValueError(f"ledger: {where} has dim={act.param!r}; the ledger "
                                 "normalises over the features: use dim=-1")
        dense[-1].act = act
    if not dense:
        raise ValueError("ledger: the model has no Linear layer")
    return dense


def _loss_kind(loss_fn) -> tuple[str, str]:
    """('mse' | 'bce' | 'cross_entropy', reduction) of a loss module, function or name."""
    from glassnet import functional as F
    from glassnet import nn
    names = {"mse": "mse", "mse_loss": "mse", "bce": "bce", "binary_cross_entropy": "bce",
             "ce": "cross_entropy", "cross_entropy": "cross_entropy",
             "crossentropy": "cross_entropy"}
    if isinstance(loss_fn, str) and loss_fn.lower().replace("-", "_") in names:
        return names[loss_fn.lower().replace("-", "_")], "mean"
    for fn, kind in ((F.mse_loss, "mse"), (F.binary_cross_entropy, "bce"),
                     (F.cross_entropy, "cross_entropy")):
        if loss_fn is fn:
            return kind, "mean"
    for cls, kind in ((nn.MSELoss, "mse"), (nn.BCELoss, "bce"),
                      (nn.CrossEntropyLoss, "cross_entropy")):
        if type(loss_fn) is cls:
            name = cls.__name__
            if loss_fn.reduction not in ("mean", "sum"):
                raise ValueError(f"ledger: {name}(reduction={loss_fn.reduction!r}) gives one "
                                 "loss per element; the ledger needs 'mean' or 'sum'")
            if getattr(loss_fn, "weight", None) is not None:
                raise ValueError(f"ledger: {name} with a weight is not supported")
            if getattr(loss_fn, "label_smoothing", 0.0):
                raise ValueError(f"ledger: {name} with label_smoothing is not supported")
            return kind, loss_fn.reduction
    name = loss_fn if isinstance(loss_fn, str) else getattr(
        loss_fn, "__name__", type(loss_fn).__name__)
    raise ValueError(f"ledger: loss_fn {name!r} is not supported: use MSELoss, BCELoss or "
                     "CrossEntropyLoss (or mse_loss, binary_cross_entropy, cross_entropy)")


# ----------------------------------------------------------------------------- the ledger
def ledger(model, x, y, loss_fn, lr: float | None = None, exact: bool = False,
           digits: int = 4) -> Ledger:
    """Lay out one forward and backward pass of ``model`` on ``x`` (and one SGD step with
    ``lr``): every z, h, yhat, L, dL/dyhat, delta, dL/dW, dL/db (and W', b').

    Args:
        model: an ``nn.Sequential`` of Linear layers, each followed by at most one
            elementwise activation (Identity, ReLU, LeakyReLU, Sigmoid, Tanh, Step, ELU),
            Softmax(dim=-1) allowed at the output; or a single Linear.
        x: one sample (in_features,) or a batch (N, in_features) with N <= 8.
        y: the target: the output's shape for MSE and BCE (a (N,) vector is taken as (N, 1)
            for one output); for cross-entropy class indices (an int, or N ints) or class
            probabilities of the output's shape.
        loss_fn: MSELoss, BCELoss or CrossEntropyLoss (reduction 'mean' or 'sum'), the
            functions mse_loss, binary_cross_entropy, cross_entropy, or the names "mse",
            "bce", "cross_entropy".
        lr: the learning rate of one SGD step, shown as updated weights W' and b'.
        exact: compute with fractions (see the module docstring); falls back to floats
            with a note when an activation or the loss is not rational.
        digits: significant digits shown for floats.

    The float values equal glassnet autograd's (computed in float64).
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"ledger: digits must be a positive int, got {digits!r}")
    kind, reduction = _loss_kind(loss_fn)
    x_arr = _array(x, "x")
    if x_arr.ndim not in (1, 2):
        raise ValueError(f"ledger: x must be one sample (in_features,) or a batch "
                         f"(N, in_features); got shape {x_arr.shape}")
    batched = x_arr.ndim == 2
    if batched and not 1 <= x_arr.shape[0] <= MAX_SAMPLES:
        raise ValueError(f"ledger: x holds {x_arr.shape[0]} samples (shape {x_arr.shape}); "
                         f"the ledger lays out 1 to {MAX_SAMPLES} (pass x[:{MAX_SAMPLES}])")
    net = _network(model, x_arr.ndim)
    notes = []
    irrational = [a.kind for a in (d.act for d in net) if a.kind in _IRRATIONAL]
    if kind != "mse":
        irrational.append(kind)
    if exact and irrational:
        reasons = ", and ".join(dict.fromkeys(_IRRATIONAL[k] for k in irrational))
        notes.append(f"exact mode: {reasons}; numbers are rounded to {digits} significant "
                     "digits")
        exact = False
    elif exact:
        notes.append("exact mode: every number is an exact fraction (each weight and input "
                     "is read as the shortest decimal that rounds to it)")
    conv = _exact if exact else _float
    xs = _convert(x_arr, "x", exact)
    xs = xs if batched else [xs]
    n_in = net[0].weight.shape[1]
    if len(xs[0]) != n_in:
        raise ValueError(f"ledger: x has {len(xs[0])} features but {net[0].where} expects "
                         f"{n_in} (x shape {x_arr.shape}, weight shape {net[0].weight.shape})")
    for prev, layer in zip(net, net[1:]):
        if layer.weight.shape[1] != prev.weight.shape[0]:
            raise ValueError(f"ledger: {layer.where} expects {layer.weight.shape[1]} inputs "
                             f"but {prev.where} gives {prev.weight.shape[0]}")
    book = _Book(net, xs, batched, kind, reduction, exact, digits, conv)
    book.forward()
    book.loss(y)
    book.backward()
    if lr is not None:
        book.update(conv(lr, "lr"))
    return Ledger(book.rows, exact=exact, digits=digits, notes=notes + book.notes)


class _Book:
    """Writes the rows; values are floats or Fractions and the arithmetic works on both."""

    def __init__(self, net, xs, batched, kind, reduction, exact, digits, conv):
        self.kind, self.reduction, self.exact, self.digits = kind, reduction, exact, digits
        self.batched, self.conv = batched, conv
        self.rows: list[LedgerRow] = []
        self.notes: list[str] = []
        self.L = len(net)
        self.W = [_convert(d.weight, f"{d.where} weight", exact) for d in net]
        self.b = [None if d.bias is None else _convert(d.bias, f"{d.where} bias", exact)
                  for d in net]
        self.acts = [d.act for d in net]
        self.slopes = [None if a.param is None or a.kind == "softmax"
                       else conv(a.param, f"{a.where} parameter") for a in self.acts]
        self.h = [xs]  # h[0] = x, h[l] = activation of layer l: lists (N, width)
        self.z: list = [None]
        self.N = len(xs)

    # names and numbers
    def ix(self, n: int, *j: int) -> str:
        return "[" + ",".join(map(str, ((n,) if self.batched else ()) + j)) + "]"

    def hname(self, l: int) -> str:
        return "x" if l == 0 else ("yhat" if l == self.L else f"h{l}")

    def op(self, v: Number) -> str:
        return _operand(v, self.digits)

    def add(self, section, quantity, formula, numbers, value):
        if isinstance(value, float) and value == 0:
            value = 0.0  # no "-0" in a table for students
        bare = re.fullmatch(r"= \((-[^()]*)\)", numbers)
        if bare:  # a lone negative number needs no parentheses
            numbers = f"= {bare.group(1)}"
        self.rows.append(LedgerRow(section, quantity, formula, numbers, value))

    # forward
    def forward(self) -> None:
        for l in range(1, self.L + 1):
            W, b, hin, hn = self.W[l - 1], self.b[l - 1], self.h[l - 1], self.hname(l - 1)
            Z = []
            for n in range(self.N):
                zrow = []
                for j in range(len(W)):
                    sym = [f"W{l}[{j},{i}]*{hn}{self.ix(n, i)}" for i in range(len(W[j]))]
                    num = [f"{self.op(W[j][i])}*{self.op(hin[n][i])}" for i in range(len(W[j]))]
                    value = sum(W[j][i] * hin[n][i] for i in range(len(W[j])))
                    if b is not None:
                        sym.append(f"b{l}[{j}]")
                        num.append(self.op(b[j]))
                        value = value + b[j]
                    q = f"z{l}{self.ix(n, j)}"
                    self.add("forward", q, f"{q} = {' + '.join(sym) or '0'}",
                             f"= {' + '.join(num) or '0'}", value)
                    zrow.append(value)
                Z.append(zrow)
            self.z.append(Z)
            self.h.append([self.activate(l, n, Z[n]) for n in range(self.N)])

    def activate(self, l: int, n: int, zrow: list) -> list:
        act, a = self.acts[l - 1], self.slopes[l - 1]
        out = []
        for j, z in enumerate(zrow):
            q, zq = f"{self.hname(l)}{self.ix(n, j)}", f"z{l}{self.ix(n, j)}"
            zv = self.op(z)
            if act.kind == "identity":
                f, num, v = zq, f"= {format_number(z, self.digits)}", z
            elif act.kind == "relu":
                f, num, v = f"max(0, {zq})", f"= max(0, {format_number(z, self.digits)})", \
                    (z if z > 0 else 0 * z)
            elif act.kind == "leaky_relu":
                f = f"{zq} if {zq} > 0 else {self.op(a)}*{zq}"
                num, v = (f"= {format_number(z, self.digits)}", z) if z > 0 else \
                    (f"= {self.op(a)}*{zv}", z * a)
            elif act.kind == "step":
                f, num, v = f"1 if {zq} > 0 else 0 (step)", f"= step({format_number(z, 9)})", \
                    self.conv(1 if z > 0 else 0, "step")
            elif act.kind == "elu":
                f = f"{zq} if {zq} > 0 else {self.op(a)}*(exp({zq}) - 1)"
                num, v = (f"= {format_number(z, self.digits)}", z) if z > 0 else \
                    (f"= {self.op(a)}*(exp({format_number(z, self.digits)}) - 1)",
                     a * math.expm1(z))
            elif act.kind == "sigmoid":
                f, num = f"1/(1 + exp(-{zq}))", f"= 1/(1 + exp(-{zv}))"
                v = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
            elif act.kind == "tanh":
                f, num, v = f"tanh({zq})", f"= tanh({format_number(z, self.digits)})", \
                    math.tanh(z)
            else:  # softmax over the row, shifted by its max so exp cannot overflow
                zs = [f"z{l}{self.ix(n, k)}" for k in range(len(zrow))]
                f = f"exp({zq})/({' + '.join(f'exp({s})' for s in zs)})"
                num = (f"= exp({format_number(z, self.digits)})/(" + " + ".join(
                    f"exp({format_number(v, self.digits)})" for v in zrow) + ")")
                m = max(zrow)
                v = math.exp(z - m) / sum(math.exp(t - m) for t in zrow)
            self.add("forward", q, f"{q} = {f}", num, v)
            out.append(v)
        return out

    # loss and dL/dyhat
    def loss(self, y) -> None:
        yhat, K = self.h[self.L], len(self.h[self.L][0])
        ys = _array(y, "y")
        if self.kind == "cross_entropy":
            self.cross_entropy(ys, yhat, K)
            return
        want = (self.N, K) if self.batched else (K,)
        if ys.shape != want:
            if ys.size == self.N * K and K == 1 and ys.ndim <= 1:
                ys = ys.reshape(want)  # (N,) targets of a one-output network
            else:
                raise ValueError(f"ledger: y has shape {ys.shape} but the network's output "
                                 f"has shape {want}")
        ys = _convert(ys, "y", self.exact)
        ys = ys if self.batched else [ys]
        M = self.N * K if self.reduction == "mean" else 1
        cells = [(n, k) for n in range(self.N) for k in range(K)]
        over = f"/{M}" if M != 1 else ""
        if self.kind == "mse":
            terms = [(f"(yhat{self.ix(n, k)} - y{self.ix(n, k)})^2",
                      f"({format_number(yhat[n][k], self.digits)} - {self.op(ys[n][k])})^2")
                     for n, k in cells]
            value = sum((yhat[n][k] - ys[n][k]) * (yhat[n][k] - ys[n][k]) for n, k in cells)
            self.add_loss(terms, over, value / M if M != 1 else value, neg=False)
            self.grads = [[2 * (yhat[n][k] - ys[n][k]) / M for k in range(K)]
                          for n in range(self.N)]
            for n, k in cells:
                q = f"dL/dyhat{self.ix(n, k)}"
                self.add("backward", q, f"{q} = 2*(yhat{self.ix(n, k)} - y{self.ix(n, k)}){over}",
                         f"= 2*({format_number(yhat[n][k], self.digits)} - "
                         f"{self.op(ys[n][k])}){over}", self.grads[n][k])
            return
        # binary cross-entropy with PyTorch's clamp of log at -100
        for n, k in cells:
            if not 0 <= yhat[n][k] <= 1:
                raise ValueError(f"ledger: BCELoss needs outputs in [0, 1] (end the network "
                                 f"with Sigmoid); yhat{self.ix(n, k)} = {yhat[n][k]!r}")
            # as torch: a target outside [0, 1] is no probability and gives a negative loss
            if not 0 <= ys[n][k] <= 1:
                raise ValueError(f"ledger: BCELoss needs targets in [0, 1] (probabilities); "
                                 f"y{self.ix(n, k)} = {format_number(ys[n][k], self.digits)}")

        def clamped_log(p, one_minus=False):
            arg = -p if one_minus else p
            if (1 + arg if one_minus else arg) <= 0:
                self.clamped = True
                return -100.0
            value = math.log1p(arg) if one_minus else math.log(arg)
            self.clamped = self.clamped or value < -100
            return max(value, -100.0)
        self.clamped = False
        terms, value = [], 0.0
        for n, k in cells:
            p, t, i = yhat[n][k], ys[n][k], self.ix(n, k)
            terms.append((f"y{i}*log(yhat{i}) + (1 - y{i})*log(1 - yhat{i})",
                          f"{self.op(t)}*log({self.op(p)}) + (1 - {self.op(t)})*"
                          f"log(1 - {self.op(p)})"))
            value += (t - 1) * clamped_log(p, True) - t * clamped_log(p)
        self.add_loss(terms, over, value / M, neg=True)
        if self.clamped:
            self.notes.append("binary cross-entropy: log is clamped at -100, as in PyTorch")
        self.grads = [[(yhat[n][k] - ys[n][k]) / max((1 - yhat[n][k]) * yhat[n][k], 1e-12) / M
                       for k in range(K)] for n in range(self.N)]
        for n, k in cells:
            i, p, t = self.ix(n, k), yhat[n][k], ys[n][k]
            q = f"dL/dyhat{i}"
            self.add("backward", q, f"{q} = (yhat{i} - y{i})/(yhat{i}*(1 - yhat{i})){over}",
                     f"= ({format_number(p, self.digits)} - {self.op(t)})/"
                     f"({self.op(p)}*(1 - {self.op(p)})){over}", self.grads[n][k])

    def add_loss(self, terms, over, value, neg) -> None:
        sym, num = [t[0] for t in terms], [t[1] for t in terms]
        if len(terms) > 1 and neg:
            sym, num = [f"[{s}]" for s in sym], [f"[{s}]" for s in num]
        s, u = " + ".join(sym), " + ".join(num)
        if neg:
            s, u = f"-({s}){over}", f"-({u}){over}"
        elif over:
            s, u = (f"({s}){over}", f"({u}){over}") if len(terms) > 1 else (s + over, u + over)
        self.add("loss", "L", f"L = {s}", f"= {u}", value)

    def cross_entropy(self, ys: np.ndarray, yhat: list, K: int) -> None:
        N, ix, d = self.N, self.ix, self.digits
        if ys.dtype.kind in "iu" or (ys.dtype == object and ys.size and all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in ys.flat)):
            want = (N,) if self.batched else ()
            if ys.shape != want:
                raise ValueError(f"ledger: cross-entropy class indices y must have shape "
                                 f"{want} for output shape {(N, K) if self.batched else (K,)}; "
                                 f"got {ys.shape}")
            classes = [int(c) for c in ys.reshape(-1)]
            for n, c in enumerate(classes):
                if not 0 <= c < K:
                    raise ValueError(f"ledger: class index y{ix(n) if self.batched else ''} "
                                     f"= {c} is out of range for {K} classes")
            t = [[1.0 if k == c else 0.0 for k in range(K)] for c in classes]
        else:
            want = (N, K) if self.batched else (K,)
            if ys.shape != want:
                raise ValueError(f"ledger: cross-entropy probabilities y must have the output's "
                                 f"shape {want}; got {ys.shape} (class indices must be ints)")
            t = _convert(ys, "y", False)
            t, classes = (t if self.batched else [t]), None
            for n in range(N):
                if abs(sum(t[n]) - 1) > 1e-6:
                    row = f"y[{n}]" if self.batched else "y"
                    raise ValueError(f"ledger: cross-entropy probabilities {row} sum to "
                                     f"{sum(t[n])!r}, not 1")
        p, nll = [], []
        for n in range(N):
            m = max(yhat[n])
            e = [math.exp(v - m) for v in yhat[n]]
            s = sum(e)
            p.append([v / s for v in e])
            nll.append([math.log(s) - (v - m) for v in yhat[n]])  # -log p, as glassnet does
            for k in range(K):
                q = f"p{ix(n, k)}"
                self.add("loss", q, f"{q} = exp(yhat{ix(n, k)})/(" + " + ".join(
                    f"exp(yhat{ix(n, j)})" for j in range(K)) + ")",
                    f"= exp({format_number(yhat[n][k], d)})/(" + " + ".join(
                        f"exp({format_number(v, d)})" for v in yhat[n]) + ")", p[n][k])
        denom = N if self.reduction == "mean" else 1
        over = f"/{denom}" if denom != 1 else ""
        if classes is not None:
            terms = [(f"log(p{ix(n, c)})", f"log({format_number(p[n][c], d)})")
                     for n, c in enumerate(classes)]
            value = sum(nll[n][c] for n, c in enumerate(classes))
        else:
            terms = [(f"t{ix(n, k)}*log(p{ix(n, k)})",
                      f"{self.op(t[n][k])}*log({format_number(p[n][k], d)})")
                     for n in range(N) for k in range(K)]
            value = sum(t[n][k] * nll[n][k] for n in range(N) for k in range(K))
        sym, num = " + ".join(s for s, _ in terms), " + ".join(u for _, u in terms)
        if len(terms) == 1 and not over:
            self.add("loss", "L", f"L = -{sym}", f"= -{num}", value)
        else:
            self.add("loss", "L", f"L = -({sym}){over}", f"= -({num}){over}", value / denom)
        if classes is not None:
            self.notes.append("cross-entropy: t is the one-hot vector of the class index y")
        self.grads = [[(p[n][k] * sum(t[n]) - t[n][k]) / denom for k in range(K)]
                      for n in range(N)]
        for n in range(N):
            for k in range(K):
                q = f"dL/dyhat{ix(n, k)}"
                self.add("backward", q, f"{q} = (p{ix(n, k)} - t{ix(n, k)}){over}",
                         f"= ({format_number(p[n][k], d)} - {self.op(t[n][k])}){over}",
                         self.grads[n][k])

    # backward
    def backward(self) -> None:
        for l in range(self.L, 0, -1):
            deltas = [[self.delta(l, n, j) for j in range(len(self.W[l - 1]))]
                      for n in range(self.N)]
            self.deltas = deltas
            hin, hn = self.h[l - 1], self.hname(l - 1)
            W = self.W[l - 1]
            for j in range(len(W)):
                for i in range(len(W[j])):
                    q = f"dL/dW{l}[{j},{i}]"
                    sym = " + ".join(f"delta{l}{self.ix(n, j)}*{hn}{self.ix(n, i)}"
                                     for n in range(self.N))
                    num = " + ".join(f"{self.op(deltas[n][j])}*{self.op(hin[n][i])}"
                                     for n in range(self.N))
                    value = sum(deltas[n][j] * hin[n][i] for n in range(self.N))
                    self.add("backward", q, f"{q} = {sym}", f"= {num}", value)
            if self.b[l - 1] is not None:
                for j in range(len(W)):
                    q = f"dL/db{l}[{j}]"
                    sym = " + ".join(f"delta{l}{self.ix(n, j)}" for n in range(self.N))
                    num = " + ".join(self.op(deltas[n][j]) for n in range(self.N))
                    self.add("backward", q, f"{q} = {sym}", f"= {num}",
                             sum(deltas[n][j] for n in range(self.N)))
            self.upstream = deltas

    def delta(self, l: int, n: int, j: int) -> Number:
        """delta_l[n, j]: the upstream gradient times f'(z_l[n, j])."""
        act, a, ix, d = self.acts[l - 1], self.slopes[l - 1], self.ix, self.digits
        if l == self.L:
            g_sym, g_num = f"dL/dyhat{ix(n, j)}", self.op(self.grads[n][j])
            g = self.grads[n][j]
        else:
            Wn, up = self.W[l], self.upstream[n]
            g = sum(up[k] * Wn[k][j] for k in range(len(Wn)))
            g_sym = " + ".join(f"delta{l + 1}{ix(n, k)}*W{l + 1}[{k},{j}]"
                               for k in range(len(Wn)))
            g_num = " + ".join(f"{self.op(up[k])}*{self.op(Wn[k][j])}" for k in range(len(Wn)))
            if len(Wn) > 1:
                g_sym, g_num = f"({g_sym})", f"({g_num})"
        z, h = self.z[l][n][j], self.h[l][n][j]
        hq = f"{self.hname(l)}{ix(n, j)}"
        q = f"delta{l}{ix(n, j)}"
        if act.kind == "identity":
            self.add("backward", q, f"{q} = {g_sym}", f"= {g_num}", g)
            return g
        if act.kind in ("sigmoid", "tanh"):
            fs = f"{hq}*(1 - {hq})" if act.kind == "sigmoid" else f"(1 - {hq}^2)"
            fn = (f"{self.op(h)}*(1 - {self.op(h)})" if act.kind == "sigmoid"
                  else f"(1 - {self.op(h)}^2)")
            value = g * h * (1 - h) if act.kind == "sigmoid" else g * (1 - h * h)
            self.add("backward", q, f"{q} = {g_sym}*{fs}", f"= {g_num}*{fn}", value)
            return value
        if act.kind == "softmax":
            row, gr = self.h[l][n], self.grads[n]
            dot_s = " + ".join(f"dL/dyhat{ix(n, k)}*yhat{ix(n, k)}" for k in range(len(row)))
            dot_n = " + ".join(f"{self.op(gr[k])}*{self.op(row[k])}" for k in range(len(row)))
            value = h * (g - sum(gr[k] * row[k] for k in range(len(row))))
            self.add("backward", q, f"{q} = {hq}*({g_sym} - ({dot_s})) (softmax Jacobian)",
                     f"= {self.op(h)}*({g_num} - ({dot_n}))", value)
            return value
        # a piecewise f': f'(z) named in the formula and its value put in the numbers
        one = self.conv(1, "1")
        if act.kind == "relu":
            fp, legend = (one if z > 0 else 0 * one), "f'(z) = 1 if z > 0 else 0 (ReLU)"
        elif act.kind == "leaky_relu":
            fp = one if z > 0 else a
            legend = f"f'(z) = 1 if z > 0 else {format_number(a, d)} (leaky ReLU)"
        elif act.kind == "step":
            fp, legend = 0 * one, "f'(z) = 0 (step)"
        else:  # elu, PyTorch's derivative: alpha*exp(z) for z <= 0
            fp = one if z > 0 else a * math.exp(min(z, 0))
            legend = f"f'(z) = 1 if z > 0 else {self.op(a)}*exp(z) (ELU)"
        value = g * fp
        self.add("backward", q, f"{q} = {g_sym}*f'(z{l}{ix(n, j)}), {legend}",
                 f"= {g_num}*{self.op(fp)}", value)
        return value

    def update(self, lr: Number) -> None:
        for l in range(1, self.L + 1):
            grads = {row.quantity: row.value for row in self.rows
                     if row.quantity.startswith((f"dL/dW{l}[", f"dL/db{l}["))}
            W, b = self.W[l - 1], self.b[l - 1]
            cells = [(f"W{l}", f"[{j},{i}]", W[j][i]) for j in range(len(W))
                     for i in range(len(W[j]))]
            cells += [] if b is None else [(f"b{l}", f"[{j}]", b[j]) for j in range(len(b))]
            for name, idx, old in cells:
                g = grads[f"dL/d{name}{idx}"]
                q = f"{name}'{idx}"
                self.add("update", q, f"{q} = {name}{idx} - lr*dL/d{name}{idx}",
                         f"= {format_number(old, self.digits)} - {self.op(lr)}*{self.op(g)}",
                         old - lr * g)
