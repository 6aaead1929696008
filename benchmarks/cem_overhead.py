"""The cross-entropy optimiser's own time per iteration, next to a 1 ms objective.

Two figures, medians over repeated blocks of iterations:

* ``ask + tell``: drawing N candidates from a d-dimensional Gaussian family, sorting
  the told values, fitting and smoothing the family, the log and the stop checks;
* ``minimize loop``: a whole ``minimize`` iteration with a scalar objective that costs
  (almost) nothing, so what remains is the optimiser plus the per-candidate calling and
  checking of values.

Each is printed as a fraction of the time N evaluations of a 1 ms objective take
(N x 1 ms), the cost the optimiser is meant to be negligible against.

Run: ``.venv/bin/python benchmarks/cem_overhead.py [--dim 10] [--sample-size 100]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from crossentropy.method._families import Gaussian
from crossentropy.method._minimize import minimize
from crossentropy.method._optimizer import CrossEntropyOptimizer

OBJECTIVE_SECONDS = 1e-3


def ask_tell_seconds(dim: int, n: int, iterations: int, blocks: int) -> float:
    """Median seconds of one ask() + tell(), objective values precomputed outside."""
    rng = np.random.default_rng(0)
    times = []
    for _ in range(blocks):
        optimizer = CrossEntropyOptimizer(
            Gaussian(np.zeros(dim), np.full(dim, 5.0)),
            sample_size=n,
            stall_iterations=None,
            degenerate_tol=0.0,
            max_iterations=None,
            rng=rng,
        )
        values = rng.standard_normal((iterations, n))  # random values: the family stays wide
        start = time.perf_counter()
        for t in range(iterations):
            optimizer.tell(optimizer.ask(), values[t])
        times.append((time.perf_counter() - start) / iterations)
    return statistics.median(times)


def minimize_loop_seconds(dim: int, n: int, iterations: int, blocks: int) -> float:
    """Median seconds of one minimize() iteration with a free scalar objective."""

    def free(_candidate: np.ndarray) -> float:
        return 0.0

    times = []
    for block in range(blocks):
        start = time.perf_counter()
        result = minimize(
            free,
            Gaussian(np.zeros(dim), np.full(dim, 5.0)),
            sample_size=n,
            stall_iterations=None,
            degenerate_tol=0.0,
            max_iterations=iterations,
            rng=block,
        )
        times.append((time.perf_counter() - start) / result.n_iterations)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--sample-size", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--blocks", type=int, default=15)
    args = parser.parse_args()
    n = args.sample_size
    budget = n * OBJECTIVE_SECONDS
    ask_tell = ask_tell_seconds(args.dim, n, args.iterations, args.blocks)
    loop = minimize_loop_seconds(args.dim, n, args.iterations, args.blocks)
    print(f"Gaussian family, d = {args.dim}, N = {n}; objective N x 1 ms = {budget * 1e3:.0f} ms")
    print(f"ask + tell per iteration:      {ask_tell * 1e6:8.1f} us  = {ask_tell / budget:.3%}")
    print(f"minimize loop per iteration:   {loop * 1e6:8.1f} us  = {loop / budget:.3%}")


if __name__ == "__main__":
    main()
