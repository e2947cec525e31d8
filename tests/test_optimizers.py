"""One optimizer step on known gradients, computed by hand; schedules; state."""

import math
import warnings

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host


def _one(backend, w, g):
    return ({"W1": backend.asarray([[w]], "float64")}, {"dW1": backend.asarray([[g]], "float64")})


def test_gd_step(backend):
    p, g = _one(backend, 1.0, 0.5)
    out = xpnet.GD(learning_rate=0.1).step(p, g)
    assert float(host(out["W1"])[0, 0]) == pytest.approx(0.95)
    assert float(host(p["W1"])[0, 0]) == 1.0  # inputs are not modified


def test_momentum_two_steps(backend):
    opt = xpnet.Momentum(learning_rate=0.1, beta=0.9)
    p, g = _one(backend, 1.0, 0.5)
    p = opt.step(p, g)            # v = 0.05;        W = 1 - 0.005
    p = opt.step(p, g)            # v = 0.045+0.05;  W -= 0.0095
    assert float(host(p["W1"])[0, 0]) == pytest.approx(1 - 0.005 - 0.0095)


def test_rmsprop_step(backend):
    opt = xpnet.RMSProp(learning_rate=0.01, beta=0.9, epsilon=1e-8)
    p, g = _one(backend, 1.0, 2.0)
    p = opt.step(p, g)            # s = 0.1 * 4 = 0.4
    assert float(host(p["W1"])[0, 0]) == pytest.approx(1 - 0.01 * 2 / (math.sqrt(0.4) + 1e-8))


def test_rmsprop_default_beta_is_the_courses():
    assert xpnet.RMSProp().beta == 0.9  # the course's β and Keras's rho
    assert xpnet.get_optimizer("rmsprop").beta == 0.9


def test_resuming_with_other_betas_than_the_checkpoints_is_refused(tmp_path):
    """An RMSProp checkpoint written with β = 0.999 (the default before it became 0.9) resumed
    with the new default would be a different run: refused, naming the setting."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 40))
    Y = (X[:1] > 0).astype(float)
    ckpt = tmp_path / "run.ckpt.npz"
    old = xpnet.RMSProp(learning_rate=0.01, beta=0.999)
    xpnet.train(X, Y, [3, 4, 1], optimizer=old, num_epochs=2, checkpoint=ckpt)
    with pytest.raises(ValueError, match=r"beta=0\.999 but train got beta=0\.9"):
        xpnet.train(X, Y, [3, 4, 1], optimizer="rmsprop", learning_rate=0.01, num_epochs=3,
                    resume=ckpt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = xpnet.train(X, Y, [3, 4, 1], num_epochs=3, resume=ckpt,
                            optimizer=xpnet.RMSProp(learning_rate=0.01, beta=0.999))
    assert len(model.costs) == 3


def test_adam_bias_corrected_moments():
    opt = xpnet.Adam(learning_rate=0.01)
    p = {"W1": np.ones((1, 1))}
    opt.step(p, {"dW1": np.full((1, 1), 0.5)})
    opt.step(p, {"dW1": np.full((1, 1), -1.0)})
    v_hat, s_hat = opt.bias_corrected("W1")
    assert v_hat[0, 0] == pytest.approx((0.9 * 0.05 - 0.1) / (1 - 0.81))
    assert s_hat[0, 0] == pytest.approx((0.999 * 0.00025 + 0.001) / (1 - 0.999**2))


def test_adam_bias_correction_uses_the_step_count(backend):
    opt = xpnet.Adam(learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8)
    p, g = _one(backend, 1.0, 0.5)
    p = opt.step(p, g)
    # t=1: v_hat = g, s_hat = g^2, update = lr * g/(|g| + eps) ~ lr
    assert float(host(p["W1"])[0, 0]) == pytest.approx(1 - 0.01 * 0.5 / (0.5 + 1e-8))
    g2 = {"dW1": backend.asarray([[-1.0]], "float64")}
    p = opt.step(p, g2)
    v = 0.9 * 0.05 + 0.1 * -1.0
    s = 0.999 * 0.001 * 0.25 + 0.001 * 1.0
    v_hat, s_hat = v / (1 - 0.9**2), s / (1 - 0.999**2)
    expected = 1 - 0.01 * 0.5 / (0.5 + 1e-8) - 0.01 * v_hat / (math.sqrt(s_hat) + 1e-8)
    assert opt.t == 2
    assert float(host(p["W1"])[0, 0]) == pytest.approx(expected, rel=1e-12)


def test_state_dict_round_trip():
    opt = xpnet.Adam(learning_rate=0.01)
    p = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    g = {"dW1": np.full((2, 2), 0.3), "db1": np.full((2, 1), -0.2)}
    p = opt.step(p, g)
    clone = xpnet.Adam(learning_rate=0.01)
    clone.load_state_dict(opt.state_dict())
    a, b = opt.step(p, g), clone.step(p, g)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


@pytest.mark.parametrize("make", [lambda: xpnet.Momentum(beta=1.0), lambda: xpnet.Adam(beta1=-0.1),
                                  lambda: xpnet.Adam(beta2=1.5), lambda: xpnet.RMSProp(beta=1.0)])
def test_betas_outside_unit_interval_are_rejected(make):
    with pytest.raises(ValueError, match=r"beta.? must be in \[0, 1\)"):
        make()


@pytest.mark.parametrize("lr", [0.0, -0.1])
def test_non_positive_learning_rate_is_rejected(lr):
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        xpnet.GD(learning_rate=lr)


def test_get_optimizer_by_name_with_suggestion():
    assert isinstance(xpnet.get_optimizer("adam", 0.1), xpnet.Adam)
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        xpnet.get_optimizer("adma")


def test_gradient_shape_mismatch_names_the_parameter():
    p = {"W1": np.ones((2, 2))}
    with pytest.raises(ValueError, match=r"grads\['dW1'\] has shape \(2, 1\)"):
        xpnet.GD().step(p, {"dW1": np.ones((2, 1))})


def test_inverse_time_decay_follows_the_course_formula():
    sched = xpnet.InverseTimeDecay(decay_rate=1.0, interval=1000)
    assert sched(0.1, 0) == 0.1
    assert sched(0.1, 999) == 0.1
    assert sched(0.1, 1000) == pytest.approx(0.05)
    assert sched(0.1, 2500) == pytest.approx(0.1 / 3)


def test_exponential_decay():
    sched = xpnet.ExponentialDecay(decay_rate=0.5, interval=10)
    assert [sched(1.0, e) for e in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    with pytest.raises(ValueError, match="decay_rate must be in"):
        xpnet.ExponentialDecay(decay_rate=1.5)


def test_training_applies_the_schedule_each_epoch():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 20))
    Y = (X[:1] > 0).astype(float)
    seen = []
    model = xpnet.train(X, Y, [3, 1], optimizer="gd", learning_rate=0.1, num_epochs=5,
                        lr_schedule=lambda lr0, epoch: seen.append(epoch) or lr0 / (1 + epoch))
    assert seen == [0, 1, 2, 3, 4]
    assert model.optimizer.learning_rate == pytest.approx(0.1 / 5)
