"""Activations: values, gradients against finite differences, overflow safety."""

import numpy as np
import pytest

from xpnet import to_numpy as host
from xpnet.activations import ACTIVATIONS, get_activation

HIDDEN = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]


@pytest.mark.parametrize("name", HIDDEN)
def test_gradient_matches_finite_differences(backend, name, rng):
    act = get_activation(name)
    xp = backend.xp
    Z_np = rng.standard_normal((4, 7))
    Z_np[np.abs(Z_np) < 1e-3] = 0.5  # keep away from the ReLU kink
    dA_np = rng.standard_normal((4, 7))
    Z, dA = backend.asarray(Z_np, "float64"), backend.asarray(dA_np, "float64")
    dZ = host(act.backward(xp, dA, Z, act.forward(xp, Z)))
    eps = 1e-6
    f = lambda z: host(act.forward(xp, backend.asarray(z, "float64")))  # noqa: E731
    numeric = dA_np * (f(Z_np + eps) - f(Z_np - eps)) / (2 * eps)
    np.testing.assert_allclose(dZ, numeric, rtol=1e-6, atol=1e-8)


def test_known_values(backend):
    xp = backend.xp
    Z = backend.asarray([[-2.0, 0.0, 3.0]], "float64")
    np.testing.assert_allclose(host(get_activation("relu").forward(xp, Z)), [[0, 0, 3]])
    np.testing.assert_allclose(host(get_activation("leaky_relu").forward(xp, Z)), [[-0.02, 0, 3]])
    np.testing.assert_allclose(host(get_activation("sigmoid").forward(xp, Z)),
                               1 / (1 + np.exp([[2.0, 0.0, -3.0]])))
    np.testing.assert_allclose(host(get_activation("tanh").forward(xp, Z)), np.tanh([[-2, 0, 3]]))


def test_sigmoid_and_softmax_do_not_overflow(backend):
    xp = backend.xp
    Z = backend.asarray([[-1e4, 1e4], [0.0, -1e4]], "float32")
    with np.errstate(over="raise"):
        S = host(get_activation("sigmoid").forward(xp, Z))
        P = host(get_activation("softmax").forward(xp, Z))
    assert np.all(np.isfinite(S)) and np.all((S >= 0) & (S <= 1))
    np.testing.assert_allclose(P.sum(axis=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(P, [[0, 1], [1, 0]], atol=1e-6)


def test_softmax_jacobian_vector_product(backend, rng):
    xp = backend.xp
    act = get_activation("softmax")
    Z_np, dA_np = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    Z = backend.asarray(Z_np, "float64")
    dZ = host(act.backward(xp, backend.asarray(dA_np, "float64"), Z, act.forward(xp, Z)))
    for j in range(5):
        p = np.exp(Z_np[:, j]) / np.exp(Z_np[:, j]).sum()
        J = np.diag(p) - np.outer(p, p)
        np.testing.assert_allclose(dZ[:, j], J @ dA_np[:, j], rtol=1e-10, atol=1e-12)


def test_unknown_activation_suggests_a_name():
    with pytest.raises(ValueError, match=r"activation='reul' is not known.*Did you mean 'relu'"):
        get_activation("reul")


def test_registry_has_the_course_names():
    assert set(ACTIVATIONS) == {"relu", "leaky_relu", "tanh", "sigmoid", "linear", "softmax"}
