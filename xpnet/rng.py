"""Random numbers for every backend, from one place.

The Array API standard has no random numbers, so xpnet draws them on the host with NumPy's
PCG64 generator and moves them to the backend. The same ``seed`` therefore gives the same
initial weights, the same mini-batch order and the same dropout masks on NumPy, CuPy, torch,
JAX and array-api-strict.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import Backend
from .validation import check_seed


class RandomState:
    """A seeded host-side generator; ``RandomState(0)`` is reproducible across backends."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = check_seed("seed", seed)
        self._gen = np.random.default_rng(seed)

    def normal(self, shape: tuple[int, ...]) -> np.ndarray:
        """Standard normal draws, float64, on the host."""
        return self._gen.standard_normal(shape)

    def uniform(self, low: float, high: float, shape: tuple[int, ...]) -> np.ndarray:
        """Uniform draws in [low, high), float64, on the host."""
        return self._gen.uniform(low, high, shape)

    def permutation(self, m: int) -> np.ndarray:
        """A random order of ``range(m)`` (int64, on the host)."""
        return self._gen.permutation(m)

    def dropout_mask(self, backend: Backend, shape: tuple[int, ...], keep_prob: float,
                     dtype: Any) -> Any:
        """A 0/1 mask of ``shape`` on ``backend``: each entry is 1 with probability ``keep_prob``."""
        keep = self._gen.random(shape) < keep_prob
        return backend.asarray(keep, dtype=dtype)

    # -- checkpoints ------------------------------------------------------------------------
    def get_state(self) -> dict:
        """The generator's state, JSON-serialisable, for checkpoints."""
        return dict(self._gen.bit_generator.state)

    def set_state(self, state: dict) -> None:
        self._gen.bit_generator.state = state


def as_random_state(rng: RandomState | int | None) -> RandomState:
    """``rng`` itself, or a new :class:`RandomState` seeded with it."""
    return rng if isinstance(rng, RandomState) else RandomState(rng)
