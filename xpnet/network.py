"""Forward and backward propagation through an L-layer fully-connected network.

Course layout: ``X`` is (n_0, m), ``W_l`` is (n_l, n_{l-1}), ``b_l`` is (n_l, 1),
``Z_l = W_l A_{l-1} + b_l`` and ``A_l = g_l(Z_l)``. Written once against the Array API: the
namespace comes from the arrays, so the same code runs on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .activations import Activation
from .architecture import check_activations, num_layers_of, params_layer_dims
from .backend import Backend, check_same_library, get_backend
from .rng import RandomState, as_random_state
from .validation import (
    check_finite,
    check_input_rows,
    check_keep_prob,
    check_nonnegative,
    check_same_shape,
)


@dataclass
class LayerCache:
    """What layer l's backward step needs from its forward step.

    ``A_prev`` is the layer's input (after the previous layer's dropout), ``Z`` its
    pre-activation, ``A`` its activation ``g(Z)`` before dropout and ``D`` its dropout mask
    (``None`` without dropout).
    """

    A_prev: Any
    W: Any
    Z: Any
    A: Any
    D: Any = None


def linear_forward(xp: Any, A_prev: Any, W: Any, b: Any) -> Any:
    """``Z = W A_prev + b``: (n_l, n_{l-1}) @ (n_{l-1}, m) + (n_l, 1) -> (n_l, m)."""
    return W @ A_prev + b


def forward(
    X: Any,
    params: dict[str, Any],
    activations: list[str | Activation],
    *,
    keep_prob: float = 1.0,
    rng: RandomState | int | None = None,
) -> tuple[Any, list[LayerCache]]:
    """Propagate ``X`` (n_0, m) through the network; return ``(AL, caches)``.

    ``activations`` names one activation per layer. With ``keep_prob < 1`` inverted dropout is
    applied to every hidden layer's output (masks from ``rng``, an int seed or a
    :class:`~xpnet.rng.RandomState`).

    ``X`` and ``params`` must come from one library and device (see :func:`xpnet.train` for
    a function that moves them); shapes must chain and ``X`` must be finite.
    """
    num_layers_of(params)
    xp = check_same_library({"X": X, **{f"params[{k!r}]": v for k, v in params.items()}})
    dims = params_layer_dims(params)
    acts = check_activations(activations, len(dims) - 1)
    keep_prob = check_keep_prob(keep_prob)
    check_input_rows(X, dims[0], "the number of columns of params['W1']")
    check_finite(xp, "X", X)
    backend = get_backend(xp, X) if keep_prob < 1.0 else None
    rng = as_random_state(rng) if keep_prob < 1.0 else None
    return _forward(xp, X, params, acts, training=True, keep_prob=keep_prob, rng=rng,
                    backend=backend)


def _forward(xp: Any, X: Any, params: dict[str, Any], acts: Sequence[Activation], *,
             training: bool = False, keep_prob: float = 1.0, rng: RandomState | None = None,
             backend: Backend | None = None) -> tuple[Any, list[LayerCache]]:
    """The forward pass without argument checks. ``training=True`` applies dropout (when
    ``keep_prob < 1``, with masks from ``rng`` placed on ``backend``); inference never does."""
    L = len(acts)
    A = X
    caches = []
    dropout = training and keep_prob < 1.0
    if dropout and (rng is None or backend is None):
        raise ValueError("dropout (training with keep_prob < 1) needs rng= and backend=")
    for l in range(1, L + 1):
        W = params[f"W{l}"]
        Z = linear_forward(xp, A, W, params[f"b{l}"])
        G = acts[l - 1].forward(xp, Z)
        D = None
        A_out = G
        if dropout and l < L:
            assert rng is not None and backend is not None  # checked above
            D = rng.dropout_mask(backend, tuple(G.shape), keep_prob, G.dtype)
            A_out = G * D / keep_prob
        caches.append(LayerCache(A_prev=A, W=W, Z=Z, A=G, D=D))
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
    """Gradients ``{"dW1", "db1", ..., "dWL", "dbL"}`` of the cost with respect to the parameters.

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
        dW = dZ @ cache.A_prev.T
        if lambd:
            dW = dW + (lambd / m) * cache.W
        grads[f"dW{l}"] = dW
        grads[f"db{l}"] = xp.sum(dZ, axis=1, keepdims=True)
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


def _grad_order(key: str) -> tuple[int, str]:
    digits = "".join(c for c in key if c.isdigit())
    return int(digits), key
