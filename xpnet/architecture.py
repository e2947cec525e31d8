"""The one description of a network: layer sizes and activations -> parameter names and shapes.

Every part of xpnet that needs to know which arrays a network has asks :class:`Architecture`:
the checks of ``train``'s arguments and of ``params=``, :class:`~xpnet.model.Model`, model files
and checkpoints, gradient checking, the initialisers and the engines' flat buffers. The course's
layout is stated here once:

- layer ``l`` (1..L) has ``n_{l-1}`` inputs and ``n_l`` units, weights ``W{l}``
  (n_l, n_{l-1}) and biases ``b{l}`` (n_l, 1), and one activation;
- parameters are ordered ``W1, b1, ..., WL, bL``; the L2 penalty applies to the weights only;
- a hidden layer with batch normalisation (the course's week 3) has no bias: ``W{l}``,
  ``gamma{l}`` and ``beta{l}`` (n_l, 1), and keeps running statistics ``running_mean{l}`` and
  ``running_var{l}`` (n_l, 1), which are state, not parameters (optimizers never see them);
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
    """Layer ``index`` (the course's ``l``): ``n_in`` inputs, ``n_out`` units, an activation,
    and whether it normalises its pre-activations over the mini-batch (``batch_norm``)."""

    index: int
    n_in: int
    n_out: int
    activation: str
    batch_norm: bool = False

    @property
    def weight(self) -> str:
        return f"W{self.index}"

    @property
    def bias(self) -> str:
        return f"b{self.index}"

    @property
    def gamma(self) -> str:
        return f"gamma{self.index}"

    @property
    def beta(self) -> str:
        return f"beta{self.index}"

    @property
    def running_mean(self) -> str:
        return f"running_mean{self.index}"

    @property
    def running_var(self) -> str:
        return f"running_var{self.index}"

    def param_shapes(self) -> dict[str, tuple[int, int]]:
        """The layer's trained arrays: ``{"W{l}": (n_l, n_{l-1}), "b{l}": (n_l, 1)}``, or with
        batch norm ``{"W{l}", "gamma{l}": (n_l, 1), "beta{l}": (n_l, 1)}`` (β replaces b)."""
        column = (self.n_out, 1)
        if self.batch_norm:
            return {self.weight: (self.n_out, self.n_in), self.gamma: column, self.beta: column}
        return {self.weight: (self.n_out, self.n_in), self.bias: column}

    def stat_shapes(self) -> dict[str, tuple[int, int]]:
        """Arrays the layer keeps that are not trained: with batch norm the running mean and
        (biased) variance of its pre-activations, ``running_mean{l}``/``running_var{l}``
        (n_l, 1); none otherwise."""
        if not self.batch_norm:
            return {}
        return {self.running_mean: (self.n_out, 1), self.running_var: (self.n_out, 1)}


@dataclass(frozen=True)
class Architecture:
    """An L-layer fully-connected network: ``layer_dims`` ``[n_0, ..., n_L]`` and one
    activation name per layer. Build it with :meth:`of` (which checks its arguments) or
    :meth:`from_params`."""

    layer_dims: tuple[int, ...]
    activations: tuple[str, ...]
    batch_norm: tuple[bool, ...] = ()  # one per layer; () means none

    def __post_init__(self) -> None:
        if not self.batch_norm:
            object.__setattr__(self, "batch_norm", (False,) * (len(self.layer_dims) - 1))

    @classmethod
    def of(cls, layer_dims: Any, activations: Sequence[str | Activation] | None = None,
           batch_norm: bool | Sequence[bool] = False) -> Architecture:
        """Checked ``layer_dims`` and ``activations`` (``None``: ReLU hidden layers and a
        sigmoid output, softmax when there is more than one output). ``batch_norm``: ``True``
        for every hidden layer, or one bool per layer (the output layer's must be False)."""
        dims = check_layer_dims(layer_dims)
        L = len(dims) - 1
        acts = check_activations(activations if activations is not None
                                 else default_activations(L, dims[-1]), L)
        return cls(tuple(dims), tuple(a.name for a in acts), check_batch_norm(batch_norm, L))

    @classmethod
    def from_params(cls, params: Any, activations: Sequence[str | Activation]) -> Architecture:
        """The network that ``params`` (whose shapes must chain) and ``activations`` describe;
        a layer with ``gamma{l}`` and ``beta{l}`` has batch norm."""
        dims = params_layer_dims(params)
        return cls.of(dims, activations, params_batch_norm(params, len(dims) - 1))

    # -- layers -----------------------------------------------------------------------------
    @property
    def num_layers(self) -> int:
        """L: the number of layers with parameters (the input is not a layer)."""
        return len(self.layer_dims) - 1

    @cached_property
    def layers(self) -> tuple[Layer, ...]:
        d = self.layer_dims
        return tuple(Layer(l, d[l - 1], d[l], self.activations[l - 1], self.batch_norm[l - 1])
                     for l in range(1, self.num_layers + 1))

    @property
    def has_batch_norm(self) -> bool:
        return any(self.batch_norm)

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
        if tuple(dims) != self.layer_dims:
            raise ValueError(
                f"{name} describe layers {dims} (from the shapes of W1..W{len(dims) - 1}) but "
                f"layer_dims is {list(self.layer_dims)}"
            )
        for layer in self.layers:
            has_bn = layer.gamma in params
            if has_bn != layer.batch_norm:
                raise ValueError(
                    f"{name} has {'gamma' if has_bn else 'b'}{layer.index} but layer "
                    f"{layer.index} is {'' if layer.batch_norm else 'not '}batch-normalised"
                    f" (batch_norm={list(self.batch_norm)}); expected "
                    f"{', '.join(layer.param_shapes())}"
                )
        extra = sorted(map(str, set(params) - set(self.param_shapes)))
        if extra:
            raise ValueError(f"{name} has unexpected entries {extra}; expected only "
                             f"{', '.join(self.param_keys)}")

    def check_stats(self, stats: Any, name: str = "stats") -> None:
        """``stats`` holds exactly this network's running statistics, with their shapes."""
        if not isinstance(stats, dict):
            raise TypeError(f"{name} must be a dict of running statistics, got "
                            f"{type(stats).__name__}")
        if set(stats) != set(self.stat_shapes):
            raise ValueError(f"{name} has keys {sorted(map(str, stats))}; expected "
                             f"{sorted(self.stat_shapes) or 'none (no batch norm)'}")
        for key, shape in self.stat_shapes.items():
            got = tuple(getattr(stats[key], "shape", ()))
            if got != shape:
                raise ValueError(f"{name}[{key!r}] has shape {got}, expected {shape}")

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


def check_batch_norm(batch_norm: Any, num_layers: int) -> tuple[bool, ...]:
    """One bool per layer from ``batch_norm`` (a bool: every hidden layer); never the output's."""
    if isinstance(batch_norm, bool):
        return (batch_norm,) * (num_layers - 1) + (False,)
    if isinstance(batch_norm, (str, bytes)) or not isinstance(batch_norm, Sequence):
        raise TypeError(f"batch_norm must be True/False or one bool per layer, got "
                        f"{type(batch_norm).__name__}")
    flags = list(batch_norm)
    if len(flags) != num_layers:
        raise ValueError(f"batch_norm has {len(flags)} entries but the network has {num_layers} "
                         "layers; give one bool per layer, or True for every hidden layer")
    for i, flag in enumerate(flags):
        if not isinstance(flag, bool):
            raise TypeError(f"batch_norm[{i}] must be True or False, got {describe(flag)}")
    if flags[-1]:
        raise ValueError(f"batch_norm[-1] is True, but the output layer (layer {num_layers}) "
                         "keeps its bias b and never has batch norm")
    return tuple(flags)


def _layer_keys(params: dict, layer: int) -> tuple[str, ...]:
    """The parameter keys layer ``layer`` has in ``params``: W, b or W, gamma, beta."""
    if f"gamma{layer}" in params or f"beta{layer}" in params:
        return (f"W{layer}", f"gamma{layer}", f"beta{layer}")
    return (f"W{layer}", f"b{layer}")


def num_layers_of(params: Any, name: str = "params") -> int:
    """L for a parameter dict ``{"W1", "b1", ..., "WL", "bL"}`` (a batch-normalised layer has
    ``gamma{l}`` and ``beta{l}`` instead of ``b{l}``); raises if keys are missing."""
    if not isinstance(params, dict):
        raise TypeError(
            f"{name} must be a dict {{'W1': ..., 'b1': ..., ...}}, got {type(params).__name__}"
        )
    L = sum(1 for k in params if isinstance(k, str) and k[:1] == "W" and k[1:].isdigit())
    if L == 0:
        raise ValueError(f"{name} has no weights; expected keys 'W1', 'b1', 'W2', 'b2', ...")
    for layer in range(1, L + 1):
        keys = _layer_keys(params, layer)
        for key in keys:
            if key not in params:
                if key.startswith(("gamma", "beta")):
                    raise ValueError(
                        f"{name} is missing {key!r}: a batch-normalised layer {layer} needs both "
                        f"gamma{layer} and beta{layer} (and no b{layer})")
                raise ValueError(f"{name} is missing {key!r}; expected W1..W{L} and b1..b{L} "
                                 "(or gamma/beta in place of b for batch-normalised layers)")
        if len(keys) == 3 and f"b{layer}" in params:
            raise ValueError(f"{name} has b{layer} and gamma{layer}/beta{layer}: a "
                             f"batch-normalised layer has no bias (beta{layer} replaces it)")
    if len(_layer_keys(params, L)) == 3:
        raise ValueError(f"{name} has gamma{L}/beta{L}, but the output layer (layer {L}) keeps "
                         f"its bias b{L} and never has batch norm")
    return L


def params_batch_norm(params: Any, num_layers: int) -> tuple[bool, ...]:
    """Which layers of ``params`` (already checked by :func:`num_layers_of`) have batch norm."""
    return tuple(f"gamma{layer}" in params for layer in range(1, num_layers + 1))


def params_layer_dims(params: Any, name: str = "params") -> list[int]:
    """The layer sizes ``[n_0, ..., n_L]`` that ``params`` describe, after checking that they
    chain: ``W_l`` is (n_l, n_{l-1}) and ``b_l`` (or ``gamma_l`` and ``beta_l``) is (n_l, 1)."""
    L = num_layers_of(params, name)
    for key in (k for layer in range(1, L + 1) for k in _layer_keys(params, layer)):
        shape = getattr(params[key], "shape", None)
        if shape is None or len(shape) != 2:
            raise ValueError(f"{name}[{key!r}] must be a 2-D array, got {describe(params[key])}")
    dims = [int(params["W1"].shape[1])]
    for layer in range(1, L + 1):
        W = params[f"W{layer}"]
        if layer > 1 and W.shape[1] != dims[-1]:
            raise ValueError(
                f"{name}['W{layer}'] has shape {tuple(W.shape)} but {name}['W{layer - 1}'] has "
                f"{dims[-1]} rows: W{layer}'s columns must equal W{layer - 1}'s rows "
                f"(W{layer} is (n_{layer}, n_{layer - 1}))"
            )
        dims.append(int(W.shape[0]))
        for key in _layer_keys(params, layer)[1:]:
            if tuple(params[key].shape) != (dims[-1], 1):
                raise ValueError(
                    f"{name}[{key!r}] has shape {tuple(params[key].shape)}, expected "
                    f"({dims[-1]}, 1) to match {name}['W{layer}'] {tuple(W.shape)}"
                )
    return dims
