"""Registry entries: normalize, cosine_similarity (vector norms along one dim) and one_hot."""

import numpy as np
import torch.nn.functional as TF

from tests.op_registry.spec import Const, Diff, OpInfo, Sample


def _normalize(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))),)),
        Sample((Diff(n((3, 4))),), {"dim": 0}, desc="dim0"),
        Sample((Diff(n((2, 3, 4))),), {"p": 1.0, "dim": -1}, desc="p1"),
        Sample((Diff(n((2, 5))),), {"p": 3.0}, desc="p3"),
        Sample((Diff(n((4, 3)).T),), desc="noncontig"),
        Sample((Diff(n((1,))),), {"dim": 0}, desc="size1"),
    ]


def _cosine(rng):
    n = rng.standard_normal
    return [
        Sample((Diff(n((3, 4))), Diff(n((3, 4))))),
        Sample((Diff(n((4,))), Diff(n((2, 4)))), {"dim": -1}, desc="broadcast"),
        Sample((Diff(n((2, 3, 5))), Diff(n((2, 3, 5)))), {"dim": 2}, desc="3d"),
        Sample((Diff(n((4, 3)).T), Diff(n((3, 4)))), desc="noncontig"),
    ]


def _one_hot(rng):
    return [
        Sample((Const(np.array([0, 3, 1, 3])),)),
        Sample((Const(np.array([[2, 0], [1, 1]])), 5), desc="2d-num-classes"),
        Sample((Const(np.array(2)),), {"num_classes": 4}, desc="0d"),
        Sample((Const(np.zeros((0,), dtype=np.int64)), 3), desc="empty"),
    ]


OPS = [
    OpInfo("normalize", _normalize, TF.normalize),
    OpInfo("cosine_similarity", _cosine, TF.cosine_similarity),
    OpInfo("one_hot", _one_hot, TF.one_hot, gradcheck=False, torch_differentiable=False,
           notes="integer class ids in and out: nothing to differentiate"),
]
