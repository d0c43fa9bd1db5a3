"""Weight initialisation, in place, with PyTorch's names and formulas.

fan_in / fan_out of a weight of shape (out, in, *kernel) are in * prod(kernel) and
out * prod(kernel). Xavier (Glorot) keeps the variance of activations and gradients equal
across layers for tanh-like units: std = gain * sqrt(2 / (fan_in + fan_out)). Kaiming (He)
does it for ReLU-like units: std = gain / sqrt(fan), gain = sqrt(2 / (1 + a^2)).
All draws come from glassnet's seeded generator, or from the NumPy Generator passed as
``generator=`` (PyTorch's keyword; a ``numpy.random.Generator`` here).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from glassnet import random
from glassnet.autograd import versions
from glassnet.autograd.grad_mode import no_grad
from glassnet.tensor import Tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activation variance stable through ``nonlinearity``; ``param``
    is leaky_relu's negative slope (default 0.01)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid", "identity")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = _negative_slope(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _negative_slope(param) -> float:
    if param is None:
        return 0.01
    # As PyTorch: an int or a float, not a bool (True is a flag, not a slope of 1)
    if isinstance(param, bool) or not isinstance(param, numbers.Real):
        raise ValueError(f"calculate_gain: negative_slope {param!r} not a valid number")
    return float(param)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            f"init: fan in and fan out cannot be computed for a tensor with fewer than 2 "
            f"dimensions (shape {tensor.shape})")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor: Tensor, values) -> Tensor:
    with no_grad():
        tensor.data[...] = values
    versions.note_write(tensor.data)
    return tensor


def _check_random_fill(op: str, tensor: Tensor, generator) -> np.random.Generator:
    """The generator to draw from, after checking that random values fit ``tensor``:
    writing them into an integer tensor would truncate them (mostly to 0), so it is refused,
    as PyTorch refuses it."""
    if tensor.data.dtype.kind != "f":
        raise TypeError(f"{op}: random values need a floating point tensor, got dtype "
                        f"{tensor.data.dtype} (shape {tensor.shape})")
    if generator is None:
        return random.default_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy.random.Generator or None "
                        f"(glassnet's generator), got {type(generator).__name__}")
    return generator


def _number(op: str, arg: str, value) -> float:
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: argument '{arg}' must be a number, got "
                        f"{type(value).__name__} {value!r}")
    return float(value)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with U(a, b); a <= b, both finite."""
    gen = _check_random_fill("uniform_", tensor, generator)
    a, b = _number("uniform_", "a", a), _number("uniform_", "b", b)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"uniform_: a and b must be finite, got a={a}, b={b}")
    if a > b:
        raise ValueError(f"uniform_ expects to return a [from, to) range, but found "
                         f"from={a} > to={b}")
    return _fill(tensor, gen.uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2); std >= 0."""
    gen = _check_random_fill("normal_", tensor, generator)
    mean, std = _number("normal_", "mean", mean), _number("normal_", "std", std)
    if not std >= 0:  # (NaN too)
        raise ValueError(f"normal_: normal expects std >= 0.0, but found std {std}")
    return _fill(tensor, gen.normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    _check_random_fill("xavier_uniform_", tensor, generator)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check_random_fill("xavier_normal_", tensor, generator)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(op: str, tensor, a, mode, nonlinearity) -> float:
    # PyTorch lower-cases the mode, so "FAN_IN" is "fan_in"
    low = mode.lower() if isinstance(mode, str) else mode
    if low not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if low == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan) (PyTorch's default for Linear and Conv uses
    a = sqrt(5), giving b = 1 / sqrt(fan_in)). A tensor with no elements is left as it is,
    with a warning, as in PyTorch (its fan may be 0)."""
    if _no_elements(tensor):
        return tensor
    _check_random_fill("kaiming_uniform_", tensor, generator)
    bound = math.sqrt(3.0) * _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan); a tensor with no elements is left as is."""
    if _no_elements(tensor):
        return tensor
    _check_random_fill("kaiming_normal_", tensor, generator)
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    return normal_(tensor, 0.0, std, generator)


def _no_elements(tensor: Tensor) -> bool:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False
