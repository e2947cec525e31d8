"""The course's building blocks, under the course's names, signatures and caches.

For checking your own course code step by step: every function here has the name, the
arguments and the return values of the deeplearning.ai notebooks (Neural Networks and Deep
Learning, week 4; Improving Deep Neural Networks, weeks 1 and 2), and gives the values the
notebooks print for their test cases. They are thin layers over xpnet's core — the linear step
of :mod:`xpnet.network`, the activations' ``forward``/``backward``, :mod:`xpnet.losses`,
:mod:`xpnet.optimizers`, :mod:`xpnet.gradcheck` — and work on every backend (the arrays'
library is used).

Caches are the course's tuples:

- ``linear_forward`` → ``(A_prev, W, b)``; ``linear_activation_forward`` →
  ``((A_prev, W, b), Z)``; ``L_model_forward`` → a list of the latter, one per layer;
- ``forward_propagation`` → ``(Z1, A1, W1, b1, ..., ZL, AL, WL, bL)`` and
  ``forward_propagation_with_dropout`` → ``(Z1, D1, A1, W1, b1, ..., ZL, AL, WL, bL)`` (the
  course's three-layer functions, here for any number of layers; ``A_l`` after dropout).

Gradients are the course's dicts: ``dW{l}`` and ``db{l}``, of the cost (the mean loss), and
``dA{l}`` (and ``dZ{l}`` in the week-1 functions), the gradients with respect to layer l's output
``A_l`` (``dA0``: the input) and pre-activation, per example as the course computes them: its
linear step divides by m in ``dW`` and ``db`` only, so ``dA{l}`` is m times the ``dA0`` that
:func:`xpnet.backward` returns. Optimizer states are the course's ``v``/``s`` dicts keyed
``dW1``, ``db1``, ...

Where a course function draws random numbers itself (``initialize_parameters``,
``initialize_parameters_deep``, the dropout masks, ``random_mini_batches``) it draws them as the
course does, from NumPy's legacy generator seeded as the notebook seeds it (a private
``np.random.RandomState``: the global state is left alone), so the printed values come out.
Elsewhere xpnet draws from :class:`xpnet.rng.RandomState`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np  # only for the course's own draws (np.random.RandomState)

from .activations import Activation, default_activations, get_activation
from .architecture import check_activations, check_layer_dims, params_layer_dims
from .backend import check_same_library, get_backend
from .gradcheck import gradient_check
from .losses import compute_cost as _compute_cost
from .losses import loss_gradient
from .minibatches import batch_bounds
from .network import forward as _network_forward
from .network import linear_forward as _linear_forward
from .optimizers import GD, Adam, Momentum
from .validation import (
    check_columns,
    check_int,
    check_keep_prob,
    check_matrix,
    check_nonnegative,
)

__all__ = [
    "L_model_backward",
    "L_model_forward",
    "backward_propagation_with_dropout",
    "backward_propagation_with_regularization",
    "compute_cost",
    "compute_cost_with_regularization",
    "forward_propagation",
    "forward_propagation_with_dropout",
    "gradient_check_n",
    "initialize_adam",
    "initialize_parameters",
    "initialize_parameters_deep",
    "initialize_velocity",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_forward",
    "random_mini_batches",
    "relu",
    "relu_backward",
    "sigmoid",
    "sigmoid_backward",
    "update_parameters",
    "update_parameters_with_adam",
    "update_parameters_with_gd",
    "update_parameters_with_momentum",
]

Activations = Sequence[str | Activation] | None


# -- initialisation (week 4: the course's own draws) ----------------------------------------------


def initialize_parameters(n_x: int, n_h: int, n_y: int, *, backend: Any = None
                          ) -> dict[str, Any]:
    """The two-layer net's ``{"W1", "b1", "W2", "b2"}``: ``np.random.seed(1)``, weights
    N(0, 1)·0.01, biases zero, as the course draws them (float64; ``backend`` places them)."""
    return _course_init([check_int("n_x", n_x, 1), check_int("n_h", n_h, 1),
                         check_int("n_y", n_y, 1)], seed=1, backend=backend)


def initialize_parameters_deep(layer_dims: Sequence[int], *, backend: Any = None
                               ) -> dict[str, Any]:
    """``{"W1", "b1", ..., "WL", "bL"}`` for ``layer_dims``: ``np.random.seed(3)``, weights
    N(0, 1)·0.01, biases zero, as the step-by-step notebook draws them (float64)."""
    return _course_init(check_layer_dims(layer_dims), seed=3, backend=backend)


def _course_init(dims: list[int], seed: int, backend: Any) -> dict[str, Any]:
    draws = np.random.RandomState(seed)  # the course's np.random.seed(seed); np.random.randn
    be = get_backend(backend)
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = be.asarray(draws.randn(dims[l], dims[l - 1]) * 0.01, dtype="float64")
        params[f"b{l}"] = be.xp.zeros((dims[l], 1), dtype=be.dtype("float64"), device=be.device)
    return params


# -- activations, with the course's caches ---------------------------------------------------------


def sigmoid(Z: Any) -> tuple[Any, Any]:
    """``(A, cache)``: ``A = 1 / (1 + exp(−Z))`` and ``cache = Z``."""
    return _activate("sigmoid", Z), Z


def relu(Z: Any) -> tuple[Any, Any]:
    """``(A, cache)``: ``A = max(0, Z)`` and ``cache = Z``."""
    return _activate("relu", Z), Z


def sigmoid_backward(dA: Any, cache: Any) -> Any:
    """``dZ = dA · σ(Z)(1 − σ(Z))`` with ``Z = cache``."""
    return _activation_backward("sigmoid", dA, cache)


def relu_backward(dA: Any, cache: Any) -> Any:
    """``dZ = dA`` where ``Z > 0``, else 0, with ``Z = cache``."""
    return _activation_backward("relu", dA, cache)


def _activate(activation: str | Activation, Z: Any) -> Any:
    xp = check_same_library({"Z": Z})
    return get_activation(activation).forward(xp, Z)


def _activation_backward(activation: str | Activation, dA: Any, Z: Any) -> Any:
    xp = check_same_library({"dA": dA, "Z": Z})
    _same_shape("dA", dA, "the cached Z", Z)
    act = get_activation(activation)
    return act.backward(xp, dA, Z, act.forward(xp, Z))


# -- forward (week 4) ---------------------------------------------------------------------------


def linear_forward(A: Any, W: Any, b: Any) -> tuple[Any, tuple[Any, Any, Any]]:
    """``(Z, cache)``: ``Z = W A + b`` (n_l, m) and ``cache = (A, W, b)``."""
    xp = check_same_library({"A": A, "W": W, "b": b})
    _check_linear(A, W, b)
    return _linear_forward(xp, A, W, b), (A, W, b)


def linear_activation_forward(A_prev: Any, W: Any, b: Any, activation: str | Activation
                              ) -> tuple[Any, tuple[tuple[Any, Any, Any], Any]]:
    """``(A, cache)``: ``A = g(W A_prev + b)`` and ``cache = ((A_prev, W, b), Z)``.

    ``activation`` is ``"relu"`` or ``"sigmoid"`` as in the course, or any xpnet activation.
    """
    act = get_activation(activation)
    Z, linear_cache = linear_forward(A_prev, W, b)
    return _activate(act, Z), (linear_cache, Z)


def L_model_forward(X: Any, parameters: dict[str, Any], activations: Activations = None
                    ) -> tuple[Any, list[tuple[tuple[Any, Any, Any], Any]]]:
    """``(AL, caches)`` of [LINEAR→RELU]×(L−1) → LINEAR→SIGMOID (``activations`` changes them),
    one ``((A_prev, W, b), Z)`` per layer: :func:`xpnet.forward` with the course's caches."""
    acts: list[str | Activation] = [*_activations(parameters, activations)]
    AL, caches = _network_forward(X, parameters, acts)
    return AL, [((c.A_prev, c.W, parameters[f"b{l}"]), c.Z) for l, c in enumerate(caches, 1)]


