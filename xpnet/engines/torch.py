"""The generic step compiled whole with ``torch.compile``: :class:`TorchEngine`.

The reference engine's own step (:mod:`xpnet.engines._traced`) compiled by TorchDynamo and
Inductor into one graph per batch size: the batch's gather, forward, cost, backward and the
optimizer's update. Everything that changes from step to step enters as a tensor — the
learning rate, betas, epsilon and Adam's step count (0-d float64 tensors on the device), the
batch's start, the epoch's permutation and the dropout masks (drawn on the host by the same
``RandomState`` calls as the generic engine) — so nothing is recompiled after the first step of
each batch size, and nothing waits for the device within an epoch (the cost is summed there).

Compiling costs time once per batch size (seconds to a minute on a CPU, less once Inductor's
on-disk cache holds the graph), which long runs repay; ``TorchEngine.use_compile = False``
runs the same traced step eagerly.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ._traced import TracedEngine


class TorchEngine(TracedEngine):
    """The generic training step compiled with ``torch.compile``."""

    name = "torch"
    backend_name = "torch"
    #: compile with ``torch.compile`` (``False``: the same step, eagerly)
    use_compile: ClassVar[bool] = True

    def compile(self, fn: Any) -> Any:
        if not self.use_compile:
            return fn
        import torch

        return torch.compile(fn, dynamic=False)

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
