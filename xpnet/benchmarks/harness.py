"""Timing: every implementation of a network is timed per epoch, interleaved, in one run.

A *runner* is one implementation prepared for one network (data already on its device); its
``epoch()`` trains one epoch and returns the epoch's cost only after the device has finished
(reading the cost synchronises). The harness warms every runner up, then times epoch after
epoch round-robin, rotating the order each round, so that a noisy neighbour slows every
implementation alike; it reports medians and minima.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from .cases import Case

#: Epochs shorter than this (seconds) are preceded by an untimed one in every round.
REWARM_BELOW = 0.1


class Unavailable(Exception):
    """An implementation cannot run here (library missing, no GPU, case not supported)."""


class Runner(Protocol):
    def epoch(self) -> float:
        """Train one epoch; return its cost (a host float: the device has finished)."""


@dataclass
class Timing:
    """Epoch times (seconds) of one implementation on one network."""

    network: str
    implementation: str
    label: str
    device: str
    dtype: str
    seconds: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return 1e3 * statistics.median(self.seconds)

    @property
    def min_ms(self) -> float:
        return 1e3 * min(self.seconds)


@dataclass
class Entry:
    """An implementation the harness can build: ``build(case, threads)`` gives a runner
    (``threads`` None: the machine's cores, and xpnet's own choice for xpnet)."""

    name: str  # the --backends name
    label: str  # the table's name
    device: str  # "cpu" or "gpu"
    dtype: str
    build: Callable[[Case, int | None], Runner]  # threads: None = each library's choice
    networks: tuple[str, ...] | None = None  # None: every network
    may_fail: bool = False  # an error in its warm-up means "does not work here": skip it
    batch_norm: bool = True  # it trains the batch-norm networks (the baselines do not)


def time_interleaved(case: Case, runners: dict[str, tuple[Entry, Runner]], *, epochs: int,
                     warmup: int, settle: float = 0.2, log: Callable[[str], None] = print,
                     ) -> tuple[list[Timing], list[dict]]:
    """Warm each runner up, then time ``epochs`` epochs of each, round-robin.

    Before each warm-up and each timed epoch the harness collects garbage and pauses
    ``settle`` seconds, so that thread pools still spinning after the previous
    implementation's epoch (OpenBLAS, OpenMP, Eigen) have gone to sleep; a runner whose epoch
    is short (under ``REWARM_BELOW`` seconds) then runs one untimed epoch first, so that its
    timed epoch starts, as in training, with its data in cache and its threads awake. Returns
    the timings and the implementations skipped because their warm-up failed.
    """
    timings, skipped, short = {}, [], set()
    for name, (entry, runner) in list(runners.items()):
        # the pause before the warm-up too: xpnet times its BLAS thread counts on its first
        # steps, and a previous network's pools still spinning would make it choose one thread
        gc.collect()
        time.sleep(settle)
        start = time.perf_counter()
        try:
            for _ in range(warmup):
                lap = time.perf_counter()
                runner.epoch()
            if warmup and time.perf_counter() - lap < REWARM_BELOW:
                short.add(name)
        except Exception as exc:
            if not entry.may_fail:
                raise
            reason = f"does not work here: {type(exc).__name__}: {exc}"[:300]
            log(f"  skipped {name}: {reason}")
            skipped.append({"network": case.id, "implementation": name, "reason": reason})
            del runners[name]
            continue
        log(f"  {entry.label}: warmed up in {time.perf_counter() - start:.1f} s")
        device = getattr(runner, "device_kind", entry.device)
        timings[name] = Timing(case.id, name, entry.label, device, entry.dtype)
    names = list(runners)
    for round_ in range(epochs):
        k = round_ % max(len(names), 1)
        for name in names[k:] + names[:k]:
            gc.collect()
            time.sleep(settle)
            runner = runners[name][1]
            if name in short:
                runner.epoch()
            start = time.perf_counter()
            cost = runner.epoch()
            timings[name].seconds.append(time.perf_counter() - start)
            timings[name].costs.append(cost)
    return list(timings.values()), skipped
