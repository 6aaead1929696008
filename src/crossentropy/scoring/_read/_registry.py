"""The reader registry: one :class:`FormatReader` per file format, in :data:`READERS`.

Each format says once how it is read: its columns and first rows (:attr:`FormatReader.preview`,
:attr:`~FormatReader.column_names`), its row count when the metadata holds it
(:attr:`~FormatReader.count_rows`), its pieces (:attr:`~FormatReader.pieces`) and its parts
for parallel reading (:attr:`~FormatReader.split`). The streaming functions of
:mod:`crossentropy.scoring._read` look a source's reader up here instead of testing
``source.format`` over and over.

The format modules are imported inside the functions below: CSV, Parquet and Arrow need
pyarrow (an optional extra), so importing the registry must not import them. Importing the
registry installs :func:`count_rows` as the row counter of :attr:`Source.n_rows`; the
sources module imports no reader, so the imports point one way (see
:mod:`crossentropy.scoring._read._sources`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crossentropy.scoring._read._sources import Source, install_row_counter, require_pyarrow

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator

    import numpy as np

    from crossentropy.scoring._columns import ResolvedColumns
    from crossentropy.scoring._read._convert import Piece
    from crossentropy.scoring._read._sources import FileFormat

__all__ = [
    "READERS",
    "FormatReader",
    "Partition",
    "PieceRequest",
    "Preview",
    "count_rows",
    "reader_of",
]


@dataclass(frozen=True)
class Preview:
    """A source's columns and its first rows (numbers as numbers, the rest as text)."""

    columns: tuple[str, ...]
    sample: dict[str, np.ndarray]


@dataclass(frozen=True)
class Partition:
    """A part of a source that another process can read on its own (for Dask).

    Its batches have the same row numbers as in the sequential read of the whole source.
    ``row_group``: the Parquet row group; ``row_start``/``row_stop``: the data rows it
    covers (``row_stop`` None: to the end, count unknown).
    """

    source: Source
    index: int
    row_start: int = 0
    row_stop: int | None = None
    row_group: int | None = None

    @property
    def n_rows(self) -> int | None:
        """Its number of data rows, when known without reading it."""
        return None if self.row_stop is None else self.row_stop - self.row_start


@dataclass(frozen=True)
class PieceRequest:
    """Which pieces to read: ``batch_rows`` rows at most each, of the whole source or a part.

    ``has_header`` (CSV/TSV) overrides ``source.has_header``; ``row_group`` (Parquet) and
    ``start``/``stop`` (``.npy``) say the part; the other formats read the whole source.
    """

    batch_rows: int
    has_header: bool | None = None
    row_group: int | None = None
    start: int = 0
    stop: int | None = None


@dataclass(frozen=True)
class FormatReader:
    """How one file format is read: what the streaming readers dispatch to.

    Attributes
    ----------
    needs_pyarrow : bool
        Whether reading needs pyarrow (whose errors then name the file).
    preview : callable
        ``(source, has_header, rows) -> Preview``: the columns and the first ``rows`` rows.
    column_names : callable
        ``(source, has_header) -> list[str]``: the columns, in file order.
    count_rows : callable
        ``(source) -> int | None``: the data rows when the metadata says it, else None.
    pieces : callable
        ``(source, resolved, request) -> Iterator[Piece]``: the rows, in row order.
    split : callable
        ``(source, rows_per_partition) -> list[Partition]``: parts read independently.
    reads_parts : bool
        Whether :attr:`pieces` reads a part given by rows (``.npy``) rather than only
        whole sources or Parquet row groups.
    line_numbers : callable or None
        Text formats: ``(source, rows) -> {row: line}``, the 1-based line where each
        0-based data row starts (for messages); None for formats without lines.
    """

    needs_pyarrow: bool
    preview: Callable[[Source, bool | None, int], Preview]
    column_names: Callable[[Source, bool | None], list[str]]
    count_rows: Callable[[Source], int | None]
    pieces: Callable[[Source, ResolvedColumns, PieceRequest], Iterator[Piece]]
    split: Callable[[Source, int], list[Partition]]
    reads_parts: bool = False
    line_numbers: Callable[[Source, Collection[int]], dict[int, int]] | None = None


