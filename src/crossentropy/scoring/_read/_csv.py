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
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from crossentropy.scoring._read._arrow_columns import arrow_piece
from crossentropy.scoring._read._convert import INTEGER, NUMBER, Piece, shorten
from crossentropy.scoring._types import InvalidRow

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator

    from crossentropy.scoring._columns import ResolvedColumns
    from crossentropy.scoring._read._sources import Source

__all__ = ["CsvLayout", "csv_layout", "csv_line_numbers", "csv_pieces"]

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

    columns: tuple[str, ...]  # the header's names without surrounding whitespace
    file_columns: tuple[str, ...]  # the names as written (what pyarrow calls them)
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


_BOM = b"\xef\xbb\xbf"


def _guess_encoding(head: bytes) -> str:
    """What a file that is not UTF-8 is likely in, for the hint: UTF-16 by its BOM."""
    return "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "latin1"


def _check_header_text(source: Source, head: bytes, delimiter: str) -> None:
    """Refuse a header line that is not UTF-8, naming the byte, its offset and column."""
    start = len(_BOM) if head.startswith(_BOM) else 0
    end = head.find(b"\n", start)
    line = head[start : end if end >= 0 else len(head)]
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = line[: exc.start].count(delimiter.encode()) + 1
        cell = line.split(delimiter.encode())[column - 1]
        msg = (
            f"{source.path}: the header (line 1) is not valid UTF-8 text: byte "
            f"0x{line[exc.start]:02x} at byte offset {start + exc.start} of the file, in "
            f"column {column} ({shorten(cell, 40)}); re-encode the file as UTF-8 "
            f"(e.g. iconv -f {_guess_encoding(head)} -t utf-8)"
        )
        raise ValueError(msg) from None


def _header_names(source: Source, names: tuple[str, ...]) -> tuple[str, ...]:
    """The header's names without surrounding whitespace; refuse blank or repeated ones."""
    stripped = tuple(name.strip() for name in names)
    for j, name in enumerate(stripped):
        if not name:
            trailing = " (a delimiter at the end of the line?)" if j == len(names) - 1 else ""
            msg = (
                f"{source.path}: the header (line 1) has a blank name for column {j + 1} "
                f"(counting from 1), {names[j]!r}{trailing}; every column needs a name"
            )
            raise ValueError(msg)
        if name in stripped[:j]:
            other = stripped.index(name)
            msg = (
                f"{source.path}: the header (line 1) names columns {other + 1} and {j + 1} "
                f"(counting from 1) alike, {names[other]!r} and {names[j]!r}; column names "
                "must differ (surrounding spaces do not count)"
            )
            raise ValueError(msg)
    return stripped


