"""Parallel evaluation: the same seed gives the same search on every executor.

Serial, vectorised, a thread pool, a process pool (spawned workers, two of them) and a
local Dask cluster through ``client.get_executor(pure=False)`` must give bit-identical
results. The objective's own "noise" is derived from the candidate's bytes, as the
documentation of ``minimize`` advises, so it is the same wherever it runs.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from crossentropy.method._evaluate import evaluate
from crossentropy.method._minimize import minimize

try:
    from crossentropy.method._families import Gaussian
except ImportError:  # the package's families are written in parallel
    Gaussian = None  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from crossentropy.method._result import OptimizeResult


def candidate_noise(x: np.ndarray) -> float:
    """A standard normal draw seeded by the candidate's bytes: random, yet reproducible."""
    digest = hashlib.blake2b(np.ascontiguousarray(x).tobytes(), digest_size=8).digest()
    return float(np.random.default_rng(int.from_bytes(digest, "little")).standard_normal())


def rastrigin_noisy(x: np.ndarray) -> float:
    """Module level, so spawned worker processes can import it by name."""
    value = 10.0 * x.size + np.sum(x * x - 10.0 * np.cos(2.0 * np.pi * x))
    return float(value) + 0.01 * candidate_noise(x)


def rastrigin_noisy_batch(x: np.ndarray) -> np.ndarray:
    return np.array([rastrigin_noisy(row) for row in x])


class Normal:
    """Independent normal coordinates (the package's Gaussian may not exist yet)."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean, self.std = mean, std

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.mean + self.std * rng.standard_normal((n, self.mean.size))

    def fit(self, samples: np.ndarray, weights: np.ndarray | None = None) -> Normal:
        return Normal(samples.mean(axis=0), samples.std(axis=0))

    def smooth(self, previous: Normal, alpha: float) -> Normal:
        return Normal(
            alpha * self.mean + (1 - alpha) * previous.mean,
            alpha * self.std + (1 - alpha) * previous.std,
        )

    def log_density(self, samples: np.ndarray) -> np.ndarray:
        z = (samples - self.mean) / self.std
        return np.sum(-0.5 * z**2 - np.log(self.std) - 0.5 * np.log(2 * np.pi), axis=1)

    def is_degenerate(self, tol: float) -> bool:
        return bool(self.std.max() <= tol)

    def summary(self) -> dict[str, float]:
        return {"max_std": float(self.std.max())}


@pytest.fixture(scope="module", params=["test-normal", "package-gaussian"])
def start(request: pytest.FixtureRequest) -> Any:
    if request.param == "test-normal":
        return Normal(np.full(3, 2.0), np.full(3, 3.0))
    if Gaussian is None:
        pytest.skip("package families not available")
    return Gaussian(np.full(3, 2.0), np.full(3, 3.0))


OPTIONS: dict[str, Any] = {"sample_size": 40, "rho": 0.2, "max_iterations": 8, "rng": 2024}


@pytest.fixture(scope="module")
def serial(start: Any) -> OptimizeResult[Any]:
    return minimize(rastrigin_noisy, start, **OPTIONS)


def assert_identical(a: OptimizeResult[Any], b: OptimizeResult[Any]) -> None:
    assert a.best.tobytes() == b.best.tobytes()
    assert a.best_value == b.best_value
    assert a.history == b.history
    assert a.runs == b.runs
    assert a.family.summary() == b.family.summary()


def test_serial_run_is_a_real_search(serial: OptimizeResult[Any]) -> None:
    assert serial.n_iterations == 8
    assert serial.n_evaluations == 320
    assert serial.history[-1].elite_level < serial.history[0].elite_level


def test_vectorised_equals_serial(start: Any, serial: OptimizeResult[Any]) -> None:
    assert_identical(minimize(rastrigin_noisy_batch, start, vectorized=True, **OPTIONS), serial)


def test_thread_pool_equals_serial(start: Any, serial: OptimizeResult[Any]) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        result = minimize(rastrigin_noisy, start, executor=pool, **OPTIONS)
    assert_identical(result, serial)


@pytest.fixture(scope="module")
def process_pool() -> Iterator[ProcessPoolExecutor]:
    # spawn: portable, and no fork of a process that already runs threads
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        yield pool


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
    assert client.status == "closed"


def test_process_pool_equals_serial(
    start: Any, serial: OptimizeResult[Any], process_pool: ProcessPoolExecutor
) -> None:
    result = minimize(rastrigin_noisy, start, executor=process_pool, chunksize=10, **OPTIONS)
    assert_identical(result, serial)


def test_dask_cluster_equals_serial(
    start: Any, serial: OptimizeResult[Any], dask_client: Any
) -> None:
    # pure=False: Dask must not merge calls it takes for identical
    executor = dask_client.get_executor(pure=False)
    assert_identical(minimize(rastrigin_noisy, start, executor=executor, **OPTIONS), serial)


def test_restarts_are_identical_across_executors(start: Any) -> None:
    options = {**OPTIONS, "max_iterations": 3, "stall_iterations": 1, "restarts": 2}
    options["degenerate_tol"] = 10.0  # every run ends "degenerate" at once: 3 runs
    serial = minimize(rastrigin_noisy, start, **options)
    assert len(serial.runs) == 3
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert_identical(minimize(rastrigin_noisy, start, executor=pool, **options), serial)


# --- evaluate() -----------------------------------------------------------------------


class RecordingExecutor(Executor):
    """Runs ``map`` serially, in reverse completion order, and records its arguments."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
        **kwargs: Any,
    ) -> Iterator[Any]:
        items = list(zip(*iterables, strict=False))  # map stops at the shortest
        self.calls.append({"n": len(items), "chunksize": chunksize})
        results = [fn(*item) for item in reversed(items)]  # finish in reverse order
        return iter(results[::-1])  # but hand back in input order, as map must


