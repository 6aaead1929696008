"""What the figures of ``crossentropy score`` share: colours, sizes, and a new Axes.

Figures are made by the library's one figure home, :mod:`crossentropy._figures` (no
pyplot, PNGs without version metadata); this module names what the score figures need
from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crossentropy._figures import new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "ACCURACY_COLOUR",
    "GAP_COLOUR",
    "HISTOGRAM_SIZE",
    "MEAN_COLOUR",
    "NEEDED_FOR",
    "PRIOR_COLOUR",
    "RELIABILITY_SIZE",
    "UNIFORM_COLOUR",
    "WEIGHT_COLOUR",
    "axes_or_new",
    "classes_figsize",
]

#: What the ImportError without matplotlib says the figures are for.
NEEDED_FOR = "the score figures"

ACCURACY_COLOUR = "#3b6fb6"
GAP_COLOUR = "#d1495b"
WEIGHT_COLOUR = "#9a9a9a"
MEAN_COLOUR = "#d1495b"
UNIFORM_COLOUR = "#333333"
PRIOR_COLOUR = "#e08a1e"

#: The default sizes, in inches, of the reliability diagrams and of the histogram.
RELIABILITY_SIZE = (5.6, 4.8)
HISTOGRAM_SIZE = (8.4, 4.0)


def classes_figsize(n_bars: int) -> tuple[float, float]:
    """The default size, in inches, of the per-class figure with ``n_bars`` bars."""
    return (7.0, max(2.8, 1.3 + 0.24 * n_bars))


def axes_or_new(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    return new_figure(figsize, needed_for=NEEDED_FOR).add_subplot()
