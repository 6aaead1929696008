"""Figures of ``crossentropy score``: reliability diagrams, the per-row histogram, per class.

matplotlib is an optional extra, imported inside each function. No function touches
matplotlib's global state: figures are :class:`matplotlib.figure.Figure` objects made
directly (never through pyplot, by :mod:`crossentropy._figures`), so no backend is
selected and no figure is registered; each plotting function takes ``ax=None`` and
returns the Axes it drew on. One module per figure (``_plot_reliability``,
``_plot_histogram``, ``_plot_classes``); this one names them, sizes them and writes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from crossentropy._atomic import check_writable, write_atomically
from crossentropy._figures import new_figure, png_bytes, require_matplotlib
from crossentropy.scoring._report._plot_classes import class_selection, plot_classes
from crossentropy.scoring._report._plot_histogram import plot_histogram
from crossentropy.scoring._report._plot_reliability import plot_reliability
from crossentropy.scoring._report._plot_style import (
    HISTOGRAM_SIZE,
    NEEDED_FOR,
    RELIABILITY_SIZE,
    classes_figsize,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from crossentropy.scoring._types import ScoreResult

__all__ = [
    "PNG_NAMES",
    "figure_size",
    "plot_classes",
    "plot_histogram",
    "plot_reliability",
    "render_figure",
    "write_pngs",
]

#: The files :func:`write_pngs` writes, in order.
PNG_NAMES = ("reliability.png", "reliability_equal_mass.png", "histogram.png", "classes.png")


def figure_size(result: ScoreResult, name: str) -> tuple[float, float]:
    """The default size, in inches, of the figure ``name`` (one of PNG_NAMES, stem only)."""
    if name in {"reliability", "reliability_equal_mass"}:
        return RELIABILITY_SIZE
    if name == "histogram":
        return HISTOGRAM_SIZE
    if name == "classes":
        return classes_figsize(len(class_selection(result)[0]))
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
    figure = new_figure(figure_size(result, name), needed_for=NEEDED_FOR)
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
    require_matplotlib(NEEDED_FOR)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    targets = [check_writable(folder / name, force=force, what="figure") for name in PNG_NAMES]
    # Draw everything first, so a failure while drawing leaves no partial set of files.
    payloads = [png_bytes(render_figure(result, target.stem), dpi=dpi) for target in targets]
    return [
        write_atomically(target, payload, force=force, what="figure")
        for target, payload in zip(targets, payloads, strict=True)
    ]
