"""The training loop: ``xpnet.train(X, Y, layer_dims, ...) -> Model``.

All data stays on the backend's device for the whole run. Within an epoch nothing is read back
to the host: the cost of each mini-batch is accumulated on the device and read once, when the
epoch ends.

Every argument is checked before any work is done (:mod:`xpnet.validation`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from .activations import default_activations
from .backend import Backend, dtype_name, get_backend
from .engines import make_engine
from .initializers import INITS, initialize_parameters
from .minibatches import batch_bounds, shuffled_indices
from .model import Model
from .optimizers import Optimizer, get_optimizer
from .preprocessing import one_hot
from .rng import RandomState
from .validation import (
    as_data,
    check_activations,
    check_callable,
    check_choice,
    check_columns,
    check_examples,
    check_finite,
    check_input_rows,
    check_int,
    check_keep_prob,
    check_layer_dims,
    check_matrix,
    check_nonnegative,
    check_params_chain,
    check_positive,
    check_same_library,
    check_targets,
    is_array,
    is_label_row,
    num_layers_of,
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
    - ``mini_batch_size``: ``None`` is full-batch gradient descent, and so is any size ≥ m
      (the size is clamped to m: one step per epoch, no shuffling); otherwise the examples
      are reshuffled every epoch and the last batch holds the ``m mod size`` rest.
    - ``lambd``: L2 strength; ``keep_prob``: inverted-dropout keep probability on hidden layers.
    - ``seed``: one seed for the initial weights, the batch order and the dropout masks; the
      same seed gives the same run on every backend.
    - ``backend``/``device``: where to train (``None`` infers it from ``X`` and ``Y``, which
      must then come from one library); ``dtype``: ``"float32"`` or ``"float64"``.
    - ``params``: start from these parameters instead of initialising (training in stages);
      they are moved to the backend of the data.
    - ``lr_schedule``: ``schedule(lr0, epoch) -> lr``, e.g. :class:`xpnet.InverseTimeDecay`.
    - ``callback(epoch, cost)``: called after every completed epoch.
    - ``engine``: ``"generic"`` is the Array-API reference step; ``"auto"`` picks a
      backend-specific fast path when one exists for this configuration (see :mod:`xpnet.engines`).

    Bad arguments raise ``TypeError`` or ``ValueError`` naming the argument before any work
    is done.
    """
    dims = check_layer_dims(layer_dims)
    L = len(dims) - 1
    acts = check_activations(activations if activations is not None
                             else default_activations(L, dims[-1]), L)
    keep_prob = check_keep_prob(keep_prob)
    lambd = check_nonnegative("lambd", lambd)
    num_epochs = check_int("num_epochs", num_epochs, minimum=0)
    print_every = check_int("print_every", print_every, minimum=1)
    init = check_choice("init", init, INITS)
    check_callable("lr_schedule", lr_schedule)
    check_callable("callback", callback)
    rng = RandomState(seed)
    be = _data_backend(backend, device, X, Y)
    dt = be.dtype(dtype)
    if learning_rate is None and not isinstance(optimizer, Optimizer):
        learning_rate = DEFAULT_LEARNING_RATE
    opt = get_optimizer(optimizer, learning_rate)
    lr0 = opt.learning_rate

    X_d, Y_d = _training_data(be, X, Y, dims, acts[-1].name, dt)
    m = X_d.shape[1]
    batch = _check_batch_size(mini_batch_size, m)
    act_names = [a.name for a in acts]

    if params is None:
        params = initialize_parameters(dims, init, seed=rng, dtype=dt, backend=be)
    else:
        params = _user_params(be, params, dims, dt)

    config = {
        "optimizer": opt.name, **opt.hyperparameters(), "learning_rate": lr0,
        "num_epochs": num_epochs, "mini_batch_size": batch, "init": init, "lambd": lambd,
        "keep_prob": keep_prob, "seed": seed, "backend": be.name,
        "lr_schedule": repr(lr_schedule) if lr_schedule else None,
    }
    model = Model(params=params, activations=act_names, layer_dims=dims,
                  backend=be, dtype=dtype_name(dt), config=config, optimizer=opt)

    eng = make_engine(engine, be, params, acts, opt, lambd=lambd, keep_prob=keep_prob, rng=rng)
    eng.load_data(X_d, Y_d)
    model.config["engine"] = eng.name

    def report(epoch: int, cost: float) -> None:
        if print_cost and (epoch % print_every == 0 or epoch == num_epochs - 1):
            print(f"Cost after epoch {epoch}: {cost:.6f}")
        if callback is not None:
            callback(epoch, cost)

    start = time.perf_counter()
    for epoch in range(num_epochs):
        if lr_schedule is not None:
            opt.learning_rate = check_positive(
                f"lr_schedule(lr0, {epoch})", lr_schedule(lr0, epoch))
        order = shuffled_indices(be, rng, m) if batch < m else None
        total = None
        for a, b in batch_bounds(m, batch):
            c = eng.step(order, a, b)
            total = c if total is None else total + c
        cost = float(total) / m  # the one host synchronisation of the epoch
        model.params = eng.params
        model.costs.append(cost)
        report(epoch, cost)
        if not math.isfinite(cost):
            raise FloatingPointError(
                f"the cost became {cost} at epoch {epoch}; training diverged. "
                f"Try a lower learning_rate (now {opt.learning_rate:g})"
            )
    model.config["train_seconds"] = time.perf_counter() - start
    return model


