"""The training loop: ``xpnet.train(X, Y, layer_dims, ...) -> Model``.

All data stays on the backend's device for the whole run. Within an epoch nothing is read back
to the host: the cost of each mini-batch is accumulated on the device and read once, when the
epoch ends, together with one flag saying whether the parameters are still finite.

Errors and recovery: every argument is checked before any work is done
(:mod:`xpnet.validation`). A cost or parameter that stops being finite ends the run at that
epoch (``on_nan``) with the last parameters known to give a finite cost; Ctrl-C ends it with
the parameters of the last completed epoch (the engine's ``snapshot``/``restore``, see
:mod:`xpnet.engines`). ``checkpoint=`` saves everything a run needs to go on, and ``resume=``
goes on from it exactly (:mod:`xpnet.checkpoint`).
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .architecture import Architecture, num_layers_of
from .backend import Backend, as_data, check_same_library, dtype_name, get_backend, is_array
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .engines import Engine, make_engine, run_epoch
from .initializers import INITS, initialize_parameters
from .model import Model
from .optimizers import Optimizer, get_optimizer
from .preprocessing import one_hot
from .rng import RandomState
from .threads import Threads, check_threads
from .validation import (
    check_callable,
    check_choice,
    check_columns,
    check_examples,
    check_finite,
    check_input_rows,
    check_int,
    check_keep_prob,
    check_matrix,
    check_nonnegative,
    check_positive,
    check_targets,
    is_label_row,
)

DEFAULT_LEARNING_RATE = 0.0075

#: What ``train(on_nan=...)`` does when the cost or the parameters stop being finite.
ON_NAN = ("raise", "stop")


class DivergenceError(FloatingPointError):
    """Training diverged: the cost or the parameters became NaN or infinite.

    ``epoch`` is the epoch at which it happened. ``model`` is the model trained so far, with
    the last parameters known to give a finite cost and one cost per epoch before them:
    exactly what ``train(..., num_epochs=len(model.costs))`` returns. When the cost of
    ``epoch`` overflowed that is the state after epoch ``epoch − 2`` (the parameters after
    epoch ``epoch − 1`` are finite but already overflow); when only the parameters did, the
    state after epoch ``epoch − 1``.
    """

    def __init__(self, message: str, *, epoch: int, model: Model) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.model = model


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
    on_nan: str = "raise",
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: str | os.PathLike | None = None,
    threads: int | None = None,
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
    - ``on_nan``: when the cost or the parameters become NaN or infinite at some epoch,
      ``"raise"`` (the default) raises :class:`DivergenceError` (a ``FloatingPointError``)
      whose ``.model`` holds the last parameters known to give a finite cost; ``"stop"``
      warns and returns that model instead.
    - ``checkpoint``: a file that receives the parameters, the optimizer state, the random
      state and the costs every ``checkpoint_every`` epochs and whenever training ends
      (normally, by divergence or by Ctrl-C).
    - ``resume``: a checkpoint to continue from; ``num_epochs`` counts from the very start, so
      ``train(..., num_epochs=10, resume=path)`` after a checkpoint at epoch 5 runs epochs
      5–9 and matches a 10-epoch run bit for bit. The network, optimizer and dtype must be the
      ones of the checkpoint; ``seed`` and ``init`` are not used.

    - ``threads``: BLAS threads for this run (set with ``threadpoolctl`` and restored when it
      ends). ``None`` lets xpnet choose: one thread for products too small to share, else
      the faster of one and several, timed on the first steps and again every 30 s, because
      on a busy machine several BLAS threads make every product wait for a descheduled one
      (see :mod:`xpnet.threads`). ``Model.config["threads"]`` records what was used.

    Bad arguments raise ``TypeError`` or ``ValueError`` naming the argument before any work
    is done. Ctrl-C (``KeyboardInterrupt``) returns the model of the last completed epoch
    with a warning.
    """
    arch = Architecture.of(layer_dims, activations)
    dims, acts = list(arch.layer_dims), list(arch.acts)
    keep_prob = check_keep_prob(keep_prob)
    lambd = check_nonnegative("lambd", lambd)
    num_epochs = check_int("num_epochs", num_epochs, minimum=0)
    print_every = check_int("print_every", print_every, minimum=1)
    init = check_choice("init", init, INITS)
    on_nan = check_choice("on_nan", on_nan, ON_NAN)
    check_callable("lr_schedule", lr_schedule)
    check_callable("callback", callback)
    every = _check_checkpointing(checkpoint, checkpoint_every, resume, params)
    threads = check_threads(threads)
    rng = RandomState(seed)
    be = _data_backend(backend, device, X, Y)
    dt = be.dtype(dtype)
    if learning_rate is None and not isinstance(optimizer, Optimizer):
        learning_rate = DEFAULT_LEARNING_RATE
    opt = get_optimizer(optimizer, learning_rate)
    lr0 = opt.learning_rate

    X_d, Y_d = _training_data(be, X, Y, arch, dt)
    m = X_d.shape[1]
    batch = _check_batch_size(mini_batch_size, m)
    act_names = [a.name for a in acts]

    saved = None
    origin = "checkpoint" if resume is not None else init if params is None else "params="
    if resume is not None:
        saved = load_checkpoint(resume)
        saved.check_compatible(dims, act_names, opt.name, dtype_name(dt))
        params = saved.params_on(be)
    elif params is None:
        params = initialize_parameters(dims, init, seed=rng, dtype=dt, backend=be)
    else:
        params = _user_params(be, params, arch, dt)

    config = {
        "optimizer": opt.name, **opt.hyperparameters(), "learning_rate": lr0,
        "num_epochs": num_epochs, "mini_batch_size": batch, "init": origin, "lambd": lambd,
        "keep_prob": keep_prob, "seed": seed, "backend": be.name,
        "lr_schedule": repr(lr_schedule) if lr_schedule else None,
    }
    model = Model(params=params, activations=act_names, layer_dims=dims,
                  backend=be, dtype=dtype_name(dt), config=config, optimizer=opt)

    eng = make_engine(engine, be, params, arch, opt, lambd=lambd, keep_prob=keep_prob, rng=rng)
    eng.load_data(X_d, Y_d)
    del X_d, Y_d  # from here on the engine holds the only copy of the training data
    model.config["engine"] = eng.name
    if saved is not None:
        _continue_from(saved, eng, rng, model)

    def report(epoch: int, cost: float) -> None:
        if print_cost and (epoch % print_every == 0 or epoch == num_epochs - 1):
            print(f"Cost after epoch {epoch}: {cost:.6f}")
        if callback is not None:
            callback(epoch, cost)

    policy = Threads.for_run(threads, be.name, dims, batch)
    loop = _Loop(eng, model, rng, m, batch, lr0, lr_schedule, on_nan, checkpoint, every, policy)
    start = time.perf_counter()
    with policy:
        try:
            loop.run(num_epochs, report)
        finally:
            model.config["threads"] = policy.description
    model.config["train_seconds"] = time.perf_counter() - start
    return model


