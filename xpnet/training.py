"""The training loop: ``xpnet.train(X, Y, layer_dims, ...) -> Model``.

All data stays on the backend's device for the whole run. Within an epoch nothing is read back
to the host: the cost of each mini-batch is accumulated on the device and read once, when the
epoch ends.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from .activations import default_activations
from .backend import Backend, dtype_name, get_backend
from .initializers import initialize_parameters
from .minibatches import batch_bounds, shuffled_indices
from .model import Model
from .engines import make_engine
from .optimizers import Optimizer, get_optimizer
from .preprocessing import one_hot
from .rng import RandomState
from .validation import (
    check_activations,
    check_keep_prob,
    check_layer_dims,
    check_nonnegative,
    check_training_data,
    check_params_chain,
)


DEFAULT_LEARNING_RATE = 0.0075


def train(
    X: Any,
    Y: Any,
    layer_dims: list[int],
    *,
    activations: list[str] | None = None,
    optimizer: str | Optimizer = "adam",
    learning_rate: float | None = None,
    num_epochs: int = 100,
    mini_batch_size: int | None = None,
    init: str = "he",
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    seed: int | None = 0,
    dtype: Any = "float32",
    backend: Any = None,
    device: Any = None,
    params: dict[str, Any] | None = None,
    lr_schedule: Callable[[float, int], float] | None = None,
    print_cost: bool = False,
    print_every: int = 100,
    callback: Callable[[int, float], Any] | None = None,
    engine: str = "auto",
) -> Model:
    """Train an L-layer network on ``X`` (n_x, m) and ``Y`` (n_y, m); return a :class:`Model`.

    - ``layer_dims``: sizes ``[n_x, n_1, ..., n_y]``.
    - ``activations``: one name per layer; ``None`` means ReLU hidden layers and a sigmoid
      output (softmax when ``layer_dims[-1] > 1``). For softmax, ``Y`` may be one-hot (C, m) or
      integer labels (1, m).
    - ``optimizer``: ``"gd"``, ``"momentum"``, ``"rmsprop"``, ``"adam"`` or an
      :class:`~xpnet.optimizers.Optimizer` instance (with its own hyperparameters).
    - ``learning_rate``: defaults to 0.0075 for a named optimizer; for an optimizer instance,
      ``None`` keeps the instance's own rate.
    - ``mini_batch_size``: ``None`` (or ≥ m) is full-batch gradient descent; otherwise the
      examples are reshuffled every epoch and the last batch holds the ``m mod size`` rest.
    - ``lambd``: L2 strength; ``keep_prob``: inverted-dropout keep probability on hidden layers.
    - ``seed``: one seed for the initial weights, the batch order and the dropout masks; the
      same seed gives the same run on every backend.
    - ``backend``/``device``: where to train (``None`` infers it from ``X``); ``dtype``:
      ``"float32"`` or ``"float64"``.
    - ``params``: start from these parameters instead of initialising (training in stages).
    - ``lr_schedule``: ``schedule(lr0, epoch) -> lr``, e.g. :class:`xpnet.InverseTimeDecay`.
    - ``callback(epoch, cost)``: called after every epoch.
    - ``engine``: ``"generic"`` is the Array-API reference step; ``"auto"`` picks a
      backend-specific fast path when one exists for this configuration (see :mod:`xpnet.engines`).
    """
    dims = check_layer_dims(layer_dims)
    L = len(dims) - 1
    acts_names = list(activations) if activations is not None else default_activations(L, dims[-1])
    acts = check_activations(acts_names, L)
    keep_prob = check_keep_prob(keep_prob)
    lambd = check_nonnegative("lambd", lambd)
    num_epochs = _check_count("num_epochs", num_epochs, minimum=0)
    print_every = _check_count("print_every", print_every, minimum=1)
    be = get_backend(backend, X, Y, device=device)
    dt = be.dtype(dtype)
    if learning_rate is None and not isinstance(optimizer, Optimizer):
        learning_rate = DEFAULT_LEARNING_RATE
    opt = get_optimizer(optimizer, learning_rate)
    lr0 = opt.learning_rate

    X_d = be.asarray(X, dtype=dt)
    Y_d = _targets(be, Y, dims[-1], acts[-1].name, dt)
    check_training_data(be.xp, X_d, Y_d, dims, acts[-1].name)
    m = X_d.shape[1]
    batch = _check_batch_size(mini_batch_size, m)

    rng = RandomState(seed)
    if params is None:
        params = initialize_parameters(dims, init, seed=rng, dtype=dt, backend=be)
    else:
        params = {k: be.asarray(v, dtype=dt) for k, v in params.items()}
        check_params_chain(params, dims)

    config = {
        "optimizer": opt.name, **opt.hyperparameters(), "learning_rate": lr0,
        "num_epochs": num_epochs, "mini_batch_size": batch, "init": init, "lambd": lambd,
        "keep_prob": keep_prob, "seed": seed, "backend": be.name,
        "lr_schedule": repr(lr_schedule) if lr_schedule else None,
    }
    model = Model(params=params, activations=[a.name for a in acts], layer_dims=dims,
                  backend=be, dtype=dtype_name(dt), config=config, optimizer=opt)

    eng = make_engine(engine, be, params, acts, opt, lambd=lambd, keep_prob=keep_prob, rng=rng)
    eng.load_data(X_d, Y_d)
    model.config["engine"] = eng.name
    start = time.perf_counter()
    for epoch in range(num_epochs):
        if lr_schedule is not None:
            opt.learning_rate = lr_schedule(lr0, epoch)
        order = shuffled_indices(be, rng, m) if batch < m else None
        total = None
        for a, b in batch_bounds(m, batch):
            c = eng.step(order, a, b)
            total = c if total is None else total + c
        cost = float(total) / m  # the one host synchronisation of the epoch
        model.params = eng.params
        model.costs.append(cost)
        if print_cost and (epoch % print_every == 0 or epoch == num_epochs - 1):
            print(f"Cost after epoch {epoch}: {cost:.6f}")
        if callback is not None:
            callback(epoch, cost)
        if not math.isfinite(cost):
            raise FloatingPointError(
                f"the cost became {cost} at epoch {epoch}; training diverged. "
                f"Try a lower learning_rate (now {opt.learning_rate:g})"
            )
    opt.load_state_dict(eng.state_dict())  # a fast engine keeps its own copy of the state
    model.config["train_seconds"] = time.perf_counter() - start
    return model


def _targets(be: Backend, Y: Any, n_out: int, output: str, dt: Any) -> Any:
    """``Y`` on the device as floats; integer labels (1, m) are one-hot encoded for softmax."""
    Y_d = be.asarray(Y)
    if output == "softmax" and Y_d.ndim == 2 and Y_d.shape[0] == 1 and n_out > 1:
        return one_hot(Y_d, n_out, dtype=dt, backend=be)
    if output == "softmax" and Y_d.ndim == 1 and n_out > 1:
        return one_hot(Y_d, n_out, dtype=dt, backend=be)
    return be.asarray(Y_d, dtype=dt)


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_batch_size(mini_batch_size: Any, m: int) -> int:
    """The batch size; ``None`` or a size above ``m`` means full batch (one step per epoch)."""
    if mini_batch_size is None:
        return m
    size = _check_count("mini_batch_size", mini_batch_size, minimum=1)
    return min(size, m)
