"""Learning-rate decay schedules: ``schedule(lr0, epoch) -> lr``.

``train(..., lr_schedule=InverseTimeDecay(decay_rate=1.0, interval=1000))`` sets the
optimizer's learning rate at the start of every epoch.
"""

from __future__ import annotations

import math

from .validation import check_nonnegative, check_positive


class InverseTimeDecay:
    """``lr0 / (1 + decay_rate · ⌊epoch / interval⌋)`` (the course's ``schedule_lr_decay``)."""

    def __init__(self, decay_rate: float = 1.0, interval: int = 1) -> None:
        self.decay_rate = check_nonnegative("decay_rate", decay_rate)
        self.interval = _check_interval(interval)

    def __call__(self, lr0: float, epoch: int) -> float:
        return lr0 / (1.0 + self.decay_rate * (epoch // self.interval))

    def __repr__(self) -> str:
        return f"InverseTimeDecay(decay_rate={self.decay_rate}, interval={self.interval})"


class ExponentialDecay:
    """``lr0 · decay_rate ^ ⌊epoch / interval⌋`` with ``0 < decay_rate <= 1``."""

    def __init__(self, decay_rate: float = 0.95, interval: int = 1) -> None:
        rate = check_positive("decay_rate", decay_rate)
        if rate > 1.0:
            raise ValueError(f"decay_rate must be in (0, 1] for a decaying rate, got {decay_rate}")
        self.decay_rate = rate
        self.interval = _check_interval(interval)

    def __call__(self, lr0: float, epoch: int) -> float:
        return lr0 * math.pow(self.decay_rate, epoch // self.interval)

    def __repr__(self) -> str:
        return f"ExponentialDecay(decay_rate={self.decay_rate}, interval={self.interval})"


def _check_interval(interval: object) -> int:
    if isinstance(interval, bool) or not isinstance(interval, int):
        raise TypeError(f"interval must be a positive int (epochs), got {interval!r}")
    if interval < 1:
        raise ValueError(f"interval must be >= 1 epoch, got {interval}")
    return interval
