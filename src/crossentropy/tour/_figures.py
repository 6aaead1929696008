"""The tour's figures, drawn on :class:`matplotlib.figure.Figure` objects (never pyplot).

matplotlib is an optional extra, imported inside each function; no function touches
matplotlib's global state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossentropy import info
from crossentropy._figures import new_figure
from crossentropy._rule_of_thumb import BANDS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = [
    "baselines_figure",
    "distributions_figure",
    "entropy_figure",
    "losses_figure",
    "surprise_figure",
    "training_curves_figure",
]

_NEEDED_FOR = "the tour's figures"  # named in the ImportError without matplotlib
_CE = "#3b6fb6"
_SQ = "#d1495b"
_GREY = "#777777"


def _tidy(ax: Axes) -> None:
    ax.grid(visible=True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def surprise_figure(marked: Sequence[float]) -> Figure:
    """-log2 p over (0, 1], with the table's probabilities marked."""
    figure = new_figure((6.4, 4.2), needed_for=_NEEDED_FOR)
    ax = figure.add_subplot()
    grid = np.linspace(0.004, 1.0, 500)
    ax.plot(grid, info.information(grid, base="bits"), color=_CE, lw=2, label="$-\\log_2 p$")
    points = np.asarray(marked, dtype=float)
    bits = info.information(points, base="bits")
    ax.scatter(points, bits, color=_SQ, zorder=3, label="the table's events")
    for p, b in zip(points, bits, strict=True):
        if b <= 8:
            # Near p = 1, labels go to the left (inside the axes), the last one higher up.
            offset = (6, 4) if p <= 0.8 else (-8, 6) if p < 1 else (-4, 26)
            ax.annotate(
                f"{b:.2f} bits",
                (p, b),
                textcoords="offset points",
                xytext=offset,
                ha="left" if p <= 0.8 else "right",
            )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 8.2)
    ax.set_xlabel("probability p of the event")
    ax.set_ylabel("information (surprise), bits")
    ax.set_title("Surprise: rare events carry more information")
    ax.legend(loc="upper right")
    _tidy(ax)
    return figure


def entropy_figure(
    distributions: Mapping[str, Sequence[float]], bits: Mapping[str, float]
) -> Figure:
    """One bar chart per distribution, titled with its entropy in bits."""
    figure = new_figure((3.2 * len(distributions), 3.6), needed_for=_NEEDED_FOR)
    axes = figure.subplots(1, len(distributions), sharey=True, squeeze=False)[0]
    for ax, (name, probs) in zip(axes, distributions.items(), strict=True):
        labels = [f"x{i + 1}" for i in range(len(probs))]
        ax.bar(labels, probs, color=_CE)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{name}\nH = {bits[name]:.3f} bits")
        ax.set_xlabel("outcome")
        _tidy(ax)
    axes[0].set_ylabel("probability")
    figure.suptitle("Entropy: the average surprise of a distribution")
    return figure


def distributions_figure(
    labels: Sequence[str], p: Sequence[float], q: Sequence[float], caption: str
) -> Figure:
    """Grouped bars of the true distribution p and the model's q."""
    figure = new_figure((6.0, 4.0), needed_for=_NEEDED_FOR)
    ax = figure.add_subplot()
    x = np.arange(len(labels))
    ax.bar(x - 0.2, p, width=0.4, color=_CE, label="p (true)")
    ax.bar(x + 0.2, q, width=0.4, color=_SQ, label="q (model)")
    ax.set_xticks(x, list(labels))
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.set_title(caption)
    ax.legend()
    _tidy(ax)
    return figure


def losses_figure(marked: Sequence[float]) -> Figure:
    """Cross-entropy -ln p and squared residual (1-p)^2 over p, and their slopes."""
    figure = new_figure((10.0, 4.2), needed_for=_NEEDED_FOR)
    left, right = figure.subplots(1, 2)
    grid = np.linspace(0.01, 1.0, 500)
    left.plot(grid, info.information(grid), color=_CE, lw=2, label="cross-entropy $-\\ln p$")
    left.plot(grid, (1 - grid) ** 2, color=_SQ, lw=2, label="squared residual $(1-p)^2$")
    left.plot(grid, 1 - grid, color=_GREY, lw=1, ls="--", label="residual $1-p$")
    points = np.asarray(marked, dtype=float)
    left.scatter(points, info.information(points), color=_CE, zorder=3, s=18)
    left.scatter(points, (1 - points) ** 2, color=_SQ, zorder=3, s=18)
    left.set_ylim(0, 4.7)
    left.set_xlabel("probability given to the true class, p")
    left.set_ylabel("loss")
    left.set_title("The losses")
    left.legend()
    _tidy(left)
    right.plot(grid, -1 / grid, color=_CE, lw=2, label="slope of $-\\ln p$: $-1/p$")
    right.plot(grid, -2 * (1 - grid), color=_SQ, lw=2, label="slope of $(1-p)^2$: $-2(1-p)$")
    right.axhline(-2, color=_SQ, lw=0.8, ls=":")
    right.set_ylim(-20, 0.5)
    right.set_xlabel("probability given to the true class, p")
    right.set_ylabel("d loss / d p")
    right.set_title("Their slopes: -ln p pushes hard when wrong")
    right.legend(loc="lower right")
    _tidy(right)
    return figure


