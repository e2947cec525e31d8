"""The generic step compiled whole: :class:`TracedEngine`, the base of the JAX and torch engines.

The reference step (:func:`xpnet.engines.generic.train_step`: forward, cost, backward and the
optimizer's ``step``) is pure array-API code, so a tracing compiler (``jax.jit``,
``torch.compile``) can compile it once per batch size and run it as one program, where the
generic engine dispatches a hundred small operations per step. A subclass says how to compile
(:meth:`TracedEngine.compile`), how to take the batch's indices inside the trace and how to
pass a scalar. What the trace cannot do is kept outside it, on the host, exactly as the generic
engine does it:

- **random numbers**: the batch order (one permutation per epoch, from ``run_epoch``) and the
  dropout masks are drawn by the same ``RandomState`` calls in the same order as the generic
  engine, and enter the compiled step as inputs; so the same seed gives the same run;
- **hyperparameters**: the learning rate, the betas and epsilon are read from ``optimizer``
  at every step and passed as (traced) scalars, as is Adam's step count ``t``: schedules and
  users change them between steps without a recompilation;
- **optimizer state**: the generic optimizer's slots (``v``, ``s``) as dicts of arrays, zeros
  before the first step (``β·0 + (1 − β)·dP`` is the generic first step exactly);
  ``state_dict()`` gives them in the generic format;
- **running statistics** of batch-normalised layers: inputs and outputs of the step, as the
  parameters are.

One compilation per batch size (the short last batch of an epoch is a second one) and per
full-batch/mini-batch mode; nothing is read back within an epoch. The step returns new arrays
and never changes one in place, so ``params``, ``snapshot`` and ``restore`` are references, as
in the generic engine.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from ..architecture import Architecture
from ..backend import Backend
from ..network import initial_stats
from ..optimizers import GD, Adam, Momentum, Optimizer, RMSProp
from ..rng import RandomState
from ._support import backend_and_optimizer_reason, refuse_unsupported
from .generic import train_step


class _MaskFeed(RandomState):
    """Stands in for the ``RandomState`` inside the trace: hands out the dropout masks that
    were drawn on the host before the step, in the order the forward pass asks for them."""

    def __init__(self, masks: list[Any]) -> None:  # no generator: it draws nothing itself
        self._masks = list(masks)

    def dropout_mask(self, backend: Backend, shape: tuple[int, ...], keep_prob: float,
                     dtype: Any) -> Any:
        return self._masks.pop(0)


class TracedEngine:
    """The generic training step, compiled by a subclass (see the module)."""

    name: ClassVar[str] = ""
    backend_name: ClassVar[str] = ""
    #: optimizers whose ``step`` is known to trace (exact classes: a subclass may branch in
    #: Python on a value that is traced here)
    optimizers: ClassVar[tuple[type[Optimizer], ...]] = (GD, Momentum, RMSProp, Adam)
    #: example weights (``sample_weight``) are not traced: ``load_data`` refuses them
    sample_weights: ClassVar[bool] = False
    #: batch-normalised layers are traced: their running statistics enter and leave the
    #: compiled step, as the parameters do
    batch_norm: ClassVar[bool] = True

    @classmethod
    def unsupported_reason(cls, backend: Backend, arch: Architecture,
                           optimizer: Optimizer) -> str | None:
        """Why this engine cannot run this configuration, or ``None`` when it can."""
        return backend_and_optimizer_reason(cls.backend_name, cls.optimizers, backend,
                                            optimizer)

    def __init__(self, backend: Backend, params: dict[str, Any], arch: Architecture,
                 optimizer: Optimizer, *, lambd: float, keep_prob: float,
                 rng: RandomState, stats: dict[str, Any] | None = None) -> None:
        refuse_unsupported(self.name, self.unsupported_reason(backend, arch, optimizer))
        self.backend = backend
        self.xp = backend.xp
        self.arch = arch
        self.optimizer = optimizer
        self.lambd = lambd
        self.keep_prob = keep_prob
        self.rng = rng
        self._params = dict(params)
        self.dtype = params["W1"].dtype
        self._stats = dict(stats) if stats is not None else initial_stats(
            arch, self.xp, self.dtype, backend.device)
        self.load_state_dict(optimizer.state_dict())
        self._compiled: dict[tuple[int, bool], Any] = {}

    # -- the engine contract ------------------------------------------------------------------
    @property
    def stats(self) -> dict[str, Any]:
        """The running statistics of the batch-normalised layers (``{}`` without batch norm)."""
        return dict(self._stats)

    def load_data(self, X: Any, Y: Any, sample_weight: Any = None) -> None:
        """``X`` (n_x, m) and ``Y`` (n_y, m), kept examples-major ``(m, n)``, so that a
        mini-batch is a gather of whole rows (the transpose back is free inside the trace)."""
        if sample_weight is not None:
            raise ValueError(f"engine {self.name!r} does not weigh examples (sample_weight)")
        xp = self.xp
        self.X = self.contiguous(xp.permute_dims(xp.astype(X, self.dtype, copy=False), (1, 0)))
        self.Y = self.contiguous(xp.permute_dims(xp.astype(Y, self.dtype, copy=False), (1, 0)))

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in the generic format (no moments before the first step)."""
        return {"t": self._t, **{slot: {} if self._t == 0 else dict(values)
                                 for slot, values in self._slots.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the optimizer state; missing moments start at zero."""
        xp = self.xp
        self._t = int(state["t"])
        self._slots = {slot: {key: state.get(slot, {}).get(key, xp.zeros_like(P))
                              for key, P in self._params.items()}
                       for slot in type(self.optimizer)._slots}

    def snapshot(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The parameters, optimizer state and running statistics now (the step never
        changes an array in place: references suffice)."""
        return dict(self._params), self.state_dict(), dict(self._stats)

    def restore(self, snapshot: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> None:
        params, state, stats = snapshot
        self._params = dict(params)
        self.load_state_dict(state)
        self._stats = dict(stats)

    def step(self, order: Any, a: int, b: int) -> Any:
        """Train on examples ``order[a:b]`` (all of them when ``order`` is None).

        Returns the batch's cost times its size, as a 0-d array of the backend (no host sync).
        """
        full = order is None
        mb = self.X.shape[0] if full else b - a
        masks = []
        if self.keep_prob < 1.0:  # the generic engine's draws, in its order: (n_l, m_b) each
            masks = [self.rng.dropout_mask(self.backend, (n, mb), self.keep_prob, self.dtype)
                     for n in self.arch.layer_dims[1:-1]]
        hyper = {k: self.scalar(v) for k, v in self.optimizer.hyperparameters().items()}
        fn = self._compiled.get((mb, full))
        if fn is None:
            fn = self._compiled[(mb, full)] = self.compile(self._traced_step(mb, full))
        params, self._slots, stats, cost = fn(
            self._params, self._slots, self._stats, self.scalar(self._t), hyper, self.X,
            self.Y, order, self.offset(a), masks)
        # in the network's order again (JAX returns dicts with their keys sorted)
        self._params = {key: params[key] for key in self._params}
        self._stats = {key: stats[key] for key in self._stats}
        self._t += 1
        return cost

    # -- hooks for the compiler ----------------------------------------------------------------
    def compile(self, fn: Any) -> Any:
        """``fn`` compiled (its arguments: pytrees of arrays, scalars from :meth:`scalar`)."""
        raise NotImplementedError

    def contiguous(self, x: Any) -> Any:
        """``x`` laid out row by row (a copy where it is not), so that gathering rows is fast."""
        return x

    def scalar(self, value: float) -> Any:
        """A hyperparameter or step count as the compiled step takes it without recompiling."""
        return value

    def offset(self, a: int) -> Any:
        """The batch's start as the compiled step takes it without recompiling."""
        return a

    def batch_indices(self, order: Any, a: Any, mb: int) -> Any:
        """``order[a:a + mb]`` inside the trace (``a`` may be traced)."""
        raise NotImplementedError

    # -- the traced step ----------------------------------------------------------------------
    def _traced_step(self, mb: int, full: bool) -> Any:
        xp = self.xp
        template = self.optimizer
        # the architecture's cached activations, computed now, outside the trace: Dynamo
        # cannot enter functools.cached_property's lock (a graph break in the first compile)
        self.arch.acts  # noqa: B018

        def step(params: dict[str, Any], slots: dict[str, Any], stats: dict[str, Any], t: Any,
                 hyper: dict[str, Any], X: Any, Y: Any, order: Any, a: Any,
                 masks: list[Any]) -> Any:
            if full:
                Xb, Yb = X, Y
            else:
                idx = self.batch_indices(order, a, mb)
                Xb, Yb = xp.take(X, idx, axis=0), xp.take(Y, idx, axis=0)
            opt = copy.copy(template)  # the generic optimizer, its state and settings traced
            for key, value in hyper.items():
                setattr(opt, key, value)
            opt.load_state_dict({"t": 0, **slots})
            opt.t = t
            new, c, stats = train_step(
                xp, xp.permute_dims(Xb, (1, 0)), xp.permute_dims(Yb, (1, 0)), params, opt,
                self.arch, lambd=self.lambd, keep_prob=self.keep_prob, rng=_MaskFeed(masks),
                backend=self.backend, stats=stats)
            return new, {slot: getattr(opt, slot) for slot in slots}, stats, c * mb

        return step
