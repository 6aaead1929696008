"""Each shipped problem reproduces its known answer when solved by the cross-entropy method.

The issue's "Done when": rare events (bridge network, network reliability, structural
limit states) against their exact probabilities, and max-cut, TSP, knapsack, continuous
test functions and buffer allocation against their known optima.

How the tolerances were set: every configuration below was run once over seeds 0-19
(0-39 or 0-49 where quoted) with exactly the settings of its test, outside the suite;
the figures are quoted beside each test. A tolerance is the worst case measured over
those seeds, rounded up, never widened to let a particular seed pass; the tests use
fixed seeds, so they are deterministic. Where plain CE does not reliably reach an exact
optimum in one run, the test says so and either uses restarts (whose measured success
rate is quoted) or asserts the measured gap.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from crossentropy.method import (
    Bernoulli,
    Categorical,
    Exponential,
    Gaussian,
    MultivariateGaussian,
    Permutation,
    estimate_rare_event,
    maximize,
    minimize,
    problems,
)

# ------------------------------------------------------------------ rare events


def test_bridge_network_problem_reproduces_the_tutorial() -> None:
    """The tutorial's bridge network through ``problems.BridgeNetwork``.

    The full study (levels, interval, mean over seeds) is in test_method_rare_event.py;
    this checks that the shipped problem object plugs straight in. Measured over seeds
    0-19 (N = 1000, rho = 0.1, N1 = 1e5): mean +0.67 %, spread 3.06 %, worst 6.4 %,
    relative error 0.029-0.060, 4-5 levels, every 95 % interval covering the exact value.
    """
    problem = problems.BridgeNetwork()
    result = estimate_rare_event(
        problem.performance, Exponential(problem.means), problem.threshold, rng=0
    )
    assert problem.exact_probability == pytest.approx(1.3425e-5, rel=1e-4)
    assert abs(result.probability / problem.exact_probability - 1) <= 0.10
    assert 0.02 <= result.relative_error <= 0.06
    lo, hi = result.confidence_interval
    assert lo <= problem.exact_probability <= hi
    assert 4 <= len(result.levels) <= 6


# Network unreliability with a Bernoulli family (x_e = 1: edge e failed). The performance
# -(working edges in the weakest cut) takes only the values -2, -1, 0, so most samples
# tie at the lowest level and elites are taken by rank. Under the nominal law P(S >= -1)
# is only about 0.4 % per pair of corner edges here (q = 1e-3), so the first level needs
# a small rho and a large N: rho = 0.01, N = 5000 (with rho = 0.1, N = 1000 half the
# runs stalled and the rest were off by up to 50 %). Measured over seeds 0-49, alpha = 0.7,
# N1 = 1e5, 2-3 levels:
#   bridge (exact 2.0020e-6): mean -0.12 %, spread 0.85 %, worst 1.9 %, relative error
#       0.0085-0.023, 49/50 intervals cover;
#   grid 3x4 (exact 2.0070e-6): over seeds 0-19 spread 1.2 %, worst 2.9 %; over 0-49
#       worst 3.0 % except seed 47 at -50 %: its proposal had moved onto one of the two
#       corner cuts, the other was never sampled, and its reported relative error (0.004)
#       did not show it (a unimodal family on a two-mode event, as for the series system
#       below); relative error 0.004-0.020, 45/50 intervals cover.
# Without smoothing (alpha = 1) some p_e were fitted to 0 in 46/50 (bridge) and 50/50
# (grid) runs, so those failure patterns could never be sampled: the grid's mean was
# -2.4 % and only 31/50 intervals covered. Hence alpha < 1 for Bernoulli rare events.
RELIABILITY_TOL = 0.05  # worst measured 3.0 % (apart from the one missed corner)
RELIABILITY_OPTIONS: dict[str, Any] = {"rho": 0.01, "sample_size": 5000, "alpha": 0.7}


@pytest.mark.parametrize(
    "problem",
    [problems.bridge_reliability(1e-3), problems.grid_reliability(3, 4, 1e-3)],
    ids=["bridge", "grid-3x4"],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_network_unreliability_with_a_smoothed_bernoulli_family(
    problem: problems.NetworkReliability, seed: int
) -> None:
    nominal = Bernoulli(problem.failure_probabilities)
    result = estimate_rare_event(
        problem.performance, nominal, problem.threshold, rng=seed, **RELIABILITY_OPTIONS
    )
    assert abs(result.probability / problem.exact_probability - 1) <= RELIABILITY_TOL
    assert result.relative_error <= 0.025
    assert 2 <= len(result.levels) <= 3
    assert [level.gamma for level in result.levels][-1] == 0.0
    assert result.proposal.p.min() > 0  # smoothing kept every failure pattern possible


def test_unsmoothed_bernoulli_proposal_loses_part_of_the_event() -> None:
    """Why the test above smooths: alpha = 1 fits p_e = 0 to edges no elite failed."""
    problem = problems.grid_reliability(3, 4, 1e-3)
    nominal = Bernoulli(problem.failure_probabilities)
    options = {**RELIABILITY_OPTIONS, "alpha": 1.0}
    result = estimate_rare_event(problem.performance, nominal, 0.0, rng=0, **options)
    assert result.proposal.p.min() == 0.0  # measured: in 50 of 50 runs


# Linear limit states g(x) = beta - a.x with standard normal inputs and a diagonal
# Gaussian family (N = 1000, rho = 0.1, N1 = 1e5). Measured over seeds 0-49:
#   beta = 4, d = 2 (exact 3.1671e-5): mean -0.40 %, spread 1.32 %, worst 4.4 %,
#       relative error 0.0064-0.029, 3-4 levels;
#   beta = 4.5, d = 10 (exact 3.3977e-6): mean +0.40 %, spread 1.28 %, worst 5.3 %,
#       relative error 0.0078-0.032, 3-4 levels.
LIMIT_STATE_TOL = 0.06


@pytest.mark.parametrize(
    "problem",
    [problems.linear_limit_state(4.0, dimension=2), problems.linear_limit_state(4.5, dimension=10)],
    ids=["2d", "10d"],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_linear_limit_state_failure_probability(
    problem: problems.LinearSeriesSystem, seed: int
) -> None:
    nominal = Gaussian.standard(problem.dimension)
    result = estimate_rare_event(problem.performance, nominal, problem.threshold, rng=seed)
    assert abs(result.probability / problem.exact_probability - 1) <= LIMIT_STATE_TOL
    assert result.relative_error <= 0.035
    assert 3 <= len(result.levels) <= 4
    # The structural-reliability form g(X) <= 0 is the same event, levels descending.
    limit_state = estimate_rare_event(problem.limit_state, nominal, 0.0, direction="<=", rng=seed)
    assert limit_state.probability == pytest.approx(result.probability, rel=1e-12)


# The default series system (x1 >= 3.5 or 0.6 x1 + 0.8 x2 >= 4, exact 2.6059e-4) has two
# design points, and a unimodal proposal centres on the dominant one. Measured over seeds
# 0-49 with the diagonal Gaussian: mean -4.7 % (spread 4.3 %), 14/50 intervals cover: the
# second failure region is undersampled, and the reported relative error (0.004-0.10) is
# optimistic. A full covariance with alpha = 0.7 stretches the proposal over both:
# mean -0.22 %, spread 3.8 %, worst 17 %; over seeds 0-19 mean -0.00 %, spread 4.1 %,
# worst 16 %. So this test checks the mean of 20 runs (3 standard errors) and each run
# against the measured worst case.
SERIES_SPREAD = 0.038


def test_series_system_mean_over_seeds_with_a_full_covariance_family() -> None:
    problem = problems.series_system()
    nominal = MultivariateGaussian(np.zeros(2), np.eye(2))
    deviations = np.array(
        [
            estimate_rare_event(
                problem.performance, nominal, problem.threshold, alpha=0.7, rng=seed
            ).probability
            / problem.exact_probability
            - 1
            for seed in range(20)
        ]
    )
    assert abs(deviations.mean()) <= 3 * SERIES_SPREAD / math.sqrt(20)
    assert np.abs(deviations).max() <= 0.20


# ------------------------------------------------------------------ max-cut


def cut_family(n_nodes: int) -> Bernoulli:
    """Node 0 fixed on side 0 (a cut and its complement are the same cut)."""
    p = np.full(n_nodes, 0.5)
    p[0] = 0.0
    return Bernoulli(p)


# The tutorial's planted instance, n = 100 in two blocks of 50 (U(0, 1) weights inside,
# c = 1 across; optimum c m (n - m) = 2500), default settings (N = 10 n = 1000,
# rho = 0.1, alpha = 0.7): the planted cut found exactly for instance and CE seeds 0-19
# (20/20), reached after a median of 12 iterations; runs stop stalled after 18-20.
@pytest.mark.parametrize("seed", [0, 1])
def test_planted_maxcut_is_found_exactly(seed: int) -> None:
    problem = problems.planted_maxcut(100, 50, rng=seed)
    assert problem.optimal_cut is not None
    result = maximize(problem.evaluate, cut_family(100), vectorized=True, rng=seed)
    np.testing.assert_array_equal(result.best, problem.optimal_cut)
    assert result.best_value == problem.optimum == 2500.0


# Shipped files. Petersen (optimum 12): default settings, 20/20 seeds. random20
# (optimum 360, verified by enumerating every cut): one default run reaches it in only
# 9/20 seeds (worst 346), so ten runs (restarts=9; a run always ends stalled or
# degenerate, so all ten run): 40/40 seeds reach 360.
@pytest.mark.parametrize(("name", "restarts"), [("petersen", 0), ("random20", 9)])
def test_shipped_maxcut_optimum(name: str, restarts: int) -> None:
    problem = problems.load_maxcut(name)
    result = maximize(
        problem.evaluate,
        cut_family(problem.n_nodes),
        vectorized=True,
        restarts=restarts,
        rng=0,
    )
    assert result.best_value == problem.optimum
    assert len(result.runs) == restarts + 1


# ------------------------------------------------------------------ TSP


# Permutation family (tours from a transition matrix), N = 5 n^2 as in the tutorial,
# rho = 0.02, alpha = 0.3. The tutorial's rho = 0.01 with alpha = 0.7 is too greedy here
# (burma14: optimum in 3/20 seeds, worst gap 7.1 %). Measured over seeds 0-39:
#   burma14   (3323): optimum in 36/40, worst gap 0.69 %; restarts=2: 40/40;
#   ulysses16 (6859): optimum in 33/40, worst gap 1.17 %; restarts=2: 38/40, worst 0.16 %;
#   gr17      (2085): optimum in 13/40, median gap 0.24 %, worst gap 2.30 %.
TSP_OPTIONS: dict[str, Any] = {"rho": 0.02, "alpha": 0.3}


@pytest.mark.parametrize(
    ("name", "optimum", "restarts", "gap"),
    [
        ("burma14", 3323.0, 2, 0.0),
        ("ulysses16", 6859.0, 0, 0.0117),
        ("gr17", 2085.0, 0, 0.0230),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_tsplib_instance_within_the_measured_gap(
    name: str, optimum: float, restarts: int, gap: float, seed: int
) -> None:
    problem = problems.load_tsplib(name)
    assert problem.optimum == optimum
    n = problem.n_cities
    result = minimize(
        problem.evaluate,
        Permutation.uniform(n),
        vectorized=True,
        sample_size=5 * n * n,
        restarts=restarts,
        rng=seed,
        **TSP_OPTIONS,
    )
    assert sorted(result.best.tolist()) == list(range(n))
    assert float(problem.evaluate(result.best)) == result.best_value
    assert optimum <= result.best_value <= optimum * (1 + gap)


# ------------------------------------------------------------------ knapsack


def knapsack_value_or_minus_inf(problem: problems.Knapsack) -> Any:
    """The objective with infeasible selections rejected (``-inf`` when maximising)."""

    def objective(x: np.ndarray) -> np.ndarray:
        value, _, excess = problem.assess(x)
        return np.where(excess > 0, -np.inf, value)

    return objective


def test_knapsack_p01_with_default_settings() -> None:
    """p01 (10 items, optimum 309): default settings reach it in 20/20 seeds."""
    problem = problems.load_knapsack("p01")
    for seed in (0, 1):
        result = maximize(problem.evaluate, Bernoulli.uniform(10), vectorized=True, rng=seed)
        assert result.best_value == problem.optimum == 309.0
        assert bool(problem.assess(result.best).feasible)


# p07 (15 items of nearly equal value/weight ratio, optimum 1458) has many near-optimal
# selections: default settings reach it in 1/20 seeds (worst gap 16), N = 1000 with
# rho = 0.02, alpha = 0.5 in 17/20; with restarts=2 as well in 40/40 (seeds 0-39). The
# three ways of handling the capacity give the same run: while at least rho N sampled
# selections are feasible (about half are, here), the elites are the same.
P07_OPTIONS: dict[str, Any] = {"sample_size": 1000, "rho": 0.02, "alpha": 0.5, "restarts": 2}


@pytest.mark.parametrize("constraint", ["minus-excess", "minus-inf", "penalty"])
def test_knapsack_p07_optimum_with_each_constraint_handling(constraint: str) -> None:
    problem = problems.load_knapsack("p07")
    family = Bernoulli.uniform(problem.n_items)
    if constraint == "minus-excess":  # the problem's own objective: -excess if infeasible
        result = maximize(problem.evaluate, family, vectorized=True, rng=0, **P07_OPTIONS)
    elif constraint == "minus-inf":
        objective = knapsack_value_or_minus_inf(problem)
        result = maximize(objective, family, vectorized=True, rng=0, **P07_OPTIONS)
    else:
        # A penalty above any total value makes every overweight selection (integer
        # weights: excess >= 1) worse than every feasible one.
        weight = float(problem.values.sum())
        result = maximize(
            lambda x: problem.assess(x).value,
            family,
            vectorized=True,
            penalty=lambda x: weight * problem.assess(x).excess,
            rng=0,
            **P07_OPTIONS,
        )
    assert result.best_value == problem.optimum == 1458.0
    assert bool(problem.assess(result.best).feasible)


def test_knapsack_corr40_optimum_with_restarts() -> None:
    """corr40 (40 correlated items, optimum 1218).

    One default run reaches it in 9/20 seeds (worst gap 10); ten runs (restarts=9) in
    40/40 (seeds 0-39).
    """
    problem = problems.load_knapsack("corr40")
    result = maximize(
        problem.evaluate, Bernoulli.uniform(problem.n_items), vectorized=True, restarts=9, rng=0
    )
    assert result.best_value == problem.optimum == 1218.0


# ------------------------------------------------------------------ continuous


def wikipedia_start(problem: problems.ContinuousProblem) -> Gaussian:
    """The two-bump example's start: mu = -6, sigma^2 = 100, left of the local bump."""
    return Gaussian([-6.0], [10.0])


