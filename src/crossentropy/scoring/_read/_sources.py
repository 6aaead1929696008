"""Where predictions come from: files, directories, glob patterns and standard input.

A :class:`Source` is one file (or standard input) and how to read it. Paths on the command
line expand to a list of sources that together form one dataset: a directory to the
prediction files in it, a glob pattern to its matches, ``"-"`` to standard input.

This module is the bottom of the readers: it imports none of them. ``Source`` is plain
data; how many rows a file holds is the reader registry's business
(:func:`crossentropy.scoring._read._registry.count_rows`). :attr:`Source.n_rows` (public)
asks the counter that the registry installs here with :func:`install_row_counter` when it
is imported, which every import of ``crossentropy.scoring._read`` does first, so the
imports point one way: registry -> format readers -> sources.
"""

from __future__ import annotations

import glob
import io
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Literal, get_args

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import ModuleType

    from _typeshed import WriteableBuffer

__all__ = [
    "STDIN",
    "FileFormat",
    "PeekableStream",
    "Source",
    "expand_sources",
    "format_of",
    "install_row_counter",
    "require_pyarrow",
]

#: How a source is read. ``"ipc"`` is Arrow IPC (``.arrow``, ``.feather``, ``.ipc``),
#: the file format or the stream format.
FileFormat = Literal["csv", "tsv", "parquet", "ipc", "npy", "npz"]

#: The name of standard input in messages and in :attr:`Batch.source`.
STDIN = "<stdin>"

_EXTENSIONS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "ipc",
    ".feather": "ipc",
    ".ipc": "ipc",
    ".npy": "npy",
    ".npz": "npz",
}
# Text formats may be compressed; pyarrow decompresses them by the file's extension.
_COMPRESSIONS = (".gz", ".bz2", ".zst", ".lz4")
_FORMAT_NAMES: dict[str, FileFormat] = {
    **{name: name for name in get_args(FileFormat)},
    "arrow": "ipc",
    "feather": "ipc",
    "pq": "parquet",
}
_EXPECTED = ".csv, .csv.gz, .tsv, .parquet, .pq, .arrow, .feather, .ipc, .npy or .npz"


def require_pyarrow(what: str = "CSV/Parquet/Arrow") -> ModuleType:
    """Import pyarrow, or raise an ImportError that names the extra to install."""
    try:
        import pyarrow as pa  # an optional dependency
    except ImportError as exc:
        msg = f"reading {what} needs pyarrow: pip install 'crossentropy[parquet]'"
        raise ImportError(msg) from exc
    module: ModuleType = pa
    return module


class PeekableStream(io.RawIOBase):
    """A one-pass binary stream (standard input) whose beginning can be looked at first.

    :meth:`peek_head` reads and keeps the first bytes; the first read then replays them
    before going on with the stream. The data can be read only once.
    """

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self._head = b""
        self._offset = 0
        self._reading = False

    def readable(self) -> bool:
        """Always true: the stream is read from."""
        return True

    def peek_head(self, size: int) -> bytes:
        """The first ``size`` bytes (fewer at the end of the stream), not consumed."""
        if self._reading:
            msg = f"{STDIN}: standard input has already been read; it can be read only once"
            raise ValueError(msg)
        while len(self._head) < size:
            chunk = self._raw.read(size - len(self._head))
            if not chunk:
                break
            self._head += chunk
        return self._head[:size]

    def start_reading(self) -> None:
        """Claim the stream for the one reading it allows."""
        if self._reading:
            msg = f"{STDIN}: standard input has already been read; it can be read only once"
            raise ValueError(msg)
        self._reading = True

    def readinto(self, buffer: WriteableBuffer) -> int:
        """Read into ``buffer``: the peeked head first, then the stream."""
        self._reading = True
        view = memoryview(buffer).cast("B")
        if self._offset < len(self._head):
            count = min(len(view), len(self._head) - self._offset)
            view[:count] = self._head[self._offset : self._offset + count]
            self._offset += count
            if self._offset == len(self._head):
                self._head, self._offset = b"", 0  # replayed: let it go
            return count
        data = self._raw.read(len(view))
        view[: len(data)] = data
        return len(data)


@dataclass(frozen=True)
class Source:
    """One file of predictions (or standard input) and how to read it.

    Attributes
    ----------
    path : str
        The path as given (or as found in a directory / by a glob), or ``"<stdin>"``.
    format : FileFormat
    has_header : bool or None
        CSV/TSV only: whether the first row names the columns; None guesses (a header
        unless the first row is all numbers).

    Sources of files are small and picklable; a standard-input source carries its stream
    and cannot leave the process.
    """

    path: str
    format: FileFormat
    has_header: bool | None = None
    stream: PeekableStream | None = field(default=None, compare=False, repr=False)

    @property
    def is_stdin(self) -> bool:
        """Whether this source is standard input."""
        return self.stream is not None

    @property
    def n_rows(self) -> int | None:
        """The number of data rows when the metadata says it, else None.

        Known for Parquet, ``.npy`` and ``.npz``; None for CSV, Arrow IPC, standard input.
        """
        counter = _ROW_COUNTER.get("count")
        if counter is None:  # only while crossentropy.scoring._read is being imported
            msg = "the reader registry (crossentropy.scoring._read) is not imported yet"
            raise RuntimeError(msg)
        return counter(self)

    def __reduce__(self) -> tuple[type[Source], tuple[str, FileFormat, bool | None]]:
        if self.stream is not None:
            msg = f"{STDIN}: standard input cannot be sent to another process; save it to a file"
            raise TypeError(msg)
        return (Source, (self.path, self.format, self.has_header))


