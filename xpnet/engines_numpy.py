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
  updates). Moments are kept exactly as the generic optimizer keeps them, so checkpoints
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

Supported: GD, Momentum, RMSProp and Adam (the classes of :mod:`xpnet.optimizers`, not
subclasses); ReLU, leaky ReLU, tanh, sigmoid and linear hidden layers; sigmoid, softmax and
linear outputs; L2; dropout (masks drawn by the same ``RandomState`` calls, in the same order,
as the generic engine). :func:`unsupported_reason` says why anything else falls back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .activations import Activation, LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh
from .backend import Backend
from .optimizers import GD, Adam, Momentum, Optimizer, RMSProp
from .rng import RandomState

_HIDDEN = (ReLU, LeakyReLU, Tanh, Sigmoid, Linear)
_OUTPUT = (Sigmoid, Softmax, Linear)
#: Hidden widths are padded up to a multiple of this (activations with g(0) = 0 only).
PAD = 4


def unsupported_reason(backend: Backend, acts: list[Activation],
                       optimizer: Optimizer) -> str | None:
    """Why :class:`NumpyEngine` cannot run this configuration, or ``None`` when it can."""
    if backend.name != "numpy":
        return f"it runs on NumPy arrays only (backend is {backend.name!r})"
    if type(optimizer) not in _OPTIMIZER_KERNELS:
        return f"optimizer {type(optimizer).__name__} is not one of GD, Momentum, RMSProp, Adam"
    for i, act in enumerate(acts[:-1], start=1):
        if type(act) not in _HIDDEN:
            return f"hidden activation {act!r} of layer {i} has no in-place kernel"
    if type(acts[-1]) not in _OUTPUT:
        return f"output activation {acts[-1]!r} has no fused loss"
    return None


