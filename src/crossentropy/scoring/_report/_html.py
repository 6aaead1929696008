"""The HTML report of ``crossentropy score``: one self-contained file, no network at all.

Everything is inline: the CSS in a ``<style>`` element, the figures as SVG made by
matplotlib with ``svg.fonttype: none`` (so their text stays ``<text>``, searchable and
sharp), no script, no external font, image or link. Every piece of text that came from the
user (file names, class names, labels, options) is escaped with :func:`html.escape`.

Stable hooks for tests and scripts: each part is a ``<section>`` with an ``id``
(``verdict``, ``metrics``, ``rule-of-thumb``, ``reliability``, ``histogram``, ``classes``,
``worst-rows``, ``invalid``, ``sources``), each metric value a ``<td data-metric="key">``
(the keys of :func:`~crossentropy.scoring._report._content.metric_lines`), each figure a
``<figure data-figure="name">``, each class row a ``<tr data-class="name">``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy._atomic import check_writable, write_atomically
from crossentropy._version import __version__
from crossentropy.scoring._report._content import (
    MAX_CLASSES_LISTED,
    class_rows,
    metric_lines,
    worst_row_cells,
)
from crossentropy.scoring._report._format import format_count
from crossentropy.scoring._report._html_parts import escape, figure_html, html_table

if TYPE_CHECKING:
    import os
    from pathlib import Path

    from crossentropy.scoring._types import CalibrationBins, ScoreResult, Verdict

__all__ = ["render_html", "write_html"]

_CSS = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5f6368; --rule: #d9dce1;
  --band: #f5f6f8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    sans-serif; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px;
  border-bottom: 1px solid var(--rule); }
p { margin: 6px 0; }
.muted, .note, figcaption, caption { color: var(--muted); }
.note { font-size: 13px; }
code, .mono, td.num { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas,
  "DejaVu Sans Mono", monospace; font-size: 13px; }
#verdict { border-left: 8px solid var(--level); background: var(--level-bg);
  padding: 12px 18px; margin-top: 14px; border-radius: 4px; }
#verdict .level { display: inline-block; font-weight: 700; font-size: 12px;
  letter-spacing: .06em; text-transform: uppercase; color: #fff; background: var(--level);
  padding: 2px 8px; border-radius: 3px; margin: 0 0 6px; }
#verdict .headline { font-size: 19px; font-weight: 600; margin: 2px 0 6px; }
#verdict ul { margin: 4px 0 0; padding-left: 20px; }
.level-excellent { --level: #1e7b34; --level-bg: #e9f6ec; }
.level-good { --level: #2e8b57; --level-bg: #eef8f1; }
.level-some-skill { --level: #b8860b; --level-bg: #fdf7e3; }
.level-no-skill { --level: #d2691e; --level-bg: #fdf0e6; }
.level-worse-than-guessing { --level: #c0392b; --level-bg: #fbeaea; }
.level-broken { --level: #8b0000; --level-bg: #f8e1e1; }
table { border-collapse: collapse; margin: 6px 0; font-size: 14px; }
th, td { text-align: left; padding: 4px 12px 4px 0; border-bottom: 1px solid var(--rule);
  vertical-align: baseline; }
thead th { font-weight: 600; border-bottom: 2px solid var(--rule); }
tbody th { font-weight: 500; }
td.num, th.num { text-align: right; white-space: nowrap; }
#metrics td[data-metric] { font-weight: 600; }
#metrics tr.headline-metric th, #metrics tr.headline-metric td[data-metric] {
  font-size: 16px; }
.scroll { overflow-x: auto; }
.figures { display: grid; gap: 18px;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); }
figure { margin: 8px 0; max-width: 100%; }
figure svg { display: block; max-width: 100%; height: auto; }
.figures figure svg { width: 100%; }
figcaption { max-width: 760px; }
figcaption { font-size: 13px; margin-top: 4px; }
details > summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
#rule-of-thumb .rule { font-weight: 600; }
footer { color: var(--muted); font-size: 12px; padding: 24px; }
"""


def _level_class(level: str) -> str:
    return "level-" + re.sub(r"[^a-z0-9]+", "-", level.lower()).strip("-")


