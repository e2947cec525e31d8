"""The ``xpnet`` command line: ``train``, ``predict`` and ``info``, plus ``bench`` and
``reproduce`` (whose options and work live in :mod:`xpnet.benchmarks` and :mod:`xpnet.reproduce`).

``xpnet COMMAND --help`` documents every option. A failure prints one line,
``xpnet: error: ...``, and exits with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from . import __version__
from .activations import ACTIVATIONS
from .backend import BACKENDS, DTYPES
from .datasets.files import (
    IMAGE_SUFFIXES,
    SHIPPED,
    DataArgumentError,
    TrainingData,
    image_shape,
    load_training_data,
    read_image,
)
from .initializers import INITS
from .io import load
from .model import Model
from .optimizers import OPTIMIZERS
from .training import DEFAULT_LEARNING_RATE, train

#: Exit status of every failure the user can fix.
EXIT_ERROR = 2
#: Subcommands whose options and work live in another module: name -> (module, help).
DELEGATED = {
    "reproduce": ("xpnet.reproduce", "train the course's networks and compare with its numbers"),
    "bench": ("xpnet.benchmarks", "time training on each backend"),
}
HIDDEN_ACTIVATIONS = tuple(name for name, cls in ACTIVATIONS.items() if not cls.output_only)

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


class CLIError(Exception):
    """A mistake in the command or its input: reported as one line, exit status 2."""


#: Exceptions that report a mistake in the command or its input (a file, a setting).
USER_ERRORS = (CLIError, ValueError, TypeError, OSError, ImportError, FloatingPointError)


class _Formatter(argparse.HelpFormatter):
    """Wrap one-paragraph texts; keep texts with line breaks (the data formats) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line that points to ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# -- progress -----------------------------------------------------------------------------------
class Progress:
    """``callback(epoch, cost)`` for :func:`xpnet.train`: a tqdm bar over the epochs with the
    running cost and examples/s, or (without tqdm) a line every tenth of the run, on stderr.

    The bar appears with the first epoch's cost, so an error in the settings leaves none behind.
    """

    def __init__(self, num_epochs: int, num_examples: int, enabled: bool = True) -> None:
        self.num_epochs, self.m, self.enabled = num_epochs, num_examples, enabled
        self.start = time.perf_counter()
        self.bar: Any = None
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
    from .plots import plot_costs as draw

    try:
        draw(costs, title=title, path=path)
    except ImportError:
        raise CLIError('--plot needs matplotlib: pip install "xpnet[plot]"') from None


# -- commands -----------------------------------------------------------------------------------
#: The option of ``xpnet train`` that gives each argument of :func:`load_training_data`.
TRAIN_OPTIONS = {"source": "DATA", "label_column": "--label-column",
                 "label_pattern": "--label-pattern", "image_size": "--image-size",
                 "test_fraction": "--test-fraction"}


def cmd_train(args: argparse.Namespace) -> int:
    try:
        data = load_training_data(args.data, label_column=args.label_column,
                                  label_pattern=args.label_pattern, image_size=args.image_size,
                                  test_fraction=args.test_fraction, seed=args.seed)
    except DataArgumentError as exc:  # name the option, not the Python argument
        if exc.argument not in TRAIN_OPTIONS:
            raise
        raise CLIError(exc.message_for(TRAIN_OPTIONS[exc.argument])) from exc
    layers = _check_layers(args.layers, data, args.data)
    activations = [args.activation] * (len(layers) - 2) + [
        "sigmoid" if layers[-1] == 1 else "softmax"]
    m = data.train_x.shape[1]
    progress = Progress(args.epochs, m, enabled=not args.quiet)
    try:
        model = train(data.train_x, data.train_y, layers, activations=activations,
                      optimizer=args.optimizer, learning_rate=args.lr, num_epochs=args.epochs,
                      mini_batch_size=args.batch_size, init=args.init, lambd=args.lambd,
                      keep_prob=args.keep_prob, seed=args.seed, dtype=args.dtype,
                      backend=args.backend, device=_device(args.device), callback=progress)
    finally:
        progress.close()
    model.config.update(data=args.data, classes=data.classes,
                        input_image=list(data.image) if data.image else None)
    model.save(args.out)
    n_test = 0 if data.test_x is None else data.test_x.shape[1]
    rows = [
        ("data", f"{args.data}: {m} training and {n_test} test examples, "
                 f"{len(data.classes)} classes ({_shorten(data.classes)})"),
        ("network", f"{'-'.join(map(str, layers))} ({', '.join(activations)}), "
                    f"{model.num_parameters:,} parameters"),
        ("trained", f"{args.epochs} epochs in {model.config['train_seconds']:.1f} s on "
                    f"{model.config['backend']} ({args.dtype}), final cost {_final_cost(model)}"),
        ("train accuracy", f"{model.evaluate(data.train_x, data.train_y):.2%}"),
    ]
    if data.test_x is not None:
        rows.append(("test accuracy", f"{model.evaluate(data.test_x, data.test_y):.2%}"))
    rows.append(("saved", args.out))
    if args.plot:
        plot_costs(model.costs, args.plot, f"{args.data}: {'-'.join(map(str, layers))}")
        rows.append(("plotted", args.plot))
    _print_rows(rows)
    return 0


