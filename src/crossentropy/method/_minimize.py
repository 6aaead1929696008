r"""``minimize`` and ``maximize``: the ask/tell loop with evaluation, penalties and restarts.

Each run is a :class:`~crossentropy.method.CrossEntropyOptimizer` driven to its stop;
candidates are evaluated by :func:`~crossentropy.method._evaluate.evaluate`
(vectorised, serial, or over an executor). Restarts begin again from the initial
family with a fresh generator seeded from the caller's, so the whole search is a
function of ``rng`` alone.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import numpy as np

from crossentropy.method._evaluate import evaluate
from crossentropy.method._optimizer import CrossEntropyOptimizer
from crossentropy.method._options import as_generator, check_count, initial_sample_size
from crossentropy.method._protocol import SamplingFamily
from crossentropy.method._result import (
    CALLBACK,
    DEGENERATE,
    MAX_EVALUATIONS,
    STALLED,
    TARGET,
    IterationLog,
    OptimizeResult,
    RunSummary,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Executor

    from numpy.typing import NDArray
    from typing_extensions import Unpack

    from crossentropy.method._schedule import AdaptiveSampleSize, Smoothing

__all__ = ["maximize", "minimize"]

F = TypeVar("F", bound=SamplingFamily)


def _penalties(
    penalty: Callable[[NDArray[Any]], Any], candidates: NDArray[Any], *, vectorized: bool
) -> NDArray[np.float64]:
    """``penalty`` of each candidate, checked to be ``>= 0`` (``+inf`` allowed)."""
    view = candidates.view()
    view.flags.writeable = False
    if vectorized:
        values = np.asarray(penalty(view), dtype=np.float64)
        if values.shape != (view.shape[0],):
            msg = f"a vectorized penalty must return shape ({view.shape[0]},), got {values.shape}"
            raise ValueError(msg)
    else:
        values = np.array([float(penalty(c)) for c in view], dtype=np.float64)
    bad = np.flatnonzero(~(values >= 0))  # NaN compares False, so it is caught too
    if bad.size:
        i = int(bad[0])
        msg = f"penalty must be >= 0 (and not NaN); candidate {i} got {values[i]}"
        raise ValueError(msg)
    return values


class OptimizerOptions(TypedDict, total=False):
    """The options :func:`minimize` and :func:`maximize` pass to each optimiser run.

    Their defaults are :class:`~crossentropy.method.CrossEntropyOptimizer`'s, the one
    place they are written.
    """

    rho: float
    sample_size: int | AdaptiveSampleSize | None
    alpha: Smoothing
    scale_alpha: Smoothing | None
    max_iterations: int | None
    stall_iterations: int | None
    stall_tol: float
    degenerate_tol: float
    target: float | None


class SearchOptions(OptimizerOptions, total=False):
    """Every keyword option of :func:`minimize` and :func:`maximize` (documented there)."""

    vectorized: bool
    executor: Executor | None
    chunksize: int
    penalty: Callable[[NDArray[Any]], Any] | None
    noise_repeats: int
    restarts: int
    rng: np.random.Generator | int | None
    callback: Callable[[IterationLog], object] | None
    max_evaluations: int | None


def _check_option_names(function: str, options: dict[str, Any]) -> None:
    """Refuse a keyword that is not an option, naming the public function."""
    unknown = sorted(set(options) - set(SearchOptions.__annotations__) - _OPTIMIZER_KEYS)
    if unknown:
        msg = f"{function}() got an unexpected keyword argument {unknown[0]!r}"
        raise TypeError(msg)


_OPTIMIZER_KEYS = frozenset(OptimizerOptions.__annotations__)


def _optimize(
    objective: Callable[[NDArray[Any]], Any],
    family: F,
    *,
    maximize: bool,
    vectorized: bool = False,
    executor: Executor | None = None,
    chunksize: int = 1,
    penalty: Callable[[NDArray[Any]], Any] | None = None,
    noise_repeats: int = 1,
    restarts: int = 0,
    rng: np.random.Generator | int | None = None,
    callback: Callable[[IterationLog], object] | None = None,
    max_evaluations: int | None = None,
    **options: Unpack[OptimizerOptions],
) -> OptimizeResult[F]:
    """The search of :func:`minimize` / :func:`maximize`; the loop options' defaults."""
    function: object = objective
    if not callable(function):
        msg = f"objective must be callable, got {type(objective).__name__}"
        raise TypeError(msg)
    repeats = check_count("noise_repeats", noise_repeats, 1)
    n_restarts = check_count("restarts", restarts, 0)
    budget = None if max_evaluations is None else check_count("max_evaluations", max_evaluations, 1)
    generator = as_generator(rng)
    first_size = initial_sample_size(family, options.get("sample_size"))

    def values_of(candidates: NDArray[Any]) -> NDArray[np.float64]:
        n = candidates.shape[0]
        batch = np.repeat(candidates, repeats, axis=0) if repeats > 1 else candidates
        raw = evaluate(
            objective, batch, vectorized=vectorized, executor=executor, chunksize=chunksize
        )
        # Mean of each candidate's repeats (rows are candidate-major after np.repeat).
        values = raw.reshape(n, repeats).mean(axis=1) if repeats > 1 else raw
        if penalty is not None:
            cost = _penalties(penalty, candidates, vectorized=vectorized)
            values = values - cost if maximize else values + cost
        return values

    runs: list[RunSummary] = []
    history: list[IterationLog] = []
    best: OptimizeResult[F] | None = None
    used = 0  # objective evaluations so far, over all runs
    reasons: tuple[str, ...] = ()
    for run in range(n_restarts + 1):
        remaining = None if budget is None else (budget - used) // repeats
        if remaining is not None and remaining < first_size:
            if run == 0:
                msg = (
                    f"max_evaluations={budget} cannot pay for one sample of "
                    f"{first_size} candidates x {repeats} repeats"
                )
                raise ValueError(msg)
            reasons = (*reasons, MAX_EVALUATIONS)  # no budget left for another restart
            break
        # Run 0 uses the caller's generator itself, so it equals an ask/tell loop with
        # the same rng; each restart gets a child generator seeded from it.
        run_rng = generator if run == 0 else np.random.default_rng(generator.integers(2**63))
        optimizer = CrossEntropyOptimizer(
            family, maximize=maximize, max_evaluations=remaining, rng=run_rng, **options
        )
        stopped_by_callback = False
        while not optimizer.stop():
            candidates = optimizer.ask()
            log = dataclasses.replace(optimizer.tell(candidates, values_of(candidates)), run=run)
            history.append(log)
            if callback is not None:
                try:
                    callback(log)
                except StopIteration:
                    stopped_by_callback = True
                    break
        result = optimizer.result
        reasons = (*result.stop_reasons, CALLBACK) if stopped_by_callback else result.stop_reasons
        evaluations = result.n_evaluations * repeats
        used += evaluations
        runs.append(RunSummary(result.best_value, result.n_iterations, evaluations, reasons))
        better = (
            best is None
            or (maximize and result.best_value > best.best_value)
            or (not maximize and result.best_value < best.best_value)
        )
        if better:
            best = result
        if not {STALLED, DEGENERATE} & set(reasons) or {TARGET, CALLBACK, MAX_EVALUATIONS} & set(
            reasons
        ):
            break
    if best is None:  # pragma: no cover - run 0 always yields a result or raises
        raise AssertionError
    return OptimizeResult(
        best=best.best,
        best_value=best.best_value,
        n_iterations=sum(r.n_iterations for r in runs),
        n_evaluations=used,
        stop_reasons=reasons,
        history=tuple(history),
        family=best.family,
        runs=tuple(runs),
    )


