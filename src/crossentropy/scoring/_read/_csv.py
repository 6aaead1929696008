"""CSV and TSV prediction files, streamed in bounded memory, every bad row kept.

The first megabyte is parsed with :mod:`csv` to name the columns (guessing the header),
sample the first rows and measure the rows. The data is then streamed with
``pyarrow.csv.open_csv``: single-threaded, so that pyarrow numbers the rows it rejects
(wrong column count) and blocks come in order, with a block size of about
``batch_rows / 16`` rows, since pyarrow reads up to 32 blocks ahead.

Two passes at most: the fast one parses the score columns as float64. When pyarrow
rejects a whole block (a value that is not a number, text that is not UTF-8), the file is
read again from the start with every column as raw bytes, the rows already delivered are
skipped, and each chunk is converted with a per-value fallback that marks exactly the bad
rows. Standard input cannot be read twice, so it is read the careful way from the start.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from crossentropy.scoring._read._arrow_columns import arrow_piece
from crossentropy.scoring._read._convert import INTEGER, NUMBER, Piece, shorten
from crossentropy.scoring._types import InvalidRow

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from crossentropy.scoring._columns import ResolvedColumns
    from crossentropy.scoring._read._sources import Source

__all__ = ["CsvLayout", "csv_layout", "csv_pieces"]

_HEAD_BYTES = 1 << 20
_MAX_HEAD_BYTES = 1 << 28
_SAMPLE_ROWS = 200
_MIN_BLOCK = 1 << 16
_MIN_STDIN_BLOCK = 1 << 22  # standard input cannot be re-read with a larger block
_MAX_BLOCK = 1 << 30
_READAHEAD = 16  # pyarrow keeps up to 32 raw blocks in flight: two batches' worth


@dataclass(frozen=True)
class CsvLayout:
    """What the first rows of a CSV file say about it."""

    columns: tuple[str, ...]
    has_header: bool
    delimiter: str
    sample: dict[str, np.ndarray]  # the first rows: numbers as float64, else text
    integer_columns: frozenset[str]  # columns whose sampled values are all integers
    row_bytes: float  # the sampled rows' mean length
    max_row_bytes: int


def _read_head(source: Source) -> tuple[bytes, bool]:
    """The first megabyte or so (two lines at least), and whether it is the whole file."""
    size = _HEAD_BYTES
    while True:
        if source.stream is not None:
            head = source.stream.peek_head(size)
        else:
            with pa.input_stream(source.path) as stream:  # decompresses .gz, .bz2, ...
                head = stream.read(size)
        complete = len(head) < size
        if complete or head.count(b"\n") >= 2 or size >= _MAX_HEAD_BYTES:
            return head, complete
        size *= 4


def _is_number(cell: str) -> bool:
    text = cell.strip()
    return not text or bool(NUMBER.match(text))


def _is_integer(cell: str) -> bool:
    text = cell.strip()
    if INTEGER.match(text):
        return True
    return bool(NUMBER.match(text)) and float(text).is_integer()


def _mostly(values: list[str], test: Callable[[str], bool]) -> bool:
    """Whether most non-empty values pass ``test``.

    One bad cell in the sample does not make a column of numbers text (the bad row is
    reported when the data is read).
    """
    filled = [value for value in values if value.strip()]
    return 2 * sum(map(test, filled)) >= len(filled) > 0


def _sample_column(values: list[str]) -> np.ndarray:
    if not _mostly(values, _is_number) and any(value.strip() for value in values):
        return np.array(values, dtype=object)
    numbers = [float(v) if v.strip() and NUMBER.match(v.strip()) else np.nan for v in values]
    return np.array(numbers, dtype=np.float64)


def csv_layout(source: Source, *, has_header: bool | None = None) -> CsvLayout:
    """Parse the head of a CSV/TSV source: columns, header, sample, row sizes.

    ``has_header=None`` guesses: the first row is a header unless all its cells are
    numbers (or empty). Without a header the columns are named ``"0"``, ``"1"``, ...
    """
    delimiter = "\t" if source.format == "tsv" else ","
    head, complete = _read_head(source)
    if not complete:  # the last line may be cut short
        head = head[: head.rfind(b"\n") + 1]
    # Decoded line by line (a StringIO of the whole head would take 4 bytes a character).
    text = io.TextIOWrapper(io.BytesIO(head), encoding="utf-8-sig", errors="replace", newline="")
    rows: list[list[str]] = []
    try:
        for row in csv.reader(text, delimiter=delimiter):
            if row:  # pyarrow skips empty lines too
                rows.append(row)
            if len(rows) > _SAMPLE_ROWS:
                break
    except csv.Error:
        pass  # a quoted field cut at the end of the head: the rows before it will do
    if not rows:
        msg = f"{source.path}: the file is empty; expected CSV with a header row and data rows"
        raise ValueError(msg)
    first = rows[0]
    header = not all(_is_number(cell) for cell in first) if has_header is None else has_header
    columns = tuple(first) if header else tuple(str(i) for i in range(len(first)))
    data = [row for row in rows[1 if header else 0 :] if len(row) == len(columns)]
    sample = {name: _sample_column([row[j] for row in data]) for j, name in enumerate(columns)}
    integers = frozenset(
        name for j, name in enumerate(columns) if _mostly([row[j] for row in data], _is_integer)
    )
    ends = np.flatnonzero(np.frombuffer(head, dtype=np.uint8) == ord("\n"))
    lengths = np.diff(ends, prepend=-1) if len(ends) else np.array([len(head)])
    return CsvLayout(
        columns=columns,
        has_header=header,
        delimiter=delimiter,
        sample=sample,
        integer_columns=integers,
        row_bytes=float(lengths.mean()),
        max_row_bytes=int(lengths.max()),
    )


def _block_size(layout: CsvLayout, batch_rows: int, *, stdin: bool) -> int:
    target = int(batch_rows * layout.row_bytes / _READAHEAD)
    floor = _MIN_STDIN_BLOCK if stdin else _MIN_BLOCK
    return max(min(target, 1 << 26), 4 * layout.max_row_bytes, floor)


class _Pass:
    """One reading of the file; ``cursor`` is the data row after the last one accounted."""

    def __init__(
        self,
        source: Source,
        layout: CsvLayout,
        resolved: ResolvedColumns,
        *,
        raw: bool,
        block_size: int,
        skip: int,
    ) -> None:
        self.source, self.layout, self.resolved = source, layout, resolved
        self.raw, self.block_size, self.skip = raw, block_size, skip
        self.cursor = 0
        self._pending: list[InvalidRow] = []

    def _on_invalid(self, row: pa_csv.InvalidRow) -> str:
        # pyarrow numbers the records from 1, the header included; unknown (None) only
        # when parsing on several threads, which this reader never asks for.
        number = int(row.number) - (2 if self.layout.has_header else 1)
        detail = f"{row.actual_columns} fields, expected {row.expected_columns}: {row.text}"
        self._pending.append(
            InvalidRow(self.source.path, number, "", "wrong column count", shorten(detail, 60))
        )
        return "skip"

    def _reader(self) -> pa.RecordBatchReader:
        names = self.resolved.columns
        if self.raw:
            types = dict.fromkeys(names, pa.binary())
        else:
            numbers = (
                *self.resolved.scores,
                *(() if self.resolved.weight is None else (self.resolved.weight,)),
            )
            types = {**dict.fromkeys(numbers, pa.float64()), self.resolved.label: pa.string()}
        read_options = pa_csv.ReadOptions(
            use_threads=False,
            block_size=self.block_size,
            column_names=None if self.layout.has_header else list(self.layout.columns),
        )
        parse_options = pa_csv.ParseOptions(
            delimiter=self.layout.delimiter,
            newlines_in_values=True,
            invalid_row_handler=self._on_invalid,
        )
        convert_options = pa_csv.ConvertOptions(
            include_columns=list(names),
            column_types=types,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )
        where = self.source.stream if self.source.stream is not None else self.source.path
        return pa_csv.open_csv(
            where,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )

    def __iter__(self) -> Iterator[Piece]:
        integer_labels = self.resolved.label in self.layout.integer_columns
        with self._reader() as reader:
            for block in reader:
                count = block.num_rows
                # The rejected rows among this block's rows widen its range of row numbers.
                k = 0
                while k < len(self._pending) and self._pending[k].row < self.cursor + count + k:
                    k += 1
                rejected, self._pending = self._pending[:k], self._pending[k:]
                start, self.cursor = self.cursor, self.cursor + count + k
                if self.cursor <= self.skip:
                    continue  # delivered by an earlier pass
                rows = np.arange(start, self.cursor, dtype=np.int64)
                if rejected:
                    rows = rows[~np.isin(rows, [item.row for item in rejected])]
                first = int(np.searchsorted(rows, self.skip))
                columns = {name: block.column(name).slice(first) for name in self.resolved.columns}
                yield arrow_piece(
                    columns,
                    self.resolved,
                    rows[first:],
                    self.source.path,
                    integer_labels=integer_labels,
                    extra_invalid=[item for item in rejected if item.row >= self.skip],
                )
        if self._pending:  # rejected rows after the last good one
            trailing = [item for item in self._pending if item.row >= self.skip]
            self.cursor = self._pending[-1].row + 1
            empty = {name: pa.array([], pa.binary()) for name in self.resolved.columns}
            yield arrow_piece(
                empty,
                self.resolved,
                np.zeros(0, np.int64),
                self.source.path,
                extra_invalid=trailing,
            )


def csv_pieces(
    source: Source, layout: CsvLayout, resolved: ResolvedColumns, *, batch_rows: int
) -> Iterator[Piece]:
    """The pieces of a CSV/TSV source, in row order, with every rejected row."""
    missing = [name for name in resolved.columns if name not in layout.columns]
    if missing:
        msg = (
            f"{source.path}: column {missing[0]!r} not found; "
            f"columns are: {', '.join(layout.columns)}"
        )
        raise ValueError(msg)
    if source.stream is not None:
        source.stream.start_reading()
    raw = source.stream is not None
    block_size = _block_size(layout, batch_rows, stdin=source.stream is not None)
    delivered = 0
    while True:
        reading = _Pass(source, layout, resolved, raw=raw, block_size=block_size, skip=delivered)
        try:
            for piece in reading:
                yield piece
                delivered = max(delivered, reading.cursor)
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if source.stream is None and "straddl" in message and block_size < _MAX_BLOCK:
                block_size *= 4  # a row longer than the block: read again with larger ones
                continue
            if source.stream is None and not raw:
                raw = True  # a block pyarrow could not convert: read again, carefully
                continue
            msg = f"{source.path}: cannot read as CSV: {message}"
            raise ValueError(msg) from exc
        return
