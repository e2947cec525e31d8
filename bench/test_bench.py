"""pytest-benchmark suite: ``pytest bench/ --benchmark-only`` times one epoch of every
implementation on every network, with the cases and runners of ``xpnet bench``.

pytest-benchmark runs one case after another; for implementations compared side by side in
the same run, interleaved epoch by epoch, use ``xpnet bench``. ``XPNET_BENCH_QUICK=1`` swaps
in the tiny networks (a smoke run).
"""

from __future__ import annotations

import os

import pytest

from xpnet.benchmarks import IMPLEMENTATIONS, Unavailable, build_runner
from xpnet.benchmarks.cases import CASES, QUICK_CASES
from xpnet.benchmarks.machine import configure_threads, cpu_count

THREADS = cpu_count()
configure_threads(THREADS)  # before any case imports torch or JAX
NETWORKS = QUICK_CASES if os.environ.get("XPNET_BENCH_QUICK") == "1" else CASES


@pytest.mark.parametrize("implementation", list(IMPLEMENTATIONS))
@pytest.mark.parametrize("network", list(CASES))
def test_epoch(benchmark, network: str, implementation: str) -> None:
    case = NETWORKS[network]
    try:
        runner = build_runner(implementation, case, THREADS)
    except Unavailable as exc:
        pytest.skip(str(exc))
    if IMPLEMENTATIONS[implementation].may_fail:  # torch.compile: failing to build = "not here"
        try:
            runner.epoch()
        except Exception as exc:  # inductor raises many kinds
            pytest.skip(f"does not work here: {type(exc).__name__}: {exc}"[:300])
    benchmark.group = network
    benchmark.extra_info.update(flops_per_epoch=case.flops_per_epoch, threads=THREADS,
                                label=IMPLEMENTATIONS[implementation].label)
    benchmark.pedantic(runner.epoch, rounds=5, warmup_rounds=2, iterations=1)
