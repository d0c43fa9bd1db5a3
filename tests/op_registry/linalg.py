"""Registry entries: linear algebra (matmul, linear)."""

import torch
import torch.nn.functional as TF

from tests.op_registry.spec import Const, Diff, OpInfo, Sample


def _matmul(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((4,))), Diff(n((4,)))), desc="dot"),
        Sample((Diff(n((3,))), Diff(n((3, 5)))), desc="vec-mat"),
        Sample((Diff(n((4, 3))), Diff(n((3,)))), desc="mat-vec"),
        Sample((Diff(n((3, 4))), Diff(n((4, 5)))), desc="mat-mat"),
        Sample((Diff(n((2, 1, 3, 4))), Diff(n((5, 4, 2)))), desc="batch-broadcast"),
        Sample((Diff(n((2, 3, 4))), Diff(n((4, 5)))), desc="batch-mat"),
        Sample((Diff(n((3, 4))), Diff(n((2, 4, 5)))), desc="mat-batch"),
        Sample((Diff(n((4,))), Diff(n((2, 4, 3)))), desc="vec-batch"),
        Sample((Diff(n((2, 3, 4))), Diff(n((4,)))), desc="batch-vec"),
        Sample((Diff(n((1, 1))), Diff(n((1, 1)))), desc="size1"),
        Sample((Diff(n((1, 4))), Diff(n((4, 1)))), desc="row-col"),
        Sample((Diff(n((4, 3)).T), Diff(n((5, 4)).T)), desc="noncontig"),
        Sample((Diff(n((2, 4, 3)).transpose(0, 2, 1)), Diff(n((2, 4, 3)))),
               desc="noncontig-batch"),
        Sample((Const(n((3, 4))), Diff(n((4, 2)))), desc="const-input"),
        Sample((Diff(n((2, 3, 4))), Const(n((4, 2)))), desc="const-other"),
    ]


def _linear(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((4, 5))), Diff(n((3, 5))), Diff(n((3,))))),
        Sample((Diff(n((4, 5))), Diff(n((3, 5))), None), desc="no-bias"),
        Sample((Diff(n((4, 5))), Diff(n((3, 5)))), desc="bias-omitted"),
        Sample((Diff(n((5,))), Diff(n((3, 5))), Diff(n((3,)))), desc="1d-input"),
        Sample((Diff(n((2, 4, 5))), Diff(n((3, 5))), Diff(n((3,)))), desc="3d-input"),
        Sample((Diff(n((5, 4)).T), Diff(n((5, 3)).T), Diff(n((3,)))), desc="noncontig"),
        Sample((Diff(n((2, 5, 4)).transpose(0, 2, 1)), Diff(n((3, 5))), Diff(n((3,)))),
               desc="noncontig-3d"),
        Sample((Diff(n((4, 5))), Diff(n((3, 5))), Diff(n(()))), desc="0d-bias"),
        Sample((Diff(n((4, 5))), Diff(n((3, 5))), Diff(n((4, 3)))), desc="full-bias"),
        Sample((Diff(n((1, 1))), Diff(n((1, 1))), Diff(n((1,)))), desc="size1"),
        Sample((Diff(n((4, 5))), Const(n((3, 5))), Const(n((3,)))), desc="const-params"),
        Sample((Const(n((4, 5))), Diff(n((3, 5))), Diff(n((3,)))), desc="const-input"),
    ]


OPS = [
    OpInfo("matmul", _matmul, torch.matmul),
    OpInfo("linear", _linear, TF.linear),
]
