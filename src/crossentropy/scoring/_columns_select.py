"""The selection syntax of the column options (``--label``, ``--probs``, ...).

Each option takes a column name; a comma list of items; a glob (``"p_*"``, matches in
file order); a range of names (``"p_0..p_9"``, inclusive, by position in the file); a
range of positions (``"1:11"``, ``"3:"``, Python slice semantics, 0-based); or a single
position (``"0"``) when no column has that name. A name that exists always means itself.
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["POSITION", "listing", "select_columns", "select_one", "span", "where"]

_POSITIONS = re.compile(r"^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$")
#: A single position, such as ``"0"`` or ``"-1"``.
POSITION = re.compile(r"^\s*-?\d+\s*$")


def where(source: str) -> str:
    """``"file.csv: "``, the prefix of a message about ``source`` (nothing if unnamed)."""
    return f"{source}: " if source else ""


def listing(names: Sequence[str], limit: int = 30) -> str:
    """``"y, a, b"``; long lists shortened to their first and last names."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:20])}, ..., {', '.join(names[-5:])} ({len(names)} columns)"


def span(columns: Sequence[str], names: Sequence[str]) -> str:
    """``"p_0..p_9"`` for a run of adjacent columns, else a (shortened) comma list."""
    if len(columns) > 2:
        first = names.index(columns[0])
        if list(names[first : first + len(columns)]) == list(columns):
            return f"{columns[0]}..{columns[-1]}"
    return listing(columns, limit=8)


# --------------------------------------------------------------------------- selection


def _select_item(item: str, names: Sequence[str], option: str, source: str) -> list[str]:
    prefix, columns = where(source), listing(names)
    if item in names:
        return [item]
    positions = _POSITIONS.match(item)
    if positions:
        start, stop, step = (int(part) if part else None for part in positions.groups())
        if step == 0:
            msg = f"{prefix}{option} {item!r}: the step of a range of positions cannot be 0"
            raise ValueError(msg)
        chosen = list(names[slice(start, stop, step)])
        if not chosen:
            msg = f"{prefix}{option} {item!r} selects no column; there are {len(names)} columns"
            raise ValueError(msg)
        return chosen
    if ".." in item:
        first, last = (part.strip() for part in item.split("..", 1))
        for end in (first, last):
            if end not in names:
                msg = (
                    f"{prefix}{option}: column {end!r} (in {item!r}) not found; "
                    f"columns are: {columns}"
                )
                raise ValueError(msg)
        i, j = names.index(first), names.index(last)
        if i > j:
            msg = f"{prefix}{option} {item!r}: {first!r} comes after {last!r} in the file"
            raise ValueError(msg)
        return list(names[i : j + 1])
    if any(char in item for char in "*?["):
        chosen = [name for name in names if fnmatch.fnmatchcase(name, item)]
        if not chosen:
            msg = f"{prefix}{option}: column {item!r} matched nothing; columns are: {columns}"
            raise ValueError(msg)
        return chosen
    if POSITION.match(item):
        position = int(item)
        if -len(names) <= position < len(names):
            return [names[position]]
        msg = (
            f"{prefix}{option}: position {position} is out of range; there are {len(names)} columns"
        )
        raise ValueError(msg)
    msg = f"{prefix}{option}: column {item!r} not found; columns are: {columns}"
    raise ValueError(msg)


def select_columns(
    selection: str, column_names: Sequence[str], *, option: str = "", source: str = ""
) -> tuple[str, ...]:
    """The columns a selection names, in the order given (see the module docstring).

    Raises
    ------
    ValueError
        An item matches nothing, or a column is selected twice; the message names
        ``source``, ``option`` and the columns there are.

    Examples
    --------
    >>> names = ["y", "p_a", "p_b", "p_c", "w"]
    >>> select_columns("p_*", names), select_columns("p_a..p_c", names)
    (('p_a', 'p_b', 'p_c'), ('p_a', 'p_b', 'p_c'))
    >>> select_columns("1:4", names), select_columns("y, w", names)
    (('p_a', 'p_b', 'p_c'), ('y', 'w'))
    """
    names = list(column_names)
    option = option or "column selection"
    # A name with a comma is still selectable as a whole.
    items = [selection] if selection in names else [item.strip() for item in selection.split(",")]
    if not all(items):
        msg = f"{where(source)}{option} {selection!r}: an empty item in the comma list"
        raise ValueError(msg)
    chosen: list[str] = []
    for item in items:
        for name in _select_item(item, names, option, source):
            if name in chosen:
                msg = f"{where(source)}{option} {selection!r}: column {name!r} is selected twice"
                raise ValueError(msg)
            chosen.append(name)
    return tuple(chosen)


def select_one(selection: str, names: Sequence[str], option: str, source: str) -> str:
    chosen = select_columns(selection, names, option=option, source=source)
    if len(chosen) != 1:
        msg = f"{where(source)}{option} {selection!r} selects {len(chosen)} columns; expected one"
        raise ValueError(msg)
    return chosen[0]
