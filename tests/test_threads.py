"""BLAS threads per training run (:mod:`xpnet.threads`): the choice, the timing of the first
steps, and that the process's limits are back afterwards. (No timing assertions: the clock is
a fake one here; speed is measured in ``bench/``.)"""

from __future__ import annotations

import math

import numpy as np
import pytest

import xpnet
from xpnet.threads import (
    MAX_TRIALS,
    RETUNE_COST,
    RETUNE_SECONDS,
    SLOW_STEPS,
    TRIAL_SECONDS,
    TRIALS,
    Threads,
    candidate_threads,
    useful_threads,
)

threadpoolctl = pytest.importorskip("threadpoolctl", reason="threadpoolctl is not installed")


def blas_threads() -> list[int]:
    return [d["num_threads"] for d in threadpoolctl.threadpool_info() if d["user_api"] == "blas"]


def test_small_products_get_one_thread_and_larger_ones_are_timed():
    assert useful_threads([784, 7, 1], 128, cores=2) == 1  # mnist-3v7: 1.4 MFLOP
    assert useful_threads([784, 8, 1], 128, cores=2) == 1  # 1.6 MFLOP: no gain measured
    assert useful_threads([784, 16, 1], 128, cores=2) == 2  # 3.2 MFLOP: 2 threads gained
    assert useful_threads([784, 128, 64, 10], 128, cores=2) == 2  # mnist-10: 26 MFLOP
    assert useful_threads([12288, 20, 7, 5, 1], 209, cores=2) == 2  # cat: 103 MFLOP
    assert useful_threads([784, 128, 64, 10], 128, cores=64) == 17
    assert useful_threads([784, 1024, 1024, 10], 1024, cores=64) == 64  # wide: 2.1 GFLOP
    assert useful_threads([784, 1024, 1024, 10], 1024, cores=1) == 1
    assert candidate_threads([784, 7, 1], 128, cores=2) == (1,)
    assert candidate_threads([784, 128, 64, 10], 128, cores=2) == (1, 2)
    assert candidate_threads([784, 128, 64, 10], 128, cores=64) == (1, 2, 4, 8, 16, 17)
    assert candidate_threads([784, 1024, 1024, 10], 1024, cores=16) == (1, 2, 4, 8, 16)
    assert candidate_threads([784, 1024, 1024, 10], 1024, cores=3) == (1, 2, 3)


def test_a_tiny_network_is_not_timed():
    policy = Threads.for_run(None, "numpy", [784, 7, 1], 128)
    assert policy.candidates == [1]
    if policy.controller is not None:
        assert policy.description == "auto: 1 (products too small to share)"


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
        # contention changes: after RETUNE_SECONDS, once the steps since the timing have taken
        # RETUNE_COST times what it lost, the candidates are timed again
        lost = (TRIALS + 1) * abs(cost[1] - cost[2])
        clock.now += RETUNE_SECONDS
        swapped = {1: cost[2], 2: cost[1]}
        due = math.ceil((RETUNE_COST * lost - 14 * cost[best]) / swapped[best])
        used = _run(policy, clock, due - 1, swapped)
        assert set(used) == {best}  # not yet: the timing would cost over 2% of the steps
        used = _run(policy, clock, 21, swapped)
        assert set(used[-5:]) == {3 - best}
    assert blas_threads() == before


@pytest.mark.parametrize("costs, timed", [
    # steps of 1/512 s: TRIAL_SECONDS (0.01 s) needs 6 of them; of 1/1024 s, 11
    ((2.0**-9, 2.0**-10), (6, 11)),
    # 1/8192 s: MAX_TRIALS of them are still short of TRIAL_SECONDS; stop there
    ((2.0**-13, 2.0**-13), (MAX_TRIALS, MAX_TRIALS)),
])
def test_short_steps_are_timed_until_they_add_up_to_trial_seconds(costs, timed):
    """Two steps of 1-2 ms are a coin toss on a noisy machine: a short step's count is timed
    over TRIAL_SECONDS of steps (MAX_TRIALS at most), and the median decides."""
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can limit")
    cost = dict(zip((1, 2), costs, strict=True))
    assert timed[0] * cost[1] >= TRIAL_SECONDS or timed[0] == MAX_TRIALS
    assert (timed[0] - 1) * cost[1] < TRIAL_SECONDS
    clock = FakeClock()
    with Threads(None, (1, 2), clock=clock) as policy:
        used = _run(policy, clock, 60, cost)
    tuning = timed[0] + timed[1] + 2  # and one untimed step each
    assert used[:tuning] == [1] * (timed[0] + 1) + [2] * (timed[1] + 1)
    best = 1 if cost[1] <= cost[2] else 2
    assert set(used[tuning:]) == {best}
    assert [len(policy._times[n]) for n in (1, 2)] == list(timed)


