"""NumPy's OpenBLAS: pick its matrix-product kernels where its own pick is measurably slow,
and find the loaded library for the routines glassnet calls directly
(``glassnet/optim/blas_update.py``).

NumPy's wheels bundle one OpenBLAS built for many CPUs at once (``DYNAMIC_ARCH``). When NumPy
first loads it, OpenBLAS reads the CPU and picks one set of kernels for the whole process,
unless the environment variable ``OPENBLAS_CORETYPE`` names one. On AMD Zen 4 (CPU family 25
with AVX-512), OpenBLAS 0.3.31 picks its SkylakeX (AVX-512) kernels, with block sizes tuned
on Intel's caches. Its Zen kernels (AVX2, the same code as Haswell's) are faster there for
a product with a transposed operand, as ``x @ W.T`` in every dense layer's forward pass, and
within a few percent either way for the others (large float64 ones are ~5% slower: 1024^3
takes 21.5 against 20.3 ms). Measured on this project's 2-core Zen 4 (median of 15 calls, ms;
three alternating runs of each gave the same):

    product (float32)                       SkylakeX    Zen
    (64, 784) @ (128, 784).T                  0.146     0.128  the MNIST MLP's first layer
    (64, 128).T @ (64, 784)                   0.368     0.365  its weight gradient
    35 x (1024, 256) @ (256, 32)              5.08      5.02   the LSTM's recurrent steps
    (1024, 257) @ (1120, 257).T               3.41      3.34   the LSTM's input projection

So ``import glassnet`` sets ``OPENBLAS_CORETYPE=Zen`` while NumPy loads when all of these
hold (and removes it again once NumPy has loaded; ``openblas_kernels.chosen`` records it):

- NumPy is not loaded yet. OpenBLAS has chosen once it is, and the choice cannot be changed;
  import glassnet first to get this.
- ``OPENBLAS_CORETYPE`` is not set: yours wins. ``OPENBLAS_CORETYPE=SkylakeX`` keeps
  OpenBLAS's own pick.
- The CPU is a Zen 4 (Linux ``/proc/cpuinfo``: AuthenticAMD, family 25, ``avx512f``).
- NumPy's bundled OpenBLAS is older than 0.3.34. That version retunes its own block sizes on
  Zen 4, and there a forced Haswell kernel can overrun a stack buffer in float64 products
  (OpenBLAS issues 6021 and 6026).

The Zen kernels sum in a different order, so results can differ from the SkylakeX kernels'
in the last bits. Within one process the choice never changes.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import sys
from pathlib import Path

__all__ = ["cblas_routine", "choose", "chosen_kernel", "forget", "kernel_name",
           "loaded_openblas", "openblas_function"]

ZEN4_KERNEL = "Zen"
# The first OpenBLAS whose own Zen 4 tuning makes forcing the Haswell kernels unsafe.
FIRST_SELF_TUNED = (0, 3, 34)

_VERSION = re.compile(r"OpenBLAS (\d+)\.(\d+)\.(\d+)")


def chosen_kernel(environ, numpy_loaded: bool, cpuinfo: str | None,
                  openblas_version: tuple[int, int, int] | None) -> str | None:
    """The ``OPENBLAS_CORETYPE`` glassnet should set, or None to leave OpenBLAS's pick.

    Pure, so every condition can be tested: ``environ`` a mapping like ``os.environ``,
    ``cpuinfo`` the text of ``/proc/cpuinfo`` (None where there is none),
    ``openblas_version`` the bundled OpenBLAS's (major, minor, patch) or None if unknown.
    """
    if numpy_loaded or "OPENBLAS_CORETYPE" in environ:
        return None
    if cpuinfo is None or openblas_version is None or openblas_version >= FIRST_SELF_TUNED:
        return None
    return ZEN4_KERNEL if _is_zen4(cpuinfo) else None


chosen: str | None = None  # what choose() set, for reports (the variable itself is gone)


def choose() -> str | None:
    """Set ``OPENBLAS_CORETYPE`` where :func:`chosen_kernel` says so; return what was set.

    Call :func:`forget` once NumPy has loaded, so that child processes (which may run
    another NumPy, with another OpenBLAS) do not inherit the pick as if it were theirs.
    """
    global chosen
    if "numpy" in sys.modules or "OPENBLAS_CORETYPE" in os.environ:
        return None  # the cheap answers first: no files read
    chosen = chosen_kernel(os.environ, False, _read_cpuinfo(), _bundled_openblas_version())
    if chosen is not None:
        os.environ["OPENBLAS_CORETYPE"] = chosen
    return chosen


def forget() -> None:
    """Take back the variable :func:`choose` set; OpenBLAS read it when NumPy loaded it."""
    if chosen is not None and os.environ.get("OPENBLAS_CORETYPE") == chosen:
        del os.environ["OPENBLAS_CORETYPE"]


def kernel_name() -> str | None:
    """The kernels the loaded OpenBLAS uses (``"Haswell"``, ``"SkylakeX"``...), or None where
    NumPy uses another BLAS or the library cannot be found."""
    function = openblas_function("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                                 "openblas_get_corename64_", "openblas_get_corename")
    if function is None:
        return None
    function.restype = ctypes.c_char_p
    return function().decode()


def openblas_function(*names: str):
    """The first of ``names`` that NumPy's OpenBLAS exports, as a ctypes function, or None."""
    library = loaded_openblas()
    for name in names:
        function = getattr(library, name, None) if library is not None else None
        if function is not None:
            return function
    return None


