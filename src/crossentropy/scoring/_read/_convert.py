"""From columns as read to the :class:`Batch` of the scoring contract, keeping every bad row.

Each format reader turns a chunk of a file into a :class:`Piece`: the rows that could be
read as numbers and labels, with their data-row numbers, and an :class:`InvalidRow` for
each row that could not (one per row: the first problem found, in column order label,
scores, weight). A :class:`Rebatcher` then cuts the pieces into batches of exactly
``batch_rows`` readable rows (the last one shorter), so batches do not depend on how a
format happens to chunk its data. Everything here needs NumPy only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.scoring._types import Batch, InvalidRow

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from crossentropy.scoring._types import ScoreKind

__all__ = [
    "INTEGER",
    "NUMBER",
    "Piece",
    "Problems",
    "Rebatcher",
    "check_weights",
    "floats_from_numpy",
    "labels_from_floats",
    "labels_from_integers",
    "labels_from_numpy",
    "labels_from_text",
    "make_piece",
    "numbers_from_text",
    "score_dtype",
    "shorten",
]

#: A number as pyarrow parses it (after trimming spaces): decimal with optional
#: exponent, or inf/infinity/nan in any case. ASCII digits only (Python's float() also
#: takes other scripts' digits and underscores, pyarrow does not).
NUMBER = re.compile(
    r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$",
    re.IGNORECASE,
)
#: An integer literal.
INTEGER = re.compile(r"^[+-]?[0-9]+$")

MISSING = "missing value"
NOT_A_NUMBER = "not a number"
NOT_AN_INTEGER = "not an integer"
UNDECODABLE = "undecodable text"
BAD_WEIGHT = "invalid weight"
#: A class position beyond int64 (2**63 + 5, 1e30): no class has it. The reason and the
#: detail (``label 9223372036854775813``, as written) are those of the accumulator's.
UNKNOWN_LABEL = "unknown label"

_INT64 = np.iinfo(np.int64)


def shorten(text: object, limit: int = 40) -> str:
    """``repr``-free, one-line, at most ``limit`` characters; control characters escaped."""
    line = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(text))
    return line if len(line) <= limit else line[: limit - 3] + "..."


class Problems:
    """The first problem found in each row of a chunk, by position in the chunk."""

    def __init__(self, n_rows: int) -> None:
        self.n_rows = n_rows
        self._found: dict[int, tuple[str, str, str]] = {}

    def __bool__(self) -> bool:
        return bool(self._found)

    def add(
        self,
        positions: Iterable[int] | np.ndarray,
        column: str,
        reason: str,
        details: Sequence[str] | None = None,
    ) -> None:
        """Record ``reason`` for the rows at ``positions``, unless they have one already."""
        for i, position in enumerate(np.asarray(positions, dtype=np.int64).tolist()):
            detail = details[i] if details is not None else ""
            self._found.setdefault(position, (column, reason, detail))

    def keep(self) -> np.ndarray | None:
        """A mask of the rows without problems, or None when every row is fine."""
        if not self._found:
            return None
        mask = np.ones(self.n_rows, dtype=bool)
        mask[list(self._found)] = False
        return mask

    def invalid(self, source: str, rows: np.ndarray) -> list[InvalidRow]:
        """The problems as invalid rows, by row."""
        return [
            InvalidRow(source, int(rows[position]), column, reason, detail)
            for position, (column, reason, detail) in sorted(self._found.items())
        ]


@dataclass(frozen=True)
class Piece:
    """A chunk of one source: its readable rows and its invalid rows, both in row order."""

    rows: np.ndarray  # int64 (n,)
    labels: np.ndarray  # int64 or object (n,)
    scores: np.ndarray  # float32/float64 (n, K) or (n,), C-contiguous
    weight: np.ndarray | None  # float64 (n,)
    invalid: tuple[InvalidRow, ...] = ()

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def slice(self, start: int, stop: int) -> Piece:
        """Rows ``start:stop`` (the invalid rows are not sliced; the rebatcher places them)."""
        weight = None if self.weight is None else self.weight[start:stop]
        return Piece(
            self.rows[start:stop], self.labels[start:stop], self.scores[start:stop], weight
        )


def make_piece(
    source: str,
    rows: np.ndarray,
    *,
    labels: np.ndarray,
    scores: np.ndarray,
    weight: np.ndarray | None,
    problems: Problems,
    extra_invalid: Iterable[InvalidRow] = (),
) -> Piece:
    """Drop the rows with problems into invalid rows; merge ``extra_invalid`` (by row)."""
    invalid = problems.invalid(source, rows) + list(extra_invalid)
    keep = problems.keep()
    if keep is not None:
        rows, labels, scores = rows[keep], labels[keep], scores[keep]
        weight = None if weight is None else weight[keep]
    return Piece(
        np.asarray(rows, dtype=np.int64),
        labels,
        np.ascontiguousarray(scores),
        weight,
        tuple(sorted(invalid, key=lambda item: item.row)),
    )


# --------------------------------------------------------------------------- values


def score_dtype(dtypes: Iterable[np.dtype]) -> np.dtype:
    """float32 when every score column is float32 (or float16), else float64."""
    kinds = list(dtypes)
    single = kinds and all(dtype.kind == "f" and dtype.itemsize <= 4 for dtype in kinds)
    return np.dtype(np.float32 if single else np.float64)


def numbers_from_text(
    values: Sequence[object], column: str, problems: Problems, *, offset: int = 0
) -> np.ndarray:
    """Parse text (str, bytes or None) one value at a time, recording what fails.

    The slow path, for chunks where the vectorised parse failed: ``None`` and empty text
    are missing values, bytes that are not UTF-8 undecodable text, anything else that
    does not match :data:`NUMBER` (after trimming spaces) not a number.
    """
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        text = _decoded(value, column, problems, offset + i)
        if text is None:
            continue
        text = text.strip()
        if not text:
            problems.add([offset + i], column, MISSING)
        elif NUMBER.match(text):
            out[i] = float(text)
        else:
            problems.add([offset + i], column, NOT_A_NUMBER, [shorten(text)])
    return out


def _decoded(value: object, column: str, problems: Problems, position: int) -> str | None:
    if value is None:
        problems.add([position], column, MISSING)
        return None
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            detail = f"{shorten(repr(value))} is not UTF-8; re-encode the file as UTF-8"
            problems.add([position], column, UNDECODABLE, [detail])
            return None
    return str(value)


def labels_from_text(
    values: Sequence[object], column: str, problems: Problems, *, integers: bool
) -> np.ndarray:
    """Labels from text (str, bytes or None), one value at a time.

    ``integers``: parse class positions (``"3"``, or ``"3.0"``), else keep class names.
    """
    out = np.zeros(len(values), dtype=np.int64 if integers else object)
    for i, value in enumerate(values):
        text = _decoded(value, column, problems, i)
        if text is None:
            continue
        if not integers:
            if text:
                out[i] = text
            else:
                problems.add([i], column, MISSING)
            continue
        text = text.strip()
        if not text:
            problems.add([i], column, MISSING)
        elif INTEGER.match(text):
            _put_position(out, i, int(text), text, column, problems)
        elif NUMBER.match(text):
            number = float(text)
            if math.isnan(number):
                problems.add([i], column, MISSING, [text])
            elif math.isfinite(number) and number.is_integer():
                _put_position(out, i, int(number), text, column, problems)
            else:
                problems.add([i], column, NOT_AN_INTEGER, [shorten(text)])
        else:
            problems.add([i], column, NOT_A_NUMBER, [shorten(text)])
    return out


def _put_position(  # noqa: PLR0917
    out: np.ndarray, i: int, value: int, text: str, column: str, problems: Problems
) -> None:
    """``out[i] = value``, or an unknown label (as written) when int64 cannot hold it."""
    if _INT64.min <= value <= _INT64.max:
        out[i] = value
    else:
        problems.add([i], column, UNKNOWN_LABEL, [shorten(f"label {text}")])


def labels_from_floats(values: np.ndarray, column: str, problems: Problems) -> np.ndarray:
    """Class positions from floats: NaN is a missing label, a non-integer an invalid one.

    An integer beyond int64 (1e30) is an unknown label, never cast (the cast wraps).
    """
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    fractional = ~missing & ~(np.isfinite(values) & (np.round(values) == values))
    huge = ~missing & ~fractional & (np.abs(values) >= 2.0**63)
    if missing.any():
        problems.add(np.flatnonzero(missing), column, MISSING)
    if fractional.any():
        where = np.flatnonzero(fractional)
        problems.add(where, column, NOT_AN_INTEGER, [shorten(values[i]) for i in where])
    if huge.any():
        where = np.flatnonzero(huge)
        problems.add(where, column, UNKNOWN_LABEL, [f"label {float(values[i])!r}" for i in where])
    return np.where(missing | fractional | huge, 0, values).astype(np.int64)


def labels_from_integers(values: np.ndarray, column: str, problems: Problems) -> np.ndarray:
    """Class positions from an integer (or boolean) array as int64.

    A uint64 above int64's range (2**63 + 5) is an unknown label reported as written,
    not wrapped to a negative number.
    """
    values = np.asarray(values)
    if values.dtype.kind == "u" and values.dtype.itemsize >= 8:
        huge = values > np.uint64(_INT64.max)
        if huge.any():
            where = np.flatnonzero(huge)
            problems.add(where, column, UNKNOWN_LABEL, [f"label {int(values[i])}" for i in where])
            values = np.where(huge, np.uint64(0), values)
    return values.astype(np.int64)


def labels_from_numpy(
    values: np.ndarray, column: str, problems: Problems, where: str
) -> np.ndarray:
    """Labels from a NumPy column.

    Integers and booleans are class positions, and so are floats that are integers;
    strings are class names (empty: missing).
    """
    values = np.asarray(values)
    kind = values.dtype.kind
    if kind in "iub":
        return labels_from_integers(values, column, problems)
    if kind == "f":
        return labels_from_floats(values, column, problems)
    if kind in "US":
        return labels_from_text(values.tolist(), column, problems, integers=False)
    msg = f"{where}: column {column!r} holds {values.dtype}; expected integer or string labels"
    raise ValueError(msg)


def floats_from_numpy(values: np.ndarray, column: str, where: str, dtype: np.dtype) -> np.ndarray:
    """A numeric NumPy column as ``dtype`` (NaN and inf pass through: not a reader's call)."""
    values = np.asarray(values)
    if values.dtype.kind not in "iubf":
        msg = f"{where}: column {column!r} holds {values.dtype}; expected numbers"
        raise ValueError(msg)
    return values.astype(dtype, copy=False)


def check_weights(weight: np.ndarray, column: str, problems: Problems) -> np.ndarray:
    """Record the rows whose weight is not a finite number >= 0 (a weight, not a score).

    Scores that are NaN or out of range are the accumulator's to judge, row by row; a bad
    weight is a bad row too, named with its file, row and column, and skipped under
    ``--on-invalid skip`` or ``clip`` (nothing can repair it).
    """
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~(np.isfinite(weight) & (weight >= 0)))
    if bad.size:
        details = [
            f"weight {float(weight[i])!r}; weights must be finite and >= 0" for i in bad.tolist()
        ]
        problems.add(bad, column, BAD_WEIGHT, details)
    return weight


