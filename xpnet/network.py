"""Forward and backward propagation through an L-layer fully-connected network.

Course layout: ``X`` is (n_0, m), ``W_l`` is (n_l, n_{l-1}), ``b_l`` is (n_l, 1),
``Z_l = W_l A_{l-1} + b_l`` and ``A_l = g_l(Z_l)``. Written once against the Array API: the
namespace comes from the arrays, so the same code runs on every backend.

Batch normalisation (the course's week 3), for a layer whose parameters are ``W{l}``,
``gamma{l}`` and ``beta{l}``: ``Z_l = W_l A_{l-1}`` (no bias), ``μ`` and ``σ²`` the mean and
biased variance of ``Z_l`` over the examples, ``Ẑ = (Z_l − μ)/√(σ² + ε)``, ``Z̃_l = γ ⊙ Ẑ + β``
and ``A_l = g(Z̃_l)``. Training uses the mini-batch's ``μ``, ``σ²`` (and
:func:`running_stats` folds them into the running averages); inference uses the running ones,
so that an example's output does not depend on the others predicted with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .activations import Activation
from .architecture import Architecture, check_activations, num_layers_of, params_layer_dims
from .backend import Backend, check_same_library, get_backend
from .rng import RandomState, as_random_state
from .validation import (
    check_finite,
    check_input_rows,
    check_keep_prob,
    check_nonnegative,
    check_same_shape,
)

#: The ε under the square root of batch norm's ``√(σ² + ε)``.
BN_EPSILON = 1e-5
#: The running statistics' ``running = momentum · running + (1 − momentum) · batch``.
BN_MOMENTUM = 0.9


@dataclass
class BatchNormCache:
    """What a batch-normalised layer's backward step needs: ``Z_hat`` (n_l, m), ``inv_std``
    ``1/√(σ² + ε)`` (n_l, 1), ``gamma`` (n_l, 1), and the statistics used, ``mu`` and ``var``
    (n_l, 1): the mini-batch's in training, the running ones at inference."""

    Z_hat: Any
    inv_std: Any
    gamma: Any
    mu: Any
    var: Any
    training: bool


@dataclass
class LayerCache:
    """What layer l's backward step needs from its forward step.

    ``A_prev`` is the layer's input (after the previous layer's dropout), ``Z`` its
    pre-activation (the input of ``g``: with batch norm, ``Z̃ = γ Ẑ + β``), ``A`` its activation
    ``g(Z)`` before dropout and ``D`` its dropout mask (``None`` without dropout); ``bn`` is
    the batch-norm part (``None`` without batch norm).
    """

    A_prev: Any
    W: Any
    Z: Any
    A: Any
    D: Any = None
    bn: BatchNormCache | None = None


def linear_forward(xp: Any, A_prev: Any, W: Any, b: Any) -> Any:
    """``Z = W A_prev + b``: (n_l, n_{l-1}) @ (n_{l-1}, m) + (n_l, 1) -> (n_l, m)."""
    return W @ A_prev + b


def batchnorm_forward(xp: Any, Z: Any, gamma: Any, beta: Any, *, mu: Any = None,
                      var: Any = None, eps: float = BN_EPSILON
                      ) -> tuple[Any, BatchNormCache]:
    """``Z̃ = γ (Z − μ)/√(σ² + ε) + β`` for ``Z`` (n_l, m); ``μ``, ``σ²`` are the batch's mean
    and biased variance over the examples unless given (the running statistics)."""
    training = mu is None
    if training:
        mu = xp.mean(Z, axis=1, keepdims=True)
        centred = Z - mu
        var = xp.mean(centred * centred, axis=1, keepdims=True)
    else:
        centred = Z - mu
    inv_std = 1.0 / xp.sqrt(var + eps)
    Z_hat = centred * inv_std
    return gamma * Z_hat + beta, BatchNormCache(Z_hat, inv_std, gamma, mu, var, training)


def batchnorm_backward(xp: Any, dZ_tilde: Any, bn: BatchNormCache) -> tuple[Any, Any, Any]:
    """``(dZ, dgamma, dbeta)`` from ``dZ̃`` (n_l, m), through the batch statistics (which
    depend on every example of the batch): ``dZ = (dẐ − mean(dẐ) − Ẑ·mean(dẐ ⊙ Ẑ))/√(σ² + ε)``
    with ``dẐ = γ ⊙ dZ̃``. (At inference the statistics are constants: ``dZ = dẐ/√(σ² + ε)``.)"""
    dgamma = xp.sum(dZ_tilde * bn.Z_hat, axis=1, keepdims=True)
    dbeta = xp.sum(dZ_tilde, axis=1, keepdims=True)
    dZ_hat = dZ_tilde * bn.gamma
    if bn.training:
        dZ_hat = (dZ_hat - xp.mean(dZ_hat, axis=1, keepdims=True)
                  - bn.Z_hat * xp.mean(dZ_hat * bn.Z_hat, axis=1, keepdims=True))
    return dZ_hat * bn.inv_std, dgamma, dbeta


