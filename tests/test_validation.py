"""Bad input gets a clear error before any work is done.

Every case asserts the exception type and that the message names the argument (and, where the
issue asks for one, the hint: a reshape, ``.T``, the nearest valid name).
"""

from __future__ import annotations

import numpy as np
import pytest

import xpnet
from xpnet import training

DIMS = [4, 3, 1]


@pytest.fixture
def data(rng):
    X = rng.random((4, 30))
    Y = (X[:1] > 0.5).astype(np.float64)
    return X, Y


def _train(X, Y, dims=DIMS, **kw):
    kw.setdefault("num_epochs", 2)
    return xpnet.train(X, Y, dims, **kw)


def _on(backend, *arrays):
    return [backend.asarray(a) for a in arrays]


# -- shapes of X and Y --------------------------------------------------------------------------


def test_X_rows_must_equal_layer_dims0(backend, data):
    X, Y = _on(backend, *data)
    with pytest.raises(ValueError, match=r"X has 4 rows.*layer_dims\[0\] is 5"):
        _train(X, Y, [5, 3, 1])


def test_X_with_examples_as_rows_suggests_transpose(data):
    X, Y = data
    with pytest.raises(ValueError, match=r"X has 30 rows.*pass X\.T"):
        _train(X.T, Y)


def test_Y_columns_must_equal_X_columns(backend, data):
    X, Y = _on(backend, *data)
    with pytest.raises(ValueError, match=r"Y has 29 columns.*X has 30"):
        _train(X, Y[:, :29])


def test_Y_with_examples_as_rows_suggests_transpose(data):
    X, Y = data
    with pytest.raises(ValueError, match=r"Y has 1 columns.*pass Y\.T"):
        _train(X, Y.T)


def test_Y_rows_must_equal_layer_dims_last(data):
    X, Y = data
    with pytest.raises(ValueError, match=r"Y has 2 rows.*layer_dims\[-1\] is 1"):
        _train(X, np.vstack([Y, Y]))


def test_1d_X_says_how_to_reshape(data):
    X, Y = data
    with pytest.raises(ValueError, match=r"X must be 2-D.*X\.reshape\(-1, 1\)"):
        _train(X[0], Y, [1, 3, 1])


def test_1d_Y_says_how_to_reshape(data):
    X, Y = data
    with pytest.raises(ValueError, match=r"Y must be 2-D.*Y\.reshape\(1, -1\)"):
        _train(X, Y[0])


def test_image_shaped_X_says_how_to_flatten(rng):
    images = rng.random((30, 2, 2))
    with pytest.raises(ValueError, match=r"X must be 2-D.*X\.reshape\(X\.shape\[0\], -1\)\.T"):
        _train(images, np.zeros((1, 30)))


def test_non_numeric_X_names_X(data):
    _, Y = data
    with pytest.raises(ValueError, match="X could not be converted to a float32 array"):
        _train([["a"] * 30] * 4, Y)


def test_lists_are_accepted(data):
    X, Y = data
    model = _train(X.tolist(), Y.tolist())
    assert len(model.costs) == 2


# -- values of X and Y --------------------------------------------------------------------------


def test_sigmoid_labels_must_be_0_or_1(backend, data):
    X, Y = _on(backend, data[0], data[1] * 2)
    with pytest.raises(ValueError, match=r"Y must hold 0/1 labels for a sigmoid output"):
        _train(X, Y)


def test_boolean_labels_are_accepted(backend, data):
    X, Y = _on(backend, data[0], data[1] > 0.5)
    assert 0.0 <= _train(X, Y).evaluate(X, Y) <= 1.0


def test_softmax_targets_must_be_one_hot(data):
    X, _ = data
    Y = np.full((3, 30), 1 / 3)
    with pytest.raises(ValueError, match=r"Y must be one-hot \(C, m\) for a softmax output"):
        _train(X, Y, [4, 3, 3])


def test_softmax_integer_labels_must_be_in_range(backend, data):
    X, _ = data
    X, labels = _on(backend, X, np.arange(30).reshape(1, 30) % 4)
    with pytest.raises(ValueError, match=r"Y holds class labels, which must lie in 0\.\.2"):
        _train(X, labels, [4, 3, 3])


