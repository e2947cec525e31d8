"""Training-step engines: what one mini-batch step does to the parameters.

:class:`~xpnet.engines.generic.GenericEngine` is the reference: forward, cost, backward and
optimizer step written against the Array API, exactly the public :func:`xpnet.forward` /
:func:`xpnet.backward` / ``Optimizer.step``. Backend-specific fast engines live beside it, one
module each, and are tested against it; :func:`make_engine` chooses one.

**Adding a fast engine** is one module plus one line in :data:`FAST_ENGINES`: the module
defines a class that satisfies :class:`Engine` and has a ``backend_name`` and a classmethod
``unsupported_reason(backend, arch, optimizer) -> str | None``, and exposes it as ``ENGINE``.
The array-library-independent machinery (flat parameter and gradient buffers, optimizer
moments, ``state_dict``/``snapshot``/``restore``) is :class:`xpnet.engines._flat.FlatEngine`,
so such a module writes the kernels of :meth:`Engine.step` and nothing else. The tests that
compare a fast engine with the generic one run over every registered engine.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from ..architecture import Architecture
from ..backend import Backend
from ..minibatches import batch_bounds, shuffled_indices
from ..optimizers import Optimizer
from ..rng import RandomState
from ..streaming import StreamedData
from ..threads import Threads
from ..validation import check_choice
from ._support import EngineUnsupportedError
from .generic import GenericEngine

#: Fast engines by name: the module that defines each (as ``ENGINE``), imported on first use.
FAST_ENGINES: dict[str, str] = {
    "numpy": "xpnet.engines.numpy",
    "jax": "xpnet.engines.jax",
    "torch": "xpnet.engines.torch",
}

#: ``"auto"`` picks a fast engine when one supports the run; the others force one engine.
ENGINES = ("auto", "generic", *FAST_ENGINES)


@runtime_checkable
class Engine(Protocol):
    """The engine contract: what :func:`xpnet.train` (and the benchmark) use, and all they use.

    Construction: ``Engine(backend, params, arch, optimizer, *, lambd, keep_prob, rng,
    stats=None)``. The engine may copy ``params`` (the caller's arrays are never modified) and
    takes the optimizer state from ``optimizer.state_dict()``; ``stats`` are the running
    statistics of the batch-normalised layers to start from (``None``: means 0, variances 1).

    - ``name``: the engine's name (recorded in ``Model.config["engine"]``); ``backend``: the
      :class:`~xpnet.backend.Backend` it runs on; ``optimizer``: the optimizer it was built with.
    - ``load_data(X, Y, sample_weight=None)``: the training set, ``X`` (n_x, m) and ``Y``
      (n_y, m) already on the device, ``X`` possibly still in the user's real dtype (float64,
      say, on NumPy). The engine holds the only copy that training keeps, in the training dtype
      and in whatever layout is fast for it, made in one copy at most; ``train`` drops its own
      references afterwards. ``sample_weight`` (1, m), of the data's dtype and normalised to
      mean 1, weighs each example's loss and gradient (``dZ_L = w·(A_L − Y)/m_b``); ``None`` is
      unit weights. Streamed training (:mod:`xpnet.streaming`) calls it again before every
      step with that step's mini-batch alone (``X`` then usually the transpose of a
      C-contiguous examples-major block, of the training dtype), so it must be cheap when no
      conversion is needed and must not assume that the data stay the same between steps.
    - ``step(order, a, b)``: one update on examples ``order[a:b]`` (all of them when ``order``
      is None; ``order`` is a device array of indices). Returns the batch's cost times its size
      as a scalar that ``float()`` reads: a 0-d array of the backend, so that nothing waits for
      the device within an epoch (an engine whose arrays live on the host, such as NumPy's, may
      return a Python float). Every step reads the learning rate and the optimizer's
      hyperparameters (betas, epsilon) from ``optimizer`` afresh, because schedules and users
      change them between steps.
    - ``params``: ``{"W1", "b1", ..., "WL", "bL"}`` in the course layout, as they are after the
      latest step; arrays that later steps will not change in place (or views the engine
      documents as live).
    - ``stats``: the running statistics ``{"running_mean{l}", "running_var{l}"}`` (n_l, 1) of
      the batch-normalised layers (``{}`` without batch norm), as they are after the latest
      step, under the same rules as ``params``. Every training step updates them as
      ``momentum · running + (1 − momentum) · batch`` (:func:`xpnet.network.running_stats`);
      they are state, not parameters: the optimizer never sees them.
    - ``state_dict()`` / ``load_state_dict(state)``: the optimizer state in the generic format of
      :meth:`xpnet.optimizers.Optimizer.state_dict`, ``{"t": int, slot: {"W1": array, ...}}`` with
      the optimizer's slots (``"v"``, ``"s"``) and arrays of the backend. Checkpoints write it and
      ``resume=`` loads it (after the engine is built), so the run continues bit for bit.
      ``train`` hands ``state_dict()`` back to ``optimizer`` however training ends.
    - ``snapshot()`` / ``restore(snapshot)``: ``snapshot()`` returns an opaque object holding the
      parameters, optimizer state and running statistics as they are now, which later ``step``
      calls must not change (an engine that updates buffers in place copies them); ``restore``
      puts that state back so that ``params`` and ``stats`` return it and the next ``step``
      continues from it. ``train`` takes a snapshot after every completed epoch, keeps the last
      two, and restores one of them when the run diverges or is interrupted (so a snapshot
      must stay valid while later ones are taken, and may be restored after further steps).
    """

    name: str
    backend: Backend
    optimizer: Optimizer

    def load_data(self, X: Any, Y: Any, sample_weight: Any = None) -> None: ...

    def step(self, order: Any, a: int, b: int) -> Any: ...

    @property
    def params(self) -> dict[str, Any]: ...

    @property
    def stats(self) -> dict[str, Any]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def snapshot(self) -> Any: ...

    def restore(self, snapshot: Any) -> None: ...


def fast_engine(name: str) -> Any:
    """The class of the registered fast engine ``name`` (its module is imported now)."""
    return importlib.import_module(FAST_ENGINES[name]).ENGINE


def fast_engine_for(backend: Backend) -> Any:
    """The registered fast engine class for ``backend``, or ``None`` when it has none."""
    for name in FAST_ENGINES:
        cls = fast_engine(name)
        if cls.backend_name == backend.name:
            return cls
    return None


def make_engine(engine: str, backend: Backend, params: dict[str, Any], arch: Architecture,
                optimizer: Optimizer, *, lambd: float, keep_prob: float,
                rng: RandomState, weighted: bool = False,
                stats: dict[str, Any] | None = None) -> Engine:
    """The engine called ``engine``.

    ``"auto"`` picks the fast engine registered for ``backend`` when its
    ``unsupported_reason`` says it can run this network and optimizer (and, when ``weighted``,
    its ``sample_weights`` attribute says it weighs examples; and its class does not set
    ``auto = False``: an engine only worth forcing), else the generic reference; a fast
    engine's name forces it and raises a ``ValueError`` saying why when it cannot run;
    ``"generic"`` forces the reference.
    """
    engine = check_choice("engine", engine, ("auto", "generic", *FAST_ENGINES))
    kwargs: dict[str, Any] = {"lambd": lambd, "keep_prob": keep_prob, "rng": rng,
                              "stats": stats}
    if engine == "auto":
        cls = fast_engine_for(backend)
        if (cls is not None and getattr(cls, "auto", True)
                and cls.unsupported_reason(backend, arch, optimizer) is None
                and (not weighted or getattr(cls, "sample_weights", False))):
            return cls(backend, params, arch, optimizer, **kwargs)
    elif engine != "generic":  # forced: the engine raises a ValueError saying why it cannot run
        cls = fast_engine(engine)
        if weighted and not getattr(cls, "sample_weights", False):
            raise ValueError(f"engine={engine!r} cannot run this configuration: it does not "
                             "weigh examples (sample_weight, class_weight); use engine='auto'")
        return cls(backend, params, arch, optimizer, **kwargs)
    return GenericEngine(backend, params, arch, optimizer, **kwargs)


def run_epoch(engine: Engine, rng: RandomState, m: int, batch: int, *, shuffle: bool = True,
              on_batch: Callable[[int, int], None] | None = None,
              threads: Threads | None = None) -> Any:
    """One pass over the ``m`` training examples in batches of ``batch``: a fresh shuffle from
    ``rng`` (moved to the device once; none for a full batch, nor with ``shuffle=False``, which
    takes the examples in their order), ``engine.step`` per batch (through ``threads.step``,
    which sets and tunes the BLAS threads, when given), then ``on_batch(batches done, batches
    in the epoch)`` (progress bars; it must not read the device).

    Returns the summed cost of the epoch as a 0-d device array: nothing is read back yet.
    Overflows compute to inf/NaN without NumPy warnings (``train`` checks for them after the
    epoch and reports a divergence).
    """
    order = None
    if batch < m:
        xp = engine.backend.xp
        order = (shuffled_indices(engine.backend, rng, m) if shuffle
                 else engine.backend.asarray(xp.arange(m, dtype=xp.int64)))
    total = None
    n = -(-m // batch)
    with engine.backend.library.quiet():
        for i, (a, b) in enumerate(batch_bounds(m, batch)):
            c = (engine.step(order, a, b) if threads is None
                 else threads.step(engine.step, order, a, b))
            total = c if total is None else total + c
            if on_batch is not None:
                on_batch(i + 1, n)
    return total


def run_streamed_epoch(engine: Engine, data: StreamedData, rng: RandomState, *,
                       shuffle: bool = True,
                       on_batch: Callable[[int, int], None] | None = None,
                       threads: Threads | None = None) -> Any:
    """:func:`run_epoch` for training data on disk: the epoch's order drawn from ``rng`` (in
    the same place of the random stream as :func:`run_epoch` draws its permutation), then each
    mini-batch, read ahead by :class:`xpnet.streaming.BatchReader`, given to the engine with
    ``load_data`` and trained on with ``step(None, 0, m_b)``."""
    be = engine.backend
    plan = data.epoch_plan(rng, shuffle)
    place = None if be.library.name == "numpy" else be.asarray  # to the device, in the reader
    total = None
    n = -(-data.m // data.batch)
    with data.batches(plan, place) as reader, be.library.quiet():
        for i, (Xb, Yb, wb) in enumerate(reader):
            xp = be.xp
            mb = Xb.shape[0]
            engine.load_data(xp.permute_dims(Xb, (1, 0)), xp.permute_dims(Yb, (1, 0)),
                             None if wb is None else xp.reshape(wb, (1, -1)))
            c = (engine.step(None, 0, mb) if threads is None
                 else threads.step(engine.step, None, 0, mb))
            total = c if total is None else total + c
            if on_batch is not None:
                on_batch(i + 1, n)
    return total


__all__ = ["ENGINES", "FAST_ENGINES", "Engine", "EngineUnsupportedError", "GenericEngine", "fast_engine",
           "fast_engine_for", "make_engine", "run_epoch", "run_streamed_epoch"]
