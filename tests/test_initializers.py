"""Parameter initialisation: shapes, scales, zero biases, identical on every backend."""

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host


def test_shapes_and_zero_biases(backend):
    params = xpnet.initialize_parameters([5, 4, 3, 1], seed=0, backend=backend)
    assert {k: tuple(v.shape) for k, v in params.items()} == {
        "W1": (4, 5), "b1": (4, 1), "W2": (3, 4), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}
    for l in (1, 2, 3):
        assert not np.any(host(params[f"b{l}"]))
    assert "float32" in str(params["W1"].dtype)


@pytest.mark.parametrize("init, factor", [("he", np.sqrt(2 / 2000)), ("xavier", np.sqrt(1 / 2000)),
                                          ("random", 0.01)])
def test_scales(init, factor):
    W = xpnet.initialize_parameters([2000, 400, 1], init, seed=0, dtype="float64")["W1"]
    assert W.std() == pytest.approx(factor, rel=0.02)
    assert abs(W.mean()) < factor * 0.02


def test_zeros_and_custom_random_scale():
    assert not np.any(xpnet.initialize_parameters([3, 2, 1], "zeros")["W1"])
    W = xpnet.initialize_parameters([500, 500, 1], "random", seed=0, scale=10.0)["W1"]
    assert W.std() == pytest.approx(10.0, rel=0.02)


def test_same_seed_same_weights_on_every_backend(backend):
    ours = xpnet.initialize_parameters([6, 5, 2], seed=42, dtype="float64", backend=backend)
    ref = xpnet.initialize_parameters([6, 5, 2], seed=42, dtype="float64")
    for k in ref:
        np.testing.assert_array_equal(host(ours[k]), ref[k])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="init='hee'.*Did you mean 'he'"):
        xpnet.initialize_parameters([2, 1], "hee")
    with pytest.raises(ValueError, match="layer_dims needs at least two entries"):
        xpnet.initialize_parameters([3])
    with pytest.raises(ValueError, match=r"layer_dims\[1\] must be >= 1, got 0"):
        xpnet.initialize_parameters([3, 0, 1])
