"""Whole-process peak memory and wall time: `glassnet train` (the default MNIST job) against
the same job written in PyTorch (benchmarks/torch_train_job.py), alternating, in fresh
processes.

    .venv/bin/python benchmarks/train_process.py [--runs 3]

Each job runs under a small wrapper process that reports the job's peak resident memory
(ru_maxrss of its only child) and wall time. Target (issue 3): glassnet uses less memory
and less time. Medians of --runs runs each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "wall = time.perf_counter() - start\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(f'{code} {wall:.3f} {peak:.1f}')\n"
)


def measure(command: list[str]) -> tuple[float, float]:
    result = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True,
                            text=True, check=True)
    code, wall, peak = result.stdout.split()
    if code != "0":
        raise SystemExit(f"job failed ({code}): {' '.join(command)}")
    return float(wall), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    glassnet_cmd = shutil.which("glassnet", path=os.path.dirname(sys.executable))
    results = {"glassnet": [], "pytorch": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            results["glassnet"].append(measure(
                [glassnet_cmd, "train", "--quiet", "--out", os.path.join(tmp, f"g{i}")]))
            results["pytorch"].append(measure(
                [sys.executable, os.path.join(HERE, "torch_train_job.py"),
                 os.path.join(tmp, f"t{i}")]))
    print(f"the default MNIST job (12 epochs, plots, checkpoints), median of {args.runs} runs:")
    medians = {}
    for name, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        peak = statistics.median(r[1] for r in runs)
        medians[name] = (wall, peak)
        print(f"   {name:9s} wall {wall:6.2f} s   peak memory {peak:7.1f} MiB   "
              f"(runs: {', '.join(f'{w:.1f}s/{m:.0f}MiB' for w, m in runs)})")
    (gw, gm), (tw, tm) = medians["glassnet"], medians["pytorch"]
    print(f"   pytorch / glassnet: wall time {tw / gw:.2f}x, peak memory {tm / gm:.2f}x "
          "(target: both > 1)")


if __name__ == "__main__":
    main()
