"""Argument checks shared by the public functions: clear errors before any work is done."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .activations import OUTPUT_LOSSES, Activation, get_activation


def check_layer_dims(layer_dims: Any) -> list[int]:
    """``layer_dims`` as a list of at least two positive ints."""
    if isinstance(layer_dims, (str, bytes)) or not isinstance(layer_dims, Sequence):
        raise TypeError(
            f"layer_dims must be a list of layer sizes such as [12288, 20, 7, 5, 1], "
            f"got {type(layer_dims).__name__}"
        )
    dims = list(layer_dims)
    if len(dims) < 2:
        raise ValueError(
            f"layer_dims needs at least two entries (input size and output size), got {dims}"
        )
    for i, n in enumerate(dims):
        if isinstance(n, bool) or not isinstance(n, int) and not hasattr(n, "__index__"):
            raise TypeError(f"layer_dims[{i}] must be an int, got {n!r}")
        if int(n) < 1:
            raise ValueError(f"layer_dims[{i}] must be a positive layer size, got {n}")
    return [int(n) for n in dims]


def check_activations(activations: Sequence[str | Activation], num_layers: int) -> list[Activation]:
    """One known activation per layer, softmax only in the last, an output with a loss."""
    if isinstance(activations, (str, bytes)) or not isinstance(activations, Sequence):
        raise TypeError(
            "activations must be a list with one name per layer, e.g. ['relu', 'relu', 'sigmoid']"
        )
    if len(activations) != num_layers:
        raise ValueError(
            f"activations has {len(activations)} entries but the network has {num_layers} "
            f"layers; give one activation per layer"
        )
    acts = [get_activation(a) for a in activations]
    for l, act in enumerate(acts[:-1], start=1):
        if act.output_only:
            raise ValueError(
                f"activations[{l - 1}] is {act.name!r}, which is only allowed in the output "
                f"layer (layer {num_layers}); use 'relu' or 'tanh' for hidden layer {l}"
            )
    if acts[-1].name not in OUTPUT_LOSSES:
        raise ValueError(
            f"the output activation is {acts[-1].name!r}; xpnet pairs an output with a loss and "
            f"supports {', '.join(OUTPUT_LOSSES)} outputs"
        )
    return acts


def check_keep_prob(keep_prob: Any) -> float:
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, (int, float)):
        raise TypeError(f"keep_prob must be a number in (0, 1], got {keep_prob!r}")
    if not (0.0 < keep_prob <= 1.0):
        raise ValueError(f"keep_prob must be in (0, 1] (1 means no dropout), got {keep_prob}")
    return float(keep_prob)


def check_nonnegative(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return float(value)


def check_positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return float(value)


def check_unit_interval(name: str, value: Any) -> float:
    """A value in [0, 1), such as an optimizer's beta."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    if not (0.0 <= value < 1.0):
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return float(value)


