"""The one owner of backend decisions.

Everything else in xpnet receives an array namespace ``xp`` and never imports an array
library itself. This module resolves a ``backend=`` argument (a name, a namespace, or ``None``
to infer it from the inputs) to a :class:`Backend`, which knows its namespace and device,
moves host data onto the device once, brings results back to NumPy, and synchronises the
device before a clock is read.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np

from .validation import did_you_mean

#: Backend names accepted by ``backend=``.
BACKENDS = ("numpy", "cupy", "torch", "jax", "array_api_strict", "dask")

#: Floating dtypes xpnet trains in.
DTYPES = ("float32", "float64")

_INSTALL_HINTS = {
    "numpy": "pip install numpy",
    "cupy": 'pip install "xpnet[gpu]"  (CuPy for CUDA 12; see https://docs.cupy.dev for others)',
    "torch": "pip install torch",
    "jax": "pip install jax jaxlib",
    "array_api_strict": 'pip install array-api-strict  (or "xpnet[test]")',
    "dask": 'pip install "dask[array]"',
}

_ALIASES = {"np": "numpy", "cp": "cupy", "pytorch": "torch", "jax.numpy": "jax",
            "array-api-strict": "array_api_strict", "strict": "array_api_strict"}


class BackendUnavailableError(ImportError):
    """The requested backend is not installed, or has no device to run on."""


def _namespace_for(name: str) -> ModuleType:
    """Import the namespace of backend ``name``; raise a readable error when it is missing."""
    module = {
        "numpy": "array_api_compat.numpy",
        "cupy": "array_api_compat.cupy",
        "torch": "array_api_compat.torch",
        "jax": "jax.numpy",
        "array_api_strict": "array_api_strict",
        "dask": "array_api_compat.dask.array",
    }[name]
    try:
        xp = importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailableError(
            f"backend={name!r} needs a library that is not installed ({exc.name or module}). "
            f"Install it with: {_INSTALL_HINTS[name]}"
        ) from None
    if name == "cupy":
        _require_cuda_device()
    return xp


def _require_cuda_device() -> None:
    import cupy

    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken: CuPy raises its own runtime errors
        raise BackendUnavailableError(
            f"backend='cupy' is installed but cannot reach a CUDA device ({exc}). "
            "Use backend='numpy' on a machine without a GPU, or install a CUDA driver; "
            f"CuPy itself comes with {_INSTALL_HINTS['cupy']}"
        ) from None
    if count < 1:
        raise BackendUnavailableError(
            "backend='cupy' is installed but no CUDA device is visible. "
            "Use backend='numpy' on a machine without a GPU."
        )


def backend_name(xp: ModuleType) -> str:
    """The xpnet name of namespace ``xp`` (``"numpy"``, ``"torch"``, ...)."""
    if array_api_compat.is_numpy_namespace(xp):
        return "numpy"
    if array_api_compat.is_cupy_namespace(xp):
        return "cupy"
    if array_api_compat.is_torch_namespace(xp):
        return "torch"
    if array_api_compat.is_jax_namespace(xp):
        return "jax"
    if array_api_compat.is_array_api_strict_namespace(xp):
        return "array_api_strict"
    if array_api_compat.is_dask_namespace(xp):
        return "dask"
    return getattr(xp, "__name__", repr(xp))


def normalize_backend_name(name: str) -> str:
    """Map user spellings (``"np"``, ``"array-api-strict"``) to a name in :data:`BACKENDS`."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in BACKENDS:
        raise ValueError(
            f"backend={name!r} is not a known backend; expected one of {', '.join(BACKENDS)}, "
            f"an array namespace, or None to infer it from the data.{did_you_mean(key, BACKENDS)}"
        )
    return key


