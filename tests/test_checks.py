"""The scalar checks of xpnet.validation, and the public functions that use them.

Each check raises ``TypeError`` for the wrong kind of value and ``ValueError`` for a wrong value,
with a message that names the argument and says what was expected.
"""

from __future__ import annotations

import numpy as np
import pytest

import xpnet
from xpnet import validation as v


@pytest.mark.parametrize("check, good, expected", [
    (lambda x: v.check_int("n", x, 1), np.int64(3), 3),
    (lambda x: v.check_int_or("size", x, 1, ("auto", None)), "auto", "auto"),
    (lambda x: v.check_int_or("size", x, 1, ("auto", None)), None, None),
    (lambda x: v.check_int_or("size", x, 1, ("auto", None)), 5, 5),
    (lambda x: v.check_seed("seed", x), None, None),
    (lambda x: v.check_seed("seed", x), np.uint8(0), 0),
    (lambda x: v.check_fraction("rate", x), 1, 1.0),
    (lambda x: v.check_positive("lr", x), np.float32(0.5), 0.5),
    (lambda x: v.check_nonnegative("lambd", x), 0, 0.0),
    (lambda x: v.check_unit_interval("beta", x), 0.0, 0.0),
    (lambda x: v.check_keep_prob(x), 1.0, 1.0),
    (lambda x: v.check_choice("init", x, ["he", "xavier"]), "HE", "he"),
])
def test_good_values_pass_converted(check, good, expected):
    out = check(good)
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize("check, bad, error, match", [
    (lambda x: v.check_int("n", x, 1), 2.0, TypeError, "n must be an int >= 1, got 2.0"),
    (lambda x: v.check_int("n", x, 1), True, TypeError, "n must be an int >= 1, got True"),
    (lambda x: v.check_int("n", x, 1), 0, ValueError, "n must be >= 1, got 0"),
    (lambda x: v.check_int("n", x, 1, type_error=ValueError), "3", ValueError,
     "n must be an int >= 1, got '3'"),
    (lambda x: v.check_int_or("size", x, 1, ("auto", None)), "full", TypeError,
     "size must be 'auto', None or an int >= 1, got 'full'"),
    (lambda x: v.check_int_or("size", x, 1, ("auto", None)), 0, ValueError,
     "size must be 'auto', None or an int >= 1, got 0"),
    (lambda x: v.check_seed("seed", x), 1.5, TypeError, "seed must be None or an int >= 0, got 1.5"),
    (lambda x: v.check_seed("seed", x), False, TypeError, "seed must be None or an int >= 0"),
    (lambda x: v.check_seed("seed", x), -1, ValueError, "seed must be None or an int >= 0, got -1"),
    (lambda x: v.check_fraction("rate", x), "1", TypeError, r"rate must be a number in \(0, 1\]"),
    (lambda x: v.check_fraction("rate", x), float("nan"), ValueError,
     r"rate must be a number in \(0, 1\], got nan"),
    (lambda x: v.check_fraction("rate", x, " for a decay"), 0.0, ValueError,
     r"rate must be in \(0, 1\] for a decay, got 0.0"),
    (lambda x: v.check_positive("lr", x), "1", TypeError, "lr must be a finite number > 0"),
    (lambda x: v.check_positive("lr", x, type_error=ValueError), None, ValueError,
     "lr must be a finite number > 0, got None"),
    (lambda x: v.check_positive("lr", x), -1, ValueError, "lr must be > 0, got -1.0"),
    (lambda x: v.check_nonnegative("lambd", x), [1], TypeError, "lambd must be a finite number >= 0"),
    (lambda x: v.check_nonnegative("lambd", x), float("inf"), ValueError, "lambd must be a finite"),
    (lambda x: v.check_unit_interval("beta", x), 1.0, ValueError, r"beta must be in \[0, 1\)"),
    (lambda x: v.check_choice("init", x, ["he"]), 3, TypeError, "init must be one of he, got 3"),
    (lambda x: v.check_choice("init", x, ["he"]), "hee", ValueError,
     "init='hee' is not known; expected one of he. Did you mean 'he'"),
    (lambda x: v.check_choice("dtype", x, ["float32"], what="supported"), "float16", ValueError,
     "dtype='float16' is not supported; expected one of float32"),
    (lambda x: v.check_callable("callback", x), "print", TypeError,
     "callback must be a function or None, got str"),
])
def test_bad_values_are_named(check, bad, error, match):
    with pytest.raises(error, match=match) as info:
        check(bad)
    if error is TypeError:
        assert not isinstance(info.value, ValueError)


# -- the public functions that use them ----------------------------------------------------------


def test_random_state_seed():
    assert xpnet.RandomState(np.int64(3)).seed == 3
    with pytest.raises(TypeError, match="seed must be None or an int >= 0, got '3'"):
        xpnet.RandomState("3")
    with pytest.raises(ValueError, match="seed must be None or an int >= 0, got -2"):
        xpnet.RandomState(-2)


@pytest.mark.parametrize("make, error, match", [
    (lambda: xpnet.InverseTimeDecay(interval=0), ValueError, "interval must be >= 1, got 0"),
    (lambda: xpnet.InverseTimeDecay(interval=1.5), TypeError, "interval must be an int >= 1"),
    (lambda: xpnet.InverseTimeDecay(decay_rate=-1), ValueError, "decay_rate must be >= 0"),
    (lambda: xpnet.ExponentialDecay(interval=True), TypeError, "interval must be an int >= 1"),
    (lambda: xpnet.ExponentialDecay(decay_rate=0), ValueError,
     r"decay_rate must be in \(0, 1\] for a decaying rate, got 0.0"),
    (lambda: xpnet.ExponentialDecay(decay_rate="fast"), TypeError,
     r"decay_rate must be a number in \(0, 1\]"),
])
def test_schedule_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_schedules_keep_their_values():
    sched = xpnet.ExponentialDecay(decay_rate=1, interval=np.int64(2))
    assert (sched.decay_rate, sched.interval) == (1.0, 2)
    assert repr(sched) == "ExponentialDecay(decay_rate=1.0, interval=2)"


@pytest.mark.parametrize("num_classes, match", [
    (0, "num_classes must be >= 1, got 0"),
    (2.0, "num_classes must be an int >= 1, got 2.0"),  # a ValueError, as before
    (True, "num_classes must be an int >= 1, got True"),
])
def test_one_hot_num_classes(num_classes, match):
    with pytest.raises(ValueError, match=match):
        xpnet.one_hot(np.array([0, 1]), num_classes)


@pytest.mark.parametrize("scale, match", [
    (0.0, "scale must be > 0, got 0.0"),
    (float("inf"), "scale must be a finite number > 0, got inf"),
    ("big", "scale must be a finite number > 0, got 'big'"),  # a ValueError, as before
])
def test_initializer_scale(scale, match):
    with pytest.raises(ValueError, match=match):
        xpnet.initialize_parameters([3, 2, 1], "random", scale=scale)


def test_get_activation_names_the_argument():
    assert xpnet.get_activation("ReLU").name == "relu"
    with pytest.raises(TypeError, match="activation must be one of relu, .*, got 3"):
        xpnet.get_activation(3)

