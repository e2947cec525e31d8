"""The file container of models and checkpoints: named arrays plus JSON metadata.

Two formats hold the same content, chosen by the file name when writing and recognised by
their first bytes when reading:

- **safetensors** (any name but ``*.npz``; the default of :mod:`xpnet.model`): an 8-byte
  little-endian header length, a JSON header giving each array's dtype, shape and byte range,
  then the raw bytes. xpnet's metadata is the header's ``__metadata__["xpnet"]`` string. The
  files open in the ``safetensors`` library, PyTorch and JAX.
- **npz** (``*.npz``): a NumPy ``.npz`` archive of ``.npy`` members plus the member
  ``__xpnet__``, the UTF-8 bytes of the JSON metadata.

The metadata is a JSON object whose ``format`` and ``version`` name what the file holds
(``"xpnet-model"`` is written by :mod:`xpnet.model`, ``"xpnet-checkpoint"`` by
:mod:`xpnet.checkpoint`, which decide what else goes in). This module knows nothing of models:
only of arrays and metadata.

**Writing** goes to a temporary file in the same folder (named after the target, with the
writer's process id, so that one left by a killed save is removed by the next save to that
target) and renames it over the target: an interrupted save leaves the previous file intact.
A new file gets the permissions the umask allows (an existing one keeps its own); a read-only
target is refused, not replaced.

**Reading** treats every file as hostile: it never unpickles, and it reads the metadata first,
asks the caller which arrays (names, shapes, dtypes) that metadata implies, and checks every
header, size and offset against them before reading any array. No array is allocated that the
file does not hold in full. Anything wrong raises :class:`ModelFileError` naming the file and
what is wrong.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import struct
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

#: The version of the container and of the formats written into it.
FORMAT_VERSION = 1
#: The npz member (and the safetensors ``__metadata__`` entry) holding the JSON metadata.
META_KEY = "__xpnet__"
SAFETENSORS_META_KEY = "xpnet"
#: The safetensors ``__metadata__`` entry holding the sha256 of the metadata and the data.
SAFETENSORS_SUM_KEY = "xpnet_sha256"
#: The largest metadata (JSON) a file may hold, in bytes.
MAX_META_BYTES = 64 << 20
#: Deflate cannot expand data more than about 1032 times.
_MAX_INFLATION = 1032
_NPY_MAX_HEADER = 10_000
_ZIP_MAGIC = b"PK\x03\x04"

#: What the metadata says the file must hold: ``{name: (shape, dtype name)}``.
ArraySpecs = dict[str, tuple[tuple[int, ...], str]]

#: safetensors dtype codes of the dtypes xpnet reads and writes.
_ST_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64",
              "I32": "int32", "U8": "uint8", "BOOL": "bool"}
_ST_CODES = {v: k for k, v in _ST_DTYPES.items()}


class ModelFileError(ValueError):
    """A file is not an xpnet model (or checkpoint), or is damaged."""


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


def _meta_json(meta: dict) -> str:
    """The metadata as compact JSON (no spaces: a model's history adds a few numbers per epoch)."""
    return json.dumps(meta, default=_json_default, allow_nan=False, separators=(",", ":"))


# -- writing ------------------------------------------------------------------------------------


def is_npz_name(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() == ".npz"


def write_container(path: str | os.PathLike, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Write ``arrays`` and ``meta`` atomically: npz for a ``*.npz`` name, else safetensors."""
    if is_npz_name(path):
        write_npz_atomic(path, arrays, meta)
    else:
        write_safetensors_atomic(path, arrays, meta)


def write_npz_atomic(path: str | os.PathLike, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Write ``arrays`` and ``meta`` to ``path`` as ``.npz``, atomically."""
    payload = dict(arrays)
    payload[META_KEY] = np.frombuffer(_meta_json(meta).encode(), np.uint8)

    def write(fh: IO[bytes]) -> None:
        savez: Any = np.savez  # its stubs take **kwds for arrays as allow_pickle's type
        savez(fh, **payload)

    _write_atomic(path, write)


def write_safetensors_atomic(path: str | os.PathLike, arrays: dict[str, np.ndarray],
                             meta: dict) -> None:
    """Write ``arrays`` and ``meta`` to ``path`` as safetensors, atomically."""
    text = _meta_json(meta)
    digest = hashlib.sha256(text.encode())
    blobs = []
    offset = 0
    header: dict[str, Any] = {}
    for name, arr in arrays.items():
        arr = np.asarray(arr)
        code = _ST_CODES.get(arr.dtype.name)
        if code is None:
            raise TypeError(f"array {name!r} has dtype {arr.dtype}, which xpnet does not save")
        data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + data.nbytes]}
        offset += data.nbytes
        blobs.append(data)
        digest.update(data.reshape(-1).view(np.uint8).data)
    header["__metadata__"] = {SAFETENSORS_META_KEY: text, SAFETENSORS_SUM_KEY: digest.hexdigest()}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the data starts 8-byte aligned, as the safetensors library's

    def write(fh: IO[bytes]) -> None:
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        for data in blobs:
            fh.write(data.reshape(-1).view(np.uint8).data)

    _write_atomic(path, write)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (as model files are written)."""
    _write_atomic(path, lambda fh: fh.write(data))


def check_writable(path: str | os.PathLike, name: str) -> None:
    """A ``ValueError`` naming ``name`` when xpnet could not save a file at ``path``: its folder
    is missing or not writable, it names a folder, or it is read-only. Checked by creating (and
    removing) a temporary file beside it, as a save would."""
    path = Path(path)
    folder = path.parent
    where = f"{name}={str(path)!r}"
    if path.is_dir():
        raise ValueError(f"{where} is a folder; give a file name inside it")
    if not folder.is_dir():
        raise ValueError(f"{where}: the folder {str(folder)!r} does not exist")
    if _read_only(path):
        raise ValueError(f"{where} is read-only; xpnet does not replace read-only files")
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path.name), suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ValueError(f"{where}: cannot write in the folder {str(folder)!r} "
                         f"({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(tmp)


def _write_atomic(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> None:
    """Write through ``write(fh)`` to a temporary file beside ``path``, then rename it."""
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file name", str(path))
    if _read_only(path):
        raise PermissionError(errno.EACCES, "the file is read-only; xpnet does not replace it",
                              str(path))
    mode = _mode_for(path)
    remove_stale_temporaries(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path.name), suffix=".tmp", dir=folder)
    except OSError as exc:  # name the target, not the temporary file
        why = ("its folder does not exist" if not folder.is_dir()
               else f"cannot create a file in its folder ({exc.strerror})")
        raise type(exc)(exc.errno, why, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_only(path: Path) -> bool:
    """Whether ``path`` is an existing file that its owner may not write to (its mode has no
    write bit, which counts even for root, or the system refuses this process)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not mode & 0o222 or not os.access(path, os.W_OK)


def _temp_prefix(name: str) -> str:
    """``.<name>.<pid>.``: the start of a temporary file's name. Long names are cut, so that
    the temporary name (prefix, 8 random characters, ``.tmp``) stays within 255 bytes."""
    stem = name
    while len(os.fsencode(stem)) > 200:
        stem = stem[:-1]
    return f".{stem}.{os.getpid()}."


_TEMP = re.compile(r"\.(\d+)\.[A-Za-z0-9_]{8}\.tmp$")


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that saves to ``path`` left when their process was killed
    (their process id names no running process); return them."""
    path = Path(path)
    if os.name != "posix":
        return []
    stem = _temp_prefix(path.name).rsplit(".", 2)[0] + "."
    removed = []
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            if not entry.name.startswith(stem):
                continue
            match = _TEMP.fullmatch(entry.name[len(stem) - 1:])
            if match is None or _running(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _mode_for(path: Path) -> int:
    """The permissions of the new file: an existing target's own, else what the umask allows."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# -- reading ------------------------------------------------------------------------------------


_OTHER_FORMAT_HINTS = {
    "xpnet-checkpoint": "; it is a training checkpoint: continue with "
                        "xpnet.train(..., resume=path)",
    "xpnet-model": "; it is a saved model: start from its weights with "
                   "xpnet.train(..., params=xpnet.load(path).params)",
}


def read_container(path: str | os.PathLike, expected_format: str,
                   arrays_for: Callable[[dict], ArraySpecs] | None = None,
                   expected_version: int = FORMAT_VERSION) -> tuple[dict[str, np.ndarray], dict]:
    """``(arrays, meta)`` from a file written by :func:`write_container` (either format).

    ``arrays_for(meta)`` says which arrays the metadata implies (raising
    :class:`ModelFileError` when the metadata is damaged); the file must hold exactly those,
    with those shapes and dtypes, which is checked before any array is read. Without it, any
    numeric arrays are read (each no larger than its stored bytes). Never unpickles.
    """
    path = Path(path)
    kind = expected_format.removeprefix("xpnet-")
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, f"no such {kind} file", str(path))
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        start = fh.read(8)
        fh.seek(0)
        reader = _NpzReader if start.startswith(_ZIP_MAGIC) else _SafetensorsReader
        if start.startswith(b"PK") and reader is _SafetensorsReader:
            reader = _NpzReader  # an empty or odd zip: let the zip reader say what is wrong
        return reader(fh, size, str(path), kind).read(expected_format, expected_version,
                                                      arrays_for)


