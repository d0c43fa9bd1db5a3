"""Registry entries: pooling (max_pool2d, avg_pool2d, adaptive_avg_pool2d), with the odd
configurations that break window bookkeeping: non-square kernels, stride with padding,
dilation, ceil_mode windows hanging over the edge, count_include_pad off, divisor_override,
overlapping windows, a batch of 1, odd image sizes, unbatched and non-contiguous inputs.

Max-pool inputs are tie-free (a shuffled grid of values 0.1 apart) so that the gradient
check's nudges never change a window's winner; ties are tested against PyTorch directly in
tests/test_pooling.py."""

import numpy as np
import torch.nn.functional as TF

from tests.op_registry.spec import Diff, OpInfo, Sample


def _distinct(rng, shape):
    """Values 0.1 apart in random order: no ties, and a 1e-6 nudge never reorders them."""
    size = int(np.prod(shape))
    return (rng.permutation(size) - size / 2).reshape(shape) * 0.1


def _max_pool2d(rng):
    d = lambda *shape: Diff(_distinct(rng, shape))  # noqa: E731
    return [
        Sample((d(2, 3, 6, 6), 2), desc="2x2"),
        Sample((d(2, 2, 7, 5),), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1)),
               desc="nonsquare-stride-pad"),
        Sample((d(1, 2, 9, 8),), dict(kernel_size=3, stride=2, padding=1, dilation=2),
               desc="dilation-batch1"),
        Sample((d(2, 2, 6, 5),), dict(kernel_size=(2, 3), dilation=(2, 1), stride=1),
               desc="dilation-pair-overlap"),
        Sample((d(2, 2, 7, 7),), dict(kernel_size=3, stride=2, ceil_mode=True),
               desc="ceil"),
        Sample((d(2, 2, 7, 6),), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
               desc="ceil-pad-overhang"),
        Sample((d(1, 1, 5, 5),), dict(kernel_size=3, stride=1, padding=1),
               desc="overlap-pad"),
        Sample((d(3, 5, 7),), dict(kernel_size=2, stride=(1, 2)), desc="unbatched"),
        Sample((d(2, 3, 5, 5),), dict(kernel_size=2, stride=1, return_indices=True),
               desc="return-indices"),
        Sample((d(3, 4, 5),), dict(kernel_size=3, padding=1, ceil_mode=True,
                                   return_indices=True), desc="unbatched-indices-ceil"),
        Sample((Diff(_distinct(rng, (2, 7, 5, 2)).transpose(0, 3, 2, 1)),),
               dict(kernel_size=2, stride=(2, 3)), desc="noncontig"),
        Sample((d(2, 2, 4, 4),), dict(kernel_size=4), desc="global"),
        Sample((d(1, 1, 1, 1),), dict(kernel_size=1), desc="1x1"),
    ]


def _avg_pool2d(rng):
    n = lambda *shape: Diff(rng.standard_normal(shape))  # noqa: E731
    return [
        Sample((n(2, 3, 6, 6), 2), desc="2x2"),
        Sample((n(2, 2, 7, 5),), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1)),
               desc="nonsquare-stride-pad"),
        Sample((n(2, 2, 7, 5),), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1),
                                      count_include_pad=False), desc="exclude-pad"),
        Sample((n(2, 2, 7, 6),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               desc="ceil-pad-overhang"),
        Sample((n(2, 2, 7, 6),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                      count_include_pad=False), desc="ceil-exclude-pad"),
        Sample((n(1, 2, 5, 8),), dict(kernel_size=2, stride=3, ceil_mode=True),
               desc="ceil-batch1"),
        Sample((n(2, 2, 5, 5),), dict(kernel_size=3, stride=1, padding=1,
                                      divisor_override=4), desc="divisor-override"),
        Sample((n(3, 5, 7),), dict(kernel_size=2, stride=1), desc="unbatched-overlap"),
        Sample((Diff(rng.standard_normal((2, 7, 5, 2)).transpose(0, 3, 2, 1)),),
               dict(kernel_size=(2, 3), padding=(1, 0)), desc="noncontig"),
        Sample((n(1, 1, 1, 1),), dict(kernel_size=1), desc="1x1"),
    ]


def _adaptive_avg_pool2d(rng):
    n = lambda *shape: Diff(rng.standard_normal(shape))  # noqa: E731
    return [
        Sample((n(2, 3, 7, 5), (3, 2)), desc="overlapping-windows"),
        Sample((n(2, 3, 5, 5), 1), desc="global"),
        Sample((n(3, 6, 6), (None, 4)), desc="unbatched-keep-height"),
        Sample((n(1, 2, 4, 4), 4), desc="identity-batch1"),
        Sample((n(2, 2, 3, 5), (7, 3)), desc="upsample"),
        Sample((n(2, 2, 8, 6), (4, 3)), desc="even-split"),
        Sample((Diff(rng.standard_normal((2, 6, 5, 3)).transpose(0, 3, 2, 1)), (2, 3)),
               desc="noncontig"),
    ]


OPS = [
    OpInfo("max_pool2d", _max_pool2d, TF.max_pool2d),
    OpInfo("avg_pool2d", _avg_pool2d, TF.avg_pool2d),
    OpInfo("adaptive_avg_pool2d", _adaptive_avg_pool2d, TF.adaptive_avg_pool2d),
]
