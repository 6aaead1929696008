"""Bad input at the command line: one line naming the flag or the file, exit 2, nothing left."""

from __future__ import annotations

import gzip
import json
from typing import TYPE_CHECKING

import pytest

from crossentropy.cli import main

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--report", ""], "--report needs a file name, got ''"),
        (["--report", "-"], "--report needs a file name, got '-'"),
        (["--plots", ""], "--plots needs a directory name, got ''"),
        (["--report", "same", "--plots", "same"], "--report and --plots both name same"),
    ],
)
def test_score_refuses_output_names_that_write_nothing_or_collide(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["score", "--example", "iris", *argv]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left


def test_a_report_onto_a_directory_is_refused_even_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    argv = ["score", "--example", "iris", "--report", str(folder), "--force"]
    assert main(argv) == 2
    assert f"--report {folder} is a directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no .out.XXXX left
    assert list(folder.iterdir()) == []


def test_a_fake_or_truncated_gzip_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    fake = tmp_path / "fake.csv.gz"
    fake.write_bytes(b"not gzip at all")
    data = gzip.compress(b"label,p_a,p_b\n" + b"0,0.4,0.6\n" * 2000)
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes(data[: len(data) // 2])
    for path in (fake, truncated):
        assert main(["score", str(path)]) == 2
        err = capsys.readouterr().err
        assert f"{path}: cannot read it as CSV" in err
        assert "Traceback" not in err


def test_a_header_only_file_is_not_a_success(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    empty = tmp_path / "empty.csv"
    empty.write_text("label,p_a,p_b\n", encoding="utf-8")
    assert main(["score", str(empty), "--json"]) == 2
    captured = capsys.readouterr()
    assert '"n_rows": 0' in captured.out  # the JSON is still there
    assert "no rows were scored" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["knapsack", "--instance", "p01", "--seed", "-1"],
            "--seed must be an integer in [0, 2**64)",
        ),
        (
            ["knapsack", "--instance", "p01", "--sample-size", "99999999999999999999"],
            "--sample-size must be at most 100000000",
        ),
        (["continuous", "sphere", "--dim", "100000000"], "--dim must be at most 10000"),
        (
            ["rare-event", "bridge", "--final-sample-size", "1000000000"],
            "--final-sample-size must be at most 100000000",
        ),
        (["tsp", "--random", "1000000000"], "--random must be at most 10000"),
        (["tsp", "--random", "500"], "the default --sample-size 2500000 with candidates of 500"),
        (
            ["knapsack", "--instance", "p01", "--sample-size", "100000000"],
            "needs 1e+09 values at once (at most 2e+08)",
        ),
    ],
)
def test_cem_sizes_and_seeds_are_checked_before_any_work(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cem", *argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""  # refused before the table starts


def test_a_knapsack_file_of_no_items_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "none.txt"
    empty.write_text("0 10\n", encoding="utf-8")
    assert main(["cem", "knapsack", str(empty)]) == 2
    assert "the header announces 0 items; a knapsack needs 1 or more" in capsys.readouterr().err


def test_a_geo_latitude_beyond_90_degrees_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    geo = tmp_path / "geo.tsp"
    geo.write_text(
        "NAME: g\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: GEO\nNODE_COORD_SECTION\n"
        "1 500 0\n2 10 10\n3 20 20\nEOF\n",
        encoding="utf-8",
    )
    assert main(["cem", "tsp", str(geo)]) == 2
    err = capsys.readouterr().err
    assert f"{geo}, line 6: node 1: GEO coordinates are latitude (at most 90 degrees)" in err


def _score_error(path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["score", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1  # one line
    return err


def _npy_with_shape(path: Path, shape: str) -> None:
    np = pytest.importorskip("numpy")
    path_ok = path.with_name("ok.npy")
    np.save(path_ok, np.full((4, 3), 1 / 3))
    data = path_ok.read_bytes()
    header = data[:128].replace(b"(4, 3), }", shape.encode() + b", }")
    path.write_bytes(header[:127].ljust(127, b" ") + b"\n" + data[128:])
    path_ok.unlink()


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("(4000000000000, 3)", "declares shape (4000000000000, 3) of float64 (96000000000000 "),
        ("(-4, 3)", "declares shape (-4, 3), with a negative dimension"),
        ("(5, 3)", "(120 bytes of data), but the file holds 96 bytes after its header"),
    ],
)
def test_an_npy_whose_header_lies_about_its_shape_is_named(
    shape: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.npy"
    _npy_with_shape(path, shape)
    err = _score_error(path, capsys)
    assert f"{path}: the header " in err
    assert message in err


def test_a_latin1_header_names_the_byte_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "latin.csv"
    path.write_bytes("label,p_é,p_b\na,0.5,0.5\n".encode("latin-1"))
    err = _score_error(path, capsys)
    assert f"{path}: the header (line 1) is not valid UTF-8 text: byte 0xe9" in err
    assert "in column 2" in err
    assert "iconv -f latin1 -t utf-8" in err


def test_a_latin1_cell_is_an_undecodable_row_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "latin.csv"
    path.write_bytes("label,p_a,p_b\na,0.5,0.5\nné,0.5,0.5\n".encode("latin-1"))
    err = _score_error(path, capsys)
    assert "data row 1 (line 3), column label: undecodable text" in err
    assert "is not UTF-8; re-encode the file as UTF-8" in err


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("label,,p_b", "has a blank name for column 2 (counting from 1), ''"),
        ("label,p_a,p_b,", "blank name for column 4 (counting from 1), '' (a delimiter at the end"),
        ("label,p_a, p_a ", "names columns 2 and 3 (counting from 1) alike, 'p_a' and ' p_a '"),
    ],
)
def test_blank_or_repeated_header_names_are_refused(
    header: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "h.csv"
    path.write_text(f"{header}\na,0.5,0.5\n", encoding="utf-8")
    assert message in _score_error(path, capsys)


def test_space_padded_header_names_are_matched_stripped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    padded, plain = tmp_path / "padded.csv", tmp_path / "plain.csv"
    padded.write_text("label, p_a , p_b\na,0.5,0.5\nb,0.25,0.75\n", encoding="utf-8")
    plain.write_text("label,p_a,p_b\na,0.5,0.5\nb,0.25,0.75\n", encoding="utf-8")
    outputs = []
    for path in (padded, plain):
        assert main(["score", str(path), "--json"]) == 0
        outputs.append(json.loads(capsys.readouterr().out.replace(str(path), "FILE")))
    assert outputs[0] == outputs[1]
    assert outputs[0]["n_rows"] == 2
    assert outputs[0]["classes"] == ["a", "b"]


def test_row_numbers_give_the_line_an_editor_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "rows.csv"
    # a blank line and a quoted field over two lines (an unknown label): data row 2
    # starts on line 6
    path.write_text('label,p_a,p_b\na,0.5,0.5\n\n"b\nb",0.3,0.7\na,nan,0.5\n', encoding="utf-8")
    err = _score_error(path, capsys, "--on-invalid", "error")
    assert f"cannot score {path}, data row 1 (line 4): unknown label" in err
    assert main(["score", str(path), "--on-invalid", "skip", "--json"]) == 0
    examples = json.loads(capsys.readouterr().out)["invalid"]["examples"]
    found = [(e["row"], e["line"], e["column"], e["reason"]) for e in examples]
    assert found == [(1, 4, "", "unknown label"), (2, 6, "p_a", "nan")]


def test_a_uint64_label_beyond_int64_is_reported_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "u64.parquet"
    labels = pa.array([0, 2**63 + 5], pa.uint64())
    pq.write_table(pa.table({"label": labels, "p_0": [0.5, 0.5], "p_1": [0.5, 0.5]}), path)
    err = _score_error(path, capsys)
    assert "row 1 (counting from 0), column label: unknown label (label 9223372036854775813)" in err


def _tsp(path: Path, body: str) -> None:
    path.write_text(f"NAME: x\nTYPE: TSP\n{body}EOF\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1e300 0\n3 0 1\n",
            "line 6: the distance between node 1 and node 2 (line 7) overflows",
        ),
        (
            "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 4e18 0\n3 0 1\n",
            "line 6: the distance between node 1 and node 2 (line 7) overflows: it is 4e+18",
        ),
        (
            (
                "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: UPPER_ROW\n"
                "EDGE_WEIGHT_SECTION\n1 5e18\n3\n"
            ),
            "line 7: the edge weight 5e18 between nodes 1 and 3 overflows",
        ),
        (
            "DIMENSION: 1e20\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n",
            "line 3: expected an integer for DIMENSION (the number of nodes), got '1e20'",
        ),
        (
            "DIMENSION: 100000000000000000000\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n",
            "line 3: DIMENSION must be at most 10000",
        ),
    ],
)
def test_tsplib_sizes_and_distances_that_overflow_are_named(
    body: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.tsp"
    _tsp(path, body)
    assert main(["cem", "tsp", str(path)]) == 2
    captured = capsys.readouterr()
    assert f"{path}, {message}" in captured.err
    assert "-9223372036854775808" not in captured.err
    assert captured.out == ""


# ----------------------------------------------------------- found by tests/test_reader_fuzz.py


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("crossentropy score: error: ")
    return lines[0]


def test_a_weight_that_is_nan_or_negative_is_an_invalid_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "w.csv"
    path.write_text("label,p_a,p_b,weight\n0,0.5,0.5,1\n1,0.5,0.5,nan\n1,0.5,0.5,-2\n")
    assert main(["score", str(path)]) == 2
    line = _one_error_line(capsys)
    assert f"{path}, data row 1 (line 3), column weight: invalid weight (weight nan;" in line
    assert "--on-invalid skip" in line
    assert "on_invalid='skip'" not in line  # the command line's words, not the API's
    assert main(["score", str(path), "--on-invalid", "skip", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_rows"] == 1
    assert result["invalid"]["n_skipped"] == 2


def test_control_characters_from_a_cell_stay_on_one_escaped_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "c.csv"
    path.write_text("label,p_a,p_b\n0,0.5,0.5\n1,0.5,0.5\u2028\x1b[31m\x0b\n", encoding="utf-8")
    assert main(["score", str(path)]) == 2
    line = _one_error_line(capsys)
    assert "data row 1 (line 3)" in line
    assert "not a number (0.5\\u2028\\x1b[31m)" in line  # shown, not sent to the terminal


def test_a_malformed_row_that_is_not_utf8_prints_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "u.csv"
    path.write_bytes(b"label,p_a,p_b\n0,0.5,0.5\n1,0.5\xe9\n1,0.5,0.5\n")
    for flags in ([], ["--on-invalid", "skip"]):
        assert main(["score", str(path), *flags]) == 2
        line = _one_error_line(capsys)  # no "Exception ignored in ... Traceback" beside it
        assert "Row #3: Expected 3 columns, got 2" in line
        assert "not valid UTF-8 text" in line


def test_repeated_parquet_column_names_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "r.parquet"
    table = pa.Table.from_arrays(
        [pa.array([0, 1]), pa.array([0.5, 0.5]), pa.array([0.5, 0.5])],
        names=["label", "p_a", "p_a"],
    )
    pq.write_table(table, path)
    assert main(["score", str(path)]) == 2
    line = _one_error_line(capsys)
    assert f"{path}: columns 2 and 3 (counting from 1) are both named 'p_a'" in line


def test_an_unknown_npy_format_version_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
    header += b" " * ((-(12 + len(header) + 1)) % 64) + b"\n"
    path = tmp_path / "v9.npy"
    path.write_bytes(b"\x93NUMPY\x09\x00" + len(header).to_bytes(4, "little") + header)
    assert main(["score", str(path)]) == 2
    line = _one_error_line(capsys)
    assert f"{path}: not a NumPy .npy array (format version 9.0;" in line
