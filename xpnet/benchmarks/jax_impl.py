"""JAX baseline: ``jax.jit`` over the whole training step.

One compiled function per batch size does the gather of the batch (from the epoch's
permutation, on the device), the forward pass, the loss, its gradient (``jax.value_and_grad``),
the GD or Adam update and the running sum of the epoch's cost; parameters and optimizer state
are donated, so XLA updates them in place. Same maths, initial weights, dtype (float32) and
batch order as xpnet.
"""

from __future__ import annotations

import functools
from typing import Any

from ..initializers import initialize_parameters
from ..rng import RandomState
from .cases import Case, make_data
from .harness import Unavailable


def import_jax() -> Any:
    try:
        import jax
    except ImportError:
        raise Unavailable("jax is not installed (CPU: pip install jax jaxlib)") from None
    return jax


class JaxRunner:
    def __init__(self, case: Case, seed: int = 0) -> None:
        jax = import_jax()
        jnp = self.jnp = jax.numpy
        data = make_data(case, seed)
        self.rng = RandomState(seed)
        init = initialize_parameters(list(case.layer_dims), "he", seed=self.rng, dtype="float32")
        L = len(case.layer_dims) - 1
        self.params = [(jnp.asarray(init[f"W{i}"]), jnp.asarray(init[f"b{i}"][:, 0]))
                       for i in range(1, L + 1)]
        self.state: Any = ()
        if case.optimizer == "adam":  # (t, v, s); v and s distinct buffers (both donated)
            self.state = (jnp.zeros((), jnp.float32), *(
                jax.tree.map(jnp.zeros_like, self.params) for _ in range(2)))
        self.X = jnp.asarray(data.rows)
        self.Y = jnp.asarray(data.Y.T)
        self.m, self.batch = case.m, case.batch
        self._step = _make_step(jax, case)

    def epoch(self) -> float:
        jnp = self.jnp
        full = self.batch >= self.m
        order = None if full else jnp.asarray(self.rng.permutation(self.m))
        total = jnp.zeros((), jnp.float32)
        for a in range(0, self.m, self.batch):
            size = min(self.batch, self.m - a)
            self.params, self.state, total = self._step(self.params, self.state, total, self.X,
                                                        self.Y, order, a, size)
        return float(total) / self.m  # blocks until the device has finished


def _make_step(jax: Any, case: Case) -> Any:
    jnp = jax.numpy
    lr = case.learning_rate

    def loss_sum(params: Any, xb: Any, yb: Any) -> Any:
        a = xb
        for W, b in params[:-1]:
            a = jax.nn.relu(a @ W.T + b)
        W, b = params[-1]
        z = a @ W.T + b
        if case.output == "softmax":
            return -jnp.sum(yb * jax.nn.log_softmax(z, axis=1))
        # softplus(z) − y z: its gradient is σ(z) − y everywhere (max(z, 0) has none at 0)
        return jnp.sum(jnp.logaddexp(z, 0.0) - z * yb)

    def update(params: Any, state: Any, grads: Any) -> tuple[Any, Any]:
        if case.optimizer != "adam":
            return jax.tree.map(lambda p, g: p - lr * g, params, grads), state
        t, v, s = state
        t = t + 1
        v = jax.tree.map(lambda v, g: 0.9 * v + 0.1 * g, v, grads)
        s = jax.tree.map(lambda s, g: 0.999 * s + 0.001 * g * g, s, grads)
        c1, c2 = 1 - 0.9**t, 1 - 0.999**t
        params = jax.tree.map(lambda p, v, s: p - lr * (v / c1) / (jnp.sqrt(s / c2) + 1e-8),
                              params, v, s)
        return params, (t, v, s)

    @functools.partial(jax.jit, static_argnums=(7,), donate_argnums=(0, 1, 2))
    def step(params, state, total, X, Y, order, a, size):
        if order is None:
            xb, yb = X, Y
        else:
            idx = jax.lax.dynamic_slice(order, (a,), (size,))
            xb, yb = jnp.take(X, idx, axis=0), jnp.take(Y, idx, axis=0)
        cost, grads = jax.value_and_grad(lambda p: loss_sum(p, xb, yb) / size)(params)
        params, state = update(params, state, grads)
        return params, state, total + cost * size

    return step