@dataclass(frozen=True)
class Backend:
    """An array namespace plus the device arrays are placed on.

    ``xp`` is array-API compatible (wrapped by array-api-compat where the library needs it).
    ``device`` is the library's own device object, or ``None`` for its default.
    """

    name: str
    xp: ModuleType
    device: Any = None

    # -- moving data ------------------------------------------------------------------------
    def asarray(self, x: Any, dtype: Any = None, *, c_order: bool = False) -> Any:
        """``x`` as an array of this backend on its device, converted to ``dtype`` if given.

        Arrays already in this namespace are converted in place of a host round trip; anything
        else (NumPy arrays, lists, other libraries' arrays) goes through the host once.
        ``c_order=True`` (for training data) also gives NumPy arrays C order, so that column
        gathers of a transposed X, such as the course's ``x.reshape(m, -1).T``, do not copy
        all of X for every mini-batch.
        """
        xp = self.xp
        dt = resolve_dtype(xp, dtype) if dtype is not None else None
        if self.name == "numpy" and isinstance(x, np.ndarray) and c_order:
            return np.ascontiguousarray(x, dtype=dt)
        if is_array(x) and _same_namespace(x, xp):
            if dt is not None and x.dtype != dt:
                x = xp.astype(x, dt)
            if self.device is not None and array_api_compat.device(x) != self.device:
                x = array_api_compat.to_device(x, self.device)
            return x
        host = to_numpy(x) if is_array(x) else np.asarray(x)
        if dt is None and host.dtype.kind not in "biuf":
            raise TypeError(f"cannot place an array of dtype {host.dtype} on backend {self.name!r}")
        if self.name == "cupy" and self.device is not None:
            with self.device:
                return xp.asarray(host, dtype=dt)
        if self.name == "numpy" and c_order:
            return np.ascontiguousarray(host, dtype=dt)
        return xp.asarray(host, dtype=dt, device=self.device)

    def to_numpy(self, x: Any) -> np.ndarray:
        """A NumPy copy (or view, on the CPU) of array ``x``."""
        return to_numpy(x)

    def synchronize(self, x: Any = None) -> None:
        """Wait until queued device work (on ``x``, or on this device) has finished."""
        synchronize(self, x)

    def __reduce__(self) -> tuple:
        # Pickle by name: the namespace is a module, re-imported when unpickled.
        if self.name not in BACKENDS:
            raise TypeError(f"a Backend over the custom namespace {self.name!r} cannot be pickled")
        return (_restore_backend, (self.name, self.device))

    def dtype(self, dtype: Any) -> Any:
        """This backend's dtype for ``dtype``; float64 on JAX needs x64 mode switched on."""
        dt = resolve_dtype(self.xp, dtype)
        if self.name == "jax" and dtype_name(dt) == "float64":
            import jax

            if not jax.config.read("jax_enable_x64"):
                raise ValueError(
                    "dtype='float64' on JAX needs 64-bit mode: call "
                    "jax.config.update('jax_enable_x64', True) before creating arrays, "
                    "or train in float32"
                )
        return dt


def _restore_backend(name: str, device: Any) -> Backend:
    return Backend(name, _namespace_for(name), device)


def is_array(x: Any) -> bool:
    """Whether ``x`` is an array of a library the Array API knows (not a list or a number)."""
    return array_api_compat.is_array_api_obj(x) and not isinstance(x, (int, float, complex))


def _same_namespace(x: Any, xp: ModuleType) -> bool:
    try:
        return array_api_compat.array_namespace(x) is xp
    except TypeError:
        return False


def resolve_dtype(xp: ModuleType, dtype: Any) -> Any:
    """The namespace's floating dtype for ``dtype`` (``"float32"``, ``np.float64``, ``xp.float32``)."""
    if isinstance(dtype, str):
        name = dtype
    elif isinstance(dtype, np.dtype) or (isinstance(dtype, type) and issubclass(dtype, np.generic)):
        name = np.dtype(dtype).name
    elif any(dtype is d or dtype == d for d in (xp.float32, xp.float64)):
        return dtype
    else:
        name = str(dtype)
    if name not in DTYPES:
        raise ValueError(f"dtype={dtype!r} is not supported; expected one of {', '.join(DTYPES)}")
    return getattr(xp, name)


def dtype_name(dtype: Any) -> str:
    """``"float32"`` or ``"float64"`` for a dtype of any backend."""
    text = str(dtype)
    for name in DTYPES:
        if name in text:
            return name
    raise ValueError(f"dtype {dtype!r} is not a floating dtype xpnet trains in ({', '.join(DTYPES)})")


def _device_for(name: str, device: Any) -> Any:
    """The library's own device object for a user's ``device=``."""
    if device is None:
        return None
    if name == "cupy":
        import cupy

        if isinstance(device, cupy.cuda.Device):
            return device
        if isinstance(device, str) and device.startswith("cuda"):
            device = int(device.partition(":")[2] or 0)
        if not isinstance(device, int):
            raise ValueError(f"device={device!r} for CuPy must be a device id (0, 1, ...) or 'cuda:N'")
        return cupy.cuda.Device(device)
    if name == "torch":
        import torch

        try:
            return torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device={device!r} is not a torch device ({exc})") from None
    if name == "numpy":
        if device != "cpu":
            raise ValueError(f"device={device!r}: NumPy runs on 'cpu' only")
        return "cpu"
    return device


def get_backend(backend: Any = None, *arrays: Any, device: Any = None) -> Backend:
    """Resolve ``backend=`` (name, namespace, :class:`Backend` or ``None``) to a :class:`Backend`.

    With ``None`` the namespace is inferred from ``arrays`` (array-api-compat's
    ``array_namespace``); plain lists and Python numbers count as NumPy. Arrays of two
    different libraries raise a ``TypeError`` that names both.
    """
    if isinstance(backend, Backend):
        if device is None:
            return backend
        return Backend(backend.name, backend.xp, _device_for(backend.name, device))
    if backend is None:
        xp = infer_namespace(*arrays)
        name = backend_name(xp)
        if device is None:
            device = _common_device(arrays)
            return Backend(name, xp, device)
        return Backend(name, xp, _device_for(name, device))
    if isinstance(backend, str):
        name = normalize_backend_name(backend)
        xp = _namespace_for(name)
        return Backend(name, xp, _device_for(name, device))
    if isinstance(backend, ModuleType):
        if array_api_compat.is_numpy_namespace(backend) or backend is np:
            return Backend("numpy", _namespace_for("numpy"), _device_for("numpy", device))
        name = backend_name(backend)
        if name in BACKENDS:
            return Backend(name, _namespace_for(name), _device_for(name, device))
        if not hasattr(backend, "asarray") or not hasattr(backend, "matmul"):
            raise TypeError(f"backend={backend!r} is a module but not an array namespace")
        return Backend(name, backend, device)
    raise TypeError(
        f"backend must be a name ({', '.join(BACKENDS)}), an array namespace or None; "
        f"got {type(backend).__name__}"
    )


