"""The shipped data sets: shapes, dtypes, label counts, image layout and checksum failures."""

from __future__ import annotations

import gzip
import importlib.util
import shutil
import sys

import h5py
import numpy as np
import pytest

from xpnet import datasets
from xpnet.datasets import DatasetChecksumError, course

needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="scikit-learn is not installed (moons and circles)")


@pytest.fixture(scope="module")
def mnist():
    return datasets.load_mnist()


@pytest.fixture(scope="module")
def cat():
    return datasets.load_catvnoncat()


# -- shipped files and checksums ------------------------------------------------------------------

def test_shipped_sha256sums_match_the_table_and_the_files():
    listed = dict(reversed(line.split()) for line in
                  (datasets.DATA_DIR / "SHA256SUMS").read_text().splitlines())
    assert listed == {k: v for k, v in datasets.SHA256.items() if k != "train_signs.h5"}
    for name in listed:
        assert datasets.verify_file(datasets.DATA_DIR / name) == datasets.DATA_DIR / name


def _copy(names, folder):
    for name in names:
        shutil.copy(datasets.DATA_DIR / name, folder / name)
    return folder


def test_verify_file_needs_a_checksum_for_unknown_names(tmp_path):
    (tmp_path / "mine.bin").write_bytes(b"abc")
    with pytest.raises(ValueError, match="no published sha256 for 'mine.bin'"):
        datasets.verify_file(tmp_path / "mine.bin")
    abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert datasets.verify_file(tmp_path / "mine.bin", abc).name == "mine.bin"


def test_truncated_file_names_the_file_and_the_expected_checksum(tmp_path):
    _copy(["train_catvnoncat.h5", "test_catvnoncat.h5"], tmp_path)
    bad = tmp_path / "train_catvnoncat.h5"
    bad.write_bytes(bad.read_bytes()[:100_000])
    with pytest.raises(DatasetChecksumError) as err:
        datasets.load_catvnoncat(path=tmp_path)
    assert str(bad) in str(err.value)
    assert datasets.SHA256["train_catvnoncat.h5"] in str(err.value)
    assert err.value.actual == datasets.sha256_of(bad)
    assert isinstance(err.value, ValueError)


def test_one_corrupted_byte_is_caught(tmp_path):
    _copy(["data.mat"], tmp_path)
    raw = bytearray((tmp_path / "data.mat").read_bytes())
    raw[-1] ^= 0xFF
    (tmp_path / "data.mat").write_bytes(bytes(raw))
    with pytest.raises(DatasetChecksumError, match="data.mat should have sha256 1218828095"):
        datasets.load_football(path=tmp_path / "data.mat")


def test_a_file_is_hashed_once_per_process(tmp_path, monkeypatch):
    _copy(["data.mat"], tmp_path)
    calls = []
    real = course.sha256_of
    monkeypatch.setattr(course, "sha256_of", lambda p: calls.append(p) or real(p))
    first = datasets.load_football(path=tmp_path)
    second = datasets.load_football(path=tmp_path)
    assert len(calls) == 1
    np.testing.assert_array_equal(first.train_x, second.train_x)


def test_missing_user_file_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_catvnoncat.h5 was not found"):
        datasets.load_catvnoncat(path=tmp_path)


def test_users_own_copies_are_read(tmp_path, cat):
    own = datasets.load_catvnoncat(path=_copy(["train_catvnoncat.h5", "test_catvnoncat.h5"],
                                              tmp_path))
    np.testing.assert_array_equal(own.train_x, cat.train_x)
    np.testing.assert_array_equal(own.test_y, cat.test_y)


# -- cat vs non-cat -------------------------------------------------------------------------------

def test_catvnoncat_shapes_dtypes_and_counts(cat):
    assert cat.train_x.shape == (12288, 209) and cat.train_y.shape == (1, 209)
    assert cat.test_x.shape == (12288, 50) and cat.test_y.shape == (1, 50)
    assert cat.train_x.dtype == np.float32 and cat.train_y.dtype == np.int64
    assert int(cat.train_y.sum()) == 72 and int(cat.test_y.sum()) == 33
    assert cat.classes == ("non-cat", "cat")
    assert cat.train_x.min() == 0.0 and cat.train_x.max() == 1.0
    assert cat.train_x.flags.c_contiguous  # mini-batch gathers (np.take, axis 1) need C order


