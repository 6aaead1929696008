"""The file readers of ``crossentropy score``: sources, columns, batches, bad rows, partitions."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import sys
import tracemalloc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from crossentropy.scoring._columns import (
    ColumnSpec,
    ResolvedColumns,
    resolve_columns,
    select_columns,
)
from crossentropy.scoring._read import (
    Partition,
    count_rows,
    expand_sources,
    partitions,
    peek,
    peek_columns,
    read_batches,
    read_partition,
    resolve_dataset_columns,
    sample_rows,
)
from crossentropy.scoring._read._sources import Source, format_of, require_pyarrow
from crossentropy.scoring._types import Batch, InvalidRow

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

pa = pytest.importorskip("pyarrow")
pa_csv = pytest.importorskip("pyarrow.csv")
pa_ipc = pytest.importorskip("pyarrow.ipc")
pq = pytest.importorskip("pyarrow.parquet")

N_ROWS, N_CLASSES = 53, 3
BATCH_SIZES = [1, 7, 100_000]


# --------------------------------------------------------------------------- helpers


@dataclass
class Data:
    labels: np.ndarray
    probs: np.ndarray
    weights: np.ndarray


@dataclass
class Read:
    rows: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    weights: np.ndarray | None
    invalid: list[InvalidRow]
    batches: list[Batch]


def make_data(n: int = N_ROWS, k: int = N_CLASSES, seed: int = 0) -> Data:
    rng = np.random.default_rng(seed)
    probs = rng.random((n, k))
    probs /= probs.sum(axis=1, keepdims=True)
    return Data(rng.integers(0, k, n), probs, rng.random(n) + 0.5)


def collect(batches: Iterable[Batch]) -> Read:
    got = list(batches)
    assert all(isinstance(batch, Batch) for batch in got)
    weights = [b.sample_weight for b in got]
    return Read(
        rows=np.concatenate([b.rows for b in got]) if got else np.zeros(0, np.int64),
        labels=np.concatenate([b.labels for b in got]) if got else np.zeros(0),
        scores=np.concatenate([b.scores for b in got]) if got else np.zeros(0),
        weights=None if not got or weights[0] is None else np.concatenate(weights),
        invalid=[item for b in got for item in b.invalid],
        batches=got,
    )


def check_batches(read: Read, batch_rows: int) -> None:
    """Exactly batch_rows readable rows per batch but the last; contiguous scores."""
    sizes = [len(b.rows) for b in read.batches]
    assert all(size == batch_rows for size in sizes[:-1])
    assert 1 <= sizes[-1] <= batch_rows
    for batch in read.batches:
        assert batch.scores.flags.c_contiguous
        assert batch.rows.dtype == np.int64
        assert len(batch.labels) == len(batch.rows) == batch.scores.shape[0]


def check_accounting(read: Read, n_rows: int) -> None:
    """Readable rows plus invalid rows are exactly the data rows, each once."""
    every = sorted([*read.rows.tolist(), *(item.row for item in read.invalid)])
    assert every == list(range(n_rows))


def write_csv(
    path: os.PathLike[str] | str, data: Data, *, header: bool = True, sep: str = ","
) -> None:
    lines = [sep.join(["y", "p_a", "p_b", "p_c", "weight"])] if header else []
    for label, row, weight in zip(data.labels, data.probs, data.weights, strict=True):
        lines.append(sep.join([str(label), *(repr(float(v)) for v in row), repr(float(weight))]))
    with open(path, "w", encoding="utf-8") as fp:
        fp.write("\n".join(lines) + "\n")


def table(data: Data, dtype: Any = None) -> Any:
    probs = data.probs if dtype is None else data.probs.astype(dtype)
    return pa.table(
        {
            "y": data.labels,
            **{f"p_{name}": probs[:, j] for j, name in enumerate("abc")},
            "weight": data.weights,
        }
    )


def one(path: str | Path, **kwargs: Any) -> Source:
    [source] = expand_sources([str(path)], **kwargs)
    return source


def assert_same(read: Read, data: Data, *, weights: bool = True) -> None:
    np.testing.assert_array_equal(read.rows, np.arange(len(data.labels)))
    np.testing.assert_array_equal(read.labels, data.labels)
    assert read.labels.dtype == np.int64
    np.testing.assert_array_equal(read.scores, data.probs)
    if weights:
        assert read.weights is not None
        np.testing.assert_array_equal(read.weights, data.weights)
    assert read.invalid == []


# --------------------------------------------------------------------------- sources


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", "csv"),
        ("a.CSV", "csv"),
        ("a.csv.gz", "csv"),
        ("a.tsv.bz2", "tsv"),
        ("a.tsv", "tsv"),
        ("a.parquet", "parquet"),
        ("a.pq", "parquet"),
        ("a.arrow", "ipc"),
        ("a.feather", "ipc"),
        ("a.ipc", "ipc"),
        ("a.npy", "npy"),
        ("a.npz", "npz"),
        ("a.parquet.gz", None),
        ("a.txt", None),
    ],
)
def test_format_of(name: str, expected: str | None) -> None:
    assert format_of(name) == expected


def test_expand_sources(tmp_path: Path) -> None:
    root = tmp_path
    data = make_data()
    parts = root / "parts"
    parts.mkdir()
    for i in (2, 0, 1):
        pq.write_table(table(data), parts / f"part-{i}.parquet")
    (parts / "_SUCCESS").write_text("")
    (parts / ".part-0.parquet.crc").write_text("")
    found = expand_sources([str(parts)])
    assert [os.path.basename(s.path) for s in found] == [f"part-{i}.parquet" for i in range(3)]
    assert {s.format for s in found} == {"parquet"}

    write_csv(root / "a.csv", data)
    write_csv(root / "b.csv", data)
    globbed = expand_sources([str(root / "*.csv")])
    assert [os.path.basename(s.path) for s in globbed] == ["a.csv", "b.csv"]
    with pytest.raises(FileNotFoundError, match=r"q\*\.csv: the pattern matched no files"):
        expand_sources([str(root / "q*.csv")])
    with pytest.raises(FileNotFoundError, match=r"nope\.csv: no such file"):
        expand_sources([str(root / "nope.csv")])
    (root / "x.txt").write_text("y,p\n")
    with pytest.raises(ValueError, match=r"x\.txt: cannot tell the format"):
        expand_sources([str(root / "x.txt")])
    assert expand_sources([str(root / "x.txt")], file_format="csv")[0].format == "csv"
    with pytest.raises(ValueError, match="file_format must be one of"):
        expand_sources([str(root / "x.txt")], file_format="xlsx")
    with pytest.raises(ValueError, match="given twice"):
        expand_sources([str(root / "a.csv"), str(root / "*.csv")])

    mixed = root / "mixed"
    mixed.mkdir()
    write_csv(mixed / "a.csv", data)
    pq.write_table(table(data), mixed / "b.parquet")
    with pytest.raises(
        ValueError, match=r"mixed: the directory mixes file formats: a\.csv \(csv\)"
    ):
        expand_sources([str(mixed)])
    empty = root / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="empty: the directory holds no prediction files"):
        expand_sources([str(empty)])

    stdin = expand_sources(["-"], stdin=io.BytesIO(b""))
    assert stdin[0].path == "<stdin>"
    assert stdin[0].format == "csv"
    assert stdin[0].is_stdin
    with pytest.raises(ValueError, match=r"standard input.*twice"):
        expand_sources(["-", "-"], stdin=io.BytesIO(b""))


def test_sources_and_partitions_pickle(tmp_path: Path) -> None:
    path = os.path.join(str(tmp_path), "a.parquet")
    pq.write_table(table(make_data()), path, row_group_size=20)
    source = one(path)
    assert pickle.loads(pickle.dumps(source)) == source
    parts = partitions(source)
    assert pickle.loads(pickle.dumps(parts)) == parts
    stdin = expand_sources(["-"], stdin=io.BytesIO(b"y,p\n1,0.5\n"))[0]
    with pytest.raises(TypeError, match="standard input cannot be sent"):
        pickle.dumps(stdin)
    with pytest.raises(ValueError, match="standard input cannot be read in parallel"):
        partitions(stdin)


# --------------------------------------------------------------------------- selection


NAMES = ["y", "p_a", "p_b", "p_c", "w"]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ("p_a", ("p_a",)),
        ("p_c,p_a", ("p_c", "p_a")),
        ("p_a, p_b ,p_c", ("p_a", "p_b", "p_c")),
        ("p_*", ("p_a", "p_b", "p_c")),
        ("p_[ab]", ("p_a", "p_b")),
        ("p_a..p_c", ("p_a", "p_b", "p_c")),
        ("p_b..p_b", ("p_b",)),
        ("1:4", ("p_a", "p_b", "p_c")),
        ("3:", ("p_c", "w")),
        (":2", ("y", "p_a")),
        ("-2:", ("p_c", "w")),
        ("::2", ("y", "p_b", "w")),
        ("0", ("y",)),
        ("-1", ("w",)),
        ("y,2:4", ("y", "p_b", "p_c")),
    ],
)
def test_select_columns(selection: str, expected: tuple[str, ...]) -> None:
    assert select_columns(selection, NAMES) == expected


def test_select_columns_names_win_over_syntax() -> None:
    names = ["0", "1:2", "a..b", "x*", "a", "b"]
    assert select_columns("1:2", names) == ("1:2",)
    assert select_columns("a..b", names) == ("a..b",)
    assert select_columns("x*", names) == ("x*",)
    assert select_columns("0", names) == ("0",)


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ("q_*", "preds.csv: --probs: column 'q_\\*' matched nothing; columns are: y, a, b"),
        ("z", "preds.csv: --probs: column 'z' not found; columns are: y, a, b"),
        ("a..z", "column 'z' \\(in 'a..z'\\) not found"),
        ("b..a", "'b' comes after 'a'"),
        ("5:", "selects no column; there are 3 columns"),
        ("7", "position 7 is out of range"),
        ("a,a", "column 'a' is selected twice"),
        ("a,", "an empty item"),
        ("::0", "step of a range of positions cannot be 0"),
    ],
)
def test_select_columns_errors(selection: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        select_columns(selection, ["y", "a", "b"], option="--probs", source="preds.csv")


@pytest.mark.parametrize(
    ("names", "classes"),
    [
        (["p_cat", "p_dog"], ("cat", "dog")),
        (["prob_cat", "prob_cow"], ("cat", "cow")),
        (["p_10", "p_11", "p_12"], ("10", "11", "12")),
        (["p10", "p11"], ("10", "11")),
        (["pcat", "pdog"], ("pcat", "pdog")),
        (["p", "p_x"], ("p", "p_x")),
        (["logit.a", "logit.b"], ("a", "b")),
        (["1", "2", "3"], ("0", "1", "2")),
    ],
)
def test_class_names(names: list[str], classes: tuple[str, ...]) -> None:
    resolved = resolve_columns(ColumnSpec(label="y", probs=",".join(names)), ["y", *names])
    assert resolved.classes == classes


def test_explicit_classes() -> None:
    names = ["y", "a", "b"]
    resolved = resolve_columns(ColumnSpec(probs="a,b", classes=("neg", "pos")), names)
    assert resolved.classes == ("neg", "pos")
    with pytest.raises(ValueError, match="3 class names given for 2 score columns"):
        resolve_columns(ColumnSpec(probs="a,b", classes=("x", "y", "z")), names)
    binary = resolve_columns(ColumnSpec(prob="a"), names)
    assert binary.classes == ("0", "1")
    assert binary.kind == "probability"
    assert binary.binary
    named = resolve_columns(ColumnSpec(logit="a", classes=("ham", "spam")), names)
    assert (named.kind, named.classes) == ("logit", ("ham", "spam"))
    with pytest.raises(ValueError, match="distinct"):
        ColumnSpec(classes=("a", "a"))
    with pytest.raises(ValueError, match="give only one of"):
        ColumnSpec(probs="a", logits="b")


# --------------------------------------------------------------------------- detection


def numbers(*columns: list[float]) -> list[np.ndarray]:
    return [np.asarray(column, dtype=np.float64) for column in columns]


def test_detect_families_and_description() -> None:
    names = ["species", "p_setosa", "p_versicolor", "p_virginica"]
    # No column is named like a label, but once the scores are found one column is left.
    assert resolve_columns(ColumnSpec(), names).label == "species"
    with pytest.raises(ValueError, match="no label column found"):
        resolve_columns(ColumnSpec(), [*names, "fold"])
    resolved = resolve_columns(ColumnSpec(), ["Label", *names[1:]])
    assert resolved == ResolvedColumns(
        "Label",
        ("p_setosa", "p_versicolor", "p_virginica"),
        "probabilities",
        None,
        ("setosa", "versicolor", "virginica"),
        "auto-detected: label 'Label', probabilities p_setosa..p_virginica "
        "(3 classes: setosa, versicolor, virginica)",
    )
    given = resolve_columns(ColumnSpec(label="species"), names)
    assert given.description == (
        "given: label 'species'; auto-detected: probabilities p_setosa..p_virginica "
        "(3 classes: setosa, versicolor, virginica)"
    )
    logits = resolve_columns(ColumnSpec(), ["y_true", "logits_0", "logits_1", "sample_weight"])
    assert (logits.kind, logits.scores, logits.weight) == (
        "logits",
        ("logits_0", "logits_1"),
        "sample_weight",
    )
    assert logits.classes == ("0", "1")
    assert logits.columns == ("y_true", "logits_0", "logits_1", "sample_weight")
    assert logits.description.endswith("weight 'sample_weight'")
    many = resolve_columns(ColumnSpec(), ["target", *(f"p_{i}" for i in range(12))])
    assert "12 classes: 0, 1, 2, 3, 4, ..., 10, 11" in many.description


@pytest.mark.parametrize(
    ("names", "kind", "score"),
    [
        (["y", "p"], "probability", "p"),
        (["label", "y_score"], "probability", "y_score"),
        (["target", "Prob"], "probability", "Prob"),
        (["truth", "logit"], "logit", "logit"),
        (["class", "pred"], "probability", "pred"),
    ],
)
def test_detect_binary(names: list[str], kind: str, score: str) -> None:
    resolved = resolve_columns(ColumnSpec(), names)
    assert (resolved.kind, resolved.scores, resolved.classes) == (kind, (score,), ("0", "1"))
    assert "positive-class" in resolved.description


def test_detect_remaining_numeric_columns() -> None:
    names = ["y", "a", "b", "c"]
    probs = {
        "y": np.array([0.0, 1.0]),
        **dict(zip("abc", numbers([0.2, 0.1], [0.3, 0.1], [0.5, 0.8]), strict=True)),
    }
    resolved = resolve_columns(ColumnSpec(), names, probs)
    assert (resolved.kind, resolved.scores, resolved.classes) == (
        "probabilities",
        ("a", "b", "c"),
        ("a", "b", "c"),
    )
    assert "the other numeric columns; rows sum to 1" in resolved.description
    logits = {**probs, "c": np.array([3.0, -1.0])}
    assert resolve_columns(ColumnSpec(), names, logits).kind == "logits"
    off = {**probs, "c": np.array([0.5, 0.7])}  # in [0, 1] but a row sums to 0.9
    assert resolve_columns(ColumnSpec(), names, off).kind == "logits"
    within = {**probs, "c": np.array([0.5 + 5e-4, 0.8])}
    assert resolve_columns(ColumnSpec(), names, within).kind == "probabilities"
    single = resolve_columns(ColumnSpec(), ["y", "a"], {"y": np.array([1.0]), "a": np.array([0.3])})
    assert single.kind == "probability"
    text = {**probs, "c": np.array(["x", "y"], dtype=object)}
    with pytest.raises(ValueError, match="found no score columns"):
        resolve_columns(ColumnSpec(), names, text)
    with pytest.raises(ValueError, match="found no score columns"):
        resolve_columns(ColumnSpec(), names)  # no sample: cannot tell


def test_detect_skips_text_columns() -> None:
    names = ["y", "pred_label", "p_cat", "p_dog"]
    sample = {
        "y": np.array(["cat"], dtype=object),
        "pred_label": np.array(["dog"], dtype=object),
        "p_cat": np.array([0.4]),
        "p_dog": np.array([0.6]),
    }
    resolved = resolve_columns(ColumnSpec(), names, sample)
    assert resolved.scores == ("p_cat", "p_dog")
    # Without a sample, pred_label joins no family (one member), so the p_ family wins.
    assert resolve_columns(ColumnSpec(), names).scores == ("p_cat", "p_dog")


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["y", "target", "p_a", "p_b"], "several columns could be the label: y, target.*--label"),
        (
            ["y", "p_a", "p_b", "logit_a", "logit_b"],
            (
                r"cannot tell which columns hold the scores: "
                r"p_a, p_b \(probabilities\) or logit_a, logit_b \(logits\)"
            ),
        ),
        (["y", "p_a", "p_b", "score"], "cannot tell which columns hold the scores"),
        (["y", "weight", "weights", "p"], "several columns could be the sample weight"),
        (["a", "b"], "no label column found .*columns are: a, b; choose with --label, --probs"),
    ],
)
def test_detect_ambiguity(names: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_columns(ColumnSpec(), names, source="f.csv")


def test_partly_explicit_selection() -> None:
    names = ["id", "truth", "p_a", "p_b", "weight", "w2"]
    resolved = resolve_columns(ColumnSpec(label="truth", weight="w2"), names)
    assert (resolved.label, resolved.scores, resolved.weight) == ("truth", ("p_a", "p_b"), "w2")
    assert resolved.description.startswith("given: label 'truth', weight 'w2'; auto-detected:")
    no_weight = resolve_columns(ColumnSpec(label="truth", weight=""), names)
    assert no_weight.weight is None
    explicit = resolve_columns(ColumnSpec(label="1", logits="p_*"), names)
    assert (explicit.label, explicit.kind) == ("truth", "logits")
    with pytest.raises(ValueError, match="selected as the label and as a score"):
        resolve_columns(ColumnSpec(label="p_a", probs="p_*"), names)
    with pytest.raises(ValueError, match="selected as the weight and as a score"):
        resolve_columns(ColumnSpec(weight="p_a", probs="p_*"), names)
    with pytest.raises(ValueError, match="selects one column"):
        resolve_columns(ColumnSpec(probs="p_a"), names)
    with pytest.raises(ValueError, match="selects 2 columns; expected one binary"):
        resolve_columns(ColumnSpec(prob="p_*"), names)
    with pytest.raises(ValueError, match="duplicate column names: a"):
        resolve_columns(ColumnSpec(), ["y", "a", "a"])


def test_matrix_columns_from_npz_sample() -> None:
    sample = {"labels": np.array([0, 2]), "probs": np.full((2, 3), 1 / 3)}
    resolved = resolve_columns(ColumnSpec(), ["labels", "probs"], sample)
    assert (resolved.scores, resolved.kind, resolved.classes) == (
        ("probs",),
        "probabilities",
        ("0", "1", "2"),
    )
    logits = resolve_columns(ColumnSpec(), ["y", "logits"], {"logits": np.zeros((1, 4))})
    assert (logits.kind, logits.n_classes) == ("logits", 4)
    with pytest.raises(ValueError, match="must be selected alone"):
        resolve_columns(ColumnSpec(probs="probs,x"), ["y", "probs", "x"], widths={"probs": 3})


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("batch_rows", BATCH_SIZES)
def test_csv_round_trip(tmp_path: Path, batch_rows: int) -> None:
    data = make_data()
    path = os.path.join(str(tmp_path), "a.csv")
    write_csv(path, data)
    source = one(path)
    read = collect(read_batches(source, ColumnSpec(), batch_rows=batch_rows))
    assert_same(read, data)
    check_batches(read, batch_rows)
    assert read.batches[0].kind == "probabilities"
    assert read.batches[0].source == path
    assert read.scores.dtype == np.float64


@pytest.mark.parametrize("batch_rows", BATCH_SIZES)
def test_csv_without_header_tsv_and_gzip(tmp_path: Path, batch_rows: int) -> None:
    data = make_data()
    root = str(tmp_path)
    write_csv(os.path.join(root, "plain.csv"), data, header=False)
    source = one(os.path.join(root, "plain.csv"))
    assert peek_columns(source) == ["0", "1", "2", "3", "4"]
    spec = ColumnSpec(label="0", probs="1:4", weight="4")
    assert_same(collect(read_batches(source, spec, batch_rows=batch_rows)), data)

    write_csv(os.path.join(root, "a.tsv"), data, sep="\t")
    tsv = one(os.path.join(root, "a.tsv"))
    assert_same(collect(read_batches(tsv, ColumnSpec(), batch_rows=batch_rows)), data)

    write_csv(os.path.join(root, "a.csv"), data)
    with (
        open(os.path.join(root, "a.csv"), "rb") as fp,
        gzip.open(os.path.join(root, "a.csv.gz"), "wb") as out,
    ):
        out.write(fp.read())
    gz = one(os.path.join(root, "a.csv.gz"))
    assert_same(collect(read_batches(gz, ColumnSpec(), batch_rows=batch_rows)), data)


def test_csv_header_guess(tmp_path: Path) -> None:
    root = str(tmp_path)
    path = os.path.join(root, "a.csv")
    with open(path, "w", encoding="utf-8") as fp:
        fp.write("1,0.25,0.75\n0,0.5,0.5\n")
    assert peek_columns(one(path)) == ["0", "1", "2"]
    assert peek_columns(one(path, has_header=True)) == ["1", "0.25", "0.75"]
    read = collect(read_batches(one(path), ColumnSpec(label="0", probs="1:")))
    np.testing.assert_array_equal(read.labels, [1, 0])
    forced = collect(read_batches(one(path), ColumnSpec(label="0", probs="1:"), has_header=True))
    np.testing.assert_array_equal(forced.rows, [0])  # the first line is the header
    with open(path, "w", encoding="utf-8-sig") as fp:  # a byte-order mark
        fp.write("y,p_a,p_b\n1,0.25,0.75\n")
    assert peek_columns(one(path)) == ["y", "p_a", "p_b"]
    assert len(collect(read_batches(one(path), ColumnSpec())).rows) == 1
    with open(path, "w", encoding="utf-8") as fp:
        fp.write("y,p_a,p_b\n")
    assert collect(read_batches(one(path), ColumnSpec(probs="p_*"))).batches == []
    with open(path, "w", encoding="utf-8") as fp:
        fp.write("")
    with pytest.raises(ValueError, match=r"a\.csv: the file is empty"):
        peek_columns(one(path))


def test_csv_string_labels_and_sample(tmp_path: Path) -> None:
    path = os.path.join(str(tmp_path), "a.csv")
    with open(path, "w", encoding="utf-8") as fp:
        fp.write('species,p_setosa,p_virginica\nsetosa,0.9,0.1\n"virginica, really",0.2,0.8\n')
    source = one(path)
    sample = sample_rows(source)
    assert sample["species"].dtype == object
    np.testing.assert_array_equal(sample["p_setosa"], [0.9, 0.2])
    read = collect(read_batches(source, ColumnSpec(label="species")))
    assert read.labels.dtype == object
    assert read.labels.tolist() == ["setosa", "virginica, really"]


@pytest.mark.parametrize("batch_rows", BATCH_SIZES)
def test_parquet_round_trip(tmp_path: Path, batch_rows: int) -> None:
    data = make_data()
    path = os.path.join(str(tmp_path), "a.parquet")
    pq.write_table(table(data), path, row_group_size=10)
    source = one(path)
    assert count_rows(source) == N_ROWS
    assert source.n_rows == N_ROWS
    read = collect(read_batches(source, ColumnSpec(), batch_rows=batch_rows))
    assert_same(read, data)
    check_batches(read, batch_rows)

    pq.write_table(table(data, np.float32), path, row_group_size=10)
    single = collect(read_batches(one(path), ColumnSpec(), batch_rows=batch_rows))
    assert single.scores.dtype == np.float32
    np.testing.assert_array_equal(single.scores, data.probs.astype(np.float32))
    assert single.weights is not None
    assert single.weights.dtype == np.float64


def test_parquet_directory_and_glob(tmp_path: Path) -> None:
    root = str(tmp_path)
    os.mkdir(os.path.join(root, "ds"))
    datas = [make_data(n, seed=n) for n in (5, 11, 2)]
    for i, data in enumerate(datas):
        pq.write_table(table(data), os.path.join(root, "ds", f"part-{i}.parquet"), row_group_size=4)
    sources = expand_sources([os.path.join(root, "ds")])
    resolved = resolve_dataset_columns(sources)
    for source, data in zip(sources, datas, strict=True):
        assert_same(collect(read_batches(source, resolved, batch_rows=3)), data)
    globbed = expand_sources([os.path.join(root, "ds", "part-[01].parquet")])
    assert len(globbed) == 2
    odd = make_data(4)
    pq.write_table(table(odd).drop_columns(["weight"]), os.path.join(root, "ds", "part-3.parquet"))
    with pytest.raises(
        ValueError,
        match=r"part-3.parquet: its columns differ from those of .*part-0.parquet: lacks weight",
    ):
        resolve_dataset_columns(expand_sources([os.path.join(root, "ds")]))


@pytest.mark.parametrize("batch_rows", BATCH_SIZES)
def test_arrow_ipc_file_and_stream(tmp_path: Path, batch_rows: int) -> None:
    data = make_data()
    tab = table(data)
    root = str(tmp_path)
    with (
        pa.OSFile(os.path.join(root, "a.arrow"), "wb") as sink,
        pa_ipc.new_file(sink, tab.schema) as writer,
    ):
        writer.write_table(tab, max_chunksize=8)
    with (
        pa.OSFile(os.path.join(root, "s.arrow"), "wb") as sink,
        pa_ipc.new_stream(sink, tab.schema) as writer,
    ):
        writer.write_table(tab, max_chunksize=20)
    for name in ("a.arrow", "s.arrow"):
        read = collect(
            read_batches(one(os.path.join(root, name)), ColumnSpec(), batch_rows=batch_rows)
        )
        assert_same(read, data)
        check_batches(read, batch_rows)
    for name in ("a.arrow", "s.arrow"):  # standard input: the stream, or the file format's
        with open(os.path.join(root, name), "rb") as fp:
            [stdin] = expand_sources(["-"], file_format="arrow", stdin=io.BytesIO(fp.read()))
        assert peek_columns(stdin) == ["y", "p_a", "p_b", "p_c", "weight"]
        assert_same(collect(read_batches(stdin, ColumnSpec(), batch_rows=batch_rows)), data)


@pytest.mark.parametrize("batch_rows", BATCH_SIZES)
def test_npy_round_trip(tmp_path: Path, batch_rows: int) -> None:
    data = make_data()
    root = str(tmp_path)
    matrix = np.column_stack([data.labels, data.probs, data.weights])
    np.save(os.path.join(root, "a.npy"), matrix)
    source = one(os.path.join(root, "a.npy"))
    assert peek_columns(source) == ["0", "1", "2", "3", "4"]
    assert count_rows(source) == N_ROWS
    spec = ColumnSpec(label="0", probs="1:4", weight="4")
    read = collect(read_batches(source, spec, batch_rows=batch_rows))
    assert_same(read, data)  # float labels that are integers become class positions
    check_batches(read, batch_rows)
    assert read.batches[0].scores.shape[1] == 3

    np.save(os.path.join(root, "f.npy"), np.asfortranarray(matrix.astype(np.float32)))
    read32 = collect(read_batches(one(os.path.join(root, "f.npy")), spec, batch_rows=batch_rows))
    assert read32.scores.dtype == np.float32
    np.testing.assert_array_equal(read32.scores, data.probs.astype(np.float32))

    structured = np.zeros(N_ROWS, dtype=[("y", "<i4"), ("probs", ">f8", (3,)), ("w", "<f4")])
    structured["y"], structured["probs"], structured["w"] = data.labels, data.probs, data.weights
    np.save(os.path.join(root, "s.npy"), structured)
    source_s = one(os.path.join(root, "s.npy"))
    assert peek_columns(source_s) == ["y", "probs", "w"]
    read_s = collect(read_batches(source_s, ColumnSpec(weight="w"), batch_rows=batch_rows))
    assert_same(read_s, data, weights=False)
    assert read_s.weights is not None
    np.testing.assert_array_equal(read_s.weights, data.weights.astype(np.float32))

    with open(os.path.join(root, "a.npy"), "rb") as fp:
        [stdin] = expand_sources(["-"], file_format="npy", stdin=io.BytesIO(fp.read()))
    assert_same(collect(read_batches(stdin, spec, batch_rows=batch_rows)), data)


@pytest.mark.parametrize("batch_rows", BATCH_SIZES)
@pytest.mark.parametrize("compressed", [False, True])
def test_npz_round_trip(tmp_path: Path, batch_rows: int, compressed: bool) -> None:
    data = make_data()
    save = np.savez_compressed if compressed else np.savez
    path = os.path.join(str(tmp_path), "a.npz")
    save(
        path,
        labels=data.labels,
        probs=data.probs,
        weights=data.weights,
        classes=np.array(["a", "b", "c"]),
    )
    source = one(path)
    resolved = resolve_dataset_columns([source])
    assert (resolved.label, resolved.scores, resolved.weight) == ("labels", ("probs",), "weights")
    assert count_rows(source) is None  # "classes" has another length
    read = collect(read_batches(source, resolved, batch_rows=batch_rows))
    assert_same(read, data)
    check_batches(read, batch_rows)

    save(
        path,
        y=data.labels.astype(str),
        p_a=data.probs[:, 0],
        p_b=data.probs[:, 1],
        p_c=np.asfortranarray(data.probs)[:, 2],
        logits=np.asfortranarray(np.log(data.probs)),
    )
    by_column = collect(read_batches(one(path), ColumnSpec(probs="p_*"), batch_rows=batch_rows))
    assert by_column.labels.tolist() == data.labels.astype(str).tolist()
    np.testing.assert_array_equal(by_column.scores, data.probs)
    fortran = collect(
        read_batches(one(path), ColumnSpec(label="y", logits="logits"), batch_rows=batch_rows)
    )
    np.testing.assert_array_equal(fortran.scores, np.log(data.probs))


@pytest.mark.parametrize("batch_rows", BATCH_SIZES)
def test_stdin_csv(batch_rows: int) -> None:
    data = make_data()
    buffer = io.StringIO()
    write_csv_to = buffer.write
    write_csv_to("y,p_a,p_b,p_c,weight\n")
    for label, row, weight in zip(data.labels, data.probs, data.weights, strict=True):
        write_csv_to(",".join([str(label), *map(repr, row.tolist()), repr(float(weight))]) + "\n")
    [stdin] = expand_sources(["-"], stdin=io.BytesIO(buffer.getvalue().encode()))
    resolved = resolve_dataset_columns([stdin])
    assert_same(collect(read_batches(stdin, resolved, batch_rows=batch_rows)), data)
    with pytest.raises(ValueError, match="can be read only once"):
        list(read_batches(stdin, resolved))


# --------------------------------------------------------------------------- bad rows


BAD_CSV = (
    "y,p_a,p_b\n"
    "0,0.25,0.75\n"  # 0 fine
    "1,0.5\n"  # 1 wrong column count (too few)
    "1,abc,0.5\n"  # 2 not a number
    ",0.5,0.5\n"  # 3 missing label
    "1,,0.5\n"  # 4 missing score
    "0,0.1,0.9,7\n"  # 5 wrong column count (too many)
    '"1",nan,inf\n'  # 6 fine: NaN and inf are the accumulator's business
    "\n"  # an empty line is no data row
    "1,-0.5,1.5\n"  # 7 fine: so are negative numbers
    "1.5,0.5,0.5\n"  # 8 not an integer label
    "0, 0.5 ,0.5\n"  # 9 fine: spaces around a number
    "x,0.5,0.5\n"  # 10 not a number (an integer label column)
)
BAD_EXPECTED = [
    (1, "", "wrong column count"),
    (2, "p_a", "not a number"),
    (3, "y", "missing value"),
    (4, "p_a", "missing value"),
    (5, "", "wrong column count"),
    (8, "y", "not an integer"),
    (10, "y", "not a number"),
]


@pytest.mark.parametrize("batch_rows", [1, 3, 1000])
def test_csv_bad_rows(tmp_path: Path, batch_rows: int) -> None:
    path = os.path.join(str(tmp_path), "bad.csv")
    with open(path, "w", encoding="utf-8") as fp:
        fp.write(BAD_CSV)
    read = collect(read_batches(one(path), ColumnSpec(), batch_rows=batch_rows))
    assert [(i.row, i.column, i.reason) for i in read.invalid] == BAD_EXPECTED
    assert all(i.source == path for i in read.invalid)
    assert read.invalid[1].detail == "abc"
    assert read.invalid[0].detail == "2 fields, expected 3: 1,0.5"
    assert read.rows.tolist() == [0, 6, 7, 9]
    assert read.labels.tolist() == [0, 1, 1, 0]
    np.testing.assert_array_equal(read.scores[1:3], [[np.nan, np.inf], [-0.5, 1.5]])
    check_accounting(read, 11)
    assert "row 2, column p_a: not a number (abc)" in read.invalid[1].describe()


def test_csv_bad_rows_from_stdin() -> None:
    [stdin] = expand_sources(["-"], stdin=io.BytesIO(BAD_CSV.encode()))
    read = collect(read_batches(stdin, ColumnSpec(), batch_rows=2))
    assert [(i.row, i.column, i.reason) for i in read.invalid] == BAD_EXPECTED
    check_accounting(read, 11)


def test_csv_bad_rows_without_header(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("1,0.5,0.5\n0,0.5\n1,x,0.5\n0,0.2,0.8\n", encoding="utf-8")
    read = collect(read_batches(one(path), ColumnSpec(label="0", probs="1:"), batch_rows=1))
    assert [(i.row, i.column, i.reason) for i in read.invalid] == [
        (1, "", "wrong column count"),
        (2, "1", "not a number"),
    ]
    assert read.rows.tolist() == [0, 3]


def test_csv_undecodable_text_and_quoted_newlines(tmp_path: Path) -> None:
    path = os.path.join(str(tmp_path), "bytes.csv")
    with open(path, "wb") as fp:
        fp.write(
            b"y,p_a,p_b\n"
            b"cat,0.5,0.5\n"
            b"d\xffg,0.5,0.5\n"  # 1 undecodable label
            b"cat,0.\xff,0.5\n"  # 2 undecodable number
            b'"two\nlines",0.5,0.5\n'  # 3 fine, one data row
            b"cat,0.5\n"  # 4 wrong column count: numbered by records, not lines
            b"dog,0.1,0.9\n"  # 5
        )
    read = collect(read_batches(one(path), ColumnSpec(label="y"), batch_rows=2))
    assert [(i.row, i.column, i.reason) for i in read.invalid] == [
        (1, "y", "undecodable text"),
        (2, "p_a", "undecodable text"),
        (4, "", "wrong column count"),
    ]
    assert read.labels.tolist() == ["cat", "two\nlines", "dog"]
    assert read.rows.tolist() == [0, 3, 5]


def test_csv_late_bad_value_is_read_again_without_duplicates(tmp_path: Path) -> None:
    """The fast pass delivers blocks, then meets an unparsable value; the careful pass
    must skip what was delivered and still report every bad row once."""
    n = 30_000
    rng = np.random.default_rng(1)
    labels, probs = rng.integers(0, 2, n), rng.random(n)
    lines = ["y,p"] + [f"{label},{float(p)!r}" for label, p in zip(labels, probs, strict=True)]
    bad = {5: "5,0.5,0.5", 20_000: "1,oops", 29_000: "1,0.5,x"}
    for row, text in bad.items():
        lines[row + 1] = text
    path = os.path.join(str(tmp_path), "late.csv")
    with open(path, "w", encoding="utf-8") as fp:
        fp.write("\n".join(lines) + "\n")
    read = collect(read_batches(one(path), ColumnSpec(), batch_rows=4096))
    assert [(i.row, i.reason) for i in read.invalid] == [
        (5, "wrong column count"),
        (20_000, "not a number"),
        (29_000, "wrong column count"),
    ]
    check_accounting(read, n)
    good = np.setdiff1d(np.arange(n), list(bad))
    np.testing.assert_array_equal(read.rows, good)
    np.testing.assert_array_equal(read.scores, probs[good])
    np.testing.assert_array_equal(read.labels, labels[good])


def test_csv_row_longer_than_a_block(tmp_path: Path) -> None:
    """A row far longer than those of the head: read again with larger blocks."""
    n = 70_000
    lines = ["label,p"] + [f"a,{i / n!r}" for i in range(n)]
    lines[65_001] = '"' + "x" * 300_000 + '",0.5'  # after the sampled first megabyte
    lines[66_001] = "a,zzz"
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = collect(read_batches(one(path), ColumnSpec(), batch_rows=16))
    assert [(i.row, i.reason) for i in read.invalid] == [(66_000, "not a number")]
    check_accounting(read, n)
    assert read.labels[65_000] == "x" * 300_000
    np.testing.assert_array_equal(read.scores[:65_000], np.arange(65_000) / n)


def test_arrow_bad_values(tmp_path: Path) -> None:
    path = os.path.join(str(tmp_path), "bad.parquet")
    tab = pa.table(
        {
            "label": pa.array([0.0, 1.0, None, 1.5, float("nan"), 2.0]),
            "p_a": pa.array(["0.5", "abc", "0.1", "0.2", "0.3", None]),
            "p_b": pa.array([0.5, 0.5, 0.5, None, 0.5, 0.5], pa.float32()),
            "weight": pa.array([1, 2, 3, 4, 5, 6], pa.int8()),
        }
    )
    pq.write_table(tab, path, row_group_size=4)
    read = collect(read_batches(one(path), ColumnSpec(probs="p_*"), batch_rows=2))
    assert [(i.row, i.column, i.reason) for i in read.invalid] == [
        (1, "p_a", "not a number"),
        (2, "label", "missing value"),
        (3, "label", "not an integer"),
        (4, "label", "missing value"),
        (5, "p_a", "missing value"),
    ]
    assert read.rows.tolist() == [0]
    assert read.labels.tolist() == [0]
    assert read.scores.dtype == np.float64  # text and float32: float64
    assert read.weights is not None
    assert read.weights.tolist() == [1.0]
    check_accounting(read, 6)

    pq.write_table(
        pa.table({"y": pa.array([1, 2]), "p_a": pa.array([[1.0], [2.0]]), "p_b": [0.0, 1.0]}), path
    )
    with pytest.raises(
        ValueError, match=r"bad\.parquet: column 'p_a' holds list<.*>; expected numbers"
    ):
        list(read_batches(one(path), ColumnSpec(probs="p_*")))


def test_numpy_labels_and_missing_values(tmp_path: Path) -> None:
    path = os.path.join(str(tmp_path), "a.npz")
    np.savez(path, y=np.array([0.0, np.nan, 1.0, 2.5]), p=np.array([0.1, 0.2, np.nan, 0.4]))
    read = collect(read_batches(one(path), ColumnSpec(), batch_rows=3))
    assert [(i.row, i.column, i.reason) for i in read.invalid] == [
        (1, "y", "missing value"),
        (3, "y", "not an integer"),
    ]
    assert read.rows.tolist() == [0, 2]
    np.testing.assert_array_equal(read.scores, [0.1, np.nan])  # NaN scores pass through
    check_accounting(read, 4)
    assert read.batches[0].kind == "probability"
    assert read.scores.ndim == 1


def test_never_pickle(tmp_path: Path) -> None:
    root = str(tmp_path)
    objects = np.array([[0, 0.5], [1, "x"]], dtype=object)
    np.save(os.path.join(root, "o.npy"), objects, allow_pickle=True)
    with pytest.raises(ValueError, match=r"o\.npy holds Python objects .*pickle"):
        peek_columns(one(os.path.join(root, "o.npy")))
    np.savez(os.path.join(root, "o.npz"), y=np.arange(2), p=objects[:, 1])
    with pytest.raises(ValueError, match=r"o\.npz: array 'p' holds Python objects"):
        list(read_batches(one(os.path.join(root, "o.npz")), ColumnSpec()))


def test_missing_columns_and_wrong_files(tmp_path: Path) -> None:
    root = str(tmp_path)
    data = make_data()
    write_csv(os.path.join(root, "a.csv"), data)
    other = ResolvedColumns("y", ("p_a", "p_z"), "probabilities", None, ("a", "z"))
    with pytest.raises(ValueError, match=r"a\.csv: column 'p_z' not found; columns are: y, p_a"):
        list(read_batches(one(os.path.join(root, "a.csv")), other))
    with open(os.path.join(root, "fake.parquet"), "w", encoding="utf-8") as fp:
        fp.write("y,p\n")
    with pytest.raises(ValueError, match=r"fake\.parquet"):
        peek_columns(one(os.path.join(root, "fake.parquet")))
    with pytest.raises(ValueError, match="batch_rows must be a positive integer"):
        list(read_batches(one(os.path.join(root, "a.csv")), ColumnSpec(), batch_rows=0))
    wrong_k = ResolvedColumns("y", ("p_a", "p_b"), "probabilities", None, ("a", "b", "c"))
    with pytest.raises(ValueError, match="the scores have 2 columns; expected 3"):
        list(read_batches(one(os.path.join(root, "a.csv")), wrong_k))


def test_pyarrow_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = str(tmp_path)
    data = make_data()
    np.save(os.path.join(root, "a.npy"), np.column_stack([data.labels, data.probs]))
    write_csv(os.path.join(root, "a.csv"), data)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install 'crossentropy\[parquet\]'"):
        require_pyarrow()
    with pytest.raises(ImportError, match="reading CSV/Parquet/Arrow needs pyarrow"):
        peek_columns(one(os.path.join(root, "a.csv")))
    read = collect(
        read_batches(one(os.path.join(root, "a.npy")), ColumnSpec(label="0", probs="1:"))
    )
    np.testing.assert_array_equal(read.scores, data.probs)


# --------------------------------------------------------------------------- partitions


def test_partitions_reproduce_the_sequential_read(tmp_path: Path) -> None:
    data = make_data(101)
    root = str(tmp_path)
    pq.write_table(table(data), os.path.join(root, "a.parquet"), row_group_size=30)
    np.save(os.path.join(root, "a.npy"), np.column_stack([data.labels, data.probs, data.weights]))
    write_csv(os.path.join(root, "a.csv"), data)
    cases = [
        ("a.parquet", ColumnSpec(), {}),
        ("a.npy", ColumnSpec(label="0", probs="1:4", weight="4"), {"rows_per_partition": 40}),
        ("a.csv", ColumnSpec(), {}),
    ]
    for name, spec, options in cases:
        source = one(os.path.join(root, name))
        parts = partitions(source, **options)
        whole = collect(read_batches(source, spec, batch_rows=16))
        pieces = [
            collect(read_partition(pickle.loads(pickle.dumps(p)), spec, batch_rows=16))
            for p in parts
        ]
        np.testing.assert_array_equal(np.concatenate([p.rows for p in pieces]), whole.rows)
        np.testing.assert_array_equal(np.concatenate([p.scores for p in pieces]), whole.scores)
        np.testing.assert_array_equal(np.concatenate([p.labels for p in pieces]), whole.labels)
        assert_same(whole, data)
        assert sum(p.n_rows or 0 for p in parts) in {0, 101}
    assert [
        (p.row_start, p.row_stop, p.row_group)
        for p in partitions(one(os.path.join(root, "a.parquet")))
    ] == [(0, 30, 0), (30, 60, 1), (60, 90, 2), (90, 101, 3)]
    assert [
        (p.row_start, p.row_stop)
        for p in partitions(one(os.path.join(root, "a.npy")), rows_per_partition=40)
    ] == [(0, 40), (40, 80), (80, 101)]
    assert partitions(one(os.path.join(root, "a.csv"))) == [
        Partition(one(os.path.join(root, "a.csv")), 0)
    ]


# --------------------------------------------------------------------------- memory


def _peak_while_reading(source: Source, spec: ColumnSpec, batch_rows: int) -> tuple[int, int, int]:
    """(rows read, peak pyarrow bytes, peak traced Python/NumPy bytes) while streaming."""
    rows, arrow_peak = 0, 0
    baseline = pa.total_allocated_bytes()
    tracemalloc.start()
    try:
        for batch in read_batches(source, spec, batch_rows=batch_rows):
            rows += len(batch.rows)
            arrow_peak = max(arrow_peak, pa.total_allocated_bytes() - baseline)
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return rows, arrow_peak, traced_peak


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_memory_is_bounded_by_the_batch(tmp_path: Path, fmt: str) -> None:
    """A file ~35x the batch: peak memory stays a few batches, far below the file."""
    n, k = 150_000, 50
    rng = np.random.default_rng(2)
    values = np.round(rng.random((n, k)), 3)
    columns = {"y": rng.integers(0, k, n), **{f"logit_{j}": values[:, j] for j in range(k)}}
    tab = pa.table(columns)
    decoded = n * (k + 1) * 8  # 61 MB as float64
    path = tmp_path / f"big.{fmt}"
    if fmt == "parquet":
        pq.write_table(tab, path, row_group_size=16_384)
    else:
        pa_csv.write_csv(tab, path)
    del tab, columns, values
    rows, arrow_peak, traced_peak = _peak_while_reading(one(path), ColumnSpec(), batch_rows=4096)
    assert rows == n
    assert arrow_peak < decoded / 5, arrow_peak
    assert traced_peak < decoded / 5, traced_peak


def test_peek_previews(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(table(make_data()), path)
    preview = peek(one(path), rows=5)
    assert preview.columns == ("y", "p_a", "p_b", "p_c", "weight")
    assert all(len(values) == 5 for values in preview.sample.values())