def test_softmax_labels_must_be_whole_numbers(data):
    X, _ = data
    with pytest.raises(ValueError, match="Y holds class labels.*whole numbers"):
        _train(X, np.full((1, 30), 0.5), [4, 3, 3])


def test_softmax_integer_labels_train(data):
    X, _ = data
    labels = np.arange(30) % 3
    model = _train(X, labels.reshape(1, -1), [4, 3, 3])
    assert model.evaluate(X, labels) >= 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["X", "Y"])
def test_nan_or_inf_anywhere_in_data(backend, data, bad, where):
    X, Y = (a.copy() for a in data)
    (X if where == "X" else Y)[0, 7] = bad
    X, Y = _on(backend, X, Y)
    with pytest.raises(ValueError, match=f"{where} contains NaN or infinite values"):
        _train(X, Y)


def test_values_that_overflow_float32_are_reported(data):
    X, Y = data
    with pytest.raises(ValueError, match="X contains NaN or infinite values.*float32"), \
            np.errstate(over="ignore"):
        _train(X * 1e300, Y)


def test_empty_data(data):
    X, Y = data
    with pytest.raises(ValueError, match="X has no examples"):
        _train(X[:, :0], Y[:, :0])


# -- the network --------------------------------------------------------------------------------


@pytest.mark.parametrize("dims, match", [
    ([4], "layer_dims needs at least two entries"),
    ([], "layer_dims needs at least two entries"),
    ([4, 0, 1], r"layer_dims\[1\] must be >= 1"),
    ([4, -3, 1], r"layer_dims\[1\] must be >= 1"),
])
def test_layer_dims_values(data, dims, match):
    with pytest.raises(ValueError, match=match):
        _train(*data, dims)


@pytest.mark.parametrize("dims, match", [
    ("4,3,1", "layer_dims must be a list"),
    ([4, 2.5, 1], r"layer_dims\[1\] must be an int"),
])
def test_layer_dims_types(data, dims, match):
    with pytest.raises(TypeError, match=match):
        _train(*data, dims)


def test_activations_of_wrong_length(data):
    with pytest.raises(ValueError, match="activations has 3 entries but the network has 2"):
        _train(*data, activations=["relu", "relu", "sigmoid"])


def test_unknown_activation_suggests_nearest(data):
    with pytest.raises(ValueError, match=r"activations\[0\].*'rleu'.*Did you mean 'relu'"):
        _train(*data, activations=["rleu", "sigmoid"])


def test_softmax_only_in_the_last_layer(data):
    with pytest.raises(ValueError, match=r"activations\[0\] is 'softmax'.*only .* output"):
        _train(*data, [4, 3, 3, 1], activations=["softmax", "relu", "sigmoid"])


# -- hyperparameters ----------------------------------------------------------------------------


