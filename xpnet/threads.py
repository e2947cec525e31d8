"""BLAS threads for one training run: how many, set for the run only (``train(threads=...)``).

Why this matters: a training step on the CPU is a handful of matrix products of modest size
(``[784, 128, 64, 10]`` in batches of 128: 26 MFLOP for the largest, a quarter of a millisecond
on one core). OpenBLAS splits every product over all its threads and makes each call wait for
the slowest one; its threads spin while they wait. On a quiet machine two threads are faster
from a few MFLOP up (1.2–1.9× per product from 3.2 MFLOP on, measured on this project's 2-core
machine; at 1.6 MFLOP no gain); on a shared one (another process on each core) each call waits
for a thread that the scheduler has descheduled for a whole time slice, and a step becomes
5–25× slower than with one thread (``bench/README.md``). Neither setting is right on every
machine, and a machine's load changes during a run.

So :class:`Threads` measures, per run: a product too small to share (under :data:`GRAIN` FLOPs
per thread) gets one thread; otherwise it times the first steps (:data:`TRIAL_SECONDS` of them
at least) with one thread and with more (powers of two up to as many as the product can use,
see :func:`candidate_threads`), keeps the fastest, drops a count at once when it is far slower,
and times them again every :data:`RETUNE_SECONDS` (contention comes and goes) once the steps
since the last timing have taken :data:`RETUNE_COST` times what that timing cost, or at once
when the chosen count's steps turn far slower (:data:`SLOW_STEPS`: a machine that became
busy). ``threads=n`` fixes the count instead. The limits are set through ``threadpoolctl``
and restored when the run ends.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from .validation import check_int

#: FLOPs per thread below which splitting a product gains nothing: products of 1.6 MFLOP ran
#: as fast on one thread as on two, from 3.2 MFLOP on two were faster (quiet 2-core machine).
#: Above it the count is timed, not assumed: the timing is what protects a busy machine.
GRAIN = 1_500_000
#: Seconds between two timings of the candidate thread counts, at least.
RETUNE_SECONDS = 30.0
#: ... and the steps since the last timing must have taken this many times the time that
#: timing lost (its steps minus as many steps at the chosen count's median), so that timing
#: costs at most 2% of the training time, whatever the step's size and however much time
#: passes outside the steps (evaluation between epochs, other runs interleaved with this one):
#: with a ``[784, 1024, 1024, 10]`` step (60 ms with two threads, 110 with one) a timing
#: every 30 s of the clock slowed every third epoch of an interleaved benchmark by 30%.
RETUNE_COST = 50.0
#: Timed steps per candidate, at least (after one untimed step that wakes its threads up) ...
TRIALS = 2
#: ... and until they add up to this many seconds, up to :data:`MAX_TRIALS` steps: two steps
#: of a ``[784, 128, 64, 10]`` network (1–2 ms each) are too few on a noisy machine, where
#: one preempted step made the timing keep the slower count for a whole run.
TRIAL_SECONDS = 0.01
MAX_TRIALS = 16
#: A step this many times slower than its count's timed median is "far slower": a candidate
#: that slow is dropped at once, and that many slow steps in a row after the choice
#: (:data:`SLOW_STEPS`) start a new timing before :data:`RETUNE_SECONDS` are up.
SLOWER = 3.0
#: Consecutive far-slower steps that start a new timing at once: a machine that turns busy
#: while several threads are in use makes every product wait for a descheduled thread (each
#: step 10-60× slower); this notices it within a few steps instead of 30 s.
SLOW_STEPS = 3


def cpu_count() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def useful_threads(layer_dims: Sequence[int], batch: int, cores: int | None = None) -> int:
    """Threads the largest product of a step on ``batch`` examples can use: one per
    :data:`GRAIN` FLOPs, at most ``cores``."""
    cores = cpu_count() if cores is None else cores
    largest = max(n * k for n, k in zip(layer_dims[1:], layer_dims[:-1], strict=False))
    return max(1, min(cores, 2 * batch * largest // GRAIN))


def candidate_threads(layer_dims: Sequence[int], batch: int,
                      cores: int | None = None) -> tuple[int, ...]:
    """The counts to time: 1, the powers of two below :func:`useful_threads`, and that
    number itself (``(1, 2)`` on two cores for any product worth sharing; ``(1,)`` when
    none is)."""
    n = useful_threads(layer_dims, batch, cores)
    counts = [1]
    while counts[-1] * 2 < n:
        counts.append(counts[-1] * 2)
    return tuple(counts + [n]) if n > 1 else (1,)


def _controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def check_threads(threads: Any) -> int | None:
    """``threads`` for ``train``: ``None`` (xpnet chooses) or a positive int."""
    if threads is None:
        return None
    return check_int("threads", threads, minimum=1)


class Threads:
    """The BLAS thread count of one run; a context manager that restores the limits after.

    ``threads``: a positive int fixes the count (an ``ImportError`` when ``threadpoolctl`` is
    missing); ``None`` chooses as the module says (the library's default when
    ``threadpoolctl`` is missing). ``candidates`` are the counts to time (``[1]``: none, one
    thread); ``clock`` is for tests.
    """

    def __init__(self, threads: int | None, candidates: Sequence[int] = (1,), *,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.controller = _controller()
        if threads is not None and self.controller is None:
            raise ImportError("threads= needs threadpoolctl: pip install threadpoolctl")
        self.fixed = threads
        self.candidates = sorted(set(candidates)) if threads is None else [threads]
        self.clock = clock
        self.current: int | None = self.candidates[0]
        self._limits: Any = None
        self._times: dict[int, list[float]] = {}
        self._queue: list[tuple[int, bool]] = []
        self._tuned_at = -float("inf")
        self._expected: float | None = None  # the chosen count's timed median step
        self._slow = 0  # far-slower steps in a row since
        self._trial_steps: list[float] = []  # every step of the timing under way
        self._lost = 0.0  # what the last timing cost beyond the chosen count's steps
        self._stepped = 0.0  # time in steps since that timing
        self._now = False  # time the counts again at the next step (a machine turned busy)
        if self.controller is None:
            self.current = None  # nothing to set: the library's default

    @classmethod
    def for_run(cls, threads: int | None, backend_name: str, layer_dims: Sequence[int],
                batch: int) -> Threads:
        """The policy for a run: ``threads`` if given; else timing
        :func:`candidate_threads` on host backends (NumPy's BLAS), and nothing on the others."""
        if threads is not None:
            return cls(threads)
        if backend_name not in ("numpy", "array_api_strict"):
            policy = cls(None)
            policy.current = None
            return policy
        return cls(None, candidate_threads(layer_dims, batch))

    @property
    def description(self) -> str:
        """For ``Model.config["threads"]``."""
        if self.controller is None or self.current is None:
            return "library default"
        if self.fixed is not None:
            return str(self.fixed)
        if len(self.candidates) < 2:
            return f"auto: {self.current} (products too small to share)"
        return f"auto: {self.current} (timed {', '.join(map(str, self.candidates))})"

    def __enter__(self) -> Threads:
        if self.current is not None:
            self._set(self.current)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._limits is not None:
            self._limits.restore_original_limits()
            self._limits = None

    def _set(self, n: int) -> None:
        if self._limits is not None:
            self._limits.restore_original_limits()
        self._limits = self.controller.limit(limits=n, user_api="blas")

    def step(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` (one training step) under the current count, timing it while the
        candidates are being compared, and watching it after (see :data:`SLOW_STEPS`)."""
        if self.current is None or len(self.candidates) < 2:
            return fn(*args)
        if not self._queue and (self._now or (
                self.clock() - self._tuned_at > RETUNE_SECONDS
                and self._stepped >= RETUNE_COST * self._lost)):
            self._now = False
            self._trial_steps = []
            self._times = {n: [] for n in self.candidates}
            # per candidate: one untimed step (its threads wake up), then TRIALS timed ones
            self._queue = [(n, k > 0) for n in self.candidates for k in range(TRIALS + 1)]
        if not self._queue:
            return self._watched(fn, *args)
        n, timed = self._queue.pop(0)
        if n != self.current:
            self._set(n)
            self.current = n
        start = self.clock()
        out = fn(*args)
        elapsed = self.clock() - start
        self._trial_steps.append(elapsed)
        if timed:
            times = self._times[n]
            times.append(elapsed)
            others = [min(t) for m, t in self._times.items() if m != n and t]
            if others and elapsed > SLOWER * min(others):  # far slower: stop trying it
                self._queue = [q for q in self._queue if q[0] != n]
            elif ((not self._queue or self._queue[0][0] != n) and len(times) < MAX_TRIALS
                  and sum(times) < TRIAL_SECONDS):  # short steps: time more of them
                self._queue.insert(0, (n, True))
        if not self._queue:
            self._choose()
        return out

    def _watched(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` under the chosen count; :data:`SLOW_STEPS` far-slower steps in a
        row make the next step start a new timing."""
        start = self.clock()
        out = fn(*args)
        elapsed = self.clock() - start
        self._stepped += elapsed
        if self._expected is not None and elapsed > SLOWER * self._expected:
            self._slow += 1
            if self._slow >= SLOW_STEPS:
                self._now = True
                self._slow = 0
        else:
            self._slow = 0
        return out

    def _choose(self) -> None:
        medians = {n: statistics.median(t) for n, t in self._times.items() if t}
        best = min(medians, key=lambda n: (medians[n], n))
        if best != self.current:
            self._set(best)
            self.current = best
        self._expected = medians[best]
        self._slow = 0
        self._tuned_at = self.clock()
        self._lost = max(0.0, sum(self._trial_steps) - len(self._trial_steps) * medians[best])
        self._stepped = 0.0