def infer_namespace(*arrays: Any) -> ModuleType:
    """The array namespace shared by ``arrays`` (NumPy for lists, numbers and ``None``)."""
    real = [a for a in arrays if is_array(a)]
    if not real:
        return _namespace_for("numpy")
    try:
        return array_api_compat.array_namespace(*real)
    except TypeError:
        kinds = sorted({type(a).__module__.split(".")[0] + "." + type(a).__name__ for a in real})
        raise TypeError(
            "the arrays come from different libraries (" + ", ".join(kinds) + "); "
            "pass them all from one library, or choose one with backend=... and xpnet will "
            "move the rest"
        ) from None


def _common_device(arrays: tuple[Any, ...]) -> Any:
    devices = []
    for a in arrays:
        if is_array(a):
            d = array_api_compat.device(a)
            if not any(d == seen for seen in devices):
                devices.append(d)
    if len(devices) > 1:
        raise ValueError(
            f"the arrays are on different devices ({', '.join(map(str, devices))}); "
            "move them to one device first, or pass device=..."
        )
    return devices[0] if devices else None


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy array holding the values of ``x`` (from any backend, on any device)."""
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_cupy_array(x):
        return x.get()
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    try:
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError):
        return np.from_dlpack(x)


def synchronize(backend: Backend | None, x: Any = None) -> None:
    """Block until the device has finished the work queued so far (a no-op on the CPU)."""
    name = backend.name if backend is not None else None
    if x is not None and array_api_compat.is_jax_array(x):
        x.block_until_ready()
    elif name == "cupy":
        import cupy

        cupy.cuda.get_current_stream().synchronize()
    elif name == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    elif name == "jax" and x is None:
        import jax

        (jax.device_put(0.0) + 0).block_until_ready()


def available_backends() -> list[str]:
    """Names of the backends that import (and, for CuPy, see a device) on this machine."""
    found = []
    for name in BACKENDS:
        try:
            _namespace_for(name)
        except BackendUnavailableError:
            continue
        found.append(name)
    return found


# -- arrays given by the user ------------------------------------------------------------------


def check_same_library(arrays: dict[str, Any], remedy: str | None = None) -> Any:
    """The namespace shared by the named ``arrays``, all on one device.

    For functions that compute on arrays as given (``forward``, ``backward``,
    ``compute_cost``) and therefore never move them: a ``TypeError`` names two arguments from
    different libraries, a ``ValueError`` two on different devices. ``remedy`` replaces the
    default advice in the message.
    """
    first, xp, device = None, None, None
    for name, a in arrays.items():
        if not is_array(a):
            raise TypeError(
                f"{name} must be an array (NumPy, CuPy, torch, JAX or array-api-strict), got "
                f"{type(a).__name__}; convert it with numpy.asarray(...)"
            )
        a_xp, a_dev = array_api_compat.array_namespace(a), array_api_compat.device(a)
        if first is None:
            first, xp, device = name, a_xp, a_dev
        elif a_xp is not xp:
            lib, other = backend_name(xp), backend_name(a_xp)
            advice = remedy or (
                f"this function does not move arrays between libraries. Convert one, e.g. "
                f"xpnet.get_backend({lib!r}).asarray(...), or use xpnet.train, which moves "
                "params= to the data's backend"
            )
            raise TypeError(f"{first} comes from {lib} but {name} from {other}; {advice}")
        elif a_dev != device:
            raise ValueError(
                f"{first} is on device {device} but {name} is on device {a_dev}; "
                + (remedy or "move them to one device first")
            )
    return xp


def as_data(backend: Backend, name: str, value: Any, dtype: Any = None, *,
            c_order: bool = False) -> Any:
    """``value`` as an array of ``backend`` (of ``dtype`` if given), or an error naming it."""
    try:
        return backend.asarray(value, dtype=dtype, c_order=c_order)
    except (TypeError, ValueError) as exc:
        kind = TypeError if isinstance(exc, TypeError) else ValueError
        target = f"a {dtype_name(dtype)} array" if dtype is not None else "a numeric array"
        raise kind(
            f"{name} could not be converted to {target} on backend {backend.name!r} "
            f"({type(value).__name__}: {exc})"
        ) from None
