"""``xpnet train``: train a network on a data set, print its accuracy and save it.

:func:`xpnet.datasets.files.load_training_data` reads the data; this module adds the options,
the progress bar, the checks of ``--layers`` against the data, and the summary.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..activations import ACTIVATIONS
from ..architecture import Architecture
from ..backend import BACKENDS, DTYPES, get_backend
from ..checkpoint import load_checkpoint
from ..datasets.files import (
    IMAGE_SUFFIXES,
    SHIPPED,
    DataArgumentError,
    TrainingData,
    load_training_data,
)
from ..evaluation import split_indices
from ..initializers import INITS
from ..model import Model
from ..optimizers import OPTIMIZERS
from ..rng import RandomState
from ..schedules import ExponentialDecay, InverseTimeDecay
from ..training import DEFAULT_LEARNING_RATE, DivergenceError, train
from ..validation import check_fraction, check_nonnegative, check_positive
from ._common import (
    CLIError,
    check_output_path,
    check_plot_path,
    count,
    final_cost,
    fraction,
    name_options,
    positive_int,
    print_rows,
    shorten,
    sizes,
    stopping_text,
)
from ._inputs import CONFIG_KEY as INPUT_KEY
from ._inputs import InputPreprocessing

HIDDEN_ACTIVATIONS = tuple(name for name, cls in ACTIVATIONS.items() if not cls.output_only)

#: The option of ``xpnet train`` that gives each argument of :func:`load_training_data`, to
#: name in its errors.
OPTIONS = {"source": "DATA", "label_column": "--label-column",
           "label_pattern": "--label-pattern", "image_size": "--image-size",
           "test_fraction": "--test-fraction", "delimiter": "--delimiter"}
#: The option of ``xpnet train`` that gives each argument of :func:`xpnet.train`.
TRAIN_OPTIONS = {"layer_dims": "--layers", "activations": "--activation",
                 "optimizer": "--optimizer", "learning_rate": "--lr", "num_epochs": "--epochs",
                 "mini_batch_size": "--batch-size", "init": "--init", "lambd": "--lambd",
                 "keep_prob": "--keep-prob", "seed": "--seed", "dtype": "--dtype",
                 "backend": "--backend", "device": "--device", "checkpoint": "--checkpoint",
                 "checkpoint_every": "--checkpoint-every", "resume": "--resume",
                 "validation_data": "--val-fraction", "n_iter_no_change": "--patience",
                 "restore_best": "--restore-best", "verbose": "--verbose", "threads": "--threads"}
#: ``--patience``: an epoch counts as an improvement when it beats the best by more than this
#: (scikit-learn's ``tol``).
TOL = 1e-4
#: Exit status after Ctrl-C (128 + SIGINT), as a shell reports it.
EXIT_INTERRUPTED = 130

DATA_HELP = f"""\
DATA is one of:
  - a shipped data set: {", ".join(SHIPPED)}
    (write ./NAME for a folder that has one of these names);
  - a .npz file with arrays X (examples, features) and y (examples,), and
    optionally X_test and y_test; X with more than two axes, such as pictures
    (m, 28, 28) or (m, 64, 64, 3), is flattened per example (and 'xpnet predict'
    then reads pictures for the model). Labels may be integers or strings;
  - a .csv file, one example per row: numeric features and one label column
    (the last, or --label-column). A first row that is not numeric is a header.
    The delimiter (, ; tab |) is detected, or given with --delimiter;
  - a folder of images ({", ".join(IMAGE_SUFFIXES)}), either with one
    subfolder per class (pets/cat/1.jpg, pets/dog/2.png: the layout of
    torchvision's ImageFolder and Keras' image_dataset_from_directory) or
    labelled by their file names: by default the letters a name starts with
    (dog.1.jpg -> dog, cat_7.png -> cat), or the first group of --label-pattern.
    Images are resized to --image-size (64x64 RGB) and scaled to [0, 1].
