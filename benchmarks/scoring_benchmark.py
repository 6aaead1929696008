"""``crossentropy score`` throughput, peak memory, and the ratio to scikit-learn's log_loss.

Three measurements, each in a fresh subprocess (so peak memory is the case's own):

* **files**: rows/s of :func:`crossentropy.scoring.score_dataset` (every metric: CE,
  accuracy, top-5, Brier, both calibrations, per-class, confusion, worst rows) reading
  Parquet and CSV with 10 and 1000 classes, with the extra peak resident memory
  (``VmHWM - VmRSS`` after ``clear_refs``, as in ``crossentropy bench``). The files are
  several times larger than one batch, so the peak shows that memory is bounded by the
  batch, not the file.
* **in memory**: ``ScoreAccumulator(K).update(p, y).result()`` (every metric) and the
  cross-entropy alone against ``sklearn.metrics.log_loss(y, p, labels=range(K))`` on the
  same float64 arrays, median of ``--repeat`` runs after a warm-up; the values must agree
  to 1e-12 relative.

Run: ``.venv/bin/python benchmarks/scoring_benchmark.py [--repeat 5] [--out FILE [--force]]
[--quick]``. The generated files go to a temporary directory (``--dir`` to keep them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

FILE_CASES = [  # (format, classes, rows)
    ("parquet", 10, 2_000_000),
    ("csv", 10, 1_000_000),
    ("parquet", 1000, 40_000),
    ("csv", 1000, 10_000),
]
MEMORY_CASES = [(10, 1_000_000), (1000, 50_000)]  # (classes, rows)


def _predictions(classes: int, rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Softmax of noisy logits that favour the label: a model with some skill."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=rows)
    logits = rng.normal(size=(rows, classes))
    logits[np.arange(rows), labels] += 2.0
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    return probs, labels


def _write_file(path: Path, fmt: str, classes: int, rows: int) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    chunk = max(1, 2_000_000 // classes)
    writer: Any = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        probs, labels = _predictions(classes, n, seed=start)
        table = pa.table({"label": labels, **{f"p_{k}": probs[:, k] for k in range(classes)}})
        if writer is None:
            writer = (
                pq.ParquetWriter(path, table.schema)
                if fmt == "parquet"
                else pacsv.CSVWriter(path, table.schema)
            )
        writer.write_table(table)
    writer.close()


def _status_kib(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _child_file(path: str, classes: int) -> dict[str, Any]:
    from crossentropy.scoring import plan_dataset, score_dataset

    plan = plan_dataset(path)
    score_dataset(plan)  # warm-up: compile the kernels, fill the page cache
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")
    rss = _status_kib("VmRSS")
    start = time.perf_counter()
    result = score_dataset(plan)
    elapsed = time.perf_counter() - start
    peak = _status_kib("VmHWM") - rss
    return {
        "seconds": elapsed,
        "rows": result.n_rows,
        "rows_per_second": result.n_rows / elapsed,
        "extra_peak_bytes": peak * 1024,
        "cross_entropy": result.cross_entropy,
        "classes": classes,
    }


def _median_time(function: Any, repeat: int) -> float:
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _child_memory(classes: int, rows: int, repeat: int) -> dict[str, Any]:
    from sklearn.metrics import log_loss

    from crossentropy.scoring import ScoreAccumulator

    probs, labels = _predictions(classes, rows)
    empty = ScoreAccumulator(classes)
    empty_ce_only = ScoreAccumulator(classes, top_k=(), worst=0)
    ours = empty.update(probs, labels).result().cross_entropy
    theirs = float(log_loss(labels, probs, labels=np.arange(classes)))
    t_ours = _median_time(lambda: empty.update(probs, labels).result(), repeat)
    t_lean = _median_time(lambda: empty_ce_only.update(probs, labels).result(), repeat)
    t_sklearn = _median_time(lambda: log_loss(labels, probs, labels=np.arange(classes)), repeat)
    return {
        "classes": classes,
        "rows": rows,
        "ours_all_metrics_s": t_ours,
        "ours_without_topk_and_worst_s": t_lean,
        "sklearn_log_loss_s": t_sklearn,
        "speedup_all_metrics": t_sklearn / t_ours,
        "speedup_without_topk_and_worst": t_sklearn / t_lean,
        "cross_entropy": ours,
        "sklearn_log_loss": theirs,
        "relative_difference": abs(ours - theirs) / abs(theirs),
    }


def _run_child(*args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr)
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", help="where to write the generated files (kept)")
    parser.add_argument("--out", help="write the JSON results to this file")
    parser.add_argument("--force", action="store_true", help="replace --out")
    parser.add_argument("--quick", action="store_true", help="10x fewer rows")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "file":
            out = _child_file(rest[0], int(rest[1]))
        else:
            out = _child_memory(int(rest[0]), int(rest[1]), int(rest[2]))
        print(json.dumps(out))
        return 0
    if args.out and Path(args.out).exists() and not args.force:
        print(f"--out {args.out} exists; pass --force to replace it", file=sys.stderr)
        return 2
    scale = 10 if args.quick else 1
    directory = Path(args.dir or tempfile.mkdtemp(prefix="ce-score-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_at_start": os.getloadavg()[0],
        "files": [],
        "in_memory": [],
    }
    for fmt, classes, full_rows in FILE_CASES:
        rows = full_rows // scale
        path = directory / f"preds_{classes}_{rows}.{fmt}"
        if not path.exists():
            _write_file(path, fmt, classes, rows)
        record = _run_child("file", str(path), str(classes))
        record.update({"format": fmt, "file_bytes": path.stat().st_size})
        report["files"].append(record)
        print(
            f"{fmt:8s} K={classes:5d} rows={rows:9d} file {path.stat().st_size / 1e6:8.1f} MB: "
            f"{record['rows_per_second']:12,.0f} rows/s, extra peak "
            f"{record['extra_peak_bytes'] / 1e6:7.1f} MB",
            file=sys.stderr,
        )
    for classes, full_rows in MEMORY_CASES:
        rows = full_rows // scale
        record = _run_child("memory", str(classes), str(rows), str(args.repeat))
        report["in_memory"].append(record)
        print(
            f"in memory K={classes:5d} rows={rows:9d}: ours {record['ours_all_metrics_s']:.4f} s "
            f"(CE only {record['ours_without_topk_and_worst_s']:.4f} s), sklearn log_loss "
            f"{record['sklearn_log_loss_s']:.4f} s: {record['speedup_all_metrics']:.1f}x "
            f"({record['speedup_without_topk_and_worst']:.1f}x); relative difference "
            f"{record['relative_difference']:.1e}",
            file=sys.stderr,
        )
    text = json.dumps(report, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
