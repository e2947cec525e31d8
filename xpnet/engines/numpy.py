"""The NumPy fast path of the training step: :class:`NumpyEngine`.

Same maths and the same random stream as :class:`xpnet.engines.GenericEngine` (the Array-API
reference, which it is tested against), arranged for NumPy on a CPU:

- **examples-major inside**: ``X`` is kept once as ``(m, n_x)`` C-contiguous, so a shuffled
  mini-batch is a gather of contiguous rows (``np.take(..., out=)``); hidden activations are
  ``(m_b, n_l)`` and ``Z_l = A_{l-1} W_l^T + b_l``. ``W_l`` stays in the course layout
  ``(n_l, n_{l-1})``; BLAS reads ``W_l^T`` without a copy. Only the output layer is
  class-major, ``(n_L, m_b)`` as in the course, so that the softmax's reductions over the
  classes run along contiguous rows (a reduction along a short last axis is 5× slower).
- **one flat parameter buffer** ``[W1 … WL, b1 … bL]`` and a gradient buffer of the same layout:
  backward writes ``dW_l``/``db_l`` straight into the gradient buffer
  (``np.matmul(..., out=)``), and each optimizer updates every parameter with a handful of
  whole-buffer in-place operations (a fused Adam: eleven passes instead of 4 × L small
  updates; over a buffer of :data:`BLOCKED_FROM` numbers or more, block by block, so that the
  passes run in cache). Moments are kept exactly as the generic optimizer keeps them, so checkpoints
  resume bit for bit; constant factors (GD's learning rate, Momentum's ``1 − β``, RMSProp's
  ``√(1 − β)``, Adam's ``1 − β1``) are folded into ``dZ_L`` instead, which saves a pass each.
- **preallocated work buffers** per batch size (the short last batch gets its own set).
- **hidden widths padded to a multiple of 4** with units whose weights, bias and moments are
  zero and stay exactly zero (their activation and every gradient reaching them is 0), because
  BLAS kernels handle a ragged edge slowly: ``[784, 7, 1]`` runs its two large products about
  twice as fast with 8 hidden units as with 7. ``params`` and ``state_dict`` show the true
  shapes. (Not with sigmoid hidden layers, whose σ(0) = ½ would leak into the next layer.)
- **no gradient for the input** ``X`` (for the cat network, the largest product of the step).
- **the output activation fused with its loss**: the cost (per example, as
  :mod:`xpnet.losses` computes it from the logits) and ``dZ_L = (A_L − Y)/m`` come out of one
  function, with no intermediate arrays.

- **batch norm** in the same layout: the statistics are reductions over the examples (axis 0,
  contiguous rows), ``Ẑ`` is kept for the backward pass, and the backward pass uses
  ``mean(dẐ) = γ·dβ/m`` and ``mean(dẐ ⊙ Ẑ) = γ·dγ/m``, so it costs about four passes over
  ``(m_b, n_l)`` beyond those of the layer without batch norm. Padded units have ``γ = β = 0``
  and stay exactly zero.

Supported: GD, Momentum, RMSProp and Adam (the classes of :mod:`xpnet.optimizers`, not
subclasses); ReLU, leaky ReLU, tanh, sigmoid and linear hidden layers; sigmoid, softmax and
linear outputs; L2; batch norm; example weights (``sample_weight``, scaling each example's loss
and ``dZ_L`` column); dropout (masks drawn by the same ``RandomState`` calls, in the same order,
as the generic engine). ``NumpyEngine.unsupported_reason`` says why anything else falls back.
The flat buffers, optimizer moments and snapshots are :mod:`xpnet.engines._flat`'s; this module
holds the NumPy kernels.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from ..activations import Activation, LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh
from ..minibatches import batch_bounds
from ..network import BN_EPSILON, BN_MOMENTUM
from ..optimizers import GD, Adam, Momentum, RMSProp
from ._flat import FlatEngine, FlatOptimizer


class NumpyEngine(FlatEngine):
    """One training step on NumPy, in place, behind the :class:`~xpnet.engines.Engine`
    contract; ``layer i`` below is the course's layer ``l = i + 1``."""

    name = "numpy"
    backend_name = "numpy"
    hidden = (ReLU, LeakyReLU, Tanh, Sigmoid, Linear)
    outputs = (Sigmoid, Softmax, Linear)
    batch_norm = True
    pad = 4
    sample_weights = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.WT = [W.T for W in self.W]  # views, made once: the step reuses them
        # per layer: b (None with batch norm), and gamma, beta, their gradients and the
        # running statistics (None without)
        layers = self.arch.layers
        self.b: list[Any]
        self.db: list[Any]
        self.gamma: list[Any]
        self.beta: list[Any]
        self.dgamma: list[Any]
        self.dbeta: list[Any]
        self.run_mean: list[Any]
        self.run_var: list[Any]
        self.b, self.db, self.gamma, self.beta, self.dgamma, self.dbeta = (
            [views.get(f"{name}{layer.index}") for layer in layers]
            for views, name in ((self.P, "b"), (self.dP, "b"), (self.P, "gamma"),
                                (self.P, "beta"), (self.dP, "gamma"), (self.dP, "beta")))
        self.run_mean, self.run_var = ([self.S.get(f"{name}{layer.index}") for layer in layers]
                                       for name in ("running_mean", "running_var"))
        self.bn = [layer.batch_norm for layer in layers]
        self.bL = self.b[-1][:, None]

    def contiguous(self, x: Any, dtype: Any = None) -> np.ndarray:
        return np.ascontiguousarray(x, dtype=dtype)

    def make_workspace(self, mb: int) -> _Workspace:
        return _Workspace(self.padded, mb, self.dtype, self.keep_prob < 1, self.bn)

    def step(self, order: Any, a: int, b: int) -> float:
        """Train on examples ``order[a:b]`` (all of them when ``order`` is None).

        Returns the batch's cost times its size, as a float (NumPy has no device to wait for).
        """
        w = self.w
        if order is None:
            X, Y = self.X, self.Y.T
            ws = self.workspace(X.shape[0])
        else:
            ws = self.workspace(b - a)
            idx = order[a:b]
            X = np.take(self.X, idx, axis=0, out=ws.X, mode="clip")
            Y = np.take(self.Y, idx, axis=0, out=ws.Y, mode="clip").T  # (n_y, m_b) view
            if w is not None:
                w = np.take(w, idx, out=ws.w, mode="clip")
        mb = X.shape[0]
        scale = self.kernel.grad_scale(self.optimizer)
        cost = self._forward_cost(ws, X, Y, scale / mb, w) / mb
        self._backward(ws, X)
        if self.lambd:
            cost += self.lambd / (2.0 * mb) * self._sum_squared_weights()
            nW = self.layout.num_weights
            np.multiply(self.theta[:nW], scale * self.lambd / mb, out=self.tmp[:nW])
            np.add(self.grad[:nW], self.tmp[:nW], out=self.grad[:nW])
        self.kernel.update(self.theta, self.grad, self.tmp, self.optimizer)
        return cost * (b - a)

    # -- the step, examples-major -----------------------------------------------------------
    def _forward_cost(self, ws: _Workspace, X: np.ndarray, Y: np.ndarray, dz_scale: float,
                      w: np.ndarray | None = None) -> float:
        """Forward through every layer; return the summed (weighted) loss and leave
        ``dZ_L = dz_scale · w · (A_L − Y)`` in ``ws``."""
        A = X
        for i in range(self.L - 1):
            Z = ws.Z[i]
            np.matmul(A, self.WT[i], out=Z)
            if self.bn[i]:
                self._batchnorm_forward(ws, i, Z)
            else:
                np.add(Z, self.b[i], out=Z)
            G = _hidden_forward(self.acts[i], Z, ws.A[i], ws.mask[i])
            if self.keep_prob < 1.0:
                # the generic engine's draw: (n_l, m_b) in C order, so the same stream
                n = self.dims[i + 1]
                ws.D[i][:, :n] = self.rng.dropout_mask(self.backend, (n, A.shape[0]),
                                                       self.keep_prob, self.dtype).T
                np.multiply(G, ws.D[i], out=ws.A_in[i])
                G = np.divide(ws.A_in[i], self.keep_prob, out=ws.A_in[i])
            ws.A_in[i] = A = G
        ZL = np.matmul(self.W[-1], A.T, out=ws.ZL)  # class-major (n_L, m_b)
        np.add(ZL, self.bL, out=ZL)
        return _output_loss(self.acts[-1].name, ZL, Y, ws, dz_scale, w)

    def _batchnorm_forward(self, ws: _Workspace, i: int, Z: np.ndarray) -> None:
        """``Z`` (m_b, n) becomes ``Z̃ = γ Ẑ + β`` with the batch's statistics; ``Ẑ`` and
        ``1/√(σ² + ε)`` stay in ``ws`` and the running statistics are updated."""
        mb = Z.shape[0]
        mu, var, inv_std, Z_hat = ws.mu[i], ws.var[i], ws.inv_std[i], ws.Z_hat[i]
        # sums over the examples as 1ᵀZ and einsum: 2–4× faster than np.add.reduce(axis=0)
        np.matmul(ws.ones, Z, out=mu)
        np.divide(mu, mb, out=mu)
        np.subtract(Z, mu, out=Z_hat)
        np.einsum("ij,ij->j", Z_hat, Z_hat, out=var)  # Σ (Z − μ)², one pass
        np.divide(var, mb, out=var)
        np.add(var, BN_EPSILON, out=inv_std)
        np.sqrt(inv_std, out=inv_std)
        np.divide(1.0, inv_std, out=inv_std)
        np.multiply(Z_hat, inv_std, out=Z_hat)
        np.multiply(Z_hat, self.gamma[i], out=Z)
        np.add(Z, self.beta[i], out=Z)
        for running, batch in ((self.run_mean[i], mu), (self.run_var[i], var)):
            np.multiply(running, BN_MOMENTUM, out=running)
            running += (1.0 - BN_MOMENTUM) * batch

    def _batchnorm_backward(self, ws: _Workspace, i: int, dZ: np.ndarray) -> None:
        """``dZ`` (m_b, n) holds ``dZ̃``: write ``dγ``, ``dβ`` into the gradient buffer and turn
        ``dZ`` into the gradient of the pre-normalisation ``Z``, in place:
        ``dZ = γ/√(σ² + ε) · (dZ̃ − dβ/m − Ẑ·dγ/m)``."""
        mb = dZ.shape[0]
        Z_hat, T = ws.Z_hat[i], ws.T[i]
        dgamma, dbeta = self.dgamma[i], self.dbeta[i]
        np.einsum("ij,ij->j", dZ, Z_hat, out=dgamma)
        np.matmul(ws.ones, dZ, out=dbeta)
        k, c = ws.k[i], ws.c[i]
        np.multiply(self.gamma[i], ws.inv_std[i], out=k)
        np.divide(dgamma, mb, out=c)
        np.multiply(Z_hat, c, out=T)
        np.divide(dbeta, mb, out=c)
        np.subtract(dZ, c, out=dZ)
        np.subtract(dZ, T, out=dZ)
        np.multiply(dZ, k, out=dZ)

    def _backward(self, ws: _Workspace, X: np.ndarray) -> None:
        """Gradients into the flat gradient buffer (no gradient for ``X``)."""
        L = self.L
        dZ = ws.dZL  # (n_L, m_b)
        np.matmul(dZ, X if L == 1 else ws.A_in[L - 2], out=self.dW[L - 1])
        np.matmul(dZ, ws.ones, out=self.db[L - 1])  # Σ over the examples
        dZ = dZ.T
        for i in range(L - 2, -1, -1):
            dA = np.matmul(dZ, self.W[i + 1], out=ws.dA[i])
            if self.keep_prob < 1.0:
                np.multiply(dA, ws.D[i], out=dA)
                np.divide(dA, self.keep_prob, out=dA)
            _hidden_backward(self.acts[i], dA, ws.Z[i], ws.A[i], ws.mask[i])  # dA is now dZ
            if self.bn[i]:
                self._batchnorm_backward(ws, i, dA)
            else:
                np.matmul(ws.ones, dA, out=self.db[i])
            np.matmul(dA.T, X if i == 0 else ws.A_in[i - 1], out=self.dW[i])
            dZ = dA

    def _sum_squared_weights(self) -> float:
        W = self.theta[: self.layout.num_weights]
        return float(np.dot(W, W))


