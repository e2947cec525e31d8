"""The generic step compiled whole with ``torch.compile``: :class:`TorchEngine`.

The reference engine's own step (:mod:`xpnet.engines._traced`) compiled by TorchDynamo and
Inductor into one graph per batch size: the batch's gather, forward, cost, backward and the
optimizer's update. Everything that changes from step to step enters as a tensor — the
learning rate, betas, epsilon and Adam's step count (0-d float64 tensors on the device), the
batch's start, the epoch's permutation and the dropout masks (drawn on the host by the same
``RandomState`` calls as the generic engine) — so nothing is recompiled after the first step of
each batch size, and nothing waits for the device within an epoch (the cost is summed there).

Compiling costs time once per batch size (seconds to a minute on a CPU, less once Inductor's
on-disk cache holds the graph); ``TorchEngine.use_compile = False`` runs the same traced step
eagerly. **Chosen only by** ``engine="torch"``, not by ``"auto"``: on this project's CPU it was
not reliably faster than the generic engine (mnist-3v7 1.28× faster, mnist-10 between 1.07×
slower and 1.4× faster, epoch to epoch, ``bench/results/2026-12-01-perf-torch-engines.json``),
because of the graph breaks below, and a minute of compilation before a short run is a poor
default; not yet measured on a GPU.

Known limit: array-api-compat's torch wrappers of two-argument functions with a Python scalar
(``xp.maximum(Z, 0.0)``, ``xp.where(Z > 0, dA, 0.0)``) call ``torch.result_type``, which Dynamo
cannot put in a graph, so the step compiles into several graphs joined by eager code, not one.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

from ._traced import TracedEngine


class TorchEngine(TracedEngine):
    """The generic training step compiled with ``torch.compile``."""

    name = "torch"
    backend_name = "torch"
    #: compile with ``torch.compile`` (``False``: the same step, eagerly)
    use_compile: ClassVar[bool] = True
    #: not chosen by ``engine="auto"``: only by ``engine="torch"`` (see the module)
    auto: ClassVar[bool] = False

    def compile(self, fn: Any) -> Any:
        if not self.use_compile:
            return fn
        import torch

        # dynamic=None: a size seen to change (the short last batch; the layers' widths in the
        # frames that Dynamo compiles separately, see below) becomes symbolic once, instead of
        # one recompilation per size up to Dynamo's limit
        compiled = torch.compile(fn)
        first = True

        def call(*args: Any) -> Any:
            nonlocal first
            if not first:
                return compiled(*args)
            first = False
            with warnings.catch_warnings():  # Dynamo's notes on array-api-compat's lru_caches
                warnings.filterwarnings("ignore", message="Dynamo detected a call to a "
                                        "`functools.lru_cache`", category=UserWarning)
                return compiled(*args)

        return call

    def contiguous(self, x: Any) -> Any:
        return x.contiguous()

    def scalar(self, value: float) -> Any:
        import torch

        return torch.tensor(float(value), dtype=torch.float64, device=self.backend.device)

    def offset(self, a: int) -> Any:
        import torch

        return torch.tensor(a, dtype=torch.int64, device=self.backend.device)

    def batch_indices(self, order: Any, a: Any, mb: int) -> Any:
        import torch

        return torch.take(order, torch.arange(mb, device=order.device) + a)


#: What :mod:`xpnet.engines` registers.
ENGINE = TorchEngine
