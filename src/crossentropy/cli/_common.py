"""What the commands share: the usage error, small parsers, JSON, progress, parallel work.

Light on purpose: it imports no NumPy (rich and Dask only inside the functions that use
them), so ``crossentropy --help`` and every ``COMMAND --help`` stay fast.

One behaviour for every command:

* **JSON** (``--json``): :func:`print_json` writes the document through
  :func:`crossentropy._json.dumps`, with non-finite numbers as ``"inf"``, ``"-inf"``,
  ``"nan"``, and nothing else on stdout.
* **Progress** (:class:`Progress`): a transient line on stderr, shown only when stderr is
  a terminal, rich is installed and ``--quiet`` was not given. It never touches stdout.
* **Parallel work** (:func:`add_parallel_options`, :func:`dask_client`): ``--workers N``
  runs on N local worker processes; ``--dask local`` starts a Dask cluster on this
  machine with one single-threaded worker process per core; ``--dask ADDRESS`` connects
  to the scheduler at ADDRESS, waiting at most :data:`DASK_CONNECT_TIMEOUT_S` seconds
  (Dask's own default). The two flags exclude each other.
"""

from __future__ import annotations

import contextlib
import sys
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from crossentropy._json import dumps, json_number

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

__all__ = [
    "DASK_CONNECT_TIMEOUT_S",
    "Progress",
    "UsageError",
    "add_parallel_options",
    "check_parallel_options",
    "dask_client",
    "json_number",
    "parse_distribution",
    "print_json",
]

#: Seconds ``--dask ADDRESS`` waits for the scheduler (Dask's default connect timeout).
DASK_CONNECT_TIMEOUT_S = 30


class UsageError(Exception):
    """Bad input on the command line: reported in one line, exit status 2."""


def parse_distribution(text: str, name: str) -> list[float]:
    """Parse ``"0.4,0.4,0.2"`` (fractions such as ``1/3`` allowed) into floats."""
    items = [item.strip() for item in text.replace(";", ",").split(",")]
    if not text.strip() or any(not item for item in items):
        msg = f"--{name} must be comma-separated numbers such as 0.4,0.4,0.2, got {text!r}"
        raise UsageError(msg)
    values: list[float] = []
    for position, item in enumerate(items):
        try:
            value = float(Fraction(item))
        except (ValueError, ZeroDivisionError):
            msg = f"--{name}: entry {position} is not a number: {item!r}"
            raise UsageError(msg) from None
        values.append(value)
    return values


def print_json(payload: Any) -> None:
    """Print ``payload`` as the command's JSON document (non-finite numbers as text)."""
    print(dumps(payload))


# ----------------------------------------------------------------------------- progress


class Progress:
    """A transient progress line on stderr: a bar when ``total`` is known, else a spinner.

    Shown only when ``enabled``, stderr is a terminal and rich is installed; otherwise
    every method does nothing. ``update(text)`` replaces the text, ``advance(n)`` moves
    the bar. Lines printed to a terminal stdout meanwhile are routed above it; to a file
    or a pipe they go straight to stdout.
    """

    def __init__(self, label: str, *, total: int | None = None, enabled: bool = True) -> None:
        self._label, self._total = label, total
        self._bar: Any = None
        self._task: Any = None
        self.enabled = enabled and sys.stderr.isatty()

    def __enter__(self) -> Progress:
        if not self.enabled:
            return self
        try:
            import rich.live  # noqa: F401 - what rich.progress draws with; absent: no line
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress
        except ImportError:  # rich is the optional extra
            self.enabled = False
            return self
        columns: list[Any] = [TextColumn("{task.description}")]
        if self._total is None:
            columns.insert(0, SpinnerColumn("dots"))
        else:
            columns += [BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        self._bar = RichProgress(
            *columns,
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=sys.stdout.isatty(),
            redirect_stderr=False,
            refresh_per_second=8,
        )
        self._bar.start()
        self._task = self._bar.add_task(self._label, total=self._total)
        return self

    def update(self, text: str) -> None:
        """Show ``text`` as the line's description."""
        if self._bar is not None:
            self._bar.update(self._task, description=text)
            self._bar.refresh()

    def advance(self, amount: int) -> None:
        """Move the bar on by ``amount``."""
        if self._bar is not None:
            self._bar.update(self._task, advance=amount)

    def __exit__(self, *_exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


# ------------------------------------------------------------------------ parallel work


def add_parallel_options(parser: argparse.ArgumentParser, what: str) -> None:
    """Add the mutually exclusive ``--workers N`` and ``--dask ADDRESS`` to ``parser``.

    ``what`` says what is spread over them (shown in the help).
    """
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"{what} in N local worker processes",
    )
    where.add_argument(
        "--dask",
        metavar="ADDRESS",
        help=f"{what} on a Dask cluster: 'local' starts one on this machine (a worker "
        "process per core), otherwise the scheduler's address, e.g. tcp://10.0.0.1:8786 "
        "(needs the dask extra)",
    )


def check_parallel_options(args: argparse.Namespace) -> None:
    """Refuse ``--workers`` below 1."""
    if args.workers is not None and args.workers < 1:
        msg = f"--workers must be at least 1, got {args.workers}"
        raise UsageError(msg)


@contextlib.contextmanager
def dask_client(address: str, *, workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: a local cluster for ``"local"``, else the scheduler's.

    The local cluster has ``workers`` single-threaded worker processes (default: one per
    core); it and the client are closed on exit. An address that cannot be reached within
    :data:`DASK_CONNECT_TIMEOUT_S` seconds is a :class:`UsageError`.
    """
    try:
        import distributed  # the dask extra
    except ImportError:
        msg = "--dask needs Dask's distributed scheduler: pip install 'crossentropy[dask]'"
        raise UsageError(msg) from None
    with contextlib.ExitStack() as stack:
        if address == "local":
            import os

            # ":0": a free port. The scheduler's HTTP server starts even without a
            # dashboard, on 8787 by default, and warns when another cluster holds it.
            cluster = distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                dashboard_address=":0",
            )
            stack.enter_context(cluster)
            client = stack.enter_context(distributed.Client(cluster))
        else:
            try:
                client = stack.enter_context(
                    distributed.Client(address, timeout=DASK_CONNECT_TIMEOUT_S)
                )
            except (OSError, TimeoutError, ValueError) as exc:
                msg = f"--dask {address}: cannot reach the Dask scheduler ({exc})"
                raise UsageError(msg) from None
        yield client
