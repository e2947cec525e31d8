"""People's own pictures, made here with Pillow as a user makes them (a transparent PNG, a phone
JPEG with an EXIF rotation, dark ink on paper, a digit off-centre), through
:func:`xpnet.datasets.files.read_image` and through ``xpnet train``/``xpnet predict``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import xpnet
from xpnet.cli import main
from xpnet.datasets.files import read_image

Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")

GREY28 = (28, 28, 1)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def seven(size=(400, 300), at=(40, 40), ink=20, paper=235, width=14, mode="L"):
    """A 7 of 100 x 160 pixels drawn from ``at``: dark ink on light paper by default."""
    img = Image.new(mode, size, paper)
    x, y = at
    ImageDraw.Draw(img).line([(x, y), (x + 100, y), (x + 30, y + 160)], fill=ink, width=width)
    return img


def three(size=(300, 300), at=(150, 120), ink=30, paper=240):
    img = Image.new("L", size, paper)
    x, y = at
    pen = ImageDraw.Draw(img)
    pen.arc([x, y, x + 80, y + 70], start=-160, end=90, fill=ink, width=12)
    pen.arc([x - 5, y + 60, x + 85, y + 150], start=-90, end=160, fill=ink, width=12)
    return img


def ink_box(picture: np.ndarray) -> tuple[int, int]:
    """(height, width) of the box holding the picture's ink (values > 0.1)."""
    rows = np.flatnonzero(picture.max(axis=1) > 0.1)
    cols = np.flatnonzero(picture.max(axis=0) > 0.1)
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


# -- the reader ---------------------------------------------------------------------------------
def test_transparency_is_laid_over_white(tmp_path):
    img = Image.new("RGBA", (60, 60), (0, 0, 0, 0))  # transparent black: black when alpha is lost
    ImageDraw.Draw(img).rectangle([20, 20, 40, 40], fill=(200, 0, 0, 255))
    img.save(tmp_path / "logo.png")
    pixels = read_image(tmp_path / "logo.png", (30, 30, 3)).reshape(30, 30, 3)
    assert np.allclose(pixels[0, 0], 1.0)  # white, not black
    assert np.allclose(pixels[15, 15], [200 / 255, 0, 0], atol=0.01)


@pytest.mark.parametrize(("stroke", "mode"), [((0, 255), "LA"), ((255, 255), "LA"),
                                              ((0, 0, 0, 255), "RGBA")])
def test_a_transparent_digit_becomes_light_on_dark_for_an_mnist_model(tmp_path, stroke, mode):
    background = (0,) * (len(stroke) - 1) + (0,) if stroke[0] == 255 else (255,) * (
        len(stroke) - 1) + (0,)
    img = Image.new(mode, (200, 200), background)
    ImageDraw.Draw(img).line([(50, 40), (150, 40), (80, 170)], fill=stroke, width=18)
    img.save(tmp_path / "digit.png")
    pixels = read_image(tmp_path / "digit.png", GREY28, None, background="dark",
                        centring="mnist").reshape(28, 28)
    assert pixels[0, 0] == 0 and pixels.max() > 0.9  # light strokes on black, as MNIST
    assert 19 <= max(ink_box(pixels)) <= 21


def test_exif_orientation_is_applied(tmp_path):
    upright = seven(size=(300, 300), at=(80, 60), mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255))
    upright.save(tmp_path / "upright.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display", as a phone held upright writes it
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "phone.jpg", exif=exif.tobytes(),
                                                      quality=95)
    want = read_image(tmp_path / "upright.png", (32, 32, 1))
    got = read_image(tmp_path / "phone.jpg", (32, 32, 1))
    assert np.abs(got - want).max() < 0.15
    with Image.open(tmp_path / "phone.jpg") as raw:  # the pixels as stored are on their side
        stored = np.asarray(raw.convert("L").resize((32, 32)), dtype=float).reshape(-1) / 255
    assert np.abs(stored - want).max() > 0.5


