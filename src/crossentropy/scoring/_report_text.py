"""The terminal report of ``crossentropy score``: rich when installed, plain text otherwise.

The content is built once, as a list of blocks (a headline, lines, tables of strings), and
then printed either with rich (:func:`render_text`) or as plain text (:func:`plain_text`),
so the two can never disagree. The formatting helpers here are shared with the HTML report
(``_report_html.py``), so a number reads the same in every report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from crossentropy.scoring._types import CalibrationBins, ScoreResult, Verdict

__all__ = [
    "LEVEL_STYLES",
    "ClassRow",
    "MetricLine",
    "class_rows",
    "format_count",
    "format_cross_entropy",
    "format_percent",
    "format_probability",
    "format_weight",
    "invalid_note",
    "is_weighted",
    "metric_lines",
    "plain_text",
    "render_text",
    "worst_classes",
    "worst_row_cells",
]

Unit = Literal["nats", "bits"]

#: The rich style of each verdict level (the HTML report has the same colours in CSS).
LEVEL_STYLES: dict[str, str] = {
    "excellent": "bold green",
    "good": "green",
    "some skill": "yellow",
    "no skill": "dark_orange",
    "worse than guessing": "bold red",
    "broken": "bold white on red",
}

#: At most this many classes are listed one per line; above it, only the worst few.
MAX_CLASSES_LISTED = 20
#: How many of the worst classes are listed when there are more than MAX_CLASSES_LISTED.
N_WORST_CLASSES = 5
#: How many of the worst rows the terminal report lists (the HTML report lists all).
MAX_WORST_ROWS_TEXT = 10

_WORST_ROW_HEADERS = ("source", "row", "label", "p(label)", "predicted", "confidence", "CE")
_CLASS_HEADERS = ("class", "rows", "prior", "CE", "accuracy")


# ---------------------------------------------------------------------------------------------
# Formatting shared by the reports
# ---------------------------------------------------------------------------------------------


def _number(value: float, decimals: int = 4) -> str:
    """``value`` with ``decimals`` decimals; ``n/a`` for NaN, ``inf``/``-inf`` as such."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{decimals}f}"


def _check_unit(unit: str) -> Unit:
    if unit == "nats":
        return "nats"
    if unit == "bits":
        return "bits"
    msg = f"unit must be 'nats' or 'bits', got {unit!r}"
    raise ValueError(msg)


def format_cross_entropy(nats: float, unit: Unit = "nats", *, suffix: bool = True) -> str:
    """A cross-entropy (given in nats) in ``unit``, e.g. ``"0.4123 nats"`` or ``"0.5948 bits"``.

    Parameters
    ----------
    nats : float
        The value in nats; ``inf`` and NaN are written as ``inf`` and ``n/a``.
    unit : {"nats", "bits"}
        The unit to write it in (bits = nats / ln 2).
    suffix : bool
        Append the unit's name.

    Returns
    -------
    str

    Examples
    --------
    >>> format_cross_entropy(math.log(2), "bits")
    '1.0000 bits'
    >>> format_cross_entropy(math.inf)
    'inf nats'
    """
    value = nats / math.log(2) if _check_unit(unit) == "bits" else nats
    text = _number(value)
    return f"{text} {unit}" if suffix else text


def format_percent(fraction: float) -> str:
    """A fraction as a percentage with two decimals: ``0.9123 -> "91.23%"``; NaN -> ``n/a``."""
    if math.isnan(fraction):
        return "n/a"
    return f"{100 * fraction:.2f}%"


def format_probability(probability: float) -> str:
    """A probability: four decimals, or two significant digits in exponent form below 0.001.

    Examples
    --------
    >>> format_probability(0.25), format_probability(3.2e-7), format_probability(0.0)
    ('0.2500', '3.20e-07', '0')
    """
    if math.isnan(probability):
        return "n/a"
    if probability == 0:
        return "0"
    if abs(probability) < 1e-3:
        return f"{probability:.2e}"
    return f"{probability:.4f}"


def format_count(count: int) -> str:
    """An integer with thousands separators: ``12345 -> "12,345"``."""
    return f"{int(count):,}"


def format_weight(weight: float) -> str:
    """A total weight: as a count when it is whole, else with six significant digits."""
    if math.isfinite(weight) and weight == round(weight) and abs(weight) < 1e15:
        return format_count(round(weight))
    return f"{weight:,.6g}"


def _format_perplexity(perplexity: float) -> str:
    if math.isinf(perplexity) or math.isnan(perplexity):
        return _number(perplexity)
    if perplexity >= 1e6:
        return f"{perplexity:.3e}"
    return f"{perplexity:,.3f}"


