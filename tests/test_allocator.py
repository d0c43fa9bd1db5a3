"""glassnet.allocator: one large block allocated and freed at import moves glibc's mmap
threshold up, so that repeated large temporaries stop costing page faults."""

import os
import subprocess
import sys

import pytest

from glassnet import allocator

LOOP = """
import resource
import glassnet
import numpy as np
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def step():  # a training step's pattern: six 4 MB temporaries live at once, then freed
    live = [np.ones(1_000_000, np.float32) for _ in range(6)]
    del live
for _ in range(3):
    step()
before = faults()
for _ in range(10):
    step()
print(faults() - before, glassnet.allocator.warmed)
"""


def _run(warmup: str) -> tuple[int, bool]:
    env = dict(os.environ, GLASSNET_MALLOC_WARMUP=warmup)
    out = subprocess.run([sys.executable, "-c", LOOP], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return int(out[0]), out[1] == "True"


@pytest.mark.skipif(not allocator._glibc(), reason="the warm-up is for glibc's malloc only")
def test_repeated_large_temporaries_stop_page_faulting():
    warm_faults, warmed = _run("1")
    cold_faults, cold_warmed = _run("0")
    assert warmed and not cold_warmed
    # without it glibc frees the 24 MB back to the kernel after every step (more than twice
    # the largest block it has seen freed) and faults it in again: ~5,900 faults a step
    assert cold_faults > 10_000, cold_faults
    assert warm_faults < 200, warm_faults


def test_the_environment_variable_turns_it_off():
    assert allocator.warm_up({"GLASSNET_MALLOC_WARMUP": "0"}) is False


def test_an_address_space_too_small_for_the_block_does_not_stop_the_import():
    # RLIMIT_AS is set just above what the interpreter with NumPy needs, so the 31 MiB
    # block cannot be mapped; glassnet must import all the same, without the warm-up
    code = """
import resource, sys
import numpy as np
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
with open('/proc/self/status') as f:
    vm = next(int(line.split()[1]) for line in f if line.startswith('VmSize')) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + 20 * 2**20, hard))
import glassnet
print(glassnet.allocator.warmed)
"""
    if not allocator._glibc():
        pytest.skip("the warm-up is for glibc's malloc only")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "False"
