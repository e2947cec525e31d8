"""What the blocked optimizer update of the NumPy engine gains: whole buffer against blocks.

    python bench/blocked_update.py [ROUNDS]       # default: 7

Two measurements on the ``wide`` network ([784, 1024, 1024, 10], 1.86 M parameters, Adam):
the fused Adam kernel alone on a buffer of that size, whole and in blocks of
``xpnet.engines.numpy.BLOCK`` (medians of ROUNDS × 8 steps), and whole epochs of two NumPy
engines, one updating whole and one in blocks, interleaved round by round in one process
(median and minimum of ROUNDS epochs after one warm-up each). The load average is printed
before and after. No assertion: numbers only.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

import xpnet.engines.numpy as numpy_engine
from xpnet.benchmarks.cases import CASES
from xpnet.benchmarks.xpnet_impl import XpnetRunner
from xpnet.optimizers import Adam

WHOLE = 10**12  # a BLOCKED_FROM no buffer reaches


def kernel_ms(n: int, blocked_from: int, rounds: int) -> float:
    """Median ms of one Adam update of ``n`` float32 parameters."""
    numpy_engine.BLOCKED_FROM = blocked_from  # read when the kernel first cuts its blocks
    rng = np.random.default_rng(0)
    theta = rng.random(n, dtype=np.float32)
    grad = rng.random(n, dtype=np.float32) * np.float32(1e-3)
    tmp = np.empty_like(theta)
    kernel, opt = numpy_engine._FlatAdam(n, np.float32, np), Adam(0.001)
    for _ in range(5):
        kernel.update(theta, grad, tmp, opt)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(8):
            kernel.update(theta, grad, tmp, opt)
        times.append((time.perf_counter() - start) / 8)
    return statistics.median(times) * 1e3


def main(rounds: int) -> None:
    print(f"load average before: {os.getloadavg()}")
    blocked_from = numpy_engine.BLOCKED_FROM
    n = sum(a * b + a for a, b in zip((1024, 1024, 10), (784, 1024, 1024), strict=True))
    for name, limit in (("whole", WHOLE), ("blocked", blocked_from)):
        print(f"Adam kernel alone, {n} parameters, {name}: {kernel_ms(n, limit, rounds):.2f} "
              "ms a step")
    runners = {}
    for name, limit in (("whole", WHOLE), ("blocked", blocked_from)):
        numpy_engine.BLOCKED_FROM = limit
        runners[name] = XpnetRunner(CASES["wide"], "numpy")
        runners[name].epoch()  # warm-up; the kernel cuts its blocks at its first update
    numpy_engine.BLOCKED_FROM = blocked_from
    times: dict[str, list[float]] = {name: [] for name in runners}
    for r in range(rounds):
        for name in sorted(runners, reverse=bool(r % 2)):
            start = time.perf_counter()
            runners[name].epoch()
            times[name].append((time.perf_counter() - start) * 1e3)
    for name, t in times.items():
        print(f"wide epoch, {name}: median {statistics.median(t):.0f} ms, min {min(t):.0f} ms "
              f"({', '.join(f'{x:.0f}' for x in t)})")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
