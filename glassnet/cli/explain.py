"""``glassnet explain NET.json``: the backprop ledger of a small network given in a file.

The file (JSON, or YAML when PyYAML is installed) holds the network, its weights, one
input (or a few) and the target::

    {"layers": [{"type": "linear", "weight": [[0.5, -0.25], [-0.5, -0.25]],
                 "bias": [0.1, 0.2]},
                {"type": "relu"},
                {"type": "linear", "weight": [[1.5, -1]], "bias": [0.25]}],
     "loss": "mse", "x": [1, 2], "y": [1], "lr": 0.1}

Layer types: linear (weight rows are neurons: (out, in), PyTorch's layout; bias optional),
identity, relu, leaky_relu (negative_slope), sigmoid, tanh, step (or heaviside), elu
(alpha), softmax. Losses: mse, bce, cross_entropy (y: a class index, or one per sample).
The weights go into a float64 model; exact mode reads each number as the decimal written
(exact for up to 15 significant digits, float64's precision).
"""

from __future__ import annotations

import json
from pathlib import Path

from glassnet.cli.errors import CommandError
from glassnet.explain.ledger import finite_number

FORMATS = {"text": "to_text", "markdown": "to_markdown", "csv": "to_csv",
           "latex": "to_latex", "html": "to_html"}
SUFFIXES = {".md": "markdown", ".csv": "csv", ".tex": "latex", ".html": "html",
            ".htm": "html", ".txt": "text"}
ACTIVATIONS = {"identity": "Identity", "relu": "ReLU", "leaky_relu": "LeakyReLU",
               "sigmoid": "Sigmoid", "tanh": "Tanh", "step": "Step", "heaviside": "Step",
               "elu": "ELU", "softmax": "Softmax"}
LOSSES = {"mse": "MSELoss", "bce": "BCELoss", "binary_cross_entropy": "BCELoss",
          "cross_entropy": "CrossEntropyLoss", "ce": "CrossEntropyLoss"}


def add_arguments(parser) -> None:
    parser.add_argument("network", help="a JSON or YAML file: layers with weights, loss, x, y")
    parser.add_argument("--x", default=None,
                        help="input instead of the file's: 1,2 or [[1,2],[3,4]] for a batch")
    parser.add_argument("--y", default=None, help="target instead of the file's")
    parser.add_argument("--format", choices=list(FORMATS), default=None,
                        help="output format (default: from --out's suffix, else text)")
    parser.add_argument("--exact", action="store_true",
                        help="compute with fractions (identity, ReLU, leaky ReLU, step; MSE)")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate: also show one SGD step's updated weights")
    parser.add_argument("--digits", type=int, default=4,
                        help="significant digits of rounded numbers (default 4)")
    parser.add_argument("--out", default=None, help="write the ledger to this file")


