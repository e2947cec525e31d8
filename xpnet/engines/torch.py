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
eagerly. The step compiles into **one graph** (``tests/test_engines.py`` checks that Dynamo
records no graph break): the core passes no Python scalar to the two-argument functions whose
array-api-compat torch wrappers promote it through ``torch.result_type``, which Dynamo cannot
trace (:func:`xpnet.activations.zero_like_scalar`), and the architecture's cached properties
are computed before tracing.

**Chosen only by** ``engine="torch"``, not by ``"auto"``. On this project's 2-core CPU, quiet,
it is now faster than the generic engine and than PyTorch eager on cat, mnist-3v7 and mnist-10
(``bench/README.md``, issue-16 notes), but ``"auto"`` would make every short run on torch (and
every test) pay the compilation first, and it has not been measured on a busy machine or a
GPU yet.
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
