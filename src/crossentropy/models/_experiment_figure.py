"""The figure of the cross-entropy vs squared-error experiment: training accuracy by epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossentropy._figures import new_figure

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from crossentropy.models._experiment import ExperimentResult

__all__ = ["ce_vs_squared_figure"]


def ce_vs_squared_figure(results: Sequence[ExperimentResult]) -> Figure:
    """One panel per problem: median training accuracy per epoch for each loss, IQR shaded.

    Parameters
    ----------
    results : sequence of ExperimentResult
        What :func:`ce_vs_squared` returned, one per problem.

    Returns
    -------
    matplotlib.figure.Figure
        Made without pyplot; write it with ``crossentropy experiment --plot``.

    Raises
    ------
    ImportError
        matplotlib is not installed; the message names the ``plot`` extra.
    """
    figure = new_figure((6 * len(results), 4.2), needed_for="the experiment's figure")
    axes = figure.subplots(1, len(results), squeeze=False)[0]
    for ax, result in zip(axes, results, strict=True):
        for (name, summary), color in zip(result.results.items(), ("C0", "C3"), strict=False):
            epochs = np.arange(1, summary.curves.shape[1] + 1)
            low, mid, high = np.percentile(summary.curves, [25, 50, 75], axis=0)
            label = "cross-entropy" if name == "cross_entropy" else "squared residuals"
            ax.plot(epochs, mid, color=color, label=f"{label} (median)")
            ax.fill_between(epochs, low, high, color=color, alpha=0.2, linewidth=0)
        ax.axhline(result.target_accuracy, color="0.4", linestyle=":", label="target")
        ax.set_title(f"{result.problem}: training accuracy, {result.seeds} seeds (IQR shaded)")
        ax.set_xlabel("epoch (plain SGD)")
        ax.set_ylabel("training accuracy")
        ax.set_ylim(0, 1.02)
        ax.legend(loc="lower right")
    return figure