class _Reader:
    """Reads one file: the metadata first, then the arrays it implies."""

    def __init__(self, fh: IO[bytes], size: int, source: str, kind: str) -> None:
        self.fh, self.size, self.source, self.kind = fh, size, source, kind

    def fail(self, what: str) -> ModelFileError:
        return ModelFileError(f"{self.source}: {what}")

    def not_xpnet(self, why: str) -> ModelFileError:
        return ModelFileError(
            f"{self.source} is not a readable xpnet file: expected a {self.kind} file written "
            f"by xpnet (.safetensors or .npz) ({why})"
        )

    def read(self, expected_format: str, expected_version: int,
             arrays_for: Callable[[dict], ArraySpecs] | None) -> tuple[dict, dict]:
        meta = self.check_meta(self.read_meta(), expected_format, expected_version)
        specs = arrays_for(meta) if arrays_for is not None else None
        if specs is not None:
            self.check_names(specs)
            self.check_total(specs)
        return self.read_arrays(specs), meta

    def read_meta(self) -> str:
        raise NotImplementedError

    def read_arrays(self, specs: ArraySpecs | None) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def names(self) -> list[str]:
        raise NotImplementedError

    def parse_json(self, text: str | bytes, what: str) -> Any:
        try:
            return json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
            msg = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise self.fail(f"{what} is damaged ({msg})") from None

    def check_meta(self, text: str, expected_format: str, expected_version: int) -> dict:
        meta = self.parse_json(text, "metadata")
        if not isinstance(meta, dict):
            raise self.fail("metadata is damaged (not a JSON object)")
        fmt = meta.get("format")
        if fmt != expected_format:
            hint = _OTHER_FORMAT_HINTS.get(fmt, "") if isinstance(fmt, str) else ""
            raise ModelFileError(f"{self.source} is a {fmt!r} file, expected "
                                 f"{expected_format!r}{hint}")
        if meta.get("version") != expected_version:
            raise ModelFileError(
                f"{self.source} has format version {meta.get('version')!r}; this xpnet reads "
                f"{expected_format} version {expected_version}"
            )
        return meta

    def check_names(self, specs: ArraySpecs) -> None:
        present = self.names()
        missing = [k for k in specs if k not in present]
        if missing:
            raise ModelFileError(f"{self.source} lacks the arrays {', '.join(missing)}")
        extra = [k for k in present if k not in specs]
        if extra:
            raise self.fail(f"unexpected array {extra[0]!r} (the metadata implies only "
                            f"{', '.join(specs)})")

    def check_total(self, specs: ArraySpecs) -> None:
        """The arrays the metadata implies fit in the file (before any is allocated)."""
        total = sum(math.prod(shape) * np.dtype(dt).itemsize for shape, dt in specs.values())
        if total > self.size * self.max_ratio():
            raise self.fail(f"the metadata describes {total:,} bytes of arrays but the file "
                            f"has only {self.size:,} bytes")

    def max_ratio(self) -> int:
        return 1

    def check_spec(self, key: str, shape: tuple[int, ...], dtype: np.dtype,
                   specs: ArraySpecs | None) -> None:
        if dtype.hasobject or dtype.kind not in "biuf" or dtype.fields is not None:
            raise self.fail(f"{key} has dtype {dtype}, which xpnet does not read")
        if specs is None:
            return
        shape_expected, dtype_expected = specs[key]
        if shape != tuple(shape_expected):
            raise self.fail(f"{key} has shape {shape}, expected {tuple(shape_expected)}")
        if dtype.name != dtype_expected:
            raise self.fail(f"{key} has dtype {dtype.name}, expected {dtype_expected}")


