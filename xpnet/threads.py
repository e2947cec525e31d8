"""BLAS threads for one training run: how many, set for the run only (``train(threads=...)``).

Why this matters: a training step on the CPU is a handful of matrix products of modest size
(``[784, 128, 64, 10]`` in batches of 128: 26 MFLOP for the largest, half a millisecond on one
core). OpenBLAS splits every product over all its threads and makes each call wait for the
slowest one; its threads spin while they wait. On a quiet machine two threads gain a little;
on a shared one (another process on one core) each call waits for a thread that the scheduler
has descheduled for a whole time slice, and a step becomes 5–25× slower than with one thread
(measured on this project's 2-core machine: ``bench/README.md``). One thread per process is
then the fast setting, and on a quiet machine it costs little for small products.

So :class:`Threads` chooses per run: a product too small to share (under :data:`GRAIN` FLOPs
per thread) gets one thread; otherwise it times the first steps with one thread and with as
many as the product can use, keeps the faster, and times them again every
:data:`RETUNE_SECONDS` (contention comes and goes). ``threads=n`` fixes the count instead. The
limits are set through ``threadpoolctl`` and restored when the run ends.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from .validation import check_int

#: FLOPs of a product below which a second thread costs more than it gains (each thread
#: should have a few milliseconds of work: a busy machine's time slice).
GRAIN = 64_000_000
#: Seconds of training between two timings of the candidate thread counts.
RETUNE_SECONDS = 30.0
#: Timed steps per candidate (after one untimed step that wakes its threads up).
TRIALS = 2


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
    ``threadpoolctl`` is missing). ``candidates`` are the counts to time (``[1]`` or
    ``[1, n]``); ``clock`` is for tests.
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
        if self.controller is None:
            self.current = None  # nothing to set: the library's default

    @classmethod
    def for_run(cls, threads: int | None, backend_name: str, layer_dims: Sequence[int],
                batch: int) -> Threads:
        """The policy for a run: ``threads`` if given; else timing 1 and
        :func:`useful_threads` on host backends (NumPy's BLAS), and nothing on the others."""
        if threads is not None:
            return cls(threads)
        if backend_name not in ("numpy", "array_api_strict"):
            policy = cls(None)
            policy.current = None
            return policy
        return cls(None, (1, useful_threads(layer_dims, batch)))

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
        candidates are being compared."""
        if self.current is None or len(self.candidates) < 2:
            return fn(*args)
        if not self._queue and self.clock() - self._tuned_at > RETUNE_SECONDS:
            self._times = {n: [] for n in self.candidates}
            # per candidate: one untimed step (its threads wake up), then TRIALS timed ones
            self._queue = [(n, k > 0) for n in self.candidates for k in range(TRIALS + 1)]
        if not self._queue:
            return fn(*args)
        n, timed = self._queue.pop(0)
        if n != self.current:
            self._set(n)
            self.current = n
        start = self.clock()
        out = fn(*args)
        elapsed = self.clock() - start
        if timed:
            self._times[n].append(elapsed)
            others = [min(t) for m, t in self._times.items() if m != n and t]
            if others and elapsed > 3 * min(others):  # far slower: stop trying it
                self._queue = [q for q in self._queue if q[0] != n]
        if not self._queue:
            self._choose()
        return out

    def _choose(self) -> None:
        medians = {n: statistics.median(t) for n, t in self._times.items() if t}
        best = min(medians, key=lambda n: (medians[n], n))
        if best != self.current:
            self._set(best)
            self.current = best
        self._tuned_at = self.clock()
