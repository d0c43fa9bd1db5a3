"""The op registry's vocabulary: how one op and its sample inputs are described.

Every public op in ``glassnet.functional`` has an ``OpInfo``. Its samples are built from
NumPy arrays wrapped in ``Diff`` (becomes a tensor that requires grad, in the dtype under
test) or ``Const`` (a tensor without grad: targets, masks, indices); any other value (an int
``dim``, a shape, a string) is passed through unchanged. The generated tests in
``tests/test_ops.py`` call the op in glassnet and in PyTorch with the same arguments and
compare outputs and gradients, and run a float64 gradient check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Diff:
    """A floating input the gradient is taken with respect to."""

    array: np.ndarray


@dataclass
class Const:
    """An input without gradient. Float arrays take the dtype under test; others keep theirs."""

    array: np.ndarray


@dataclass
class Sample:
    args: tuple
    kwargs: dict = field(default_factory=dict)
    desc: str = ""


@dataclass
class OpInfo:
    """One public op: its glassnet callable, its PyTorch twin and sample inputs.

    name:      the name in ``glassnet.functional`` (the completeness test checks it).
    samples:   ``rng -> list[Sample]``; cover broadcasting, 0-d and size-1 dimensions,
               non-contiguous views (e.g. ``a.T``) and values away from kinks.
    torch_fn:  the PyTorch callable taking the same arguments (torch tensors in place of
               Diff/Const).
    gn_fn:     defaults to ``glassnet.functional.<name>``.
    gradcheck: False for ops with no gradient (argmax) or random outputs.
    parity:    False where outputs cannot match PyTorch (random ops seeded differently);
               such ops must have their own tests.
    float32_rtol / float64_rtol / atol: comparison tolerances with PyTorch.
    torch_differentiable: False when the PyTorch twin has no autograd formula (heaviside,
               or step built from a comparison), so requires_grad cannot be compared.
    """

    name: str
    samples: Callable[[np.random.Generator], list]
    torch_fn: Callable
    gn_fn: Callable | None = None
    gradcheck: bool = True
    parity: bool = True
    float32_rtol: float = 1e-5
    float32_atol: float = 1e-6
    float64_rtol: float = 1e-10
    float64_atol: float = 1e-12
    torch_differentiable: bool = True  # False: the twin cannot carry a graph (step)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