def _read_into(fh: IO[bytes], arr: np.ndarray) -> int:
    """Fill ``arr`` (contiguous, C or F) from ``fh``; the number of bytes read."""
    view = arr.reshape(-1, order="A").view(np.uint8).data
    done = 0
    while done < len(view):
        n = fh.readinto(view[done:])  # type: ignore[attr-defined]
        if not n:
            break
        done += n
    return done


class _NpzReader(_Reader):
    """A ``.npz`` archive: every zip structure is checked before a member is inflated."""

    def read(self, expected_format, expected_version, arrays_for):
        try:
            self.zf = zipfile.ZipFile(self.fh)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                NotImplementedError, RuntimeError, struct.error, UnicodeDecodeError,
                OverflowError, IndexError, KeyError, TypeError) as exc:
            raise self.not_xpnet(f"not a zip archive: {exc}") from None
        with self.zf:
            self.members = self._members()
            return super().read(expected_format, expected_version, arrays_for)

    def _members(self) -> dict[str, zipfile.ZipInfo]:
        members: dict[str, zipfile.ZipInfo] = {}
        for info in self.zf.infolist():
            name = info.filename
            if not name.endswith(".npy"):
                raise self.fail(f"member {name!r} is not a .npy array")
            if name[:-4] in members:
                raise self.fail(f"member {name!r} appears twice")
            if info.flag_bits & 0x1:
                raise self.fail(f"member {name!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self.fail(f"member {name!r} uses compression method "
                                f"{info.compress_type}, which xpnet does not read")
            stored = info.compress_type == zipfile.ZIP_STORED
            if (info.header_offset + info.compress_size > self.size
                    or (stored and info.file_size != info.compress_size)
                    or info.file_size > _MAX_INFLATION * info.compress_size + 64):
                raise self.fail(f"member {name!r} claims sizes that the file cannot hold")
            members[name[:-4]] = info
        return members

    def names(self) -> list[str]:
        return [k for k in self.members if k != META_KEY]

    def max_ratio(self) -> int:
        compressed = any(i.compress_type != zipfile.ZIP_STORED for i in self.members.values())
        return _MAX_INFLATION if compressed else 1

    def read_meta(self) -> str:
        if META_KEY not in self.members:
            raise ModelFileError(f"{self.source} has no {META_KEY} metadata: it was not written "
                                 "by xpnet")
        raw = self._member(META_KEY, None, limit=MAX_META_BYTES)
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise self.fail("metadata is damaged (not a byte string)")
        try:
            return raw.tobytes().decode()
        except UnicodeDecodeError as exc:
            raise self.fail(f"metadata is damaged ({exc})") from None

    def read_arrays(self, specs):
        headers = {key: self._header(key, specs) for key in self.names()}  # all, before any data
        return {key: self._member(key, specs, headers[key]) for key in headers}

    def _header(self, key: str, specs: ArraySpecs | None
                ) -> tuple[tuple[int, ...], bool, np.dtype]:
        """The shape, order and dtype of member ``key``, checked against ``specs`` and against
        the member's size."""
        info = self.members[key]
        with self._reading(key), self.zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                header = np.lib.format.read_array_header_1_0(f, _NPY_MAX_HEADER)
            elif version in ((2, 0), (3, 0)):
                header = np.lib.format.read_array_header_2_0(f, _NPY_MAX_HEADER)
            else:
                raise ValueError(f"unknown .npy version {version}")
            shape, fortran, dtype = header
            shape = tuple(int(n) for n in shape)
            self.check_spec(key, shape, dtype, specs)
            nbytes = math.prod(shape) * dtype.itemsize
            if f.tell() + nbytes != info.file_size:
                raise self.fail(f"member {key!r} holds {info.file_size - f.tell():,} bytes of "
                                f"data but its header describes {nbytes:,}")
        return shape, bool(fortran), dtype

    @contextlib.contextmanager
    def _reading(self, key: str) -> Any:
        """Turn what zipfile and NumPy raise for a damaged member into a ModelFileError."""
        try:
            yield
        except ModelFileError:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError,
                NotImplementedError, struct.error, UnicodeDecodeError, OverflowError,
                SyntaxError, TypeError, KeyError, IndexError, MemoryError) as exc:
            raise self.fail(f"member {key!r} is damaged ({type(exc).__name__}: {exc})") from None

    def _member(self, key: str, specs: ArraySpecs | None,
                header: tuple[tuple[int, ...], bool, np.dtype] | None = None,
                limit: int | None = None) -> np.ndarray:
        info = self.members[key]
        if limit is not None and info.file_size > limit:
            raise self.fail(f"member {key!r} is larger than {limit:,} bytes")
        shape, fortran, dtype = header or self._header(key, specs)
        nbytes = math.prod(shape) * dtype.itemsize
        with self._reading(key), self.zf.open(info) as f:
            f.read(info.file_size - nbytes)  # the header (read, not skipped: the CRC covers it)
            arr = np.empty(shape, dtype, order="F" if fortran else "C")
            if _read_into(f, arr) != nbytes:
                raise self.fail(f"member {key!r} is truncated")
            f.read(1)  # reach the end of the member, where zipfile checks its CRC
        if not dtype.isnative:
            arr = arr.astype(dtype.newbyteorder("="))
        return arr


