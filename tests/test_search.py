"""xpnet.search in this process (scheduler="serial"): the course's sampling scales, coarse to
fine, scoring, divergence, reproducibility and resuming from the results file."""

from __future__ import annotations

import importlib.util
import json
import math
import os

import numpy as np
import pytest

S = importlib.import_module("xpnet.search")  # the module (xpnet.search is the function)


def xor_data(m: int = 240, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, m))
    return X, (X[:1] * X[1:2] > 0).astype(np.float64)


SPACE = {"learning_rate": S.LogUniform(1e-3, 1e-1), "width": S.IntUniform(2, 6),
         "mini_batch_size": S.PowerOfTwo(16, 64), "num_epochs": 8}


# -- the ranges ----------------------------------------------------------------------------------


def test_ranges_sample_on_the_course_scales() -> None:
    rng = np.random.default_rng(0)
    lr = np.array([S.LogUniform(1e-4, 1).sample(rng) for _ in range(4000)])
    assert lr.min() >= 1e-4 and lr.max() <= 1
    # uniform in the exponent: each decade holds about a quarter of the draws
    decades = np.histogram(np.log10(lr), bins=4, range=(-4, 0))[0] / lr.size
    assert np.allclose(decades, 0.25, atol=0.03)
    beta = np.array([S.OneMinusLogUniform(0.9, 0.999).sample(rng) for _ in range(4000)])
    assert beta.min() >= 0.9 and beta.max() <= 0.999
    assert abs(np.mean(beta < 0.99) - 0.5) < 0.04        # 0.9→0.99 as likely as 0.99→0.999
    sizes = {S.PowerOfTwo(16, 256).sample(rng) for _ in range(400)}
    assert sizes == {16, 32, 64, 128, 256}
    widths = {S.IntUniform(3, 5).sample(rng) for _ in range(200)}
    assert widths == {3, 4, 5} and all(isinstance(w, int) for w in widths)
    keep = [S.Uniform(0.5, 1.0).sample(rng) for _ in range(200)]
    assert min(keep) >= 0.5 and max(keep) <= 1.0
    assert {S.Choice(["adam", "gd"]).sample(rng) for _ in range(50)} == {"adam", "gd"}


def test_zoom_narrows_to_the_best_values_within_the_range() -> None:
    lr = S.LogUniform(1e-4, 1).zoom([1e-2, 3e-2])
    assert 1e-4 <= lr.low < 1e-2 and 3e-2 < lr.high <= 1
    assert math.log10(lr.high / lr.low) < 1.0            # much narrower than 4 decades
    assert S.PowerOfTwo(16, 512).zoom([64]) == S.PowerOfTwo(32, 128)
    assert S.IntUniform(1, 100).zoom([50, 54]) == S.IntUniform(49, 55)
    assert S.Choice(["adam", "gd", "momentum"]).zoom(["gd", "gd"]) == S.Choice(["gd"])
    beta = S.OneMinusLogUniform(0.8, 0.9999).zoom([0.99, 0.995])
    assert 0.8 <= beta.low < 0.99 and 0.995 < beta.high <= 0.9999


@pytest.mark.parametrize("bad, error", [
    (lambda: S.LogUniform(0, 1), ValueError),
    (lambda: S.LogUniform(1, 0.1), ValueError),
    (lambda: S.OneMinusLogUniform(0.9, 1.0), ValueError),
    (lambda: S.PowerOfTwo(16, 100), ValueError),
    (lambda: S.IntUniform(1.5, 3), TypeError),
    (lambda: S.Uniform("a", 1), TypeError),
    (lambda: S.Choice([]), ValueError),
])
def test_bad_ranges_are_refused(bad, error) -> None:
    with pytest.raises(error):
        bad()


def test_bad_arguments_name_themselves() -> None:
    X, Y = xor_data()
    with pytest.raises(ValueError, match="learnig_rate.*Did you mean 'learning_rate'"):
        S.search(X, Y, {"learnig_rate": S.LogUniform(1e-3, 1)}, scheduler="serial")
    with pytest.raises(ValueError, match="early_stopping.*set by the search"):
        S.search(X, Y, SPACE, scheduler="serial", **{"early_stopping": False})
    with pytest.raises(ValueError, match="score="):
        S.search(X, Y, SPACE, scheduler="serial", score="accuracy")
    with pytest.raises(ValueError, match="scheduler="):
        S.search(X, Y, SPACE, scheduler="serail")
    with pytest.raises(ValueError, match="examples"):
        S.search(X, Y[:, :-1], SPACE, scheduler="serial")
    with pytest.raises(ValueError, match="every trial of the search failed.*activations"):
        S.search(X, Y, {**SPACE, "activations": ["relu"]}, n_trials=2, scheduler="serial")