def test_catvnoncat_dtype_is_selectable():
    assert datasets.load_catvnoncat(dtype="float64").test_x.dtype == np.float64
    with pytest.raises(ValueError, match="floating dtype"):
        datasets.load_catvnoncat(dtype="int32")


def test_a_column_is_one_whole_image(cat):
    with h5py.File(datasets.DATA_DIR / "train_catvnoncat.h5", "r") as f:
        raw = f["train_set_x"][:]
    for i in (0, 7, 208):
        image = cat.train_x[:, i].reshape(64, 64, 3)
        np.testing.assert_allclose(image * 255.0, raw[i], atol=1e-3)
    scrambled = (raw.reshape(-1, 209) / 255.0)[:, 7].reshape(64, 64, 3)
    assert not np.allclose(scrambled * 255.0, raw[7])  # the layout the issue warns against


# -- MNIST ----------------------------------------------------------------------------------------

def test_mnist_shapes_and_label_counts(mnist):
    assert mnist.train_x.shape == (784, 60000) and mnist.test_x.shape == (784, 10000)
    assert mnist.train_y.shape == (1, 60000) and mnist.train_y.dtype == np.int64
    assert mnist.train_x.dtype == np.float32
    assert 0.0 <= mnist.train_x.min() and mnist.train_x.max() == 1.0
    assert np.bincount(mnist.train_y[0])[1] == 6742
    assert np.bincount(mnist.test_y[0])[0] == 980
    assert mnist.classes == tuple("0123456789")


def test_mnist_column_is_the_idx_image(mnist):
    with gzip.open(datasets.DATA_DIR / "t10k-images-idx3-ubyte.gz", "rb") as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(10000, 28, 28)
    np.testing.assert_allclose(mnist.test_x[:, 123].reshape(28, 28) * 255.0, raw[123], atol=1e-3)


def test_mnist_3v7_is_the_articles_binary_subset(mnist):
    sub = datasets.load_mnist(digits=(3, 7))
    assert sub.train_x.shape == (784, 12396) and sub.test_x.shape == (784, 2038)
    assert int(sub.train_y.sum()) == 6131 and int(sub.test_y.sum()) == 1010  # label 1 = digit 3
    assert sub.classes == ("7", "3")
    first_three = np.flatnonzero(mnist.train_y[0] == 3)[0]  # the order of MNIST is kept
    first_one = np.flatnonzero(sub.train_y[0] == 1)[0]
    np.testing.assert_array_equal(sub.train_x[:, first_one], mnist.train_x[:, first_three])


def test_mnist_one_hot_targets(mnist):
    hot = datasets.load_mnist(one_hot=True)
    assert hot.train_y.shape == (10, 60000) and hot.test_y.shape == (10, 10000)
    np.testing.assert_array_equal(hot.test_y.sum(axis=0), 1.0)
    np.testing.assert_array_equal(hot.test_y.argmax(axis=0), mnist.test_y[0])


@pytest.mark.parametrize("digits", [(3, 3), (3, 10), (3,), "37x"])
def test_mnist_rejects_bad_digit_pairs(digits):
    with pytest.raises(ValueError, match="digits"):
        datasets.load_mnist(digits=digits)


def test_truncated_mnist_file_is_caught(tmp_path):
    _copy(list(datasets.MNIST_FILES["train"] + datasets.MNIST_FILES["test"]), tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-10])
    with pytest.raises(DatasetChecksumError, match="t10k-labels-idx1-ubyte.gz"):
        datasets.load_mnist(path=tmp_path)


