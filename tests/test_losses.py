"""Costs: hand-checked values, stability for saturated outputs, logits vs probabilities, L2."""

import math
import warnings

import numpy as np
import pytest

import xpnet
from xpnet.losses import cost_array


def test_binary_cross_entropy_known_value(backend):
    AL = backend.asarray([[0.8, 0.9, 0.4]], "float64")
    Y = backend.asarray([[1.0, 1.0, 0.0]], "float64")
    expected = -(math.log(0.8) + math.log(0.9) + math.log(0.6)) / 3  # 0.2797765635793422
    assert xpnet.compute_cost(AL, Y) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.2797765635793422)


def test_categorical_cross_entropy_known_value(backend):
    AL = backend.asarray([[0.7, 0.1], [0.2, 0.3], [0.1, 0.6]], "float64")
    Y = backend.asarray([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]], "float64")
    expected = -(math.log(0.7) + math.log(0.6)) / 2
    assert xpnet.compute_cost(AL, Y) == pytest.approx(expected, rel=1e-12)


def test_half_mean_squared_error_for_linear_output(backend):
    AL = backend.asarray([[1.0, 2.0], [0.0, 1.0]], "float64")
    Y = backend.asarray([[0.0, 2.0], [2.0, 1.0]], "float64")
    # 1/(2m) * sum of squares = (1 + 4) / 4
    assert xpnet.compute_cost(AL, Y, activation="linear") == pytest.approx(1.25)


def test_l2_term_added(backend):
    AL = backend.asarray([[0.5, 0.5]], "float64")
    Y = backend.asarray([[1.0, 0.0]], "float64")
    params = {"W1": backend.asarray([[1.0, 2.0]], "float64"), "b1": backend.asarray([[0.0]], "float64"),
              "W2": backend.asarray([[3.0]], "float64"), "b2": backend.asarray([[0.0]], "float64")}
    base = xpnet.compute_cost(AL, Y)
    with_l2 = xpnet.compute_cost(AL, Y, params=params, lambd=0.1)
    assert with_l2 - base == pytest.approx(0.1 / (2 * 2) * (1 + 4 + 9))


