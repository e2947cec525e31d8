"""The readers of xpnet.datasets.files, called as Python functions (no command line)."""

from __future__ import annotations

import ast
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from xpnet import datasets
from xpnet.datasets import files
from xpnet.datasets.files import (
    IMAGE_SUFFIXES,
    SHIPPED,
    DataArgumentError,
    TrainingData,
    hold_out,
    image_shape,
    load_training_data,
    read_csv_data,
    read_image,
    read_image_folder,
    read_npz_data,
)


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def numbered(m: int, n_x: int = 3) -> TrainingData:
    """``m`` examples whose features say which example they are (column i holds i, i+0.5, ...)."""
    X = np.arange(m, dtype=np.float64) + np.arange(n_x).reshape(-1, 1) / 2
    return TrainingData(X, (np.arange(m) % 2).reshape(1, -1), None, None, ["even", "odd"])


# -- .npz -----------------------------------------------------------------------------------------
def test_npz_rows_become_columns_and_labels_sorted_indices(tmp_path):
    X = np.arange(12, dtype=np.int32).reshape(4, 3)  # 4 examples, 3 features
    np.savez(tmp_path / "d.npz", X=X, y=np.array([7, 3, 7, 5]))
    data = read_npz_data(tmp_path / "d.npz")
    assert data.train_x.shape == (3, 4) and data.train_x.dtype == np.float64
    np.testing.assert_array_equal(data.train_x[:, 1], [3, 4, 5])  # example 1 is column 1
    assert data.classes == ["3", "5", "7"]
    np.testing.assert_array_equal(data.train_y, [[2, 0, 2, 1]])
    assert data.train_y.shape == (1, 4) and data.train_y.dtype.kind == "i"
    assert data.test_x is None and data.test_y is None and data.image is None


def test_npz_with_its_own_test_split_and_string_labels(tmp_path):
    pictures = np.random.default_rng(0).random((5, 4, 4, 3))  # (m, h, w, c): flattened per row
    np.savez(tmp_path / "d.npz", X=pictures, y=np.array(["dog", "cat", "dog", "cat", "dog"]),
             X_test=pictures[:2], y_test=np.array(["cat", "cat"]))
    data = read_npz_data(str(tmp_path / "d.npz"))
    assert data.classes == ["cat", "dog"]
    np.testing.assert_array_equal(data.train_y, [[1, 0, 1, 0, 1]])
    np.testing.assert_array_equal(data.test_y, [[0, 0]])
    assert data.train_x.shape == (48, 5) and data.test_x.shape == (48, 2)
    np.testing.assert_array_equal(data.train_x[:, 3], pictures[3].reshape(-1))
    np.testing.assert_array_equal(data.test_x, data.train_x[:, :2])


@pytest.mark.parametrize(("arrays", "message"), [
    ({"X": np.zeros((3, 2))}, "must hold arrays 'X' (examples, features) and 'y'"),
    ({"X": np.zeros((3, 2)), "y": np.zeros(2)}, "y has 2 labels for 3 examples"),
    ({"X": np.zeros(3), "y": np.zeros(3)}, "X must have one row per example"),
    ({"X": np.zeros((2, 2)), "y": np.zeros(2), "X_test": np.zeros((1, 2))},
     "must hold both X_test and y_test, or neither"),
    ({"X": np.zeros((2, 2)), "y": np.array([0, 1]), "X_test": np.zeros((1, 2)),
      "y_test": np.array([5])}, "the test labels [5] never occur in the training labels"),
])
def test_npz_mistakes_are_value_errors(tmp_path, arrays, message):
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(ValueError) as err:
        read_npz_data(tmp_path / "d.npz")
    assert message in str(err.value)


