"""Hyperparameter search as the course teaches it (Improving Deep Neural Networks, week 3).

:func:`search` samples hyperparameters at random (never a grid), trains one network per trial
with validation data and early stopping, scores it on the validation set, and after each round
zooms into the region of the best trials (coarse to fine). Trials run in parallel on
``dask.distributed`` (a local cluster of processes by default, or an existing one with
``scheduler="tcp://host:8786"``) or one after another in this process (``scheduler="serial"``).

The ranges (:class:`LogUniform`, :class:`Uniform`, :class:`IntUniform`, :class:`PowerOfTwo`,
:class:`OneMinusLogUniform`, :class:`Choice`) sample on the scale the course recommends: the
learning rate and L2 strength uniformly in their exponent, momentum and Adam's β as
``1 − 10^u``, widths and depth as integers, mini-batch sizes as powers of two.

Every finished trial is appended at once, as one JSON line, to ``results=`` (and flushed to
disk), so a search that is interrupted or crashes resumes where it stopped: the trials are
drawn from ``seed`` alone, and the ones already in the file are not run again.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .validation import check_choice, check_int, did_you_mean

#: Keys of a search space that are not arguments of :func:`xpnet.train`: the hidden layers
#: (``depth`` layers of ``width`` units) and the optimizer's hyperparameters.
NETWORK_KEYS = ("depth", "width")
OPTIMIZER_KEYS = ("beta", "beta1", "beta2", "epsilon")
#: What a trial may be scored by, and whether larger is better.
SCORES = {"val_cost": False, "val_accuracy": True, "val_r2": True}
#: Arguments of ``train`` that the search sets itself for every trial.
MANAGED = ("X", "Y", "layer_dims", "validation_data", "validation_split", "early_stopping",
           "monitor", "restore_best", "seed", "on_nan", "checkpoint", "resume", "save_best",
           "verbose", "print_cost")
SCHEDULERS = ("local", "serial")


# -- the ranges ---------------------------------------------------------------------------------


class Range:
    """A hyperparameter sampled at random. ``log`` says whether it is drawn on a log scale (and
    plotted with a log axis)."""

    log = False

    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def zoom(self, values: Sequence[Any]) -> Range:
        """The range narrowed to the region of ``values`` (the best trials'), with a margin of
        a quarter of their spread on each side, within this range."""
        raise NotImplementedError


@dataclass(frozen=True)
class _Interval(Range):
    low: float
    high: float

    def __post_init__(self) -> None:
        name = type(self).__name__
        for bound in (self.low, self.high):
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) \
                    or not math.isfinite(bound):
                raise TypeError(f"{name}(low, high) takes finite numbers, got {bound!r}")
        if not self.low <= self.high:
            raise ValueError(f"{name}: low must be <= high, got {self.low} > {self.high}")
        self._check()

    def _check(self) -> None:
        pass

    # the scale on which the range is uniform
    def _to(self, v: float) -> float:
        return float(v)

    def _from(self, u: float) -> Any:
        return float(u)

    def sample(self, rng: np.random.Generator) -> Any:
        a, b = sorted((self._to(self.low), self._to(self.high)))
        return self._from(rng.uniform(a, b))

    def zoom(self, values: Sequence[Any]) -> Range:
        us = [self._to(v) for v in values]
        a, b = sorted((self._to(self.low), self._to(self.high)))
        margin = 0.25 * (max(us) - min(us)) if len(us) > 1 else 0.1 * (b - a)
        lo, hi = max(a, min(us) - margin), min(b, max(us) + margin)
        ends = sorted((self._from(lo), self._from(hi)))
        return type(self)(ends[0], ends[1])


class Uniform(_Interval):
    """A float drawn uniformly in ``[low, high]`` (``keep_prob``)."""


class LogUniform(_Interval):
    """A float whose log10 is uniform: ``LogUniform(1e-4, 1)`` gives as many rates in
    [1e-4, 1e-3] as in [0.1, 1] (the learning rate, the L2 strength ``lambd``)."""

    log = True

    def _check(self) -> None:
        if self.low <= 0:
            raise ValueError(f"LogUniform needs low > 0, got {self.low}")

    def _to(self, v: float) -> float:
        return math.log10(v)

    def _from(self, u: float) -> float:
        return float(10.0 ** u)


class OneMinusLogUniform(_Interval):
    """A β in ``[low, high]`` (both < 1) drawn as ``1 − 10^u``: momentum's and Adam's β, where
    0.9 → 0.99 matters as much as 0.99 → 0.999."""

    log = True

    def _check(self) -> None:
        if self.high >= 1:
            raise ValueError(f"OneMinusLogUniform needs high < 1, got {self.high}")

    def _to(self, v: float) -> float:
        return math.log10(1.0 - v)

    def _from(self, u: float) -> float:
        return float(1.0 - 10.0 ** u)


class IntUniform(_Interval):
    """An integer drawn uniformly in ``[low, high]`` (layer widths, depth, epochs)."""

    def _check(self) -> None:
        if self.low != int(self.low) or self.high != int(self.high):
            raise TypeError(f"IntUniform takes integer bounds, got {self.low}, {self.high}")

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(int(self.low), int(self.high) + 1))

    def zoom(self, values: Sequence[Any]) -> Range:
        spread = max(values) - min(values)
        margin = max(1, math.ceil(0.25 * spread))
        return IntUniform(max(int(self.low), min(values) - margin),
                          min(int(self.high), max(values) + margin))


class PowerOfTwo(_Interval):
    """A power of two in ``[low, high]``, each exponent equally likely (mini-batch sizes)."""

    log = True

    def _check(self) -> None:
        for v in (self.low, self.high):
            if v < 1 or v != int(v) or int(v) & (int(v) - 1):
                raise ValueError(f"PowerOfTwo takes powers of two, got {v}")

    def sample(self, rng: np.random.Generator) -> int:
        a, b = int(self.low).bit_length() - 1, int(self.high).bit_length() - 1
        return 2 ** int(rng.integers(a, b + 1))

    def zoom(self, values: Sequence[Any]) -> Range:
        return PowerOfTwo(max(int(self.low), min(values) // 2), min(int(self.high), max(values) * 2))


@dataclass(frozen=True)
class Choice(Range):
    """One of ``options``, each equally likely (the optimizer, the activation)."""

    options: tuple[Any, ...] = field(default_factory=tuple)

    def __init__(self, options: Iterable[Any]) -> None:
        options = tuple(options)
        if not options:
            raise ValueError("Choice needs at least one option")
        object.__setattr__(self, "options", options)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def zoom(self, values: Sequence[Any]) -> Range:
        return Choice([o for o in self.options if o in values] or self.options)


# -- the search ---------------------------------------------------------------------------------


@dataclass
class SearchResult:
    """The trials of a search, best first (``trials``), and what they were drawn from.

    Each trial is a dict (one line of the results file): ``trial`` (``"r0-t3"``: round 0,
    trial 3), ``params`` (the sampled values), ``seed``, ``status`` (``"ok"``, ``"diverged"``,
    ``"error"`` or ``"failed"`` when its worker died more often than ``retries`` allows),
    ``score`` (the best ``score_by`` over its epochs; ``None`` unless ``"ok"``), ``best_epoch``,
    ``epochs``, ``seconds``, ``attempts`` and ``history`` (per-epoch ``cost`` and validation
    ``val_cost`` / ``val_accuracy`` / ``val_r2``).
    """

    trials: list[dict[str, Any]]
    score_by: str
    space: dict[str, Any]
    fixed: dict[str, Any]

    @property
    def ranged(self) -> dict[str, Range]:
        """The hyperparameters that were sampled (the rest of ``space`` was fixed)."""
        return {n: r for n, r in self.space.items() if isinstance(r, Range)}

    @property
    def best(self) -> dict[str, Any]:
        """The best trial; a ``ValueError`` when no trial finished."""
        if not self.trials or self.trials[0]["status"] != "ok":
            raise ValueError("no trial of the search finished with a score")
        return self.trials[0]

    def train_kwargs(self, trial: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The arguments of :func:`xpnet.train` (besides ``X``, ``Y``) that give ``trial``
        (default: the best) again, with ``layer_dims`` built from ``depth``/``width``."""
        trial = self.best if trial is None else trial
        values = {k: trial["params"][k] if isinstance(r, Range) else r
                  for k, r in self.space.items()}  # fixed values as given, not as stored
        return _train_kwargs({**self.fixed, **values}, trial["n_x"], trial["n_y"], trial["seed"])

    def table(self, top: int | None = 10) -> str:
        """The trials sorted by score as a text table (``top=None``: all of them)."""
        rows = self.trials if top is None else self.trials[:top]
        names = list(self.ranged)
        head = ["trial", self.score_by, "status", "epoch"] + names
        body = [[t["trial"], _fmt(t["score"]), t["status"], str(t.get("best_epoch", ""))]
                + [_fmt(t["params"].get(n)) for n in names] for t in rows]
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True))
                         for r in [head, *body])

    def plot(self, *, path: str | os.PathLike | None = None) -> Any:
        """The score against each sampled hyperparameter (log axes where sampled on a log scale)."""
        from .plots import plot_search_scores

        ok = [t for t in self.trials if t["status"] == "ok"]
        values, log = {}, {}
        for n, r in self.ranged.items():
            if isinstance(r, OneMinusLogUniform):  # β near 1: 1 − β on a log axis
                values[f"1 − {n}"] = [1.0 - t["params"][n] for t in ok]
                log[f"1 − {n}"] = 10
            else:
                values[n] = [t["params"][n] for t in ok]
                log[n] = 2 if isinstance(r, PowerOfTwo) else 10 if r.log else 0
        return plot_search_scores(values, [t["score"] for t in ok], log=log,
                                  score_name=self.score_by, path=path)

    def plot_curves(self, top: int = 5, *, path: str | os.PathLike | None = None) -> Any:
        """The validation curves (``score_by`` per epoch) of the ``top`` best trials."""
        from .plots import plot_costs

        ok = [t for t in self.trials if t["status"] == "ok"][:top]
        curves = {f'{t["trial"]} ({_fmt(t["score"])})':
                  [v for v in t["history"].get(self.score_by, []) if v is not None] for t in ok}
        fig = plot_costs(curves, title=f"best {len(ok)} trials", path=None)
        fig.axes[0].set_ylabel(self.score_by)
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig


