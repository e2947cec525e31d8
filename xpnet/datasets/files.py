"""Your own training data from files: ``.npz`` and ``.csv`` files, folders of pictures and
single pictures, plus the shipped data sets by name, all in the layout :func:`xpnet.train` takes.

Every reader returns a :class:`TrainingData`: ``train_x`` is (features, examples) float64, one
example per column; ``train_y`` is (1, examples) int64 class indices. The labels found in the
data are sorted and numbered from 0, and ``classes[k]`` names class ``k`` (``cat`` -> 0,
``dog`` -> 1; integer labels sort as numbers, so ``3, 5, 7`` -> 0, 1, 2)::

    from xpnet import train
    from xpnet.datasets.files import load_training_data

    data = load_training_data("pets/", label_pattern=r"^(cat|dog)", image_size=64)
    model = train(data.train_x, data.train_y, [64 * 64 * 3, 20, 7, 5, 1])
    model.evaluate(data.test_x, data.test_y)

:func:`load_training_data` picks the reader by the source and holds out a test set when the
data has none; :func:`read_npz_data`, :func:`read_csv_data`, :func:`read_image_folder` and
:func:`read_image` read one kind of source, :func:`hold_out` splits off a test set.

Mistakes raise ``ValueError`` (a :class:`DataArgumentError` when one argument is to blame; it
names the argument: ``label_column='z' is not in the header of data.csv (a, b, c)``),
``TypeError`` for an argument of the wrong type and ``FileNotFoundError`` for a missing file.
Reading pictures needs Pillow: ``pip install "xpnet[cli]"``.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import numbers
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .course import load_dataset

__all__ = [
    "IMAGE_SUFFIXES",
    "MIN_SIDE",
    "SHIPPED",
    "DataArgumentError",
    "TrainingData",
    "hold_out",
    "image_shape",
    "load_training_data",
    "read_csv_data",
    "read_image",
    "read_image_folder",
    "read_npz_data",
]

#: Data sets shipped with xpnet, by the names :func:`load_training_data` knows them
#: (read with :func:`xpnet.datasets.load_dataset`).
SHIPPED = ("cat", "mnist", "mnist-3v7", "football", "moons", "circles")
#: File name endings read as images (in any case: ``.JPG`` too).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
#: The smallest side of a square picture that :func:`image_shape` guesses from a size.
MIN_SIDE = 8
#: The shipped data sets whose features are the pixels of pictures.
_PICTURES = ("cat", "mnist", "mnist-3v7")
_PILLOW_HINT = 'pip install "xpnet[cli]"'


@dataclass
class TrainingData:
    """Examples in the course's layout.

    ``train_x`` (n_x, m_train) float64 (or the ``dtype`` asked for), one example per column;
    ``train_y`` (1, m_train) int64 class indices; ``test_x`` (n_x, m_test) and ``test_y``
    (1, m_test) likewise, or ``None`` when there is no test set. ``classes[k]`` names class
    ``k``. ``image`` is (height, width, channels) when the features are the pixels of pictures
    (column ``i`` is ``picture.reshape(-1)``; values in [0, 1] for pictures read from files and
    the shipped sets, as stored for a ``.npz`` of pictures (m, h, w) or (m, h, w, c)), ``None``
    otherwise.
    """

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray | None
    test_y: np.ndarray | None
    classes: list[str]
    image: tuple[int, int, int] | None = None


class DataArgumentError(ValueError):
    """A reader's argument does not fit the data, such as a ``label_column`` not in the header.

    ``argument`` is the name of the argument (``"label_column"``) and ``value`` its value, so
    that a front end can name its own option instead: ``exc.message_for("--label-column")``
    gives ``--label-column 'z' is not in ...`` where ``str(exc)`` is
    ``label_column='z' is not in ...``.

    The message is ``subject``, the argument and its value, ``problem``, then (when given)
    ``"; "``, ``advice`` and the argument's name again: ``rename it or give another
    label_pattern``.
    """

    def __init__(self, argument: str, value: object, problem: str, subject: str = "",
                 advice: str = "") -> None:
        self.argument, self.value, self.problem = argument, value, problem
        self.subject, self.advice = subject, advice
        super().__init__(self._text(f"{argument}={value!r}", argument))

    def message_for(self, option: str) -> str:
        """The message with the argument called ``option`` (``"--label-column"``)."""
        return self._text(f"{option} {self.value!r}", option)

    def _text(self, named_value: str, name: str) -> str:
        text = f"{self.subject}{named_value}{self.problem}"
        return f"{text}; {self.advice} {name}" if self.advice else text

    def __reduce__(self) -> tuple[type[DataArgumentError], tuple[str, object, str, str, str]]:
        return type(self), (self.argument, self.value, self.problem, self.subject, self.advice)


# -- any source -----------------------------------------------------------------------------------
def load_training_data(source: str | os.PathLike[str], *, label_column: int | str | None = None,
                       label_pattern: str | None = None, image_size: int = 64,
                       test_fraction: float = 0.2, seed: int = 0,
                       delimiter: str | None = None, dtype: str = "float64") -> TrainingData:
    """Read ``source`` and hold out ``test_fraction`` of it for testing when it has no test set.

    ``source`` is one of:

    - a shipped data set, by a name in :data:`SHIPPED` (pass ``"./cat"`` for a folder that has
      one of these names). Its own test set is kept;
    - a ``.npz`` file (:func:`read_npz_data`);
    - a ``.csv`` file (:func:`read_csv_data`; ``label_column`` picks the label column,
      ``delimiter`` separates the fields: ``None`` detects it);
    - a folder of pictures, one subfolder per class or labelled by file name
      (:func:`read_image_folder`; ``label_pattern`` and ``image_size``).

    ``test_fraction`` in [0, 1): the share of the examples moved to the test set, drawn with
    ``seed`` and stratified by class (:func:`hold_out`), when the data has no test set of its
    own; 0 keeps them all for training (``test_x`` and ``test_y`` are then ``None``).

    ``dtype`` (``"float64"`` or ``"float32"``) is the features' dtype: read a shipped set in the
    dtype you train in, and it is never held in float64 (MNIST: 188 MB instead of 376 MB).
    """
    _check_fraction("test_fraction", test_fraction, allow_zero=True)
    if dtype not in ("float32", "float64"):
        raise DataArgumentError("dtype", dtype, " is not 'float32' or 'float64'")
    if isinstance(source, str) and source in SHIPPED:
        data = _read_shipped(source, dtype)
    else:
        path = _as_path("source", source)
        if path.is_dir():
            data = read_image_folder(path, label_pattern, image_size)
        elif path.suffix.lower() == ".npz":
            data = read_npz_data(path)
        elif path.suffix.lower() == ".csv":
            data = read_csv_data(path, label_column, delimiter)
        else:
            raise DataArgumentError(
                "source", str(source), f" is neither a shipped data set ({', '.join(SHIPPED)}) "
                "nor a .npz file, a .csv file or a folder of images")
    if data.train_x.dtype != dtype:
        data = TrainingData(data.train_x.astype(dtype), data.train_y,
                            None if data.test_x is None else data.test_x.astype(dtype),
                            data.test_y, data.classes, data.image)
    if data.test_x is None and test_fraction > 0:
        data = _hold_out(data, test_fraction, seed, "test_fraction")
    return data


def hold_out(data: TrainingData, fraction: float, seed: int = 0) -> TrainingData:
    """``data`` with a random ``fraction`` of its examples (at least one) moved to a test set.

    The split is stratified, as scikit-learn's ``train_test_split(..., stratify=y)``: each
    class gives the test set its share of ``round(m * fraction)`` examples (rounded by the
    largest remainders) and keeps at least one training example. ``data`` must have no test
    set yet; ``fraction`` is in (0, 1) and must leave at least one training example. The same
    ``seed`` draws the same split; both parts keep the examples' order. Returns a new
    :class:`TrainingData`; ``data`` is not changed.
    """
    _check_fraction("fraction", fraction, allow_zero=False)
    return _hold_out(data, fraction, seed, "fraction")


def _hold_out(data: TrainingData, fraction: float, seed: int, argument: str) -> TrainingData:
    if data.test_x is not None:
        raise ValueError("data already has a test set; hold out a part of data without one")
    m = data.train_x.shape[1]
    n_test = max(1, round(m * fraction))
    if n_test >= m:
        raise DataArgumentError(argument, fraction, f" leaves no training examples out of {m}")
    labels = data.train_y.reshape(-1)
    classes, counts = np.unique(labels, return_counts=True)
    quota = _stratified_quota(counts, n_test)
    rng = np.random.default_rng(seed)
    test = np.sort(np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:q]
                                   for c, q in zip(classes, quota, strict=True)]))
    keep = np.setdiff1d(np.arange(m), test)
    return TrainingData(data.train_x[:, keep], data.train_y[:, keep], data.train_x[:, test],
                        data.train_y[:, test], data.classes, data.image)


def _stratified_quota(counts: np.ndarray, n_test: int) -> np.ndarray:
    """Test examples per class: ``n_test`` shared in proportion to ``counts`` (the largest
    remainders get the rounding), each class keeping at least one training example where the
    classes' sizes allow it."""
    exact = counts * n_test / counts.sum()
    quota = np.floor(exact).astype(np.int64)
    by_remainder = np.argsort(-(exact - quota), kind="stable")
    quota[by_remainder[:n_test - int(quota.sum())]] += 1
    quota = np.minimum(quota, counts - 1)
    for most in (counts - 1, counts):  # what one-example classes could not take goes elsewhere
        for k in itertools.cycle(by_remainder):
            if quota.sum() >= n_test or np.all(quota >= most):
                break
            if quota[k] < most[k]:
                quota[k] += 1
    return quota


