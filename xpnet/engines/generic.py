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
from ..network import _backward, _forward
from ..optimizers import Optimizer
from ..rng import RandomState


class GenericEngine:
    """One training step on any array-API backend (the reference implementation)."""

    name = "generic"

    def __init__(self, backend: Backend, params: dict[str, Any], arch: Architecture,
                 optimizer: Optimizer, *, lambd: float, keep_prob: float,
                 rng: RandomState) -> None:
        self.backend = backend
        self.xp = backend.xp
        self._params = params
        self.arch = arch
        self.acts = arch.acts
        self.optimizer = optimizer
        self.lambd = lambd
        self.keep_prob = keep_prob
        self.rng = rng

    def load_data(self, X: Any, Y: Any) -> None:
        """The training set, already on the device: ``X`` (n_x, m), ``Y`` (n_y, m). On NumPy,
        ``X`` is kept in C order, so that gathering a mini-batch's columns reads whole rows."""
        self.X = self.backend.asarray(X, c_order=True)
        self.Y = Y

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
        self._params, c = train_step(xp, Xb, Yb, self._params, self.optimizer, self.arch,
                                     lambd=self.lambd, keep_prob=self.keep_prob, rng=self.rng,
                                     backend=self.backend)
        return c * (b - a)


def train_step(xp: Any, Xb: Any, Yb: Any, params: dict[str, Any], optimizer: Optimizer,
               arch: Architecture, *, lambd: float, keep_prob: float, rng: Any,
               backend: Backend) -> tuple[dict[str, Any], Any]:
    """One step of the reference engine on the batch ``Xb`` (n_x, m_b), ``Yb`` (n_y, m_b):
    returns the new parameters and the batch's mean cost (a 0-d array). Pure array-API code
    apart from ``optimizer`` (whose state it advances) and ``rng`` (anything with
    :meth:`xpnet.rng.RandomState.dropout_mask`, asked once per hidden layer in order), so that
    a compiling engine can trace it whole (:mod:`xpnet.engines.jax`)."""
    AL, caches = _forward(xp, Xb, params, arch.acts, training=True, keep_prob=keep_prob,
                          rng=rng, backend=backend)
    c = cost_array(xp, AL, Yb, arch.output, logits=caches[-1].Z, params=params, lambd=lambd)
    grads = _backward(xp, AL, Yb, caches, arch.acts, lambd=lambd, keep_prob=keep_prob)
    return optimizer.step(params, grads), c
