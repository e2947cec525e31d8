"""Mini-batch partitions: sizes, coverage, same order on every backend."""

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host


@pytest.mark.parametrize("m, size, expected", [(128, 64, [64, 64]), (148, 64, [64, 64, 20]),
                                               (5, 64, [5]), (7, 1, [1] * 7)])
def test_partition_sizes(backend, m, size, expected):
    X = backend.asarray(np.arange(2 * m).reshape(2, m), "float64")
    Y = backend.asarray(np.arange(m).reshape(1, m), "float64")
    batches = xpnet.random_mini_batches(X, Y, size, seed=0)
    assert [b[0].shape[1] for b in batches] == expected
    assert [b[1].shape[1] for b in batches] == expected
    labels = np.concatenate([host(b[1])[0] for b in batches])
    assert sorted(labels.tolist()) == list(range(m))  # a partition: every example exactly once
    for Xb, Yb in batches:  # columns stay paired
        np.testing.assert_array_equal(host(Xb)[1] - m, host(Yb)[0])


def test_same_seed_same_order_on_every_backend(backend):
    X = np.arange(30.0).reshape(1, 30)
    ours = xpnet.random_mini_batches(backend.asarray(X, "float64"), backend.asarray(X, "float64"),
                                     8, seed=5)
    ref = xpnet.random_mini_batches(X, X, 8, seed=5)
    for (a, _), (b, _) in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(host(a), b)


def test_different_seeds_shuffle_differently():
    X = np.arange(50.0).reshape(1, 50)
    a = xpnet.random_mini_batches(X, X, 50, seed=0)[0][0]
    b = xpnet.random_mini_batches(X, X, 50, seed=1)[0][0]
    assert not np.array_equal(a, b)


def test_bad_batch_size():
    X = np.ones((1, 4))
    with pytest.raises(ValueError, match="mini_batch_size must be >= 1"):
        xpnet.random_mini_batches(X, X, 0)
    with pytest.raises(TypeError, match="mini_batch_size must be an int >= 1, got 2.5"):
        xpnet.random_mini_batches(X, X, 2.5)
    with pytest.raises(ValueError, match=r"Y has 3 columns \(examples\) but X has 4"):
        xpnet.random_mini_batches(X, np.ones((1, 3)), 2)
    with pytest.raises(ValueError, match=r"Y must be 2-D.*Y\.reshape\(1, -1\)"):
        xpnet.random_mini_batches(X, np.ones(4), 2)


def test_one_hot(backend):
    labels = backend.asarray(np.array([2, 0, 1, 2]))
    Y = host(xpnet.one_hot(labels, 3))
    np.testing.assert_array_equal(Y, np.eye(3)[:, [2, 0, 1, 2]])
    assert Y.dtype == np.float32
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.2"):
        xpnet.one_hot(backend.asarray(np.array([0, 3])), 3)
