"""The one description of a network: layer sizes and activations -> parameter names and shapes.

Every part of xpnet that needs to know which arrays a network has asks :class:`Architecture`:
the checks of ``train``'s arguments and of ``params=``, :class:`~xpnet.model.Model`, model files
and checkpoints, gradient checking, the initialisers and the engines' flat buffers. The course's
layout is stated here once:

- layer ``l`` (1..L) has ``n_{l-1}`` inputs and ``n_l`` units, weights ``W{l}``
  (n_l, n_{l-1}) and biases ``b{l}`` (n_l, 1), and one activation;
- parameters are ordered ``W1, b1, ..., WL, bL``; the L2 penalty applies to the weights only;
- an optimizer keeps one array per parameter and slot, named ``<slot>.<param>`` in files
  (Adam's ``v.W1``, ``s.W1``).

Per-layer options (batch normalisation, for one) belong in :class:`Layer`: a layer that adds
parameters or running statistics says so in :meth:`Layer.param_shapes` and
:meth:`Layer.stat_shapes`, and everything above follows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .activations import OUTPUT_LOSSES, Activation, default_activations, get_activation
from .validation import check_int, describe


@dataclass(frozen=True)
class Layer:
    """Layer ``index`` (the course's ``l``): ``n_in`` inputs, ``n_out`` units, an activation."""

    index: int
    n_in: int
    n_out: int
    activation: str

    @property
    def weight(self) -> str:
        return f"W{self.index}"

    @property
    def bias(self) -> str:
        return f"b{self.index}"

    def param_shapes(self) -> dict[str, tuple[int, int]]:
        """``{"W{l}": (n_l, n_{l-1}), "b{l}": (n_l, 1)}``: the layer's trained arrays."""
        return {self.weight: (self.n_out, self.n_in), self.bias: (self.n_out, 1)}

    def stat_shapes(self) -> dict[str, tuple[int, int]]:
        """Arrays the layer keeps that are not trained (running statistics): none yet."""
        return {}


@dataclass(frozen=True)
class Architecture:
    """An L-layer fully-connected network: ``layer_dims`` ``[n_0, ..., n_L]`` and one
    activation name per layer. Build it with :meth:`of` (which checks its arguments) or
    :meth:`from_params`."""

    layer_dims: tuple[int, ...]
    activations: tuple[str, ...]

    @classmethod
    def of(cls, layer_dims: Any, activations: Sequence[str | Activation] | None = None
           ) -> Architecture:
        """Checked ``layer_dims`` and ``activations`` (``None``: ReLU hidden layers and a
        sigmoid output, softmax when there is more than one output)."""
        dims = check_layer_dims(layer_dims)
        L = len(dims) - 1
        acts = check_activations(activations if activations is not None
                                 else default_activations(L, dims[-1]), L)
        return cls(tuple(dims), tuple(a.name for a in acts))

    @classmethod
    def from_params(cls, params: Any, activations: Sequence[str | Activation]) -> Architecture:
        """The network that ``params`` (whose shapes must chain) and ``activations`` describe."""
        return cls.of(params_layer_dims(params), activations)

    # -- layers -----------------------------------------------------------------------------
    @property
    def num_layers(self) -> int:
        """L: the number of layers with parameters (the input is not a layer)."""
        return len(self.layer_dims) - 1

    @cached_property
    def layers(self) -> tuple[Layer, ...]:
        d = self.layer_dims
        return tuple(Layer(l, d[l - 1], d[l], self.activations[l - 1])
                     for l in range(1, self.num_layers + 1))

    @cached_property
    def acts(self) -> tuple[Activation, ...]:
        """The activation objects, layer by layer."""
        return tuple(get_activation(a) for a in self.activations)

    @property
    def output(self) -> str:
        """The output activation's name, which also chooses the loss."""
        return self.activations[-1]

    # -- parameters and state ---------------------------------------------------------------
    @cached_property
    def param_shapes(self) -> dict[str, tuple[int, int]]:
        """``{"W1": (n_1, n_0), "b1": (n_1, 1), ..., "bL": (n_L, 1)}``, in order."""
        return {k: s for layer in self.layers for k, s in layer.param_shapes().items()}

    @property
    def param_keys(self) -> list[str]:
        return list(self.param_shapes)

    @property
    def weight_keys(self) -> list[str]:
        """The parameters the L2 penalty applies to."""
        return [layer.weight for layer in self.layers]

    @cached_property
    def stat_shapes(self) -> dict[str, tuple[int, int]]:
        """Arrays that are saved with the model but never trained (running statistics)."""
        return {k: s for layer in self.layers for k, s in layer.stat_shapes().items()}

    @property
    def num_parameters(self) -> int:
        return sum(r * c for r, c in self.param_shapes.values())

    @staticmethod
    def state_key(slot: str, param: str) -> str:
        """The file name of optimizer slot ``slot`` of ``param``: ``"v.W1"``."""
        return f"{slot}.{param}"

    def check_params(self, params: Any, name: str = "params") -> None:
        """``params`` holds exactly this network's parameters, with their shapes."""
        dims = params_layer_dims(params, name)
        extra = sorted(map(str, set(params) - set(self.param_shapes)))
        if extra:
            raise ValueError(f"{name} has unexpected entries {extra}; expected only "
                             f"{', '.join(self.param_keys)}")
        if tuple(dims) != self.layer_dims:
            raise ValueError(
                f"{name} describe layers {dims} (from the shapes of W1..W{len(dims) - 1}) but "
                f"layer_dims is {list(self.layer_dims)}"
            )

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)


