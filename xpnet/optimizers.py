"""Optimizers: ``GD``, ``Momentum``, ``RMSProp`` and ``Adam``, written once against the Array API.

Each is an object whose ``step(params, grads)`` returns the updated parameters (a new dict;
arrays are not modified in place, so JAX and array-api-strict work) and keeps its own state:
velocities, squared-gradient averages and Adam's step count ``t`` for bias correction.
``state_dict()`` / ``load_state_dict()`` save and restore that state for checkpoints.
"""

from __future__ import annotations

from typing import Any

import array_api_compat

from .backend import check_same_library
from .validation import check_choice, check_positive, check_unit_interval


class Optimizer:
    """Base class: ``learning_rate`` may be changed between steps (see :mod:`xpnet.schedules`)."""

    name = ""
    _slots: tuple[str, ...] = ()  # names of the per-parameter state dicts

    def __init__(self, learning_rate: float = 0.0075) -> None:
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.t = 0
        for slot in self._slots:
            setattr(self, slot, {})

    def step(self, params: dict[str, Any], grads: dict[str, Any]) -> dict[str, Any]:
        """One update of every parameter ``P`` with its gradient ``grads["d" + P]``."""
        _check_grads(params, grads)
        xp = _namespace(params, grads)
        self.t += 1
        return {key: self._update(xp, key, P, grads["d" + key]) for key, P in params.items()}

    def _update(self, xp: Any, key: str, P: Any, dP: Any) -> Any:
        raise NotImplementedError

    def hyperparameters(self) -> dict[str, float]:
        return {"learning_rate": self.learning_rate}

    def state_dict(self) -> dict[str, Any]:
        """Step count and per-parameter state (backend arrays), for checkpoints."""
        return {"t": self.t, **{slot: dict(getattr(self, slot)) for slot in self._slots}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t = int(state["t"])
        for slot in self._slots:
            setattr(self, slot, dict(state.get(slot, {})))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


class GD(Optimizer):
    """Plain gradient descent: ``P -= lr · dP``."""

    name = "gd"

    def _update(self, xp, key, P, dP):
        return P - self.learning_rate * dP


class Momentum(Optimizer):
    """Gradient descent with momentum: ``v = β v + (1 − β) dP``; ``P -= lr · v``."""

    name = "momentum"
    _slots = ("v",)
    v: dict[str, Any]  # the velocity of each parameter

    def __init__(self, learning_rate: float = 0.0075, beta: float = 0.9) -> None:
        super().__init__(learning_rate)
        self.beta = check_unit_interval("beta", beta)

    def hyperparameters(self):
        return {"learning_rate": self.learning_rate, "beta": self.beta}

    def _update(self, xp, key, P, dP):
        v = self.v.get(key)
        v = (1.0 - self.beta) * dP if v is None else self.beta * v + (1.0 - self.beta) * dP
        self.v[key] = v
        return P - self.learning_rate * v


class RMSProp(Optimizer):
    """``s = β s + (1 − β) dP²``; ``P -= lr · dP / (√s + ε)``.

    ``beta`` is 0.9 by default, as in the course (Improving Deep Neural Networks, week 2) and
    Keras's ``rho``.
    """

    name = "rmsprop"
    _slots = ("s",)
    s: dict[str, Any]  # the average of each parameter's squared gradient

    def __init__(self, learning_rate: float = 0.0075, beta: float = 0.9,
                 epsilon: float = 1e-8) -> None:
        super().__init__(learning_rate)
        self.beta = check_unit_interval("beta", beta)
        self.epsilon = check_positive("epsilon", epsilon)

    def hyperparameters(self):
        return {"learning_rate": self.learning_rate, "beta": self.beta, "epsilon": self.epsilon}

    def _update(self, xp, key, P, dP):
        s = self.s.get(key)
        s = (1.0 - self.beta) * dP * dP if s is None else self.beta * s + (1.0 - self.beta) * dP * dP
        self.s[key] = s
        return P - self.learning_rate * dP / (xp.sqrt(s) + self.epsilon)


class Adam(Optimizer):
    """Adam with bias correction by the step count ``t`` (Kingma & Ba; the course's form).

    ``v = β1 v + (1 − β1) dP``, ``s = β2 s + (1 − β2) dP²``,
    ``P -= lr · v̂ / (√ŝ + ε)`` with ``v̂ = v / (1 − β1^t)`` and ``ŝ = s / (1 − β2^t)``.
    """

    name = "adam"
    _slots = ("v", "s")
    v: dict[str, Any]  # first moments
    s: dict[str, Any]  # second moments

    def __init__(self, learning_rate: float = 0.0075, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8) -> None:
        super().__init__(learning_rate)
        self.beta1 = check_unit_interval("beta1", beta1)
        self.beta2 = check_unit_interval("beta2", beta2)
        self.epsilon = check_positive("epsilon", epsilon)

    def hyperparameters(self):
        return {"learning_rate": self.learning_rate, "beta1": self.beta1, "beta2": self.beta2,
                "epsilon": self.epsilon}

    def _update(self, xp, key, P, dP):
        b1, b2 = self.beta1, self.beta2
        v, s = self.v.get(key), self.s.get(key)
        v = (1.0 - b1) * dP if v is None else b1 * v + (1.0 - b1) * dP
        s = (1.0 - b2) * dP * dP if s is None else b2 * s + (1.0 - b2) * dP * dP
        self.v[key], self.s[key] = v, s
        v_hat, s_hat = self.bias_corrected(key)
        return P - self.learning_rate * v_hat / (xp.sqrt(s_hat) + self.epsilon)

    def bias_corrected(self, key: str) -> tuple[Any, Any]:
        """``(v̂, ŝ)`` of parameter ``key`` after step ``t``: the moments divided by
        ``1 − β1^t`` and ``1 − β2^t`` (the course's ``v_corrected`` and ``s_corrected``)."""
        return (self.v[key] / (1.0 - self.beta1**self.t),
                self.s[key] / (1.0 - self.beta2**self.t))


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (GD, Momentum, RMSProp, Adam)
}
OPTIMIZERS["sgd"] = GD


