"""Argument checks shared by the public functions: clear errors before any work is done.

Every check raises ``TypeError`` (the wrong kind of value) or ``ValueError`` (the right kind,
a wrong value) with a message that names the argument, says what was expected and what was
given. Checks that read array values (NaN, labels) synchronise with the device; they run
before training starts, never inside the epoch loop.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

# -- scalars and names --------------------------------------------------------------------------
#
# ``type_error`` (where a check has it) is the exception raised for a value of the wrong kind:
# ``TypeError`` unless a caller raised ``ValueError`` for every bad value before these checks
# existed, and keeps doing so.


def check_choice(name: str, value: Any, choices: Iterable[str], *, what: str = "known") -> str:
    """``value`` lower-cased when it is one of ``choices``; else an error naming the nearest.

    ``what`` completes "``name=value`` is not ...": ``"known"``, ``"supported"``,
    ``"a hidden-layer activation"``.
    """
    choices = list(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    key = value.lower()
    if key not in choices:
        raise ValueError(
            f"{name}={value!r} is not {what}; expected one of {', '.join(choices)}."
            f"{did_you_mean(key, choices)}"
        )
    return key


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """``" Did you mean 'x'?"`` naming the choice closest to ``value``, or ``""`` when none is
    close: the one hint every "not known" message of xpnet ends with."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(name: str, value: Any, minimum: int, *,
              type_error: type[Exception] = TypeError) -> int:
    """``value`` (a Python or NumPy integer, not a bool) as an int ``>= minimum``."""
    if not _is_int(value):
        raise type_error(f"{name} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_int_or(name: str, value: Any, minimum: int, options: Sequence[Any]) -> Any:
    """``value`` itself when it is one of ``options`` (``None``, ``"auto"``), else an int
    ``>= minimum``; both errors list the options: "must be 'auto', None or an int >= 1"."""
    if any(value is option or (isinstance(value, str) and value == option) for option in options):
        return value
    expected = ", ".join(map(repr, options)) + f" or an int >= {minimum}"
    if not _is_int(value):
        raise TypeError(f"{name} must be {expected}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {expected}, got {value}")
    return int(value)


def check_seed(name: str, value: Any) -> int | None:
    """A random seed: ``None`` (a fresh one) or an int ``>= 0``."""
    seed: int | None = check_int_or(name, value, 0, (None,))
    return seed


def _check_real(name: str, value: Any, expected: str,
                type_error: type[Exception] = TypeError) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise type_error(f"{name} must be {expected}, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be {expected}, got {value}")
    return float(value)


def check_fraction(name: str, value: Any, note: str = "") -> float:
    """A value in (0, 1], such as a keep probability or a decay factor; ``note`` follows the
    interval in the message (``" (1 means no dropout)"``)."""
    value = _check_real(name, value, "a number in (0, 1]")
    if not (0.0 < value <= 1.0):
        raise ValueError(f"{name} must be in (0, 1]{note}, got {value}")
    return value


def check_keep_prob(keep_prob: Any) -> float:
    """Inverted dropout's keep probability, in (0, 1]."""
    return check_fraction("keep_prob", keep_prob, " (1 means no dropout)")


def check_nonnegative(name: str, value: Any) -> float:
    """A finite number ``>= 0``, as a float."""
    value = _check_real(name, value, "a finite number >= 0")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def check_positive(name: str, value: Any, *, type_error: type[Exception] = TypeError) -> float:
    """A finite number ``> 0``, as a float."""
    value = _check_real(name, value, "a finite number > 0", type_error)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def check_unit_interval(name: str, value: Any) -> float:
    """A value in [0, 1), such as an optimizer's beta."""
    value = _check_real(name, value, "a number in [0, 1)")
    if not (0.0 <= value < 1.0):
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def check_callable(name: str, value: Any) -> None:
    """A function, or ``None``."""
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be a function or None, got {type(value).__name__}")


# -- arrays: shape, values -----------------------------------------------------


def describe(x: Any) -> str:
    shape = getattr(x, "shape", None)
    return f"{type(x).__name__} of shape {tuple(shape)}" if shape is not None else repr(x)


_RESHAPE_HINTS: dict[tuple[str, Any], str] = {
    ("X", 1): "; for one example use X.reshape(-1, 1), for one feature X.reshape(1, -1)",
    ("Y", 1): "; reshape a vector of labels with Y.reshape(1, -1)",
    ("X", 3): "; flatten images (m, h, w[, c]) with X.reshape(X.shape[0], -1).T",
    ("X", 4): "; flatten images (m, h, w[, c]) with X.reshape(X.shape[0], -1).T",
}


def check_matrix(name: str, A: Any, layout: str) -> None:
    """``A`` is 2-D (``layout``), with a reshape hint for the usual mistakes."""
    ndim = getattr(A, "ndim", None)
    if ndim != 2:
        raise ValueError(
            f"{name} must be 2-D ({layout}), got shape {tuple(getattr(A, 'shape', ()))}"
            + _RESHAPE_HINTS.get((name, ndim), "")
        )


def check_input_rows(X: Any, n_x: int, source: str) -> None:
    """``X`` is (n_x, m); ``source`` says where ``n_x`` comes from (``"layer_dims[0]"``)."""
    check_matrix("X", X, "features, examples")
    if X.shape[0] != n_x:
        hint = " (examples as rows? pass X.T)" if X.shape[1] == n_x else ""
        raise ValueError(
            f"X has {X.shape[0]} rows (features) but {source} is {n_x}: X must be "
            f"(n_x, m) = ({n_x}, m), got shape {tuple(X.shape)}{hint}"
        )


def check_examples(X: Any) -> int:
    """The number of examples m (columns of ``X``), which must be at least one."""
    m = int(X.shape[1])
    if m == 0:
        raise ValueError(f"X has no examples: shape {tuple(X.shape)} has 0 columns; "
                         "training and evaluation need at least one")
    return m


def check_columns(Y: Any, m: int, n_y: int) -> None:
    """``Y`` has the ``m`` columns of ``X``."""
    if Y.shape[1] != m:
        hint = " (examples as rows? pass Y.T)" if Y.shape[0] == m else ""
        raise ValueError(
            f"Y has {Y.shape[1]} columns (examples) but X has {m}: Y must be "
            f"(n_y, m) = ({n_y}, {m}), got shape {tuple(Y.shape)}{hint}"
        )


def check_finite_as(xp: Any, name: str, A: Any, dtype: Any) -> None:
    """``A`` is finite once converted to the floating ``dtype`` (its values are within the
    dtype's range); checked without a converted copy."""
    if xp.isdtype(A.dtype, "bool"):
        return
    big = float(xp.finfo(dtype).max)
    if A.dtype == dtype or not xp.isdtype(A.dtype, "real floating") or (
            big >= float(xp.finfo(A.dtype).max)):
        check_finite(xp, name, A)
    elif not bool(xp.all((A <= big) & (A >= -big))):  # False for NaN as well
        raise ValueError(f"{name} contains NaN or infinite values (as {_dtype_text(dtype)}, "
                         f"whose largest value is {big:.2g}); clean or impute them")


def _dtype_text(dtype: Any) -> str:
    return str(getattr(dtype, "name", dtype)).rsplit(".", 1)[-1]


def check_finite(xp: Any, name: str, A: Any, note: str = "") -> None:
    if xp.isdtype(A.dtype, "bool"):
        return
    if not bool(xp.all(xp.isfinite(A))):
        raise ValueError(f"{name} contains NaN or infinite values{note}; clean or impute them")


def _value_range(xp: Any, A: Any) -> str:
    return f"values from {float(xp.min(A)):g} to {float(xp.max(A)):g}"


def check_class_labels(xp: Any, labels: Any, num_classes: int) -> None:
    """``labels`` are whole numbers in ``0..num_classes-1`` (finite values assumed)."""
    if xp.isdtype(labels.dtype, "real floating") and not bool(xp.all(labels == xp.round(labels))):
        raise ValueError(
            f"Y holds class labels for a softmax output with {num_classes} classes, so they "
            "must be whole numbers; got fractional values (one-hot targets are (C, m))"
        )
    if labels.shape[-1] and (bool(xp.any(labels < 0)) or bool(xp.any(labels >= num_classes))):
        raise ValueError(
            f"Y holds class labels, which must lie in 0..{num_classes - 1} for a softmax output "
            f"of {num_classes} classes (layer_dims[-1]); got {_value_range(xp, labels)}"
        )


def is_label_row(Y: Any, output: str, n_out: int) -> bool:
    """Whether ``Y`` holds class indices (1, m) or (m,) rather than one-hot (C, m) targets."""
    return output == "softmax" and n_out > 1 and (Y.ndim == 1 or Y.shape[0] == 1)


def check_targets(xp: Any, Y: Any, output: str, n_out: int) -> None:
    """``Y`` (finite) holds what the output's loss needs: 0/1 labels for sigmoid; one-hot
    columns (C, m) or class indices (1, m) for softmax; any values for linear."""
    check_finite(xp, "Y", Y)
    if xp.isdtype(Y.dtype, "bool"):
        Y = xp.astype(Y, xp.int64)
    if is_label_row(Y, output, n_out):
        check_class_labels(xp, Y, n_out)
        return
    if output in ("sigmoid", "softmax") and Y.shape[0] != n_out:
        raise ValueError(
            f"Y has {Y.shape[0]} rows (outputs) but layer_dims[-1] is {n_out}: Y must be "
            f"({n_out}, m), got shape {tuple(Y.shape)}"
        )
    binary = bool(xp.all((Y == 0) | (Y == 1)))
    if output == "sigmoid" and not binary:
        raise ValueError(
            f"Y must hold 0/1 labels for a sigmoid output; got {_value_range(xp, Y)}"
        )
    if output == "softmax" and not (binary and bool(xp.all(xp.sum(Y, axis=0) == 1))):
        raise ValueError(
            "Y must be one-hot (C, m) for a softmax output (each column a single 1), or "
            "integer class labels (1, m); see xpnet.one_hot"
        )


def check_same_shape(name_a: str, a: Any, name_b: str, b: Any) -> None:
    """Both arrays 2-D (outputs, examples) with the same shape."""
    for name, arr in ((name_a, a), (name_b, b)):
        check_matrix(name, arr, "outputs, examples")
    if tuple(a.shape) != tuple(b.shape):
        transposed = tuple(b.shape) == tuple(a.shape)[::-1]
        hint = f" (examples as rows? pass {name_b}.T)" if transposed else ""
        raise ValueError(
            f"{name_a} has shape {tuple(a.shape)} but {name_b} has shape {tuple(b.shape)}; "
            f"they must match (outputs, examples){hint}"
        )
