"""glassnet: a deep-learning library written from first principles on NumPy.

    import glassnet as gn
    import glassnet.functional as F

    x = gn.randn(4, 3, requires_grad=True)
    loss = F.relu(x).sum()
    loss.backward()          # x.grad now holds d loss / d x
"""

# Before anything loads NumPy: OpenBLAS picks its kernels once, when NumPy loads it.
from glassnet import openblas_kernels  # noqa: I001

openblas_kernels.choose()

from glassnet.tensor import Tensor  # (Tensor first: the ops import it)

openblas_kernels.forget()  # NumPy has loaded OpenBLAS: child processes choose for themselves

from glassnet import allocator  # noqa: E402

allocator.warm_up()  # large temporaries from the heap, not fresh pages (allocator.py)

from glassnet import functional  # noqa: F401
from glassnet.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from glassnet.backend import (
    bool_ as bool,  # noqa: A001 (PyTorch's name)
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from glassnet.creation import (
    arange,
    empty,
    from_numpy,
    full,
    full_like,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from glassnet.random import get_rng_state, initial_seed, manual_seed, set_rng_state
from glassnet import data, nn, optim, train  # noqa: E402  (after Tensor and the ops)
from glassnet.io import load, save  # noqa: E402

half = float16
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "from_numpy", "zeros", "ones", "full", "arange", "rand", "randn",
    "randint", "empty", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like",
    "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled", "manual_seed",
    "initial_seed", "get_rng_state", "set_rng_state", "get_default_dtype",
    "set_default_dtype", "functional", "float16", "float32", "float64", "int8", "int16",
    "int32", "int64", "uint8", "bool", "nn", "optim", "data", "train", "save",
    "load",
]
