"""One batch's statistics: score its rows, apply ``on_invalid``, keep the worst rows.

:meth:`ScoreAccumulator.update <crossentropy.scoring.ScoreAccumulator.update>` checks what
it is given and hands the checked batch here as :class:`BatchRows`; :func:`batch_state`
returns the batch's :class:`~crossentropy.scoring._stats._state.State`, which the
accumulator adds to its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy.scoring._stats._inputs import describe_rows, repair, repairable
from crossentropy.scoring._stats._rowstats import compute, row_values
from crossentropy.scoring._stats._state import MAX_EXAMPLES, State, add_counts
from crossentropy.scoring._stats._tallies import REASONS
from crossentropy.scoring._types import InvalidRowError, WorstRow

if TYPE_CHECKING:
    from crossentropy.scoring._stats._row_spec import BatchOutput, RowSpec
    from crossentropy.scoring._types import InvalidPolicy, InvalidRow, ScoreKind

__all__ = ["BatchRows", "batch_state"]


@dataclass(frozen=True)
class BatchRows:
    """A checked batch: scores as float64 or float32, labels as class positions.

    ``labels`` are the labels as given (to describe invalid rows with); ``rows`` the row
    numbers given, or None to number them ``offset``, ``offset + 1``, ...; ``unreadable``
    the rows a reader could not parse.
    """

    scores: np.ndarray
    labels: Any
    positions: np.ndarray
    weights: np.ndarray | None
    rows: np.ndarray | None
    offset: int
    source: str
    kind: ScoreKind
    unreadable: tuple[InvalidRow, ...]

    def numbers(self, index: np.ndarray) -> np.ndarray:
        """Row numbers at these positions (offset + position when none were given)."""
        return self.offset + index if self.rows is None else self.rows[index]


def _first_rows(numbers: np.ndarray, index: np.ndarray, count: int) -> np.ndarray:
    """The positions in ``index`` (row numbers ``numbers``) with the ``count`` smallest."""
    return index[np.argsort(numbers, kind="stable")[:count]]


def _invalid_row_error(row: InvalidRow) -> InvalidRowError:
    return InvalidRowError(row)


def _worst_rows(  # noqa: PLR0917
    out: BatchOutput,
    scores: np.ndarray,
    positions: np.ndarray,
    numbers: np.ndarray,
    spec: RowSpec,
    source: str,
    classes: tuple[str, ...],
) -> tuple[WorstRow, ...]:
    """The worst rows ``out`` kept; ``numbers``: the row numbers of ``out.worst_index``."""
    index = out.worst_index
    if not index.size:
        return ()
    values = row_values(scores[index], positions[index], spec.kind, spec.tolerance, spec.cap)
    return tuple(
        WorstRow(
            source=source,
            row=int(numbers[j]),
            label=classes[positions[i]],
            cross_entropy=float(out.worst_ce[j]),
            probability=float(values.label_probability[j]),
            predicted=classes[values.predicted[j]],
            confidence=float(values.confidence[j]),
        )
        for j, i in enumerate(index)
    )


def batch_state(
    batch: BatchRows, spec: RowSpec, classes: tuple[str, ...], policy: InvalidPolicy
) -> State:
    """The statistics of ``batch``, its invalid rows handled as ``policy`` says.

    Raises
    ------
    ValueError
        With ``policy="error"``, the first invalid row by row number.
    """
    x, positions, w, source = batch.scores, batch.positions, batch.weights, batch.source
    numbers, reader = batch.numbers, batch.unreadable
    out = compute(x, positions, w, batch.rows, spec)
    bad = np.flatnonzero(out.status) if out.n_invalid else np.zeros(0, dtype=np.int64)
    if policy == "error" and (bad.size or reader):
        first = _first_rows(numbers(bad), bad, 1)
        described = describe_rows(x, batch.labels, out.status, first, numbers(first), source)
        raise _invalid_row_error(min([*described, *reader]))
    tallies = out.tallies
    worst = _worst_rows(out, x, positions, numbers(out.worst_index), spec, source, classes)
    codes = out.status[bad]
    clipped = 0
    fix = bad[np.isin(codes, repairable(batch.kind))] if policy == "clip" else bad[:0]
    if fix.size:
        fixed = repair(x[fix], batch.kind)
        fixed_rows = numbers(fix)
        again = compute(fixed, positions[fix], None if w is None else w[fix], fixed_rows, spec)
        clipped = fix.size - again.n_invalid
        tallies = tallies.add(again.tallies)
        worst += _worst_rows(
            again, fixed, positions[fix], fixed_rows[again.worst_index], spec, source, classes
        )
    first = _first_rows(numbers(bad), bad, MAX_EXAMPLES)
    examples = describe_rows(x, batch.labels, out.status, first, numbers(first), source)
    counted = np.bincount(codes, minlength=len(REASONS))
    reasons = [(REASONS[c], int(counted[c])) for c in np.flatnonzero(counted)]
    reasons += [(row.reason, 1) for row in reader]
    return State(
        tallies=tallies,
        worst=worst,
        reasons=add_counts((), reasons),
        n_skipped=bad.size - clipped + len(reader),
        n_clipped=clipped,
        examples=tuple(sorted([*examples, *reader])[:MAX_EXAMPLES]),
        seen=((source, len(x)),),
    )
