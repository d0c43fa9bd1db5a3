"""The one door arrays come through.

Every op gets its array module from here (``xp``), so that a GPU backend (CuPy exposes the
NumPy API) is a later, small step. The default floating dtype also lives here: float32, as in
PyTorch; float64 works everywhere and is what gradient checks use.
"""

from __future__ import annotations

import numpy as np

xp = np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

_default_dtype = float32


def get_default_dtype() -> np.dtype:
    """The floating dtype new tensors get from Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the floating dtype used for Python floats and ``rand``/``randn``/``zeros``..."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_dtype = dtype


def category(dtype) -> int:
    """PyTorch's type-promotion category of a dtype: bool 0 < integer 1 < float 2 < complex 3.
    A result of a higher category decides the type; none is cast into a lower one in place."""
    return _CATEGORIES[np.dtype(dtype).kind]


_CATEGORIES = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def is_floating(dtype) -> bool:
    """True for float16/32/64: the dtypes that can carry gradients."""
    return np.dtype(dtype).kind == "f"


_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")


def to_dtype_and_device(op: str, *args, dtype=None, device=None):
    """The dtype a ``.to(...)`` call asks for, after its device is checked. PyTorch's forms:
    ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` (a tensor: its dtype)
    and the keywords; a device is a string such as "cpu" or "cuda:0" (``.to("cuda")`` names
    a device, not a dtype). Any device but the CPU ("cpu", "cpu:0") is refused."""
    if len(args) > 2:
        raise TypeError(f"{op}: expected at most a device and a dtype, got {len(args)} "
                        f"positional arguments")
    for arg in args:
        if arg is None:
            continue
        if isinstance(arg, str) and arg.split(":")[0] in _DEVICE_TYPES:
            kind, given = "device", device
        else:
            kind, given = "dtype", dtype
            if not isinstance(arg, (str, type, np.dtype)) and hasattr(arg, "dtype"):
                # to(other): a tensor (or array) gives its dtype
                arg = arg.dtype
        if given is not None:
            raise TypeError(f"{op}: {kind} given twice ({given!r} and {arg!r})")
        if kind == "device":
            device = arg
        else:
            dtype = arg
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ValueError(f"{op}: glassnet runs on the CPU only, got device {device!r}")
    return dtype
