"""The ``crossentropy`` command line.

A thin layer over the library: argument parsing here, numbers in the library. The
commands are listed in :data:`crossentropy.cli._registry.COMMANDS` and each lives in
its own module (``compute``, ``examples``, ``score``, ``tour``, ``experiment``,
``bench``, ``cem/``), imported only when that command runs; so ``crossentropy --help``
starts without importing NumPy or any command. Errors in the input are reported on
stderr in one line with exit status 2 (an interrupt exits 130, a closed pipe such as
``| head`` 1, both without a traceback); ``--json`` prints machine-readable output (and
nothing else) on stdout. What the commands share is in :mod:`crossentropy.cli._common`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from typing import TYPE_CHECKING

from crossentropy._version import __version__
from crossentropy.cli._common import UsageError
from crossentropy.cli._registry import COMMANDS

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence

__all__ = ["build_parser", "main"]


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser, with the full parsers of ``commands`` (default: all of them).

    The other commands get a placeholder that only carries their summary, so that
    ``crossentropy --help`` lists them without importing their modules.
    """
    parser = argparse.ArgumentParser(
        prog="crossentropy",
        description=(
            "Information measures, cross-entropy and the cross-entropy method, correctly and fast."
        ),
        epilog="Run 'crossentropy COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"crossentropy {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, info in COMMANDS.items():
        if commands is None or name in commands:
            importlib.import_module(info.module).add_parser(subparsers, info.summary)
        else:
            subparsers.add_parser(name, help=info.summary, add_help=False)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``: the first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def _one_line(message: str) -> str:
    r"""``message`` on one line, its control characters (a file's cells may hold them) escaped.

    An error is one line on stderr, whatever text from the user's files it quotes: lines
    are joined with '; ', and tabs, escape sequences or Unicode line separators are shown
    as ``\\t``, ``\\x1b``, ``\\u2028`` rather than sent to the terminal.
    """
    parts = [part.strip() for part in message.replace("\r\n", "\n").split("\n")]
    text = "; ".join(part for part in parts if part)
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(words)
    parser = build_parser([command] if command in COMMANDS else [])
    args = parser.parse_args(words)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    prefix = getattr(args, "error_prefix", None) or f"crossentropy {args.command}"
    try:
        return handler(args)
    except UsageError as exc:
        print(f"{prefix}: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (`| head`): stop quietly, as Python advises
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
