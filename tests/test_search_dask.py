"""xpnet.search on dask.distributed: a real LocalCluster of processes (on 127.0.0.1), the data
scattered once, the same trials as in this process, and a worker killed mid-trial."""

from __future__ import annotations

import functools
import importlib
import os
import signal
import sys

import numpy as np
import pytest

S = importlib.import_module("xpnet.search")  # the module (xpnet.search is the function)

distributed = pytest.importorskip(
    "distributed", reason='dask.distributed is not installed (pip install "xpnet[dask]")')
cloudpickle = pytest.importorskip("cloudpickle", reason="cloudpickle is not installed")

# the callbacks below are defined here: send them to the workers by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

SPACE = {"learning_rate": S.LogUniform(1e-3, 1e-1), "width": S.IntUniform(2, 6),
         "mini_batch_size": S.PowerOfTwo(16, 64), "num_epochs": 6}


def xor_data(m: int = 200) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).standard_normal((3, m))
    return X, (X[:1] * X[1:2] > 0).astype(np.float64)


@pytest.fixture(scope="module")
def cluster():
    with S.local_cluster(n_workers=2, threads_per_worker=1) as c:
        yield c


def test_local_cluster_runs_the_same_trials_with_the_data_scattered_once(cluster) -> None:
    X, Y = xor_data()
    with distributed.Client(cluster) as client:
        assert set(client.run(lambda: os.environ["OMP_NUM_THREADS"]).values()) == {"1"}
        scattered = []
        scatter = client.scatter

        def counting(data, **kwargs):
            scattered.append([np.shape(d) for d in data])
            return scatter(data, **kwargs)

        client.scatter = counting
        res = S.search(X, Y, SPACE, n_trials=4, rounds=2, seed=2, scheduler=client)
    assert scattered == [[(3, 160), (1, 160), (3, 40), (1, 40)]]    # once, for all 8 trials
    assert len({t["worker"] for t in res.trials}) == 2              # both workers trained
    serial = S.search(X, Y, SPACE, n_trials=4, rounds=2, seed=2, scheduler="serial")
    assert [(t["trial"], t["params"], t["score"]) for t in res.trials] == \
        [(t["trial"], t["params"], t["score"]) for t in serial.trials]
    # the same search through the scheduler's address
    by_address = S.search(X, Y, SPACE, n_trials=2, seed=2, scheduler=cluster.scheduler_address)
    first = S.search(X, Y, SPACE, n_trials=2, seed=2, scheduler="serial")
    assert [t["score"] for t in by_address.trials] == [t["score"] for t in first.trials]


def kill_worker_once(marker: str, epoch: int, logs: dict) -> None:
    """Kill this worker's process at the third epoch of the first trial that gets here."""
    if epoch == 2:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("n_workers", [1, 2])
def test_a_worker_killed_mid_trial_costs_a_retry_not_the_search(tmp_path, n_workers) -> None:
    X, Y = xor_data()
    marker = tmp_path / "killed"
    path = tmp_path / "results.jsonl"
    with S.local_cluster(n_workers=n_workers) as cluster:
        res = S.search(X, Y, SPACE, n_trials=3, seed=4, results=path,
                       scheduler=cluster.scheduler_address,
                       callbacks=functools.partial(kill_worker_once, str(marker)))
    assert marker.exists()                                  # a worker did die
    if n_workers == 1:  # the scattered data died with the worker: sent again, trials rerun
        assert max(t["attempts"] for t in res.trials) == 2
    assert [t["status"] for t in res.trials] == ["ok"] * 3
    assert len(path.read_text().splitlines()) == 3
    serial = S.search(X, Y, SPACE, n_trials=3, seed=4, scheduler="serial")
    assert [t["score"] for t in res.trials] == [t["score"] for t in serial.trials]


def test_the_default_local_cluster_is_started_and_closed(tmp_path) -> None:
    X, Y = xor_data()
    res = S.search(X, Y, SPACE, n_trials=2, seed=2, n_workers=1, results=tmp_path / "r.jsonl")
    serial = S.search(X, Y, SPACE, n_trials=2, seed=2, scheduler="serial")
    assert [t["score"] for t in res.trials] == [t["score"] for t in serial.trials]
    assert len({t["worker"] for t in res.trials}) == 1