class _Loop:
    """The epoch loop, and what happens when it ends early.

    Invariant: ``model.costs`` holds one cost per completed epoch; ``self.marks`` holds the
    engine and random state after the last completed epoch and, when there is one, after the
    epoch before (their parameters are finite).
    """

    def __init__(self, eng: Engine, model: Model, rng: RandomState, m: int, batch: int,
                 lr0: float, lr_schedule: Callable[[float, int], float] | None, on_nan: str,
                 checkpoint: str | os.PathLike | None, every: int | None,
                 threads: Threads | None = None) -> None:
        self.eng, self.model, self.rng = eng, model, rng
        self.threads = threads
        self.opt = model.optimizer
        self.m, self.batch = m, batch
        self.lr0, self.lr_schedule = lr0, lr_schedule
        self.on_nan = on_nan
        self.checkpoint, self.every = checkpoint, every
        self.marks: list[tuple[Any, dict, int]] = []
        self.saved_at = -1

    def run(self, num_epochs: int, report: Callable[[int, float], None]) -> None:
        self._mark()
        try:
            for epoch in range(self.completed, num_epochs):
                cost, params_finite = self._epoch(epoch)
                if not (math.isfinite(cost) and params_finite):
                    self._diverged(epoch, cost)
                    return
                self.model.costs.append(cost)
                self._mark()
                if self.every and self.completed % self.every == 0:
                    self._save()
                report(epoch, cost)
        except KeyboardInterrupt:
            self._back_to(self.marks[-1])
            self._save()
            warnings.warn(
                f"training interrupted (KeyboardInterrupt) after {self.completed} completed "
                f"epochs; returning the model trained so far{self._saved_note()}",
                RuntimeWarning, stacklevel=3,
            )
            return
        finally:
            # A fast engine keeps its own copy of the optimizer state: hand it back, so that
            # model.optimizer is current however training ended.
            self.opt.load_state_dict(self.eng.state_dict())
        self._save()

    def _epoch(self, epoch: int) -> tuple[float, bool]:
        """One pass over the data; ``(cost, whether the parameters are still finite)``."""
        if self.lr_schedule is not None:
            self.opt.learning_rate = check_positive(
                f"lr_schedule(lr0, {epoch})", self.lr_schedule(self.lr0, epoch))
        total = run_epoch(self.eng, self.rng, self.m, self.batch, self.threads)
        finite = _all_finite(self.eng.backend.xp, self.eng.params.values())
        cost = float(total) / self.m  # the one host synchronisation of the epoch
        return cost, bool(finite)

    @property
    def completed(self) -> int:
        return len(self.model.costs)

    def _mark(self) -> None:
        """Remember the state after the epochs completed so far (and the one before)."""
        self.marks = [*self.marks[-1:], (self.eng.snapshot(), self.rng.get_state(),
                                         self.completed)]
        self.model.params = self.eng.params

    def _back_to(self, mark: tuple[Any, dict, int]) -> None:
        engine_state, rng_state, completed = mark
        self.eng.restore(engine_state)
        self.rng.set_state(rng_state)
        self.model.params = self.eng.params
        del self.model.costs[completed:]

    def _diverged(self, epoch: int, cost: float) -> None:
        """Go back to the last parameters known to give a finite cost, then stop or raise.

        When the cost of ``epoch`` is not finite, the parameters it started from (after the
        last completed epoch) are finite but already give an overflowing forward pass, so the
        model goes back one epoch further, to the parameters whose cost was finite.
        """
        cost_finite = math.isfinite(cost)
        self._back_to(self.marks[-1] if cost_finite else self.marks[0])
        self._save()
        what = ("the parameters became NaN or infinite" if cost_finite
                else f"the cost became {cost}")
        kept = (f"after epoch {self.completed - 1}" if self.completed
                else "it started with")
        lr = self.opt.learning_rate
        message = (
            f"training diverged at epoch {epoch}: {what}. Try a lower learning_rate (it was "
            f"{lr:g}; try {lr / 10:g}). The model keeps the parameters {kept}"
            f"{self._saved_note()}"
        )
        if self.on_nan == "stop":
            warnings.warn(message, RuntimeWarning, stacklevel=4)
            return
        raise DivergenceError(message, epoch=epoch, model=self.model)

    def _save(self) -> None:
        if self.checkpoint is not None and self.saved_at != self.completed:
            save_checkpoint(self.checkpoint, self.model, self.eng.state_dict(),
                            self.rng.get_state())
            self.saved_at = self.completed

    def _saved_note(self) -> str:
        return f" (checkpoint: {self.checkpoint})" if self.checkpoint is not None else ""


