"""``crossentropy cem``: the cross-entropy method on the shipped problems, from the shell.

Each subcommand builds a problem of :mod:`crossentropy.method.problems` and its sampling
family, runs :func:`~crossentropy.method.minimize` / :func:`~crossentropy.method.maximize`
or :func:`~crossentropy.method.estimate_rare_event` with the settings it prints, and
shows the iteration table and the answer beside the known one (running and printing:
:mod:`crossentropy._cli_cem_run`). ``--json`` prints the same as one JSON document and
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
import contextlib
import dataclasses
import os
import secrets
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

from crossentropy._cli_cem_run import NoAnswerError, Setup, estimate, optimize, vector
from crossentropy._cli_common import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    from numpy.typing import NDArray

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["add_cem_parser"]

_CONTINUOUS = ("sphere", "rosenbrock", "rastrigin", "ackley", "peaks", "two-bump")
_FIXED_DIMENSION = {"peaks": 2, "two-bump": 1}


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
    where = parent.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="evaluate each sample in N worker processes, in contiguous chunks (the "
        "result equals the serial one; worth it only for expensive evaluations)",
    )
    where.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="evaluate on a Dask cluster: 'local' starts one in this process, otherwise "
        "the scheduler's address, e.g. tcp://10.0.0.1:8786 (needs the dask extra)",
    )
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


def _leaf(
    kinds: Subparsers,
    name: str,
    handler: Callable[[argparse.Namespace], int],
    parents: list[argparse.ArgumentParser],
    *,
    help: str,
    description: str,
) -> argparse.ArgumentParser:
    parser = kinds.add_parser(name, parents=parents, help=help, description=description)
    parser.set_defaults(handler=partial(_guarded, handler), error_prefix=parser.prog)
    return parser


def _help_of(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def show(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    return show


def add_cem_parser(commands: Subparsers) -> None:
    """Add ``cem`` and its subcommands to the ``crossentropy`` parser's ``commands``."""
    cem = commands.add_parser(
        "cem",
        help="the cross-entropy method: rare events and optimisation on known problems",
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
    bridge = _leaf(
        events,
        "bridge",
        _rare_event,
        [common, _rare_event_options("0.1", "1")],
        help="the tutorial's bridge network: P(shortest path >= threshold)",
        description="P(S(X) >= threshold) for the shortest path S through the bridge "
        "network with exponential edge lengths of means (0.25, 0.4, 0.1, 0.3, 0.2); "
        "the exact value comes from quadrature (1.3425e-05 at threshold 2).",
    )
    bridge.add_argument("--threshold", type=float, default=2.0, help="gamma (default 2)")
    network = _leaf(
        events,
        "network",
        _rare_event,
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
    limit = _leaf(
        events,
        "limit-state",
        _rare_event,
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
    maxcut = _leaf(
        kinds,
        "maxcut",
        _maxcut,
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
    tsp = _leaf(
        kinds,
        "tsp",
        _tsp,
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
    knapsack = _leaf(
        kinds,
        "knapsack",
        _knapsack,
        [common, combinatorial],
        help="0/1 knapsack: a file or a shipped instance",
        description="Maximise the value within the capacity with a Bernoulli family; an "
        "overfull selection scores minus its excess weight. FILE has a header "
        "'n capacity' and n lines 'value weight'.",
    )
    knapsack.add_argument("file", nargs="?", metavar="FILE", help="a knapsack file")
    knapsack.add_argument("--instance", help="a shipped instance: p01, p07, corr40")
    knapsack.add_argument("--optimum", type=float, help="the known optimum of FILE, for the gap")
    continuous = _leaf(
        kinds,
        "continuous",
        _continuous,
        [common, _optimizer_options("default max(50, 10 d)")],
        help="continuous test functions with known optima",
        description="Optimise a test function with a Gaussian family truncated to its "
        "box, started at the centre with standard deviations of half the width.",
    )
    continuous.add_argument(
        "name", choices=_CONTINUOUS, metavar="NAME", help=", ".join(_CONTINUOUS)
    )
    continuous.add_argument("--dim", type=int, help="dimension (default 2; peaks 2, two-bump 1)")
    buffer = _leaf(
        kinds,
        "buffer",
        _buffer,
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


# ----------------------------------------------------------------------------- checks


def _guarded(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run ``handler``: no answer exits 1, an interrupt 130, each with one line."""
    try:
        return handler(args)
    except NoAnswerError as exc:
        print(f"{args.error_prefix}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{args.error_prefix}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (`| head`): stop quietly, as Python advises
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _check(flag: str, value: float | None, low: float, high: float, *, closed: bool) -> None:
    inside = value is None or (low < value <= high if closed else low < value < high)
    if not inside:
        msg = f"{flag} must be in ({low:g}, {high:g}{']' if closed else ')'}, got {value:g}"
        raise UsageError(msg)


def _at_least(flag: str, value: int | None, minimum: int) -> None:
    if value is not None and value < minimum:
        msg = f"{flag} must be at least {minimum}, got {value}"
        raise UsageError(msg)


def _seed(args: argparse.Namespace) -> int:
    """Check the shared options; return the seed (drawn at random when not given)."""
    _check("--rho", args.rho, 0.0, 1.0, closed=False)
    _check("--alpha", args.alpha, 0.0, 1.0, closed=True)
    _check("--confidence", getattr(args, "confidence", None), 0.0, 1.0, closed=False)
    _at_least("--sample-size", args.sample_size, 2)
    _at_least("--workers", args.workers, 1)
    _at_least("--restarts", getattr(args, "restarts", None), 0)
    for flag in ("--max-iterations", "--max-levels", "--final-sample-size"):
        _at_least(flag, getattr(args, flag[2:].replace("-", "_"), None), 1)
    return int(args.seed) if args.seed is not None else secrets.randbelow(2**32)


def _load(
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


def _source(args: argparse.Namespace, choices: dict[str, object]) -> str:
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


def _numbers(indices: Any) -> str:
    """0-based indices as the 1-based numbers that the files use."""
    return " ".join(str(int(i) + 1) for i in indices)


# ----------------------------------------------------------------------- optimisation


def _maxcut(args: argparse.Namespace) -> int:
    import numpy as np

    from crossentropy.method import Bernoulli
    from crossentropy.method import problems as pb

    seed = _seed(args)
    source = _source(
        args, {"FILE": args.file, "--instance": args.instance, "--planted": args.planted}
    )
    if source == "FILE":
        problem = _load(pb.read_maxcut, args.file)
        if args.optimum is not None:
            problem = pb.MaxCut(problem.weights, name=problem.name, optimum=args.optimum)
    elif source == "--instance":
        problem = _load(pb.load_maxcut, args.instance)
    else:
        n, m = _planted(args.planted)
        problem = _load(
            pb.planted_maxcut,
            n,
            m,
            cross_weight=args.c,
            rng=args.instance_seed,
            flags={"cross_weight": "--c", "n_nodes": "N", "block_size": "M"},
        )
    p = np.full(problem.n_nodes, 0.5)
    p[0] = 0.0  # x and 1 - x are the same cut: node 1 stays on side 0

    def answer(best: NDArray[Any]) -> tuple[list[str], dict[str, Any]]:
        lines = [f"cut: nodes on side 1 (numbered from 1): {_numbers(np.flatnonzero(best))}"]
        fields: dict[str, Any] = {}
        if problem.optimal_cut is not None:
            fields["planted_cut_found"] = bool(np.array_equal(best, problem.optimal_cut))
            lines.append(f"planted cut found: {'yes' if fields['planted_cut_found'] else 'no'}")
        return lines, fields

    size = max(1000, 10 * problem.n_nodes)
    setup = Setup(problem, Bernoulli(p), lambda: problem.evaluate, size, 0.1, answer)
    return optimize(args, setup, seed)


def _planted(text: str) -> tuple[int, int]:
    parts = text.split(",")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        msg = f"--planted must be N,M (nodes, size of the first block), e.g. 40,20; got {text!r}"
        raise UsageError(msg)
    return int(parts[0]), int(parts[1])


def _tsp(args: argparse.Namespace) -> int:
    from crossentropy.method import Permutation
    from crossentropy.method import problems as pb

    seed = _seed(args)
    source = _source(
        args, {"FILE": args.file, "--instance": args.instance, "--random": args.random}
    )
    if source == "FILE":
        problem = _load(pb.read_tsplib, args.file)
        if args.optimum is not None:
            problem = dataclasses.replace(problem, optimum=args.optimum)
    elif source == "--instance":
        problem = _load(pb.load_tsplib, args.instance)
    else:
        _at_least("--random", args.random, 3)
        problem = _load(
            pb.random_euclidean_tsp, args.random, rng=args.instance_seed, solve=args.random <= 16
        )

    def answer(best: NDArray[Any]) -> tuple[list[str], dict[str, Any]]:
        return [f"tour (cities numbered from 1): {_numbers(best)}"], {}

    n = problem.n_cities
    setup = Setup(
        problem, Permutation.uniform(n), lambda: problem.evaluate, 10 * n * n, 0.02, answer
    )
    return optimize(args, setup, seed)


def _knapsack(args: argparse.Namespace) -> int:
    import numpy as np

    from crossentropy.method import Bernoulli
    from crossentropy.method import problems as pb

    seed = _seed(args)
    if _source(args, {"FILE": args.file, "--instance": args.instance}) == "FILE":
        problem = _load(pb.read_knapsack, args.file)
        if args.optimum is not None:
            problem = dataclasses.replace(problem, optimum=args.optimum)
    else:
        problem = _load(pb.load_knapsack, args.instance)

    def answer(best: NDArray[Any]) -> tuple[list[str], dict[str, Any]]:
        value, weight, excess = (float(a) for a in problem.assess(best))
        fits = "fits" if excess == 0 else f"over by {excess:g}"
        lines = [
            f"items chosen (numbered from 1): {_numbers(np.flatnonzero(best))}",
            f"value {value:g}, weight {weight:g} of capacity {problem.capacity:g} ({fits})",
        ]
        return lines, {"value": value, "weight": weight, "feasible": excess == 0}

    size = max(1000, 10 * problem.n_items)
    family = Bernoulli.uniform(problem.n_items)
    return optimize(args, Setup(problem, family, lambda: problem.evaluate, size, 0.1, answer), seed)


def _continuous(args: argparse.Namespace) -> int:
    from crossentropy.method import Gaussian
    from crossentropy.method import problems as pb

    seed = _seed(args)
    fixed = _FIXED_DIMENSION.get(args.name)
    if fixed is not None and args.dim not in (None, fixed):
        msg = f"{args.name} has dimension {fixed}, got --dim {args.dim}"
        raise UsageError(msg)
    if args.name == "peaks":
        problem = pb.peaks()
    elif args.name == "two-bump":
        problem = pb.two_bump()
    else:
        build = {"sphere": pb.sphere, "rosenbrock": pb.rosenbrock, "rastrigin": pb.rastrigin}
        problem = _load(
            build.get(args.name, pb.ackley),
            2 if args.dim is None else args.dim,
            flags={"dimension": "--dim"},
        )

    def answer(best: NDArray[Any]) -> tuple[list[str], dict[str, Any]]:
        where = f"at x = {vector(best, 6)}; the optimum is at {vector(problem.optimizer, 6)}"
        return [where], {}

    family = Gaussian.from_bounds(problem.lower, problem.upper)
    size = max(50, 10 * problem.dimension)
    return optimize(args, Setup(problem, family, lambda: problem.evaluate, size, 0.1, answer), seed)


def _simulate(problem: Any, seed: int, slots: NDArray[Any]) -> NDArray[np.float64]:
    """Simulated throughput of the allocations that ``slots`` encode (module level: picklable)."""
    values: NDArray[np.float64] = problem.evaluate(problem.allocations_from_slots(slots), rng=seed)
    return values


def _buffer(args: argparse.Namespace) -> int:
    import numpy as np

    from crossentropy._cli_common import parse_distribution
    from crossentropy.method import Categorical
    from crossentropy.method import problems as pb

    seed = _seed(args)
    _at_least("--total-buffer", args.total_buffer, 1)
    rates = tuple(parse_distribution(args.rates, "rates"))
    problem = _load(
        pb.BufferAllocation, rates, args.total_buffer, args.jobs, replications=args.replications
    )
    _load(lambda: problem.optimum)  # exact by a Markov chain: a line too long is refused
    # Two independent streams: the optimiser's, and one seed per sample for the simulation
    # (common random numbers: every candidate of a sample sees the same processing times).
    search, noise = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))

    def task() -> Callable[[NDArray[Any]], NDArray[np.float64]]:
        return partial(_simulate, problem, int(noise.integers(2**63)))

    def exact(best: NDArray[Any]) -> float:
        return float(problem.exact_throughput(problem.allocations_from_slots(best)))

    def answer(best: NDArray[Any]) -> tuple[list[str], dict[str, Any]]:
        allocation = problem.allocations_from_slots(best)
        line = (
            f"allocation {vector(allocation)}: exact throughput {exact(best):.6g} (the best "
            f"value is simulated; {vector(problem.optimal_allocation)} is optimal)"
        )
        return [line], {
            "allocation": allocation,
            "exact_throughput": exact(best),
            "optimal_allocation": problem.optimal_allocation,
        }

    family = Categorical.uniform(problem.total_buffer, problem.n_buffers)
    size = max(50, 10 * problem.total_buffer)
    # The elite level moves with each sample's noise: stop when the family has collapsed.
    setup = Setup(problem, family, task, size, 0.1, answer, score=exact, stall_iterations=None)
    return optimize(args, setup, seed, rng=search)


# ------------------------------------------------------------------------ rare events


def _rare_event(args: argparse.Namespace) -> int:
    from crossentropy.method import Bernoulli, Exponential, Gaussian
    from crossentropy.method import problems as pb

    seed = _seed(args)
    rho, alpha = 0.1, 1.0  # the tutorial's; the network needs others (see its --help)
    if args.event == "bridge":
        problem = _load(pb.BridgeNetwork, threshold=args.threshold)
        nominal: Any = Exponential(problem.means)
    elif args.event == "network":
        if args.graph == "bridge" and (args.rows is not None or args.cols is not None):
            msg = "--rows and --cols are for --graph grid"
            raise UsageError(msg)
        _check("--failure-probability", args.failure_probability, 0.0, 1.0, closed=False)
        if args.graph == "bridge":
            problem = pb.bridge_reliability(args.failure_probability)
        else:
            shape = (3 if args.rows is None else args.rows, 4 if args.cols is None else args.cols)
            problem = _load(pb.grid_reliability, *shape, args.failure_probability)
            _load(lambda: problem.exact_probability)  # enumeration: at most 24 edges
        nominal, rho, alpha = Bernoulli(problem.failure_probabilities), 0.01, 0.7
    elif args.system == "series":
        if args.beta is not None or args.dim is not None:
            msg = "--beta and --dim are for --system linear"
            raise UsageError(msg)
        problem = pb.series_system()
        nominal = Gaussian.standard(problem.dimension)
    else:
        beta = 4.0 if args.beta is None else args.beta
        problem = _load(
            pb.linear_limit_state,
            beta,
            dimension=2 if args.dim is None else args.dim,
            flags={"dimension": "--dim"},
        )
        nominal = Gaussian.standard(problem.dimension)
    options = {
        "sample_size": args.sample_size,
        "rho": rho if args.rho is None else args.rho,
        "alpha": alpha if args.alpha is None else args.alpha,
        "final_sample_size": args.final_sample_size,
        "max_levels": args.max_levels,
        "confidence": args.confidence,
    }
    hint = ""
    if args.event == "network":
        hint = (
            " Here a smaller --rho helps: most samples tie at the lowest level, so the "
            "elite fraction must be below the chance that any edge fails."
        )
    return estimate(args, problem, nominal, options, seed, hint=hint)
