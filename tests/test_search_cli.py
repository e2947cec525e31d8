"""``xpnet search`` on the command line (in this process: --scheduler serial)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from xpnet.cli import main
from xpnet.cli.search import param
from xpnet.search import Choice, IntUniform, LogUniform, OneMinusLogUniform, PowerOfTwo


@pytest.fixture
def xor_npz(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    np.savez(tmp_path / "xor.npz", X=X, y=(X[:, 0] * X[:, 1] > 0).astype(int))
    return tmp_path / "xor.npz"


def test_param_specs() -> None:
    assert param("learning_rate=log:1e-4:0.1") == ("learning_rate", LogUniform(1e-4, 0.1))
    assert param("width=int:2:8") == ("width", IntUniform(2, 8))
    assert param("mini_batch_size=pow2:16:128") == ("mini_batch_size", PowerOfTwo(16, 128))
    assert param("beta1=beta:0.9:0.999") == ("beta1", OneMinusLogUniform(0.9, 0.999))
    assert param("optimizer=choice:adam,gd") == ("optimizer", Choice(["adam", "gd"]))
    assert param("num_epochs=30") == ("num_epochs", 30)
    assert param("keep_prob=0.8") == ("keep_prob", 0.8)


def run(capsys, *argv):
    try:
        code = main(list(map(str, argv)))
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_search_prints_a_table_and_resumes(capsys, tmp_path, xor_npz) -> None:
    results = tmp_path / "r.jsonl"
    argv = ["search", xor_npz, "--param", "learning_rate=log:1e-3:1e-1", "--param",
            "width=int:2:6", "--param", "num_epochs=6", "--trials", 3, "--rounds", 2,
            "--results", results, "--scheduler", "serial", "--quiet"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["trial", "val_cost"])
    assert lines[header].split() == ["trial", "val_cost", "status", "epoch", "learning_rate",
                                     "width"]
    scores = [float(line.split()[1]) for line in lines[header + 1:header + 7]]
    assert scores == sorted(scores)
    assert "6 trials scored, 0 diverged, 0 failed" in out
    assert "best: " in out and "num_epochs=6" in out
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(records) == 6
    # the same command again finds every trial in the file: nothing is trained again
    code, again, _ = run(capsys, *argv)
    assert code == 0 and len(results.read_text().splitlines()) == 6
    assert again.splitlines()[header:] == lines[header:]


@pytest.mark.parametrize("argv, message", [
    (["--param", "learning_rate"], "is not NAME=SPEC"),
    (["--param", "learning_rate=logg:1:2"], "the range 'logg' is not one of"),
    (["--param", "learning_rate=log:0:1"], "LogUniform needs low > 0"),
    (["--param", "width=int:2"], "give int:LOW:HIGH"),
    (["--param", "widht=int:2:4"], "Did you mean 'width'"),
    (["--param", "width=4", "--param", "width=5"], "--param width given twice"),
    (["--scheduler", "serail"], "scheduler='serail' is not known"),
])
def test_bad_options_are_one_line(capsys, xor_npz, argv, message) -> None:
    code, _, err = run(capsys, "search", xor_npz, "--scheduler", "serial", "--quiet", *argv)
    assert code == 2 and message in err and len(err.splitlines()) == 1


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                    reason="matplotlib is not installed")
def test_pictures(capsys, tmp_path, xor_npz) -> None:
    code, out, err = run(capsys, "search", xor_npz, "--param", "learning_rate=log:1e-3:1e-1",
                         "--param", "num_epochs=4", "--trials", 2, "--scheduler", "serial",
                         "--results", tmp_path / "r.jsonl", "--plot", tmp_path / "s.png",
                         "--curves", tmp_path / "c.png", "--quiet")
    assert code == 0, err
    assert (tmp_path / "s.png").stat().st_size > 0 and (tmp_path / "c.png").stat().st_size > 0