# -- checks of the pieces -----------------------------------------------------------------------


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
    return [check_int(f"layer_dims[{i}]", n, minimum=1) for i, n in enumerate(dims)]


def check_activations(activations: Sequence[str | Activation], num_layers: int) -> list[Activation]:
    """One known activation per layer, softmax only in the last, an output with a loss."""
    if isinstance(activations, (str, bytes)) or not isinstance(activations, Sequence):
        raise TypeError(
            "activations must be a list with one name per layer, e.g. ['relu', 'relu', 'sigmoid']"
            f", got {type(activations).__name__}"
        )
    if len(activations) != num_layers:
        raise ValueError(
            f"activations has {len(activations)} entries but the network has {num_layers} "
            f"layers; give one activation per layer"
        )
    acts = []
    for i, a in enumerate(activations):
        try:
            acts.append(get_activation(a))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"activations[{i}]: {exc}") from None
    for i, act in enumerate(acts[:-1]):
        if act.output_only:
            raise ValueError(
                f"activations[{i}] is {act.name!r}, which is only allowed in the output "
                f"layer (layer {num_layers}); use 'relu' or 'tanh' for hidden layer {i + 1}"
            )
    if acts[-1].name not in OUTPUT_LOSSES:
        raise ValueError(
            f"activations[-1] (the output) is {acts[-1].name!r}; xpnet pairs an output with a "
            f"loss and supports {', '.join(OUTPUT_LOSSES)} outputs"
        )
    return acts


def num_layers_of(params: Any, name: str = "params") -> int:
    """L for a parameter dict ``{"W1", "b1", ..., "WL", "bL"}``; raises if keys are missing."""
    if not isinstance(params, dict):
        raise TypeError(
            f"{name} must be a dict {{'W1': ..., 'b1': ..., ...}}, got {type(params).__name__}"
        )
    L = sum(1 for k in params if isinstance(k, str) and k[:1] == "W" and k[1:].isdigit())
    if L == 0:
        raise ValueError(f"{name} has no weights; expected keys 'W1', 'b1', 'W2', 'b2', ...")
    for layer in range(1, L + 1):
        for key in (f"W{layer}", f"b{layer}"):
            if key not in params:
                raise ValueError(f"{name} is missing {key!r}; expected W1..W{L} and b1..b{L}")
    return L


def params_layer_dims(params: Any, name: str = "params") -> list[int]:
    """The layer sizes ``[n_0, ..., n_L]`` that ``params`` describe, after checking that they
    chain: ``W_l`` is (n_l, n_{l-1}) and ``b_l`` is (n_l, 1)."""
    L = num_layers_of(params, name)
    for key in (k for layer in range(1, L + 1) for k in (f"W{layer}", f"b{layer}")):
        shape = getattr(params[key], "shape", None)
        if shape is None or len(shape) != 2:
            raise ValueError(f"{name}[{key!r}] must be a 2-D array, got {describe(params[key])}")
    dims = [int(params["W1"].shape[1])]
    for layer in range(1, L + 1):
        W, b = params[f"W{layer}"], params[f"b{layer}"]
        if layer > 1 and W.shape[1] != dims[-1]:
            raise ValueError(
                f"{name}['W{layer}'] has shape {tuple(W.shape)} but {name}['W{layer - 1}'] has "
                f"{dims[-1]} rows: W{layer}'s columns must equal W{layer - 1}'s rows "
                f"(W{layer} is (n_{layer}, n_{layer - 1}))"
            )
        dims.append(int(W.shape[0]))
        if tuple(b.shape) != (dims[-1], 1):
            raise ValueError(
                f"{name}['b{layer}'] has shape {tuple(b.shape)}, expected ({dims[-1]}, 1) to "
                f"match {name}['W{layer}'] {tuple(W.shape)}"
            )
    return dims
