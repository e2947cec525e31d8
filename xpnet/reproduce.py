"""The course's published results, reproduced: ``xpnet reproduce NAME`` / :func:`reproduce`.

Each experiment trains the course's own configuration on the shipped data and reports our
accuracies beside the figures the course publishes. Random initialisations differ from the
course's (xpnet draws from NumPy's PCG64, the course from ``np.random.seed``), so small
differences are expected; seeds are not tuned to match.

    python -m xpnet.reproduce cat-4layer              # or: xpnet reproduce cat-4layer
    python -m xpnet.reproduce all --quick --plot out.png
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import datasets
from .backend import BackendUnavailableError
from .initializers import initialize_parameters
from .model import Model
from .rng import RandomState
from .training import train
from .validation import check_choice


@dataclass(frozen=True)
class Variant:
    """One training run of an experiment: its label, the ``xpnet.train`` settings that differ
    from the experiment's, and the accuracies the course reports (``None``: not reported)."""

    label: str
    settings: dict[str, Any]
    course_train: float | None = None
    course_test: float | None = None
    #: weight scale for ``init="random"`` (the course's "large random" uses 10)
    scale: float | None = None
    #: a run shown failing (its cost need not fall; it may diverge and stop early)
    fails: bool = False


@dataclass(frozen=True)
class Experiment:
    """A configuration of the course, the data it trains on and the runs it compares."""

    name: str
    description: str
    data: Callable[[str], datasets.Dataset]
    settings: dict[str, Any]
    variants: tuple[Variant, ...]
    #: what we chose where the course leaves a setting open
    note: str = ""
    #: ``"boundary"`` (2-D points) or the shape of one image (mislabelled grid)
    picture: str | tuple[int, ...] = "boundary"
    quick_epochs: int = 20
    #: (train, test) examples kept by ``quick=True`` (``None``: all)
    quick_examples: tuple[int, int] | None = None
    #: the ``np.random.seed`` the course calls before drawing its initial weights (``None``:
    #: not published), for ``course_init=True``
    course_seed: int | None = None


def _mnist_binary(dtype: str) -> datasets.Dataset:
    return datasets.load_mnist((3, 7), dtype=dtype)


EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    Experiment(
        "cat-2layer", "cat vs non-cat, [12288, 7, 1], GD lr 0.0075, 2500 iterations",
        lambda dt: datasets.load_catvnoncat(dtype=dt),
        dict(layer_dims=[12288, 7, 1], optimizer="gd", learning_rate=0.0075, num_epochs=2500,
             init="random"),
        (Variant("GD", {}, 1.00, 0.72),),
        note="init: N(0, 1) x 0.01, as the course's two-layer model",
        picture=(64, 64, 3), course_seed=1),
    Experiment(
        "cat-4layer", "cat vs non-cat, [12288, 20, 7, 5, 1], GD lr 0.0075, 2500 iterations",
        lambda dt: datasets.load_catvnoncat(dtype=dt),
        dict(layer_dims=[12288, 20, 7, 5, 1], optimizer="gd", learning_rate=0.0075,
             num_epochs=2500, init="xavier"),
        (Variant("GD", {}, 0.986, 0.80),),
        note="init: N(0, 1) / sqrt(n_prev) ('xavier'), as the course's deep model",
        picture=(64, 64, 3), course_seed=1),
    Experiment(
        "mnist-3v7", "MNIST 3 vs 7, [784, 7, 1], mini-batch 128, lr 0.0005",
        _mnist_binary,
        dict(layer_dims=[784, 7, 1], learning_rate=0.0005, mini_batch_size=128, init="he"),
        (Variant("GD, 17 epochs", {"optimizer": "gd", "num_epochs": 17}, None, 0.965),
         Variant("Adam, 5 epochs", {"optimizer": "adam", "num_epochs": 5}, None, 0.970)),
        note="init: He (not stated by the source); label 1 = digit 3",
        picture=(28, 28), quick_epochs=3, quick_examples=(2000, 500)),
    Experiment(
        "init", "circles, [2, 10, 5, 1], GD lr 0.01, 15000 iterations",
        lambda dt: datasets.make_circles(dtype=dt),
        dict(layer_dims=[2, 10, 5, 1], optimizer="gd", learning_rate=0.01, num_epochs=15000),
        (Variant("zeros", {"init": "zeros"}, 0.50, 0.50),
         Variant("random x10", {"init": "random"}, 0.83, 0.86, scale=10.0),
         Variant("He", {"init": "he"}, 0.99, 0.96)),
        note="inits as the course's: zeros, N(0, 1) x 10, N(0, 1) x sqrt(2 / n_prev)",
        quick_epochs=200, course_seed=3),
    Experiment(
        "regularization", "football, [2, 20, 3, 1], GD lr 0.3, 30000 iterations",
        lambda dt: datasets.load_football(dtype=dt),
        dict(layer_dims=[2, 20, 3, 1], optimizer="gd", learning_rate=0.3, num_epochs=30000,
             init="xavier"),
        (Variant("none", {}, None, 0.915),
         Variant("L2, lambda 0.7", {"lambd": 0.7}, None, 0.93),
         Variant("dropout, keep 0.86", {"keep_prob": 0.86}, None, 0.95)),
        note="init: N(0, 1) / sqrt(n_prev), as the course's reg_utils",
        quick_epochs=200, course_seed=3),
    Experiment(
        "optimization", "moons, [2, 5, 2, 1], mini-batch 64, lr 0.0007, 10000 epochs",
        lambda dt: datasets.make_moons(dtype=dt),
        dict(layer_dims=[2, 5, 2, 1], learning_rate=0.0007, mini_batch_size=64,
             num_epochs=10000, init="he"),
        (Variant("GD", {"optimizer": "gd"}, 0.797),
         Variant("momentum, beta 0.9", {"optimizer": "momentum"}, 0.797),
         Variant("Adam", {"optimizer": "adam"}, 0.94)),
        note="init: He, as the course's opt_utils; no test split in the course",
        quick_epochs=20, course_seed=3),
    Experiment(
        "mnist-10", "MNIST 0-9, [784, 128, 64, 10] softmax, Adam lr 0.001, mini-batch 128, "
        "15 epochs",
        lambda dt: datasets.load_mnist(dtype=dt),
        dict(layer_dims=[784, 128, 64, 10], optimizer="adam", learning_rate=0.001,
             mini_batch_size=128, num_epochs=15, init="he"),
        (Variant("Adam", {}),),
        note="not in the course; aim: test >= 97.5 %. Chosen: lr 0.001, 15 epochs, He init",
        picture=(28, 28), quick_epochs=3, quick_examples=(2000, 500)),
    Experiment(
        "batchnorm", "MNIST 0-9, [784, 100 x 6, 10] softmax, mini-batch GD, batch 128, "
        "5 epochs: plain vs batch norm",
        lambda dt: datasets.load_mnist(dtype=dt),
        dict(layer_dims=[784, *[100] * 6, 10], optimizer="gd", mini_batch_size=128,
             num_epochs=5, init="he", on_nan="stop"),
        (Variant("plain, lr 0.1", {"learning_rate": 0.1}),
         Variant("plain, lr 0.6", {"learning_rate": 0.6}, fails=True),
         Variant("batch norm, lr 0.6", {"learning_rate": 0.6, "batch_norm": True})),
        note="not in the course's figures (its week 3): a deeper net at a learning rate that "
        "plain training struggles with (or diverges at: on_nan='stop' keeps the last finite "
        "epoch); batch norm trains at it",
        picture=(28, 28), quick_epochs=2, quick_examples=(2000, 500)),
)}


@dataclass
class RunResult:
    """One variant's outcome: accuracies in [0, 1] (``None`` where there is no such split)."""

    label: str
    train_accuracy: float
    test_accuracy: float | None
    course_train: float | None
    course_test: float | None
    seconds: float
    costs: list[float]
    model: Model = field(repr=False)


