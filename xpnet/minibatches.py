"""Shuffled mini-batches: ``random_mini_batches(X, Y, mini_batch_size, seed)``.

The permutation is drawn on the host by :class:`xpnet.rng.RandomState` and moved to the device
once, so every backend sees the same batch order for the same seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .backend import Backend, get_backend
from .rng import RandomState, as_random_state
from .validation import check_columns, check_int, check_matrix


def batch_bounds(m: int, mini_batch_size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each batch: full batches, then one of the ``m mod size`` left over."""
    for start in range(0, m, mini_batch_size):
        yield start, min(start + mini_batch_size, m)


def shuffled_indices(backend: Backend, rng: RandomState, m: int) -> Any:
    """A random permutation of ``range(m)``, drawn on the host and placed on the device."""
    return backend.asarray(rng.permutation(m))


def random_mini_batches(
    X: Any,
    Y: Any,
    mini_batch_size: int = 64,
    seed: int | RandomState | None = 0,
) -> list[tuple[Any, Any]]:
    """A shuffled partition of ``(X, Y)`` into ``(X_b, Y_b)`` column blocks.

    All batches hold ``mini_batch_size`` examples except the last, which holds the
    ``m mod mini_batch_size`` remaining ones (when that is not zero).
    """
    mini_batch_size = check_int("mini_batch_size", mini_batch_size, minimum=1)
    be = get_backend(None, X, Y)
    check_matrix("X", X, "features, examples")
    check_matrix("Y", Y, "outputs, examples")
    m = X.shape[1]
    check_columns(Y, m, Y.shape[0])
    xp = be.xp
    order = shuffled_indices(be, as_random_state(seed), m)
    X_shuf = xp.take(X, order, axis=1)
    Y_shuf = xp.take(Y, order, axis=1)
    return [(X_shuf[:, a:b], Y_shuf[:, a:b]) for a, b in batch_bounds(m, mini_batch_size)]
