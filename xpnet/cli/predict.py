"""``xpnet predict``: classify your own pictures, or the rows of a ``.npz`` or ``.csv`` file,
with a saved model.

Pictures go through what the model's training data went through (recorded by ``xpnet train``,
see :mod:`xpnet.cli._inputs`): upright by their EXIF orientation, transparency over white,
inverted when their background is not the training pictures' (dark writing on paper for an
MNIST model), cropped and centred as MNIST's for MNIST-like models, scaled as the training
pixels were ([0, 1] or 0–255), then standardised when the model was trained with
``--standardize``. Rows of ``.npz``/``.csv`` files are features as given, then standardised.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..backend import BACKENDS
from ..datasets.files import image_shape, read_csv_rows, read_image
from ..files import ModelFileError
from ..model import Model, load
from ._common import CLIError, name_options, positive_int
from ._inputs import InputPreprocessing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The description and options of ``xpnet predict``."""
    parser.description = (
        "Classify pictures, or the examples of .npz/.csv files, with a model saved by 'xpnet "
        "train' (or Model.save). Pictures are prepared as the model's training pictures were: "
        "resized to its input (64x64 RGB for the cat model; for MNIST-like models cropped to "
        "the ink and centred in 28x28, light on dark), scaled as its training data. Prints "
        "'INPUT: label (p=probability of that label)'.")
    parser.epilog = (
        "INPUT is a picture (any format Pillow reads), a .npz file with an array X\n"
        "(examples, features), or a .csv file with one example per row: numeric features,\n"
        "optionally followed by a label column, which is ignored; a first row that is not\n"
        "numeric is a header. Rows are printed as FILE[i], i from 0.\n\n"
        "examples:\n  xpnet predict cat.npz my_cat.jpg my_dog.png\n"
        "  xpnet predict mnist.npz digit.png --top-k 3 --json")
    parser.add_argument("model", metavar="MODEL", help="a saved model (.npz)")
    parser.add_argument("inputs", metavar="INPUT", nargs="+",
                        help="picture files, .npz or .csv files")
    parser.add_argument("--invert", action=argparse.BooleanOptionalAction, default=None,
                        help="--invert uses 1 - pixel value, --no-invert never does (default: "
                        "invert a picture whose background differs from the training pictures', "
                        "such as dark writing on white paper for an MNIST model)")
    parser.add_argument("--top-k", type=positive_int, default=1, metavar="K",
                        help="print the K most likely classes with their probabilities "
                        "(default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list: one object per example with its input, row, "
                        "label, p and the top K classes")
    parser.add_argument("--backend", choices=BACKENDS, default="numpy",
                        help="default: %(default)s")


@dataclass
class _Examples:
    """Examples read from one input: features (n_x, m) and their names."""

    source: str
    X: np.ndarray
    rows: list[int | None]


def run(args: argparse.Namespace) -> int:
    """Print the predicted class of each example; return the exit status."""
    try:
        model = load(args.model, backend=args.backend)
    except ImportError as exc:  # the backend is not installed: name the option
        raise CLIError(name_options(str(exc), {"backend": "--backend"})) from exc
    n_x = model.layer_dims[0]
    prep = InputPreprocessing.of_model(model.config, n_x)
    classes = model_classes(model, args.model)
    if prep.scale is None and any(_is_picture(path) for path in args.inputs):
        print(f"xpnet predict: note: {args.model} was trained on features that are neither "
              "[0, 1] nor 0-255 pixels; pictures are given to it in [0, 1]", file=sys.stderr)
    found = [_read(path, model, args, prep) for path in args.inputs]
    X = prep.standardize(np.concatenate([e.X for e in found], axis=1))
    with np.errstate(all="ignore"):
        P = np.asarray(model.predict_proba(X), dtype=np.float64)
    if P.shape[0] == 1:
        P = np.vstack([1.0 - P, P])
    k = min(args.top_k, P.shape[0])
    names = [(e.source, row) for e in found for row in e.rows]
    results = []
    for (source, row), column in zip(names, P.T, strict=True):
        order = np.argsort(-column, kind="stable")[:k]
        results.append({"input": source, "row": row, "label": classes[order[0]],
                        "p": float(column[order[0]]),
                        "top": [{"label": classes[j], "p": float(column[j])} for j in order]})
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        where = r["input"] if r["row"] is None else f"{r['input']}[{r['row']}]"
        print(f"{where}: " + ", ".join(f"{t['label']} (p={t['p']:.3f})" for t in r["top"]))
    return 0


def _is_picture(path: str) -> bool:
    return Path(path).suffix.lower() not in (".npz", ".csv")