def _check_fraction(argument: str, value: float, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number, got {type(value).__name__}")
    if allow_zero and not 0.0 <= value < 1.0:
        raise DataArgumentError(argument, value, " is not a fraction in [0, 1)")
    if not allow_zero and not 0.0 < value < 1.0:
        raise DataArgumentError(argument, value, " is not a fraction in (0, 1)")


def _as_path(argument: str, value: object) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"{argument} must be a path, got {type(value).__name__}")
    return Path(value)


def _existing_file(argument: str, value: object) -> Path:
    path = _as_path(argument, value)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    return path


def _read_shipped(name: str, dtype: str = "float64") -> TrainingData:
    """A shipped data set (features in ``dtype``), labels as class indices even where they are
    one-hot."""
    ds = load_dataset(name, dtype=dtype)
    if ds.train_x is None or ds.train_y is None:
        raise ValueError(f"the shipped data set {name!r} has no training split")
    train_y = _as_indices(np.asarray(ds.train_y))
    test_y = None if ds.test_y is None else _as_indices(np.asarray(ds.test_y))
    n_classes = int(max(train_y.max(), -1 if test_y is None else test_y.max())) + 1
    names = [c.decode() if isinstance(c, bytes) else str(c) for c in ds.classes or ()]
    classes = names if len(names) == n_classes else [str(k) for k in range(n_classes)]
    train_x = np.asarray(ds.train_x)
    image = image_shape(train_x.shape[0]) if name in _PICTURES else None
    return TrainingData(train_x, train_y, None if ds.test_x is None else np.asarray(ds.test_x),
                        test_y, classes, image)


