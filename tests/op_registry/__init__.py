"""The op registry: every public op of ``glassnet.functional`` with its sample inputs.

One file per op family adds its entries to ``OPS``; ``tests/test_ops.py`` generates the
gradient checks and PyTorch parity tests from them, and fails if a public op is missing.
"""

from tests.op_registry import (
    activation,
    conv,
    distance,
    elementwise,
    embedding,
    linalg,
    loss,
    normalization,
    pooling,
    reduce,
    rnn,
    shape,
)
from tests.op_registry.spec import Const, Diff, OpInfo, Sample

OPS: dict[str, OpInfo] = {}
for _family in (elementwise, reduce, shape, linalg, activation, loss, conv, embedding, rnn,
                pooling, normalization, distance):
    for _info in _family.OPS:
        if _info.name in OPS:
            raise ValueError(f"op registry: {_info.name!r} is listed twice")
        OPS[_info.name] = _info

__all__ = ["OPS", "OpInfo", "Sample", "Diff", "Const"]
