"""What the ``xpnet`` subcommands share: :class:`CLIError`, printing ``key  value`` rows, and the
``type=`` functions of their options.

The package (:mod:`xpnet.cli`) imports the subcommands' modules, so they take what they share
from here, never from the package.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..model import Model


class CLIError(Exception):
    """A mistake in the command or its input: reported as one line, exit status 2."""


# -- output ---------------------------------------------------------------------------------------
def print_rows(rows: Sequence[tuple[str, str]], indent: str = "") -> None:
    """Print ``key  value`` lines, the values aligned."""
    for key, value in rows:
        print(f"{indent}{key:<16}{value}")


def shorten(names: Sequence[str], most: int = 10) -> str:
    """``a, b, c``: the first ``most`` names, then ``...`` when there are more."""
    return ", ".join(names[:most]) + (", ..." if len(names) > most else "")


def final_cost(model: Model) -> str:
    """The model's last recorded cost, or that it was trained for no epochs."""
    return f"{model.costs[-1]:.6g}" if model.costs else "none (0 epochs)"


# -- option types ---------------------------------------------------------------------------------
def sizes(text: str) -> list[int]:
    """``12288,20,7,5,1`` -> layer sizes: at least two, all positive."""
    try:
        found = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of layer sizes such as 12288,20,7,5,1"
        ) from None
    if len(found) < 2 or min(found) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give at least two positive sizes, input to output, such as 2,8,1")
    return found


def positive_int(text: str) -> int:
    """A whole number >= 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def count(text: str) -> int:
    """A whole number >= 0."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(text)


def fraction(text: str) -> float:
    """A number in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction in [0, 1)")
    return value