def _print_rows(rows: Sequence[tuple[str, str]], indent: str = "") -> None:
    for key, value in rows:
        print(f"{indent}{key:<16}{value}")


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


def _shorten(names: list[str], most: int = 10) -> str:
    return ", ".join(names[:most]) + (", ..." if len(names) > most else "")


def _final_cost(model: Model) -> str:
    return f"{model.costs[-1]:.6g}" if model.costs else "none (0 epochs)"


def cmd_predict(args: argparse.Namespace) -> int:
    model = load(args.model, backend=args.backend)
    shape = model_image_shape(model, args.model)
    classes = model.config.get("classes") or [str(k) for k in range(max(2, model.layer_dims[-1]))]
    X = np.stack([read_image(Path(p), shape, args.invert) for p in args.images], axis=1)
    P = np.asarray(model.predict_proba(X), dtype=np.float64)
    if P.shape[0] == 1:
        P = np.vstack([1.0 - P, P])
    for path, column in zip(args.images, P.T, strict=True):
        k = int(np.argmax(column))
        print(f"{path}: {classes[k]} (p={column[k]:.3f})")
    return 0


def model_image_shape(model: Model, source: str) -> tuple[int, int, int]:
    """The (h, w, channels) a model's input pictures have: recorded by ``xpnet train``, or
    inferred from the input size (12288 = 64·64·3 RGB, 784 = 28·28 grey)."""
    recorded = model.config.get("input_image")
    shape = tuple(recorded) if recorded else image_shape(model.layer_dims[0])
    if shape is None:
        raise CLIError(f"{source} takes {model.layer_dims[0]} features per example, which is not "
                       "the size of square images (side x side x 3 or side x side); predict reads "
                       "pictures only")
    return shape  # type: ignore[return-value]