Labels are sorted and numbered from 0 (cat -> 0, dog -> 1). Two classes train a
sigmoid output (--layers ends in 1), more a softmax (--layers ends in the number
of classes). Features of .npz and .csv files are used as they are, or
standardised with --standardize. Data without a test set of its own is split:
--test-fraction of each class is held out for testing (stratified). The model
records how its inputs were prepared (pixel scale, standardisation), and 'xpnet
predict' prepares its inputs the same way."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The description, options and data formats of ``xpnet train``."""
    parser.description = ("Train an L-layer network (ReLU hidden layers, sigmoid or softmax "
                          "output) with a progress bar, print its train and test accuracy and "
                          "save it.")
    parser.epilog = (DATA_HELP + "\n\nexample:\n  xpnet train cat --layers 12288,20,7,5,1 "
                     "--lr 0.0075 --epochs 2500 --out cat.npz --plot cat-cost.png")
    p = parser
    p.add_argument("data", metavar="DATA", help="data set name, .npz/.csv file or image folder "
                   "(see below)")
    p.add_argument("--layers", type=sizes, required=True, metavar="SIZES",
                   help="comma-separated layer sizes from input to output, e.g. 12288,20,7,5,1: "
                   "the number of features first, 1 (two classes) or the number of classes last")
    p.add_argument("--activation", choices=HIDDEN_ACTIVATIONS, default="relu",
                   help="activation of the hidden layers (default: %(default)s)")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam",
                   help="update rule (default: %(default)s)")
    p.add_argument("--lr", type=float, default=None, metavar="RATE",
                   help=f"learning rate (default: {DEFAULT_LEARNING_RATE})")
    p.add_argument("--epochs", type=count, default=100, help="passes over the training set "
                   "(default: %(default)s)")
    p.add_argument("--batch-size", type=positive_int, default=None, metavar="N",
                   help="mini-batch size (default: the whole training set in one batch)")
    p.add_argument("--init", choices=sorted(INITS), default="he",
                   help="initial weights: he (x sqrt(2/n_prev)), xavier (x sqrt(1/n_prev)), "
                   "random (x 0.01) or zeros (default: %(default)s)")
    p.add_argument("--lambd", type=float, default=0.0, help="L2 regularisation strength "
                   "(default: %(default)s)")
    p.add_argument("--keep-prob", type=float, default=1.0, metavar="P",
                   help="dropout keep probability of hidden units (default: 1, no dropout)")
    p.add_argument("--batch-norm", action="store_true",
                   help="batch-normalise every hidden layer (gamma and beta in place of the "
                   "bias; running mean and variance for prediction)")
    p.add_argument("--backend", choices=BACKENDS, default="numpy", help="default: %(default)s")
    p.add_argument("--device", default=None, help="a device of the backend, such as 0 or "
                   "cuda:0 (default: the backend's own)")
    p.add_argument("--dtype", choices=DTYPES, default="float32", help="default: %(default)s")
    p.add_argument("--threads", type=positive_int, default=None, metavar="N",
                   help="BLAS threads for this run (default: xpnet chooses: one for small "
                   "products, else the fastest of 1, 2, 4, ... all, timed on the first steps)")
    p.add_argument("--seed", type=count, default=0, help="seed of the initial weights, the "
                   "batch order, dropout and the test split (default: %(default)s)")
    p.add_argument("--lr-schedule", type=lr_schedule, default=None, metavar="SCHEDULE",
                   help="learning-rate decay: inverse-time:RATE[:EVERY] (lr / (1 + RATE * "
                   "floor(epoch / EVERY)), the course's) or exponential:RATE[:EVERY] "
                   "(lr * RATE ** floor(epoch / EVERY)), e.g. inverse-time:1:1000 (default: none)")
    p.add_argument("--out", default="model.npz", metavar="PATH",
                   help="where to save the model (default: %(default)s)")
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="save everything training needs to go on (parameters, optimizer "
                   "state, random state, costs) to PATH whenever training ends, and every "
                   "--checkpoint-every epochs")
    p.add_argument("--checkpoint-every", type=positive_int, default=None, metavar="N",
                   help="with --checkpoint: also save it every N epochs (default: only at the "
                   "end, also after Ctrl-C or divergence)")
    p.add_argument("--resume", default=None, metavar="PATH",
                   help="go on from a checkpoint, with the same DATA, --layers, --optimizer, "
                   "--dtype and --seed; --epochs counts from the start of the run")
    p.add_argument("--plot", default=None, metavar="PATH",
                   help="also write the training (and validation) cost and accuracy per epoch "
                   "to this image (.png, .svg, .pdf)")
    p.add_argument("--test-fraction", type=fraction, default=0.2, metavar="F",
                   help="share of the examples held out for testing when DATA has no test set "
                   "of its own (default: %(default)s; 0 to train on all)")
    p.add_argument("--val-fraction", type=fraction, default=0.0, metavar="F",
                   help="share of each class of the training examples held out for "
                   "validation (the test set stays apart): the validation cost and accuracy "
                   "are measured after every epoch and shown in the progress, the plot and "
                   "the summary (default: 0, none)")
    p.add_argument("--patience", type=positive_int, default=None, metavar="N",
                   help="early stopping: stop once the validation cost (the training cost "
                   f"without --val-fraction) has not improved by more than {TOL:g} for more "
                   "than N epochs in a row (scikit-learn's n_iter_no_change; default: train "
                   "all --epochs)")
    p.add_argument("--restore-best", action="store_true",
                   help="save the parameters of the epoch with the lowest validation cost (the "
                   "training cost without --val-fraction) instead of the last epoch's")
    p.add_argument("--label-column", default=None, metavar="COL",
                   help=".csv: the label column, by number (0 = first, -1 = last) or header name "
                   "(default: the last)")
    p.add_argument("--delimiter", default=None, metavar="CHAR",
                   help=".csv: the character between fields, such as ';' or tab (default: "
                   "detected)")
    p.add_argument("--label-pattern", default=None, metavar="REGEX",
                   help="image folder: a regular expression searched in each file name whose "
                   "first group (or whole match) is the label, e.g. '^(cat|dog)' (default: the "
                   "letters the name starts with)")
    p.add_argument("--image-size", type=positive_int, default=64, metavar="N",
                   help="image folder: pictures are resized to N x N RGB (default: %(default)s)")
    p.add_argument("--standardize", action="store_true",
                   help="scale each feature to mean 0 and standard deviation 1, with the means "
                   "and standard deviations of the training split; they are saved with the "
                   "model and 'xpnet predict' applies them")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1, metavar="{0,1,2}",
                       help="progress on stderr: 0 none; 1 a bar on a terminal, else a line "
                       "every tenth of the run; 2 a line per epoch (default: %(default)s)")
    shown.add_argument("--quiet", dest="verbose", action="store_const", const=0, default=1,
                       help="no progress: --verbose 0")


