"""Gradient checks in float64: every hidden activation, each output kind, with L2, 3+ layers."""

import numpy as np
import pytest

import xpnet

HIDDEN = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]


def _problem(backend, output, hidden, n_out, seed=0):
    dims = [4, 5, 3, n_out]
    rng = np.random.default_rng(seed)
    params = xpnet.initialize_parameters(dims, "xavier", seed=seed, dtype="float64", backend=backend)
    X = rng.standard_normal((4, 6))
    if output == "softmax":
        Y = np.eye(n_out)[:, rng.integers(0, n_out, 6)]
    elif output == "sigmoid":
        Y = (rng.random((n_out, 6)) > 0.5).astype(float)
    else:
        Y = rng.standard_normal((n_out, 6))
    return params, backend.asarray(X, "float64"), backend.asarray(Y, "float64"), \
        [hidden, hidden, output]


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output, n_out", [("sigmoid", 1), ("softmax", 3), ("linear", 2)])
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_backward_passes_gradient_check(backend, hidden, output, n_out, lambd):
    params, X, Y, acts = _problem(backend, output, hidden, n_out)
    diff = xpnet.gradient_check(params, X, Y, acts, lambd=lambd)
    assert diff < 1e-7, f"relative difference {diff:.3e}"


def test_gradient_check_catches_a_planted_wrong_gradient(monkeypatch):
    backend = xpnet.get_backend("numpy")
    params, X, Y, acts = _problem(backend, "sigmoid", "relu", 1)
    assert xpnet.gradient_check(params, X, Y, acts) < 1e-7

    import xpnet.activations as activations

    real = activations.ReLU.backward
    # A classic bug: ReLU gradient taken as 1 everywhere.
    monkeypatch.setattr(activations.ReLU, "backward", lambda self, xp, dA, Z, A: dA)
    assert xpnet.gradient_check(params, X, Y, acts) > 1e-3
    monkeypatch.setattr(activations.ReLU, "backward", real)


def test_gradient_check_catches_a_missing_l2_gradient(monkeypatch):
    backend = xpnet.get_backend("numpy")
    params, X, Y, acts = _problem(backend, "sigmoid", "tanh", 1)
    import xpnet.network as network

    real = network._backward
    monkeypatch.setattr(network, "_backward",
                        lambda xp, AL, Y, caches, acts, **kw:
                        real(xp, AL, Y, caches, acts, **{**kw, "lambd": 0.0}))
    import xpnet.gradcheck as gradcheck

    monkeypatch.setattr(gradcheck, "_backward", network._backward)
    assert xpnet.gradient_check(params, X, Y, acts, lambd=0.7) > 1e-4


def test_gradient_check_converts_float32_parameters_to_float64():
    backend = xpnet.get_backend("numpy")
    params = xpnet.initialize_parameters([3, 4, 1], seed=1, dtype="float32")
    X = np.random.default_rng(1).standard_normal((3, 5)).astype(np.float32)
    Y = np.array([[1, 0, 1, 1, 0]], dtype=np.float32)
    assert xpnet.gradient_check(params, X, Y, ["tanh", "sigmoid"]) < 1e-7
    assert backend.name == "numpy"