def test_npz_missing_or_not_an_archive(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file: .*none.npz"):
        read_npz_data(tmp_path / "none.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="is not a .npz archive"):
        read_npz_data(tmp_path / "text.npz")


# -- .csv -----------------------------------------------------------------------------------------
def test_csv_with_header_and_word_labels(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["a,b,kind", "1,2,yes", "3.5,-4,no", "5,6e1, yes "])
    data = read_csv_data(path)
    np.testing.assert_array_equal(data.train_x, [[1, 3.5, 5], [2, -4, 60]])
    assert data.classes == ["no", "yes"]  # sorted; spaces around a label are dropped
    np.testing.assert_array_equal(data.train_y, [[1, 0, 1]])
    assert data.test_x is None and data.image is None


def test_csv_without_header_sorts_number_labels_as_numbers(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["0.1,10", "0.2,9", "", "0.3,10"])
    data = read_csv_data(path)
    assert data.train_x.shape == (1, 3)  # the empty line is skipped, the first row is data
    assert data.classes == ["9", "10"]  # 9 < 10 as numbers ("10" < "9" as words)
    np.testing.assert_array_equal(data.train_y, [[1, 0, 1]])


@pytest.mark.parametrize("label_column", [0, "0", -3, "-3", "kind"])
def test_csv_label_column_by_number_or_name(tmp_path, label_column):
    lines = ["kind,a,b", "3,1.5,-3", "7,2.5,-7", "5,3.5,-5"]
    path = write_csv(tmp_path / "d.csv", lines if label_column == "kind" else lines[1:])
    data = read_csv_data(path, label_column=label_column)
    np.testing.assert_array_equal(data.train_x, [[1.5, 2.5, 3.5], [-3, -7, -5]])
    assert data.classes == ["3", "5", "7"]
    np.testing.assert_array_equal(data.train_y, [[0, 2, 1]])


def test_csv_label_column_in_the_middle(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["1,a,2", "3,b,4"])
    data = read_csv_data(path, label_column=1)
    np.testing.assert_array_equal(data.train_x, [[1, 3], [2, 4]])
    assert data.classes == ["a", "b"]


def test_csv_bad_line_names_the_line_and_the_column(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["a,b,label", "1,2,x", "3,oops,y"])
    with pytest.raises(ValueError) as err:
        read_csv_data(path)
    assert str(err.value) == f"{path}, line 3: 'oops' (column 2) is not a number"
    path = write_csv(tmp_path / "short.csv", ["1,2,x", "3,y"])
    with pytest.raises(ValueError, match=r"line 2: 2 fields, expected 3"):
        read_csv_data(path)


@pytest.mark.parametrize(("label_column", "message"), [
    (7, "label_column=7 is outside the 3 columns of {path}"),
    ("-4", "label_column=-4 is outside the 3 columns of {path}"),
    ("z", "label_column='z' is not in the header of {path} (a, b, kind)"),
])
def test_csv_label_column_errors_name_the_argument(tmp_path, label_column, message):
    path = write_csv(tmp_path / "d.csv", ["a,b,kind", "1,2,x"])
    with pytest.raises(DataArgumentError) as err:
        read_csv_data(path, label_column=label_column)
    assert isinstance(err.value, ValueError)
    assert str(err.value) == message.format(path=path)
    assert err.value.argument == "label_column"
    assert err.value.message_for("--label-column").startswith("--label-column ")


def test_csv_other_mistakes(tmp_path):
    with pytest.raises(ValueError, match="is empty"):
        read_csv_data(write_csv(tmp_path / "empty.csv", [""]))
    with pytest.raises(ValueError, match="needs at least two columns"):
        read_csv_data(write_csv(tmp_path / "one.csv", ["1", "2"]))
    with pytest.raises(ValueError, match="has a header but no examples"):
        read_csv_data(write_csv(tmp_path / "head.csv", ["a,label"]))
    with pytest.raises(TypeError, match="label_column must be a column number or a header name"):
        read_csv_data(write_csv(tmp_path / "ok.csv", ["1,2"]), label_column=1.0)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_csv_data(tmp_path / "none.csv")


# -- pictures -------------------------------------------------------------------------------------
@pytest.fixture
def pil():
    """Pillow's Image module (the picture tests skip without Pillow)."""
    return pytest.importorskip("PIL.Image")


def save_picture(path: Path, rgb: tuple[int, int, int], size: tuple[int, int] = (10, 12)) -> None:
    pytest.importorskip("PIL.Image").new("RGB", size, rgb).save(path)


def test_read_image_scales_resizes_and_flattens_like_the_course(tmp_path, pil):
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10  # (h, w, rgb)
    pil.fromarray(pixels).save(tmp_path / "tiny.png")
    got = read_image(tmp_path / "tiny.png", (2, 3, 3))
    assert got.shape == (18,) and got.dtype == np.float64
    np.testing.assert_allclose(got, pixels.reshape(-1) / 255.0)
    np.testing.assert_allclose(read_image(str(tmp_path / "tiny.png"), (2, 3, 3), invert=True),
                               1.0 - pixels.reshape(-1) / 255.0)


def test_read_image_grey_and_resized(tmp_path):
    save_picture(tmp_path / "white.png", (255, 255, 255), size=(40, 30))
    grey = read_image(tmp_path / "white.png", (28, 28, 1))
    assert grey.shape == (784,)
    np.testing.assert_allclose(grey, 1.0)
    np.testing.assert_allclose(read_image(tmp_path / "white.png", (28, 28, 1), invert=True), 0.0)
    save_picture(tmp_path / "red.png", (255, 0, 0))
    rgb = read_image(tmp_path / "red.png", (4, 5, 3)).reshape(4, 5, 3)
    np.testing.assert_allclose(rgb[..., 0], 1.0)
    np.testing.assert_allclose(rgb[..., 1:], 0.0)
    with pytest.raises(ValueError, match=r"shape must be \(height, width, 3\)"):
        read_image(tmp_path / "red.png", (4, 5, 2))


def test_read_image_without_pillow_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "xpnet\[cli\]"'):
        read_image(tmp_path / "any.png", (8, 8, 3))


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """img_0_ant.png, img_1_bee.JPG, ... (red ants, blue bees) and a text file."""
    folder = tmp_path / "shots"
    folder.mkdir()
    for i, kind in enumerate(["ant", "bee", "bee", "ant", "bee"]):
        suffix = ".JPG" if i == 1 else ".png"
        save_picture(folder / f"img_{i}_{kind}{suffix}",
                     (200, 0, 0) if kind == "ant" else (0, 0, 200))
    (folder / "notes.txt").write_text("not a picture")
    return folder


def test_image_folder_labelled_by_a_pattern(shots):
    data = read_image_folder(shots, label_pattern=r"_(ant|bee)\.", image_size=8)
    assert data.classes == ["ant", "bee"]
    np.testing.assert_array_equal(data.train_y, [[0, 1, 1, 0, 1]])  # in the order of the names
    assert data.train_x.shape == (8 * 8 * 3, 5) and data.image == (8, 8, 3)
    assert data.test_x is None
    red = data.train_x[:, 0].reshape(8, 8, 3)
    assert red[..., 0].mean() > 0.7 and red[..., 2].mean() < 0.1
    blue = data.train_x[:, 1].reshape(8, 8, 3)  # the .JPG counts as a picture too
    assert blue[..., 2].mean() > 0.7


def test_image_folder_default_label_is_the_leading_letters(tmp_path):
    for name in ["cat.1.jpg", "cat_2.png", "dog7.png"]:
        save_picture(tmp_path / name, (9, 9, 9))
    data = read_image_folder(tmp_path, image_size=9)
    assert data.classes == ["cat", "dog"] and data.image == (9, 9, 3)
    np.testing.assert_array_equal(data.train_y, [[0, 0, 1]])


def test_image_folder_errors_name_the_argument(shots, tmp_path):
    with pytest.raises(DataArgumentError) as err:
        read_image_folder(shots, label_pattern="_ant")
    assert str(err.value) == ("img_1_bee.JPG does not match label_pattern='_ant', so it has no "
                              "label; rename it or give another label_pattern")
    assert err.value.message_for("--label-pattern") == (
        "img_1_bee.JPG does not match --label-pattern '_ant', so it has no label; rename it or "
        "give another --label-pattern")
    with pytest.raises(ValueError, match=r"label_pattern='\(' is not a regular expression"):
        read_image_folder(shots, label_pattern="(")
    with pytest.raises(ValueError, match="image_size=0 is not a positive whole number"):
        read_image_folder(shots, image_size=0)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no pictures here")
    with pytest.raises(ValueError, match="holds no images"):
        read_image_folder(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        read_image_folder(tmp_path / "missing")


@pytest.mark.parametrize(("n_x", "shape"), [
    (12288, (64, 64, 3)), (784, (28, 28, 1)), (192, (8, 8, 3)), (64, (8, 8, 1)),
    (100, (10, 10, 1)), (2, None), (99, None), (12289, None), (147, None), (49, None),  # 7x7
])
def test_image_shape(n_x, shape):
    assert image_shape(n_x) == shape


# -- hold_out -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("m", "fraction", "n_test"), [(10, 0.2, 2), (10, 0.25, 2), (100, 0.3, 30),
                                                       (5, 0.01, 1), (2, 0.5, 1)])
def test_hold_out_sizes(m, fraction, n_test):
    data = numbered(m)
    split = hold_out(data, fraction, seed=3)
    assert split.test_x.shape == (3, n_test) and split.train_x.shape == (3, m - n_test)
    assert split.test_y.shape == (1, n_test) and split.train_y.shape == (1, m - n_test)
    ids = np.concatenate([split.train_x[0], split.test_x[0]])
    np.testing.assert_array_equal(np.sort(ids), np.arange(m))  # every example once
    np.testing.assert_array_equal(split.train_y[0], split.train_x[0] % 2)  # labels travel along
    assert np.all(np.diff(split.train_x[0]) > 0) and np.all(np.diff(split.test_x[0]) > 0)
    assert split.classes == data.classes
    assert data.test_x is None and data.train_x.shape == (3, m)  # the input is not changed


def test_hold_out_is_determined_by_the_seed():
    data = numbered(50)
    first, again = hold_out(data, 0.2, seed=1), hold_out(data, 0.2, seed=1)
    np.testing.assert_array_equal(first.test_x, again.test_x)
    np.testing.assert_array_equal(first.train_y, again.train_y)
    other = hold_out(data, 0.2, seed=2)
    assert not np.array_equal(first.test_x, other.test_x)


@pytest.mark.parametrize(("fraction", "message"), [
    (0.0, "fraction=0.0 is not a fraction in (0, 1)"),
    (1.0, "fraction=1.0 is not a fraction in (0, 1)"),
    (0.9, "fraction=0.9 leaves no training examples out of 3"),
])
def test_hold_out_errors_name_the_argument(fraction, message):
    with pytest.raises(DataArgumentError) as err:
        hold_out(numbered(3), fraction)
    assert str(err.value) == message


def test_hold_out_needs_data_without_a_test_set():
    split = hold_out(numbered(10), 0.5)
    with pytest.raises(ValueError, match="already has a test set"):
        hold_out(split, 0.5)
    with pytest.raises(TypeError, match="fraction must be a number"):
        hold_out(numbered(10), "0.5")  # type: ignore[arg-type]


# -- load_training_data -----------------------------------------------------------------------------
def test_load_training_data_holds_out_a_test_set_of_a_csv(tmp_path):
    lines = [f"{i},{i % 3}" for i in range(20)]
    path = write_csv(tmp_path / "d.csv", lines)
    data = load_training_data(path, test_fraction=0.25, seed=4)
    assert data.train_x.shape == (1, 15) and data.test_x.shape == (1, 5)
    assert data.classes == ["0", "1", "2"]
    np.testing.assert_array_equal(data.test_y[0], data.test_x[0] % 3)
    same = load_training_data(str(path), test_fraction=0.25, seed=4)
    np.testing.assert_array_equal(same.test_x, data.test_x)
    whole = load_training_data(path, test_fraction=0)
    assert whole.train_x.shape == (1, 20) and whole.test_x is None and whole.test_y is None


def test_load_training_data_keeps_an_npz_test_set(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((4, 2)), y=[0, 1, 0, 1], X_test=np.ones((3, 2)),
             y_test=[1, 1, 0])
    data = load_training_data(tmp_path / "d.npz", test_fraction=0.5)
    assert data.train_x.shape == (2, 4) and data.test_x.shape == (2, 3)
    np.testing.assert_array_equal(data.test_y, [[1, 1, 0]])


def test_load_training_data_reads_a_folder_and_passes_the_options(shots):
    data = load_training_data(shots, label_pattern=r"_(ant|bee)\.", image_size=8,
                              test_fraction=0.4, seed=0)
    assert data.image == (8, 8, 3) and data.classes == ["ant", "bee"]
    assert data.train_x.shape == (192, 3) and data.test_x.shape == (192, 2)


def test_load_training_data_reads_a_shipped_set_by_name():
    data = load_training_data("football")
    assert data.train_x.shape == (2, 211) and data.test_x.shape == (2, 200)  # its own test set
    assert data.train_x.dtype == np.float64 and data.train_y.shape == (1, 211)
    assert data.classes == ["other team", "France"] and data.image is None
    np.testing.assert_array_equal(data.train_y, datasets.load_football().train_y)


def test_load_training_data_reads_pictures_of_a_shipped_set():
    data = load_training_data("cat")
    assert data.image == (64, 64, 3) and data.train_x.shape == (12288, 209)
    assert data.classes == ["non-cat", "cat"]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"source": "kitten"}, DataArgumentError,
     "source='kitten' is neither a shipped data set (cat, mnist"),
    ({"source": "data.txt"}, DataArgumentError, "source='data.txt' is neither"),
    ({"source": "{csv}", "test_fraction": 1.0}, DataArgumentError,
     "test_fraction=1.0 is not a fraction in [0, 1)"),
    ({"source": "{csv}", "test_fraction": 0.9}, DataArgumentError,
     "test_fraction=0.9 leaves no training examples out of 2"),
    ({"source": "{csv}", "label_column": "z"}, DataArgumentError, "label_column='z' is not in"),
    ({"source": "{tmp}/none.csv"}, FileNotFoundError, "no such file: {tmp}/none.csv"),
    ({"source": 3}, TypeError, "source must be a path, got int"),
    ({"source": "{csv}", "test_fraction": "0.2"}, TypeError, "test_fraction must be a number"),
])
def test_load_training_data_errors(tmp_path, kwargs, error, message):
    csv_path = write_csv(tmp_path / "d.csv", ["1,a", "2,b"])
    def fill(text: str) -> str:
        return text.replace("{csv}", str(csv_path)).replace("{tmp}", str(tmp_path))

    kwargs = {k: fill(v) if isinstance(v, str) else v for k, v in kwargs.items()}
    message = fill(message)
    with pytest.raises(error) as err:
        load_training_data(**kwargs)
    assert message in str(err.value)


