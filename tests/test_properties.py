"""Property: random shapes and values either train to a finite model or raise one of xpnet's
own clear errors, never an uncaught NumPy error and never a silent NaN."""

from __future__ import annotations

import os
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xpnet
from xpnet.training import DivergenceError

XPNET_DIR = os.path.dirname(xpnet.__file__)

def rarely(valid, invalid):
    """Mostly ``valid`` draws, one in 16 from ``invalid``, so that most examples train
    (and shrinking, towards 0, leads to the valid side)."""
    return st.integers(0, 15).flatmap(lambda k: invalid if k == 15 else valid)


finite_values = st.one_of(st.floats(-3, 3), st.sampled_from([0.0, 1e6, -1e6, 1e30, -1e30]))
bad_values = st.sampled_from([np.nan, np.inf, -np.inf, 1e300])


def matrix(draw, elements, shape):
    n = shape[0] * shape[1]
    return np.array(draw(st.lists(elements, min_size=n, max_size=n)), dtype=np.float64
                    ).reshape(shape)


def targets(draw, output, n_y, m):
    if output == "sigmoid":
        return matrix(draw, st.sampled_from([0.0, 1.0]), (n_y, m))
    if output == "linear":
        return matrix(draw, finite_values, (n_y, m))
    labels = np.array(draw(st.lists(st.integers(0, n_y - 1), min_size=m, max_size=m)), dtype=int)
    return labels.reshape(1, m) if draw(st.booleans()) else np.eye(n_y)[:, labels]


@st.composite
def problems(draw):
    """A training problem, usually valid, with a flaw now and then (any of the issue's)."""
    dims = draw(rarely(st.lists(st.integers(1, 4), min_size=2, max_size=4),
                       st.lists(st.integers(-1, 4), max_size=4)))
    n_x = dims[0] if dims and dims[0] > 0 else 1
    n_x = draw(rarely(st.just(n_x), st.integers(1, 5)))
    n_y = dims[-1] if dims and dims[-1] > 0 else 1
    m = draw(rarely(st.integers(1, 6), st.just(0)))
    output = draw(st.sampled_from(["linear", "softmax" if n_y > 1 else "sigmoid"]))
    X = matrix(draw, finite_values, (n_x, m))
    if m and draw(rarely(st.just(False), st.just(True))):
        X[draw(st.integers(0, n_x - 1)), draw(st.integers(0, m - 1))] = draw(bad_values)
    Y = draw(rarely(st.just(targets(draw, output, n_y, m)),
                    st.builds(lambda v: np.full((n_y, m), v),
                              st.sampled_from([2.0, -1.0, 0.5, np.nan]))))
    hidden = ["relu"] * (len(dims) - 2)
    kwargs = {
        "activations": None if output != "linear" else [*hidden, "linear"],
        "optimizer": draw(st.sampled_from(["gd", "momentum", "rmsprop", "adam"])),
        "learning_rate": draw(rarely(st.sampled_from([1e-3, 0.1, 10.0, 1e4, 1e8]),
                                     st.sampled_from([0.0, -1.0, np.nan]))),
        "num_epochs": draw(rarely(st.integers(0, 6), st.just(-1))),
        "mini_batch_size": draw(rarely(st.sampled_from([None, 1, 2, 100]), st.just(0))),
        "keep_prob": draw(rarely(st.sampled_from([0.5, 1.0]), st.sampled_from([0.0, 1.5]))),
        "lambd": draw(rarely(st.sampled_from([0.0, 0.7, 1e3]), st.just(-1.0))),
        "dtype": draw(st.sampled_from(["float32", "float64"])),
    }
    return X, Y, dims, kwargs


def _raised_by_xpnet(exc: BaseException) -> bool:
    """Whether the innermost frame of the traceback is xpnet's own code."""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return os.path.dirname(tb.tb_frame.f_code.co_filename) == XPNET_DIR


def _assert_finite(model):
    assert all(np.isfinite(model.costs))
    for p in model.params.values():
        assert np.all(np.isfinite(xpnet.to_numpy(p)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_train_returns_a_finite_model_or_raises_a_clear_error(problem):
    X, Y, dims, kwargs = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow on the way to divergence
        try:
            model = xpnet.train(X, Y, dims, **kwargs)
        except DivergenceError as exc:
            assert "learning_rate" in str(exc)
            _assert_finite(exc.model)
            return
        except (ValueError, TypeError) as exc:
            assert _raised_by_xpnet(exc), f"{type(exc).__name__} from outside xpnet: {exc}"
            return
    _assert_finite(model)
    assert len(model.costs) == kwargs["num_epochs"]
