"""Trials per minute of ``xpnet.search`` with 1 and 2 local Dask workers (and in this process),
on the same search: 12 trials on a synthetic 2-class set (100 features, 4000 examples), one BLAS
thread per worker. The cluster is started before the clock starts.

    PYTHONPATH=. python bench/search_scaling.py [--trials 12] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import importlib
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # this process (serial) as one worker

import numpy as np  # noqa: E402

S = importlib.import_module("xpnet.search")  # the module (xpnet.search is the function)

SPACE = {"learning_rate": S.LogUniform(1e-4, 1e-2), "width": S.IntUniform(16, 64),
         "depth": S.IntUniform(1, 3), "mini_batch_size": S.PowerOfTwo(64, 256),
         "num_epochs": 30, "n_iter_no_change": 100}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--serial", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 4000)).astype(np.float32)
    Y = (X[:5].sum(axis=0, keepdims=True) * X[5:10].sum(axis=0, keepdims=True) > 0)
    Y = Y.astype(np.float32)
    runs: list[tuple[str, object]] = [("serial", "serial")] if args.serial else []
    for name, sched in runs:
        _time(name, X, Y, sched, args.trials)
    from distributed import Client

    for n in args.workers:
        with S.local_cluster(n_workers=n) as cluster, Client(cluster) as client:
            _time(f"{n} worker(s)", X, Y, client, args.trials)


def _time(name: str, X: np.ndarray, Y: np.ndarray, scheduler: object, trials: int) -> None:
    start = time.perf_counter()
    res = S.search(X, Y, SPACE, n_trials=trials, seed=0, scheduler=scheduler, progress=False)
    seconds = time.perf_counter() - start
    per = [t["seconds"] for t in res.trials]
    print(f"{name:12s} {trials} trials in {seconds:6.1f} s: {60 * trials / seconds:5.1f} "
          f"trials/min (one trial {np.mean(per):.2f} s on average)", flush=True)


if __name__ == "__main__":
    main()