def compute_cost(AL: Any, Y: Any) -> float:
    """The cross-entropy cost of ``AL`` against ``Y`` (:func:`xpnet.compute_cost`: a sigmoid
    output for one row, softmax for several; it warns when outputs of 0 or 1 were clipped)."""
    return _compute_cost(AL, Y)


# -- backward (week 4) --------------------------------------------------------------------------


def linear_backward(dZ: Any, cache: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    """``(dA_prev, dW, db)`` of the linear step from ``dZ`` (n_l, m) and ``cache = (A_prev, W,
    b)``, as the course writes it: ``dW = dZ A_prevᵀ / m``, ``db = Σ_columns dZ / m``,
    ``dA_prev = Wᵀ dZ`` (the course's dZ is per example; :func:`xpnet.backward` divides
    ``dZ_L`` by m once instead)."""
    A_prev, W, b = _linear_cache(cache)
    xp = check_same_library({"dZ": dZ, "A_prev": A_prev, "W": W, "b": b})
    _check_linear(A_prev, W, b, name="cache")
    m = A_prev.shape[1]
    expected = (W.shape[0], m)
    if tuple(getattr(dZ, "shape", ())) != expected:
        raise ValueError(f"dZ has shape {tuple(getattr(dZ, 'shape', ()))} but the cached W and "
                         f"A_prev give Z the shape {expected}")
    dW = (dZ @ A_prev.T) / m
    db = xp.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


def linear_activation_backward(dA: Any, cache: tuple[tuple[Any, Any, Any], Any],
                               activation: str | Activation) -> tuple[Any, Any, Any]:
    """``(dA_prev, dW, db)`` of a LINEAR→ACTIVATION layer: ``dZ = dA · g'(Z)`` from the
    activation's ``backward``, then :func:`linear_backward`."""
    if not (isinstance(cache, tuple) and len(cache) == 2):
        raise TypeError("cache must be the ((A_prev, W, b), Z) that linear_activation_forward "
                        f"returned, got {type(cache).__name__}")
    linear_cache, Z = cache
    return linear_backward(_activation_backward(activation, dA, Z), linear_cache)


def L_model_backward(AL: Any, Y: Any, caches: Sequence[tuple[tuple[Any, Any, Any], Any]],
                     activations: Activations = None) -> dict[str, Any]:
    """``grads`` with ``dA{l−1}``, ``dW{l}``, ``db{l}`` for every layer l, as the course builds it:
    ``dAL = −(Y/AL − (1−Y)/(1−AL))`` (the loss's gradient, :func:`xpnet.losses.loss_gradient`),
    then :func:`linear_activation_backward` from the last layer to the first. ``Y`` is reshaped
    to ``AL``'s shape, as the course does."""
    if not isinstance(caches, (list, tuple)) or not caches:
        raise TypeError("caches must be the list of ((A_prev, W, b), Z) that L_model_forward "
                        f"returned, got {type(caches).__name__}")
    L = len(caches)
    xp = check_same_library({"AL": AL, "Y": Y})
    check_matrix("AL", AL, "outputs, examples")
    Y = _like(xp, Y, AL)
    acts = check_activations(list(activations) if activations is not None else
                             default_activations(L, AL.shape[0]), L)
    output = acts[-1].name
    zero = AL == 0
    if output == "sigmoid":
        zero = zero | (AL == 1)
    if output != "linear" and bool(xp.any(zero)):
        raise ValueError(
            "AL has outputs of exactly 0 or 1, where the course's dAL = -(Y/AL - (1-Y)/(1-AL)) "
            "divides by zero; xpnet.backward works from dZ_L = AL - Y instead and has no such "
            "problem")
    dA = loss_gradient(xp, AL, Y, output)
    grads: dict[str, Any] = {}
    for l in range(L, 0, -1):
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1],
                                                                          acts[l - 1])
        grads[f"dA{l - 1}"] = dA
    return grads