class _SafetensorsReader(_Reader):
    """A safetensors file: the header's offsets must tile the data exactly."""

    def read(self, expected_format, expected_version, arrays_for):
        if self.size < 8:
            raise self.not_xpnet("too short")
        (n,) = struct.unpack("<Q", self.fh.read(8))
        if n < 2 or n > min(self.size - 8, MAX_META_BYTES):
            raise self.not_xpnet("neither a zip archive nor a safetensors header")
        self.data_start = 8 + n
        header = self.parse_json(self.fh.read(n), "the safetensors header")
        if not isinstance(header, dict):
            raise self.fail("the safetensors header is damaged (not a JSON object)")
        self.header = header
        self.entries = self._entries()
        return super().read(expected_format, expected_version, arrays_for)

    def _entries(self) -> dict[str, tuple[tuple[int, ...], np.dtype, int, int]]:
        entries = {}
        for key, value in self.header.items():
            if key == "__metadata__":
                continue
            if not (isinstance(value, dict) and value.get("dtype") in _ST_DTYPES
                    and isinstance(value.get("shape"), list)
                    and all(type(d) is int and d >= 0 for d in value["shape"])
                    and isinstance(value.get("data_offsets"), list)
                    and len(value["data_offsets"]) == 2
                    and all(type(o) is int for o in value["data_offsets"])):
                raise self.fail(f"the header entry of {key!r} is damaged")
            dtype = np.dtype(_ST_DTYPES[value["dtype"]]).newbyteorder("<")
            shape = tuple(value["shape"])
            begin, end = value["data_offsets"]
            if end - begin != math.prod(shape) * dtype.itemsize:
                raise self.fail(f"{key!r}'s byte range does not match its shape and dtype")
            entries[key] = (shape, dtype, begin, end)
        position = 0
        for key, (_, _, begin, end) in sorted(entries.items(), key=lambda e: e[1][2:]):
            if begin != position:
                raise self.fail(f"{key!r}'s bytes do not follow the previous array's")
            position = end
        if self.data_start + position != self.size:
            raise self.fail(f"the header describes {position:,} bytes of data but the file "
                            f"holds {self.size - self.data_start:,}")
        return entries

    def read_meta(self) -> str:
        extra = self.header.get("__metadata__")
        if not isinstance(extra, dict) or not isinstance(extra.get(SAFETENSORS_META_KEY), str):
            raise ModelFileError(f"{self.source} has no xpnet metadata in its safetensors "
                                 "header: it was not written by xpnet")
        if not isinstance(extra.get(SAFETENSORS_SUM_KEY), str):
            raise self.fail("the safetensors header lacks xpnet's checksum")
        self.meta_text = str(extra[SAFETENSORS_META_KEY])
        return self.meta_text

    def names(self) -> list[str]:
        return list(self.entries)

    def read_arrays(self, specs):
        for key, (shape, dtype, _, _) in self.entries.items():
            self.check_spec(key, shape, dtype, specs)
        digest = hashlib.sha256(self.meta_text.encode())
        arrays = {}
        for key, (shape, dtype, begin, end) in sorted(self.entries.items(),
                                                      key=lambda e: e[1][2:]):
            arr = np.empty(shape, dtype)
            self.fh.seek(self.data_start + begin)
            if _read_into(self.fh, arr) != end - begin:
                raise self.fail(f"{key!r} is truncated")
            digest.update(arr.reshape(-1).view(np.uint8).data)
            arrays[key] = arr if dtype.isnative else arr.astype(dtype.newbyteorder("="))
        if digest.hexdigest() != self.header["__metadata__"].get(SAFETENSORS_SUM_KEY):
            raise self.fail("the data or the metadata is damaged (its sha256 does not match "
                            "the one recorded when it was saved)")
        return {key: arrays[key] for key in self.entries}


def check_stored_array(arr: np.ndarray, key: str, shape: tuple[int, ...], dtype: str,
                       source: str) -> None:
    """Array ``key`` of a file has ``shape`` and ``dtype`` and finite values, or an error."""
    if tuple(arr.shape) != shape:
        raise ModelFileError(f"{source}: {key} has shape {tuple(arr.shape)}, expected {shape}")
    if arr.dtype.name != dtype:
        raise ModelFileError(f"{source}: {key} has dtype {arr.dtype}, expected {dtype}")
    if not np.all(np.isfinite(arr)):
        raise ModelFileError(f"{source}: {key} holds NaN or infinite values")
