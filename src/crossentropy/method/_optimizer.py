r"""The cross-entropy method as an ask/tell optimiser (``cma``'s vocabulary).

:class:`CrossEntropyOptimizer` holds the whole state explicitly: the current sampling
family, the random generator, the best candidate, the iteration log and the stopping
bookkeeping. :func:`~crossentropy.method.minimize` and
:func:`~crossentropy.method.maximize` are loops over ``ask``/``tell``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from crossentropy._validation import check_tolerance
from crossentropy.method._options import (
    as_generator,
    check_real,
    check_scale_smoothing,
    check_values,
    initial_sample_size,
    optional_count,
)
from crossentropy.method._protocol import SamplingFamily
from crossentropy.method._result import (
    DEGENERATE,
    MAX_EVALUATIONS,
    MAX_ITERATIONS,
    STALLED,
    TARGET,
    IterationLog,
    OptimizeResult,
    RunSummary,
    StopReason,
)
from crossentropy.method._schedule import (
    AdaptiveSampleSize,
    Smoothing,
    check_smoothing,
    smoothing_weight,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, NDArray

__all__ = ["CrossEntropyOptimizer"]

F = TypeVar("F", bound=SamplingFamily)


class CrossEntropyOptimizer(Generic[F]):
    r"""The cross-entropy method for optimisation, driven by ``ask`` and ``tell``.

    Parameters
    ----------
    family : SamplingFamily
        The initial sampling distribution :math:`f(\cdot; v_0)`: any object with the
        methods of :class:`~crossentropy.method.SamplingFamily`.
    rho : float, default 0.1
        The elite fraction :math:`\rho \in (0, 1]`: the
        :math:`\lceil \rho N \rceil` best candidates of each sample are the elites.
    sample_size : int or AdaptiveSampleSize or None, default None
        :math:`N`, the candidates per iteration. ``None`` gives ``max(50, 10 * d)``,
        ``d`` being the number of entries of one candidate (the tutorial's advice of
        a sample a small multiple of the number of parameters); an
        :class:`~crossentropy.method.AdaptiveSampleSize` grows :math:`N` while the
        elite level stalls.
    alpha : float or callable, default 0.7
        Smoothing weight :math:`\alpha \in (0, 1]` of the update (1: no smoothing), or
        a schedule ``t -> alpha_t`` such as
        :class:`~crossentropy.method.DynamicSmoothing`.
    scale_alpha : float or callable or None, default None
        A separate smoothing weight (or schedule) for the family's scale parameters
        (standard deviations, covariance), as in Kroese, Porotsky and Rubinstein's
        dynamic smoothing [3]_. The family's ``smooth`` must then accept the keyword
        ``scale_alpha``; ``None`` smooths every parameter with ``alpha``.
    maximize : bool, default False
        Maximise the values told instead of minimising them. Elite levels and best
        values are always reported in this sense.
    max_iterations : int or None, default 1000
        Stop after this many iterations (``None``: no limit).
    max_evaluations : int or None, default None
        Stop when the next iteration would take the number of values told past this
        budget, which is therefore never exceeded (``None``: no limit).
    stall_iterations : int or None, default 5
        Stop when the elite level has not improved on its best value of the run by
        more than ``stall_tol`` for this many consecutive iterations (the tutorial's
        rule with :math:`d = 5` [1]_; ``None``: never). With an adaptive sample size
        only iterations at the largest size count.
    stall_tol : float, default 0.0
        The absolute improvement of the elite level that counts as progress.
    degenerate_tol : float, default 1e-6
        Stop when ``family.is_degenerate(degenerate_tol)``.
    target : float or None, default None
        Stop when the best value reaches ``target`` (``<=`` when minimising, ``>=``
        when maximising).
    rng : numpy.random.Generator or int or None, default None
        The only source of randomness: a Generator (used and advanced in place) or a
        seed for :func:`numpy.random.default_rng`.

    Raises
    ------
    TypeError
        If ``family`` lacks a method of the protocol, an option has the wrong type, or
        ``scale_alpha`` is given for a family whose ``smooth`` does not accept it.
    ValueError
        If an option is out of range, or ``max_evaluations`` is smaller than the first
        sample.

    See Also
    --------
    minimize, maximize : The loop over ``ask``/``tell`` with parallel evaluation,
        penalties, noise averaging and restarts.

    Notes
    -----
    Iteration :math:`t = 1, 2, \dots` draws :math:`X_1, \dots, X_N` from
    :math:`f(\cdot; v_{t-1})` (``ask``), receives their values :math:`S(X_i)`, orders
    them :math:`S_{(1)} \le \dots \le S_{(N)}` (minimising; ties keep sample order) and
    takes the elite level :math:`\gamma_t = S_{(\lceil \rho N \rceil)}` and the elites
    :math:`\mathcal{E}_t = \{X_{(1)}, \dots, X_{(\lceil \rho N \rceil)}\}` (``tell``).
    The cross-entropy update is the maximum-likelihood member of the family for the
    elites, which minimises the cross-entropy from their empirical distribution [1]_
    [2]_,

    .. math::

        \tilde v_t = \operatorname*{argmax}_v \sum_{X \in \mathcal{E}_t} \ln f(X; v)
        \qquad (\texttt{family.fit(elites)}),

    for instance the elites' mean of each bit for a Bernoulli family, or their mean
    and variance for a Gaussian one; it is then smoothed,
    :math:`v_t = \alpha_t \tilde v_t + (1 - \alpha_t) v_{t-1}`
    (``fitted.smooth(previous, alpha_t)``), which keeps probabilities away from 0 and
    1 too early. Maximising uses :math:`-S`.

    Values of ``+inf`` (``-inf`` when maximising) mark infeasible or rejected
    candidates: they are the worst, and are elites only if fewer than
    :math:`\lceil \rho N \rceil` candidates are feasible.

    After each ``tell`` the stop conditions are checked in the order of
    ``STOP_REASONS``; ``stop()`` lists every one that holds. ``ask`` and ``tell`` still
    work after a stop: the loop decides.

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
    OneMax: find the 20-bit vector with the most ones (all ones, value 20).

    >>> import numpy as np
    >>> from crossentropy.method import Bernoulli
    >>> from crossentropy.method import CrossEntropyOptimizer
    >>> optimizer = CrossEntropyOptimizer(Bernoulli.uniform(20), maximize=True, rng=0)
    >>> while not optimizer.stop():
    ...     candidates = optimizer.ask()
    ...     log = optimizer.tell(candidates, candidates.sum(axis=1))
    >>> result = optimizer.result
    >>> result.best_value, result.stop_reasons
    (20.0, ('stalled',))
    >>> bool(np.all(result.best == 1))
    True
    """

    def __init__(
        self,
        family: F,
        *,
        rho: float = 0.1,
        sample_size: int | AdaptiveSampleSize | None = None,
        alpha: Smoothing = 0.7,
        scale_alpha: Smoothing | None = None,
        maximize: bool = False,
        max_iterations: int | None = 1000,
        max_evaluations: int | None = None,
        stall_iterations: int | None = 5,
        stall_tol: float = 0.0,
        degenerate_tol: float = 1e-6,
        target: float | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        candidate: object = family
        if not isinstance(candidate, SamplingFamily):
            needed = ("sample", "fit", "smooth", "log_density", "is_degenerate", "summary")
            missing = [name for name in needed if not callable(getattr(family, name, None))]
            msg = (
                f"family must implement the SamplingFamily protocol; "
                f"{type(family).__name__} lacks {', '.join(missing)}"
            )
            raise TypeError(msg)
        self._rho = check_real("rho", rho)
        if not 0.0 < self._rho <= 1.0:
            msg = f"rho must lie in (0, 1], got {rho!r}"
            raise ValueError(msg)
        self._alpha = check_smoothing("alpha", alpha)
        self._scale_alpha = (
            None if scale_alpha is None else check_smoothing("scale_alpha", scale_alpha)
        )
        if self._scale_alpha is not None:
            check_scale_smoothing(family)
        self._maximize = bool(maximize)
        self._max_iterations = optional_count("max_iterations", max_iterations, 1)
        self._max_evaluations = optional_count("max_evaluations", max_evaluations, 1)
        self._stall_iterations = optional_count("stall_iterations", stall_iterations, 1)
        self._stall_tol = check_tolerance("stall_tol", stall_tol)
        self._degenerate_tol = check_tolerance("degenerate_tol", degenerate_tol)
        self._target = None if target is None else check_real("target", target)
        if self._target is not None and math.isnan(self._target):
            msg = "target must not be NaN"
            raise ValueError(msg)
        self._adaptive = sample_size if isinstance(sample_size, AdaptiveSampleSize) else None
        self._sample_size = initial_sample_size(family, sample_size)
        if self._max_evaluations is not None and self._max_evaluations < self._sample_size:
            msg = (
                f"max_evaluations={self._max_evaluations} is smaller than one sample "
                f"of sample_size={self._sample_size}"
            )
            raise ValueError(msg)
        self._rng = as_generator(rng)
        self._family: F = family
        self._asked: tuple[int, ...] | None = None
        self._iteration = 0
        self._n_evaluations = 0
        self._best: NDArray[Any] | None = None
        self._best_internal = math.inf
        self._best_elite = math.inf
        self._stalled = 0
        self._history: list[IterationLog] = []
        self._reasons: list[StopReason] = []

    # -- state ----------------------------------------------------------------------

    @property
    def family(self) -> F:
        """The current sampling family (after the last update)."""
        return self._family

    @property
    def sample_size(self) -> int:
        """:math:`N` of the next ``ask()``."""
        return self._sample_size

    @property
    def n_elites(self) -> int:
        r""":math:`\lceil \rho N \rceil` for the next sample (at least 1)."""
        return self._elite_count(self._sample_size)

    @property
    def iteration(self) -> int:
        """Iterations completed (``tell`` calls)."""
        return self._iteration

    @property
    def n_evaluations(self) -> int:
        """Values told so far."""
        return self._n_evaluations

    @property
    def rng(self) -> np.random.Generator:
        """The generator every sample is drawn from."""
        return self._rng

    def _elite_count(self, n: int) -> int:
        # round() first: 0.1 * 30 is 3.0000000000000004 in binary, whose ceiling is 4.
        return max(1, math.ceil(round(self._rho * n, 9)))

    def _user(self, internal: float) -> float:
        """An internal (minimised) value in the user's sense."""
        return -internal if self._maximize else internal

    # -- ask / tell / stop ----------------------------------------------------------

    def ask(self) -> NDArray[Any]:
        """Draw the next :math:`N` candidates from the current family.

        Returns
        -------
        ndarray, shape (N, *candidate_shape)
            The candidates, whatever dtype the family samples (0/1 integers, tours,
            floats). They are the caller's to evaluate; ``tell`` needs them back.
        """
        n = self._sample_size
        candidates = np.asarray(self._family.sample(self._rng, n))
        if candidates.ndim == 0 or candidates.shape[0] != n:
            msg = (
                f"{type(self._family).__name__}.sample(rng, {n}) must return {n} candidates "
                f"stacked along axis 0, got shape {candidates.shape}"
            )
            raise TypeError(msg)
        self._asked = candidates.shape
        return candidates

    def tell(self, candidates: ArrayLike, values: ArrayLike) -> IterationLog:
        """Report the values of the last ``ask()``'s candidates and update the family.

        Parameters
        ----------
        candidates : array_like, shape (N, *candidate_shape)
            The candidates of the last ``ask()`` (or repaired versions of them: the
            family is fitted to what is told here).
        values : array_like, shape (N,)
            Their values, in the user's sense. ``+inf`` (``-inf`` when maximising)
            marks an infeasible or rejected candidate.

        Returns
        -------
        IterationLog
            This iteration's row of the log (also appended to ``result.history``).

        Raises
        ------
        RuntimeError
            If no ``ask()`` precedes this ``tell``.
        ValueError
            If the shapes differ from the last ``ask()``, or a value is NaN (or
            ``-inf`` when minimising, ``+inf`` when maximising), naming the index.
        TypeError
            If ``values`` are not real numbers.
        """
        if self._asked is None:
            msg = "tell() needs the candidates of a preceding ask(); call ask() first"
            raise RuntimeError(msg)
        x = np.asarray(candidates)
        if x.shape != self._asked:
            msg = f"candidates must have the shape of the last ask(), {self._asked}, got {x.shape}"
            raise ValueError(msg)
        n = x.shape[0]
        told = check_values(values, n, maximize=self._maximize)
        internal = -told if self._maximize else told
        order = np.argsort(internal, kind="stable")  # stable: ties keep sample order
        k = self._elite_count(n)
        gamma = float(internal[order[k - 1]])
        best_index = int(order[0])
        iteration_best = float(internal[best_index])
        if self._best is None or iteration_best < self._best_internal:
            self._best = x[best_index].copy()
            self._best_internal = iteration_best

        t = self._iteration + 1
        fitted = self._family.fit(x[order[:k]])
        alpha_t = smoothing_weight("alpha", self._alpha, t)
        if self._scale_alpha is None:
            updated = fitted.smooth(self._family, alpha_t)
        else:
            beta_t = smoothing_weight("scale_alpha", self._scale_alpha, t)
            smooth: Callable[..., F] = fitted.smooth
            updated = smooth(self._family, alpha_t, scale_alpha=beta_t)
        self._family = updated
        self._iteration = t
        self._n_evaluations += n
        self._asked = None

        # Progress: beating the run's best elite level by more than stall_tol. The
        # comparison is against the best level, not the last one, so a slow creep
        # of many small gains still counts once it adds up.
        progressed = gamma < self._best_elite - self._stall_tol
        if progressed:
            self._best_elite = gamma
            self._stalled = 0
        elif self._adaptive is None or n >= self._adaptive.maximum:
            self._stalled += 1
        if self._adaptive is not None:
            self._sample_size = self._adaptive.next_size(n, progressed=progressed)

        log = IterationLog(
            run=0,
            iteration=t,
            sample_size=n,
            elite_level=self._user(gamma),
            best_value=self._user(iteration_best),
            best_so_far=self._user(self._best_internal),
            summary=dict(updated.summary()),
        )
        self._history.append(log)
        self._reasons = self._stop_reasons()
        return log

    def _stop_reasons(self) -> list[StopReason]:
        reasons: list[StopReason] = []
        if self._target is not None:
            target = -self._target if self._maximize else self._target
            if self._best_internal <= target:
                reasons.append(TARGET)
        if self._family.is_degenerate(self._degenerate_tol):
            reasons.append(DEGENERATE)
        if self._stall_iterations is not None and self._stalled >= self._stall_iterations:
            reasons.append(STALLED)
        if self._max_iterations is not None and self._iteration >= self._max_iterations:
            reasons.append(MAX_ITERATIONS)
        if (
            self._max_evaluations is not None
            and self._n_evaluations + self._sample_size > self._max_evaluations
        ):
            reasons.append(MAX_EVALUATIONS)
        return reasons

    def stop(self) -> list[StopReason]:
        """The reasons to stop now, in the order of ``STOP_REASONS``.

        Returns
        -------
        list of str
            Empty while the run should go on (always before the first ``tell``);
            otherwise some of ``"target"``, ``"degenerate"``, ``"stalled"``,
            ``"max_iterations"``, ``"max_evaluations"``.
        """
        return list(self._reasons)

    @property
    def result(self) -> OptimizeResult[F]:
        """The result so far: best candidate, its value, counts, log, current family.

        Raises
        ------
        RuntimeError
            Before the first ``tell``.
        """
        if self._best is None:
            msg = "no result before the first tell()"
            raise RuntimeError(msg)
        reasons = tuple(self._reasons)
        best_value = self._user(self._best_internal)
        return OptimizeResult(
            best=self._best.copy(),
            best_value=best_value,
            n_iterations=self._iteration,
            n_evaluations=self._n_evaluations,
            stop_reasons=reasons,
            history=tuple(self._history),
            family=self._family,
            runs=(RunSummary(best_value, self._iteration, self._n_evaluations, reasons),),
        )