def search(
    X: Any,
    Y: Any,
    space: Mapping[str, Any],
    *,
    n_trials: int | Sequence[int] = 20,
    rounds: int = 1,
    keep: int | None = None,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.2,
    score: str | None = None,
    seed: int = 0,
    results: str | os.PathLike | None = None,
    scheduler: str | None = "local",
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    retries: int = 2,
    progress: bool | None = None,
    **fixed: Any,
) -> SearchResult:
    """Random search over ``space`` for a network on ``X`` (n_x, m) and ``Y`` (n_y, m) (one-hot
    for several classes); returns a :class:`SearchResult`, its trials best first.

    - ``space``: ``{name: value}`` where a value is a range (:class:`LogUniform`,
      :class:`Uniform`, :class:`IntUniform`, :class:`PowerOfTwo`, :class:`OneMinusLogUniform`,
      :class:`Choice`) or a fixed value. Names are arguments of :func:`xpnet.train`
      (``learning_rate``, ``lambd``, ``keep_prob``, ``mini_batch_size``, ``optimizer``,
      ``num_epochs``, ...), ``depth`` and ``width`` (the hidden layers: ``depth`` layers of
      ``width`` units; default one layer of 16), or the optimizer's ``beta``, ``beta1``,
      ``beta2``, ``epsilon``. ``**fixed`` takes more fixed ``train`` arguments.
    - ``n_trials``: trials per round (or one number per round); ``rounds``: coarse to fine,
      each round after the first samples within the region of the ``keep`` best trials so far
      (default a quarter of the round's trials, at least 2).
    - ``validation_data=(X_val, Y_val)``, else ``validation_split`` of the examples is held out
      once (stratified, drawn with ``seed``) and is the same for every trial. Every trial
      trains with early stopping on ``score`` and keeps its best epoch.
    - ``score``: ``"val_cost"`` (the default, lower is better), ``"val_accuracy"`` or
      ``"val_r2"`` (higher is better). A diverging trial is recorded as ``"diverged"``.
    - ``seed``: the whole search (the draws, each trial's seed, the split) follows from it.
    - ``results``: a JSON-lines file; each finished trial is appended at once, and the trials
      already there (from an interrupted run of the same search) are not run again.
    - ``scheduler``: ``"local"`` starts a ``dask.distributed`` ``LocalCluster`` of
      ``n_workers`` processes with ``threads_per_worker`` BLAS threads each (default: as many
      workers as cores allow, ``n_workers × threads_per_worker ≤ cores``); an address
      (``"tcp://host:8786"``) or a ``distributed.Client`` uses an existing cluster;
      ``"serial"`` runs the trials one by one in this process (no Dask needed). The data is
      sent to the workers once. A trial whose worker dies is run again, at most ``retries``
      times, and the search goes on.
    - ``progress``: a progress bar on stderr (tqdm); ``None``: only on a terminal.
    """
    space = dict(_check_space(space, fixed))
    rounds = check_int("rounds", rounds, minimum=1)
    counts = _check_counts(n_trials, rounds)
    retries = check_int("retries", retries, minimum=0)
    score = _check_score(score)
    keep = None if keep is None else check_int("keep", keep, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    data = _split(X, Y, validation_data, validation_split, seed)
    n_x, n_y = data[0].shape[0], data[1].shape[0]
    runner = _runner(scheduler, n_workers, threads_per_worker, retries)

    fingerprint = _fingerprint(space, fixed, seed, score, data)
    done = _read_results(results, fingerprint)
    ranged = {k: v for k, v in space.items() if isinstance(v, Range)}
    bar = _progress(progress, sum(counts))
    trials: list[dict[str, Any]] = []
    try:
        current = dict(ranged)
        for r, count in enumerate(counts):
            if r > 0:
                current = _zoom(ranged, current, trials, score, keep or max(2, counts[r - 1] // 4))
            specs = []
            for i in range(count):
                spec = _draw(space, current, seed, r, i, n_x, n_y, fixed, score)
                previous = done.get(spec["trial"])
                if previous is not None:
                    trials.append(previous)
                    bar.update(1)
                else:
                    specs.append(spec)

            def finished(record: dict[str, Any]) -> None:
                record["search"] = fingerprint
                _append(results, record)
                trials.append(record)
                bar.update(1)

            runner.run(data, specs, finished)
    finally:
        bar.close()
        runner.close()
    if trials and all(t["status"] == "error" for t in trials):
        raise ValueError(f"every trial of the search failed; the first: {trials[0]['error']}")
    return SearchResult(_ranked(trials, score), score, space, dict(fixed))


# -- the pieces ---------------------------------------------------------------------------------


def _train_parameters() -> list[str]:
    from .training import train

    return list(inspect.signature(train).parameters)


def _check_space(space: Any, fixed: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(space, Mapping):
        raise TypeError(f"space must be a dict {{name: range or value}}, got {type(space).__name__}")
    known = [p for p in _train_parameters() if p not in MANAGED] + list(NETWORK_KEYS) \
        + list(OPTIMIZER_KEYS)
    for where, names in (("space", space), ("search", fixed)):
        for name in names:
            if name in MANAGED:
                raise ValueError(f"{where}: {name!r} is set by the search itself for every trial")
            if name not in known:
                raise ValueError(f"{where}: {name!r} is not a hyperparameter of xpnet.train "
                                 f"(nor depth, width, beta, beta1, beta2, epsilon)."
                                 f"{did_you_mean(name, known)}")
    both = set(space) & set(fixed)
    if both:
        raise ValueError(f"{', '.join(sorted(both))} given both in space and as an argument")
    if "optimizer" in space and not isinstance(space["optimizer"], (str, Choice)):
        raise TypeError("optimizer in a search space must be a name or a Choice of names")
    return space


def _check_counts(n_trials: Any, rounds: int) -> list[int]:
    if isinstance(n_trials, Sequence):
        counts = [check_int("n_trials", n, minimum=1) for n in n_trials]
        if len(counts) != rounds and rounds != 1:
            raise ValueError(f"n_trials has {len(counts)} rounds but rounds={rounds}")
        return counts
    return [check_int("n_trials", n_trials, minimum=1)] * rounds


def _check_score(score: Any) -> str:
    if score is None:
        return "val_cost"
    return check_choice("score", score, SCORES)


def _host(name: str, A: Any) -> np.ndarray:
    from .backend import to_numpy

    try:
        A = to_numpy(A)
    except TypeError:
        A = np.asarray(A)
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array in the course's layout "
                         f"({'features' if name.startswith('X') else 'outputs'}, examples), "
                         f"got shape {A.shape}")
    return A


def _split(X: Any, Y: Any, validation_data: Any, fraction: float, seed: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X, Y, X_val, Y_val)`` on the host: the same validation set for every trial."""
    from .evaluation import split_indices
    from .rng import RandomState

    X, Y = _host("X", X), _host("Y", Y)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X has {X.shape[1]} examples (columns) and Y {Y.shape[1]}")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a tuple (X_val, Y_val)")
        return X, Y, _host("X_val", validation_data[0]), _host("Y_val", validation_data[1])
    if Y.shape[0] > 1:
        labels = [int(i) for i in Y.argmax(axis=0)]
    elif np.isin(Y, (0, 1)).all():
        labels = [int(v) for v in Y.reshape(-1)]
    else:
        labels = None
    train_idx, val_idx = split_indices(X.shape[1], fraction, labels, RandomState(seed))
    return X[:, train_idx], Y[:, train_idx], X[:, val_idx], Y[:, val_idx]


def _fingerprint(space: Mapping[str, Any], fixed: Mapping[str, Any], seed: int, score: str,
                 data: Data) -> str:
    """What identifies a search in its results file: its space, its seed, its score, its data
    (training and validation arrays, by content) and its fixed arguments that are plain values."""
    plain = {k: v for k, v in fixed.items() if isinstance(v, (str, int, float, bool, type(None)))}
    digest = hashlib.sha256(repr((sorted((k, repr(v)) for k, v in space.items()),
                                  sorted(plain.items()), seed, score)).encode())
    for A in data:
        digest.update(repr((A.shape, A.dtype.str)).encode())
        digest.update(np.ascontiguousarray(A).data)
    return digest.hexdigest()[:16]


def _draw(space: Mapping[str, Any], current: Mapping[str, Range], seed: int, r: int, i: int,
          n_x: int, n_y: int, fixed: Mapping[str, Any], score: str) -> dict[str, Any]:
    """Trial ``i`` of round ``r``: its sampled values and seed follow from ``(seed, r, i)``
    alone, so a resumed search draws the same trials."""
    rng = np.random.default_rng([seed, r, i])
    params = {}
    for name, value in space.items():
        params[name] = _plain(current[name].sample(rng)) if name in current else value
    return {"trial": f"r{r}-t{i}", "round": r, "index": i,
            "seed": int(rng.integers(2**31 - 1)), "params": params, "n_x": n_x, "n_y": n_y,
            "fixed": dict(fixed), "score_by": score}


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _zoom(ranged: Mapping[str, Range], current: Mapping[str, Range], trials: list[dict],
          score: str, keep: int) -> dict[str, Range]:
    best = [t for t in _ranked(trials, score) if t["status"] == "ok"][:keep]
    if not best:
        return dict(current)
    return {n: ranged[n].zoom([t["params"][n] for t in best]) for n in ranged}


def _ranked(trials: list[dict[str, Any]], score: str) -> list[dict[str, Any]]:
    sign = -1.0 if SCORES[score] else 1.0

    def key(t: dict[str, Any]) -> tuple[int, float, int, int]:
        ok = t["status"] == "ok" and t["score"] is not None
        return (0 if ok else 1, sign * t["score"] if ok else 0.0, t["round"], t["index"])

    return sorted(trials, key=key)


def _train_kwargs(values: Mapping[str, Any], n_x: int, n_y: int, seed: int) -> dict[str, Any]:
    """The arguments of ``train`` for one trial's values."""
    kwargs = {k: v for k, v in values.items() if k not in NETWORK_KEYS + OPTIMIZER_KEYS}
    depth, width = int(values.get("depth", 1)), int(values.get("width", 16))
    kwargs["layer_dims"] = [n_x] + [width] * depth + [n_y]
    hyper = {k: values[k] for k in OPTIMIZER_KEYS if k in values}
    if hyper:
        from .optimizers import OPTIMIZERS, get_optimizer

        name = check_choice("optimizer", kwargs.get("optimizer", "adam"), OPTIMIZERS)
        accepted = inspect.signature(OPTIMIZERS[name]).parameters
        # a β drawn for Adam means nothing to plain gradient descent: each takes its own
        kwargs["optimizer"] = get_optimizer(name, **{k: v for k, v in hyper.items()
                                                     if k in accepted})
    kwargs["seed"] = seed
    return kwargs


def run_trial(spec: Mapping[str, Any], X: np.ndarray, Y: np.ndarray, X_val: np.ndarray,
              Y_val: np.ndarray) -> dict[str, Any]:
    """Train one trial and return its record. Runs on a worker; never raises for the trial's
    own failures (divergence, a bad combination of values): they are its status."""
    from .training import DivergenceError, train

    record = {k: spec[k] for k in ("trial", "round", "index", "seed", "params", "n_x", "n_y")}
    score = spec["score_by"]
    # arrays that came over the network can sit at odd addresses (distributed's frames), where
    # every NumPy operation is slow (measured: trials 1.5-3x slower): aligned copies, per trial
    X, Y, X_val, Y_val = (np.require(A, requirements=["A", "C"]) for A in (X, Y, X_val, Y_val))
    start = time.perf_counter()
    try:
        kwargs = _train_kwargs({**spec["fixed"], **spec["params"]}, spec["n_x"], spec["n_y"],
                               spec["seed"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = train(X, Y, validation_data=(X_val, Y_val), early_stopping=True,
                          monitor=score, restore_best=True, **kwargs)
        if any("(KeyboardInterrupt)" in str(w.message) for w in caught):
            raise KeyboardInterrupt  # Ctrl-C stops the search, not only this trial
        status, error = "ok", None
        record["warnings"] = sorted({str(w.message) for w in caught})
    except DivergenceError as exc:
        model, status, error = exc.model, "diverged", str(exc)
    except Exception as exc:  # a trial's own error is its result, not the search's
        model, status = None, "error"
        error = "".join(traceback.format_exception_only(exc)).strip()
    history = {k: [_finite(v) for v in vals] for k, vals in (model.history if model else {}).items()
               if k in ("cost", "val_cost", "val_accuracy", "val_r2")}
    values = [v for v in history.get(score, []) if v is not None]
    best = (max if SCORES[score] else min)(values) if values and status == "ok" else None
    record.update(status=status, score=best, error=error,
                  best_epoch=None if best is None else history[score].index(best),
                  epochs=len(history.get("cost", [])), seconds=time.perf_counter() - start,
                  history=history, worker=f"{os.uname().nodename}:{os.getpid()}")
    return record


def _finite(v: Any) -> Any:
    return None if v is None or not math.isfinite(v) else float(v)


# -- the results file ---------------------------------------------------------------------------


def _read_results(path: str | os.PathLike | None, fingerprint: str) -> dict[str, dict]:
    """The trials already in ``path`` (none when it does not exist); a ``ValueError`` when it
    holds another search's. A line cut short by a crash is ignored (that trial runs again)."""
    if path is None or not os.path.exists(path):
        return {}
    done: dict[str, dict] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # written half when a search was killed: that trial runs again
        if not isinstance(record, dict) or record.get("search") != fingerprint:
            raise ValueError(f"results file {os.fspath(path)!r} holds the trials of another "
                             f"search (another space, seed, score or data); pass a new file "
                             f"to start this one")
        done[record["trial"]] = record
    if lines and not done:
        raise ValueError(f"{os.fspath(path)!r} is not a results file of xpnet.search (no line "
                         f"is a trial); pass a new file")
    return done


def _append(path: str | os.PathLike | None, record: dict[str, Any]) -> None:
    if path is None:
        return
    line = json.dumps(record, allow_nan=False, default=repr)
    with open(path, "a+b") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":  # a line cut short by a crash: start a new one
                f.write(b"\n")
        f.write(line.encode() + b"\n")
        f.flush()
        os.fsync(f.fileno())


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(progress: bool | None, total: int) -> Any:
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="trial", desc="search", file=sys.stderr)


# -- where the trials run -----------------------------------------------------------------------

Data = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Done = Callable[[dict[str, Any]], None]


class _Serial:
    def run(self, data: Data, specs: list[dict], finished: Done) -> None:
        for spec in specs:
            record = run_trial(spec, *data)
            record["attempts"] = 1
            finished(record)

    def close(self) -> None:
        pass


DASK_HINT = 'pip install "xpnet[dask]"  (or pip install "dask[distributed]")'


def _runner(scheduler: Any, n_workers: int | None, threads: int, retries: int) -> Any:
    if isinstance(scheduler, str) and scheduler.lower() == "serial":
        return _Serial()
    if scheduler is not None and not isinstance(scheduler, str) and \
            type(scheduler).__name__ != "Client":
        raise TypeError(f"scheduler must be 'local', 'serial', an address 'tcp://host:8786' or "
                        f"a distributed.Client, got {type(scheduler).__name__}")
    if isinstance(scheduler, str) and "://" not in scheduler and ":" not in scheduler:
        check_choice("scheduler", scheduler, SCHEDULERS)
    threads = check_int("threads_per_worker", threads, minimum=1)
    if n_workers is not None:
        n_workers = check_int("n_workers", n_workers, minimum=1)
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError(f"running trials in parallel needs dask.distributed, which is not "
                          f"installed. Install it with: {DASK_HINT}; or pass "
                          f"scheduler='serial'") from None
    return _Dask(scheduler, n_workers, threads, retries)


def worker_count(n_workers: int | None, threads_per_worker: int) -> int:
    """``n_workers``, or as many as fit in the cores with ``threads_per_worker`` each; a
    warning when the ones asked for do not fit."""
    cores = os.cpu_count() or 1
    if n_workers is None:
        return max(1, cores // threads_per_worker)
    if n_workers * threads_per_worker > cores:
        warnings.warn(f"{n_workers} workers x {threads_per_worker} BLAS threads is more than "
                      f"the {cores} cores: they will slow each other down", UserWarning,
                      stacklevel=4)
    return n_workers


def local_cluster(n_workers: int | None = None, threads_per_worker: int = 1) -> Any:
    """A ``distributed.LocalCluster`` of worker processes on 127.0.0.1 with
    ``n_workers × threads_per_worker ≤ cores`` (one worker thread each, whose BLAS uses
    ``threads_per_worker`` threads)."""
    from distributed import LocalCluster

    n_workers = worker_count(n_workers, threads_per_worker)
    blas = str(threads_per_worker)
    env = {k: blas for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                        host="127.0.0.1", dashboard_address=":0", env=env)


class _Dask:
    """Trials as ``dask.distributed`` tasks; the data scattered to every worker once."""

    def __init__(self, scheduler: Any, n_workers: int | None, threads: int, retries: int) -> None:
        from distributed import Client

        self.cluster = None
        self.own_client = not isinstance(scheduler, Client)
        if isinstance(scheduler, Client):
            self.client = scheduler
        elif scheduler is None or scheduler == "local":
            self.cluster = local_cluster(n_workers, threads)
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler)
        self.retries = retries
        self.data_futures: list[Any] | None = None
        self.scattered_from: Data | None = None

    def _scatter(self, data: Data) -> list[Any]:
        alive = self.data_futures is not None and self.scattered_from is data \
            and all(f.status == "finished" for f in self.data_futures)
        if not alive:
            self.data_futures = self.client.scatter(list(data), broadcast=True, hash=False)
            self.scattered_from = data
        assert self.data_futures is not None
        return self.data_futures

    def run(self, data: Data, specs: list[dict], finished: Done) -> None:
        from distributed import as_completed

        if not specs:
            return
        attempts: dict[str, int] = {}
        pending = as_completed()
        by_future: dict[Any, dict] = {}

        def submit(spec: dict) -> None:
            attempts[spec["trial"]] = attempts.get(spec["trial"], 0) + 1
            fut = self.client.submit(run_trial, spec, *self._scatter(data), pure=False,
                                     key=f"xpnet-trial-{spec['trial']}-{attempts[spec['trial']]}"
                                         f"-{os.urandom(4).hex()}")
            by_future[fut] = spec
            pending.add(fut)

        for spec in specs:
            submit(spec)
        for fut in pending:
            spec = by_future.pop(fut)
            try:
                record = fut.result()
            except Exception as exc:  # the worker died, or the data was lost with it
                if attempts[spec["trial"]] <= self.retries:
                    submit(spec)
                    continue
                record = {k: spec[k] for k in ("trial", "round", "index", "seed", "params",
                                                "n_x", "n_y")}
                record.update(status="failed", score=None, history={}, epochs=0,
                              error=f"{type(exc).__name__}: {exc}")
            record["attempts"] = attempts[spec["trial"]]
            finished(record)

    def close(self) -> None:
        if self.own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
