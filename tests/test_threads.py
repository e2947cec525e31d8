"""BLAS threads per training run (:mod:`xpnet.threads`): the choice, the timing of the first
steps, and that the process's limits are back afterwards. (No timing assertions: the clock is
a fake one here; speed is measured in ``bench/``.)"""

from __future__ import annotations

import numpy as np
import pytest

import xpnet
from xpnet.threads import RETUNE_SECONDS, TRIALS, Threads, useful_threads

threadpoolctl = pytest.importorskip("threadpoolctl", reason="threadpoolctl is not installed")


def blas_threads() -> list[int]:
    return [d["num_threads"] for d in threadpoolctl.threadpool_info() if d["user_api"] == "blas"]


def test_small_products_get_one_thread_and_large_ones_the_cores():
    assert useful_threads([784, 128, 64, 10], 128, cores=2) == 1  # 26 MFLOP
    assert useful_threads([12288, 20, 7, 5, 1], 209, cores=2) == 1  # 103 MFLOP
    assert useful_threads([784, 1024, 1024, 10], 1024, cores=2) == 2  # 2.1 GFLOP
    assert useful_threads([784, 1024, 1024, 10], 1024, cores=64) == 33
    assert useful_threads([784, 1024, 1024, 10], 1024, cores=1) == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run(policy: Threads, clock: FakeClock, steps: int, cost: dict[int, float]) -> list[int]:
    used = []

    def step() -> None:
        used.append(policy.current)
        assert blas_threads() == [policy.current] * len(blas_threads())
        clock.now += cost[policy.current]

    for _ in range(steps):
        policy.step(step)
    return used


@pytest.mark.parametrize("cost, best", [({1: 1.0, 2: 0.6}, 2), ({1: 1.0, 2: 1.4}, 1)])
def test_the_first_steps_are_timed_and_the_faster_count_is_kept(cost, best):
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can limit")
    clock = FakeClock()
    before = blas_threads()
    with Threads(None, (1, 2), clock=clock) as policy:
        used = _run(policy, clock, 20, cost)
        assert used[:2 * (TRIALS + 1)] == [1] * (TRIALS + 1) + [2] * (TRIALS + 1)
        assert set(used[2 * (TRIALS + 1):]) == {best}
        assert policy.description == f"auto: {best} (timed 1, 2)"
        # contention changes: after RETUNE_SECONDS the candidates are timed again
        clock.now += RETUNE_SECONDS
        swapped = {1: cost[2], 2: cost[1]}
        used = _run(policy, clock, 20, swapped)
        assert set(used[-5:]) == {3 - best}
    assert blas_threads() == before


def test_a_count_far_slower_is_abandoned_after_one_timed_step():
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can limit")
    clock = FakeClock()
    with Threads(None, (1, 2), clock=clock) as policy:
        used = _run(policy, clock, 12, {1: 1.0, 2: 25.0})
    assert used == [1] * (TRIALS + 1) + [2, 2] + [1] * (12 - TRIALS - 3)


def test_train_sets_the_threads_for_the_run_only():
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can limit")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 50))
    Y = (X[:1] > 0).astype(float)
    before = blas_threads()
    seen = []
    model = xpnet.train(X, Y, [6, 4, 1], num_epochs=2, threads=1,
                        callback=lambda epoch, cost: seen.append(blas_threads()))
    assert model.config["threads"] == "1" and all(s == [1] * len(before) for s in seen)
    assert blas_threads() == before
    auto = xpnet.train(X, Y, [6, 4, 1], num_epochs=2)
    assert auto.config["threads"] == "auto: 1 (products too small to share)"
    assert blas_threads() == before
    # the same run whatever the thread count (small products: BLAS splits no sum)
    np.testing.assert_allclose(auto.costs, model.costs, rtol=1e-12)


@pytest.mark.parametrize("threads, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                            ("2", TypeError)])
def test_bad_threads_are_refused_before_training(threads, error):
    X = np.zeros((2, 4))
    Y = np.zeros((1, 4))
    with pytest.raises(error, match="threads"):
        xpnet.train(X, Y, [2, 1], num_epochs=1, threads=threads)


def test_only_host_blas_is_tuned_unless_threads_are_given():
    off_host = Threads.for_run(None, "jax", [784, 1024, 1024, 10], 1024)
    assert off_host.current is None and off_host.description == "library default"
    calls = []
    assert off_host.step(lambda x: calls.append(x) or 7, 3) == 7 and calls == [3]
    assert Threads.for_run(None, "numpy", [784, 1024, 1024, 10], 1024).candidates[0] == 1
    assert Threads.for_run(3, "torch", [4, 1], 8).candidates == [3]
