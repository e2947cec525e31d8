"""The training-loop features on ``xpnet train``: ``--val-fraction``, ``--patience``,
``--restore-best``, ``--verbose``, ``--plot`` with validation curves, and ``xpnet info``
showing the validation accuracy and the best epoch; as a user meets them (``main([...])``, and
a pseudo-terminal where the bar matters)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import xpnet
from tests.test_cli_runs import _read_terminal, _terminal, env, quadrants_csv, rows
from xpnet.cli import main
from xpnet.cli.train import hold_out
from xpnet.datasets.files import TrainingData, load_training_data


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def train_args(data: Path, tmp_path: Path, *more: str) -> list[str]:
    return ["train", str(data), "--layers", "2,8,1", "--lr", "0.05", "--out",
            str(tmp_path / "m.npz"), *more]


# -- --val-fraction -----------------------------------------------------------------------------
def test_val_fraction_is_held_out_of_the_training_examples_and_the_test_set_stays(capsys,
                                                                                  tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=200)
    code, out, err = run(capsys, *train_args(data, tmp_path, "--epochs", "20",
                                             "--val-fraction", "0.25"))
    assert code == 0, err
    shown = rows(out)
    assert shown["data"].startswith(f"{data}: 120 training, 40 validation and 40 test examples")
    model = xpnet.load(tmp_path / "m.npz")
    assert model.config["mini_batch_size"] == 120  # trained on the 120 only
    assert model.config["val_fraction"] == 0.25
    val = float(shown["val accuracy"].rstrip("%")) / 100
    assert model.config["validation_accuracy"] == pytest.approx(val, abs=5e-5)
    # the validation examples are the ones hold_out gives, and the accuracy is measured on them
    split = load_training_data(str(data), test_fraction=0.2, seed=0, dtype="float32")
    rest, held = hold_out(split, 0.25, seed=0)
    assert held is not None and held.x.shape == (2, 40)
    assert model.config["validation_accuracy"] == model.evaluate(held.x, held.y)
    assert model.config["train_accuracy"] == model.evaluate(rest.train_x, rest.train_y)
    assert model.config["test_accuracy"] == model.evaluate(split.test_x, split.test_y)


def test_hold_out_is_stratified_and_disjoint():
    y = np.array([[0] * 80 + [1] * 20])
    X = np.arange(100, dtype=float).reshape(1, 100)
    data = TrainingData(X, y, None, None, ["a", "b"])
    rest, held = hold_out(data, 0.2, seed=3)
    assert held is not None
    assert np.count_nonzero(held.y == 0) == 16 and np.count_nonzero(held.y == 1) == 4
    assert sorted(np.concatenate([rest.train_x[0], held.x[0]])) == list(X[0])
    assert hold_out(data, 0.0, seed=3) == (data, None)


# -- --patience and --restore-best --------------------------------------------------------------
def test_patience_stops_early_on_the_validation_cost_and_restore_best_saves_that_epoch(
        capsys, tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=200)
    code, out, err = run(capsys, *train_args(data, tmp_path, "--epochs", "3000", "--val-fraction",
                                             "0.25", "--patience", "5", "--restore-best"))
    assert code == 0, err  # stopping early is a normal end, not an interruption
    shown = rows(out)
    found = re.match(r"(\d+) of 3000 epochs \(stopped early: --patience 5\) in ", shown["trained"])
    assert found, shown
    done = int(found[1])
    best = re.fullmatch(r"(\d+) \(val cost (\S+)\); the model is this epoch's "
                        r"\(--restore-best\)", shown["best epoch"])
    assert best, shown
    best_epoch, best_cost = int(best[1]), float(best[2])
    assert 1 <= best_epoch <= done - 5
    model = xpnet.load(tmp_path / "m.npz")
    assert len(model.costs) == done
    assert model.config["monitor"] == "val_cost" and model.config["stopped_early"] is True
    assert model.config["best_epoch"] == best_epoch - 1  # train counts from 0
    # the saved parameters are the best epoch's: their validation cost is the one shown
    split = load_training_data(str(data), test_fraction=0.2, seed=0, dtype="float32")
    _, held = hold_out(split, 0.25, seed=0)
    assert held is not None
    cost = xpnet.compute_cost(model.predict_proba(held.x), held.y)
    assert cost == pytest.approx(best_cost, rel=1e-3)
    assert cost == pytest.approx(model.config["best_value"], rel=1e-4)
    # xpnet info shows the same
    code, out, _ = run(capsys, "info", str(tmp_path / "m.npz"))
    info = rows(out)
    assert info["accuracy"].startswith("train ") and ", validation " in info["accuracy"]
    assert info["early stopping"] == f"stopped after epoch {done} of 3000 (--patience 5)"
    assert info["best epoch"] == shown["best epoch"]
    assert "best_epoch" not in out and "stopped_early" not in out  # not as raw settings
    code, out, _ = run(capsys, "info", str(tmp_path / "m.npz"), "--json")
    summary = json.loads(out)
    assert summary["early_stopping"]["best_epoch"] == best_epoch  # from 1, as shown
    assert summary["accuracy"]["validation"] == model.config["validation_accuracy"]


def test_patience_without_validation_data_watches_the_training_cost(capsys, tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=60)
    # a learning rate this small improves the cost by less than 1e-4 an epoch
    code, out, err = run(capsys, *train_args(data, tmp_path, "--epochs", "500", "--patience",
                                             "3", "--lr", "1e-6", "--quiet"))
    assert code == 0, err
    shown = rows(out)
    assert shown["trained"].startswith("5 of 500 epochs (stopped early: --patience 3)"), shown
    assert shown["best epoch"].startswith("5 (cost ")  # still improving, by too little
    assert shown["best epoch"].endswith("; the model is the last epoch's")
    assert "val accuracy" not in shown
    assert xpnet.load(tmp_path / "m.npz").config["monitor"] == "cost"


# -- progress ----------------------------------------------------------------------------------
def test_verbose_2_prints_every_epoch_with_the_validation_cost(capsys, tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=80)
    code, _, err = run(capsys, *train_args(data, tmp_path, "--epochs", "12", "--verbose", "2",
                                           "--val-fraction", "0.25"))
    assert code == 0
    lines = err.splitlines()
    assert [line.split()[1] for line in lines] == [f"{e}/12" for e in range(1, 13)]
    assert all(re.fullmatch(r"epoch \d+/12  cost \d\.\d{4}  val cost \d\.\d{4}  "
                            r"val accuracy \d+\.\d%  [\d,]+ examples/s", line) for line in lines)


def test_a_run_stopped_early_prints_its_last_epoch_line(capsys, tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=60)
    code, _, err = run(capsys, *train_args(data, tmp_path, "--epochs", "500", "--patience", "3",
                                           "--lr", "1e-6"))
    assert code == 0
    assert [line.split()[1] for line in err.splitlines()] == ["1/500", "5/500"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--quiet", "--verbose", "2"], "argument --verbose: not allowed with argument --quiet"),
    (["--verbose", "3"], "argument --verbose: invalid choice: 3"),
    (["--val-fraction", "1"], "argument --val-fraction: '1' is not a fraction in [0, 1)"),
    (["--val-fraction", "0.001"], "--val-fraction 0.001 of the 16 training examples holds out "
                                  "none; give a larger fraction"),
    (["--patience", "0"], "argument --patience: '0' is not a positive whole number"),
])
def test_mistakes_name_the_flag(capsys, tmp_path, argv, message):
    data = quadrants_csv(tmp_path / "quad.csv", m=20)
    code, out, err = run(capsys, *train_args(data, tmp_path, *argv))
    assert code == 2 and out == ""
    assert message in err, err
    assert not (tmp_path / "m.npz").exists()


def test_the_bar_shows_the_validation_cost_and_accuracy_from_epoch_0(tmp_path):
    pytest.importorskip("tqdm")
    data = quadrants_csv(tmp_path / "quad.csv", m=80)
    leader, follower = _terminal()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xpnet", *train_args(data, tmp_path, "--epochs", "30",
                                                    "--val-fraction", "0.25")],
        stdout=subprocess.PIPE, stderr=follower, env=env(), cwd=tmp_path)
    os.close(follower)
    try:
        screen = _read_terminal(leader, proc).decode(errors="replace")
        proc.wait(timeout=60)
    finally:
        proc.kill()
        os.close(leader)
    assert proc.returncode == 0
    assert "| 0/30 [" in screen and "| 30/30 [" in screen, screen  # one bar, from epoch 0
    last = screen.rsplit("\r", 2)[-2]  # the bar at the end, its whole postfix on 100 columns
    assert re.search(r"\| 30/30 \[.*, cost \d\.\d{4}, val cost \d\.\d{4}, val acc \d+\.\d%\]",
                     last), screen
    assert "epoch " not in screen and screen.count("| 0/30 [") == 1


# -- --plot -------------------------------------------------------------------------------------
def test_plot_has_training_and_validation_curves_of_cost_and_accuracy(capsys, tmp_path,
                                                                      saved_figures):
    saved = saved_figures
    data = quadrants_csv(tmp_path / "quad.csv", m=200)
    code, out, err = run(capsys, *train_args(data, tmp_path, "--epochs", "3000", "--val-fraction",
                                             "0.25", "--patience", "5", "--restore-best",
                                             "--quiet", "--plot", str(tmp_path / "run.png")))
    assert code == 0, err
    assert (tmp_path / "run.png").read_bytes()[:4] == b"\x89PNG"
    model = xpnet.load(tmp_path / "m.npz")
    done, best = len(model.costs), model.config["best_epoch"] + 1
    (fig,) = saved
    cost_ax, accuracy_ax = fig.axes
    assert cost_ax.get_ylabel() == "cost" and accuracy_ax.get_ylabel() == "accuracy"
    for ax in fig.axes:
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert set(lines) == {"training", "validation", f"best epoch ({best})"}
        for name in ("training", "validation"):
            assert list(lines[name].get_xdata()) == list(range(1, done + 1))
        assert list(lines[f"best epoch ({best})"].get_xdata()) == [best, best]
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)
    training_costs = cost_ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(training_costs, model.costs)
    assert "validation" in fig.get_suptitle()


@pytest.mark.parametrize(("recorded", "expected"), [
    ({"stopped_early": True}, "stopped after epoch 4 of 10 (--patience 3)"),
    ({}, "not triggered; training ended after epoch 4 of 10 (--patience 3)"),  # Ctrl-C
    ({"stopped_early": False, "num_epochs": 4}, "not triggered; ran all 4 epochs (--patience 3)"),
])
def test_info_says_whether_early_stopping_ended_the_run(capsys, tmp_path, recorded, expected):
    model = xpnet.train(np.eye(3), np.array([[0, 1, 1]]), [3, 2, 1], num_epochs=4)
    model.config.update({"num_epochs": 10, "patience": 3, **recorded})
    model.save(tmp_path / "m.npz")
    code, out, _ = run(capsys, "info", str(tmp_path / "m.npz"))
    assert code == 0 and rows(out)["early stopping"] == expected


def test_rows_keep_their_column_and_a_long_key_two_spaces(capsys):
    from xpnet.cli._common import print_rows

    print_rows([("mini_batch_size", "256"), ("trained", "5 epochs"),
                ("a sixteen-char k", "x")])
    assert capsys.readouterr().out.splitlines() == [
        "mini_batch_size 256", "trained         5 epochs", "a sixteen-char k  x"]


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl-C is a console event on Windows, "
                    "not a signal to send")
def test_ctrl_c_with_patience_is_an_interruption_not_early_stopping(tmp_path):
    import signal
    import time

    data = quadrants_csv(tmp_path / "quad.csv", m=200)
    proc = subprocess.Popen(
        [sys.executable, "-m", "xpnet", *train_args(data, tmp_path, "--epochs", "10000000",
                                                    "--lr", "1e-3", "--val-fraction", "0.25",
                                                    "--patience", "10000", "--restore-best")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(), cwd=tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        first = proc.stdout.readline()
        started = proc.stderr.readline()  # the line of the first epoch
        assert re.match(r"epoch 1/10000000  cost \S+  val cost \S+  val accuracy", started), started
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, (out, err)
    shown = rows(first + out)
    assert re.fullmatch(r"\d+ of 10000000 epochs \(interrupted\) in .*", shown["trained"]), shown
    assert "best epoch" not in shown  # the saved model is the last epoch's, and says so
    assert "val accuracy" in shown and "Traceback" not in err
    assert err.splitlines()[-1].startswith(
        "xpnet: interrupted after epoch ") and err.splitlines()[-1].endswith(
        " of 10000000; the model trained so far (the last epoch's: --restore-best applies to runs "
        f"that end by themselves) is saved in {tmp_path / 'm.npz'}")
    model = xpnet.load(tmp_path / "m.npz")
    assert model.config["validation_accuracy"] is not None and "best_epoch" not in model.config


def test_threads_fixes_the_blas_threads_of_the_run(capsys, tmp_path):
    pytest.importorskip("threadpoolctl")
    out_path = tmp_path / "m.npz"
    assert main(["train", "football", "--layers", "2,4,1", "--epochs", "2", "--threads", "1",
                 "--quiet", "--out", str(out_path)]) == 0
    assert xpnet.load(out_path).config["threads"] in (1, "1")
    with pytest.raises(SystemExit) as exit_:
        main(["train", "football", "--layers", "2,4,1", "--threads", "0", "--out", str(out_path)])
    assert exit_.value.code == 2 and "--threads" in capsys.readouterr().err