# -- the search ----------------------------------------------------------------------------------


def test_search_ranks_trials_by_validation_score_and_is_reproducible(tmp_path) -> None:
    X, Y = xor_data()
    res = S.search(X, Y, SPACE, n_trials=4, rounds=2, seed=3, scheduler="serial")
    assert len(res.trials) == 8
    scores = [t["score"] for t in res.trials]
    assert scores == sorted(scores) and all(s is not None and s > 0 for s in scores)
    for t in res.trials:
        assert t["status"] == "ok"
        assert t["params"]["num_epochs"] == 8
        assert t["params"]["mini_batch_size"] in (16, 32, 64)
        # the score is the best validation cost of the trial's epochs (early stopping's)
        assert t["score"] == min(v for v in t["history"]["val_cost"] if v is not None)
        assert t["history"]["val_cost"][t["best_epoch"]] == t["score"]
    # round 1 samples in the region of round 0's best trials
    best0 = [t for t in res.trials if t["round"] == 0][:2]
    lo = min(t["params"]["learning_rate"] for t in best0)
    hi = max(t["params"]["learning_rate"] for t in best0)
    for t in res.trials:
        if t["round"] == 1:
            assert lo / 10 ** (0.25 * math.log10(hi / lo)) * 0.999 <= t["params"]["learning_rate"]
    again = S.search(X, Y, SPACE, n_trials=4, rounds=2, seed=3, scheduler="serial")
    assert [(t["trial"], t["params"], t["score"]) for t in again.trials] == \
        [(t["trial"], t["params"], t["score"]) for t in res.trials]
    other = S.search(X, Y, SPACE, n_trials=4, rounds=1, seed=4, scheduler="serial")
    assert [t["params"] for t in other.trials] != [t["params"] for t in res.trials[:4]]


def test_best_trial_trains_again_with_train_kwargs() -> None:
    import xpnet

    X, Y = xor_data()
    Xv, Yv = xor_data(80, seed=1)
    res = S.search(X, Y, {**SPACE, "depth": S.IntUniform(1, 2),
                          "beta1": S.OneMinusLogUniform(0.8, 0.99)},
                   n_trials=3, seed=0, validation_data=(Xv, Yv), scheduler="serial")
    kwargs = res.train_kwargs()
    best = res.best
    assert kwargs["layer_dims"] == [3] + [best["params"]["width"]] * best["params"]["depth"] + [1]
    assert kwargs["optimizer"].beta1 == best["params"]["beta1"]
    model = xpnet.train(X, Y, validation_data=(Xv, Yv), early_stopping=True, restore_best=True,
                        monitor="val_cost", **kwargs)
    assert min(v for v in model.history["val_cost"] if v is not None) == best["score"]
    table = res.table()
    assert table.splitlines()[0].split()[:2] == ["trial", "val_cost"]
    assert best["trial"] in table.splitlines()[1]


def test_accuracy_score_is_maximised() -> None:
    X, Y = xor_data()
    res = S.search(X, Y, SPACE, n_trials=3, score="val_accuracy", scheduler="serial")
    scores = [t["score"] for t in res.trials]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_a_diverging_trial_is_recorded_and_the_search_goes_on(tmp_path) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 200)) * 10
    Y = X[:1] * 100.0
    space = {"learning_rate": S.Choice([1e-4, 50.0]), "num_epochs": 20, "optimizer": "gd",
             "activations": ["relu", "linear"]}
    res = S.search(X, Y, space, n_trials=6, seed=1, scheduler="serial",
                   results=tmp_path / "r.jsonl")
    status = {t["params"]["learning_rate"]: t["status"] for t in res.trials}
    assert status == {1e-4: "ok", 50.0: "diverged"}
    assert res.trials[0]["status"] == "ok" and res.trials[-1]["status"] == "diverged"
    assert res.trials[-1]["score"] is None
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert len(lines) == 6 and {line["status"] for line in lines} == {"ok", "diverged"}


