"""The reliability diagram of ``crossentropy score``: accuracy against confidence per bin."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np

from crossentropy.scoring._report._plot_style import (
    ACCURACY_COLOUR,
    GAP_COLOUR,
    RELIABILITY_SIZE,
    WEIGHT_COLOUR,
    axes_or_new,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from crossentropy.scoring._types import CalibrationBins, ScoreResult

__all__ = ["plot_reliability"]


def plot_reliability(
    result: ScoreResult,
    *,
    strategy: Literal["uniform", "equal-mass"] = "uniform",
    ax: Axes | None = None,
) -> Axes:
    """The reliability diagram: accuracy against confidence per bin, beside the diagonal.

    Each non-empty bin is a point at (mean confidence, accuracy) with an area proportional
    to the bin's weight, joined by a line; a red segment shows its gap to the diagonal, on
    which a calibrated model's points lie. Grey bars in the bottom fifth show where the
    confidences lie (the weight per unit of confidence, bin by bin). The title gives the
    expected and maximum calibration errors.

    Parameters
    ----------
    result : ScoreResult
    strategy : {"uniform", "equal-mass"}
        Which binning: ``result.calibration`` or ``result.calibration_equal_mass``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        ``strategy`` is not one of the two.
    ImportError
        matplotlib is not installed.
    """
    by_strategy = {"uniform": result.calibration, "equal-mass": result.calibration_equal_mass}
    if strategy not in by_strategy:
        msg = f"strategy must be 'uniform' or 'equal-mass', got {strategy!r}"
        raise ValueError(msg)
    bins = by_strategy[strategy]
    ax = axes_or_new(ax, RELIABILITY_SIZE)
    _draw_reliability(ax, bins, n_classes=result.n_classes)
    return ax


def _draw_reliability(ax: Axes, bins: CalibrationBins, *, n_classes: int) -> None:
    from matplotlib.collections import PathCollection  # optional extra

    edges = np.asarray(bins.edges, dtype=np.float64)
    weight = np.asarray(bins.weight, dtype=np.float64)
    accuracy = np.asarray(bins.accuracy, dtype=np.float64)
    confidence = np.asarray(bins.confidence, dtype=np.float64)
    present = (np.asarray(bins.count) > 0) & ~np.isnan(accuracy) & ~np.isnan(confidence)
    acc = accuracy[present]
    conf = confidence[present]
    total = float(weight.sum())
    share = weight[present] / total if total > 0 else np.zeros_like(acc)

    # The top-label confidence is at least 1/K: start the axis at the tenth below it
    # (at 0.5 at most, so that a single class still has a range).
    low = min(0.5, math.floor(10 / n_classes) / 10) if n_classes > 0 else 0.0
    _draw_confidence_histogram(ax, edges[:-1][present], edges[1:][present], share, low)

    ax.plot([low, 1], [low, 1], linestyle="--", color="#555555", linewidth=1, label="perfect")
    ax.vlines(
        conf,
        acc,
        conf,
        color=GAP_COLOUR,
        linewidth=2.2,
        alpha=0.8,
        label="gap: accuracy - confidence",
    )
    top_share = float(share.max()) if share.size else 0.0
    sizes = 14 + 150 * (share / top_share if top_share > 0 else share)
    ax.plot(conf, acc, color=ACCURACY_COLOUR, linewidth=1.4, zorder=3)
    ax.scatter(
        conf,
        acc,
        s=sizes,
        color=ACCURACY_COLOUR,
        edgecolor="white",
        linewidth=0.8,
        zorder=4,
        label="bin: (mean confidence, accuracy)",
    )
    ax.set_xlim(low, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("confidence: probability of the predicted class")
    ax.set_ylabel("accuracy: the predicted class is the label")
    n_bins = len(edges) - 1
    ax.set_title(
        f"Reliability, {n_bins} {bins.strategy} bins\nECE {bins.ece:.4f}, MCE {bins.mce:.4f}",
        fontsize=11,
    )
    legend = ax.legend(loc="upper left", fontsize=8, frameon=False)
    for handle in legend.legend_handles:
        if isinstance(handle, PathCollection):  # one marker size in the legend
            handle.set_sizes([40.0])
    ax.text(
        0.99,
        0.01,
        "grey: where the confidences lie; point area: bin weight",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=7,
        color="#666666",
    )
    if not present.any():
        ax.text(0.5, 0.5, "no rows", transform=ax.transAxes, ha="center", va="center")


def _draw_confidence_histogram(
    ax: Axes, left: np.ndarray, right: np.ndarray, share: np.ndarray, low: float
) -> None:
    """Grey bars in the bottom fifth of ``ax``: the weight density of the confidences per bin.

    Density (share / width), not share, so equal-mass bins draw a true histogram too; a bin
    is drawn over the part of its range the confidence can reach (from ``low``).
    """
    left = np.maximum(left, low)
    width = right - left
    drawable = width > 1e-9  # a bin of zero width (tied equal-mass edges) has no bar
    if not drawable.any():
        return
    density = share[drawable] / width[drawable]
    height = 0.2 * density / float(density.max())
    ax.bar(
        left[drawable],
        height,
        width=width[drawable],
        align="edge",
        color=WEIGHT_COLOUR,
        alpha=0.35,
        linewidth=0,
        zorder=1,
    )
