"""The state of a :class:`~crossentropy.scoring.ScoreAccumulator`, and how two combine.

A batch's contribution is itself a :class:`State`, so ``update`` and ``merge`` are the same
operation: :meth:`State.combine`. Everything in it is additive or a bounded list merged by
a total order, so combining is associative and commutative (up to float rounding):

* tallies: sums (see :mod:`crossentropy.scoring._stats._tallies`);
* worst rows: the ``worst`` first by ``(-cross_entropy, source, row)``;
* invalid rows: counts by reason, and the first :data:`MAX_EXAMPLES` by
  ``(source, row, column, reason, detail)``;
* rows given per source (for the default row numbers of the next batch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from crossentropy.scoring._stats._tallies import Tallies
    from crossentropy.scoring._types import InvalidRow, WorstRow

__all__ = ["MAX_EXAMPLES", "State", "add_counts"]

#: How many invalid rows are kept as examples (the first by (source, row)).
MAX_EXAMPLES = 20


def add_counts(
    a: Iterable[tuple[str, int]], b: Iterable[tuple[str, int]]
) -> tuple[tuple[str, int], ...]:
    """Counts by key, added; sorted by key."""
    out = dict(a)
    for key, value in b:
        out[key] = out.get(key, 0) + value
    return tuple(sorted(out.items()))


def _worst_key(row: WorstRow) -> tuple[float, str, int]:
    return (-row.cross_entropy, row.source, row.row)


@dataclass(frozen=True)
class State:
    """Tallies, worst rows, invalid rows, rows seen per source."""

    tallies: Tallies
    worst: tuple[WorstRow, ...] = ()
    reasons: tuple[tuple[str, int], ...] = ()  # reason -> rows, sorted by reason
    n_skipped: int = 0
    n_clipped: int = 0
    examples: tuple[InvalidRow, ...] = ()
    seen: tuple[tuple[str, int], ...] = ()  # source -> rows given, sorted by source

    def combine(self, other: State, worst: int) -> State:
        """Both states' rows, keeping the ``worst`` worst rows."""
        return State(
            tallies=self.tallies.add(other.tallies),
            worst=tuple(sorted(self.worst + other.worst, key=_worst_key)[:worst]),
            reasons=add_counts(self.reasons, other.reasons),
            n_skipped=self.n_skipped + other.n_skipped,
            n_clipped=self.n_clipped + other.n_clipped,
            examples=tuple(sorted(self.examples + other.examples)[:MAX_EXAMPLES]),
            seen=add_counts(self.seen, other.seen),
        )
