"""Saving and loading models: ``.npz`` arrays plus JSON metadata, no pickle, atomic writes.

A model file is a NumPy ``.npz`` archive holding ``W1, b1, ..., WL, bL`` and an entry
``__xpnet__``: the UTF-8 bytes of a JSON object with the format name and version, the layer
sizes, activations, dtype, cost history and training settings. Files are written to a
temporary file in the same folder and renamed over the target, so an interrupted save leaves
the previous file intact. Loading never unpickles and checks the version, shapes and dtypes.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .backend import get_backend

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
        with _suppress_oserror():
            os.unlink(tmp)
        raise


class _suppress_oserror:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return exc_type is not None and issubclass(exc_type, OSError)


def read_npz(path: str | os.PathLike, expected_format: str = FORMAT) -> tuple[dict, dict]:
    """``(arrays, meta)`` from a file written by :func:`write_npz_atomic`; never unpickles."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such model file: {path}")
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
    if meta.get("format") != expected_format:
        raise ModelFileError(
            f"{path} is a {meta.get('format')!r} file, expected {expected_format!r}"
        )
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format version {meta.get('version')!r}; this xpnet reads version "
            f"{FORMAT_VERSION}"
        )
    return arrays, meta


def check_param_arrays(arrays: dict[str, np.ndarray], layer_dims: list[int], dtype: str,
                       source: str) -> None:
    """Shapes ``W_l (n_l, n_{l-1})``, ``b_l (n_l, 1)`` and the recorded dtype, or an error."""
    L = len(layer_dims) - 1
    expected = {}
    for l in range(1, L + 1):
        expected[f"W{l}"] = (layer_dims[l], layer_dims[l - 1])
        expected[f"b{l}"] = (layer_dims[l], 1)
    missing = sorted(set(expected) - set(arrays))
    if missing:
        raise ModelFileError(f"{source} lacks parameters {', '.join(missing)}")
    for key, shape in expected.items():
        arr = arrays[key]
        if tuple(arr.shape) != shape:
            raise ModelFileError(f"{source}: {key} has shape {tuple(arr.shape)}, expected {shape}")
        if arr.dtype.name != dtype:
            raise ModelFileError(f"{source}: {key} has dtype {arr.dtype}, expected {dtype}")
        if not np.all(np.isfinite(arr)):
            raise ModelFileError(f"{source}: {key} holds NaN or infinite values")


def model_metadata(model: Model) -> dict[str, Any]:
    return {
        "format": FORMAT,
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
    """Read a model written by :meth:`Model.save`; parameters go to ``backend`` (NumPy by default)."""
    from .model import Model

    arrays, meta = read_npz(path)
    try:
        layer_dims = [int(n) for n in meta["layer_dims"]]
        activations = [str(a) for a in meta["activations"]]
        dtype = str(meta["dtype"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: metadata lacks or garbles {exc}") from None
    if len(activations) != len(layer_dims) - 1:
        raise ModelFileError(f"{path}: {len(activations)} activations for {len(layer_dims) - 1} layers")
    check_param_arrays(arrays, layer_dims, dtype, str(path))
    be = get_backend(backend or "numpy", device=device)
    params = {k: be.asarray(arrays[k], dtype=dtype) for k in _param_keys(len(layer_dims) - 1)}
    return Model(params=params, activations=activations, layer_dims=layer_dims,
                 costs=[float(c) for c in meta.get("costs", [])], backend=be, dtype=dtype,
                 config=dict(meta.get("config", {})))


def _param_keys(L: int) -> list[str]:
    return [k for l in range(1, L + 1) for k in (f"W{l}", f"b{l}")]
