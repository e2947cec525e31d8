"""``Model``: a trained network's parameters, its activations and its cost history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .activations import get_activation
from .backend import Backend, as_data, get_backend, to_numpy
from .network import _forward
from .validation import (
    check_columns,
    check_examples,
    check_finite,
    check_input_rows,
    check_matrix,
    check_targets,
    is_label_row,
)


@dataclass
class Model:
    """What :func:`xpnet.train` returns.

    ``params`` live on ``backend``'s device; ``costs[e]`` is epoch ``e``'s cost (the cost of
    that epoch's forward passes before their updates, averaged over the examples).
    ``config`` records the training settings (optimizer, learning rate, epochs, ...).
    """

    params: dict[str, Any]
    activations: list[str]
    layer_dims: list[int]
    costs: list[float] = field(default_factory=list)
    backend: Backend | None = None
    dtype: str = "float32"
    config: dict[str, Any] = field(default_factory=dict)
    optimizer: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.backend is None:
            self.backend = get_backend(None, self.params["W1"])

    @property
    def output_activation(self) -> str:
        return self.activations[-1]

    @property
    def num_parameters(self) -> int:
        return sum(int(p.shape[0]) * int(p.shape[1]) for p in self.params.values())

    # -- inference --------------------------------------------------------------------------
    def _outputs(self, X: Any) -> tuple[Any, bool]:
        be = self.backend
        X_dev = as_data(be, "X", X, self.dtype)
        check_input_rows(X_dev, self.layer_dims[0], "the model's input size layer_dims[0]")
        check_finite(be.xp, "X", X_dev)
        acts = [get_activation(a) for a in self.activations]
        AL, _ = _forward(be.xp, X_dev, self.params, acts, 1.0, None, None)
        return AL, _is_host_input(X) and be.name != "numpy"

    def predict_proba(self, X: Any) -> Any:
        """Output activations (n_L, m): P(y=1) for sigmoid, class probabilities for softmax.

        A NumPy (or list) ``X`` gives a NumPy result whatever the backend; a backend array gives
        an array of that backend.
        """
        AL, to_host = self._outputs(X)
        return to_numpy(AL) if to_host else AL

    def predict(self, X: Any) -> Any:
        """Predictions (1, m): 0/1 labels for sigmoid (threshold 0.5), class indices for softmax,
        the outputs themselves (n_L, m) for a linear output."""
        AL, to_host = self._outputs(X)
        xp = self.backend.xp
        if self.output_activation == "sigmoid":
            out = xp.astype(AL > 0.5, xp.int64)
        elif self.output_activation == "softmax":
            out = xp.reshape(xp.argmax(AL, axis=0), (1, -1))
        else:
            out = AL
        return to_numpy(out) if to_host else out

    def evaluate(self, X: Any, Y: Any) -> float:
        """Accuracy in [0, 1] of ``predict(X)`` against ``Y``: 0/1 labels (1, m) for sigmoid,
        one-hot (C, m) or class indices (1, m) or (m,) for softmax."""
        if self.output_activation == "linear":
            raise ValueError(
                "evaluate() reports classification accuracy; for a linear (regression) output "
                "use xpnet.compute_cost(model.predict(X), Y, activation='linear')"
            )
        be = self.backend
        xp = be.xp
        X_dev = as_data(be, "X", X, self.dtype)
        check_input_rows(X_dev, self.layer_dims[0], "the model's input size layer_dims[0]")
        m = check_examples(X_dev)
        Yd = self._labels(Y, m)
        correct = xp.astype(Yd == self.predict(X_dev), xp.float64)
        return float(xp.mean(correct))

    def _labels(self, Y: Any, m: int) -> Any:
        """``Y`` checked against the output and turned into labels (1, m) on the backend."""
        xp, n_out = self.backend.xp, self.layer_dims[-1]
        Yd = as_data(self.backend, "Y", Y)
        if xp.isdtype(Yd.dtype, "bool"):
            Yd = xp.astype(Yd, xp.int64)
        if Yd.ndim == 1:
            Yd = xp.reshape(Yd, (1, -1))
        check_matrix("Y", Yd, "outputs, examples")
        check_columns(Yd, m, n_out)
        check_targets(xp, Yd, self.output_activation, n_out)
        if self.output_activation == "softmax" and not is_label_row(Yd, "softmax", n_out):
            Yd = xp.reshape(xp.argmax(Yd, axis=0), (1, -1))
        return xp.astype(Yd, xp.int64)

    # -- storage ----------------------------------------------------------------------------
    def params_numpy(self) -> dict[str, Any]:
        """The parameters as NumPy arrays (copied from the device when needed)."""
        return {k: to_numpy(v) for k, v in self.params.items()}

    def save(self, path: str) -> None:
        """Write the model to ``path`` (``.npz`` plus JSON metadata, no pickle), atomically."""
        from .io import save_model

        save_model(self, path)

    def __repr__(self) -> str:
        return (f"Model(layer_dims={self.layer_dims}, activations={self.activations}, "
                f"backend={self.backend.name if self.backend else None!r}, dtype={self.dtype!r}, "
                f"epochs={len(self.costs)}, final_cost={self.costs[-1] if self.costs else None})")


def _is_host_input(X: Any) -> bool:
    import array_api_compat

    return not array_api_compat.is_array_api_obj(X) or array_api_compat.is_numpy_array(X)
