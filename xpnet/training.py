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

import copy
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .architecture import Architecture, num_layers_of
from .backend import (
    Backend,
    as_data,
    as_training_data,
    check_same_library,
    dtype_name,
    get_backend,
    is_array,
)
from .callbacks import Monitor, check_callbacks, check_monitor, check_save_best
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .engines import Engine, make_engine, run_epoch, run_streamed_epoch
from .evaluation import Evaluator, class_labels, example_weights, normalised, split_indices
from .files import check_writable
from .initializers import INITS, initialize_parameters
from .model import Model
from .optimizers import Optimizer, get_optimizer
from .preprocessing import one_hot
from .rng import RandomState
from .streaming import (
    DiskArray,
    StreamedData,
    Streaming,
    check_streaming,
    read_whole,
    stream_settings,
)
from .threads import Threads, check_threads
from .validation import (
    check_callable,
    check_choice,
    check_columns,
    check_examples,
    check_finite,
    check_finite_as,
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
    batch_norm: bool | list[bool] = False,
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
    validation_data: tuple[Any, ...] | None = None,
    validation_split: float | None = None,
    validation_every: int = 1,
    early_stopping: bool = False,
    n_iter_no_change: int = 10,
    tol: float = 1e-4,
    monitor: str | None = None,
    restore_best: bool = False,
    save_best: str | os.PathLike | None = None,
    callbacks: Any = None,
    verbose: int = 0,
    shuffle: bool = True,
    sample_weight: Any = None,
    class_weight: Any = None,
    threads: int | None = None,
    streaming: bool | Streaming | None = None,
) -> Model:
    """Train an L-layer network on ``X`` (n_x, m) and ``Y`` (n_y, m); return a :class:`Model`.

    - ``layer_dims``: sizes ``[n_x, n_1, ..., n_y]``.
    - ``activations``: one name per layer; ``None`` means ReLU hidden layers and a sigmoid
      output (softmax when ``layer_dims[-1] > 1``). For softmax, ``Y`` may be one-hot (C, m) or
      integer labels (1, m).
    - ``optimizer``: ``"gd"``, ``"momentum"``, ``"rmsprop"``, ``"adam"`` or an
      :class:`~xpnet.optimizers.Optimizer` instance (with its own hyperparameters and state).
      ``train`` works on a copy, so the instance is never changed and gives the same run in
      every call; the trained optimizer is ``model.optimizer`` (pass it, with
      ``params=model.params``, to continue training in stages).
    - ``learning_rate``: defaults to 0.0075 for a named optimizer; for an optimizer instance,
      ``None`` keeps the instance's own rate.
    - ``mini_batch_size``: ``None`` is full-batch gradient descent, and so is any size ≥ m
      (the size is clamped to m: one step per epoch, no shuffling); otherwise the examples
      are reshuffled every epoch and the last batch holds the ``m mod size`` rest.
    - ``lambd``: L2 strength (on the weights ``W`` only); ``keep_prob``: inverted-dropout keep
      probability on hidden layers.
    - ``batch_norm``: ``True`` normalises every hidden layer's pre-activations over the
      mini-batch (the course's week 3: ``W{l}``, ``gamma{l}``, ``beta{l}``, no ``b{l}``;
      running mean and variance with momentum 0.9 in ``Model.stats``, which inference uses);
      or one bool per layer (never the output layer). With ``params=``, the running statistics
      start afresh (means 0, variances 1); ``resume=`` restores them.
    - ``seed``: one seed for the initial weights, the batch order and the dropout masks; the
      same seed gives the same run on every backend.
    - ``backend``/``device``: where to train (``None`` infers it from ``X`` and ``Y``, which
      must then come from one library); ``dtype``: ``"float32"`` or ``"float64"``.
    - ``params``: start from these parameters instead of initialising (training in stages);
      they are moved to the backend of the data.
    - ``lr_schedule``: ``schedule(lr0, epoch) -> lr``, e.g. :class:`xpnet.InverseTimeDecay`.
    - ``callback(epoch, cost)``: called after every completed epoch; returning ``False`` (or
      raising :class:`xpnet.StopTraining`) ends training there.
    - ``callbacks``: a function ``f(epoch, logs)``, an object with ``on_epoch_end(epoch,
      logs)``, or a list of them, called after every completed epoch with the epoch's row of
      ``model.history`` as a dict; returning ``False`` or raising :class:`xpnet.StopTraining`
      ends training normally after that epoch. Any other exception propagates with the model
      trained so far (through that epoch) as its ``.model`` and the epoch as ``.epoch``
      (a checkpoint, when asked for, is written first).
    - ``validation_data=(X_val, Y_val)`` or ``(X_val, Y_val, sample_weight_val)``, or
      ``validation_split=f``: the last holds out a fraction ``f`` of ``X``, drawn with
      ``seed`` and stratified by class for classification. The validation cost (the loss
      without the L2 term), the validation metric and the training metric (accuracy for
      sigmoid/softmax outputs, R² for a linear one) are computed on the device every
      ``validation_every`` epochs and at the last epoch, with one read per evaluation.
    - ``model.history``: one list per key, one entry per epoch: ``epoch``, ``cost``,
      with validation ``accuracy``/``r2``, ``val_cost``, ``val_accuracy``/``val_r2``
      (``None`` at epochs not evaluated), ``learning_rate`` and ``seconds``.
    - ``early_stopping``: stop when ``monitor`` has not improved by more than ``tol`` for more
      than ``n_iter_no_change`` consecutive evaluations (scikit-learn's rule). ``monitor``
      defaults to ``"val_cost"`` with validation data, else ``"cost"``; ``"val_accuracy"``,
      ``"accuracy"`` (or ``"val_r2"``, ``"r2"``) are maximised.
    - ``restore_best``: return the parameters of the best epoch by ``monitor`` (the history
      keeps every epoch; ``model.config["best_epoch"]`` says which); ``save_best``: a model
      file (``xpnet.load``) rewritten whenever ``monitor`` reaches a new best.
    - ``verbose``: 0 silent; 1 a progress bar (tqdm, on stderr, only on a terminal) made
      before the first epoch and advanced within epochs of several batches; 2 one line per
      epoch on stdout. Costs show 4 significant digits.
    - ``shuffle``: reshuffle the examples every epoch (mini-batches only); ``False`` takes
      them in order.
    - ``sample_weight`` (m,) and, for classification, ``class_weight`` (``{class index:
      weight}`` or ``"balanced"``): the cost is the weighted mean ``Σ wᵢ Lᵢ / Σ wᵢ`` and its
      gradient the gradient of that, so unit weights change nothing and zero weights drop
      examples. Weights are normalised to mean 1 over the training set; a mini-batch's cost is
      ``Σ_batch wᵢ Lᵢ / m_b`` (scikit-learn divides by the batch's own weight sum instead;
      both are the same for a full batch).
    - ``engine``: ``"generic"`` is the Array-API reference step; ``"auto"`` picks a
      backend-specific fast path when one exists for this configuration (see :mod:`xpnet.engines`).
    - ``on_nan``: when the cost, the parameters or the optimizer's state (Adam's moments)
      become NaN or infinite at some epoch,
      ``"raise"`` (the default) raises :class:`DivergenceError` (a ``FloatingPointError``)
      whose ``.model`` holds the last parameters known to give a finite cost; ``"stop"``
      warns and returns that model instead.
    - ``checkpoint``: a file (checked to be writable before training starts) that receives
      the parameters, the optimizer state, the random state and the costs every
      ``checkpoint_every`` epochs and whenever training ends (normally, by divergence or by
      Ctrl-C).
    - ``resume``: a checkpoint to continue from; ``num_epochs`` counts from the very start, so
      ``train(..., num_epochs=10, resume=path)`` after a checkpoint at epoch 5 runs epochs
      5–9 and matches a 10-epoch run bit for bit. The network, optimizer (with its betas and
      epsilon) and dtype must be the ones of the checkpoint, and ``num_epochs`` at least its
      epochs (a ``ValueError`` names the setting that differs); ``seed`` and ``init`` are not
      used.

    - ``threads``: BLAS threads for this run (set with ``threadpoolctl`` and restored when it
      ends). ``None`` lets xpnet choose: one thread for products too small to share, else
      the fastest of one and several counts, timed on the first steps and again every 30 s,
      because on a busy machine several BLAS threads make every product wait for a
      descheduled one (see :mod:`xpnet.threads`). ``Model.config["threads"]`` records what was
      used.
    - ``streaming``: training data larger than memory (:mod:`xpnet.streaming`). ``X`` may be
      an array that stays on disk: an h5py ``Dataset``, a NumPy ``memmap``, a Zarr array (all
      ``(features, examples)``; a ``dask.array`` with ``streaming=True``) or
      :class:`xpnet.DiskArray` (also for files that hold one example after another).
      ``None`` streams such arrays: mini-batches are read, shuffled within windows of blocks
      (``xpnet.Streaming`` tunes that) by a background thread ahead of the step, and moved to
      the device; ``Y`` and the weights are read into memory. ``True`` streams in-memory
      arrays as well, ``False`` reads on-disk arrays into memory first. Streamed runs do not
      take ``validation_split`` (pass ``validation_data``, which is held in memory) and
      record no training metric; ``Model.config["streaming"]`` says how the data were read.

    Bad arguments raise ``TypeError`` or ``ValueError`` naming the argument before any work
    is done. Ctrl-C (``KeyboardInterrupt``) returns the model of the last completed epoch
    with a warning.
    """
    arch = Architecture.of(layer_dims, activations, batch_norm)
    dims, acts = list(arch.layer_dims), list(arch.acts)
    keep_prob = check_keep_prob(keep_prob)
    lambd = check_nonnegative("lambd", lambd)
    num_epochs = check_int("num_epochs", num_epochs, minimum=0)
    print_every = check_int("print_every", print_every, minimum=1)
    init = check_choice("init", init, INITS)
    on_nan = check_choice("on_nan", on_nan, ON_NAN)
    check_callable("lr_schedule", lr_schedule)
    check_callable("callback", callback)
    user_callbacks = check_callbacks(callbacks)
    check_monitor(monitor, arch.output, validation_data is not None or validation_split is not None)
    check_save_best(save_best)
    validation_every = check_int("validation_every", validation_every, minimum=1)
    n_iter_no_change = check_int("n_iter_no_change", n_iter_no_change, minimum=1)
    tol = check_nonnegative("tol", tol)
    verbose = check_int("verbose", verbose, minimum=0)
    if verbose > 2:
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose}")
    every = _check_checkpointing(checkpoint, checkpoint_every, resume, params)
    threads = check_threads(threads)
    settings = stream_settings(check_streaming(streaming), X)
    if settings is None:
        X = read_whole(X)
    elif monitor in ("accuracy", "r2"):
        raise ValueError(f"monitor={monitor!r} needs the training metric, which streamed "
                         "training does not compute (it would take a pass over the data on "
                         "disk); monitor 'cost' or a validation metric")
    rng = RandomState(seed)
    be = _data_backend(backend, device, X if settings is None else None, Y)
    dt = be.dtype(dtype)
    opt = _optimizer_copy(optimizer, learning_rate, arch)
    lr0 = opt.learning_rate
    _check_fits(arch, be, dt, opt)

    stream: StreamedData | None = None
    if settings is not None:
        stream, val_eval = _streamed(be, arch, dt, X, Y, mini_batch_size, settings,
                                     validation_data, validation_split, sample_weight,
                                     class_weight)
        X_d = Y_d = w_d = train_eval = None
        m, batch = stream.m, stream.batch
        weighted = stream.w is not None
    else:
        X_d, Y_d = _training_data(be, X, Y, arch, dt)
        data = _held_out(be, arch, dt, X_d, Y_d, seed, validation_data, validation_split,
                         sample_weight, class_weight)
        X_d, Y_d, w_d = data.X, data.Y, data.w
        val_eval, train_eval = data.val_eval, data.train_eval
        del data
        m = X_d.shape[1]
        batch = _check_batch_size(mini_batch_size, m)
        weighted = w_d is not None
    if arch.has_batch_norm and batch < 2:
        raise ValueError(
            f"batch_norm needs mini-batches of at least 2 examples (the variance of one example "
            f"is 0, so its normalised value is always 0); got mini_batch_size={batch}"
        )
    act_names = [a.name for a in acts]

    saved = None
    stats = None
    origin = "checkpoint" if resume is not None else init if params is None else "params="
    if resume is not None:
        saved = load_checkpoint(resume)
        saved.check_compatible(dims, act_names, opt.name, dtype_name(dt), list(arch.batch_norm))
        saved.check_resumable(num_epochs, opt.hyperparameters())
        params = saved.params_on(be)
        stats = saved.stats_on(be)
    elif params is None:
        params = initialize_parameters(dims, init, seed=rng, dtype=dt, backend=be,
                                       batch_norm=list(arch.batch_norm))
    else:
        params = _user_params(be, params, arch, dt)

    config = {
        "optimizer": opt.name, **opt.hyperparameters(), "learning_rate": lr0,
        "num_epochs": num_epochs, "mini_batch_size": batch, "init": origin, "lambd": lambd,
        "keep_prob": keep_prob, "batch_norm": list(arch.batch_norm), "seed": seed,
        "backend": be.name,
        "lr_schedule": repr(lr_schedule) if lr_schedule else None,
    }
    model = Model(params=params, activations=act_names, layer_dims=dims,
                  backend=be, dtype=dtype_name(dt), config=config, optimizer=opt)

    eng = make_engine(engine, be, params, arch, opt, lambd=lambd, keep_prob=keep_prob, rng=rng,
                      weighted=weighted, stats=stats)
    if stream is None:
        eng.load_data(X_d, Y_d, w_d)
    else:  # the engine gets one mini-batch at a time (engines.run_streamed_epoch)
        model.config["streaming"] = stream.describe(bool(shuffle))
    # from here on the engine holds the only copy of the training data (and, with validation,
    # the evaluator that measures the training metric)
    del X_d, Y_d, w_d
    model.config["engine"] = eng.name
    model.stats = eng.stats
    if saved is not None:
        _continue_from(saved, eng, rng, model)

    mon = Monitor(eng=eng, model=model, output=arch.output, train_eval=train_eval,
                  val_eval=val_eval, validation_every=validation_every,
                  num_epochs=num_epochs, early_stopping=bool(early_stopping),
                  n_iter_no_change=n_iter_no_change, tol=tol, monitor=monitor,
                  restore_best=bool(restore_best), save_best=save_best,
                  callbacks=user_callbacks, legacy_callback=callback, verbose=verbose,
                  batches=-(-m // batch))

    def report(epoch: int, cost: float, seconds: float) -> bool:
        if print_cost and (epoch % print_every == 0 or epoch == num_epochs - 1):
            print(f"Cost after epoch {epoch}: {cost:.6f}")
        return mon.end_epoch(epoch, cost, opt.learning_rate, seconds)

    policy = Threads.for_run(threads, be.name, dims, batch)
    loop = _Loop(eng, model, rng, m, batch, lr0, lr_schedule, on_nan, checkpoint, every,
                 mon, bool(shuffle), policy, stream)
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
                 checkpoint: str | os.PathLike | None, every: int | None, monitor: Monitor,
                 shuffle: bool, threads: Threads | None = None,
                 stream: StreamedData | None = None) -> None:
        self.eng, self.model, self.rng = eng, model, rng
        self.stream = stream
        self.monitor, self.shuffle = monitor, shuffle
        self.threads = threads
        self.opt = model.optimizer
        self.m, self.batch = m, batch
        self.lr0, self.lr_schedule = lr0, lr_schedule
        self.on_nan = on_nan
        self.checkpoint, self.every = checkpoint, every
        self.marks: list[tuple[Any, dict, int]] = []
        self.saved_at = -1

    def run(self, num_epochs: int, report: Callable[[int, float, float], bool]) -> None:
        self._mark()
        self.monitor.begin(self.completed)
        try:
            for epoch in range(self.completed, num_epochs):
                start = time.perf_counter()
                cost, params_finite, state_finite = self._epoch(epoch)
                seconds = time.perf_counter() - start
                if not (math.isfinite(cost) and params_finite and state_finite):
                    self._diverged(epoch, cost, params_finite)
                    return
                self.model.costs.append(cost)
                self._mark()
                if self.every and self.completed % self.every == 0:
                    self._save()
                try:
                    stop = report(epoch, cost, seconds)
                except Exception as exc:  # a callback's: keep the model on the error
                    self._save()
                    _attach_model(exc, self.model, epoch, self._saved_note())
                    raise
                if stop:
                    break
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
            self.monitor.close()
            # A fast engine keeps its own copy of the optimizer state: hand it back, so that
            # model.optimizer is current however training ended.
            self.opt.load_state_dict(self.eng.state_dict())
        self._save()
        self.monitor.finish()  # may go back to the best epoch's parameters
        self.opt.load_state_dict(self.eng.state_dict())

    def _epoch(self, epoch: int) -> tuple[float, bool, bool]:
        """One pass over the data; ``(cost, whether the parameters and whether the optimizer
        state are still finite)``."""
        if self.lr_schedule is not None:
            self.opt.learning_rate = check_positive(
                f"lr_schedule(lr0, {epoch})", self.lr_schedule(self.lr0, epoch))
        if self.stream is not None:
            total = run_streamed_epoch(self.eng, self.stream, self.rng, shuffle=self.shuffle,
                                       on_batch=self.monitor.on_batch, threads=self.threads)
        else:
            total = run_epoch(self.eng, self.rng, self.m, self.batch, shuffle=self.shuffle,
                              on_batch=self.monitor.on_batch, threads=self.threads)
        xp = self.eng.backend.xp
        finite = _all_finite(xp, [*self.eng.params.values(), *self.eng.stats.values()])
        state = self.eng.state_dict()
        state_finite = _all_finite(xp, [a for slot in state.values() if isinstance(slot, dict)
                                        for a in slot.values()])
        cost = float(total) / self.m  # the one host synchronisation of the epoch
        return cost, bool(finite), state_finite is None or bool(state_finite)

    @property
    def completed(self) -> int:
        return len(self.model.costs)

    def _mark(self) -> None:
        """Remember the state after the epochs completed so far (and the one before)."""
        self.marks = [*self.marks[-1:], (self.eng.snapshot(), self.rng.get_state(),
                                         self.completed)]
        self.model.params = self.eng.params
        self.model.stats = self.eng.stats

    def _back_to(self, mark: tuple[Any, dict, int]) -> None:
        engine_state, rng_state, completed = mark
        self.eng.restore(engine_state)
        self.rng.set_state(rng_state)
        self.model.params = self.eng.params
        self.model.stats = self.eng.stats
        del self.model.costs[completed:]

    def _diverged(self, epoch: int, cost: float, params_finite: bool = True) -> None:
        """Go back to the last parameters known to give a finite cost, then stop or raise.

        When the cost of ``epoch`` is not finite, the parameters it started from (after the
        last completed epoch) are finite but already give an overflowing forward pass, so the
        model goes back one epoch further, to the parameters whose cost was finite.
        """
        cost_finite = math.isfinite(cost)
        self._back_to(self.marks[-1] if cost_finite else self.marks[0])
        self._save()
        what = (f"the cost became {cost}" if not cost_finite
                else "the parameters became NaN or infinite" if not params_finite
                else f"the optimizer's state ({self.opt.name}'s moments) overflowed")
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


def _attach_model(exc: Exception, model: Model, epoch: int, note: str) -> None:
    """Give a callback's exception the model trained through ``epoch`` (as
    :class:`DivergenceError` has it), and say so in its notes."""
    try:
        exc.model = model  # type: ignore[attr-defined]
        exc.epoch = epoch  # type: ignore[attr-defined]
    except AttributeError:  # an exception type with __slots__: the note still tells
        pass
    exc.add_note(f"xpnet.train: raised by a callback after epoch {epoch}; the model trained so "
                 f"far is this exception's .model{note}")


@dataclass
class _Data:
    """The training set after the validation split, its weights, and the evaluators."""

    X: Any
    Y: Any
    w: Any
    val_eval: Evaluator | None
    train_eval: Evaluator | None


def _held_out(be: Backend, arch: Architecture, dt: Any, X_d: Any, Y_d: Any, seed: int | None,
              validation_data: Any, validation_split: Any, sample_weight: Any,
              class_weight: Any) -> _Data:
    """Split off the validation set (or check ``validation_data``) and weigh the examples."""
    xp, m = be.xp, X_d.shape[1]
    if validation_data is not None and validation_split is not None:
        raise ValueError("pass validation_data= or validation_split=, not both")
    needs_labels = class_weight is not None or validation_split is not None
    labels = class_labels(xp, Y_d, arch.output) if needs_labels else None
    w = example_weights(be, sample_weight, class_weight, labels, m, dt, arch.output)
    if validation_split is not None:
        train_idx, val_idx = split_indices(m, validation_split, labels, RandomState(seed))
        it, iv = be.asarray(train_idx), be.asarray(val_idx)
        X_v, Y_v = xp.take(X_d, iv, axis=1), xp.take(Y_d, iv, axis=1)
        w_v = None if w is None else xp.take(w, iv, axis=1)
        X_d, Y_d = xp.take(X_d, it, axis=1), xp.take(Y_d, it, axis=1)
        w = None if w is None else xp.take(w, it, axis=1)
    elif validation_data is not None:
        X_v, Y_v, w_v = _validation_data(be, arch, dt, validation_data)
    else:
        return _Data(X_d, Y_d, normalised(be, w), None, None)
    w, w_v = normalised(be, w), normalised(be, w_v, "the validation examples' sample_weight")
    return _Data(X_d, Y_d, w, Evaluator(be, arch, X_v, Y_v, w_v),
                 Evaluator(be, arch, X_d, Y_d, w))


def _validation_data(be: Backend, arch: Architecture, dt: Any, value: Any
                     ) -> tuple[Any, Any, Any]:
    """``validation_data=(X_val, Y_val[, sample_weight_val])`` checked like ``X`` and ``Y``."""
    if not isinstance(value, (tuple, list)) or len(value) not in (2, 3):
        raise TypeError("validation_data must be a tuple (X_val, Y_val) or (X_val, Y_val, "
                        f"sample_weight_val), got {type(value).__name__}")
    try:
        X_v, Y_v = _training_data(be, read_whole(value[0]), value[1], arch, dt)
        w = None if len(value) == 2 else example_weights(
            be, value[2], None, None, X_v.shape[1], dt, arch.output)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"validation_data: {exc}") from None
    return X_v, Y_v, w


