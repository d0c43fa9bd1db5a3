"""Registry entries: embedding (row lookup, repeated ids).

padding_idx and scale_grad_by_freq change the gradient on purpose (it is no longer the
derivative, so a gradient check would fail): their parity with PyTorch is tested in
tests/test_rnn_ops.py."""

import numpy as np
import torch.nn.functional as TF

from tests.op_registry.spec import Const, Diff, OpInfo, Sample


def _embedding(rng):
    n = rng.standard_normal
    ids = np.array([[1, 3, 3], [0, 6, 1]])
    return [
        Sample((Const(ids), Diff(n((7, 4))))),
        Sample((Const(np.array([2, 2, 2, 5])), Diff(n((7, 3)))), desc="repeated"),
        Sample((Const(np.array(4)), Diff(n((7, 3)))), desc="0d-ids"),
        Sample((Const(ids.astype(np.int32)), Diff(n((7, 4)))), desc="int32"),
        Sample((Const(ids), Diff(n((4, 7)).T)), desc="noncontig-weight"),
        Sample((Const(np.zeros((0, 2), dtype=np.int64)), Diff(n((7, 4)))), desc="empty"),
    ]


OPS = [OpInfo("embedding", _embedding, TF.embedding)]
