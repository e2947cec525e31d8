"""The ``xpnet`` command line, through its entry function and (for the process) ``python -m``."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import numpy as np
import pytest

import xpnet
from xpnet.cli import COMMANDS, build_parser, main

PIL_Image = pytest.importorskip("PIL.Image")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``xpnet ARGV`` in this process: (exit status, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse: --help, --version and usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def rows(out: str) -> dict[str, str]:
    """The ``key  value`` lines that ``xpnet train`` and ``xpnet info`` print."""
    found = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+(?: \S+)?)\s{2,}(.*)", line)
        if match:
            found[match[1]] = match[2]
    return found


def quadrants_csv(path: Path, m: int = 200, header: bool = True) -> Path:
    """Two features; the label says whether they have the same sign (an XOR problem)."""
    X = np.random.default_rng(0).uniform(-1, 1, size=(m, 2))
    labels = np.where(X[:, 0] * X[:, 1] > 0, "same", "diff")
    lines = ["x1,x2,label"] if header else []
    lines += [f"{a:.5f},{b:.5f},{lab}" for (a, b), lab in zip(X, labels, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def save_picture(path: Path, rgb: tuple[int, int, int], size: tuple[int, int], seed: int) -> None:
    noise = np.random.default_rng(seed).normal(0, 25, size=(size[1], size[0], 3))
    PIL_Image.fromarray(np.clip(np.add(rgb, noise), 0, 255).astype(np.uint8)).save(path)


RED, BLUE = (200, 50, 50), (50, 50, 200)


@pytest.fixture
def pets(tmp_path: Path) -> Path:
    """A folder of reddish cat.N.jpg and bluish dog.N.png pictures of mixed sizes."""
    folder = tmp_path / "pets"
    folder.mkdir()
    for i in range(12):
        save_picture(folder / f"cat.{i}.jpg", RED, (40 + i, 30), seed=i)
        save_picture(folder / f"dog.{i}.png", BLUE, (30, 50 + i), seed=100 + i)
    (folder / "notes.txt").write_text("not a picture")
    return folder


# -- help and version ---------------------------------------------------------------------------
@pytest.mark.parametrize(("argv", "expected"), [
    ((), ["train", "predict", "info", "bench", "reproduce", "--debug"]),
    (("train",), ["--layers", "--optimizer", "--lr", "--epochs", "--batch-size", "--lambd",
                  "--keep-prob", "--backend", "--dtype", "--seed", "--out", "--plot",
                  "--label-column", "--label-pattern", "--test-fraction", "X_test", "header",
                  "--standardize", "--delimiter", "--checkpoint", "--checkpoint-every", "--resume",
                  "--lr-schedule", "inverse-time:RATE", "subfolder per", "stratified",
                  "mnist-3v7", "dog.1.jpg -> dog"]),
    (("predict",), ["MODEL", "INPUT", "--invert", "--no-invert", "--top-k", "--json", ".csv",
                    "64x64 RGB", "28x28"]),
    (("info",), ["MODEL", "--json", "parameter count"]),
])
def test_help_describes_every_command(capsys, argv, expected):
    code, out, _ = run(capsys, *argv, "--help")
    assert code == 0
    for word in expected:
        assert word in out, word


def test_python_m_xpnet_version_and_one_line_errors(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(xpnet.__file__).parents[1])}
    cmd = [sys.executable, "-m", "xpnet"]
    done = subprocess.run([*cmd, "--version"], capture_output=True, text=True, env=env)
    assert (done.returncode, done.stdout.strip()) == (0, f"xpnet {xpnet.__version__}")
    done = subprocess.run([*cmd, "train", str(tmp_path / "none.csv"), "--layers", "2,1"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"xpnet: error: no such file: {tmp_path / 'none.csv'}"]


# -- train --------------------------------------------------------------------------------------
def test_train_on_a_csv_with_header_and_string_labels(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    data = quadrants_csv(tmp_path / "quad.csv")
    out_path, plot = tmp_path / "quad.npz", tmp_path / "cost.png"
    code, out, err = run(capsys, "train", str(data), "--layers", "2,16,8,1", "--lr", "0.01",
                         "--epochs", "400", "--out", str(out_path), "--plot", str(plot))
    assert code == 0, err
    shown = rows(out)
    assert shown["data"] == f"{data}: 160 training and 40 test examples, 2 classes (diff, same)"
    assert shown["network"] == "2-16-8-1 (relu, relu, sigmoid), 193 parameters"
    assert float(shown["train accuracy"].rstrip("%")) > 95
    assert float(shown["test accuracy"].rstrip("%")) > 90
    assert "examples/s" in err  # the progress bar
    model = xpnet.load(out_path)
    assert model.layer_dims == [2, 16, 8, 1] and len(model.costs) == 400
    assert model.config["classes"] == ["diff", "same"]
    assert model.config["input_image"] is None
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("column", ["0", "-3", "kind"])
def test_csv_label_column_by_number_or_name(capsys, tmp_path, column):
    lines = ["kind,a,b"] + [f"{k},{k * 2 + 0.5},{-k}" for k in (3, 7, 3, 7, 5, 5)]
    data = tmp_path / "labels_first.csv"
    data.write_text("\n".join(lines if column == "kind" else lines[1:]) + "\n")
    code, _, err = run(capsys, "train", str(data), "--layers", "2,3", "--epochs", "2",
                       "--label-column", column, "--test-fraction", "0", "--quiet",
                       "--out", str(tmp_path / "m.npz"))
    assert code == 0, err
    model = xpnet.load(tmp_path / "m.npz")
    assert model.config["classes"] == ["3", "5", "7"]  # sorted as numbers
    assert model.activations == ["softmax"]


def test_train_on_an_npz_with_its_own_test_set(capsys, tmp_path):
    rng = np.random.default_rng(1)
    centres = np.array([[0, 4], [4, 0], [-4, -4]])
    y = rng.integers(0, 3, size=150)
    X = centres[y] + rng.normal(size=(150, 2))
    data = tmp_path / "blobs.npz"
    np.savez(data, X=X[:120], y=y[:120], X_test=X[120:], y_test=y[120:])
    code, out, err = run(capsys, "train", str(data), "--layers", "2,8,3", "--lr", "0.02",
                         "--epochs", "100", "--batch-size", "32", "--dtype", "float64",
                         "--optimizer", "momentum", "--out", str(tmp_path / "m.npz"), "--quiet")
    assert code == 0, err
    shown = rows(out)
    assert shown["data"].startswith(f"{data}: 120 training and 30 test examples, 3 classes")
    assert float(shown["test accuracy"].rstrip("%")) > 90
    config = xpnet.load(tmp_path / "m.npz").config
    assert (config["optimizer"], config["mini_batch_size"]) == ("momentum", 32)
    assert err == ""  # --quiet


def test_train_on_an_image_folder_then_predict_own_pictures(capsys, tmp_path, pets):
    model_path = tmp_path / "pets.npz"
    code, out, err = run(capsys, "train", str(pets), "--layers", "768,8,1", "--image-size",
                         "16", "--lr", "0.005", "--epochs", "60", "--out", str(model_path),
                         "--quiet")
    assert code == 0, err
    assert rows(out)["data"] == f"{pets}: 19 training and 5 test examples, 2 classes (cat, dog)"
    assert xpnet.load(model_path).config["input_image"] == [16, 16, 3]

    save_picture(tmp_path / "my_cat.png", RED, (300, 200), seed=7)
    save_picture(tmp_path / "my_dog.jpg", BLUE, (64, 64), seed=8)
    code, out, err = run(capsys, "predict", str(model_path), str(tmp_path / "my_cat.png"),
                         str(tmp_path / "my_dog.jpg"))
    assert code == 0, err
    lines = out.splitlines()
    assert re.fullmatch(rf"{re.escape(str(tmp_path / 'my_cat.png'))}: cat \(p=0\.\d{{3}}\)",
                        lines[0])
    assert lines[1].startswith(f"{tmp_path / 'my_dog.jpg'}: dog (p=")

    code, out, _ = run(capsys, "info", str(model_path))
    assert code == 0
    assert rows(out)["input"] == "16x16 RGB images"
    assert rows(out)["classes"] == "cat, dog"


def test_label_pattern_picks_the_label_from_the_file_name(capsys, tmp_path):
    folder = tmp_path / "shots"
    folder.mkdir()
    for i, kind in enumerate(["ant", "bee", "bee", "ant"]):
        save_picture(folder / f"img_{i}_{kind}.png", RED, (8, 8), seed=i)
    out_path = tmp_path / "m.npz"
    code, _, err = run(capsys, "train", str(folder), "--layers", "192,1", "--image-size", "8",
                       "--epochs", "1", "--label-pattern", r"_(ant|bee)\.", "--quiet",
                       "--test-fraction", "0", "--out", str(out_path))
    assert code == 0, err
    assert xpnet.load(out_path).config["classes"] == ["ant", "bee"]


def test_predict_with_a_grey_28x28_model_inferred_from_its_input_size(capsys, tmp_path):
    X = np.random.default_rng(0).random((784, 20))
    Y = np.arange(20).reshape(1, -1) % 10
    model = xpnet.train(X, Y, [784, 10], num_epochs=2)
    model.save(tmp_path / "digits.npz")
    PIL_Image.new("RGB", (100, 80), "white").save(tmp_path / "paper.png")
    code, out, err = run(capsys, "predict", str(tmp_path / "digits.npz"),
                         str(tmp_path / "paper.png"), "--invert")
    assert code == 0, err
    expected = model.predict_proba(np.zeros((784, 1)))[:, 0]  # white paper, inverted: all 0
    k = int(np.argmax(expected))
    assert out == f"{tmp_path / 'paper.png'}: {k} (p={expected[k]:.3f})\n"


def test_info_json(capsys, tmp_path):
    model = xpnet.train(np.eye(3), np.array([[0, 1, 1]]), [3, 2, 1], num_epochs=4,
                        optimizer="rmsprop", learning_rate=0.01)
    model.save(tmp_path / "m.npz")
    code, out, _ = run(capsys, "info", str(tmp_path / "m.npz"), "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["layer_dims"] == [3, 2, 1]
    assert summary["parameters"] == 3 * 2 + 2 + 2 + 1
    assert summary["epochs"] == 4 and summary["final_cost"] == model.costs[-1]
    assert summary["training"]["optimizer"] == "rmsprop"
    assert summary["classes"] is None
    code, out, _ = run(capsys, "info", str(tmp_path / "m.npz"))
    assert rows(out)["input"] == "3 features" and rows(out)["classes"] == "not recorded"
    assert rows(out)["batch norm"] == "none"


def test_train_with_batch_norm_and_info_shows_it(capsys, tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv")
    out_path = tmp_path / "bn.npz"
    code, out, err = run(capsys, "train", str(data), "--layers", "2,16,8,1", "--lr", "0.01",
                         "--epochs", "150", "--batch-size", "32", "--batch-norm", "--quiet",
                         "--out", str(out_path))
    assert code == 0, err
    # W1 16x2, gamma1/beta1 16 each, W2 8x16, gamma2/beta2 8 each, W3 1x8, b3
    assert rows(out)["network"] == ("2-16-8-1 (relu, relu, sigmoid, batch norm), "
                                    f"{32 + 32 + 128 + 16 + 8 + 1} parameters")
    assert float(rows(out)["test accuracy"].rstrip("%")) > 85
    assert xpnet.load(out_path).batch_norm == [True, True, False]
    code, out, _ = run(capsys, "info", str(out_path))
    assert rows(out)["batch norm"] == "layers 1, 2 (running statistics saved)"
    code, out, _ = run(capsys, "info", str(out_path), "--json")
    assert json.loads(out)["batch_norm"] == [True, True, False]


# -- progress -----------------------------------------------------------------------------------
def test_progress_without_tqdm_prints_plain_lines(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    data = quadrants_csv(tmp_path / "quad.csv", m=40)
    code, _, err = run(capsys, "train", str(data), "--layers", "2,4,1", "--epochs", "20",
                       "--out", str(tmp_path / "m.npz"))
    assert code == 0
    lines = err.splitlines()
    assert len(lines) == 11  # every second epoch of 20, and the last
    assert re.fullmatch(r"epoch 1/20  cost \d\.\d{4}  [\d,]+ examples/s", lines[0])
    assert lines[-1].startswith("epoch 20/20")


# -- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("argv", "message"), [
    (["train", "{tmp}/none.csv", "--layers", "2,1"], "no such file: {tmp}/none.csv"),
    (["train", "{csv}", "--layers", "3,1"],
     "--layers starts with 3 but {csv} has 2 features per example; start it with 2"),
    (["train", "{csv}", "--layers", "2,4,3"],
     "--layers ends with 3 but {csv} has 2 classes; end it with 1 (a sigmoid output) or 2"),
    (["train", "{csv}", "--layers", "2,x"], "argument --layers: '2,x' is not a comma-separated"),
    (["train", "{csv}", "--layers", "2,1", "--test-fraction", "1"], "not a fraction in [0, 1)"),
    (["train", "{csv}", "--layers", "2,1", "--lr", "-1"], "--lr must be > 0, got -1"),
    (["train", "{csv}", "--layers", "2,1", "--lr", "inf"], "--lr must be a finite number > 0"),
    (["train", "{csv}", "--layers", "2,1", "--lambd", "-0.5"], "--lambd must be >= 0"),
    (["train", "{csv}", "--layers", "2,1", "--device", "cuda:9"],
     "--device 'cuda:9': NumPy runs on 'cpu' only"),
    (["train", "{csv}", "--layers", "2,1", "--keep-prob", "0"],
     "--keep-prob must be in (0, 1] (1 means no dropout), got 0"),
    (["train", "{csv}", "--layers", "2,1", "--out", "{tmp}/nowhere/m.npz"],
     "--out {tmp}/nowhere/m.npz: the folder {tmp}/nowhere does not exist"),
    (["train", "{csv}", "--layers", "2,1", "--out", "{tmp}"], "--out '{tmp}' is a folder"),
    (["train", "{csv}", "--layers", "2,1", "--plot", "{tmp}/nowhere/cost.png"],
     "--plot {tmp}/nowhere/cost.png: the folder {tmp}/nowhere does not exist"),
    (["train", "{csv}", "--layers", "2,1", "--label-column", "z"], "--label-column 'z' is not"),
    (["train", "{csv}", "--layers", "2,1", "--backend", "cupyy"], "invalid choice: 'cupyy'"),
    (["train", "kitten", "--layers", "2,1"], "DATA 'kitten' is neither a shipped data set"),
    (["train", "{bad}", "--layers", "2,1"], "{bad}, line 3: 'oops' (column 2) is not a number"),
    (["train", "{tmp}/pets", "--layers", "12288,1", "--label-pattern", "^dog"],
     "cat.0.jpg does not match --label-pattern '^dog'"),
    (["predict", "{tmp}/none.npz", "x.png"], "no such model file: {tmp}/none.npz"),
    (["predict", "{model}", "x.png"], "takes 2 features per example, which is not the size"),
    (["info", "{csv}"], "is not a readable xpnet file"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: COMMAND"),
])
def test_errors_are_one_line_with_status_2(capsys, tmp_path, pets, argv, message):
    csv_path = quadrants_csv(tmp_path / "quad.csv", m=20)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,x\n3,oops,y\n")
    xpnet.train(np.eye(2), np.array([[0, 1]]), [2, 1], num_epochs=1).save(tmp_path / "m.npz")
    subs = {"{tmp}": str(tmp_path), "{csv}": str(csv_path), "{bad}": str(bad),
            "{model}": str(tmp_path / "m.npz")}

    def fill(text: str) -> str:
        for key, value in subs.items():
            text = text.replace(key, value)
        return text

    code, out, err = run(capsys, *map(fill, argv))
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("xpnet") and fill(message) in err
    assert "Traceback" not in err
    assert "trained" not in out  # found before any work


@pytest.mark.parametrize("argv", [["--debug", "info", "none.npz"], ["info", "none.npz", "--debug"]])
def test_debug_shows_the_exception(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such model file"):
        main(argv)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_its_module(capsys, name):
    module_name = COMMANDS[name][0]
    if importlib.util.find_spec(module_name) is None:
        code, _, err = run(capsys, name, "--anything")
        assert code == 2
        assert err == (f"xpnet: error: 'xpnet {name}' is not available in this installation: "
                       f"importing {module_name} failed (No module named '{module_name}')\n")
    else:
        module = importlib.import_module(module_name)
        assert callable(module.add_arguments) and callable(module.run)
        code, out, _ = run(capsys, name, "--help")
        assert code == 0 and f"xpnet {name}" in out


@pytest.mark.parametrize("name", ["info", "bench"])
def test_a_command_whose_module_fails_to_import_is_one_line(capsys, monkeypatch, name):
    module_name = COMMANDS[name][0]
    monkeypatch.setitem(sys.modules, module_name, None)  # `import` raises ImportError
    code, _, err = run(capsys, name, "x")
    assert code == 2
    assert err.startswith(f"xpnet: error: 'xpnet {name}' is not available in this installation: "
                          f"importing {module_name} failed (")
    assert len(err.splitlines()) == 1
    code, out, _ = run(capsys, "--help")  # the other commands are unaffected
    assert code == 0 and name in out


def test_help_lists_every_command_without_importing_their_modules():
    env = {**os.environ, "PYTHONPATH": str(Path(xpnet.__file__).parents[1])}
    script = ("import contextlib, io, sys\n"
              "from xpnet.cli import COMMANDS, main\n"
              "out = io.StringIO()\n"
              "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
              "    main(['--help'])\n"
              "print(sorted(m for m, _ in COMMANDS.values() if m in sys.modules))\n"
              "print(out.getvalue())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True)
    loaded, _, help_text = done.stdout.partition("\n")
    assert loaded == "[]"
    for name, (_, help_line) in COMMANDS.items():
        assert re.search(rf"^\s+{name}\s+{re.escape(help_line)}$", help_text, re.M), name


def test_build_parser_loads_the_commands_it_is_given():
    parser = build_parser(COMMANDS)
    args = parser.parse_args(["info", "m.npz", "--json"])
    assert (args.model, args.json, args.func) == ("m.npz", True, importlib.import_module(
        "xpnet.cli.info").run)
    with pytest.raises(ValueError, match="no xpnet command 'fit'; the commands are train,"):
        build_parser(["fit"])


def test_the_console_script_is_main():
    pyproject = Path(xpnet.__file__).parents[1] / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("not a source checkout")
    target = tomllib.loads(pyproject.read_text())["project"]["scripts"]["xpnet"]
    module_name, _, attribute = target.partition(":")
    assert getattr(importlib.import_module(module_name), attribute) is main


CLI_DIR = Path(xpnet.__file__).parent / "cli"


@pytest.mark.parametrize("path", sorted(p.name for p in CLI_DIR.glob("*.py")
                                        if p.name != "__init__.py"))
def test_command_modules_never_import_the_cli_package_or_xpnet(path):
    """The package imports the command modules: they import neither it (a cycle) nor
    ``xpnet/__init__`` (``from .. import x``), not even inside a function."""
    tree = ast.parse((CLI_DIR / path).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = "." * node.level + (node.module or "")
            assert target not in (".", "..", "xpnet", "xpnet.cli"), (path, node.lineno)
        elif isinstance(node, ast.Import):
            assert not {a.name for a in node.names} & {"xpnet", "xpnet.cli"}, (path, node.lineno)


# -- shipped data sets (need xpnet.datasets) ----------------------------------------------------
def test_train_a_shipped_data_set(capsys, tmp_path):
    code, out, err = run(capsys, "train", "moons", "--layers", "2,8,1", "--epochs", "5",
                         "--init", "xavier", "--quiet", "--out", str(tmp_path / "moons.npz"))
    assert code == 0, err
    assert "train accuracy" in rows(out) and "test accuracy" in rows(out)
    assert xpnet.load(tmp_path / "moons.npz").config["init"] == "xavier"


def test_cat_model_predicts_a_picture_at_64x64(capsys, tmp_path):
    code, _, err = run(capsys, "train", "cat", "--layers", "12288,4,1", "--epochs", "2",
                       "--quiet", "--out", str(tmp_path / "cat.npz"))
    assert code == 0, err
    assert xpnet.load(tmp_path / "cat.npz").config["input_image"] == [64, 64, 3]
    save_picture(tmp_path / "me.jpg", RED, (120, 90), seed=0)
    code, out, err = run(capsys, "predict", str(tmp_path / "cat.npz"), str(tmp_path / "me.jpg"))
    assert code == 0, err
    assert out.startswith(f"{tmp_path / 'me.jpg'}: ")


def test_a_delegated_command_gets_its_options_and_run_from_its_module(capsys, monkeypatch):
    calls = []
    fake = types.ModuleType("xpnet.benchmarks")
    fake.add_arguments = lambda parser: parser.add_argument("--backends", default="numpy")
    fake.run = lambda args: calls.append(args.backends) or 3
    monkeypatch.setitem(sys.modules, "xpnet.benchmarks", fake)
    code, _, _ = run(capsys, "bench", "--backends", "numpy,torch")
    assert (code, calls) == (3, ["numpy,torch"])


# -- data layouts and preprocessing ---------------------------------------------------------------
def test_train_on_one_subfolder_per_class_then_predict(capsys, tmp_path):
    folder = tmp_path / "pets"
    for kind, colour in (("cat", RED), ("dog", BLUE)):
        (folder / kind).mkdir(parents=True)
        for i in range(10):
            save_picture(folder / kind / f"IMG_{i:04d}.jpg", colour, (40, 30 + i), seed=i)
    save_picture(tmp_path / "mine.png", BLUE, (100, 80), seed=99)
    out_path = tmp_path / "pets.npz"
    code, out, err = run(capsys, "train", str(folder), "--layers", "192,4,1", "--image-size", "8",
                         "--epochs", "60", "--lr", "0.01", "--out", str(out_path))
    assert code == 0, err
    assert rows(out)["data"] == f"{folder}: 16 training and 4 test examples, 2 classes (cat, dog)"
    code, out, _ = run(capsys, "predict", str(out_path), str(tmp_path / "mine.png"))
    assert code == 0 and out.startswith(f"{tmp_path / 'mine.png'}: dog (p=")
    code, _, err = run(capsys, "train", str(folder), "--layers", "192,1", "--image-size", "8",
                       "--label-pattern", "^IMG")
    assert code == 2 and err.strip().endswith(
        "has one subfolder per class, which names the labels; leave out --label-pattern")


def test_train_on_a_semicolon_csv_and_the_delimiter_hint(capsys, tmp_path):
    text = quadrants_csv(tmp_path / "quad.csv", m=60).read_text().replace(",", ";")
    (tmp_path / "semi.csv").write_text(text)
    code, out, err = run(capsys, "train", str(tmp_path / "semi.csv"), "--layers", "2,4,1",
                         "--epochs", "5", "--out", str(tmp_path / "m.npz"))
    assert code == 0, err
    assert "48 training and 12 test examples" in rows(out)["data"]
    code, _, err = run(capsys, "train", str(tmp_path / "semi.csv"), "--layers", "2,4,1",
                       "--delimiter", ",", "--out", str(tmp_path / "m.npz"))
    assert code == 2
    assert err.strip().endswith("the file seems to use ';' between fields: give ';' as "
                                "--delimiter")


def test_standardize_is_saved_with_the_model_and_applied_by_predict(capsys, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 2)) * [1000.0, 0.001] + [5e4, 3.0]  # wildly different scales
    y = np.where((X[:, 0] - 5e4) / 1000 + (X[:, 1] - 3.0) / 0.001 > 0, "up", "down")
    lines = ["a,b,label"] + [f"{a},{b},{lab}" for (a, b), lab in zip(X.tolist(), y, strict=True)]
    (tmp_path / "scales.csv").write_text("\n".join(lines) + "\n")
    out_path = tmp_path / "m.npz"
    code, out, err = run(capsys, "train", str(tmp_path / "scales.csv"), "--layers", "2,8,1",
                         "--epochs", "300", "--lr", "0.02", "--standardize", "--out",
                         str(out_path), "--test-fraction", "0.25")
    assert code == 0, err
    assert "standardised" in rows(out)["input"]
    assert float(rows(out)["test accuracy"].rstrip("%")) >= 90
    model = xpnet.load(out_path)
    recorded = model.config["input_preprocessing"]
    train_rows = X[~np.isin(np.arange(120), _held_out(y, 0.25))]
    seen = train_rows.astype(np.float32).astype(np.float64)  # read in the training dtype
    np.testing.assert_allclose(recorded["mean"], seen.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(recorded["std"], seen.std(axis=0), rtol=1e-6)
    np.savez(tmp_path / "new.npz", X=X[:5])
    code, out, _ = run(capsys, "predict", str(out_path), str(tmp_path / "new.npz"))
    assert code == 0
    standardized = ((X[:5] - recorded["mean"]) / recorded["std"]).T
    want = np.array(["down", "up"])[model.predict(standardized).reshape(-1)]
    assert re.findall(r"\]: (\w+) ", out) == want.tolist()
    code, out, _ = run(capsys, "info", str(out_path))
    assert "standardised (mean 0, std 1 per feature)" in out and "[" not in rows(out)["input"]


def _held_out(labels: np.ndarray, fraction: float) -> np.ndarray:
    """The examples ``xpnet train --seed 0`` holds out (its reader's stratified split)."""
    from xpnet.datasets.files import TrainingData, hold_out

    codes = np.unique(labels, return_inverse=True)[1]
    ids = np.arange(labels.size, dtype=float).reshape(1, -1)
    split = hold_out(TrainingData(ids, codes.reshape(1, -1), None, None, ["a", "b"]), fraction)
    return split.test_x[0].astype(int)


# -- reproduce --quick ----------------------------------------------------------------------------
def test_reproduce_quick_shows_the_quick_settings(capsys, tmp_path, monkeypatch):
    import xpnet.reproduce as rp

    drawn = []
    monkeypatch.setattr(rp, "_draw", lambda result, data, path: drawn.append(result.title))
    code, out, _ = run(capsys, "reproduce", "mnist-3v7", "--quick", "--plot",
                       str(tmp_path / "p.png"))
    assert code == 0
    assert "17 epochs" not in out and "5 epochs" not in out  # the full run's
    assert "mnist-3v7 / GD, 3 epochs: done" in out
    assert re.search(r"^GD, 3 epochs\s+\d", out, re.M) and re.search(r"^Adam, 3 epochs\s", out,
                                                                      re.M)
    assert "QUICK smoke run (3 epochs on the first 2000 training and 500 test examples)" in out
    code, out, _ = run(capsys, "reproduce", "cat-2layer", "--quick", "--plot",
                       str(tmp_path / "p.png"))
    assert code == 0
    assert out.count("cat-2layer: cat vs non-cat, [12288, 7, 1], GD lr 0.0075, 20 iterations") == 1
    assert "2500" not in out
    assert drawn == ["mnist-3v7: MNIST 3 vs 7, [784, 7, 1], mini-batch 128, lr 0.0005",
                     "cat-2layer: cat vs non-cat, [12288, 7, 1], GD lr 0.0075, 20 iterations"]