def test_dark_ink_on_paper_is_inverted_for_a_light_on_dark_model(tmp_path):
    seven().save(tmp_path / "paper.png")
    auto = read_image(tmp_path / "paper.png", GREY28, None, background="dark").reshape(28, 28)
    assert auto[0, 0] < 0.1 and auto.max() > 0.8
    kept = read_image(tmp_path / "paper.png", GREY28, False, background="dark").reshape(28, 28)
    assert kept[0, 0] > 0.9  # --no-invert
    forced = read_image(tmp_path / "paper.png", GREY28, True).reshape(28, 28)
    assert np.allclose(forced, auto)  # --invert
    light = read_image(tmp_path / "paper.png", GREY28, None, background="light")
    assert light.reshape(28, 28)[0, 0] > 0.9  # a model of dark ink on light paper: as it is
    unknown = read_image(tmp_path / "paper.png", GREY28, None)
    assert unknown.reshape(28, 28)[0, 0] > 0.9  # background not known: never inverted


def test_mnist_centring_crops_keeps_the_aspect_and_centres_the_mass(tmp_path):
    seven(size=(400, 300), at=(40, 40)).save(tmp_path / "corner.png")  # top left
    seven(size=(400, 300), at=(250, 100)).save(tmp_path / "right.png")
    a = read_image(tmp_path / "corner.png", GREY28, None, background="dark", centring="mnist")
    b = read_image(tmp_path / "right.png", GREY28, None, background="dark", centring="mnist")
    assert np.allclose(a, b, atol=0.02)  # where it was drawn does not matter
    pixels = a.reshape(28, 28)
    height, width = ink_box(pixels)
    assert height == 20  # the longer side fills MNIST's 20-pixel box
    assert abs(width / height - (100 + 14) / (160 + 14)) < 0.1  # not squashed to a square
    ys, xs = np.indices(pixels.shape)
    mass = pixels.sum()
    assert abs((ys * pixels).sum() / mass - 13.5) <= 0.5
    assert abs((xs * pixels).sum() / mass - 13.5) <= 0.5
    assert pixels[:, :3].max() == 0 and pixels[:, -3:].max() == 0  # empty margins
    squashed = read_image(tmp_path / "corner.png", GREY28, None, background="dark")
    assert max(ink_box(squashed.reshape(28, 28))) < 20  # without centring: the whole page


def test_an_empty_page_is_blank_and_centring_is_for_grey(tmp_path):
    Image.new("L", (50, 50), 230).save(tmp_path / "blank.png")
    blank = read_image(tmp_path / "blank.png", GREY28, None, background="dark", centring="mnist")
    assert not blank.any()
    with pytest.raises(ValueError, match="grey"):
        read_image(tmp_path / "blank.png", (28, 28, 3), centring="mnist")
    with pytest.raises(ValueError, match="background"):
        read_image(tmp_path / "blank.png", GREY28, background="white")


# -- through the command line -------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits_npz(tmp_path_factory) -> Path:
    """3000 MNIST 3s and 7s as raw 0–255 pictures (m, 28, 28), labelled three/seven."""
    mnist = xpnet.datasets.load_mnist(digits=(3, 7))
    X = np.round(mnist.train_x[:, :3000].T * 255).astype(np.uint8).reshape(-1, 28, 28)
    y = np.where(mnist.train_y[0, :3000] == 1, "three", "seven")
    path = tmp_path_factory.mktemp("digits") / "digits.npz"
    np.savez(path, X=X, y=y)
    return path


