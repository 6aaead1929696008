r"""Rare-event probabilities by the cross-entropy method.

:func:`estimate_rare_event` is the adaptive multilevel algorithm of de Boer, Kroese,
Mannor and Rubinstein (2005), Algorithm 2.1: a sequence of elite levels
:math:`\gamma_1 < \gamma_2 < \dots` climbing to the threshold, each fitting the
importance-sampling family to the elites weighted by likelihood ratios, then a fresh
final sample for the estimate by
:func:`~crossentropy.method._importance_sampling.importance_sampling_estimate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy.method._checks import as_generator, check_count, check_open_interval
from crossentropy.method._families._checks import check_alpha
from crossentropy.method._importance_sampling import (
    check_direction,
    check_family,
    check_threshold,
    evaluate_performance,
    importance_sampling_estimate,
    log_ratios,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from concurrent.futures import Executor

    from numpy.typing import ArrayLike

    from crossentropy.method._importance_sampling import Direction
    from crossentropy.method._protocol import SamplingFamily

__all__ = [
    "RareEventLevel",
    "RareEventResult",
    "RareEventStalledError",
    "estimate_rare_event",
]

#: Levels in a row without a new highest elite level before the climb counts as stalled.
STALL_LEVELS = 5


@dataclass(frozen=True)
class RareEventLevel:
    r"""One level of the multilevel algorithm (a row of the tutorial's table).

    Attributes
    ----------
    level : int
        The level :math:`t = 1, 2, \dots`.
    gamma : float
        The elite level :math:`\gamma_t` in the units of the performance (capped at the
        threshold).
    n_elites : int
        The number of elites fitted at this level: the samples from the
        :math:`\lceil (1-\varrho) N \rceil`-th smallest up (ties at :math:`\gamma_t`
        broken by sample order), or at the last level every sample in the event.
    summary : Mapping[str, float]
        ``summary()`` of the family :math:`v_t` fitted at this level.
    """

    level: int
    gamma: float
    n_elites: int
    summary: Mapping[str, float]


@dataclass(frozen=True)
class RareEventResult:
    r"""The outcome of :func:`estimate_rare_event`.

    Attributes
    ----------
    probability, relative_error, confidence_interval, confidence, n_hits
        As in :class:`~crossentropy.method._importance_sampling.ImportanceSamplingEstimate`,
        from the fresh final sample.
    levels : tuple of RareEventLevel
        The per-level log: :math:`t`, :math:`\gamma_t`, number of elites, family summary.
    proposal : SamplingFamily
        The final importance-sampling family :math:`v_T`.
    final_sample_size : int
        :math:`N_1`, the size of the final sample.
    n_evaluations : int
        Performance evaluations in all (levels times ``sample_size`` plus :math:`N_1`).
    """

    probability: float
    relative_error: float
    confidence_interval: tuple[float, float]
    confidence: float
    levels: tuple[RareEventLevel, ...]
    proposal: SamplingFamily
    final_sample_size: int
    n_hits: int
    n_evaluations: int


class RareEventStalledError(RuntimeError):
    """The elite levels stopped climbing (or ran out) before reaching the threshold.

    Attributes
    ----------
    levels : tuple of RareEventLevel
        The levels run so far.
    proposal : SamplingFamily
        The last family fitted; it can still be handed to
        :func:`importance_sampling_estimate`, at the user's judgement.
    """

    def __init__(self, message: str, levels: tuple[RareEventLevel, ...], proposal: Any) -> None:
        super().__init__(message)
        self.levels = levels
        self.proposal = proposal


def estimate_rare_event(
    performance: Callable[[Any], ArrayLike],
    nominal: SamplingFamily,
    threshold: float,
    *,
    direction: Direction = ">=",
    rho: float = 0.1,
    alpha: float = 1.0,
    sample_size: int = 1000,
    final_sample_size: int = 100_000,
    max_levels: int = 50,
    confidence: float = 0.95,
    vectorized: bool = True,
    executor: Executor | None = None,
    rng: np.random.Generator | int | None = None,
) -> RareEventResult:
    r"""Estimate a rare-event probability :math:`\ell = P_u(S(X) \ge \gamma)` by the CE method.

    Parameters
    ----------
    performance : callable
        :math:`S`. With ``vectorized=True`` it takes the samples, shape ``(N, ...)``,
        and returns ``N`` values; otherwise it takes one sample and returns a number.
    nominal : SamplingFamily
        The true law :math:`f(\cdot; u)` of :math:`X`; the importance-sampling families
        :math:`f(\cdot; v_t)` are fitted within the same family.
    threshold : float
        :math:`\gamma`.
    direction : {">=", "<="}, default ">="
        The event :math:`S(X) \ge \gamma` (elite levels climb), or
        :math:`S(X) \le \gamma` (levels descend; a structural-reliability limit state
        :math:`g(X) \le 0` is ``performance=g, threshold=0, direction="<="``).
    rho : float, default 0.1
        The elite fraction :math:`\varrho \in (0, 1)`.
    alpha : float, default 1.0
        Smoothing :math:`\alpha \in (0, 1]`: :math:`v_t \leftarrow \alpha v_t +
        (1 - \alpha) v_{t-1}` (``family.smooth``). The tutorial's algorithm has none
        (1.0). Below 1 it keeps the support of discrete families: a Bernoulli component
        that no elite happened to switch on would otherwise get probability 0 and the
        final estimate would silently miss that part of the event (see Notes).
    sample_size : int, default 1000
        :math:`N`, samples per level (``>= 2``).
    final_sample_size : int, default 100_000
        :math:`N_1`, the fresh sample for the estimate (``>= 2``).
    max_levels : int, default 50
        Give up (raise) after this many levels without reaching the threshold.
    confidence : float, default 0.95
        Coverage of the confidence interval.
    vectorized : bool, default True
        Whether ``performance`` takes a whole batch.
    executor : concurrent.futures.Executor, optional
        Evaluate contiguous chunks with ``executor.map`` (in order: results equal the
        serial ones for the same seed), e.g. a process pool or a Dask cluster's
        ``client.get_executor(pure=False)``.
    rng : numpy.random.Generator, int or None
        Randomness (``np.random.default_rng(rng)``); the global NumPy state is untouched.

    Returns
    -------
    RareEventResult
        The estimate, its relative error and confidence interval, the level log and
        the final proposal family.

    Raises
    ------
    RareEventStalledError
        If :math:`\max_{s \le t} \gamma_s` did not grow for ``STALL_LEVELS`` (5) levels
        in a row, or ``max_levels`` levels ran without reaching the threshold. The
        exception carries the levels and the last family.
    ValueError, TypeError
        For bad options, a performance of the wrong shape or with NaN, or an undefined
        likelihood ratio.

    Notes
    -----
    For ``">="`` (``"<="`` is the same with :math:`S` and :math:`\gamma` negated), with
    :math:`v_0 = u`, level :math:`t = 1, 2, \dots` (de Boer et al. [1]_, Algorithm 2.1):

    1. draw :math:`x_1, \dots, x_N \sim f(\cdot; v_{t-1})` and sort the performances;
    2. :math:`\gamma_t = \min(\gamma, S_{(\lceil (1 - \varrho) N \rceil)})`, the
       :math:`(1-\varrho)` sample quantile capped at the threshold;
    3. with likelihood ratios :math:`W(x) = f(x; u) / f(x; v_{t-1})` (computed in log
       space), solve the cross-entropy program over the elites
       :math:`S(x_i) \ge \gamma_t`,

       .. math:: v_t = \arg\max_v \sum_{i:\, S(x_i) \ge \gamma_t} W(x_i) \ln f(x_i; v),

       which is ``proposal.fit(elites, weights=W)``: the weighted maximum-likelihood
       estimate, exact for natural exponential families (the weighted mean of the
       sufficient statistics: :class:`Exponential` means, :class:`Bernoulli`
       probabilities, :class:`Gaussian` moments);
    4. stop when :math:`\gamma_t = \gamma`, with :math:`T = t`.

    Then a fresh sample of :math:`N_1` from :math:`f(\cdot; v_T)` gives
    :math:`\hat\ell = \frac1{N_1} \sum_i 1\{S(x_i) \ge \gamma\} W(x_i)` with
    :math:`W = f(\cdot; u) / f(\cdot; v_T)`, its relative error and a normal interval
    (see :func:`importance_sampling_estimate`). The levels' samples are not reused, so
    :math:`\hat\ell` is unbiased given :math:`v_T`.

    The estimate is unbiased only if :math:`f(\cdot; v_T) > 0` wherever the event has
    nominal probability. Continuous families keep their support; a discrete family can
    lose it (a Bernoulli :math:`p_j` fitted to 0 because no elite had :math:`x_j = 1`),
    and then :math:`\hat\ell` estimates only the part of the event with
    :math:`x_j = 0`. Smoothing (``alpha < 1``) prevents this.

    A caution for normal inputs in few dimensions: the fitted variances can shrink
    below half the nominal ones along the failure direction, and then
    :math:`E[W^2]` is infinite in theory; the estimate is still consistent but its
    reported relative error can be optimistic. Many independent inputs (or
    :math:`\sigma^2 > 1/2` in the fitted family) avoid this.

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67.
    .. [2] R. Y. Rubinstein and D. P. Kroese, "The Cross-Entropy Method: A Unified
       Approach to Combinatorial Optimization, Monte-Carlo Simulation, and Machine
       Learning", Springer (2004), chapter 3.

    Examples
    --------
    The tutorial's bridge network: the shortest path through five exponential edges
    exceeds 2 with probability :math:`1.3425 \times 10^{-5}`.

    >>> import numpy as np
    >>> from crossentropy.method import Exponential
    >>> def shortest_path(x):
    ...     x1, x2, x3, x4, x5 = x.T
    ...     return np.minimum.reduce([x1 + x4, x1 + x3 + x5, x2 + x5, x2 + x3 + x4])
    >>> bridge = Exponential([0.25, 0.4, 0.1, 0.3, 0.2])
    >>> result = estimate_rare_event(shortest_path, bridge, 2.0, rng=1)
    >>> for level in result.levels:  # the elite levels climb to the threshold
    ...     print(level.level, f"{level.gamma:.3f}")
    1 0.572
    2 1.039
    3 1.378
    4 1.771
    5 2.000
    >>> print(f"{result.probability:.3e}, relative error {result.relative_error:.3f}")
    1.321e-05, relative error 0.031
    >>> np.round(result.proposal.mean, 2)  # the importance-sampling means
    array([1.7 , 1.97, 0.09, 0.62, 0.55])
    """
    direction = check_direction(direction)
    nominal = check_family("nominal", nominal)
    gamma = check_threshold(threshold)
    elite_fraction = check_open_interval("rho", rho, 0.0, 1.0)
    smoothing = check_alpha(alpha)
    n = check_count("sample_size", sample_size, 2)
    n_final = check_count("final_sample_size", final_sample_size, 2)
    levels_cap = check_count("max_levels", max_levels, 1)
    level_conf = check_open_interval("confidence", confidence, 0.0, 1.0)
    generator = as_generator(rng)
    sign = 1.0 if direction == ">=" else -1.0
    target = sign * gamma  # internally the event is always s >= target, s = sign * S
    quantile_index = math.ceil((1.0 - elite_fraction) * n) - 1

    proposal = nominal
    levels: list[RareEventLevel] = []
    best = -math.inf
    best_above = -1
    since_best = 0
    evaluations = 0
    reached = False
    for t in range(1, levels_cap + 1):
        x = proposal.sample(generator, n)
        s = sign * evaluate_performance(performance, x, vectorized=vectorized, executor=executor)
        evaluations += n
        order = np.argsort(s, kind="stable")
        level = min(target, float(s[order[quantile_index]]))
        if level >= target:
            elites = s >= target  # the last level: every sample in the event
        else:
            # Exactly the samples ranked from the quantile up, ties at the level broken
            # by sample order. Taking every sample tied with the level instead stalls discrete
            # performances (network reliability), whose samples mostly share the lowest
            # level: the fit would then barely move towards the samples above it.
            elites = np.zeros(n, dtype=bool)
            elites[order[quantile_index:]] = True
        above = int(np.count_nonzero(s > level))
        log_w = log_ratios(nominal, proposal, x[elites])
        # Divide by the largest ratio before exponentiating: fit() only needs W up to scale.
        weights = np.exp(log_w - log_w.max())
        fitted = proposal.fit(x[elites], weights)
        proposal = fitted if smoothing == 1.0 else fitted.smooth(proposal, smoothing)
        levels.append(RareEventLevel(t, sign * level, int(elites.sum()), proposal.summary()))
        if level >= target:
            reached = True
            break
        # Progress: a higher level, or at the same level more samples strictly above it
        # (a discrete performance climbs through ties before its level moves).
        if level > best or (level == best and above > best_above):
            best, best_above, since_best = level, above, 0
        else:
            since_best += 1
            if since_best >= STALL_LEVELS:
                trace = ", ".join(f"{lv.gamma:.6g}" for lv in levels)
                msg = (
                    f"the elite level has not passed {sign * best:.6g} for {STALL_LEVELS} "
                    f"levels (threshold {gamma:.6g}; levels so far: {trace}). Try a larger "
                    "sample_size or rho, or a family that can reach the event."
                )
                raise RareEventStalledError(msg, tuple(levels), proposal)
    if not reached:
        msg = (
            f"max_levels={levels_cap} levels ran without reaching the threshold {gamma:.6g} "
            f"(last elite level {levels[-1].gamma:.6g}). Raise max_levels, sample_size or rho."
        )
        raise RareEventStalledError(msg, tuple(levels), proposal)

    final = importance_sampling_estimate(
        performance,
        nominal,
        proposal,
        gamma,
        sample_size=n_final,
        direction=direction,
        confidence=level_conf,
        vectorized=vectorized,
        executor=executor,
        rng=generator,
    )
    return RareEventResult(
        probability=final.probability,
        relative_error=final.relative_error,
        confidence_interval=final.confidence_interval,
        confidence=final.confidence,
        levels=tuple(levels),
        proposal=proposal,
        final_sample_size=n_final,
        n_hits=final.n_hits,
        n_evaluations=evaluations + n_final,
    )
