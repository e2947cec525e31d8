"""Parameter initialisation: ``initialize_parameters(layer_dims, init=...)``.

Weights are drawn on the host by :class:`xpnet.rng.RandomState` and then moved, so one seed
gives the same starting network on every backend. Biases start at zero; a batch-normalised
layer's scale ``gamma`` at one and shift ``beta`` at zero (the identity normalisation).
"""

from __future__ import annotations

import math
from typing import Any

from .architecture import Architecture
from .backend import Backend, get_backend
from .rng import RandomState, as_random_state
from .validation import check_choice, check_positive

#: Name -> weight scale as a function of (n_prev, scale).
INITS = {
    "zeros": lambda n_prev, scale: 0.0,
    "random": lambda n_prev, scale: scale,
    "xavier": lambda n_prev, scale: math.sqrt(1.0 / n_prev),
    "he": lambda n_prev, scale: math.sqrt(2.0 / n_prev),
}


def initialize_parameters(
    layer_dims: list[int] | tuple[int, ...],
    init: str = "he",
    *,
    seed: int | RandomState | None = None,
    dtype: Any = "float32",
    backend: Any = None,
    device: Any = None,
    scale: float = 0.01,
    batch_norm: bool | list[bool] = False,
) -> dict[str, Any]:
    """Parameters ``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}`` for a net of ``layer_dims``.

    ``init`` is ``"zeros"``, ``"random"`` (standard normal × ``scale``), ``"xavier"``
    (× √(1/n_prev)) or ``"he"`` (× √(2/n_prev)). ``backend=None`` gives NumPy arrays.
    ``batch_norm=True`` (every hidden layer, or one bool per layer) gives those layers
    ``gamma{l}`` (ones) and ``beta{l}`` (zeros), (n_l, 1), in place of ``b{l}``; the weights
    are drawn exactly as without it.
    """
    # the activations do not change the shapes
    arch = Architecture.of(layer_dims, batch_norm=batch_norm)
    init = check_choice("init", init, INITS)
    scale = check_positive("scale", scale, type_error=ValueError)
    be = backend if isinstance(backend, Backend) else get_backend(backend, device=device)
    dt = be.dtype(dtype)
    rng = as_random_state(seed)
    params = {}
    for layer in arch.layers:
        shapes = layer.param_shapes()
        factor = INITS[init](layer.n_in, scale)
        if factor:
            params[layer.weight] = be.asarray(rng.normal(shapes[layer.weight]) * factor, dtype=dt)
        else:
            params[layer.weight] = be.xp.zeros(shapes[layer.weight], dtype=dt, device=be.device)
        for key in list(shapes)[1:]:
            fill = be.xp.ones if key == layer.gamma else be.xp.zeros
            params[key] = fill(shapes[key], dtype=dt, device=be.device)
    return params
