"""The tour's results: one frozen record per step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from matplotlib.figure import Figure

__all__ = ["Draft", "StepResult", "Table"]


@dataclass(frozen=True)
class Table:
    """A small table: a title, column headings and rows of already formatted cells."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class StepResult:
    """What one step of the tour explained, showed and computed.

    ``numbers`` holds the step's values at full precision (nats unless the key says
    bits), so that tests and readers can check them against the library's functions.
    ``figures`` lists the PNG files written (empty with ``plots=False``).
    """

    number: int
    title: str
    text: str
    tables: tuple[Table, ...]
    figures: tuple[Path, ...]
    numbers: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Draft:
    """A step before its figures are drawn: figure file name -> a function drawing it."""

    title: str
    text: str
    tables: tuple[Table, ...]
    numbers: dict[str, float]
    figures: dict[str, Callable[[], Figure]] = field(default_factory=dict)