@dataclass
class Reproduction:
    """What :func:`reproduce` returns: every run, with the settings it ran under."""

    experiment: Experiment
    runs: list[RunResult]
    backend: str
    dtype: str
    seed: int
    quick: bool
    seconds: float
    #: where the initial weights came from
    initial_weights: str = ""
    plot: Path | None = None

    @property
    def title(self) -> str:
        """``NAME: description``, with the settings that ran (a quick run's epochs)."""
        e = self.experiment
        return f"{e.name}: {as_run(e.description, e, self.quick)}"

    def table(self) -> str:
        """Ours beside the course's, as plain text."""
        e = self.experiment
        mode = "full run"
        if self.quick:
            subset = (f" on the first {e.quick_examples[0]} training and {e.quick_examples[1]} "
                      "test examples" if e.quick_examples else "")
            mode = (f"QUICK smoke run ({e.quick_epochs} epochs{subset}), not the course's "
                    "setting; the course's figures are for its full run")
        lines = [self.title,
                 f"backend {self.backend}, {self.dtype}, seed {self.seed}, {mode}",
                 f"initial weights: {self.initial_weights}",
                 f"{'run':<20} {'train':>7} {'course':>7}   {'test':>7} {'course':>7}  "
                 f"{'seconds':>8}"]
        for r in self.runs:
            lines.append(f"{r.label:<20} {_pct(r.train_accuracy):>7} {_pct(r.course_train):>7}   "
                         f"{_pct(r.test_accuracy):>7} {_pct(r.course_test):>7}  "
                         f"{r.seconds:>8.1f}")
        if e.note:
            lines.append(f"note: {e.note}")
        lines.append(f"wall time {self.seconds:.1f} s (data loading included)")
        if self.plot is not None:
            lines.append(f"pictures: {self.plot}")
        return "\n".join(lines)


def as_run(text: str, exp: Experiment, quick: bool) -> str:
    """A description or a variant's label with the epochs that run: ``"..., 2500 iterations"``
    becomes ``"..., 20 iterations"`` in a quick run."""
    if not quick:
        return text
    return re.sub(r"\b\d+ (iterations|epochs)\b", rf"{exp.quick_epochs} \1", text)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def reproduce(name: str, *, backend: str = "numpy", dtype: str = "float32", seed: int = 0,
              quick: bool = False, plot: str | Path | None = None, course_init: bool = False,
              progress: Callable[[str], Any] | None = None) -> Reproduction:
    """Train experiment ``name`` (see :data:`EXPERIMENTS`) and compare with the course.

    ``quick=True`` is the smoke version: ``quick_epochs`` epochs on (for MNIST) a small subset.
    ``plot``: a PNG path for the cost curves and the decision boundaries or mislabelled test
    images. ``course_init=True`` starts from the course's own initial weights (see
    :class:`CourseDraws`) where the course publishes its seed; ``seed`` still
    drives the mini-batch order and the dropout masks. ``progress(line)`` is called as each run
    ends.
    """
    exp = EXPERIMENTS[check_choice("name", name, EXPERIMENTS)]
    start = time.perf_counter()
    data = exp.data(dtype)
    if quick and exp.quick_examples:
        data = _subset(data, *exp.quick_examples)
    course_init = course_init and exp.course_seed is not None
    runs = []
    for variant in exp.variants:
        runs.append(_run(exp, variant, data, backend=backend, dtype=dtype, seed=seed,
                         quick=quick, course_init=course_init))
        if progress is not None:
            last = f"{runs[-1].costs[-1]:.4f}" if runs[-1].costs else "none (diverged at once)"
            progress(f"  {name} / {runs[-1].label}: done in {runs[-1].seconds:.1f} s, "
                     f"final cost {last}")
    origin = (f"the course's (np.random.seed({exp.course_seed}) then np.random.randn)"
              if course_init else f"xpnet's (seed {seed})")
    result = Reproduction(exp, runs, backend, dtype, seed, quick, 0.0, origin)
    if plot is not None:
        result.plot = Path(plot)
        _draw(result, data, result.plot)
    result.seconds = time.perf_counter() - start
    return result


def _subset(data: datasets.Dataset, m_train: int, m_test: int) -> datasets.Dataset:
    def first(a: Any, m: int) -> Any:
        return np.ascontiguousarray(a[:, :m])  # C order keeps mini-batch gathers cheap

    return data._replace(train_x=first(data.train_x, m_train), train_y=first(data.train_y, m_train),
                         test_x=first(data.test_x, m_test), test_y=first(data.test_y, m_test))


