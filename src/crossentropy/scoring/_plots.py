"""Figures of ``crossentropy score``: reliability diagrams, the per-row histogram, per class.

matplotlib is an optional extra, imported inside each function. No function touches
matplotlib's global state: figures are :class:`matplotlib.figure.Figure` objects made
directly (never through pyplot), so no backend is selected and no figure is registered;
each plotting function takes ``ax=None`` and returns the Axes it drew on.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from crossentropy._atomic import check_writable, write_atomically
from crossentropy.scoring._report_text import is_weighted

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from crossentropy.scoring._types import CalibrationBins, ScoreResult

__all__ = [
    "PNG_NAMES",
    "figure_size",
    "new_figure",
    "plot_classes",
    "plot_histogram",
    "plot_reliability",
    "render_figure",
    "write_pngs",
]

#: The files :func:`write_pngs` writes, in order.
PNG_NAMES = ("reliability.png", "reliability_equal_mass.png", "histogram.png", "classes.png")

#: Above this many classes, :func:`plot_classes` shows only the worst and the best few.
MAX_CLASSES_PLOTTED = 30
#: How many of the worst (and of the best) classes are shown above MAX_CLASSES_PLOTTED.
N_EXTREME_CLASSES = 15
#: The share of the histogram's weight its x range covers (the rest is counted in a note).
HISTOGRAM_COVERAGE = 0.995
#: About how many bars the rebinned histogram has.
HISTOGRAM_BARS = 60

_ACCURACY_COLOUR = "#3b6fb6"
_GAP_COLOUR = "#d1495b"
_WEIGHT_COLOUR = "#9a9a9a"
_MEAN_COLOUR = "#d1495b"
_UNIFORM_COLOUR = "#333333"
_PRIOR_COLOUR = "#e08a1e"


def _require_matplotlib() -> None:
    """Raise an ImportError that names the extra when matplotlib is missing."""
    try:
        import matplotlib as mpl  # noqa: F401 - matplotlib is an optional extra
    except ImportError as error:
        msg = "the score figures need matplotlib: pip install 'crossentropy[plot]'"
        raise ImportError(msg) from error


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A new Figure with constrained layout, made without pyplot (no global state).

    Raises
    ------
    ImportError
        matplotlib is not installed; the message names the ``plot`` extra.
    """
    _require_matplotlib()
    from matplotlib.figure import Figure  # matplotlib is an optional extra

    return Figure(figsize=figsize, layout="constrained")


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    return new_figure(figsize).add_subplot()


def _weight_word(result: ScoreResult) -> str:
    return "weight" if is_weighted(result) else "rows"


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Reliability diagram
# ---------------------------------------------------------------------------------------------


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
    ax = _axes(ax, figure_size(result, "reliability"))
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
        color=_GAP_COLOUR,
        linewidth=2.2,
        alpha=0.8,
        label="gap: accuracy - confidence",
    )
    top_share = float(share.max()) if share.size else 0.0
    sizes = 14 + 150 * (share / top_share if top_share > 0 else share)
    ax.plot(conf, acc, color=_ACCURACY_COLOUR, linewidth=1.4, zorder=3)
    ax.scatter(
        conf,
        acc,
        s=sizes,
        color=_ACCURACY_COLOUR,
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
        color=_WEIGHT_COLOUR,
        alpha=0.35,
        linewidth=0,
        zorder=1,
    )


# ---------------------------------------------------------------------------------------------
# Per-row histogram
# ---------------------------------------------------------------------------------------------


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
    ax = _axes(ax, figure_size(result, "histogram"))
    edges = np.asarray(result.histogram_edges, dtype=np.float64)
    weight = np.asarray(result.histogram_weight, dtype=np.float64)
    n_finite = len(weight) - 1 if np.isinf(edges[-1]) else len(weight)
    references = (
        (result.cross_entropy, "mean CE", _MEAN_COLOUR, "-"),
        (result.uniform_baseline, "uniform ln K", _UNIFORM_COLOUR, "--"),
        (result.prior_entropy, "prior H(prior)", _PRIOR_COLOUR, ":"),
    )
    finite_refs = [value for value, *_ in references if math.isfinite(value)]
    needed = 1.06 * max(finite_refs) if finite_refs else math.nan
    shown = _histogram_range(edges, weight, n_finite, needed)
    bar_edges, bar_weight = _rebin(edges, weight, shown)
    word = _weight_word(result)

    ax.stairs(bar_weight, bar_edges, fill=True, color=_ACCURACY_COLOUR, alpha=0.7)
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