def _read(path: str, model: Model, args: argparse.Namespace, prep: InputPreprocessing
          ) -> _Examples:
    suffix = Path(path).suffix.lower()
    n_x = model.layer_dims[0]
    if suffix == ".npz":
        X = _npz_features(path)
    elif suffix == ".csv":
        X = _csv_features(path, n_x)
    else:  # a picture
        shape = model_image_shape(model, args.model)
        pixels = read_image(path, shape, args.invert, background=prep.background,
                            centring=prep.centring if shape[2] == 1 else None)
        return _Examples(path, (pixels * (prep.scale or 1.0))[:, None], [None])
    if X.shape[0] != n_x:
        raise CLIError(f"{path} has {X.shape[0]} features per example but {args.model} takes "
                       f"{n_x}")
    return _Examples(path, X, list(range(X.shape[1])))


def _npz_features(path: str) -> np.ndarray:
    """The array ``X`` (or the only array) of a ``.npz`` file, rows = examples -> (n_x, m)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if not zipfile.is_zipfile(path):
        raise CLIError(f"{path} is not a .npz archive (write one with numpy.savez)")
    with np.load(path, allow_pickle=False) as f:
        names = list(f.files)
        if "X" not in names and len(names) != 1:
            raise CLIError(f"{path} must hold an array 'X' (examples, features); it holds "
                           f"{', '.join(names) or 'nothing'}")
        X = f["X" if "X" in names else names[0]]
    if X.ndim < 2 or X.dtype.kind not in "biuf":
        raise CLIError(f"{path}: X must be numeric with one row per example, got "
                       f"{X.dtype} of shape {X.shape}")
    return X.reshape(X.shape[0], -1).T.astype(np.float64)


def _csv_features(path: str, n_x: int) -> np.ndarray:
    """The rows of a ``.csv`` file: ``n_x`` numeric features, and a label column after them
    when there are ``n_x + 1`` fields (ignored); a first row that is not numeric is a header."""
    rows = read_csv_rows(path)
    width = len(rows[0][1])
    if width not in (n_x, n_x + 1):
        raise CLIError(f"{path} has {width} fields per row; the model takes {n_x} features (and "
                       "an optional label after them)")
    if not all(_is_number(c) for c in rows[0][1][:n_x]):
        rows = rows[1:]  # a header
    if not rows:
        raise CLIError(f"{path} has no examples")
    values = []
    for n, fields in rows:
        if len(fields) != width:
            raise CLIError(f"{path}, line {n}: {len(fields)} fields, expected {width}")
        row = fields[:n_x]
        bad = next((c for c in row if not _is_number(c)), None)
        if bad is not None:
            raise CLIError(f"{path}, line {n}: {bad!r} is not a number")
        values.append([float(c) for c in row])
    return np.array(values, dtype=np.float64).T


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def model_classes(model: Model, source: str) -> list[str]:
    """The names of the model's outputs (two for a sigmoid output): recorded by ``xpnet
    train``, else ``"0"``, ``"1"``, ..."""
    count = max(2, model.layer_dims[-1])
    recorded = model.config.get("classes")
    if not recorded:
        return [str(k) for k in range(count)]
    if not (isinstance(recorded, list) and len(recorded) == count
            and all(isinstance(c, (str, int)) and not isinstance(c, bool) for c in recorded)):
        raise ModelFileError(f"{source}: its recorded classes are not a list of {count} names, "
                             "one per output")
    return [str(c) for c in recorded]


def model_image_shape(model: Model, source: str) -> tuple[int, int, int]:
    """The (h, w, channels) a model's input pictures have: recorded by ``xpnet train``, or
    inferred from the input size (12288 = 64·64·3 RGB, 784 = 28·28 grey)."""
    recorded = model.config.get("input_image")
    if recorded:
        if not (isinstance(recorded, list) and len(recorded) == 3
                and all(type(n) is int and n > 0 for n in recorded)
                and recorded[2] in (1, 3) and math.prod(recorded) == model.layer_dims[0]):
            raise ModelFileError(
                f"{source}: its recorded input_image {str(recorded)[:80]} is not [height, width, "
                f"channels (1 or 3)] with {model.layer_dims[0]} values, the model's input size")
        height, width, channels = recorded
        return height, width, channels
    shape = image_shape(model.layer_dims[0])
    if shape is None:
        raise CLIError(f"{source} takes {model.layer_dims[0]} features per example, which is not "
                       "the size of square images (side x side x 3 or side x side); give it "
                       ".npz or .csv files of examples instead of pictures")
    return shape

