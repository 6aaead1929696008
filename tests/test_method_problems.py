"""The shipped problems of the cross-entropy method, each checked against an independent answer.

Every known value is recomputed here by another route than the library's: adaptive
quadrature conditioned on other variables (bridge network), union-find and max-flow over
every failure pattern (network reliability), scipy's multivariate normal CDF and Monte
Carlo (limit states), enumeration of every cut or subset and dynamic programming
(max-cut, knapsack), scipy.optimize (continuous functions), the two-machine closed form
and long simulations (production line). TSPLIB is in ``test_tsplib.py``.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from scipy import integrate, optimize, stats
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow

from crossentropy.method import problems

if TYPE_CHECKING:
    from pathlib import Path

# ---------------------------------------------------------------------------------------
# the public surface


def test_all_is_sorted_unique_and_resolves() -> None:
    exported = problems.__all__
    assert len(set(exported)) == len(exported)
    assert list(exported) == sorted(exported, key=lambda s: (s[0].islower(), s))
    for name in exported:
        assert getattr(problems, name) is not None, name


def test_every_public_callable_is_exported_and_documented() -> None:
    module = importlib.import_module("crossentropy.method.problems")
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", "").startswith("crossentropy")
    }
    assert public <= set(module.__all__)
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), name


def test_package_data_is_reachable_through_importlib_resources() -> None:
    from importlib import resources

    data = resources.files("crossentropy.method.problems") / "data"
    assert data.is_dir()
    assert {entry.name for entry in data.iterdir()} >= {"tsplib", "maxcut", "knapsack"}
    assert (data / "tsplib" / "burma14.tsp").is_file()
    assert problems.shipped_instances() == {
        "knapsack": ("corr40", "p01", "p07"),
        "maxcut": ("petersen", "random20"),
        "tsplib": ("att48", "berlin52", "burma14", "gr17", "ulysses16"),
    }


def _optimization_problems() -> list[object]:
    return [
        problems.load_maxcut("petersen"),
        problems.planted_maxcut(8, 3, cross_weight=2.0, rng=1),
        problems.load_tsplib("burma14"),
        problems.load_knapsack("p01"),
        problems.sphere(3),
        problems.rosenbrock(3),
        problems.rastrigin(2),
        problems.ackley(4),
        problems.two_bump(),
        problems.peaks(),
        problems.BufferAllocation(),
    ]


def _rare_event_problems() -> list[object]:
    return [
        problems.BridgeNetwork(),
        problems.bridge_reliability(),
        problems.grid_reliability(2, 3),
        problems.linear_limit_state(),
        problems.series_system(),
    ]


@pytest.mark.parametrize("problem", _optimization_problems(), ids=lambda p: p.name)
def test_optimization_problems_follow_the_protocol(problem: problems.OptimizationProblem) -> None:
    assert isinstance(problem, problems.OptimizationProblem)
    assert problem.sense in ("minimize", "maximize")
    assert problem.optimum is not None
    assert problem.name in problem.describe()
    assert f"{problem.optimum:g}"[:4] in problem.describe()


@pytest.mark.parametrize("problem", _rare_event_problems(), ids=lambda p: p.name)
def test_rare_event_problems_follow_the_protocol(problem: problems.RareEventProblem) -> None:
    assert isinstance(problem, problems.RareEventProblem)
    assert 0.0 < problem.exact_probability < 1e-3
    samples = problem.sample_nominal(np.random.default_rng(0), 7)
    assert samples.shape[0] == 7
    values = problem.performance(samples)
    assert values.shape == (7,)
    assert values.dtype == np.float64
    assert problem.name in problem.describe()
    # the same seed gives the same samples; global numpy state is not used
    np.testing.assert_array_equal(samples, problem.sample_nominal(0, 7))


def _batch_for(problem: object, rng: np.random.Generator) -> np.ndarray:
    if isinstance(problem, problems.MaxCut):
        return rng.integers(0, 2, size=(6, problem.n_nodes))
    if isinstance(problem, problems.Knapsack):
        return rng.integers(0, 2, size=(6, problem.n_items))
    if isinstance(problem, problems.TravellingSalesman):
        return np.array([rng.permutation(problem.n_cities) for _ in range(6)])
    if isinstance(problem, problems.ContinuousProblem):
        return rng.uniform(problem.lower, problem.upper, size=(6, problem.dimension))
    if isinstance(problem, problems.BufferAllocation):
        return problem.all_allocations()[rng.choice(28, size=6)]
    rare: Any = problem
    return np.asarray(rare.sample_nominal(rng, 6))


@pytest.mark.parametrize(
    "problem", _optimization_problems() + _rare_event_problems(), ids=lambda p: p.name
)
def test_vectorised_evaluation_equals_a_loop_and_keeps_batch_axes(problem: object) -> None:
    rng = np.random.default_rng(5)
    batch = _batch_for(problem, rng)
    if isinstance(problem, problems.BufferAllocation):
        problem = problems.BufferAllocation(jobs=300, warmup=20)
        whole = problem.evaluate(batch, rng=3)
        each = [problem.evaluate(row, rng=3) for row in batch]
        stacked = problem.evaluate(batch.reshape(2, 3, -1), rng=3)
    else:
        method = "evaluate" if hasattr(problem, "evaluate") else "performance"
        f = getattr(problem, method)
        whole, each, stacked = f(batch), [f(row) for row in batch], f(batch.reshape(2, 3, -1))
    assert whole.shape == (6,)
    assert all(np.shape(v) == () for v in each)
    np.testing.assert_array_equal(whole, np.array(each))
    np.testing.assert_array_equal(stacked, whole.reshape(2, 3))


@pytest.mark.parametrize(
    "problem",
    [
        problems.rastrigin(53),
        problems.rosenbrock(40),
        problems.ackley(64),
        problems.planted_maxcut(60, 20, cross_weight=2.0, rng=0),
        problems.Knapsack(np.linspace(0.1, 7.3, 70), np.linspace(3.7, 0.2, 70), 50.0),
        problems.random_euclidean_tsp(45, rng=1),
        problems.LinearSeriesSystem(np.random.default_rng(0).standard_normal((2, 40)), [3, 4]),
    ],
    ids=lambda p: p.name,
)
def test_large_batches_give_the_same_bits_in_any_memory_layout(problem: Any) -> None:
    rng = np.random.default_rng(9)
    batch = _batch_for(problem, rng)
    f = (
        problem.performance
        if isinstance(problem, problems.LinearSeriesSystem)
        else problem.evaluate
    )
    whole = f(batch)
    np.testing.assert_array_equal(whole, np.array([f(row) for row in batch]))
    np.testing.assert_array_equal(f(np.asfortranarray(batch)), whole)
    np.testing.assert_array_equal(f(np.repeat(batch, 2, axis=0)[::2]), whole)  # strided rows


def test_problems_are_immutable_and_support_dataclasses_replace() -> None:
    import dataclasses

    tsp = problems.load_tsplib("burma14")
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(tsp, "optimum", 1.0)  # noqa: B010
    with pytest.raises(ValueError, match="read-only"):
        tsp.distances[0, 1] = 0
    changed = dataclasses.replace(tsp, optimum=1.0)
    assert (changed.optimum, tsp.optimum) == (1.0, 3323.0)
    np.testing.assert_array_equal(changed.distances, tsp.distances)
    assert dataclasses.replace(problems.load_knapsack("p01"), capacity=100).capacity == 100.0
    assert dataclasses.replace(problems.BridgeNetwork(), threshold=1.0).exact_probability > 1e-3


def test_wrong_candidate_width_is_a_value_error_naming_the_shape() -> None:
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 5\).*got shape \(2, 4\)"):
        problems.bridge_performance(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 3\)"):
        problems.sphere(3).evaluate([1.0, 2.0])
    with pytest.raises(TypeError, match="numeric"):
        problems.sphere(1).evaluate(np.array(["a"]))


# ---------------------------------------------------------------------------------------
# 1. the bridge network


def test_bridge_performance_on_hand_computed_networks() -> None:
    x = np.array(
        [
            [1.0, 2.0, 3.0, 4.0, 5.0],  # paths 5, 9, 7, 9
            [2.0, 0.0, 0.0, 0.0, 2.0],  # 2, 4, 2, 0
            [0.0, 0.0, 0.0, 0.0, 0.0],
        ]
    )
    np.testing.assert_array_equal(problems.bridge_performance(x), [5.0, 0.0, 0.0])


def _bridge_by_other_conditioning(threshold: float, means: tuple[float, ...]) -> float:
    """P(S >= g) conditioning on (X3, X4, X5); X1, X2 integrated exactly, adaptive quad."""
    g = threshold
    r1, r2, r3, r4, r5 = (1.0 / u for u in means)

    def given_345(c: float, d: float, e: float) -> float:
        # the paths 1-4 and 1-3-5 need X1 >= g - d and X1 >= g - c - e; likewise X2
        return math.exp(-r1 * max(g - d, g - c - e, 0.0) - r2 * max(g - e, g - c - d, 0.0))

    def over_c(d: float, e: float) -> float:
        kinks = sorted({p for p in (g - e, d - e, g - d, e - d) if p > 0})
        top = kinks[-1] if kinks else 0.0
        inside = 0.0
        if top > 0:
            inside = integrate.quad(
                lambda c: r3 * math.exp(-r3 * c) * given_345(c, d, e),
                0.0,
                top,
                points=kinks[:-1] or None,
                epsabs=0.0,
                epsrel=1e-10,
                limit=200,
            )[0]
        # beyond every kink the conditional probability no longer depends on c
        return inside + math.exp(-r3 * top) * given_345(top, d, e)

    def over_e(d: float) -> float:
        kinks = sorted({p for p in (g, d, g - d) if p > 0})

        def f(e: float) -> float:
            return r5 * math.exp(-r5 * e) * over_c(d, e)

        head = integrate.quad(
            f, 0.0, kinks[-1], points=kinks[:-1] or None, epsabs=0.0, epsrel=1e-9, limit=200
        )[0]
        return head + integrate.quad(f, kinks[-1], np.inf, epsabs=0.0, epsrel=1e-9)[0]

    def f(d: float) -> float:
        return r4 * math.exp(-r4 * d) * over_e(d)

    return (
        integrate.quad(f, 0.0, g, epsabs=0.0, epsrel=1e-9, limit=200)[0]
        + integrate.quad(f, g, np.inf, epsabs=0.0, epsrel=1e-9, limit=200)[0]
    )


def test_bridge_exact_probability_is_the_tutorials_and_agrees_with_other_quadrature() -> None:
    problem = problems.BridgeNetwork()
    assert problem.means == (0.25, 0.4, 0.1, 0.3, 0.2)
    assert problem.threshold == 2.0
    # the tutorial's figure to its 5 significant digits
    assert f"{problem.exact_probability:.4e}" == "1.3425e-05"
    independent = _bridge_by_other_conditioning(2.0, problem.means)  # about 2 s
    assert problem.exact_probability == pytest.approx(independent, rel=1e-8)


@pytest.mark.parametrize(
    ("threshold", "means"),
    [(0.5, (0.25, 0.4, 0.1, 0.3, 0.2)), (1.0, (0.25, 0.4, 0.1, 0.3, 0.2)), (1.5, (1, 1, 1, 1, 1))],
)
def test_bridge_exact_probability_against_crude_monte_carlo(
    threshold: float, means: tuple[float, ...]
) -> None:
    problem = problems.BridgeNetwork(means=means, threshold=threshold)
    n = 2_000_000
    hits = problem.performance(problem.sample_nominal(np.random.default_rng(11), n)) >= threshold
    estimate = hits.mean()
    se = math.sqrt(problem.exact_probability * (1 - problem.exact_probability) / n)
    assert abs(estimate - problem.exact_probability) < 4.5 * se


def test_bridge_other_thresholds_and_errors() -> None:
    assert problems.BridgeNetwork(threshold=0.0).exact_probability == 1.0
    assert problems.BridgeNetwork(threshold=3.0).exact_probability == pytest.approx(
        _bridge_by_other_conditioning(3.0, (0.25, 0.4, 0.1, 0.3, 0.2)), rel=1e-7
    )
    with pytest.raises(ValueError, match="5 finite positive"):
        problems.BridgeNetwork(means=(1.0, 2.0))
    with pytest.raises(ValueError, match="5 finite positive"):
        problems.BridgeNetwork(means=(1.0, 2.0, 0.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="threshold must be finite"):
        problems.BridgeNetwork(threshold=math.inf)


# ---------------------------------------------------------------------------------------
# 2. network reliability


def _disconnected_by_union_find(
    n_nodes: int, edges: tuple[tuple[int, int], ...], source: int, terminal: int
) -> np.ndarray:
    """For every failure pattern (bit e of the index = edge e failed): s and t cut?"""
    n_edges = len(edges)
    out = np.zeros(1 << n_edges, dtype=bool)
    for state in range(1 << n_edges):
        parent = list(range(n_nodes))

        def root(v: int, parent: list[int] = parent) -> int:
            while parent[v] != v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v

        for e, (u, v) in enumerate(edges):
            if not (state >> e) & 1:
                parent[root(u)] = root(v)
        out[state] = root(source) != root(terminal)
    return out


def _pattern_probabilities(q: np.ndarray) -> np.ndarray:
    states = np.arange(1 << q.size)
    failed = (states[:, None] >> np.arange(q.size)) & 1
    return np.prod(np.where(failed == 1, q, 1 - q), axis=1)


def test_bridge_unreliability_closed_form_and_union_find() -> None:
    for q in (0.5, 0.1, 1e-3, 1e-5):
        p = 1 - q
        reliability = 2 * p**2 + 2 * p**3 - 5 * p**4 + 2 * p**5
        problem = problems.bridge_reliability(q)
        # 1 - R cancels badly for tiny q: compare with the enumeration instead there
        cut = _disconnected_by_union_find(4, problem.edges, 0, 3)
        brute = math.fsum(_pattern_probabilities(np.full(5, q))[cut])
        assert problem.exact_probability == pytest.approx(brute, rel=1e-12)
        assert problem.exact_probability == pytest.approx(1 - reliability, rel=1e-6, abs=1e-15)
    unequal = np.array([0.01, 0.2, 0.05, 0.3, 0.001])
    problem = problems.bridge_reliability(unequal)
    cut = _disconnected_by_union_find(4, problem.edges, 0, 3)
    assert problem.exact_probability == pytest.approx(
        math.fsum(_pattern_probabilities(unequal)[cut]), rel=1e-12
    )


def test_grid_unreliability_by_union_find_over_every_pattern() -> None:
    problem = problems.grid_reliability()  # 3 x 4, 17 edges, q = 1e-4
    assert (problem.n_nodes, problem.dimension) == (12, 17)
    cut = _disconnected_by_union_find(12, problem.edges, 0, 11)
    for q in (np.full(17, 1e-4), np.random.default_rng(2).uniform(0.01, 0.5, 17)):
        expected = math.fsum(_pattern_probabilities(q)[cut])
        assert problems.grid_reliability(failure_probability=q).exact_probability == pytest.approx(
            expected, rel=1e-11
        )
    assert 1e-9 < problem.exact_probability < 1e-6
    # and the performance says "cut" exactly on the union-find's cut patterns
    states = np.arange(1 << 17)
    failed = (states[:, None] >> np.arange(17)) & 1
    np.testing.assert_array_equal(problem.performance(failed) >= 0, cut)


def test_reliability_performance_is_minus_the_number_of_edge_disjoint_paths() -> None:
    problem = problems.grid_reliability(3, 3)
    rng = np.random.default_rng(4)
    failed = (rng.random((150, problem.dimension)) < 0.3).astype(int)
    performance = problem.performance(failed)
    for row, value in zip(failed, performance, strict=True):
        working = [e for e, bit in zip(problem.edges, row, strict=True) if not bit]
        rows = [u for u, v in working] + [v for u, v in working]
        cols = [v for u, v in working] + [u for u, v in working]
        graph = csr_array((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(9, 9))
        flow = maximum_flow(graph, 0, 8).flow_value if working else 0
        assert value == -flow
    assert performance.min() == -2.0  # the corners have two edges


def test_reliability_sampling_and_errors() -> None:
    problem = problems.bridge_reliability([0.5, 0.1, 0.0, 1.0, 0.3])
    draws = problem.sample_nominal(0, 40_000)
    assert set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(axis=0), [0.5, 0.1, 0.0, 1.0, 0.3], atol=0.01)
    with pytest.raises(
        ValueError, match=r"samples must hold only 0 and 1, got 2\.0 at index \[0, 1\]"
    ):
        problem.performance([[0, 2, 0, 0, 0]])
    with pytest.raises(ValueError, match=r"edges\[1\] = \(1, 1\)"):
        problems.NetworkReliability(3, [(0, 1), (1, 1)], 0, 2, [0.1, 0.1])
    with pytest.raises(ValueError, match="one entry per edge"):
        problems.NetworkReliability(3, [(0, 1), (1, 2)], 0, 2, [0.1])
    with pytest.raises(ValueError, match=r"in \[0, 1\], got 1\.5 at index 1"):
        problems.NetworkReliability(3, [(0, 1), (1, 2)], 0, 2, [0.1, 1.5])
    with pytest.raises(ValueError, match="source and terminal must differ"):
        problems.NetworkReliability(3, [(0, 1), (1, 2)], 1, 1, [0.1, 0.1])
    with pytest.raises(ValueError, match="n_nodes must be an int in"):
        problems.NetworkReliability(21, [(0, 1)], 0, 1, [0.1])
    with pytest.raises(ValueError, match="at most 24 edges"):
        _ = problems.grid_reliability(4, 5).exact_probability  # 31 edges
    # a network whose terminal is unreachable is always cut
    lonely = problems.NetworkReliability(3, [(0, 1)], 0, 2, [0.1])
    assert lonely.exact_probability == pytest.approx(1.0)
    np.testing.assert_array_equal(lonely.performance([[0], [1]]), [0.0, 0.0])


# ---------------------------------------------------------------------------------------
# 3. structural reliability


@pytest.mark.parametrize(("beta", "dimension"), [(1.0, 1), (3.0, 2), (4.0, 5), (6.5, 3)])
def test_linear_limit_state_is_phi_of_minus_beta(beta: float, dimension: int) -> None:
    problem = problems.linear_limit_state(beta, dimension=dimension)
    assert problem.exact_probability == pytest.approx(stats.norm.sf(beta), rel=1e-12)
    x = np.random.default_rng(0).standard_normal((5, dimension))
    np.testing.assert_allclose(problem.limit_state(x), beta - x.sum(axis=1) / math.sqrt(dimension))


def _series_by_scipy(normals: np.ndarray, betas: np.ndarray) -> float:
    """1 - P(all a_i x < beta_i) as a sum of tail terms (inclusion-exclusion, scipy mvn)."""
    a = normals / np.linalg.norm(normals, axis=1, keepdims=True)
    corr = a @ a.T
    m = len(betas)
    total = 0.0
    for size in range(1, m + 1):
        for subset in itertools.combinations(range(m), size):
            idx = list(subset)
            if size == 1:
                joint = stats.norm.sf(betas[idx[0]])
            else:  # P(all Z_i > beta_i) = P(all Z_i < -beta_i) by symmetry
                joint = stats.multivariate_normal(
                    np.zeros(size), corr[np.ix_(idx, idx)], allow_singular=True
                ).cdf(-betas[idx])
            total += (-1) ** (size + 1) * joint
    return total


@pytest.mark.parametrize(
    ("normals", "betas"),
    [
        ([[1.0, 0.0], [0.6, 0.8]], [3.5, 4.0]),  # the default
        ([[1.0, 0.0], [0.0, 1.0]], [3.0, 3.0]),  # independent
        ([[1.0, 0.0], [-0.8, 0.6]], [3.0, 3.2]),  # negatively correlated
        ([[1.0, 2.0, 0.5, -1.0], [0.3, -0.2, 1.0, 0.4]], [3.0, 2.5]),  # 4 inputs
        ([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [-1.0, 0.3, 0.0]], [2.5, 2.8, 3.0]),  # coplanar
    ],
)
def test_series_system_against_scipy_multivariate_normal(
    normals: list[list[float]], betas: list[float]
) -> None:
    problem = problems.LinearSeriesSystem(normals, betas)
    expected = _series_by_scipy(np.array(normals), np.array(betas))
    assert problem.exact_probability == pytest.approx(expected, rel=1e-7)


def test_series_system_against_monte_carlo_where_not_rare() -> None:
    problem = problems.LinearSeriesSystem(
        [[1.0, 0.0, 0.0], [0.2, 1.0, 0.0], [-0.7, 0.1, 0.0]], [1.0, 1.5, 1.2]
    )
    n = 1_000_000
    failures = problem.performance(problem.sample_nominal(3, n)) >= 0
    se = math.sqrt(problem.exact_probability * (1 - problem.exact_probability) / n)
    assert abs(failures.mean() - problem.exact_probability) < 4.5 * se
    assert problems.series_system().exact_probability == pytest.approx(
        _series_by_scipy(np.array([[1.0, 0.0], [0.6, 0.8]]), np.array([3.5, 4.0])), rel=1e-8
    )


def test_limit_state_errors() -> None:
    with pytest.raises(ValueError, match=r"betas must be finite and > 0.*-1\.0 at index 1"):
        problems.LinearSeriesSystem([[1.0, 0.0], [0.0, 1.0]], [2.0, -1.0])
    with pytest.raises(ValueError, match="row 1 is not"):
        problems.LinearSeriesSystem([[1.0, 0.0], [0.0, 0.0]], [2.0, 1.0])
    with pytest.raises(ValueError, match="one per normal"):
        problems.LinearSeriesSystem([[1.0, 0.0]], [2.0, 1.0])
    three_d = problems.LinearSeriesSystem(np.eye(3), [3.0, 3.0, 3.0])
    assert three_d.performance([[0.0, 0.0, 3.5]]) == pytest.approx([0.5])
    with pytest.raises(ValueError, match="span at most two dimensions; these span 3"):
        _ = three_d.exact_probability


# ---------------------------------------------------------------------------------------
# 4. max-cut


def _best_cut_by_enumeration(weights: np.ndarray) -> tuple[float, np.ndarray]:
    n = weights.shape[0]
    codes = np.arange(1 << (n - 1))
    best, arg = -math.inf, np.zeros(n)
    for start in range(0, codes.size, 1 << 15):
        chunk = codes[start : start + (1 << 15)]
        x = np.zeros((chunk.size, n))
        x[:, 1:] = (chunk[:, None] >> np.arange(n - 1)) & 1
        # cut weight as the sum over edges with ends on different sides
        diff = x[:, :, None] != x[:, None, :]
        values = (np.triu(weights, 1)[None] * diff).sum(axis=(1, 2))
        k = int(values.argmax())
        if values[k] > best:
            best, arg = float(values[k]), x[k]
    return best, arg


@pytest.mark.parametrize("name", ["petersen", "random20"])
def test_shipped_maxcut_optima_by_enumerating_every_cut(name: str) -> None:
    problem = problems.load_maxcut(name)
    best, arg = _best_cut_by_enumeration(problem.weights)
    assert best == problem.optimum
    assert problem.evaluate(arg) == best
    expected = {"petersen": (10, 15, 12.0), "random20": (20, 97, 360.0)}[name]
    assert (problem.n_nodes, len(problem.edges), problem.optimum) == expected


@pytest.mark.parametrize(
    ("n", "m", "ratio"),
    [(10, 5, 1.0), (11, 4, 1.75), (12, 3, 3.0), (9, 6, 2.0), (13, 1, 12.0), (12, 8, 2.0)],
)
def test_planted_maxcut_is_optimal_at_the_smallest_allowed_cross_weight(
    n: int, m: int, ratio: float
) -> None:
    assert ratio == max(m, n - m) / min(m, n - m)
    for seed in range(3):
        problem = problems.planted_maxcut(n, m, cross_weight=ratio, rng=seed)
        best, _ = _best_cut_by_enumeration(problem.weights)
        assert best == pytest.approx(problem.optimum, rel=1e-12)
        assert problem.optimum == pytest.approx(ratio * m * (n - m))
        assert problem.evaluate(problem.optimal_cut) == pytest.approx(problem.optimum)
        assert problem.optimal_cut[0] == 0


def test_the_tutorials_condition_is_not_enough_when_the_first_block_is_larger() -> None:
    # n = 10, m = 6: c = 0.7 > b (n - m) / m = 2/3, but one node of V1 gains by crossing
    n, m, c = 10, 6, 0.7
    weights = np.full((n, n), c)
    weights[:m, :m] = weights[m:, m:] = 0.999
    np.fill_diagonal(weights, 0.0)
    problem = problems.MaxCut(weights)
    planted = np.r_[np.zeros(m), np.ones(n - m)]
    best, _ = _best_cut_by_enumeration(weights)
    assert best > problem.evaluate(planted) + 1.0
    with pytest.raises(ValueError, match=r"cross_weight must be >= .* = 1\.5"):
        problems.planted_maxcut(n, m, cross_weight=c)


def test_the_planted_cut_bound_holds_for_every_block_split() -> None:
    # loss c [k1 (n-m) + k2 m - 2 k1 k2] >= gain b [k1 (m-k1) + k2 (n-m-k2)] when
    # c >= b max(m, n-m) / min(m, n-m), for every cut but the planted one
    for n in range(2, 26):
        for m in range(1, n):
            bound = max(m, n - m) / min(m, n - m)
            for k1 in range(m + 1):
                for k2 in range(n - m + 1):
                    if (k1, k2) in ((0, 0), (m, n - m)):
                        continue
                    loss = k1 * (n - m) + k2 * m - 2 * k1 * k2
                    gain = k1 * (m - k1) + k2 * (n - m - k2)
                    assert loss > 0
                    assert bound * loss >= gain


def test_planted_maxcut_weights_and_reproducibility() -> None:
    a = problems.planted_maxcut(12, 5, cross_weight=3.0, low=0.2, high=1.2, rng=7)
    b = problems.planted_maxcut(12, 5, cross_weight=3.0, low=0.2, high=1.2, rng=7)
    np.testing.assert_array_equal(a.weights, b.weights)
    inside = np.r_[
        a.weights[:5, :5][np.triu_indices(5, 1)], a.weights[5:, 5:][np.triu_indices(7, 1)]
    ]
    assert inside.min() >= 0.2
    assert inside.max() < 1.2
    assert np.all(a.weights[:5, 5:] == 3.0)
    for kwargs in ({"low": 1.0, "high": 1.0}, {"low": -1.0}):
        with pytest.raises(ValueError, match="0 <= low < high"):
            problems.planted_maxcut(6, 3, **kwargs)
    with pytest.raises(ValueError, match="block_size must be in"):
        problems.planted_maxcut(6, 6)


def test_maxcut_file_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    weights = np.triu(rng.standard_normal((9, 9)) * (rng.random((9, 9)) < 0.6), 1)
    weights = weights + weights.T
    problem = problems.MaxCut(weights, name="x")
    path = tmp_path / "graph.txt"
    problems.write_maxcut(path, problem, comment="two\nlines")
    text = path.read_text()
    assert text.startswith("# two\n# lines\n9 ")
    again = problems.read_maxcut(path)
    np.testing.assert_array_equal(again.weights, weights)  # exact, 17 digits
    assert again.name == "graph"
    assert again.optimum is None


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "no header"),
        ("# only a comment\n", None, "no header"),
        ("3\n", 1, "expected the header 'n_nodes n_edges'"),
        ("3 x\n", 1, "expected the header"),
        ("1 0\n", 1, "need at least 2 nodes"),
        ("3 1\n1 2\n", 2, "expected an edge 'i j w'"),
        ("3 1\n1 b 2\n", 2, "expected integers i, j and a number w"),
        ("3 1\n1 4 2\n", 2, r"node out of range 1\.\.3"),
        ("3 1\n0 1 2\n", 2, "node out of range"),
        ("3 1\n2 2 1\n", 2, "self-loop on node 2"),
        ("3 2\n1 2 1\n# c\n2 1 5\n", 4, r"edge \(1, 2\) already given on line 2"),
        ("3 1\n1 2 nan\n", 2, "weight must be finite"),
        ("# c\n3 2\n1 2 1\n", 2, "the header announces 2 edges, the file has 1"),
    ],
)
def test_malformed_maxcut_files_name_file_and_line(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    where = f"bad.txt, line {line}: " if line else "bad.txt: "
    with pytest.raises(ValueError, match=where + message):
        problems.read_maxcut(path)


def test_maxcut_checks_its_inputs() -> None:
    with pytest.raises(ValueError, match=r"symmetric, got 1\.0 at \[0, 1\] and 2\.0 at \[1, 0\]"):
        problems.MaxCut([[0, 1], [2, 0]])
    with pytest.raises(ValueError, match="zero diagonal"):
        problems.MaxCut([[1, 1], [1, 0]])
    with pytest.raises(ValueError, match="must be finite"):
        problems.MaxCut([[0, np.inf], [np.inf, 0]])
    with pytest.raises(ValueError, match="not the given optimum"):
        problems.MaxCut([[0, 1], [1, 0]], optimum=2.0, optimal_cut=[0, 1])
    flipped = problems.MaxCut([[0, 1], [1, 0]], optimum=1.0, optimal_cut=[1, 0])
    assert flipped.optimal_cut.tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"only 0 and 1, got 0\.5 at index \[1\]"):
        flipped.evaluate([0, 0.5])
    with pytest.raises(ValueError, match="no shipped maxcut instance named 'g1'; choose one of"):
        problems.load_maxcut("g1")


# ---------------------------------------------------------------------------------------
# 6. knapsack


def _knapsack_by_dynamic_programming(
    values: np.ndarray, weights: np.ndarray, capacity: float
) -> float:
    best = np.zeros(int(capacity) + 1)
    for v, w in zip(values, weights.astype(int), strict=True):
        if w <= capacity:
            best[w:] = np.maximum(best[w:], best[: best.size - w] + v)
    return float(best[-1])


def _knapsack_by_enumeration(problem: problems.Knapsack) -> float:
    n = problem.n_items
    x = (np.arange(1 << n)[:, None] >> np.arange(n)) & 1
    value, _, excess = problem.assess(x)
    return float(value[excess == 0].max())


@pytest.mark.parametrize("name", ["p01", "p07", "corr40"])
def test_shipped_knapsack_optima_by_dynamic_programming(name: str) -> None:
    problem = problems.load_knapsack(name)
    assert np.all(problem.weights == np.round(problem.weights))
    assert (
        _knapsack_by_dynamic_programming(problem.values, problem.weights, problem.capacity)
        == problem.optimum
    )
    if problem.n_items <= 15:
        assert _knapsack_by_enumeration(problem) == problem.optimum
    sizes = {"p01": (10, 165.0, 309.0), "p07": (15, 750.0, 1458.0), "corr40": (40, 948.0, 1218.0)}
    assert (problem.n_items, problem.capacity, problem.optimum) == sizes[name]


def test_dynamic_programming_oracle_agrees_with_enumeration() -> None:
    rng = np.random.default_rng(8)
    for _ in range(20):
        n = int(rng.integers(1, 12))
        w, v = rng.integers(0, 20, n), rng.integers(0, 30, n)
        problem = problems.Knapsack(v, w, float(rng.integers(0, 60)))
        assert _knapsack_by_dynamic_programming(v, w, problem.capacity) == _knapsack_by_enumeration(
            problem
        )


def test_knapsack_objective_flags_infeasible_selections_by_their_excess() -> None:
    problem = problems.load_knapsack("p01")
    best = [1, 1, 1, 1, 0, 1, 0, 0, 0, 0]
    everything = [1] * 10
    assessment = problem.assess([best, everything])
    np.testing.assert_array_equal(assessment.value, [309, 679])
    np.testing.assert_array_equal(assessment.weight, [165, 537])
    np.testing.assert_array_equal(assessment.excess, [0, 372])
    np.testing.assert_array_equal(assessment.feasible, [True, False])
    np.testing.assert_array_equal(problem.evaluate([best, everything]), [309, -372])
    np.testing.assert_array_equal(
        problem.evaluate([best, everything], penalty=2.0), [309, 679 - 744]
    )
    with pytest.raises(ValueError, match="penalty must be finite and >= 0"):
        problem.evaluate([best], penalty=-1.0)


def test_knapsack_file_round_trip(tmp_path: Path) -> None:
    problem = problems.Knapsack([1.5, 2.0, 1e-3], [0.25, 3.0, 7.0], 4.125, name="z")
    path = tmp_path / "k.txt"
    problems.write_knapsack(path, problem, comment="three items")
    assert path.read_text() == "# three items\n3 4.125\n1.5 0.25\n2 3\n0.001 7\n"
    again = problems.read_knapsack(path)
    np.testing.assert_array_equal(again.values, problem.values)
    np.testing.assert_array_equal(again.weights, problem.weights)
    assert (again.capacity, again.name) == (4.125, "k")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "no header"),
        ("3\n", 1, "expected the header 'n capacity'"),
        ("x 10\n", 1, "the number of items must be an integer"),
        ("2 -1\n", 1, "the capacity must be finite and >= 0"),
        ("2 10\n1 2 3\n", 2, "expected an item 'value weight'"),
        ("2 10\n1 a\n", 2, "expected a number for a weight"),
        ("2 10\n-1 2\n", 2, "a value must be finite and >= 0"),
        ("1 10\n1 2\n3 4\n", 3, "more than the 1 items announced"),
        ("# c\n3 10\n1 2\n", 2, "the header announces 3 items, the file has 1"),
        ("0 10\n", 1, "the header announces 0 items"),
    ],
)
def test_malformed_knapsack_files_name_file_and_line(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    where = f"bad.txt, line {line}: " if line else "bad.txt: "
    with pytest.raises(ValueError, match=where + message):
        problems.read_knapsack(path)


def test_knapsack_checks_its_inputs() -> None:
    with pytest.raises(ValueError, match="same length"):
        problems.Knapsack([1, 2], [1], 3)
    with pytest.raises(ValueError, match=r"weights must be finite and >= 0, got -1\.0 at index 1"):
        problems.Knapsack([1, 2], [1, -1], 3)
    with pytest.raises(ValueError, match="capacity must be finite"):
        problems.Knapsack([1], [1], math.nan)


# ---------------------------------------------------------------------------------------
# 7. continuous functions


@pytest.mark.parametrize(
    "problem",
    [
        problems.sphere(4),
        problems.rosenbrock(5),
        problems.rastrigin(3),
        problems.ackley(6),
        problems.two_bump(),
        problems.peaks(),
        problems.peaks(sense="minimize"),
    ],
    ids=lambda p: p.name,
)
def test_continuous_optimum_is_attained_and_not_beaten(problem: problems.ContinuousProblem) -> None:
    assert problem.evaluate(problem.optimizer) == pytest.approx(problem.optimum, abs=1e-14)
    x = np.random.default_rng(1).uniform(problem.lower, problem.upper, (20_000, problem.dimension))
    values = problem.evaluate(x)
    sign = 1.0 if problem.sense == "minimize" else -1.0
    assert np.all(sign * values >= sign * problem.optimum - 1e-12)
    # a local optimiser started next to the optimum comes back to it
    found = optimize.minimize(
        lambda v: sign * problem.evaluate(v),
        problem.optimizer + 0.01,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20_000, "maxfev": 20_000},
    )
    np.testing.assert_allclose(found.x, problem.optimizer, atol=1e-5)


def test_peaks_global_extrema_by_multistart_optimisation() -> None:
    starts = np.stack(np.meshgrid(np.linspace(-2.5, 2.5, 7), np.linspace(-2.5, 2.5, 7)), -1)
    for sense, sign in (("maximize", -1.0), ("minimize", 1.0)):
        problem = problems.peaks(sense=sense)

        def objective(
            v: np.ndarray, sign: float = sign, problem: problems.ContinuousProblem = problem
        ) -> float:
            return float(sign * problem.evaluate(v))

        runs = [
            optimize.minimize(objective, s, method="BFGS", options={"gtol": 1e-10})
            for s in starts.reshape(-1, 2)
        ]
        best = min(runs, key=lambda r: r.fun)
        assert sign * best.fun == pytest.approx(problem.optimum, rel=1e-12)
        np.testing.assert_allclose(best.x, problem.optimizer, atol=1e-6)
    assert round(problems.peaks().optimum, 4) == 8.1062
    np.testing.assert_allclose(problems.peaks().optimizer, [-0.0093, 1.5814], atol=5e-5)
    assert round(problems.peaks(sense="minimize").optimum, 4) == -6.5511
    np.testing.assert_allclose(
        problems.peaks(sense="minimize").optimizer, [0.2283, -1.6255], atol=5e-5
    )
    # the formula itself, at a point worked by hand: z(0, 0) = 3 e^{-1} - e^{-1}/3
    assert problems.peaks().evaluate([0.0, 0.0]) == pytest.approx(
        3 * math.exp(-1) - math.exp(-1) / 3
    )


def test_two_bump_maximum_by_newton_on_the_derivative() -> None:
    def slope(x: float) -> float:
        return -2 * (x - 2) * math.exp(-((x - 2) ** 2)) - 1.6 * (x + 2) * math.exp(-((x + 2) ** 2))

    root = optimize.brentq(slope, 1.5, 2.5, xtol=1e-15)
    problem = problems.two_bump()
    assert problem.optimizer[0] == pytest.approx(root, abs=1e-12)
    assert problem.optimum == pytest.approx(1 + 0.8 * math.exp(-((root + 2) ** 2)), rel=1e-15)
    local = optimize.brentq(slope, -2.5, -1.5, xtol=1e-15)
    assert problem.evaluate([local]) == pytest.approx(0.8 + math.exp(-16), rel=1e-6)
    assert problem.sense == "maximize"


def test_continuous_functions_at_hand_computed_points() -> None:
    assert problems.rosenbrock(2).evaluate([0.0, 1.0]) == 101.0
    assert problems.rastrigin(1).evaluate([1.0]) == pytest.approx(1.0)
    assert problems.ackley(2).evaluate([1.0, 0.0]) == pytest.approx(
        -20 * math.exp(-0.2 * math.sqrt(0.5)) - math.exp(1.0) + 20 + math.e
    )
    assert (
        problems.sphere(3).describe()
        == "sphere-3d: minimize over [-5.12, 5.12]^3; optimum 0 at (0, 0, 0)"
    )
    with pytest.raises(ValueError, match="dimension must be an int >= 2"):
        problems.rosenbrock(1)
    bad_sense: Any = "max"
    with pytest.raises(ValueError, match="sense must be"):
        problems.peaks(sense=bad_sense)


# ---------------------------------------------------------------------------------------
# 8. buffer allocation in a production line


@pytest.mark.parametrize(
    ("mu1", "mu2", "buffer"), [(1.0, 1.0, 0), (1.0, 1.0, 3), (2.0, 0.5, 1), (0.7, 1.3, 4)]
)
def test_two_machine_line_closed_form(mu1: float, mu2: float, buffer: int) -> None:
    places = buffer + 2
    pi = (mu1 / mu2) ** np.arange(places + 1)
    pi /= pi.sum()
    assert problems.line_throughput([mu1, mu2], [buffer]) == pytest.approx(
        mu2 * (1 - pi[0]), rel=1e-12
    )


def test_line_throughput_is_invariant_under_reversal() -> None:
    # the reversibility of production lines with blocking after service (Muth 1979)
    rng = np.random.default_rng(0)
    for _ in range(5):
        rates = rng.uniform(0.5, 2.0, 4)
        buffers = rng.integers(0, 3, 3)
        assert problems.line_throughput(rates, buffers) == pytest.approx(
            problems.line_throughput(rates[::-1], buffers[::-1]), rel=1e-10
        )


def test_simulated_throughput_agrees_with_the_markov_chain() -> None:
    problem = problems.BufferAllocation(jobs=20_000, warmup=500, replications=4)
    allocations = problem.all_allocations()
    assert allocations.shape == (28, 3)
    assert len({tuple(a) for a in allocations}) == 28
    assert np.all(allocations.sum(axis=1) == 6)
    exact = problem.exact_throughput(allocations)
    per_replication = np.stack(
        [
            problems.BufferAllocation(jobs=20_000, warmup=500).evaluate(allocations, rng=s)
            for s in range(4)
        ]
    )
    mean = per_replication.mean(axis=0)
    se = per_replication.std(axis=0, ddof=1) / 2
    assert np.all(np.abs(mean - exact) < 5 * se + 2e-3)
    # the exhaustive simulation picks the exact optimum, which is unique with a margin
    assert tuple(allocations[mean.argmax()]) == (2, 2, 2) == tuple(problem.optimal_allocation)
    runner_up = np.sort(exact)[-2]
    assert problem.optimum - runner_up > 0.007
    assert problem.optimum == pytest.approx(0.7007129023, abs=1e-9)


def test_buffer_allocation_inputs() -> None:
    problem = problems.BufferAllocation()
    np.testing.assert_array_equal(
        problem.allocations_from_slots([[0, 0, 1, 2, 2, 2], [1, 1, 1, 1, 1, 1]]),
        [[2, 1, 3], [0, 6, 0]],
    )
    with pytest.raises(ValueError, match=r"summing to 6; row \[1\] is \[1, 1, 1\]"):
        problem.evaluate([[2, 2, 2], [1, 1, 1]])
    with pytest.raises(ValueError, match=r"slots must hold buffer indices 0\.\.2"):
        problem.allocations_from_slots([[0, 0, 0, 0, 0, 3]])
    with pytest.raises(ValueError, match="rates must be at least 2"):
        problems.BufferAllocation(rates=(1.0,))
    with pytest.raises(ValueError, match="jobs must be an int >= 1"):
        problems.BufferAllocation(jobs=0)
    assert "optimum 0.700713 at (2, 2, 2)" in problem.describe()
