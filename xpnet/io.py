"""Saving and loading models: ``.npz`` arrays plus JSON metadata, no pickle, atomic writes.

A model file is a NumPy ``.npz`` archive holding ``W1, b1, ..., WL, bL`` and an entry
``__xpnet__``: the UTF-8 bytes of a JSON object with the format name and version, the layer
sizes, activations, dtype, cost history and training settings. Files are written to a
temporary file in the same folder and renamed over the target, so an interrupted save leaves
the previous file intact. Loading never unpickles and checks the version, shapes and dtypes.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .architecture import check_activations, check_layer_dims
from .backend import DTYPES, get_backend

if TYPE_CHECKING:
    from .model import Model

FORMAT = "xpnet-model"
FORMAT_VERSION = 1
META_KEY = "__xpnet__"


class ModelFileError(ValueError):
    """A file is not an xpnet model, or is damaged."""


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


def write_npz_atomic(path: str | os.PathLike, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Write ``arrays`` and ``meta`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    payload = dict(arrays)
    payload[META_KEY] = np.frombuffer(json.dumps(meta, default=_json_default).encode(), np.uint8)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_OTHER_FORMAT_HINTS = {
    "xpnet-checkpoint": "; it is a training checkpoint: continue with "
                        "xpnet.train(..., resume=path)",
    "xpnet-model": "; it is a saved model: start from its weights with "
                   "xpnet.train(..., params=xpnet.load(path).params)",
}


def read_npz(path: str | os.PathLike, expected_format: str = FORMAT,
             expected_version: int = FORMAT_VERSION) -> tuple[dict, dict]:
    """``(arrays, meta)`` from a file written by :func:`write_npz_atomic`; never unpickles."""
    path = Path(path)
    kind = expected_format.removeprefix("xpnet-")
    if not path.is_file():
        raise FileNotFoundError(f"no such {kind} file: {path}")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{path} is not a readable xpnet file: expected a {kind} .npz archive written by xpnet"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ModelFileError(f"{path} is not a readable xpnet file ({exc})") from None
    raw = arrays.pop(META_KEY, None)
    if raw is None:
        raise ModelFileError(f"{path} has no {META_KEY} metadata: it was not written by xpnet")
    try:
        meta = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: metadata is damaged ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path}: metadata is damaged (not a JSON object)")
    if meta.get("format") != expected_format:
        raise ModelFileError(
            f"{path} is a {meta.get('format')!r} file, expected {expected_format!r}"
            + _OTHER_FORMAT_HINTS.get(str(meta.get("format")), "")
        )
    if meta.get("version") != expected_version:
        raise ModelFileError(
            f"{path} has format version {meta.get('version')!r}; this xpnet reads "
            f"{expected_format} version {expected_version}"
        )
    return arrays, meta


def read_network(meta: dict, source: str) -> tuple[list[int], list[str], str]:
    """``(layer_dims, activations, dtype)`` recorded in ``meta``, checked like train's arguments."""
    missing = [key for key in ("layer_dims", "activations", "dtype") if key not in meta]
    if missing:
        raise ModelFileError(f"{source}: metadata lacks {', '.join(missing)}")
    try:
        layer_dims = check_layer_dims(meta["layer_dims"])
        activations = [a.name for a in check_activations(meta["activations"], len(layer_dims) - 1)]
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{source}: metadata is damaged: {exc}") from None
    dtype = meta["dtype"]
    if dtype not in DTYPES:
        raise ModelFileError(f"{source}: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    return layer_dims, activations, dtype


def check_param_arrays(arrays: dict[str, np.ndarray], layer_dims: list[int], dtype: str,
                       source: str) -> None:
    """Shapes ``W_l (n_l, n_{l-1})``, ``b_l (n_l, 1)`` and the recorded dtype, or an error."""
    expected = {}
    for layer in range(1, len(layer_dims)):
        expected[f"W{layer}"] = (layer_dims[layer], layer_dims[layer - 1])
        expected[f"b{layer}"] = (layer_dims[layer], 1)
    missing = sorted(set(expected) - set(arrays))
    if missing:
        raise ModelFileError(f"{source} lacks parameters {', '.join(missing)}")
    for key, shape in expected.items():
        check_stored_array(arrays[key], key, shape, dtype, source)


def check_stored_array(arr: np.ndarray, key: str, shape: tuple[int, ...], dtype: str,
                       source: str) -> None:
    """Array ``key`` of a file has ``shape`` and ``dtype`` and finite values, or an error."""
    if tuple(arr.shape) != shape:
        raise ModelFileError(f"{source}: {key} has shape {tuple(arr.shape)}, expected {shape}")
    if arr.dtype.name != dtype:
        raise ModelFileError(f"{source}: {key} has dtype {arr.dtype}, expected {dtype}")
    if not np.all(np.isfinite(arr)):
        raise ModelFileError(f"{source}: {key} holds NaN or infinite values")


def read_costs(meta: dict, source: str) -> list[float]:
    """The cost history recorded in ``meta``: a list of finite numbers."""
    costs = meta.get("costs", [])
    if not isinstance(costs, list) or not all(
        isinstance(c, (int, float)) and not isinstance(c, bool) and np.isfinite(c) for c in costs
    ):
        raise ModelFileError(f"{source}: metadata 'costs' must be a list of finite numbers")
    return [float(c) for c in costs]


def model_metadata(model: Model, file_format: str = FORMAT) -> dict[str, Any]:
    """The JSON metadata of a model file (and the common part of a checkpoint's)."""
    return {
        "format": file_format,
        "version": FORMAT_VERSION,
        "layer_dims": list(model.layer_dims),
        "activations": list(model.activations),
        "dtype": model.dtype,
        "costs": [float(c) for c in model.costs],
        "config": model.config,
    }


def save_model(model: Model, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` atomically (see the module docstring for the format)."""
    write_npz_atomic(path, model.params_numpy(), model_metadata(model))


def load(path: str | os.PathLike, *, backend: Any = None, device: Any = None) -> Model:
    """Read a model written by :meth:`Model.save`; parameters go to ``backend`` (NumPy by default).

    Raises :class:`ModelFileError` for a damaged or foreign file: a wrong format or version,
    missing parameters, wrong shapes or dtypes, NaN or infinite values.
    """
    from .model import Model

    arrays, meta = read_npz(path)
    layer_dims, activations, dtype = read_network(meta, str(path))
    check_param_arrays(arrays, layer_dims, dtype, str(path))
    costs = read_costs(meta, str(path))
    be = get_backend(backend or "numpy", device=device)
    params = {k: be.asarray(arrays[k], dtype=dtype) for k in param_keys(len(layer_dims) - 1)}
    return Model(params=params, activations=activations, layer_dims=layer_dims,
                 costs=costs, backend=be, dtype=dtype,
                 config=dict(meta.get("config", {})))


def param_keys(L: int) -> list[str]:
    """``["W1", "b1", ..., "WL", "bL"]``."""
    return [k for layer in range(1, L + 1) for k in (f"W{layer}", f"b{layer}")]
