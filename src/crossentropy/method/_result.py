"""What an optimisation by the cross-entropy method hands back: its log and its result.

Both are small frozen dataclasses (no tuples whose shape depends on flags). Values are
always in the user's sense: with ``maximize=True`` the elite level and the best value
are the large ones, exactly as the objective returned them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import NDArray

__all__ = [
    "CALLBACK",
    "DEGENERATE",
    "MAX_EVALUATIONS",
    "MAX_ITERATIONS",
    "STALLED",
    "STOP_REASONS",
    "TARGET",
    "IterationLog",
    "OptimizeResult",
    "RunSummary",
    "StopReason",
]

F = TypeVar("F")

StopReason = Literal[
    "target", "degenerate", "stalled", "max_iterations", "max_evaluations", "callback"
]
#: The best value reached ``target``.
TARGET: StopReason = "target"
#: The family collapsed: ``family.is_degenerate(degenerate_tol)``.
DEGENERATE: StopReason = "degenerate"
#: No progress of the elite level for ``stall_iterations`` iterations.
STALLED: StopReason = "stalled"
#: ``max_iterations`` iterations done.
MAX_ITERATIONS: StopReason = "max_iterations"
#: Another iteration would exceed ``max_evaluations``.
MAX_EVALUATIONS: StopReason = "max_evaluations"
#: The callback of :func:`~crossentropy.method.minimize` raised ``StopIteration``.
CALLBACK: StopReason = "callback"
#: Every stop reason, in the order ``CrossEntropyOptimizer.stop()`` lists them.
STOP_REASONS: tuple[StopReason, ...] = (
    TARGET,
    DEGENERATE,
    STALLED,
    MAX_ITERATIONS,
    MAX_EVALUATIONS,
    CALLBACK,
)


@dataclass(frozen=True)
class IterationLog:
    r"""One row of the iteration table of the cross-entropy method.

    Attributes
    ----------
    run : int
        Which run this iteration belongs to: 0 for the first, ``k`` for the ``k``-th
        restart of :func:`~crossentropy.method.minimize`.
    iteration : int
        The iteration ``t`` within its run, counted from 1.
    sample_size : int
        ``N``, the number of candidates drawn and evaluated in this iteration.
    elite_level : float
        :math:`\gamma_t`, the value of the worst elite candidate: the
        :math:`\rho`-quantile of the values when minimising, the
        :math:`(1 - \rho)`-quantile when maximising.
    best_value : float
        The best value among this iteration's candidates.
    best_so_far : float
        The best value seen in this run up to and including this iteration.
    summary : Mapping[str, float]
        The sampling family's ``summary()`` after this iteration's update (for
        instance its largest standard deviation, or its probabilities' extremes).
    """

    run: int
    iteration: int
    sample_size: int
    elite_level: float
    best_value: float
    best_so_far: float
    summary: Mapping[str, float]


@dataclass(frozen=True)
class RunSummary:
    """How one run (the first, or a restart) of the cross-entropy method ended.

    Attributes
    ----------
    best_value : float
        The best value that run found.
    n_iterations : int
        Its iterations.
    n_evaluations : int
        Its objective evaluations (``sample_size`` times ``noise_repeats``, summed).
    stop_reasons : tuple of str
        Why it stopped (see :meth:`CrossEntropyOptimizer.stop`).
    """

    best_value: float
    n_iterations: int
    n_evaluations: int
    stop_reasons: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class OptimizeResult(Generic[F]):
    """The outcome of an optimisation by the cross-entropy method.

    Attributes
    ----------
    best : ndarray, shape candidate_shape
        The best candidate evaluated (over all runs), a copy.
    best_value : float
        Its value (penalty included, averaged over ``noise_repeats`` evaluations where
        that applies), in the user's sense.
    n_iterations : int
        Iterations over all runs.
    n_evaluations : int
        Objective evaluations over all runs.
    stop_reasons : tuple of str
        Why the last run stopped; empty while an ask/tell loop is still running.
    history : tuple of IterationLog
        One entry per iteration, over all runs in order.
    family : SamplingFamily
        The final sampling family of the run that found ``best``. For noisy objectives
        its centre (for instance a Gaussian's mean) is often a better answer than
        ``best``, whose value is the luckiest of many noisy estimates.
    runs : tuple of RunSummary
        One entry per run: the first and each restart.
    """

    best: NDArray[Any]
    best_value: float
    n_iterations: int
    n_evaluations: int
    stop_reasons: tuple[str, ...]
    history: tuple[IterationLog, ...]
    family: F
    runs: tuple[RunSummary, ...]

    def __repr__(self) -> str:
        best = np.array2string(np.asarray(self.best), threshold=8, precision=4)
        return (
            f"OptimizeResult(best={best}, best_value={self.best_value!r}, "
            f"n_iterations={self.n_iterations}, n_evaluations={self.n_evaluations}, "
            f"stop_reasons={self.stop_reasons!r}, runs={len(self.runs)})"
        )
