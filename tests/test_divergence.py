"""A run that diverges stops and says so; huge inputs never give a silent NaN."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host
from xpnet.engines import GenericEngine
from xpnet.training import DivergenceError


@pytest.fixture
def regression(rng):
    """A linear-output problem that plain gradient descent with a large rate blows up."""
    X = rng.random((4, 40))
    Y = 3.0 * X[:1] - X[1:2]
    return X, Y


def _diverging(X, Y, **kw):
    return xpnet.train(X, Y, [4, 5, 1], activations=["relu", "linear"], optimizer="gd",
                       learning_rate=5.0, num_epochs=200, **kw)


def _assert_same_model(a, b):
    assert a.costs == b.costs
    for k in b.params:
        np.testing.assert_array_equal(host(a.params[k]), host(b.params[k]))


def _assert_finite(model):
    assert all(np.isfinite(model.costs))
    assert all(np.all(np.isfinite(host(p))) for p in model.params.values())


def test_divergence_raises_naming_the_epoch_and_a_lower_learning_rate(regression):
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(DivergenceError) as info:
        _diverging(*regression)
    exc = info.value
    assert isinstance(exc, FloatingPointError)
    assert f"diverged at epoch {exc.epoch}" in str(exc)
    assert "lower learning_rate" in str(exc) and "try 0.5" in str(exc)
    assert exc.epoch > 0


def test_divergence_keeps_the_last_parameters_with_a_finite_cost(regression):
    """The cost of epoch e overflowed: the parameters after epoch e-1 are finite but already
    overflow, so the model keeps those after epoch e-2, which gave the finite cost of e-1."""
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(DivergenceError) as info:
        _diverging(*regression)
    kept, epoch = info.value.model, info.value.epoch
    _assert_finite(kept)
    assert np.all(np.isfinite(kept.predict(regression[0])))
    assert len(kept.costs) == epoch - 1
    assert f"keeps the parameters after epoch {epoch - 2}" in str(info.value)
    before = xpnet.train(*regression, [4, 5, 1], activations=["relu", "linear"],
                         optimizer="gd", learning_rate=5.0, num_epochs=epoch - 1)
    _assert_same_model(kept, before)


def test_on_nan_stop_warns_and_returns_the_last_finite_model(regression):
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(DivergenceError) as info:
        _diverging(*regression)
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.warns(RuntimeWarning, match=r"training diverged at epoch \d+"):
        stopped = _diverging(*regression, on_nan="stop")
    _assert_finite(stopped)
    _assert_same_model(stopped, info.value.model)


def test_divergence_at_the_first_epoch_keeps_the_starting_parameters(regression):
    start = xpnet.initialize_parameters([4, 5, 1], seed=0, dtype="float32")
    start["W2"] = start["W2"] * np.float32(1e30)
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(DivergenceError) as info:
        _diverging(*regression, params=start)
    assert info.value.epoch == 0
    assert "parameters it started with" in str(info.value)
    assert info.value.model.costs == []
    np.testing.assert_array_equal(host(info.value.model.params["W2"]), start["W2"])


def test_parameters_that_stop_being_finite_stop_the_run(regression, monkeypatch):
    """Even when the cost of the epoch was still finite (its last update overflowed)."""
    real_step = GenericEngine.step
    calls = []

    def overflowing_step(self, order, a, b):
        c = real_step(self, order, a, b)
        calls.append(1)
        if len(calls) == 3:  # the one step of epoch 2 (full batch)
            self._params = {**self._params, "b1": self._params["b1"] - np.inf}
        return c

    monkeypatch.setattr(GenericEngine, "step", overflowing_step)
    with pytest.raises(DivergenceError, match="epoch 2: the parameters became NaN or infinite"
                                              ".*keeps the parameters after epoch 1") as info:
        xpnet.train(*regression, [4, 5, 1], activations=["relu", "linear"], num_epochs=5,
                    engine="generic")
    assert len(info.value.model.costs) == 2
    _assert_finite(info.value.model)


# -- overflow -----------------------------------------------------------------------------------


@pytest.mark.parametrize("output, n_out", [("sigmoid", 1), ("softmax", 3)])
@pytest.mark.parametrize("optimizer", ["adam", "gd"])
def test_huge_inputs_never_give_a_silent_nan(rng, output, n_out, optimizer):
    X = rng.standard_normal((4, 50)) * 1e6
    labels = rng.integers(0, n_out + (output == "sigmoid"), size=(1, 50))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            model = xpnet.train(X, labels, [4, 6, n_out], optimizer=optimizer,
                                learning_rate=0.1, num_epochs=30, mini_batch_size=16)
        except DivergenceError as exc:
            model = exc.model
    _assert_finite(model)
    assert np.all(np.isfinite(model.predict_proba(X)))


def test_huge_logits_give_a_finite_cost(backend):
    Z = backend.asarray(np.array([[1e30, -1e30, 80.0, -80.0, 0.0]]), dtype="float32")
    Y = backend.asarray(np.array([[1.0, 0.0, 0.0, 1.0, 1.0]]), dtype="float32")
    AL, _ = xpnet.forward(Z, {"W1": backend.asarray(np.eye(1), dtype="float32"),
                              "b1": backend.asarray(np.zeros((1, 1)), dtype="float32")},
                          ["sigmoid"])
    assert np.all(np.isfinite(host(AL)))
    cost = xpnet.compute_cost(AL, Y, logits=Z)
    assert np.isfinite(cost)
    assert cost == pytest.approx((80.0 + 80.0 + np.log(2.0)) / 5, rel=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_saturated_outputs_give_a_finite_cost(backend, dtype):
    AL = backend.asarray(np.array([[1.0, 0.0, 1.0, 0.0]]), dtype=dtype)
    Y = backend.asarray(np.array([[0.0, 1.0, 1.0, 0.0]]), dtype=dtype)
    with pytest.warns(UserWarning, match="logits="):  # finite, but below the true cost
        assert np.isfinite(xpnet.compute_cost(AL, Y))
    AL3 = backend.asarray(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), dtype=dtype)
    Y3 = backend.asarray(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), dtype=dtype)
    with pytest.warns(UserWarning, match="logits="):
        assert np.isfinite(xpnet.compute_cost(AL3, Y3))
