"""Figures without pyplot, and their PNG bytes: one home for every figure of the library.

matplotlib is the ``plot`` extra: it is imported only inside these functions, and its
absence is an ImportError naming the extra. Figures are made with
:class:`matplotlib.figure.Figure` directly (no pyplot, so no global state and no GUI
backend), and PNGs are written without the ``Software`` metadata entry, so the same
figure gives the same bytes whatever matplotlib version made it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["new_figure", "png_bytes", "require_matplotlib"]


def require_matplotlib(needed_for: str) -> None:
    """Raise an ImportError that names the ``plot`` extra when matplotlib is missing."""
    try:
        import matplotlib as mpl  # noqa: F401
    except ImportError as error:
        msg = f"{needed_for} need matplotlib: pip install 'crossentropy[plot]'"
        raise ImportError(msg) from error


def new_figure(figsize: tuple[float, float], *, needed_for: str = "the figures") -> Figure:
    """A new Figure with constrained layout, made without pyplot (no global state).

    Parameters
    ----------
    figsize : (float, float)
        Width and height in inches.
    needed_for : str
        What the figure is for, named in the ImportError (e.g. ``"the tour's figures"``).

    Raises
    ------
    ImportError
        matplotlib is not installed; the message names the ``plot`` extra.
    """
    require_matplotlib(needed_for)
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def png_bytes(figure: Figure, *, dpi: int) -> bytes:
    """The figure as PNG bytes, without the version-dependent ``Software`` metadata."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