class NumpyEngine:
    """One training step on NumPy, in place, behind :class:`~xpnet.engines.GenericEngine`'s
    interface; ``layer i`` below is the course's layer ``l = i + 1``."""

    name = "numpy"

    def __init__(self, backend: Backend, params: dict[str, Any], acts: list[Activation],
                 optimizer: Optimizer, *, lambd: float, keep_prob: float,
                 rng: RandomState) -> None:
        reason = unsupported_reason(backend, acts, optimizer)
        if reason is not None:
            raise ValueError(f"engine='numpy' cannot run this configuration: {reason}")
        self.backend = backend
        self.acts = acts
        self.optimizer = optimizer
        self.lambd = lambd
        self.keep_prob = keep_prob
        self.rng = rng
        self.L = len(acts)
        self.dims = [int(params["W1"].shape[1])] + [
            int(params[f"W{i}"].shape[0]) for i in range(1, self.L + 1)
        ]
        self.dtype = np.asarray(params["W1"]).dtype
        pad = PAD if all(a.name != "sigmoid" for a in acts[:-1]) else 1
        self.padded = [self.dims[0]] + [-(-n // pad) * pad for n in self.dims[1:-1]] + [
            self.dims[-1]]
        self.layout = _FlatLayout(self.dims, self.padded)
        self.theta = self.layout.flatten(params, self.dtype)  # a copy: the caller's arrays stay
        self.grad = np.zeros_like(self.theta)
        self.tmp = np.empty_like(self.theta)
        self.W, self.b = self.layout.views(self.theta)
        self.dW, self.db = self.layout.views(self.grad)
        self.WT = [W.T for W in self.W]  # views, made once: the step reuses them
        self.bL = self.b[-1][:, None]
        self.kernel = _OPTIMIZER_KERNELS[type(optimizer)](self.theta.size, self.dtype, optimizer)
        self.load_state_dict(optimizer.state_dict())
        self._workspaces: dict[int, _Workspace] = {}

    # -- the engine interface ---------------------------------------------------------------
    def load_data(self, X: Any, Y: Any) -> None:
        """The training set ``X`` (n_x, m) and ``Y`` (n_y, m), both kept examples-major."""
        self.X = np.ascontiguousarray(np.asarray(X, dtype=self.dtype).T)
        self.Y = np.ascontiguousarray(np.asarray(Y, dtype=self.dtype).T)

    @property
    def params(self) -> dict[str, Any]:
        """``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}``, C-ordered: views into the live buffer
        where they are contiguous, copies where padding makes them strided (a strided ``W``
        would make the model's predictions depend on how many examples are predicted at once,
        as BLAS then rounds differently)."""
        return {k: np.ascontiguousarray(v) for k, v in self.layout.unflatten(self.theta).items()}

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in the generic format, ``{"t", slot: {"W1": ...}}`` (copies)."""
        state: dict[str, Any] = {"t": self.kernel.t}
        for slot in self.kernel.slots:
            state[slot] = {} if self.kernel.t == 0 else self.layout.unflatten(
                self.kernel.export(slot))
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the optimizer state; missing moments start at zero, as the generic ones do."""
        self.kernel.t = int(state["t"])
        for slot in self.kernel.slots:
            self.kernel.load(slot, self.layout.flatten(state.get(slot, {}), self.dtype))

    def snapshot(self) -> dict[str, Any]:
        """A copy of the parameters and optimizer state, for :meth:`restore` (NaN recovery)."""
        return {"theta": self.theta.copy(), "t": self.kernel.t,
                "slots": {k: self.kernel.export(k) for k in self.kernel.slots}}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Go back to a :meth:`snapshot`, in place (views from ``params`` stay valid)."""
        self.theta[...] = snapshot["theta"]
        self.kernel.t = snapshot["t"]
        for slot, values in snapshot["slots"].items():
            self.kernel.load(slot, values)

    def step(self, order: Any, a: int, b: int) -> float:
        """Train on examples ``order[a:b]`` (all of them when ``order`` is None).

        Returns the batch's cost times its size, as a float.
        """
        if order is None:
            X, Y = self.X, self.Y.T
            ws = self._workspace(X.shape[0])
        else:
            ws = self._workspace(b - a)
            idx = order[a:b]
            X = np.take(self.X, idx, axis=0, out=ws.X, mode="clip")
            Y = np.take(self.Y, idx, axis=0, out=ws.Y, mode="clip").T  # (n_y, m_b) view
        mb = X.shape[0]
        scale = self.kernel.grad_scale(self.optimizer)
        cost = self._forward_cost(ws, X, Y, scale / mb) / mb
        self._backward(ws, X)
        if self.lambd:
            cost += self.lambd / (2.0 * mb) * self._sum_squared_weights()
            nW = self.layout.num_weights
            np.multiply(self.theta[:nW], scale * self.lambd / mb, out=self.tmp[:nW])
            np.add(self.grad[:nW], self.tmp[:nW], out=self.grad[:nW])
        self.kernel.update(self.theta, self.grad, self.tmp, self.optimizer)
        return cost * (b - a)

    # -- the step, examples-major -----------------------------------------------------------
    def _workspace(self, mb: int) -> _Workspace:
        ws = self._workspaces.get(mb)
        if ws is None:
            ws = self._workspaces[mb] = _Workspace(self.padded, mb, self.dtype,
                                                   self.keep_prob < 1)
        return ws

    def _forward_cost(self, ws: _Workspace, X: np.ndarray, Y: np.ndarray, dz_scale: float,
                      ) -> float:
        """Forward through every layer; return the summed loss and leave
        ``dZ_L = dz_scale · (A_L − Y)`` in ``ws``."""
        A = X
        for i in range(self.L - 1):
            Z = ws.Z[i]
            np.matmul(A, self.WT[i], out=Z)
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
        return _output_loss(self.acts[-1].name, ZL, Y, ws, dz_scale)

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
            np.matmul(dA.T, X if i == 0 else ws.A_in[i - 1], out=self.dW[i])
            np.matmul(ws.ones, dA, out=self.db[i])
            dZ = dA

    def _sum_squared_weights(self) -> float:
        W = self.theta[: self.layout.num_weights]
        return float(np.dot(W, W))


class _FlatLayout:
    """Where each parameter lives in the flat buffer ``[W1 … WL, b1 … bL]``.

    The buffer holds the padded shapes (``padded`` widths); the course-layout views show the
    true ones (``dims``), the top-left block of each.
    """

    def __init__(self, dims: list[int], padded: list[int]) -> None:
        self.L = len(dims) - 1
        self.dims = dims
        self.w_shapes = [(padded[i], padded[i - 1]) for i in range(1, self.L + 1)]
        sizes = [r * c for r, c in self.w_shapes] + padded[1:]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.num_weights = self.offsets[self.L]
        self.size = self.offsets[-1]

    def views(self, buf: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``(W, b)``: lists of padded (n_l, n_{l-1}) and (n_l,) views of ``buf``."""
        o, L = self.offsets, self.L
        W = [buf[o[i]:o[i + 1]].reshape(self.w_shapes[i]) for i in range(L)]
        b = [buf[o[L + i]:o[L + i + 1]] for i in range(L)]
        return W, b

    def unflatten(self, buf: np.ndarray) -> dict[str, np.ndarray]:
        """Course-layout dict ``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}`` of views of ``buf``."""
        W, b = self.views(buf)
        d = self.dims
        out = {}
        for i in range(self.L):
            out[f"W{i + 1}"] = W[i][:d[i + 1], :d[i]]
            out[f"b{i + 1}"] = b[i][:d[i + 1]].reshape(-1, 1)
        return out

    def flatten(self, params: dict[str, Any], dtype: np.dtype) -> np.ndarray:
        buf = np.zeros(self.size, dtype=dtype)
        self.fill(buf, params)
        return buf

    def fill(self, buf: np.ndarray, arrays: dict[str, Any]) -> None:
        """Copy the entries of ``arrays`` (course layout, any subset of keys) into ``buf``."""
        for key, view in self.unflatten(buf).items():
            if key in arrays:
                view[...] = np.asarray(arrays[key])


class _Workspace:
    """Preallocated buffers for one batch size ``mb``: examples-major, but for the output
    layer's (``ZL``, ``dZL``, ``T1``, ``T2``: (n_L, mb); ``row``, ``row2``: (1, mb))."""

    def __init__(self, dims: list[int], mb: int, dtype: np.dtype, dropout: bool) -> None:
        hidden = dims[1:-1]
        self.X = np.empty((mb, dims[0]), dtype)
        self.Z = [np.empty((mb, n), dtype) for n in hidden]
        self.A = [np.empty((mb, n), dtype) for n in hidden]  # g(Z) before dropout
        self.A_in = [np.empty((mb, n), dtype) if dropout else None for n in hidden]
        # this step's dropout masks; the padding columns stay 0 (0 · NaN would be NaN)
        self.D = [np.zeros((mb, n), dtype) if dropout else None for n in hidden]
        self.mask = [np.empty((mb, n), bool) for n in hidden]
        self.dA = [np.empty((mb, n), dtype) for n in hidden]
        self.Y = np.empty((mb, dims[-1]), dtype)  # gathered rows; the output reads Y.T
        self.ZL, self.dZL, self.T1, self.T2 = (np.empty((dims[-1], mb), dtype) for _ in range(4))
        self.row, self.row2 = np.empty((1, mb), dtype), np.empty((1, mb), dtype)
        self.ones = np.ones(mb, dtype)


# -- hidden activations, in place (examples-major; elementwise, so as in activations.py) -----
def _hidden_forward(act: Activation, Z: np.ndarray, A: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``g(Z)`` written into ``A`` (``Z`` itself for a linear layer); returns it."""
    name = act.name
    if name == "relu":  # Z·[Z > 0]: faster than np.maximum, and the mask serves the backward
        np.greater(Z, 0.0, out=mask)
        return np.multiply(Z, mask, out=A)
    if name == "leaky_relu":
        np.greater(Z, 0.0, out=mask)
        np.multiply(Z, act.alpha, out=A)
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
        np.multiply(dA, act.alpha, out=dA, where=~mask)
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
                 dz_scale: float) -> float:
    """Σ loss of logits ``Z`` (n_L, mb) against ``Y`` (as :mod:`xpnet.losses` computes it, per
    example, from the logits); writes ``ws.dZL = dz_scale · (A_L − Y)``, where ``dz_scale``
    is ``1/mb`` times the optimizer's gradient scale."""
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
        loss = float(np.vdot(Y, T2))
    else:  # linear: half squared error
        A = Z
        np.subtract(Z, Y, out=T1)
        loss = 0.5 * float(np.vdot(T1, T1))
    np.subtract(A, Y, out=dZ)
    np.multiply(dZ, dz_scale, out=dZ)
    return loss


# -- optimizers over the flat buffer ----------------------------------------------------------
class _FlatOptimizer:
    """An optimizer's update of every parameter at once, over the flat buffers.

    The moments are kept exactly as the generic optimizer keeps them (``v``, ``s``), so
    :meth:`export` and :meth:`load` are plain copies and a checkpoint resumes bit for bit.
    Constant factors fold into the gradient instead: the backward pass writes
    ``grad_scale · dP`` (it scales ``dZ_L``, and backpropagation is linear), which saves a
    whole-buffer pass per moment. ``update`` may overwrite ``grad`` and ``tmp``.
    """

    #: names of the per-parameter state buffers (the generic optimizer's slots)
    slot_names: tuple[str, ...] = ()

    def __init__(self, size: int, dtype: np.dtype, opt: Any) -> None:
        self.t = 0
        self.slots = {name: np.zeros(size, dtype) for name in self.slot_names}

    def export(self, slot: str) -> np.ndarray:
        """The generic optimizer's value of ``slot``: a new array."""
        return self.slots[slot].copy()

    def load(self, slot: str, values: np.ndarray) -> None:
        """Set ``slot`` from the generic optimizer's values (in place)."""
        np.copyto(self.slots[slot], values)

    def grad_scale(self, opt: Any) -> float:
        """The factor the backward pass applies to the gradient it writes into ``grad``."""
        return 1.0

    def update(self, theta: np.ndarray, grad: np.ndarray, tmp: np.ndarray, opt: Any) -> None:
        raise NotImplementedError


class _FlatGD(_FlatOptimizer):
    """``P -= lr · dP``, with ``grad = lr · dP``: a single pass."""

    def grad_scale(self, opt):
        return opt.learning_rate

    def update(self, theta, grad, tmp, opt):
        self.t += 1
        np.subtract(theta, grad, out=theta)


class _FlatMomentum(_FlatOptimizer):
    """``v = β v + (1 − β) dP``; ``P -= lr · v``, with ``grad = (1 − β) dP``."""

    slot_names = ("v",)

    def grad_scale(self, opt):
        return 1.0 - opt.beta

    def update(self, theta, grad, tmp, opt):
        self.t += 1
        v = self.slots["v"]
        np.multiply(v, opt.beta, out=v)
        np.add(v, grad, out=v)
        np.multiply(v, opt.learning_rate, out=grad)
        np.subtract(theta, grad, out=theta)


class _FlatRMSProp(_FlatOptimizer):
    """``s = β s + (1 − β) dP²``; ``P -= lr · dP / (√s + ε)``, with ``grad = √(1 − β) dP``."""

    slot_names = ("s",)

    def grad_scale(self, opt):
        return (1.0 - opt.beta) ** 0.5

    def update(self, theta, grad, tmp, opt):
        self.t += 1
        s = self.slots["s"]
        _decay_add_square(s, opt.beta, grad, tmp, 1.0)
        np.sqrt(s, out=tmp)
        np.add(tmp, opt.epsilon, out=tmp)
        np.divide(grad, tmp, out=grad)
        np.multiply(grad, opt.learning_rate / (1.0 - opt.beta) ** 0.5, out=grad)
        np.subtract(theta, grad, out=theta)


class _FlatAdam(_FlatOptimizer):
    """Adam with bias correction, fused over the flat buffer, with ``grad = (1 − β1) dP``.

    ``v = β1 v + grad``, ``s = β2 s + (1 − β2)/(1 − β1)² · grad²``, and the generic
    ``P -= lr · v̂ / (√ŝ + ε)`` with ``v̂ = v/c1``, ``ŝ = s/c2``, ``c_i = 1 − β_i^t`` is
    ``P -= (lr √c2 / c1) · v / (√s + ε √c2)``: eleven whole-buffer passes.
    """

    slot_names = ("v", "s")

    def grad_scale(self, opt):
        return 1.0 - opt.beta1

    def update(self, theta, grad, tmp, opt):
        self.t += 1
        v, s = self.slots["v"], self.slots["s"]
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


_OPTIMIZER_KERNELS: dict[type, type[_FlatOptimizer]] = {
    GD: _FlatGD, Momentum: _FlatMomentum, RMSProp: _FlatRMSProp, Adam: _FlatAdam,
}
