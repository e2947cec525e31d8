"""The generic step compiled whole with ``jax.jit``: :class:`JaxEngine`.

One XLA program per batch size does the batch's gather (from the epoch's permutation, on the
device), the forward pass, the cost, the backward pass and the optimizer's update, all of it
the reference engine's own code (:mod:`xpnet.engines._traced`); the host's random draws and the
optimizer's hyperparameters are its inputs, so the run is the generic engine's run. Runs on
whatever device JAX uses (CPU or GPU).
"""

from __future__ import annotations

from typing import Any

from ._traced import TracedEngine


class JaxEngine(TracedEngine):
    """The generic training step compiled with ``jax.jit``."""

    name = "jax"
    backend_name = "jax"

    def compile(self, fn: Any) -> Any:
        import jax

        return jax.jit(fn)

    def batch_indices(self, order: Any, a: Any, mb: int) -> Any:
        import jax

        return jax.lax.dynamic_slice_in_dim(order, a, mb)


#: What :mod:`xpnet.engines` registers.
ENGINE = JaxEngine
