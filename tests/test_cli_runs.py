"""``xpnet train`` never loses a run: outputs checked first, the model saved before anything
that can fail, Ctrl-C and divergence save what was trained, the progress bar only on a terminal.

The Ctrl-C and terminal tests run ``python -m xpnet`` in a subprocess, as a user meets them.
"""

from __future__ import annotations

import os
import re
import select
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import xpnet
from xpnet.checkpoint import load_checkpoint
from xpnet.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(out: str) -> dict[str, str]:
    found = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+(?: \S+)?)\s{2,}(.*)", line)
        if match:
            found[match[1]] = match[2]
    return found


def quadrants_csv(path: Path, m: int = 200) -> Path:
    X = np.random.default_rng(0).uniform(-1, 1, size=(m, 2))
    labels = np.where(X[:, 0] * X[:, 1] > 0, "same", "diff")
    lines = ["x1,x2,label"] + [f"{a:.5f},{b:.5f},{lab}" for (a, b), lab in zip(X, labels, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default",
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


# -- outputs checked first; the model saved before what can fail -------------------------------
def test_a_plot_format_matplotlib_cannot_write_is_refused_before_training(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    data = quadrants_csv(tmp_path / "quad.csv", m=20)
    code, out, err = run(capsys, "train", str(data), "--layers", "2,1", "--out",
                         str(tmp_path / "m.npz"), "--plot", str(tmp_path / "cost.xyz"))
    assert code == 2 and out == ""
    assert "--plot" in err and "ending .xyz" in err and ".png" in err
    assert not (tmp_path / "m.npz").exists()


def test_the_model_is_saved_before_plotting_fails(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import xpnet.cli.train as cli_train

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "cost.png"))

    monkeypatch.setattr(cli_train, "plot_run", broken)
    data = quadrants_csv(tmp_path / "quad.csv", m=40)
    out_path = tmp_path / "m.npz"
    code, out, err = run(capsys, "train", str(data), "--layers", "2,4,1", "--epochs", "5",
                         "--out", str(out_path), "--plot", str(tmp_path / "cost.png"))
    assert code == 2 and "No space left on device" in err
    shown = rows(out)
    assert shown["saved"] == str(out_path) and "train accuracy" in shown
    model = xpnet.load(out_path)
    assert len(model.costs) == 5
    assert model.config["train_accuracy"] == pytest.approx(
        float(shown["train accuracy"].rstrip("%")) / 100, abs=5e-5)


def test_a_diverging_run_prints_one_line_and_saves_the_last_finite_model(capsys, tmp_path):
    X = np.random.default_rng(0).standard_normal((60, 2)) * 50
    y = (X[:, 0] > 0).astype(int)
    data = tmp_path / "big.npz"
    np.savez(data, X=X, y=y)
    out_path = tmp_path / "m.npz"
    with np.errstate(all="raise"):  # a NumPy warning would be an error here
        code, out, err = run(capsys, "train", str(data), "--layers", "2,64,64,1", "--optimizer",
                             "gd", "--lr", "1000", "--epochs", "50", "--out", str(out_path))
    assert code == 2
    *progress, last = err.splitlines()
    assert all(line.startswith("epoch ") for line in progress) and "Warning" not in err, err
    assert last.startswith("xpnet: error: ")
    found = re.search(r"training diverged in epoch (\d+) of 50: (.*); the model after epoch "
                      r"(\d+) is saved in (\S+)\. Try a lower --lr \(it was 1000; try 100\)", err)
    assert found, err
    diverged_in, kept = int(found[1]), int(found[3])
    assert found[4] == str(out_path)
    assert kept in (diverged_in - 1, diverged_in - 2)
    model = xpnet.load(out_path)
    assert len(model.costs) == kept and all(np.isfinite(model.costs))
    assert all(np.all(np.isfinite(v)) for v in model.params.values())


def test_progress_lines_count_epochs_from_1_like_the_bar(capsys, tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=40)
    code, _, err = run(capsys, "train", str(data), "--layers", "2,4,1", "--epochs", "3",
                       "--out", str(tmp_path / "m.npz"))
    assert code == 0
    assert [line.split()[1] for line in err.splitlines()] == ["1/3", "2/3", "3/3"]
    assert "\r" not in err and "%|" not in err  # stderr is not a terminal: no bar


# -- in a process, as a user meets it -----------------------------------------------------------
@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl-C is a console event on Windows, "
                    "not a signal to send")
def test_ctrl_c_saves_the_model_says_how_far_it_got_and_exits_130(tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=200)
    out_path = tmp_path / "m.npz"
    proc = subprocess.Popen(
        [sys.executable, "-m", "xpnet", "train", str(data), "--layers", "2,8,1", "--epochs",
         "10000000", "--out", str(out_path), "--checkpoint", str(tmp_path / "run.ckpt")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(), cwd=tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        first = proc.stdout.readline()  # "data ...", printed before training starts
        assert first.startswith("data"), first
        started = proc.stderr.readline()  # the progress line of the first epoch
        assert started.startswith("epoch 1/10000000"), started
        time.sleep(0.5)  # some more epochs
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    out, err = first + out, started + err
    assert proc.returncode == 130, (out, err)
    assert "Warning" not in err and "Traceback" not in err, err
    shown = rows(out)
    done = re.fullmatch(r"(\d+) of 10000000 epochs \(interrupted\) in .*", shown["trained"])
    assert done, shown
    epochs = int(done[1])
    assert epochs > 0
    assert shown["saved"] == f"{out_path} (checkpoint: {tmp_path / 'run.ckpt'})"
    assert "train accuracy" in shown
    assert err.splitlines()[-1] == (f"xpnet: interrupted after epoch {epochs} of 10000000; the "
                                    f"model trained so far is saved in {out_path}; go on with "
                                    f"--resume {tmp_path / 'run.ckpt'}")
    model = xpnet.load(out_path)
    assert len(model.costs) == epochs
    assert load_checkpoint(tmp_path / "run.ckpt").epoch == epochs


def _terminal() -> tuple[int, int]:
    """A pseudo-terminal of 24 x 100 characters: (the side that reads, the side to write)."""
    fcntl = pytest.importorskip("fcntl", reason="pseudo-terminals need POSIX")
    pty = pytest.importorskip("pty", reason="pseudo-terminals need POSIX")
    termios = pytest.importorskip("termios", reason="pseudo-terminals need POSIX")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    return leader, follower


def _read_terminal(fd: int, proc: subprocess.Popen, limit: float = 60) -> bytes:
    """Everything written to the terminal ``fd`` until ``proc`` ends."""
    chunks, deadline = [], time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif proc.poll() is not None:
            break
    return b"".join(chunks)


def test_the_bar_is_drawn_on_a_terminal_from_epoch_0(tmp_path):
    pytest.importorskip("tqdm")
    data = quadrants_csv(tmp_path / "quad.csv", m=40)
    leader, follower = _terminal()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xpnet", "train", str(data), "--layers", "2,4,1", "--epochs",
         "30", "--out", str(tmp_path / "m.npz")],
        stdout=subprocess.PIPE, stderr=follower, env=env(), cwd=tmp_path)
    os.close(follower)
    try:
        screen = _read_terminal(leader, proc).decode(errors="replace")
        proc.wait(timeout=60)
    finally:
        proc.kill()
        os.close(leader)
    assert proc.returncode == 0
    assert "| 0/30 [" in screen and "| 30/30 [" in screen, screen  # shown before epoch 1
    assert "examples/s" in screen and "epoch 1/30" not in screen


def test_quiet_writes_nothing_on_a_terminal(tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=40)
    leader, follower = _terminal()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xpnet", "train", str(data), "--layers", "2,4,1", "--epochs",
         "30", "--out", str(tmp_path / "m.npz"), "--quiet"],
        stdout=subprocess.PIPE, stderr=follower, env=env(), cwd=tmp_path)
    os.close(follower)
    try:
        screen = _read_terminal(leader, proc)
        proc.wait(timeout=60)
    finally:
        proc.kill()
        os.close(leader)
    assert proc.returncode == 0 and screen == b""


