"""The per-class figure of ``crossentropy score``: each class's mean cross-entropy."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.scoring._report._format import shorten_name
from crossentropy.scoring._report._plot_style import (
    ACCURACY_COLOUR,
    GAP_COLOUR,
    MEAN_COLOUR,
    UNIFORM_COLOUR,
    axes_or_new,
    classes_figsize,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from crossentropy.scoring._types import ScoreResult

__all__ = ["MAX_CLASSES_PLOTTED", "N_EXTREME_CLASSES", "class_selection", "plot_classes"]

#: Above this many classes, :func:`plot_classes` shows only the worst and the best few.
MAX_CLASSES_PLOTTED = 30
#: How many of the worst (and of the best) classes are shown above MAX_CLASSES_PLOTTED.
N_EXTREME_CLASSES = 15


def class_selection(result: ScoreResult) -> tuple[list[int | None], str]:
    """The classes to plot, top to bottom (``None``: a gap), and the title."""
    K = result.n_classes
    if K <= MAX_CLASSES_PLOTTED:
        return list(range(K)), f"Cross-entropy per class ({K} classes)"
    ce = np.asarray(result.class_cross_entropy, dtype=np.float64)
    present = np.flatnonzero(~np.isnan(ce))
    order = present[np.argsort(-ce[present], kind="stable")]  # worst first
    n = N_EXTREME_CLASSES
    if len(order) <= 2 * n:
        chosen: list[int | None] = [int(i) for i in order]
        title = f"Cross-entropy per class ({len(order)} of {K:,} classes with rows)"
    else:
        chosen = [*(int(i) for i in order[:n]), None, *(int(i) for i in order[-n:])]
        title = f"Cross-entropy per class: the {n} worst and {n} best of {K:,} classes"
    return chosen, title


def plot_classes(result: ScoreResult, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars of each class's mean cross-entropy, labelled with its support.

    With up to 30 classes all are shown in class order; with more, the 15 worst and the
    15 best (by mean cross-entropy, among the classes some row has as its label), and the
    title says so. A class whose rows include a label of probability 0 has ``inf``: its
    bar is hatched and runs to the edge. Dashed lines mark the mean cross-entropy and the
    uniform baseline ``ln K``.

    Parameters
    ----------
    result : ScoreResult
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default (sized to the number of bars).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        matplotlib is not installed.
    """
    chosen, title = class_selection(result)
    ax = axes_or_new(ax, classes_figsize(len(chosen)))
    ce = np.asarray(result.class_cross_entropy, dtype=np.float64)
    shown_ce = np.array([ce[i] if i is not None else np.nan for i in chosen])
    finite = shown_ce[np.isfinite(shown_ce)]
    references = [v for v in (result.cross_entropy, result.uniform_baseline) if math.isfinite(v)]
    span = max([*finite.tolist(), *references, 1e-3])
    x_max = 1.22 * span  # room for the support labels
    positions = np.arange(len(chosen))[::-1]  # first on top
    labels = []
    for y, i in zip(positions, chosen, strict=True):
        if i is None:
            labels.append("⋯")
            continue
        labels.append(shorten_name(result.classes[i]))
        value = float(ce[i])
        support = f"n={int(result.class_count[i]):,}"
        if math.isnan(value):
            ax.text(0, y, " no rows", va="center", fontsize=7, color="#666666")
            continue
        infinite = math.isinf(value)
        length = x_max if infinite else value
        ax.barh(
            y,
            length,
            height=0.72,
            color=GAP_COLOUR if infinite else ACCURACY_COLOUR,
            alpha=0.8,
            hatch="///" if infinite else None,
            linewidth=0,
        )
        ax.text(
            x_max * 0.98 if infinite else length + 0.01 * x_max,
            y,
            f"CE inf, {support}" if infinite else support,
            ha="right" if infinite else "left",
            va="center",
            fontsize=7,
            color="#222222",
            zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.8},
        )
    if math.isfinite(result.cross_entropy):
        ax.axvline(
            result.cross_entropy,
            color=MEAN_COLOUR,
            linestyle="--",
            linewidth=1.2,
            label=f"mean CE = {result.cross_entropy:.3f}",
        )
    else:
        ax.plot([], [], color=MEAN_COLOUR, linestyle="--", label="mean CE = inf")
    ax.axvline(
        result.uniform_baseline,
        color=UNIFORM_COLOUR,
        linestyle=":",
        linewidth=1.2,
        label=f"ln K = {result.uniform_baseline:.3f}",
    )
    # Class names are data: never read "$...$" in them as mathtext.
    ax.set_yticks(positions, labels, fontsize=8 if len(chosen) <= 20 else 7, parse_math=False)
    ax.set_ylim(-0.7, len(chosen) - 0.3)
    ax.set_xlim(0, x_max)
    ax.set_xlabel("mean cross-entropy of the rows with that label (nats)")
    ax.set_title(title, fontsize=11)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    return ax
