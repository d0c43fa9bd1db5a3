"""``Linear`` (the fully connected layer) and ``Identity``."""

from __future__ import annotations

import math
import numbers

import numpy as np

from glassnet import backend
from glassnet import functional as F
from glassnet.nn import init
from glassnet.nn._layer_errors import check_device
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.tensor import Tensor


class Identity(Module):
    """Returns its input unchanged (a placeholder layer, e.g. to remove a head)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x W^T + b: every output neuron is a weighted sum of every input plus a bias.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample (the number of neurons).
        bias: whether to learn the additive bias b.
        device: None or "cpu" (PyTorch's keyword; glassnet runs on the CPU only).
        dtype: the parameters' dtype (default: glassnet's default dtype).

    Shape: input (*, in_features), output (*, out_features).
    Parameters: ``weight`` (out_features, in_features), ``bias`` (out_features,), PyTorch's
    layout. Initialisation is PyTorch's: both drawn from U(-1/sqrt(in), 1/sqrt(in))
    (kaiming_uniform_ with a = sqrt(5) for the weight).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        check_device("Linear", device)
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        in_features, out_features = int(in_features), int(out_features)  # np.int64 too
        self.in_features, self.out_features = in_features, out_features
        dtype = dtype or backend.get_default_dtype()
        self.weight = Parameter(np.zeros((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.zeros((out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
