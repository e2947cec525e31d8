"""Gradient checking: backward-pass gradients against centred finite differences, in float64."""

from __future__ import annotations

import math
from typing import Any

from .architecture import Architecture
from .backend import get_backend
from .losses import cost_array
from .network import _backward, _forward
from .validation import check_nonnegative, check_positive


def gradient_check(
    params: dict[str, Any],
    X: Any,
    Y: Any,
    activations: list[str],
    *,
    epsilon: float = 1e-7,
    lambd: float = 0.0,
    return_details: bool = False,
) -> float | tuple[float, Any, Any]:
    """Relative difference ``‖grad − approx‖ / (‖grad‖ + ‖approx‖)`` over all parameters.

    ``grad`` comes from :func:`xpnet.backward`; ``approx`` perturbs every parameter entry by
    ``±epsilon`` and differences the cost. Everything is computed in float64 on the
    parameters' backend. A correct backward pass gives well under 1e-7. Dropout is not
    checked (its masks are random). With ``return_details=True`` also returns the two
    gradient vectors.
    """
    arch = Architecture.from_params(params, activations)
    acts = arch.acts
    epsilon = check_positive("epsilon", epsilon)
    lambd = check_nonnegative("lambd", lambd)
    be = get_backend(None, params["W1"])
    xp = be.xp
    f64 = xp.float64
    params = {k: be.asarray(v, dtype=f64) for k, v in params.items()}
    X = be.asarray(X, dtype=f64)
    Y = be.asarray(Y, dtype=f64)
    out = arch.output
    keys, shapes = arch.param_keys, list(arch.param_shapes.values())

    def cost_of(p: dict[str, Any]) -> float:
        AL, caches = _forward(xp, X, p, acts, training=True)
        return float(cost_array(xp, AL, Y, out, logits=caches[-1].Z, params=p, lambd=lambd))

    AL, caches = _forward(xp, X, params, acts, training=True)
    grads = _backward(xp, AL, Y, caches, acts, lambd=lambd)
    grad = xp.concat([xp.reshape(grads["d" + k], (-1,)) for k in keys])
    theta = xp.concat([xp.reshape(params[k], (-1,)) for k in keys])
    n = theta.shape[0]
    positions = xp.arange(n, device=be.device)

    def unflatten(vec: Any) -> dict[str, Any]:
        p, start = {}, 0
        for k, shape in zip(keys, shapes, strict=True):
            size = math.prod(shape)
            p[k] = xp.reshape(vec[start:start + size], shape)
            start += size
        return p

    approx = []
    for i in range(n):
        bump = xp.astype(positions == i, f64) * epsilon
        plus = cost_of(unflatten(theta + bump))
        minus = cost_of(unflatten(theta - bump))
        approx.append((plus - minus) / (2.0 * epsilon))
    approx_v = be.asarray(approx, dtype=f64)
    num = float(xp.linalg.vector_norm(grad - approx_v))
    den = float(xp.linalg.vector_norm(grad)) + float(xp.linalg.vector_norm(approx_v))
    diff = num / den if den > 0 else 0.0
    return (diff, grad, approx_v) if return_details else diff