def box_start(problem: problems.ContinuousProblem) -> Gaussian:
    return Gaussian.from_bounds(problem.lower, problem.upper)


# Gaussian family (truncated to the box, mean at its centre, std half its width unless
# stated), rho = 0.1, alpha = 0.7, stopping when every std <= 1e-6. Measured over seeds
# 0-19 (rastrigin: 0-99): worst |x - x*|_inf and worst |f - f*|, and the tolerances.
#   sphere 5-D, N = 100:     8.9e-7, 1.3e-12 (default N = 50 stops short in 3/20 seeds,
#                            worst |x - x*| 2.6e-3)
#   ackley 2-D, default:     4.5e-7, 1.4e-6 (f rises like 4 |x| / sqrt(d) at 0)
#   ackley 5-D, N = 100:     9.3e-7, 2.2e-6 (default N = 50: 4/20 runs in a local minimum)
#   rastrigin 2-D, 5 runs:   3.9e-7, 3.1e-11 (one run ends in a local minimum in 5/20
#                            seeds; five runs found the global one in 100/100)
#   peaks max / min:         4.3e-7 / 4.5e-7, 2.1e-12 / 2.8e-12
#   two-bump from mu = -6:   3.8e-8, 1.6e-15 (N = 100, 10 elites, as in the example)
CONTINUOUS_CASES = [
    # (problem, start, options, (x tolerance, f tolerance))
    pytest.param(problems.sphere(5), box_start, {"sample_size": 100}, (2e-6, 1e-11), id="sphere"),
    pytest.param(problems.ackley(2), box_start, {}, (1e-6, 3e-6), id="ackley-2d"),
    pytest.param(problems.ackley(5), box_start, {"sample_size": 100}, (2e-6, 5e-6), id="ackley-5d"),
    pytest.param(problems.rastrigin(2), box_start, {"restarts": 4}, (1e-6, 1e-10), id="rastrigin"),
    pytest.param(problems.peaks(), box_start, {}, (1e-6, 1e-11), id="peaks-max"),
    pytest.param(problems.peaks(sense="minimize"), box_start, {}, (1e-6, 1e-11), id="peaks-min"),
    pytest.param(
        problems.two_bump(), wikipedia_start, {"sample_size": 100}, (1e-7, 1e-14), id="two-bump"
    ),
]


