"""Checking what ``ScoreAccumulator.update`` is given; labels to class positions; invalid rows.

Label mapping (decided once for the whole scoring package):

* string labels map by class name;
* integer labels map by name when every class name is a canonical integer string
  (``str(int(name)) == name``: columns ``p_1, p_2, p_3`` with labels 1..3 map 1 to "1"),
  otherwise by position ``0..K-1``;
* booleans map by position: ``False`` to class 0, ``True`` to class 1;
* floats that are whole numbers are integers; any other float (NaN included) is an
  unknown label.

A label that maps to no class is not an error of the call: its row is invalid with the
reason ``"unknown label"`` and follows ``on_invalid`` like any other invalid row.
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from crossentropy.scoring._stats._tallies import (
    REASONS,
    STATUS_INFINITE,
    STATUS_NAN,
    STATUS_NEGATIVE,
    STATUS_OVER_ONE,
    STATUS_SUM,
    STATUS_UNKNOWN_LABEL,
)
from crossentropy.scoring._types import InvalidRow

__all__ = [
    "BINARY_KINDS",
    "KINDS",
    "LabelMap",
    "check_classes",
    "check_rows",
    "check_sample_weight",
    "check_scores",
    "describe_rows",
    "repair",
    "repairable",
]

KINDS = ("probabilities", "logits", "probability", "logit")
BINARY_KINDS = ("probability", "logit")
_DETAIL_LENGTH = 40


def check_classes(classes: Any) -> tuple[str, ...]:
    """The class names: ``K`` means ``("0", ..., "K-1")``; names must be unique, K >= 2."""
    if isinstance(classes, (int, np.integer)) and not isinstance(classes, (bool, np.bool_)):
        names = tuple(str(i) for i in range(int(classes)))
    elif isinstance(classes, (str, bytes, bool)) or not isinstance(classes, Sequence | np.ndarray):
        msg = (
            "classes must be the number of classes or a sequence of class names, "
            f"got {type(classes).__name__} {classes!r}"
        )
        raise TypeError(msg)
    else:
        names = tuple(str(c) for c in classes)
    if len(names) < 2:
        msg = (
            f"classes: need at least 2 classes, got {len(names)} ({names}); with one "
            "class there is nothing to predict (every cross-entropy would be 0)"
        )
        raise ValueError(msg)
    if len(set(names)) != len(names):
        tally = Counter(names)
        duplicate = next(n for n in names if tally[n] > 1)
        msg = f"classes must be unique; {duplicate!r} appears more than once"
        raise ValueError(msg)
    return names


def _canonical_int(name: str) -> int | None:
    try:
        value = int(name)
    except ValueError:
        return None
    return value if str(value) == name else None


class LabelMap:
    """Maps label arrays to int64 class positions (``-1``: no such class)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self._by_name = {n: i for i, n in enumerate(names)}
        order = np.argsort(np.array(names))
        self._sorted_names = np.array(names)[order]
        self._name_order = order
        ints = [_canonical_int(n) for n in names]
        self.integer_names = all(v is not None for v in ints)
        self._identity = ints == list(range(len(names)))
        if self.integer_names:
            values = np.array(ints, dtype=np.int64)
            int_order = np.argsort(values)
            self._sorted_ints = values[int_order]
            self._int_order = int_order

    def positions(self, labels: Any, n: int) -> np.ndarray:
        """Class positions of ``labels`` (shape ``(n,)``), int64, -1 where unknown."""
        arr = np.asarray(labels)
        if arr.shape != (n,):
            msg = f"labels must have shape ({n},) (one per row of scores), got {arr.shape}"
            raise ValueError(msg)
        kind = arr.dtype.kind
        if kind == "b":
            return arr.astype(np.int64)
        if kind in "iu":
            return self._positions_of_integers(arr)
        if kind == "f":
            with np.errstate(invalid="ignore"):
                whole = np.isfinite(arr) & (arr == np.floor(arr)) & (np.abs(arr) < 2.0**62)
            out = np.full(n, -1, dtype=np.int64)
            out[whole] = self._positions_of_integers(arr[whole].astype(np.int64))
            return out
        if kind in "US":
            return self._positions_of_strings(arr.astype(str) if kind == "S" else arr)
        if kind == "O":
            if all(isinstance(v, str) for v in arr):  # e.g. a pandas column of strings
                return self._positions_of_strings(arr.astype(str))
            return np.fromiter((self._position_of(v) for v in arr), dtype=np.int64, count=n)
        msg = f"labels must be integers, booleans or strings, got dtype {arr.dtype}"
        raise TypeError(msg)

    def _positions_of_integers(self, arr: np.ndarray) -> np.ndarray:
        if arr.dtype == np.uint64:
            arr = np.where(arr > np.iinfo(np.int64).max, -1, arr).astype(np.int64)
        values = arr.astype(np.int64, copy=False)
        if not self.integer_names or self._identity:
            # By position: the kernels treat anything outside [0, K) as unknown.
            return np.ascontiguousarray(values)
        where = np.clip(np.searchsorted(self._sorted_ints, values), 0, len(self.names) - 1)
        found = self._sorted_ints[where] == values
        return np.where(found, self._int_order[where], -1).astype(np.int64)

    def _positions_of_strings(self, arr: np.ndarray) -> np.ndarray:
        where = np.clip(np.searchsorted(self._sorted_names, arr), 0, len(self.names) - 1)
        found = self._sorted_names[where] == arr
        return np.where(found, self._name_order[where], -1).astype(np.int64)

    def _position_of(self, value: Any) -> int:
        if isinstance(value, (bool, np.bool_)):
            return int(value)
        if isinstance(value, (str, np.str_)):
            return self._by_name.get(str(value), -1)
        if isinstance(value, numbers.Integral):
            return int(self._positions_of_integers(np.array([int(value)], dtype=np.int64))[0])
        if isinstance(value, numbers.Real) and float(value).is_integer():
            return self._position_of(int(float(value)))
        return -1