class _Workspace:
    """Preallocated buffers for one batch size ``mb``: examples-major, but for the output
    layer's (``ZL``, ``dZL``, ``T1``, ``T2``: (n_L, mb); ``row``, ``row2``: (1, mb))."""

    def __init__(self, dims: list[int], mb: int, dtype: np.dtype, dropout: bool,
                 bn: list[bool]) -> None:
        hidden = dims[1:-1]
        # batch norm: Ẑ and a scratch matrix (mb, n_l); μ, σ², 1/√(σ² + ε) and two more (n_l,)
        self.Z_hat: list[Any]
        self.T: list[Any]
        self.mu: list[Any]
        self.var: list[Any]
        self.inv_std: list[Any]
        self.k: list[Any]
        self.c: list[Any]
        self.Z_hat, self.T = ([np.empty((mb, n), dtype) if flag else None
                               for n, flag in zip(hidden, bn, strict=False)] for _ in range(2))
        self.mu, self.var, self.inv_std, self.k, self.c = (
            [np.empty(n, dtype) if flag else None for n, flag in zip(hidden, bn, strict=False)]
            for _ in range(5))
        self.X = np.empty((mb, dims[0]), dtype)
        self.Z = [np.empty((mb, n), dtype) for n in hidden]
        self.A = [np.empty((mb, n), dtype) for n in hidden]  # g(Z) before dropout
        # the next layer's input: g(Z) after dropout (without dropout, g(Z) itself, set by the
        # forward pass); and this step's dropout masks, whose padding columns stay 0
        # (0 · NaN would be NaN)
        self.A_in: list[Any] = [np.empty((mb, n), dtype) if dropout else None for n in hidden]
        self.D: list[Any] = [np.zeros((mb, n), dtype) if dropout else None for n in hidden]
        self.mask = [np.empty((mb, n), bool) for n in hidden]
        self.dA = [np.empty((mb, n), dtype) for n in hidden]
        self.Y = np.empty((mb, dims[-1]), dtype)  # gathered rows; the output reads Y.T
        self.ZL, self.dZL, self.T1, self.T2 = (np.empty((dims[-1], mb), dtype) for _ in range(4))
        self.row, self.row2 = np.empty((1, mb), dtype), np.empty((1, mb), dtype)
        self.ones = np.ones(mb, dtype)
        self.w = np.empty(mb, dtype)  # the batch's example weights, when there are some