def running_stats(stats: dict[str, Any], caches: list[LayerCache],
                  momentum: float = BN_MOMENTUM) -> dict[str, Any]:
    """The running statistics after a training forward pass whose ``caches`` hold the
    batch's ``μ`` and ``σ²``: ``running = momentum · running + (1 − momentum) · batch``, for
    every batch-normalised layer (a new dict; the arrays are not modified)."""
    out = dict(stats)
    for l, cache in enumerate(caches, start=1):
        if cache.bn is not None and cache.bn.training:
            for key, batch in ((f"running_mean{l}", cache.bn.mu), (f"running_var{l}",
                                                                     cache.bn.var)):
                out[key] = momentum * stats[key] + (1.0 - momentum) * batch
    return out


def initial_stats(arch: Architecture, xp: Any, dtype: Any, device: Any = None
                  ) -> dict[str, Any]:
    """Running statistics before any training: means 0 and variances 1 (so that inference
    starts as the identity normalisation), ``{}`` without batch norm."""
    stats = {}
    for layer in arch.layers:
        for key, shape in layer.stat_shapes().items():
            fill = xp.ones if key == layer.running_var else xp.zeros
            stats[key] = fill(shape, dtype=dtype, device=device)
    return stats


def forward(
    X: Any,
    params: dict[str, Any],
    activations: list[str | Activation],
    *,
    keep_prob: float = 1.0,
    rng: RandomState | int | None = None,
    training: bool = True,
    stats: dict[str, Any] | None = None,
) -> tuple[Any, list[LayerCache]]:
    """Propagate ``X`` (n_0, m) through the network; return ``(AL, caches)``.

    ``activations`` names one activation per layer. With ``keep_prob < 1`` inverted dropout is
    applied to every hidden layer's output (masks from ``rng``, an int seed or a
    :class:`~xpnet.rng.RandomState`).

    Batch-normalised layers (``gamma{l}``, ``beta{l}`` in ``params``) use the mini-batch's
    statistics with ``training=True`` (the default, as the course's forward pass);
    ``training=False`` is inference: no dropout, and the running statistics ``stats``
    (``{"running_mean{l}", "running_var{l}"}``, such as ``Model.stats``) instead of the batch's.

    ``X`` and ``params`` must come from one library and device (see :func:`xpnet.train` for
    a function that moves them); shapes must chain and ``X`` must be finite.
    """
    num_layers_of(params)
    xp = check_same_library({"X": X, **{f"params[{k!r}]": v for k, v in params.items()},
                             **{f"stats[{k!r}]": v for k, v in (stats or {}).items()}})
    dims = params_layer_dims(params)
    acts = check_activations(activations, len(dims) - 1)
    arch = Architecture.from_params(params, acts)
    keep_prob = check_keep_prob(keep_prob)
    if not isinstance(training, bool):
        raise TypeError(f"training must be True or False, got {type(training).__name__}")
    if not training and arch.has_batch_norm:
        if stats is None:
            raise ValueError("training=False (inference) with batch norm needs stats=, the "
                             "running statistics (model.stats)")
        arch.check_stats(stats)
    check_input_rows(X, dims[0], "the number of columns of params['W1']")
    check_finite(xp, "X", X)
    if training and arch.has_batch_norm and X.shape[1] < 2:
        raise ValueError("batch norm with training=True needs at least 2 examples (the "
                         "variance of one example is 0); use training=False for one example")
    dropout = training and keep_prob < 1.0
    backend = get_backend(xp, X) if dropout else None
    rng = as_random_state(rng) if dropout else None
    return _forward(xp, X, params, acts, training=training, keep_prob=keep_prob, rng=rng,
                    backend=backend, stats=stats)


