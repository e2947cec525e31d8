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


# -- checking the user's gradients ---------------------------------------------------------------


def test_gradient_check_takes_the_gradients_to_check(backend):
    params, X, Y, acts = _problem(backend, "sigmoid", "tanh", 1)
    AL, caches = xpnet.forward(X, params, acts)
    grads = xpnet.backward(AL, Y, caches, acts, lambd=0.7)
    assert xpnet.gradient_check(params, X, Y, acts, gradients=grads, lambd=0.7) < 1e-7
    # the user's gradients, not xpnet's, are checked: forgetting the L2 term is found
    plain = xpnet.backward(AL, Y, caches, acts)
    assert xpnet.gradient_check(params, X, Y, acts, gradients=plain, lambd=0.7) > 1e-4


def test_per_parameter_breakdown_names_the_parameter_that_is_off(backend):
    params, X, Y, acts = _problem(backend, "sigmoid", "relu", 1)
    AL, caches = xpnet.forward(X, params, acts)
    grads = xpnet.backward(AL, Y, caches, acts)
    good = xpnet.gradient_check(params, X, Y, acts, gradients=grads, return_details=True)
    assert isinstance(good, xpnet.GradientCheck)
    assert good.ok and good.off == () and "match" in good.message
    assert list(good.per_parameter) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert all(d < 1e-7 for d in good.per_parameter.values())
    assert {k: tuple(v.shape) for k, v in good.grad.items()} == \
        {k: tuple(v.shape) for k, v in params.items()}

    bad = xpnet.gradient_check(params, X, Y, acts, gradients={**grads, "dW2": 2 * grads["dW2"]},
                               return_details=True)
    assert not bad.ok and bad.off == ("W2",)
    assert bad.per_parameter["W2"] == pytest.approx(1 / 3, rel=1e-6)  # |2g - g| / (|2g| + |g|)
    assert "off: W2" in bad.message and str(bad) == bad.message
    assert bad.difference == xpnet.gradient_check(
        params, X, Y, acts, gradients={**grads, "dW2": 2 * grads["dW2"]})


def test_the_course_form_without_activations_and_with_extra_gradient_keys():
    """gradient_check(parameters, X, Y, gradients=...) as the course's gradient_check_n: ReLU
    hidden layers and a sigmoid output by default; the course's dA/dZ entries are ignored."""
    backend = xpnet.get_backend("numpy")
    params, X, Y, acts = _problem(backend, "sigmoid", "relu", 1)
    AL, caches = xpnet.forward(X, params, ["relu", "relu", "sigmoid"])
    grads = xpnet.backward(AL, Y, caches, ["relu", "relu", "sigmoid"], return_dX=True)
    grads["dZ3"] = AL - Y
    assert xpnet.gradient_check(params, X, Y, gradients=grads) < 1e-7


def test_gradients_are_checked_before_any_work():
    backend = xpnet.get_backend("numpy")
    params, X, Y, acts = _problem(backend, "sigmoid", "relu", 1)
    grads = {"d" + k: np.zeros(v.shape) for k, v in params.items()}
    with pytest.raises(ValueError, match="gradients has no 'db2' for parameter 'b2'"):
        xpnet.gradient_check(params, X, Y, acts, gradients={k: v for k, v in grads.items()
                                                             if k != "db2"})
    with pytest.raises(ValueError, match=r"gradients\['dW1'\] has shape \(4, 5\) but W1 has "
                                         r"shape \(5, 4\)"):
        xpnet.gradient_check(params, X, Y, acts, gradients={**grads, "dW1": np.zeros((4, 5))})
    with pytest.raises(TypeError, match="gradients must be a dict"):
        xpnet.gradient_check(params, X, Y, acts, gradients=[1, 2])
    with pytest.raises(ValueError, match="contains NaN"):
        xpnet.gradient_check(params, X, Y, acts,
                             gradients={**grads, "db1": np.full((5, 1), np.nan)})


def test_a_1d_y_gets_the_same_clear_error_as_backward():
    backend = xpnet.get_backend("numpy")
    params, X, Y, acts = _problem(backend, "sigmoid", "relu", 1)
    y = Y[0]
    with pytest.raises(ValueError) as from_check:
        xpnet.gradient_check(params, X, y, acts)
    AL, caches = xpnet.forward(X, params, acts)
    with pytest.raises(ValueError) as from_backward:
        xpnet.backward(AL, y, caches, acts)
    assert str(from_check.value) == str(from_backward.value)
    assert "Y.reshape(1, -1)" in str(from_check.value)
    with pytest.raises(ValueError, match="Y has 5 columns"):
        xpnet.gradient_check(params, X, Y[:, :5], acts)
    with pytest.raises(ValueError, match="X has 3 rows"):
        xpnet.gradient_check(params, X[:3], Y, acts)


def test_a_difference_over_threshold_without_a_parameter_off_names_the_largest():
    check = xpnet.GradientCheck(difference=2e-7, per_parameter={"W1": 3e-7, "b1": 1e-9},
                                grad={}, approx={}, threshold=1e-7, off=())
    assert not check.ok
    assert check.message.endswith("largest in W1 (3e-07)")
