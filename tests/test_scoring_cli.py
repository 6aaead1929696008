"""``crossentropy score`` end to end, ``score_dataset`` on files, and on a local Dask cluster.

Oracles: scikit-learn's ``log_loss``/``accuracy_score``/``d2_log_loss_score`` on the same
data read independently with the csv module or NumPy; the single-machine result for Dask.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import subprocess
import sys
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from crossentropy.cli import main

if TYPE_CHECKING:
    from pathlib import Path

pq = pytest.importorskip("pyarrow.parquet")
pa = pytest.importorskip("pyarrow")
sklearn_metrics = pytest.importorskip("sklearn.metrics")

DATA = files("crossentropy") / "data"


def _read_csv(path: Any) -> tuple[list[str], list[str], np.ndarray]:
    with open(str(path), encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    header, body = rows[0], rows[1:]
    labels = [row[0] for row in body]
    probs = np.array([[float(v) for v in row[1:]] for row in body])
    return header, labels, probs


def _run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main(["score", *argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload: dict[str, Any] = json.loads(captured.out)
    return payload


@pytest.mark.parametrize("example", ["iris", "digits", "breast-cancer"])
def test_bundled_examples_agree_with_sklearn(
    example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from crossentropy.cli.score import EXAMPLES

    header, labels, probs = _read_csv(DATA / EXAMPLES[example])
    payload = _run_json(["--example", example], capsys)
    if example == "breast-cancer":
        y = np.array([int(v) for v in labels])
        p = probs[:, 0]
        expected = sklearn_metrics.log_loss(y, p)
        accuracy = sklearn_metrics.accuracy_score(y, p > 0.5)
        d2 = sklearn_metrics.d2_log_loss_score(y, np.stack([1 - p, p], axis=1))
    else:
        names = [name.removeprefix("p_") for name in header[1:]]
        # Exact: -mean ln p(label). (sklearn clips at float eps; --eps reproduces it below.)
        picked = probs[np.arange(len(labels)), [names.index(v) for v in labels]]
        expected = -np.mean(np.log(picked))
        accuracy = sklearn_metrics.accuracy_score(labels, [names[i] for i in probs.argmax(1)])
        d2 = 1 - expected / _entropy_of_labels(labels)
    assert payload["cross_entropy"] == pytest.approx(expected, rel=1e-12)
    assert payload["cross_entropy_bits"] == pytest.approx(expected / math.log(2), rel=1e-12)
    assert payload["accuracy"] == pytest.approx(accuracy, rel=1e-12)
    assert payload["skill"] == pytest.approx(d2, rel=1e-9)
    assert payload["n_rows"] == len(labels)
    assert payload["verdict"]["headline"]


def test_eps_reproduces_sklearn_clipping(capsys: pytest.CaptureFixture[str]) -> None:
    from crossentropy.cli.score import EXAMPLES

    header, labels, probs = _read_csv(DATA / EXAMPLES["digits"])
    names = [name.removeprefix("p_") for name in header[1:]]
    eps = float(np.finfo(np.float64).eps)
    exact = _run_json(["--example", "digits"], capsys)["cross_entropy"]
    clipped = _run_json(["--example", "digits", "--eps", repr(eps)], capsys)["cross_entropy"]
    picked = probs[np.arange(len(labels)), [names.index(v) for v in labels]]
    assert clipped == pytest.approx(-np.mean(np.log(np.maximum(picked, eps))), rel=1e-12)
    assert exact > clipped  # rows with p(label) ~ 1e-300 cost ~690 nats each, unclipped


def _entropy_of_labels(labels: list[str]) -> float:
    _, counts = np.unique(labels, return_counts=True)
    freq = counts / counts.sum()
    return float(-(freq * np.log(freq)).sum())


def test_digits_example_is_accurate_but_worse_than_the_prior(
    capsys: pytest.CaptureFixture[str],
) -> None:
    payload = _run_json(["--example", "digits"], capsys)
    assert payload["accuracy"] > 0.8
    assert payload["skill"] < 0  # over-confident: worse than predicting the frequencies
    assert payload["verdict"]["level"] in {"no skill", "worse than guessing"}


def test_text_report_puts_the_verdict_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--example", "iris"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert "cross-entropy" in out.lower()
    assert "rule of thumb" in out.lower()
    headline = main_verdict_headline("iris")
    assert headline.split()[0] in lines[0]


def main_verdict_headline(example: str) -> str:
    from crossentropy import scoring
    from crossentropy.cli.score import EXAMPLES

    result = scoring.score_dataset(str(DATA / EXAMPLES[example]))
    return scoring.verdict(result).headline


def _write_parquet(path: Path, probs: np.ndarray, labels: np.ndarray, row_group: int) -> None:
    table = pa.table({"y": labels, **{f"p_{k}": probs[:, k] for k in range(probs.shape[1])}})
    pq.write_table(table, path, row_group_size=row_group)


def _synthetic(rows: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(rows, classes)) * 2
    labels = rng.integers(0, classes, size=rows)
    logits[np.arange(rows), labels] += 1.5
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    return probs, labels


def test_directory_of_parquet_equals_in_memory_and_sklearn(tmp_path: Path) -> None:
    from crossentropy import scoring

    parts = [_synthetic(700 + 13 * i, 5, seed=i) for i in range(3)]
    for i, (probs, labels) in enumerate(parts):
        _write_parquet(tmp_path / f"part{i}.parquet", probs, labels, row_group=128)
    result = scoring.score_dataset(str(tmp_path), batch_rows=100, bootstrap=50)
    probs = np.concatenate([p for p, _ in parts])
    labels = np.concatenate([y for _, y in parts])
    assert result.n_rows == len(labels)
    assert result.cross_entropy == pytest.approx(
        sklearn_metrics.log_loss(labels, probs, labels=range(5)), rel=1e-12
    )
    assert result.skill == pytest.approx(
        sklearn_metrics.d2_log_loss_score(labels, probs, labels=range(5)), rel=1e-10
    )
    assert len(result.sources) == 3


def _assert_same_result(a: Any, b: Any) -> None:
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        _assert_close(x, y, field.name)


def _assert_close(x: Any, y: Any, where: str) -> None:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        for field in dataclasses.fields(x):
            _assert_close(getattr(x, field.name), getattr(y, field.name), f"{where}.{field.name}")
    elif isinstance(x, np.ndarray):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=0, equal_nan=True, err_msg=where)
    elif isinstance(x, float):
        assert x == pytest.approx(y, rel=1e-12, nan_ok=True), where
    elif isinstance(x, (tuple, list)):
        assert len(x) == len(y), where
        for i, (u, v) in enumerate(zip(x, y, strict=True)):
            _assert_close(u, v, f"{where}[{i}]")
    elif isinstance(x, dict):
        assert x.keys() == y.keys(), where
        for key in x:
            _assert_close(x[key], y[key], f"{where}[{key!r}]")
    else:
        assert x == y, where


@pytest.mark.slow
def test_dask_local_cluster_equals_one_machine(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from crossentropy import scoring

    for i in range(3):
        probs, labels = _synthetic(900 + 101 * i, 7, seed=10 + i)
        _write_parquet(tmp_path / f"part{i}.parquet", probs, labels, row_group=200)
    pattern = str(tmp_path / "*.parquet")
    single = scoring.score_dataset(pattern, batch_rows=64, bootstrap=40, worst=7)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        reported: list[int] = []
        clustered = scoring.score_dataset(
            pattern,
            batch_rows=64,
            bootstrap=40,
            worst=7,
            client=client,
            progress=lambda rows, source: reported.append(rows),
        )
    _assert_same_result(single, clustered)
    assert sum(reported) == single.n_rows  # one report per row group, all rows counted


def test_report_and_plots_are_written_and_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.html"
    plots = tmp_path / "plots"
    argv = ["score", "--example", "iris", "--report", str(report), "--plots", str(plots)]
    assert main(argv) == 0
    capsys.readouterr()
    assert report.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    pngs = sorted(p.name for p in plots.glob("*.png"))
    assert len(pngs) >= 3
    before = report.stat().st_mtime_ns
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "already exists" in err
    assert "--force" in err
    assert report.stat().st_mtime_ns == before
    assert main([*argv, "--force"]) == 0
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()], "temporary files left behind"


def test_invalid_rows_error_names_file_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("y,p_a,p_b\na,0.9,0.1\nb,nan,0.5\na,-0.2,1.2\nb,0.3,0.7\n", encoding="utf-8")
    assert main(["score", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err
    assert "row 1" in err
    assert "nan" in err
    payload = _run_json([str(path), "--on-invalid", "skip"], capsys)
    assert payload["n_rows"] == 2
    assert payload["invalid"]["n_skipped"] == 2
    expected = -(math.log(0.9) + math.log(0.7)) / 2
    assert payload["cross_entropy"] == pytest.approx(expected, rel=1e-12)
    payload = _run_json([str(path), "--on-invalid", "clip"], capsys)
    assert payload["invalid"]["n_skipped"] == 1  # the NaN row cannot be repaired
    assert payload["invalid"]["n_clipped"] == 1  # (-0.2, 1.2) -> (0, 1)
    assert payload["n_rows"] == 3


def test_column_flags_and_headerless_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    probs, labels = _synthetic(50, 3, seed=3)
    path = tmp_path / "noheader.csv"
    with path.open("w", encoding="utf-8") as stream:
        for p, y in zip(probs, labels, strict=True):
            stream.write(",".join([*(repr(float(v)) for v in p), str(int(y))]) + "\n")
    payload = _run_json([str(path), "--no-header", "--probs", "0:3", "--label", "3"], capsys)
    assert payload["cross_entropy"] == pytest.approx(
        sklearn_metrics.log_loss(labels, probs, labels=range(3)), rel=1e-12
    )


def test_logits_from_npz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(200, 4)) * 3
    labels = rng.integers(0, 4, size=200)
    path = tmp_path / "preds.npz"
    np.savez(path, labels=labels, logits=logits)
    payload = _run_json([str(path)], capsys)
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    expected = -log_probs[np.arange(200), labels].mean()
    assert payload["cross_entropy"] == pytest.approx(expected, rel=1e-12)


def test_stdin(tmp_path: Path) -> None:
    text = (DATA / "iris_predictions.csv").read_text(encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    completed = subprocess.run(
        [sys.executable, "-m", "crossentropy", "score", "-", "--json"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    header, labels, probs = _read_csv(DATA / "iris_predictions.csv")
    names = [name.removeprefix("p_") for name in header[1:]]
    expected = -np.mean(np.log(probs[np.arange(len(labels)), [names.index(v) for v in labels]]))
    assert json.loads(completed.stdout)["cross_entropy"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "nothing to score"),
        (["--example", "iris", "x.csv"], "either PATH or --example"),
        (["missing.csv"], "missing.csv"),
        (["--example", "iris", "--bins", "0"], "--bins"),
        (["--example", "iris", "--top-k", "a"], "--top-k"),
        (["--example", "iris", "--label", "nope"], "nope"),
    ],
)
def test_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", *argv]) == 2
    assert message in capsys.readouterr().err