def _metrics_section(result: ScoreResult) -> str:
    rows = []
    for line in metric_lines(result, unit="nats"):
        emphasis = ' class="headline-metric"' if line.key == "cross_entropy" else ""
        rows.append(
            f'<tr{emphasis}><th scope="row">{escape(line.label)}</th>'
            f'<td class="num" data-metric="{escape(line.key)}">{escape(line.value)}</td>'
            f'<td class="note">{escape(line.note)}</td></tr>'
        )
    return (
        '<section id="metrics">\n<h2>Metrics</h2>\n<div class="scroll"><table>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table></div>\n</section>"
    )


def _bins_table(bins: CalibrationBins) -> str:
    edges = np.asarray(bins.edges, dtype=np.float64)
    rows: list[tuple[str, ...]] = [
        (
            f"{edges[b]:.3f} to {edges[b + 1]:.3f}",
            format_count(int(bins.count[b])),
            f"{float(bins.weight[b]):.6g}",
            f"{float(bins.confidence[b]):.4f}",
            f"{float(bins.accuracy[b]):.4f}",
        )
        for b in range(len(edges) - 1)
    ]
    rows = [tuple("n/a" if cell == "nan" else cell for cell in row) for row in rows]
    return (
        f"<details><summary>The {len(rows)} {escape(bins.strategy)} bins</summary>"
        + html_table(
            ("confidence range", "rows", "weight", "mean confidence", "accuracy"),
            rows,
            numeric=(False, True, True, True, True),
            table_id=f"bins-{escape(bins.strategy)}",
        )
        + "</details>"
    )


def _classes_section(result: ScoreResult) -> str:
    K = result.n_classes
    ce = np.asarray(result.class_cross_entropy, dtype=np.float64)
    rows = class_rows(result, range(K), unit="nats")
    table = html_table(
        ("class", "rows", "prior", "CE (nats)", "accuracy"),
        (row.cells() for row in rows),
        numeric=(False, True, True, True, True),
        row_attributes=(
            f'data-class="{escape(row.name)}" data-class-ce="{float(ce[row.index])!r}"'
            for row in rows
        ),
        table_id="class-table",
    )
    is_open = " open" if K <= MAX_CLASSES_LISTED else ""
    return (
        '<section id="classes">\n<h2>Per class</h2>\n'
        + figure_html(result, "classes")
        + f"\n<details{is_open}><summary>All {format_count(K)} classes</summary>\n"
        + table
        + "\n</details>\n</section>"
    )


def _worst_rows_section(result: ScoreResult) -> str:
    if not result.worst_rows:
        body = "<p class='muted'>No rows were scored.</p>"
    else:
        body = html_table(
            ("source", "row", "label", "p(label)", "predicted", "confidence", "CE (nats)"),
            worst_row_cells(result, unit="nats"),
            numeric=(False, True, False, True, False, True, True),
            table_id="worst-rows-table",
        )
    return (
        '<section id="worst-rows">\n<h2>Worst rows</h2>\n'
        "<p class='note'>The rows whose label got the smallest probability; "
        "rows are 0-based data rows of their source.</p>\n" + body + "\n</section>"
    )


