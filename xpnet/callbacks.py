"""What happens around each epoch of :func:`xpnet.train`: history, validation, early stopping,
the best model, progress display and the user's callbacks.

- :class:`EarlyStopping` is scikit-learn's rule (``tol``, ``n_iter_no_change``): an epoch
  whose monitored value does not beat the best so far by more than ``tol`` counts as "no
  change"; more than ``n_iter_no_change`` of them in a row stop training.
- :class:`Progress` is the ``verbose=`` display: a tqdm bar (1) or one line per epoch (2).
- :class:`Monitor` ties them together for the training loop: after each epoch it evaluates
  (every ``validation_every`` epochs), appends to ``model.history``, keeps the best state,
  updates the display and calls the callbacks; it answers whether training should stop.

A callback is a function ``callback(epoch, logs)`` (or an object with such an
``on_epoch_end`` method); ``logs`` is the epoch's row of ``model.history``. Returning ``False``
or raising :class:`StopTraining` ends training after that epoch, with a normal return.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .engines import Engine
from .evaluation import Evaluator, metric_name, read_metrics
from .model import Model
from .validation import check_choice


class StopTraining(Exception):
    """Raise it in a callback to end training after the current epoch; ``train`` then returns
    the model normally (as ``return False`` from the callback does)."""


class EarlyStopping:
    """scikit-learn's stopping rule on one monitored value (lower is better for ``mode="min"``).

    ``update(value)`` returns whether ``value`` is a new best (strictly better than every
    earlier one). ``stop`` turns true once more than ``n_iter_no_change`` consecutive updates
    failed to beat the best by more than ``tol``.
    """

    def __init__(self, n_iter_no_change: int, tol: float, mode: str = "min") -> None:
        self.n_iter_no_change, self.tol, self.mode = n_iter_no_change, tol, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.no_change = 0

    def update(self, value: float) -> bool:
        sign = 1.0 if self.mode == "min" else -1.0
        if sign * value > sign * self.best - self.tol:
            self.no_change += 1
        else:
            self.no_change = 0
        improved = sign * value < sign * self.best
        if improved:
            self.best = value
        return improved

    @property
    def stop(self) -> bool:
        return self.no_change > self.n_iter_no_change


def _format(value: float) -> str:
    return f"{value:.4g}"


class Progress:
    """``verbose=1``: a tqdm bar over the epochs, created before the first epoch, advanced
    within an epoch of several batches and showing the cost with 4 significant digits; off
    when stderr is not a terminal (or one line per epoch when tqdm is missing).
    ``verbose=2``: one line per epoch on stdout."""

    def __init__(self, verbose: int, num_epochs: int, first_epoch: int, batches: int) -> None:
        self.verbose, self.num_epochs = verbose, num_epochs
        self.bar: Any = None
        self.lines = verbose == 2
        if verbose == 1 and _is_terminal(sys.stderr):
            try:
                from tqdm.auto import tqdm
            except ImportError:
                self.lines = True
            else:
                fmt = None
                if batches > 1:
                    fmt = ("{l_bar}{bar}| {n:.1f}/{total} epochs "
                           "[{elapsed}<{remaining}{postfix}]")
                self.bar = tqdm(total=num_epochs, initial=first_epoch, unit="epoch",
                                file=sys.stderr, dynamic_ncols=True, bar_format=fmt)
        self.done = float(first_epoch)

    def batch(self, i: int, n: int) -> None:
        """Batch ``i`` of ``n`` of the current epoch is done (no device read)."""
        if self.bar is not None and i < n:
            self.bar.update(1.0 / n)

    def epoch(self, epoch: int, logs: dict[str, Any]) -> None:
        shown = {k: v for k, v in logs.items()
                 if k not in ("epoch", "seconds", "learning_rate") and v is not None}
        text = ", ".join(f"{k} {_format(v)}" for k, v in shown.items())
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)
            self.bar.update(epoch + 1 - self.bar.n)
        elif self.lines:
            print(f"epoch {epoch + 1}/{self.num_epochs}  {text.replace(',', ' ')}  "
                  f"({logs['seconds']:.2f} s)", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def check_callbacks(callbacks: Any) -> list[Callable[[int, dict[str, Any]], Any]]:
    """``callbacks`` as a list of functions ``f(epoch, logs)``: a function, an object with
    ``on_epoch_end(epoch, logs)``, or a list of them."""
    if callbacks is None:
        return []
    items = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
    out = []
    for i, cb in enumerate(items):
        fn = getattr(cb, "on_epoch_end", cb)
        if not callable(fn):
            raise TypeError(f"callbacks[{i}] must be a function f(epoch, logs) or an object with "
                            f"on_epoch_end(epoch, logs), got {type(cb).__name__}")
        out.append(fn)
    return out


def check_monitor(monitor: Any, output: str, validating: bool) -> str:
    """What ``monitor=`` names (by default the validation cost with validation data, else the
    training cost): the training cost, and with validation data the validation cost and the
    metric on both sets."""
    metric = metric_name(output)
    if not validating:
        return check_choice("monitor", monitor or "cost", ("cost",), what="available (the "
                            "validation metrics need validation_data or validation_split)")
    return check_choice("monitor", monitor or "val_cost",
                        ("cost", "val_cost", f"val_{metric}", metric))


def check_save_best(save_best: Any) -> None:
    """``save_best``: ``None`` or a file path whose folder exists."""
    if save_best is None:
        return
    if not isinstance(save_best, (str, os.PathLike)):
        raise TypeError(f"save_best must be a file path or None, got {type(save_best).__name__}")
    folder = Path(save_best).parent
    if not folder.is_dir():
        raise ValueError(f"save_best={str(save_best)!r}: the folder {str(folder)!r} does not exist")


class Monitor:
    """Everything :func:`xpnet.train` does between epochs besides the step itself."""

    def __init__(self, *, eng: Engine, model: Model, output: str,
                 train_eval: Evaluator | None, val_eval: Evaluator | None,
                 validation_every: int, num_epochs: int, early_stopping: bool,
                 n_iter_no_change: int, tol: float, monitor: str | None, restore_best: bool,
                 save_best: str | os.PathLike | None,
                 callbacks: Sequence[Callable[[int, dict[str, Any]], Any]],
                 legacy_callback: Callable[[int, float], Any] | None, verbose: int,
                 batches: int) -> None:
        self.eng, self.model = eng, model
        self.train_eval, self.val_eval = train_eval, val_eval
        self.metric = metric_name(output)
        self.every, self.num_epochs = validation_every, num_epochs
        self.monitor = check_monitor(monitor, output, val_eval is not None)
        mode = "min" if self.monitor.endswith("cost") else "max"
        self.rule = EarlyStopping(n_iter_no_change, tol, mode)
        self.early_stopping = early_stopping
        self.restore_best, self.save_best = restore_best, save_best
        self.callbacks, self.legacy_callback = list(callbacks), legacy_callback
        self.best: Any = None
        self.best_epoch: int | None = None
        self.stopped_early = False
        self.verbose, self.batches = verbose, batches
        self.progress: Progress | None = None
        model.history = {}

    def begin(self, first_epoch: int) -> None:
        """Before the first epoch: the progress bar appears now."""
        if self.verbose:
            self.progress = Progress(self.verbose, self.num_epochs, first_epoch, self.batches)

    def on_batch(self, i: int, n: int) -> None:
        if self.progress is not None:
            self.progress.batch(i, n)

    def end_epoch(self, epoch: int, cost: float, learning_rate: float, seconds: float) -> bool:
        """After epoch ``epoch`` (parameters in ``eng``): record, evaluate, decide. Returns
        whether training should stop. Exceptions of the callbacks propagate."""
        logs: dict[str, Any] = {"epoch": epoch, "cost": cost}
        if self.val_eval is not None:
            logs.update(dict.fromkeys((self.metric, "val_cost", f"val_{self.metric}")))
            if (epoch + 1) % self.every == 0 or epoch == self.num_epochs - 1:
                logs.update(self._evaluate())
        logs.update({"learning_rate": learning_rate, "seconds": seconds})
        for key, value in logs.items():
            self.model.history.setdefault(key, []).append(value)
        value = logs[self.monitor]
        if value is not None:
            if self.rule.update(value):
                self._new_best(epoch)
            if self.early_stopping and self.rule.stop:
                self.stopped_early = True
        if self.progress is not None:
            self.progress.epoch(epoch, logs)
        stop = self.stopped_early
        try:
            if self.legacy_callback is not None and self.legacy_callback(epoch, cost) is False:
                stop = True
            for fn in self.callbacks:
                if fn(epoch, dict(logs)) is False:
                    stop = True
        except StopTraining:
            stop = True
        return stop

    def _evaluate(self) -> dict[str, float]:
        assert self.val_eval is not None
        params, stats = self.eng.params, self.eng.stats
        v_loss, v_score = self.val_eval.sums(params, stats)
        named = {"val_loss_sum": v_loss, f"val_{self.metric}": v_score}
        if self.train_eval is not None:
            named[self.metric] = self.train_eval.sums(params, stats)[1]
        values = read_metrics(self.eng.backend, named)  # the one read of this evaluation
        values["val_cost"] = values.pop("val_loss_sum") / self.val_eval.m
        return values

    def _new_best(self, epoch: int) -> None:
        self.best_epoch = epoch
        if self.restore_best:
            self.best = self.eng.snapshot()
        if self.save_best is not None:
            best = dataclasses.replace(self.model, params=dict(self.eng.params),
                                       costs=list(self.model.costs))
            best.config = {**self.model.config, "best_epoch": epoch}
            best.save(self.save_best)

    def finish(self) -> None:
        """After a normal end: record how it ended, and go back to the best epoch if asked."""
        cfg = self.model.config
        cfg["monitor"] = self.monitor
        cfg["best_epoch"] = self.best_epoch
        cfg["stopped_early"] = self.stopped_early
        if self.restore_best and self.best is not None:
            self.eng.restore(self.best)
            self.model.params = self.eng.params

    def close(self) -> None:
        if self.progress is not None:
            self.progress.close()
