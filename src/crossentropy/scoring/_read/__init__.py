"""Read prediction files as batches for scoring: CSV/TSV, Parquet, Arrow IPC, npy, npz.

The readers stream: memory is bounded by the batch size (plus a Parquet row group's
pages) for every format. Rows are numbered from 0 within each source, independently of
batching; every row that cannot be read (wrong column count, text that is not UTF-8,
a number that does not parse, an empty label or score) comes back as an
:class:`InvalidRow` in a batch's ``invalid``, so that the readable rows plus the invalid
rows are exactly the file's data rows. NaN, infinities and out-of-range numbers pass
through: judging them is the accumulator's business.

CSV, Parquet and Arrow need pyarrow (the ``parquet`` extra); ``.npy``/``.npz`` need NumPy
only. Pickles are never loaded.

The package, from the bottom up: ``_sources`` (:class:`Source`, :func:`expand_sources`;
imports no reader), ``_convert`` (columns to pieces to batches, NumPy only), the format
readers ``_csv``, ``_arrow`` (with ``_arrow_columns``) and ``_numpy``, and ``_registry``
(one :class:`~crossentropy.scoring._read._registry.FormatReader` per format). The
functions here are what the rest of scoring calls; they look the format up in the
registry.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from typing import TYPE_CHECKING

from crossentropy.scoring._columns import ColumnSpec, ResolvedColumns, resolve_columns
from crossentropy.scoring._read._convert import Rebatcher
from crossentropy.scoring._read._registry import (
    Partition,
    PieceRequest,
    Preview,
    count_rows,
    reader_of,
)
from crossentropy.scoring._read._sources import Source, expand_sources, require_pyarrow

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import numpy as np

    from crossentropy.scoring._read._convert import Piece
    from crossentropy.scoring._types import Batch, InvalidRow

__all__ = [
    "Partition",
    "Preview",
    "Source",
    "count_rows",
    "expand_sources",
    "locate_rows",
    "partitions",
    "peek",
    "peek_columns",
    "read_batches",
    "read_partition",
    "resolve_dataset_columns",
    "sample_rows",
]

_SAMPLE_ROWS = 100
_PARTITION_ROWS = 1 << 20


def locate_rows(sources: Sequence[Source], rows: Sequence[InvalidRow]) -> list[InvalidRow]:
    """``rows`` with their place in their files filled in (``location``, ``line``).

    CSV/TSV: ``"data row 39 (line 41)"``, the 1-based line where the 0-based data row
    starts (standard input: ``"data row 39"``); Parquet, Arrow and NumPy files:
    ``"row 39 (counting from 0)"``. Rows of other sources (``"<array>"``) are
    returned as they are. Reading a text file again for its lines can fail (the file
    changed or went away): those rows are then numbered without their line.
    """
    by_path = {source.path: source for source in sources}
    lines: dict[str, dict[int, int]] = {}
    located = []
    for item in rows:
        source = by_path.get(item.source)
        if source is None:
            located.append(item)
            continue
        finder = reader_of(source).line_numbers
        if finder is None:
            where = f"row {item.row} (counting from 0)"
            located.append(dataclasses.replace(item, location=where))
            continue
        if source.path not in lines:
            wanted = [other.row for other in rows if other.source == source.path]
            try:
                lines[source.path] = finder(source, wanted)
            except (OSError, ValueError, ImportError):
                lines[source.path] = {}
        line = lines[source.path].get(item.row)
        where = f"data row {item.row}" + ("" if line is None else f" (line {line})")
        located.append(dataclasses.replace(item, line=line, location=where))
    return located


def _needs_pyarrow(source: Source) -> None:
    if reader_of(source).needs_pyarrow:
        require_pyarrow()


@contextmanager
def _arrow_errors(source: Source) -> Iterator[None]:
    """Turn pyarrow's own errors into ValueErrors that name the file."""
    if not reader_of(source).needs_pyarrow:
        yield
        return
    pa = require_pyarrow()
    try:
        yield
    except pa.ArrowException as exc:  # its text may run over lines: one line, for the CLI
        msg = f"{source.path}: cannot read it as {source.format.upper()}: {_one_line(exc)}"
        raise ValueError(msg) from exc
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except OSError as exc:  # pyarrow's decompressors: a fake or truncated .gz, .bz2, ...
        compressed = source.path.lower().endswith((".gz", ".bz2", ".zst", ".lz4"))
        hint = f" (is it really {source.path.rsplit('.', 1)[-1]}-compressed?)" if compressed else ""
        msg = f"{source.path}: cannot read it as {source.format.upper()}: {_one_line(exc)}{hint}"
        raise ValueError(msg) from exc


def _one_line(exc: BaseException) -> str:
    """An exception's text on one line: its lines joined with '; '."""
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def peek(source: Source, *, has_header: bool | None = None, rows: int = _SAMPLE_ROWS) -> Preview:
    """The columns of ``source`` and its first ``rows`` rows, to resolve columns with.

    ``has_header`` (CSV/TSV) overrides ``source.has_header``; None guesses.
    """
    with _arrow_errors(source):
        return reader_of(source).preview(source, has_header, rows)


def peek_columns(source: Source, *, has_header: bool | None = None) -> list[str]:
    """The column names of ``source``, in file order.

    ``"0"``, ``"1"``, ... for a headerless CSV and a 2-D ``.npy``; array names for ``.npz``.
    """
    with _arrow_errors(source):
        return reader_of(source).column_names(source, has_header)


def sample_rows(
    source: Source, *, has_header: bool | None = None, rows: int = _SAMPLE_ROWS
) -> dict[str, np.ndarray]:
    """The first ``rows`` rows of each column: what :func:`resolve_columns` detects with."""
    return peek(source, has_header=has_header, rows=rows).sample