def test_data_argument_error_names_the_option_of_a_front_end_and_pickles():
    err = DataArgumentError("label_column", "z", " is not in the header of d.csv")
    assert str(err) == "label_column='z' is not in the header of d.csv"
    assert err.message_for("--label-column") == "--label-column 'z' is not in the header of d.csv"
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.argument, again.value) == (str(err), "label_column", "z")
    advised = DataArgumentError("size", 3, " is odd", subject="x: ", advice="give an even")
    assert str(advised) == "x: size=3 is odd; give an even size"
    assert advised.message_for("--size") == "x: --size 3 is odd; give an even --size"
    assert str(pickle.loads(pickle.dumps(advised))) == str(advised)


def test_public_names():
    assert set(files.__all__) <= set(vars(files))
    assert SHIPPED == tuple(datasets.DATASETS)  # every name load_dataset knows, no other
    assert ".png" in IMAGE_SUFFIXES and ".jpg" in IMAGE_SUFFIXES
    for name in files.__all__:
        assert getattr(datasets, name) is getattr(files, name)


@pytest.mark.parametrize("module", [files, datasets.course])
def test_dataset_modules_never_import_their_package_or_xpnet(module):
    """``xpnet.datasets`` imports both modules, so neither imports it back (a cycle), nor
    ``xpnet/__init__`` (``from .. import x``), not even inside a function."""
    for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
        if isinstance(node, ast.ImportFrom):
            target = "." * node.level + (node.module or "")
            assert target not in (".", "..", "xpnet", "xpnet.datasets"), node.lineno
        elif isinstance(node, ast.Import):
            assert not {a.name for a in node.names} & {"xpnet", "xpnet.datasets"}, node.lineno