class Interrupt(BaseException):  # as a crash: not a trial's own error
    pass


def test_an_interrupted_search_resumes_where_it_stopped(tmp_path) -> None:
    X, Y = xor_data()
    path = tmp_path / "results.jsonl"
    full = S.search(X, Y, SPACE, n_trials=3, rounds=2, seed=5, scheduler="serial")

    calls = []

    def stop_after_four(epoch, logs):  # a crash in the middle of the fifth trial
        if epoch == 0:
            calls.append(1)
            if len(calls) == 5:
                raise Interrupt

    with pytest.raises(Interrupt):
        S.search(X, Y, SPACE, n_trials=3, rounds=2, seed=5, scheduler="serial", results=path,
                 callbacks=stop_after_four)
    lines = path.read_text().splitlines()
    assert len(lines) == 4
    # a crash while writing leaves half a line: it is dropped and that trial runs again
    path.write_text("\n".join(lines[:3]) + "\n" + lines[3][:40])

    ran = []
    resumed = S.search(X, Y, SPACE, n_trials=3, rounds=2, seed=5, scheduler="serial",
                       results=path, callbacks=lambda e, logs: ran.append(e) if e == 0 else None)
    assert len(ran) == 3                                  # trials 4, 5 and 6 only
    assert [(t["trial"], t["params"], t["score"]) for t in resumed.trials] == \
        [(t["trial"], t["params"], t["score"]) for t in full.trials]
    assert sum(line.endswith("}") for line in path.read_text().splitlines()) == 6
    again = S.search(X, Y, SPACE, n_trials=3, rounds=2, seed=5, scheduler="serial",
                     results=path, callbacks=lambda e, logs: ran.append(e) if e == 0 else None)
    assert len(ran) == 3 and len(again.trials) == 6        # nothing left to run

    (tmp_path / "notes.txt").write_text("not a results file\n")
    with pytest.raises(ValueError, match="not a results file"):
        S.search(X, Y, SPACE, n_trials=3, scheduler="serial", results=tmp_path / "notes.txt")

    with pytest.raises(ValueError, match="another search"):
        S.search(X, Y, SPACE, n_trials=3, seed=6, scheduler="serial", results=path)
    with pytest.raises(ValueError, match="another search"):  # other data of the same shape
        S.search(X + 1, Y, SPACE, n_trials=3, rounds=2, seed=5, scheduler="serial", results=path)


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                    reason="matplotlib is not installed")
def test_pictures(tmp_path) -> None:
    X, Y = xor_data()
    space = {**SPACE, "beta1": S.OneMinusLogUniform(0.8, 0.99), "optimizer": S.Choice(["adam"])}
    res = S.search(X, Y, space, n_trials=3, scheduler="serial")
    fig = res.plot(path=tmp_path / "scores.png")
    axes = {ax.get_xlabel(): ax for ax in fig.axes}
    assert set(axes) == {"learning_rate", "width", "mini_batch_size", "1 − beta1", "optimizer"}
    assert axes["learning_rate"].get_xscale() == "log" and axes["1 − beta1"].get_xscale() == "log"
    assert axes["width"].get_xscale() == "linear"
    assert (tmp_path / "scores.png").stat().st_size > 0
    curves = res.plot_curves(top=2, path=tmp_path / "curves.png")
    assert len(curves.axes[0].lines) == 2


def test_readme_example_runs_and_prints_what_it_shows(tmp_path, monkeypatch, capsys) -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Hyperparameter search\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shown = re.search(r"```text\n(.*?)```", section, re.S).group(1).splitlines()
    if importlib.util.find_spec("matplotlib") is None:
        code = code.replace("result.plot(", "(lambda path: None)(").replace(
            "result.plot_curves(top=3, ", "(lambda path: None)(")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    # the same trials in the same order; figures may differ in the last digits with another BLAS
    assert [line.split()[0] for line in out] == [line.split()[0] for line in shown]
    assert len((tmp_path / "xor-search.jsonl").read_text().splitlines()) == 16


def test_workers_fit_in_the_cores(monkeypatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert S.worker_count(None, 1) == 8 and S.worker_count(None, 3) == 2
    assert S.worker_count(2, 4) == 2
    with pytest.warns(UserWarning, match="3 workers x 4 BLAS threads is more than the 8 cores"):
        assert S.worker_count(3, 4) == 3
