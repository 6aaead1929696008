"""NumPy prediction files, ``.npy`` and ``.npz``, in bounded memory and never with pickle.

``.npy``: one 2-D numeric array whose columns are named by position (``"0"``, ``"1"``,
...; select with e.g. ``--label 0 --probs 1:``), or a 1-D structured array whose fields
are the columns. A file is memory-mapped and sliced; standard input is streamed.

``.npz``: arrays named like columns (``labels``, ``probs``, ``weights``, or ``p_cat``,
``p_dog``, ...), of one length; a 2-D array of shape ``(n, K)`` is a matrix column
holding all K scores. Members are never decompressed whole: the ``.npy`` header of each
is parsed, then rows are read from the member's stream a batch at a time.

Arrays holding Python objects would need pickle to load, which this module never does: it
reads each header first and refuses them with a message saying so.
"""

from __future__ import annotations

import ast
import functools
import io
import math
import os
import struct
import tokenize
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

import numpy as np

from crossentropy.scoring._read._convert import (
    Problems,
    check_weights,
    floats_from_numpy,
    labels_from_numpy,
    make_piece,
    score_dtype,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from crossentropy.scoring._columns import ResolvedColumns
    from crossentropy.scoring._read._convert import Piece
    from crossentropy.scoring._read._sources import Source

__all__ = [
    "ArrayHeader",
    "NumpyLayout",
    "npy_layout",
    "npy_pieces",
    "npz_layout",
    "npz_pieces",
    "numpy_sample",
]

_MAX_HEADER = 1 << 20
_HEADER_PEEK = 1 << 16


@dataclass(frozen=True)
class ArrayHeader:
    """What a ``.npy`` header says."""

    shape: tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype

    @property
    def width(self) -> int:
        """Values per row."""
        return math.prod(self.shape[1:])


@dataclass(frozen=True)
class NumpyLayout:
    """The columns of a NumPy source: names, matrix widths and row count."""

    columns: tuple[str, ...]
    widths: dict[str, int]  # matrix columns only
    n_rows: int | None  # None when the arrays disagree


def _read_exact(fp: IO[bytes], size: int, where: str) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = fp.read(size - len(data))
        if not chunk:
            msg = f"{where}: the data ends early, after {len(data)} of {size} bytes (truncated?)"
            raise ValueError(msg)
        data += chunk
    return bytes(data)


def _header_v3(fp: IO[bytes], where: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Format 3.0 (a UTF-8 header); NumPy's public readers stop at 2.0."""
    (length,) = struct.unpack("<I", _read_exact(fp, 4, where))
    fields = ast.literal_eval(_read_exact(fp, length, where).decode("utf-8"))  # literals only
    dtype = np.lib.format.descr_to_dtype(fields["descr"])
    return tuple(fields["shape"]), bool(fields["fortran_order"]), dtype


def _checked_shape(shape: object, where: str) -> tuple[int, ...]:
    """The shape a header declares: a tuple of integers >= 0 (NumPy checks only the type)."""
    if not isinstance(shape, tuple) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in shape
    ):
        msg = f"{where}: not a NumPy .npy array (its header declares shape {shape!r})"
        raise ValueError(msg)
    if any(n < 0 for n in shape):
        msg = f"{where}: the header declares shape {shape}, with a negative dimension (damaged)"
        raise ValueError(msg)
    return shape


def read_header(fp: IO[bytes], where: str, *, size: int | None = None) -> ArrayHeader:
    """Parse a ``.npy`` header; refuse arrays of Python objects (they need pickle).

    ``size``: the bytes of the whole array file (a file's size, a ``.npz`` member's
    uncompressed size), when known: a header that declares more data than the file holds
    after it (a truncated file, a damaged or forged shape) is refused here, naming the
    shape and the sizes, before anything is mapped or allocated.
    """
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp, _MAX_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp, _MAX_HEADER)
        elif version == (3, 0):
            shape, fortran, dtype = _header_v3(fp, where)
        else:
            msg = f"format version {version[0]}.{version[1]}; versions 1.0, 2.0 and 3.0 exist"
            raise ValueError(msg)
    except (
        ValueError,
        SyntaxError,
        KeyError,
        TypeError,
        UnicodeDecodeError,
        tokenize.TokenError,  # a header cut inside its dict: "EOF in multi-line statement"
        RecursionError,  # a header of deeply nested brackets
    ) as exc:
        msg = f"{where}: not a NumPy .npy array ({exc})"
        raise ValueError(msg) from exc
    shape = _checked_shape(shape, where)
    if dtype.hasobject:
        msg = (
            f"{where} holds Python objects (dtype {dtype}); loading them would need pickle, "
            "which crossentropy never uses: save numbers or strings (e.g. labels.astype(str))"
        )
        raise ValueError(msg)
    header = ArrayHeader(shape, bool(fortran), dtype)
    if size is not None:
        _check_data_size(header, size - fp.tell(), where)
    return header


