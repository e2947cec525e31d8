"""Training checkpoints: ``train(..., checkpoint=path)`` writes one, ``resume=path`` continues.

A checkpoint is a file in the container of :mod:`xpnet.files` (safetensors, or ``.npz`` for a
name ending in ``.npz``; written atomically, read as untrusted) with the format name
``"xpnet-checkpoint"``. Its arrays are the parameters ``W1, b1, ..., WL, bL``, the running
statistics of batch-normalised layers and the optimizer's per-parameter state as
``opt.<slot>.<param>`` (Adam's ``opt.v.W1``, ``opt.s.W1``, ...). Its JSON metadata holds the
number of completed epochs and their costs, the layer sizes, activations and dtype, the
optimizer's name, hyperparameters and step count ``t``, the random generator's state
(NumPy's ``bit_generator.state``, which drives the batch order and the dropout masks) and the
training settings. Restoring all of it makes ``resume=`` continue the run bit for bit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .architecture import Architecture
from .backend import Backend, to_numpy
from .files import (
    ArraySpecs,
    ModelFileError,
    check_stored_array,
    read_container,
    write_container,
)
from .model import Model, check_param_arrays, check_savable, model_arrays, read_network
from .optimizers import OPTIMIZERS
from .rng import RandomState

FORMAT = "xpnet-checkpoint"
_OPT = "opt."


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` read; arrays are NumPy arrays on the host."""

    path: str
    epoch: int
    costs: list[float]
    layer_dims: list[int]
    activations: list[str]
    batch_norm: list[bool]
    dtype: str
    optimizer: str
    hyperparameters: dict[str, float]
    optimizer_scalars: dict[str, Any]
    optimizer_arrays: dict[str, dict[str, np.ndarray]]
    params: dict[str, np.ndarray]
    rng_state: dict[str, Any]
    config: dict[str, Any]
    stats: dict[str, np.ndarray]

    def check_compatible(self, layer_dims: list[int], activations: list[str], optimizer: str,
                         dtype: str, batch_norm: list[bool] | None = None) -> None:
        """A ``ValueError`` when ``train(..., resume=)`` got a different network or optimizer."""
        batch_norm = self.batch_norm if batch_norm is None else batch_norm
        for name, saved, given in (("layer_dims", self.layer_dims, layer_dims),
                                   ("activations", self.activations, activations),
                                   ("batch_norm", self.batch_norm, batch_norm),
                                   ("optimizer", self.optimizer, optimizer),
                                   ("dtype", self.dtype, dtype)):
            if saved != given:
                raise ValueError(
                    f"resume={self.path!r} was written with {name}={saved!r} but train got "
                    f"{name}={given!r}; resume with the same layer_dims, activations, batch_norm,"
                    " optimizer and dtype (learning_rate, mini_batch_size, lambd and keep_prob may change)"
                )

    def check_resumable(self, num_epochs: int, hyperparameters: dict[str, float]) -> None:
        """A ``ValueError`` naming the setting when ``train(..., resume=)`` cannot continue this
        checkpoint: it is past ``num_epochs`` already, or the optimizer's hyperparameters other
        than the learning rate differ."""
        if num_epochs < self.epoch:
            raise ValueError(
                f"num_epochs={num_epochs} but resume={self.path!r} has {self.epoch} epochs "
                "already; num_epochs counts from the start of the run, so give at least "
                f"{self.epoch} (or load its model with train(..., params=...) to start afresh)"
            )
        for name, saved in self.hyperparameters.items():
            given = hyperparameters.get(name)
            if name != "learning_rate" and given != saved:
                raise ValueError(
                    f"resume={self.path!r} was written with the optimizer's {name}={saved!r} "
                    f"but train got {name}={given!r}; resume with the same {name} (only the "
                    "learning_rate may change)"
                )

    def params_on(self, backend: Backend) -> dict[str, Any]:
        return {k: backend.asarray(v, dtype=self.dtype) for k, v in self.params.items()}

    def stats_on(self, backend: Backend) -> dict[str, Any]:
        """The running statistics of the batch-normalised layers, on ``backend``."""
        return {k: backend.asarray(v, dtype=self.dtype) for k, v in self.stats.items()}

    def optimizer_state_on(self, backend: Backend) -> dict[str, Any]:
        """The optimizer state in the generic format, arrays on ``backend``."""
        state: dict[str, Any] = dict(self.optimizer_scalars)
        for slot, arrays in self.optimizer_arrays.items():
            state[slot] = {k: backend.asarray(v, dtype=self.dtype) for k, v in arrays.items()}
        return state