class CourseDraws(RandomState):
    """Normal draws as the course's notebooks make them: ``np.random.seed(seed)`` then
    ``np.random.randn``. Passed as ``seed=`` to :func:`xpnet.initialize_parameters`, it gives
    the course's own initial weights."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self._legacy = np.random.RandomState(seed)  # the generator behind np.random.seed

    def normal(self, shape: tuple[int, ...]) -> np.ndarray:
        return self._legacy.standard_normal(shape)  # what np.random.randn(*shape) draws


def _run(exp: Experiment, variant: Variant, data: datasets.Dataset, *, backend: str,
         dtype: str, seed: int, quick: bool, course_init: bool) -> RunResult:
    settings = {**exp.settings, **variant.settings}
    if quick:
        settings["num_epochs"] = exp.quick_epochs
    t0 = time.perf_counter()
    dims, scale = settings["layer_dims"], variant.scale or 0.01
    if course_init or variant.scale is not None:
        draws = CourseDraws(exp.course_seed) if exp.course_seed is not None and course_init else seed
        settings["params"] = initialize_parameters(dims, settings.pop("init"), seed=draws,
                                                   scale=scale, dtype=dtype, backend=backend)
    model = train(data.train_x, data.train_y, seed=seed, dtype=dtype, backend=backend,
                  **settings)
    train_acc = model.evaluate(data.train_x, data.train_y)
    test_acc = None if data.test_x is None else model.evaluate(data.test_x, data.test_y)
    return RunResult(as_run(variant.label, exp, quick), train_acc, test_acc, variant.course_train,
                     variant.course_test, time.perf_counter() - t0, list(model.costs), model)


def _draw(result: Reproduction, data: datasets.Dataset, path: Path) -> None:
    """One PNG: the cost curves above, the decision boundaries or mislabelled images below."""
    from . import plots

    exp = result.experiment
    boundary = exp.picture == "boundary"
    assert data.train_x is not None and data.train_y is not None  # every experiment trains
    fig = plots._figure((4.2 * len(result.runs) if boundary else 10, 8 if boundary else 9))
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.1 if boundary else 1.4])
    plots.plot_costs({r.label: r.costs for r in result.runs}, ax=top.add_subplot(),
                     title=result.title,
                     xlabel="epoch" if exp.settings.get("mini_batch_size") else "iteration")
    if boundary:
        for k, r in enumerate(result.runs):
            ax = bottom.add_subplot(1, len(result.runs), k + 1)
            plots.plot_decision_boundary(r.model, data.train_x, data.train_y, ax=ax,
                                         title=f"{r.label}: train {_pct(r.train_accuracy)}")
    else:
        assert data.test_x is not None and data.test_y is not None
        assert isinstance(exp.picture, tuple)  # an image shape, where not "boundary"
        last = result.runs[-1]
        plots.plot_mislabelled(data.test_x, data.test_y, last.model.predict(data.test_x),
                               image_shape=exp.picture, classes=data.classes, fig=bottom,
                               title=f"{last.label}, test set")
    fig.savefig(path, dpi=80)


# -- command line -----------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``xpnet reproduce``."""
    parser.add_argument("name", metavar="NAME", choices=[*EXPERIMENTS, "all"],
                        help=f"experiment: {', '.join(EXPERIMENTS)} or all")
    parser.add_argument("--backend", default="numpy",
                        help="numpy (default), array_api_strict, torch, jax or cupy")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights, the "
                        "mini-batch order and the dropout masks (default 0)")
    parser.add_argument("--plot", metavar="PATH", help="write the pictures to this PNG "
                        "(with NAME all: one file per experiment, PATH-NAME.png)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke version: a few epochs (and a subset of MNIST)")
    parser.add_argument("--course-init", action="store_true",
                        help="start from the course's own initial weights (its np.random.seed "
                        "draws) where it publishes them; --seed still drives batches and dropout")


def run(args: argparse.Namespace) -> int:
    """Run ``xpnet reproduce`` with parsed ``args``; return the exit code."""
    names = list(EXPERIMENTS) if args.name == "all" else [args.name]
    for name in names:
        plot = args.plot
        if plot is not None and len(names) > 1:
            p = Path(plot)
            plot = p.with_name(f"{p.stem}-{name}{p.suffix or '.png'}")
        try:
            result = reproduce(name, backend=args.backend, dtype=args.dtype, seed=args.seed,
                               quick=args.quick, plot=plot, course_init=args.course_init,
                               progress=lambda line: print(line, flush=True))
        except (ImportError, OSError, datasets.DatasetChecksumError) as exc:
            kind = "" if isinstance(exc, BackendUnavailableError) else f"{type(exc).__name__}: "
            print(f"xpnet reproduce {name}: {kind}{exc}", file=sys.stderr)
            return 1
        print(result.table(), end="\n\n", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m xpnet.reproduce NAME [options]``."""
    parser = argparse.ArgumentParser(prog="xpnet reproduce",
                                     description="Train the course's configurations on the "
                                     "shipped data and print our results beside the course's.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