def cmd_info(args: argparse.Namespace) -> int:
    model = load(args.model)
    config = dict(model.config)
    summary = {
        "file": args.model, "layer_dims": model.layer_dims, "activations": model.activations,
        "parameters": model.num_parameters, "dtype": model.dtype, "epochs": len(model.costs),
        "final_cost": model.costs[-1] if model.costs else None,
        "classes": config.pop("classes", None), "input_image": config.pop("input_image", None),
        "training": config,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    rows = [
        ("layers", " -> ".join(map(str, model.layer_dims))),
        ("activations", ", ".join(model.activations)),
        ("parameters", f"{model.num_parameters:,} ({model.dtype})"),
        ("classes", _shorten(summary["classes"]) if summary["classes"] else "not recorded"),
        ("input", _input_text(summary["input_image"], model.layer_dims[0])),
        ("final cost", f"{_final_cost(model)} after {len(model.costs)} epochs"),
    ]
    rows += [(key, _setting(value)) for key, value in config.items()]
    print(f"{args.model}: xpnet model")
    _print_rows(rows, indent="  ")
    return 0


def _input_text(recorded: list[int] | None, n_x: int) -> str:
    if recorded:
        return _image_text(recorded)
    inferred = image_shape(n_x)
    return f"{n_x} features" + (f" ({_image_text(inferred)} to 'xpnet predict')" if inferred
                                else "")


def _image_text(shape: Sequence[int]) -> str:
    return f"{shape[0]}x{shape[1]} {'RGB' if shape[2] == 3 else 'grey'} images"


def _setting(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


# -- the parser ---------------------------------------------------------------------------------
def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of layer sizes such as 12288,20,7,5,1"
        ) from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give at least two positive sizes, input to output, such as 2,8,1")
    return sizes


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(text)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction in [0, 1)")
    return value


def _add_train(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "train", parents=[common], formatter_class=_Formatter,
        help="train a network on a data set and save it",
        description="Train an L-layer network (ReLU hidden layers, sigmoid or softmax output) "
                    "with a progress bar, print its train and test accuracy and save it.",
        epilog=DATA_HELP + "\n\nexample:\n  xpnet train cat --layers 12288,20,7,5,1 --lr 0.0075 "
               "--epochs 2500 --out cat.npz --plot cat-cost.png")
    p.add_argument("data", metavar="DATA", help="data set name, .npz/.csv file or image folder "
                   "(see below)")
    p.add_argument("--layers", type=_sizes, required=True, metavar="SIZES",
                   help="comma-separated layer sizes from input to output, e.g. 12288,20,7,5,1: "
                   "the number of features first, 1 (two classes) or the number of classes last")
    p.add_argument("--activation", choices=HIDDEN_ACTIVATIONS, default="relu",
                   help="activation of the hidden layers (default: %(default)s)")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam",
                   help="update rule (default: %(default)s)")
    p.add_argument("--lr", type=float, default=None, metavar="RATE",
                   help=f"learning rate (default: {DEFAULT_LEARNING_RATE})")
    p.add_argument("--epochs", type=_count, default=100, help="passes over the training set "
                   "(default: %(default)s)")
    p.add_argument("--batch-size", type=_positive_int, default=None, metavar="N",
                   help="mini-batch size (default: the whole training set in one batch)")
    p.add_argument("--init", choices=sorted(INITS), default="he",
                   help="initial weights: he (x sqrt(2/n_prev)), xavier (x sqrt(1/n_prev)), "
                   "random (x 0.01) or zeros (default: %(default)s)")
    p.add_argument("--lambd", type=float, default=0.0, help="L2 regularisation strength "
                   "(default: %(default)s)")
    p.add_argument("--keep-prob", type=float, default=1.0, metavar="P",
                   help="dropout keep probability of hidden units (default: 1, no dropout)")
    p.add_argument("--backend", choices=BACKENDS, default="numpy", help="default: %(default)s")
    p.add_argument("--device", default=None, help="a device of the backend, such as 0 or "
                   "cuda:0 (default: the backend's own)")
    p.add_argument("--dtype", choices=DTYPES, default="float32", help="default: %(default)s")
    p.add_argument("--seed", type=_count, default=0, help="seed of the initial weights, the "
                   "batch order, dropout and the test split (default: %(default)s)")
    p.add_argument("--out", default="model.npz", metavar="PATH",
                   help="where to save the model (default: %(default)s)")
    p.add_argument("--plot", default=None, metavar="PATH",
                   help="also write the cost per epoch to this image (.png, .svg, .pdf)")
    p.add_argument("--test-fraction", type=_fraction, default=0.2, metavar="F",
                   help="share of the examples held out for testing when DATA has no test set "
                   "of its own (default: %(default)s; 0 to train on all)")
    p.add_argument("--label-column", default=None, metavar="COL",
                   help=".csv: the label column, by number (0 = first, -1 = last) or header name "
                   "(default: the last)")
    p.add_argument("--label-pattern", default=None, metavar="REGEX",
                   help="image folder: a regular expression searched in each file name whose "
                   "first group (or whole match) is the label, e.g. '^(cat|dog)' (default: the "
                   "letters the name starts with)")
    p.add_argument("--image-size", type=_positive_int, default=64, metavar="N",
                   help="image folder: pictures are resized to N x N RGB (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)


def _add_predict(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "predict", parents=[common], formatter_class=_Formatter,
        help="classify your own pictures with a saved model",
        description="Classify pictures with a model saved by 'xpnet train' (or Model.save): "
                    "each is read with Pillow, resized to the model's input (64x64 RGB for the "
                    "cat model, 28x28 grey for MNIST), scaled to [0, 1], and printed as "
                    "'IMAGE: label (p=probability of that label)'.",
        epilog="example:\n  xpnet predict cat.npz my_cat.jpg my_dog.png")
    p.add_argument("model", metavar="MODEL", help="a saved model (.npz)")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="picture files (any format "
                   "Pillow reads)")
    p.add_argument("--invert", action="store_true", help="use 1 - pixel value: for MNIST "
                   "models (light digits on black) given dark writing on white paper")
    p.add_argument("--backend", choices=BACKENDS, default="numpy", help="default: %(default)s")
    p.set_defaults(func=cmd_predict)


def _add_info(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "info", parents=[common], help="summarise a saved model",
        description="Print a saved model's layers, activations, parameter count, classes, "
                    "input, final cost and training settings.")
    p.add_argument("model", metavar="MODEL", help="a saved model (.npz)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_info)


def _add_delegated(sub: Any, common: argparse.ArgumentParser, name: str, load_it: bool) -> None:
    """Register ``name``; with ``load_it`` its module is imported and adds its options."""
    module_name, help_text = DELEGATED[name]
    p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
    if load_it:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise CLIError(f"'xpnet {name}' is not available in this installation: importing "
                           f"{module_name} failed ({exc})") from None
        module.add_arguments(p)
        p.set_defaults(func=module.run)


def build_parser(load_delegated: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The ``xpnet`` parser; the modules of the commands in ``load_delegated`` are imported."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    parser = _Parser(prog="xpnet", description="Fully-connected deep networks in the "
                     "deeplearning.ai style on NumPy, CuPy, PyTorch, JAX or array-api-strict.",
                     epilog="'xpnet COMMAND --help' describes a command.")
    parser.add_argument("--version", action="version", version=f"xpnet {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_train(sub, common)
    _add_predict(sub, common)
    _add_info(sub, common)
    for name in DELEGATED:
        _add_delegated(sub, common, name, name in load_delegated)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _one_line(exc: BaseException) -> str:
    """The error as one line; exceptions that are not the user's to fix also name their type."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        text = f"{exc.strerror}: {exc.filename}"
    elif isinstance(exc, USER_ERRORS):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc} (run with --debug for the traceback)"
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``xpnet ARGS``; return the exit status (0, or 2 after an error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        command = _command_of(argv)
        parser = build_parser(load_delegated=[command] if command in DELEGATED else [])
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("xpnet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `xpnet info ... | head`: the reader left; leave quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if "--debug" in argv:
            raise
        print(f"xpnet: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