# --------------------------------------------------------------------------- batching


class Rebatcher:
    """Cut pieces (in row order) into batches of exactly ``batch_rows`` readable rows.

    Invalid rows go with the batch whose rows surround them; at most ``batch_rows`` of
    them wait for a batch, so memory stays bounded even when every row is invalid.
    """

    def __init__(self, *, source: str, kind: ScoreKind, batch_rows: int, n_classes: int) -> None:
        self._source = source
        self._kind: ScoreKind = kind
        self._batch_rows = batch_rows
        self._n_classes = n_classes
        self._pieces: list[Piece] = []
        self._invalid: list[InvalidRow] = []
        self._rows = 0
        self._template: Piece | None = None

    def _check_shape(self, piece: Piece) -> None:
        binary = self._kind in {"probability", "logit"}
        width = None if piece.scores.ndim != 2 else piece.scores.shape[1]
        if (binary and piece.scores.ndim != 1) or (not binary and width != self._n_classes):
            found = "one column" if width is None else f"{width} columns"
            wanted = "one binary score column" if binary else f"{self._n_classes} (the classes)"
            msg = f"{self._source}: the scores have {found}; expected {wanted}"
            raise ValueError(msg)

    def add(self, piece: Piece) -> Iterator[Batch]:
        """Take a piece; yield the batches that are now full."""
        self._check_shape(piece)
        if self._template is None:
            self._template = piece.slice(0, 0)
        if len(piece):
            self._pieces.append(piece)
            self._rows += len(piece)
        self._invalid.extend(piece.invalid)
        while self._rows >= self._batch_rows or len(self._invalid) >= self._batch_rows:
            yield self._take(min(self._rows, self._batch_rows))

    def finish(self) -> Iterator[Batch]:
        """Yield what is left (a last, shorter batch), if anything."""
        while self._rows or self._invalid:
            yield self._take(min(self._rows, self._batch_rows))

    def _take(self, count: int) -> Batch:
        parts: list[Piece] = []
        need = count
        while need:
            head = self._pieces[0]
            if len(head) <= need:
                parts.append(self._pieces.pop(0))
                need -= len(head)
            else:
                parts.append(head.slice(0, need))
                self._pieces[0] = head.slice(need, len(head))
                need = 0
        self._rows -= count
        if not parts:
            parts = [self._template if self._template is not None else _EMPTY]
        # The invalid rows before the next readable row belong here.
        boundary = int(self._pieces[0].rows[0]) if self._pieces else None
        split = len(self._invalid)
        if boundary is not None:
            split = next((i for i, item in enumerate(self._invalid) if item.row > boundary), split)
        invalid, self._invalid = tuple(self._invalid[:split]), self._invalid[split:]
        joined = parts[0] if len(parts) == 1 else _concatenate(parts)
        return Batch(
            scores=joined.scores,
            labels=joined.labels,
            kind=self._kind,
            source=self._source,
            rows=joined.rows,
            sample_weight=joined.weight,
            invalid=invalid,
        )


def _concatenate(parts: Sequence[Piece]) -> Piece:
    weights = [part.weight for part in parts]
    weight = None if weights[0] is None else np.concatenate([w for w in weights if w is not None])
    return Piece(
        np.concatenate([part.rows for part in parts]),
        np.concatenate([part.labels for part in parts]),
        np.concatenate([part.scores for part in parts]),
        weight,
    )


_EMPTY = Piece(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), None)
