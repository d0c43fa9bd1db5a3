"""Shape walk-through: each layer's output shape and parameter count with the arithmetic
shown (784*128 + 128 = 100,480), found by a dummy forward pass; a shape mismatch is
reported with the layer, both shapes and a likely fix.

Layer types add their own arithmetic and shape checks through ``register`` (a small table
keyed by class name, so e.g. a Conv2d file can register "in/groups*kh*kw*out + out"
without this file importing it); any other layer gets the generic arithmetic (the product
of each parameter's shape) and its shape from running it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SummaryRow:
    index: str  # position in the Sequential ("2", or "1.0" inside a nested one)
    name: str  # the layer's class name
    output_shape: tuple
    params: int
    trainable: int
    arithmetic: str  # e.g. "784*128 + 128 = 100,480"; "0" for a layer without parameters
    shape_arithmetic: str = ""  # e.g. "H: floor((28 - 3 + 2*0) / 1) + 1 = 26" (conv, pool)


@dataclass
class LayerInfo:
    """How ``summary`` explains one layer type.

    describe(module) -> the parameter arithmetic, e.g. "784*128 + 128 = 100,480";
    check(module, in_shape, previous) -> a message naming the expected shape and a fix
    when ``in_shape`` cannot work, else None (``previous`` is the layer before, or None);
    shape(module, in_shape, out_shape) -> how the output size follows from the input's.
    """

    describe: Callable | None = None
    check: Callable | None = None
    shape: Callable | None = None


LAYERS: dict[str, LayerInfo] = {}


def register(type_name: str, describe: Callable | None = None,
             check: Callable | None = None, shape: Callable | None = None) -> None:
    """Teach ``summary`` a layer type's parameter arithmetic, shape check and size rule."""
    LAYERS[type_name] = LayerInfo(describe, check, shape)


def _n(count: int) -> str:
    return f"{count:,}"


def _generic_arithmetic(module) -> str:
    terms = ["*".join(map(str, p.shape)) or "1" for p in module.parameters()]
    total = sum(int(np.prod(p.shape)) for p in module.parameters())
    if not terms:
        return "0"
    expr = " + ".join(terms)
    return expr if expr == str(total) else f"{expr} = {_n(total)}"


# ----------------------------------------------------------------------------- Linear
def _linear_describe(m) -> str:
    i, o = m.in_features, m.out_features
    expr = f"{i}*{o}" + (f" + {o}" if m.bias is not None else "")
    return f"{expr} = {_n(i * o + (o if m.bias is not None else 0))}"


def _linear_check(m, in_shape: tuple, previous) -> str | None:
    want = m.in_features
    if len(in_shape) >= 1 and in_shape[-1] == want:
        return None
    head = f"expects {want} input features, shape (*, {want}), but receives {in_shape}"
    if len(in_shape) > 2:
        flat = math.prod(in_shape[1:])
        if flat == want:
            return f"{head}: add nn.Flatten() before it"
        return (f"{head}: add nn.Flatten() before it (it gives {flat} features) and set "
                f"in_features={flat}")
    got = in_shape[-1] if in_shape else None
    fix = f"set in_features={got}"
    if previous is not None and hasattr(previous, "out_features"):
        fix += f", or change the previous layer's out_features to {want}"
    elif previous is None:
        fix += f", or give inputs with {want} features"
    return f"{head}: {fix}"


register("Linear", _linear_describe, _linear_check)


