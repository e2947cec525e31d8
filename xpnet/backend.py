"""The one owner of backend decisions.

Everything else in xpnet receives an array namespace ``xp`` and never imports an array
library itself. This module resolves a ``backend=`` argument (a name, a namespace, or ``None``
to infer it from the inputs) to a :class:`Backend`, which knows its namespace and device,
moves host data onto the device once, brings results back to NumPy, and synchronises the
device before a clock is read.

Everything particular to one array library lives in one small class per library
(:class:`NumPy`, :class:`CuPy`, :class:`Torch`, :class:`JAX`, :class:`ArrayAPIStrict`,
:class:`Dask`), registered by name in :data:`LIBRARIES`; the functions below ask that table and
hold no library's special case themselves. The base class :class:`Library` is the generic behaviour,
used as it is for a custom namespace passed as ``backend=``.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

import array_api_compat
import numpy as np

from .validation import did_you_mean


class BackendUnavailableError(ImportError):
    """The requested backend is not installed, or has no device to run on."""


# -- one class per library -----------------------------------------------------------------------


class Library:
    """What xpnet needs to know about one array library.

    This base class is the generic behaviour of any array-API namespace: a subclass overrides
    only where its library differs. Instances hold no state; :data:`LIBRARIES` has one of each.
    """

    #: The name accepted by ``backend=`` (an entry of :data:`BACKENDS`).
    name: ClassVar[str] = ""
    #: Other spellings of ``name`` that ``backend=`` accepts (lower case).
    aliases: ClassVar[tuple[str, ...]] = ()
    #: The module imported as the library's array-API namespace.
    module: ClassVar[str] = ""
    #: How to install the library, for :class:`BackendUnavailableError`.
    install_hint: ClassVar[str] = ""

    def namespace(self) -> ModuleType:
        """Import the namespace; a :class:`BackendUnavailableError` says how to install it."""
        try:
            xp = importlib.import_module(self.module)
        except ImportError as exc:
            raise BackendUnavailableError(
                f"backend={self.name!r} needs a library that is not installed "
                f"({exc.name or self.module}). Install it with: {self.install_hint}"
            ) from None
        self.check_usable()
        return xp

    def check_usable(self) -> None:
        """Raise :class:`BackendUnavailableError` when the library imports but cannot run here."""

    def owns_namespace(self, xp: Any) -> bool:
        """Whether ``xp`` is this library's namespace (its own or array-api-compat's wrapper)."""
        return False

    def owns_array(self, x: Any) -> bool:
        """Whether ``x`` is an array of this library."""
        return False

    def device(self, device: Any) -> Any:
        """The library's own device object for a user's ``device=`` (never ``None`` here)."""
        return device

    def check_dtype(self, name: str) -> None:
        """Raise ``ValueError`` when the library cannot compute in dtype ``name`` right now."""

    def adopt(self, xp: ModuleType, x: Any, dtype: Any, device: Any, c_order: bool) -> Any:
        """An array ``x`` already of this namespace, converted to ``dtype`` and ``device``."""
        if dtype is not None and x.dtype != dtype:
            x = xp.astype(x, dtype)
        if device is not None and array_api_compat.device(x) != device:
            x = array_api_compat.to_device(x, device)
        return x

    def from_host(self, xp: ModuleType, host: np.ndarray, dtype: Any, device: Any,
                  c_order: bool) -> Any:
        """The NumPy array ``host`` placed on ``device`` as an array of this namespace."""
        if c_order:  # libraries that keep strides (torch shares the memory) then get C order
            host = np.ascontiguousarray(host)
        return xp.asarray(host, dtype=dtype, device=device)

    def to_numpy(self, x: Any) -> np.ndarray:
        """A NumPy array holding the values of ``x``, an array of this library."""
        try:
            return np.asarray(x)
        except (TypeError, ValueError, RuntimeError):
            return np.from_dlpack(x)

    def synchronize(self, x: Any = None) -> None:
        """Wait until queued work (on ``x``, or on the current device) has finished."""

    def memory_bytes(self, device: Any) -> int | None:
        """The memory of ``device`` in bytes (``None`` when unknown); the host's RAM here."""
        return host_memory_bytes()

    def quiet(self) -> contextlib.AbstractContextManager[Any]:
        """A context in which overflow and invalid values compute to inf/NaN without warnings
        (xpnet checks for them itself); NumPy-based libraries switch their warnings off."""
        return contextlib.nullcontext()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def host_memory_bytes() -> int | None:
    """The host's physical memory in bytes, or ``None`` when the system does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


@contextlib.contextmanager
def _numpy_quiet() -> Iterator[None]:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        yield


class NumPy(Library):
    """NumPy, through array-api-compat's wrapper. CPU only (``device="cpu"``); training data
    placed with ``c_order=True`` is made C-contiguous so column gathers copy only the batch."""

    name = "numpy"
    aliases = ("np",)
    module = "array_api_compat.numpy"
    install_hint = "pip install numpy"

    def owns_namespace(self, xp: Any) -> bool:
        return bool(array_api_compat.is_numpy_namespace(xp))

    def owns_array(self, x: Any) -> bool:
        return bool(array_api_compat.is_numpy_array(x))

    def device(self, device: Any) -> Any:
        if device != "cpu":
            raise ValueError(f"device={device!r}: NumPy runs on 'cpu' only")
        return "cpu"

    def adopt(self, xp: ModuleType, x: Any, dtype: Any, device: Any, c_order: bool) -> Any:
        if c_order and isinstance(x, np.ndarray):
            return np.ascontiguousarray(x, dtype=dtype)
        return super().adopt(xp, x, dtype, device, c_order)

    def from_host(self, xp: ModuleType, host: np.ndarray, dtype: Any, device: Any,
                  c_order: bool) -> Any:
        if c_order:
            return np.ascontiguousarray(host, dtype=dtype)
        return super().from_host(xp, host, dtype, device, c_order)

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def quiet(self) -> contextlib.AbstractContextManager[Any]:
        return _numpy_quiet()


class CuPy(Library):
    """CuPy on a CUDA device. Usable only where a device is visible; ``device=`` is an id or
    ``"cuda:N"`` (a ``cupy.cuda.Device``), and host data is placed inside ``with device:``,
    since CuPy's ``asarray`` takes no ``device=``."""

    name = "cupy"
    aliases = ("cp",)
    module = "array_api_compat.cupy"
    install_hint = 'pip install "xpnet[gpu]"  (CuPy for CUDA 12; see https://docs.cupy.dev for others)'

    def check_usable(self) -> None:
        import cupy

        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CUDA driver missing or broken: CuPy raises its own errors
            raise BackendUnavailableError(
                f"backend='cupy' is installed but cannot reach a CUDA device ({exc}). "
                "Use backend='numpy' on a machine without a GPU, or install a CUDA driver; "
                f"CuPy itself comes with {self.install_hint}"
            ) from None
        if count < 1:
            raise BackendUnavailableError(
                "backend='cupy' is installed but no CUDA device is visible. "
                "Use backend='numpy' on a machine without a GPU."
            )

    def owns_namespace(self, xp: Any) -> bool:
        return bool(array_api_compat.is_cupy_namespace(xp))

    def owns_array(self, x: Any) -> bool:
        return bool(array_api_compat.is_cupy_array(x))

    def device(self, device: Any) -> Any:
        import cupy

        if isinstance(device, cupy.cuda.Device):
            return device
        if isinstance(device, str) and device.startswith("cuda"):
            device = int(device.partition(":")[2] or 0)
        if not isinstance(device, int):
            raise ValueError(f"device={device!r} for CuPy must be a device id (0, 1, ...) or 'cuda:N'")
        return cupy.cuda.Device(device)

    def adopt(self, xp: ModuleType, x: Any, dtype: Any, device: Any, c_order: bool) -> Any:
        x = super().adopt(xp, x, dtype, device, c_order)
        if not c_order:
            return x
        import cupy

        return cupy.ascontiguousarray(x)

    def from_host(self, xp: ModuleType, host: np.ndarray, dtype: Any, device: Any,
                  c_order: bool) -> Any:
        if c_order:
            host = np.ascontiguousarray(host)
        if device is None:
            return super().from_host(xp, host, dtype, device, c_order)
        with device:
            return xp.asarray(host, dtype=dtype)

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.get()

    def memory_bytes(self, device: Any) -> int | None:
        import cupy

        dev = device if device is not None else cupy.cuda.Device()
        with dev:
            return int(cupy.cuda.runtime.memGetInfo()[1])

    def synchronize(self, x: Any = None) -> None:
        import cupy

        cupy.cuda.get_current_stream().synchronize()