def num_layers_of(params: dict[str, Any]) -> int:
    """L for a parameter dict ``{"W1", "b1", ..., "WL", "bL"}``; raises if keys are missing."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict {{'W1': ..., 'b1': ..., ...}}, got {type(params).__name__}")
    L = sum(1 for k in params if k.startswith("W") and k[1:].isdigit())
    if L == 0:
        raise ValueError("params has no weights; expected keys 'W1', 'b1', 'W2', 'b2', ...")
    for l in range(1, L + 1):
        for key in (f"W{l}", f"b{l}"):
            if key not in params:
                raise ValueError(f"params is missing {key!r}; expected W1..W{L} and b1..b{L}")
    return L


def check_same_shape(name_a: str, a: Any, name_b: str, b: Any) -> None:
    """Both arrays 2-D (outputs, examples) with the same shape."""
    for name, arr in ((name_a, a), (name_b, b)):
        if getattr(arr, "ndim", None) != 2:
            raise ValueError(
                f"{name} must be 2-D (outputs, examples), got shape {tuple(getattr(arr, 'shape', ()))}"
                + ("; reshape a vector of labels with y.reshape(1, -1)" if getattr(arr, "ndim", 0) == 1 else "")
            )
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{name_a} has shape {tuple(a.shape)} but {name_b} has shape {tuple(b.shape)}; "
            "they must match (outputs, examples)"
        )


def check_training_data(xp: Any, X: Any, Y: Any, layer_dims: list[int], output: str) -> None:
    """``X`` (n_x, m) and ``Y`` (n_y, m) agree with ``layer_dims`` and hold usable values."""
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (features, examples), got shape {tuple(X.shape)}"
            + ("; for one example use X.reshape(-1, 1), for one feature X.reshape(1, -1)"
               if X.ndim == 1 else "")
        )
    if Y.ndim != 2:
        raise ValueError(
            f"Y must be 2-D (outputs, examples), got shape {tuple(Y.shape)}"
            + ("; reshape labels with Y.reshape(1, -1)" if Y.ndim == 1 else "")
        )
    n_x, m = X.shape
    if n_x != layer_dims[0]:
        hint = " (examples as rows? pass X.T)" if m == layer_dims[0] else ""
        raise ValueError(
            f"X has {n_x} rows (features) but layer_dims[0] is {layer_dims[0]}; X must be "
            f"(n_x, m) = ({layer_dims[0]}, m), got {tuple(X.shape)}{hint}"
        )
    if m == 0:
        raise ValueError("X has no examples (0 columns); training needs at least one")
    if Y.shape[1] != m:
        hint = " (examples as rows? pass Y.T)" if Y.shape[0] == m else ""
        raise ValueError(
            f"Y has {Y.shape[1]} columns (examples) but X has {m}; Y must be "
            f"(n_y, m) = ({layer_dims[-1]}, {m}), got {tuple(Y.shape)}{hint}"
        )
    if Y.shape[0] != layer_dims[-1]:
        raise ValueError(
            f"Y has {Y.shape[0]} rows (outputs) but layer_dims[-1] is {layer_dims[-1]}"
        )
    if not bool(xp.all(xp.isfinite(X))):
        raise ValueError("X contains NaN or infinite values; clean or impute them before training")
    if not bool(xp.all(xp.isfinite(Y))):
        raise ValueError("Y contains NaN or infinite values")
    if output == "sigmoid" and not bool(xp.all((Y == 0) | (Y == 1))):
        raise ValueError(
            "Y must hold 0/1 labels for a sigmoid output; got other values "
            f"(min {float(xp.min(Y))}, max {float(xp.max(Y))})"
        )
    if output == "softmax":
        ones = xp.sum(Y, axis=0)
        if not bool(xp.all((Y == 0) | (Y == 1))) or not bool(xp.all(ones == 1)):
            raise ValueError(
                "Y must be one-hot (C, m) for a softmax output (each column a single 1), or "
                "integer class labels (1, m); see xpnet.one_hot"
            )


def check_params_chain(params: dict[str, Any], layer_dims: list[int]) -> None:
    """``W_l`` is (n_l, n_{l-1}) and ``b_l`` is (n_l, 1) for every layer of ``layer_dims``."""
    L = num_layers_of(params)
    if L != len(layer_dims) - 1:
        raise ValueError(
            f"params has {L} layers but layer_dims {layer_dims} describes {len(layer_dims) - 1}"
        )
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        want = (layer_dims[l], layer_dims[l - 1])
        if tuple(W.shape) != want:
            raise ValueError(
                f"params['W{l}'] has shape {tuple(W.shape)}, expected {want} from layer_dims "
                f"(W{l} columns must equal W{l - 1} rows)" if l > 1 else
                f"params['W1'] has shape {tuple(W.shape)}, expected {want} from layer_dims"
            )
        if tuple(b.shape) != (layer_dims[l], 1):
            raise ValueError(
                f"params['b{l}'] has shape {tuple(b.shape)}, expected ({layer_dims[l]}, 1)"
            )