# ----------------------------------------------------------------------------- conv, pooling
def _per_dim(value, dims: int) -> tuple:
    """A layer setting (int or tuple) as one value per spatial dimension."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


def _window_sizes(m, in_shape: tuple, out_shape: tuple) -> str:
    """floor((W - (D*(K - 1) + 1) + 2P) / S) + 1 per spatial dim: the output-size rule of
    convolution and pooling (with D = 1 it is the lectures' floor((W - K + 2P) / S) + 1).
    Every line it prints evaluates, as written, to the size it states."""
    dims = len(out_shape) - 2
    kernel = _per_dim(m.kernel_size, dims)
    stride = _per_dim(getattr(m, "stride", None) or m.kernel_size, dims)
    dilation = _per_dim(getattr(m, "dilation", 1), dims)
    padding = getattr(m, "padding", 0)
    ceil_mode = getattr(m, "ceil_mode", False)
    labels = "HW" if dims == 2 else "L"
    parts = []
    for label, w, k, st, d, out, p in zip(labels, in_shape[2:], kernel, stride, dilation,
                                          out_shape[2:], _paddings(padding, kernel, dilation)):
        span = f"({d}*({k} - 1) + 1)" if d != 1 else f"{k}"
        pad = f"2*{p[0]}" if p[0] == p[1] else f"{p[0]} + {p[1]}"
        rule = f"{'ceil' if ceil_mode else 'floor'}(({w} - {span} + {pad}) / {st}) + 1"
        computed = (w - (d * (k - 1) + 1) + p[0] + p[1]) / st
        computed = (math.ceil(computed) if ceil_mode else math.floor(computed)) + 1
        if computed == out + 1:  # PyTorch drops a last window that starts past the input
            why = _dropped_window(w, p, st, computed)
            parts.append((label, f"{rule} - 1 = {out} ({why})"))
        else:
            parts.append((label, f"{rule} = {out}"))
    text = (f"{' = '.join(label for label, _ in parts)}: {parts[0][1]}"
            if len({rule for _, rule in parts}) == 1  # a square case: one line for both sides
            else "; ".join(f"{label}: {rule}" for label, rule in parts))
    return f"padding={padding!r}: {text}" if isinstance(padding, str) else text


def _dropped_window(w: int, pad: tuple[int, int], stride: int, computed: int) -> str:
    """Why ceil mode's last window is dropped: it would start after the input's last
    element, in the padding after it or (stride larger than the window) beyond that."""
    start = (computed - 1) * stride  # in the padded input, where the input is [pad[0], pad[0] + w)
    if pad[1] and start < pad[0] + w + pad[1]:
        return "the last window would start in the padding"
    where = "and its padding" if pad[1] else ""
    return f"the last window would start past the end of the input {where}".rstrip()


def _paddings(padding, kernel: tuple, dilation: tuple) -> list[tuple[int, int]]:
    """(before, after) padding per spatial dim; 'same' splits D*(K - 1) as PyTorch does
    (the extra one, if odd, after)."""
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    if padding == "same":
        return [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                for k, d in zip(kernel, dilation)]
    return [(p, p) for p in _per_dim(padding, len(kernel))]


def _conv_describe(m) -> str:
    k = "*".join(map(str, m.weight.shape[2:]))
    per_out = f"{m.weight.shape[1]}*{k}"
    expr = f"{per_out}*{m.weight.shape[0]}" + (f" + {m.weight.shape[0]}" if m.bias is not None
                                              else "")
    return f"{expr} = {_n(sum(p.numel() for p in m.parameters()))}"


def _batched_check(spatial: int, in_shape: tuple) -> str | None:
    """summary() always adds the batch dimension, so a conv or pooling layer must see
    N, C and the ``spatial`` sizes: an input_shape without its channel dimension would
    otherwise be read as an unbatched input, the dummy batch as its channels."""
    if len(in_shape) == spatial + 2:
        return None
    layout = "(N, C, H, W)" if spatial == 2 else "(N, C, L)"
    example = "(C, H, W), e.g. (1, 28, 28)" if spatial == 2 else "(C, L), e.g. (1, 100)"
    return (f"expects input {layout}, but receives {in_shape}: the input_shape given to "
            f"summary is one sample without the batch dimension, {example}")


def _pool_check(m, in_shape: tuple, previous) -> str | None:
    return _batched_check(2, in_shape)


def _conv_check(m, in_shape: tuple, previous) -> str | None:
    spatial = len(m.weight.shape) - 2
    wrong = _batched_check(spatial, in_shape)
    if wrong:
        return wrong
    channels = in_shape[-spatial - 1]
    if channels != m.in_channels:
        fix = f"set in_channels={channels}"
        if previous is not None and hasattr(previous, "out_channels"):
            fix += f", or change the previous layer's out_channels to {m.in_channels}"
        elif previous is None:
            fix += f", or give inputs with {m.in_channels} channels"
        return (f"expects {m.in_channels} input channels but receives {channels} (input "
                f"shape {in_shape}): {fix}")
    return None


def _batchnorm_describe(m) -> str:
    c = m.num_features
    return f"{c} + {c} = {_n(2 * c)} (+ running mean, var: not trained)" if m.weight is not \
        None else "0"


for _name in ("Conv1d", "Conv2d"):
    register(_name, _conv_describe, _conv_check, _window_sizes)
for _name in ("MaxPool2d", "AvgPool2d"):
    register(_name, None, _pool_check, _window_sizes)
register("AdaptiveAvgPool2d", None, _pool_check)  # no window rule: the output size is given
for _name in ("BatchNorm1d", "BatchNorm2d"):
    register(_name, _batchnorm_describe)


# ----------------------------------------------------------------------------- summary
class Summary:
    """The walk-through; ``print(summary)`` shows it as a table."""

    def __init__(self, model_name: str, input_shape: tuple, rows: list[SummaryRow],
                 total_params: int, trainable_params: int):
        self.model_name, self.input_shape, self.rows = model_name, input_shape, rows
        self.total_params, self.trainable_params = total_params, trainable_params

    @property
    def output_shape(self) -> tuple:
        return self.rows[-1].output_shape if self.rows else self.input_shape

    def to_text(self) -> str:
        sizes = any(r.shape_arithmetic for r in self.rows)  # a column only where it says something
        table = [("#", "layer", "output shape", "parameters") + (("output size",) if sizes
                                                                   else ()),
                 ("", "input", str(self.input_shape), "") + (("",) if sizes else ())]
        table += [(r.index, r.name, str(r.output_shape), r.arithmetic)
                  + ((r.shape_arithmetic,) if sizes else ()) for r in self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        lines = [f"{self.model_name} on input {self.input_shape}"]
        for k, row in enumerate(table):
            lines.append("  ".join(c.rjust(w) if i == 0 else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        counted = [r.params for r in self.rows if r.params]
        total = _n(self.total_params)
        if len(counted) > 1 and sum(counted) == self.total_params:
            total = " + ".join(map(_n, counted)) + f" = {total}"
        lines += [f"total params: {total}",
                  f"trainable params: {_n(self.trainable_params)}",
                  f"non-trainable params: {_n(self.total_params - self.trainable_params)}"]
        return "\n".join(lines) + "\n"

    __str__ = to_text

    def __repr__(self) -> str:
        return (f"Summary({self.model_name}, input {self.input_shape} -> output "
                f"{self.output_shape}, {_n(self.total_params)} params)")


def _layers(model) -> list[tuple[str, object]]:
    from glassnet import nn
    if not isinstance(model, nn.Sequential):
        return [("0", model)]
    out = []
    for i, m in enumerate(model):
        if isinstance(m, nn.Sequential):
            out += [(f"{i}.{j}", sub) for j, sub in _layers(m)]
        else:
            out.append((str(i), m))
    return out


def _is_int(value) -> bool:
    """A Python or NumPy int (a shape read from an array holds NumPy ints), not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _input_shape(input_shape) -> tuple[int, ...]:
    """One sample's shape as a tuple of Python ints; an int means (int,)."""
    if _is_int(input_shape):
        input_shape = (input_shape,)
    if not isinstance(input_shape, (tuple, list, np.ndarray)):
        raise TypeError(f"summary: input_shape must be a tuple of positive ints (one sample's "
                        f"shape, without the batch dimension) or an int, got {input_shape!r}")
    if not all(_is_int(s) and s > 0 for s in input_shape):
        raise ValueError(f"summary: input_shape must be positive ints (one sample's shape, "
                         f"without the batch dimension), got {input_shape!r}")
    return tuple(int(s) for s in input_shape)


def summary(model, input_shape, batch_size: int = 1) -> Summary:
    """Walk a dummy batch of zeros, shape (batch_size, *input_shape), through ``model``
    layer by layer (in no_grad), recording each layer's output shape and parameters.

    Args:
        model: an ``nn.Sequential`` (nested ones are walked into) or any Module, which
            then counts as one layer.
        input_shape: the shape of one sample, without the batch dimension, e.g. (784,) or
            (1, 28, 28); an int means (int,).

    Raises ValueError naming the layer, the shape it receives, the shape it expects and a
    likely fix when the shapes do not fit.
    """
    import glassnet as gn
    from glassnet import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"summary: model must be an nn.Module, got {type(model).__name__}")
    shape = _input_shape(input_shape)
    if not _is_int(batch_size) or batch_size < 1:
        raise ValueError(f"summary: batch_size must be a positive int, got {batch_size!r}")
    full = (int(batch_size),) + shape
    # The walk must leave the model as it found it: in eval mode batch norm reads its running
    # statistics instead of updating them (and takes a batch of 1) and dropout draws nothing;
    # modes, buffers and the random generator are put back afterwards anyway.
    modes = [(m, m.training) for m in model.modules()]
    buffers = [(b, b.data, b.data.copy()) for b in model.buffers()]
    rng = gn.random.get_rng_state()
    model.eval()
    try:
        return _walk(model, full, gn)
    finally:
        for m, training in modes:
            object.__setattr__(m, "training", training)
        for b, array, values in buffers:  # the same array, with its values back
            b.data = array
            array[...] = values
        gn.random.set_rng_state(rng)