def run(args: argparse.Namespace) -> int:
    """Check the options and output paths, read the data, train, save the model at once, then
    print the accuracies and plot; return the exit status (130 after Ctrl-C)."""
    resumed_at = check_options(args)
    data = read_data(args)
    layers = _check_layers(args.layers, data, args.data)
    activations = [args.activation] * (len(layers) - 2) + [
        "sigmoid" if layers[-1] == 1 else "softmax"]
    data, val = hold_out(data, args.val_fraction, args.seed)
    prep = InputPreprocessing.of(data, standardize=args.standardize)
    print_rows([
        ("data", f"{args.data}: {data.train_x.shape[1]} training"
                 + ("" if val is None else f", {val.x.shape[1]} validation")
                 + f" and {0 if data.test_x is None else data.test_x.shape[1]} test examples, "
                 f"{len(data.classes)} classes ({shorten(data.classes)})"),
        ("input", prep.describe()),
        ("network", f"{'-'.join(map(str, layers))} ({', '.join(activations)}"
                    f"{', batch norm' if args.batch_norm else ''}), "
                    f"{num_parameters(layers, args.batch_norm):,} parameters"),
    ])
    data = replace(data, train_x=prep.standardize(data.train_x),
                   test_x=None if data.test_x is None else prep.standardize(data.test_x))
    val = None if val is None else replace(val, x=prep.standardize(val.x))
    run_ = _train(args, data, layers, activations, resumed_at, val)
    model = run_.model
    model.config.update({"data": args.data, "classes": data.classes,
                         "input_image": list(data.image) if data.image else None,
                         INPUT_KEY: prep.to_config(), **_loop_settings(args, run_)})
    save(model, args.out)  # first of all: nothing after this can lose the run
    if run_.diverged is not None:
        raise CLIError(_divergence_message(run_.diverged, args))
    best = stopping_text(model.config)
    print_rows([("trained", _trained_text(args, run_, resumed_at)),
                *([("best epoch", best)] if best else []),
                ("saved", args.out + (f" (checkpoint: {args.checkpoint})" if args.checkpoint
                                      else ""))])
    with np.errstate(all="ignore"):  # a model close to diverging may overflow
        accuracies = {"train_accuracy": model.evaluate(data.train_x, data.train_y)}
        if val is not None:
            accuracies["validation_accuracy"] = model.evaluate(val.x, val.y)
        if data.test_x is not None:
            accuracies["test_accuracy"] = model.evaluate(data.test_x, data.test_y)
    model.config.update(accuracies)
    save(model, args.out)  # again, with the accuracies for 'xpnet info'
    print_rows([(key.replace("validation_", "val ").replace("_", " "), f"{value:.2%}")
                for key, value in accuracies.items()])
    if args.plot:
        scores = ", ".join(f"{key.split('_')[0]} {value:.1%}" for key, value in accuracies.items())
        plot_run(model, args.plot, f"{args.data}: {'-'.join(map(str, layers))}; accuracy {scores}")
        print_rows([("plotted", args.plot)])
    if run_.interrupted:
        resume = f"; go on with --resume {args.checkpoint}" if args.checkpoint else ""
        last = " (the last epoch's: --restore-best applies to runs that end by themselves)" \
            if args.restore_best else ""
        print(f"xpnet: interrupted after epoch {len(model.costs)} of {args.epochs}; the model "
              f"trained so far{last} is saved in {args.out}{resume}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def check_options(args: argparse.Namespace) -> int:
    """What can be checked before any work: the numbers' ranges, the output paths, the
    checkpoint to resume from, the backend and the device. Returns the epochs that checkpoint
    holds (0 without ``--resume``)."""
    if args.lr is not None:
        check_positive("--lr", args.lr, type_error=ValueError)
    check_nonnegative("--lambd", args.lambd)
    check_fraction("--keep-prob", args.keep_prob, " (1 means no dropout)")
    check_output_path(args.out, "--out")
    if args.plot:
        check_plot_path(args.plot, "--plot")
    if args.checkpoint is not None:
        check_output_path(args.checkpoint, "--checkpoint")
    elif args.checkpoint_every is not None:
        raise CLIError("--checkpoint-every needs --checkpoint PATH, the file to save to")
    try:  # the library and the device, before the data is read
        get_backend(args.backend, device=_device(args.device))
    except (ValueError, TypeError, ImportError) as exc:
        raise CLIError(name_options(str(exc), TRAIN_OPTIONS)) from exc
    return 0 if args.resume is None else _checkpoint_epoch(args.resume)


def save(model: Model, path: str) -> None:
    """``model.save(path)``; when that fails (a full disk, a folder removed meanwhile), the
    model is saved in the temporary folder instead and the error says where."""
    try:
        model.save(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        rescue = Path(tempfile.gettempdir()) / f"xpnet-{Path(path).stem}-{os.getpid()}.npz"
        try:
            model.save(rescue)
        except OSError:
            raise CLIError(f"could not save the model to {path}: {reason}") from exc
        raise CLIError(f"could not save the model to {path} ({reason}); it is saved in "
                       f"{rescue} instead") from exc


def hold_out(data: TrainingData, fraction: float, seed: int
             ) -> tuple[TrainingData, _Validation | None]:
    """``--val-fraction``: the training examples without the validation ones, and those
    (``fraction`` of each class, drawn with ``seed``); ``(data, None)`` for a fraction of 0."""
    if not fraction:
        return data, None
    m = data.train_x.shape[1]
    labels = data.train_y.reshape(-1).tolist()
    try:
        train_idx, val_idx = split_indices(m, fraction, labels, RandomState(seed))
    except ValueError:
        raise CLIError(f"--val-fraction {fraction:g} of the {m} training examples holds out "
                       "none; give a larger fraction") from None
    rest = replace(data, train_x=data.train_x[:, train_idx], train_y=data.train_y[:, train_idx])
    return rest, _Validation(data.train_x[:, val_idx], data.train_y[:, val_idx])


@dataclass
class _Validation:
    """The examples ``--val-fraction`` holds out: ``x`` (n_x, m_val), ``y`` (1, m_val)."""

    x: np.ndarray
    y: np.ndarray


def _loop_settings(args: argparse.Namespace, run_: _Run) -> dict[str, Any]:
    """What the command adds to the model's record of its training: the validation share,
    the early-stopping patience, whether the best epoch was restored, and the monitored value
    at the best epoch (``train`` records ``monitor``, ``best_epoch`` and ``stopped_early``)."""
    config = run_.model.config
    found: dict[str, Any] = {"val_fraction": args.val_fraction or None,
                             "patience": args.patience, "restore_best": args.restore_best}
    history, best = run_.model.history, config.get("best_epoch")
    if best is not None and best in history.get("epoch", []):
        found["best_value"] = history[config["monitor"]][history["epoch"].index(best)]
    return found


def _trained_text(args: argparse.Namespace, run_: _Run, resumed_at: int) -> str:
    """``683 of 2500 epochs (interrupted) in 3.2 s on numpy (float32), final cost ...``"""
    done = len(run_.model.costs)
    epochs = f"{done} epochs" if done == args.epochs else \
        f"{done} of {args.epochs} epochs (stopped early: --patience {args.patience})" \
        if run_.model.config.get("stopped_early") else \
        f"{done} of {args.epochs} epochs (interrupted)"
    if args.resume is not None:
        epochs += f" ({resumed_at} of them before, in {args.resume})"
    return (f"{epochs} in {run_.seconds:.1f} s on {run_.model.config['backend']} ({args.dtype}), "
            f"final cost {final_cost(run_.model)}")


@dataclass
class _Run:
    model: Model
    seconds: float
    interrupted: bool = False
    diverged: DivergenceError | None = None


def _checkpoint_epoch(path: str) -> int:
    """The epochs a checkpoint holds, checking that it is one (``--resume``)."""
    if not Path(path).is_file():
        raise CLIError(f"--resume {path}: no such file")
    try:
        return load_checkpoint(path).epoch
    except ValueError as exc:
        raise CLIError(f"--resume {path}: {exc}") from exc


def lr_schedule(text: str) -> InverseTimeDecay | ExponentialDecay:
    """``inverse-time:RATE[:EVERY]`` or ``exponential:RATE[:EVERY]`` -> the schedule."""
    name, _, rest = text.partition(":")
    kinds: dict[str, type[InverseTimeDecay] | type[ExponentialDecay]] = {
        "inverse-time": InverseTimeDecay, "exponential": ExponentialDecay}
    numbers = rest.split(":") if rest else []
    if name not in kinds or not 1 <= len(numbers) <= 2:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not inverse-time:RATE[:EVERY] or exponential:RATE[:EVERY], such as "
            "inverse-time:1:1000 or exponential:0.95")
    try:
        rate = float(numbers[0])
        every = int(numbers[1]) if len(numbers) == 2 else 1
        return kinds[name](decay_rate=rate, interval=every)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r}: {name_options(str(exc), {'decay_rate': 'RATE', 'interval': 'EVERY'})}"
        ) from None


