"""``crossentropy cem``: the cross-entropy method on the shipped problems, from the shell.

Each subcommand builds a problem of :mod:`crossentropy.method.problems` and its sampling
family, runs :func:`~crossentropy.method.minimize` / :func:`~crossentropy.method.maximize`
or :func:`~crossentropy.method.estimate_rare_event` with the settings it prints, and
shows the iteration table and the answer beside the known one. This module builds the
parsers; the handlers are in ``_optimize`` (maxcut, tsp, knapsack, continuous, buffer)
and ``_rare_event``, their checks in ``_checks``, the running and printing in ``_run``.
The problems themselves say how to start (``initial_family()``, ``nominal_family()``,
``default_sample_size``, ``default_rho``). ``--json`` prints the same as one JSON document and
nothing else on stdout. NumPy and the library are imported inside the handlers, so
``crossentropy cem --help`` starts without them.

Parallel evaluation: every shipped problem is vectorised, so ``--workers N`` and
``--dask ADDRESS`` cut each sample into contiguous chunks, evaluate the chunks as tasks
and put the values back in order (``estimate_rare_event`` does the same with its
``executor``). A problem evaluates a batch to the same bits as its rows one at a time,
so the result equals the serial one for the same seed; it pays off only when
evaluations are expensive (large samples, large instances).
"""

from __future__ import annotations

import argparse
from functools import partial
from typing import TYPE_CHECKING

from crossentropy.cli._common import add_parallel_options
from crossentropy.cli.cem import _optimize
from crossentropy.cli.cem._checks import run_reporting_errors
from crossentropy.cli.cem._rare_event import rare_event

if TYPE_CHECKING:
    from collections.abc import Callable

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["add_parser"]


# ----------------------------------------------------------------------------- parser


def _common_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--seed",
        type=int,
        help="seed of the random generator (default: drawn at random and printed, so "
        "the run can be repeated)",
    )
    parent.add_argument(
        "--json",
        action="store_true",
        help='print the result and the iteration log as JSON, nothing else (infinities as "inf")',
    )
    # Contiguous chunks of each sample: the result equals the serial one; worth it only
    # for expensive evaluations.
    add_parallel_options(parent, "evaluate each sample")
    return parent


def _optimizer_options(sample_size: str, rho: str = "0.1") -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--sample-size", type=int, metavar="N", help=f"candidates per iteration ({sample_size})"
    )
    parent.add_argument("--rho", type=float, help=f"elite fraction, in (0, 1) (default {rho})")
    parent.add_argument(
        "--alpha", type=float, help="smoothing weight of the update, in (0, 1] (default 0.7)"
    )
    parent.add_argument(
        "--max-iterations", type=int, default=1000, metavar="T", help="default 1000"
    )
    parent.add_argument(
        "--restarts",
        type=int,
        default=0,
        metavar="K",
        help="start again from scratch up to K times when a run stalls (default 0)",
    )
    return parent


def _rare_event_options(rho: str, alpha: str) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--sample-size", type=int, default=1000, metavar="N", help="samples per level (1000)"
    )
    parent.add_argument("--rho", type=float, help=f"elite fraction, in (0, 1) (default {rho})")
    parent.add_argument(
        "--alpha", type=float, help=f"smoothing weight, in (0, 1] (default {alpha})"
    )
    parent.add_argument(
        "--final-sample-size",
        type=int,
        default=100_000,
        metavar="N1",
        help="the fresh sample of the final estimate (100000)",
    )
    parent.add_argument("--max-levels", type=int, default=50, help="give up after (50)")
    parent.add_argument(
        "--confidence", type=float, default=0.95, help="of the interval, in (0, 1) (0.95)"
    )
    return parent


