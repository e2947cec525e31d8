"""The real data sets of the course (and MNIST), shipped with xpnet and checked by sha256.

Every loader returns a :class:`Dataset` of NumPy arrays in the course's layout: ``X`` is
(features, examples) with pixels scaled to [0, 1], ``Y`` is (1, examples) integer labels (or
(C, examples) one-hot targets with ``one_hot=True``). Images are flattened one per column,
``x.reshape(m, -1).T``, so ``X[:, i].reshape(64, 64, 3)`` is image ``i`` again.

The files live in ``xpnet/data/`` (so an installed xpnet works offline). Each file's sha256 is
checked the first time it is read in a process; a corrupted or truncated file raises
:class:`DatasetChecksumError`. Every loader takes ``path=`` to read a user's own copy instead.

| loader | train | test | source |
|---|---|---|---|
| :func:`load_catvnoncat` | (12288, 209), 72 cats | (12288, 50) | course, ``*_catvnoncat.h5`` |
| :func:`load_mnist` | (784, 60000) | (784, 10000) | LeCun et al., IDX files |
| :func:`load_football` | (2, 211) | (2, 200) | course (Regularization), ``data.mat`` |
| :func:`make_moons` | (2, 300) | none | course (Optimization), scikit-learn |
| :func:`make_circles` | (2, 300) | (2, 100) | course (Initialization), scikit-learn |
| :func:`load_signs` | (12288, 1080), user's copy | (12288, 120) | course, ``*_signs.h5`` |
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..preprocessing import one_hot as _one_hot
from ..validation import check_choice

#: The folder of the shipped files.
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

#: sha256 of every file a loader reads (the shipped ``SHA256SUMS`` lists the same values).
#: ``train_signs.h5`` is not shipped; a user's copy is checked against this value.
_SHA256SUMS = """
1218828095bf91d215622d00b2a5b8784c359e29d9d9c5734949b8e60c5bc231  data.mat
8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6  t10k-images-idx3-ubyte.gz
f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6  t10k-labels-idx1-ubyte.gz
6a9d39ce52fa85953c5834695b8534a30ed8cfd54971fb2f080b5a24d002b951  test_catvnoncat.h5
539fb746ed9e947eb244cfca73f4d1b03f9bf5524d609eeed2cd76ddb1b179be  test_signs.h5
440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609  train-images-idx3-ubyte.gz
3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c  train-labels-idx1-ubyte.gz
fbe56ab67c3ae28d564e3a644189117976d6b31af0a3ce9bb17dbf22908af242  train_catvnoncat.h5
47480709d99f2ea6ae428ecc491fc6f65ff1d05336736dd859d5565e0ad3cf74  train_signs.h5
"""
SHA256 = {name: digest for digest, name in map(str.split, _SHA256SUMS.strip().splitlines())}

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

_SKLEARN_HINT = 'pip install scikit-learn  (or pip install "xpnet[sklearn]")'


class Dataset(NamedTuple):
    """A training and a test split in the course's layout.

    ``train_x`` (n_x, m_train), ``train_y`` (1, m_train) int64 labels or (C, m_train) one-hot;
    ``test_x``/``test_y`` likewise, or ``None`` where the data set has no test split.
    ``classes[k]`` names label ``k``.
    """

    train_x: np.ndarray | None
    train_y: np.ndarray | None
    test_x: np.ndarray | None
    test_y: np.ndarray | None
    classes: tuple[str, ...]


class DatasetChecksumError(ValueError):
    """A data file's sha256 is not the one published for it (corrupted, truncated, other file)."""

    def __init__(self, path: Path, expected: str, actual: str) -> None:
        self.path, self.expected, self.actual = Path(path), expected, actual
        super().__init__(
            f"{path}: sha256 is {actual} but {Path(path).name} should have sha256 {expected}. "
            f"The file is corrupted, truncated or not the published one; replace it with a good "
            f"copy (reinstall xpnet for a shipped file)."
        )


# -- files and checksums ------------------------------------------------------------------------

_verified: set[tuple[str, int, int]] = set()


