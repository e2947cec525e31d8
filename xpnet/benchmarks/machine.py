"""The machine the benchmark ran on, its thread settings, and its measured matmul rate."""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import numpy as np

from ..threads import cpu_count

#: Libraries whose versions the report lists (when installed).
LIBRARIES = ("numpy", "scipy", "array-api-compat", "array-api-strict", "torch", "jax", "jaxlib",
             "cupy-cuda12x", "threadpoolctl")


#: A busy loop that ends by itself when the benchmark that started it is gone.
BUSY_LOOP = ("import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n"
             "    for _ in range(1_000_000):\n        pass\n")


@contextlib.contextmanager
def busy_processes(n: int) -> Iterator[list[subprocess.Popen]]:
    """``n`` processes that keep one core each busy (``--busy n``), for as long as the block
    runs: a shared machine made reproducible. They are terminated when the block ends (also on
    Ctrl-C or SIGTERM), and end by themselves should this process die first."""
    procs = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(n)]
    previous = signal.getsignal(signal.SIGTERM) if n else None

    def _terminate(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    if n:
        signal.signal(signal.SIGTERM, _terminate)
    try:
        yield procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if n:
            signal.signal(signal.SIGTERM, previous)


def configure_threads(threads: int) -> dict[str, Any]:
    """Give every library ``threads`` threads; returns what was set.

    XLA reads its flags when JAX starts and OpenMP its wait policy when torch loads, so they
    are set in the environment here, before any implementation imports them (values the user
    set win); torch's thread count is set when it is imported (``torch.set_num_threads``),
    NumPy's BLAS through threadpoolctl when it is installed.
    """
    if "torch" not in sys.modules:
        # torch's OpenMP threads spin while they wait; on a shared or busy machine that makes
        # every small parallel region wait for a descheduled thread (tens of times slower).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    flags = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in flags and "jax" not in sys.modules:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=true "
                                   f"intra_op_parallelism_threads={threads}").strip()
    settings: dict[str, Any] = {"threads": threads, "XLA_FLAGS": os.environ.get("XLA_FLAGS"),
                                "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY")}
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        settings["blas_threads"] = "library default (threadpoolctl not installed)"
    else:
        threadpool_limits(threads, user_api="blas")
        settings["blas_threads"] = threads
    return settings


def machine_info() -> dict[str, Any]:
    """CPU model, cores, memory, BLAS, library versions and GPU name (where known)."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "blas": _blas(),
        "versions": {},
        "gpu": _gpu_name(),
    }
    for lib in LIBRARIES:
        try:
            info["versions"][lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            continue
    return info


def _cpu_model() -> str:
    try:
        import cpuinfo

        return cpuinfo.get_cpu_info().get("brand_raw") or platform.processor()
    except Exception:  # py-cpuinfo is optional and can fail on unusual systems
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas() -> list[dict[str, Any]] | str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        cfg = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
        return f"{cfg.get('name', '?')} {cfg.get('version', '')}".strip()
    return [{k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads",
                                   "threading_layer", "filepath")}
            for d in threadpool_info() if d.get("user_api") == "blas"]


def _gpu_name() -> str | None:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except ImportError:
        pass
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    except Exception:  # CuPy missing, or no driver
        return None


def matmul_rate(xp: Any, dtype: str, n: int, *, device: Any = None, sync: Any = None,
                repeats: int = 5) -> float:
    """Best GFLOP/s of an ``n × n`` by ``n × n`` product in namespace ``xp`` (2n³ FLOPs)."""
    rng = np.random.default_rng(0)
    kw = {} if device is None else {"device": device}
    a = xp.asarray(rng.random((n, n)).astype(dtype), **kw)
    b = xp.asarray(rng.random((n, n)).astype(dtype), **kw)
    best = float("inf")
    for _ in range(repeats + 1):  # the first is a warm-up
        start = time.perf_counter()
        c = a @ b
        if sync is not None:
            sync(c)
        best = min(best, time.perf_counter() - start)
    return 2.0 * n**3 / best / 1e9


def peak_rates(devices: set[str], dtypes: set[str], quick: bool) -> dict[str, float]:
    """Measured matmul GFLOP/s per ``"device dtype library"``: NumPy, and torch when
    installed, on the CPU; CuPy and torch on a GPU when present."""
    n_cpu, n_gpu = (256, 512) if quick else (2048, 8192)
    rates: dict[str, float] = {}
    torch = _optional("torch")
    cupy = _optional("cupy")
    for dt in sorted(dtypes):
        if "cpu" in devices:
            rates[f"cpu {dt} numpy"] = matmul_rate(np, dt, n_cpu)
            if torch is not None:
                rates[f"cpu {dt} torch"] = matmul_rate(torch, dt, n_cpu)
        if "gpu" in devices and torch is not None and torch.cuda.is_available():
            rates[f"gpu {dt} torch"] = matmul_rate(torch, dt, n_gpu, device="cuda",
                                                   sync=lambda c: torch.cuda.synchronize())
        if "gpu" in devices and cupy is not None and _gpu_name() is not None:
            rates[f"gpu {dt} cupy"] = matmul_rate(
                cupy, dt, n_gpu, sync=lambda c: cupy.cuda.get_current_stream().synchronize())
    return rates


def _optional(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


def best_rate(rates: dict[str, float], device: str, dtype: str) -> float | None:
    """The machine's measured limit for ``device``/``dtype``: the best library's rate."""
    found = [r for key, r in rates.items() if key.startswith(f"{device} {dtype} ")]
    return max(found) if found else None
