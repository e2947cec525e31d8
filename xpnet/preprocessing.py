"""Target encoding: ``one_hot(labels, num_classes)`` -> (C, m) for a softmax output."""

from __future__ import annotations

from typing import Any

from .backend import get_backend
from .validation import check_int


def one_hot(labels: Any, num_classes: int, *, dtype: Any = "float32", backend: Any = None) -> Any:
    """One-hot targets (C, m) from integer class labels of shape (m,) or (1, m).

    The result lives in the labels' namespace (or ``backend``). Labels outside
    ``0..num_classes-1`` raise a ``ValueError``.
    """
    num_classes = check_int("num_classes", num_classes, minimum=1, type_error=ValueError)
    be = get_backend(backend, labels)
    xp = be.xp
    y = be.asarray(labels)
    if y.ndim == 2 and y.shape[0] == 1:
        y = xp.reshape(y, (-1,))
    if y.ndim != 1:
        raise ValueError(f"labels must have shape (m,) or (1, m), got {tuple(y.shape)}")
    if xp.isdtype(y.dtype, "real floating"):
        if not bool(xp.all(y == xp.round(y))):
            raise ValueError("labels must be whole numbers (class indices)")
    elif not xp.isdtype(y.dtype, "integral"):
        raise TypeError(f"labels must be integers, got dtype {y.dtype}")
    y = xp.astype(y, xp.int64)
    if y.shape[0] and (bool(xp.any(y < 0)) or bool(xp.any(y >= num_classes))):
        raise ValueError(
            f"labels must lie in 0..{num_classes - 1} for num_classes={num_classes}; "
            f"got values from {int(xp.min(y))} to {int(xp.max(y))}"
        )
    classes = xp.arange(num_classes, dtype=xp.int64, device=be.device)
    return xp.astype(classes[:, None] == y[None, :], be.dtype(dtype))
