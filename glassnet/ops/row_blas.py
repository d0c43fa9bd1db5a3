"""Copies and adds of row-strided matrices through NumPy's OpenBLAS: ``add_rows_(dest, src)``
is ``dest += src`` and ``copy_rows_(dest, src)`` is ``dest[...] = src``, for 2-D views whose
rows are contiguous runs lying any distance apart (a block of columns of a wider matrix, one
image's plane of a batch).

Why not NumPy: NumPy walks such a view one row at a time with ~25 ns of bookkeeping per row,
so on rows of 10-150 values, as convolution's col2im and im2col have, its adds and copies run
2-3x slower than on one long run. OpenBLAS's ``geadd`` (C = alpha A + beta C) and ``omatcopy``
(B = alpha A) take each matrix's row stride (its "leading dimension") and loop over the rows in
C. Measured on col2im's stage 2 of the MNIST CNN's second convolution (6,144 rows of 121
float32 values added at 3 shifts): 0.30 ms against 0.83 ms.

Exactness: both run with alpha = beta = 1, so a sum is x + y rounded once, as NumPy's, and a
copy is exact. Both are single-threaded in OpenBLAS. float16, strided rows (a step between
values), overlapping operands, or a NumPy without OpenBLAS take NumPy's path.
"""

from __future__ import annotations

import ctypes

import numpy as np

from glassnet.openblas_kernels import cblas_routine

__all__ = ["add_rows_", "copy_rows_", "copy_transposed_"]

enabled = True  # False sends everything through NumPy (the tests compare the two)

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_PREFIXES = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}
_routines: dict[tuple[str, np.dtype], object] = {}


def add_rows_(dest: np.ndarray, src: np.ndarray) -> None:
    """dest += src, both 2-D of one shape and dtype (dest writeable)."""
    geadd = _routine("geadd", dest, src)
    if geadd is None:
        dest += src
        return
    rows, cols = dest.shape
    geadd(_ROW_MAJOR, rows, cols, 1.0, src.ctypes.data, _lead(src), 1.0, dest.ctypes.data,
          _lead(dest))


def copy_rows_(dest: np.ndarray, src: np.ndarray) -> None:
    """dest[...] = src, both 2-D of one shape and dtype (dest writeable)."""
    omatcopy = _routine("omatcopy", dest, src)
    if omatcopy is None:
        dest[...] = src
        return
    rows, cols = dest.shape
    omatcopy(_ROW_MAJOR, _NO_TRANS, rows, cols, 1.0, src.ctypes.data, _lead(src),
             dest.ctypes.data, _lead(dest))


def copy_transposed_(dest: np.ndarray, src: np.ndarray) -> None:
    """dest[...] = src.T, for dest (cols, rows) and src (rows, cols), both row-strided:
    omatcopy's transposing copy. With a src of two columns this splits interleaved
    pairs, (a0 b0 a1 b1 ...) -> (a0 a1 ...), (b0 b1 ...), in one pass, where NumPy reads
    every other element (a strided loop, ~3x slower)."""
    omatcopy = _routine("omatcopy", dest, src, transposed=True)
    if omatcopy is None:
        dest[...] = src.T
        return
    rows, cols = src.shape
    omatcopy(_ROW_MAJOR, _TRANS, rows, cols, 1.0, src.ctypes.data, _lead(src),
             dest.ctypes.data, _lead(dest))


def _lead(view: np.ndarray) -> int:
    """The leading dimension BLAS wants: elements from one row's start to the next (any
    value >= the row length for a single row, whose stride NumPy leaves arbitrary)."""
    rows, cols = view.shape
    return view.strides[0] // view.itemsize if rows > 1 else max(cols, 1)


def _routine(name: str, dest: np.ndarray, src: np.ndarray, transposed: bool = False):
    """OpenBLAS's ``name`` for these two 2-D views, or None where NumPy should do it: each
    row a contiguous run, rows in increasing order of address and at a whole number of
    elements apart, no overlap; with ``transposed``, dest is src's transpose in shape."""
    if not enabled or dest.ndim != 2 or src.ndim != 2 or src.dtype != dest.dtype \
            or dest.shape != (src.shape[::-1] if transposed else src.shape) \
            or dest.dtype not in _PREFIXES or not dest.flags.writeable or dest.size == 0:
        return None
    if not (_row_strided(dest) and _row_strided(src)) or np.may_share_memory(dest, src):
        return None
    key = (name, dest.dtype)
    if key not in _routines:
        _routines[key] = _load(name, dest.dtype)
    return _routines[key]


def _row_strided(view: np.ndarray) -> bool:
    """Whether BLAS can read ``view`` as a matrix with a leading dimension."""
    itemsize = view.itemsize
    rows, cols = view.shape
    row_step, step = view.strides
    return not ((cols > 1 and step != itemsize) or row_step % itemsize
                or (rows > 1 and row_step < cols * itemsize))


def _load(name: str, dtype: np.dtype):
    """The CBLAS routine with its argument types set and checked on a small case, or None
    where NumPy's BLAS has no such routine. Only ILP64 builds (NumPy's wheels: 64-bit sizes,
    symbols with a 64_ suffix) are used, so a size is never misread as a C int."""
    letter = _PREFIXES[dtype]
    real = ctypes.c_float if letter == "s" else ctypes.c_double
    function, size = cblas_routine(letter + name, ilp64_only=True)
    if function is None:
        return None
    pointer, enum = ctypes.c_void_p, ctypes.c_int
    function.argtypes = (
        [enum, size, size, real, pointer, size, real, pointer, size] if name == "geadd"
        else [enum, enum, size, size, real, pointer, size, pointer, size])
    function.restype = None
    return function if _works(name, function, dtype) else None


def _works(name: str, function, dtype: np.dtype) -> bool:
    """Whether ``function`` computes what it should on a 2 x 3 block of a 2 x 4 matrix (the
    last column must be left alone; omatcopy also transposed), exact in any rounding."""
    src = np.arange(6, dtype=dtype).reshape(2, 3)
    dest = np.full((2, 4), 10, dtype=dtype)
    if name == "geadd":
        function(_ROW_MAJOR, 2, 3, 1.0, src.ctypes.data, 3, 1.0, dest.ctypes.data, 4)
        return dest.tolist() == [[10, 11, 12, 10], [13, 14, 15, 10]]
    function(_ROW_MAJOR, _NO_TRANS, 2, 3, 1.0, src.ctypes.data, 3, dest.ctypes.data, 4)
    copied = dest.tolist() == [[0, 1, 2, 10], [3, 4, 5, 10]]
    dest = np.full((3, 3), 10, dtype=dtype)  # src's transpose into 3 x 2 of a 3 x 3 matrix
    function(_ROW_MAJOR, _TRANS, 2, 3, 1.0, src.ctypes.data, 3, dest.ctypes.data, 3)
    return copied and dest.tolist() == [[0, 3, 10], [1, 4, 10], [2, 5, 10]]