def _add_problem(
    kinds: Subparsers,
    name: str,
    handler: Callable[[argparse.Namespace], int],
    parents: list[argparse.ArgumentParser],
    *,
    help: str,
    description: str,
) -> argparse.ArgumentParser:
    parser = kinds.add_parser(name, parents=parents, help=help, description=description)
    parser.set_defaults(handler=partial(run_reporting_errors, handler), error_prefix=parser.prog)
    return parser


def _help_of(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def show(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    return show


def add_parser(commands: Subparsers, summary: str) -> None:
    """Add ``cem`` and its subcommands to the ``crossentropy`` parser's ``commands``."""
    cem = commands.add_parser(
        "cem",
        help=summary,
        description=(
            "Run the cross-entropy method on the problems shipped with "
            "crossentropy.method.problems: an iteration table (t, elite level, best, "
            "family summary) and the answer beside the known one."
        ),
        epilog="Run 'crossentropy cem PROBLEM --help' for a problem's options.",
    )
    cem.set_defaults(handler=_help_of(cem))
    kinds = cem.add_subparsers(dest="cem_command", metavar="PROBLEM")
    common = _common_options()

    rare = kinds.add_parser(
        "rare-event",
        help="estimate a rare-event probability (bridge, network, limit-state)",
        description="Multilevel cross-entropy estimates of rare-event probabilities "
        "with known exact values.",
    )
    rare.set_defaults(handler=_help_of(rare))
    events = rare.add_subparsers(dest="event", metavar="EVENT")
    bridge = _add_problem(
        events,
        "bridge",
        rare_event,
        [common, _rare_event_options("0.1", "1")],
        help="the tutorial's bridge network: P(shortest path >= threshold)",
        description="P(S(X) >= threshold) for the shortest path S through the bridge "
        "network with exponential edge lengths of means (0.25, 0.4, 0.1, 0.3, 0.2); "
        "the exact value comes from quadrature (1.3425e-05 at threshold 2).",
    )
    bridge.add_argument("--threshold", type=float, default=2.0, help="gamma (default 2)")
    network = _add_problem(
        events,
        "network",
        rare_event,
        [common, _rare_event_options("0.01", "0.7")],
        help="network unreliability: independent edge failures cut source from terminal",
        description="The probability that independent edge failures disconnect the "
        "source from the terminal, exact by enumeration. Smoothing (alpha < 1) keeps "
        "every edge able to fail; rho must be small enough that the elite level rises "
        "above 'no edge failed' (see the README).",
    )
    network.add_argument(
        "--graph", choices=["bridge", "grid"], default="bridge", help="default bridge"
    )
    network.add_argument(
        "--failure-probability",
        type=float,
        default=0.01,
        metavar="Q",
        help="of every edge (default 0.01)",
    )
    network.add_argument("--rows", type=int, help="of the grid (default 3)")
    network.add_argument("--cols", type=int, help="of the grid (default 4)")
    limit = _add_problem(
        events,
        "limit-state",
        rare_event,
        [common, _rare_event_options("0.1", "1")],
        help="structural reliability: P(g(X) <= 0) for standard normal inputs",
        description="Linear limit states in standard normal space: one, "
        "g(x) = beta - sum(x)/sqrt(d) with P_f = Phi(-beta), or the series system "
        "min(3.5 - x1, 4 - 0.6 x1 - 0.8 x2); exact values by quadrature.",
    )
    limit.add_argument("--system", choices=["linear", "series"], default="linear")
    limit.add_argument("--beta", type=float, help="reliability index of 'linear' (default 4)")
    limit.add_argument("--dim", type=int, help="inputs of 'linear' (default 2)")

    combinatorial = _optimizer_options("default max(1000, 10 n)")
    maxcut = _add_problem(
        kinds,
        "maxcut",
        _optimize.maxcut,
        [common, combinatorial],
        help="max-cut: a graph file, a shipped graph, or the tutorial's planted instance",
        description="Maximise the weight of a cut with a Bernoulli family (node 1 fixed "
        "on side 0). FILE has a header 'n_nodes n_edges' and lines 'i j w' (nodes from 1).",
    )
    maxcut.add_argument("file", nargs="?", metavar="FILE", help="an edge-list file")
    maxcut.add_argument("--instance", help="a shipped graph: petersen, random20")
    maxcut.add_argument(
        "--planted", metavar="N,M", help="the planted instance: N nodes, first block of M"
    )
    maxcut.add_argument(
        "--c", type=float, default=1.0, help="cross-block weight of --planted (default 1)"
    )
    maxcut.add_argument(
        "--instance-seed", type=int, default=0, help="seed of --planted's weights (default 0)"
    )
    maxcut.add_argument("--optimum", type=float, help="the known optimum of FILE, for the gap")
    tsp = _add_problem(
        kinds,
        "tsp",
        _optimize.tsp,
        [common, _optimizer_options("default 10 n^2", rho="0.02")],
        help="travelling salesman: a TSPLIB file, a shipped instance or random cities",
        description="Minimise the tour length with a Markov-chain (permutation) family.",
    )
    tsp.add_argument("file", nargs="?", metavar="FILE.tsp", help="a TSPLIB file")
    tsp.add_argument(
        "--instance", help="a shipped instance: burma14, ulysses16, gr17, att48, berlin52"
    )
    tsp.add_argument(
        "--random",
        type=int,
        metavar="N",
        help="N uniform random cities (optimum by Held-Karp up to 16 cities)",
    )
    tsp.add_argument(
        "--instance-seed", type=int, default=0, help="seed of --random's cities (default 0)"
    )
    tsp.add_argument("--optimum", type=float, help="the known optimum of FILE, for the gap")
    knapsack = _add_problem(
        kinds,
        "knapsack",
        _optimize.knapsack,
        [common, combinatorial],
        help="0/1 knapsack: a file or a shipped instance",
        description="Maximise the value within the capacity with a Bernoulli family; an "
        "overfull selection scores minus its excess weight. FILE has a header "
        "'n capacity' and n lines 'value weight'.",
    )
    knapsack.add_argument("file", nargs="?", metavar="FILE", help="a knapsack file")
    knapsack.add_argument("--instance", help="a shipped instance: p01, p07, corr40")
    knapsack.add_argument("--optimum", type=float, help="the known optimum of FILE, for the gap")
    continuous = _add_problem(
        kinds,
        "continuous",
        _optimize.continuous,
        [common, _optimizer_options("default max(50, 10 d)")],
        help="continuous test functions with known optima",
        description="Optimise a test function with a Gaussian family truncated to its "
        "box, started at the centre with standard deviations of half the width.",
    )
    continuous.add_argument(
        "name", choices=_optimize.CONTINUOUS, metavar="NAME", help=", ".join(_optimize.CONTINUOUS)
    )
    continuous.add_argument("--dim", type=int, help="dimension (default 2; peaks 2, two-bump 1)")
    buffer = _add_problem(
        kinds,
        "buffer",
        _optimize.buffer,
        [common, _optimizer_options("default max(50, 10 B)")],
        help="buffer allocation in a production line (a noisy simulation)",
        description="Share B buffer slots among the buffers of a serial line of "
        "exponential machines to maximise the simulated throughput: a categorical family "
        "over which buffer gets each slot. Each iteration simulates its whole sample with "
        "common random numbers, so the elite level is noisy and a run ends when the family "
        "has collapsed, not when the level stalls. The known optimum is exact (Markov "
        "chain).",
    )
    buffer.add_argument(
        "--rates", default="1,1,1,1", help="machine rates, comma-separated (default 1,1,1,1)"
    )
    buffer.add_argument("--total-buffer", type=int, default=6, metavar="B", help="default 6")
    buffer.add_argument("--jobs", type=int, default=2000, help="jobs per replication (2000)")
    buffer.add_argument(
        "--replications", type=int, default=1, help="replications per evaluation (1)"
    )