def update_parameters(parameters: dict[str, Any], grads: dict[str, Any], learning_rate: float
                      ) -> dict[str, Any]:
    """``W{l} −= α·dW{l}``, ``b{l} −= α·db{l}`` (:class:`xpnet.GD`); a new dict."""
    return GD(learning_rate).step(parameters, _param_grads(parameters, grads))


# -- regularisation (Improving Deep Neural Networks, week 1) -------------------------------------


def forward_propagation(X: Any, parameters: dict[str, Any], activations: Activations = None
                        ) -> tuple[Any, tuple[Any, ...]]:
    """``(AL, cache)`` with ``cache = (Z1, A1, W1, b1, ..., ZL, AL, WL, bL)`` (the course's
    three-layer ``forward_propagation``, for any number of layers): :func:`xpnet.forward`."""
    acts: list[str | Activation] = [*_activations(parameters, activations)]
    AL, caches = _network_forward(X, parameters, acts)
    cache: list[Any] = []
    for l, c in enumerate(caches, 1):
        cache += [c.Z, c.A, c.W, parameters[f"b{l}"]]
    return AL, tuple(cache)


def compute_cost_with_regularization(A3: Any, Y: Any, parameters: dict[str, Any], lambd: float
                                     ) -> float:
    """Cross-entropy plus ``λ/(2m)·Σ_l ‖W_l‖²`` (:func:`xpnet.compute_cost` with ``lambd``)."""
    return _compute_cost(A3, Y, params=parameters, lambd=check_nonnegative("lambd", lambd))


