"""Training-step engines: what one mini-batch step does to the parameters.

:class:`GenericEngine` is the reference: forward, cost, backward and optimizer step written
against the Array API, exactly the public :func:`xpnet.forward` / :func:`xpnet.backward` /
``Optimizer.step``. Backend-specific fast paths live beside it (in their own modules) and are
tested against it; :func:`make_engine` chooses one.

The engine contract: what :func:`xpnet.train` calls on an engine, and all it calls.

- ``load_data(X, Y)``: the training set, once, already on the device.
- ``step(order, a, b)``: one update on examples ``order[a:b]`` (all when ``order`` is None);
  returns the batch's cost times its size as a 0-d device array, without a host sync.
- ``params``: ``{"W1", "b1", ..., "WL", "bL"}`` as they are after the latest step.
- ``state_dict()`` / ``load_state_dict(state)``: the optimizer state in the generic format of
  :meth:`xpnet.optimizers.Optimizer.state_dict`, ``{"t": int, slot: {"W1": array, ...}}`` with
  the optimizer's slots (``"v"``, ``"s"``) and arrays of the backend. Checkpoints write it and
  ``resume=`` loads it (after the engine is built), so the run continues bit for bit.
- ``snapshot()`` / ``restore(snapshot)``: ``snapshot()`` returns an opaque object holding the
  parameters and optimizer state as they are now, which later ``step`` calls must not change
  (an engine that updates buffers in place copies them); ``restore`` puts that state back so
  that ``params`` returns it and the next ``step`` continues from it. ``train`` takes a
  snapshot after every completed epoch, keeps the last two, and restores one of them when
  the run diverges or is interrupted (so a snapshot must stay valid while later ones are
  taken, and may be restored after further steps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .activations import Activation
from .backend import Backend
from .losses import cost_array
from .minibatches import batch_bounds, shuffled_indices
from .network import _backward, _forward
from .optimizers import Optimizer
from .rng import RandomState
from .validation import check_choice

if TYPE_CHECKING:
    from .engines_numpy import NumpyEngine

#: ``"auto"`` picks a fast path when one supports the run; the others force one engine.
ENGINES = ("auto", "generic", "numpy")


class GenericEngine:
    """One training step on any array-API backend (the reference implementation)."""

    name = "generic"

    def __init__(self, backend: Backend, params: dict[str, Any], acts: list[Activation],
                 optimizer: Optimizer, *, lambd: float, keep_prob: float,
                 rng: RandomState) -> None:
        self.backend = backend
        self.xp = backend.xp
        self._params = params
        self.acts = acts
        self.optimizer = optimizer
        self.lambd = lambd
        self.keep_prob = keep_prob
        self.rng = rng
        self.output = acts[-1].name

    def load_data(self, X: Any, Y: Any) -> None:
        """The training set, already on the device: ``X`` (n_x, m), ``Y`` (n_y, m)."""
        self.X, self.Y = X, Y

    @property
    def params(self) -> dict[str, Any]:
        return self._params

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state (step count, per-parameter moments) in the generic format."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state)

    def snapshot(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The parameters and optimizer state now (arrays are never updated in place here,
        so holding references to them is enough)."""
        return dict(self._params), self.optimizer.state_dict()

    def restore(self, snapshot: tuple[dict[str, Any], dict[str, Any]]) -> None:
        params, state = snapshot
        self._params = dict(params)
        self.optimizer.load_state_dict(state)

    def step(self, order: Any, a: int, b: int) -> Any:
        """Train on examples ``order[a:b]`` (all of them when ``order`` is None).

        Returns the batch's cost times its size, as a 0-d device array (no host sync).
        """
        xp = self.xp
        if order is None:
            Xb, Yb = self.X, self.Y
        else:
            idx = order[a:b]
            Xb, Yb = xp.take(self.X, idx, axis=1), xp.take(self.Y, idx, axis=1)
        AL, caches = _forward(xp, Xb, self._params, self.acts, self.keep_prob, self.rng,
                              self.backend)
        c = cost_array(xp, AL, Yb, self.output, logits=caches[-1].Z, params=self._params,
                       lambd=self.lambd)
        grads = _backward(xp, AL, Yb, caches, self.acts, self.lambd, self.keep_prob, False)
        self._params = self.optimizer.step(self._params, grads)
        return c * (b - a)


def run_epoch(engine: GenericEngine | NumpyEngine, rng: RandomState, m: int, batch: int) -> Any:
    """One pass over the ``m`` training examples in batches of ``batch``: a fresh shuffle from
    ``rng`` (moved to the device once; none for a full batch), ``engine.step`` per batch.

    Returns the summed cost of the epoch as a 0-d device array: nothing is read back yet.
    """
    order = shuffled_indices(engine.backend, rng, m) if batch < m else None
    total = None
    for a, b in batch_bounds(m, batch):
        c = engine.step(order, a, b)
        total = c if total is None else total + c
    return total


def make_engine(engine: str, backend: Backend, params: dict[str, Any], acts: list[Activation],
                optimizer: Optimizer, *, lambd: float, keep_prob: float,
                rng: RandomState) -> GenericEngine | NumpyEngine:
    """The engine called ``engine``.

    ``"auto"`` picks :class:`~xpnet.engines_numpy.NumpyEngine` on NumPy when it supports the
    optimizer and activations (see :func:`~xpnet.engines_numpy.unsupported_reason`), else the
    generic reference; ``"numpy"`` forces the fast path and raises a ``ValueError`` saying why
    when it cannot run; ``"generic"`` forces the reference.
    """
    engine = check_choice("engine", engine, ENGINES)
    kwargs = {"lambd": lambd, "keep_prob": keep_prob, "rng": rng}
    if engine != "generic":
        from .engines_numpy import NumpyEngine, unsupported_reason

        if engine == "numpy" or unsupported_reason(backend, acts, optimizer) is None:
            return NumpyEngine(backend, params, acts, optimizer, **kwargs)
    return GenericEngine(backend, params, acts, optimizer, **kwargs)
