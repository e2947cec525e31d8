"""xpnet itself on one backend: the training loop of :func:`xpnet.train`, one epoch at a time.

The per-epoch code is ``train``'s (permutation from the host RNG moved to the device once,
``engine.step`` per batch, the cost read once), so the timing is what ``train`` spends per
epoch; it is unrolled here only so that the harness can interleave implementations.
"""

from __future__ import annotations

from typing import Any

from ..activations import get_activation
from ..backend import BackendUnavailableError, get_backend
from ..engines import make_engine
from ..initializers import initialize_parameters
from ..minibatches import batch_bounds, shuffled_indices
from ..optimizers import get_optimizer
from ..rng import RandomState
from .cases import Case, make_data
from .harness import Unavailable


class XpnetRunner:
    """``xpnet`` on ``backend`` (a name), ``dtype``, with engine ``engine``."""

    def __init__(self, case: Case, backend: str, dtype: str = "float32", *, engine: str = "auto",
                 device: Any = None, seed: int = 0) -> None:
        try:
            self.be = be = get_backend(backend, device=device)
        except BackendUnavailableError as exc:
            raise Unavailable(str(exc)) from None
        if backend == "jax" and dtype == "float64":
            import jax

            jax.config.update("jax_enable_x64", True)
        dt = be.dtype(dtype)
        data = make_data(case, seed)
        self.rng = RandomState(seed)
        params = initialize_parameters(list(case.layer_dims), "he", seed=self.rng, dtype=dt,
                                       backend=be)
        optimizer = get_optimizer(case.optimizer, case.learning_rate)
        acts = [get_activation(a) for a in case.activations]
        self.engine = make_engine(engine, be, params, acts, optimizer, lambd=0.0,
                                  keep_prob=1.0, rng=self.rng)
        self.engine.load_data(be.asarray(data.X, dtype=dt), be.asarray(data.Y, dtype=dt))
        self.m, self.batch = case.m, case.batch

    def epoch(self) -> float:
        order = shuffled_indices(self.be, self.rng, self.m) if self.batch < self.m else None
        total = None
        for a, b in batch_bounds(self.m, self.batch):
            c = self.engine.step(order, a, b)
            total = c if total is None else total + c
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
