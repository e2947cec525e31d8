"""``xpnet train``: train a network on a data set, print its accuracy and save it.

:func:`xpnet.datasets.files.load_training_data` reads the data; this module adds the options,
the progress bar, the checks of ``--layers`` against the data, and the summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from ..activations import ACTIVATIONS
from ..backend import BACKENDS, DTYPES
from ..datasets.files import (
    IMAGE_SUFFIXES,
    SHIPPED,
    DataArgumentError,
    TrainingData,
    load_training_data,
)
from ..initializers import INITS
from ..optimizers import OPTIMIZERS
from ..training import DEFAULT_LEARNING_RATE, train
from ._common import CLIError, count, final_cost, fraction, positive_int, print_rows, shorten, sizes

HIDDEN_ACTIVATIONS = tuple(name for name, cls in ACTIVATIONS.items() if not cls.output_only)

#: The option of ``xpnet train`` that gives each argument of :func:`load_training_data`, to
#: name in its errors.
OPTIONS = {"source": "DATA", "label_column": "--label-column",
           "label_pattern": "--label-pattern", "image_size": "--image-size",
           "test_fraction": "--test-fraction"}

DATA_HELP = f"""\
DATA is one of:
  - a shipped data set: {", ".join(SHIPPED)}
    (write ./NAME for a folder that has one of these names);
  - a .npz file with arrays X (examples, features) and y (examples,), and
    optionally X_test and y_test; X with more than two axes, such as images
    (m, 64, 64, 3), is flattened per example. Labels may be integers or strings;
  - a .csv file, one example per row: numeric features and one label column
    (the last, or --label-column). A first row that is not numeric is a header;
  - a folder of images ({", ".join(IMAGE_SUFFIXES)})
    labelled by their file names: by default the letters a name starts with
    (dog.1.jpg -> dog, cat_7.png -> cat), or the first group of --label-pattern.
    Images are resized to --image-size (64x64 RGB) and scaled to [0, 1].
Labels are sorted and numbered from 0 (cat -> 0, dog -> 1). Two classes train a
sigmoid output (--layers ends in 1), more a softmax (--layers ends in the number
of classes). Features of .npz and .csv files are used as they are: scale them
yourself. Data without a test set of its own is split: --test-fraction of it is
held out for testing."""


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
    p.add_argument("--out", default="model.npz", metavar="PATH",
                   help="where to save the model (default: %(default)s)")
    p.add_argument("--plot", default=None, metavar="PATH",
                   help="also write the cost per epoch to this image (.png, .svg, .pdf)")
    p.add_argument("--test-fraction", type=fraction, default=0.2, metavar="F",
                   help="share of the examples held out for testing when DATA has no test set "
                   "of its own (default: %(default)s; 0 to train on all)")
    p.add_argument("--label-column", default=None, metavar="COL",
                   help=".csv: the label column, by number (0 = first, -1 = last) or header name "
                   "(default: the last)")
    p.add_argument("--label-pattern", default=None, metavar="REGEX",
                   help="image folder: a regular expression searched in each file name whose "
                   "first group (or whole match) is the label, e.g. '^(cat|dog)' (default: the "
                   "letters the name starts with)")
    p.add_argument("--image-size", type=positive_int, default=64, metavar="N",
                   help="image folder: pictures are resized to N x N RGB (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Read the data, train, save the model and print the summary; return the exit status."""
    data = read_data(args)
    layers = _check_layers(args.layers, data, args.data)
    activations = [args.activation] * (len(layers) - 2) + [
        "sigmoid" if layers[-1] == 1 else "softmax"]
    m = data.train_x.shape[1]
    progress = Progress(args.epochs, m, enabled=not args.quiet)
    try:
        model = train(data.train_x, data.train_y, layers, activations=activations,
                      optimizer=args.optimizer, learning_rate=args.lr, num_epochs=args.epochs,
                      mini_batch_size=args.batch_size, init=args.init, lambd=args.lambd,
                      keep_prob=args.keep_prob, batch_norm=args.batch_norm, seed=args.seed,
                      dtype=args.dtype,
                      backend=args.backend, device=_device(args.device), callback=progress)
    finally:
        progress.close()
    model.config.update(data=args.data, classes=data.classes,
                        input_image=list(data.image) if data.image else None)
    model.save(args.out)
    n_test = 0 if data.test_x is None else data.test_x.shape[1]
    rows = [
        ("data", f"{args.data}: {m} training and {n_test} test examples, "
                 f"{len(data.classes)} classes ({shorten(data.classes)})"),
        ("network", f"{'-'.join(map(str, layers))} ({', '.join(activations)}"
                    f"{', batch norm' if args.batch_norm else ''}), "
                    f"{model.num_parameters:,} parameters"),
        ("trained", f"{args.epochs} epochs in {model.config['train_seconds']:.1f} s on "
                    f"{model.config['backend']} ({args.dtype}), final cost {final_cost(model)}"),
        ("train accuracy", f"{model.evaluate(data.train_x, data.train_y):.2%}"),
    ]
    if data.test_x is not None:
        rows.append(("test accuracy", f"{model.evaluate(data.test_x, data.test_y):.2%}"))
    rows.append(("saved", args.out))
    if args.plot:
        plot_costs(model.costs, args.plot, f"{args.data}: {'-'.join(map(str, layers))}")
        rows.append(("plotted", args.plot))
    print_rows(rows)
    return 0


