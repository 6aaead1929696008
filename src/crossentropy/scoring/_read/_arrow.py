"""Parquet and Arrow IPC prediction files, streamed in bounded memory.

Parquet is read a record batch at a time (``ParquetFile.iter_batches``, only the needed
columns, without pre-buffering), so memory is bounded by a few pages plus one batch; each
row group is also a partition with its first row number from the file's metadata. Arrow IPC files
are memory-mapped and their record batches sliced into batches (zero-copy unless the file
is compressed); the IPC stream format is accepted too, from a file or standard input.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.ipc as pa_ipc
import pyarrow.parquet as pq

from crossentropy.scoring._read._arrow_columns import arrow_piece, arrow_sample

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from crossentropy.scoring._columns import ResolvedColumns
    from crossentropy.scoring._read._convert import Piece
    from crossentropy.scoring._read._sources import PeekableStream, Source

__all__ = [
    "ipc_columns",
    "ipc_pieces",
    "ipc_sample",
    "parquet_columns",
    "parquet_pieces",
    "parquet_row_groups",
    "parquet_sample",
]

_IPC_FILE_MAGIC = b"ARROW1"
_PEEK_BYTES = 1 << 20


def _check_columns(source: Source, names: Sequence[str], resolved: ResolvedColumns) -> None:
    missing = [name for name in resolved.columns if name not in names]
    if missing:
        msg = f"{source.path}: column {missing[0]!r} not found; columns are: {', '.join(names)}"
        raise ValueError(msg)


def _unique_names(source: Source, schema: pa.Schema) -> pa.Schema:
    """The schema, once its column names are known to differ (Arrow allows repeats)."""
    names = list(schema.names)
    for j, name in enumerate(names):
        if name in names[:j]:
            msg = (
                f"{source.path}: columns {names.index(name) + 1} and {j + 1} (counting from 1) "
                f"are both named {name!r}; column names must differ"
            )
            raise ValueError(msg)
    return schema


def _parquet(source: Source) -> pq.ParquetFile:
    if source.stream is not None:
        msg = f"{source.path}: Parquet cannot be read from standard input; save it to a file"
        raise ValueError(msg)
    try:
        # pre_buffer would read whole row groups ahead (faster on object stores, 4x the
        # memory here); local files stream page by page.
        parquet = pq.ParquetFile(source.path, pre_buffer=False)
    except pa.ArrowInvalid as exc:
        msg = f"{source.path}: not a Parquet file ({exc})"
        raise ValueError(msg) from exc
    _unique_names(source, parquet.schema_arrow)
    return parquet


def parquet_columns(source: Source) -> list[str]:
    """The column names of a Parquet file."""
    names: list[str] = list(_parquet(source).schema_arrow.names)
    return names


def parquet_sample(source: Source, rows: int) -> dict[str, np.ndarray]:
    """The first ``rows`` rows of every column."""
    parquet = _parquet(source)
    if parquet.metadata.num_rows == 0:
        return arrow_sample(parquet.schema_arrow.empty_table())
    return arrow_sample(next(parquet.iter_batches(batch_size=rows)))


def parquet_row_groups(source: Source) -> list[tuple[int, int]]:
    """``(first row, number of rows)`` of each row group, from the metadata."""
    metadata = _parquet(source).metadata
    groups, start = [], 0
    for i in range(metadata.num_row_groups):
        count = int(metadata.row_group(i).num_rows)
        groups.append((start, count))
        start += count
    return groups


def parquet_pieces(
    source: Source,
    resolved: ResolvedColumns,
    *,
    batch_rows: int,
    row_group: int | None = None,
) -> Iterator[Piece]:
    """The pieces of a Parquet file (or of one of its row groups), in row order."""
    parquet = _parquet(source)
    _check_columns(source, parquet.schema_arrow.names, resolved)
    groups = parquet_row_groups(source)
    selected = range(len(groups)) if row_group is None else [row_group]
    cursor = groups[selected[0]][0] if groups and len(selected) else 0
    if not len(selected):
        return
    batches = parquet.iter_batches(
        batch_size=batch_rows, row_groups=list(selected), columns=list(resolved.columns)
    )
    for batch in batches:
        rows = np.arange(cursor, cursor + batch.num_rows, dtype=np.int64)
        cursor += batch.num_rows
        columns = {name: batch.column(name) for name in resolved.columns}
        yield arrow_piece(columns, resolved, rows, source.path)


def _stdin_ipc(
    source: Source, stream: PeekableStream, *, peek: bool
) -> pa_ipc.RecordBatchStreamReader:
    """Standard input as an IPC stream; when peeking, only its first megabyte."""
    head = stream.peek_head(_PEEK_BYTES)
    skip = 8 if head.startswith(_IPC_FILE_MAGIC) else 0  # the file format's magic + padding
    try:
        if peek:
            return pa_ipc.open_stream(pa.BufferReader(head[skip:]))
        stream.start_reading()
        stream.read(skip)
        return pa_ipc.open_stream(stream)
    except pa.ArrowInvalid as exc:
        msg = f"{source.path}: not an Arrow IPC stream ({exc})"
        raise ValueError(msg) from exc


@contextmanager
def _ipc_reader(
    source: Source, *, peek: bool = False
) -> Iterator[tuple[pa.Schema, Iterator[pa.RecordBatch]]]:
    """The schema and record batches of an Arrow IPC file or stream."""
    if source.stream is not None:
        reader = _stdin_ipc(source, source.stream, peek=peek)
        yield _unique_names(source, reader.schema), _until_end(reader, stop_early=peek)
        return
    with pa.memory_map(source.path, "r") as mapped:
        try:
            file_reader = pa_ipc.open_file(mapped)
        except pa.ArrowInvalid:
            mapped.seek(0)
            try:
                stream_reader = pa_ipc.open_stream(mapped)
            except pa.ArrowInvalid as exc:
                msg = f"{source.path}: not an Arrow IPC file or stream ({exc})"
                raise ValueError(msg) from exc
            yield _unique_names(source, stream_reader.schema), iter(stream_reader)
            return
        count = file_reader.num_record_batches
        yield (
            _unique_names(source, file_reader.schema),
            (file_reader.get_batch(i) for i in range(count)),
        )


def _until_end(
    reader: pa_ipc.RecordBatchStreamReader, *, stop_early: bool
) -> Iterator[pa.RecordBatch]:
    """The reader's batches; when ``stop_early``, until one is cut off by the peek."""
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, OSError):
            if stop_early:
                return
            raise
        yield batch


def ipc_columns(source: Source) -> list[str]:
    """The column names of an Arrow IPC file or stream."""
    with _ipc_reader(source, peek=True) as (schema, _):
        names: list[str] = list(schema.names)
    return names


def ipc_sample(source: Source, rows: int) -> dict[str, np.ndarray]:
    """The first ``rows`` rows of every column."""
    with _ipc_reader(source, peek=True) as (schema, batches):
        first = next(batches, None)
        if first is None:
            return arrow_sample(schema.empty_table())
        return arrow_sample(first.slice(0, rows))


def ipc_pieces(source: Source, resolved: ResolvedColumns, *, batch_rows: int) -> Iterator[Piece]:
    """The pieces of an Arrow IPC file or stream, in row order."""
    with _ipc_reader(source) as (schema, batches):
        _check_columns(source, schema.names, resolved)
        cursor = 0
        for batch in batches:
            for start in range(0, batch.num_rows, batch_rows):
                part = batch.slice(start, batch_rows)
                rows = np.arange(cursor, cursor + part.num_rows, dtype=np.int64)
                cursor += part.num_rows
                columns = {name: part.column(name) for name in resolved.columns}
                yield arrow_piece(columns, resolved, rows, source.path)
