"""The terminal report of ``crossentropy score``: rich when installed, plain text otherwise.

The content is built once, as a list of blocks (a headline, lines, tables of strings, from
the shared content model :mod:`._content`), and then printed either with rich
(:func:`render_text`) or as plain text (:func:`plain_text`), so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.scoring._report._content import (
    MAX_CLASSES_LISTED,
    N_WORST_CLASSES,
    class_rows,
    metric_lines,
    worst_classes,
    worst_row_cells,
)
from crossentropy.scoring._report._format import Unit, check_unit, format_count

if TYPE_CHECKING:
    from rich.console import Console

    from crossentropy.scoring._types import ScoreResult, Verdict

__all__ = ["LEVEL_STYLES", "plain_text", "render_text"]

#: The rich style of each verdict level (the HTML report has the same colours in CSS).
LEVEL_STYLES: dict[str, str] = {
    "excellent": "bold green",
    "good": "green",
    "some skill": "yellow",
    "no skill": "dark_orange",
    "worse than guessing": "bold red",
    "broken": "bold white on red",
}

#: How many of the worst rows the terminal report lists (the HTML report lists all).
MAX_WORST_ROWS_TEXT = 10

_WORST_ROW_HEADERS = ("source", "row", "label", "p(label)", "predicted", "confidence", "CE")
_CLASS_HEADERS = ("class", "rows", "prior", "CE", "accuracy")


# ---------------------------------------------------------------------------------------------
# The blocks of the terminal report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Headline:
    level: str
    text: str


@dataclass(frozen=True)
class _Lines:
    lines: tuple[str, ...]
    style: str = ""


@dataclass(frozen=True)
class _Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    right: tuple[bool, ...]  # right-justify this column (numbers)
    caption: str = ""


_Block = _Headline | _Lines | _Table


def _blocks(
    result: ScoreResult, verdict: Verdict, *, detected: str | None, unit: Unit
) -> list[_Block]:
    """The report, top to bottom."""
    blocks: list[_Block] = [_Headline(verdict.level, verdict.headline)]
    if detected:
        blocks.append(_Lines((f"input: {detected}",), "dim"))
    metrics = metric_lines(result, unit=unit)
    blocks.append(
        _Table(
            "",
            ("metric", "value", "note"),
            tuple((m.label, m.value, m.note) for m in metrics),
            (False, True, False),
        )
    )
    examples = result.invalid.examples
    if examples:
        blocks.append(
            _Lines(
                ("first invalid rows:", *(f"  {row.describe()}" for row in examples)),
                "dim",
            )
        )
    if verdict.details:
        blocks.append(_Lines(tuple(f"- {detail}" for detail in verdict.details)))
    rule = [f"rule of thumb (a tutorial scale, not the verdict): {verdict.rule_of_thumb}"]
    if verdict.rule_of_thumb_note:
        rule.append(f"  note: {verdict.rule_of_thumb_note}")
    blocks.append(_Lines(tuple(rule), "dim"))
    blocks.append(_class_table(result, unit=unit))
    if result.worst_rows:
        cells = worst_row_cells(result, unit=unit)
        shown = cells[:MAX_WORST_ROWS_TEXT]
        headers: tuple[str, ...] = _WORST_ROW_HEADERS
        right: tuple[bool, ...] = (False, True, False, True, False, True, True)
        if len({row.source for row in result.worst_rows}) == 1:
            # One file: it is named under "scored:", not repeated on every row.
            headers, right, shown = headers[1:], right[1:], tuple(row[1:] for row in shown)
        blocks.append(
            _Table(
                f"worst rows (CE in {unit})",
                headers,
                shown,
                right,
                f"{len(shown)} of the {len(cells)} worst rows" if len(shown) < len(cells) else "",
            )
        )
    if result.sources:
        blocks.append(_Lines((f"scored: {', '.join(result.sources)}",), "dim"))
    return blocks


def _class_table(result: ScoreResult, *, unit: Unit) -> _Table:
    K = result.n_classes
    if K <= MAX_CLASSES_LISTED:
        indices: np.ndarray = np.arange(K)
        title = f"per class (CE in {unit})"
        caption = ""
    else:
        indices = worst_classes(result, N_WORST_CLASSES)
        title = f"the {len(indices)} worst of {format_count(K)} classes by cross-entropy"
        caption = f"CE in {unit}; per-class lines are listed when K <= {MAX_CLASSES_LISTED}"
    rows = tuple(row.cells() for row in class_rows(result, indices, unit=unit))
    return _Table(title, _CLASS_HEADERS, rows, (False, True, True, True, True), caption)


# ---------------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------------


def render_text(
    result: ScoreResult,
    verdict: Verdict,
    *,
    detected: str | None = None,
    unit: Unit = "nats",
    console: Console | None = None,
) -> None:
    """Print the report of ``crossentropy score`` with rich.

    The verdict's headline comes first, coloured by its level; then the metrics table
    (cross-entropy with its interval, perplexity, the two baselines and the skill, accuracy,
    Brier, calibration errors, rows scored/skipped/clipped), the verdict's details, the rule
    of thumb with its note, the per-class lines (all when K <= 20, else the 5 worst) and the
    worst rows.

    Parameters
    ----------
    result : ScoreResult
    verdict : Verdict
        The interpretation of ``result`` (``crossentropy.scoring._report._verdict.verdict``).
    detected : str, optional
        What the reader detected about the input (format, columns), shown under the headline.
    unit : {"nats", "bits"}
        The unit of the cross-entropies.
    console : rich.console.Console, optional
        Where to print; a new console on standard output by default.

    Raises
    ------
    ImportError
        rich is not installed (use :func:`plain_text` then).
    ValueError
        ``unit`` is neither ``"nats"`` nor ``"bits"``.
    """
    unit = check_unit(unit)
    try:
        from rich import box  # rich is an optional extra
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError as error:  # pragma: no cover - rich is installed in the test env
        msg = "the rich report needs rich: pip install 'crossentropy[rich]'"
        raise ImportError(msg) from error
    out = console if console is not None else Console(highlight=False)
    # Every cell is a Text, never markup: class names and paths may contain "[...]".
    for index, block in enumerate(_blocks(result, verdict, detected=detected, unit=unit)):
        if index and not (isinstance(block, _Lines) and block.style == "dim" and index == 1):
            out.print()  # a blank line between blocks, none between headline and input
        if isinstance(block, _Headline):
            style = LEVEL_STYLES.get(block.level, "bold")
            line = Text()
            line.append(f" {block.level.upper()} ", style=f"reverse {style}")
            line.append(" ")
            line.append(block.text, style=style)
            out.print(line)
        elif isinstance(block, _Lines):
            out.print(Text("\n".join(block.lines), style=block.style or ""))
        else:
            table = Table(
                title=Text(block.title, style="bold") if block.title else None,
                title_justify="left",
                caption=Text(block.caption) if block.caption else None,
                caption_justify="left",
                box=box.SIMPLE_HEAD,
                show_edge=False,
                pad_edge=False,
            )
            for header, right in zip(block.headers, block.right, strict=True):
                table.add_column(
                    Text(header), justify="right" if right else "left", overflow="fold"
                )
            for row in block.rows:
                table.add_row(*(Text(cell) for cell in row))
            out.print(table)


def plain_text(
    result: ScoreResult,
    verdict: Verdict,
    *,
    detected: str | None = None,
    unit: Unit = "nats",
) -> str:
    """The same report as :func:`render_text`, as plain text (for when rich is not installed).

    Parameters
    ----------
    result : ScoreResult
    verdict : Verdict
    detected : str, optional
    unit : {"nats", "bits"}

    Returns
    -------
    str
        Ends with a newline.

    Raises
    ------
    ValueError
        ``unit`` is neither ``"nats"`` nor ``"bits"``.
    """
    unit = check_unit(unit)
    parts: list[str] = []
    for block in _blocks(result, verdict, detected=detected, unit=unit):
        if isinstance(block, _Headline):
            parts.append(f"{block.level.upper()}: {block.text}")
        elif isinstance(block, _Lines):
            parts.append("\n".join(block.lines))
        else:
            parts.append(_plain_table(block))
    return "\n\n".join(parts) + "\n"


def _plain_table(table: _Table) -> str:
    widths = [
        max([len(header), *(len(row[i]) for row in table.rows)])
        for i, header in enumerate(table.headers)
    ]

    def line(cells: tuple[str, ...]) -> str:
        padded = (
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, table.right, strict=True)
        )
        return "  ".join(padded).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    lines = [table.title] if table.title else []
    lines += [line(table.headers), rule, *(line(row) for row in table.rows)]
    if table.caption:
        lines.append(table.caption)
    return "\n".join(lines)
