"""Each problem says how the cross-entropy method starts on it; `crossentropy cem` obeys."""

from __future__ import annotations

import numpy as np
import pytest

from crossentropy.cli import main
from crossentropy.method import Bernoulli, Categorical, Exponential, Gaussian, Permutation
from crossentropy.method import problems as pb


def test_maxcut_breaks_the_symmetry_of_x_and_one_minus_x() -> None:
    problem = pb.load_maxcut("petersen")
    family = problem.initial_family()
    assert isinstance(family, Bernoulli)
    np.testing.assert_array_equal(family.p, [0.0] + [0.5] * (problem.n_nodes - 1))
    # x and 1 - x are the same cut: the fixed node loses nothing
    x = np.random.default_rng(0).integers(0, 2, size=(50, problem.n_nodes))
    np.testing.assert_array_equal(problem.evaluate(x), problem.evaluate(1 - x))
    assert problem.default_sample_size == 1000  # max(1000, 10 * 10)
    assert pb.planted_maxcut(200, 100).default_sample_size == 2000
    assert problem.default_rho == 0.1


def test_tsp_knapsack_continuous_and_buffer_defaults() -> None:
    tsp = pb.load_tsplib("burma14")
    assert isinstance(tsp.initial_family(), Permutation)
    assert (tsp.default_sample_size, tsp.default_rho) == (10 * 14 * 14, 0.02)
    knapsack = pb.load_knapsack("p01")
    family = knapsack.initial_family()
    assert isinstance(family, Bernoulli)
    np.testing.assert_array_equal(family.p, np.full(knapsack.n_items, 0.5))
    assert knapsack.default_sample_size == max(1000, 10 * knapsack.n_items)
    sphere = pb.sphere(8)
    gaussian = sphere.initial_family()
    assert isinstance(gaussian, Gaussian)
    np.testing.assert_array_equal(gaussian.mean, (sphere.lower + sphere.upper) / 2)
    np.testing.assert_array_equal(gaussian.std, (sphere.upper - sphere.lower) / 2)
    assert sphere.default_sample_size == 80
    line = pb.BufferAllocation((1.0, 1.0, 1.0, 1.0), 6, 200)
    categorical = line.initial_family()
    assert isinstance(categorical, Categorical)
    np.testing.assert_allclose(categorical.probs, np.full((6, 3), 1 / 3))
    assert line.default_sample_size == 60


def test_rare_event_nominal_families_and_settings() -> None:
    bridge = pb.BridgeNetwork(threshold=2.0)
    nominal = bridge.nominal_family()
    assert isinstance(nominal, Exponential)
    np.testing.assert_array_equal(nominal.mean, bridge.means)
    assert (bridge.default_rho, bridge.default_alpha) == (0.1, 1.0)
    network = pb.bridge_reliability(0.01)
    failures = network.nominal_family()
    assert isinstance(failures, Bernoulli)
    np.testing.assert_array_equal(failures.p, network.failure_probabilities)
    assert (network.default_rho, network.default_alpha) == (0.01, 0.7)
    series = pb.series_system()
    standard = series.nominal_family()
    np.testing.assert_array_equal(standard.mean, np.zeros(series.dimension))
    np.testing.assert_array_equal(standard.std, np.ones(series.dimension))


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["tsp", "--instance", "burma14"], lambda: pb.load_tsplib("burma14")),
        (["knapsack", "--instance", "p01"], lambda: pb.load_knapsack("p01")),
        (["continuous", "rosenbrock", "--dim", "7"], lambda: pb.rosenbrock(7)),
    ],
)
def test_the_command_starts_from_the_problems_own_settings(
    argv: list[str], problem: object, capsys: pytest.CaptureFixture[str]
) -> None:
    built = problem()  # type: ignore[operator]
    assert main(["cem", *argv, "--seed", "1", "--max-iterations", "1"]) == 0
    settings = capsys.readouterr().out.splitlines()[1]
    family = type(built.initial_family()).__name__
    assert settings.startswith(
        f"cross-entropy method, {family} family: N = {built.default_sample_size}, "
        f"rho = {built.default_rho:g},"
    )
