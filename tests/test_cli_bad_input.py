"""Bad input at the command line: one line naming the flag or the file, exit 2, nothing left."""

from __future__ import annotations

import gzip
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
