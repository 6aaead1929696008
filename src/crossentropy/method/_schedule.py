r"""Schedules of the cross-entropy method: dynamic smoothing and an adaptive sample size.

A smoothing weight is either a constant :math:`\alpha \in (0, 1]` or a schedule, any
callable ``t -> alpha_t`` of the iteration ``t = 1, 2, ...``; :class:`DynamicSmoothing`
is the schedule of Kroese, Porotsky and Rubinstein for the scale of continuous
multi-extremal problems. :class:`AdaptiveSampleSize` grows the sample while the elite
level stalls.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from crossentropy.method._checks import check_count, check_real

__all__ = [
    "AdaptiveSampleSize",
    "DynamicSmoothing",
    "Smoothing",
    "check_smoothing",
    "smoothing_weight",
]

#: A constant smoothing weight, or a schedule ``iteration -> weight``.
Smoothing = float | Callable[[int], float]


def _check_weight(name: str, value: float) -> float:
    if not 0.0 < value <= 1.0:
        msg = f"{name} must lie in (0, 1], got {value!r}"
        raise ValueError(msg)
    return value


def check_smoothing(name: str, smoothing: object) -> Smoothing:
    """Return ``smoothing`` if it is a weight in ``(0, 1]`` or a callable schedule."""
    if callable(smoothing):
        return cast("Callable[[int], float]", smoothing)
    return _check_weight(name, check_real(name, smoothing))


def smoothing_weight(name: str, smoothing: Smoothing, iteration: int) -> float:
    """The weight of ``smoothing`` at ``iteration`` (from 1), checked to lie in ``(0, 1]``."""
    if not callable(smoothing):
        return smoothing
    value = check_real(f"{name}({iteration})", smoothing(iteration))
    return _check_weight(f"{name}({iteration})", value)


@dataclass(frozen=True)
class DynamicSmoothing:
    r"""The dynamic smoothing weight :math:`\beta_t = \beta - \beta (1 - 1/t)^q`.

    Kroese, Porotsky and Rubinstein [1]_ smooth the standard deviations (or covariance)
    of a Gaussian family with this decreasing weight, while the mean keeps a constant
    weight: early on the scale follows the elites almost freely (:math:`\beta_1 = \beta`),
    later it changes ever more slowly (:math:`\beta_t \approx \beta q / t` for large
    :math:`t`), so the family cannot collapse onto a local optimum before the mean has
    found the global one. Pass it as ``scale_alpha`` to
    :class:`~crossentropy.method.CrossEntropyOptimizer` for that scheme, or as
    ``alpha`` to slow down every parameter of any family alike.

    Parameters
    ----------
    beta : float, default 0.9
        The first weight, in ``(0, 1]``; [1]_ recommends 0.8 to 0.99.
    q : float, default 6
        How fast the weight decreases, ``> 0``; [1]_ recommends 5 to 10.

    Raises
    ------
    ValueError
        If ``beta`` is outside ``(0, 1]`` or ``q`` is not a positive finite number, or
        the schedule is called with an iteration below 1.

    Notes
    -----
    The update of iteration :math:`t` is
    :math:`\sigma_t = \beta_t \tilde\sigma_t + (1 - \beta_t)\sigma_{t-1}`, where
    :math:`\tilde\sigma_t` is the elites' maximum-likelihood estimate. The weight
    decreases to 0 but stays positive, so the family keeps moving.

    References
    ----------
    .. [1] D. P. Kroese, S. Porotsky and R. Y. Rubinstein, "The Cross-Entropy Method for
       Continuous Multi-Extremal Optimization", Methodology and Computing in Applied
       Probability 8 (2006), 383-407.

    Examples
    --------
    >>> from crossentropy.method import DynamicSmoothing
    >>> schedule = DynamicSmoothing(beta=0.8, q=5)
    >>> schedule(1)
    0.8
    >>> round(schedule(2), 4)  # 0.8 - 0.8 * 0.5**5
    0.775
    >>> round(schedule(1000), 5)  # about beta * q / t
    0.00399
    """

    beta: float = 0.9
    q: float = 6.0

    def __post_init__(self) -> None:
        _check_weight("beta", check_real("beta", self.beta))
        q = check_real("q", self.q)
        if not (q > 0 and math.isfinite(q)):
            msg = f"q must be a positive finite number, got {self.q!r}"
            raise ValueError(msg)

    def __call__(self, iteration: int) -> float:
        r"""The weight :math:`\beta_t` at ``iteration`` :math:`t \geq 1`."""
        check_count("iteration", iteration, 1)
        decay = float((1.0 - 1.0 / iteration) ** self.q)
        return self.beta - self.beta * decay


@dataclass(frozen=True)
class AdaptiveSampleSize:
    r"""A sample size that grows while the elite level stalls (after the FACE rule).

    An iteration *makes progress* when its elite level :math:`\gamma_t` beats the best
    elite level of the run so far by more than the optimiser's ``stall_tol``. After an
    iteration without progress the next sample is ``growth`` times larger (rounded up,
    at most ``maximum``); after progress it returns to ``minimum``. The optimiser
    counts stalled iterations only once the sample has reached ``maximum``, so
    "stalled" then means: no progress even with the largest sample. This simplifies
    the fully adaptive CE (FACE) algorithm of Rubinstein and Kroese [1]_.

    Parameters
    ----------
    minimum : int
        The first and the smallest sample size, ``>= 1``.
    maximum : int
        The largest sample size, ``>= minimum``.
    growth : float, default 2.0
        The factor applied after an iteration without progress, ``> 1``.

    Raises
    ------
    ValueError
        If ``minimum < 1``, ``maximum < minimum`` or ``growth <= 1``.

    References
    ----------
    .. [1] R. Y. Rubinstein and D. P. Kroese, *The Cross-Entropy Method: A Unified
       Approach to Combinatorial Optimization, Monte-Carlo Simulation and Machine
       Learning*, Springer (2004), section 5.2 (FACE).

    Examples
    --------
    >>> from crossentropy.method import AdaptiveSampleSize
    >>> rule = AdaptiveSampleSize(minimum=100, maximum=500, growth=2.0)
    >>> rule.next_size(100, progressed=False), rule.next_size(400, progressed=False)
    (200, 500)
    >>> rule.next_size(500, progressed=True)
    100
    """

    minimum: int
    maximum: int
    growth: float = 2.0

    def __post_init__(self) -> None:
        check_count("minimum", self.minimum, 1)
        check_count("maximum", self.maximum, self.minimum)
        growth = check_real("growth", self.growth)
        if not (growth > 1 and math.isfinite(growth)):
            msg = f"growth must be a finite number > 1, got {self.growth!r}"
            raise ValueError(msg)

    def next_size(self, current: int, *, progressed: bool) -> int:
        """The sample size after an iteration of size ``current``."""
        if progressed:
            return self.minimum
        return min(self.maximum, math.ceil(current * self.growth))
