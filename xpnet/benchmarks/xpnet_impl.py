"""xpnet itself on one backend, one epoch at a time.

Each epoch is :func:`xpnet.engines.run_epoch`, the very function ``train``'s loop calls
(permutation from the host RNG moved to the device once, ``engine.step`` per batch under the
BLAS-thread policy of ``train(threads=...)``, the cost read once), so the timing is what
``train`` spends per epoch; only the loop over epochs is the harness's, so that it can
interleave implementations.
"""

from __future__ import annotations

from typing import Any

from ..architecture import Architecture
from ..backend import BackendUnavailableError, get_backend
from ..engines import EngineUnsupportedError, make_engine, run_epoch
from ..initializers import initialize_parameters
from ..optimizers import get_optimizer
from ..rng import RandomState
from ..threads import Threads
from .cases import Case, make_data
from .harness import Unavailable


class XpnetRunner:
    """``xpnet`` on ``backend`` (a name), ``dtype``, with engine ``engine``."""

    def __init__(self, case: Case, backend: str, dtype: str = "float32", *, engine: str = "auto",
                 device: Any = None, seed: int = 0, threads: int | None = None) -> None:
        try:
            be = get_backend(backend, device=device)
        except BackendUnavailableError as exc:
            raise Unavailable(str(exc)) from None
        if backend == "jax" and dtype == "float64":
            import jax

            jax.config.update("jax_enable_x64", True)
        dt = be.dtype(dtype)
        data = make_data(case, seed)
        self.rng = RandomState(seed)
        params = initialize_parameters(list(case.layer_dims), "he", seed=self.rng, dtype=dt,
                                       backend=be, batch_norm=case.batch_norm)
        optimizer = get_optimizer(case.optimizer, case.learning_rate)
        arch = Architecture.of(case.layer_dims, case.activations, case.batch_norm)
        try:
            self.engine = make_engine(engine, be, params, arch, optimizer, lambd=0.0,
                                      keep_prob=1.0, rng=self.rng)
        except EngineUnsupportedError as exc:  # e.g. batch norm on a compiling engine
            raise Unavailable(str(exc)) from None
        self.engine.load_data(be.asarray(data.X, dtype=dt), be.asarray(data.Y, dtype=dt))
        self.m, self.batch = case.m, case.batch
        # the BLAS threads as train(threads=threads) sets them (None: xpnet chooses)
        self.threads = Threads.for_run(threads, be.name, case.layer_dims, case.batch)

    def epoch(self) -> float:
        with self.threads:
            total = run_epoch(self.engine, self.rng, self.m, self.batch, threads=self.threads)
            return float(total) / self.m  # the one host synchronisation of the epoch


def cuda_device_for_torch() -> str:
    """``"cuda"`` when torch sees a GPU; raises :class:`Unavailable` otherwise."""
    try:
        import torch
    except ImportError:
        raise Unavailable("torch is not installed (pip install torch==2.13.0)") from None
    if not torch.cuda.is_available():
        raise Unavailable("torch sees no CUDA device")
    return "cuda"