def sha256_of(path: str | os.PathLike) -> str:
    """The hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: str | os.PathLike, expected: str | None = None) -> Path:
    """Check ``path`` against ``expected`` (default: the published sha256 of its file name).

    A file is hashed once per process: later calls for the same unchanged file (same size and
    modification time) return at once. Raises :class:`DatasetChecksumError` on a mismatch and
    ``FileNotFoundError`` when the file is missing.
    """
    path = Path(path).resolve()
    if expected is None:
        if path.name not in SHA256:
            raise ValueError(f"no published sha256 for {path.name!r}; pass expected=")
        expected = SHA256[path.name]
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"data file {path} does not exist") from None
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key in _verified:
        return path
    actual = sha256_of(path)
    if actual != expected:
        raise DatasetChecksumError(path, expected, actual)
    _verified.add(key)
    return path


def data_file(name: str, path: str | os.PathLike | None = None, *, verify: bool = True) -> Path:
    """The file ``name`` to read: the shipped copy, or ``path`` (a folder holding ``name``, or
    the file itself), checked against its published sha256 unless ``verify=False``."""
    if path is None:
        file = DATA_DIR / name
    else:
        file = Path(path).expanduser()
        if file.is_dir():
            file = file / name
    if not file.exists():
        where = "the shipped data of xpnet (reinstall xpnet)" if path is None else repr(str(path))
        raise FileNotFoundError(f"{name} was not found in {where}: {file} does not exist")
    return verify_file(file, SHA256[name]) if verify else file


def _as_float_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"dtype must be a floating dtype such as 'float32', got {dtype!r}")
    return dt


def flatten_images(images: np.ndarray, dtype: Any = "float32") -> np.ndarray:
    """Images (m, h, w[, c]) of uint8 -> (h·w·c, m) columns scaled to [0, 1].

    Column ``i`` is image ``i`` (``x.reshape(m, -1).T``); ``reshape(-1, m)`` would mix images.
    The result is C-contiguous: NumPy's ``take`` along axis 1 (how a mini-batch is gathered)
    copies a whole non-C-contiguous array on every call.
    """
    m = images.shape[0]
    X = np.ascontiguousarray(images.reshape(m, -1).T, dtype=_as_float_dtype(dtype))
    X /= 255.0
    return X


def _labels(y: np.ndarray) -> np.ndarray:
    """Labels of any shape -> (1, m) int64."""
    return np.asarray(y, dtype=np.int64).reshape(1, -1)


def _targets(labels: np.ndarray, num_classes: int, one_hot: bool, dtype: Any) -> np.ndarray:
    return _one_hot(labels, num_classes, dtype=str(np.dtype(dtype))) if one_hot else labels


# -- the course's .h5 image sets ----------------------------------------------------------------

def _read_h5(file: Path, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``({split}_set_x, {split}_set_y, list_classes)`` of a course ``.h5`` file."""
    import h5py

    with h5py.File(file, "r") as f:
        keys = (f"{split}_set_x", f"{split}_set_y", "list_classes")
        missing = [k for k in keys if k not in f]
        if missing:
            raise ValueError(f"{file}: no dataset {missing[0]!r} (keys are {sorted(f)})")
        return f[keys[0]][:], f[keys[1]][:], f[keys[2]][:]


def _class_names(raw: np.ndarray) -> tuple[str, ...]:
    return tuple(c.decode() if isinstance(c, bytes) else str(c) for c in raw.tolist())


def _h5_split(stem: str, split: str, path: Any, dtype: Any) -> tuple[Any, Any, tuple[str, ...]]:
    """``(X, Y, classes)`` of ``{split}_{stem}.h5``, shipped or in the folder ``path``."""
    x, y, names = _read_h5(data_file(f"{split}_{stem}.h5", path), split)
    return flatten_images(x, dtype), _labels(y), _class_names(names)


def load_catvnoncat(*, dtype: Any = "float32", path: str | os.PathLike | None = None) -> Dataset:
    """The course's "cat vs non-cat" images (Neural Networks and Deep Learning, week 4).

    ``train_x`` (12288, 209), ``train_y`` (1, 209) with 72 cats, ``test_x`` (12288, 50),
    ``test_y`` (1, 50) with 33 cats; ``classes == ("non-cat", "cat")``. Pixels in [0, 1] of
    ``dtype``; ``X[:, i].reshape(64, 64, 3)`` is image ``i``. ``path``: a folder holding your
    own ``train_catvnoncat.h5`` and ``test_catvnoncat.h5``.
    """
    train_x, train_y, _ = _h5_split("catvnoncat", "train", path, dtype)
    return Dataset(train_x, train_y, *_h5_split("catvnoncat", "test", path, dtype))


