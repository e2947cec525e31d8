"""Activation functions and their gradients, one class each.

Every activation has ``forward(xp, Z) -> A`` and ``backward(xp, dA, Z, A) -> dZ`` where ``A`` is
``forward(xp, Z)``; shapes are (n_l, m). Softmax is only defined as an output layer, where its
gradient is combined with the cross-entropy loss (``dZ = A - Y``, see :mod:`xpnet.losses`).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import array_api_compat

from .validation import check_choice


def zero_like_scalar(xp: ModuleType, x: Any) -> Any:
    """0 as a 0-d array of ``x``'s dtype and device, for ``xp.maximum(x, zero)``.

    Not the Python scalar ``0.0``: array-api-compat's torch wrappers of ``maximum``/``minimum``
    turn a Python scalar into a tensor through ``torch.result_type``, which ``torch.compile``
    cannot trace, so every such call split the compiled training step into separate graphs
    (:mod:`xpnet.engines.torch`). A 0-d array of the same dtype promotes to nothing on every
    backend and gives the same values (NaN still propagates).
    """
    return xp.zeros((), dtype=x.dtype, device=array_api_compat.device(x))


class Activation:
    name: str = ""
    output_only: bool = False

    def forward(self, xp: ModuleType, Z: Any) -> Any:
        raise NotImplementedError

    def backward(self, xp: ModuleType, dA: Any, Z: Any, A: Any) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    name = "relu"

    def forward(self, xp, Z):
        return xp.maximum(Z, zero_like_scalar(xp, Z))

    def backward(self, xp, dA, Z, A):
        return xp.where(Z > 0, dA, 0.0)


class LeakyReLU(Activation):
    """``max(alpha·Z, Z)`` with ``alpha = 0.01``."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = alpha

    def forward(self, xp, Z):
        return xp.where(Z > 0, Z, self.alpha * Z)

    def backward(self, xp, dA, Z, A):
        return xp.where(Z > 0, dA, self.alpha * dA)


class Tanh(Activation):
    name = "tanh"

    def forward(self, xp, Z):
        return xp.tanh(Z)

    def backward(self, xp, dA, Z, A):
        return dA * (1.0 - A * A)


class Sigmoid(Activation):
    """``1 / (1 + exp(-Z))``, evaluated without overflow for large ``|Z|``."""

    name = "sigmoid"

    def forward(self, xp, Z):
        e = xp.exp(-xp.abs(Z))  # in (0, 1]: never overflows
        return xp.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def backward(self, xp, dA, Z, A):
        return dA * A * (1.0 - A)


class Linear(Activation):
    name = "linear"

    def forward(self, xp, Z):
        return Z

    def backward(self, xp, dA, Z, A):
        return dA


class Softmax(Activation):
    """Column-wise softmax over the classes (axis 0), shifted by the column maximum."""

    name = "softmax"
    output_only = True

    def forward(self, xp, Z):
        E = xp.exp(Z - xp.max(Z, axis=0, keepdims=True))
        return E / xp.sum(E, axis=0, keepdims=True)

    def backward(self, xp, dA, Z, A):
        # Full Jacobian-vector product: dZ = A * (dA - sum(dA * A)).
        return A * (dA - xp.sum(dA * A, axis=0, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (ReLU, LeakyReLU, Tanh, Sigmoid, Linear, Softmax)
}

#: Output activations and the loss each is paired with.
OUTPUT_LOSSES = {"sigmoid": "binary_cross_entropy", "softmax": "categorical_cross_entropy",
                 "linear": "mean_squared_error"}


def get_activation(name: str | Activation) -> Activation:
    """The activation called ``name``; unknown names raise a ``ValueError`` with a suggestion."""
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]()


def default_activations(num_layers: int, num_outputs: int) -> list[str]:
    """ReLU hidden layers and a sigmoid output (softmax when there is more than one output)."""
    return ["relu"] * (num_layers - 1) + ["softmax" if num_outputs > 1 else "sigmoid"]
