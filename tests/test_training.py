"""``xpnet.train`` end to end: same result on every backend, learning, staging, Model API."""

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host


def _binary(m=60, n=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, m))
    Y = ((X[0] * X[1] + 0.3 * X[2]) > 0).astype(float).reshape(1, m)
    return X, Y


def _multiclass(m=90, n=4, C=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, m))
    labels = np.argmax(X[:C], axis=0)
    return X, labels.reshape(1, m)


CONFIGS = [
    dict(optimizer="gd", learning_rate=0.1),
    dict(optimizer="momentum", learning_rate=0.05, mini_batch_size=16),
    dict(optimizer="rmsprop", learning_rate=0.01, mini_batch_size=16, lambd=0.3),
    dict(optimizer="adam", learning_rate=0.01, mini_batch_size=16, keep_prob=0.8),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c["optimizer"])
def test_every_backend_matches_numpy_to_float64_round_off(backend, config):
    X, Y = _binary()
    kw = dict(layer_dims=[5, 8, 4, 1], num_epochs=15, seed=3, dtype="float64", engine="generic",
              **config)
    ref = xpnet.train(X, Y, backend="numpy", **kw)
    ours = xpnet.train(X, Y, backend=backend, **kw)
    for k in ref.params:
        np.testing.assert_allclose(host(ours.params[k]), host(ref.params[k]), rtol=1e-10,
                                   atol=1e-12)
    np.testing.assert_allclose(ours.costs, ref.costs, rtol=1e-10)


def test_strict_and_numpy_agree_on_the_four_layer_cat_network():
    rng = np.random.default_rng(0)
    X = rng.random((12288, 40))
    Y = (rng.random((1, 40)) > 0.6).astype(float)
    kw = dict(layer_dims=[12288, 20, 7, 5, 1], optimizer="gd", num_epochs=3, dtype="float64",
              engine="generic")
    a = xpnet.train(X, Y, backend="numpy", **kw)
    b = xpnet.train(X, Y, backend="array_api_strict", **kw)
    for k in a.params:
        np.testing.assert_allclose(host(b.params[k]), a.params[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
def test_the_cost_falls_and_the_model_learns(optimizer):
    X, Y = _binary(m=200)
    model = xpnet.train(X, Y, [5, 16, 8, 1], optimizer=optimizer,
                        learning_rate=0.3 if optimizer in ("gd", "momentum") else 0.01,
                        num_epochs=300, mini_batch_size=32)
    assert len(model.costs) == 300
    assert model.costs[-1] < 0.5 * model.costs[0]
    assert model.evaluate(X, Y) > 0.9


def test_softmax_with_integer_labels_is_one_hot_encoded():
    X, labels = _multiclass()
    model = xpnet.train(X, labels, [4, 10, 3], learning_rate=0.02, num_epochs=200)
    assert model.activations == ["relu", "softmax"]
    assert model.evaluate(X, labels) > 0.9
    onehot = np.eye(3)[:, labels[0]]
    assert model.evaluate(X, onehot) == model.evaluate(X, labels)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=0), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(model.predict(X), np.argmax(proba, axis=0).reshape(1, -1))


def test_linear_output_regression():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 100))
    Y = (X[:1] * 2.0 - X[1:2]).reshape(1, 100)
    model = xpnet.train(X, Y, [3, 1], activations=["linear"], optimizer="gd", learning_rate=0.5,
                        num_epochs=200, dtype="float64")
    np.testing.assert_allclose(model.params["W1"], [[2.0, -1.0, 0.0]], atol=1e-3)
    with pytest.raises(ValueError, match="classification accuracy"):
        model.evaluate(X, Y)


def test_the_first_cost_is_the_cost_before_any_update():
    X, Y = _binary()
    model = xpnet.train(X, Y, [5, 4, 1], optimizer="gd", num_epochs=1, seed=7, dtype="float64")
    params = xpnet.initialize_parameters([5, 4, 1], "he", seed=7, dtype="float64")
    AL, caches = xpnet.forward(X, params, ["relu", "sigmoid"])
    assert model.costs[0] == pytest.approx(xpnet.compute_cost(AL, Y, logits=caches[-1].Z), rel=1e-12)


def test_training_in_stages_continues_from_params():
    X, Y = _binary()
    kw = dict(optimizer="gd", learning_rate=0.05, dtype="float64", seed=1)
    straight = xpnet.train(X, Y, [5, 6, 1], num_epochs=20, **kw)
    first = xpnet.train(X, Y, [5, 6, 1], num_epochs=12, **kw)
    second = xpnet.train(X, Y, [5, 6, 1], num_epochs=8, params=first.params, **kw)
    for k in straight.params:
        np.testing.assert_allclose(second.params[k], straight.params[k], rtol=1e-13)
    assert first.costs + second.costs == pytest.approx(straight.costs, rel=1e-13)


