"""What the ``xpnet`` subcommands share: :class:`CLIError`, printing ``key  value`` rows, and the
``type=`` functions of their options.

The package (:mod:`xpnet.cli`) imports the subcommands' modules, so they take what they share
from here, never from the package.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from ..model import Model


class CLIError(Exception):
    """A mistake in the command or its input: reported as one line, exit status 2."""


# -- output ---------------------------------------------------------------------------------------
def print_rows(rows: Sequence[tuple[str, str]], indent: str = "") -> None:
    """Print ``key  value`` lines, the values aligned (flushed: a long step may follow); a key
    of 16 characters or more is followed by two spaces."""
    for key, value in rows:
        print(f"{indent}{key:<{16 if len(key) < 16 else len(key) + 2}}{value}")
    sys.stdout.flush()


def shorten(names: Sequence[str], most: int = 10) -> str:
    """``a, b, c``: the first ``most`` names, then ``...`` when there are more."""
    return ", ".join(names[:most]) + (", ..." if len(names) > most else "")


def final_cost(model: Model) -> str:
    """The model's last recorded cost, or that it was trained for no epochs."""
    return f"{model.costs[-1]:.6g}" if model.costs else "none (0 epochs)"


def stopping_text(config: dict) -> str | None:
    """The best epoch of a run with ``--patience`` or ``--restore-best``, counted from 1 as the
    progress counts, from a model's ``config``: ``27 (val cost 0.1234); the model is this
    epoch's``; ``None`` for other runs."""
    best = config.get("best_epoch")
    restored = bool(config.get("restore_best"))
    if best is None or (config.get("patience") is None and not restored):
        return None
    monitor = str(config.get("monitor", "cost")).replace("_", " ")
    value = config.get("best_value")
    measured = f" ({monitor} {value:.4g})" if isinstance(value, (int, float)) else \
        f" (by {monitor})"
    return f"{best + 1}{measured}; the model is " + (
        "this epoch's (--restore-best)" if restored else "the last epoch's")


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


# -- output files ---------------------------------------------------------------------------------
def check_output_path(path: str, option: str) -> Path:
    """``path`` as a file that can be written, checked before any work: its folder exists and is
    writable, and ``path`` is not a folder. The error names ``option`` (``--out``)."""
    target = Path(path)
    if not path or path.endswith(("/", os.sep)) or target.is_dir():
        raise CLIError(f"{option} {path!r} is a folder; give a file name, such as "
                       f"{(target / 'model.npz').as_posix()}")
    folder = target.parent
    if not folder.exists():
        raise CLIError(f"{option} {path}: the folder {folder} does not exist; create it first "
                       f"(mkdir -p {folder})")
    if not folder.is_dir():
        raise CLIError(f"{option} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CLIError(f"{option} {path}: the folder {folder} is not writable")
    return target


def check_plot_path(path: str, option: str = "--plot") -> Path:
    """A picture file matplotlib can write (its format by the file's ending), checked before
    any work; needs matplotlib."""
    target = check_output_path(path, option)
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise CLIError(f'{option} needs matplotlib: pip install "xpnet[plot]"') from None
    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = target.suffix.lower().lstrip(".")
    if suffix not in formats:
        given = f"its ending .{suffix}" if suffix else "it has no ending"
        raise CLIError(f"{option} {path}: the format is chosen by the file's ending and {given} "
                       f"is not one matplotlib writes; use one of "
                       f"{', '.join('.' + f for f in sorted(formats))}")
    return target


# -- messages -------------------------------------------------------------------------------------
def name_options(message: str, options: dict[str, str]) -> str:
    """``message`` with the Python argument names replaced by the command's options:
    ``learning_rate must be > 0`` -> ``--lr must be > 0`` and ``device='cuda:9'`` ->
    ``--device 'cuda:9'`` for ``{"learning_rate": "--lr", "device": "--device"}``."""
    if not options:
        return message
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, options)) + r")(?![\w])(=?)")
    return pattern.sub(lambda m: options[m[1]] + (" " if m[2] else ""), message)
