"""The fused numba kernel against the NumPy implementation, both against a slow reference.

Oracles: a row-by-row pure-Python reference (``math.log``, ``math.fsum``, one row at a
time, obviously right) for the cross-entropy, Brier, top-k, per-class statistics, the
confusion matrix, the uniform calibration bins with ECE/MCE, the histogram and the worst
rows; then the numba kernel against the NumPy implementation on every tally, row status,
worst row and bootstrap replicate, for all four kinds, both float dtypes, weights,
invalid rows of every kind, ties, and several chunks.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from crossentropy.scoring import ScoreAccumulator, score
from crossentropy.scoring._stats import _rowstats
from crossentropy.scoring._stats._tallies import (
    FINE_BINS,
    KIND_CODES,
    REASONS,
    bootstrap_key,
    fine_edges,
    fine_index,
)

numba = pytest.importorskip("numba")
from crossentropy.scoring._stats import _numba_rowstats  # noqa: E402

BACKENDS = ["numba", "numpy"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    name: str = request.param
    monkeypatch.setattr(_rowstats, "use_numba", lambda _backend: name == "numba")
    return name


# -- the slow reference -------------------------------------------------------------------


def _binary_ce(p: float, label: int) -> float:
    if (p if label == 1 else 1.0 - p) == 0:
        return math.inf
    return -math.log(p) if label == 1 else -math.log1p(-p)


def _reference_rows(x: np.ndarray, y: np.ndarray, kind: str) -> list[dict[str, Any]]:
    """Per row: ce, probabilities (as Python floats), predicted, confidence, rank."""
    out = []
    for i in range(x.shape[0]):
        values = [float(v) for v in np.atleast_1d(x[i])]
        label = int(y[i])
        if kind == "logits":
            m = max(values)
            lse = m + math.log(math.fsum(math.exp(v - m) for v in values))
            ce = lse - values[label]
            probs = [math.exp(v - lse) for v in values]
            order = values  # softmax keeps the order
        elif kind == "probability":
            p = values[0]
            probs = [1.0 - p, p]
            ce = _binary_ce(p, label)
            order = probs
        else:
            probs = values
            ce = -math.log(probs[label]) if probs[label] > 0 else math.inf
            order = probs
        top = max(order)
        predicted = order.index(top)  # the first maximum
        rank = sum(v > order[label] for v in order) + sum(
            order[j] == order[label] for j in range(label)
        )
        brier = math.fsum((v - (j == label)) ** 2 for j, v in enumerate(probs))
        out.append(
            {
                "ce": ce,
                "predicted": predicted,
                "confidence": probs[predicted],
                "rank": rank,
                "brier": brier,
                "label": label,
                "row": i,
            }
        )
    return out


def _mean(values: list[float], weights: list[float]) -> float:
    total = math.fsum(weights)
    if any(w > 0 and math.isinf(v) for v, w in zip(values, weights, strict=True)):
        return math.inf
    return math.fsum(v * w for v, w in zip(values, weights, strict=True) if w > 0) / total


def _check_against_reference(  # noqa: PLR0917
    result: Any, x: np.ndarray, y: np.ndarray, w: np.ndarray, kind: str, n_bins: int
) -> None:
    rows = _reference_rows(x, y, kind)
    ws = [float(v) for v in w]
    k = len(result.classes)
    assert result.cross_entropy == pytest.approx(_mean([r["ce"] for r in rows], ws), rel=1e-12)
    assert result.brier_score == pytest.approx(_mean([r["brier"] for r in rows], ws), rel=1e-12)
    correct = [float(r["rank"] == 0) for r in rows]
    assert result.accuracy == pytest.approx(_mean(correct, ws), rel=1e-12)
    for kk, value in result.top_k_accuracy.items():
        assert value == pytest.approx(_mean([float(r["rank"] < kk) for r in rows], ws), rel=1e-12)
    confusion = np.zeros((k, k))
    for r, wi in zip(rows, ws, strict=True):
        confusion[r["label"], r["predicted"]] += wi
    np.testing.assert_allclose(result.confusion, confusion, rtol=1e-12)
    for c in range(k):
        members = [(r, wi) for r, wi in zip(rows, ws, strict=True) if r["label"] == c]
        assert result.class_count[c] == len(members)
        if not members:
            assert math.isnan(result.class_cross_entropy[c])
            continue
        cw = [wi for _, wi in members]
        expected_ce = _mean([r["ce"] for r, _ in members], cw)
        assert result.class_cross_entropy[c] == pytest.approx(expected_ce, rel=1e-12)
        expected_acc = _mean([float(r["rank"] == 0) for r, _ in members], cw)
        assert result.class_accuracy[c] == pytest.approx(expected_acc, rel=1e-12)
    # uniform calibration bins, ECE, MCE
    weight, conf, hits, count = (np.zeros(n_bins) for _ in range(4))
    for r, wi in zip(rows, ws, strict=True):
        b = min(int(r["confidence"] * n_bins), n_bins - 1)
        weight[b] += wi
        conf[b] += wi * r["confidence"]
        hits[b] += wi * (r["rank"] == 0)
        count[b] += 1
    cal = result.calibration
    np.testing.assert_array_equal(cal.count, count)
    np.testing.assert_allclose(cal.weight, weight, rtol=1e-12)
    full = weight > 0
    np.testing.assert_allclose(cal.confidence[full], conf[full] / weight[full], rtol=1e-12)
    np.testing.assert_allclose(cal.accuracy[full], hits[full] / weight[full], rtol=1e-12)
    gaps = np.abs(hits[full] / weight[full] - conf[full] / weight[full])
    assert cal.ece == pytest.approx(math.fsum(gaps * weight[full]) / math.fsum(ws), rel=1e-9)
    assert cal.mce == pytest.approx(gaps.max(), rel=1e-9)
    # histogram
    hist = np.zeros(1601)
    for r, wi in zip(rows, ws, strict=True):
        hist[int(min(r["ce"], 16.0) * 100.0)] += wi
    np.testing.assert_allclose(result.histogram_weight, hist, rtol=1e-12)
    # worst rows: the largest cross-entropies (the order of near ties may differ by an ulp)
    worst = sorted(rows, key=lambda r: (-r["ce"], r["row"]))[: result.options["worst"]]
    assert len(result.worst_rows) == len(worst)
    np.testing.assert_allclose(
        [got.cross_entropy for got in result.worst_rows], [r["ce"] for r in worst], rtol=1e-12
    )
    for got in result.worst_rows:
        want = rows[got.row]
        assert (got.label, got.predicted) == (
            result.classes[want["label"]],
            result.classes[want["predicted"]],
        )
        assert got.cross_entropy == pytest.approx(want["ce"], rel=1e-12)
        assert got.confidence == pytest.approx(want["confidence"], rel=1e-12)


@pytest.mark.parametrize("kind", ["probabilities", "logits"])
def test_multiclass_against_the_reference(backend: str, kind: str) -> None:
    rng = np.random.default_rng(11)
    n, k = 700, 6
    if kind == "logits":
        x = np.round(rng.standard_normal((n, k)) * 3, 1)  # rounding makes ties
    else:
        x = np.round(rng.random((n, k)) ** 2, 2)
        x[:40, 0] = 0.0  # label probability 0 for a few rows: infinite CE
        x /= x.sum(axis=1, keepdims=True)
    y = rng.integers(0, k, n)
    w = np.round(rng.random(n) * 4, 1)  # some zero weights
    result = score(x, y, kind=kind, sample_weight=w, n_bins=7, top_k=(1, 2, 3), worst=12)
    if kind == "probabilities":
        assert result.n_infinite > 0
    _check_against_reference(result, x, y, w, kind, 7)
    finite = score(x, y, kind=kind, sample_weight=w, eps=1e-300)  # no infinite rows
    _check_against_reference(
        finite,
        np.maximum(x, 1e-300) if kind == "probabilities" else x,
        y,
        w,
        kind,
        15,
    )


def test_binary_against_the_reference(backend: str) -> None:
    rng = np.random.default_rng(12)
    n = 500
    p = np.round(rng.random(n), 2)  # exact 0, 1 and 0.5 occur
    y = rng.integers(0, 2, n)
    w = rng.random(n)
    result = score(p, y, kind="probability", sample_weight=w, top_k=(1,), worst=7)
    _check_against_reference(result, p, y, w, "probability", 15)


# -- numba against NumPy, tally by tally ------------------------------------------------------


def _dataset(kind: str, dtype: Any, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n, k = 997, 5
    if kind in ("probability", "logit"):
        x = rng.random(n) if kind == "probability" else rng.standard_normal(n) * 4
        x[::50] = 0.5 if kind == "probability" else 0.0  # ties at the decision boundary
        x[1] = 0.0  # probability 0
        x[2], x[3], x[4], x[5] = np.nan, np.inf, -np.inf, -0.1 if kind == "probability" else 7
        if kind == "probability":
            x[6] = 1.5
        y = rng.integers(0, 2, n)
        y[1] = 1  # probability 0 to the label
        y[7] = 2  # unknown
        return x.astype(dtype)[:, None], y
    if kind == "logits":
        x = np.round(rng.standard_normal((n, k)) * 3, 1)
        x[2, 1], x[3, 2], x[4, 0] = np.nan, np.inf, -np.inf
        big = float(np.finfo(dtype).max) * 0.75
        x[8] = big
        x[9] = [-big, 0.0, big, big, 5.0]  # float64: -big - big overflows to -inf
    else:
        x = np.round(rng.random((n, k)), 1) + 0.0
        x[10] = 0.0
        x[10, 2] = 1.0
        x = x / np.maximum(x.sum(axis=1, keepdims=True), 1e-12)
        x[2, 1], x[3, 2] = np.nan, np.inf
        x[4] = [0.5, 0.7, -0.2, 0.0, 0.0]  # negative, sums to 1
        x[5] = [0.0, 1.0 + 1e-5, 0.0, 0.0, 0.0]  # > 1, sum within the tolerance
        x[6] = [0.2, 0.2, 0.2, 0.2, 0.1]  # sum 0.9
        x[11] = 0.2  # equal: ties everywhere
    y = rng.integers(0, k, n)
    y[7] = 5
    y[12] = -3
    y[10] = 0  # probability 0
    y[9] = 0  # logit -1e300 beside 1e300: probability 0 (underflow)
    return np.ascontiguousarray(x.astype(dtype)), y


def _assert_same(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(a.status, b.status)
    assert a.n_invalid == b.n_invalid
    np.testing.assert_array_equal(a.worst_index, b.worst_index)
    np.testing.assert_allclose(a.worst_ce, b.worst_ce, rtol=1e-13)
    for name in ("totals", "per_class", "confusion", "calibration", "fine", "hist", "bootstrap"):
        np.testing.assert_allclose(
            getattr(a.tallies, name), getattr(b.tallies, name), rtol=1e-12, atol=1e-12, err_msg=name
        )


@pytest.mark.parametrize("kind", list(KIND_CODES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_numba_equals_numpy(kind: str, dtype: Any, weighted: bool) -> None:
    rng = np.random.default_rng(13)
    x, y = _dataset(kind, dtype, rng)
    k = 2 if x.shape[1] == 1 else x.shape[1]
    w = rng.random(y.size) * 2 if weighted else None
    rows = rng.permutation(y.size) + 1000
    spec = _rowstats.RowSpec(
        kind=KIND_CODES[kind],
        n_classes=k,
        tolerance=1e-3,
        cap=math.inf,
        n_bins=9,
        top_k=(1, 2, 3),
        worst=6,
        n_boot=7,
        boot_key=bootstrap_key(5, "data.csv"),
        confusion=True,
    )
    numpy_out = _rowstats.compute(x, y, w, rows, spec, backend="numpy")
    numba_out = _rowstats.compute(x, y, w, rows, spec, backend="numba")
    _assert_same(numba_out, numpy_out)
    reasons = {REASONS[s] for s in np.unique(numpy_out.status) if s}
    assert reasons >= {"nan", "infinite", "unknown label"}
    if kind != "logit" and not (kind == "logits" and dtype == np.float32):
        assert numpy_out.tallies.totals[1] >= 1  # an infinite cross-entropy row
    # no row numbers given: row_offset + position, without an array
    numbered = np.arange(y.size) + 7
    for name in BACKENDS:
        _assert_same(
            _rowstats.compute(x, y, w, None, dataclasses.replace(spec, row_offset=7), backend=name),
            _rowstats.compute(x, y, w, numbered, spec, backend=name),
        )
    capped = dataclasses.replace(spec, cap=-math.log(1e-12), top_k=(), worst=0, n_boot=0)
    _assert_same(
        _rowstats.compute(x, y, w, rows, capped, backend="numba"),
        _rowstats.compute(x, y, w, rows, capped, backend="numpy"),
    )


def test_several_chunks_agree_with_one(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(14)
    x, y = _dataset("probabilities", np.float64, rng)
    rows = np.arange(y.size)
    spec = _rowstats.RowSpec(0, 5, 1e-3, math.inf, 15, (2,), 10, 3, 1, True)
    one = _rowstats.compute(x, y, None, rows, spec, backend="numba")
    monkeypatch.setattr(_numba_rowstats, "_MIN_CHUNK_ROWS", 16)
    monkeypatch.setattr(_rowstats, "_CHUNK_ELEMENTS", 64)  # NumPy: chunks of 12 rows
    _assert_same(_rowstats.compute(x, y, None, rows, spec, backend="numba"), one)
    _assert_same(_rowstats.compute(x, y, None, rows, spec, backend="numpy"), one)


def test_fine_grid() -> None:
    edges = fine_edges()
    assert edges.shape == (FINE_BINS + 1,)
    assert edges[0] == 0.0
    assert edges[875] == 0.875
    assert edges[-1] == edges[-2] == 1.0
    assert np.all(np.diff(edges) >= 0)
    assert edges[-3] == 1.0 - 2.0**-40
    tiny = [0.0, 1e-300, 0.5, 0.874, np.nextafter(0.875, 0), 0.875, 0.9, 0.99, 0.999999]
    special = np.array(tiny + [1 - 2.0**-k for k in range(3, 60)] + [1.0 - 1e-16, 1.0])
    c = np.sort(np.concatenate([special, np.random.default_rng(15).random(20000)]))
    got = fine_index(c)
    assert np.all(np.diff(got) >= 0)
    assert np.all((edges[got] <= c) & (c <= edges[got + 1]))
    assert got[-1] == FINE_BINS - 1
    compiled = np.array([_numba_rowstats._fine_bin(float(v)) for v in c])
    np.testing.assert_array_equal(compiled, got)


def test_without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_rowstats, "use_numba", lambda backend: False)
    p = np.array([[0.25, 0.75], [0.5, 0.5]])
    assert score(p, [1, 0]).cross_entropy == pytest.approx(
        (math.log(4 / 3) + math.log(2)) / 2, rel=1e-15
    )
    monkeypatch.undo()
    import crossentropy._jit

    monkeypatch.setattr(crossentropy._jit, "numba_available", lambda: False)
    spec = ScoreAccumulator(2)._spec("probabilities", "<array>")
    with pytest.raises(ImportError, match=r"crossentropy\[fast\]"):
        _rowstats.compute(p, np.array([1, 0]), None, np.arange(2), spec, backend="numba")
    out = _rowstats.compute(p, np.array([1, 0]), None, np.arange(2), spec)
    assert out.tallies.totals[0] == 2


def test_second_process_loads_the_compiled_kernel() -> None:
    """``cache=True``: a fresh process finds the machine code on disk, no recompiling."""
    code = (
        "import numpy as np\n"
        "from crossentropy.scoring import score\n"
        "from crossentropy.scoring._stats import _numba_rowstats as k\n"
        "score(np.full((2, 2), 0.5), [0, 1])\n"
        "print(sum(k._probabilities.stats.cache_hits.values()),"
        " sum(k._probabilities.stats.cache_misses.values()))\n"
    )
    for _ in range(2):  # the first run may have to compile and write the cache
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    hits, misses = map(int, out.stdout.split())
    assert hits >= 1
    assert misses == 0


def test_a_forked_child_gets_its_own_worker_threads() -> None:
    """The parent's thread pool does not survive ``fork``: the child must make its own.

    In a fresh interpreter: forking this test process would also fork the threads of
    whatever the other tests imported (JAX warns from its own at-fork hook).
    """
    n = 4 * _numba_rowstats._MIN_CHUNK_ROWS  # several chunks: the pool is used
    code = (
        "import math, multiprocessing, warnings\n"
        "import numpy as np\n"
        "from crossentropy.scoring import score\n"
        "def child(n):\n"
        "    return score(np.full((n, 4), 0.25), np.zeros(n, dtype=np.int64)).cross_entropy\n"
        "if __name__ == '__main__':\n"
        f"    print(child({n}))\n"
        "    with warnings.catch_warnings():\n"
        "        warnings.simplefilter('ignore', DeprecationWarning)  # fork with threads\n"
        "        with multiprocessing.get_context('fork').Pool(1) as pool:\n"
        f"            print(pool.apply_async(child, ({n},)).get(timeout=120))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    parent, child = map(float, out.stdout.split())
    assert parent == pytest.approx(math.log(4))
    assert child == pytest.approx(math.log(4))
