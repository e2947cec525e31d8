"""What every fast engine shares, whatever its array library: flat buffers and their state.

A fast engine keeps all parameters in one flat buffer ``[W1 … WL, b1 … bL]`` (a
batch-normalised layer has ``gamma{l}, beta{l}`` where others have ``b{l}``) and their
gradients in a second buffer of the same layout, so that an optimizer updates everything with
a few whole-buffer operations (or one fused kernel). This module owns that layout and the
bookkeeping around it, written against an array namespace ``xp`` (NumPy, CuPy, or any library
whose arrays support slicing views and ``a[...] = b``):

- :class:`FlatLayout`: where each parameter lives in the buffer, with hidden widths padded
  (``padded``) and the course-layout views of the true shapes (and the same for the running
  statistics of batch norm, which live in a buffer of their own: they are not trained);
- :class:`FlatOptimizer`: an optimizer's step count and moment buffers, exported to and loaded
  from the generic optimizer's format (so checkpoints resume bit for bit);
- :class:`FlatEngine`: the engine contract of :class:`xpnet.engines.Engine` except ``step``:
  ``params``, ``stats``, ``state_dict``/``load_state_dict``, ``snapshot``/``restore``,
  ``load_data``, the
  per-batch-size work buffers, and ``unsupported_reason`` from the tables of kernels a subclass
  declares.

A subclass writes the kernels: :meth:`FlatEngine.step`, its optimizer kernels (subclasses of
:class:`FlatOptimizer` in ``optimizer_kernels``) and its work buffers (``make_workspace``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..activations import Activation
from ..architecture import Architecture
from ..backend import Backend
from ..network import initial_stats
from ..optimizers import Optimizer
from ..rng import RandomState
from ._support import backend_and_optimizer_reason, refuse_unsupported


class FlatLayout:
    """Where each array of ``shapes`` (course layout, in order: the weights ``(n_l, n_{l-1})``
    and the ``(n_l, 1)`` columns) lives in a flat buffer: the weights first, ``[W1 … WL]``, then
    the columns in order (``b1 …`` or ``gamma1, beta1, …``).

    The buffer holds the padded shapes (``padded`` widths, with zeros in the padding); the
    course-layout views show the true ones (``arch.layer_dims``), the top-left block of each.
    ``FlatLayout(arch, padded, xp)`` lays out the parameters; ``stats=True`` the running
    statistics (no weights).
    """

    def __init__(self, arch: Architecture, padded: list[int], xp: Any, *,
                 stats: bool = False) -> None:
        self.xp = xp
        self.arch = arch
        self.L = arch.num_layers
        self.dims = list(arch.layer_dims)
        self.shapes = arch.stat_shapes if stats else arch.param_shapes
        self.padded_shapes: dict[str, tuple[int, ...]] = {}
        columns = []
        for layer in arch.layers:
            rows = padded[layer.index]
            for key in (layer.stat_shapes() if stats else layer.param_shapes()):
                if key == layer.weight:
                    self.padded_shapes[key] = (rows, padded[layer.index - 1])
                else:
                    columns.append((key, (rows,)))
        self.padded_shapes.update(columns)
        self.offsets: dict[str, tuple[int, int]] = {}
        end = 0
        for key, shape in self.padded_shapes.items():
            size = shape[0] * (shape[1] if len(shape) == 2 else 1)
            self.offsets[key] = (end, end + size)
            end += size
        self.num_weights = sum(b - a for k, (a, b) in self.offsets.items()
                               if len(self.padded_shapes[k]) == 2)
        self.size = end

    def views(self, buf: Any) -> dict[str, Any]:
        """``{key: view}``: the padded (n_l, n_{l-1}) weights and (n_l,) columns of ``buf``."""
        return {key: self.xp.reshape(buf[a:b], self.padded_shapes[key])
                for key, (a, b) in self.offsets.items()}

    def unflatten(self, buf: Any) -> dict[str, Any]:
        """Course-layout dict ``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}`` of views of ``buf``,
        in the architecture's order."""
        out, views = {}, self.views(buf)
        for key, (rows, cols) in self.shapes.items():
            view = views[key]
            out[key] = (view[:rows, :cols] if view.ndim == 2
                        else self.xp.reshape(view[:rows], (-1, 1)))
        return out

    def flatten(self, arrays: dict[str, Any], dtype: Any, device: Any = None) -> Any:
        """A new buffer holding ``arrays`` (course layout, any subset of keys; zeros elsewhere)."""
        buf = self.xp.zeros(self.size, dtype=dtype, device=device)
        self.fill(buf, arrays)
        return buf

    def fill(self, buf: Any, arrays: dict[str, Any]) -> None:
        """Copy the entries of ``arrays`` (course layout, any subset of keys) into ``buf``."""
        for key, view in self.unflatten(buf).items():
            if key in arrays:
                view[...] = self.xp.asarray(arrays[key])