def load_signs(path: str | os.PathLike | None = None, *, dtype: Any = "float32",
               one_hot: bool = False) -> Dataset:
    """The course's SIGNS images: hands showing 0-5 fingers, 64×64×3, 6 classes.

    Only ``test_signs.h5`` (120 images) ships with xpnet. ``path`` is a folder holding your own
    ``train_signs.h5`` (1080 images, 13281872 bytes, sha256 ``47480709…3cf74``; its own
    ``test_signs.h5`` is used when present); with ``path=None`` the training split is ``None``.
    ``one_hot=True`` gives (6, m) targets for a softmax network instead of (1, m) labels.
    """
    if path is not None and not (Path(path) / "train_signs.h5").exists():
        raise FileNotFoundError(
            f"load_signs(path={str(path)!r}): {Path(path) / 'train_signs.h5'} does not exist. "
            f"Only test_signs.h5 ships with xpnet; put your own copy of train_signs.h5 "
            f"(sha256 {SHA256['train_signs.h5']}) in that folder, or pass path=None for the "
            f"test split alone"
        )
    own_test = path is not None and (Path(path) / "test_signs.h5").exists()
    test_x, test_y, classes = _h5_split("signs", "test", path if own_test else None, dtype)
    train_x = train_y = None
    if path is not None:
        train_x, train_y, _ = _h5_split("signs", "train", path, dtype)
        train_y = _targets(train_y, len(classes), one_hot, dtype)
    return Dataset(train_x, train_y, test_x, _targets(test_y, len(classes), one_hot, dtype),
                   classes)


# -- MNIST ----------------------------------------------------------------------------------------