def backward_propagation_with_regularization(X: Any, Y: Any, cache: tuple[Any, ...],
                                             lambd: float, activations: Activations = None
                                             ) -> dict[str, Any]:
    """Gradients ``dZ{l}``, ``dW{l}``, ``db{l}``, ``dA{l}`` from :func:`forward_propagation`'s
    cache, with the L2 term ``λ/m·W_l`` added to every ``dW{l}``."""
    layers = _unpack(cache, dropout=False)
    return _backward_from_cache(X, Y, layers, activations, lambd=check_nonnegative(
        "lambd", lambd), keep_prob=1.0)


def forward_propagation_with_dropout(X: Any, parameters: dict[str, Any], keep_prob: float = 0.5,
                                     *, masks: Sequence[Any] | None = None,
                                     activations: Activations = None
                                     ) -> tuple[Any, tuple[Any, ...]]:
    """``(AL, cache)`` with inverted dropout on every hidden layer: ``A_l = g(Z_l)·D_l /
    keep_prob``; ``cache = (Z1, D1, A1, W1, b1, ..., ZL, AL, WL, bL)``.

    ``masks`` gives ``D1 .. D_{L−1}`` (0/1 arrays shaped like each hidden layer's output) for
    checking your own code with your own masks; without it they are drawn as the course draws
    them: ``np.random.seed(1)``, then ``np.random.rand(n_l, m) < keep_prob`` layer by layer.
    """
    keep_prob = check_keep_prob(keep_prob)
    acts = _activations(parameters, activations)
    L = len(acts)
    params_layer_dims(parameters)
    xp = check_same_library({"X": X, **{f"parameters[{k!r}]": v for k, v in parameters.items()}})
    be = get_backend(None, X)
    if masks is not None and (not isinstance(masks, (list, tuple)) or len(masks) != L - 1):
        raise ValueError(f"masks must be a list of the {L - 1} hidden layers' dropout masks "
                         f"D1..D{L - 1}, got {_describe_seq(masks)}")
    draws = np.random.RandomState(1) if masks is None else None  # the course's np.random.seed(1)
    cache: list[Any] = []
    A = X
    for l in range(1, L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z, _ = linear_forward(A, W, b)
        A = acts[l - 1].forward(xp, Z)
        if l == L:
            cache += [Z, A, W, b]
            break
        if draws is not None:
            D = be.asarray(draws.rand(*A.shape) < keep_prob, dtype=A.dtype)
        else:
            assert masks is not None
            D = _checked_mask(xp, be, masks[l - 1], A, l)
        A = A * D / keep_prob
        cache += [Z, D, A, W, b]
    return A, tuple(cache)


def backward_propagation_with_dropout(X: Any, Y: Any, cache: tuple[Any, ...], keep_prob: float,
                                      activations: Activations = None) -> dict[str, Any]:
    """Gradients ``dZ{l}``, ``dW{l}``, ``db{l}``, ``dA{l}`` from
    :func:`forward_propagation_with_dropout`'s cache: each ``dA{l}`` of a hidden layer is
    multiplied by its mask ``D_l`` and divided by ``keep_prob``, as in the forward pass."""
    layers = _unpack(cache, dropout=True)
    return _backward_from_cache(X, Y, layers, activations, lambd=0.0,
                                keep_prob=check_keep_prob(keep_prob))


def _backward_from_cache(X: Any, Y: Any, layers: list[tuple[Any, Any, Any, Any, Any]],
                         activations: Activations, *, lambd: float, keep_prob: float
                         ) -> dict[str, Any]:
    """The week-1 backward pass over ``(Z, D, A, W, b)`` per layer (``D`` None without dropout)."""
    L = len(layers)
    ZL, _, AL, WL, _ = layers[-1]
    xp = check_same_library({"X": X, "Y": Y, "AL": AL})
    check_matrix("X", X, "features, examples")
    Y = _like(xp, Y, AL)
    m = X.shape[1]
    if AL.shape[1] != m:
        raise ValueError(f"the cache's output AL has {AL.shape[1]} columns (examples) but X has "
                         f"{m}: pass the X that the forward pass was given")
    acts = check_activations(list(activations) if activations is not None else
                             default_activations(L, AL.shape[0]), L)
    # the output layer's dZ_L = A_L − Y, per example (xpnet.network._backward's, before its /m)
    dZ = AL - Y
    grads: dict[str, Any] = {}
    for l in range(L, 0, -1):
        _, _, _, W, b = layers[l - 1]
        A_prev = X if l == 1 else layers[l - 2][2]
        grads[f"dZ{l}"] = dZ
        dA_prev, dW, db = linear_backward(dZ, (A_prev, W, b))
        grads[f"dW{l}"] = dW + (lambd / m) * W if lambd else dW
        grads[f"db{l}"] = db
        if l == 1:
            break
        Z_prev, D_prev, _, _, _ = layers[l - 2]
        if D_prev is not None:
            dA_prev = dA_prev * D_prev / keep_prob
        grads[f"dA{l - 1}"] = dA_prev
        act = acts[l - 2]
        dZ = act.backward(xp, dA_prev, Z_prev, act.forward(xp, Z_prev))
    return grads


# -- optimisation (Improving Deep Neural Networks, week 2) ---------------------------------------


def update_parameters_with_gd(parameters: dict[str, Any], grads: dict[str, Any],
                              learning_rate: float) -> dict[str, Any]:
    """One step of (mini-batch) gradient descent: :func:`update_parameters`."""
    return update_parameters(parameters, grads, learning_rate)


def random_mini_batches(X: Any, Y: Any, mini_batch_size: int = 64, seed: int = 0
                        ) -> list[tuple[Any, Any]]:
    """The course's shuffled partition: ``np.random.seed(seed)``, ``np.random.permutation(m)``,
    then blocks of ``mini_batch_size`` columns and a last one of the ``m mod size`` left over.

    (:func:`xpnet.random_mini_batches` does the same with xpnet's own generator.)
    """
    mini_batch_size = check_int("mini_batch_size", mini_batch_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    check_matrix("X", X, "features, examples")
    check_matrix("Y", Y, "outputs, examples")
    m = X.shape[1]
    check_columns(Y, m, Y.shape[0])
    be = get_backend(None, X, Y)
    order = be.asarray(np.random.RandomState(seed).permutation(m))
    X_shuf = be.xp.take(X, order, axis=1)
    Y_shuf = be.xp.take(Y, order, axis=1)
    return [(X_shuf[:, a:z], Y_shuf[:, a:z]) for a, z in batch_bounds(m, mini_batch_size)]


def initialize_velocity(parameters: dict[str, Any]) -> dict[str, Any]:
    """Momentum's ``v``: zeros shaped like each parameter, keyed ``dW1``, ``db1``, ..."""
    return _zeros_like_grads(parameters)


def initialize_adam(parameters: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Adam's ``(v, s)``: zeros shaped like each parameter, keyed ``dW1``, ``db1``, ..."""
    return _zeros_like_grads(parameters), _zeros_like_grads(parameters)


def update_parameters_with_momentum(parameters: dict[str, Any], grads: dict[str, Any],
                                    v: dict[str, Any], beta: float, learning_rate: float
                                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(parameters, v)`` after one step of :class:`xpnet.Momentum`:
    ``v = β·v + (1 − β)·dP``, ``P −= α·v``."""
    opt = Momentum(learning_rate, beta)
    opt.v = _state_in(parameters, v, "v")
    new = opt.step(parameters, _param_grads(parameters, grads))
    return new, _state_out(opt.v)


def update_parameters_with_adam(parameters: dict[str, Any], grads: dict[str, Any],
                                v: dict[str, Any], s: dict[str, Any], t: int,
                                learning_rate: float = 0.01, beta1: float = 0.9,
                                beta2: float = 0.999, epsilon: float = 1e-8
                                ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any],
                                           dict[str, Any], dict[str, Any]]:
    """``(parameters, v, s, v_corrected, s_corrected)`` after Adam's step number ``t`` (the
    caller counts, from 1, as in the course): :class:`xpnet.Adam` with the course's state."""
    t = check_int("t", t, minimum=1)
    opt = Adam(learning_rate, beta1, beta2, epsilon)
    opt.v, opt.s = _state_in(parameters, v, "v"), _state_in(parameters, s, "s")
    opt.t = t - 1  # step() counts this step
    new = opt.step(parameters, _param_grads(parameters, grads))
    corrected = {k: opt.bias_corrected(k) for k in parameters}
    return (new, _state_out(opt.v), _state_out(opt.s),
            {"d" + k: vc for k, (vc, _) in corrected.items()},
            {"d" + k: sc for k, (_, sc) in corrected.items()})


# -- gradient checking (Improving Deep Neural Networks, week 1) ----------------------------------


def gradient_check_n(parameters: dict[str, Any], gradients: dict[str, Any], X: Any, Y: Any,
                     epsilon: float = 1e-7, print_msg: bool = False,
                     activations: Activations = None) -> float:
    """The relative difference between your ``gradients`` and centred finite differences of
    the cost: :func:`xpnet.gradient_check` with ``gradients=`` (a 1-D ``Y`` is taken as one
    row, as the course's test case passes it). ``print_msg=True`` prints whether there is a
    mistake (difference above 2e-7, the course's threshold) and in which parameters."""
    xp = check_same_library({"X": X, "Y": Y})
    if getattr(Y, "ndim", None) == 1:
        Y = xp.reshape(Y, (1, -1))
    result = gradient_check(parameters, X, Y, activations, gradients=gradients, epsilon=epsilon,
                            threshold=2e-7, return_details=True)
    if print_msg:
        print(result.message[:1].upper() + result.message[1:])
    return result.difference


# -- helpers ----------------------------------------------------------------------------------


def _activations(parameters: dict[str, Any], activations: Activations) -> list[Activation]:
    dims = params_layer_dims(parameters, "parameters")
    L = len(dims) - 1
    return check_activations(list(activations) if activations is not None else
                             default_activations(L, dims[-1]), L)


def _linear_cache(cache: Any) -> tuple[Any, Any, Any]:
    if not (isinstance(cache, tuple) and len(cache) == 3):
        raise TypeError("cache must be the (A_prev, W, b) that linear_forward returned, got "
                        f"{_describe_seq(cache)}")
    return cache


def _check_linear(A: Any, W: Any, b: Any, name: str = "") -> None:
    where = f" (in {name})" if name else ""
    for n, arr in (("A", A), ("W", W), ("b", b)):
        check_matrix(n, arr, "rows, columns")
    if W.shape[1] != A.shape[0]:
        raise ValueError(f"W has shape {tuple(W.shape)} but A has {A.shape[0]} rows{where}: W "
                         "must be (n_l, n_{l-1}) and A (n_{l-1}, m)")
    if tuple(b.shape) != (W.shape[0], 1):
        raise ValueError(f"b has shape {tuple(b.shape)}, expected ({W.shape[0]}, 1) to match W "
                         f"{tuple(W.shape)}{where}")


def _same_shape(name_a: str, a: Any, name_b: str, b: Any) -> None:
    if tuple(getattr(a, "shape", ())) != tuple(getattr(b, "shape", ())):
        raise ValueError(f"{name_a} has shape {tuple(getattr(a, 'shape', ()))} but {name_b} has "
                         f"shape {tuple(getattr(b, 'shape', ()))}; they must match")


def _like(xp: Any, Y: Any, AL: Any) -> Any:
    """``Y`` reshaped to ``AL``'s shape (the course's ``Y.reshape(AL.shape)``), in its dtype."""
    if tuple(Y.shape) != tuple(AL.shape):
        if math.prod(Y.shape) != math.prod(AL.shape):
            raise ValueError(f"Y has shape {tuple(Y.shape)} but the output AL has shape "
                             f"{tuple(AL.shape)}; they must hold the same number of values")
        Y = xp.reshape(Y, tuple(AL.shape))
    return xp.astype(Y, AL.dtype) if Y.dtype != AL.dtype else Y


def _unpack(cache: Any, *, dropout: bool) -> list[tuple[Any, Any, Any, Any, Any]]:
    """``cache`` as ``(Z, D, A, W, b)`` per layer (``D`` None where there is no mask)."""
    n = len(cache) if isinstance(cache, tuple) else -1
    hidden = 5 if dropout else 4
    if n < 4 or (n - 4) % hidden:
        made_by, layout = (("forward_propagation_with_dropout", "(Z1, D1, A1, W1, b1, ..., ZL, "
                            "AL, WL, bL)") if dropout else
                           ("forward_propagation", "(Z1, A1, W1, b1, ..., ZL, AL, WL, bL)"))
        raise TypeError(f"cache must be the tuple {made_by} returned, {layout}; got "
                        f"{_describe_seq(cache)}")
    layers = []
    i = 0
    for _ in range((n - 4) // hidden):
        if dropout:
            Z, D, A, W, b = cache[i:i + 5]
        else:
            (Z, A, W, b), D = cache[i:i + 4], None
        layers.append((Z, D, A, W, b))
        i += hidden
    Z, A, W, b = cache[i:i + 4]
    layers.append((Z, None, A, W, b))
    return layers


def _checked_mask(xp: Any, be: Any, D: Any, A: Any, layer: int) -> Any:
    name = f"masks[{layer - 1}]"
    if tuple(getattr(D, "shape", ())) != tuple(A.shape):
        raise ValueError(f"{name} (D{layer}) has shape {tuple(getattr(D, 'shape', ()))} but layer "
                         f"{layer}'s output A{layer} has shape {tuple(A.shape)}")
    D = be.asarray(D, dtype=A.dtype)
    if not bool(xp.all((D == 0) | (D == 1))):
        raise ValueError(f"{name} (D{layer}) must hold 0/1 (or True/False) values")
    return D


def _describe_seq(x: Any) -> str:
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)} entries"
    return type(x).__name__


def _zeros_like_grads(parameters: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(parameters, dict) or not parameters:
        raise TypeError("parameters must be a dict {'W1': ..., 'b1': ..., ...}, got "
                        f"{type(parameters).__name__}")
    xp = check_same_library({f"parameters[{k!r}]": v for k, v in parameters.items()})
    return {"d" + k: xp.zeros_like(P) for k, P in parameters.items()}


def _param_grads(parameters: dict[str, Any], grads: dict[str, Any]) -> dict[str, Any]:
    """The ``d<param>`` entries of ``grads`` (the course's grads also hold ``dA``, ``dZ``)."""
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict {{'dW1': ..., 'db1': ...}}, got "
                        f"{type(grads).__name__}")
    return {"d" + k: grads["d" + k] for k in parameters if "d" + k in grads}


def _state_in(parameters: dict[str, Any], state: dict[str, Any], name: str) -> dict[str, Any]:
    """The course's ``v``/``s`` (keyed ``dW1``) as an optimizer's slot (keyed ``W1``)."""
    if not isinstance(state, dict):
        raise TypeError(f"{name} must be a dict {{'dW1': ..., 'db1': ...}} (from "
                        f"initialize_{'velocity' if name == 'v' else 'adam'}), got "
                        f"{type(state).__name__}")
    out = {}
    for k, P in parameters.items():
        if "d" + k not in state:
            raise ValueError(f"{name} has no {'d' + k!r} for parameter {k!r}")
        if tuple(state["d" + k].shape) != tuple(P.shape):
            raise ValueError(f"{name}[{'d' + k!r}] has shape {tuple(state['d' + k].shape)} but "
                             f"{k} has shape {tuple(P.shape)}")
        out[k] = state["d" + k]
    return out


def _state_out(slot: dict[str, Any]) -> dict[str, Any]:
    return {"d" + k: v for k, v in slot.items()}