def _check_data_size(header: ArrayHeader, available: int, where: str) -> None:
    """Refuse a header that declares more data than the ``available`` bytes after it."""
    needed = math.prod(header.shape) * header.dtype.itemsize
    if needed > available:
        msg = (
            f"{where}: the header declares shape {header.shape} of {header.dtype} "
            f"({needed} bytes of data), but the file holds {max(available, 0)} bytes after "
            "its header: it is truncated, or its header is damaged"
        )
        raise ValueError(msg)


def _skip(fp: IO[bytes], size: int, where: str) -> None:
    if size and fp.seekable():
        fp.seek(size, 1)
        return
    while size:
        size -= len(_read_exact(fp, min(size, 1 << 22), where))


@contextmanager
def _archive_errors(where: str) -> Iterator[None]:
    """A damaged ``.npz`` member (bad CRC, deflate data or offsets, cut short) as a ValueError."""
    try:
        yield
    except (FileNotFoundError, PermissionError):
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        struct.error,
        OSError,
    ) as exc:
        msg = f"{where}: cannot read it from the archive ({exc}); the .npz file is damaged"
        raise ValueError(msg) from exc


class _RowStream:
    """Rows of one ``.npy`` array read from a binary stream, a chunk at a time."""

    def __init__(self, opener: Callable[[], IO[bytes]], where: str, *, once: bool) -> None:
        with _archive_errors(where):
            self._open(opener, where, once=once)

    def _open(self, opener: Callable[[], IO[bytes]], where: str, *, once: bool) -> None:
        self.where = where
        first = opener()
        self.header = header = read_header(first, where)
        self._streams = [first]
        if header.fortran_order and header.width > 1:  # column-major: one stream per column
            if once:
                msg = f"{where}: a Fortran-order array cannot be streamed; save it C-ordered"
                raise ValueError(msg)
            step = header.shape[0] * header.dtype.itemsize
            for j in range(1, header.width):
                fp = opener()
                read_header(fp, where)
                _skip(fp, j * step, where)
                self._streams.append(fp)

    def read(self, count: int) -> np.ndarray:
        """The next ``count`` rows, shape ``(count, *row_shape)``."""
        with _archive_errors(self.where):
            return self._read(count)

    def _read(self, count: int) -> np.ndarray:
        header, itemsize = self.header, self.header.dtype.itemsize
        if len(self._streams) == 1:
            data = _read_exact(self._streams[0], count * header.width * itemsize, self.where)
            return np.frombuffer(data, dtype=header.dtype).reshape(count, *header.shape[1:])
        columns = [
            np.frombuffer(_read_exact(fp, count * itemsize, self.where), dtype=header.dtype)
            for fp in self._streams
        ]
        return np.stack(columns, axis=1).reshape(count, *header.shape[1:])

    def close(self) -> None:
        """Close the member streams."""
        for fp in self._streams:
            fp.close()


# --------------------------------------------------------------------------- .npy


def _npy_header(source: Source) -> ArrayHeader:
    if source.stream is not None:
        return read_header(io.BytesIO(source.stream.peek_head(_HEADER_PEEK)), source.path)
    with open(source.path, "rb") as fp:
        return read_header(fp, source.path, size=os.fstat(fp.fileno()).st_size)