# -- hidden activations, in place (examples-major; elementwise, so as in activations.py) -----
def _hidden_forward(act: Activation, Z: np.ndarray, A: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``g(Z)`` written into ``A`` (``Z`` itself for a linear layer); returns it."""
    name = act.name
    if name == "relu":  # Z·[Z > 0]: faster than np.maximum, and the mask serves the backward
        np.greater(Z, 0.0, out=mask)
        return np.multiply(Z, mask, out=A)
    if name == "leaky_relu":
        np.greater(Z, 0.0, out=mask)
        np.multiply(Z, cast(LeakyReLU, act).alpha, out=A)
        np.copyto(A, Z, where=mask)
        return A
    if name == "tanh":
        return np.tanh(Z, out=A)
    if name == "sigmoid":
        return _sigmoid(Z, A, mask)
    return Z  # linear


def _hidden_backward(act: Activation, dA: np.ndarray, Z: np.ndarray, A: np.ndarray,
                     mask: np.ndarray) -> None:
    """``dA`` becomes ``dZ = g'(Z) · dA``, in place (``A`` is ``g(Z)``)."""
    name = act.name
    if name == "relu":  # mask holds Z > 0 from the forward pass, as for leaky ReLU
        np.multiply(dA, mask, out=dA)
    elif name == "leaky_relu":
        np.multiply(dA, cast(LeakyReLU, act).alpha, out=dA, where=~mask)
    elif name == "tanh":
        np.multiply(dA, 1.0 - A * A, out=dA)
    elif name == "sigmoid":
        np.multiply(dA, A, out=dA)
        np.multiply(dA, 1.0 - A, out=dA)


def _sigmoid(Z: np.ndarray, A: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``1/(1 + e^{−Z})`` as the generic one computes it: from ``e = exp(−|Z|)``, no overflow."""
    e = np.exp(-np.abs(Z))
    np.greater_equal(Z, 0.0, out=mask)
    np.divide(e, 1.0 + e, out=A)
    np.divide(1.0, 1.0 + e, out=A, where=mask)
    return A


# -- output activation fused with its loss ----------------------------------------------------
def _output_loss(output: str, Z: np.ndarray, Y: np.ndarray, ws: _Workspace,
                 dz_scale: float, w: np.ndarray | None = None) -> float:
    """Σ loss of logits ``Z`` (n_L, mb) against ``Y`` (as :mod:`xpnet.losses` computes it, per
    example, from the logits), each example's weighed by ``w`` (mb,) when given; writes
    ``ws.dZL = dz_scale · w · (A_L − Y)``, where ``dz_scale`` is ``1/mb`` times the
    optimizer's gradient scale."""
    T1, T2, dZ = ws.T1, ws.T2, ws.dZL
    if output == "sigmoid":
        np.abs(Z, out=T1)
        np.negative(T1, out=T1)
        np.exp(T1, out=T1)
        np.log1p(T1, out=T1)  # log1p(e^{−|z|})
        # loss: max(z, 0) − y z + log1p(e^{−|z|})
        np.maximum(Z, 0.0, out=T2)
        np.add(T2, T1, out=T2)
        np.multiply(Z, Y, out=dZ)
        np.subtract(T2, dZ, out=T2)
        if w is not None:
            np.multiply(T2, w, out=T2)
        loss = float(np.add.reduce(T2, axis=None))
        # σ(z) = exp(log σ(z)), log σ(z) = min(z, 0) − log1p(e^{−|z|}): no overflow
        np.minimum(Z, 0.0, out=T2)
        np.subtract(T2, T1, out=T2)
        A = np.exp(T2, out=T2)
    elif output == "softmax":
        zmax, S = ws.row, ws.row2
        np.maximum.reduce(Z, axis=0, keepdims=True, out=zmax)
        np.subtract(Z, zmax, out=T1)
        np.exp(T1, out=T1)
        np.add.reduce(T1, axis=0, keepdims=True, out=S)
        A = np.divide(T1, S, out=T1)
        np.add(zmax, np.log(S, out=S), out=zmax)  # log-sum-exp
        np.subtract(zmax, Z, out=T2)
        if w is not None:
            np.multiply(T2, w, out=T2)
        loss = float(np.vdot(Y, T2))
    else:  # linear: half squared error
        A = Z
        np.subtract(Z, Y, out=T1)
        if w is None:
            loss = 0.5 * float(np.vdot(T1, T1))
        else:
            np.multiply(T1, w, out=T2)
            loss = 0.5 * float(np.vdot(T1, T2))
    np.subtract(A, Y, out=dZ)
    np.multiply(dZ, dz_scale, out=dZ)
    if w is not None:
        np.multiply(dZ, w, out=dZ)
    return loss


# -- optimizers over the flat buffer ----------------------------------------------------------
class _FlatGD(FlatOptimizer):
    """``P -= lr · dP``, with ``grad = lr · dP``: a single pass."""

    def grad_scale(self, opt):
        return opt.learning_rate

    def update(self, theta, grad, tmp, opt):
        self.t += 1
        np.subtract(theta, grad, out=theta)


#: Elements per block of a blocked optimizer update: 256 KiB of float32 per buffer, so the
#: five buffers of Adam's block (parameters, gradient, scratch, ``v``, ``s``) stay in L2/L3
#: through its eleven passes. Buffers of up to :data:`BLOCKED_FROM` elements are updated
#: whole (mnist-10's 109 386 parameters: blocks gained nothing, the buffers stay in cache).
BLOCK = 65_536
#: Flat buffers from this size on are updated block by block: the wide network's 1.86 M
#: parameters took 7.2-10.6 ms per Adam step whole (each pass streams 7.4 MB buffers from
#: memory) and 5.6-7.3 ms in blocks (``bench/blocked_update.py``; ``bench/README.md``,
#: issue-16 notes of 2026-12-02).
BLOCKED_FROM = 4 * BLOCK


class _Blocked(FlatOptimizer):
    """An update of several passes, run block by block over buffers of :data:`BLOCKED_FROM`
    elements or more (every element gets the same operations in the same order: the result
    is the same bit for bit). Subclasses write ``_apply(theta, grad, tmp, slots, opt)``."""

    _views: tuple[tuple[int, ...], list[tuple[Any, ...]]] | None = None

    def update(self, theta, grad, tmp, opt):
        self.t += 1
        for th, g, tm, slots in self._blocks(theta, grad, tmp):
            self._apply(th, g, tm, slots, opt)

    def _blocks(self, theta, grad, tmp) -> list[tuple[Any, ...]]:
        key = (id(theta), id(grad), id(tmp), *(id(v) for v in self.slots.values()))
        if self._views is None or self._views[0] != key:
            n = theta.shape[0]
            step = BLOCK if n >= BLOCKED_FROM else max(n, 1)
            blocks = [(theta[a:b], grad[a:b], tmp[a:b],
                       {k: v[a:b] for k, v in self.slots.items()})
                      for a, b in batch_bounds(n, step)]
            self._views = (key, blocks)
        return self._views[1]

    def _apply(self, theta, grad, tmp, slots, opt):
        raise NotImplementedError


class _FlatMomentum(_Blocked):
    """``v = β v + (1 − β) dP``; ``P -= lr · v``, with ``grad = (1 − β) dP``."""

    slot_names = ("v",)

    def grad_scale(self, opt):
        return 1.0 - opt.beta

    def _apply(self, theta, grad, tmp, slots, opt):
        v = slots["v"]
        np.multiply(v, opt.beta, out=v)
        np.add(v, grad, out=v)
        np.multiply(v, opt.learning_rate, out=grad)
        np.subtract(theta, grad, out=theta)


class _FlatRMSProp(_Blocked):
    """``s = β s + (1 − β) dP²``; ``P -= lr · dP / (√s + ε)``, with ``grad = √(1 − β) dP``."""

    slot_names = ("s",)

    def grad_scale(self, opt):
        return (1.0 - opt.beta) ** 0.5

    def _apply(self, theta, grad, tmp, slots, opt):
        s = slots["s"]
        _decay_add_square(s, opt.beta, grad, tmp, 1.0)
        np.sqrt(s, out=tmp)
        np.add(tmp, opt.epsilon, out=tmp)
        np.divide(grad, tmp, out=grad)
        np.multiply(grad, opt.learning_rate / (1.0 - opt.beta) ** 0.5, out=grad)
        np.subtract(theta, grad, out=theta)


class _FlatAdam(_Blocked):
    """Adam with bias correction, fused over the flat buffer, with ``grad = (1 − β1) dP``.

    ``v = β1 v + grad``, ``s = β2 s + (1 − β2)/(1 − β1)² · grad²``, and the generic
    ``P -= lr · v̂ / (√ŝ + ε)`` with ``v̂ = v/c1``, ``ŝ = s/c2``, ``c_i = 1 − β_i^t`` is
    ``P -= (lr √c2 / c1) · v / (√s + ε √c2)``: eleven passes (block by block over a large
    buffer).
    """

    slot_names = ("v", "s")

    def grad_scale(self, opt):
        return 1.0 - opt.beta1

    def _apply(self, theta, grad, tmp, slots, opt):
        v, s = slots["v"], slots["s"]
        b1, b2 = opt.beta1, opt.beta2
        _decay_add_square(s, b2, grad, tmp, (1.0 - b2) / (1.0 - b1) ** 2)
        np.multiply(v, b1, out=v)
        np.add(v, grad, out=v)
        c1, root_c2 = 1.0 - b1**self.t, (1.0 - b2**self.t) ** 0.5
        np.sqrt(s, out=tmp)
        np.add(tmp, opt.epsilon * root_c2, out=tmp)
        np.divide(v, tmp, out=tmp)
        np.multiply(tmp, opt.learning_rate * root_c2 / c1, out=tmp)
        np.subtract(theta, tmp, out=theta)


def _decay_add_square(s: np.ndarray, beta: float, g: np.ndarray, tmp: np.ndarray,
                      k: float) -> None:
    """``s = β s + k g²`` in place."""
    if k == 1.0:
        np.multiply(g, g, out=tmp)
    else:
        np.multiply(g, k, out=tmp)
        np.multiply(tmp, g, out=tmp)
    np.multiply(s, beta, out=s)
    np.add(s, tmp, out=s)


NumpyEngine.optimizer_kernels = {
    GD: _FlatGD, Momentum: _FlatMomentum, RMSProp: _FlatRMSProp, Adam: _FlatAdam,
}

#: What :mod:`xpnet.engines` registers.
ENGINE = NumpyEngine