class FlatOptimizer:
    """An optimizer's update of every parameter at once, over the flat buffers.

    The moments are kept exactly as the generic optimizer keeps them (``v``, ``s``), so
    :meth:`export` and :meth:`load` are plain copies and a checkpoint resumes bit for bit.
    A kernel may fold constant factors into the gradient instead: the backward pass writes
    ``grad_scale(opt) · dP`` into ``grad`` (it scales ``dZ_L``, and backpropagation is linear),
    which saves a whole-buffer pass per moment. ``update`` may overwrite ``grad`` and ``tmp``,
    and must read the learning rate and betas from ``opt`` at every call.
    """

    #: names of the per-parameter state buffers (the generic optimizer's slots)
    slot_names: tuple[str, ...] = ()

    def __init__(self, size: int, dtype: Any, xp: Any, device: Any = None) -> None:
        self.xp = xp
        self.t = 0
        self.slots = {name: xp.zeros(size, dtype=dtype, device=device)
                      for name in self.slot_names}

    def export(self, slot: str) -> Any:
        """The generic optimizer's value of ``slot``: a new array."""
        return self.xp.asarray(self.slots[slot], copy=True)

    def load(self, slot: str, values: Any) -> None:
        """Set ``slot`` from the generic optimizer's values (in place)."""
        self.slots[slot][...] = values

    def grad_scale(self, opt: Any) -> float:
        """The factor the backward pass applies to the gradient it writes into ``grad``."""
        return 1.0

    def update(self, theta: Any, grad: Any, tmp: Any, opt: Any) -> None:
        raise NotImplementedError


