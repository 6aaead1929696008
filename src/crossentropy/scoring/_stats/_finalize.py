r"""From tallies to a :class:`~crossentropy.scoring.ScoreResult`: means, bins, the interval.

Every mean divides a weighted sum by the total weight :math:`W = \sum_i w_i` of the rows
scored. A mean over no weight is NaN (no rows at all, or a class with no rows); the
cross-entropy is :math:`+\infty` as soon as a row of positive weight gave its label
probability 0 (rows of weight 0 move no mean).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np

from crossentropy.scoring._stats._tallies import (
    B_ROWS,
    B_WEIGHT,
    C_CE,
    C_CORRECT,
    C_INFINITE_WEIGHT,
    C_ROWS,
    C_WEIGHT,
    N_TOTALS,
    T_BRIER,
    T_CE,
    T_CORRECT,
    T_INFINITE_ROWS,
    T_INFINITE_WEIGHT,
    T_ROWS,
    T_WEIGHT,
    Tallies,
    fine_edges,
    hist_edges,
)
from crossentropy.scoring._types import (
    CalibrationBins,
    Interval,
    InvalidSummary,
    ScoreResult,
    WorstRow,
)

if TYPE_CHECKING:
    from crossentropy.scoring._stats._options import ScoreOptions

__all__ = [
    "build_result",
    "calibration_bins",
    "equal_mass_bins",
    "interval",
    "mean_with_infinity",
    "prior_entropy",
    "uniform_bins",
]

_FINE_EDGES = fine_edges()


def mean_with_infinity(total: np.ndarray, infinite: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``total / weight``; ``inf`` where ``infinite > 0``; NaN where ``weight == 0``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(infinite > 0, math.inf, total / weight)
    return np.where(weight > 0, out, math.nan)


def prior_entropy(prior: np.ndarray) -> float:
    r""":math:`H(\pi) = -\sum_k \pi_k \ln \pi_k` in nats, with :math:`0 \ln 0 = 0`."""
    p = prior[prior > 0]
    return float(-np.sum(p * np.log(p))) if p.size else math.nan


def calibration_bins(
    strategy: Literal["uniform", "equal-mass"], edges: np.ndarray, table: np.ndarray
) -> CalibrationBins:
    r"""Bins from a ``(bins, 4)`` table: weight, weighted confidence, correct weight, rows.

    :math:`\mathrm{ECE} = \sum_b |a_b - c_b|\, W_b / W = \sum_b |A_b - C_b| / W` (the
    second form, with the bin's sums :math:`A_b, C_b`, avoids a division);
    :math:`\mathrm{MCE} = \max_b |a_b - c_b|` over bins with weight; NaN without any.
    """
    weight, conf_sum, correct_sum, count = table.T
    nonempty = weight > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.where(nonempty, conf_sum / weight, math.nan)
        accuracy = np.where(nonempty, correct_sum / weight, math.nan)
    total = float(weight.sum())
    if total > 0:
        ece = float(np.sum(np.abs(correct_sum - conf_sum)[nonempty])) / total
        mce = float(np.max(np.abs(accuracy - confidence)[nonempty]))
    else:
        ece = mce = math.nan
    return CalibrationBins(
        strategy=strategy,
        edges=edges,
        weight=weight.copy(),
        count=count.astype(np.int64),
        confidence=confidence,
        accuracy=accuracy,
        ece=ece,
        mce=mce,
    )


def equal_mass_bins(fine: np.ndarray, n_bins: int) -> CalibrationBins:
    r"""At most ``n_bins`` bins of about equal weight, grouped from the fine grid.

    Fine bin :math:`j` (weight :math:`w_j`, cumulative weight :math:`S_j` through it) goes
    to group :math:`\lfloor n\,(S_j - w_j/2) / W \rfloor` (its midpoint's share, capped
    at :math:`n - 1`): contiguous groups of about :math:`W/n` each. Groups without rows
    are dropped (their range joins the group before), so fewer than ``n_bins`` bins come
    back when a single fine bin holds more than a share (say, many rows with confidence
    exactly 1). Edges are exact to the fine grid; each bin's means are exact.
    Unweighted, the grouping depends only on counts, so it is the same for any split of
    the rows; with weights, a midpoint that lands on a group boundary up to rounding may
    fall either way.
    """
    weight, counts = fine[:, B_WEIGHT], fine[:, B_ROWS]
    mass = weight if weight.sum() > 0 else counts
    total = float(mass.sum())
    nonempty = counts > 0
    if not nonempty.any():
        group = np.zeros(weight.size, dtype=np.int64)
    else:
        cumulative = np.cumsum(mass)
        group = np.minimum(np.floor(n_bins * (cumulative - mass / 2) / total), n_bins - 1)
        group = group.astype(np.int64)
        # Empty fine bins take the group of the nearest non-empty bin before them (the
        # first non-empty bin's group for those before it): no bin without rows.
        last = np.maximum.accumulate(np.where(nonempty, np.arange(weight.size), -1))
        first = int(np.argmax(nonempty))
        group = group[np.where(last >= 0, last, first)]
    starts = np.flatnonzero(np.diff(group, prepend=-1))
    edges = np.append(_FINE_EDGES[starts], 1.0)
    return calibration_bins("equal-mass", edges, np.add.reduceat(fine, starts, axis=0))


def _percentile(sorted_values: np.ndarray, q: float) -> float:
    # NumPy's "linear" percentile, written out so that +inf values interpolate to inf.
    h = (sorted_values.size - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, sorted_values.size - 1)
    a, b = float(sorted_values[lo]), float(sorted_values[hi])
    if h == lo or a == b:
        return a
    if math.isinf(b):
        return math.inf
    return a + (h - lo) * (b - a)


def interval(bootstrap: np.ndarray, level: float) -> Interval:
    r"""The percentile interval of the replicate cross-entropies :math:`\sum w b \ell / \sum w b`.

    A replicate whose resampled rows include one of infinite cross-entropy is
    :math:`+\infty`; a replicate with no weight at all is left out.
    """
    ce_sum, weight, infinite = bootstrap.T
    keep = weight > 0
    values = np.sort(mean_with_infinity(ce_sum[keep], infinite[keep], weight[keep]))
    n = bootstrap.shape[0]
    method = f"Poisson bootstrap ({n} resamples), percentile"
    if not values.size:
        return Interval(math.nan, math.nan, level, n, method)
    tail = (1.0 - level) / 2.0
    return Interval(_percentile(values, tail), _percentile(values, 1.0 - tail), level, n, method)


def uniform_bins(tallies: Tallies, n_bins: int) -> CalibrationBins:
    """The uniform calibration bins, ``n_bins`` on ``[0, 1]``."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return calibration_bins("uniform", edges, tallies.calibration)


def build_result(  # noqa: PLR0917
    classes: tuple[str, ...],
    options: ScoreOptions,
    tallies: Tallies,
    worst: tuple[WorstRow, ...],
    invalid: InvalidSummary,
    sources: tuple[str, ...],
    level: float,
) -> ScoreResult:
    """The :class:`ScoreResult` of ``tallies`` (see ``ScoreAccumulator.result``)."""
    top_k = tuple(k for k in options.top_k if k < len(classes))
    totals, per_class = tallies.totals, tallies.per_class
    total = totals[T_WEIGHT]
    ce = float(mean_with_infinity(totals[T_CE], totals[T_INFINITE_WEIGHT], total))
    class_weight = per_class[:, C_WEIGHT]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(total > 0, totals / total, math.nan)
        class_accuracy = np.where(
            class_weight > 0, per_class[:, C_CORRECT] / class_weight, math.nan
        )
        prior = np.where(total > 0, class_weight / total, math.nan)
    return ScoreResult(
        classes=classes,
        binary=len(classes) == 2,
        n_rows=int(totals[T_ROWS]),
        total_weight=float(total),
        cross_entropy=ce,
        accuracy=float(means[T_CORRECT]),
        top_k_accuracy={k: float(means[N_TOTALS + i]) for i, k in enumerate(top_k)},
        brier_score=float(means[T_BRIER]),
        calibration=uniform_bins(tallies, options.n_bins),
        calibration_equal_mass=equal_mass_bins(tallies.fine, options.n_bins),
        class_weight=class_weight.copy(),
        class_count=per_class[:, C_ROWS].astype(np.int64),
        class_cross_entropy=mean_with_infinity(
            per_class[:, C_CE], per_class[:, C_INFINITE_WEIGHT], class_weight
        ),
        class_accuracy=class_accuracy,
        confusion=None if tallies.confusion is None else tallies.confusion.copy(),
        prior=prior,
        prior_entropy=prior_entropy(prior) if total > 0 else math.nan,
        histogram_edges=hist_edges(),
        histogram_weight=tallies.hist.copy(),
        n_infinite=int(totals[T_INFINITE_ROWS]),
        worst_rows=worst,
        interval=interval(tallies.bootstrap, level) if options.bootstrap else None,
        invalid=invalid,
        sources=sources,
        options={
            "n_bins": options.n_bins,
            "top_k": options.top_k,
            "worst": options.worst,
            "bootstrap": options.bootstrap,
            "seed": options.seed,
            "on_invalid": options.on_invalid,
            "sum_tolerance": options.sum_tolerance,
            "eps": options.eps,
            "level": level,
        },
    )