def training_curves_figure(
    curves: dict[str, list[list[dict[str, float]]]],
    target: float,
    epochs: int,
    medians: Mapping[str, float],
) -> Figure:
    """Training loss (each loss on its own scale) and accuracy per epoch, one line per seed."""
    figure = new_figure((10.0, 4.2), needed_for=_NEEDED_FOR)
    left, right = figure.subplots(1, 2)
    colours = {"cross_entropy": _CE, "squared": _SQ}
    names = {"cross_entropy": "cross-entropy", "squared": "squared error"}
    for loss, histories in curves.items():
        for seed, history in enumerate(histories):
            x = np.arange(1, len(history) + 1)
            label = names[loss] if seed == 0 else None
            accuracy = [row["accuracy"] for row in history]
            relative = np.asarray([row["loss"] for row in history], dtype=float)
            relative = relative / relative[0] if relative[0] > 0 else relative
            left.plot(x, relative, color=colours[loss], alpha=0.7, lw=1.2, label=label)
            right.plot(x, accuracy, color=colours[loss], alpha=0.7, lw=1.2, label=label)
    right.axhline(target, color=_GREY, ls="--", lw=1, label=f"target {target:.0%}")
    for loss, median in medians.items():
        if median <= epochs:
            right.axvline(median, color=colours[loss], ls=":", lw=1.5)
            right.text(
                median,
                0.03,
                f" median {median:g}",
                color=colours[loss],
                rotation=90,
                transform=right.get_xaxis_transform(),
            )
    left.set_xlabel("epoch")
    left.set_ylabel("training loss / its first-epoch value")
    left.set_title("Training loss (relative)")
    left.set_xlim(1, epochs)
    right.set_xlabel("epoch")
    right.set_ylabel("training accuracy")
    right.set_title("Training accuracy, one line per seed")
    right.set_xlim(1, epochs)
    lowest = min(row["accuracy"] for runs in curves.values() for h in runs for row in h)
    right.set_ylim(max(0.0, lowest - 0.05), 1.01)
    for ax in (left, right):
        ax.legend(loc="best")
        _tidy(ax)
    return figure


def baselines_figure(cross_entropy: float, prior_entropy: float, n_classes: int) -> Figure:
    """The model's cross-entropy beside its two baselines, over the rule-of-thumb bands."""
    figure = new_figure((8.4, 3.8), needed_for=_NEEDED_FOR)
    ax = figure.add_subplot()
    names = ["the model", "label frequencies\nH(prior)", f"uniform guess\nln {n_classes}"]
    values = [cross_entropy, prior_entropy, float(np.log(n_classes))]
    right = max(1.3, max(values) * 1.15)
    low = 0.0
    shades = ("#e6f0e0", "#f4f4f4")
    for index, (high, _, word, _) in enumerate(BANDS):
        ax.axvspan(low, high, color=shades[index % 2], zorder=0)
        shown = min(high, right) - low
        if shown >= 0.09:
            ax.text(
                (low + min(high, right)) / 2,
                1.01,
                word.replace(" ", "\n") if shown < 0.2 else word,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        low = high
    bars = ax.barh(names, values, color=[_CE, _GREY, _GREY], height=0.6, zorder=2)
    for bar, value in zip(bars, values, strict=True):
        ax.text(value + 0.02, bar.get_y() + bar.get_height() / 2, f"{value:.3f}", va="center")
    ax.invert_yaxis()
    ax.set_xlim(0, right)
    ax.set_xlabel("cross-entropy, nats (shaded: the bands of the tutorial rule of thumb)")
    ax.set_title("Judge a cross-entropy against its baselines, not a fixed scale", pad=26)
    ax.spines[["top", "right"]].set_visible(False)
    return figure
