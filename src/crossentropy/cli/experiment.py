"""``crossentropy experiment ce-vs-squared``: cross-entropy against squared residuals.

The numbers come from :func:`crossentropy.models.ce_vs_squared`, imported inside the
handler so that ``--help`` starts without NumPy. A table (or ``--json``) on stdout; the
figure (``--plot FILE.png``) is written atomically and never replaces a file without
``--force``.
"""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING, Any

from crossentropy.cli._common import UsageError, print_json

if TYPE_CHECKING:
    import argparse

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["add_parser"]

_DEFAULT_TARGETS = {"iris": 0.9, "synthetic": 0.7}  # synthetic's classes overlap: ~75% at best


def add_parser(commands: Subparsers, summary: str) -> None:
    """Register ``crossentropy experiment``."""
    experiment = commands.add_parser(
        "experiment",
        help=summary,
        description="Experiments that check what the tutorials claim, with numbers.",
    )
    which = experiment.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
    ce = which.add_parser(
        "ce-vs-squared",
        help="does cross-entropy train faster than squared residuals?",
        description=(
            "Train the same softmax MLP from the same initial weights with cross-entropy "
            "and with the sum of squared residuals (plain SGD, the same batches), over "
            "many seeds, and report the epochs each needs to reach a target training "
            "accuracy and the held-out log loss."
        ),
    )
    ce.add_argument(
        "--problem",
        choices=["iris", "synthetic", "both"],
        default="both",
        help="Iris, a harder synthetic 5-class problem with overlapping classes, or both",
    )
    ce.add_argument("--seeds", type=int, default=20, help="seeds per loss (default 20)")
    ce.add_argument("--epochs", type=int, default=100, help="epochs per run (default 100)")
    ce.add_argument(
        "--target",
        type=float,
        help="target training accuracy (default: 0.9 on iris, 0.7 on the harder synthetic)",
    )
    ce.add_argument("--learning-rate", type=float, default=0.1, help="SGD step (default 0.1)")
    ce.add_argument("--json", action="store_true", help="JSON on stdout, nothing else")
    ce.add_argument("--plot", metavar="FILE.png", help="write the training curves as PNG")
    ce.add_argument("--force", action="store_true", help="replace an existing --plot file")
    ce.set_defaults(handler=_ce_vs_squared)


def _ce_vs_squared(args: argparse.Namespace) -> int:
    if args.seeds < 1 or args.epochs < 1:
        msg = f"--seeds and --epochs must be >= 1, got {args.seeds} and {args.epochs}"
        raise UsageError(msg)
    if args.target is not None and not 0 < args.target <= 1:
        msg = f"--target must be in (0, 1], got {args.target}"
        raise UsageError(msg)
    from crossentropy.scoring import OutputExistsError, check_writable

    if args.plot:
        try:
            check_writable(args.plot, force=args.force, what="--plot")
        except (OutputExistsError, FileNotFoundError, IsADirectoryError) as exc:
            raise UsageError(str(exc)) from None
    from crossentropy.models import ce_vs_squared  # keep --help light

    problems = ["iris", "synthetic"] if args.problem == "both" else [args.problem]
    results = [
        ce_vs_squared(
            problem,
            seeds=args.seeds,
            epochs=args.epochs,
            target_accuracy=args.target or _DEFAULT_TARGETS[problem],
            learning_rate=args.learning_rate,
        )
        for problem in problems
    ]
    if args.plot:
        _plot(results, args.plot, force=args.force)
    if args.json:
        print_json([r.to_dict() for r in results])
        return 0
    for result in results:
        _print_table(result)
    if args.plot:
        print(f"wrote {args.plot}")
    return 0


def _fmt(value: float, spec: str = ".1f") -> str:
    return "-" if math.isnan(value) else format(value, spec)


def _print_table(result: Any) -> None:
    print(
        f"{result.problem}: {result.seeds} seeds, {result.epochs} epochs, "
        f"target training accuracy {result.target_accuracy:.0%}"
    )
    print(
        f"  {'loss':<14} {'reached':>8} {'median epochs':>14} {'quartiles':>12} "
        f"{'held-out log loss':>18} {'held-out acc.':>14}"
    )
    for name, summary in result.results.items():
        low, high = summary.quartiles()
        losses = summary.final_log_loss
        spread = statistics.stdev(losses) if len(losses) > 1 else 0.0
        print(
            f"  {name:<14} {summary.reached:>3}/{result.seeds:<4} "
            f"{_fmt(summary.median_epochs):>14} "
            f"{_fmt(low, '.0f') + '-' + _fmt(high, '.0f'):>12} "
            f"{sum(losses) / len(losses):>11.4f} ± {spread:.4f} "
            f"{sum(summary.final_accuracy) / len(losses):>13.1%}"
        )


def _plot(results: list[Any], path: str, *, force: bool) -> None:
    from crossentropy._figures import png_bytes
    from crossentropy.models import ce_vs_squared_figure
    from crossentropy.scoring import write_atomically

    data = png_bytes(ce_vs_squared_figure(results), dpi=120)
    write_atomically(path, data, force=force, what="--plot")
