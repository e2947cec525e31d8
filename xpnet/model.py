"""``Model``: a trained network's parameters, its activations and its cost history; its file.

A model file is a container of :mod:`xpnet.files` with the format name ``"xpnet-model"``: the
arrays ``W1, b1, ..., WL, bL`` and running statistics of batch-normalised layers (the network's
:class:`~xpnet.architecture.Architecture` names them all) and metadata with the layer sizes,
activations, batch-norm layers, dtype, cost history, the per-epoch ``history`` (when there is
one) and training settings. :meth:`Model.save` writes it atomically; :func:`load` reads it
without pickle and checks the version, shapes, dtypes and values.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import array_api_compat
import numpy as np

from .architecture import Architecture, num_layers_of, params_batch_norm
from .backend import DTYPES, Backend, as_data, get_backend, to_numpy
from .files import (
    FORMAT_VERSION,
    ArraySpecs,
    ModelFileError,
    check_stored_array,
    read_container,
    write_container,
)
from .network import _forward
from .streaming import DiskArray, is_on_disk, read_whole
from .validation import (
    check_columns,
    check_examples,
    check_finite,
    check_input_rows,
    check_matrix,
    check_targets,
    is_label_row,
)

#: The format name of model files.
FORMAT = "xpnet-model"


@dataclass
class Model:
    """What :func:`xpnet.train` returns.

    ``params`` live on ``backend``'s device; ``costs[e]`` is epoch ``e``'s cost (the cost of
    that epoch's forward passes before their updates, averaged over the examples).
    ``config`` records the training settings (optimizer, learning rate, epochs, ...).
    ``history`` is what :func:`xpnet.train` recorded per epoch, one list per key (``"cost"``,
    ``"val_cost"``, ``"learning_rate"``, ``"seconds"``, ...; see ``train``); model files keep
    it (see :func:`history_metadata`), and a file written before they did loads with ``{}``.
    ``stats`` holds the running statistics of batch-normalised layers (``running_mean{l}``,
    ``running_var{l}``, (n_l, 1)), which inference uses in place of the batch's: state, not
    parameters (``{}`` without batch norm).
    """

    params: dict[str, Any]
    activations: list[str]
    layer_dims: list[int]
    costs: list[float] = field(default_factory=list)
    backend: Backend | None = None
    dtype: str = "float32"
    config: dict[str, Any] = field(default_factory=dict)
    optimizer: Any = field(default=None, repr=False)
    history: dict[str, list[Any]] = field(default_factory=dict, repr=False)
    stats: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.backend is None:
            self.backend = get_backend(None, self.params["W1"])

    @property
    def _backend(self) -> Backend:
        """``backend``, which ``__post_init__`` always sets."""
        assert self.backend is not None
        return self.backend

    @property
    def architecture(self) -> Architecture:
        """The network: layer sizes, activations and batch-norm layers (and from them the
        parameter and statistics names)."""
        return Architecture(tuple(self.layer_dims), tuple(self.activations),
                            params_batch_norm(self.params, num_layers_of(self.params)))

    @property
    def batch_norm(self) -> list[bool]:
        """Which layers are batch-normalised (one bool per layer)."""
        return list(self.architecture.batch_norm)

    @property
    def output_activation(self) -> str:
        return self.activations[-1]

    @property
    def num_parameters(self) -> int:
        return self.architecture.num_parameters

    # -- inference --------------------------------------------------------------------------
    def _outputs(self, X: Any) -> tuple[Any, bool]:
        be = self._backend
        if is_on_disk(X):
            return self._outputs_from_disk(X), True
        X_dev = as_data(be, "X", X, self.dtype)
        check_input_rows(X_dev, self.layer_dims[0], "the model's input size layer_dims[0]")
        check_finite(be.xp, "X", X_dev)
        with be.library.quiet():  # exp overflowing to inf gives the right 0 or 1
            AL, _ = _forward(be.xp, X_dev, self.params, self.architecture.acts, stats=self.stats)
        return AL, _is_host_input(X) and be.name != "numpy"

    def _outputs_from_disk(self, X: Any) -> np.ndarray:
        """The outputs for ``X`` on disk (:mod:`xpnet.streaming`), read and predicted in blocks
        of about 64 MiB; a NumPy array."""
        source = X if isinstance(X, DiskArray) else DiskArray(X)
        if source.n != self.layer_dims[0]:
            raise ValueError(f"X has {source.n} features per example (read as (features, "
                             f"examples)) but the model's input size layer_dims[0] is "
                             f"{self.layer_dims[0]}")
        dtype = np.dtype(self.dtype)
        step = max(1, (64 << 20) // (source.n * dtype.itemsize))
        parts = []
        for a in range(0, source.m, step):  # each block as an in-memory X
            AL, _ = self._outputs(source.read(a, min(source.m, a + step), dtype).T)
            parts.append(to_numpy(AL))
        return np.concatenate(parts, axis=1)

    def predict_proba(self, X: Any) -> Any:
        """Output activations (n_L, m): P(y=1) for sigmoid, class probabilities for softmax.

        A NumPy (or list) ``X`` gives a NumPy result whatever the backend; a backend array gives
        an array of that backend. ``X`` may also be an array on disk (h5py, memmap, Zarr,
        ``dask.array``, :class:`xpnet.DiskArray`), read in blocks; the result is then NumPy.
        """
        AL, to_host = self._outputs(X)
        return to_numpy(AL) if to_host else AL

    def predict(self, X: Any) -> Any:
        """Predictions (1, m): 0/1 labels for sigmoid (threshold 0.5), class indices for softmax,
        the outputs themselves (n_L, m) for a linear output."""
        AL, to_host = self._outputs(X)
        xp = self._backend.xp
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
        be = self._backend
        xp = be.xp
        if is_on_disk(X):
            predicted = be.asarray(self.predict(X))
        else:
            X_dev = as_data(be, "X", X, self.dtype)
            check_input_rows(X_dev, self.layer_dims[0], "the model's input size layer_dims[0]")
            check_examples(X_dev)
            predicted = self.predict(X_dev)
        Yd = self._labels(read_whole(Y), predicted.shape[1])
        correct = xp.astype(Yd == predicted, xp.float64)
        return float(xp.mean(correct))

    def _labels(self, Y: Any, m: int) -> Any:
        """``Y`` checked against the output and turned into labels (1, m) on the backend."""
        xp, n_out = self._backend.xp, self.layer_dims[-1]
        Yd = as_data(self._backend, "Y", Y)
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

    def arrays_numpy(self) -> dict[str, Any]:
        """What a model file stores: the parameters and the running statistics, as NumPy."""
        return {**self.params_numpy(), **{k: to_numpy(v) for k, v in self.stats.items()}}

    def metadata(self, file_format: str = FORMAT) -> dict[str, Any]:
        """The JSON metadata of a model file (and the common part of a checkpoint's). A model
        file's holds ``history`` too, when there is one (a checkpoint's does not)."""
        meta = {
            "format": file_format,
            "version": FORMAT_VERSION,
            "layer_dims": list(self.layer_dims),
            "activations": list(self.activations),
            "batch_norm": self.batch_norm,
            "dtype": self.dtype,
            "costs": [float(c) for c in self.costs],
            "config": self.config,
        }
        if file_format == FORMAT and self.history:
            meta["history"] = history_metadata(self.history)
        return meta

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to ``path``, atomically: safetensors, or ``.npz`` for a name ending
        in ``.npz`` (see :mod:`xpnet.files`), with its ``history``. Parameters that are NaN or
        infinite are refused with a ``ValueError`` (such a file could not be loaded), and so is
        a ``history`` that is not lists of numbers of one length (see
        :func:`history_metadata`)."""
        arrays = self.arrays_numpy()
        check_savable(arrays)
        meta = self.metadata()  # checks the history before anything is written
        write_container(path, arrays, meta)

    def to_onnx(self, path: str | os.PathLike) -> None:
        """Write the network as an ONNX model to ``path`` (atomically), to run in onnxruntime
        and elsewhere: input ``X`` is (m, n_0), one example per row, and output
        ``probabilities`` is (m, n_L), ``predict_proba(X.T).T``. Needs ``pip install onnx``;
        see :mod:`xpnet.export`."""
        from .export import save_onnx

        arrays = self.params_numpy()
        check_savable(arrays)
        save_onnx(path, arrays, self.architecture, self.dtype)

    @classmethod
    def load(cls, path: str | os.PathLike, *, backend: Any = None, device: Any = None) -> Model:
        """Read a model written by :meth:`save`; parameters go to ``backend`` (NumPy by default).

        Raises :class:`~xpnet.files.ModelFileError` for a damaged or foreign file: a wrong
        format or version, missing parameters, wrong shapes or dtypes, NaN or infinite values.
        """
        source = str(path)
        arrays, meta = read_container(path, FORMAT, lambda meta: model_arrays(meta, source))
        arch, dtype = read_network(meta, source)
        check_param_arrays(arrays, arch, dtype, source)
        be = get_backend(backend or "numpy", device=device)
        params = {k: be.asarray(arrays[k], dtype=dtype) for k in arch.param_keys}
        stats = {k: be.asarray(arrays[k], dtype=dtype) for k in arch.stat_shapes}
        return cls(params=params, activations=list(arch.activations),
                   layer_dims=list(arch.layer_dims), costs=read_costs(meta, source), backend=be,
                   dtype=dtype, config=read_config(meta, source),
                   history=read_history(meta, source), stats=stats)

    def __repr__(self) -> str:
        bn = f"batch_norm={self.batch_norm}, " if any(self.batch_norm) else ""
        return (f"Model(layer_dims={self.layer_dims}, activations={self.activations}, {bn}"
                f"backend={self.backend.name if self.backend else None!r}, dtype={self.dtype!r}, "
                f"epochs={len(self.costs)}, final_cost={self.costs[-1] if self.costs else None})")


def load(path: str | os.PathLike, *, backend: Any = None, device: Any = None) -> Model:
    """Read a model written by :meth:`Model.save` (``xpnet.load``); see :meth:`Model.load`."""
    return Model.load(path, backend=backend, device=device)


def _is_host_input(X: Any) -> bool:
    return not array_api_compat.is_array_api_obj(X) or array_api_compat.is_numpy_array(X)


# -- reading model files (and the common part of checkpoints) -----------------------------------


def check_savable(arrays: dict[str, np.ndarray]) -> None:
    """A ``ValueError`` naming the first array holding NaN or infinite values."""
    for key, arr in arrays.items():
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{key} holds NaN or infinite values; xpnet does not save a model "
                             "that it could not load (train with a lower learning_rate)")