# -- checkpoints, resuming, learning-rate schedules ----------------------------------------------
def test_checkpoint_then_resume_matches_one_straight_run(capsys, tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=80)
    common = ["train", str(data), "--layers", "2,6,1", "--batch-size", "16", "--lr", "0.01",
              "--lr-schedule", "inverse-time:1:5", "--quiet"]
    assert main([*common, "--epochs", "12", "--out", str(tmp_path / "straight.npz")]) == 0
    assert main([*common, "--epochs", "7", "--out", str(tmp_path / "first.npz"), "--checkpoint",
                 str(tmp_path / "run.ckpt")]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, *common, "--epochs", "12", "--out", str(tmp_path / "rest.npz"),
                         "--resume", str(tmp_path / "run.ckpt"))
    assert code == 0, err
    assert rows(out)["trained"].startswith(f"12 epochs (7 of them before, in {tmp_path / 'run.ckpt'})")
    straight, resumed = xpnet.load(tmp_path / "straight.npz"), xpnet.load(tmp_path / "rest.npz")
    assert resumed.costs == straight.costs  # bit for bit on NumPy
    assert straight.config["lr_schedule"] == "InverseTimeDecay(decay_rate=1.0, interval=5)"


def test_progress_of_a_resumed_run_starts_where_the_checkpoint_ended(capsys, tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=40)
    main(["train", str(data), "--layers", "2,4,1", "--epochs", "5", "--quiet", "--out",
          str(tmp_path / "m.npz"), "--checkpoint", str(tmp_path / "c.ckpt")])
    capsys.readouterr()
    code, _, err = run(capsys, "train", str(data), "--layers", "2,4,1", "--epochs", "8",
                       "--out", str(tmp_path / "m.npz"), "--resume", str(tmp_path / "c.ckpt"))
    assert code == 0
    assert [line.split()[1] for line in err.splitlines()] == ["6/8", "7/8", "8/8"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--checkpoint-every", "5"], "--checkpoint-every needs --checkpoint PATH"),
    (["--checkpoint", "{tmp}/no/c.ckpt"], "--checkpoint {tmp}/no/c.ckpt: the folder {tmp}/no "
                                          "does not exist"),
    (["--resume", "{tmp}/none.ckpt"], "--resume {tmp}/none.ckpt: no such file"),
    (["--lr-schedule", "cosine"], "argument --lr-schedule: 'cosine' is not "
                                  "inverse-time:RATE[:EVERY] or exponential:RATE[:EVERY]"),
    (["--lr-schedule", "exponential:2"], "'exponential:2': RATE must be in (0, 1]"),
    (["--lr-schedule", "inverse-time:1:0"], "'inverse-time:1:0': EVERY must be"),
])
def test_checkpoint_and_schedule_mistakes_name_the_flag(capsys, tmp_path, argv, message):
    data = quadrants_csv(tmp_path / "quad.csv", m=20)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    try:
        code = main(["train", str(data), "--layers", "2,1", "--out", str(tmp_path / "m.npz"),
                     *argv])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert message.replace("{tmp}", str(tmp_path)) in err