def _train(args: argparse.Namespace, data: TrainingData, layers: list[int],
           activations: list[str], resumed_at: int = 0, val: _Validation | None = None
           ) -> _Run:
    """:func:`xpnet.train` with a progress bar (the command's own, as one of ``train``'s
    ``callbacks``), validation on ``val`` and early stopping. Ctrl-C and divergence end it with
    the model trained so far (``interrupted``, ``diverged``); NumPy's floating-point warnings
    and ``train``'s own warning about Ctrl-C are not shown (the summary says it)."""
    progress = Progress(args.epochs, data.train_x.shape[1], verbose=args.verbose,
                        initial=resumed_at)
    start = time.perf_counter()
    diverged = None
    progress.start()
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="training interrupted",
                                    category=RuntimeWarning)
            model = train(data.train_x, data.train_y, layers, activations=activations,
                          optimizer=args.optimizer, learning_rate=args.lr,
                          num_epochs=args.epochs, mini_batch_size=args.batch_size,
                          init=args.init, lambd=args.lambd, keep_prob=args.keep_prob,
                          batch_norm=args.batch_norm, seed=args.seed, dtype=args.dtype,
                          backend=args.backend,
                          device=_device(args.device), lr_schedule=args.lr_schedule,
                          checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every,
                          resume=args.resume, callbacks=progress,
                          validation_data=None if val is None else (val.x, val.y),
                          early_stopping=args.patience is not None,
                          n_iter_no_change=args.patience or 10, tol=TOL,
                          restore_best=args.restore_best, verbose=0, threads=args.threads)
    except DivergenceError as err:
        diverged, model = err, err.model
    except (ValueError, TypeError, ImportError) as exc:  # a setting: name the option
        progress.close(clear=True)
        raise CLIError(name_options(str(exc), TRAIN_OPTIONS)) from exc
    except BaseException:
        progress.close(clear=True)
        raise
    progress.close()
    seconds = time.perf_counter() - start
    interrupted = (diverged is None and len(model.costs) < args.epochs
                   and not model.config.get("stopped_early"))
    return _Run(model, seconds, interrupted, diverged)