def read_data(args: argparse.Namespace) -> TrainingData:
    """:func:`load_training_data` with the options of ``args``; its errors name the options."""
    try:
        return load_training_data(args.data, label_column=args.label_column,
                                  label_pattern=args.label_pattern, image_size=args.image_size,
                                  test_fraction=args.test_fraction, seed=args.seed)
    except DataArgumentError as exc:  # name the option, not the Python argument
        if exc.argument not in OPTIONS:
            raise
        raise CLIError(exc.message_for(OPTIONS[exc.argument])) from exc


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


def _device(text: str | None) -> int | str | None:
    return int(text) if text is not None and text.isdigit() else text


# -- progress and plot ----------------------------------------------------------------------------
class Progress:
    """``callback(epoch, cost)`` for :func:`xpnet.train`: a tqdm bar over the epochs with the
    running cost and examples/s, or (without tqdm) a line every tenth of the run, on stderr.

    The bar appears with the first epoch's cost, so an error in the settings leaves none behind.
    """

    def __init__(self, num_epochs: int, num_examples: int, enabled: bool = True) -> None:
        self.num_epochs, self.m, self.enabled = num_epochs, num_examples, enabled
        self.start = time.perf_counter()
        self.bar: Any = None
        self.tqdm: Any
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        self.tqdm = tqdm

    def __call__(self, epoch: int, cost: float) -> None:
        if not self.enabled:
            return
        rate = self.m * (epoch + 1) / max(time.perf_counter() - self.start, 1e-9)
        if self.tqdm is not None:
            if self.bar is None:
                self.bar = self.tqdm(total=self.num_epochs, unit="epoch", file=sys.stderr,
                                     dynamic_ncols=True)
            self.bar.set_postfix_str(f"cost {cost:.4f}, {rate:,.0f} examples/s", refresh=False)
            self.bar.update(1)
        elif epoch % max(1, self.num_epochs // 10) == 0 or epoch == self.num_epochs - 1:
            print(f"epoch {epoch + 1}/{self.num_epochs}  cost {cost:.4f}  {rate:,.0f} examples/s",
                  file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def plot_costs(costs: Sequence[float], path: str, title: str) -> None:
    """Write the cost per epoch to an image file (PNG, SVG, PDF by its ending)."""
    from ..plots import plot_costs as draw

    try:
        draw(costs, title=title, path=path)
    except ImportError:
        raise CLIError('--plot needs matplotlib: pip install "xpnet[plot]"') from None
