"""Showing a step: a rich table when rich is installed and asked for, plain text otherwise."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crossentropy.tour._types import StepResult, Table

__all__ = ["plain_text", "show_step"]

_WIDTH = 88


def _plain_table(table: Table) -> list[str]:
    cells = [table.columns, *table.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.columns))]
    lines = [f"  {table.title}"]
    for index, row in enumerate(cells):
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if index == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return [line.rstrip() for line in lines]


def plain_text(step: StepResult) -> str:
    """The step as plain text: heading, wrapped explanation, tables, figure files.

    Examples
    --------
    >>> from crossentropy.tour import StepResult, Table
    >>> step = StepResult(4, "Labels", "Only the true class counts.",
    ...                   (Table("t", ("a", "bb"), (("1", "2"),)),), ())
    >>> print(plain_text(step))
    == Step 4: Labels ==
    Only the true class counts.
    <BLANKLINE>
      t
      a  bb
      -  --
      1  2
    """
    lines = [f"== Step {step.number}: {step.title} =="]
    lines += textwrap.wrap(step.text, _WIDTH)
    for table in step.tables:
        lines.append("")
        lines += _plain_table(table)
    if step.figures:
        lines.append("")
        lines += [f"  figure: {path}" for path in step.figures]
    return "\n".join(lines)


def show_step(step: StepResult, console: Any) -> None:
    """Print ``step`` on ``console``: a rich Console, or any object with ``write``."""
    if console is None:
        return
    if hasattr(console, "rule") and hasattr(console, "print"):
        _show_rich(step, console)
        return
    console.write(plain_text(step) + "\n\n")


def _show_rich(step: StepResult, console: Any) -> None:
    from rich.table import Table as RichTable  # rich is optional
    from rich.text import Text

    console.rule(Text(f"Step {step.number}: {step.title}", style="bold"))
    console.print(Text(step.text))
    for table in step.tables:
        shown = RichTable(title=Text(table.title), title_justify="left")
        for column in table.columns:
            shown.add_column(Text(column))
        for row in table.rows:
            shown.add_row(*(Text(cell) for cell in row))
        console.print(shown)
    for path in step.figures:
        console.print(Text(f"figure: {path}", style="dim"))
    console.print()
