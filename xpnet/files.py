"""The file container of models and checkpoints: ``.npz`` arrays plus JSON metadata.

A file is a NumPy ``.npz`` archive holding named arrays and an entry ``__xpnet__``: the UTF-8
bytes of a JSON object whose ``format`` and ``version`` name what the file holds
(``"xpnet-model"`` is written by :mod:`xpnet.model`, ``"xpnet-checkpoint"`` by
:mod:`xpnet.checkpoint`, which decide what else goes in). Files are written to a temporary file
in the same folder and renamed over the target, so an interrupted save leaves the previous file
intact. Reading never unpickles. This module knows nothing of models: only of arrays and
metadata.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

#: The version of the container and of the formats written into it.
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
            savez: Any = np.savez  # its stubs take **kwds for arrays as allow_pickle's type
            savez(fh, **payload)
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


def read_npz(path: str | os.PathLike, expected_format: str,
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


def check_stored_array(arr: np.ndarray, key: str, shape: tuple[int, ...], dtype: str,
                       source: str) -> None:
    """Array ``key`` of a file has ``shape`` and ``dtype`` and finite values, or an error."""
    if tuple(arr.shape) != shape:
        raise ModelFileError(f"{source}: {key} has shape {tuple(arr.shape)}, expected {shape}")
    if arr.dtype.name != dtype:
        raise ModelFileError(f"{source}: {key} has dtype {arr.dtype}, expected {dtype}")
    if not np.all(np.isfinite(arr)):
        raise ModelFileError(f"{source}: {key} holds NaN or infinite values")
