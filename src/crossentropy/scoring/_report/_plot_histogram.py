"""The per-row histogram of ``crossentropy score``: the weight of each cross-entropy."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.scoring._report._format import weight_word
from crossentropy.scoring._report._plot_style import (
    ACCURACY_COLOUR,
    HISTOGRAM_SIZE,
    MEAN_COLOUR,
    PRIOR_COLOUR,
    UNIFORM_COLOUR,
    axes_or_new,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from crossentropy.scoring._types import ScoreResult

__all__ = ["HISTOGRAM_BARS", "HISTOGRAM_COVERAGE", "plot_histogram"]

#: The share of the histogram's weight its x range covers (the rest is counted in a note).
HISTOGRAM_COVERAGE = 0.995
#: About how many bars the rebinned histogram has.
HISTOGRAM_BARS = 60


def _histogram_range(edges: np.ndarray, weight: np.ndarray, n_finite: int, needed: float) -> int:
    """How many of the fine finite bins to show: ~99.5% of the weight, and ``needed``."""
    total = float(weight.sum())
    cumulative = np.cumsum(weight[:n_finite])
    if n_finite == 0:
        return 0
    if total > 0 and cumulative[-1] >= HISTOGRAM_COVERAGE * total:
        shown = int(np.searchsorted(cumulative, HISTOGRAM_COVERAGE * total)) + 1
    else:  # more than 0.5% overflows: show up to the last non-empty finite bin
        nonzero = np.flatnonzero(weight[:n_finite] > 0)
        shown = int(nonzero[-1]) + 1 if nonzero.size else 1
    if math.isfinite(needed):
        shown = max(shown, int(np.searchsorted(edges[: n_finite + 1], needed)))
    return min(max(shown, 1), n_finite)


def _rebin(edges: np.ndarray, weight: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge the first ``n_bins`` fine bins into about HISTOGRAM_BARS bars."""
    group = max(1, math.ceil(n_bins / HISTOGRAM_BARS))
    starts = np.arange(0, n_bins, group)
    merged = np.add.reduceat(weight[:n_bins], starts)
    new_edges = np.append(edges[starts], edges[n_bins])
    return new_edges, merged


def plot_histogram(result: ScoreResult, *, ax: Axes | None = None) -> Axes:
    """The histogram of the per-row cross-entropy ``-ln p(label)``, with the baselines.

    The fine fixed histogram of the result (``histogram_edges``, whose last edge is ``inf``:
    the overflow bin) is merged into about 60 bars over a range that holds about 99.5% of
    the weight and the three reference lines: the mean cross-entropy, the uniform baseline
    ``ln K`` and the prior baseline ``H(prior)``. What lies beyond the range (including the
    overflow bin and the rows whose label got probability 0) is counted in a note.

    Parameters
    ----------
    result : ScoreResult
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        matplotlib is not installed.
    """
    ax = axes_or_new(ax, HISTOGRAM_SIZE)
    edges = np.asarray(result.histogram_edges, dtype=np.float64)
    weight = np.asarray(result.histogram_weight, dtype=np.float64)
    n_finite = len(weight) - 1 if np.isinf(edges[-1]) else len(weight)
    references = (
        (result.cross_entropy, "mean CE", MEAN_COLOUR, "-"),
        (result.uniform_baseline, "uniform ln K", UNIFORM_COLOUR, "--"),
        (result.prior_entropy, "prior H(prior)", PRIOR_COLOUR, ":"),
    )
    finite_refs = [value for value, *_ in references if math.isfinite(value)]
    needed = 1.06 * max(finite_refs) if finite_refs else math.nan
    shown = _histogram_range(edges, weight, n_finite, needed)
    bar_edges, bar_weight = _rebin(edges, weight, shown)
    word = weight_word(result)

    ax.stairs(bar_weight, bar_edges, fill=True, color=ACCURACY_COLOUR, alpha=0.7)
    for value, name, colour, style in references:
        if math.isfinite(value):
            ax.axvline(
                value,
                color=colour,
                linestyle=style,
                linewidth=1.6,
                label=f"{name} = {value:.3f}",
            )
        else:
            ax.plot([], [], color=colour, linestyle=style, label=f"{name} = inf")
    ax.set_xlim(float(bar_edges[0]), float(bar_edges[-1]))
    ax.set_xlabel("per-row cross-entropy -ln p(label) (nats)")
    ax.set_ylabel(word)
    ax.set_title("Per-row cross-entropy", fontsize=11)
    weighted = word == "weight"
    for note in _histogram_notes(result, edges, weight, shown, n_finite, weighted=weighted):
        ax.plot([], [], linestyle="none", label=note)  # a legend line without a handle
    # Beside the axes, where it can hide no bar.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if float(weight.sum()) == 0:
        ax.text(0.5, 0.5, "no rows", transform=ax.transAxes, ha="center", va="center")
    return ax


def _histogram_notes(
    result: ScoreResult,
    edges: np.ndarray,
    weight: np.ndarray,
    shown: int,
    n_finite: int,
    *,
    weighted: bool,
) -> list[str]:
    """What the axis leaves out: the weight beyond the range, the overflow bin, the infs."""
    notes = []
    beyond = float(weight[shown:].sum())
    if beyond > 0:
        notes.append(f"off the axis: {_amount(beyond, weighted=weighted)} > {edges[shown]:.3g}")
    overflow = float(weight[n_finite:].sum())
    if overflow > 0:
        amount = _amount(overflow, weighted=weighted)
        text = f"  of which overflow bin (> {edges[n_finite]:.3g}): {amount}"
        if result.n_infinite:
            text += f",\n  {result.n_infinite:,} with p(label) = 0, CE inf"
        notes.append(text)
    elif result.n_infinite:
        notes.append(f"{result.n_infinite:,} with p(label) = 0, CE inf")
    return notes


def _amount(value: float, *, weighted: bool) -> str:
    """``12 rows``/``1 row``, or ``weight 12.5`` when the rows carry weights."""
    if weighted:
        return f"weight {value:,.4g}"
    rows = round(value)
    return f"{rows:,} row" if rows == 1 else f"{rows:,} rows"
