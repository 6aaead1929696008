"""The optimisation problems of ``crossentropy cem``: maxcut, tsp, knapsack, continuous, buffer.

Each handler builds its problem from the flags (a file, a shipped instance or a
generated one) and says how to show the best candidate; the family, the sample size and
the elite fraction come from the problem itself (``initial_family()``,
``default_sample_size``, ``default_rho``), and :func:`crossentropy.cli.cem._run.optimize`
runs and prints.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import TYPE_CHECKING, Any

from crossentropy.cli._common import UsageError, parse_distribution
from crossentropy.cli.cem._checks import (
    check_at_least,
    check_at_most,
    checked_seed,
    load_or_usage_error,
    one_based,
    which_source,
)
from crossentropy.cli.cem._run import OptimizationRun, format_vector, optimize

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    import numpy as np
    from numpy.typing import NDArray

__all__ = ["buffer", "continuous", "knapsack", "maxcut", "tsp"]

#: The names of ``crossentropy cem continuous NAME``.
CONTINUOUS = ("sphere", "rosenbrock", "rastrigin", "ackley", "peaks", "two-bump")
_FIXED_DIMENSION = {"peaks": 2, "two-bump": 1}


def maxcut(args: argparse.Namespace) -> int:
    import numpy as np

    from crossentropy.method import problems as pb

    seed = checked_seed(args)
    source = which_source(
        args, {"FILE": args.file, "--instance": args.instance, "--planted": args.planted}
    )
    if source == "FILE":
        problem = load_or_usage_error(pb.read_maxcut, args.file)
        if args.optimum is not None:
            problem = pb.MaxCut(problem.weights, name=problem.name, optimum=args.optimum)
    elif source == "--instance":
        problem = load_or_usage_error(pb.load_maxcut, args.instance)
    else:
        n, m = _planted(args.planted)
        problem = load_or_usage_error(
            pb.planted_maxcut,
            n,
            m,
            cross_weight=args.c,
            rng=args.instance_seed,
            flags={"cross_weight": "--c", "n_nodes": "N", "block_size": "M"},
        )

    def answer(best: NDArray[Any]) -> tuple[list[str], dict[str, Any]]:
        lines = [f"cut: nodes on side 1 (numbered from 1): {one_based(np.flatnonzero(best))}"]
        fields: dict[str, Any] = {}
        if problem.optimal_cut is not None:
            fields["planted_cut_found"] = bool(np.array_equal(best, problem.optimal_cut))
            lines.append(f"planted cut found: {'yes' if fields['planted_cut_found'] else 'no'}")
        return lines, fields

    return optimize(args, OptimizationRun.of(problem, answer), seed)


def _planted(text: str) -> tuple[int, int]:
    parts = text.split(",")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        msg = f"--planted must be N,M (nodes, size of the first block), e.g. 40,20; got {text!r}"
        raise UsageError(msg)
    return int(parts[0]), int(parts[1])


def tsp(args: argparse.Namespace) -> int:
    from crossentropy.method import problems as pb

    seed = checked_seed(args)
    source = which_source(
        args, {"FILE": args.file, "--instance": args.instance, "--random": args.random}
    )
    if source == "FILE":
        problem = load_or_usage_error(pb.read_tsplib, args.file)
        if args.optimum is not None:
            problem = dataclasses.replace(problem, optimum=args.optimum)
    elif source == "--instance":
        problem = load_or_usage_error(pb.load_tsplib, args.instance)
    else:
        check_at_least("--random", args.random, 3)
        check_at_most("--random", args.random, 10_000, "the n x n distance matrix must fit")
        problem = load_or_usage_error(
            pb.random_euclidean_tsp, args.random, rng=args.instance_seed, solve=args.random <= 16
        )

    def answer(best: NDArray[Any]) -> tuple[list[str], dict[str, Any]]:
        return [f"tour (cities numbered from 1): {one_based(best)}"], {}

    return optimize(args, OptimizationRun.of(problem, answer), seed)


def knapsack(args: argparse.Namespace) -> int:
    import numpy as np

    from crossentropy.method import problems as pb

    seed = checked_seed(args)
    if which_source(args, {"FILE": args.file, "--instance": args.instance}) == "FILE":
        problem = load_or_usage_error(pb.read_knapsack, args.file)
        if args.optimum is not None:
            problem = dataclasses.replace(problem, optimum=args.optimum)
    else:
        problem = load_or_usage_error(pb.load_knapsack, args.instance)

    def answer(best: NDArray[Any]) -> tuple[list[str], dict[str, Any]]:
        value, weight, excess = (float(a) for a in problem.assess(best))
        fits = "fits" if excess == 0 else f"over by {excess:g}"
        lines = [
            f"items chosen (numbered from 1): {one_based(np.flatnonzero(best))}",
            f"value {value:g}, weight {weight:g} of capacity {problem.capacity:g} ({fits})",
        ]
        return lines, {"value": value, "weight": weight, "feasible": excess == 0}

    return optimize(args, OptimizationRun.of(problem, answer), seed)


def continuous(args: argparse.Namespace) -> int:
    from crossentropy.method import problems as pb

    seed = checked_seed(args)
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
        problem = load_or_usage_error(
            build.get(args.name, pb.ackley),
            2 if args.dim is None else args.dim,
            flags={"dimension": "--dim"},
        )

    def answer(best: NDArray[Any]) -> tuple[list[str], dict[str, Any]]:
        optimizer = format_vector(problem.optimizer, 6)
        return [f"at x = {format_vector(best, 6)}; the optimum is at {optimizer}"], {}

    return optimize(args, OptimizationRun.of(problem, answer), seed)


def _simulate(problem: Any, seed: int, slots: NDArray[Any]) -> NDArray[np.float64]:
    """Simulated throughput of the allocations that ``slots`` encode (module level: picklable)."""
    values: NDArray[np.float64] = problem.evaluate(problem.allocations_from_slots(slots), rng=seed)
    return values


def buffer(args: argparse.Namespace) -> int:
    import numpy as np

    from crossentropy.method import problems as pb

    seed = checked_seed(args)
    check_at_least("--total-buffer", args.total_buffer, 1)
    rates = tuple(parse_distribution(args.rates, "rates"))
    problem = load_or_usage_error(
        pb.BufferAllocation, rates, args.total_buffer, args.jobs, replications=args.replications
    )
    load_or_usage_error(
        lambda: problem.optimum
    )  # exact by a Markov chain: a line too long is refused
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
            f"allocation {format_vector(allocation)}: exact throughput {exact(best):.6g} (the best "
            f"value is simulated; {format_vector(problem.optimal_allocation)} is optimal)"
        )
        return [line], {
            "allocation": allocation,
            "exact_throughput": exact(best),
            "optimal_allocation": problem.optimal_allocation,
        }

    # The elite level moves with each sample's noise: stop when the family has collapsed.
    run = OptimizationRun.of(problem, answer, task=task, score=exact, stall_iterations=None)
    return optimize(args, run, seed, rng=search)