# ---------------------------------------------------------------------------------------------
# Per class
# ---------------------------------------------------------------------------------------------


def _class_selection(result: ScoreResult) -> tuple[list[int | None], str]:
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
    chosen, title = _class_selection(result)
    ax = _axes(ax, figure_size(result, "classes"))
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
        labels.append(_short(result.classes[i]))
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
            color=_GAP_COLOUR if infinite else _ACCURACY_COLOUR,
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
            color=_MEAN_COLOUR,
            linestyle="--",
            linewidth=1.2,
            label=f"mean CE = {result.cross_entropy:.3f}",
        )
    else:
        ax.plot([], [], color=_MEAN_COLOUR, linestyle="--", label="mean CE = inf")
    ax.axvline(
        result.uniform_baseline,
        color=_UNIFORM_COLOUR,
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


def _classes_figsize(n_bars: int) -> tuple[float, float]:
    return (7.0, max(2.8, 1.3 + 0.24 * n_bars))


def figure_size(result: ScoreResult, name: str) -> tuple[float, float]:
    """The default size, in inches, of the figure ``name`` (one of PNG_NAMES, stem only)."""
    if name in {"reliability", "reliability_equal_mass"}:
        return (5.6, 4.8)
    if name == "histogram":
        return (8.4, 4.0)
    if name == "classes":
        return _classes_figsize(len(_class_selection(result)[0]))
    msg = f"unknown figure {name!r}; expected one of {[n[:-4] for n in PNG_NAMES]}"
    raise ValueError(msg)


def _drawers(result: ScoreResult) -> dict[str, Callable[[Axes], object]]:
    """Each figure's stem -> a function drawing it on the Axes given."""
    return {
        "reliability": lambda ax: plot_reliability(result, strategy="uniform", ax=ax),
        "reliability_equal_mass": lambda ax: plot_reliability(result, strategy="equal-mass", ax=ax),
        "histogram": lambda ax: plot_histogram(result, ax=ax),
        "classes": lambda ax: plot_classes(result, ax=ax),
    }


def render_figure(result: ScoreResult, name: str) -> Figure:
    """The figure ``name`` on a new Figure of its default size.

    ``name`` is one of ``"reliability"``, ``"reliability_equal_mass"``, ``"histogram"``,
    ``"classes"`` (the stems of PNG_NAMES).
    """
    drawers = _drawers(result)
    if name not in drawers:
        msg = f"unknown figure {name!r}; expected one of {sorted(drawers)}"
        raise ValueError(msg)
    figure = new_figure(figure_size(result, name))
    drawers[name](figure.add_subplot())
    return figure


def write_pngs(
    result: ScoreResult,
    directory: str | os.PathLike[str],
    *,
    force: bool = False,
    dpi: int = 150,
) -> list[Path]:
    """Write the four figures as PNG files into ``directory``, atomically.

    The files are ``reliability.png``, ``reliability_equal_mass.png``, ``histogram.png`` and
    ``classes.png``. The directory is created when missing. Without ``force``, nothing is
    written when any of the four exists (all are checked before any is drawn); each file is
    written to a temporary file beside it and renamed into place.

    Parameters
    ----------
    result : ScoreResult
    directory : str or path
    force : bool
        Replace existing files.
    dpi : int
        Resolution; the figures are about 5.6-7 inches wide.

    Returns
    -------
    list of Path
        The files written, in the order above.

    Raises
    ------
    crossentropy.scoring.OutputExistsError
        A file exists and ``force`` is false; nothing was written.
    ImportError
        matplotlib is not installed; the message names the ``plot`` extra.
    """
    _require_matplotlib()
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    targets = [check_writable(folder / name, force=force, what="figure") for name in PNG_NAMES]
    # Draw everything first, so a failure while drawing leaves no partial set of files.
    payloads = []
    for target in targets:
        figure = render_figure(result, target.stem)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        payloads.append(buffer.getvalue())
    return [
        write_atomically(target, payload, force=force, what="figure")
        for target, payload in zip(targets, payloads, strict=True)
    ]