def _continue_from(saved: Checkpoint, eng: Engine, rng: RandomState, model: Model) -> None:
    """Put the optimizer state, random state and cost history of ``saved`` back."""
    eng.load_state_dict(saved.optimizer_state_on(eng.backend))
    rng.set_state(saved.rng_state)
    model.costs = list(saved.costs)
    model.config["resumed_from"] = {"path": saved.path, "epoch": saved.epoch}


def _all_finite(xp: Any, arrays: Any) -> Any:
    """A 0-d device bool: every entry of every array is finite (no host sync)."""
    flag = None
    for A in arrays:
        ok = xp.all(xp.isfinite(A))
        flag = ok if flag is None else flag & ok
    return flag


def _data_backend(backend: Any, device: Any, X: Any, Y: Any) -> Backend:
    """The backend to train on; with ``backend=None``, array ``X`` and ``Y`` must agree."""
    if backend is None and device is None:
        arrays = {k: v for k, v in (("X", X), ("Y", Y)) if is_array(v)}
        check_same_library(arrays, remedy="pass backend=... and train moves both there")
    return get_backend(backend, X, Y, device=device)


def _training_data(be: Backend, X: Any, Y: Any, arch: Architecture, dt: Any
                   ) -> tuple[Any, Any]:
    """``X`` (n_x, m) and the targets (n_y, m) on the device, after every check of the data.

    Integer class labels (1, m) or (m,) for a softmax output are one-hot encoded. ``X`` is
    converted (device, dtype) but not rearranged: the engine lays it out as it needs.
    """
    xp = be.xp
    dims, output = arch.layer_dims, arch.output
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


def _user_params(be: Backend, params: Any, arch: Architecture, dt: Any) -> dict[str, Any]:
    """``params=`` moved to the backend, checked to chain, match ``arch`` and be finite."""
    num_layers_of(params)
    moved = {k: as_data(be, f"params[{k!r}]", v, dt) for k, v in params.items()}
    arch.check_params(moved)
    for k, v in moved.items():
        check_finite(be.xp, f"params[{k!r}]", v)
    return moved


def _check_checkpointing(checkpoint: Any, checkpoint_every: Any, resume: Any,
                         params: Any) -> int | None:
    """``checkpoint_every`` as an int (or None) after checking the checkpoint arguments."""
    for name, value in (("checkpoint", checkpoint), ("resume", resume)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"{name} must be a file path or None, got {type(value).__name__}")
    if checkpoint is not None and not Path(checkpoint).parent.is_dir():
        raise ValueError(f"checkpoint={str(checkpoint)!r}: the folder "
                         f"{str(Path(checkpoint).parent)!r} does not exist")
    if resume is not None and params is not None:
        raise ValueError("pass either params= or resume=, not both: resume= restores the "
                         "parameters from the checkpoint")
    if checkpoint_every is None:
        return None
    if checkpoint is None:
        raise ValueError("checkpoint_every needs checkpoint='path' to know where to save")
    return check_int("checkpoint_every", checkpoint_every, minimum=1)


def _check_batch_size(mini_batch_size: Any, m: int) -> int:
    """The batch size; ``None`` or a size above ``m`` means full batch (one step per epoch)."""
    if mini_batch_size is None:
        return m
    return min(check_int("mini_batch_size", mini_batch_size, minimum=1), m)