def test_evaluate_passes_chunksize_and_keeps_order() -> None:
    executor = RecordingExecutor()
    x = np.arange(12.0).reshape(6, 2)
    values = evaluate(lambda c: float(c[0] - c[1] * 10), x, executor=executor, chunksize=3)
    np.testing.assert_array_equal(values, x[:, 0] - 10 * x[:, 1])
    assert executor.calls == [{"n": 6, "chunksize": 3}]


def test_threads_really_run_concurrently() -> None:
    barrier = threading.Barrier(2, timeout=5)

    def meet(c: np.ndarray) -> float:
        barrier.wait()  # deadlocks (times out) unless two calls run at once
        return float(c.sum())

    with ThreadPoolExecutor(max_workers=2) as pool:
        values = evaluate(meet, np.ones((4, 3)), executor=pool)
    np.testing.assert_array_equal(values, [3.0] * 4)


def test_candidates_are_read_only_for_the_objective() -> None:
    def vandal(c: np.ndarray) -> float:
        c[0] = 0.0
        return 0.0

    x = np.ones((3, 2))
    with pytest.raises(ValueError, match="read-only"):
        evaluate(vandal, x)
    with pytest.raises(ValueError, match="read-only"):
        evaluate(lambda b: vandal(b[0]) + np.zeros(len(b)), x, vectorized=True)
    assert np.all(x == 1.0)


@pytest.mark.parametrize(
    ("objective", "options", "error", "match"),
    [
        (lambda c: c, {}, TypeError, r"candidate 0 gave an array of shape \(2,\)"),
        (lambda c: "x", {}, TypeError, "must return a real number; candidate 0 gave 'x'"),
        (lambda b: b.sum(), {"vectorized": True}, ValueError, r"shape \(3,\) for 3 candidates"),
        (
            lambda b: b[:, 0],
            {"vectorized": True, "executor": RecordingExecutor()},
            ValueError,
            "executor spreads the calls of a scalar objective",
        ),
        (lambda c: 0.0, {"chunksize": 0}, ValueError, "chunksize must be >= 1"),
        (lambda c: 0.0, {"chunksize": 2.0}, TypeError, "chunksize must be an int"),
    ],
)
def test_evaluate_errors(
    objective: Callable[[np.ndarray], Any], options: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        evaluate(objective, np.ones((3, 2)), **options)


def test_objective_errors_propagate_unchanged() -> None:
    def broken(c: np.ndarray) -> float:
        raise KeyError("from the objective")

    with ThreadPoolExecutor(max_workers=2) as pool, pytest.raises(KeyError, match="from the"):
        minimize(broken, Normal(np.zeros(2), np.ones(2)), executor=pool, sample_size=10, rng=0)


def test_nan_from_an_executor_is_reported_with_its_index() -> None:
    def nan_at_two(c: np.ndarray) -> float:
        return float("nan") if c[0] == 2.0 else 0.0

    class Fixed:
        """A family whose samples are 0, 1, 2, ...: the NaN is candidate 2."""

        def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
            return np.arange(float(n))[:, None]

        def fit(self, samples: np.ndarray, weights: np.ndarray | None = None) -> Fixed:
            return self

        def smooth(self, previous: Fixed, alpha: float) -> Fixed:
            return self

        def log_density(self, samples: np.ndarray) -> np.ndarray:
            return np.zeros(len(samples))

        def is_degenerate(self, tol: float) -> bool:
            return False

        def summary(self) -> dict[str, float]:
            return {}

    with ThreadPoolExecutor(max_workers=2) as pool, pytest.raises(ValueError, match="index 2"):
        minimize(nan_at_two, Fixed(), executor=pool, sample_size=5, rng=0)
