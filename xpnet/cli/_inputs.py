"""What a model's inputs went through before training, recorded by ``xpnet train`` in the
model's config (``config["input_preprocessing"]``) so that ``xpnet predict`` does the same.

- ``scale``: the value of a white pixel in the training features: 1.0 for pixels in [0, 1]
  (pictures read by xpnet, the shipped sets), 255.0 for raw 0–255 values (a ``.npz`` of
  ``uint8`` pictures), ``None`` when the features are not pixels. Pictures given to
  ``predict`` are read in [0, 1] and multiplied by it.
- ``background`` (grey pictures): ``"dark"`` (light strokes on black, as MNIST) or
  ``"light"``: ``predict`` inverts a picture whose own background is the other one.
- ``centring``: ``"mnist"`` for grey pictures prepared as MNIST's (ink in a centred box of
  20/28 of the side, empty margins): ``predict`` crops, scales and centres the same way.
- ``mean`` and ``std``: per-feature standardisation (``--standardize``), computed on the
  training split's features as given: the network sees ``(x - mean) / std``, in training,
  testing and prediction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..datasets.files import TrainingData, image_shape

#: The key of the model's config that holds the record.
CONFIG_KEY = "input_preprocessing"
#: Examples whose borders decide the training pictures' background and margins.
_SAMPLE = 2000


@dataclass
class InputPreprocessing:
    """How raw inputs become a model's features (see the module's description)."""

    scale: float | None = None
    background: str | None = None
    centring: str | None = None
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    @classmethod
    def of(cls, data: TrainingData, standardize: bool = False) -> InputPreprocessing:
        """What the training split of ``data`` looks like; with ``standardize``, its feature
        means and standard deviations (a constant feature gets std 1, as in scikit-learn)."""
        X = data.train_x
        prep = cls(scale=_pixel_scale(X))
        shape = data.image or (image_shape(X.shape[0]) if prep.scale else None)
        if shape is not None and shape[2] == 1 and prep.scale:
            prep.background, prep.centring = _grey_layout(X, shape, prep.scale)
        if standardize:
            prep.mean = X.mean(axis=1)
            std = X.std(axis=1)
            prep.std = np.where(std > 0, std, 1.0)
        return prep

    @classmethod
    def of_model(cls, config: dict[str, Any], n_x: int) -> InputPreprocessing:
        """The record in a model's ``config``; a model without one (trained with the Python
        API, or saved by an older xpnet) is taken to have [0, 1] pixels, and a model of
        28x28 grey pictures (784 inputs) to be an MNIST model."""
        recorded = config.get(CONFIG_KEY)
        if not recorded:
            shape = config.get("input_image") or image_shape(n_x)
            mnist = shape is not None and tuple(shape) == (28, 28, 1)
            return cls(1.0, "dark" if mnist else None, "mnist" if mnist else None)
        mean, std = recorded.get("mean"), recorded.get("std")
        prep = cls(recorded.get("scale"), recorded.get("background"), recorded.get("centring"),
                   None if mean is None else np.asarray(mean, dtype=np.float64),
                   None if std is None else np.asarray(std, dtype=np.float64))
        for name, values in (("mean", prep.mean), ("std", prep.std)):
            if values is not None and values.shape != (n_x,):
                raise ValueError(f"the model's recorded input {name} has {values.size} values "
                                 f"for {n_x} features: the file is damaged")
        return prep

    def to_config(self) -> dict[str, Any]:
        """The record as JSON-ready values."""
        return {"scale": self.scale, "background": self.background, "centring": self.centring,
                "mean": None if self.mean is None else self.mean.tolist(),
                "std": None if self.std is None else self.std.tolist()}

    def standardize(self, X: np.ndarray) -> np.ndarray:
        """``X`` (features, examples) standardised as the training data was (or unchanged)."""
        if self.mean is None or self.std is None:
            return X
        return (X - self.mean[:, None]) / self.std[:, None]

    def describe(self) -> str:
        """One line for ``xpnet info`` and ``xpnet train``."""
        parts = []
        if self.scale == 1.0:
            parts.append("pixels in [0, 1]")
        elif self.scale:
            parts.append(f"pixels in [0, {self.scale:g}]")
        if self.background:
            parts.append(f"{'light on dark' if self.background == 'dark' else 'dark on light'}")
        if self.centring == "mnist":
            parts.append("centred as MNIST")
        if self.mean is not None:
            parts.append("standardised (mean 0, std 1 per feature)")
        return ", ".join(parts) or "features as given"


def _pixel_scale(X: np.ndarray) -> float | None:
    """1.0 when every feature is in [0, 1]; 255.0 when they are whole numbers in [0, 255] that
    use the upper half of that range (raw 8-bit pixels); ``None`` otherwise (features that are
    not pixels, or of another range such as scikit-learn's 0–16 digits)."""
    if X.size == 0 or not np.isfinite(X).all():
        return None
    low, high = float(X.min()), float(X.max())
    if low >= 0.0 and high <= 1.0:
        return 1.0
    if low >= 0.0 and 128.0 <= high <= 255.0 and bool(np.all(X == np.round(X))):
        return 255.0
    return None


def _grey_layout(X: np.ndarray, shape: tuple[int, int, int], scale: float
                 ) -> tuple[str, str | None]:
    """The background of grey training pictures (their border's median shade) and whether
    they are laid out as MNIST's: a dark background and an empty margin of 4/28 of the side."""
    h, w, _ = shape
    pictures = X[:, :_SAMPLE].T.reshape(-1, h, w) / scale
    border = np.concatenate([pictures[:, 0], pictures[:, -1], pictures[:, :, 0],
                             pictures[:, :, -1]], axis=1)
    background = "light" if float(np.median(border)) > 0.5 else "dark"
    margin = max(1, math.floor(min(h, w) * 4 / 28))
    frame = np.ones((h, w), dtype=bool)
    frame[margin:h - margin, margin:w - margin] = False
    empty = float(pictures[:, frame].mean()) < 0.02
    return background, "mnist" if background == "dark" and empty else None
