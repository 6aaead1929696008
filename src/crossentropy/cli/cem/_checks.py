"""The checks and guards of ``crossentropy cem``: ranges, the seed, loading a problem.

Each turns a bad value into a :class:`~crossentropy.cli._common.UsageError` that names
the flag, so the command exits 2 with one line.
"""

from __future__ import annotations

import secrets
import sys
from typing import TYPE_CHECKING, Any

from crossentropy.cli._common import UsageError, check_parallel_options
from crossentropy.cli.cem._run import NoAnswerError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

__all__ = [
    "MAX_DIMENSION",
    "MAX_SAMPLE",
    "check_at_least",
    "check_at_most",
    "check_range",
    "checked_seed",
    "load_or_usage_error",
    "one_based",
    "run_reporting_errors",
    "which_source",
]


def run_reporting_errors(
    handler: Callable[[argparse.Namespace], int], args: argparse.Namespace
) -> int:
    """Run ``handler``: no answer exits 1 with one line (interrupts: see ``cli.main``)."""
    try:
        return handler(args)
    except NoAnswerError as exc:
        print(f"{args.error_prefix}: error: {exc}", file=sys.stderr)
        return 1


def check_range(flag: str, value: float | None, low: float, high: float, *, closed: bool) -> None:
    inside = value is None or (low < value <= high if closed else low < value < high)
    if not inside:
        msg = f"{flag} must be in ({low:g}, {high:g}{']' if closed else ')'}, got {value:g}"
        raise UsageError(msg)


def check_at_least(flag: str, value: int | None, minimum: int) -> None:
    if value is not None and value < minimum:
        msg = f"{flag} must be at least {minimum}, got {value}"
        raise UsageError(msg)


def check_at_most(flag: str, value: int | None, maximum: int, why: str) -> None:
    if value is not None and value > maximum:
        msg = f"{flag} must be at most {maximum} ({why}), got {value}"
        raise UsageError(msg)


#: The largest sample a command draws at once: 10^8 candidates (with a few coordinates
#: each, gigabytes of memory); larger ones are refused before any work.
MAX_SAMPLE = 10**8
#: The largest dimension of the continuous problems and limit states.
MAX_DIMENSION = 10_000


def checked_seed(args: argparse.Namespace) -> int:
    """Check the shared options; return the seed (drawn at random when not given)."""
    check_range("--rho", args.rho, 0.0, 1.0, closed=False)
    check_range("--alpha", args.alpha, 0.0, 1.0, closed=True)
    check_range("--confidence", getattr(args, "confidence", None), 0.0, 1.0, closed=False)
    check_at_least("--sample-size", args.sample_size, 2)
    check_parallel_options(args)
    check_at_least("--restarts", getattr(args, "restarts", None), 0)
    for flag in ("--max-iterations", "--max-levels", "--final-sample-size"):
        check_at_least(flag, getattr(args, flag[2:].replace("-", "_"), None), 1)
    for flag in ("--sample-size", "--final-sample-size"):
        value = getattr(args, flag[2:].replace("-", "_"), None)
        check_at_most(flag, value, MAX_SAMPLE, "one sample must fit in memory")
    check_at_most("--dim", getattr(args, "dim", None), MAX_DIMENSION, "the largest supported")
    if args.seed is not None and not 0 <= args.seed < 2**64:
        msg = f"--seed must be an integer in [0, 2**64), got {args.seed}"
        raise UsageError(msg)
    return int(args.seed) if args.seed is not None else secrets.randbelow(2**32)


def load_or_usage_error(
    function: Callable[..., Any],
    *arguments: Any,
    flags: dict[str, str] | None = None,
    **options: Any,
) -> Any:
    """Call a problem's constructor or reader; a ValueError or OSError is a usage error.

    ``flags`` renames the library's parameter names in the message to the command's.
    """
    try:
        return function(*arguments, **options)
    except OSError as exc:
        where = exc.filename if exc.filename is not None else arguments[0]
        msg = f"cannot read {where}: {exc.strerror or exc}"
        raise UsageError(msg) from None
    except UnicodeDecodeError:
        msg = f"cannot read {arguments[0]}: not a UTF-8 text file"
        raise UsageError(msg) from None
    except (ValueError, TypeError) as exc:  # a malformed file, a name not shipped
        message = str(exc)
        for name, flag in (flags or {}).items():
            message = message.replace(name, flag, 1)
        raise UsageError(message) from None


def which_source(args: argparse.Namespace, choices: dict[str, object]) -> str:
    """Which one of ``choices`` (FILE, --instance, ...) was given; exactly one must be."""
    given = [name for name, value in choices.items() if value is not None]
    if len(given) != 1:
        got = f", got {' and '.join(given)}" if given else ""
        msg = f"give exactly one of {' | '.join(choices)}{got}"
        raise UsageError(msg)
    if args.optimum is not None and given[0] != "FILE":
        msg = f"--optimum is for FILE; {given[0]} has its own"
        raise UsageError(msg)
    return given[0]


def one_based(indices: Any) -> str:
    """0-based indices as the 1-based numbers that the files use."""
    return " ".join(str(int(i) + 1) for i in indices)