def csv_layout(source: Source, *, has_header: bool | None = None) -> CsvLayout:
    """Parse the head of a CSV/TSV source: columns, header, sample, row sizes.

    ``has_header=None`` guesses: the first row is a header unless all its cells are
    numbers (or empty). Without a header the columns are named ``"0"``, ``"1"``, ...

    Header names are matched without their surrounding whitespace: ``label, p_a , p_b``
    has the columns ``label``, ``p_a`` and ``p_b``. A header that is not UTF-8, a blank
    name (``label,,p_b``, or a delimiter at the end of the line) and two names alike
    after stripping are refused (ValueError naming the line, the column's position
    counting from 1, and the name as written).
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
    if header:
        _check_header_text(source, head, delimiter)
        file_columns = tuple(first)
        columns = _header_names(source, file_columns)
    else:
        columns = file_columns = tuple(str(i) for i in range(len(first)))
    data = [row for row in rows[1 if header else 0 :] if len(row) == len(columns)]
    sample = {name: _sample_column([row[j] for row in data]) for j, name in enumerate(columns)}
    integers = frozenset(
        name for j, name in enumerate(columns) if _mostly([row[j] for row in data], _is_integer)
    )
    ends = np.flatnonzero(np.frombuffer(head, dtype=np.uint8) == ord("\n"))
    lengths = np.diff(ends, prepend=-1) if len(ends) else np.array([len(head)])
    return CsvLayout(
        columns=columns,
        file_columns=file_columns,
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


@contextmanager
def _quiet_undecodable_rows(source: Source) -> Iterator[None]:
    """Keep pyarrow's report of an undecodable malformed row off stderr; name the row.

    For a row with the wrong number of fields pyarrow decodes the row's text as UTF-8
    before it calls the invalid-row handler. When that text is not UTF-8 the handler is
    never called: Python prints the UnicodeDecodeError as "Exception ignored in ..." with
    a traceback, and the read stops with a parse error naming the row. The report is
    caught here (only that one; any other goes to the previous hook) and the parse
    error says what was wrong with the row.
    """
    caught: list[BaseException] = []
    previous = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        handler = getattr(unraisable.object, "__func__", None)
        if isinstance(unraisable.exc_value, UnicodeDecodeError) and handler is _Pass.on_invalid:
            caught.append(unraisable.exc_value)
            return
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    except pa.ArrowInvalid as exc:
        if not caught:
            raise
        msg = (
            f"{source.path}: cannot read it as CSV: {exc}; the row is not valid UTF-8 text "
            "either: re-encode the file as UTF-8"
        )
        raise ValueError(msg) from exc
    finally:
        sys.unraisablehook = previous


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

    def on_invalid(self, row: pa_csv.InvalidRow) -> str:
        # pyarrow numbers the records from 1, the header included; unknown (None) only
        # when parsing on several threads, which this reader never asks for.
        number = int(row.number) - (2 if self.layout.has_header else 1)
        detail = f"{row.actual_columns} fields, expected {row.expected_columns}: {row.text}"
        self._pending.append(
            InvalidRow(self.source.path, number, "", "wrong column count", shorten(detail, 60))
        )
        return "skip"

    def _file_name(self, name: str) -> str:
        """The column's name as written in the file (``" p_a "`` for ``p_a``)."""
        return self.layout.file_columns[self.layout.columns.index(name)]

    def _reader(self) -> pa.RecordBatchReader:
        names = [self._file_name(name) for name in self.resolved.columns]
        if self.raw:
            types = dict.fromkeys(names, pa.binary())
        else:
            numbers = (
                *self.resolved.scores,
                *(() if self.resolved.weight is None else (self.resolved.weight,)),
            )
            types = {
                **dict.fromkeys(map(self._file_name, numbers), pa.float64()),
                self._file_name(self.resolved.label): pa.string(),
            }
        read_options = pa_csv.ReadOptions(
            use_threads=False,
            block_size=self.block_size,
            column_names=None if self.layout.has_header else list(self.layout.columns),
        )
        parse_options = pa_csv.ParseOptions(
            delimiter=self.layout.delimiter,
            newlines_in_values=True,
            invalid_row_handler=self.on_invalid,
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
        with _quiet_undecodable_rows(self.source), self._reader() as reader:
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
                columns = {
                    name: block.column(self._file_name(name)).slice(first)
                    for name in self.resolved.columns
                }
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


def csv_line_numbers(source: Source, rows: Collection[int]) -> dict[int, int]:
    """The 1-based line of the file where each of the data ``rows`` (0-based) starts.

    What an editor shows: the header's line and blank lines count, and so does every
    newline inside a quoted field (a row of such fields spans several lines; its first
    is given). The file is read again with :mod:`csv` up to the last row asked for, so
    this is for error messages and a few examples, not for every row. Standard input
    cannot be read again: an empty dict (and for rows past the end of the file, or
    after text :mod:`csv` cannot parse, no entry).
    """
    wanted = sorted({int(row) for row in rows if row >= 0})
    if not wanted or source.stream is not None:
        return {}
    layout = csv_layout(source, has_header=source.has_header)
    found: dict[int, int] = {}
    with pa.input_stream(source.path) as stream:  # decompresses .gz, .bz2, ...
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text, delimiter=layout.delimiter)
        header, data, before, k = layout.has_header, -1, 0, 0
        try:
            for record in reader:
                start, before = before + 1, reader.line_num
                if not record:  # an empty line: pyarrow skips it, it is no data row
                    continue
                if header:
                    header = False
                    continue
                data += 1
                if data == wanted[k]:
                    found[data] = start
                    k += 1
                    if k == len(wanted):
                        break
        except csv.Error:  # a field past csv's size limit, ...: the lines found so far
            pass
    return found