def _continue_from(saved: Checkpoint, eng: Engine, rng: RandomState, model: Model) -> None:
    """Put the optimizer state, random state and cost history of ``saved`` back."""
    eng.load_state_dict(saved.optimizer_state_on(eng.backend))  # stats went to the engine
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
    moved to the device but not rearranged, nor (a NumPy array on NumPy) converted: the engine
    lays it out in the training dtype as it needs, in one copy.
    """
    xp = be.xp
    dims = arch.layer_dims
    X_d = as_training_data(be, "X", X, dt)
    check_input_rows(X_d, dims[0], "layer_dims[0]")
    m = check_examples(X_d)
    check_finite_as(xp, "X", X_d, dt)
    return X_d, _targets(be, Y, arch, dt, m)


def _targets(be: Backend, Y: Any, arch: Architecture, dt: Any, m: int) -> Any:
    """The targets ``Y`` (n_y, m) on ``be`` after every check (integer class labels for a
    softmax output one-hot encoded)."""
    xp = be.xp
    dims, output = arch.layer_dims, arch.output
    Y_d = as_data(be, "Y", read_whole(Y))  # the targets of a streamed run are read into memory
    if Y_d.ndim == 1 and is_label_row(Y_d, output, dims[-1]):
        Y_d = xp.reshape(Y_d, (1, -1))
    check_matrix("Y", Y_d, "outputs, examples")
    check_columns(Y_d, m, dims[-1])
    check_targets(xp, Y_d, output, dims[-1])
    if is_label_row(Y_d, output, dims[-1]):
        return one_hot(Y_d, dims[-1], dtype=dt, backend=be)
    return as_data(be, "Y", Y_d, dt)


def _streamed(be: Backend, arch: Architecture, dt: Any, X: Any, Y: Any, mini_batch_size: Any,
              settings: Streaming, validation_data: Any, validation_split: Any,
              sample_weight: Any, class_weight: Any) -> tuple[StreamedData, Evaluator | None]:
    """The training set of a streamed run (``X`` on disk, the rest checked and in host memory)
    and the validation evaluator."""
    source = DiskArray(X) if not isinstance(X, DiskArray) else X
    if source.n != arch.layer_dims[0]:
        hint = ("; if its examples are along the first axis, pass "
                "xpnet.DiskArray(X, examples_axis=0)"
                if not source.examples_first and source.m == arch.layer_dims[0] else "")
        raise ValueError(f"X has {source.n} features per example (shape "
                         f"{tuple(source.array.shape)}, read as (features, examples)) but "
                         f"layer_dims[0] is {arch.layer_dims[0]}{hint}")
    if validation_split is not None:
        raise ValueError("validation_split needs X in memory; for streamed X pass "
                         "validation_data=(X_val, Y_val), which is held in memory")
    host = get_backend("numpy")
    hdt = host.dtype(dtype_name(dt))
    m = source.m
    Y_h = _targets(host, Y, arch, hdt, m)
    labels = class_labels(host.xp, Y_h, arch.output) if class_weight is not None else None
    w = normalised(host, example_weights(host, sample_weight, class_weight, labels, m, hdt,
                                         arch.output))
    val_eval = None
    if validation_data is not None:
        X_v, Y_v, w_v = _validation_data(be, arch, dt, validation_data)
        val_eval = Evaluator(be, arch, X_v, Y_v, normalised(
            be, w_v, "the validation examples' sample_weight"))
    batch = _check_batch_size(mini_batch_size, m)
    if batch >= m and m > 1:
        raise ValueError(f"streamed training needs mini-batches: mini_batch_size="
                         f"{mini_batch_size} is the whole of X ({m} examples), which one step "
                         "would hold in memory at once; pass a mini_batch_size below m, or "
                         "streaming=False to read X into memory")
    if arch.has_batch_norm and batch < 2:
        raise ValueError("batch_norm needs mini-batches of at least 2 examples")
    return StreamedData(source, Y_h, w, hdt, batch, settings), val_eval


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
    if checkpoint is not None:
        check_writable(checkpoint, "checkpoint")
    if resume is not None and params is not None:
        raise ValueError("pass either params= or resume=, not both: resume= restores the "
                         "parameters from the checkpoint")
    if checkpoint_every is None:
        return None
    if checkpoint is None:
        raise ValueError("checkpoint_every needs checkpoint='path' to know where to save")
    return check_int("checkpoint_every", checkpoint_every, minimum=1)


def _optimizer_copy(optimizer: Any, learning_rate: float | None, arch: Architecture
                    ) -> Optimizer:
    """The optimizer to train with: a new one for a name; for an instance, a copy of it and
    of its state (so training in stages continues the moments), which training changes while
    the caller's instance stays as it was. A state for another network is refused."""
    if not isinstance(optimizer, Optimizer):
        return get_optimizer(optimizer, DEFAULT_LEARNING_RATE if learning_rate is None
                             else learning_rate)
    state = optimizer.state_dict()  # new dicts holding the (never updated in place) arrays
    for slot, arrays in state.items():
        if not isinstance(arrays, dict) or not arrays:
            continue
        shapes = {k: tuple(v.shape) for k, v in arrays.items()}
        if shapes != arch.param_shapes:
            raise ValueError(
                f"optimizer holds a state ({slot!r}) for another network, with shapes {shapes}"
                f"; layer_dims {list(arch.layer_dims)} needs {arch.param_shapes}. Pass a new "
                f"{type(optimizer).__name__}(...) (or the optimizer of a model of this network)"
            )
    opt = copy.copy(optimizer)
    opt.load_state_dict(state)
    return get_optimizer(opt, learning_rate)


def _check_fits(arch: Architecture, be: Backend, dt: Any, opt: Optimizer) -> None:
    """A ``ValueError`` before anything is allocated when the parameters, their gradients and
    the optimizer's moments alone would not fit in the device's memory."""
    copies = 2 + len(opt.state_dict()) - 1
    need = arch.num_parameters * copies * (8 if dtype_name(dt) == "float64" else 4)
    have = be.library.memory_bytes(be.device)
    if have is not None and need > have:
        raise ValueError(
            f"layer_dims {list(arch.layer_dims)} has {arch.num_parameters:,} parameters: "
            f"training needs at least {need / 2**30:,.1f} GiB ({dtype_name(dt)} parameters, "
            f"gradients and {opt.name}'s state) but the device has {have / 2**30:,.1f} GiB"
        )


def _check_batch_size(mini_batch_size: Any, m: int) -> int:
    """The batch size; ``None`` or a size above ``m`` means full batch (one step per epoch)."""
    if mini_batch_size is None:
        return m
    return min(check_int("mini_batch_size", mini_batch_size, minimum=1), m)
