"""``xpnet bench``: per-epoch speed of xpnet and of the libraries it is measured against.

Three networks (:mod:`.cases`), each trained by every available implementation in the same
run, interleaved (:mod:`.harness`): xpnet on each backend (:mod:`.xpnet_impl`), the
course-style float64 code (:mod:`.course_style`), PyTorch eager and ``torch.compile``
(:mod:`.torch_impl`) and JAX ``jit`` (:mod:`.jax_impl`). Missing libraries are skipped with the
reason. The report (:mod:`.report`) gives median and minimum ms per epoch, the ratio to xpnet
on NumPy float32, the FLOP rate and its fraction of the matmul rate measured in the same run
(:mod:`.machine`).

Entry points: ``xpnet bench ...`` (the CLI calls :func:`add_arguments` and :func:`run`),
``python -m xpnet.benchmarks ...`` (:func:`main`), and ``pytest bench/ --benchmark-only``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .cases import CASES, QUICK_CASES, Case
from .harness import Entry, Runner, Unavailable, time_interleaved

__all__ = ["IMPLEMENTATIONS", "Unavailable", "add_arguments", "build_runner", "main", "run"]


def _xpnet(backend: str, dtype: str = "float32", engine: str = "auto", device: Any = None):
    def build(case: Case, threads: int | None) -> Runner:
        from .machine import cpu_count
        from .xpnet_impl import XpnetRunner, cuda_device_for_torch

        dev = cuda_device_for_torch() if device == "cuda" else device
        if backend == "torch":
            from .torch_impl import import_torch

            import_torch(threads or cpu_count())
        return XpnetRunner(case, backend, dtype, engine=engine, device=dev, threads=threads)

    return build


def _course(case: Case, threads: int | None) -> Runner:
    from .course_style import CourseStyleRunner

    return CourseStyleRunner(case)


def _torch(compile: bool, device: str = "cpu"):
    def build(case: Case, threads: int | None) -> Runner:
        from .machine import cpu_count
        from .torch_impl import TorchRunner, check_compile_works
        from .xpnet_impl import cuda_device_for_torch

        threads = threads or cpu_count()
        dev = cuda_device_for_torch() if device == "cuda" else device
        if compile:
            check_compile_works(threads)
        return TorchRunner(case, threads, device=dev, compile=compile)

    return build


def _jax(case: Case, threads: int | None) -> Runner:
    from .jax_impl import JaxRunner

    return JaxRunner(case)


#: Every implementation, by its ``--backends`` name, in table order.
IMPLEMENTATIONS: dict[str, Entry] = {e.name: e for e in (
    Entry("numpy", "xpnet numpy f32", "cpu", "float32", _xpnet("numpy")),
    Entry("numpy-float64", "xpnet numpy f64", "cpu", "float64", _xpnet("numpy", "float64")),
    Entry("numpy-generic", "xpnet numpy f32, generic engine", "cpu", "float32",
          _xpnet("numpy", engine="generic")),
    Entry("array_api_strict", "xpnet array-api-strict f32", "cpu", "float32",
          _xpnet("array_api_strict"), networks=("cat",)),
    Entry("torch", "xpnet torch f32", "cpu", "float32", _xpnet("torch", device="cpu")),
    Entry("torch-compiled", "xpnet torch f32, torch.compile engine", "cpu", "float32",
          _xpnet("torch", engine="torch", device="cpu")),
    Entry("jax", "xpnet jax f32", "cpu", "float32", _xpnet("jax")),
    Entry("jax-generic", "xpnet jax f32, generic engine", "cpu", "float32",
          _xpnet("jax", engine="generic")),
    Entry("cupy", "xpnet cupy f32 (GPU)", "gpu", "float32", _xpnet("cupy")),
    Entry("torch-cuda", "xpnet torch f32 (GPU)", "gpu", "float32",
          _xpnet("torch", device="cuda")),
    Entry("course", "course-style f64", "cpu", "float64", _course, batch_norm=False),
    Entry("torch-eager", "PyTorch eager f32", "cpu", "float32", _torch(False),
          batch_norm=False),
    Entry("torch-compile", "torch.compile f32", "cpu", "float32", _torch(True),
          may_fail=True, batch_norm=False),
    Entry("jax-jit", "JAX jit f32", "cpu", "float32", _jax, batch_norm=False),
    Entry("torch-eager-cuda", "PyTorch eager f32 (GPU)", "gpu", "float32",
          _torch(False, "cuda"), batch_norm=False),
)}


def build_runner(name: str, case: Case, threads: int | None) -> Runner:
    """The runner of implementation ``name`` for ``case``; raises :class:`Unavailable`."""
    entry = IMPLEMENTATIONS[name]
    if entry.networks is not None and case.id not in entry.networks:
        raise Unavailable(f"runs on {', '.join(entry.networks)} only (a correctness backend, "
                          "not a fast one)")
    if case.batch_norm and not entry.batch_norm:
        raise Unavailable("has no batch-norm version (a baseline of the plain networks)")
    return entry.build(case, threads)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``xpnet bench``."""
    from .machine import cpu_count

    parser.add_argument("--networks", default=",".join(CASES),
                        help=f"comma-separated networks (default: all: {','.join(CASES)})")
    parser.add_argument("--backends", default=",".join(IMPLEMENTATIONS),
                        help="comma-separated implementations (default: every one installed): "
                             + ",".join(IMPLEMENTATIONS))
    parser.add_argument("--epochs", type=int, default=5,
                        help="timed epochs per implementation; the median is reported (default 5)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="untimed epochs first (default 2)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for every library, xpnet's BLAS included (default: this "
                             f"machine's cores ({cpu_count()}) for the others, and xpnet chooses "
                             "its own as train(threads=None) does)")
    parser.add_argument("--busy", type=int, default=0, metavar="N",
                        help="run N busy-loop processes beside the measurement (a shared "
                             "machine, reproducibly; they are stopped at the end; default 0)")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write the raw numbers as JSON to PATH")
    parser.add_argument("--quick", action="store_true",
                        help="tiny networks and data (a smoke test, not a measurement)")


