"""Gradient checking: gradients against centred finite differences of the cost, in float64.

:func:`gradient_check` checks xpnet's own backward pass, or the gradients you pass as
``gradients=`` (the course's ``gradient_check_n(parameters, gradients, X, Y, epsilon)``: your
backward pass against the cost), parameter by parameter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from .activations import Activation, default_activations
from .architecture import Architecture, params_layer_dims
from .backend import get_backend
from .losses import cost_array
from .network import _backward, _forward
from .validation import (
    check_columns,
    check_finite,
    check_input_rows,
    check_matrix,
    check_nonnegative,
    check_positive,
)


@dataclass(frozen=True)
class GradientCheck:
    """The outcome of :func:`gradient_check` with ``return_details=True``.

    ``difference`` is ``‖grad − approx‖ / (‖grad‖ + ‖approx‖)`` over all parameters;
    ``per_parameter`` the same ratio for each parameter alone (``{"W1": ..., "b1": ...}``);
    ``grad`` and ``approx`` the checked and the finite-difference gradients, per parameter
    (float64 arrays of the parameters' backend). ``off`` names the parameters whose gradient
    is wrong: a relative difference above ``threshold`` that is also more than ``threshold``
    of the whole gradient's norm (so that a parameter whose gradient is zero is not flagged for
    rounding noise in its finite differences).
    """

    difference: float
    per_parameter: dict[str, float]
    grad: dict[str, Any] = field(repr=False)
    approx: dict[str, Any] = field(repr=False)
    threshold: float = 1e-7
    off: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the gradients agree with the finite differences (nothing is ``off``)."""
        return self.difference <= self.threshold and not self.off

    @property
    def message(self) -> str:
        """One line for people: "works" or which parameters are off, and by how much."""
        if self.ok:
            return (f"the gradients match the finite differences: difference = "
                    f"{self.difference:.3g} (threshold {self.threshold:g})")
        if self.off:
            where = "off: " + ", ".join(f"{k} ({self.per_parameter[k]:.3g})" for k in self.off)
        else:
            worst = max(self.per_parameter, key=lambda k: self.per_parameter[k])
            where = f"largest in {worst} ({self.per_parameter[worst]:.3g})"
        return (f"there is a mistake in the gradients: difference = {self.difference:.3g} "
                f"(threshold {self.threshold:g}); {where}")

    def __str__(self) -> str:
        return self.message


@overload
def gradient_check(params: dict[str, Any], X: Any, Y: Any,
                   activations: Sequence[str | Activation] | None = None, *,
                   gradients: dict[str, Any] | None = None, epsilon: float = 1e-7,
                   lambd: float = 0.0, threshold: float = 1e-7,
                   return_details: Literal[False] = False) -> float: ...


@overload
def gradient_check(params: dict[str, Any], X: Any, Y: Any,
                   activations: Sequence[str | Activation] | None = None, *,
                   gradients: dict[str, Any] | None = None, epsilon: float = 1e-7,
                   lambd: float = 0.0, threshold: float = 1e-7,
                   return_details: Literal[True]) -> GradientCheck: ...


@overload
def gradient_check(params: dict[str, Any], X: Any, Y: Any,
                   activations: Sequence[str | Activation] | None = None, *,
                   gradients: dict[str, Any] | None = None, epsilon: float = 1e-7,
                   lambd: float = 0.0, threshold: float = 1e-7,
                   return_details: bool = False) -> float | GradientCheck: ...


