"""Training data larger than memory: shuffled mini-batches streamed from disk.

``xpnet.train`` accepts, for ``X``, an array that stays on disk: an h5py ``Dataset``, a NumPy
``memmap`` (``np.load(path, mmap_mode="r")``), a Zarr array, a ``dask.array`` or
:class:`DiskArray` around any of them (or around anything with ``shape``, ``dtype`` and
NumPy-style slicing). Only the targets ``Y`` (``(n_y, m)``: small beside ``X``), the example
weights, the parameters and a few blocks of ``X`` are in memory; a background thread reads the
blocks, cuts them into the epoch's shuffled mini-batches and converts them to the training
dtype (and, on a GPU backend, moves them to the device) ahead of the step that needs them.

**Layout.** A bare on-disk array is ``(features, examples)``, as ``X`` always is in xpnet.
Files written one example after another (the course's ``(m, 64, 64, 3)`` h5 data sets, most
data sets on disk) are ``DiskArray(dataset, examples_axis=0)``: the trailing axes are
flattened as the course's ``x.reshape(m, -1)`` does. Reading a block of examples is then one
contiguous read; with ``examples_axis=-1`` it is one read per feature row, which is fine for
chunked files (h5py, Zarr) whose chunks span all the features and slow for a plain memmap.

**Shuffling** (:class:`Streaming`, ``shuffle=``):

- ``"window"`` (the default): the examples are split into *blocks* of consecutive examples
  (the storage chunk, at least 4 MiB); every epoch the block order is shuffled, consecutive
  blocks of that order are grouped into *windows* (256 MiB of training data by default), and
  the examples of each window are shuffled together before being cut into mini-batches. So a
  mini-batch holds examples from up to a window's worth of blocks, every example is seen once
  per epoch, and two examples far apart on disk meet in one batch only when their blocks fall
  in the same window. Reads are whole blocks, each read once per epoch. This is the shuffle
  buffer of ``tf.data`` and of PyTorch's chunked datasets. It is as good as a full shuffle
  when the file's order carries no information; a file sorted by class gives batches drawn
  from few classes unless a window spans many blocks of every class (see the README for the
  measured effect on accuracy); shuffle such a file once, or use a larger ``window_size``.
- ``"exact"``: the same permutation as in-memory training (``train`` with the same seed on
  the same data in memory sees the same batches, bit for bit on NumPy). Every batch is then a
  scattered read of its examples, which is slow on disk: for tests and small files.
- ``train(..., shuffle=False)``: the examples in their order, read block after block.

Every example is checked (finite in the training dtype) as it is read in the first epoch of a
run; a bad one raises a ``ValueError`` naming its position in ``X``.

Memory: about two windows of blocks, ``read_ahead`` mini-batches and the engine's own work
buffers; ``bench/streaming.py`` measures it.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .minibatches import batch_bounds
from .rng import RandomState
from .validation import check_choice, check_int

#: Shuffling modes of streamed training (see the module's documentation).
SHUFFLES = ("window", "exact")
#: The smallest block read at once, in bytes of training data, by default.
MIN_BLOCK_BYTES = 4 * 2**20
#: Training data shuffled together by default (a window), in bytes.
WINDOW_BYTES = 256 * 2**20


@dataclass(frozen=True)
class Streaming:
    """How ``train`` streams ``X`` from disk (``train(..., streaming=Streaming(...))``).

    - ``block_size``: examples per read; ``None``: the storage chunk along the examples (h5py,
      Zarr, Dask), enlarged to whole chunks of at least 4 MiB.
    - ``window_size``: examples shuffled together (rounded to whole blocks, at least one);
      ``None``: 256 MiB of training data. Memory holds about two windows.
    - ``read_ahead``: mini-batches the reader thread prepares ahead of the step.
    - ``shuffle``: ``"window"`` or ``"exact"`` (module documentation); ``train(shuffle=False)``
      reads in order whatever this says.
    """

    block_size: int | None = None
    window_size: int | None = None
    read_ahead: int = 4
    shuffle: str = "window"

    def __post_init__(self) -> None:
        if self.block_size is not None:
            check_int("block_size", self.block_size, minimum=1)
        if self.window_size is not None:
            check_int("window_size", self.window_size, minimum=1)
        check_int("read_ahead", self.read_ahead, minimum=1)
        check_choice("shuffle", self.shuffle, SHUFFLES)


def check_streaming(value: Any) -> Streaming | bool | None:
    """``train(streaming=...)``: ``None`` (stream on-disk arrays), ``True``/``False`` (always,
    never) or a :class:`Streaming`."""
    if value is None or isinstance(value, (bool, Streaming)):
        return value
    raise TypeError("streaming must be None, True, False or xpnet.Streaming(...), got "
                    f"{type(value).__name__}")


def is_on_disk(X: Any) -> bool:
    """Whether ``X`` is an array that stays on disk (h5py, Zarr, memmap, dask.array,
    :class:`DiskArray`): what ``train`` streams by default."""
    if isinstance(X, (DiskArray, np.memmap)):
        return True
    module = type(X).__module__ or ""
    return ((module.startswith("h5py") and type(X).__name__ == "Dataset")
            or (module.startswith("zarr") and type(X).__name__ == "Array")
            or (module.startswith("dask.array") and type(X).__name__ == "Array"))


def stream_settings(streaming: Streaming | bool | None, X: Any) -> Streaming | None:
    """The streaming settings of a run on ``X``, or ``None`` when it trains in memory."""
    if streaming is False or (streaming is None and not is_on_disk(X)):
        return None
    return streaming if isinstance(streaming, Streaming) else Streaming()


def read_whole(X: Any) -> Any:
    """``X`` itself, or an on-disk array without array-API support (h5py, Zarr,
    :class:`DiskArray`) read into memory as a NumPy array (``streaming=False``, the targets
    and the validation data of a streamed run)."""
    if isinstance(X, DiskArray):
        return X.read(0, X.m, X.dtype).T
    if is_on_disk(X) and not isinstance(X, np.ndarray) and not hasattr(X, "compute"):
        return np.asarray(X[...])
    return X


class DiskArray:
    """A ``(features, examples)`` view of an array that stays on disk.

    ``array``: an h5py ``Dataset``, NumPy ``memmap``, Zarr array, ``dask.array`` or anything
    with ``shape``, ``dtype`` and NumPy-style slicing, of real numbers. ``examples_axis``: 0
    when the file holds one example after another (``(m, ...)``, the trailing axes flattened
    as ``reshape(m, -1)`` does), -1 (the default) for the course layout ``(..., m)``.
    Nothing is read until :meth:`read` or :meth:`take`.
    """

    array: Any

    def __init__(self, array: Any, *, examples_axis: int = -1, name: str = "X") -> None:
        if isinstance(array, DiskArray):
            array = array.array
        for attribute in ("shape", "dtype", "__getitem__"):
            if not hasattr(array, attribute):
                raise TypeError(f"{name} must be an array (h5py Dataset, NumPy memmap, Zarr, "
                                f"dask.array) with shape, dtype and slicing; got "
                                f"{type(array).__name__}, which has no {attribute}")
        shape = tuple(int(n) for n in array.shape)
        if len(shape) < 2:
            raise ValueError(f"{name} must have at least 2 dimensions (features, examples); got "
                             f"shape {shape}")
        if examples_axis not in (0, -1, len(shape) - 1):
            raise ValueError(f"examples_axis must be 0 (one example after another) or -1 (the "
                             f"course layout, examples last); got {examples_axis}")
        dtype = np.dtype(array.dtype)
        if dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers; its dtype is {dtype}")
        self.array = array
        self.name = name
        self.examples_first = examples_axis == 0
        self.m = shape[0] if self.examples_first else shape[-1]
        rest = shape[1:] if self.examples_first else shape[:-1]
        self.n = math.prod(rest)
        self.dtype = dtype
        if self.m < 1 or self.n < 1:
            raise ValueError(f"{name} has no {'examples' if self.m < 1 else 'features'}: "
                             f"shape {shape}")

    @property
    def shape(self) -> tuple[int, int]:
        """``(features, examples)``."""
        return self.n, self.m

    @property
    def nbytes(self) -> int:
        return self.n * self.m * self.dtype.itemsize

    @property
    def chunk(self) -> int | None:
        """Examples per storage chunk, when the array is chunked (h5py, Zarr, Dask)."""
        chunks = getattr(self.array, "chunks", None)
        if not chunks:
            return None
        axis = 0 if self.examples_first else -1
        first = chunks[axis]
        if isinstance(first, tuple):  # dask: the sizes of every chunk along the axis
            first = first[0] if first else None
        return int(first) if first else None

    def kind(self) -> str:
        """What the array is, for the model's configuration."""
        array = self.array
        if isinstance(array, np.memmap):
            return "memmap"
        return f"{(type(array).__module__ or '').split('.')[0]}.{type(array).__name__}"

    def read(self, a: int, b: int, dtype: Any) -> np.ndarray:
        """Examples ``a:b`` as a C-contiguous ``(b − a, n)`` array of ``dtype`` (one read)."""
        if self.examples_first:
            rows = np.asarray(self.array[a:b]).reshape(b - a, self.n)
        else:
            rows = np.asarray(self.array[..., a:b]).reshape(self.n, b - a).T
        with np.errstate(over="ignore"):  # too large for dtype: inf, which the reader reports
            return np.ascontiguousarray(rows, dtype=dtype)

    def take(self, idx: np.ndarray, dtype: Any) -> np.ndarray:
        """Examples ``idx`` (any order) as a C-contiguous ``(len(idx), n)`` array of ``dtype``:
        one scattered read, in increasing order (as h5py requires), put back in ``idx``'s."""
        order = np.argsort(idx, kind="stable")
        ranked = idx[order]
        array = self.array
        if isinstance(array, np.ndarray):  # memmap: NumPy gathers
            raw = np.take(array, ranked, axis=0 if self.examples_first else -1)
        elif hasattr(array, "get_orthogonal_selection"):  # Zarr
            where = ((ranked,) if self.examples_first
                     else (*(slice(None),) * (len(array.shape) - 1), ranked))
            raw = np.asarray(array.get_orthogonal_selection(where))
        else:  # h5py, Dask and NumPy-like arrays
            raw = np.asarray(array[ranked] if self.examples_first else array[..., ranked])
        k = len(idx)
        rows = raw.reshape(k, self.n) if self.examples_first else raw.reshape(self.n, k).T
        out = np.empty((k, self.n), dtype=dtype)
        with np.errstate(over="ignore"):
            out[order] = rows
        return out


