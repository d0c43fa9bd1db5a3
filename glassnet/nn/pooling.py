"""Pooling layers over images (NCHW): ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``.

Thin modules over ``glassnet.functional``; the window arithmetic, the output size formula
and the gradients are written in ``glassnet/ops/pooling.py``.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet import functional as F
from glassnet.nn._layer_errors import call_as_layer
from glassnet.nn.module import Module
from glassnet.ops.pooling import _output_size, _pair
from glassnet.tensor import Tensor


def _check_window(layer: str, kernel_size, stride, padding, dilation=1) -> None:
    """The arguments that do not depend on the input, checked when the layer is built."""
    kh, kw = _pair(layer, "kernel_size", kernel_size, 1)
    if stride is not None and not (isinstance(stride, (tuple, list)) and len(stride) == 0):
        _pair(layer, "stride", stride, 1)
    ph, pw = _pair(layer, "padding", padding, 0)
    _pair(layer, "dilation", dilation, 1)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{layer}: padding {(ph, pw)} must be at most half the kernel size "
                         f"{(kh, kw)} (padding <= kernel_size // 2 in each dimension)")


class MaxPool2d(Module):
    """Max pooling: each output pixel is the largest value of its kh x kw window.

    Args:
        kernel_size: window size, an int or (kh, kw).
        stride: window step; None (the default) means ``kernel_size``, non-overlapping.
        padding: implicit -inf border, at most half the kernel.
        dilation: spacing between the window's pixels.
        return_indices: also return each winner's flat index into its H*W plane.
        ceil_mode: round the output size up (the last window may hang over the edge).

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, oh, ow) or (C, oh, ow) with
    oh = floor((H + 2 pad - dilation (k - 1) - 1) / stride) + 1 (ceil with ceil_mode).
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        _check_window("MaxPool2d", kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size  # as PyTorch stores it
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor):
        return call_as_layer(
            lambda x: F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                                   ceil_mode=self.ceil_mode, return_indices=self.return_indices),
            "max_pool2d", self, input)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, "
                f"ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Average pooling: each output pixel is the mean of its kh x kw window.

    Args:
        kernel_size, stride, padding, ceil_mode: as for ``MaxPool2d`` (zero padding).
        count_include_pad: divide by the whole window, padding included (default), or only
            by the pixels inside the input.
        divisor_override: divide every window's sum by this number instead.

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, oh, ow) or (C, oh, ow).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        _check_window("AvgPool2d", kernel_size, stride, padding)
        if divisor_override is not None and (
                isinstance(divisor_override, bool)
                or not isinstance(divisor_override, (numbers.Integral, np.integer))
                or divisor_override == 0):
            raise ValueError(f"AvgPool2d: divisor_override must be a non-zero int or None, "
                             f"got {divisor_override!r}")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return call_as_layer(F.avg_pool2d, "avg_pool2d", self, input, self.kernel_size,
                             self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                             self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size (windows adapt).

    Args:
        output_size: (oh, ow), or an int for a square output; None keeps that dimension.
            ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, oh, ow) or (C, oh, ow).
    """

    def __init__(self, output_size):
        super().__init__()
        _output_size("AdaptiveAvgPool2d", output_size)
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return call_as_layer(F.adaptive_avg_pool2d, "adaptive_avg_pool2d", self, input,
                             self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
