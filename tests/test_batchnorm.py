"""Batch normalisation (the course's week 3): numerics against a hand-written NumPy version,
gradient checks, inference with the running statistics, files and checkpoints, backends."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host
from xpnet.architecture import Architecture, params_layer_dims
from xpnet.checkpoint import load_checkpoint
from xpnet.files import ModelFileError, read_container, write_container
from xpnet.network import BN_EPSILON, _backward, _forward, running_stats

EPS = BN_EPSILON


# -- an independent reference: the course's equations, written out for one hidden BN layer ----
def _reference(X, Y, p, momentum=0.9):
    """[n0, n1 (BN, ReLU), 1 (sigmoid)]: cost, gradients and updated running stats by hand."""
    m = X.shape[1]
    Z1 = p["W1"] @ X
    mu = Z1.sum(axis=1, keepdims=True) / m
    var = ((Z1 - mu) ** 2).sum(axis=1, keepdims=True) / m
    Zn = (Z1 - mu) / np.sqrt(var + EPS)
    Zt = p["gamma1"] * Zn + p["beta1"]
    A1 = np.maximum(Zt, 0)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    cost = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))
    dZ2 = (A2 - Y) / m
    g = {"dW2": dZ2 @ A1.T, "db2": dZ2.sum(axis=1, keepdims=True)}
    dZt = (p["W2"].T @ dZ2) * (Zt > 0)
    g["dgamma1"] = (dZt * Zn).sum(axis=1, keepdims=True)
    g["dbeta1"] = dZt.sum(axis=1, keepdims=True)
    dZn = dZt * p["gamma1"]
    # the long form, through σ² and μ (Ioffe & Szegedy, algorithm 1's backward)
    dvar = (dZn * (Z1 - mu)).sum(axis=1, keepdims=True) * -0.5 * (var + EPS) ** -1.5
    dmu = (-dZn / np.sqrt(var + EPS)).sum(axis=1, keepdims=True) + dvar * (
        -2 * (Z1 - mu)).mean(axis=1, keepdims=True)
    dZ1 = dZn / np.sqrt(var + EPS) + dvar * 2 * (Z1 - mu) / m + dmu / m
    g["dW1"] = dZ1 @ X.T
    stats = {"running_mean1": momentum * 0.0 + (1 - momentum) * mu,
             "running_var1": momentum * 1.0 + (1 - momentum) * var}
    return A2, cost, g, stats


@pytest.fixture
def small(rng):
    X = rng.standard_normal((4, 9)) * 3 + 1
    Y = (rng.random((1, 9)) > 0.5).astype(float)
    p = xpnet.initialize_parameters([4, 5, 1], seed=0, dtype="float64", batch_norm=True)
    p["gamma1"] = 1 + 0.3 * rng.standard_normal((5, 1))
    p["beta1"] = 0.2 * rng.standard_normal((5, 1))
    return X, Y, p


def test_forward_backward_and_running_stats_match_the_course_equations(small):
    X, Y, p = small
    AL_ref, cost_ref, g_ref, stats_ref = _reference(X, Y, p)
    AL, caches = xpnet.forward(X, p, ["relu", "sigmoid"])
    np.testing.assert_allclose(AL, AL_ref, rtol=1e-12)
    np.testing.assert_allclose(xpnet.compute_cost(AL, Y), cost_ref, rtol=1e-12)
    grads = xpnet.backward(AL, Y, caches, ["relu", "sigmoid"])
    assert list(grads) == ["dW1", "dgamma1", "dbeta1", "dW2", "db2"]
    for k, v in g_ref.items():
        np.testing.assert_allclose(grads[k], v, rtol=1e-9, atol=1e-14, err_msg=k)
    stats = running_stats({"running_mean1": np.zeros((5, 1)), "running_var1": np.ones((5, 1))},
                          caches)
    for k, v in stats_ref.items():
        np.testing.assert_allclose(stats[k], v, rtol=1e-12)
    # the normalised pre-activations have mean 0 and (biased) variance 1 over the batch
    Z_hat = caches[0].bn.Z_hat
    np.testing.assert_allclose(Z_hat.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(Z_hat.var(axis=1), 1, rtol=1e-5)


def test_initialize_parameters_gives_gamma_ones_beta_zeros_and_the_same_weights():
    plain = xpnet.initialize_parameters([6, 5, 4, 2], seed=3)
    bn = xpnet.initialize_parameters([6, 5, 4, 2], seed=3, batch_norm=True)
    assert list(bn) == ["W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "b3"]
    for k in ("W1", "W2", "W3", "b3"):
        np.testing.assert_array_equal(bn[k], plain[k])
    assert np.all(bn["gamma1"] == 1) and np.all(bn["beta2"] == 0)
    assert bn["gamma2"].shape == (4, 1) and bn["gamma2"].dtype == np.float32
    one = xpnet.initialize_parameters([6, 5, 4, 2], batch_norm=[False, True, False])
    assert "b1" in one and "gamma2" in one and "b2" not in one


@pytest.mark.parametrize("acts, bn, lambd", [
    (["relu", "relu", "sigmoid"], True, 0.0),
    (["tanh", "leaky_relu", "softmax"], True, 0.7),
    (["relu", "tanh", "sigmoid"], [False, True, False], 0.3),
])
def test_gradient_check_of_batch_norm_networks_in_float64(rng, acts, bn, lambd):
    dims = [4, 5, 3, 3 if acts[-1] == "softmax" else 1]
    p = xpnet.initialize_parameters(dims, seed=1, dtype="float64", batch_norm=bn)
    p = {k: v + 0.2 * rng.standard_normal(v.shape) for k, v in p.items()}  # not at γ=1, β=0
    X = rng.standard_normal((4, 12))
    if acts[-1] == "softmax":
        Y = xpnet.one_hot(rng.integers(0, 3, (1, 12)), 3, dtype="float64")
    else:
        Y = (rng.random((1, 12)) > 0.5).astype(float)
    assert xpnet.gradient_check(p, X, Y, acts, lambd=lambd) < 1e-7


def test_gradient_check_finds_a_wrong_batch_norm_gradient(rng, monkeypatch):
    import xpnet.network as network

    p = xpnet.initialize_parameters([3, 4, 1], seed=1, dtype="float64", batch_norm=True)
    X, Y = rng.standard_normal((3, 10)), (rng.random((1, 10)) > 0.5).astype(float)
    original = network.batchnorm_backward

    def without_the_mean_terms(xp, dZ_tilde, bn):  # the classic bug: statistics as constants
        dZ, dg, db = original(xp, dZ_tilde, network.BatchNormCache(
            bn.Z_hat, bn.inv_std, bn.gamma, bn.mu, bn.var, training=False))
        return dZ, dg, db

    monkeypatch.setattr(network, "batchnorm_backward", without_the_mean_terms)
    assert xpnet.gradient_check(p, X, Y, ["relu", "sigmoid"]) > 1e-3


def _train(X, Y, **kw):
    settings = dict(layer_dims=[5, 8, 6, 1], batch_norm=True, optimizer="adam",
                    learning_rate=0.01, mini_batch_size=16, num_epochs=6, seed=2)
    return xpnet.train(X, Y, **{**settings, **kw})


@pytest.fixture
def data(rng):
    X = rng.standard_normal((5, 70)) * 2 + 0.5
    Y = (X[:1] + X[1:2] ** 2 > 1.3).astype(np.float64)
    return X, Y


@pytest.mark.parametrize("engine", ["generic", "numpy"])
def test_one_example_predicted_alone_gets_its_in_batch_output(data, engine):
    # up to float32 rounding: whether BLAS rounds one column exactly as it rounds a block of
    # them depends on the CPU's kernels (bit for bit on one development machine, 1 ulp apart
    # on another); inference uses no batch statistics, so nothing more than rounding differs
    X, Y = data
    model = _train(X, Y, engine=engine, keep_prob=0.9)
    assert set(model.stats) == {"running_mean1", "running_var1", "running_mean2",
                                "running_var2"}
    full = model.predict_proba(X)
    for i in (0, 13, 69):
        np.testing.assert_allclose(model.predict_proba(X[:, i:i + 1]), full[:, i:i + 1],
                                   rtol=4 * np.finfo(np.float32).eps, atol=1e-7)
    np.testing.assert_array_equal(model.predict(X[:, 5:6]), model.predict(X)[:, 5:6])
    assert 0.0 <= model.evaluate(X, Y) <= 1.0


def test_a_wider_network_predicts_one_example_as_in_a_batch_up_to_blas_rounding(rng):
    X = rng.standard_normal((40, 300)).astype(np.float32)
    Y = (X[:1] * X[1:2] > 0).astype(np.float32)
    model = xpnet.train(X, Y, [40, 32, 16, 1], batch_norm=True, learning_rate=0.01,
                        mini_batch_size=64, num_epochs=5)
    full = model.predict_proba(X)
    alone = np.concatenate([model.predict_proba(X[:, i:i + 1]) for i in range(300)], axis=1)
    np.testing.assert_allclose(alone, full, rtol=2e-6, atol=1e-7)
    # in training mode one example alone would be normalised to β: nothing like its output
    batch_mode, _ = xpnet.forward(X[:, :2], model.params, model.activations)
    assert not np.allclose(batch_mode, full[:, :2], rtol=1e-3)


def test_inference_uses_the_running_statistics_not_the_batch(data):
    X, Y = data
    model = _train(X, Y)
    acts = model.architecture.acts
    X = X.astype(np.float32)
    AL, _ = _forward(np, X, model.params, acts, stats=model.stats)
    np.testing.assert_array_equal(model.predict_proba(X), AL)
    batch, _ = _forward(np, X, model.params, acts, training=True)
    assert not np.allclose(batch, AL)  # the batch's statistics give other outputs
    # the running statistics move towards the data's: not the initial 0 and 1 any more
    assert np.abs(host(model.stats["running_mean1"])).max() > 0.05


def test_running_statistics_follow_the_momentum_rule_step_by_step(data):
    X, Y = data
    one = _train(X, Y, num_epochs=1, mini_batch_size=None, optimizer="gd", dtype="float64",
                 engine="generic")  # one full-batch step from the initial parameters
    p0 = xpnet.initialize_parameters([5, 8, 6, 1], seed=xpnet.rng.RandomState(2),
                                     dtype="float64", batch_norm=True)
    _, caches = _forward(np, X, p0, one.architecture.acts, training=True)
    mu, var = caches[0].bn.mu, caches[0].bn.var
    np.testing.assert_allclose(one.stats["running_mean1"], 0.1 * mu, rtol=1e-12)
    np.testing.assert_allclose(one.stats["running_var1"], 0.9 + 0.1 * var, rtol=1e-12)


def test_optimizers_never_see_the_running_statistics(data):
    X, Y = data
    model = _train(X, Y, num_epochs=2)
    state = model.optimizer.state_dict()
    assert set(state["v"]) == set(model.params) == {"W1", "gamma1", "beta1", "W2", "gamma2",
                                                    "beta2", "W3", "b3"}
    assert model.num_parameters == 5 * 8 + 16 + 8 * 6 + 12 + 6 + 1


def test_l2_applies_to_the_weights_only(data):
    X, Y = data
    p = xpnet.initialize_parameters([5, 4, 1], seed=0, dtype="float64", batch_norm=True)
    acts = xpnet.architecture.Architecture.from_params(p, ["relu", "sigmoid"]).acts
    AL, caches = _forward(np, X, p, acts, training=True)
    plain = _backward(np, AL, Y, caches, acts)
    l2 = _backward(np, AL, Y, caches, acts, lambd=2.0)
    for k in ("dgamma1", "dbeta1", "db2"):
        np.testing.assert_array_equal(l2[k], plain[k])
    np.testing.assert_allclose(l2["dW1"] - plain["dW1"], 2.0 / 70 * p["W1"], rtol=1e-9)


@pytest.mark.parametrize("engine", ["generic", "numpy"])
def test_save_and_load_keep_the_statistics_and_the_predictions(data, tmp_path, engine):
    X, Y = data
    model = _train(X, Y, engine=engine)
    path = tmp_path / "bn.npz"
    model.save(path)
    arrays, meta = read_container(path, "xpnet-model")
    assert meta["batch_norm"] == [True, True, False]
    assert {"gamma1", "beta2", "running_mean1", "running_var2"} <= set(arrays)
    assert "b1" not in arrays
    loaded = xpnet.load(path)
    assert loaded.batch_norm == [True, True, False]
    for k in model.stats:
        np.testing.assert_array_equal(loaded.stats[k], host(model.stats[k]))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert "batch_norm=[True, True, False]" in repr(loaded)


def test_a_model_file_without_its_statistics_or_with_negative_variances_is_refused(data,
                                                                                  tmp_path):
    X, Y = data
    path = tmp_path / "bn.npz"
    _train(X, Y, num_epochs=1).save(path)
    arrays, meta = read_container(path, "xpnet-model")
    bad = tmp_path / "bad.npz"
    write_container(bad, {k: v for k, v in arrays.items() if k != "running_var1"}, meta)
    with pytest.raises(ModelFileError, match="lacks the arrays running_var1"):
        xpnet.load(bad)
    write_container(bad, {**arrays, "running_var1": -arrays["running_var1"]}, meta)
    with pytest.raises(ModelFileError, match="running_var1 holds negative variances"):
        xpnet.load(bad)


@pytest.mark.parametrize("engine", ["generic", "numpy"])
def test_checkpoint_resume_is_bit_for_bit_with_batch_norm(data, tmp_path, engine):
    X, Y = data
    path = tmp_path / "ck.npz"
    kw = dict(engine=engine, keep_prob=0.8, lambd=0.1)
    straight = _train(X, Y, num_epochs=8, **kw)
    _train(X, Y, num_epochs=3, checkpoint=path, **kw)
    ck = load_checkpoint(path)
    assert ck.batch_norm == [True, True, False] and set(ck.stats) == set(straight.stats)
    assert set(ck.optimizer_arrays["v"]) == set(straight.params)  # no optimizer state for stats
    resumed = _train(X, Y, num_epochs=8, resume=path, **kw)
    assert resumed.costs == straight.costs
    for k in straight.params:
        np.testing.assert_array_equal(host(resumed.params[k]), host(straight.params[k]))
    for k in straight.stats:
        np.testing.assert_array_equal(host(resumed.stats[k]), host(straight.stats[k]))
    with pytest.raises(ValueError, match="written with batch_norm=.* but train got"):
        _train(X, Y, num_epochs=8, resume=path, batch_norm=[True, False, False])


def test_training_in_stages_from_params_takes_batch_norm_parameters(data):
    X, Y = data
    first = _train(X, Y, num_epochs=2)
    again = _train(X, Y, num_epochs=2, params=first.params)
    assert again.config["init"] == "params="
    with pytest.raises(ValueError, match="has gamma1 but layer 1 is not batch-normalised"):
        _train(X, Y, num_epochs=1, params=first.params, batch_norm=False)


def test_strict_and_numpy_agree_with_batch_norm(data):
    X, Y = data
    kw = dict(dtype="float64", keep_prob=0.8, lambd=0.2, engine="generic")
    a = _train(X, Y, backend="numpy", **kw)
    b = _train(X, Y, backend="array_api_strict", **kw)
    np.testing.assert_allclose(b.costs, a.costs, rtol=1e-10)
    for k in a.params:
        np.testing.assert_allclose(host(b.params[k]), a.params[k], rtol=1e-9, atol=1e-12)
    for k in a.stats:
        np.testing.assert_allclose(host(b.stats[k]), a.stats[k], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(host(b.predict_proba(X)), a.predict_proba(X), rtol=1e-9)


def test_forward_and_backward_on_every_backend(backend, small):
    X, Y, p = small
    AL_ref, _, g_ref, _ = _reference(X, Y, p)
    pb = {k: backend.asarray(v) for k, v in p.items()}
    AL, caches = xpnet.forward(backend.asarray(X), pb, ["relu", "sigmoid"])
    grads = xpnet.backward(AL, backend.asarray(Y), caches, ["relu", "sigmoid"])
    np.testing.assert_allclose(host(AL), AL_ref, rtol=1e-10)
    for k, v in g_ref.items():
        np.testing.assert_allclose(host(grads[k]), v, rtol=1e-8, atol=1e-13, err_msg=k)


def test_divergence_and_interrupts_restore_the_statistics_too(data):
    X, Y = data
    seen = {}

    def interrupt(epoch, cost):
        if epoch == 2:
            seen["stats"] = {k: host(v).copy() for k, v in model_stats().items()}
            raise KeyboardInterrupt

    holder = {}

    def model_stats():
        return holder["eng"].stats

    import xpnet.training as training

    original = training.make_engine

    def spy(*args, **kwargs):
        holder["eng"] = original(*args, **kwargs)
        return holder["eng"]

    training.make_engine = spy
    try:
        with pytest.warns(RuntimeWarning, match="interrupted"):
            model = _train(X, Y, num_epochs=5, callback=interrupt)
    finally:
        training.make_engine = original
    three = _train(X, Y, num_epochs=3)
    assert len(model.costs) == 3
    for k in three.stats:
        np.testing.assert_array_equal(host(model.stats[k]), host(three.stats[k]))
        np.testing.assert_array_equal(seen["stats"][k], host(three.stats[k]))


# -- the public API's checks ------------------------------------------------------------------
def test_forward_in_inference_mode_needs_the_running_statistics(small):
    X, Y, p = small
    with pytest.raises(ValueError, match="needs stats="):
        xpnet.forward(X, p, ["relu", "sigmoid"], training=False)
    with pytest.raises(ValueError, match=r"stats\['running_var1'\] has shape"):
        xpnet.forward(X, p, ["relu", "sigmoid"], training=False,
                      stats={"running_mean1": np.zeros((5, 1)), "running_var1": np.ones(5)})
    AL, _ = xpnet.forward(X[:, :1], p, ["relu", "sigmoid"], training=False,
                          stats={"running_mean1": np.zeros((5, 1)),
                                 "running_var1": np.ones((5, 1))})
    assert AL.shape == (1, 1)
    with pytest.raises(ValueError, match="at least 2 examples"):
        xpnet.forward(X[:, :1], p, ["relu", "sigmoid"])


@pytest.mark.parametrize("drop, add, match", [
    ("beta1", None, "missing 'beta1'"),
    ("gamma1", None, "missing 'gamma1'"),
    (None, "b1", "has b1 and gamma1/beta1"),
])
def test_half_batch_norm_layers_get_clear_errors(small, drop, add, match):
    _, _, p = small
    p = dict(p)
    if drop:
        del p[drop]
    if add:
        p[add] = np.zeros((5, 1))
    with pytest.raises(ValueError, match=match):
        params_layer_dims(p)


def test_batch_norm_is_never_on_the_output_layer():
    with pytest.raises(ValueError, match="output layer .* never has batch norm"):
        Architecture.of([3, 4, 1], None, [True, True])
    with pytest.raises(ValueError, match="batch_norm has 1 entries"):
        Architecture.of([3, 4, 1], None, [True])
    with pytest.raises(TypeError, match="batch_norm must be"):
        Architecture.of([3, 4, 1], None, "yes")
    p = xpnet.initialize_parameters([3, 4, 1])
    p["gamma2"], p["beta2"] = np.ones((1, 1)), np.zeros((1, 1))
    del p["b2"]
    with pytest.raises(ValueError, match="output layer .* never has batch norm"):
        params_layer_dims(p)
    with pytest.raises(ValueError, match="never has batch norm"):
        xpnet.train(np.zeros((3, 4)), np.zeros((1, 4)), [3, 4, 1], batch_norm=[True, True])


def test_batch_norm_needs_mini_batches_of_two_examples_or_more(data):
    X, Y = data
    with pytest.raises(ValueError, match="mini-batches of at least 2 examples"):
        _train(X, Y, mini_batch_size=1)


def test_the_architecture_names_the_statistics():
    arch = Architecture.of([3, 4, 2, 1], batch_norm=True)
    assert arch.batch_norm == (True, True, False)
    assert arch.param_keys == ["W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "b3"]
    assert arch.stat_shapes == {"running_mean1": (4, 1), "running_var1": (4, 1),
                                "running_mean2": (2, 1), "running_var2": (2, 1)}
    assert arch.weight_keys == ["W1", "W2", "W3"]
    assert Architecture.of([3, 4, 1]) == Architecture((3, 4, 1), ("relu", "sigmoid"))


def test_readme_batch_norm_example_runs(capsys):
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("## Batch normalisation", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == str(["W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "b3"])
    assert lines[2].startswith("[True, True, False] ")


def test_validation_and_early_stopping_use_the_running_statistics(data):
    """The validation pass is inference: it uses the running statistics, as predict does."""
    X, Y = data
    model = xpnet.train(X, Y, [X.shape[0], 6, 4, 1], batch_norm=True, num_epochs=8,
                        mini_batch_size=16, validation_split=0.25, early_stopping=True,
                        restore_best=True, dtype="float64")
    assert len(model.history["val_cost"]) == len(model.costs)
    best = model.config["best_epoch"]
    assert np.isfinite(model.history["val_cost"][best])