def _divergence_message(err: DivergenceError, args: argparse.Namespace) -> str:
    """One line: the epoch as the progress bar counts them (from 1), what became infinite, the
    epochs the saved model has, and a lower ``--lr`` to try."""
    found = re.search(r": (the [^.]*)\.", str(err))
    what = found[1] if found else "the cost or the parameters became NaN or infinite"
    kept = len(err.model.costs)
    lr = DEFAULT_LEARNING_RATE if args.lr is None else args.lr
    saved = (f"the model after epoch {kept} is saved in {args.out}" if kept else
             f"the untrained model is saved in {args.out}")
    return (f"training diverged in epoch {err.epoch + 1} of {args.epochs}: {what}; {saved}. "
            f"Try a lower --lr (it was {lr:g}; try {lr / 10:g})")


def read_data(args: argparse.Namespace) -> TrainingData:
    """:func:`load_training_data` with the options of ``args``; its errors name the options."""
    try:
        return load_training_data(args.data, label_column=args.label_column,
                                  label_pattern=args.label_pattern, image_size=args.image_size,
                                  test_fraction=args.test_fraction, seed=args.seed,
                                  delimiter=_delimiter(args.delimiter), dtype=args.dtype)
    except DataArgumentError as exc:  # name the option, not the Python argument
        if exc.argument not in OPTIONS:
            raise
        raise CLIError(exc.message_for(OPTIONS[exc.argument])) from exc


