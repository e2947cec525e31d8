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
from ..initializers import INITS
from ..model import Model
from ..optimizers import OPTIMIZERS
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
                 "checkpoint_every": "--checkpoint-every", "resume": "--resume"}
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
                   help="also write the cost per epoch to this image (.png, .svg, .pdf)")
    p.add_argument("--test-fraction", type=fraction, default=0.2, metavar="F",
                   help="share of the examples held out for testing when DATA has no test set "
                   "of its own (default: %(default)s; 0 to train on all)")
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
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Check the options and output paths, read the data, train, save the model at once, then
    print the accuracies and plot; return the exit status (130 after Ctrl-C)."""
    resumed_at = check_options(args)
    data = read_data(args)
    layers = _check_layers(args.layers, data, args.data)
    activations = [args.activation] * (len(layers) - 2) + [
        "sigmoid" if layers[-1] == 1 else "softmax"]
    prep = InputPreprocessing.of(data, standardize=args.standardize)
    print_rows([
        ("data", f"{args.data}: {data.train_x.shape[1]} training and "
                 f"{0 if data.test_x is None else data.test_x.shape[1]} test examples, "
                 f"{len(data.classes)} classes ({shorten(data.classes)})"),
        ("input", prep.describe()),
        ("network", f"{'-'.join(map(str, layers))} ({', '.join(activations)}"
                    f"{', batch norm' if args.batch_norm else ''}), "
                    f"{num_parameters(layers, args.batch_norm):,} parameters"),
    ])
    data = replace(data, train_x=prep.standardize(data.train_x),
                   test_x=None if data.test_x is None else prep.standardize(data.test_x))
    run_ = _train(args, data, layers, activations, resumed_at)
    model = run_.model
    model.config.update({"data": args.data, "classes": data.classes,
                         "input_image": list(data.image) if data.image else None,
                         INPUT_KEY: prep.to_config()})
    save(model, args.out)  # first of all: nothing after this can lose the run
    if run_.diverged is not None:
        raise CLIError(_divergence_message(run_.diverged, args))
    print_rows([("trained", _trained_text(args, run_, resumed_at)),
                ("saved", args.out + (f" (checkpoint: {args.checkpoint})" if args.checkpoint
                                      else ""))])
    with np.errstate(all="ignore"):  # a model close to diverging may overflow
        accuracies = {"train_accuracy": model.evaluate(data.train_x, data.train_y)}
        if data.test_x is not None:
            accuracies["test_accuracy"] = model.evaluate(data.test_x, data.test_y)
    model.config.update(accuracies)
    save(model, args.out)  # again, with the accuracies for 'xpnet info'
    print_rows([(key.replace("_", " "), f"{value:.2%}") for key, value in accuracies.items()])
    if args.plot:
        scores = ", ".join(f"{key.split('_')[0]} {value:.1%}" for key, value in accuracies.items())
        plot_costs(model.costs, args.plot,
                   f"{args.data}: {'-'.join(map(str, layers))}; accuracy {scores}")
        print_rows([("plotted", args.plot)])
    if run_.interrupted:
        resume = f"; go on with --resume {args.checkpoint}" if args.checkpoint else ""
        print(f"xpnet: interrupted after epoch {len(model.costs)} of {args.epochs}; the model "
              f"trained so far is saved in {args.out}{resume}", file=sys.stderr)
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


def _trained_text(args: argparse.Namespace, run_: _Run, resumed_at: int) -> str:
    """``683 of 2500 epochs (interrupted) in 3.2 s on numpy (float32), final cost ...``"""
    done = len(run_.model.costs)
    epochs = f"{done} epochs" if done == args.epochs else \
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
           activations: list[str], resumed_at: int = 0) -> _Run:
    """:func:`xpnet.train` with a progress bar. Ctrl-C and divergence end it with the model
    trained so far (``interrupted``, ``diverged``); NumPy's floating-point warnings and
    ``train``'s own warning about Ctrl-C are not shown (the summary says it)."""
    progress = Progress(args.epochs, data.train_x.shape[1], enabled=not args.quiet,
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
                          resume=args.resume, callback=progress)
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
    interrupted = diverged is None and len(model.costs) < args.epochs
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
    """``callback(epoch, cost)`` for :func:`xpnet.train`, on stderr: a tqdm bar over the
    epochs with the running cost and examples/s when stderr is a terminal; otherwise (a log
    file, a pipe, or no tqdm) a plain line every tenth of the run.

    :meth:`start` shows the bar at 0 before the first epoch (and starts its clock);
    ``close(clear=True)`` removes it, for a run that failed before it began.
    """

    def __init__(self, num_epochs: int, num_examples: int, enabled: bool = True,
                 stream: TextIO | None = None, initial: int = 0) -> None:
        self.num_epochs, self.m, self.enabled = num_epochs, num_examples, enabled
        self.initial = initial  # epochs done before (a resumed run)
        self.stream = sys.stderr if stream is None else stream
        self.start_time = time.perf_counter()
        self.bar: Any = None
        self.tqdm: Any = None
        if enabled and _is_terminal(self.stream):
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

    def __call__(self, epoch: int, cost: float) -> None:
        if not self.enabled:
            return
        done = epoch + 1 - self.initial  # in this run
        rate = self.m * done / max(time.perf_counter() - self.start_time, 1e-9)
        if self.bar is not None:
            self.bar.set_postfix_str(f"cost {cost:.4f}, {rate:,.0f} examples/s", refresh=False)
            self.bar.update(1)
        elif done == 1 or epoch % max(1, self.num_epochs // 10) == 0 or \
                epoch == self.num_epochs - 1:
            print(f"epoch {epoch + 1}/{self.num_epochs}  cost {cost:.4f}  {rate:,.0f} examples/s",
                  file=self.stream, flush=True)

    def close(self, clear: bool = False) -> None:
        """End the bar where it got; ``clear`` erases it instead."""
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


def plot_costs(costs: Sequence[float], path: str, title: str) -> None:
    """Write the cost per epoch to an image file (its format by its ending: .png, .svg, .pdf,
    ...), with whole-number epoch ticks."""
    from ..plots import plot_costs as draw

    try:
        from matplotlib.ticker import MaxNLocator

        fig = draw(costs, title=title)
    except ImportError:
        raise CLIError('--plot needs matplotlib: pip install "xpnet[plot]"') from None
    fig.axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.savefig(path, dpi=100)
