"""Losses, each paired with an output activation, and the L2 penalty.

| output   | loss                                   | per-example value                  |
|----------|----------------------------------------|------------------------------------|
| sigmoid  | binary cross-entropy                   | −[y·log a + (1−y)·log(1−a)]        |
| softmax  | categorical cross-entropy              | −Σ_c y_c·log a_c                   |
| linear   | (half) squared error                   | ½·‖a − y‖²                         |

Each pairing has the same output gradient, ``dZ_L = (A_L − Y) / m``, so the backward pass never
divides by ``A_L``. Costs are computed from the logits ``Z_L`` when they are known (the training
loop always passes them): log-sum-exp and ``log1p(exp(−|z|))`` never take ``log(0)``, so a
saturated output gives a large finite cost, not NaN. Given only ``A_L``, probabilities are
clipped to ``[eps, 1 − eps]`` of their dtype, and :func:`compute_cost` warns when that clipping
lowered the cost (an output saturated on the wrong side of its target).
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

from .activations import OUTPUT_LOSSES, zero_like_scalar
from .backend import check_same_library
from .validation import check_choice, check_finite, check_nonnegative, check_same_shape


def infer_output_activation(Y: Any) -> str:
    """``"sigmoid"`` for one output row, ``"softmax"`` for several (the training default)."""
    return "softmax" if Y.shape[0] > 1 else "sigmoid"


def loss_sum_from_logits(xp: ModuleType, ZL: Any, Y: Any, activation: str,
                         weights: Any = None) -> Any:
    """Σ over examples of the loss of logits ``ZL`` (n_L, m) against ``Y``, as a 0-d array;
    with ``weights`` (1, m), Σ wᵢ·Lᵢ."""
    if activation == "sigmoid":
        # log(1 + exp(z)) - y z, written so that exp never overflows.
        per = xp.maximum(ZL, zero_like_scalar(xp, ZL)) - ZL * Y + xp.log1p(xp.exp(-xp.abs(ZL)))
    elif activation == "softmax":
        zmax = xp.max(ZL, axis=0, keepdims=True)
        lse = zmax + xp.log(xp.sum(xp.exp(ZL - zmax), axis=0, keepdims=True))
        per = Y * (lse - ZL)
    elif activation == "linear":
        D = ZL - Y
        return 0.5 * xp.sum(_weighted(D * D, weights))
    else:
        raise ValueError(f"no loss is defined for an output activation {activation!r}")
    return xp.sum(_weighted(per, weights))


def _weighted(per: Any, weights: Any) -> Any:
    """Per-entry losses (n_L, m) times the examples' weights (1, m), when there are weights."""
    return per if weights is None else per * weights


def loss_sum_from_probabilities(xp: ModuleType, AL: Any, Y: Any, activation: str,
                                weights: Any = None) -> Any:
    """Σ over examples of the loss of outputs ``AL``; probabilities are clipped away from 0 and 1."""
    if activation == "linear":
        return loss_sum_from_logits(xp, AL, Y, "linear", weights)
    eps = xp.finfo(AL.dtype).eps
    P = xp.clip(AL, eps, 1.0 - eps)
    if activation == "sigmoid":
        return -xp.sum(_weighted(Y * xp.log(P) + (1.0 - Y) * xp.log(1.0 - P), weights))
    if activation == "softmax":
        return -xp.sum(_weighted(Y * xp.log(P), weights))
    raise ValueError(f"no loss is defined for an output activation {activation!r}")


def loss_gradient(xp: ModuleType, AL: Any, Y: Any, activation: str) -> Any:
    """``dAL``: the derivative of the per-example loss with respect to the outputs ``AL``.

    Cross-entropy divides by the outputs: ``−(Y/AL − (1−Y)/(1−AL))`` for sigmoid, ``−Y/AL`` for
    softmax; squared error gives ``AL − Y``. Chained with the output activation's gradient it is
    the ``dZ_L = A_L − Y`` that the backward pass uses directly (without dividing by ``AL``);
    it is here for the course's step-by-step backward pass (:mod:`xpnet.course`).
    """
    if activation == "sigmoid":
        return -(Y / AL - (1.0 - Y) / (1.0 - AL))
    if activation == "softmax":
        return -(Y / AL)
    if activation == "linear":
        return AL - Y
    raise ValueError(f"no loss is defined for an output activation {activation!r}")


def l2_penalty_sum(xp: ModuleType, params: dict[str, Any]) -> Any:
    """Σ_l ‖W_l‖² (Frobenius), as a 0-d array."""
    total = None
    for key, W in params.items():
        if key.startswith("W"):
            s = xp.sum(W * W)
            total = s if total is None else total + s
    return total


