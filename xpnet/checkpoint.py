"""Training checkpoints: ``train(..., checkpoint=path)`` writes one, ``resume=path`` continues.

A checkpoint is an ``.npz`` file in the container of :mod:`xpnet.files` (written atomically,
read without pickle) with the format name ``"xpnet-checkpoint"``. Its arrays are the parameters
``W1, b1, ..., WL, bL``, the running statistics of batch-normalised layers and the optimizer's
per-parameter state as ``opt.<slot>.<param>`` (Adam's ``opt.v.W1``, ``opt.s.W1``, ...). Its JSON
metadata holds the number of completed epochs and their costs, the layer sizes, activations and
dtype, the optimizer's name, hyperparameters and step count ``t``, the random generator's state
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
from .files import FORMAT_VERSION, ModelFileError, check_stored_array, read_npz, write_npz_atomic
from .model import Model, check_param_arrays, read_costs, read_network
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
    meta = model.metadata(FORMAT)
    meta.update({
        "epoch": len(model.costs),
        "optimizer": {"name": model.optimizer.name,
                      "hyperparameters": model.optimizer.hyperparameters(),
                      "state": scalars},
        "rng_state": rng_state,
    })
    write_npz_atomic(path, arrays, meta)


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read and check a file written by :func:`save_checkpoint`; :class:`ModelFileError` when
    it is damaged or not a checkpoint."""
    source = str(path)
    arrays, meta = read_npz(path, FORMAT, FORMAT_VERSION)
    arch, dtype = read_network(meta, source)
    check_param_arrays(arrays, arch, dtype, source)
    params = {k: arrays.pop(k) for k in arch.param_keys}
    stats = {k: arrays.pop(k) for k in arch.stat_shapes}
    opt_arrays = _optimizer_arrays(arrays, params, dtype, source)
    costs = read_costs(meta, source)
    epoch = meta.get("epoch")
    if not isinstance(epoch, int) or epoch != len(costs):
        raise ModelFileError(f"{source}: epoch {epoch!r} does not match its {len(costs)} costs")
    opt = meta.get("optimizer")
    if not (isinstance(opt, dict) and isinstance(opt.get("name"), str)
            and isinstance(opt.get("state"), dict)):
        raise ModelFileError(f"{source}: metadata lacks the optimizer's name and state")
    return Checkpoint(path=source, epoch=epoch, costs=costs, layer_dims=list(arch.layer_dims),
                      activations=list(arch.activations), batch_norm=list(arch.batch_norm),
                      dtype=dtype, optimizer=opt["name"],
                      optimizer_scalars=opt["state"], optimizer_arrays=opt_arrays, params=params,
                      rng_state=_rng_state(meta, source), config=dict(meta.get("config") or {}),
                      stats=stats)


def _optimizer_arrays(arrays: dict[str, np.ndarray], params: dict[str, np.ndarray], dtype: str,
                      source: str) -> dict[str, dict[str, np.ndarray]]:
    """``{slot: {param: array}}`` from the ``opt.<slot>.<param>`` arrays, each shaped like its
    parameter; any other array makes the file foreign."""
    slots: dict[str, dict[str, np.ndarray]] = {}
    for key, arr in arrays.items():
        slot, _, param = key[len(_OPT):].partition(".")
        if not key.startswith(_OPT) or param not in params:
            raise ModelFileError(f"{source}: unexpected array {key!r} in a checkpoint")
        check_stored_array(arr, key, tuple(params[param].shape), dtype, source)
        slots.setdefault(slot, {})[param] = arr
    return slots


def _rng_state(meta: dict, source: str) -> dict[str, Any]:
    state: Any = meta.get("rng_state")
    try:
        RandomState().set_state(state)
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{source}: the random generator state is damaged ({exc})") from None
    return state