def test_idx_reader_checks_magic_and_size(tmp_path):
    bad = tmp_path / "x.gz"
    with gzip.open(bad, "wb") as f:
        f.write(b"\x00\x00\x08\x01\x00\x00\x00\x05abc")  # says 5 labels, holds 3
    with pytest.raises(ValueError, match="holds 3"):
        course._read_idx(bad, 0x00000801)
    with pytest.raises(ValueError, match="magic number"):
        course._read_idx(bad, 0x00000803)


# -- 2-D sets -------------------------------------------------------------------------------------

def test_football():
    d = datasets.load_football()
    assert d.train_x.shape == (2, 211) and d.train_y.shape == (1, 211)
    assert d.test_x.shape == (2, 200) and d.test_y.shape == (1, 200)
    assert set(np.unique(d.train_y)) == {0, 1} and d.train_x.dtype == np.float32
    assert d.train_x.flags.c_contiguous


def _course_recipe(seed, make, **kwargs):
    """``np.random.seed(seed); make(**kwargs)`` as the course writes it, global state restored."""
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(seed)  # noqa: NPY002 - the course's own recipe is what is checked
        return make(**kwargs)
    finally:
        np.random.set_state(state)  # noqa: NPY002


@needs_sklearn
def test_moons_is_the_courses_set():
    import sklearn.datasets

    d = datasets.make_moons()
    assert d.train_x.shape == (2, 300) and d.test_x is None and d.test_y is None
    X, y = _course_recipe(3, sklearn.datasets.make_moons, n_samples=300, noise=0.2)
    np.testing.assert_allclose(d.train_x, X.T.astype(np.float32))
    np.testing.assert_array_equal(d.train_y[0], y)


@needs_sklearn
def test_circles_is_the_courses_set():
    import sklearn.datasets

    d = datasets.make_circles(dtype="float64")
    assert d.train_x.shape == (2, 300) and d.test_x.shape == (2, 100)
    X, y = _course_recipe(2, sklearn.datasets.make_circles, n_samples=100, noise=0.05)
    np.testing.assert_array_equal(d.test_x, X.T)
    np.testing.assert_array_equal(d.test_y[0], y)


def test_missing_sklearn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        datasets.make_moons()


# -- SIGNS ----------------------------------------------------------------------------------------

def test_signs_test_split_ships():
    d = datasets.load_signs(one_hot=True)
    assert d.train_x is None and d.train_y is None
    assert d.test_x.shape == (12288, 120) and d.test_y.shape == (6, 120)
    assert d.classes == tuple("012345")
    labels = datasets.load_signs().test_y
    assert labels.shape == (1, 120) and np.array_equal(d.test_y.argmax(axis=0), labels[0])


def test_signs_training_needs_the_users_copy(tmp_path):
    with pytest.raises(FileNotFoundError, match=datasets.SHA256["train_signs.h5"]):
        datasets.load_signs(tmp_path)
    (tmp_path / "train_signs.h5").write_bytes(b"not the SIGNS file")
    with pytest.raises(DatasetChecksumError, match="47480709d99f"):
        datasets.load_signs(tmp_path)


# -- by name --------------------------------------------------------------------------------------

def test_load_dataset_by_name():
    d = datasets.load_dataset("football", dtype="float64")
    assert d.train_x.dtype == np.float64 and d.train_x.shape == (2, 211)
    assert datasets.load_dataset("mnist-3v7").classes == ("7", "3")


def test_unknown_name_lists_names_and_suggests_one():
    with pytest.raises(ValueError, match=r"expected one of cat, mnist.*Did you mean 'football'"):
        datasets.load_dataset("footbal")


def test_the_package_exports_every_public_name_of_course():
    public = {name for name in vars(course) if not name.startswith("_")
              and getattr(getattr(course, name), "__module__", course.__name__) == course.__name__
              and not isinstance(getattr(course, name), type(course))}
    assert public <= set(datasets.__all__), public - set(datasets.__all__)
    for name in public:
        assert getattr(datasets, name) is getattr(course, name)
    assert course.DATA_DIR == datasets.DATA_DIR and (datasets.DATA_DIR / "SHA256SUMS").is_file()