# ----------------------------------------------------------------------------- reading
def read_file(path: str) -> dict:
    """The file's content as a dict; a one-line CommandError when it cannot be read."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise CommandError(f"cannot read {path}: {e.strerror or e}") from None
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise CommandError(f"{path}: reading YAML needs PyYAML (pip install pyyaml, or "
                               "glassnet[cli]); or write the file as JSON") from None
        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise CommandError(f"{path}: not valid YAML: {str(e).splitlines()[0]}") from None
    else:
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as e:
            raise CommandError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list) \
            or not spec["layers"]:
        raise CommandError(f"{path}: expected an object with a non-empty \"layers\" list, "
                           'e.g. {"layers": [{"type": "linear", "weight": [[1, 2]]}], ...}')
    return spec


def _number(value, where: str) -> float:
    """A finite number from JSON/YAML (a numeric string such as YAML's 1e-3 counts); the
    check is the ledger's own, its error turned into a one-line command error."""
    try:
        return finite_number(value, where)
    except (TypeError, ValueError) as e:
        raise CommandError(str(e)) from None


def _numbers(value, name: str, depth: int, prefix: str = ""):
    """Nested lists of numbers, ``depth`` deep (1: a vector, 2: a matrix), rectangular;
    messages read "{prefix}{name}[1][0] is 'abc', not a number"."""
    if depth == 0:
        return _number(value, prefix + name)
    if not isinstance(value, list) or not value:
        kind = "a non-empty list" if depth == 1 else "a non-empty list of rows"
        raise CommandError(f"{prefix}{name} must be {kind}, got {value!r}")
    out = [_numbers(v, f"{name}[{i}]", depth - 1, prefix) for i, v in enumerate(value)]
    if depth == 2:
        for i, row in enumerate(out):
            if len(row) != len(out[0]):
                raise CommandError(f"{prefix}{name}[{i}] has {len(row)} entries but {name}[0] "
                                   f"has {len(out[0])}")
    return out


def _data(value, where: str):
    """x or y: a number, a vector, or a batch (a list of vectors)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = json.loads(text if text.startswith("[") else f"[{text}]")
        except json.JSONDecodeError:
            raise CommandError(f"{where} {value!r} is not a list of numbers (write 1,2 or "
                               "[[1,2],[3,4]])") from None
    if isinstance(value, list) and value and isinstance(value[0], list):
        return _numbers(value, where, 2)
    if isinstance(value, list):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return value
        return _numbers(value, where, 1)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _number(value, where)


def build(spec: dict, x=None):
    """(model, loss name) from the file's layers, checked against the input width."""
    import numpy as np

    from glassnet import nn

    layers, width, source = [], None, "x"
    if x is not None:
        width = len(x[0]) if x and isinstance(x[0], list) else len(x)
    for i, layer in enumerate(spec["layers"]):
        if not isinstance(layer, dict) or "type" not in layer:
            raise CommandError(f"layer {i}: expected an object with a \"type\", got {layer!r}")
        kind = str(layer["type"]).lower().replace("-", "_")
        where = f"layer {i} ({kind})"
        if kind in ("linear", "dense"):
            if "weight" not in layer:
                raise CommandError(f"{where}: no \"weight\" (a list of rows, one per neuron)")
            weight = _numbers(layer["weight"], "weight", 2, f"{where}: ")
            cols = len(weight[0])
            if width is not None and cols != width:
                given = "x has" if source == "x" else "the previous layer gives"
                raise CommandError(f"{where}: weight has {cols} columns but {given} {width} "
                                   "values")
            bias = layer.get("bias")
            if bias is not None:
                bias = _numbers(bias, "bias", 1, f"{where}: ")
                if len(bias) != len(weight):
                    raise CommandError(f"{where}: bias has {len(bias)} entries but weight has "
                                       f"{len(weight)} rows (one bias per neuron)")
            module = nn.Linear(cols, len(weight), bias=bias is not None, dtype=np.float64)
            module.weight.data[...] = weight
            if bias is not None:
                module.bias.data[...] = bias
            layers.append(module)
            width, source = len(weight), "layer"
        elif kind in ACTIVATIONS:
            cls = getattr(nn, ACTIVATIONS[kind])
            if kind == "leaky_relu":
                module = cls(_number(layer.get("negative_slope", 0.01),
                                     f"{where}: negative_slope"))
            elif kind == "elu":
                module = cls(_number(layer.get("alpha", 1.0), f"{where}: alpha"))
            elif kind == "softmax":
                module = cls(dim=-1)
            else:
                module = cls()
            layers.append(module)
        else:
            raise CommandError(f"layer {i}: unknown type {layer['type']!r}; known: linear, "
                               f"{', '.join(ACTIVATIONS)}")
    loss = str(spec.get("loss", "mse")).lower().replace("-", "_")
    if loss not in LOSSES:
        raise CommandError(f"unknown loss {spec.get('loss')!r}; known: mse, bce, cross_entropy")
    return nn.Sequential(*layers), getattr(nn, LOSSES[loss])()


# ----------------------------------------------------------------------------- run
def run(args) -> int:
    from glassnet.explain import ledger

    spec = read_file(args.network)
    x_raw = args.x if args.x is not None else spec.get("x")
    y_raw = args.y if args.y is not None else spec.get("y")
    if x_raw is None:
        raise CommandError(f"no input: give \"x\" in {args.network} or --x")
    if y_raw is None:
        raise CommandError(f"no target: give \"y\" in {args.network} or --y")
    x = _data(x_raw, "x")
    if not isinstance(x, list):
        x = [x]
    y = _data(y_raw, "y")
    model, loss_fn = build(spec, x)
    lr = args.lr if args.lr is not None else spec.get("lr")
    if lr is not None:
        lr = _number(lr, "lr")
    if args.digits < 1:
        raise CommandError(f"--digits must be at least 1, got {args.digits}")
    fmt = args.format or (SUFFIXES.get(Path(args.out).suffix.lower(), "text")
                          if args.out else "text")
    try:
        book = ledger(model, x, y, loss_fn, lr=lr, exact=args.exact, digits=args.digits)
    except (ValueError, TypeError) as e:
        raise CommandError(str(e).removeprefix("ledger: ")) from None
    text = getattr(book, FORMATS[fmt])()
    if fmt == "csv":  # CSV carries no notes: say them where a person sees them
        import sys
        for note in book.notes:
            print(f"glassnet explain: note: {note}", file=sys.stderr)
    if args.out:
        try:
            Path(args.out).write_text(text)
        except OSError as e:
            raise CommandError(f"cannot write {args.out}: {e.strerror or e}") from None
        print(f"wrote {args.out}: {len(book)} quantities, loss {book.value_text(book.loss)}")
    else:
        print(text, end="")
    return 0
