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

Memory: ``read_ahead + 1`` windows (two by default), one mini-batch and the engine's own
work buffers; ``bench/streaming.py`` measures it.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
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
    - ``read_ahead``: windows the reader thread reads ahead of the one being trained on
      (memory holds ``read_ahead + 1`` windows).
    - ``shuffle``: ``"window"`` or ``"exact"`` (module documentation); ``train(shuffle=False)``
      reads in order whatever this says.
    """

    block_size: int | None = None
    window_size: int | None = None
    read_ahead: int = 1
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
    """Whether ``X`` is an array that stays on disk (h5py, Zarr, memmap, :class:`DiskArray`):
    what ``train`` streams by default. A ``dask.array`` is not: Dask is also an array-API
    backend that ``train`` runs on; ``streaming=True`` (or ``DiskArray``) streams it."""
    if isinstance(X, (DiskArray, np.memmap)):
        return True
    module = type(X).__module__ or ""
    return ((module.startswith("h5py") and type(X).__name__ == "Dataset")
            or (module.startswith("zarr") and type(X).__name__ == "Array"))


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

    @cached_property
    def _file(self) -> Any:
        """For a NumPy memmap of a whole file region, one example after another (what
        ``np.load(path, mmap_mode="r")`` gives), the file opened for reading: blocks are then
        read with ``preadv`` straight into the window buffer, without mapping the file's pages
        into this process (a read through the mapping keeps every page read resident in the
        process until the kernel needs the memory). ``None`` for anything else."""
        array = self.array
        if not (isinstance(array, np.memmap) and self.examples_first
                and array.base is getattr(array, "_mmap", None)  # not a view of another
                and array.flags.c_contiguous and getattr(array, "filename", None)
                and hasattr(os, "preadv")):
            return None
        return open(str(array.filename), "rb")  # noqa: SIM115 - closed with the DiskArray

    def _pread(self, out: np.ndarray, a: int) -> None:
        view = out.data.cast("B")
        position = int(self.array.offset) + a * self.n * self.dtype.itemsize
        done = 0
        while done < len(view):
            got = os.preadv(self._file.fileno(), [view[done:]], position + done)
            if got <= 0:
                raise OSError(f"{self.array.filename}: unexpected end of file")
            done += got

    def __del__(self) -> None:
        file = self.__dict__.get("_file")
        if file is not None:
            file.close()

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
        """Examples ``a:b`` as a new C-contiguous ``(b − a, n)`` array of ``dtype``."""
        out = np.empty((b - a, self.n), dtype=dtype)
        self.read_into(out, a)
        return out

    def read_into(self, out: np.ndarray, a: int) -> None:
        """Examples ``a : a + len(out)`` into ``out`` (C-contiguous ``(k, n)`` of a floating
        dtype), in one read; values too large for ``out``'s dtype become inf, which the reader
        reports. An h5py dataset of ``out``'s dtype, one example after another, is read
        straight into ``out`` (HDF5 copies no further)."""
        k, array = out.shape[0], self.array
        b = a + k
        if self._file is not None and out.dtype == self.dtype and out.flags.c_contiguous:
            self._pread(out, a)
            return
        with np.errstate(over="ignore", invalid="ignore"):
            if not self.examples_first:
                out[...] = np.asarray(array[..., a:b]).reshape(self.n, k).T
            elif hasattr(array, "read_direct") and np.dtype(array.dtype) == out.dtype:
                array.read_direct(out.reshape((k, *array.shape[1:])), np.s_[a:b])
            elif isinstance(array, np.ndarray):  # memmap: one copy out of the page cache
                np.copyto(out, array[a:b].reshape(k, self.n), casting="unsafe")
            else:
                out[...] = np.asarray(array[a:b]).reshape(k, self.n)

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

    #: whether every example has been read and checked (once per run: the first epoch)
    checked: bool

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

    def epoch_plan(self, rng: RandomState, shuffle: bool) -> Plan:
        """The order in which this epoch visits the examples, drawn from ``rng`` on the host
        before any read (so a checkpoint's random state replays it)."""
        m, block = self.m, self.block
        n_blocks = -(-m // block)
        if not shuffle or self.batch >= m:
            blocks = np.arange(n_blocks)
            windows = [blocks[g:g + self.window_blocks]
                       for g in range(0, n_blocks, self.window_blocks)]
            return Plan(np.arange(m), windows)
        if self.settings.shuffle == "exact":
            return Plan(rng.permutation(m), None)
        blocks = rng.permutation(n_blocks)
        windows, parts = [], []
        for g in range(0, n_blocks, self.window_blocks):
            members = blocks[g:g + self.window_blocks]
            ids = np.concatenate([np.arange(k * block, min((k + 1) * block, m))
                                  for k in members])
            windows.append(members)
            parts.append(ids[rng.permutation(len(ids))])
        return Plan(np.concatenate(parts), windows)

    def batches(self, plan: Plan, place: Callable[[np.ndarray], Any] | None = None
                ) -> BatchReader:
        """The epoch's mini-batches, read ahead in background threads."""
        return BatchReader(self, plan, check=not self.checked, place=place)


@dataclass
class Plan:
    """One epoch's reading: ``order``, every example in the order visited, and ``windows``,
    the blocks of each window in the order they are read (``order`` lists each window's
    examples together, shuffled among themselves); ``None`` for scattered reads (``"exact"``)."""

    order: np.ndarray
    windows: list[np.ndarray] | None


class ReaderError(Exception):
    """Carries an exception of a reader thread to the thread that consumes its output."""


class _Worker:
    """A daemon thread feeding a bounded queue; it stops when ``stopping`` is set."""

    def __init__(self, name: str, size: int, stopping: threading.Event,
                 produce: Callable[[], Iterator[Any]]) -> None:
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=size)
        self.stopping = stopping
        self.produce = produce
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def put(self, item: Any) -> bool:
        while not self.stopping.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> Any:
        while True:
            try:
                item = self.queue.get(timeout=0.1)
            except queue.Empty:
                if self.stopping.is_set() or not self.thread.is_alive():
                    raise ReaderError(RuntimeError("the reader thread stopped")) from None
                continue
            if isinstance(item, ReaderError):
                raise item
            return item

    def _run(self) -> None:
        try:
            for item in self.produce():
                if not self.put(item):
                    return
        except ReaderError as exc:
            self.put(exc)
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread
            self.put(ReaderError(exc))

    def join(self) -> None:
        while self.thread.is_alive():
            try:  # unblock a put on a full queue
                self.queue.get_nowait()
            except queue.Empty:
                pass
            self.thread.join(timeout=0.05)


class BatchReader:
    """One epoch's mini-batches: a background thread reads, the consuming thread gathers.

    The *reader* thread reads each window's blocks, whole, into a window buffer, up to
    ``read_ahead`` windows ahead of the batches (so that reading overlaps training), and
    checks them. Iterating gathers each mini-batch's rows out of the buffers in the consuming
    thread, just before the step that uses them, as in-memory training gathers its batches
    (the rows are then in the core's cache for the step). ``"exact"`` plans have no windows:
    the reader thread reads each batch's examples, scattered, as a window of its own.

    Iterating gives ``(X_b, Y_b, w_b)``: ``X_b`` ``(m_b, n)`` and ``Y_b`` ``(m_b, n_y)``
    examples-major and C-contiguous in the training dtype, ``w_b`` ``(m_b,)`` or ``None``, each
    passed through ``place`` (the move to the device). An error in the reader is raised by the
    iteration; :meth:`close` (or leaving the ``with`` block) stops the thread.
    """

    def __init__(self, data: StreamedData, plan: Plan, *, check: bool,
                 place: Callable[[np.ndarray], Any] | None) -> None:
        self.data, self.plan, self.check = data, plan, check
        self.place = place or (lambda x: x)
        self.stopping = threading.Event()
        ahead = data.settings.read_ahead
        self.free = threading.Semaphore(ahead + 1)  # window buffers not in use
        self.reader = _Worker("xpnet-reader", ahead, self.stopping, self._read_windows)

    def __enter__(self) -> BatchReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.stopping.set()
        self.reader.join()

    def __iter__(self) -> Iterator[tuple[Any, Any, Any]]:
        data, order, place = self.data, self.plan.order, self.place
        window_start = window_end = 0  # the current window's examples in plan.order
        buf: np.ndarray | None = None
        start: np.ndarray | None = None
        for a, b in batch_bounds(data.m, data.batch):
            Xb = np.empty((b - a, data.X.n), dtype=data.dtype)
            pos = a
            while pos < b:
                if pos == window_end:  # on to the next window: its buffer is free again
                    if buf is not None:
                        self.free.release()
                    try:
                        buf, start = self.reader.get()
                    except ReaderError as exc:
                        raise exc.args[0] from None
                    window_start, window_end = window_end, window_end + buf.shape[0]
                stop = min(b, window_end)
                assert buf is not None
                if start is None:  # a scattered read: the rows are in plan order
                    rows = np.arange(pos - window_start, stop - window_start)
                else:
                    seg = order[pos:stop]
                    rows = start[seg // data.block] + seg % data.block
                np.take(buf, rows, axis=0, out=Xb[pos - a:stop - a])
                pos = stop
            idx = order[a:b]
            Yb = np.take(data.Y, idx, axis=0)
            wb = None if data.w is None else place(np.take(data.w, idx))
            yield place(Xb), place(Yb), wb

    # -- the reader thread ---------------------------------------------------------------------
    def _read_windows(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Per window, ``(its rows, the row of each block's first example in them)``; per
        batch for ``"exact"`` plans, ``(its rows in plan order, None)``."""
        data, block, plan = self.data, self.data.block, self.plan
        if plan.windows is None:
            for a, b in batch_bounds(data.m, data.batch):
                if not self._acquire():
                    return
                idx = plan.order[a:b]
                rows = data.X.take(idx, data.dtype)
                if self.check:
                    self._check(rows, idx)
                yield rows, None
            data.checked = data.checked or self.check
            return
        size = min(data.m, block * data.window_blocks)
        count = data.settings.read_ahead + 1  # buffers; windows free theirs in order
        buffers: list[np.ndarray] = []
        for w, members in enumerate(plan.windows):
            if not self._acquire():
                return
            if len(buffers) < count:  # made on first use, then reused
                buffers.append(np.empty((size, data.X.n), data.dtype))
            buf = buffers[w % count]
            start = np.zeros(-(-data.m // block), dtype=np.int64)
            row = 0
            for k in members.tolist():
                a, b = k * block, min((k + 1) * block, data.m)
                data.X.read_into(buf[row:row + b - a], a)
                if self.check:
                    self._check(buf[row:row + b - a], np.arange(a, b))
                start[k] = row
                row += b - a
            yield buf[:row], start
        data.checked = data.checked or self.check  # every example was read and checked

    def _acquire(self) -> bool:
        """Wait for a free window buffer; ``False`` when asked to stop meanwhile."""
        while not self.free.acquire(timeout=0.1):
            if self.stopping.is_set():
                return False
        return True

    def _check(self, rows: np.ndarray, idx: np.ndarray) -> None:
        finite = np.isfinite(rows).all(axis=1)
        if not finite.all():
            bad = np.sort(idx[~finite])
            shown = ", ".join(str(j) for j in bad[:5].tolist()) + (", ..." if len(bad) > 5 else "")
            raise ValueError(
                f"{self.data.X.name} contains NaN or infinite values (as {self.data.dtype.name}) "
                f"in example(s) {shown} of the data on disk; clean or impute them")


__all__ = ["SHUFFLES", "BatchReader", "DiskArray", "Plan", "StreamedData", "Streaming", "check_streaming",
           "is_on_disk", "read_whole", "stream_settings"]