def _invalid_section(result: ScoreResult) -> str:
    invalid = result.invalid
    parts = [
        '<section id="invalid">\n<h2>Invalid rows</h2>',
        (
            f"<p>Policy <code>{escape(invalid.policy)}</code>: "
            f'<span data-invalid="skipped">{format_count(invalid.n_skipped)}</span> rows '
            f'skipped, <span data-invalid="clipped">{format_count(invalid.n_clipped)}</span> '
            "rows clipped.</p>"
        ),
    ]
    if invalid.reasons:
        parts.append(
            html_table(
                ("reason", "rows"),
                sorted(
                    ((reason, format_count(n)) for reason, n in invalid.reasons.items()),
                    key=lambda row: row[0],
                ),
                numeric=(False, True),
                table_id="invalid-reasons",
            )
        )
    if invalid.examples:
        items = "".join(
            f"<li><code>{escape(row.describe())}</code></li>" for row in invalid.examples
        )
        parts.append(f"<p>The first invalid rows:</p><ul id='invalid-examples'>{items}</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _option_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _sources_section(result: ScoreResult, detected: str | None) -> str:
    parts = ['<section id="sources">\n<h2>Sources and options</h2>']
    if result.sources:
        items = "".join(f"<li><code>{escape(source)}</code></li>" for source in result.sources)
        parts.append(f"<ul id='source-list'>{items}</ul>")
    if detected:
        parts.append(f"<p>Detected: {escape(detected)}</p>")
    if result.options:
        parts.append(
            html_table(
                ("option", "value"),
                ((str(k), _option_value(v)) for k, v in sorted(result.options.items())),
                numeric=(False, False),
                table_id="options",
            )
        )
    classes = ", ".join(result.classes[:20]) + (" ..." if result.n_classes > 20 else "")
    parts.append(
        f"<p class='note'>{format_count(result.n_classes)} classes"
        f"{' (binary)' if result.binary else ''}: {escape(classes)}</p>"
    )
    parts.append("</section>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def render_html(
    result: ScoreResult,
    verdict: Verdict,
    *,
    title: str = "crossentropy score",
    detected: str | None = None,
) -> str:
    """The HTML report: one self-contained page with the verdict first.

    Sections, in order: the verdict (headline, level, details), the metrics table, the rule
    of thumb with its note, the reliability diagrams (uniform and equal-mass bins), the
    per-row histogram, the per-class bars and table, the worst rows, the invalid rows and
    the sources and options. The page loads nothing: no script, no external URL, no web
    font; the figures are inline SVG.

    Parameters
    ----------
    result : ScoreResult
    verdict : Verdict
        The interpretation of ``result`` (``crossentropy.scoring._report._verdict.verdict``).
    title : str
        The page's title and heading.
    detected : str, optional
        What the reader detected about the input, shown under the title.

    Returns
    -------
    str
        The document, starting with ``<!DOCTYPE html>``.

    Raises
    ------
    ImportError
        matplotlib is not installed; the message names the ``plot`` extra.
    """
    level_class = _level_class(verdict.level)
    details = "".join(f"<li>{escape(d)}</li>" for d in verdict.details)
    header = f"<header>\n<h1>{escape(title)}</h1>\n"
    if detected:
        header += f'<p class="muted" id="detected">Input: {escape(detected)}</p>\n'
    header += "</header>"
    verdict_html = (
        f'<section id="verdict" class="{level_class}" data-level="{escape(verdict.level)}">\n'
        f'<p class="level">{escape(verdict.level)}</p>\n'
        f'<p class="headline" id="headline">{escape(verdict.headline)}</p>\n'
        f'<ul id="verdict-details">{details}</ul>\n</section>'
    )
    rule = (
        '<section id="rule-of-thumb">\n<h2>Rule of thumb</h2>\n'
        "<p>A common tutorial scale, not the verdict above: "
        f'<span class="rule" data-rule>{escape(verdict.rule_of_thumb)}</span></p>\n'
        f'<p class="note" data-rule-note>{escape(verdict.rule_of_thumb_note)}</p>\n</section>'
    )
    reliability = (
        '<section id="reliability">\n<h2>Calibration</h2>\n<div class="figures">\n'
        + figure_html(result, "reliability")
        + "\n"
        + figure_html(result, "reliability_equal_mass")
        + "\n</div>\n"
        + _bins_table(result.calibration)
        + "\n"
        + _bins_table(result.calibration_equal_mass)
        + "\n</section>"
    )
    histogram = (
        '<section id="histogram">\n<h2>Per-row cross-entropy</h2>\n'
        + figure_html(result, "histogram")
        + "\n</section>"
    )
    body = "\n".join(
        (
            verdict_html,
            _metrics_section(result),
            rule,
            reliability,
            histogram,
            _classes_section(result),
            _worst_rows_section(result),
            _invalid_section(result),
            _sources_section(result, detected),
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="crossentropy {escape(__version__)}">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{header}\n<main>\n{body}\n</main>\n"
        f"<footer>Made by crossentropy {escape(__version__)}: one self-contained file that "
        "loads nothing from the network.</footer>\n"
        "</body>\n</html>\n"
    )


def write_html(
    result: ScoreResult,
    verdict: Verdict,
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    title: str = "crossentropy score",
    detected: str | None = None,
) -> Path:
    """Write :func:`render_html`'s page to ``path``, atomically.

    Parameters
    ----------
    result : ScoreResult
    verdict : Verdict
    path : str or path
        The file to write; its directory must exist.
    force : bool
        Replace an existing file.
    title, detected
        As for :func:`render_html`.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    crossentropy.scoring.OutputExistsError
        ``path`` exists and ``force`` is false (checked before the page is made).
    FileNotFoundError
        The directory of ``path`` does not exist.
    """
    check_writable(path, force=force, what="HTML report")
    page = render_html(result, verdict, title=title, detected=detected)
    return write_atomically(path, page, force=force, what="HTML report")
