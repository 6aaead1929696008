"""How the reports of ``crossentropy score`` write numbers, so one reads the same in each.

The text report (:mod:`._text`), the HTML report (:mod:`._html`), the content model they
share (:mod:`._content`) and the figures (:mod:`._plots`) all format with these helpers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from crossentropy.scoring._types import CalibrationBins, ScoreResult

__all__ = [
    "Unit",
    "bins_label",
    "check_unit",
    "format_count",
    "format_cross_entropy",
    "format_number",
    "format_percent",
    "format_perplexity",
    "format_probability",
    "format_skill",
    "format_weight",
    "invalid_note",
    "is_weighted",
    "shorten_name",
    "weight_word",
]

#: The unit of cross-entropies in a report: nats (natural log) or bits (log base 2).
Unit = Literal["nats", "bits"]


def format_number(value: float, decimals: int = 4) -> str:
    """``value`` with ``decimals`` decimals; ``n/a`` for NaN, ``inf``/``-inf`` as such."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{decimals}f}"


def check_unit(unit: str) -> Unit:
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
    value = nats / math.log(2) if check_unit(unit) == "bits" else nats
    text = format_number(value)
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


def format_perplexity(perplexity: float) -> str:
    if math.isinf(perplexity) or math.isnan(perplexity):
        return format_number(perplexity)
    if perplexity >= 1e6:
        return f"{perplexity:.3e}"
    return f"{perplexity:,.3f}"


def format_skill(skill: float) -> str:
    return format_number(skill, 3)


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


def bins_label(bins: CalibrationBins) -> str:
    n_bins = len(bins.edges) - 1
    return f"{n_bins} {bins.strategy} bins"


def weight_word(result: ScoreResult) -> str:
    """What the rows' amounts are called: ``"weight"`` when weighted, else ``"rows"``."""
    return "weight" if is_weighted(result) else "rows"


def shorten_name(name: str, width: int = 28) -> str:
    """A class name cut to ``width`` characters, an ellipsis marking the cut."""
    return name if len(name) <= width else name[: width - 1] + "…"
