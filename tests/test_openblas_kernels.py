"""glassnet.openblas_kernels: when ``import glassnet`` picks OpenBLAS's kernels, and that the
pick reaches the library NumPy loads."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from glassnet.openblas_kernels import (
    _bundled_openblas_version,
    _is_zen4,
    chosen_kernel,
)

ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
flags\t\t: fpu sse avx2 fma avx512f avx512bw avx512_bf16

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 25
"""
ZEN3 = ZEN4.replace(" avx512f avx512bw avx512_bf16", "")
ZEN5 = ZEN4.replace("cpu family\t: 25", "cpu family\t: 26")
INTEL_AVX512 = ZEN4.replace("AuthenticAMD", "GenuineIntel").replace(": 25", ": 6")
OLD, SELF_TUNED = (0, 3, 31), (0, 3, 34)


def test_zen4_with_an_older_openblas_gets_the_zen_kernels():
    assert chosen_kernel({}, False, ZEN4, OLD) == "Zen"


@pytest.mark.parametrize("cpuinfo", [ZEN3, ZEN5, INTEL_AVX512, "", None],
                         ids=["zen3", "zen5", "intel", "empty", "no-cpuinfo"])
def test_other_cpus_keep_openblas_own_pick(cpuinfo):
    assert chosen_kernel({}, False, cpuinfo, OLD) is None


def test_a_users_coretype_wins_even_an_empty_one():
    assert chosen_kernel({"OPENBLAS_CORETYPE": "SkylakeX"}, False, ZEN4, OLD) is None
    assert chosen_kernel({"OPENBLAS_CORETYPE": ""}, False, ZEN4, OLD) is None


def test_nothing_is_set_once_numpy_is_loaded():
    assert chosen_kernel({}, True, ZEN4, OLD) is None


@pytest.mark.parametrize("version", [SELF_TUNED, (0, 3, 40), (1, 0, 0), None])
def test_self_tuned_or_unknown_openblas_is_left_alone(version):
    assert chosen_kernel({}, False, ZEN4, version) is None


def test_only_the_first_processor_block_is_read():
    # A later block's flags must not turn a Zen 3 into a Zen 4.
    assert not _is_zen4(ZEN3 + "flags\t\t: avx512f\n")
    assert _is_zen4(ZEN4)


def test_the_bundled_version_is_the_one_numpy_reports():
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    version = _bundled_openblas_version()
    if "openblas" not in blas["name"]:
        assert version is None
    else:
        assert version == tuple(int(part) for part in blas["version"].split(".")[:3])


def _child(code: str, **env) -> list:
    """Run ``code`` in a fresh interpreter (so NumPy is not loaded yet) and return the JSON
    it prints last."""
    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    environ.update(env)
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


REPORT = ("import json, os; from glassnet import openblas_kernels as k; print(json.dumps("
          "[k.chosen, os.environ.get('OPENBLAS_CORETYPE'), k.kernel_name()]))")


def test_import_glassnet_first_sets_what_chosen_kernel_says_and_openblas_follows():
    cpuinfo = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else None
    expected = chosen_kernel({}, False, cpuinfo, _bundled_openblas_version())
    chosen, left_in_environment, kernel = _child("import glassnet; " + REPORT)
    assert chosen == expected
    # taken back once NumPy has loaded: child processes (maybe another NumPy) choose anew
    assert left_in_environment is None
    if expected is not None:
        # OpenBLAS names the Zen kernels after Haswell where both are the same code.
        assert kernel in ("Zen", "Haswell")


def test_numpy_first_or_a_set_coretype_leaves_the_pick_alone():
    chosen, left_in_environment, _ = _child("import numpy, glassnet; " + REPORT)
    assert chosen is None and left_in_environment is None
    chosen, coretype, kernel = _child("import glassnet; " + REPORT,
                                      OPENBLAS_CORETYPE="Sandybridge")
    assert chosen is None and coretype == "Sandybridge"  # the user's, kept
    if kernel is not None:  # NumPy runs on OpenBLAS here: it obeyed the user's pick
        assert kernel == "Sandybridge"
