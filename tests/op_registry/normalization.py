"""Registry entries: batch_norm in training and evaluation, on 2-D (N, C), 3-D (N, C, L),
4-D (N, C, H, W) and 5-D input, with and without the affine gamma/beta.

The running statistics are ``Const`` arrays: the harness makes fresh copies for every call,
so glassnet and PyTorch each update their own (in training the output does not depend on
them, so the gradient check's repeated forwards are unaffected). The running-stat updates
themselves are compared with PyTorch in tests/test_pooling.py."""

import torch.nn.functional as TF

from tests.op_registry.spec import Const, Diff, OpInfo, Sample


def _batch_norm(rng):
    n = rng.standard_normal

    def stats(c):
        return Const(n((c,))), Const(rng.random((c,)) + 0.5)  # mean, var > 0

    samples = []
    for training in (True, False):
        mode = "train" if training else "eval"
        kw = dict(training=training)
        samples += [
            Sample((Diff(n((4, 3)) * 2 + 1), *stats(3), Diff(n((3,))), Diff(n((3,)))), kw,
                   desc=f"{mode}-2d"),
            Sample((Diff(n((3, 2, 5))), *stats(2), Diff(n((2,))), Diff(n((2,)))),
                   dict(kw, momentum=0.3, eps=1e-3), desc=f"{mode}-3d"),
            Sample((Diff(n((2, 3, 4, 5))), *stats(3), Diff(n((3,))), Diff(n((3,)))), kw,
                   desc=f"{mode}-4d"),
            Sample((Diff(n((2, 3, 3, 4))), *stats(3)), kw, desc=f"{mode}-4d-no-affine"),
            Sample((Diff(n((2, 3, 2, 2, 3))), *stats(3), Diff(n((3,))), None), kw,
                   desc=f"{mode}-5d-weight-only"),
            Sample((Diff(n((1, 2, 3, 3))), *stats(2), Diff(n((2,))), Diff(n((2,)))), kw,
                   desc=f"{mode}-batch1"),
            Sample((Diff(n((5, 3, 2, 4)).transpose(3, 1, 2, 0)), *stats(3), Diff(n((3,))),
                    Diff(n((3,)))), kw, desc=f"{mode}-noncontig"),
            Sample((Const(n((4, 3))), *stats(3), Diff(n((3,))), Diff(n((3,)))), kw,
                   desc=f"{mode}-const-input"),
        ]
    samples.append(Sample((Diff(n((4, 3, 2))), None, None, Diff(n((3,))), Diff(n((3,)))),
                          dict(training=True), desc="train-no-running-stats"))
    return samples


OPS = [
    OpInfo("batch_norm", _batch_norm, TF.batch_norm, float32_rtol=1e-4, float32_atol=1e-5),
]