def test_resume_with_another_network_names_the_flags(capsys, tmp_path):
    data = quadrants_csv(tmp_path / "quad.csv", m=20)
    main(["train", str(data), "--layers", "2,4,1", "--epochs", "2", "--quiet", "--out",
          str(tmp_path / "m.npz"), "--checkpoint", str(tmp_path / "c.ckpt")])
    capsys.readouterr()
    code, _, err = run(capsys, "train", str(data), "--layers", "2,8,1", "--epochs", "4",
                       "--out", str(tmp_path / "m.npz"), "--resume", str(tmp_path / "c.ckpt"))
    assert code == 2 and len(err.splitlines()) == 1
    assert "--layers [2, 4, 1]" in err and "layer_dims" not in err


def test_plot_has_whole_epoch_ticks_and_the_accuracies_in_its_title(capsys, tmp_path,
                                                                     saved_figures):
    saved = saved_figures
    data = quadrants_csv(tmp_path / "quad.csv", m=40)
    code, out, _ = run(capsys, "train", str(data), "--layers", "2,4,1", "--epochs", "5", "--out",
                       str(tmp_path / "m.npz"), "--plot", str(tmp_path / "cost.svg"), "--quiet")
    assert code == 0 and (tmp_path / "cost.svg").read_text().lstrip().startswith("<?xml")
    (fig,) = saved
    (ax,) = fig.axes  # no validation data: the training cost only
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [1, 2, 3, 4, 5]  # epochs counted from 1, as the bar counts
    config = xpnet.load(tmp_path / "m.npz").config
    assert fig.get_suptitle().endswith(f"accuracy train {config['train_accuracy']:.1%}, "
                                       f"test {config['test_accuracy']:.1%}")


def test_a_model_that_cannot_be_saved_where_asked_is_saved_elsewhere(capsys, tmp_path,
                                                                     monkeypatch):
    real = xpnet.Model.save
    wanted = tmp_path / "m.npz"

    def full_disk(model, path):
        if Path(path) == wanted:
            raise OSError(28, "No space left on device", str(tmp_path / ".m.npz.x1y2.tmp"))
        real(model, path)

    monkeypatch.setattr(xpnet.Model, "save", full_disk)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "rescue"))
    (tmp_path / "rescue").mkdir()
    data = quadrants_csv(tmp_path / "quad.csv", m=40)
    code, _, err = run(capsys, "train", str(data), "--layers", "2,4,1", "--epochs", "3",
                       "--out", str(wanted), "--quiet")
    assert code == 2
    found = re.fullmatch(rf"xpnet: error: could not save the model to {re.escape(str(wanted))} "
                         r"\(No space left on device\); it is saved in (\S+) instead\n", err)
    assert found, err
    assert ".tmp" not in err  # never the name of an internal temporary file
    assert len(xpnet.load(found[1]).costs) == 3
