"""``Parameter``: a Tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is listed by ``Module.parameters()``.

    Assigning a Parameter as a module attribute registers it under that name, which is also
    its ``state_dict`` key (``weight``, ``bias``, ``0.weight`` in a Sequential ...).
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.zeros((0,), dtype=np.float32)
        super().__init__(data.data if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
