"""What the reports of ``crossentropy score`` say, formatted once for the text and HTML reports.

The metrics table (:func:`metric_lines`), the per-class rows (:func:`class_rows`) and the
worst rows (:func:`worst_row_cells`) are built here as strings; the text report
(:mod:`._text`) and the HTML report (:mod:`._html`) only lay them out, so the two can
never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.scoring._report._format import (
    Unit,
    bins_label,
    check_unit,
    format_count,
    format_cross_entropy,
    format_number,
    format_percent,
    format_perplexity,
    format_probability,
    format_skill,
    format_weight,
    invalid_note,
    is_weighted,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from crossentropy.scoring._types import ScoreResult

__all__ = [
    "MAX_CLASSES_LISTED",
    "N_WORST_CLASSES",
    "ClassRow",
    "MetricLine",
    "class_rows",
    "metric_lines",
    "worst_classes",
    "worst_row_cells",
]

#: At most this many classes are listed one per line; above it, only the worst few.
MAX_CLASSES_LISTED = 20
#: How many of the worst classes are listed when there are more than MAX_CLASSES_LISTED.
N_WORST_CLASSES = 5


@dataclass(frozen=True)
class MetricLine:
    """One line of the metrics table.

    Attributes
    ----------
    key : str
        A stable identifier (``"cross_entropy"``, ``"ece_uniform"``, ...); the HTML report
        puts it in ``data-metric``.
    label : str
        What the value is, for a reader.
    value : str
        The formatted value.
    note : str
        A short explanation or a second form of the value; may be empty.
    """

    key: str
    label: str
    value: str
    note: str = ""


def metric_lines(result: ScoreResult, *, unit: Unit = "nats") -> tuple[MetricLine, ...]:
    """The metrics table, formatted: cross-entropy, baselines, skill, accuracy, calibration, rows.

    Parameters
    ----------
    result : ScoreResult
    unit : {"nats", "bits"}
        The unit of the cross-entropies; the cross-entropy itself is also given in the other.

    Returns
    -------
    tuple of MetricLine
        In display order. Keys: ``cross_entropy``, ``interval`` (when a bootstrap was run),
        ``perplexity``, ``uniform_baseline``, ``prior_entropy``, ``skill``, ``accuracy``,
        ``top_<k>_accuracy``, ``brier_score``, ``ece_uniform``, ``mce_uniform``,
        ``ece_equal_mass``, ``mce_equal_mass``, ``rows_scored``, ``rows_skipped``,
        ``rows_clipped`` and, when some label got probability 0, ``rows_infinite``.
    """
    unit = check_unit(unit)
    other: Unit = "bits" if unit == "nats" else "nats"
    ce = result.cross_entropy
    lines = [
        MetricLine(
            "cross_entropy",
            "cross-entropy",
            format_cross_entropy(ce, unit),
            f"= {format_cross_entropy(ce, other)}; mean of -ln p(label)",
        )
    ]
    if result.interval is not None:
        interval = result.interval
        lines.append(
            MetricLine(
                "interval",
                f"{interval.level:.0%} interval",
                f"{format_cross_entropy(interval.low, unit, suffix=False)} to "
                f"{format_cross_entropy(interval.high, unit)}",
                f"{interval.method}, {format_count(interval.n_resamples)} resamples",
            )
        )
    K = result.n_classes
    lines += [
        MetricLine(
            "perplexity",
            "perplexity",
            format_perplexity(result.perplexity),
            "exp(CE): as unsure as a fair pick among this many classes",
        ),
        MetricLine(
            "uniform_baseline",
            "baseline: uniform, ln K",
            format_cross_entropy(result.uniform_baseline, unit),
            f"predicting 1/K for each of the K = {format_count(K)} classes",
        ),
        MetricLine(
            "prior_entropy",
            "baseline: prior, H(prior)",
            format_cross_entropy(result.prior_entropy, unit),
            "always predicting the label frequencies",
        ),
        MetricLine(
            "skill",
            "skill, 1 - CE/H(prior)",
            format_skill(result.skill),
            "1 perfect, 0 no better than the prior, < 0 worse"
            if result.prior_entropy > 0
            else "undefined: only one class occurs in the labels",
        ),
        MetricLine(
            "accuracy", "accuracy", format_percent(result.accuracy), "arg-max class is the label"
        ),
    ]
    lines += [
        MetricLine(
            f"top_{k}_accuracy",
            f"top-{k} accuracy",
            format_percent(value),
            f"the label is among the {k} most probable classes",
        )
        for k, value in sorted(result.top_k_accuracy.items())
    ]
    lines.append(
        MetricLine(
            "brier_score",
            "Brier (sum over classes, 0-2)",
            format_number(result.brier_score),
            "mean of sum_k (p_k - y_k)^2",
        )
    )
    for bins, name in (
        (result.calibration, "uniform"),
        (result.calibration_equal_mass, "equal_mass"),
    ):
        label = bins_label(bins)
        lines += [
            MetricLine(
                f"ece_{name}",
                f"ECE, {label}",
                format_number(bins.ece),
                "weighted mean |accuracy - confidence| over bins",
            ),
            MetricLine(
                f"mce_{name}",
                f"MCE, {label}",
                format_number(bins.mce),
                "largest |accuracy - confidence| of a bin",
            ),
        ]
    invalid = result.invalid
    lines += [
        MetricLine(
            "rows_scored",
            "rows scored",
            format_count(result.n_rows),
            f"total weight {format_weight(result.total_weight)}" if is_weighted(result) else "",
        ),
        MetricLine(
            "rows_skipped",
            "rows skipped",
            format_count(invalid.n_skipped),
            _skipped_or_clipped_note(invalid.policy, invalid.reasons, invalid.n_skipped),
        ),
        MetricLine(
            "rows_clipped",
            "rows clipped",
            format_count(invalid.n_clipped),
            "probabilities clipped to [0, 1] and renormalised, or logits to finite"
            if invalid.n_clipped
            else "",
        ),
    ]
    if result.n_infinite:
        lines.append(
            MetricLine(
                "rows_infinite",
                "rows with p(label) = 0",
                format_count(result.n_infinite),
                "each has cross-entropy inf, so the mean is inf",
            )
        )
    return tuple(lines)


def _skipped_or_clipped_note(policy: str, reasons: dict[str, int], n_skipped: int) -> str:
    note = invalid_note(reasons)
    if not note:
        return "" if n_skipped == 0 else f"invalid-row policy {policy!r}"
    return f"{note} (policy {policy!r})"


@dataclass(frozen=True)
class ClassRow:
    """One class's line: name, rows with that label, prior, mean CE and accuracy, formatted."""

    index: int
    name: str
    rows: str
    prior: str
    cross_entropy: str
    accuracy: str

    def cells(self) -> tuple[str, str, str, str, str]:
        """The cells in the order of the per-class table's columns."""
        return (self.name, self.rows, self.prior, self.cross_entropy, self.accuracy)