class Torch(Library):
    """PyTorch, through array-api-compat's wrapper. ``device=`` is anything ``torch.device``
    takes (``"cpu"``, ``"cuda:0"``); arrays come back to NumPy detached, via the CPU, and
    synchronising waits for CUDA when it is present."""

    name = "torch"
    aliases = ("pytorch",)
    module = "array_api_compat.torch"
    install_hint = "pip install torch"

    def owns_namespace(self, xp: Any) -> bool:
        return bool(array_api_compat.is_torch_namespace(xp))

    def owns_array(self, x: Any) -> bool:
        return bool(array_api_compat.is_torch_array(x))

    def device(self, device: Any) -> Any:
        import torch

        try:
            return torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device={device!r} is not a torch device ({exc})") from None

    def adopt(self, xp: ModuleType, x: Any, dtype: Any, device: Any, c_order: bool) -> Any:
        x = super().adopt(xp, x, dtype, device, c_order)
        return x.contiguous() if c_order else x

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.detach().cpu().numpy()

    def memory_bytes(self, device: Any) -> int | None:
        import torch

        if device is not None and torch.device(device).type == "cuda":
            return int(torch.cuda.get_device_properties(torch.device(device)).total_memory)
        return super().memory_bytes(device) if device is None or str(device) == "cpu" else None

    def synchronize(self, x: Any = None) -> None:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()


