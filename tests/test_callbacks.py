"""``xpnet.train``'s training hygiene: validation, history, early stopping, the best model,
callbacks that stop, progress display, shuffling and example weights."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host
from xpnet.callbacks import EarlyStopping
from xpnet.evaluation import split_indices
from xpnet.rng import RandomState


def _binary(m=120, n=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, m))
    Y = ((X[0] + 0.5 * X[1] * X[2]) > 0).astype(float).reshape(1, m)
    return X, Y


def _train(X, Y, **kw):
    args = dict(layer_dims=[X.shape[0], 8, 1], learning_rate=0.01, num_epochs=20,
                dtype="float64", seed=0)
    args.update(kw)
    return xpnet.train(X, Y, **args)


# -- scikit-learn's stopping rule -------------------------------------------------------------


def _sklearn_rule(values, n_iter_no_change, tol):
    """scikit-learn's MLP ``_update_no_improvement_count`` on a loss curve, as written there:
    the epoch (count) at which it stops, or None."""
    best, count = np.inf, 0
    for i, v in enumerate(values):
        if v > best - tol:
            count += 1
        else:
            count = 0
        if v < best:
            best = v
        if count > n_iter_no_change:
            return i
    return None


@pytest.mark.parametrize("seed", range(5))
def test_the_stopping_rule_is_scikit_learns(seed):
    values = np.cumsum(np.random.default_rng(seed).normal(-0.01, 0.05, 200)) + 5
    for n, tol in ((2, 0.0), (5, 1e-2), (10, 1e-4)):
        rule = EarlyStopping(n, tol)
        stopped = None
        for i, v in enumerate(values):
            rule.update(float(v))
            if rule.stop:
                stopped = i
                break
        assert stopped == _sklearn_rule(values, n, tol)


def test_a_maximised_metric_stops_the_same_way_mirrored():
    rule = EarlyStopping(1, 0.1, mode="max")
    assert rule.update(0.5) and not rule.stop
    assert rule.update(0.55) and rule.no_change == 1  # better, but not by more than tol
    assert not rule.update(0.5) and rule.stop


# -- early stopping and the best model ---------------------------------------------------------


def test_early_stopping_on_the_training_cost_stops():
    X, Y = _binary()
    # a tol no epoch can beat: the first epoch is the best, the next 3 are "no change"
    model = _train(X, Y, num_epochs=50, early_stopping=True, n_iter_no_change=2, tol=100.0)
    assert len(model.costs) == 4 == len(model.history["cost"])
    assert model.config["stopped_early"] is True
    assert model.config["monitor"] == "cost"
    full = _train(X, Y, num_epochs=50)
    assert len(full.costs) == 50 and full.config["stopped_early"] is False


def test_early_stopping_on_the_validation_cost_and_restore_best():
    X, Y = _binary()
    # labels flipped in the validation set: its cost grows as training improves, so the best
    # epoch is early and training stops n_iter_no_change + 1 evaluations later
    model = _train(X, Y, num_epochs=200, validation_data=(X, 1 - Y), early_stopping=True,
                   n_iter_no_change=4, restore_best=True, learning_rate=0.05)
    best = model.config["best_epoch"]
    assert model.config["monitor"] == "val_cost" and model.config["stopped_early"]
    assert len(model.costs) < 200
    val = model.history["val_cost"]
    assert best == int(np.argmin(val)) and best < len(val) - 1
    # the returned parameters are those after epoch `best`: a run of best + 1 epochs
    again = _train(X, Y, num_epochs=best + 1, learning_rate=0.05)
    for k in again.params:
        np.testing.assert_array_equal(host(model.params[k]), host(again.params[k]))
    # ... and not those of the last epoch
    last = _train(X, Y, num_epochs=len(model.costs), learning_rate=0.05)
    assert not np.array_equal(host(model.params["W1"]), host(last.params["W1"]))


def test_save_best_keeps_the_best_model_in_a_file(tmp_path):
    X, Y = _binary()
    path = tmp_path / "best.npz"
    model = _train(X, Y, num_epochs=15, validation_data=(X, 1 - Y), save_best=path,
                   restore_best=True, learning_rate=0.05)
    saved = xpnet.load(path)
    assert saved.config["best_epoch"] == model.config["best_epoch"]
    assert len(saved.costs) == model.config["best_epoch"] + 1
    for k in model.params:
        np.testing.assert_array_equal(host(saved.params[k]), host(model.params[k]))


def test_monitor_can_maximise_validation_accuracy():
    X, Y = _binary()
    model = _train(X, Y, num_epochs=30, validation_split=0.25, monitor="val_accuracy",
                   restore_best=True)
    acc = model.history["val_accuracy"]
    assert model.config["best_epoch"] == int(np.argmax(acc))


# -- validation, history ----------------------------------------------------------------------


def test_history_holds_one_row_per_epoch_and_the_validation_metrics_are_exact():
    X, Y = _binary()
    Xv, Yv = _binary(m=50, seed=1)
    model = _train(X, Y, num_epochs=6, validation_data=(Xv, Yv), mini_batch_size=32)
    h = model.history
    assert set(h) == {"epoch", "cost", "accuracy", "val_cost", "val_accuracy", "learning_rate",
                      "seconds"}
    assert all(len(v) == 6 for v in h.values())
    assert h["epoch"] == list(range(6)) and h["cost"] == model.costs
    assert h["learning_rate"] == [0.01] * 6 and all(s > 0 for s in h["seconds"])
    # the last evaluation is of the returned parameters
    AL, caches = xpnet.forward(Xv, model.params, model.activations)
    assert h["val_cost"][-1] == pytest.approx(
        xpnet.compute_cost(AL, Yv, logits=caches[-1].Z), rel=1e-12)
    assert h["val_accuracy"][-1] == pytest.approx(model.evaluate(Xv, Yv), rel=1e-12)
    assert h["accuracy"][-1] == pytest.approx(model.evaluate(X, Y), rel=1e-12)


def test_an_evaluation_reads_the_device_once(monkeypatch):
    import xpnet.evaluation as evaluation

    reads = []
    real = evaluation.to_numpy
    monkeypatch.setattr(evaluation, "to_numpy", lambda x: reads.append(x.shape) or real(x))
    X, Y = _binary(m=3 * evaluation.CHUNK // 2)  # two chunks per pass over the training set
    model = _train(X, Y, num_epochs=4, mini_batch_size=32, validation_data=(X, Y),
                   validation_every=2)
    assert reads == [(3,), (3,)]  # epochs 1 and 3: three metrics in one read each
    assert model.history["val_cost"][1] is not None


def test_validation_every_evaluates_every_k_epochs_and_at_the_end():
    X, Y = _binary()
    model = _train(X, Y, num_epochs=8, validation_split=0.2, validation_every=3)
    evaluated = [v is not None for v in model.history["val_cost"]]
    assert evaluated == [False, False, True, False, False, True, False, True]


def test_regression_reports_r2():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 200))
    Y = np.vstack([X[0] - 2 * X[1], X[2] ** 2])
    model = xpnet.train(X, Y, [3, 16, 2], activations=["relu", "linear"], num_epochs=40,
                        learning_rate=0.01, mini_batch_size=32, validation_split=0.25,
                        dtype="float64")
    r2 = model.history["val_r2"]
    assert r2[-1] > r2[0] and r2[-1] > 0.5
    # R² of the training set, as scikit-learn's r2_score (uniform average over outputs)
    tr, _ = split_indices(200, 0.25, None, RandomState(0))
    P = host(model.predict(X[:, tr]))
    ss_res = ((Y[:, tr] - P) ** 2).sum(axis=1)
    ss_tot = ((Y[:, tr] - Y[:, tr].mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    assert model.history["r2"][-1] == pytest.approx(np.mean(1 - ss_res / ss_tot), rel=1e-10)


def test_validation_split_is_stratified():
    labels = [0] * 30 + [1] * 70
    train, val = split_indices(100, 0.2, labels, RandomState(0))
    assert sorted(train + val) == list(range(100))
    assert sum(labels[i] for i in val) == 14 and len(val) == 20
    again, _ = split_indices(100, 0.2, labels, RandomState(0))
    assert again == train


def test_validation_split_of_a_softmax_run_keeps_every_class(backend):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 90))
    labels = np.repeat([0, 1, 2], [60, 20, 10]).reshape(1, -1)
    model = xpnet.train(X, labels, [3, 6, 3], num_epochs=3, validation_split=0.1,
                        learning_rate=0.01, backend=backend)
    assert len(model.history["val_accuracy"]) == 3
    assert all(0.0 <= a <= 1.0 for a in model.history["val_accuracy"])


# -- callbacks ----------------------------------------------------------------------------------


def test_a_callback_that_returns_false_stops_after_that_epoch():
    X, Y = _binary()
    seen = []

    def stop_at_3(epoch, logs):
        seen.append(dict(logs))
        return epoch < 3

    model = _train(X, Y, callbacks=stop_at_3, validation_split=0.2)
    assert len(model.costs) == 4 and len(seen) == 4
    assert set(seen[-1]) == set(model.history)
    assert seen[-1]["cost"] == model.costs[-1]


def test_stop_training_raised_in_a_callback_ends_normally(tmp_path):
    X, Y = _binary()

    class Stopper:
        def on_epoch_end(self, epoch, logs):
            if epoch == 4:
                raise xpnet.StopTraining

    path = tmp_path / "ck.npz"
    model = _train(X, Y, callbacks=[Stopper()], checkpoint=path)
    assert len(model.costs) == 5
    assert xpnet.checkpoint.load_checkpoint(path).epoch == 5


def test_the_old_callback_can_stop_too():
    X, Y = _binary()
    model = _train(X, Y, callback=lambda epoch, cost: epoch != 2)
    assert len(model.costs) == 3


def test_an_error_in_a_callback_keeps_the_model_trained_so_far(tmp_path):
    X, Y = _binary()

    def broken(epoch, logs):
        if epoch == 5:
            raise ValueError("my bug")

    path = tmp_path / "ck.npz"
    with pytest.raises(ValueError, match="my bug") as info:
        _train(X, Y, callbacks=broken, checkpoint=path)
    err = info.value
    assert err.epoch == 5 and len(err.model.costs) == 6
    assert any("callback" in note for note in err.__notes__)
    six = _train(X, Y, num_epochs=6)
    np.testing.assert_array_equal(host(err.model.params["W1"]), host(six.params["W1"]))
    assert xpnet.checkpoint.load_checkpoint(path).epoch == 6


def test_callbacks_are_checked():
    X, Y = _binary()
    with pytest.raises(TypeError, match=r"callbacks\[1\] must be a function"):
        _train(X, Y, callbacks=[print, 3])


# -- progress -----------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_verbose_1_draws_a_bar_before_the_first_epoch(monkeypatch):
    pytest.importorskip("tqdm")
    X, Y = _binary()
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    shown_at_start = []

    def schedule(lr0, epoch):
        if epoch == 0:
            shown_at_start.append(err.getvalue())
        return lr0

    _train(X, Y, num_epochs=5, mini_batch_size=16, verbose=1, lr_schedule=schedule)
    assert "0.0/5" in shown_at_start[0]  # the bar exists before epoch 0 runs
    out = err.getvalue()
    assert "5.0/5" in out and "cost " in out


def test_verbose_1_is_off_when_stderr_is_not_a_terminal(capsys):
    X, Y = _binary()
    _train(X, Y, num_epochs=3, verbose=1)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_2_prints_a_line_per_epoch_with_4_significant_digits(capsys):
    X, Y = _binary()
    model = _train(X, Y, num_epochs=3, verbose=2, validation_split=0.2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[-1].startswith("epoch 3/3") and f"cost {model.costs[-1]:.4g}" in lines[-1]
    assert "val_accuracy" in lines[-1]


# -- shuffling and weights ----------------------------------------------------------------------


def test_shuffle_false_takes_the_examples_in_order():
    X, Y = _binary()
    p = xpnet.initialize_parameters([4, 8, 1], seed=0, dtype="float64")
    a = _train(X, Y, params=p, mini_batch_size=16, shuffle=False, seed=1, num_epochs=3)
    b = _train(X, Y, params=p, mini_batch_size=16, shuffle=False, seed=2, num_epochs=3)
    c = _train(X, Y, params=p, mini_batch_size=16, seed=2, num_epochs=3)
    assert a.costs == b.costs != c.costs


ENGINES = ["generic", "numpy"]


@pytest.mark.parametrize("engine", ENGINES)
def test_unit_weights_change_nothing(engine):
    X, Y = _binary()
    kw = dict(mini_batch_size=32, engine=engine, num_epochs=5, optimizer="adam")
    plain = _train(X, Y, **kw)
    ones = _train(X, Y, sample_weight=np.full(120, 3.0), **kw)  # any constant weight
    np.testing.assert_allclose(ones.costs, plain.costs, rtol=1e-12)
    np.testing.assert_allclose(host(ones.params["W1"]), host(plain.params["W1"]), rtol=1e-10)


@pytest.mark.parametrize("engine", ENGINES)
def test_zero_weights_drop_examples(engine):
    X, Y = _binary()
    keep = np.arange(120) % 3 != 0
    kw = dict(engine=engine, num_epochs=5, optimizer="gd", learning_rate=0.5)
    weighted = _train(X, Y, sample_weight=keep.astype(float), **kw)
    dropped = _train(X[:, keep], Y[:, keep], **kw)
    np.testing.assert_allclose(weighted.costs, dropped.costs, rtol=1e-10)
    for k in dropped.params:
        np.testing.assert_allclose(host(weighted.params[k]), host(dropped.params[k]), rtol=1e-9)


def _weighted_cost(X, Y, w, params, lambd=0.0):
    """Σ wᵢ Lᵢ / Σ wᵢ (+ the L2 term), in float64 NumPy from the logits: the formula."""
    A = X
    L = len(params) // 2
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = np.maximum(Z, 0) if l < L else None
    per = np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))
    m = X.shape[1]
    l2 = lambd / (2 * m) * sum((params[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
    return float((w * per).sum() / w.sum()) + l2


@pytest.mark.parametrize("engine", ENGINES)
def test_weights_change_the_gradient_as_the_formula_says(engine):
    X, Y = _binary(m=40)
    w = np.random.default_rng(5).uniform(0, 3, 40)
    p0 = xpnet.initialize_parameters([4, 5, 1], seed=0, dtype="float64")
    lr = 1e-3
    model = xpnet.train(X, Y, [4, 5, 1], params=p0, optimizer="gd", learning_rate=lr,
                        num_epochs=1, dtype="float64", sample_weight=w, lambd=0.1, engine=engine)
    assert model.costs[0] == pytest.approx(_weighted_cost(X, Y, w, p0, 0.1), rel=1e-12)
    h = 1e-6
    for k, P in p0.items():
        step = (P - host(model.params[k])) / lr  # GD: the gradient the engine used
        for idx in [(0, 0), (P.shape[0] - 1, P.shape[1] - 1)]:
            plus = {**p0, k: P.copy()}
            minus = {**p0, k: P.copy()}
            plus[k][idx] += h
            minus[k][idx] -= h
            numeric = (_weighted_cost(X, Y, w, plus, 0.1) - _weighted_cost(X, Y, w, minus, 0.1)) / (2 * h)
            assert step[idx] == pytest.approx(numeric, rel=1e-5, abs=1e-9), (k, idx)


def test_class_weight_is_a_weight_per_label():
    X, Y = _binary()
    kw = dict(num_epochs=4, mini_batch_size=32, engine="generic")
    by_class = _train(X, Y, class_weight={1: 3.0}, **kw)
    by_sample = _train(X, Y, sample_weight=np.where(Y[0] == 1, 3.0, 1.0), **kw)
    np.testing.assert_allclose(by_class.costs, by_sample.costs, rtol=1e-12)
    counts = np.bincount(Y[0].astype(int))
    balanced = _train(X, Y, class_weight="balanced", **kw)
    by_sample = _train(X, Y, sample_weight=(120 / (2 * counts))[Y[0].astype(int)], **kw)
    np.testing.assert_allclose(balanced.costs, by_sample.costs, rtol=1e-12)


def test_weights_on_every_backend(backend):
    X, Y = _binary()
    w = np.random.default_rng(1).uniform(0, 2, 120)
    kw = dict(num_epochs=3, mini_batch_size=32, engine="generic", sample_weight=w,
              validation_split=0.2, early_stopping=True, restore_best=True)
    ref = _train(X, Y, backend="numpy", **kw)
    ours = _train(X, Y, backend=backend, **kw)
    np.testing.assert_allclose(ours.costs, ref.costs, rtol=1e-9)
    np.testing.assert_allclose(ours.history["val_cost"], ref.history["val_cost"], rtol=1e-9)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(validation_split=0.2, validation_data=(np.ones((4, 3)), np.ones((1, 3)))), ValueError,
     "not both"),
    (dict(validation_split=1.0), ValueError, "validation_split must be in"),
    (dict(validation_data=(np.ones((3, 5)), np.ones((1, 5)))), ValueError,
     "validation_data: X has 3 rows"),
    (dict(validation_data=np.ones(3)), TypeError, "validation_data must be a tuple"),
    (dict(monitor="val_cost"), ValueError, "monitor='val_cost' is not available"),
    (dict(monitor="val_acuracy", validation_split=0.2), ValueError, "Did you mean 'val_accuracy'"),
    (dict(verbose=3), ValueError, "verbose must be 0, 1 or 2"),
    (dict(save_best="no/such/folder/best.npz"), ValueError, "the folder 'no/such/folder'"),
    (dict(save_best=3), TypeError, "save_best must be a file path"),
    (dict(validation_every=0), ValueError, "validation_every must be >= 1"),
    (dict(sample_weight=np.ones(7)), ValueError, "one weight per example"),
    (dict(sample_weight=-np.ones(120)), ValueError, "weights >= 0"),
    (dict(sample_weight=np.zeros(120)), ValueError, "all weights are 0"),
    (dict(class_weight="balance"), ValueError, "'balanced'"),
    (dict(class_weight={1: -1}), ValueError, r"class_weight\[1\]"),
])
def test_bad_arguments_say_what_is_wrong(kwargs, error, match):
    X, Y = _binary()
    with pytest.raises(error, match=match):
        _train(X, Y, num_epochs=1, **kwargs)


def test_class_weight_needs_a_classifier():
    X = np.random.default_rng(0).standard_normal((2, 10))
    with pytest.raises(ValueError, match="class_weight needs a classification output"):
        xpnet.train(X, X[:1], [2, 3, 1], activations=["relu", "linear"], class_weight={0: 2})


# -- the README's examples ----------------------------------------------------------------------


def _readme_code(title):
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shown = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    return code, shown


def test_readme_training_example_runs_and_prints_what_it_shows(tmp_path, monkeypatch, capsys):
    code, shown = _readme_code("Validation, early stopping, history and callbacks")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    # the same lines; figures may differ in the last digits with another BLAS
    assert [line.split(" ")[0] for line in out] == [line.split(" ")[0] for line in shown.splitlines()]
    assert (tmp_path / "best.npz").exists()


def test_readme_estimator_example_runs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")
    code, shown = _readme_code("scikit-learn estimators")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(shown.splitlines()) and out[0] == shown.splitlines()[0]