def _as_indices(Y: np.ndarray) -> np.ndarray:
    """Class indices (1, m) from one-hot (C, m) or index (1, m) / (m,) labels."""
    if Y.ndim == 2 and Y.shape[0] > 1:
        return np.argmax(Y, axis=0).reshape(1, -1)
    return Y.reshape(1, -1).astype(np.int64)


def _encode(y: np.ndarray, y_test: np.ndarray | None, source: str
            ) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Labels of any kind -> class indices (1, m), numbered in sorted order, and the names."""
    classes, codes = np.unique(y, return_inverse=True)
    test_codes = None
    if y_test is not None:
        unknown = np.setdiff1d(y_test, classes)
        if unknown.size:
            raise ValueError(f"{source}: the test labels {unknown[:5].tolist()} never occur in "
                             "the training labels")
        test_codes = np.searchsorted(classes, y_test).reshape(1, -1)
    return codes.reshape(1, -1), test_codes, [str(c) for c in classes.tolist()]


# -- .npz -----------------------------------------------------------------------------------------
def read_npz_data(path: str | os.PathLike[str]) -> TrainingData:
    """The examples of a ``.npz`` archive written by ``numpy.savez``.

    It holds ``X`` (examples, features) and ``y`` (examples,): one row per example, as
    scikit-learn has them (they are transposed here to the course's columns). ``X`` with more
    than two axes, such as pictures (m, 64, 64, 3), is flattened per example, row-major. Labels
    may be integers or strings. Optional ``X_test`` and ``y_test`` (both or neither) are the
    test set, whose labels must all occur in ``y``; without them ``test_x`` and ``test_y`` are
    ``None``. Features are used as they are (float64). ``X`` of shape (m, h, w) or
    (m, h, w, 1 or 3) is taken for pictures: ``image`` is then (h, w, channels).
    """
    path = _existing_file("path", path)
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a .npz archive (write one with numpy.savez)")
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    if "X" not in arrays or "y" not in arrays:
        raise ValueError(f"{path} must hold arrays 'X' (examples, features) and 'y' (examples,); "
                         f"it holds {', '.join(arrays) or 'nothing'}")
    X = _examples_as_columns(arrays["X"], "X", str(path))
    y = _labels_vector(arrays["y"], "y", X.shape[1], str(path))
    X_test = y_test = None
    if ("X_test" in arrays) != ("y_test" in arrays):
        raise ValueError(f"{path} must hold both X_test and y_test, or neither")
    if "X_test" in arrays:
        X_test = _examples_as_columns(arrays["X_test"], "X_test", str(path))
        y_test = _labels_vector(arrays["y_test"], "y_test", X_test.shape[1], str(path))
        if X_test.shape[0] != X.shape[0]:
            raise ValueError(f"{path}: X_test has {X_test.shape[0]} features per example but X "
                             f"has {X.shape[0]}")
    codes, test_codes, classes = _encode(y, y_test, str(path))
    return TrainingData(X, codes, X_test, test_codes, classes, _picture_shape(arrays["X"]))


def _picture_shape(X: np.ndarray) -> tuple[int, int, int] | None:
    """(height, width, channels) of pictures stored as (m, h, w) or (m, h, w, 1 or 3)."""
    if X.ndim == 3:
        return int(X.shape[1]), int(X.shape[2]), 1
    if X.ndim == 4 and X.shape[3] in (1, 3):
        return int(X.shape[1]), int(X.shape[2]), int(X.shape[3])
    return None


def _examples_as_columns(X: np.ndarray, name: str, source: str) -> np.ndarray:
    """Rows = examples (m, ...) -> columns = examples (n_x, m), as float64."""
    if X.ndim < 2:
        raise ValueError(f"{source}: {name} must have one row per example (examples, features), "
                         f"got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{source}: {name} must be numeric, got dtype {X.dtype}")
    return X.reshape(X.shape[0], -1).T.astype(np.float64)


def _labels_vector(y: np.ndarray, name: str, m: int, source: str) -> np.ndarray:
    if y.ndim > 1 and max(y.shape) != y.size:
        raise ValueError(f"{source}: {name} must be one label per example (examples,), "
                         f"got shape {y.shape}")
    y = y.reshape(-1)
    if y.shape[0] != m:
        raise ValueError(f"{source}: {name} has {y.shape[0]} labels for {m} examples")
    return y


# -- .csv -----------------------------------------------------------------------------------------
def read_csv_data(path: str | os.PathLike[str], label_column: int | str | None = None,
                  delimiter: str | None = None) -> TrainingData:
    """The examples of a ``.csv`` file: one example per row, numeric features and one label.

    ``label_column`` is the label's column: ``None`` for the last, a number (0 = the first,
    -1 = the last; a string of digits counts as a number) or a name in the header. A first row
    whose features are not all numbers, or any first row when ``label_column`` is a name, is a
    header. Labels may be numbers or words. Empty lines are skipped; every other line must have
    as many fields as the first. ``delimiter`` separates the fields; ``None`` detects it
    (:func:`read_csv_rows`). There is no test set (``test_x`` and ``test_y`` are ``None``).
    """
    path = _existing_file("path", path)
    if isinstance(label_column, bool) or not isinstance(label_column,
                                                        numbers.Integral | str | None):
        raise TypeError(f"label_column must be a column number or a header name, got "
                        f"{type(label_column).__name__}")
    lines, delimiter = _csv_rows(path, delimiter)
    first = lines[0][1]
    width = len(first)
    if width < 2:
        other = next((d for d in _DELIMITERS if d != delimiter and d in first[0]), None)
        if other is not None:
            raise DataArgumentError("delimiter", delimiter, " finds one column only",
                                    subject=f"{path}: ", advice=f"the file seems to use {other!r} "
                                    f"between fields: give {other!r} as")
        raise ValueError(f"{path} needs at least two columns (features and a label), "
                         f"found {width} on its first line")
    col = _label_index(label_column, first, width, path)
    by_name = isinstance(label_column, str) and not _parses(label_column, int)
    if by_name or not all(_parses(c, float) for i, c in enumerate(first) if i != col):
        lines = lines[1:]  # a header
    if not lines:
        raise ValueError(f"{path} has a header but no examples")
    for n, row in lines:
        if len(row) != width:
            raise ValueError(f"{path}, line {n}: {len(row)} fields, expected {width}")
    cells = np.array([row for _, row in lines], dtype=str)
    labels = np.char.strip(cells[:, col])
    features = np.delete(cells, col, axis=1)
    try:
        X = features.astype(np.float64)
    except ValueError:
        r, c = next((r, c) for r, row in enumerate(features) for c, v in enumerate(row)
                    if not _parses(v, float))
        bad = str(features[r, c])
        where = (f"{path}, line {lines[r][0]}: {bad!r} (column {c + 1 if c < col else c + 2}) "
                 "is not a number")
        if delimiter != "," and re.fullmatch(r"[+-]?\d*,\d+", bad.strip()):
            raise ValueError(f"{where}: write numbers with a decimal point (1.5, not "
                             "1,5)") from None
        other = next((d for d in _DELIMITERS if d != delimiter and d in bad), None)
        if other is not None:  # fields run together: another delimiter
            raise DataArgumentError("delimiter", delimiter, "", subject=f"{where}, with ",
                                    advice=f"the file seems to use {other!r} between fields: "
                                    f"give {other!r} as") from None
        raise ValueError(where) from None
    y = labels.astype(np.int64) if all(_parses(v, int) for v in labels) else labels
    codes, _, classes = _encode(y, None, str(path))
    return TrainingData(X.T.copy(), codes, None, None, classes)


def read_csv_rows(path: str | os.PathLike[str], delimiter: str | None = None
                  ) -> list[tuple[int, list[str]]]:
    """The non-empty rows of a ``.csv`` file as ``(line number, fields)``, from line 1.

    ``delimiter`` separates the fields; ``None`` detects it with :class:`csv.Sniffer` among
    ``,`` ``;`` tab and ``|`` (a comma when the file gives no clue). A file that is empty
    raises ``ValueError``.
    """
    return _csv_rows(_existing_file("path", path), delimiter)[0]


def _csv_rows(path: Path, delimiter: str | None) -> tuple[list[tuple[int, list[str]]], str]:
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise DataArgumentError("delimiter", delimiter, " is not one character")
    with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: drop a leading BOM
        text = fh.read()
    if delimiter is None:
        delimiter = _sniff_delimiter(text)
    lines = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter),
                                              start=1) if row]
    if not lines:
        raise ValueError(f"{path} is empty")
    return lines, delimiter


#: The delimiters :func:`read_csv_rows` detects.
_DELIMITERS = (",", ";", "\t", "|")


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        return ","


def _label_index(label_column: int | str | None, first_row: list[str], width: int,
                 path: Path) -> int:
    """The label column as an index: a number (negative counts from the end) or a header name."""
    if label_column is None:
        return width - 1
    if not isinstance(label_column, str) or _parses(label_column, int):
        index = int(label_column)
        if not -width <= index < width:
            raise DataArgumentError("label_column", index,
                                    f" is outside the {width} columns of {path}")
        return index % width
    names = [c.strip() for c in first_row]
    if label_column not in names:
        raise DataArgumentError("label_column", label_column,
                                f" is not in the header of {path} ({', '.join(names)})")
    return names.index(label_column)


def _parses(text: str, kind: type[int] | type[float]) -> bool:
    """Whether ``kind(text)`` succeeds: ``int`` for class numbers, ``float`` for features."""
    try:
        kind(text)
    except ValueError:
        return False
    return True


# -- pictures -------------------------------------------------------------------------------------
def read_image_folder(folder: str | os.PathLike[str], label_pattern: str | None = None,
                      image_size: int = 64) -> TrainingData:
    """The pictures in ``folder`` (files ending in :data:`IMAGE_SUFFIXES`) and their labels.

    Two layouts are read:

    - **one subfolder per class** (the layout of torchvision's ``ImageFolder`` and Keras'
      ``image_dataset_from_directory``): ``folder/cat/1.jpg``, ``folder/dog/x/2.png``: the
      label is the name of the subfolder, pictures are taken from any depth below it; names
      starting with ``.`` (``.ipynb_checkpoints``) are skipped;
    - **pictures labelled by name**, directly in ``folder``: the label of ``dog.1.jpg`` is what
      ``label_pattern``, a regular expression searched in the file name, matches: its first
      group, or the whole match when it has no group. The default takes the letters the name
      starts with (``dog.1.jpg`` -> dog, ``cat_7.png`` -> cat).

    Every picture is resized to ``image_size`` x ``image_size`` RGB and flattened with
    :func:`read_image`, so ``train_x`` is (image_size·image_size·3, pictures) in [0, 1] and
    ``image`` is (image_size, image_size, 3). Other files are ignored; pictures are read in the
    order of their paths. There is no test set (``test_x`` and ``test_y`` are ``None``).
    """
    folder = _as_path("folder", folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    if isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral):
        raise TypeError(f"image_size must be a whole number, got {type(image_size).__name__}")
    if image_size < 1:
        raise DataArgumentError("image_size", image_size, " is not a positive whole number")
    files = sorted(p for p in folder.iterdir() if _is_picture(p))
    class_folders = sorted(d for d in folder.iterdir()
                           if d.is_dir() and not d.name.startswith(".") and _pictures_below(d))
    if class_folders:
        files, labels = _by_class_folder(folder, files, class_folders, label_pattern)
    elif files:
        labels = _by_file_name(files, label_pattern)
    else:
        raise ValueError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)}), directly or "
                         "in one subfolder per class")
    shape = (int(image_size), int(image_size), 3)
    X = np.stack([read_image(p, shape) for p in files], axis=1)
    codes, _, classes = _encode(np.array(labels), None, str(folder))
    return TrainingData(X, codes, None, None, classes, shape)


def _is_picture(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".") \
        and path.is_file()


def _pictures_below(folder: Path) -> list[Path]:
    """The pictures at any depth below ``folder``, skipping names that start with ``.``."""
    return sorted(p for p in folder.rglob("*") if _is_picture(p) and not any(
        part.startswith(".") for part in p.relative_to(folder).parts))


def _by_class_folder(folder: Path, loose: list[Path], class_folders: list[Path],
                     label_pattern: str | None) -> tuple[list[Path], list[str]]:
    if loose:
        raise ValueError(f"{folder} holds pictures ({loose[0].name}, ...) beside class "
                         f"subfolders ({', '.join(d.name for d in class_folders[:5])}); move "
                         "them into the subfolder of their class")
    if label_pattern is not None:
        raise DataArgumentError("label_pattern", label_pattern, " labels pictures by their file "
                                f"names, but {folder} has one subfolder per class, which names "
                                "the labels", advice="leave out")
    files, labels = [], []
    for d in class_folders:
        found = _pictures_below(d)
        files += found
        labels += [d.name] * len(found)
    return files, labels


def _by_file_name(files: list[Path], label_pattern: str | None) -> list[str]:
    try:
        regex = re.compile(label_pattern or r"^[A-Za-z]+")
    except re.error as exc:
        raise DataArgumentError("label_pattern", label_pattern,
                                f" is not a regular expression ({exc})") from None
    labels = []
    for p in files:
        match = regex.search(p.name)
        if match is None:
            raise DataArgumentError("label_pattern", regex.pattern, ", so it has no label",
                                    subject=f"{p.name} does not match ",
                                    advice="rename it or give another")
        labels.append(match.group(1) if regex.groups else match.group(0))
    return labels


def image_shape(n_x: int) -> tuple[int, int, int] | None:
    """(height, width, channels) of square pictures with ``n_x`` values each: side·side·3 (RGB)
    or side·side (grey, 1 channel), for sides of at least :data:`MIN_SIDE`; ``None`` for other
    sizes. ``image_shape(12288) == (64, 64, 3)``, ``image_shape(784) == (28, 28, 1)``."""
    for channels in (3, 1):
        side = math.isqrt(n_x // channels)
        if n_x % channels == 0 and side * side * channels == n_x and side >= MIN_SIDE:
            return side, side, channels
    return None


def read_image(path: str | os.PathLike[str], shape: tuple[int, int, int],
               invert: bool | None = False, *, background: str | None = None,
               centring: str | None = None) -> np.ndarray:
    """The picture at ``path`` as one example: a (height·width·channels,) float64 vector.

    The picture is turned upright by its EXIF orientation (as phones record it), transparent
    parts are laid over white (over black, where ``background`` is given and the picture's
    visible part is light: the strokes stay visible), it is converted to RGB (``channels`` 3)
    or grey (``channels`` 1), resized to ``shape`` = (height, width, channels), scaled to
    [0, 1] and flattened like the course's ``picture.reshape(-1)``.

    - ``background``: ``"dark"`` or ``"light"``, the background of the pictures a model was
      trained on (MNIST's is dark: light digits on black), or ``None`` when not known.
    - ``invert``: ``True`` uses 1 - value (dark writing on white paper for an MNIST model),
      ``False`` never; ``None`` decides from the picture: it is inverted when its border
      (the paper) is light and ``background`` is ``"dark"``, or the other way round.
    - ``centring="mnist"`` (grey only) prepares the picture as MNIST's digits were: the
      paper's shade is removed, the picture is cropped to its ink, the crop scaled to fit a
      box of 20/28 of the side keeping its aspect ratio, and placed so that its centre of
      mass is at the centre. Without it the picture is resized to ``shape`` as it is.

    Reads any format Pillow reads; needs Pillow.
    """
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise ImportError(f"reading images needs Pillow: {_PILLOW_HINT}") from None
    h, w, channels = shape
    if channels not in (1, 3):
        raise ValueError(f"shape must be (height, width, 3) for RGB or (height, width, 1) for "
                         f"grey, got {tuple(shape)}")
    if background not in (None, "dark", "light"):
        raise ValueError(f"background must be 'dark', 'light' or None, got {background!r}")
    if centring not in (None, "mnist"):
        raise ValueError(f"centring must be 'mnist' or None, got {centring!r}")
    if centring == "mnist" and channels != 1:
        raise ValueError("centring='mnist' is for grey pictures (channels 1)")
    with Image.open(path) as opened:
        img = ImageOps.exif_transpose(opened)
        img = _over_matte(img, contrasting=background is not None)
        img = _in_8_bit_range(img, channels)
    if invert is None:
        invert = background is not None and _border_shade(img) != background
    if centring == "mnist":
        grey = _pixels(img, channels)
        return _centre_like_mnist(1.0 - grey if invert else grey, h, w).reshape(-1)
    pixels = _pixels(img.resize((w, h)), channels)
    return (1.0 - pixels if invert else pixels).reshape(-1)


def _in_8_bit_range(img: Any, channels: int) -> Any:
    """``img`` as 8-bit RGB or grey; Pillow's 16- and 32-bit grey modes (``I;16``, ``I``: a
    16-bit PNG) and float mode (``F``) become a float picture (mode ``F``) in [0, 255], scaled by
    their own range rather than clipped at 255 by ``convert("L")``."""
    from PIL import Image

    if img.mode.startswith("I") or img.mode == "F":
        full = 1.0 if img.mode == "F" else 65535.0
        grey = np.asarray(img, dtype=np.float64) / full * 255.0
        return Image.fromarray(grey.clip(0.0, 255.0).astype(np.float32), mode="F")
    return img.convert("RGB" if channels == 3 else "L")


def _pixels(img: Any, channels: int) -> np.ndarray:
    """The values of a picture from :func:`_in_8_bit_range` in [0, 1], (h, w) or (h, w, 3)."""
    values = np.asarray(img, dtype=np.float64) / 255.0
    if img.mode == "F" and channels == 3:
        values = np.repeat(values[:, :, None], 3, axis=2)
    return values.clip(0.0, 1.0)


def _over_matte(img: Any, contrasting: bool) -> Any:
    """``img`` with its transparency laid over white; with ``contrasting``, over black when its
    visible part is light (white strokes on a transparent background)."""
    from PIL import Image

    if img.mode not in ("RGBA", "LA", "PA", "RGBa", "La") and "transparency" not in img.info:
        return img
    rgba = img.convert("RGBA")
    layers = np.asarray(rgba, dtype=np.float64) / 255.0
    alpha = layers[..., 3]
    white = (255, 255, 255, 255)
    matte = white
    if contrasting and alpha.sum() > 0:
        shade = (layers[..., :3].mean(axis=2) * alpha).sum() / alpha.sum()
        matte = (0, 0, 0, 255) if shade > 0.5 else white
    return Image.alpha_composite(Image.new("RGBA", rgba.size, matte), rgba).convert("RGB")


def _border_shade(img: Any) -> str:
    """``"light"`` or ``"dark"``: the median shade of the picture's outermost pixels."""
    grey = np.asarray(img.convert("L"), dtype=np.float64)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return "light" if np.median(border) > 127.5 else "dark"