def cblas_routine(name: str, ilp64_only: bool = False):
    """(CBLAS ``name`` from NumPy's OpenBLAS, the C type of its sizes), e.g. ``"saxpy"``, or
    (None, None) where it has none.

    ILP64 builds (NumPy's wheels) take 64-bit sizes and name their symbols with a 64_ suffix;
    LP64 builds take C ints. The name says which, so a size is never misread.
    """
    candidates = [(f"scipy_cblas_{name}64_", ctypes.c_int64), (f"cblas_{name}64_", ctypes.c_int64)]
    if not ilp64_only:
        candidates += [(f"scipy_cblas_{name}", ctypes.c_int), (f"cblas_{name}", ctypes.c_int)]
    for symbol, size in candidates:
        function = openblas_function(symbol)
        if function is not None:
            return function, size
    return None, None


_library: ctypes.CDLL | None = None


def loaded_openblas() -> ctypes.CDLL | None:
    """NumPy's OpenBLAS as this process loaded it, or None where NumPy uses another BLAS.

    Found through ``/proc/self/maps``, so only on Linux; a copy that NumPy bundles (its wheels
    keep it in ``numpy.libs``) is preferred to another package's.
    """
    global _library
    if _library is None:
        import numpy  # noqa: F401  (loads the library, if it is not loaded yet)

        try:
            maps = Path("/proc/self/maps").read_text()
        except OSError:
            return None
        paths = {line.split(maxsplit=5)[-1] for line in maps.splitlines()
                 if "openblas" in line.rsplit("/", 1)[-1]}
        for path in sorted(paths, key=lambda path: ("numpy" not in path, path)):
            try:
                _library = ctypes.CDLL(path)
                break
            except OSError:
                continue
    return _library


def _is_zen4(cpuinfo: str) -> bool:
    """AMD family 25 (Zen 3 and Zen 4) with AVX-512, which only Zen 4 has."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break  # the first processor's block says it for all of them
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return (fields.get("vendor_id") == "AuthenticAMD" and fields.get("cpu family") == "25"
            and "avx512f" in fields.get("flags", "").split())


def _read_cpuinfo() -> str | None:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return None


def _bundled_openblas_version() -> tuple[int, int, int] | None:
    """The OpenBLAS version NumPy records in ``numpy/__config__.py``, read as text: importing
    NumPy would load OpenBLAS, which is what must not happen yet."""
    spec = importlib.util.find_spec("numpy")
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        config = (Path(next(iter(spec.submodule_search_locations))) / "__config__.py")
        match = _VERSION.search(config.read_text())
    except OSError:
        return None
    return tuple(int(part) for part in match.groups()) if match else None