def _forward(xp: Any, X: Any, params: dict[str, Any], acts: Sequence[Activation], *,
             training: bool = False, keep_prob: float = 1.0, rng: RandomState | None = None,
             backend: Backend | None = None, stats: dict[str, Any] | None = None
             ) -> tuple[Any, list[LayerCache]]:
    """The forward pass without argument checks. ``training=True`` applies dropout (when
    ``keep_prob < 1``, with masks from ``rng`` placed on ``backend``) and batch norm with the
    batch's statistics (left in the caches for :func:`running_stats`); inference never drops
    out and normalises with the running statistics ``stats``."""
    L = len(acts)
    A = X
    caches = []
    dropout = training and keep_prob < 1.0
    if dropout and (rng is None or backend is None):
        raise ValueError("dropout (training with keep_prob < 1) needs rng= and backend=")
    for l in range(1, L + 1):
        W = params[f"W{l}"]
        bn = None
        if f"gamma{l}" in params:
            if training:
                Z, bn = batchnorm_forward(xp, W @ A, params[f"gamma{l}"], params[f"beta{l}"])
            else:
                if stats is None:
                    raise ValueError("inference with batch norm needs the running statistics")
                Z, bn = batchnorm_forward(xp, W @ A, params[f"gamma{l}"], params[f"beta{l}"],
                                          mu=stats[f"running_mean{l}"],
                                          var=stats[f"running_var{l}"])
        else:
            Z = linear_forward(xp, A, W, params[f"b{l}"])
        G = acts[l - 1].forward(xp, Z)
        D = None
        A_out = G
        if dropout and l < L:
            assert rng is not None and backend is not None  # checked above
            D = rng.dropout_mask(backend, tuple(G.shape), keep_prob, G.dtype)
            A_out = G * D / keep_prob
        caches.append(LayerCache(A_prev=A, W=W, Z=Z, A=G, D=D, bn=bn))
        A = A_out
    return A, caches


def backward(
    AL: Any,
    Y: Any,
    caches: list[LayerCache],
    activations: list[str | Activation],
    *,
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    return_dX: bool = False,
) -> dict[str, Any]:
    """Gradients ``{"dW1", "db1", ..., "dWL", "dbL"}`` of the cost with respect to the parameters
    (``dgamma{l}``, ``dbeta{l}`` in place of ``db{l}`` for a batch-normalised layer).

    The output layer's loss follows its activation (see :mod:`xpnet.losses`), which gives
    ``dZ_L = (AL − Y)/m``. ``lambd`` adds the L2 gradient ``λ/m·W_l``; ``keep_prob`` must be the
    value the forward pass used. The gradient with respect to ``X`` (the largest matrix product
    of a wide-input net) is computed only with ``return_dX=True``, as ``grads["dA0"]``.
    """
    if not isinstance(caches, list) or not all(isinstance(c, LayerCache) for c in caches):
        raise TypeError("caches must be the list of LayerCache that xpnet.forward returned, got "
                        f"{type(caches).__name__}")
    acts = check_activations(activations, len(caches))
    keep_prob = check_keep_prob(keep_prob)
    lambd = check_nonnegative("lambd", lambd)
    xp = check_same_library({"AL": AL, "Y": Y})
    check_same_shape("AL", AL, "Y", Y)
    check_finite(xp, "AL", AL)
    check_finite(xp, "Y", Y)
    if Y.dtype != AL.dtype:
        Y = xp.astype(Y, AL.dtype)
    return _backward(xp, AL, Y, caches, acts, lambd=lambd, keep_prob=keep_prob,
                     return_dX=return_dX)


def _backward(xp: Any, AL: Any, Y: Any, caches: list[LayerCache], acts: Sequence[Activation], *,
              lambd: float = 0.0, keep_prob: float = 1.0, return_dX: bool = False,
              sample_weight: Any = None) -> dict[str, Any]:
    """The backward pass without argument checks; ``keep_prob`` must be the forward's.
    ``sample_weight`` (1, m) weighs each example's gradient: ``dZ_L = w·(A_L − Y)/m``."""
    L = len(caches)
    m = Y.shape[1]
    grads: dict[str, Any] = {}
    dZ = (AL - Y) / m
    if sample_weight is not None:
        dZ = dZ * sample_weight
    for l in range(L, 0, -1):
        cache = caches[l - 1]
        if cache.bn is not None:
            dZ, grads[f"dgamma{l}"], grads[f"dbeta{l}"] = batchnorm_backward(xp, dZ, cache.bn)
        else:
            grads[f"db{l}"] = xp.sum(dZ, axis=1, keepdims=True)
        dW = dZ @ cache.A_prev.T
        if lambd:
            dW = dW + (lambd / m) * cache.W
        grads[f"dW{l}"] = dW
        if l == 1 and not return_dX:
            break
        dA_prev = cache.W.T @ dZ
        if l == 1:
            grads["dA0"] = dA_prev
            break
        prev = caches[l - 2]
        if prev.D is not None:
            dA_prev = dA_prev * prev.D / keep_prob
        dZ = acts[l - 2].backward(xp, dA_prev, prev.Z, prev.A)
    return {k: grads[k] for k in sorted(grads, key=_grad_order)}


_GRAD_KINDS = {"dW": 0, "db": 1, "dgamma": 2, "dbeta": 3, "dA": -1}


def _grad_order(key: str) -> tuple[int, int]:
    """``dW1, db1`` (or ``dgamma1, dbeta1``), ``dW2``, ...: the parameters' order."""
    kind = key.rstrip("0123456789")
    return int(key[len(kind):]), _GRAD_KINDS[kind]
