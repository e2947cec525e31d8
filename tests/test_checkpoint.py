"""Nothing is lost: Ctrl-C returns the model trained so far, the same seed repeats a run."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host
from xpnet.engines import GenericEngine

DIMS = [5, 8, 4, 1]


@pytest.fixture
def data(rng):
    X = rng.standard_normal((5, 70))
    Y = (X[:1] + X[1:2] ** 2 > 0.8).astype(np.float64)
    return X, Y


#: Adam, shuffled mini-batches with a short last batch, dropout and L2: everything that uses
#: the optimizer state or the random generator.
SETTINGS = dict(optimizer="adam", learning_rate=0.01, mini_batch_size=16, keep_prob=0.8,
                lambd=0.1, seed=3)


def _train(X, Y, num_epochs, **kw):
    return xpnet.train(X, Y, DIMS, num_epochs=num_epochs, **{**SETTINGS, **kw})


def _assert_same_model(a, b):
    assert a.costs == b.costs
    assert a.params.keys() == b.params.keys()
    for k in b.params:
        np.testing.assert_array_equal(host(a.params[k]), host(b.params[k]))


def _assert_same_optimizer(a, b):
    sa, sb = a.optimizer.state_dict(), b.optimizer.state_dict()
    assert sa["t"] == sb["t"]
    for slot in ("v", "s"):
        for k in sb[slot]:
            np.testing.assert_array_equal(host(sa[slot][k]), host(sb[slot][k]))


# -- Ctrl-C -------------------------------------------------------------------------------------


def test_ctrl_c_in_a_callback_returns_the_model_so_far(data):
    def interrupt(epoch, cost):
        if epoch == 3:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted .* after 4 completed epochs"):
        model = _train(*data, 10, callback=interrupt)
    _assert_same_model(model, _train(*data, 4))


def _interrupt_at_step(monkeypatch, n):
    real_step = GenericEngine.step
    calls = []

    def step(self, order, a, b):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return real_step(self, order, a, b)

    monkeypatch.setattr(GenericEngine, "step", step)


def test_ctrl_c_inside_an_epoch_keeps_the_last_completed_epoch(data, monkeypatch):
    expected = _train(*data, 3)
    _interrupt_at_step(monkeypatch, 3 * 5 + 2)  # in the second batch of epoch 3
    with pytest.warns(RuntimeWarning, match="after 3 completed epochs"):
        model = _train(*data, 10)
    _assert_same_model(model, expected)
    _assert_same_optimizer(model, expected)


# -- reproducibility ----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_run(data):
    _assert_same_model(_train(*data, 5), _train(*data, 5))
    other = _train(*data, 5, seed=4)
    assert other.costs != _train(*data, 5).costs

