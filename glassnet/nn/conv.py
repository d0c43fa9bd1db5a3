"""Convolution layers: ``Conv1d`` and ``Conv2d``, thin modules over ``F.conv1d/conv2d``."""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from glassnet import backend
from glassnet import functional as F
from glassnet.nn import init
from glassnet.nn._layer_errors import call_as_layer, check_device
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.ops.conv import _tuple, check_conv, conv_padding
from glassnet.tensor import Tensor

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What Conv1d and Conv2d share: arguments, parameters, initialisation and repr."""

    nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, dilation=1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__()
        name, nd = type(self).__name__, self.nd
        check_device(name, device)
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels),
                           ("groups", groups)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}")
        in_channels, out_channels, groups = int(in_channels), int(out_channels), int(groups)
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % groups:
                raise ValueError(f"{name}: {arg}={value} must be divisible by groups={groups}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of "
                             f"{', '.join(map(repr, PADDING_MODES))}; got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(name, "kernel_size", kernel_size, nd, 1)
        self.stride = _tuple(name, "stride", stride, nd, 1)
        self.dilation = _tuple(name, "dilation", dilation, nd, 1)
        # (before, after) per dimension; also checks "same" against the stride now, as PyTorch
        self._pads = conv_padding(name, padding, nd, self.stride, self.dilation,
                                  self.kernel_size)
        self.padding = padding if isinstance(padding, str) else _tuple(
            name, "padding", padding, nd, 0)
        self.padding_mode = padding_mode
        dtype = dtype or backend.get_default_dtype()
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.zeros(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.zeros((out_channels,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's init: weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        fan_in = in_channels/groups * prod(kernel_size)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        conv = F.conv2d if self.nd == 2 else F.conv1d
        args = (self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        if self.padding_mode == "zeros":
            return call_as_layer(conv, conv.__name__, self, input, *args)
        # Other modes pad explicitly (F.pad takes amounts last dimension first), then
        # convolve without padding, as PyTorch does; the checks run first, on the input and
        # padding the caller gave, so the errors show those and no copy is made in vain.
        check = functools.partial(check_conv, conv.__name__, self.nd)
        call_as_layer(check, conv.__name__, self, input, *args)
        amounts = tuple(a for lo_hi in reversed(self._pads) for a in lo_hi)
        padded = call_as_layer(functools.partial(F.pad, mode=self.padding_mode), "pad", self,
                               input, amounts)
        return call_as_layer(conv, conv.__name__, self, padded, self.weight, self.bias,
                             self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
        """Exactly PyTorch's: ``Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))``."""
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution: each of ``out_channels`` filters slides over the image and takes a
    weighted sum of the (in_channels/groups, kh, kw) window under it, plus a bias:

        out[n, o] = bias[o] + sum_c weight[o, c] * input[n, c]     (* = cross-correlation)

    Args: in_channels, out_channels, kernel_size (int or pair), stride, padding (int, pair,
    "valid" or "same"), dilation, groups, bias, padding_mode ("zeros", "reflect",
    "replicate" or "circular").

    Shape: input (N, C_in, H, W) or (C_in, H, W), output (N, C_out, H_out, W_out),
    H_out = (H + 2*padding - dilation*(kh - 1) - 1) // stride + 1 (W_out alike).
    Parameters: ``weight`` (out_channels, in_channels/groups, kh, kw), ``bias``
    (out_channels,), PyTorch's layout and initialisation (U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
    """

    nd = 2


class Conv1d(_ConvNd):
    """1-D convolution over sequences: Conv2d's arithmetic along one axis.

    Shape: input (N, C_in, L) or (C_in, L), output (N, C_out, L_out),
    L_out = (L + 2*padding - dilation*(k - 1) - 1) // stride + 1.
    Parameters: ``weight`` (out_channels, in_channels/groups, k), ``bias`` (out_channels,).
    """

    nd = 1