def minimize(
    objective: Callable[[NDArray[Any]], Any], family: F, **options: Unpack[SearchOptions]
) -> OptimizeResult[F]:
    r"""Minimise ``objective`` over candidates drawn from ``family`` by the cross-entropy method.

    Parameters
    ----------
    objective : callable
        ``objective(candidate) -> float`` for one candidate of shape
        ``candidate_shape``, or with ``vectorized=True``
        ``objective(candidates) -> (N,)`` for a batch ``(N, *candidate_shape)``.
        Candidates arrive read-only. ``+inf`` (``-inf`` when maximising) marks an
        infeasible candidate; NaN is an error.
    family : SamplingFamily
        The initial sampling family (for instance ``Gaussian`` or ``Bernoulli``).
    vectorized : bool, default False
        ``objective`` evaluates a whole batch at once.
    executor : concurrent.futures.Executor or None, default None
        Spread the calls of a scalar objective with ``executor.map`` (order
        preserved): a ``ThreadPoolExecutor``, a ``ProcessPoolExecutor`` (the objective
        must then be picklable: a module-level function), or a Dask cluster through
        ``client.get_executor(pure=False)``. ``pure=False`` matters: with Dask's
        default ``pure=True``, identical calls of a random objective would be merged
        into one.
    chunksize : int, default 1
        Candidates per task for ``executor.map``; worth raising for process pools
        (about ``N / (4 * workers)``). Thread pools and Dask ignore it.
    penalty : callable or None, default None
        Constraints by penalty: ``penalty(candidate) -> float >= 0`` (a batch to
        ``(N,)`` with ``vectorized=True``), zero where every constraint holds, for
        instance a weight times the total violation; ``+inf`` rejects the candidate.
        It is a cost: added to the objective when minimising, subtracted when
        maximising; reported values include it. It is evaluated in this process.
    noise_repeats : int, default 1
        Evaluate every candidate this many times and use the mean (for objectives
        with their own noise; each mean has :math:`1/\sqrt{r}` of the noise's standard
        deviation). Evaluations are counted individually.
    restarts : int, default 0
        When a run stops "stalled" or "degenerate" without reaching ``target`` (and
        budget remains), start again from ``family`` with a new generator seeded from
        ``rng``, up to this many times. The result keeps the best over all runs.
    rng : numpy.random.Generator or int or None, default None
        The only source of randomness (the first run draws from it directly).
    callback : callable or None, default None
        ``callback(log)`` after every iteration with its
        :class:`~crossentropy.method.IterationLog`; raising ``StopIteration`` ends the
        search with the stop reason ``"callback"``.

    Returns
    -------
    OptimizeResult
        The best candidate over all runs and its value, total counts, the stop reasons
        of the last run, the iteration log of every run, the final family of the best
        run and a summary per run.

    Other Parameters
    ----------------
    rho, sample_size, alpha, scale_alpha, stall_iterations, stall_tol, degenerate_tol
        As for :class:`~crossentropy.method.CrossEntropyOptimizer`.
    max_iterations : int or None, default 1000
        The iterations of each run.
    target : float or None, default None
        Stop (and restart no more) when the best value reaches ``target``.
    max_evaluations : int or None, default None
        The budget of objective evaluations over all runs and repeats.

    Raises
    ------
    TypeError, ValueError
        For invalid options (as the optimiser), objective values that are not real
        numbers, NaN or of the wrong shape, negative penalties, or a budget too small
        for one sample. The objective's own exceptions propagate unchanged.

    See Also
    --------
    maximize : The same for the largest value.
    CrossEntropyOptimizer : The ask/tell interface this loop drives.

    Notes
    -----
    The search is a function of ``rng`` alone: the same seed gives the same result,
    serially, vectorised, or over any executor, provided the objective is a
    deterministic function of its candidate. An objective that needs random numbers
    should derive them from the candidate (for instance seed a generator from its
    bytes); one that draws from its own global or per-process generator is noisy, and
    equal results across executors are then not to be expected. NumPy's global random
    state is never used.

    Noise: the elite level is a quantile of the sample, so zero-mean noise of moderate
    size moves it little, and the update only needs the elites' ranking to be roughly
    right [1]_ [2]_. The best value, though, is the luckiest of many noisy estimates
    and biased down; ``noise_repeats`` averages each candidate's evaluations, and the
    centre of ``result.family`` is often the better answer.

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67.
    .. [2] R. Y. Rubinstein and D. P. Kroese, *The Cross-Entropy Method: A Unified
       Approach to Combinatorial Optimization, Monte-Carlo Simulation and Machine
       Learning*, Springer (2004).
    .. [3] D. P. Kroese, S. Porotsky and R. Y. Rubinstein, "The Cross-Entropy Method
       for Continuous Multi-Extremal Optimization", Methodology and Computing in
       Applied Probability 8 (2006), 383-407.

    Examples
    --------
    The sphere :math:`\lVert x - c \rVert^2` has its minimum 0 at :math:`c`:

    >>> import numpy as np
    >>> from crossentropy.method import Gaussian
    >>> from crossentropy.method import minimize
    >>> c = np.array([1.0, -2.0, 0.5])
    >>> result = minimize(
    ...     lambda x: ((x - c) ** 2).sum(axis=1), Gaussian(np.zeros(3), np.full(3, 5.0)),
    ...     vectorized=True, rng=1,
    ... )
    >>> np.round(result.best, 3)
    array([ 1. , -2. ,  0.5])
    >>> result.stop_reasons
    ('degenerate',)

    A constraint :math:`x_0 \ge 2` by penalty moves the minimum to the boundary:

    >>> constrained = minimize(
    ...     lambda x: ((x - c) ** 2).sum(axis=1), Gaussian(np.zeros(3), np.full(3, 5.0)),
    ...     vectorized=True, penalty=lambda x: 1e3 * np.maximum(0.0, 2.0 - x[:, 0]), rng=1,
    ... )
    >>> round(float(constrained.best[0]), 2)
    2.0
    """
    _check_option_names("minimize", dict(options))
    return _optimize(objective, family, maximize=False, **options)