def _header(source: Source, has_header: bool | None) -> bool | None:
    return source.has_header if has_header is None else has_header


def _unknown_count(_source: Source) -> int | None:
    return None  # only a full read counts the rows


def _whole(source: Source, _rows_per_partition: int) -> list[Partition]:
    return [Partition(source, 0, 0, count_rows(source))]


# --------------------------------------------------------------------------- CSV/TSV


def _csv_preview(source: Source, has_header: bool | None, rows: int) -> Preview:
    from crossentropy.scoring._read._csv import csv_layout  # needs pyarrow

    layout = csv_layout(source, has_header=_header(source, has_header))
    sample = {name: values[:rows] for name, values in layout.sample.items()}
    return Preview(layout.columns, sample)


def _csv_column_names(source: Source, has_header: bool | None) -> list[str]:
    return list(_csv_preview(source, has_header, 0).columns)


def _csv_pieces(
    source: Source, resolved: ResolvedColumns, request: PieceRequest
) -> Iterator[Piece]:
    from crossentropy.scoring._read._csv import csv_layout, csv_pieces

    layout = csv_layout(source, has_header=_header(source, request.has_header))
    return csv_pieces(source, layout, resolved, batch_rows=request.batch_rows)


def _csv_line_numbers(source: Source, rows: Collection[int]) -> dict[int, int]:
    from crossentropy.scoring._read._csv import csv_line_numbers

    return csv_line_numbers(source, rows)


_CSV = FormatReader(
    needs_pyarrow=True,
    preview=_csv_preview,
    column_names=_csv_column_names,
    count_rows=_unknown_count,
    pieces=_csv_pieces,
    split=_whole,
    line_numbers=_csv_line_numbers,
)


# --------------------------------------------------------------------------- Parquet


def _parquet_preview(source: Source, _has_header: bool | None, rows: int) -> Preview:
    from crossentropy.scoring._read._arrow import parquet_columns, parquet_sample

    return Preview(tuple(parquet_columns(source)), parquet_sample(source, rows))


def _parquet_column_names(source: Source, _has_header: bool | None) -> list[str]:
    from crossentropy.scoring._read._arrow import parquet_columns

    return parquet_columns(source)


def _parquet_count_rows(source: Source) -> int | None:
    if source.stream is not None:
        return None
    require_pyarrow()
    from crossentropy.scoring._read._arrow import parquet_row_groups

    return sum(count for _, count in parquet_row_groups(source))


def _parquet_pieces(
    source: Source, resolved: ResolvedColumns, request: PieceRequest
) -> Iterator[Piece]:
    from crossentropy.scoring._read._arrow import parquet_pieces

    return parquet_pieces(
        source, resolved, batch_rows=request.batch_rows, row_group=request.row_group
    )


def _parquet_split(source: Source, _rows_per_partition: int) -> list[Partition]:
    require_pyarrow()
    from crossentropy.scoring._read._arrow import parquet_row_groups

    groups = parquet_row_groups(source)
    return [
        Partition(source, i, start, start + count, row_group=i)
        for i, (start, count) in enumerate(groups)
    ]


_PARQUET = FormatReader(
    needs_pyarrow=True,
    preview=_parquet_preview,
    column_names=_parquet_column_names,
    count_rows=_parquet_count_rows,
    pieces=_parquet_pieces,
    split=_parquet_split,
)


# --------------------------------------------------------------------------- Arrow IPC


def _ipc_preview(source: Source, _has_header: bool | None, rows: int) -> Preview:
    from crossentropy.scoring._read._arrow import ipc_columns, ipc_sample

    return Preview(tuple(ipc_columns(source)), ipc_sample(source, rows))