def cost_array(xp: ModuleType, AL: Any, Y: Any, activation: str, *, logits: Any = None,
               params: dict[str, Any] | None = None, lambd: float = 0.0,
               sample_weight: Any = None) -> Any:
    """The cost as a 0-d array on the device (no host synchronisation).

    ``sample_weight`` (1, m) weighs each example's loss: ``Σ wᵢ·Lᵢ / m``, which is the weighted
    mean ``Σ wᵢ·Lᵢ / Σ wᵢ`` when the weights are normalised to mean 1, as :func:`xpnet.train`
    normalises them.
    """
    m = Y.shape[1]
    if logits is not None:
        total = loss_sum_from_logits(xp, logits, Y, activation, sample_weight)
    else:
        total = loss_sum_from_probabilities(xp, AL, Y, activation, sample_weight)
    cost = total / m
    if lambd:
        if params is None:
            raise ValueError("lambd > 0 needs params= to compute the L2 term λ/(2m)·Σ‖W‖²")
        cost = cost + (lambd / (2.0 * m)) * l2_penalty_sum(xp, params)
    return cost


def compute_cost(
    AL: Any,
    Y: Any,
    *,
    params: dict[str, Any] | None = None,
    lambd: float = 0.0,
    activation: str | None = None,
    logits: Any = None,
) -> float:
    """The cost of outputs ``AL`` (n_L, m) against targets ``Y`` (n_L, m), as a float.

    The loss follows the output activation: binary cross-entropy for ``"sigmoid"``,
    categorical cross-entropy for ``"softmax"``, half mean squared error for ``"linear"``.
    ``activation=None`` infers sigmoid for one output row and softmax for several; pass
    ``activation="linear"`` for regression. With ``lambd > 0`` the L2 term
    ``λ/(2m)·Σ‖W_l‖²`` of ``params`` is added. Pass ``logits=caches[-1].Z`` for the exact,
    overflow-free value from the logits. Without ``logits``, probabilities are clipped to
    ``[eps, 1 − eps]``; when that lowers the cost (outputs saturated at the wrong end of their
    targets, whose true loss is larger, infinite at exactly 0 or 1) a ``UserWarning`` says so
    and points to ``logits=``.

    The arrays must come from one library and device, share one shape and be finite; for a
    cross-entropy ``AL`` and ``Y`` must lie in [0, 1] (``AL`` of exactly 0 or 1 is clipped, so
    the cost stays finite).
    """
    named = {"AL": AL, "Y": Y} if logits is None else {"AL": AL, "Y": Y, "logits": logits}
    xp = check_same_library(named)
    for name, A in named.items():
        if name != "AL":
            check_same_shape("AL", AL, name, A)
        check_finite(xp, name, A)
    lambd = check_nonnegative("lambd", lambd)
    if activation is not None:
        activation = check_choice("activation", activation, OUTPUT_LOSSES)
    activation = activation or infer_output_activation(Y)
    if activation != "linear":
        _check_probabilities(xp, AL, Y, activation)
    if Y.dtype != AL.dtype:
        Y = xp.astype(Y, AL.dtype)
    cost = float(cost_array(xp, AL, Y, activation, logits=logits, params=params, lambd=lambd))
    if logits is None and activation != "linear":
        _warn_if_clipped(xp, AL, Y, activation, cost)
    return cost


def _warn_if_clipped(xp: ModuleType, AL: Any, Y: Any, activation: str, cost: float) -> None:
    """Warn when clipping ``AL`` to ``[eps, 1 − eps]`` lowered the cost: an output saturated at
    the wrong end (``AL`` within eps of 0 where ``Y > 0``, or of 1 where ``Y < 1`` for sigmoid),
    whose true loss is larger than the clipped one (infinite at exactly 0 or 1). Saturation at
    the right end changes the cost by at most eps per example and is not reported."""
    eps = float(xp.finfo(AL.dtype).eps)
    wrong = (AL < eps) & (Y > 0)
    if activation == "sigmoid":
        wrong = wrong | ((AL > 1.0 - eps) & (Y < 1))
    count = int(xp.sum(xp.astype(wrong, xp.int64)))
    if count:
        warnings.warn(
            f"compute_cost: {count} of the outputs AL are saturated at 0 or 1 (within "
            f"{eps:.3g}) on the wrong side of Y; their probabilities were clipped to "
            f"[eps, 1 - eps], so the returned cost {cost:.6g} is below the true cross-entropy "
            "(infinite for outputs of exactly 0 or 1). Pass logits=caches[-1].Z (the output "
            "layer's Z) for the exact cost",
            UserWarning, stacklevel=3,
        )


def _check_probabilities(xp: ModuleType, AL: Any, Y: Any, activation: str) -> None:
    """Cross-entropy needs outputs and targets in [0, 1]."""
    if not bool(xp.all((AL >= 0) & (AL <= 1))):
        raise ValueError(
            f"AL must hold {activation} outputs in [0, 1], got values from {float(xp.min(AL)):g} "
            f"to {float(xp.max(AL)):g}; to pass the pre-activations Z_L, use logits=Z_L"
        )
    if not bool(xp.all((Y >= 0) & (Y <= 1))):
        raise ValueError(
            f"Y must hold targets in [0, 1] for a {activation} output, got values from "
            f"{float(xp.min(Y)):g} to {float(xp.max(Y)):g}"
        )