def model_arrays(meta: dict, source: str) -> ArraySpecs:
    """The arrays a model file whose metadata is ``meta`` must hold: the parameters and the
    running statistics its network names, in its dtype. The metadata is checked first."""
    arch, dtype = read_network(meta, source)
    read_costs(meta, source)
    read_config(meta, source)
    read_history(meta, source)
    shapes = {**arch.param_shapes, **arch.stat_shapes}
    return {k: (shape, dtype) for k, shape in shapes.items()}


def read_config(meta: dict, source: str) -> dict[str, Any]:
    """The training settings recorded in ``meta``: a JSON object."""
    config = meta.get("config", {})
    if not isinstance(config, dict):
        raise ModelFileError(f"{source}: metadata 'config' must be an object, got "
                             f"{type(config).__name__}")
    return dict(config)


def read_network(meta: dict, source: str) -> tuple[Architecture, str]:
    """``(architecture, dtype)`` recorded in ``meta``, checked like train's arguments."""
    missing = [key for key in ("layer_dims", "activations", "dtype") if key not in meta]
    if missing:
        raise ModelFileError(f"{source}: metadata lacks {', '.join(missing)}")
    try:
        arch = Architecture.of(meta["layer_dims"], meta["activations"],
                               meta.get("batch_norm", False))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{source}: metadata is damaged: {exc}") from None
    dtype = meta["dtype"]
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ModelFileError(f"{source}: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    return arch, dtype


def check_param_arrays(arrays: dict[str, np.ndarray], arch: Architecture, dtype: str,
                       source: str) -> None:
    """The parameters and running statistics of ``arch`` with their shapes and the recorded
    dtype, and finite, or an error."""
    expected = {**arch.param_shapes, **arch.stat_shapes}
    missing = sorted(set(expected) - set(arrays))
    if missing:
        what = ("running statistics" if set(missing) <= set(arch.stat_shapes)
                else "parameters")
        raise ModelFileError(f"{source} lacks {what} {', '.join(missing)}")
    for key, shape in expected.items():
        check_stored_array(arrays[key], key, shape, dtype, source)
    for layer in arch.layers:
        if layer.batch_norm and not np.all(arrays[layer.running_var] >= 0):
            raise ModelFileError(f"{source}: {layer.running_var} holds negative variances")


def _finite_number(value: Any) -> bool:
    """``value`` is a JSON number (not a bool) that is finite as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond float's range
        return False


def read_costs(meta: dict, source: str) -> list[float]:
    """The cost history recorded in ``meta``: a list of finite numbers."""
    costs = meta.get("costs", [])
    if not isinstance(costs, list) or not all(_finite_number(c) for c in costs):
        raise ModelFileError(f"{source}: metadata 'costs' must be a list of finite numbers")
    return [float(c) for c in costs]


#: The longest key of a saved history, in characters.
MAX_HISTORY_KEY = 100
#: Epoch numbers of a saved history are below this (whole numbers exact in a float64).
MAX_EPOCH = 2**53


def history_metadata(history: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``Model.history`` as a model file stores it: one list per key, all of one length, of
    numbers or ``None``. ``"epoch"`` holds whole numbers (>= 0); any other key, those of
    :func:`xpnet.train` (``"cost"``, ``"val_accuracy"``, ...) or one of yours, holds floats or
    ``None``; NaN and infinite values are stored as ``None`` (JSON has
    neither) and ``"seconds"`` to the microsecond, which keeps the file small. Anything else
    (a key that is not a string, a value that is not a number, lists of different lengths) is a
    ``ValueError``: xpnet does not save a model that it could not load."""
    if not isinstance(history, Mapping):
        raise ValueError(f"model.history must be a dict of lists, got {type(history).__name__}")
    stored: dict[str, list[Any]] = {}
    for key, values in history.items():
        if not isinstance(key, str) or not 0 < len(key) <= MAX_HISTORY_KEY:
            raise ValueError(f"model.history's keys must be strings of 1 to {MAX_HISTORY_KEY} "
                             f"characters, got {key!r}")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise ValueError(f"model.history[{key!r}] must be a list, got "
                             f"{type(values).__name__}")
        stored[key] = [_history_entry(key, i, v) for i, v in enumerate(values)]
    lengths = {key: len(values) for key, values in stored.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"model.history's lists must have one entry per epoch each, got "
                         f"lengths {lengths}")
    return stored


def _history_entry(key: str, i: int, value: Any) -> Any:
    what = f"model.history[{key!r}][{i}]"
    if key == "epoch":
        if (isinstance(value, numbers.Integral) and not isinstance(value, bool)
                and 0 <= int(value) < MAX_EPOCH):
            return int(value)
        raise ValueError(f"{what} must be an epoch number (a whole number from 0 to 2**53), "
                         f"got {value!r}")
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            return None
        return round(number, 6) if key == "seconds" else number
    raise ValueError(f"{what} must be a number or None, got {type(value).__name__}")


def read_history(meta: dict, source: str) -> dict[str, list[Any]]:
    """The per-epoch history recorded in ``meta`` (``{}`` when there is none, as in files
    written before models kept it): an object of lists of one length; ``"epoch"`` whole
    numbers >= 0, the other keys finite numbers or ``None``."""
    history = meta.get("history", {})
    if not isinstance(history, dict):
        raise ModelFileError(f"{source}: metadata 'history' must be an object of lists, got "
                             f"{type(history).__name__}")
    result: dict[str, list[Any]] = {}
    for key, values in history.items():
        if not 0 < len(key) <= MAX_HISTORY_KEY:
            raise ModelFileError(f"{source}: metadata 'history' has a key of {len(key)} "
                                 f"characters (1 to {MAX_HISTORY_KEY} expected)")
        if not isinstance(values, list):
            raise ModelFileError(f"{source}: metadata 'history' entry {key!r} must be a list, "
                                 f"got {type(values).__name__}")
        if key == "epoch":
            if not all(type(v) is int and 0 <= v < MAX_EPOCH for v in values):
                raise ModelFileError(f"{source}: metadata 'history' entry 'epoch' must be a "
                                     "list of whole numbers >= 0")
            result[key] = list(values)
            continue
        if not all(v is None or _finite_number(v) for v in values):
            raise ModelFileError(f"{source}: metadata 'history' entry {key!r} must be a list "
                                 "of finite numbers or null")
        result[key] = [None if v is None else float(v) for v in values]
    lengths = {key: len(values) for key, values in result.items()}
    if len(set(lengths.values())) > 1:
        raise ModelFileError(f"{source}: metadata 'history' lists have different lengths "
                             f"({', '.join(f'{k}: {n}' for k, n in lengths.items())})")
    return result