def _npy_columns(header: ArrayHeader, where: str) -> tuple[tuple[str, ...], dict[str, int]]:
    fields = header.dtype.fields
    if fields is not None and len(header.shape) == 1:
        widths = {}
        for name, (dtype, *_) in fields.items():
            if dtype.fields is not None:
                msg = f"{where}: field {name!r} is itself structured; expected plain fields"
                raise ValueError(msg)
            if math.prod(dtype.shape) > 1:
                widths[name] = math.prod(dtype.shape)
        return tuple(fields), widths
    if fields is None and len(header.shape) == 2:
        return tuple(str(j) for j in range(header.shape[1])), {}
    msg = (
        f"{where}: an array of shape {header.shape} and dtype {header.dtype}; expected a 2-D "
        "array (rows x columns, columns named 0, 1, ...) or a 1-D structured array"
    )
    raise ValueError(msg)


def npy_layout(source: Source) -> NumpyLayout:
    """The columns of a ``.npy`` source."""
    header = _npy_header(source)
    columns, widths = _npy_columns(header, source.path)
    return NumpyLayout(columns, widths, header.shape[0])


def _npy_getter(chunk: np.ndarray) -> Callable[[str], np.ndarray]:
    if chunk.dtype.fields is not None:
        return lambda name: chunk[name]
    return lambda name: chunk[:, int(name)]


