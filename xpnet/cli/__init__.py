"""The ``xpnet`` command line: ``train``, ``predict``, ``info``, ``export``, ``search``,
``reproduce`` and ``bench``.

``xpnet COMMAND --help`` documents every option. A failure prints one line,
``xpnet: error: ...``, and exits with status 2; ``--debug`` shows the traceback instead.

Each command lives in its own module (:data:`COMMANDS`), which has ``add_arguments(parser)``
(its options) and ``run(args) -> int`` (its work and exit status): :mod:`xpnet.cli.train`,
:mod:`xpnet.cli.predict`, :mod:`xpnet.cli.info`, :mod:`xpnet.cli.export`, :mod:`xpnet.reproduce` and
:mod:`xpnet.benchmarks`. Only the module of the command that runs is imported; ``xpnet --help``
lists them all without importing any. What the command modules share is in
:mod:`xpnet.cli._common`; they never import this package's ``__init__``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Collection, Sequence
from typing import Any, NoReturn

from .. import __version__
from ._common import CLIError

__all__ = ["COMMANDS", "EXIT_ERROR", "USER_ERRORS", "CLIError", "build_parser", "main"]

#: Exit status of every failure the user can fix.
EXIT_ERROR = 2
#: Every subcommand, in the order ``xpnet --help`` lists them: name -> (module, help). The
#: module has ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("xpnet.cli.train", "train a network on a data set and save it"),
    "predict": ("xpnet.cli.predict", "classify your own pictures with a saved model"),
    "info": ("xpnet.cli.info", "summarise a saved model"),
    "export": ("xpnet.cli.export", "write a saved model as ONNX"),
    "search": ("xpnet.cli.search", "random hyperparameter search, in parallel on Dask"),
    "reproduce": ("xpnet.reproduce", "train the course's networks and compare with its numbers"),
    "bench": ("xpnet.benchmarks", "time training on each backend"),
}

#: Exceptions that report a mistake in the command or its input (a file, a setting).
USER_ERRORS = (CLIError, ValueError, TypeError, OSError, ImportError, FloatingPointError)


class _Formatter(argparse.HelpFormatter):
    """Wrap one-paragraph texts; keep texts with line breaks (the data formats) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line that points to ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _add_command(sub: Any, common: argparse.ArgumentParser, name: str, load_it: bool) -> None:
    """Register ``name``; with ``load_it`` its module is imported and adds its options."""
    module_name, help_text = COMMANDS[name]
    p = sub.add_parser(name, parents=[common], formatter_class=_Formatter, help=help_text,
                       description=help_text)
    if load_it:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise CLIError(f"'xpnet {name}' is not available in this installation: importing "
                           f"{module_name} failed ({exc})") from None
        module.add_arguments(p)
        p.set_defaults(func=module.run)


def build_parser(load: Collection[str] = ()) -> argparse.ArgumentParser:
    """The ``xpnet`` parser. Every command of :data:`COMMANDS` is listed; the modules of those
    in ``load`` are imported and add their options (``build_parser(COMMANDS)``: all of them)."""
    unknown = [name for name in load if name not in COMMANDS]
    if unknown:
        raise ValueError(f"no xpnet command {', '.join(map(repr, unknown))}; the commands are "
                         f"{', '.join(COMMANDS)}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    parser = _Parser(prog="xpnet", description="Fully-connected deep networks in the "
                     "deeplearning.ai style on NumPy, CuPy, PyTorch, JAX or array-api-strict.",
                     epilog="'xpnet COMMAND --help' describes a command.")
    parser.add_argument("--version", action="version", version=f"xpnet {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        _add_command(sub, common, name, name in load)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _one_line(exc: BaseException) -> str:
    """The error as one line; exceptions that are not the user's to fix also name their type."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        text = f"{exc.strerror}: {exc.filename}"
    elif isinstance(exc, USER_ERRORS):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc} (run with --debug for the traceback)"
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``xpnet ARGS``; return the exit status (0, or 2 after an error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        command = _command_of(argv)
        parser = build_parser(load=[command] if command in COMMANDS else [])
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("xpnet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `xpnet info ... | head`: the reader left; leave quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if "--debug" in argv:
            raise
        print(f"xpnet: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