def _data_backend(backend: Any, device: Any, X: Any, Y: Any) -> Backend:
    """The backend to train on; with ``backend=None``, array ``X`` and ``Y`` must agree."""
    if backend is None and device is None:
        arrays = {k: v for k, v in (("X", X), ("Y", Y)) if is_array(v)}
        check_same_library(arrays, remedy="pass backend=... and train moves both there")
    return get_backend(backend, X, Y, device=device)


def _training_data(be: Backend, X: Any, Y: Any, dims: list[int], output: str,
                   dt: Any) -> tuple[Any, Any]:
    """``X`` (n_x, m) and the targets (n_y, m) on the device, after every check of the data.

    Integer class labels (1, m) or (m,) for a softmax output are one-hot encoded.
    """
    xp = be.xp
    X_d = as_data(be, "X", X, dt)
    check_input_rows(X_d, dims[0], "layer_dims[0]")
    m = check_examples(X_d)
    note = " (as float32, whose largest value is 3.4e38)" if dtype_name(dt) == "float32" else ""
    check_finite(xp, "X", X_d, note)
    Y_d = as_data(be, "Y", Y)
    if Y_d.ndim == 1 and is_label_row(Y_d, output, dims[-1]):
        Y_d = xp.reshape(Y_d, (1, -1))
    check_matrix("Y", Y_d, "outputs, examples")
    check_columns(Y_d, m, dims[-1])
    check_targets(xp, Y_d, output, dims[-1])
    if is_label_row(Y_d, output, dims[-1]):
        return X_d, one_hot(Y_d, dims[-1], dtype=dt, backend=be)
    return X_d, as_data(be, "Y", Y_d, dt)


def _user_params(be: Backend, params: Any, dims: list[int], dt: Any) -> dict[str, Any]:
    """``params=`` moved to the backend, checked to chain, match ``dims`` and be finite."""
    num_layers_of(params)
    moved = {k: as_data(be, f"params[{k!r}]", v, dt) for k, v in params.items()}
    check_params_chain(moved, dims)
    for k, v in moved.items():
        check_finite(be.xp, f"params[{k!r}]", v)
    return moved


def _check_batch_size(mini_batch_size: Any, m: int) -> int:
    """The batch size; ``None`` or a size above ``m`` means full batch (one step per epoch)."""
    if mini_batch_size is None:
        return m
    return min(check_int("mini_batch_size", mini_batch_size, minimum=1), m)