def num_parameters(layers: Sequence[int], batch_norm: bool = False) -> int:
    """The trained parameters of a network of these layer sizes (before the data is read, so
    without building it)."""
    return Architecture.of(layers, batch_norm=batch_norm).num_parameters


def _check_layers(layers: list[int], data: TrainingData, source: str) -> list[int]:
    n_x, n_classes = data.train_x.shape[0], len(data.classes)
    if n_classes < 2:
        raise CLIError(f"{source} has one class only ({data.classes[0]}); a classifier needs two "
                       "or more")
    if layers[0] != n_x:
        raise CLIError(f"--layers starts with {layers[0]} but {source} has {n_x} features per "
                       f"example; start it with {n_x}")
    if layers[-1] not in (1 if n_classes == 2 else n_classes, n_classes):
        want = "1 (a sigmoid output) or 2" if n_classes == 2 else str(n_classes)
        raise CLIError(f"--layers ends with {layers[-1]} but {source} has {n_classes} classes; "
                       f"end it with {want}")
    return layers


def _delimiter(text: str | None) -> str | None:
    """``--delimiter``: one character, or ``tab`` (or ``\\t``) for a tab."""
    return "\t" if text in ("tab", "\\t") else text


def _device(text: str | None) -> int | str | None:
    return int(text) if text is not None and text.isdigit() else text