@pytest.mark.parametrize("kw, error, match", [
    ({"learning_rate": 0}, ValueError, "learning_rate must be > 0"),
    ({"learning_rate": -0.1}, ValueError, "learning_rate must be > 0"),
    ({"learning_rate": float("nan")}, ValueError, "learning_rate must be a finite number"),
    ({"learning_rate": "fast"}, TypeError, "learning_rate must be a finite number"),
    ({"num_epochs": -1}, ValueError, "num_epochs must be >= 0"),
    ({"num_epochs": 2.0}, TypeError, "num_epochs must be an int"),
    ({"mini_batch_size": 0}, ValueError, "mini_batch_size must be >= 1"),
    ({"keep_prob": 0}, ValueError, r"keep_prob must be in \(0, 1\]"),
    ({"keep_prob": 1.5}, ValueError, r"keep_prob must be in \(0, 1\]"),
    ({"lambd": -0.1}, ValueError, "lambd must be >= 0"),
    ({"optimizer": "adma"}, ValueError, "optimizer='adma' is not known.*Did you mean 'adam'"),
    ({"optimizer": 3}, TypeError, "optimizer must be a name"),
    ({"init": "hee"}, ValueError, "init='hee' is not known.*Did you mean 'he'"),
    ({"backend": "nmupy"}, ValueError, "backend='nmupy' is not a known backend.*'numpy'"),
    ({"dtype": "float16"}, ValueError, "dtype='float16' is not supported"),
    ({"on_nan": "ignore"}, ValueError, "on_nan='ignore' is not known"),
    ({"engine": "turbo"}, ValueError, "engine='turbo' is not known"),
    ({"seed": -1}, ValueError, "seed must be None or an int >= 0, got -1"),
    ({"seed": 1.5}, TypeError, "seed must be None or an int >= 0, got 1.5"),
    ({"print_every": 0}, ValueError, "print_every must be >= 1"),
    ({"callback": "print"}, TypeError, "callback must be a function"),
    ({"lr_schedule": lambda lr0, epoch: 0.0}, ValueError, r"lr_schedule\(lr0, 0\) must be > 0"),
    ({"checkpoint_every": 2}, ValueError, "checkpoint_every needs checkpoint="),
    ({"checkpoint": "/no/such/folder/ck.npz"}, ValueError, "checkpoint=.*does not exist"),
    ({"checkpoint": 3}, TypeError, "checkpoint must be a file path"),
    ({"resume": "x.npz", "params": {}}, ValueError, "either params= or resume="),
])
def test_bad_hyperparameters(data, kw, error, match):
    with pytest.raises(error, match=match):
        _train(*data, **kw)


@pytest.mark.parametrize("make, match", [
    (lambda: xpnet.Adam(beta1=1.0), r"beta1 must be in \[0, 1\)"),
    (lambda: xpnet.Adam(beta2=-0.1), r"beta2 must be in \[0, 1\)"),
    (lambda: xpnet.Momentum(beta=1.5), r"beta must be in \[0, 1\)"),
    (lambda: xpnet.RMSProp(beta=1.0), r"beta must be in \[0, 1\)"),
    (lambda: xpnet.Adam(epsilon=0), "epsilon must be > 0"),
    (lambda: xpnet.GD(learning_rate=-1), "learning_rate must be > 0"),
])
def test_optimizer_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_numpy_scalars_are_accepted(data):
    model = _train(*data, learning_rate=np.float32(0.01), num_epochs=np.int64(2),
                   keep_prob=np.float64(0.9))
    assert len(model.costs) == 2


def test_batch_larger_than_m_means_full_batch(data):
    big = _train(*data, mini_batch_size=1000, num_epochs=3)
    full = _train(*data, num_epochs=3)
    assert big.config["mini_batch_size"] == 30
    assert big.costs == full.costs
    for k in full.params:
        np.testing.assert_array_equal(xpnet.to_numpy(big.params[k]), xpnet.to_numpy(full.params[k]))