def check_scores(scores: Any, kind: str, n_classes: int) -> np.ndarray:
    """``scores`` as C-contiguous float32/float64: ``(n, K)``, or ``(n, 1)`` if binary."""
    if kind not in KINDS:
        msg = f"kind must be one of {KINDS}, got {kind!r}"
        raise ValueError(msg)
    x = np.asarray(scores)
    if x.dtype.kind not in "fiub":
        msg = f"scores must be real numbers, got dtype {x.dtype}"
        raise TypeError(msg)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float32 if x.dtype == np.float16 else np.float64)
    if kind in BINARY_KINDS:
        if n_classes != 2:
            msg = (
                f"kind={kind!r} is binary (one score column for the positive class), "
                f"so it needs exactly 2 classes; got {n_classes}"
            )
            raise ValueError(msg)
        if x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 1:
            msg = f"scores of kind {kind!r} must have shape (n,), got {x.shape}"
            raise ValueError(msg)
        x = x[:, None]
    elif x.ndim != 2 or x.shape[1] != n_classes:
        msg = (
            f"scores of kind {kind!r} must have shape (n, {n_classes}) (one column per "
            f"class), got {x.shape}"
        )
        raise ValueError(msg)
    return np.ascontiguousarray(x)


def check_sample_weight(sample_weight: Any, n: int) -> np.ndarray | None:
    """``sample_weight`` as float64 ``(n,)``, finite and non-negative (or None)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.shape != (n,):
        msg = f"sample_weight must have shape ({n},) (one per row), got {w.shape}"
        raise ValueError(msg)
    if w.dtype.kind not in "fiub":
        msg = f"sample_weight must be real numbers, got dtype {w.dtype}"
        raise TypeError(msg)
    w = np.ascontiguousarray(w, dtype=np.float64)
    bad = ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        msg = f"sample_weight must be finite and non-negative; found {w[index]} at index {index}"
        raise ValueError(msg)
    return w


def check_rows(rows: Any, n: int) -> np.ndarray:
    """Row numbers as given: int64 ``(n,)``."""
    r = np.asarray(rows)
    if r.shape != (n,):
        msg = f"rows must have shape ({n},) (one number per row), got {r.shape}"
        raise ValueError(msg)
    if r.dtype.kind not in "iu":
        msg = f"rows must be integers, got dtype {r.dtype}"
        raise TypeError(msg)
    return np.ascontiguousarray(r, dtype=np.int64)


def _shortened_detail(text: str) -> str:
    return text if len(text) <= _DETAIL_LENGTH else text[: _DETAIL_LENGTH - 3] + "..."


def _first_true(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _invalid_column_and_detail(
    row: np.ndarray, code: int, label: Any, binary: bool
) -> tuple[str, str]:
    """(column, detail) of one invalid row."""
    if code == STATUS_UNKNOWN_LABEL:
        value = label.item() if isinstance(label, np.generic) else label
        return "", _shortened_detail(f"label {value!r}")
    if code == STATUS_SUM:
        return "", f"sum {float(np.sum(row, dtype=np.float64)):.10g}"
    with np.errstate(invalid="ignore"):
        masks = {
            STATUS_NAN: np.isnan(row),
            STATUS_INFINITE: np.isinf(row),
            STATUS_NEGATIVE: row < 0,
            STATUS_OVER_ONE: row > 1,
        }
    j = _first_true(masks[code])
    return ("" if binary else str(j)), _shortened_detail(str(row[j]))


def describe_rows(  # noqa: PLR0917
    scores: np.ndarray,
    labels: Any,
    status: np.ndarray,
    index: np.ndarray,
    rows: np.ndarray,
    source: str,
) -> list[InvalidRow]:
    """The :class:`InvalidRow` of each position in ``index`` (rows with a nonzero status).

    ``rows`` are their row numbers; ``column`` is the 0-based score column ("" for the
    binary kinds, a bad label or a bad row sum); ``detail`` the offending value.
    """
    raw = np.asarray(labels)
    binary = scores.shape[1] == 1
    out = []
    for i, row in zip(index, rows, strict=True):
        code = int(status[i])
        column, detail = _invalid_column_and_detail(scores[i], code, raw[i], binary)
        out.append(InvalidRow(source, int(row), column, REASONS[code], detail))
    return out


def repairable(kind: str) -> tuple[int, ...]:
    """The status codes that ``on_invalid="clip"`` repairs for ``kind``."""
    if kind in ("logits", "logit"):
        return (STATUS_INFINITE,)
    return (STATUS_INFINITE, STATUS_NEGATIVE, STATUS_OVER_ONE, STATUS_SUM)


def repair(scores: np.ndarray, kind: str) -> np.ndarray:
    """Repaired copies of invalid rows (``on_invalid="clip"``), float64.

    Probabilities are clipped to ``[0, 1]`` (``-inf`` to 0, ``+inf`` to 1) and each row
    divided by its sum (a row that sums to 0 stays invalid); logits are clipped to the
    largest finite float of their dtype.
    """
    if kind in ("logits", "logit"):
        big = float(np.finfo(scores.dtype).max)
        return np.clip(scores.astype(np.float64), -big, big)
    x = np.clip(scores.astype(np.float64), 0.0, 1.0)
    if kind == "probabilities":
        total = x.sum(axis=1, keepdims=True)
        np.divide(x, total, out=x, where=total > 0)
    return x