def save_checkpoint(path: str | os.PathLike, model: Model, optimizer_state: dict[str, Any],
                    rng_state: dict[str, Any]) -> None:
    """Write ``model`` (after ``len(model.costs)`` epochs), the optimizer state (generic format:
    ``{"t": int, slot: {param: array}}``) and the generator state to ``path``, atomically."""
    arrays = model.arrays_numpy()
    scalars = {}
    for key, value in optimizer_state.items():
        if isinstance(value, dict):
            arrays.update({_OPT + Architecture.state_key(key, p): to_numpy(a)
                           for p, a in value.items()})
        else:
            scalars[key] = value
    check_savable(arrays)  # a checkpoint that resume= would refuse is never written
    meta = model.metadata(FORMAT)
    meta.update({
        "epoch": len(model.costs),
        "optimizer": {"name": model.optimizer.name,
                      "hyperparameters": model.optimizer.hyperparameters(),
                      "state": scalars},
        "rng_state": rng_state,
    })
    write_container(path, arrays, meta)


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read and check a file written by :func:`save_checkpoint`; :class:`ModelFileError` when
    it is damaged or not a checkpoint."""
    source = str(path)
    arrays, meta = read_container(path, FORMAT, lambda meta: _checkpoint_arrays(meta, source))
    arch, dtype = read_network(meta, source)
    check_param_arrays(arrays, arch, dtype, source)
    params = {k: arrays.pop(k) for k in arch.param_keys}
    stats = {k: arrays.pop(k) for k in arch.stat_shapes}
    name, hyper, t = _read_optimizer(meta, source)
    opt_arrays: dict[str, dict[str, np.ndarray]] = {}
    for key, arr in arrays.items():  # the reader checked their names, shapes and dtypes
        slot, _, param = key[len(_OPT):].partition(".")
        check_stored_array(arr, key, arch.param_shapes[param], dtype, source)
        opt_arrays.setdefault(slot, {})[param] = arr
    return Checkpoint(path=source, epoch=meta["epoch"], costs=[float(c) for c in meta["costs"]],
                      layer_dims=list(arch.layer_dims), activations=list(arch.activations),
                      batch_norm=list(arch.batch_norm), dtype=dtype, optimizer=name,
                      hyperparameters=hyper, optimizer_scalars={"t": t},
                      optimizer_arrays=opt_arrays, params=params,
                      rng_state=_rng_state(meta, source), config=dict(meta.get("config") or {}),
                      stats=stats)


#: The largest optimizer step count a checkpoint may record (beyond it, float64 loses steps).
MAX_STEPS = 2**53


def _read_optimizer(meta: dict, source: str) -> tuple[str, dict[str, float], int]:
    """The optimizer's name, hyperparameters and step count ``t`` recorded in ``meta``."""
    opt = meta.get("optimizer")
    if not (isinstance(opt, dict) and isinstance(opt.get("name"), str)
            and isinstance(opt.get("state"), dict)
            and isinstance(opt.get("hyperparameters"), dict)):
        raise ModelFileError(f"{source}: metadata lacks the optimizer's name, hyperparameters "
                             "and state")
    name = opt["name"]
    if name not in OPTIMIZERS:
        raise ModelFileError(f"{source}: unknown optimizer {name!r}")
    hyper = opt["hyperparameters"]
    try:
        OPTIMIZERS[name](**hyper)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{source}: the optimizer's hyperparameters are damaged "
                             f"({exc})") from None
    t = opt["state"].get("t")
    if type(t) is not int or not 0 <= t <= MAX_STEPS or set(opt["state"]) != {"t"}:
        raise ModelFileError(f"{source}: the optimizer's step count is damaged ({t!r})")
    return name, {k: float(v) for k, v in hyper.items()}, t


def _checkpoint_arrays(meta: dict, source: str) -> ArraySpecs:
    """The arrays a checkpoint whose metadata is ``meta`` must hold: the model's, and one per
    optimizer slot and parameter once the optimizer has taken a step."""
    specs = model_arrays(meta, source)
    arch, dtype = read_network(meta, source)
    costs = meta.get("costs", [])
    epoch = meta.get("epoch")
    if type(epoch) is not int or epoch != len(costs):
        raise ModelFileError(f"{source}: epoch {epoch!r} does not match its {len(costs)} costs")
    name, _, t = _read_optimizer(meta, source)
    if t > 0:
        for slot in OPTIMIZERS[name]._slots:
            specs.update({_OPT + Architecture.state_key(slot, p): (shape, dtype)
                          for p, shape in arch.param_shapes.items()})
    return specs


def _rng_state(meta: dict, source: str) -> dict[str, Any]:
    """The random generator's state (NumPy's PCG64 ``bit_generator.state``), checked field by
    field before the generator sees it."""
    state: Any = meta.get("rng_state")
    inner = state.get("state") if isinstance(state, dict) else None

    def whole(value: Any, bits: int) -> bool:
        return type(value) is int and 0 <= value < 2**bits

    if not (isinstance(state, dict) and set(state) == {"bit_generator", "state", "has_uint32",
                                                        "uinteger"}
            and state["bit_generator"] == "PCG64" and isinstance(inner, dict)
            and set(inner) == {"state", "inc"} and whole(inner["state"], 128)
            and whole(inner["inc"], 128) and whole(state["has_uint32"], 1)
            and whole(state["uinteger"], 32)):
        raise ModelFileError(f"{source}: the random generator state is damaged")
    try:
        RandomState().set_state(state)
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise ModelFileError(f"{source}: the random generator state is damaged ({exc})") from None
    return state