def _read_idx(file: Path, magic: int) -> np.ndarray:
    """An IDX array (gzip-compressed or not): big-endian header ``magic`` and sizes, then uint8."""
    opener = gzip.open if file.suffix == ".gz" else open
    with opener(file, "rb") as f:
        data = f.read()
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header or struct.unpack(">I", data[:4])[0] != magic:
        raise ValueError(f"{file} is not an IDX file with magic number {magic:#010x}")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    if len(data) - header != int(np.prod(shape)):
        raise ValueError(
            f"{file}: the header says {shape} = {int(np.prod(shape))} bytes of data but the file "
            f"holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


@lru_cache(maxsize=2)
def _mnist_split(split: str, folder: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Raw (m, 28, 28) uint8 images and (m,) labels, read once per process (read-only arrays)."""
    images_name, labels_name = MNIST_FILES[split]
    images = _read_idx(data_file(images_name, folder), 0x00000803)
    labels = _read_idx(data_file(labels_name, folder), 0x00000801)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"MNIST {split}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images, labels


def load_mnist(digits: tuple[int, int] | None = None, one_hot: bool = False, *,
               dtype: Any = "float32", path: str | os.PathLike | None = None) -> Dataset:
    """MNIST handwritten digits: 60000 training and 10000 test images as (784, m) columns.

    Pixels in [0, 1] of ``dtype``; labels (1, m) int64 0-9 and ``classes == ("0", ..., "9")``.

    - ``digits=(a, b)``: the binary subset of two digits, label 1 for ``a`` and 0 for ``b``
      (``classes == (str(b), str(a))``); ``(3, 7)`` gives 12396 training and 2038 test images.
    - ``one_hot=True``: (C, m) targets for a softmax output instead of (1, m) labels.
    - ``path``: a folder holding your own four IDX files (names as the originals, ``.gz``).
    """
    folder = None if path is None else str(path)
    splits = [_mnist_split("train", folder), _mnist_split("test", folder)]
    classes = tuple(str(d) for d in range(10))
    if digits is not None:
        a, b = _check_digit_pair(digits)
        classes = (str(b), str(a))
        splits = [(x[(y == a) | (y == b)], (y[(y == a) | (y == b)] == a)) for x, y in splits]
    (train_x, train_y), (test_x, test_y) = (
        (flatten_images(images, dtype), _targets(_labels(labels), len(classes), one_hot, dtype))
        for images, labels in splits
    )
    return Dataset(train_x, train_y, test_x, test_y, classes)


def _check_digit_pair(digits: Any) -> tuple[int, int]:
    try:
        a, b = (int(d) for d in digits)
    except (TypeError, ValueError):
        raise ValueError(f"digits must be a pair such as (3, 7), got {digits!r}") from None
    if not (0 <= a <= 9 and 0 <= b <= 9) or a == b:
        raise ValueError(f"digits must be two different digits 0-9, got {digits!r}")
    return a, b


# -- 2-D data sets --------------------------------------------------------------------------------

def _points(X: np.ndarray, y: np.ndarray, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """Points (m, 2) and labels -> ``X`` (2, m) of ``dtype`` (C order) and ``Y`` (1, m) int64."""
    return np.ascontiguousarray(np.asarray(X).T, dtype=_as_float_dtype(dtype)), _labels(y)


def load_football(*, dtype: Any = "float32", path: str | os.PathLike | None = None) -> Dataset:
    """The 2-D "football" set of the course's Regularization assignment (``data.mat``).

    Where on the field the French goalkeeper's kicks were headed: label 1 by a French player,
    0 by the other team. ``train_x`` (2, 211), ``test_x`` (2, 200). ``path``: your own
    ``data.mat`` or a folder holding it.
    """
    from scipy.io import loadmat

    mat = loadmat(data_file("data.mat", path))
    missing = [k for k in ("X", "y", "Xval", "yval") if k not in mat]
    if missing:
        raise ValueError(f"data.mat has no variable {missing[0]!r}")
    return Dataset(*_points(mat["X"], mat["y"], dtype), *_points(mat["Xval"], mat["yval"], dtype),
                   ("other team", "France"))


def _sklearn_datasets() -> Any:
    try:
        import sklearn.datasets
    except ImportError:
        raise ImportError(
            f"make_moons and make_circles generate the course's toy sets with scikit-learn, "
            f"which is not installed. Install it with: {_SKLEARN_HINT}"
        ) from None
    return sklearn.datasets


def make_moons(n_samples: int = 300, *, noise: float = 0.2, random_state: int = 3,
               dtype: Any = "float32") -> Dataset:
    """The two-moons set of the course's Optimization assignment (scikit-learn).

    The defaults are the course's (``np.random.seed(3)`` then ``make_moons(300, noise=.2)``):
    ``train_x`` (2, 300), ``train_y`` (1, 300); there is no test split (``None``).
    """
    X, y = _sklearn_datasets().make_moons(n_samples=n_samples, noise=noise,
                                          random_state=random_state)
    return Dataset(*_points(X, y, dtype), None, None, ("0", "1"))


def make_circles(n_train: int = 300, n_test: int = 100, *, noise: float = 0.05,
                 random_state: int = 1, dtype: Any = "float32") -> Dataset:
    """The two-circles set of the course's Initialization assignment (scikit-learn).

    The defaults are the course's: 300 training points drawn after ``np.random.seed(1)`` and
    100 test points after ``np.random.seed(2)`` (here ``random_state`` and ``random_state + 1``),
    noise 0.05. Label 1 is the inner circle.
    """
    sk = _sklearn_datasets()
    train = sk.make_circles(n_samples=n_train, noise=noise, random_state=random_state)
    test = sk.make_circles(n_samples=n_test, noise=noise, random_state=random_state + 1)
    return Dataset(*_points(train[0], train[1], dtype), *_points(test[0], test[1], dtype),
                   ("outer", "inner"))


# -- by name --------------------------------------------------------------------------------------

#: ``load_dataset`` names -> loaders taking ``dtype=``.
DATASETS: dict[str, Callable[..., Dataset]] = {
    "cat": load_catvnoncat,
    "mnist": load_mnist,
    "mnist-3v7": lambda *, dtype="float32": load_mnist((3, 7), dtype=dtype),
    "football": load_football,
    "moons": make_moons,
    "circles": make_circles,
}


def load_dataset(name: str, *, dtype: Any = "float32") -> Dataset:
    """The data set called ``name``: ``cat``, ``mnist``, ``mnist-3v7``, ``football``, ``moons``
    or ``circles`` (see :data:`DATASETS`)."""
    return DATASETS[check_choice("name", name, DATASETS)](dtype=dtype)
