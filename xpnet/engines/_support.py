"""What every fast engine checks before it takes a run: the backend and the optimizer."""

from __future__ import annotations

from collections.abc import Iterable

from ..backend import Backend
from ..optimizers import Optimizer


def backend_and_optimizer_reason(backend_name: str, optimizers: Iterable[type],
                                 backend: Backend, optimizer: Optimizer) -> str | None:
    """Why an engine for ``backend_name`` that has steps for exactly the classes
    ``optimizers`` cannot run on ``backend`` with ``optimizer``, or ``None`` when it can."""
    if backend.name != backend_name:
        return f"it runs on {backend_name} arrays only (backend is {backend.name!r})"
    classes = tuple(optimizers)
    if type(optimizer) not in classes:
        names = ", ".join(k.__name__ for k in classes)
        return f"optimizer {type(optimizer).__name__} is not one of {names}"
    return None


class EngineUnsupportedError(ValueError):
    """An engine asked by name for a configuration that it cannot run (the message says why);
    ``engine="auto"`` never raises it, it falls back to the generic engine."""


def refuse_unsupported(name: str, reason: str | None) -> None:
    """The :class:`EngineUnsupportedError` of an engine built for a configuration it cannot
    run."""
    if reason is not None:
        raise EngineUnsupportedError(f"engine={name!r} cannot run this configuration: {reason}")