def npy_pieces(
    source: Source,
    resolved: ResolvedColumns,
    *,
    batch_rows: int,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[Piece]:
    """The pieces of a ``.npy`` source (rows ``start:stop``), in row order."""
    layout = npy_layout(source)
    _check_columns(source.path, layout, resolved.columns)
    n_rows = layout.n_rows or 0
    stop = n_rows if stop is None else min(stop, n_rows)
    if source.stream is not None:
        stream = source.stream
        stream.start_reading()
        rows = _RowStream(lambda: io.BufferedReader(stream), source.path, once=True)
        for first in range(0, stop, batch_rows):
            chunk = rows.read(min(batch_rows, stop - first))
            yield _numpy_piece(_npy_getter(chunk), resolved, first, len(chunk), source.path)
        return
    if start >= stop:
        return
    array = np.load(source.path, mmap_mode="r", allow_pickle=False)
    for first in range(start, stop, batch_rows):
        chunk = array[first : min(first + batch_rows, stop)]
        yield _numpy_piece(_npy_getter(chunk), resolved, first, len(chunk), source.path)


# --------------------------------------------------------------------------- .npz


def _npz_file(source: Source) -> zipfile.ZipFile:
    if source.stream is not None:
        msg = f"{source.path}: .npz cannot be read from standard input; save it to a file"
        raise ValueError(msg)
    try:
        return zipfile.ZipFile(source.path)
    except (FileNotFoundError, PermissionError):
        raise
    except (zipfile.BadZipFile, OSError, struct.error) as exc:  # OSError: offsets past the file
        msg = f"{source.path}: not an .npz file ({exc})"
        raise ValueError(msg) from exc


def _npz_headers(source: Source, archive: zipfile.ZipFile) -> dict[str, ArrayHeader]:
    headers = {}
    for member in archive.namelist():
        if member.endswith(".npy"):
            name = member[: -len(".npy")]
            where = f"{source.path}: array {name!r}"
            with _archive_errors(where), archive.open(member) as fp:
                headers[name] = read_header(fp, where, size=archive.getinfo(member).file_size)
    return headers


def npz_layout(source: Source) -> NumpyLayout:
    """The columns of an ``.npz`` file: its 1-D and 2-D arrays."""
    with _npz_file(source) as archive:
        headers = _npz_headers(source, archive)
    columns = tuple(name for name, header in headers.items() if len(header.shape) in {1, 2})
    widths = {name: headers[name].width for name in columns if headers[name].width > 1}
    lengths = {headers[name].shape[0] for name in columns}
    return NumpyLayout(columns, widths, lengths.pop() if len(lengths) == 1 else None)


def npz_pieces(source: Source, resolved: ResolvedColumns, *, batch_rows: int) -> Iterator[Piece]:
    """The pieces of an ``.npz`` file, in row order."""
    with _npz_file(source) as archive:
        headers = _npz_headers(source, archive)
        layout = NumpyLayout(tuple(headers), {}, None)
        _check_columns(source.path, layout, resolved.columns)
        lengths = {name: headers[name].shape[0] for name in resolved.columns}
        if len(set(lengths.values())) > 1:
            found = ", ".join(f"{name} {n}" for name, n in lengths.items())
            msg = f"{source.path}: the arrays have different lengths: {found}; expected one"
            raise ValueError(msg)
        n_rows = lengths[resolved.label]
        streams = {
            name: _RowStream(
                functools.partial(archive.open, f"{name}.npy"),
                f"{source.path}: array {name!r}",
                once=False,
            )
            for name in resolved.columns
        }
        try:
            for first in range(0, n_rows, batch_rows):
                count = min(batch_rows, n_rows - first)
                chunk = {name: stream.read(count) for name, stream in streams.items()}
                yield _numpy_piece(chunk.__getitem__, resolved, first, count, source.path)
        finally:
            for stream in streams.values():
                stream.close()


def numpy_sample(source: Source, rows: int) -> dict[str, np.ndarray]:
    """The first ``rows`` rows of each column of a ``.npy``/``.npz`` source."""
    if source.format == "npy":
        header = _npy_header(source)
        columns, _ = _npy_columns(header, source.path)
        if source.stream is not None:
            head = io.BytesIO(
                source.stream.peek_head(_HEADER_PEEK + rows * header.width * header.dtype.itemsize)
            )
            stream = _RowStream(lambda: head, source.path, once=True)
            count = min(rows, header.shape[0])
            try:
                chunk = stream.read(count)
            except ValueError:
                return {}
        else:
            chunk = np.load(source.path, mmap_mode="r", allow_pickle=False)[:rows]
        get = _npy_getter(chunk)
        return {name: _sample_values(get(name)) for name in columns}
    sample = {}
    with _npz_file(source) as archive:
        for name, header in _npz_headers(source, archive).items():
            if len(header.shape) not in {1, 2}:
                continue
            stream = _RowStream(
                functools.partial(archive.open, f"{name}.npy"),
                f"{source.path}: array {name!r}",
                once=False,
            )
            try:
                sample[name] = _sample_values(stream.read(min(rows, header.shape[0])))
            finally:
                stream.close()
    return sample


def _sample_values(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.dtype.kind == "S":  # bytes: decoded only to detect columns with
        return np.array([v.decode("utf-8", "replace") for v in values.tolist()], dtype=object)
    if values.dtype.kind == "U":
        return values.astype(object)
    return np.array(values)


# --------------------------------------------------------------------------- shared


def _check_columns(where: str, layout: NumpyLayout, wanted: Sequence[str]) -> None:
    missing = [name for name in wanted if name not in layout.columns]
    if missing:
        msg = f"{where}: column {missing[0]!r} not found; columns are: {', '.join(layout.columns)}"
        raise ValueError(msg)


def _numpy_piece(
    get: Callable[[str], np.ndarray] | Mapping[str, np.ndarray],
    resolved: ResolvedColumns,
    first: int,
    count: int,
    where: str,
) -> Piece:
    column = get if callable(get) else get.__getitem__
    problems = Problems(count)
    labels = labels_from_numpy(
        column(resolved.label).reshape(count), resolved.label, problems, where
    )
    arrays = [np.asarray(column(name)).reshape(count, -1) for name in resolved.scores]
    dtype = score_dtype(array.dtype for array in arrays)
    if resolved.binary:
        scores = floats_from_numpy(arrays[0].reshape(count), resolved.scores[0], where, dtype)
    elif len(arrays) == 1:
        scores = floats_from_numpy(arrays[0], resolved.scores[0], where, dtype)
    else:
        scores = np.empty((count, len(arrays)), dtype=dtype)
        for j, (name, array) in enumerate(zip(resolved.scores, arrays, strict=True)):
            scores[:, j] = floats_from_numpy(array.reshape(count), name, where, dtype)
    weight = None
    if resolved.weight is not None:
        values = column(resolved.weight).reshape(count)
        weight = floats_from_numpy(values, resolved.weight, where, np.dtype(np.float64))
        check_weights(weight, resolved.weight, problems)
    rows = np.arange(first, first + count, dtype=np.int64)
    return make_piece(where, rows, labels=labels, scores=scores, weight=weight, problems=problems)