def _format_skill(skill: float) -> str:
    return _number(skill, 3)


def is_weighted(result: ScoreResult) -> bool:
    """Whether the rows carried sample weights that are not all one (total weight != rows)."""
    weighted = result.options.get("sample_weight")
    if isinstance(weighted, bool):
        return weighted
    return not math.isclose(result.total_weight, result.n_rows, rel_tol=1e-9, abs_tol=1e-9)


def invalid_note(reasons: dict[str, int]) -> str:
    """``{"nan": 2, "unknown label": 1} -> "nan: 2, unknown label: 1"`` (largest first)."""
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{reason}: {format_count(n)}" for reason, n in ordered)


def _bins_label(bins: CalibrationBins) -> str:
    n_bins = len(bins.edges) - 1
    return f"{n_bins} {bins.strategy} bins"


# ---------------------------------------------------------------------------------------------
# Content shared by the text and HTML reports
# ---------------------------------------------------------------------------------------------


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
    unit = _check_unit(unit)
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
            _format_perplexity(result.perplexity),
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
            _format_skill(result.skill),
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
            _number(result.brier_score),
            "mean of sum_k (p_k - y_k)^2",
        )
    )
    for bins, name in (
        (result.calibration, "uniform"),
        (result.calibration_equal_mass, "equal_mass"),
    ):
        label = _bins_label(bins)
        lines += [
            MetricLine(
                f"ece_{name}",
                f"ECE, {label}",
                _number(bins.ece),
                "weighted mean |accuracy - confidence| over bins",
            ),
            MetricLine(
                f"mce_{name}",
                f"MCE, {label}",
                _number(bins.mce),
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


# ---------------------------------------------------------------------------------------------
# The blocks of the terminal report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Headline:
    level: str
    text: str


@dataclass(frozen=True)
class _Lines:
    lines: tuple[str, ...]
    style: str = ""


@dataclass(frozen=True)
class _Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    right: tuple[bool, ...]  # right-justify this column (numbers)
    caption: str = ""


_Block = _Headline | _Lines | _Table


def _blocks(
    result: ScoreResult, verdict: Verdict, *, detected: str | None, unit: Unit
) -> list[_Block]:
    """The report, top to bottom."""
    blocks: list[_Block] = [_Headline(verdict.level, verdict.headline)]
    if detected:
        blocks.append(_Lines((f"input: {detected}",), "dim"))
    metrics = metric_lines(result, unit=unit)
    blocks.append(
        _Table(
            "",
            ("metric", "value", "note"),
            tuple((m.label, m.value, m.note) for m in metrics),
            (False, True, False),
        )
    )
    examples = result.invalid.examples
    if examples:
        blocks.append(
            _Lines(
                ("first invalid rows:", *(f"  {row.describe()}" for row in examples)),
                "dim",
            )
        )
    if verdict.details:
        blocks.append(_Lines(tuple(f"- {detail}" for detail in verdict.details)))
    rule = [f"rule of thumb (a tutorial scale, not the verdict): {verdict.rule_of_thumb}"]
    if verdict.rule_of_thumb_note:
        rule.append(f"  note: {verdict.rule_of_thumb_note}")
    blocks.append(_Lines(tuple(rule), "dim"))
    blocks.append(_class_table(result, unit=unit))
    if result.worst_rows:
        cells = worst_row_cells(result, unit=unit)
        shown = cells[:MAX_WORST_ROWS_TEXT]
        headers: tuple[str, ...] = _WORST_ROW_HEADERS
        right: tuple[bool, ...] = (False, True, False, True, False, True, True)
        if len({row.source for row in result.worst_rows}) == 1:
            # One file: it is named under "scored:", not repeated on every row.
            headers, right, shown = headers[1:], right[1:], tuple(row[1:] for row in shown)
        blocks.append(
            _Table(
                f"worst rows (CE in {unit})",
                headers,
                shown,
                right,
                f"{len(shown)} of the {len(cells)} worst rows" if len(shown) < len(cells) else "",
            )
        )
    if result.sources:
        blocks.append(_Lines((f"scored: {', '.join(result.sources)}",), "dim"))
    return blocks


def _class_table(result: ScoreResult, *, unit: Unit) -> _Table:
    K = result.n_classes
    if K <= MAX_CLASSES_LISTED:
        indices: np.ndarray = np.arange(K)
        title = f"per class (CE in {unit})"
        caption = ""
    else:
        indices = worst_classes(result, N_WORST_CLASSES)
        title = f"the {len(indices)} worst of {format_count(K)} classes by cross-entropy"
        caption = f"CE in {unit}; per-class lines are listed when K <= {MAX_CLASSES_LISTED}"
    rows = tuple(row.cells() for row in class_rows(result, indices, unit=unit))
    return _Table(title, _CLASS_HEADERS, rows, (False, True, True, True, True), caption)


# ---------------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------------


def render_text(
    result: ScoreResult,
    verdict: Verdict,
    *,
    detected: str | None = None,
    unit: Unit = "nats",
    console: Console | None = None,
) -> None:
    """Print the report of ``crossentropy score`` with rich.

    The verdict's headline comes first, coloured by its level; then the metrics table
    (cross-entropy with its interval, perplexity, the two baselines and the skill, accuracy,
    Brier, calibration errors, rows scored/skipped/clipped), the verdict's details, the rule
    of thumb with its note, the per-class lines (all when K <= 20, else the 5 worst) and the
    worst rows.

    Parameters
    ----------
    result : ScoreResult
    verdict : Verdict
        The interpretation of ``result`` (``crossentropy.scoring._verdict.verdict``).
    detected : str, optional
        What the reader detected about the input (format, columns), shown under the headline.
    unit : {"nats", "bits"}
        The unit of the cross-entropies.
    console : rich.console.Console, optional
        Where to print; a new console on standard output by default.

    Raises
    ------
    ImportError
        rich is not installed (use :func:`plain_text` then).
    ValueError
        ``unit`` is neither ``"nats"`` nor ``"bits"``.
    """
    unit = _check_unit(unit)
    try:
        from rich import box  # rich is an optional extra
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError as error:  # pragma: no cover - rich is installed in the test env
        msg = "the rich report needs rich: pip install 'crossentropy[rich]'"
        raise ImportError(msg) from error
    out = console if console is not None else Console(highlight=False)
    # Every cell is a Text, never markup: class names and paths may contain "[...]".
    for index, block in enumerate(_blocks(result, verdict, detected=detected, unit=unit)):
        if index and not (isinstance(block, _Lines) and block.style == "dim" and index == 1):
            out.print()  # a blank line between blocks, none between headline and input
        if isinstance(block, _Headline):
            style = LEVEL_STYLES.get(block.level, "bold")
            line = Text()
            line.append(f" {block.level.upper()} ", style=f"reverse {style}")
            line.append(" ")
            line.append(block.text, style=style)
            out.print(line)
        elif isinstance(block, _Lines):
            out.print(Text("\n".join(block.lines), style=block.style or ""))
        else:
            table = Table(
                title=Text(block.title, style="bold") if block.title else None,
                title_justify="left",
                caption=Text(block.caption) if block.caption else None,
                caption_justify="left",
                box=box.SIMPLE_HEAD,
                show_edge=False,
                pad_edge=False,
            )
            for header, right in zip(block.headers, block.right, strict=True):
                table.add_column(
                    Text(header), justify="right" if right else "left", overflow="fold"
                )
            for row in block.rows:
                table.add_row(*(Text(cell) for cell in row))
            out.print(table)


def plain_text(
    result: ScoreResult,
    verdict: Verdict,
    *,
    detected: str | None = None,
    unit: Unit = "nats",
) -> str:
    """The same report as :func:`render_text`, as plain text (for when rich is not installed).

    Parameters
    ----------
    result : ScoreResult
    verdict : Verdict
    detected : str, optional
    unit : {"nats", "bits"}

    Returns
    -------
    str
        Ends with a newline.

    Raises
    ------
    ValueError
        ``unit`` is neither ``"nats"`` nor ``"bits"``.
    """
    unit = _check_unit(unit)
    parts: list[str] = []
    for block in _blocks(result, verdict, detected=detected, unit=unit):
        if isinstance(block, _Headline):
            parts.append(f"{block.level.upper()}: {block.text}")
        elif isinstance(block, _Lines):
            parts.append("\n".join(block.lines))
        else:
            parts.append(_plain_table(block))
    return "\n\n".join(parts) + "\n"


def _plain_table(table: _Table) -> str:
    widths = [
        max([len(header), *(len(row[i]) for row in table.rows)])
        for i, header in enumerate(table.headers)
    ]

    def line(cells: tuple[str, ...]) -> str:
        padded = (
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, table.right, strict=True)
        )
        return "  ".join(padded).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    lines = [table.title] if table.title else []
    lines += [line(table.headers), rule, *(line(row) for row in table.rows)]
    if table.caption:
        lines.append(table.caption)
    return "\n".join(lines)