#: The row counter of :attr:`Source.n_rows`, under the key ``"count"``; filled once by the
#: reader registry, which sits above this module (see the module docstring).
_ROW_COUNTER: dict[str, Callable[[Source], int | None]] = {}


def install_row_counter(counter: Callable[[Source], int | None]) -> None:
    """Make :attr:`Source.n_rows` ask ``counter`` (the reader registry calls this)."""
    _ROW_COUNTER["count"] = counter


def format_of(path: str) -> FileFormat | None:
    """The format a file's extension says (``.csv.gz`` is CSV), or None if it says none."""
    name = os.path.basename(path).lower()
    for compression in _COMPRESSIONS:
        if name.endswith(compression):
            stem = name[: -len(compression)]
            text_format = _EXTENSIONS.get(os.path.splitext(stem)[1])
            return text_format if text_format in {"csv", "tsv"} else None
    return _EXTENSIONS.get(os.path.splitext(name)[1])


def _check_format(file_format: str | None) -> FileFormat | None:
    if file_format is None:
        return None
    known_format = _FORMAT_NAMES.get(file_format.lower())
    if known_format is None:
        formats = ", ".join(get_args(FileFormat))
        msg = f"file_format must be one of {formats} (or arrow, feather, pq); got {file_format!r}"
        raise ValueError(msg)
    return known_format


def _file_source(path: str, file_format: FileFormat | None, has_header: bool | None) -> Source:
    path_format = file_format or format_of(path)
    if path_format is None:
        msg = (
            f"{path}: cannot tell the format from the file name; expected {_EXPECTED}, "
            "or pass file_format= (--format)"
        )
        raise ValueError(msg)
    return Source(path, path_format, has_header)


def _one_format(sources: list[Source], where: str) -> list[Source]:
    formats = sorted({source.format for source in sources})
    if len(formats) > 1:
        examples = ", ".join(
            f"{os.path.basename(next(s.path for s in sources if s.format == mixed))} ({mixed})"
            for mixed in formats
        )
        msg = f"{where} mixes file formats: {examples}; expected files of one format"
        raise ValueError(msg)
    return sources


def _directory_sources(
    path: str, file_format: FileFormat | None, has_header: bool | None
) -> list[Source]:
    sources = []
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        # Hidden and bookkeeping files (".part.crc", "_SUCCESS") are not predictions.
        if name.startswith((".", "_")) or not os.path.isfile(full):
            continue
        name_format = format_of(name)
        if name_format is not None and file_format in {None, name_format}:
            sources.append(Source(full, name_format, has_header))
    if not sources:
        wanted = f"{file_format} files" if file_format else f"files named *{_EXPECTED[1:]}"
        msg = f"{path}: the directory holds no prediction files; expected {wanted}"
        raise ValueError(msg)
    return _one_format(sources, f"{path}: the directory")


def _glob_sources(
    pattern: str, file_format: FileFormat | None, has_header: bool | None
) -> list[Source]:
    matches = [match for match in sorted(glob.glob(pattern)) if os.path.isfile(match)]
    if not matches:
        msg = f"{pattern}: the pattern matched no files"
        raise FileNotFoundError(msg)
    sources = [_file_source(match, file_format, has_header) for match in matches]
    return _one_format(sources, f"{pattern}: the pattern")


def expand_sources(
    paths: Sequence[str],
    *,
    file_format: str | None = None,
    has_header: bool | None = None,
    stdin: BinaryIO | None = None,
) -> list[Source]:
    """Expand paths, directories, glob patterns and ``"-"`` into the sources of one dataset.

    Parameters
    ----------
    paths : sequence of str
        Each a file, a directory (its ``*.parquet``, ``*.csv``, ... files, sorted; hidden
        files and files starting with ``_`` are skipped; all must have one format), a glob
        pattern (its sorted matches) or ``"-"`` for standard input (CSV unless
        ``file_format`` says otherwise).
    file_format : str, optional
        ``"csv"``, ``"tsv"``, ``"parquet"``, ``"ipc"`` (or ``"arrow"``, ``"feather"``),
        ``"npy"`` or ``"npz"``: overrides the file extensions.
    has_header : bool, optional
        CSV/TSV: whether the first row names the columns; None guesses.
    stdin : binary stream, optional
        What ``"-"`` reads; ``sys.stdin.buffer`` by default.

    Returns
    -------
    list of Source

    Raises
    ------
    FileNotFoundError
        A path does not exist, or a pattern matched nothing.
    ValueError
        An unknown extension, a directory without prediction files or with several
        formats, a file given twice, or ``"-"`` given twice.
    """
    if isinstance(paths, str):
        paths = [paths]
    checked_format = _check_format(file_format)
    sources: list[Source] = []
    for path in paths:
        if path == "-":
            if any(source.is_stdin for source in sources):
                msg = "'-' (standard input) is given twice; it can be read only once"
                raise ValueError(msg)
            stream = PeekableStream(stdin if stdin is not None else sys.stdin.buffer)
            sources.append(Source(STDIN, checked_format or "csv", has_header, stream))
        elif os.path.isdir(path):
            sources.extend(_directory_sources(path, checked_format, has_header))
        elif os.path.isfile(path):
            sources.append(_file_source(path, checked_format, has_header))
        elif glob.has_magic(path):
            sources.extend(_glob_sources(path, checked_format, has_header))
        else:
            msg = f"{path}: no such file or directory"
            raise FileNotFoundError(msg)
    seen: set[str] = set()
    for source in sources:
        key = source.path if source.is_stdin else os.path.realpath(source.path)
        if key in seen:
            msg = f"{source.path}: the file is given twice; each file is read once"
            raise ValueError(msg)
        seen.add(key)
    if not sources:
        msg = "no paths given; expected files, directories, glob patterns or '-'"
        raise ValueError(msg)
    return sources