def test_lambd_without_params_is_an_error(backend):
    AL = backend.asarray([[0.5]], "float64")
    with pytest.raises(ValueError, match="params="):
        xpnet.compute_cost(AL, AL, lambd=0.5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_saturated_probabilities_give_a_finite_cost(backend, dtype):
    AL = backend.asarray([[0.0, 1.0, 1.0, 0.0]], dtype)
    Y = backend.asarray([[1.0, 0.0, 1.0, 0.0]], dtype)
    with pytest.warns(UserWarning, match=r"2 of the outputs AL are saturated.*logits="):
        cost = xpnet.compute_cost(AL, Y)
    assert math.isfinite(cost) and cost > 1.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clipping_warns_only_when_it_lowers_the_cost(backend, dtype):
    """Outputs saturated on the right side of their targets change the cost by at most eps per
    example (no warning); on the wrong side their true loss is larger (a warning)."""
    right = backend.asarray([[1.0, 0.0, 0.7]], dtype)
    Y = backend.asarray([[1.0, 0.0, 1.0]], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xpnet.compute_cost(right, Y)
        xpnet.compute_cost(backend.asarray([[0.0, 0.5]], dtype), backend.asarray([[1.0, 1.0]],
                                                                                   dtype),
                           logits=backend.asarray([[-800.0, 0.0]], dtype))
    with pytest.warns(UserWarning, match="1 of the outputs"):
        xpnet.compute_cost(backend.asarray([[1.0, 0.0, 0.7]], dtype),
                           backend.asarray([[0.0, 0.0, 1.0]], dtype))
    # softmax: a class given probability 0 where Y says it is the one
    AL = backend.asarray([[1.0, 0.5], [0.0, 0.5]], dtype)
    with pytest.warns(UserWarning, match="1 of the outputs"):
        xpnet.compute_cost(AL, backend.asarray([[0.0, 1.0], [1.0, 0.0]], dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xpnet.compute_cost(AL, backend.asarray([[1.0, 1.0], [0.0, 0.0]], dtype))


def test_clipped_cost_of_a_saturated_net_is_far_below_the_true_one():
    """The course's "random ×10" start (circles, weights N(0, 1)·10) saturates its outputs: from
    the probabilities the cost is clipped, from the logits it is the true one."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 300))
    Y = (rng.random((1, 300)) > 0.5).astype(float)
    params = xpnet.initialize_parameters([2, 10, 5, 1], "random", scale=10.0, seed=3,
                                         dtype="float64")
    AL, caches = xpnet.forward(X, params, ["relu", "relu", "sigmoid"])
    exact = xpnet.compute_cost(AL, Y, logits=caches[-1].Z)
    with pytest.warns(UserWarning, match="logits="):
        clipped = xpnet.compute_cost(AL, Y)
    assert clipped < exact / 2


@pytest.mark.parametrize("activation", ["sigmoid", "softmax"])
def test_cost_from_logits_is_exact_where_probabilities_saturate(backend, activation, rng):
    xp = backend.xp
    n = 1 if activation == "sigmoid" else 3
    Z_np = rng.standard_normal((n, 6)) * 200.0  # |z| in the hundreds: float64 saturates
    Y_np = (np.eye(n)[:, rng.integers(0, n, 6)] if n > 1
            else (rng.random((1, 6)) > 0.5).astype(float))
    Z, Y = backend.asarray(Z_np, "float64"), backend.asarray(Y_np, "float64")
    act = xpnet.get_activation(activation)
    cost = float(cost_array(xp, act.forward(xp, Z), Y, activation, logits=Z))
    if n == 1:
        ref = np.mean(np.logaddexp(0, Z_np) - Y_np * Z_np)
    else:
        lse = np.log(np.sum(np.exp(Z_np - Z_np.max(0)), 0)) + Z_np.max(0)
        ref = np.mean(np.sum(Y_np * (lse - Z_np), 0))
    assert cost == pytest.approx(ref, rel=1e-12)


def test_logits_and_probabilities_agree_when_not_saturated(backend, rng):
    xp = backend.xp
    Z = backend.asarray(rng.standard_normal((1, 8)), "float64")
    Y = backend.asarray((rng.random((1, 8)) > 0.5).astype(float), "float64")
    A = xpnet.get_activation("sigmoid").forward(xp, Z)
    assert xpnet.compute_cost(A, Y, logits=Z) == pytest.approx(xpnet.compute_cost(A, Y), rel=1e-12)


def test_shape_mismatch_is_reported(backend):
    with pytest.raises(ValueError, match=r"AL has shape \(1, 3\) but Y has shape \(1, 2\)"):
        xpnet.compute_cost(backend.asarray([[0.5, 0.5, 0.5]]), backend.asarray([[1.0, 0.0]]))


def test_the_courses_random_x10_start_on_the_circles():
    """The issue's figures: the course's weights N(0, 1)·10 (``np.random.seed(3)``) on the
    circles give 18.02 from clipped probabilities and 1773.59 from the logits."""
    pytest.importorskip("sklearn", reason="make_circles needs scikit-learn")
    from xpnet import datasets

    data = datasets.make_circles(dtype="float64")
    draws = np.random.RandomState(3)  # the course's np.random.seed(3); np.random.randn
    dims = [2, 10, 5, 1]
    params = {}
    for l in range(1, 4):
        params[f"W{l}"] = draws.randn(dims[l], dims[l - 1]) * 10
        params[f"b{l}"] = np.zeros((dims[l], 1))
    AL, caches = xpnet.forward(data.train_x, params, ["relu", "relu", "sigmoid"])
    Y = data.train_y.astype(float)
    assert xpnet.compute_cost(AL, Y, logits=caches[-1].Z) == pytest.approx(1773.586, abs=1e-3)
    with pytest.warns(UserWarning, match="150 of the outputs"):
        assert xpnet.compute_cost(AL, Y) == pytest.approx(18.0218, abs=1e-4)