def _walk(model, full: tuple, gn) -> Summary:
    x = gn.zeros(*full)
    rows, previous = [], None
    with gn.no_grad():
        for index, layer in _layers(model):
            name = type(layer).__name__
            info = LAYERS.get(name, LayerInfo())
            if isinstance(x, tuple):  # the layer before returned (values, indices)
                raise ValueError(f"summary: layer {index} ({name}) receives a tuple, the "
                                 f"(values, indices) of layer {rows[-1].index} "
                                 f"({rows[-1].name}), which has return_indices=True: set "
                                 f"return_indices=False there, or end the model with it")
            in_shape = tuple(x.shape)
            problem = info.check(layer, in_shape, previous) if info.check else None
            if problem:
                raise ValueError(f"summary: layer {index} ({name}) {problem}")
            try:
                x = layer(x)
            except Exception as e:  # report any layer's failure with where and on what
                raise ValueError(f"summary: layer {index} ({name}) fails on input of shape "
                                 f"{in_shape}: {e}") from e
            values = x[0] if isinstance(x, tuple) else x  # MaxPool2d(return_indices=True)
            params = sum(p.numel() for p in layer.parameters())
            trainable = sum(p.numel() for p in layer.parameters() if p.requires_grad)
            arithmetic = (info.describe(layer) if info.describe and params
                          else _generic_arithmetic(layer))
            sizes = info.shape(layer, in_shape, tuple(values.shape)) if info.shape else ""
            if isinstance(x, tuple):
                sizes += f"{'; ' if sizes else ''}also returns the indices, the same shape"
            rows.append(SummaryRow(index, name, tuple(values.shape), params, trainable,
                                   arithmetic, sizes))
            if params:
                previous = layer
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return Summary(type(model).__name__, full, rows, total, trainable)