def test_a_timing_waits_for_enough_steps_however_long_the_clock_ran():
    """Time passing between steps (evaluation, other runs interleaved) does not make the
    counts timed again before the steps themselves have run RETUNE_COST times the timing's
    loss."""
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can limit")
    clock = FakeClock()
    with Threads(None, (1, 2), clock=clock) as policy:
        cost = {1: 0.11, 2: 0.06}  # the wide network's steps
        _run(policy, clock, 2 * (TRIALS + 1), cost)
        lost = (TRIALS + 1) * 0.05
        for _ in range(5):  # five epochs of 8 steps, each after 60 s of something else
            clock.now += 60.0
            assert _run(policy, clock, 8, cost) == [2] * 8
        assert 40 * 0.06 < RETUNE_COST * lost


def test_a_count_far_slower_is_abandoned_after_one_timed_step():
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can limit")
    clock = FakeClock()
    with Threads(None, (1, 2), clock=clock) as policy:
        used = _run(policy, clock, 12, {1: 1.0, 2: 25.0})
    assert used == [1] * (TRIALS + 1) + [2, 2] + [1] * (12 - TRIALS - 3)


def test_the_fastest_of_several_counts_is_kept():
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can limit")
    clock = FakeClock()
    with Threads(None, (1, 2, 4), clock=clock) as policy:
        used = _run(policy, clock, 20, {1: 1.0, 2: 0.5, 4: 0.7})
        assert used[:3 * (TRIALS + 1)] == [n for n in (1, 2, 4) for _ in range(TRIALS + 1)]
        assert set(used[3 * (TRIALS + 1):]) == {2}
        assert policy.description == "auto: 2 (timed 1, 2, 4)"


def test_on_a_busy_machine_the_shared_counts_are_dropped_after_one_timed_step():
    """What ``xpnet bench --busy 2`` does to mnist-10 with two threads (about 45 ms a step
    against 3 with one): each count far slower than one thread is timed once, then one
    thread is kept."""
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can limit")
    clock = FakeClock()
    with Threads(None, (1, 2, 4), clock=clock) as policy:
        used = _run(policy, clock, 12, {1: 3.0, 2: 45.0, 4: 60.0})
    assert used == [1] * (TRIALS + 1) + [2, 2] + [4, 4] + [1] * (12 - TRIALS - 5)


def test_a_machine_turning_busy_is_noticed_within_a_few_steps():
    """Two threads chosen on a quiet machine; then another process takes a core and every
    two-thread step is 50× slower: after SLOW_STEPS such steps in a row (long before
    RETUNE_SECONDS) the counts are timed again and one thread is kept. A single slow step
    (a page fault, a short last batch's first buffers) changes nothing."""
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can limit")
    clock = FakeClock()
    tuning = 2 * (TRIALS + 1)
    with Threads(None, (1, 2), clock=clock) as policy:
        ms = 10e-3  # TRIALS steps of it, or of 0.6 of it, add up to TRIAL_SECONDS
        assert set(_run(policy, clock, tuning + 5, {1: ms, 2: 0.6 * ms})[tuning:]) == {2}
        _run(policy, clock, 1, {1: ms, 2: 30 * ms})  # one slow step
        assert _run(policy, clock, 5, {1: ms, 2: 0.6 * ms}) == [2] * 5
        used = _run(policy, clock, SLOW_STEPS + 10, {1: 2 * ms, 2: 30 * ms})  # busy now
    assert clock.now < RETUNE_SECONDS
    assert used == ([2] * SLOW_STEPS + [1] * (TRIALS + 1) + [2, 2]
                    + [1] * (10 - TRIALS - 3))
    assert policy.description == "auto: 1 (timed 1, 2)"


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
    assert Threads.for_run(None, "numpy", [784, 128, 64, 10], 128).candidates == list(
        candidate_threads([784, 128, 64, 10], 128))
    assert Threads.for_run(3, "torch", [4, 1], 8).candidates == [3]
