"""Arrow columns (from CSV, Parquet or Arrow IPC) to NumPy labels, scores and weights.

Vectorised whenever the column converts as a whole; a column that does not (text that
is not a number, bytes that are not UTF-8) is converted again one value at a time, so
that exactly the bad rows are marked. Imported only once pyarrow is known to be there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crossentropy.scoring._read._convert import (
    MISSING,
    Problems,
    check_weights,
    labels_from_floats,
    labels_from_integers,
    labels_from_text,
    make_piece,
    numbers_from_text,
    score_dtype,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from crossentropy.scoring._columns import ResolvedColumns
    from crossentropy.scoring._read._convert import Piece
    from crossentropy.scoring._types import InvalidRow

__all__ = ["arrow_piece", "arrow_sample", "numpy_dtype"]


def _is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or getattr(pa.types, "is_string_view", lambda _: False)(kind)
        or getattr(pa.types, "is_binary_view", lambda _: False)(kind)
    )


def _is_utf8(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or getattr(pa.types, "is_string_view", lambda _: False)(kind)
    )


def _is_number(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_floating(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_decimal(kind)
    )


def _contiguous_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous, non-dictionary array."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    return column


def _nulls(column: pa.Array) -> np.ndarray:
    if not column.null_count:
        return np.zeros(0, dtype=np.int64)
    mask: np.ndarray = column.is_null().to_numpy(zero_copy_only=False)
    return np.flatnonzero(mask)


def numpy_dtype(kind: pa.DataType) -> np.dtype:
    """The NumPy dtype scores of this Arrow type are read as."""
    if pa.types.is_float16(kind) or pa.types.is_float32(kind):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _floats(
    column: pa.Array, name: str, problems: Problems, where: str, dtype: np.dtype
) -> np.ndarray:
    kind = column.type
    if pa.types.is_null(kind):
        problems.add(np.arange(len(column)), name, MISSING)
        return np.full(len(column), np.nan, dtype=dtype)
    if _is_number(kind):
        problems.add(_nulls(column), name, MISSING)
        target = pa.float32() if dtype == np.float32 else pa.float64()
        # safe=False: an integer past 2**53 is a float (rounded), not an error
        values: np.ndarray = column.cast(target, safe=False).to_numpy(zero_copy_only=False)
        return values
    if _is_text(kind):
        try:
            parsed = pc.cast(column, pa.float64())
        except pa.ArrowInvalid:  # some value is not a number: find which, one at a time
            return numbers_from_text(column.to_pylist(), name, problems).astype(dtype)
        problems.add(_nulls(column), name, MISSING)
        values = parsed.to_numpy(zero_copy_only=False)
        return values.astype(dtype, copy=False)
    msg = f"{where}: column {name!r} holds {kind}; expected numbers"
    raise ValueError(msg)


def _labels(
    column: pa.Array, name: str, problems: Problems, where: str, *, integers: bool
) -> np.ndarray:
    kind = column.type
    if pa.types.is_null(kind):
        problems.add(np.arange(len(column)), name, MISSING)
        return np.zeros(len(column), dtype=np.int64)
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        problems.add(_nulls(column), name, MISSING)
        filled = pc.fill_null(column, False if pa.types.is_boolean(kind) else 0)
        return labels_from_integers(filled.to_numpy(zero_copy_only=False), name, problems)
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        floats: np.ndarray = column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)
        return labels_from_floats(floats, name, problems)
    if _is_text(kind):
        if not _is_utf8(kind):
            try:
                column = pc.cast(column, pa.string())
            except pa.ArrowInvalid:  # not UTF-8 somewhere: decode one value at a time
                return labels_from_text(column.to_pylist(), name, problems, integers=integers)
        if integers:
            try:
                parsed = pc.cast(column, pa.int64())
            except pa.ArrowInvalid:
                return labels_from_text(column.to_pylist(), name, problems, integers=True)
            problems.add(_nulls(column), name, MISSING)
            positions: np.ndarray = pc.fill_null(parsed, 0).to_numpy()
            return positions
        empty = pc.fill_null(pc.equal(column, ""), True).to_numpy(zero_copy_only=False)
        problems.add(np.flatnonzero(empty), name, MISSING)
        texts: np.ndarray = column.to_numpy(zero_copy_only=False)
        return texts
    msg = f"{where}: column {name!r} holds {kind}; expected integer or string labels"
    raise ValueError(msg)


def arrow_piece(
    columns: Mapping[str, pa.Array | pa.ChunkedArray],
    resolved: ResolvedColumns,
    rows: np.ndarray,
    where: str,
    *,
    integer_labels: bool = False,
    extra_invalid: Iterable[InvalidRow] = (),
) -> Piece:
    """One chunk of Arrow columns as a piece: labels, scores and weights as NumPy arrays.

    ``integer_labels``: text labels are class positions (CSV whose first rows say so).
    """
    problems = Problems(len(rows))
    labels = _labels(
        _contiguous_array(columns[resolved.label]),
        resolved.label,
        problems,
        where,
        integers=integer_labels,
    )
    arrays = [_contiguous_array(columns[name]) for name in resolved.scores]
    dtype = score_dtype(numpy_dtype(array.type) for array in arrays)
    if resolved.binary:
        scores = _floats(arrays[0], resolved.scores[0], problems, where, dtype)
    else:
        scores = np.empty((len(rows), len(arrays)), dtype=dtype)
        for j, (name, array) in enumerate(zip(resolved.scores, arrays, strict=True)):
            scores[:, j] = _floats(array, name, problems, where, dtype)
    weight = None
    if resolved.weight is not None:
        column = _contiguous_array(columns[resolved.weight])
        weight = _floats(column, resolved.weight, problems, where, np.dtype(np.float64))
        check_weights(weight, resolved.weight, problems)
    return make_piece(
        where,
        rows,
        labels=labels,
        scores=scores,
        weight=weight,
        problems=problems,
        extra_invalid=extra_invalid,
    )


def arrow_sample(table: pa.Table | pa.RecordBatch) -> dict[str, np.ndarray]:
    """The first rows of each column for detection: numbers as float64, the rest as text."""
    sample: dict[str, np.ndarray] = {}
    for name in table.column_names:
        column = _contiguous_array(table.column(name))
        if _is_number(column.type):
            floats = column.cast(pa.float64(), safe=False)  # 2**63 + 5 is a number here too
            sample[name] = np.asarray(floats.to_numpy(zero_copy_only=False), dtype=np.float64)
        else:
            sample[name] = np.asarray(column.to_pylist(), dtype=object)
    return sample
