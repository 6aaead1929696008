"""``crossentropy tour``: the guided walkthrough, step by step.

Parsing and output here; the steps live in :mod:`crossentropy.tour`, imported inside
the handler so that ``crossentropy tour --help`` starts without NumPy. Each step is
shown as it finishes (rich tables when rich is installed, plain text otherwise; JSON
with ``--json``); figures go to ``--out`` and never replace a file without ``--force``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from crossentropy.cli._common import UsageError, print_json

if TYPE_CHECKING:
    import argparse

    from crossentropy.tour import StepResult

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["add_parser"]

_DESCRIPTION = """\
A guided tour of cross-entropy in eight short steps, each with an explanation, a table
computed by the library and, where it helps, a figure (PNG):

  1 surprise (information)      5 the Iris network, row by row
  2 entropy                     6 squared error versus cross-entropy, and their slopes
  3 cross-entropy and KL        7 the experiment: training with each loss
  4 class labels (0.92, 0.36)   8 scoring the trained model
"""


def add_parser(commands: Subparsers, summary: str) -> None:
    """Register ``crossentropy tour``."""
    import argparse  # the caller has it loaded already

    tour = commands.add_parser(
        "tour",
        help=summary,
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tour.add_argument(
        "--step", type=int, choices=range(1, 9), metavar="N", help="run only step N (1-8)"
    )
    tour.add_argument("--no-plots", action="store_true", help="draw no figures, write nothing")
    tour.add_argument(
        "--out",
        default="tour-output",
        metavar="DIR",
        help="folder for the figures (default: ./tour-output, created when missing)",
    )
    tour.add_argument("--force", action="store_true", help="replace existing figure files")
    tour.add_argument(
        "--json", action="store_true", help="machine-readable output on stdout, nothing else"
    )
    tour.set_defaults(handler=_tour)


def _console(as_json: bool) -> Any:
    if as_json:
        return None
    try:
        from rich.console import Console  # rich is optional
    except ImportError:
        return sys.stdout
    return Console(highlight=False)


def _as_dict(step: StepResult) -> dict[str, Any]:
    return {
        "number": step.number,
        "title": step.title,
        "text": step.text,
        "tables": [
            {"title": t.title, "columns": list(t.columns), "rows": [list(r) for r in t.rows]}
            for t in step.tables
        ],
        "figures": [str(path) for path in step.figures],
        "numbers": dict(step.numbers),
    }


def _tour(args: argparse.Namespace) -> int:
    from crossentropy.scoring import OutputExistsError  # keep --help light
    from crossentropy.tour import run_tour

    steps = None if args.step is None else [args.step]
    try:
        results = run_tour(
            steps,
            plots=not args.no_plots,
            out=args.out,
            force=args.force,
            console=_console(args.json),
        )
    except (OutputExistsError, ImportError) as error:
        raise UsageError(str(error)) from None
    if args.json:
        print_json([_as_dict(step) for step in results])
    return 0