# -- one subfolder per class (torchvision's ImageFolder, Keras' image_dataset_from_directory) ----
@pytest.fixture
def pets(tmp_path: Path) -> Path:
    """pets/cat/*.png (red), pets/dog/*.jpg and pets/dog/puppies/*.png (blue), plus what a
    folder of pictures also holds: a notebook's hidden checkpoints and a text file."""
    folder = tmp_path / "pets"
    (folder / "dog" / "puppies").mkdir(parents=True)
    (folder / "cat").mkdir()
    (folder / ".ipynb_checkpoints").mkdir()
    for i in range(3):
        save_picture(folder / "cat" / f"{i}.png", (200, 0, 0))
        save_picture(folder / "dog" / f"IMG_{i}.JPG", (0, 0, 200))
    save_picture(folder / "dog" / "puppies" / "small.png", (0, 0, 200))
    save_picture(folder / ".ipynb_checkpoints" / "x.png", (0, 200, 0))
    (folder / "cat" / "notes.txt").write_text("not a picture")
    return folder


def test_image_folder_with_one_subfolder_per_class(pets):
    data = read_image_folder(pets, image_size=4)
    assert data.classes == ["cat", "dog"]
    np.testing.assert_array_equal(data.train_y, [[0, 0, 0, 1, 1, 1, 1]])
    red = data.train_x.reshape(4, 4, 3, -1)[0, 0, 0]
    np.testing.assert_allclose(red, [200 / 255] * 3 + [0] * 4, atol=0.02)
    assert data.image == (4, 4, 3)