def test_same_seed_same_result_and_other_seed_differs():
    X, Y = _binary()
    kw = dict(layer_dims=[5, 6, 1], num_epochs=10, mini_batch_size=8, keep_prob=0.9)
    a, b = xpnet.train(X, Y, seed=4, **kw), xpnet.train(X, Y, seed=4, **kw)
    c = xpnet.train(X, Y, seed=5, **kw)
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    assert a.costs == b.costs
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_optimizer_instance_keeps_its_learning_rate():
    X, Y = _binary()
    model = xpnet.train(X, Y, [5, 1], optimizer=xpnet.Momentum(learning_rate=0.02, beta=0.8),
                        num_epochs=2)
    assert model.config["learning_rate"] == 0.02 and model.config["beta"] == 0.8


def test_mini_batch_larger_than_m_means_full_batch():
    X, Y = _binary(m=30)
    kw = dict(layer_dims=[5, 3, 1], optimizer="gd", num_epochs=4, dtype="float64")
    full = xpnet.train(X, Y, **kw)
    big = xpnet.train(X, Y, mini_batch_size=1000, **kw)
    np.testing.assert_array_equal(full.params["W1"], big.params["W1"])
    assert big.config["mini_batch_size"] == 30


def test_save_and_load_round_trip(tmp_path):
    X, Y = _binary()
    model = xpnet.train(X, Y, [5, 4, 1], num_epochs=5)
    path = tmp_path / "model.npz"
    model.save(str(path))
    loaded = xpnet.load(path)
    assert loaded.layer_dims == model.layer_dims and loaded.activations == model.activations
    assert loaded.costs == model.costs and loaded.dtype == "float32"
    for k in model.params:
        np.testing.assert_array_equal(loaded.params[k], model.params[k])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    strict = xpnet.load(path, backend="array_api_strict")
    np.testing.assert_array_equal(host(strict.predict(X)), model.predict(X))


def test_predictions_come_back_as_numpy_for_numpy_input(backend):
    X, Y = _binary()
    model = xpnet.train(X, Y, [5, 4, 1], num_epochs=3, backend=backend)
    assert isinstance(model.predict(X), np.ndarray)
    assert model.predict(X).shape == (1, 60)
    assert set(np.unique(model.predict(X))) <= {0, 1}
    device_pred = model.predict(backend.asarray(X, "float32"))
    np.testing.assert_array_equal(host(device_pred), model.predict(X))


def test_zero_epochs_returns_the_initial_network():
    X, Y = _binary()
    model = xpnet.train(X, Y, [5, 3, 1], num_epochs=0, seed=2)
    np.testing.assert_array_equal(model.params["W1"],
                                  xpnet.initialize_parameters([5, 3, 1], seed=2)["W1"])
    assert model.costs == []


def test_print_cost(capsys):
    X, Y = _binary()
    xpnet.train(X, Y, [5, 1], num_epochs=3, print_cost=True, print_every=2)
    out = capsys.readouterr().out
    assert "Cost after epoch 0:" in out and "Cost after epoch 2:" in out
    assert "epoch 1:" not in out


def test_a_trained_model_pickles_with_its_backend(backend):
    import pickle

    X, Y = _binary()
    model = xpnet.train(X, Y, [5, 3, 1], num_epochs=2, backend=backend)
    clone = pickle.loads(pickle.dumps(model))
    assert clone.backend == model.backend
    np.testing.assert_array_equal(clone.predict(X), model.predict(X))


def test_config_records_where_the_starting_weights_came_from():
    X, Y = _binary()
    first = xpnet.train(X, Y, [5, 3, 1], num_epochs=1, init="xavier")
    assert first.config["init"] == "xavier"
    second = xpnet.train(X, Y, [5, 3, 1], num_epochs=1, params=first.params)
    assert second.config["init"] == "params="


def test_training_data_is_held_once():
    """The engine keeps the only copy of the training data: the course's examples-major
    ``x.reshape(m, -1).T`` is trained on in place (no copy of X at all), and a C-ordered X
    is copied once, by the engine, into the layout it needs."""
    import tracemalloc

    rng = np.random.default_rng(0)
    examples = rng.standard_normal((3000, 1000)).astype(np.float32)  # 12 MB
    Y = (examples[:, :1].T > 0).astype(np.float32)
    size = examples.nbytes
    # a first run imports and caches what training needs, which tracemalloc would count
    xpnet.train(examples.T[:, :10], Y[:, :10], [1000, 4, 1], num_epochs=1, engine="numpy")
    for X, copies in ((examples.T, 0), (np.ascontiguousarray(examples.T), 1)):
        tracemalloc.start()
        xpnet.train(X, Y, [1000, 4, 1], num_epochs=1, mini_batch_size=256, engine="numpy")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert copies * size <= peak < (copies + 0.5) * size, (copies, peak / size)
