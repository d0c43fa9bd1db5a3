"""Registry entries: convolution (conv2d, conv1d), with the odd configurations that break
im2col bookkeeping: non-square kernels, stride with padding, dilation, groups (depthwise
too), "same" with an even kernel, "valid", a batch of 1, no bias, unbatched and
non-contiguous inputs. Shapes stay small: the gradient check runs O(numel) forwards."""

import warnings

import torch.nn.functional as TF

from tests.op_registry.spec import Const, Diff, OpInfo, Sample


def _quiet(fn):
    """PyTorch warns that 'same' with an even kernel copies the input; that is expected."""
    def call(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args, **kwargs)
    return call


def _conv2d(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((2, 3, 5, 6))), Diff(n((4, 3, 3, 3))), Diff(n((4,))))),
        Sample((Diff(n((2, 2, 6, 7))), Diff(n((3, 2, 2, 3))), Diff(n((3,)))),
               desc="nonsquare-kernel"),
        Sample((Diff(n((2, 2, 7, 6))), Diff(n((3, 2, 3, 2))), Diff(n((3,)))),
               dict(stride=2, padding=1), desc="stride2-pad1"),
        Sample((Diff(n((1, 2, 7, 8))), Diff(n((2, 2, 3, 3))), Diff(n((2,)))),
               dict(stride=(2, 3), padding=(2, 1)), desc="stride-pad-pairs-batch1"),
        Sample((Diff(n((2, 2, 7, 7))), Diff(n((3, 2, 2, 3))), None),
               dict(dilation=(2, 1), padding=(1, 0)), desc="dilation-nobias"),
        Sample((Diff(n((2, 4, 5, 5))), Diff(n((6, 2, 3, 3))), Diff(n((6,)))),
               dict(groups=2, padding=1), desc="groups2"),
        Sample((Diff(n((2, 3, 5, 6))), Diff(n((6, 1, 3, 3))), Diff(n((6,)))),
               dict(groups=3, stride=2), desc="depthwise-multiplier2"),
        Sample((Diff(n((1, 3, 6, 5))), Diff(n((3, 1, 2, 2))), Diff(n((3,)))),
               dict(groups=3, padding="same"), desc="depthwise-same-even-kernel"),
        Sample((Diff(n((2, 2, 5, 6))), Diff(n((3, 2, 2, 4))), Diff(n((3,)))),
               dict(padding="same", dilation=(1, 2)), desc="same-even-dilated"),
        Sample((Diff(n((2, 2, 5, 5))), Diff(n((3, 2, 3, 3))), Diff(n((3,)))),
               dict(padding="valid"), desc="valid"),
        Sample((Diff(n((2, 5, 6))), Diff(n((3, 2, 3, 2))), Diff(n((3,)))),
               dict(padding=1), desc="unbatched"),
        Sample((Diff(n((2, 7, 6, 2)).transpose(0, 3, 2, 1)), Diff(n((3, 2, 2, 3))),
                Diff(n((3,)))), dict(stride=(1, 2)), desc="noncontig-input"),
        Sample((Diff(n((2, 2, 4, 4))), Diff(n((2, 3, 2, 2)).transpose(1, 0, 3, 2)),
                Diff(n((3,)))), desc="noncontig-weight"),
        Sample((Diff(n((2, 2, 3, 3))), Diff(n((2, 2, 3, 3))), Diff(n((2,)))),
               desc="kernel-equals-input"),
        Sample((Const(n((2, 2, 5, 5))), Diff(n((3, 2, 3, 3))), Diff(n((3,)))),
               desc="const-input"),
        Sample((Diff(n((2, 2, 5, 5))), Const(n((3, 2, 3, 3))), Const(n((3,)))),
               dict(stride=2), desc="const-params"),
    ]


def _conv1d(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((2, 3, 9))), Diff(n((4, 3, 3))), Diff(n((4,))))),
        Sample((Diff(n((1, 2, 10))), Diff(n((3, 2, 4))), Diff(n((3,)))),
               dict(stride=3, padding=2), desc="stride-pad-batch1"),
        Sample((Diff(n((2, 2, 11))), Diff(n((3, 2, 3))), None),
               dict(dilation=3, padding=1), desc="dilation-nobias"),
        Sample((Diff(n((2, 4, 8))), Diff(n((4, 1, 3))), Diff(n((4,)))),
               dict(groups=4, padding="same"), desc="depthwise-same"),
        Sample((Diff(n((2, 2, 7))), Diff(n((3, 2, 4))), Diff(n((3,)))),
               dict(padding="same", dilation=1), desc="same-even-kernel"),
        Sample((Diff(n((2, 2, 7))), Diff(n((3, 2, 2))), Diff(n((3,)))),
               dict(padding="same", dilation=3), desc="same-even-dilated"),
        Sample((Diff(n((2, 4, 7))), Diff(n((6, 2, 2))), Diff(n((6,)))),
               dict(groups=2, padding="valid"), desc="groups-valid"),
        Sample((Diff(n((3, 8))), Diff(n((2, 3, 3))), Diff(n((2,)))),
               dict(padding=(1,)), desc="unbatched"),
        Sample((Diff(n((9, 3, 2)).transpose(1, 2, 0)), Diff(n((4, 2, 2))), Diff(n((4,)))),
               desc="noncontig-input"),
    ]


OPS = [
    OpInfo("conv2d", _conv2d, _quiet(TF.conv2d), float32_rtol=1e-4, float32_atol=1e-5),
    OpInfo("conv1d", _conv1d, _quiet(TF.conv1d), float32_rtol=1e-4, float32_atol=1e-5),
]
