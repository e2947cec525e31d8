"""What batch norm costs per training step: mnist-10 and mnist-10-bn alternated.

    python bench/batchnorm_overhead.py [ENGINES] [ROUNDS]     # default: numpy 16

``xpnet bench --networks mnist-10,mnist-10-bn`` times the two networks one after the other;
on a shared, busy machine the load changes in between. This script alternates blocks of 25
steps of each network (the same batches, order reversed every round) and reports the minimum
and median wall time and process CPU time per step of each, and their ratios. No assertion:
numbers only.
"""

import statistics
import sys
import time

import numpy as np

from xpnet.benchmarks.cases import CASES
from xpnet.benchmarks.xpnet_impl import XpnetRunner
from xpnet.minibatches import batch_bounds

BLOCK = 25


def main(engines: list[str], rounds: int) -> None:
    runners = {(name, eng): XpnetRunner(CASES[name], "numpy", engine=eng)
               for eng in engines for name in ("mnist-10", "mnist-10-bn")}
    order = np.random.default_rng(0).permutation(60000)
    bounds = list(batch_bounds(60000, 128))
    wall: dict = {k: [] for k in runners}
    cpu: dict = {k: [] for k in runners}
    for rnd in range(rounds):
        keys = list(runners)[::-1] if rnd % 2 else list(runners)
        for k in keys:
            eng = runners[k].engine
            a0 = (rnd * BLOCK) % (len(bounds) - BLOCK - 1)
            eng.step(order, *bounds[a0])  # one untimed step: warm caches
            t, c = time.perf_counter(), time.process_time()
            for a, b in bounds[a0 + 1:a0 + 1 + BLOCK]:
                eng.step(order, a, b)
            wall[k].append((time.perf_counter() - t) / BLOCK * 1e3)
            cpu[k].append((time.process_time() - c) / BLOCK * 1e3)
    for (name, eng), v in wall.items():
        print(f"{name:<12} {eng:<8} wall min {min(v):.3f} median {statistics.median(v):.3f} "
              f"ms/step   CPU min {min(cpu[name, eng]):.3f} median "
              f"{statistics.median(cpu[name, eng]):.3f} ms/step")
    for eng in engines:
        plain, bn = ("mnist-10", eng), ("mnist-10-bn", eng)
        print(f"{eng}: batch norm / plain: wall min {min(wall[bn]) / min(wall[plain]):.2f}, "
              f"CPU median {statistics.median(cpu[bn]) / statistics.median(cpu[plain]):.2f}")


if __name__ == "__main__":
    main(sys.argv[1].split(",") if len(sys.argv) > 1 else ["numpy"],
         int(sys.argv[2]) if len(sys.argv) > 2 else 16)
