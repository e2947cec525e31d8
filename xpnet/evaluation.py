"""Held-out data for :func:`xpnet.train`: the validation split, example weights, and the
metrics of a model on a data set, computed on the device.

Metrics follow the output: accuracy for sigmoid and softmax outputs, the coefficient of
determination R² for a linear output. An evaluation runs the forward pass in chunks, keeps
every sum on the device and reads them back once, all metrics together: one host
synchronisation per evaluation, however many examples and chunks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .architecture import Architecture
from .backend import Backend, as_data, to_numpy
from .losses import loss_sum_from_logits
from .network import _forward
from .rng import RandomState
from .validation import check_fraction, check_matrix

#: Examples per forward pass of an evaluation (bounds its memory; every sum stays on the device).
CHUNK = 8192


def metric_name(output: str) -> str:
    """The quality metric of an output: ``"accuracy"`` (classification) or ``"r2"``."""
    return "r2" if output == "linear" else "accuracy"


class Evaluator:
    """Cost and metric of parameters on one data set ``X`` (n_x, m), ``Y`` (n_y, m) with
    optional example weights ``w`` (1, m) normalised to mean 1, all on the device."""

    def __init__(self, backend: Backend, arch: Architecture, X: Any, Y: Any, w: Any = None
                 ) -> None:
        self.backend, self.arch = backend, arch
        self.X, self.Y, self.w = X, Y, w
        self.m = int(X.shape[1])
        xp = backend.xp
        if arch.output == "linear":  # R²'s denominator, fixed: Σ w (y − ȳ_w)² per output
            Yw = Y if w is None else Y * w
            mean = xp.sum(Yw, axis=1, keepdims=True) / self.m
            D = Y - mean
            self.sst = xp.sum(D * D if w is None else D * D * w, axis=1)

    def sums(self, params: dict[str, Any], stats: dict[str, Any] | None = None
             ) -> tuple[Any, Any]:
        """``(Σ w·loss, metric)`` of the network at inference (with the running statistics
        ``stats`` of its batch-normalised layers) as 0-d device arrays (nothing is read back)."""
        xp, arch = self.backend.xp, self.arch
        loss: Any = None
        score: Any = None
        for a in range(0, self.m, CHUNK):
            b = min(a + CHUNK, self.m)
            X, Y = self.X[:, a:b], self.Y[:, a:b]
            w = None if self.w is None else self.w[:, a:b]
            AL, caches = _forward(xp, X, params, arch.acts, stats=stats)
            c = loss_sum_from_logits(xp, caches[-1].Z, Y, arch.output, w)
            s = self._score_sum(xp, AL, Y, w)
            loss = c if loss is None else loss + c
            score = s if score is None else score + s
        if arch.output == "linear":  # score holds Σ w (y − ŷ)² per output
            score = xp.mean(1.0 - score / xp.maximum(self.sst, xp.finfo(self.sst.dtype).tiny))
        else:
            score = score / self.m
        return loss, score

    def _score_sum(self, xp: Any, AL: Any, Y: Any, w: Any) -> Any:
        if self.arch.output == "linear":
            D = AL - Y
            return xp.sum(D * D if w is None else D * D * w, axis=1)
        if self.arch.output == "softmax":
            right = xp.astype(xp.argmax(AL, axis=0) == xp.argmax(Y, axis=0), AL.dtype)
            right = xp.reshape(right, (1, -1))
        else:  # sigmoid: each output a 0/1 label; the mean over the outputs
            right = xp.mean(xp.astype((AL > 0.5) == (Y > 0.5), AL.dtype), axis=0, keepdims=True)
        return xp.sum(right if w is None else right * w)


def read_metrics(backend: Backend, named: Mapping[str, Any]) -> dict[str, float]:
    """The 0-d device arrays of ``named`` as floats, read back together (one synchronisation)."""
    xp = backend.xp
    values = to_numpy(xp.stack([xp.reshape(v, ()) for v in named.values()]))
    return {k: float(v) for k, v in zip(named, values.tolist(), strict=True)}


# -- example weights ------------------------------------------------------------------------------


def example_weights(backend: Backend, sample_weight: Any, class_weight: Any, labels: Any,
                    m: int, dt: Any, output: str) -> Any:
    """The examples' weights (1, m) on the device as given, before normalisation; ``None``
    for unit weights. ``labels`` are the class index of each example (host list) or ``None``.

    ``class_weight`` is ``{class index: weight}`` (missing classes weigh 1) or ``"balanced"``,
    scikit-learn's ``m / (n_classes · count_c)``; it multiplies ``sample_weight``.
    """
    xp = backend.xp
    w = None
    if sample_weight is not None:
        w = as_data(backend, "sample_weight", sample_weight, dt)
        if w.ndim == 1:
            w = xp.reshape(w, (1, -1))
        check_matrix("sample_weight", w, "1, examples")
        if tuple(w.shape) != (1, m):
            raise ValueError(f"sample_weight must hold one weight per example, shape ({m},) or "
                             f"(1, {m}); got shape {tuple(w.shape)}")
        if not bool(xp.all(xp.isfinite(w))) or bool(xp.any(w < 0)):
            raise ValueError("sample_weight must hold finite weights >= 0")
    if class_weight is not None:
        if output == "linear" or labels is None:
            raise ValueError("class_weight needs a classification output (sigmoid with one "
                             "output, or softmax); use sample_weight for regression")
        per_class = _class_weights(class_weight, labels)
        cw = backend.asarray([per_class.get(c, 1.0) for c in labels], dtype=dt)
        cw = xp.reshape(cw, (1, -1))
        w = cw if w is None else w * cw
    return w


def _class_weights(class_weight: Any, labels: list[int]) -> dict[int, float]:
    counts: dict[int, int] = {}
    for c in labels:
        counts[c] = counts.get(c, 0) + 1
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be a dict, 'balanced' or None, got {class_weight!r}")
        return {c: len(labels) / (len(counts) * n) for c, n in counts.items()}
    if not isinstance(class_weight, Mapping):
        raise TypeError(f"class_weight must be a dict {{class: weight}}, 'balanced' or None, got "
                        f"{type(class_weight).__name__}")
    out = {}
    for c, v in class_weight.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"class_weight[{c!r}] must be a finite number >= 0, got {v!r}")
        out[int(c)] = float(v)
    return out


def normalised(backend: Backend, w: Any, name: str = "sample_weight") -> Any:
    """``w`` (1, m) scaled to mean 1, so that ``Σ w·L / m`` is the weighted mean ``Σ w·L / Σ w``."""
    if w is None:
        return None
    xp = backend.xp
    total = float(xp.sum(w))
    if not total > 0:
        raise ValueError(f"{name} must give some example a weight > 0; all weights are 0")
    return w * (w.shape[1] / total)


def class_labels(xp: Any, Y: Any, output: str) -> list[int] | None:
    """Each example's class index (a host list) for single-label classification targets
    (sigmoid with one output, softmax one-hot), else ``None``. Reads ``Y`` once, before training."""
    if output == "softmax":
        return [int(i) for i in to_numpy(xp.argmax(Y, axis=0)).tolist()]
    if output == "sigmoid" and Y.shape[0] == 1:
        return [int(v > 0.5) for v in to_numpy(Y).reshape(-1).tolist()]
    return None


# -- the validation split -------------------------------------------------------------------------


def split_indices(m: int, fraction: Any, labels: list[int] | None, rng: RandomState
                  ) -> tuple[list[int], list[int]]:
    """``(train, validation)`` example indices: ``fraction`` of the examples held out, drawn by
    ``rng``, stratified by ``labels`` when given (each class keeps its share, at least one
    example of every class with two or more stays in training)."""
    fraction = check_fraction("validation_split", fraction)
    if fraction >= 1.0:
        raise ValueError("validation_split must be in (0, 1): the fraction of the examples held "
                         f"out for validation, got {fraction}")
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(labels if labels is not None else [0] * m):
        groups.setdefault(c, []).append(i)
    val: list[int] = []
    for c in sorted(groups):
        members = groups[c]
        order = rng.permutation(len(members)).tolist()
        k = min(round(fraction * len(members)), len(members) - 1)
        val.extend(members[j] for j in order[:k])
    if not val:
        raise ValueError(f"validation_split={fraction} of {m} examples holds out none; "
                         "use a larger fraction or pass validation_data=")
    held = set(val)
    return [i for i in range(m) if i not in held], sorted(val)
