"""Reader fuzzing: malformed prediction files give a named error, exit 2, never a traceback.

Hypothesis starts from a small valid file of each format ``crossentropy score`` reads (CSV,
gzipped CSV, TSV, Parquet, Arrow IPC, ``.npy``, ``.npz`` stored and deflated) and breaks
it: byte-level mutations (truncation, overwritten, inserted and deleted bytes), cell-level
ones for the text formats (hostile cells: huge integers, ``1e400``, quotes, NUL and Latin-1
bytes, extra or missing delimiters, blank and padded header names), header-level ones for
``.npy`` (any shape, dtype and order the header can claim), and generated tables with odd
schemas (strings, booleans, dates, nulls, lists, repeated names) for the columnar formats.

Each file is scored through :func:`crossentropy.cli.main`, as the command line runs it,
with warnings raised as errors. The property: ``main`` returns 0 (the mutation left a
valid file) or 2, and on 2 it printed exactly one line to stderr, an error that names the
file or the flag; no exception escapes (an escaping exception is the traceback a user
would see) and no file is left beside the input.

Profiles as in ``tests/test_fuzz_losses.py``: ``CROSSENTROPY_FUZZ_EXAMPLES`` examples per
property (default 60), replayed from a fixed seed under ``CI=true``::

    CROSSENTROPY_FUZZ_EXAMPLES=2000 python -m pytest tests/test_reader_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import sys
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossentropy.cli import main

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

FUZZ_EXAMPLES = int(os.environ.get("CROSSENTROPY_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
N_ROWS = 12
CLASSES = ("a", "b", "c")
#: Extra flags a run may carry: the three ways of handling bad rows, and JSON output.
FLAGS = st.sampled_from([[], ["--json"], ["--on-invalid", "skip"], ["--on-invalid", "clip"]])


def _valid_columns() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(12)
    probs = rng.dirichlet(np.ones(len(CLASSES)), size=N_ROWS)
    return {
        "label": rng.integers(0, len(CLASSES), size=N_ROWS),
        **{f"p_{name}": probs[:, k] for k, name in enumerate(CLASSES)},
    }


def _csv_text(columns: dict[str, np.ndarray], sep: str = ",") -> str:
    rows = (
        sep.join(repr(float(v)) if v.dtype.kind == "f" else str(v) for v in values)
        for values in zip(*columns.values(), strict=True)
    )
    return "\n".join([sep.join(columns), *rows]) + "\n"


def _arrow_bytes(table: object, kind: str) -> bytes:
    sink = io.BytesIO()
    if kind == "parquet":
        pq.write_table(table, sink, row_group_size=5)
    else:
        with pa.ipc.new_file(sink, table.schema) as writer:  # type: ignore[attr-defined]
            writer.write_table(table)
    return sink.getvalue()


def _npz_bytes(arrays: dict[str, np.ndarray], *, compressed: bool) -> bytes:
    sink = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(sink, **arrays)
    return sink.getvalue()


def _base_files() -> dict[str, bytes]:
    columns = _valid_columns()
    text = _csv_text(columns)
    table = pa.table(columns)
    structured = np.zeros(N_ROWS, dtype=[("label", "<i8")] + [(f"p_{c}", "<f8") for c in CLASSES])
    for name, values in columns.items():
        structured[name] = values
    probs = np.column_stack([columns[f"p_{c}"] for c in CLASSES])
    npy = io.BytesIO()
    np.save(npy, structured)
    return {
        "a.csv": text.encode(),
        "a.csv.gz": gzip.compress(text.encode(), mtime=0),
        "a.tsv": _csv_text(columns, "\t").encode(),
        "a.parquet": _arrow_bytes(table, "parquet"),
        "a.arrow": _arrow_bytes(table, "ipc"),
        "a.npy": npy.getvalue(),
        "a.npz": _npz_bytes({"labels": columns["label"], "probs": probs}, compressed=False),
        "z.npz": _npz_bytes({"labels": columns["label"], "probs": probs}, compressed=True),
    }


BASE = _base_files()
TEXT_FILES = ("a.csv", "a.tsv")

#: Cells a hostile or broken export writes.
NASTY_CELLS = [
    "",
    " ",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e400",
    "-1e400",
    "-1",
    "3",
    "0.5",
    "1e-320",
    "18446744073709551621",
    "9223372036854775813",
    "-9223372036854775809",
    "9" * 400,
    '"',
    '"unterminated',
    '""',
    "a,b",
    "a\tb",
    "\x00",
    "\xe9",
    "\xff\xfe",
    "0x10",
    "1_000",
    " 0.5 ",
    "\r",
    "\n",
    "\r\n",
    "label",
    "p_a",
    "true",
    "None",
    "[1, 2]",
    "\u2014",
    "1,5",
]


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    flags: list[str]
    how: str

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        head = self.data[:300]
        return (
            f"Case({self.name!r}, {self.how}, flags={self.flags}, {len(self.data)} bytes {head!r})"
        )


@st.composite
def byte_mutations(draw: st.DrawFn, data: bytes) -> tuple[bytes, str]:
    """One to three byte-level edits of ``data``: the damage a disk, a copy or a cut does."""
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "overwrite", "insert", "delete", "duplicate"]))
        size = len(data)
        pos = draw(st.integers(0, max(size - 1, 0)))
        if kind == "truncate":
            data = data[:pos]
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data = data[:pos] + chunk + data[pos + len(chunk) :]
        elif kind == "insert":
            data = data[:pos] + draw(st.binary(min_size=1, max_size=16)) + data[pos:]
        elif kind == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 64)) :]
        else:
            stop = min(size, pos + draw(st.integers(1, 256)))
            data = data[:stop] + data[pos:stop] + data[stop:]
        steps.append(f"{kind}@{pos}")
        if not data:
            break
    return data, "+".join(steps)


@st.composite
def text_mutations(draw: st.DrawFn, data: bytes, sep: str) -> tuple[bytes, str]:
    """Hostile cells, header names and delimiters in a CSV/TSV file."""
    lines = data.decode().split("\n")[:-1]
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        row = draw(st.integers(0, len(lines) - 1))
        cells = lines[row].split(sep)
        kind = draw(st.sampled_from(["cell", "cell", "drop", "extra", "blank_line", "pad"]))
        col = draw(st.integers(0, len(cells) - 1))
        if kind == "cell":
            cells[col] = draw(st.sampled_from(NASTY_CELLS) | st.text(max_size=6))
        elif kind == "drop":
            del cells[col]
        elif kind == "extra":
            cells.insert(col, draw(st.sampled_from(NASTY_CELLS)))
        elif kind == "pad":
            cells[col] = f" {cells[col]} "
        lines[row] = sep.join(cells)
        if kind == "blank_line":
            lines.insert(row + 1, "")
        steps.append(f"{kind}@{row},{col}")
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace"), "+".join(steps) + f" {encoding}"


NPY_DESCRS = [
    "<f8",
    "<f4",
    "<f2",
    ">f8",
    "<i8",
    "<u8",
    "|u1",
    "|b1",
    "<c16",
    "|S3",
    "<U2",
    "|O",
    "<M8[D]",
    "<m8[s]",
    "|V8",
    "<f16",
]


@st.composite
def npy_headers(draw: st.DrawFn) -> tuple[bytes, str]:
    """A ``.npy`` file whose header claims any shape, dtype and order, over a body of any size."""
    dims = draw(st.lists(st.sampled_from([0, 1, 3, 4, 12, -1, 2**40, 2**62, 2**70]), max_size=3))
    descr = draw(
        st.sampled_from(NPY_DESCRS)
        | st.just("[('label', '<i8'), ('p_a', '<f8')]")
        | st.just("[('label', '|O'), ('p_a', '<f8')]")
        | st.just("[('', '<i8'), ('', '<f8')]")
    )
    quoted = descr if descr.startswith("[") else repr(descr)
    order = draw(st.sampled_from(["False", "True", "1", "'no'"]))
    shape = "(" + "".join(f"{d}, " for d in dims) + ")"
    header = f"{{'descr': {quoted}, 'fortran_order': {order}, 'shape': {shape}, }}"
    header = draw(st.sampled_from([header, header[:-3], header.replace("shape", "shap")]))
    encoded = header.encode("latin-1")
    pad = (-(10 + len(encoded) + 1)) % 64
    version = draw(st.sampled_from([b"\x01\x00", b"\x02\x00", b"\x09\x00"]))
    length = len(encoded) + pad + 1
    length_bytes = length.to_bytes(2 if version == b"\x01\x00" else 4, "little")
    body = draw(st.binary(max_size=200))
    data = b"\x93NUMPY" + version + length_bytes + encoded + b" " * pad + b"\n" + body
    return data, f"header {header!r} body {len(body)} bytes"


@st.composite
def odd_tables(draw: st.DrawFn) -> dict[str, object]:
    """Columns of any Arrow type under names that may be blank, padded or repeated."""
    names = draw(
        st.lists(
            st.sampled_from(["label", "p_a", "p_b", "p_c", "y", "logit", "weight", "", " p_a "]),
            min_size=1,
            max_size=5,
        )
    )
    n = draw(st.integers(0, 6))
    kinds = {
        "float": st.floats(allow_nan=True, allow_infinity=True) | st.none(),
        "int": st.integers(-(2**63), 2**63 - 1) | st.none(),
        "text": st.text(max_size=4) | st.none(),
        "bool": st.booleans() | st.none(),
        "null": st.none(),
        "list": st.lists(st.floats(0, 1), max_size=3) | st.none(),
    }
    columns: dict[str, object] = {}
    for i, name in enumerate(names):
        kind = draw(st.sampled_from(sorted(kinds)))
        columns[f"{name}\x00{i}"] = draw(st.lists(kinds[kind], min_size=n, max_size=n))
    return columns


def _table_file(columns: dict[str, object], kind: str) -> tuple[str, bytes]:
    if kind == "csv":  # CSV has no list type
        columns = {k: v for k, v in columns.items() if not any(isinstance(x, list) for x in v)}
        columns = columns or {"label\x000": []}
    names = [key.split("\x00")[0] for key in columns]
    arrays = [pa.array(values) for values in columns.values()]
    table = pa.Table.from_arrays(arrays, names=names)
    if kind == "csv":
        import pyarrow.csv as pacsv

        sink = io.BytesIO()
        pacsv.write_csv(table, sink)
        return "t.csv", sink.getvalue()
    if kind == "npz":
        sink = io.BytesIO()
        arrays_np = {}
        for i, (name, values) in enumerate(zip(names, columns.values(), strict=True)):
            array = np.asarray(values or [], dtype=object)
            if all(isinstance(v, str) for v in values):
                array = array.astype(str)  # text: a unicode array, as users save labels
            elif all(isinstance(v, (int, float)) for v in values):
                array = array.astype(float if any(isinstance(v, float) for v in values) else int)
            if array.dtype.kind != "O":  # objects would need pickle: the reader refuses them
                arrays_np[name or f"arr_{i}"] = array
        np.savez(sink, **arrays_np)
        return "t.npz", sink.getvalue()
    return ("t.parquet" if kind == "parquet" else "t.arrow"), _arrow_bytes(table, kind)


def _check(case: Case) -> int:
    """Score ``case`` as the command line does; hold it to the property; the exit status."""
    with tempfile.TemporaryDirectory() as root:
        path = Path(root) / case.name
        path.write_bytes(case.data)
        out, err = io.StringIO(), io.StringIO()
        unraisable: list[str] = []  # "Exception ignored in ...": a traceback on stderr
        previous = sys.unraisablehook
        sys.unraisablehook = lambda report: unraisable.append(repr(report.exc_value))
        try:
            with (
                warnings.catch_warnings(),
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
            ):
                warnings.simplefilter("error")
                code = main(["score", str(path), "--quiet", *case.flags])
        finally:
            sys.unraisablehook = previous
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        left = sorted(p.name for p in Path(root).iterdir())
    assert not unraisable, f"exceptions printed as 'Exception ignored': {unraisable}"
    assert "Traceback" not in err.getvalue(), err.getvalue()
    assert left == [case.name], f"files left beside the input: {left}"
    assert code in (0, 2), f"exit {code}, stderr {err.getvalue()!r}"
    if code == 2:
        assert len(lines) == 1, f"stderr is not one line: {lines}"
        [line] = lines
        assert line.startswith("crossentropy score: error: "), line
        assert "Traceback" not in line
        assert case.name in line or "--" in line, f"names neither the file nor a flag: {line}"
    return code


@FUZZ
@given(name=st.sampled_from(sorted(BASE)), flags=FLAGS, data=st.data())
def test_damaged_bytes_give_a_named_error(name: str, flags: list[str], data: st.DataObject) -> None:
    damaged, how = data.draw(byte_mutations(BASE[name]))
    _check(Case(name, damaged, flags, how))


@FUZZ
@given(name=st.sampled_from(TEXT_FILES), flags=FLAGS, data=st.data())
def test_hostile_cells_give_a_named_error(name: str, flags: list[str], data: st.DataObject) -> None:
    sep = "\t" if name.endswith(".tsv") else ","
    mutated, how = data.draw(text_mutations(BASE[name], sep))
    _check(Case(name, mutated, flags, how))


@FUZZ
@given(header=npy_headers(), flags=FLAGS)
def test_lying_npy_headers_give_a_named_error(header: tuple[bytes, str], flags: list[str]) -> None:
    data, how = header
    _check(Case("h.npy", data, flags, how))


@FUZZ
@given(
    header=npy_headers(),
    flags=FLAGS,
    compression=st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
)
def test_lying_npz_members_give_a_named_error(
    header: tuple[bytes, str], flags: list[str], compression: int
) -> None:
    data, how = header
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression) as archive:
        archive.writestr("labels.npy", data)
        good = io.BytesIO()
        np.save(good, np.full((N_ROWS, 3), 1 / 3))
        archive.writestr("probs.npy", good.getvalue())
    _check(Case("h.npz", sink.getvalue(), flags, how))


@FUZZ
@given(
    columns=odd_tables(),
    kind=st.sampled_from(["csv", "parquet", "ipc", "npz"]),
    flags=FLAGS,
)
def test_odd_schemas_give_a_named_error(
    columns: dict[str, object], kind: str, flags: list[str]
) -> None:
    name, data = _table_file(columns, kind)
    _check(Case(name, data, flags, f"columns {[k.split(chr(0))[0] for k in columns]}"))


def test_the_base_files_are_valid() -> None:
    """The property's starting points score cleanly: a failure above is the damage's."""
    for name, data in BASE.items():
        assert _check(Case(name, data, [], "unchanged")) == 0, name
