"""``crossentropy cem rare-event EVENT``: bridge, network and limit-state probabilities.

The handler builds the problem from the flags; its nominal family and the elite
fraction and smoothing that suit it come from the problem (``nominal_family()``,
``default_rho``, ``default_alpha``), and :func:`crossentropy.cli.cem._run.estimate`
runs and prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crossentropy.cli._common import UsageError
from crossentropy.cli.cem._checks import check_range, checked_seed, load_or_usage_error
from crossentropy.cli.cem._run import estimate

if TYPE_CHECKING:
    import argparse

__all__ = ["rare_event"]

_NETWORK_HINT = (
    " Here a smaller --rho helps: most samples tie at the lowest level, so the "
    "elite fraction must be below the chance that any edge fails."
)


def rare_event(args: argparse.Namespace) -> int:
    """Estimate the probability of ``args.event`` with the options of ``args``; print."""
    seed = checked_seed(args)
    problem = _problem(args)
    options = {
        "sample_size": args.sample_size,
        "rho": problem.default_rho if args.rho is None else args.rho,
        "alpha": problem.default_alpha if args.alpha is None else args.alpha,
        "final_sample_size": args.final_sample_size,
        "max_levels": args.max_levels,
        "confidence": args.confidence,
    }
    hint = _NETWORK_HINT if args.event == "network" else ""
    return estimate(args, problem, problem.nominal_family(), options, seed, hint=hint)


def _problem(args: argparse.Namespace) -> Any:
    """The rare-event problem the flags describe."""
    from crossentropy.method import problems as pb

    if args.event == "bridge":
        return load_or_usage_error(pb.BridgeNetwork, threshold=args.threshold)
    if args.event == "network":
        if args.graph == "bridge" and (args.rows is not None or args.cols is not None):
            msg = "--rows and --cols are for --graph grid"
            raise UsageError(msg)
        check_range("--failure-probability", args.failure_probability, 0.0, 1.0, closed=False)
        if args.graph == "bridge":
            return pb.bridge_reliability(args.failure_probability)
        shape = (3 if args.rows is None else args.rows, 4 if args.cols is None else args.cols)
        grid = load_or_usage_error(pb.grid_reliability, *shape, args.failure_probability)
        load_or_usage_error(lambda: grid.exact_probability)  # enumeration: at most 24 edges
        return grid
    if args.system == "series":
        if args.beta is not None or args.dim is not None:
            msg = "--beta and --dim are for --system linear"
            raise UsageError(msg)
        return pb.series_system()
    return load_or_usage_error(
        pb.linear_limit_state,
        4.0 if args.beta is None else args.beta,
        dimension=2 if args.dim is None else args.dim,
        flags={"dimension": "--dim"},
    )