def _ipc_column_names(source: Source, _has_header: bool | None) -> list[str]:
    from crossentropy.scoring._read._arrow import ipc_columns

    return ipc_columns(source)


def _ipc_pieces(
    source: Source, resolved: ResolvedColumns, request: PieceRequest
) -> Iterator[Piece]:
    from crossentropy.scoring._read._arrow import ipc_pieces

    return ipc_pieces(source, resolved, batch_rows=request.batch_rows)


_IPC = FormatReader(
    needs_pyarrow=True,
    preview=_ipc_preview,
    column_names=_ipc_column_names,
    count_rows=_unknown_count,
    pieces=_ipc_pieces,
    split=_whole,
)


# --------------------------------------------------------------------------- .npy/.npz


def _numpy_preview(source: Source, _has_header: bool | None, rows: int) -> Preview:
    from crossentropy.scoring._read._numpy import npy_layout, npz_layout, numpy_sample

    layout = npy_layout(source) if source.format == "npy" else npz_layout(source)
    return Preview(layout.columns, numpy_sample(source, rows))


def _numpy_column_names(source: Source, _has_header: bool | None) -> list[str]:
    from crossentropy.scoring._read._numpy import npy_layout, npz_layout

    layout = npy_layout(source) if source.format == "npy" else npz_layout(source)
    return list(layout.columns)


def _numpy_count_rows(source: Source) -> int | None:
    if source.stream is not None:
        return None
    from crossentropy.scoring._read._numpy import npy_layout, npz_layout

    layout = npy_layout(source) if source.format == "npy" else npz_layout(source)
    return layout.n_rows


def _npy_pieces(
    source: Source, resolved: ResolvedColumns, request: PieceRequest
) -> Iterator[Piece]:
    from crossentropy.scoring._read._numpy import npy_pieces

    return npy_pieces(
        source, resolved, batch_rows=request.batch_rows, start=request.start, stop=request.stop
    )


def _npy_split(source: Source, rows_per_partition: int) -> list[Partition]:
    n_rows = count_rows(source) or 0
    starts = range(0, n_rows, rows_per_partition)
    return [
        Partition(source, i, start, min(start + rows_per_partition, n_rows))
        for i, start in enumerate(starts)
    ]


def _npz_pieces(
    source: Source, resolved: ResolvedColumns, request: PieceRequest
) -> Iterator[Piece]:
    from crossentropy.scoring._read._numpy import npz_pieces

    return npz_pieces(source, resolved, batch_rows=request.batch_rows)


_NPY = FormatReader(
    needs_pyarrow=False,
    preview=_numpy_preview,
    column_names=_numpy_column_names,
    count_rows=_numpy_count_rows,
    pieces=_npy_pieces,
    split=_npy_split,
    reads_parts=True,
)
_NPZ = FormatReader(
    needs_pyarrow=False,
    preview=_numpy_preview,
    column_names=_numpy_column_names,
    count_rows=_numpy_count_rows,
    pieces=_npz_pieces,
    split=_whole,
)

#: The reader of each :data:`~crossentropy.scoring._read._sources.FileFormat`.
READERS: dict[FileFormat, FormatReader] = {
    "csv": _CSV,
    "tsv": _CSV,
    "parquet": _PARQUET,
    "ipc": _IPC,
    "npy": _NPY,
    "npz": _NPZ,
}


def reader_of(source: Source) -> FormatReader:
    """The reader of ``source``'s format."""
    reader = READERS.get(source.format)
    if reader is None:
        msg = f"{source.path}: unknown file format {source.format!r}; expected one of " + (
            ", ".join(READERS)
        )
        raise ValueError(msg)
    return reader


def count_rows(source: Source) -> int | None:
    """The number of data rows when the file's metadata says it, else None.

    Known for Parquet, ``.npy`` and ``.npz``; None for CSV, Arrow IPC and standard input,
    which only a full read counts.
    """
    return reader_of(source).count_rows(source)


install_row_counter(count_rows)