def _centre_like_mnist(ink: np.ndarray, h: int, w: int) -> np.ndarray:
    """A light-on-dark grey picture (any size, values in [0, 1]) prepared as MNIST's digits:
    (h, w) with the ink cropped, fitted into a box of 20/28 of the sides keeping its aspect
    ratio and centred by its centre of mass. A picture without ink gives zeros."""
    from PIL import Image

    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    paper, top = float(np.median(border)), float(ink.max())
    out = np.zeros((h, w))
    if top - paper < 0.05:  # nothing written
        return out
    ink = np.clip((ink - paper) / (top - paper), 0.0, 1.0)
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.1), np.flatnonzero(ink.max(axis=0) > 0.1)
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    box_h, box_w = max(1, round(h * 20 / 28)), max(1, round(w * 20 / 28))
    factor = min(box_h / crop.shape[0], box_w / crop.shape[1])
    size = (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor)))
    small = np.asarray(Image.fromarray(crop.astype(np.float32)).resize(
        size, Image.Resampling.LANCZOS), dtype=np.float64).clip(0.0, 1.0)
    total = small.sum()
    if total <= 0:
        return out
    ys, xs = np.indices(small.shape)
    cy, cx = (ys * small).sum() / total, (xs * small).sum() / total
    top_row = min(max(round((h - 1) / 2 - cy), 0), h - small.shape[0])
    left = min(max(round((w - 1) / 2 - cx), 0), w - small.shape[1])
    out[top_row:top_row + small.shape[0], left:left + small.shape[1]] = small
    return out
