"""The reference engine: one training step on any array-API backend.

Forward, cost, backward and optimizer step are exactly the public :func:`xpnet.forward`,
:func:`xpnet.losses.compute_cost`, :func:`xpnet.backward` and ``Optimizer.step`` (without their
argument checks), so every fast engine is tested against this one. See :class:`xpnet.engines.Engine`
for the contract.
"""

from __future__ import annotations

from typing import Any

from ..architecture import Architecture
from ..backend import Backend
from ..losses import cost_array
from ..network import _backward, _forward, initial_stats, running_stats
from ..optimizers import Optimizer
from ..rng import RandomState


class GenericEngine:
    """One training step on any array-API backend (the reference implementation)."""

    name = "generic"

    def __init__(self, backend: Backend, params: dict[str, Any], arch: Architecture,
                 optimizer: Optimizer, *, lambd: float, keep_prob: float,
                 rng: RandomState, stats: dict[str, Any] | None = None) -> None:
        self.backend = backend
        self.xp = backend.xp
        self._params = params
        self.arch = arch
        self.acts = arch.acts
        self.optimizer = optimizer
        self.lambd = lambd
        self.keep_prob = keep_prob
        self.rng = rng
        self._stats = dict(stats) if stats is not None else initial_stats(
            arch, self.xp, params["W1"].dtype, backend.device)

    def load_data(self, X: Any, Y: Any, sample_weight: Any = None) -> None:
        """The training set, already on the device: ``X`` (n_x, m), ``Y`` (n_y, m) and the
        examples' weights (1, m) or ``None``.

        ``X`` and ``Y`` are kept examples-major, ``(m, n_x)`` and ``(m, n_y)`` in C order (one
        copy at most, none for the course's ``x.reshape(m, -1).T``): a mini-batch is a gather
        of whole rows, and the step gets its transposed view, ``(n_x, m_b)`` as the course
        has it. (Gathering columns of ``(n_x, m)`` reads one value per row and example:
        ``torch.index_select`` along the columns was 58% of a mnist-3v7 epoch on torch.)"""
        dtype = self._params["W1"].dtype
        self.XT = self.backend.examples_major(X, dtype)
        self.YT = self.backend.examples_major(Y, dtype)
        self.sample_weight = (None if sample_weight is None
                              else self.backend.asarray(sample_weight, dtype))

    @property
    def params(self) -> dict[str, Any]:
        return self._params

    @property
    def stats(self) -> dict[str, Any]:
        """The running statistics of the batch-normalised layers (``{}`` without batch norm)."""
        return self._stats

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state (step count, per-parameter moments) in the generic format."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state)

    def snapshot(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The parameters, optimizer state and running statistics now (arrays are never
        updated in place here, so holding references to them is enough)."""
        return dict(self._params), self.optimizer.state_dict(), dict(self._stats)

    def restore(self, snapshot: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> None:
        params, state, stats = snapshot
        self._params = dict(params)
        self.optimizer.load_state_dict(state)
        self._stats = dict(stats)

    def step(self, order: Any, a: int, b: int) -> Any:
        """Train on examples ``order[a:b]`` (all of them when ``order`` is None).

        Returns the batch's cost times its size, as a 0-d device array (no host sync).
        """
        xp = self.xp
        wb = self.sample_weight
        if order is None:
            XT, YT = self.XT, self.YT
        else:
            idx = order[a:b]
            XT, YT = xp.take(self.XT, idx, axis=0), xp.take(self.YT, idx, axis=0)
            wb = None if wb is None else xp.take(wb, idx, axis=1)
        Xb, Yb = xp.permute_dims(XT, (1, 0)), xp.permute_dims(YT, (1, 0))
        self._params, c, self._stats = train_step(
            xp, Xb, Yb, self._params, self.optimizer, self.arch, lambd=self.lambd,
            keep_prob=self.keep_prob, rng=self.rng, backend=self.backend, sample_weight=wb,
            stats=self._stats)
        return c * (b - a)


def train_step(xp: Any, Xb: Any, Yb: Any, params: dict[str, Any], optimizer: Optimizer,
               arch: Architecture, *, lambd: float, keep_prob: float, rng: Any,
               backend: Backend, sample_weight: Any = None, stats: dict[str, Any] | None = None
               ) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    """One step of the reference engine on the batch ``Xb`` (n_x, m_b), ``Yb`` (n_y, m_b), with
    the examples' weights ``sample_weight`` (1, m_b) or ``None``: returns the new parameters,
    the batch's mean cost (a 0-d array) and the running statistics of batch-normalised layers
    after this batch (``stats`` itself, ``{}`` without batch norm). Pure array-API code apart
    from ``optimizer`` (whose state it advances) and ``rng`` (anything with
    :meth:`xpnet.rng.RandomState.dropout_mask`, asked once per hidden layer in order), so that
    a compiling engine can trace it whole (:mod:`xpnet.engines.jax`)."""
    AL, caches = _forward(xp, Xb, params, arch.acts, training=True, keep_prob=keep_prob,
                          rng=rng, backend=backend)
    c = cost_array(xp, AL, Yb, arch.output, logits=caches[-1].Z, params=params, lambd=lambd,
                   sample_weight=sample_weight)
    grads = _backward(xp, AL, Yb, caches, arch.acts, lambd=lambd, keep_prob=keep_prob,
                      sample_weight=sample_weight)
    if stats:
        stats = running_stats(stats, caches)
    return optimizer.step(params, grads), c, stats or {}