def resolve_dataset_columns(
    sources: Sequence[Source], spec: ColumnSpec | None = None, *, has_header: bool | None = None
) -> ResolvedColumns:
    """Resolve the columns once, on the first source.

    Every source must have the same columns as the first; a ValueError names the first
    file that differs and how.
    """
    if not sources:
        msg = "no sources to resolve columns on"
        raise ValueError(msg)
    first = peek(sources[0], has_header=has_header)
    for source in sources[1:]:
        names = tuple(peek_columns(source, has_header=has_header))
        if names != first.columns:
            missing = [name for name in first.columns if name not in names]
            extra = [name for name in names if name not in first.columns]
            what = "; ".join(
                part
                for part in (
                    f"lacks {', '.join(missing)}" if missing else "",
                    f"has also {', '.join(extra)}" if extra else "",
                )
                if part
            )
            msg = (
                f"{source.path}: its columns differ from those of {sources[0].path}: "
                f"{what or 'another order'}; the files of a dataset must share their columns"
            )
            raise ValueError(msg)
    return resolve_columns(
        spec if spec is not None else ColumnSpec(),
        first.columns,
        first.sample,
        source=sources[0].path,
    )


def _resolved(
    source: Source, columns: ResolvedColumns | ColumnSpec, has_header: bool | None
) -> ResolvedColumns:
    if isinstance(columns, ResolvedColumns):
        return columns
    preview = peek(source, has_header=has_header)
    return resolve_columns(columns, preview.columns, preview.sample, source=source.path)


def _check_batch_rows(batch_rows: int) -> None:
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        msg = f"batch_rows must be a positive integer; got {batch_rows!r}"
        raise ValueError(msg)


def _batches(
    source: Source, resolved: ResolvedColumns, pieces: Iterator[Piece], batch_rows: int
) -> Iterator[Batch]:
    rebatcher = Rebatcher(
        source=source.path,
        kind=resolved.kind,
        batch_rows=batch_rows,
        n_classes=resolved.n_classes,
    )
    with _arrow_errors(source):
        for piece in pieces:
            yield from rebatcher.add(piece)
        yield from rebatcher.finish()


def read_batches(
    source: Source,
    columns: ResolvedColumns | ColumnSpec,
    *,
    batch_rows: int = 65536,
    has_header: bool | None = None,
) -> Iterator[Batch]:
    """Stream ``source`` as batches of ``batch_rows`` readable rows (the last shorter).

    Parameters
    ----------
    source : Source
        From :func:`expand_sources`.
    columns : ResolvedColumns or ColumnSpec
        The columns to read; a ColumnSpec is resolved on this source first.
    batch_rows : int
        Readable rows per batch. Memory is bounded by about ``batch_rows`` rows (and, for
        Parquet, a row group's pages).
    has_header : bool, optional
        CSV/TSV: overrides ``source.has_header``; None guesses.

    Yields
    ------
    Batch
        ``scores`` float64 (float32 when the file stores float32), C-contiguous,
        ``(n, K)`` or ``(n,)`` for the binary kinds; ``labels`` int64 for integer (or
        boolean, or integer-valued float) columns, else an object array of str; ``rows``
        the 0-based data-row numbers; ``invalid`` the rows that could not be read, with
        reasons ``"wrong column count"``, ``"undecodable text"``, ``"not a number"``,
        ``"not an integer"`` (a fractional label) or ``"missing value"``.

    Raises
    ------
    ValueError
        A column is missing, holds values of the wrong type (dates, lists), the file is not
        of its format, or cannot be parsed at all; the message names the file.
    ImportError
        pyarrow is needed (CSV, Parquet, Arrow) and not installed.
    """
    _check_batch_rows(batch_rows)
    _needs_pyarrow(source)
    resolved = _resolved(source, columns, has_header)
    request = PieceRequest(batch_rows=batch_rows, has_header=has_header)
    pieces = reader_of(source).pieces(source, resolved, request)
    yield from _batches(source, resolved, pieces, batch_rows)


def partitions(source: Source, *, rows_per_partition: int = _PARTITION_ROWS) -> list[Partition]:
    """Split ``source`` into parts that can be read independently.

    Parquet: one per row group; ``.npy``: row ranges of ``rows_per_partition`` rows; CSV,
    Arrow IPC and ``.npz``: the whole file. Standard input cannot be split or sent to
    other processes (ValueError).
    """
    if source.stream is not None:
        msg = (
            f"{source.path}: standard input cannot be read in parallel (Dask); "
            "save it to a file, or score it without a cluster"
        )
        raise ValueError(msg)
    if rows_per_partition < 1:
        msg = f"rows_per_partition must be a positive integer; got {rows_per_partition!r}"
        raise ValueError(msg)
    return reader_of(source).split(source, rows_per_partition)


def read_partition(
    partition: Partition,
    columns: ResolvedColumns | ColumnSpec,
    *,
    batch_rows: int = 65536,
    has_header: bool | None = None,
) -> Iterator[Batch]:
    """Stream one partition as batches, with the row numbers of the sequential read."""
    source = partition.source
    reader = reader_of(source)
    if partition.row_group is None and not reader.reads_parts:
        yield from read_batches(source, columns, batch_rows=batch_rows, has_header=has_header)
        return
    _check_batch_rows(batch_rows)
    _needs_pyarrow(source)
    resolved = _resolved(source, columns, has_header)
    request = PieceRequest(
        batch_rows=batch_rows,
        has_header=has_header,
        row_group=partition.row_group,
        start=partition.row_start,
        stop=partition.row_stop,
    )
    yield from _batches(source, resolved, reader.pieces(source, resolved, request), batch_rows)