def test_arguments_are_checked_before_any_work(data, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr(training, "initialize_parameters", no_work)
    monkeypatch.setattr(training, "_training_data", no_work)
    for kw in ({"keep_prob": 2.0}, {"init": "nope"}, {"on_nan": "nope"}, {"num_epochs": -1},
               {"activations": ["relu", "relu"]}):
        with pytest.raises(ValueError):
            _train(*data, **kw)


# -- mixing libraries and devices ----------------------------------------------------------------


@pytest.fixture
def strict():
    return xpnet.get_backend("array_api_strict")


def test_forward_refuses_arrays_of_two_libraries(strict, data):
    params = xpnet.initialize_parameters(DIMS, seed=0)  # NumPy
    with pytest.raises(TypeError, match=r"X comes from array_api_strict but params\['W1'\] "
                                        r"from numpy"):
        xpnet.forward(strict.asarray(data[0]), params, ["relu", "sigmoid"])


def test_backward_refuses_arrays_of_two_libraries(strict, data):
    X, Y = data
    params = xpnet.initialize_parameters(DIMS, seed=0)
    AL, caches = xpnet.forward(X, params, ["relu", "sigmoid"])
    with pytest.raises(TypeError, match="AL comes from numpy but Y from array_api_strict"):
        xpnet.backward(AL, strict.asarray(Y), caches, ["relu", "sigmoid"])


def test_compute_cost_refuses_arrays_of_two_libraries(strict, data):
    Y = data[1]
    with pytest.raises(TypeError, match="AL comes from array_api_strict but Y from numpy"):
        xpnet.compute_cost(strict.asarray(Y * 0.5 + 0.25), Y)


def test_optimizer_step_refuses_arrays_of_two_libraries(strict):
    params = xpnet.initialize_parameters(DIMS, seed=0)
    grads = {"d" + k: strict.asarray(v) for k, v in params.items()}
    with pytest.raises(TypeError, match=r"params\['W1'\] comes from numpy but grads\['dW1'\] "
                                        "from array_api_strict"):
        xpnet.Adam().step(params, grads)


def test_optimizer_step_checks_grads():
    params = xpnet.initialize_parameters(DIMS, seed=0)
    grads = {"d" + k: np.zeros_like(v) for k, v in params.items()}
    with pytest.raises(ValueError, match="grads has no 'db2' for parameter 'b2'"):
        xpnet.Adam().step(params, {k: v for k, v in grads.items() if k != "db2"})
    with pytest.raises(ValueError, match=r"grads\['dW1'\] has shape \(4, 3\) but W1 has shape"):
        xpnet.GD().step(params, {**grads, "dW1": grads["dW1"].T})
    with pytest.raises(TypeError, match="params and grads must be dicts"):
        xpnet.Momentum().step(params, list(grads.values()))


def test_forward_refuses_arrays_on_two_devices(data):
    import array_api_strict as xs

    params = {k: xs.asarray(v) for k, v in xpnet.initialize_parameters(DIMS, seed=0).items()}
    X = xs.asarray(data[0], device=xs.Device("device1"))
    with pytest.raises(ValueError, match=r"X is on device .*device1.* but params\['W1'\] is on"):
        xpnet.forward(X, params, ["relu", "sigmoid"])


def test_train_moves_params_to_the_data_backend(strict, data):
    params = xpnet.initialize_parameters(DIMS, seed=0)  # NumPy, the data array-api-strict
    model = _train(*(strict.asarray(a) for a in data), params=params)
    assert model.backend.name == "array_api_strict"
    assert all(xpnet.get_backend(None, p).name == "array_api_strict"
               for p in model.params.values())


def test_train_refuses_X_and_Y_of_two_libraries(strict, data):
    X, Y = data
    with pytest.raises(TypeError, match="X comes from numpy but Y from array_api_strict.*backend="):
        _train(X, strict.asarray(Y))
    assert len(_train(X, strict.asarray(Y), backend="numpy").costs) == 2


def test_train_refuses_X_and_Y_on_two_devices(data):
    import array_api_strict as xs

    X = xs.asarray(data[0], device=xs.Device("device1"))
    with pytest.raises(ValueError, match="X is on device .*device1.* but Y is on device"):
        _train(X, xs.asarray(data[1]))


def test_forward_refuses_lists(data):
    params = xpnet.initialize_parameters(DIMS, seed=0)
    with pytest.raises(TypeError, match="X must be an array"):
        xpnet.forward(data[0].tolist(), params, ["relu", "sigmoid"])


# -- params= ------------------------------------------------------------------------------------


def _params(**changes):
    params = xpnet.initialize_parameters(DIMS, seed=0)
    params.update(changes)
    return params


@pytest.mark.parametrize("params, match", [
    (_params(W2=np.ones((1, 5))),
     r"params\['W2'\] has shape \(1, 5\) but params\['W1'\] has 3 rows"),
    (_params(b1=np.ones((3,))), r"params\['b1'\] must be a 2-D array"),
    (_params(b2=np.ones((2, 1))), r"params\['b2'\] has shape \(2, 1\), expected \(1, 1\)"),
    ({"W1": np.ones((3, 4)), "b1": np.ones((3, 1))}, r"params describe layers \[4, 3\]"),
    ({"W1": np.ones((3, 4))}, "params is missing 'b1'"),
    (_params(gamma=np.ones((1, 1))), "params has unexpected entries"),
    (_params(W1=np.full((3, 4), np.nan)), r"params\['W1'\] contains NaN"),
])
def test_params_that_do_not_fit(data, params, match):
    with pytest.raises(ValueError, match=match):
        _train(*data, params=params)


def test_params_must_be_a_dict(data):
    with pytest.raises(TypeError, match="params must be a dict"):
        _train(*data, params=[np.ones((3, 4))])


def test_forward_checks_that_params_chain(data):
    with pytest.raises(ValueError, match=r"W2's columns must equal W1's rows"):
        xpnet.forward(data[0], _params(W2=np.ones((1, 5))), ["relu", "sigmoid"])


def test_forward_checks_X_rows_and_values(data):
    X, _ = data
    params = _params()
    with pytest.raises(ValueError, match=r"X has 30 rows.*columns of params\['W1'\].*X\.T"):
        xpnet.forward(X.T, params, ["relu", "sigmoid"])
    X = X.copy()
    X[1, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        xpnet.forward(X, params, ["relu", "sigmoid"])


def test_backward_checks_its_arguments(data):
    X, Y = data
    AL, caches = xpnet.forward(X, _params(), ["relu", "sigmoid"])
    with pytest.raises(ValueError, match=r"AL has shape \(1, 30\) but Y has shape \(30, 1\).*Y\.T"):
        xpnet.backward(AL, Y.T, caches, ["relu", "sigmoid"])
    with pytest.raises(TypeError, match="caches must be the list of LayerCache"):
        xpnet.backward(AL, Y, {"A": AL}, ["relu", "sigmoid"])
    with pytest.raises(ValueError, match="lambd must be >= 0"):
        xpnet.backward(AL, Y, caches, ["relu", "sigmoid"], lambd=-1)


# -- compute_cost, predict, evaluate -------------------------------------------------------------


def test_compute_cost_checks_its_arguments(data):
    Y = data[1]
    with pytest.raises(ValueError, match=r"AL must hold sigmoid outputs in \[0, 1\].*logits="):
        xpnet.compute_cost(Y * 3 - 1, Y)
    with pytest.raises(ValueError, match="Y contains NaN"):
        xpnet.compute_cost(np.full_like(Y, 0.5), Y * np.nan)
    with pytest.raises(ValueError, match=r"Y must hold targets in \[0, 1\]"):
        xpnet.compute_cost(np.full_like(Y, 0.5), Y + 1)
    with pytest.raises(ValueError, match="activation='relu' is not known"):
        xpnet.compute_cost(np.full_like(Y, 0.5), Y, activation="relu")


@pytest.fixture
def model(data):
    return _train(*data)


def test_predict_checks_X(model, data):
    X = data[0]
    with pytest.raises(ValueError, match=r"X has 30 rows.*layer_dims\[0\] is 4.*X\.T"):
        model.predict(X.T)
    with pytest.raises(ValueError, match=r"X must be 2-D.*reshape"):
        model.predict(X[:, 0])
    with pytest.raises(ValueError, match="X contains NaN"):
        model.predict(X * np.nan)


def test_evaluate_checks_Y(model, data):
    X, Y = data
    with pytest.raises(ValueError, match=r"Y has 1 columns.*X has 30.*Y\.T"):
        model.evaluate(X, Y.T)
    with pytest.raises(ValueError, match="Y must hold 0/1 labels"):
        model.evaluate(X, Y * 3)
    with pytest.raises(ValueError, match="Y contains NaN"):
        model.evaluate(X, Y * np.nan)
    with pytest.raises(ValueError, match="X has no examples"):
        model.evaluate(X[:, :0], Y[:, :0])


def test_evaluate_softmax_accepts_labels_and_one_hot_only(data):
    X, _ = data
    labels = np.arange(30) % 3
    model = _train(X, labels.reshape(1, -1), [4, 3, 3])
    one_hot = xpnet.one_hot(labels, 3, dtype="float64")
    assert model.evaluate(X, one_hot) == model.evaluate(X, labels)
    with pytest.raises(ValueError, match=r"Y holds class labels, which must lie in 0\.\.2"):
        model.evaluate(X, labels + 1)
