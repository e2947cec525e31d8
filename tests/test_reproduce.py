"""The course's experiments: a fast smoke version of each (few epochs; it runs, the cost falls)."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import xpnet
from xpnet import reproduce as rp

NEEDS_SKLEARN = {"init", "optimization"}


def _param(name):
    marks = []
    if name in NEEDS_SKLEARN and importlib.util.find_spec("sklearn") is None:
        marks = [pytest.mark.skip(reason="scikit-learn is not installed (moons and circles)")]
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", [_param(n) for n in rp.EXPERIMENTS])
def test_quick_reproduction_runs_and_the_cost_falls(name):
    exp = rp.EXPERIMENTS[name]
    result = rp.reproduce(name, quick=True)
    assert [r.label for r in result.runs] == [rp.as_run(v.label, exp, True) for v in exp.variants]
    for run, variant in zip(result.runs, exp.variants, strict=True):
        assert all(math.isfinite(c) for c in run.costs)
        if variant.fails:  # shown failing: it may diverge (and stop) or not learn
            assert len(run.costs) <= exp.quick_epochs
            continue
        assert len(run.costs) == exp.quick_epochs
        assert 0.0 <= run.train_accuracy <= 1.0
        assert (run.test_accuracy is None) == (result.experiment.name == "optimization")
        assert (run.course_train, run.course_test) == (variant.course_train, variant.course_test)
        if variant.settings.get("init") == "zeros":
            # the course's lesson: zero weights never break symmetry; the cost stays at log 2
            np.testing.assert_allclose(run.costs, math.log(2), rtol=1e-6)
            assert run.train_accuracy == 0.5
        else:
            assert run.costs[-1] < run.costs[0], run.label
    assert result.quick and result.backend == "numpy" and result.dtype == "float32"


def test_batch_norm_trains_where_plain_training_fails():
    result = rp.reproduce("batchnorm", quick=True)
    plain, bn = result.runs[1], result.runs[2]
    assert plain.label == "plain, lr 0.6" and bn.label == "batch norm, lr 0.6"
    assert bn.model.batch_norm[:-1] == [True] * 6 and not any(plain.model.batch_norm)
    assert bn.test_accuracy > 0.8 > plain.test_accuracy
    assert bn.costs[-1] < min(plain.costs, default=math.inf)


def test_registry_holds_the_courses_figures():
    course = {(name, v.label): (v.course_train, v.course_test)
              for name, e in rp.EXPERIMENTS.items() for v in e.variants}
    assert course[("cat-2layer", "GD")] == (1.00, 0.72)
    assert course[("cat-4layer", "GD")] == (0.986, 0.80)
    assert course[("init", "random x10")] == (0.83, 0.86)
    assert course[("regularization", "dropout, keep 0.86")] == (None, 0.95)
    assert course[("optimization", "Adam")] == (0.94, None)
    assert course[("mnist-3v7", "GD, 17 epochs")] == (None, 0.965)
    assert rp.EXPERIMENTS["cat-4layer"].settings["layer_dims"] == [12288, 20, 7, 5, 1]


@pytest.mark.parametrize(("name", "first_cost"), [("cat-2layer", 0.6930497356599888),
                                                  ("cat-4layer", 0.771749)])
def test_course_init_starts_where_the_courses_notebook_starts(name, first_cost):
    # "Cost after iteration 0" as the course's notebooks print it: the same initial weights
    # and the same maths give the same number.
    result = rp.reproduce(name, quick=True, course_init=True, dtype="float64")
    assert result.runs[0].costs[0] == pytest.approx(first_cost, abs=1e-6)
    assert "np.random.seed(1)" in result.table()


def test_course_draws_are_np_random_seed_then_randn():
    legacy = np.random.RandomState(3)  # what np.random.seed(3); np.random.randn(5, 2) draws
    expected = legacy.randn(5, 2) * np.sqrt(2 / 2)
    params = xpnet.initialize_parameters([2, 5, 1], "he", seed=rp.CourseDraws(3), dtype="float64")
    np.testing.assert_array_equal(params["W1"], expected)
    np.testing.assert_array_equal(params["W2"], legacy.randn(1, 5) * np.sqrt(2 / 5))


def test_course_init_falls_back_where_the_course_gives_no_seed():
    result = rp.reproduce("mnist-10", quick=True, course_init=True, seed=2)
    assert result.initial_weights == "xpnet's (seed 2)"


def test_other_backend_gives_the_same_run():
    pytest.importorskip("array_api_strict")
    ours = rp.reproduce("regularization", quick=True)
    strict = rp.reproduce("regularization", quick=True, backend="array_api_strict")
    assert strict.backend == "array_api_strict"
    for a, b in zip(ours.runs, strict.runs, strict=True):
        np.testing.assert_allclose(b.costs, a.costs, rtol=1e-4)  # same seed: same init, masks


def test_table_shows_ours_beside_the_course():
    result = rp.reproduce("regularization", quick=True, dtype="float64", seed=3)
    text = result.table()
    assert "regularization" in text and "float64" in text and "seed 3" in text
    assert "QUICK" in text and "93.0 %" in text  # the course's L2 test figure
    assert len([line for line in text.splitlines() if line.endswith(tuple("0123456789"))]) == 3


def test_progress_reports_each_run():
    lines = []
    rp.reproduce("cat-2layer", quick=True, progress=lines.append)
    assert len(lines) == 1 and "cat-2layer / GD" in lines[0]


def test_unknown_experiment_suggests_a_name():
    with pytest.raises(ValueError, match="Did you mean 'cat-4layer'"):
        rp.reproduce("cat-4layers")


def test_command_line(capsys):
    assert rp.main(["cat-4layer", "--quick", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "cat-4layer" in out and "backend numpy, float32, seed 1" in out and "80.0 %" in out
    with pytest.raises(SystemExit):
        rp.main(["cat-5layer"])


def test_command_line_all_names_one_picture_per_experiment(monkeypatch, tmp_path):
    calls = []
    real = rp.reproduce

    def fake(name, **kwargs):
        calls.append((name, kwargs["plot"]))
        return real("regularization", quick=True)

    monkeypatch.setattr(rp, "reproduce", fake)
    assert rp.main(["all", "--quick", "--plot", str(tmp_path / "out.png")]) == 0
    assert [name for name, _ in calls] == list(rp.EXPERIMENTS)
    assert calls[0][1] == tmp_path / "out-cat-2layer.png"


def test_command_line_reports_a_missing_backend(capsys):
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed here")
    assert rp.main(["regularization", "--quick", "--backend", "cupy"]) == 1
    assert "pip install" in capsys.readouterr().err
