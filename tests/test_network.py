"""Forward and backward propagation: shapes, known values, dropout, no dX unless asked."""

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host


def _net(backend, dims=(5, 4, 3, 1), m=7, dtype="float64", seed=0):
    params = xpnet.initialize_parameters(list(dims), "he", seed=seed, dtype=dtype, backend=backend)
    rng = np.random.default_rng(seed)
    X = backend.asarray(rng.standard_normal((dims[0], m)), dtype)
    Y = backend.asarray((rng.random((dims[-1], m)) > 0.5).astype(float), dtype)
    return params, X, Y


def test_forward_shapes_and_caches(backend):
    params, X, _ = _net(backend)
    AL, caches = xpnet.forward(X, params, ["relu", "relu", "sigmoid"])
    assert tuple(AL.shape) == (1, 7) and len(caches) == 3
    assert [tuple(c.Z.shape) for c in caches] == [(4, 7), (3, 7), (1, 7)]
    assert caches[0].A_prev is X


def test_forward_matches_a_hand_computation(backend):
    W1, b1 = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([[0.0], [-1.0]])
    W2, b2 = np.array([[1.0, 1.0]]), np.array([[0.5]])
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    params = {k: backend.asarray(v, "float64") for k, v in
              {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.items()}
    AL, _ = xpnet.forward(backend.asarray(X, "float64"), params, ["relu", "sigmoid"])
    A1 = np.maximum(W1 @ X + b1, 0)
    expected = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
    np.testing.assert_allclose(host(AL), expected, rtol=1e-12)


def test_backward_shapes_and_no_input_gradient_by_default(backend):
    params, X, Y = _net(backend)
    acts = ["relu", "tanh", "sigmoid"]
    AL, caches = xpnet.forward(X, params, acts)
    grads = xpnet.backward(AL, Y, caches, acts)
    assert set(grads) == {"dW1", "db1", "dW2", "db2", "dW3", "db3"}
    for key, P in params.items():
        assert tuple(grads["d" + key].shape) == tuple(P.shape)
    with_dx = xpnet.backward(AL, Y, caches, acts, return_dX=True)
    assert tuple(with_dx["dA0"].shape) == tuple(X.shape)
    for key in grads:
        np.testing.assert_allclose(host(with_dx[key]), host(grads[key]), rtol=1e-12)


def test_dropout_zeroes_units_and_rescales(backend):
    params, X, _ = _net(backend, dims=(5, 200, 1), m=50)
    AL, caches = xpnet.forward(X, params, ["relu", "sigmoid"], keep_prob=0.8, rng=3)
    D = host(caches[0].D)
    assert set(np.unique(D)) <= {0.0, 1.0}
    assert 0.7 < D.mean() < 0.9
    np.testing.assert_allclose(host(caches[1].A_prev), host(caches[0].A) * D / 0.8, rtol=1e-12)
    assert caches[1].D is None  # never on the output layer


def test_dropout_masks_are_the_same_on_every_backend(backend):
    params, X, _ = _net(backend, dims=(5, 30, 1), m=9)
    _, caches = xpnet.forward(X, params, ["relu", "sigmoid"], keep_prob=0.5, rng=11)
    ref_params, ref_X, _ = _net(xpnet.get_backend("numpy"), dims=(5, 30, 1), m=9)
    _, ref = xpnet.forward(ref_X, ref_params, ["relu", "sigmoid"], keep_prob=0.5, rng=11)
    np.testing.assert_array_equal(host(caches[0].D), host(ref[0].D))


def test_dropout_gradient_uses_the_forward_mask(backend):
    params, X, Y = _net(backend, dims=(4, 6, 1), m=5)
    acts = ["tanh", "sigmoid"]
    AL, caches = xpnet.forward(X, params, acts, keep_prob=0.7, rng=2)
    grads = xpnet.backward(AL, Y, caches, acts, keep_prob=0.7)
    # Hand-derived: dZ2 = (AL - Y)/m; dA1 = W2.T dZ2 * D/keep; dZ1 = dA1 (1 - tanh^2).
    m = 5
    dZ2 = (host(AL) - host(Y)) / m
    dA1 = host(params["W2"]).T @ dZ2 * host(caches[0].D) / 0.7
    dZ1 = dA1 * (1 - host(caches[0].A) ** 2)
    np.testing.assert_allclose(host(grads["dW1"]), dZ1 @ host(X).T, rtol=1e-10)


def test_softmax_only_in_the_output_layer(backend):
    params, X, _ = _net(backend)
    with pytest.raises(ValueError, match=r"activations\[0\] is 'softmax'.*only allowed in the output"):
        xpnet.forward(X, params, ["softmax", "relu", "sigmoid"])


def test_wrong_number_of_activations(backend):
    params, X, _ = _net(backend)
    with pytest.raises(ValueError, match="activations has 2 entries but the network has 3 layers"):
        xpnet.forward(X, params, ["relu", "sigmoid"])


def test_examples_as_rows_suggest_transpose(backend):
    params, X, _ = _net(backend, dims=(5, 3, 1), m=5)
    bad = backend.asarray(np.ones((4, 5)), "float64")
    with pytest.raises(ValueError, match=r"X has 4 rows.*pass X\.T"):
        xpnet.forward(bad, params, ["relu", "sigmoid"])