@pytest.mark.parametrize(("problem", "start", "options", "tolerances"), CONTINUOUS_CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_continuous_global_optimum_to_tolerance(
    problem: problems.ContinuousProblem,
    start: Any,
    options: dict[str, Any],
    tolerances: tuple[float, float],
    seed: int,
) -> None:
    x_tol, f_tol = tolerances
    solve = minimize if problem.sense == "minimize" else maximize
    result = solve(problem.evaluate, start(problem), vectorized=True, rng=seed, **options)
    assert np.abs(result.best - problem.optimizer).max() <= x_tol
    assert abs(result.best_value - problem.optimum) <= f_tol


def test_one_rastrigin_run_can_end_in_a_local_minimum() -> None:
    """Why the Rastrigin case restarts: seed 6 converges to the local minimum near (0, 1).

    Seeds 6, 10, 11, 15 and 17 of 0-19 end at f = 1.0-1.4 (a neighbouring local minimum).
    """
    problem = problems.rastrigin(2)
    result = minimize(problem.evaluate, box_start(problem), vectorized=True, rng=6)
    assert result.stop_reasons == ("degenerate",)  # converged, not just stopped early
    np.testing.assert_allclose(result.best, [0.0, 1.0], atol=0.01)
    assert 0.99 < result.best_value < 1.0  # the local minimum's value is 0.99496


# ------------------------------------------------------------------ buffer allocation


# Four identical machines, six buffer slots (28 allocations; exact optimum (2, 2, 2) with
# throughput 0.70071, the runner-up 0.69330). Candidates say which buffer gets each slot
# (Categorical, 6 positions x 3 choices). Each simulated evaluation (500 jobs after 100
# of warm-up, 4 replications) has a noise (standard deviation) of 0.010, more than the
# optimum's lead of 0.0074, and one call shares its random numbers between all
# candidates, so the elite level moves with each call's luck: stopping on a stalled
# elite level would end runs on noise alone, so the run stops when the family has
# converged (stall_iterations=None). Measured over seeds
# 0-19: the best candidate and the converged family's most likely choice are both the
# optimal allocation in 20/20 runs, after 15-27 iterations.
def test_buffer_allocation_finds_the_exhaustively_verified_optimum() -> None:
    problem = problems.BufferAllocation(jobs=500, warmup=100, replications=4)
    every = problem.all_allocations()
    exact = problem.exact_throughput(every)
    assert len(every) == 28
    assert np.count_nonzero(exact == exact.max()) == 1  # a unique optimum
    optimum = every[int(exact.argmax())]
    assert optimum.tolist() == problem.optimal_allocation.tolist() == [2, 2, 2]

    seed = 0
    noise = np.random.default_rng([seed, 1])  # the simulation's own random numbers

    def throughput(slots: np.ndarray) -> np.ndarray:
        return problem.evaluate(problem.allocations_from_slots(slots), rng=noise)

    family = Categorical.uniform(problem.total_buffer, problem.n_buffers)
    result = maximize(
        throughput, family, vectorized=True, stall_iterations=None, max_iterations=40, rng=seed
    )
    assert result.stop_reasons == ("degenerate",)
    best = problem.allocations_from_slots(result.best)
    mode = problem.allocations_from_slots(result.family.probs.argmax(axis=1))
    assert best.tolist() == mode.tolist() == optimum.tolist()


def test_minimize_and_maximize_share_one_set_of_options() -> None:
    from crossentropy.method._minimize import OptimizerOptions, SearchOptions

    with pytest.raises(TypeError, match=r"^minimize\(\) got an unexpected keyword .*'vectorised'"):
        minimize(lambda x: x.sum(axis=1), Bernoulli.uniform(3), vectorised=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"^maximize\(\) got an unexpected keyword .*'sigma'"):
        maximize(lambda x: x.sum(axis=1), Bernoulli.uniform(3), sigma=1.0)  # type: ignore[call-arg]
    # every optimiser option is one CrossEntropyOptimizer takes, with its default there
    import inspect

    from crossentropy.method import CrossEntropyOptimizer

    accepted = inspect.signature(CrossEntropyOptimizer).parameters
    assert set(OptimizerOptions.__annotations__) <= set(accepted)
    assert set(OptimizerOptions.__annotations__) < set(SearchOptions.__annotations__)
    # the same options give mirror-image searches
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    kwargs = {"vectorized": True, "rng": 5, "rho": 0.2, "sample_size": 200}
    up = maximize(lambda x: (x == y).sum(axis=1), Bernoulli.uniform(8), **kwargs)
    down = minimize(lambda x: -(x == y).sum(axis=1), Bernoulli.uniform(8), **kwargs)
    np.testing.assert_array_equal(up.best, down.best)
    assert up.best_value == -down.best_value == 8.0