class StreamedData:
    """The training set of a streamed run: ``X`` on disk; the targets ``Y`` (n_y, m) and the
    normalised weights ``w`` (1, m) or ``None``, checked, of the training dtype and in host
    memory (kept examples-major here)."""

    def __init__(self, X: DiskArray, Y: np.ndarray, w: np.ndarray | None, dtype: Any,
                 batch: int, settings: Streaming) -> None:
        self.X = X
        self.Y = np.ascontiguousarray(np.asarray(Y).T)
        self.w = None if w is None else np.ascontiguousarray(np.asarray(w).reshape(-1))
        self.dtype = np.dtype(dtype)
        self.m = X.m
        self.settings = settings
        self.block = self._block_size(settings.block_size)
        per_window = (settings.window_size if settings.window_size is not None
                      else max(1, WINDOW_BYTES // self._example_bytes))
        self.window_blocks = max(1, per_window // self.block)
        self.batch = batch
        self.checked = False

    @property
    def _example_bytes(self) -> int:
        return self.X.n * self.dtype.itemsize

    def _block_size(self, asked: int | None) -> int:
        if asked is not None:
            return min(asked, self.m)
        chunk = self.X.chunk or 1
        need = max(1, -(-MIN_BLOCK_BYTES // self._example_bytes))
        return min(self.m, -(-need // chunk) * chunk)

    def describe(self, shuffle: bool) -> dict[str, Any]:
        """What the model's configuration records about the stream."""
        return {"source": self.X.kind(), "block_size": self.block,
                "window_size": min(self.m, self.block * self.window_blocks),
                "shuffle": self.settings.shuffle if shuffle else "none",
                "read_ahead": self.settings.read_ahead}

    def epoch_order(self, rng: RandomState, shuffle: bool) -> np.ndarray:
        """The examples in the order this epoch visits them (drawn from ``rng`` on the host,
        before any read: a checkpoint's random state replays it)."""
        m = self.m
        if not shuffle or self.batch >= m:
            return np.arange(m)
        if self.settings.shuffle == "exact":
            return rng.permutation(m)
        blocks = rng.permutation(-(-m // self.block))
        parts = []
        for g in range(0, len(blocks), self.window_blocks):
            ids = np.concatenate([np.arange(k * self.block, min((k + 1) * self.block, m))
                                  for k in blocks[g:g + self.window_blocks]])
            parts.append(ids[rng.permutation(len(ids))])
        return np.concatenate(parts)

    def batches(self, order: np.ndarray, place: Callable[[np.ndarray], Any] | None = None
                ) -> BatchReader:
        """The epoch's mini-batches of ``order``, read ahead in a background thread."""
        check = not self.checked
        self.checked = True
        exact = self.settings.shuffle == "exact" and not _is_blockwise(order, self.block)
        return BatchReader(self, order, exact=exact, check=check, place=place)


def _is_blockwise(order: np.ndarray, block: int) -> bool:
    """Whether ``order`` is in order (then whole blocks are read even in ``"exact"`` mode)."""
    return bool(np.all(order[1:] > order[:-1])) if len(order) > 1 else True


class ReaderError(Exception):
    """Carries an exception of the reader thread to the training thread."""


class BatchReader:
    """A background thread that reads one epoch's mini-batches, ``read_ahead`` ahead.

    Iterating gives ``(X_b, Y_b, w_b)``: ``X_b`` ``(m_b, n)`` and ``Y_b`` ``(m_b, n_y)``
    examples-major and C-contiguous in the training dtype, ``w_b`` ``(m_b,)`` or ``None``, each
    passed through ``place`` (the move to the device) in the thread. An error in the thread is
    raised by the iteration; :meth:`close` (or leaving the ``with`` block) stops the thread.
    """

    def __init__(self, data: StreamedData, order: np.ndarray, *, exact: bool, check: bool,
                 place: Callable[[np.ndarray], Any] | None) -> None:
        self.data, self.order = data, order
        self.exact, self.check = exact, check
        self.place = place
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=data.settings.read_ahead)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="xpnet-reader", daemon=True)
        self.thread.start()

    def __enter__(self) -> BatchReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __iter__(self) -> Iterator[tuple[Any, Any, Any]]:
        n = -(-self.data.m // self.data.batch)
        for _ in range(n):
            item = self.queue.get()
            if isinstance(item, ReaderError):
                raise item.args[0]
            yield item

    def close(self) -> None:
        self.stopping.set()
        while self.thread.is_alive():
            try:  # unblock a put on a full queue
                self.queue.get_nowait()
            except queue.Empty:
                pass
            self.thread.join(timeout=0.05)

    # -- the thread -----------------------------------------------------------------------------
    def _put(self, item: Any) -> bool:
        while not self.stopping.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._read():
                if not self._put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the training thread
            self._put(ReaderError(exc))

    def _read(self) -> Iterator[tuple[Any, Any, Any]]:
        data, order = self.data, self.order
        block = data.block
        blocks_of = order // block
        last_use: dict[int, int] = {}
        bounds = list(batch_bounds(data.m, data.batch))
        if not self.exact:
            for i, (a, b) in enumerate(bounds):
                for k in np.unique(blocks_of[a:b]).tolist():
                    last_use[k] = i
        cache: dict[int, np.ndarray] = {}
        place = self.place or (lambda x: x)
        for i, (a, b) in enumerate(bounds):
            if self.stopping.is_set():
                return
            idx = order[a:b]
            if self.exact:
                Xb = data.X.take(idx, data.dtype)
                if self.check:
                    self._check(Xb, idx)
            else:
                Xb = self._gather(cache, idx, blocks_of[a:b], i, last_use)
            Yb = np.take(data.Y, idx, axis=0)
            wb = None if data.w is None else place(np.take(data.w, idx))
            yield place(Xb), place(Yb), wb

    def _gather(self, cache: dict[int, np.ndarray], idx: np.ndarray, blocks: np.ndarray,
                i: int, last_use: dict[int, int]) -> np.ndarray:
        """The rows ``idx`` from the cached blocks (reading the missing ones), dropping the
        blocks no later batch needs."""
        data, block = self.data, self.data.block
        present = np.unique(blocks).tolist()
        for k in present:
            if k not in cache:
                a, b = k * block, min((k + 1) * block, data.m)
                rows = data.X.read(a, b, data.dtype)
                if self.check:
                    self._check(rows, np.arange(a, b))
                cache[k] = rows
        if len(present) == 1:
            k = present[0]
            Xb = np.take(cache[k], idx - k * block, axis=0)
        else:
            Xb = np.empty((len(idx), data.X.n), dtype=data.dtype)
            for k in present:
                sel = np.flatnonzero(blocks == k)
                Xb[sel] = np.take(cache[k], idx[sel] - k * block, axis=0)
        for k in present:
            if last_use[k] == i:
                del cache[k]
        return Xb

    def _check(self, rows: np.ndarray, idx: np.ndarray) -> None:
        finite = np.isfinite(rows).all(axis=1)
        if not finite.all():
            bad = np.sort(idx[~finite])
            shown = ", ".join(str(j) for j in bad[:5].tolist()) + (", ..." if len(bad) > 5 else "")
            raise ValueError(
                f"{self.data.X.name} contains NaN or infinite values (as {self.data.dtype.name}) "
                f"in example(s) {shown} of the data on disk; clean or impute them")


__all__ = ["SHUFFLES", "BatchReader", "DiskArray", "StreamedData", "Streaming", "check_streaming",
           "is_on_disk", "read_whole", "stream_settings"]