def gradient_check(
    params: dict[str, Any],
    X: Any,
    Y: Any,
    activations: Sequence[str | Activation] | None = None,
    *,
    gradients: dict[str, Any] | None = None,
    epsilon: float = 1e-7,
    lambd: float = 0.0,
    threshold: float = 1e-7,
    return_details: bool = False,
) -> float | GradientCheck:
    """Relative difference ``‖grad − approx‖ / (‖grad‖ + ‖approx‖)`` over all parameters.

    ``approx`` perturbs every parameter entry by ``±epsilon`` and differences the cost of
    ``X`` (n_0, m) against ``Y`` (n_L, m), with the L2 term of ``lambd``. ``grad`` is
    ``gradients`` when given — your own backward pass's ``{"dW1": ..., "db1": ..., ...}``
    (other keys, such as ``dA1`` or ``dZ1``, are ignored) — and otherwise xpnet's
    :func:`~xpnet.backward`. ``activations`` defaults to the course's ReLU hidden layers and
    a sigmoid output (softmax for several outputs). Everything is computed in float64 on the
    parameters' backend. A correct backward pass gives well under 1e-7. Dropout is not
    checked (its masks are random).

    With ``return_details=True`` returns a :class:`GradientCheck` instead of the float: the
    difference of each parameter alone (``.per_parameter``), the parameters that are off
    (``.off``, by ``threshold``), both gradients per parameter and a ``.message``.
    """
    dims = params_layer_dims(params)
    if activations is None:
        activations = default_activations(len(dims) - 1, dims[-1])
    arch = Architecture.from_params(params, activations)
    acts = arch.acts
    epsilon = check_positive("epsilon", epsilon)
    lambd = check_nonnegative("lambd", lambd)
    threshold = check_positive("threshold", threshold)
    check_input_rows(X, dims[0], "the number of columns of params['W1']")
    check_matrix("Y", Y, "outputs, examples")
    check_columns(Y, X.shape[1], dims[-1])
    if Y.shape[0] != dims[-1]:
        raise ValueError(f"Y has {Y.shape[0]} rows (outputs) but params['W{len(dims) - 1}'] "
                         f"has {dims[-1]}: Y must be ({dims[-1]}, m), got shape {tuple(Y.shape)}")
    be = get_backend(None, params["W1"])
    xp = be.xp
    f64 = xp.float64
    params = {k: be.asarray(v, dtype=f64) for k, v in params.items()}
    X = be.asarray(X, dtype=f64)
    Y = be.asarray(Y, dtype=f64)
    check_finite(xp, "X", X)
    check_finite(xp, "Y", Y)
    out = arch.output
    keys, shapes = arch.param_keys, list(arch.param_shapes.values())

    def cost_of(p: dict[str, Any]) -> float:
        # training=True: batch statistics (as the backward pass sees them), no dropout
        AL, caches = _forward(xp, X, p, acts, training=True, keep_prob=1.0)
        return float(cost_array(xp, AL, Y, out, logits=caches[-1].Z, params=p, lambd=lambd))

    if gradients is None:
        AL, caches = _forward(xp, X, params, acts, training=True, keep_prob=1.0)
        grads = _backward(xp, AL, Y, caches, acts, lambd=lambd)
    else:
        grads = _checked_gradients(gradients, keys, arch.param_shapes, be)
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
    diff = _relative_difference(xp, grad, approx_v)
    if not return_details:
        return diff
    grad_d, approx_d = unflatten(grad), unflatten(approx_v)
    per = {k: _relative_difference(xp, grad_d[k], approx_d[k]) for k in keys}
    scale = float(xp.linalg.vector_norm(grad)) + float(xp.linalg.vector_norm(approx_v))
    off = tuple(k for k in keys if per[k] > threshold and
                float(xp.linalg.vector_norm(grad_d[k] - approx_d[k])) > threshold * scale)
    return GradientCheck(diff, per, grad_d, approx_d, threshold, off)


def _relative_difference(xp: Any, a: Any, b: Any) -> float:
    """``‖a − b‖ / (‖a‖ + ‖b‖)``, 0 when both are zero."""
    num = float(xp.linalg.vector_norm(a - b))
    den = float(xp.linalg.vector_norm(a)) + float(xp.linalg.vector_norm(b))
    return num / den if den > 0 else 0.0


def _checked_gradients(gradients: Any, keys: list[str], shapes: dict[str, tuple[int, int]],
                       be: Any) -> dict[str, Any]:
    """``gradients`` holds ``d<param>`` of every parameter with its shape; as float64 arrays."""
    if not isinstance(gradients, dict):
        raise TypeError("gradients must be a dict {'dW1': ..., 'db1': ..., ...} (your backward "
                        f"pass's output), got {type(gradients).__name__}")
    out = {}
    for k in keys:
        dk = "d" + k
        if dk not in gradients:
            raise ValueError(f"gradients has no {dk!r} for parameter {k!r}; expected "
                             f"{', '.join('d' + key for key in keys)}")
        shape = tuple(getattr(gradients[dk], "shape", ()))
        if shape != shapes[k]:
            raise ValueError(f"gradients[{dk!r}] has shape {shape} but {k} has shape {shapes[k]}")
        out[dk] = be.asarray(gradients[dk], dtype=be.xp.float64)
        check_finite(be.xp, f"gradients[{dk!r}]", out[dk])
    return out
