"""The building blocks of the HTML report: escaping, inline SVG figures, tables.

Kept apart from the page itself (:mod:`._html`), which lays the sections out.
"""

from __future__ import annotations

import html
import io
import re
from typing import TYPE_CHECKING

from crossentropy.scoring._report._plots import render_figure

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from crossentropy.scoring._types import ScoreResult

__all__ = ["FIGURE_CAPTIONS", "escape", "figure_html", "html_table", "inline_svg"]

#: The figures of the report: stem (as in ``_plots.render_figure``) -> caption.
FIGURE_CAPTIONS = {
    "reliability": (
        "Uniform bins. Each point is a bin: the accuracy of its rows against their mean "
        "confidence, its area by the bin's weight; red: the gap to the diagonal, where "
        "calibrated predictions lie; grey: where the confidences lie."
    ),
    "reliability_equal_mass": (
        "Equal-mass bins: each bin holds about the same weight, so sparse high-confidence "
        "regions do not hide in one bin."
    ),
    "histogram": (
        "How surprised the model was by each row's label: -ln p(label), in nats, with the "
        "mean and the two baselines."
    ),
    "classes": "Mean cross-entropy of the rows of each label, with the number of rows.",
}


def escape(text: object) -> str:
    """Escape for HTML text and attribute values (quotes included)."""
    return html.escape(str(text), quote=True)


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------

_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'\b(?:xlink:)?href="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")


def inline_svg(svg: str, *, prefix: str, label: str) -> str:
    """Make matplotlib's SVG document fit inside an HTML page beside other figures.

    Drops the XML declaration and DOCTYPE, the namespace declarations (implied for SVG
    inside HTML) and any metadata; ``xlink:href`` becomes SVG 2's ``href``; every ``id``
    and every reference to one gets ``prefix`` so two figures never share an id.

    Parameters
    ----------
    svg : str
        The document written by ``Figure.savefig(format="svg")``.
    prefix : str
        Unique within the page (letters, digits, ``-``).
    label : str
        The figure's accessible name (``aria-label``).

    Returns
    -------
    str
        An ``<svg ...>...</svg>`` element.

    Examples
    --------
    >>> doc = '<?xml version="1.0"?> <svg xmlns="http://www.w3.org/2000/svg">'
    >>> doc += '<path id="m1"/><use xlink:href="#m1"/></svg>'
    >>> inline_svg(doc, prefix="f", label="a & b")
    '<svg role="img" aria-label="a &amp; b"><path id="f-m1"/><use href="#f-m1"/></svg>'
    """
    start = svg.find("<svg")
    if start < 0:
        msg = "not an SVG document: no <svg> element"
        raise ValueError(msg)
    body = svg[start:]
    body = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", body)
    body = re.sub(r"<metadata>.*?</metadata>\s*", "", body, flags=re.DOTALL)
    body = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', body)
    body = _HREF.sub(lambda m: f'href="#{prefix}-{m.group(1)}"', body)
    body = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", body)
    return body.replace("<svg", f'<svg role="img" aria-label="{escape(label)}"', 1).rstrip()


def _figure_svg(result: ScoreResult, name: str) -> str:
    from matplotlib import rc_context  # matplotlib is an optional extra

    # Temporary settings only: text as <text>, and ids that do not change between runs.
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": f"crossentropy-{name}"}):
        figure = render_figure(result, name)
        buffer = io.StringIO()
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
        )
    prefix = "fig-" + name.replace("_", "-")
    return inline_svg(buffer.getvalue(), prefix=prefix, label=FIGURE_CAPTIONS[name].split(".")[0])


def figure_html(result: ScoreResult, name: str, caption: str | None = None) -> str:
    fid = "figure-" + name.replace("_", "-")
    return (
        f'<figure id="{fid}" data-figure="{name}">\n{_figure_svg(result, name)}\n'
        f"<figcaption>{escape(caption or FIGURE_CAPTIONS[name])}</figcaption>\n</figure>"
    )


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def html_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Sequence[bool],
    row_attributes: Iterable[str] | None = None,
    table_id: str = "",
) -> str:
    head = "".join(
        f'<th scope="col"{" class=num" if num else ""}>{escape(h)}</th>'
        for h, num in zip(headers, numeric, strict=True)
    )
    attributes = iter(row_attributes) if row_attributes is not None else None
    body = []
    for row in rows:
        extra = f" {next(attributes)}" if attributes is not None else ""
        cells = "".join(
            f"<td{' class=num' if num else ''}>{escape(cell)}</td>"
            for cell, num in zip(row, numeric, strict=True)
        )
        body.append(f"<tr{extra}>{cells}</tr>")
    table_id = f' id="{table_id}"' if table_id else ""
    return (
        f'<div class="scroll"><table{table_id}><thead><tr>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(body)
        + "\n</tbody></table></div>"
    )
