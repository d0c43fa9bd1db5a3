"""Interleaved timing shared by the benchmarks.

Each round times every implementation once, in a rotated order (so none always runs right
after another), with a pause before each: PyTorch's OpenMP threads keep spinning for a while
after its work and slow whatever runs next by ~8% on this 2-core machine (measured: glassnet
right after PyTorch 141 ms, after NumPy 130 ms; with a 0.2 s pause both 131 ms).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from glassnet import openblas_kernels

PAUSE_S = 0.2


def interleaved(runs: dict[str, Callable[[], None]], rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each ``runs[name]()``, for ``rounds`` rotated rounds."""
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            time.sleep(PAUSE_S)
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine_line() -> str:
    """Which OpenBLAS kernels glassnet runs on, for the header of every report (each report's
    next line gives PyTorch's threads)."""
    chosen = openblas_kernels.chosen or os.environ.get("OPENBLAS_CORETYPE")
    how = f"OPENBLAS_CORETYPE={chosen}" if chosen else "OpenBLAS's own pick"
    kernels = openblas_kernels.kernel_name() or "unknown"
    return f"glassnet: NumPy's OpenBLAS, {kernels} kernels ({how})"