def maximize(
    objective: Callable[[NDArray[Any]], Any], family: F, **options: Unpack[SearchOptions]
) -> OptimizeResult[F]:
    r"""Maximise ``objective`` over candidates drawn from ``family`` by the cross-entropy method.

    The same search as :func:`minimize` applied to :math:`-S`, with every value (elite
    levels, best values, ``target``) reported in the maximising sense.

    Parameters
    ----------
    objective, family, vectorized, executor, chunksize, noise_repeats, restarts, rng
        As for :func:`minimize`; ``-inf`` marks an infeasible candidate.
    callback : callable or None, default None
        As for :func:`minimize`.
    penalty : callable or None, default None
        As for :func:`minimize`, a cost: subtracted from the objective.

    Returns
    -------
    OptimizeResult
        As for :func:`minimize`, with the largest value as the best.

    Other Parameters
    ----------------
    rho, sample_size, alpha, scale_alpha, stall_iterations, stall_tol, degenerate_tol
        As for :func:`minimize`.
    max_iterations, max_evaluations
        As for :func:`minimize`.
    target : float or None, default None
        Stop when the best value reaches ``target`` (is at least ``target``).

    Raises
    ------
    TypeError, ValueError
        As for :func:`minimize`.

    See Also
    --------
    minimize : The same for the smallest value.
    CrossEntropyOptimizer : The ask/tell interface this loop drives.

    Notes
    -----
    The best value of a noisy objective is the luckiest of many estimates and biased
    up; see the notes of :func:`minimize`.

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67.
    .. [2] R. Y. Rubinstein and D. P. Kroese, *The Cross-Entropy Method: A Unified
       Approach to Combinatorial Optimization, Monte-Carlo Simulation and Machine
       Learning*, Springer (2004).

    Examples
    --------
    A planted binary target: the number of positions agreeing with ``y`` is largest,
    30, at ``y`` itself.

    >>> import numpy as np
    >>> from crossentropy.method import Bernoulli
    >>> from crossentropy.method import maximize
    >>> y = np.random.default_rng(7).integers(0, 2, 30)
    >>> result = maximize(
    ...     lambda x: (x == y).sum(axis=1), Bernoulli.uniform(30), vectorized=True, rng=3
    ... )
    >>> result.best_value, bool(np.array_equal(result.best, y))
    (30.0, True)
    """
    _check_option_names("maximize", dict(options))
    return _optimize(objective, family, maximize=True, **options)