def test_image_folder_per_class_refuses_loose_pictures_and_a_label_pattern(pets):
    with pytest.raises(DataArgumentError, match="one subfolder per class") as err:
        read_image_folder(pets, label_pattern="^(cat|dog)")
    assert err.value.argument == "label_pattern"
    save_picture(pets / "stray.png", (9, 9, 9))
    with pytest.raises(ValueError, match=r"holds pictures \(stray.png, ...\) beside class "
                                         r"subfolders \(cat, dog\)"):
        read_image_folder(pets)


# -- CSV delimiters -------------------------------------------------------------------------------
@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_csv_delimiter_is_detected(tmp_path, delimiter):
    lines = [delimiter.join(["x1", "x2", "kind"])]
    lines += [delimiter.join([f"{i / 4}", f"{-i}", "ab"[i % 2]]) for i in range(8)]
    data = read_csv_data(write_csv(tmp_path / "d.csv", lines))
    np.testing.assert_allclose(data.train_x[0], np.arange(8) / 4)
    assert data.classes == ["a", "b"]


def test_csv_hints_at_semicolons_and_decimal_commas(tmp_path):
    semi = write_csv(tmp_path / "semi.csv", ["x1;x2;kind", "1.5;2;a", "3;4.25;b"])
    with pytest.raises(DataArgumentError, match="the file seems to use ';' between fields: "
                                                "give ';' as delimiter") as err:
        read_csv_data(semi, delimiter=",")
    assert err.value.message_for("--delimiter").endswith("give ';' as --delimiter")
    comma = write_csv(tmp_path / "comma.csv", ["x1;x2;kind", "1,5;2;a", "3;4,25;b"])
    with pytest.raises(ValueError, match=r"'1,5' \(column 1\) is not a number: write numbers "
                                         r"with a decimal point"):
        read_csv_data(comma)
    with pytest.raises(DataArgumentError, match="is not one character"):
        read_csv_data(semi, delimiter=";;")


# -- stratified hold-out --------------------------------------------------------------------------
def test_hold_out_is_stratified():
    labels = np.array([0] * 90 + [1] * 10)
    data = TrainingData(np.arange(100.0).reshape(1, -1), labels.reshape(1, -1), None, None,
                        ["common", "rare"])
    for seed in range(5):
        split = hold_out(data, 0.2, seed=seed)
        assert np.bincount(split.test_y[0]).tolist() == [18, 2]
        assert np.bincount(split.train_y[0]).tolist() == [72, 8]


def test_hold_out_keeps_one_training_example_of_each_class_when_it_can():
    labels = np.array([0] * 6 + [1, 2])
    data = TrainingData(np.arange(8.0).reshape(1, -1), labels.reshape(1, -1), None, None,
                        ["a", "b", "c"])
    split = hold_out(data, 0.5, seed=0)
    assert split.test_x.shape[1] == 4
    assert sorted(set(split.train_y[0].tolist())) == [0, 1, 2]