class JAX(Library):
    """JAX (``jax.numpy``, array-API compatible itself). Dispatch is asynchronous, so
    synchronising blocks on ``x`` (or on a fresh computation); float64 needs JAX's 64-bit mode,
    which is off by default."""

    name = "jax"
    aliases = ("jax.numpy",)
    module = "jax.numpy"
    install_hint = "pip install jax jaxlib"

    def owns_namespace(self, xp: Any) -> bool:
        return bool(array_api_compat.is_jax_namespace(xp))

    def owns_array(self, x: Any) -> bool:
        return bool(array_api_compat.is_jax_array(x))

    def check_dtype(self, name: str) -> None:
        if name != "float64":
            return
        import jax

        if not jax.config.read("jax_enable_x64"):
            raise ValueError(
                "dtype='float64' on JAX needs 64-bit mode: call "
                "jax.config.update('jax_enable_x64', True) before creating arrays, "
                "or train in float32"
            )

    def synchronize(self, x: Any = None) -> None:
        if x is not None and self.owns_array(x):
            x.block_until_ready()
        elif x is None:
            import jax

            (jax.device_put(0.0) + 0).block_until_ready()


class ArrayAPIStrict(Library):
    """array-api-strict, the standard's reference namespace with nothing more (the check that
    xpnet uses only the Array API). Its devices are its own ``Device`` objects."""

    name = "array_api_strict"
    aliases = ("array-api-strict", "strict")
    module = "array_api_strict"
    install_hint = 'pip install array-api-strict  (or "xpnet[test]")'

    def owns_namespace(self, xp: Any) -> bool:
        return bool(array_api_compat.is_array_api_strict_namespace(xp))

    def owns_array(self, x: Any) -> bool:
        return type(x).__module__.split(".")[0] == "array_api_strict"

    def quiet(self) -> contextlib.AbstractContextManager[Any]:
        return _numpy_quiet()


class Dask(Library):
    """Dask arrays, through array-api-compat's wrapper: lazy graphs, computed when they are
    brought back to NumPy."""

    name = "dask"
    module = "array_api_compat.dask.array"
    install_hint = 'pip install "dask[array]"'

    def owns_namespace(self, xp: Any) -> bool:
        return bool(array_api_compat.is_dask_namespace(xp))

    def owns_array(self, x: Any) -> bool:
        return bool(array_api_compat.is_dask_array(x))


#: The libraries xpnet knows, by backend name.
LIBRARIES: dict[str, Library] = {
    lib.name: lib for lib in (NumPy(), CuPy(), Torch(), JAX(), ArrayAPIStrict(), Dask())
}

#: Backend names accepted by ``backend=``.
BACKENDS = tuple(LIBRARIES)

#: Floating dtypes xpnet trains in.
DTYPES = ("float32", "float64")

_ALIASES = {alias: lib.name for lib in LIBRARIES.values() for alias in lib.aliases}
_GENERIC = Library()