def class_rows(
    result: ScoreResult, indices: Sequence[int] | np.ndarray, *, unit: Unit = "nats"
) -> tuple[ClassRow, ...]:
    """The per-class lines of the classes at ``indices``, in that order."""
    return tuple(
        ClassRow(
            index=int(i),
            name=result.classes[int(i)],
            rows=format_count(int(result.class_count[i])),
            prior=format_percent(float(result.prior[i])),
            cross_entropy=format_cross_entropy(
                float(result.class_cross_entropy[i]), unit, suffix=False
            ),
            accuracy=format_percent(float(result.class_accuracy[i])),
        )
        for i in indices
    )


def worst_classes(result: ScoreResult, n: int) -> np.ndarray:
    """The indices of the ``n`` classes with the largest mean cross-entropy, worst first.

    Classes no row has as its label (CE NaN) are left out; ``inf`` sorts first; ties keep
    the class order.
    """
    ce = np.asarray(result.class_cross_entropy, dtype=np.float64)
    present = np.flatnonzero(~np.isnan(ce))
    order = present[np.argsort(-ce[present], kind="stable")]
    return order[:n]


def worst_row_cells(result: ScoreResult, *, unit: Unit = "nats") -> tuple[tuple[str, ...], ...]:
    """The worst rows as table cells: source, row, label, p(label), predicted, confidence, CE."""
    return tuple(
        (
            row.source,
            format_count(row.row),
            row.label,
            format_probability(row.probability),
            row.predicted,
            format_probability(row.confidence),
            format_cross_entropy(row.cross_entropy, unit, suffix=False),
        )
        for row in result.worst_rows
    )