# -- progress and plot ----------------------------------------------------------------------------
class Progress:
    """One of :func:`xpnet.train`'s ``callbacks``, ``progress(epoch, logs)``, on stderr.

    ``verbose=1``: a tqdm bar over the epochs when stderr is a terminal, with the running cost
    and examples/s, or the cost and the validation cost and accuracy; otherwise
    (a log file, a pipe, or no tqdm) a plain line every tenth of the run. ``verbose=2``: a
    plain line every epoch. ``verbose=0``: nothing. Epochs are counted from 1.

    :meth:`start` shows the bar at 0 before the first epoch (and starts its clock);
    ``close(clear=True)`` removes it, for a run that failed before it began.
    """

    def __init__(self, num_epochs: int, num_examples: int, verbose: int = 1,
                 stream: TextIO | None = None, initial: int = 0) -> None:
        self.num_epochs, self.m, self.verbose = num_epochs, num_examples, verbose
        self.initial = initial  # epochs done before (a resumed run)
        self.stream = sys.stderr if stream is None else stream
        self.start_time = time.perf_counter()
        self.bar: Any = None
        self.tqdm: Any = None
        self.unprinted = ""  # the line of the last epoch, when not printed
        if verbose == 1 and _is_terminal(self.stream):
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            self.tqdm = tqdm

    def start(self) -> None:
        """Show the bar (at 0 epochs) and start the clock: call just before training."""
        self.start_time = time.perf_counter()
        if self.tqdm is not None and self.bar is None:
            self.bar = self.tqdm(total=self.num_epochs, initial=self.initial, unit="epoch",
                                 file=self.stream, dynamic_ncols=True)

    def __call__(self, epoch: int, logs: dict[str, Any]) -> None:
        if not self.verbose:
            return
        done = epoch + 1 - self.initial  # in this run
        rate = self.m * done / max(time.perf_counter() - self.start_time, 1e-9)
        cost, val_cost, val_acc = logs["cost"], logs.get("val_cost"), logs.get("val_accuracy")
        if self.bar is not None:  # short, for the bar to keep its width on 100 columns
            shown = f"cost {cost:.4f}" + (
                f", val cost {val_cost:.4f}, val acc {val_acc:.1%}" if val_cost is not None
                else f", {rate:,.0f} examples/s")
            self.bar.set_postfix_str(shown, refresh=False)
            self.bar.update(1)
            return
        line = (f"epoch {epoch + 1}/{self.num_epochs}  cost {cost:.4f}"
                + (f"  val cost {val_cost:.4f}" if val_cost is not None else "")
                + (f"  val accuracy {val_acc:.1%}" if val_acc is not None else "")
                + f"  {rate:,.0f} examples/s")
        if self.verbose == 2 or done == 1 or epoch % max(1, self.num_epochs // 10) == 0 or \
                epoch == self.num_epochs - 1:
            print(line, file=self.stream, flush=True)
            line = ""
        self.unprinted = line

    def close(self, clear: bool = False) -> None:
        """End the bar where it got; ``clear`` erases it instead. In lines, the last epoch's
        line when it was not printed yet (a run stopped early or interrupted)."""
        if self.unprinted and not clear:
            print(self.unprinted, file=self.stream, flush=True)
        self.unprinted = ""
        if self.bar is not None:
            if clear:
                self.bar.leave = False
            self.bar.close()
            self.bar = None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def plot_run(model: Model, path: str, title: str) -> None:
    """Write the run's curves to an image file (its format by its ending: .png, .svg, .pdf,
    ...): the training cost of every epoch, and with ``--val-fraction`` the validation cost
    and both accuracies, epochs counted from 1 on whole-number ticks (:func:`xpnet.plots.
    plot_history`), the best epoch marked with ``--patience`` or ``--restore-best``."""
    from ..plots import plot_history

    config = model.config
    marked = config.get("patience") is not None or config.get("restore_best")
    try:
        plot_history(model.history, costs=model.costs, title=title, path=path,
                     best_epoch=config.get("best_epoch") if marked else None)
    except ImportError:
        raise CLIError('--plot needs matplotlib: pip install "xpnet[plot]"') from None
