"""``xpnet search``: the course's random hyperparameter search (:func:`xpnet.search.search`) on
a data set, in parallel on Dask, with a results file that resumes, a table and pictures.

Each ``--param NAME=SPEC`` is a range or a fixed value: ``log:LOW:HIGH`` (uniform in the
exponent), ``uniform:LOW:HIGH``, ``int:LOW:HIGH``, ``pow2:LOW:HIGH`` (powers of two),
``beta:LOW:HIGH`` (``1 − 10^u``), ``choice:A,B,...``, or a plain value.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from ..search import (
    SCORES,
    Choice,
    IntUniform,
    LogUniform,
    OneMinusLogUniform,
    PowerOfTwo,
    Uniform,
    search,
)
from ._common import CLIError, check_plot_path, count, fraction, positive_int, print_rows
from .train import DATA_HELP, read_data

RANGES = {"log": LogUniform, "uniform": Uniform, "int": IntUniform, "pow2": PowerOfTwo,
          "beta": OneMinusLogUniform}
DEFAULT_SPACE = ["learning_rate=log:1e-4:1e-1", "width=int:4:64", "depth=int:1:3",
                 "mini_batch_size=pow2:32:256"]


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def param(text: str) -> tuple[str, Any]:
    """``NAME=SPEC`` -> (name, range or value)."""
    name, sep, spec = text.partition("=")
    if not sep or not name or not spec:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=SPEC, such as "
                                         f"learning_rate=log:1e-4:1e-1 or num_epochs=200")
    kind, sep, rest = spec.partition(":")
    if not sep:
        return name, _number(spec)
    if kind == "choice":
        return name, Choice([_number(v) for v in rest.split(",")])
    if kind not in RANGES:
        raise argparse.ArgumentTypeError(f"{text!r}: the range {kind!r} is not one of "
                                         f"{', '.join([*RANGES, 'choice'])}")
    bounds = rest.split(":")
    try:
        low, high = (_number(b) for b in bounds)
        return name, RANGES[kind](low, high)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}" if len(bounds) == 2 else
                                         f"{text!r}: give {kind}:LOW:HIGH") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The description, options and data formats of ``xpnet search``."""
    parser.description = (
        "Random hyperparameter search, as the course teaches it: every trial trains with early "
        "stopping and is scored on a validation split of DATA's training examples (its test "
        "set is left alone). Trials run in parallel on a Dask cluster (a local one by "
        "default); each finished trial is appended to --results, and running the same command "
        "again resumes an interrupted search. Ranges (--param NAME=SPEC): log:LOW:HIGH, "
        "uniform:LOW:HIGH, int:LOW:HIGH, pow2:LOW:HIGH, beta:LOW:HIGH (1 - 10^u), "
        "choice:A,B,... or a fixed value; names are xpnet.train's arguments (learning_rate, "
        "lambd, keep_prob, mini_batch_size, optimizer, num_epochs, ...), depth and width (the "
        "hidden layers), beta, beta1, beta2.")
    parser.epilog = (DATA_HELP + "\n\nexample:\n  xpnet search cat --param "
                     "learning_rate=log:1e-4:1e-1 --param width=int:4:32 --param "
                     "num_epochs=300 --trials 20 --rounds 2 --results cat-search.jsonl "
                     "--plot scores.png")
    p = parser
    p.add_argument("data", metavar="DATA", help="data set name, .npz/.csv file or image folder")
    p.add_argument("--param", type=param, action="append", default=None, metavar="NAME=SPEC",
                   help=f"a hyperparameter's range or value, repeated (default: "
                   f"{' '.join(DEFAULT_SPACE)})")
    p.add_argument("--trials", type=positive_int, default=20, metavar="N",
                   help="trials per round (default: %(default)s)")
    p.add_argument("--rounds", type=positive_int, default=1, metavar="N",
                   help="coarse to fine: each round after the first samples near the best "
                   "trials so far (default: %(default)s)")
    p.add_argument("--keep", type=positive_int, default=None, metavar="N",
                   help="the best trials a new round zooms into (default: a quarter of a round)")
    p.add_argument("--score", choices=list(SCORES), default="val_cost",
                   help="what ranks the trials (default: %(default)s)")
    p.add_argument("--validation-split", type=fraction, default=0.2, metavar="F",
                   help="share of the training examples that scores the trials "
                   "(default: %(default)s)")
    p.add_argument("--seed", type=count, default=0, help="seed of the whole search "
                   "(default: %(default)s)")
    p.add_argument("--results", default="search.jsonl", metavar="PATH",
                   help="JSON-lines file of the finished trials; an existing one of the same "
                   "search is resumed (default: %(default)s)")
    p.add_argument("--scheduler", default="local", metavar="ADDRESS",
                   help="'local' (a LocalCluster of processes), 'serial' (no Dask, one trial "
                   "after another) or an existing cluster's scheduler, tcp://host:8786 "
                   "(default: %(default)s)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="local worker processes (default: cores / --threads-per-worker)")
    p.add_argument("--threads-per-worker", type=positive_int, default=1, metavar="N",
                   help="BLAS threads of each local worker (default: %(default)s)")
    p.add_argument("--top", type=positive_int, default=10, metavar="N",
                   help="rows of the results table (default: %(default)s)")
    p.add_argument("--plot", default=None, metavar="PATH",
                   help="write the score against each hyperparameter to this image")
    p.add_argument("--curves", default=None, metavar="PATH",
                   help="write the best trials' validation curves to this image")
    p.add_argument("--test-fraction", type=fraction, default=0.2, metavar="F",
                   help="share held out as a test set when DATA has none; the search never "
                   "sees it (default: %(default)s)")
    p.add_argument("--label-column", default=None, metavar="COL", help=".csv: the label column")
    p.add_argument("--delimiter", default=None, metavar="CHAR", help=".csv: the field separator")
    p.add_argument("--label-pattern", default=None, metavar="REGEX",
                   help="image folder: the regular expression of the labels in file names")
    p.add_argument("--image-size", type=positive_int, default=64, metavar="N",
                   help="image folder: pictures are resized to N x N (default: %(default)s)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="default: %(default)s")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Read the data, search, print the table and the best trial, draw the pictures."""
    for path, option in ((args.plot, "--plot"), (args.curves, "--curves")):
        if path is not None:
            check_plot_path(path, option)
    space = dict(param(text) for text in DEFAULT_SPACE) if args.param is None else {}
    for name, value in args.param or []:
        if name in space:
            raise CLIError(f"--param {name} given twice")
        space[name] = value
    data = read_data(args)
    X = data.train_x
    labels = data.train_y.reshape(-1)
    if len(data.classes) < 2:
        raise CLIError(f"{args.data} has one class only ({data.classes[0]}): nothing to learn")
    if len(data.classes) == 2:
        Y = labels.reshape(1, -1).astype(X.dtype)
    else:
        Y = np.eye(len(data.classes), dtype=X.dtype)[:, labels]
    print_rows([("data", f"{args.data}: {X.shape[1]} training examples of {X.shape[0]} "
                         f"features, {len(data.classes)} classes"),
                ("search", f"{args.trials} trials x {args.rounds} round(s) on {args.scheduler}"),
                ("results", args.results)])
    result = search(X, Y, space, n_trials=args.trials, rounds=args.rounds, keep=args.keep,
                    validation_split=args.validation_split, score=args.score, seed=args.seed,
                    results=args.results, scheduler=args.scheduler, n_workers=args.workers,
                    threads_per_worker=args.threads_per_worker,
                    progress=False if args.quiet else None, dtype=args.dtype)
    print(result.table(args.top))
    statuses = [t["status"] for t in result.trials]
    print(f"{statuses.count('ok')} trials scored, {statuses.count('diverged')} diverged, "
          f"{len(statuses) - statuses.count('ok') - statuses.count('diverged')} failed")
    if statuses.count("ok"):
        best = result.best
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in best["params"].items())
        print(f"best: {best['trial']} ({args.score} {best['score']:.4g} at epoch "
              f"{best['best_epoch'] + 1}): {shown}")
        if args.plot:
            result.plot(path=args.plot)
            print(f"scores plotted to {args.plot}")
        if args.curves:
            result.plot_curves(path=args.curves)
            print(f"curves plotted to {args.curves}")
    sys.stdout.flush()
    return 0