@pytest.fixture(scope="module")
def digit_model(digits_npz, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "digits-model.npz"
    assert main(["train", str(digits_npz), "--layers", "784,16,1", "--epochs", "6",
                 "--batch-size", "64", "--lr", "0.001", "--out", str(out), "--quiet"]) == 0
    return out


def test_train_records_the_input_preprocessing(digit_model, capsys):
    config = xpnet.load(digit_model).config
    assert config["input_image"] == [28, 28, 1]
    assert config["input_preprocessing"] == {"scale": 255.0, "background": "dark",
                                             "centring": "mnist", "mean": None, "std": None}
    code, out, _ = run(capsys, "info", str(digit_model))
    assert code == 0
    assert "pixels in [0, 255], light on dark, centred as MNIST" in out
    found = re.search(r"accuracy\s+train ([\d.]+)%, test ([\d.]+)%", out)
    assert found, out
    assert float(found[1]) / 100 == pytest.approx(config["train_accuracy"], abs=5e-5)
    assert float(found[2]) / 100 == pytest.approx(config["test_accuracy"], abs=5e-5)


def test_predict_own_pictures_with_a_model_of_raw_0_255_mnist_data(digit_model, tmp_path,
                                                                   capsys):
    seven().save(tmp_path / "seven.png")  # dark on paper, off-centre, wide
    three().save(tmp_path / "three.png")
    code, out, err = run(capsys, "predict", str(digit_model), str(tmp_path / "seven.png"),
                         str(tmp_path / "three.png"))
    assert code == 0, err
    labels = dict(re.findall(r"(\S+): (\w+) \(p=[\d.]+\)", out))
    assert labels == {str(tmp_path / "seven.png"): "seven", str(tmp_path / "three.png"): "three"}
    # the network sees what read_image gives, times 255: the training data's scale
    model = xpnet.load(digit_model)
    x = read_image(tmp_path / "seven.png", GREY28, None, background="dark", centring="mnist")
    p_seven = 1 - float(np.asarray(model.predict_proba(255 * x[:, None]))[0, 0])
    assert f"seven (p={p_seven:.3f})" in out


def test_predict_top_k_and_json(digit_model, tmp_path, capsys):
    seven().save(tmp_path / "seven.png")
    code, out, _ = run(capsys, "predict", str(digit_model), str(tmp_path / "seven.png"),
                       "--top-k", "5")
    assert code == 0
    found = re.findall(r"(\w+) \(p=([\d.]+)\)", out)
    assert [name for name, _ in found] == ["seven", "three"]  # two classes: k stops at 2
    assert abs(sum(float(p) for _, p in found) - 1) < 2e-3
    code, out, _ = run(capsys, "predict", str(digit_model), str(tmp_path / "seven.png"),
                       "--json", "--top-k", "2")
    assert code == 0
    (record,) = json.loads(out)
    assert record["input"] == str(tmp_path / "seven.png") and record["row"] is None
    assert record["label"] == "seven" and record["top"][0] == {"label": "seven",
                                                               "p": record["p"]}
    assert [t["label"] for t in record["top"]] == ["seven", "three"]


def test_predict_no_invert_feeds_the_picture_as_it_is(digit_model, tmp_path, capsys):
    seven().save(tmp_path / "seven.png")
    code, out, _ = run(capsys, "predict", str(digit_model), str(tmp_path / "seven.png"),
                       "--no-invert", "--json")
    model = xpnet.load(digit_model)
    x = read_image(tmp_path / "seven.png", GREY28, False, background="dark", centring="mnist")
    p_three = float(np.asarray(model.predict_proba(255 * x[:, None]))[0, 0])
    assert code == 0
    top = json.loads(out)[0]
    assert top["p"] == pytest.approx(max(p_three, 1 - p_three))


def test_predict_rows_of_npz_and_csv_files(digit_model, digits_npz, tmp_path, capsys):
    with np.load(digits_npz) as f:
        X, y = f["X"][:4], f["y"][:4]
    np.savez(tmp_path / "some.npz", X=X)
    flat = X.reshape(4, -1)
    lines = [",".join(f"p{i}" for i in range(784)) + ",label"]
    lines += [",".join(map(str, row)) + f",{label}" for row, label in zip(flat, y, strict=True)]
    (tmp_path / "some.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "bare.csv").write_text("\n".join(";".join(map(str, r)) for r in flat) + "\n")
    code, out, err = run(capsys, "predict", str(digit_model), str(tmp_path / "some.npz"),
                         str(tmp_path / "some.csv"), str(tmp_path / "bare.csv"))
    assert code == 0, err
    got = re.findall(r"(\S+)\[(\d)\]: (\w+) \(p=", out)
    assert len(got) == 12
    want = xpnet.load(digit_model).predict(flat.T.astype(float)).reshape(-1)
    names = np.array(["seven", "three"])[want]
    for source in ("some.npz", "some.csv", "bare.csv"):
        assert [label for path, _, label in got if path.endswith(source)] == names.tolist()
    assert (names == y).sum() >= 3


def test_predict_refuses_rows_of_the_wrong_width(digit_model, tmp_path, capsys):
    (tmp_path / "short.csv").write_text("1,2,3\n4,5,6\n")
    code, _, err = run(capsys, "predict", str(digit_model), str(tmp_path / "short.csv"))
    assert code == 2
    assert "short.csv has 3 fields per row; the model takes 784 features" in err


# -- what xpnet train records -------------------------------------------------------------------
def _pictures(light_background: bool, high: int = 255, m: int = 40, side: int = 28) -> np.ndarray:
    """(m, side, side) uint8 squares of ink in the middle, on a dark or a light background."""
    X = np.zeros((m, side, side), dtype=np.uint8)
    X[:, side // 3: 2 * side // 3, side // 3: 2 * side // 3] = high
    return high - X if light_background else X


@pytest.mark.parametrize(("X", "scale", "background", "centring"), [
    (_pictures(False), 255.0, "dark", "mnist"),
    (_pictures(True), 255.0, "light", None),
    (_pictures(False) / 255, 1.0, "dark", "mnist"),
    (_pictures(False, high=16, side=8), None, None, None),  # scikit-learn's 0–16 digits
])
def test_train_records_scale_background_and_centring(capsys, tmp_path, X, scale, background,
                                                      centring):
    np.savez(tmp_path / "pics.npz", X=X, y=np.arange(len(X)) % 2)
    side = X.shape[1]
    code, _, err = run(capsys, "train", str(tmp_path / "pics.npz"), "--layers",
                       f"{side * side},1", "--epochs", "1", "--out", str(tmp_path / "m.npz"))
    assert code == 0, err
    recorded = xpnet.load(tmp_path / "m.npz").config["input_preprocessing"]
    assert (recorded["scale"], recorded["background"], recorded["centring"]) == (
        scale, background, centring)


def test_predict_says_when_a_model_was_not_trained_on_pixels(capsys, tmp_path):
    np.savez(tmp_path / "pics.npz", X=_pictures(False, high=16, side=8), y=np.arange(40) % 2)
    run(capsys, "train", str(tmp_path / "pics.npz"), "--layers", "64,1", "--epochs", "1",
        "--out", str(tmp_path / "m.npz"))
    seven(size=(40, 40), at=(5, 5), width=3).save(tmp_path / "seven.png")
    code, out, err = run(capsys, "predict", str(tmp_path / "m.npz"), str(tmp_path / "seven.png"))
    assert code == 0 and out.startswith(str(tmp_path / "seven.png"))
    assert "neither [0, 1] nor 0-255 pixels; pictures are given to it in [0, 1]" in err


def test_info_json_has_the_accuracies_and_the_preprocessing(digit_model, capsys):
    code, out, _ = run(capsys, "info", str(digit_model), "--json")
    assert code == 0
    summary = json.loads(out)
    config = xpnet.load(digit_model).config
    assert summary["accuracy"] == {"train": config["train_accuracy"],
                                   "test": config["test_accuracy"]}
    assert summary["input_preprocessing"]["scale"] == 255.0
    assert "input_preprocessing" not in summary["training"]
    assert "train_accuracy" not in summary["training"]


@pytest.mark.parametrize("config", [{}, {"input_image": [28, 28, 1]}])
def test_a_model_without_a_record_of_784_inputs_is_taken_for_mnist(tmp_path, capsys, config):
    """Models of the Python API, or saved by an xpnet before the record: [0, 1] pixels, and
    MNIST's layout for 28x28 grey ones."""
    model = xpnet.train(np.zeros((784, 2)), np.array([[0, 1]]), [784, 1], num_epochs=0)
    model.config.update(config)
    model.save(tmp_path / "m.npz")
    seven().save(tmp_path / "seven.png")
    code, out, _ = run(capsys, "predict", str(tmp_path / "m.npz"), str(tmp_path / "seven.png"),
                       "--json")
    assert code == 0
    x = read_image(tmp_path / "seven.png", GREY28, None, background="dark", centring="mnist")
    p_one = float(np.asarray(model.predict_proba(x[:, None]))[0, 0])
    assert json.loads(out)[0]["top"][0]["p"] == pytest.approx(max(p_one, 1 - p_one))
    as_it_is = read_image(tmp_path / "seven.png", GREY28)  # what predict did before
    assert float(np.asarray(model.predict_proba(as_it_is[:, None]))[0, 0]) != pytest.approx(p_one)