def get_optimizer(optimizer: str | Optimizer, learning_rate: float | None = None,
                  **kwargs: Any) -> Optimizer:
    """An optimizer instance from a name (``"gd"``, ``"momentum"``, ``"rmsprop"``, ``"adam"``)."""
    if isinstance(optimizer, Optimizer):
        if learning_rate is not None:
            optimizer.learning_rate = check_positive("learning_rate", learning_rate)
        return optimizer
    if not isinstance(optimizer, str):
        raise TypeError(
            f"optimizer must be a name ({', '.join(OPTIMIZERS)}) or an Optimizer, "
            f"got {type(optimizer).__name__}"
        )
    key = check_choice("optimizer", optimizer, OPTIMIZERS)
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    return OPTIMIZERS[key](**kwargs)


def _namespace(params: dict[str, Any], grads: dict[str, Any]) -> Any:
    """The arrays' namespace; a ``TypeError`` naming two arguments from different libraries."""
    try:
        return array_api_compat.array_namespace(*params.values(), *grads.values())
    except TypeError:
        named = {f"params[{k!r}]": v for k, v in params.items()}
        named.update({f"grads[{k!r}]": v for k, v in grads.items()})
        return check_same_library(named)


def _check_grads(params: dict[str, Any], grads: dict[str, Any]) -> None:
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise TypeError("params and grads must be dicts such as {'W1': ...} and {'dW1': ...}, "
                        f"got {type(params).__name__} and {type(grads).__name__}")
    for key, P in params.items():
        dkey = "d" + key
        if dkey not in grads:
            raise ValueError(f"grads has no {dkey!r} for parameter {key!r}")
        if tuple(grads[dkey].shape) != tuple(P.shape):
            raise ValueError(
                f"grads[{dkey!r}] has shape {tuple(grads[dkey].shape)} but {key} has shape "
                f"{tuple(P.shape)}"
            )