def _names(text: str, known: Sequence[str], what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"unknown {what} {', '.join(unknown) or '(none given)'}; "
                         f"expected some of: {', '.join(known)}")
    return names


def run(args: argparse.Namespace) -> int:
    """Run the benchmark described by parsed ``args``; print the table. Returns an exit code."""
    from . import report
    from .machine import busy_processes, configure_threads, cpu_count, machine_info, peak_rates

    try:
        networks = _names(args.networks, list(CASES), "network")
        names = _names(args.backends, list(IMPLEMENTATIONS), "implementation")
        if args.epochs < 1 or args.warmup < 0 or (args.threads is not None and args.threads < 1):
            raise ValueError("--epochs and --threads must be >= 1 and --warmup >= 0")
        if args.busy < 0:
            raise ValueError("--busy must be >= 0")
    except ValueError as exc:
        print(f"xpnet bench: {exc}", file=sys.stderr)
        return 2
    settings = configure_threads(args.threads or cpu_count())
    settings.update(xpnet_threads=args.threads or "auto (as train(threads=None))",
                    epochs=args.epochs, warmup=args.warmup, quick=args.quick, busy=args.busy)
    cases = {n: (QUICK_CASES if args.quick else CASES)[n] for n in networks}
    timings, skipped = [], []
    with busy_processes(args.busy):
        settings["load_average_before"] = _load_average()
        for case in cases.values():
            print(f"{case.id}: {case.description}", flush=True)
            runners = {}
            for name in names:
                try:
                    runners[name] = (IMPLEMENTATIONS[name], build_runner(name, case, args.threads))
                except Unavailable as exc:
                    skipped.append({"network": case.id, "implementation": name,
                                    "reason": str(exc)})
            found, failed = time_interleaved(case, runners, epochs=args.epochs,
                                             warmup=args.warmup,
                                             settle=0.0 if args.quick else 0.2)
            timings += found
            skipped += failed
            del runners
            gc.collect()
        settings["load_average_after"] = _load_average()
    if skipped:
        print(report.skipped_line(skipped, networks), flush=True)
    machine = machine_info()
    rates = peak_rates({t.device for t in timings}, {t.dtype for t in timings}, args.quick)
    rows = report.rows(cases, timings, rates)
    print()
    print(report.network_lines(cases))
    print(report.machine_lines(machine, settings, rates))
    print()
    print(report.table(rows))
    if args.json:
        payload = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                   "argv": sys.argv, "machine": machine,
                   "settings": settings, "matmul_gflops": rates,
                   "networks": {c.id: {"description": c.description,
                                       "layer_dims": list(c.layer_dims), "m": c.m,
                                       "mini_batch_size": c.mini_batch_size,
                                       "optimizer": c.optimizer,
                                       "batch_norm": c.batch_norm,
                                       "flops_per_epoch": c.flops_per_epoch}
                                for c in cases.values()},
                   "results": rows, "skipped": skipped}
        print(f"\nraw numbers: {report.write_json(args.json, payload)}")
    return 0


def _load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages (a busy machine makes timings noisy)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):  # not on this platform
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m xpnet.benchmarks [options]``."""
    parser = argparse.ArgumentParser(prog="xpnet bench", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
