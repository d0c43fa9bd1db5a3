"""glibc's malloc, moved once to the footing it reaches by itself after any large free, so that
a training step's large temporaries come from memory the process already has.

glibc serves an allocation above its "mmap threshold" (128 KiB at start) with a fresh mapping
from the kernel, returned to it on free; the first write to each 4 KiB page of a fresh
mapping is a page fault, in which the kernel zero-fills the page. glibc adapts: when a mapped
block is freed, the threshold rises to its size (up to 32 MiB on 64-bit Linux) and the heap
keeps up to twice that free at its top before giving it back. But it only rises as far as
the largest block freed so far, so a workload of blocks of a few MB keeps missing it: the
heap's top is trimmed after every pass and grown again in the next, page by page. Measured on
this project's 2-core machine, one LSTM layer's forward and backward pass (batch 32, 35 steps,
256 features) took 1,978 page faults and 27.9 ms, against 0 and 23.8 ms once glibc had seen
one 31 MiB block freed.

So ``import glassnet`` allocates one 31 MiB block and frees it at once (never touched: it
costs two system calls and no memory). Nothing is configured: glibc does the same by itself
the first time the program frees a block that large (importing PyTorch, for one, does), and
``mallopt`` or ``MALLOC_*`` settings made by the program turn the adaptation off as usual.
The process may then keep up to ~64 MiB of freed memory for reuse instead of returning it to
the kernel. ``GLASSNET_MALLOC_WARMUP=0`` in the environment skips it; elsewhere than Linux
with glibc it does nothing.
"""

from __future__ import annotations

import os
import sys

import numpy as np

__all__ = ["WARMUP_BYTES", "warm_up"]

# Just under glibc's DEFAULT_MMAP_THRESHOLD_MAX (32 MiB with 64-bit longs): a freed mapped
# block larger than that leaves the threshold where it was.
WARMUP_BYTES = 31 * 2**20

warmed: bool = False  # whether warm_up() ran its allocation in this process


def warm_up(environ=os.environ) -> bool:
    """Allocate and free one ``WARMUP_BYTES`` block where glibc's malloc serves NumPy;
    returns whether it did."""
    global warmed
    if environ.get("GLASSNET_MALLOC_WARMUP", "1") == "0":
        return False
    if not _glibc():
        return False
    try:
        block = np.empty(WARMUP_BYTES, dtype=np.uint8)  # a mapping of its own, untouched
    except MemoryError:  # an address-space limit below 31 MiB to spare: import all the same
        return False
    del block
    warmed = True
    return True


def _glibc() -> bool:
    """Whether this is Linux with glibc's malloc (musl, macOS and Windows allocate otherwise)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):
        return False
