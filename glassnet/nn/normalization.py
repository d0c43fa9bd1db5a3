"""Batch normalization layers: ``BatchNorm1d`` and ``BatchNorm2d``.

Thin modules over ``F.batch_norm`` (the math and the gradient are in
``glassnet/ops/normalization.py``). The module owns the state: the learned gamma and beta
(``weight``, ``bias``) and the buffers ``running_mean``, ``running_var`` and
``num_batches_tracked`` (int64), registered in PyTorch's order so ``state_dict`` keys match.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet import backend
from glassnet import functional as F
from glassnet.autograd.grad_mode import no_grad
from glassnet.nn._layer_errors import call_as_layer, check_device
from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.tensor import Tensor


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d; subclasses say which input ranks they accept."""

    _ranks: tuple = ()
    _layout: str = ""
    _optional_state = ("num_batches_tracked",)  # a checkpoint without it loads (PyTorch's rule)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None, dtype=None,
                 *, bias: bool = True):
        super().__init__()
        name = type(self).__name__
        check_device(name, device)
        if isinstance(num_features, bool) or not isinstance(num_features, numbers.Integral) \
                or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got "
                             f"{num_features!r}")
        num_features = int(num_features)
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or eps < 0:
            raise ValueError(f"{name}: eps must be a non-negative float, got {eps!r}")
        if momentum is not None and (isinstance(momentum, bool)
                                     or not isinstance(momentum, numbers.Real)):
            raise ValueError(f"{name}: momentum must be a float or None (cumulative moving "
                             f"average), got {momentum!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = dtype or backend.get_default_dtype()
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))  # gamma
            if bias:
                self.bias = Parameter(np.zeros(num_features, dtype=dtype))  # beta
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.fill_(0)
                self.running_var.fill_(1)
                self.num_batches_tracked.fill_(0)

    def reset_parameters(self) -> None:
        """Running statistics to (0, 1, 0 batches); gamma to 1 and beta to 0 (PyTorch)."""
        self.reset_running_stats()
        with no_grad():  # fill_ notes the write: a graph that saved gamma refuses backward
            if self.weight is not None:
                self.weight.fill_(1)
            if self.bias is not None:
                self.bias.fill_(0)

    def _check_input(self, x: Tensor, batch_stats: bool) -> None:
        name, shape = type(self).__name__, tuple(x.shape)
        if len(shape) not in self._ranks:
            ranks = " or ".join(f"{r}-D" for r in self._ranks)
            raise ValueError(f"{name}: expected {ranks} input {self._layout}, got "
                             f"{len(shape)}-D input of shape {shape}")
        if shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): input has {shape[1]} channels "
                             f"(input shape {shape})")
        if batch_stats and shape[0] * int(np.prod(shape[2:])) == 1:
            raise ValueError(f"{name}: expected more than 1 value per channel when training, "
                             f"got input shape {shape}")

    def forward(self, input: Tensor) -> Tensor:
        x = input if isinstance(input, Tensor) else Tensor(input)
        tracking = self.training and self.track_running_stats
        # In eval mode without running statistics, the batch's own statistics are used.
        use_batch_stats = self.training or self.running_mean is None
        self._check_input(x, use_batch_stats)  # before any state changes
        factor = 0.0 if self.momentum is None else self.momentum
        batches = None
        if tracking and self.num_batches_tracked is not None:
            batches = int(self.num_batches_tracked.data) + 1
            if self.momentum is None:  # cumulative moving average: the mean of all batches
                factor = 1.0 / batches
        out = call_as_layer(  # errors name the layer
            F.batch_norm, "batch_norm", self, x,
            self.running_mean if not self.training or self.track_running_stats else None,
            self.running_var if not self.training or self.track_running_stats else None,
            self.weight, self.bias, use_batch_stats, factor, self.eps)
        if batches is not None:  # counted once the batch went through
            self.num_batches_tracked.data[...] = batches
        return out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) features or (N, C, L) sequences, per channel C.

        y = (x - mean) / sqrt(var + eps) * gamma + beta

    In training, mean and (biased) var are the batch's over N (and L); the running
    estimates are updated, running = (1 - momentum) running + momentum batch, with the
    unbiased variance (``momentum=None``: the cumulative average over all batches). In eval
    mode the running estimates normalise.

    Args:
        num_features: C.
        eps: added to the variance, for stability.
        momentum: weight of the newest batch in the running estimates.
        affine: learn gamma (``weight``, init 1) and beta (``bias``, init 0).
        track_running_stats: keep running estimates (else batch statistics always).
        bias: keyword only; learn beta (PyTorch 2.13's argument).

    Shape: input (N, C) or (N, C, L); output the same.
    """

    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) images, per channel C over N, H and W.

        y = (x - mean) / sqrt(var + eps) * gamma + beta

    Training, eval and the arguments are as for ``BatchNorm1d``.

    Shape: input (N, C, H, W); output the same.
    """

    _ranks = (4,)
    _layout = "(N, C, H, W)"