def library_for(name: str) -> Library:
    """The :class:`Library` of backend ``name``; the generic one for a custom namespace."""
    return LIBRARIES.get(name, _GENERIC)


def _library_of_array(x: Any) -> Library:
    for lib in LIBRARIES.values():
        if lib.owns_array(x):
            return lib
    return _GENERIC


def _namespace_for(name: str) -> ModuleType:
    """Import the namespace of backend ``name``; raise a readable error when it is missing."""
    return LIBRARIES[name].namespace()


def backend_name(xp: ModuleType) -> str:
    """The xpnet name of namespace ``xp`` (``"numpy"``, ``"torch"``, ...)."""
    for lib in LIBRARIES.values():
        if lib.owns_namespace(xp):
            return lib.name
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

    @property
    def library(self) -> Library:
        """The :class:`Library` holding this backend's special cases."""
        return library_for(self.name)

    # -- moving data ------------------------------------------------------------------------
    def asarray(self, x: Any, dtype: Any = None, *, c_order: bool = False) -> Any:
        """``x`` as an array of this backend on its device, converted to ``dtype`` if given.

        Arrays already in this namespace are converted in place of a host round trip; anything
        else (NumPy arrays, lists, other libraries' arrays) goes through the host once.
        ``c_order=True`` (for training data) also gives NumPy arrays C order, so that column
        gathers of a transposed X, such as the course's ``x.reshape(m, -1).T``, do not copy
        all of X for every mini-batch.
        """
        xp, lib = self.xp, self.library
        dt = resolve_dtype(xp, dtype) if dtype is not None else None
        if is_array(x) and _same_namespace(x, xp):
            if xp.isdtype(x.dtype, "complex floating"):
                raise TypeError(_COMPLEX.format(x.dtype))
            return lib.adopt(xp, x, dt, self.device, c_order)
        host = to_numpy(x) if is_array(x) else np.asarray(x)
        if host.dtype.kind == "c":
            raise TypeError(_COMPLEX.format(host.dtype))
        if dt is None and host.dtype.kind not in "biuf":
            raise TypeError(f"cannot place an array of dtype {host.dtype} on backend {self.name!r}")
        return lib.from_host(xp, host, dt, self.device, c_order)

    def examples_major(self, x: Any, dtype: Any = None) -> Any:
        """The 2-D ``x`` (features, examples) transposed: a C-contiguous (examples, features)
        array of this backend (of ``dtype`` if given), copied at most once on its way. A
        mini-batch of it is then a gather of whole rows; the course's ``x.reshape(m, -1).T``
        on NumPy is that already and is not copied."""
        if is_array(x) and _same_namespace(x, self.xp):
            return self.asarray(self.xp.permute_dims(x, (1, 0)), dtype, c_order=True)
        host = to_numpy(x) if is_array(x) else np.asarray(x)
        return self.asarray(host.T, dtype, c_order=True)

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
        self.library.check_dtype(dtype_name(dt))
        return dt


_COMPLEX = ("it holds complex numbers ({}); xpnet works on real numbers: pass .real (or "
            "abs(), or the real and imaginary parts as separate features)")


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
    return None if device is None else library_for(name).device(device)


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
        name = backend_name(backend)
        if name in BACKENDS:  # numpy, torch, jax.numpy ...: the namespace xpnet uses for it
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
    devices: list[Any] = []
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
    return _library_of_array(x).to_numpy(x)


def synchronize(backend: Backend | None, x: Any = None) -> None:
    """Block until the device has finished the work queued so far (a no-op on the CPU).

    The library of ``x`` waits for it when ``x`` is an array of a known library; otherwise the
    backend's library waits for its current device.
    """
    lib = _library_of_array(x) if x is not None else _GENERIC
    if lib is _GENERIC and backend is not None:
        lib = backend.library
    lib.synchronize(x)


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
    first: str | None = None
    xp: Any = None
    device: Any = None
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


def as_training_data(backend: Backend, name: str, value: Any, dtype: Any) -> Any:
    """Training data ``value`` on ``backend``: like :func:`as_data`, except that a real NumPy
    array for the NumPy backend is passed on as it is, so that the engine converts its dtype
    and layout in one copy (``train`` then holds one copy of ``X`` at most)."""
    if (backend.library.name == "numpy" and isinstance(value, np.ndarray)
            and value.dtype.kind in "biuf"):
        return value
    return as_data(backend, name, value, dtype)


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
