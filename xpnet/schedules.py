"""Learning-rate decay schedules: ``schedule(lr0, epoch) -> lr``.

``train(..., lr_schedule=InverseTimeDecay(decay_rate=1.0, interval=1000))`` sets the
optimizer's learning rate at the start of every epoch.
"""

from __future__ import annotations

import math

from .validation import check_fraction, check_int, check_nonnegative


class InverseTimeDecay:
    """``lr0 / (1 + decay_rate · ⌊epoch / interval⌋)`` (the course's ``schedule_lr_decay``)."""

    def __init__(self, decay_rate: float = 1.0, interval: int = 1) -> None:
        self.decay_rate = check_nonnegative("decay_rate", decay_rate)
        self.interval = check_int("interval", interval, minimum=1)

    def __call__(self, lr0: float, epoch: int) -> float:
        return lr0 / (1.0 + self.decay_rate * (epoch // self.interval))

    def __repr__(self) -> str:
        return f"InverseTimeDecay(decay_rate={self.decay_rate}, interval={self.interval})"


class ExponentialDecay:
    """``lr0 · decay_rate ^ ⌊epoch / interval⌋`` with ``0 < decay_rate <= 1``."""

    def __init__(self, decay_rate: float = 0.95, interval: int = 1) -> None:
        self.decay_rate = check_fraction("decay_rate", decay_rate, " for a decaying rate")
        self.interval = check_int("interval", interval, minimum=1)

    def __call__(self, lr0: float, epoch: int) -> float:
        return lr0 * math.pow(self.decay_rate, epoch // self.interval)

    def __repr__(self) -> str:
        return f"ExponentialDecay(decay_rate={self.decay_rate}, interval={self.interval})"