class FlatEngine:
    """The flat-buffer half of a fast engine; subclasses add the kernels (see the module).

    Class attributes a subclass sets: ``name``, ``backend_name``, ``optimizer_kernels``
    (optimizer class -> :class:`FlatOptimizer` subclass; exact classes, not subclasses),
    ``hidden`` and ``outputs`` (the activation classes its kernels handle), ``batch_norm``
    (whether it has batch-norm kernels), ``sample_weights`` (whether it weighs examples) and
    ``pad`` (hidden widths are padded to a multiple of it, except with sigmoid hidden layers,
    whose σ(0) = ½ would leak into the next layer).
    """

    name: ClassVar[str] = ""
    backend_name: ClassVar[str] = ""
    optimizer_kernels: ClassVar[dict[type, type[FlatOptimizer]]] = {}
    hidden: ClassVar[tuple[type[Activation], ...]] = ()
    outputs: ClassVar[tuple[type[Activation], ...]] = ()
    batch_norm: ClassVar[bool] = False
    pad: ClassVar[int] = 1
    #: whether ``step`` weighs examples by the ``sample_weight`` of ``load_data``
    sample_weights: ClassVar[bool] = False

    @classmethod
    def unsupported_reason(cls, backend: Backend, arch: Architecture,
                           optimizer: Optimizer) -> str | None:
        """Why this engine cannot run this configuration, or ``None`` when it can."""
        reason = backend_and_optimizer_reason(cls.backend_name, cls.optimizer_kernels, backend,
                                              optimizer)
        if reason is not None:
            return reason
        for layer, act in zip(arch.layers[:-1], arch.acts[:-1], strict=True):
            if type(act) not in cls.hidden:
                return f"hidden activation {act!r} of layer {layer.index} has no kernel"
        if type(arch.acts[-1]) not in cls.outputs:
            return f"output activation {arch.acts[-1]!r} has no fused loss"
        if arch.has_batch_norm and not cls.batch_norm:
            return "batch norm has no kernel"
        return None

    def __init__(self, backend: Backend, params: dict[str, Any], arch: Architecture,
                 optimizer: Optimizer, *, lambd: float, keep_prob: float,
                 rng: RandomState, stats: dict[str, Any] | None = None) -> None:
        refuse_unsupported(self.name, self.unsupported_reason(backend, arch, optimizer))
        self.backend = backend
        self.xp = xp = backend.xp
        self.arch = arch
        self.acts = arch.acts
        self.optimizer = optimizer
        self.lambd = lambd
        self.keep_prob = keep_prob
        self.rng = rng
        self.L = arch.num_layers
        self.dims = list(arch.layer_dims)
        self.dtype = params["W1"].dtype
        pad = self.pad if all(a.name != "sigmoid" for a in arch.acts[:-1]) else 1
        self.padded = [self.dims[0]] + [-(-n // pad) * pad for n in self.dims[1:-1]] + [
            self.dims[-1]]
        self.layout = FlatLayout(arch, self.padded, xp)
        device = backend.device
        self.theta = self.layout.flatten(params, self.dtype, device)  # a copy: the caller's stay
        self.grad = xp.zeros_like(self.theta)
        self.tmp = xp.empty_like(self.theta)
        self.P = self.layout.views(self.theta)  # padded views by key: "W1", "b1", "gamma1", ...
        self.dP = self.layout.views(self.grad)
        self.W, self.dW = ([views[layer.weight] for layer in arch.layers]
                           for views in (self.P, self.dP))
        # the stats buffer holds the padding's running variance as 0: never shown, never used
        self.stat_layout = FlatLayout(arch, self.padded, xp, stats=True)
        self.stat_buf = self.stat_layout.flatten(
            stats if stats is not None else initial_stats(arch, xp, self.dtype, device),
            self.dtype, device)
        self.S = self.stat_layout.views(self.stat_buf)
        self.kernel = self.optimizer_kernels[type(optimizer)](self.theta.shape[0], self.dtype,
                                                              xp, device)
        self.load_state_dict(optimizer.state_dict())
        self._workspaces: dict[int, Any] = {}

    # -- hooks for the array library ----------------------------------------------------------
    def contiguous(self, x: Any, dtype: Any = None) -> Any:
        """``x`` as a C-contiguous array of ``dtype`` (``None``: its own), made in one copy
        where it is not one already."""
        raise NotImplementedError

    def make_workspace(self, mb: int) -> Any:
        """The work buffers of one step on ``mb`` examples."""
        raise NotImplementedError

    def step(self, order: Any, a: int, b: int) -> Any:
        raise NotImplementedError

    # -- the engine contract ------------------------------------------------------------------
    def load_data(self, X: Any, Y: Any, sample_weight: Any = None) -> None:
        """The training set ``X`` (n_x, m) and ``Y`` (n_y, m), both kept examples-major
        ``(m, n)`` and C-contiguous, so that a mini-batch is a gather of whole rows. (The
        course's ``x.reshape(m, -1).T`` is such an array already, and is not copied.) The
        conversion to the training dtype is part of that one copy. The examples' weights (1, m)
        are kept as a flat (m,) array, ``None`` for unit weights."""
        xp = self.xp
        if sample_weight is not None and not self.sample_weights:
            raise ValueError(f"engine {self.name!r} does not weigh examples (sample_weight)")
        self.X = self.contiguous(xp.permute_dims(X, (1, 0)), self.dtype)
        self.Y = self.contiguous(xp.permute_dims(Y, (1, 0)), self.dtype)
        self.w = None if sample_weight is None else self.contiguous(
            xp.reshape(sample_weight, (-1,)), self.dtype)

    @property
    def params(self) -> dict[str, Any]:
        """``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}``, C-ordered: views into the live buffer
        where they are contiguous, copies where padding makes them strided (a strided ``W``
        would make the model's predictions depend on how many examples are predicted at once,
        as BLAS then rounds differently)."""
        return {k: self.contiguous(v) for k, v in self.layout.unflatten(self.theta).items()}

    @property
    def stats(self) -> dict[str, Any]:
        """``{"running_mean1": (n_1, 1), ...}``: views into the live statistics buffer."""
        return {k: self.contiguous(v)
                for k, v in self.stat_layout.unflatten(self.stat_buf).items()}

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
            self.kernel.load(slot, self.layout.flatten(state.get(slot, {}), self.dtype,
                                                       self.backend.device))

    def snapshot(self) -> dict[str, Any]:
        """A copy of the parameters, optimizer state and running statistics, for :meth:`restore`
        (NaN recovery)."""
        return {"theta": self.xp.asarray(self.theta, copy=True), "t": self.kernel.t,
                "slots": {k: self.kernel.export(k) for k in self.kernel.slots},
                "stats": self.xp.asarray(self.stat_buf, copy=True)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Go back to a :meth:`snapshot`, in place (views from ``params`` stay valid)."""
        self.theta[...] = snapshot["theta"]
        self.stat_buf[...] = snapshot["stats"]
        self.kernel.t = snapshot["t"]
        for slot, values in snapshot["slots"].items():
            self.kernel.load(slot, values)

    def workspace(self, mb: int) -> Any:
        """The work buffers for a batch of ``mb`` examples, made on first use and kept (a
        short last batch gets its own set)."""
        ws = self._workspaces.get(mb)
        if ws is None:
            ws = self._workspaces[mb] = self.make_workspace(mb)
        return ws
