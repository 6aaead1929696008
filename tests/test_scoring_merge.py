"""Merge and split invariance: any split of the rows, in any order, gives the same result.

Hypothesis draws a dataset (every kind, 2 to 5 classes, label probabilities of 0, ties,
invalid rows and unknown labels, dyadic sample weights, two sources), splits each
source's rows into arbitrary batches (row numbers given explicitly), scores the batches
in a random order, either in one accumulator or in separate ones merged in a random
order and tree shape, and compares every field of the result with one pass over the
data: floats to 1e-12 relative, counts, worst rows, invalid examples and the bootstrap
interval included. Weights are multiples of 1/4 so that the weight sums, which decide
the equal-mass bin boundaries, are exact in any order.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossentropy.scoring import ScoreAccumulator, ScoreResult, merge_all
from crossentropy.scoring._stats import _rowstats

BACKENDS = [
    pytest.param(
        "numba",
        marks=pytest.mark.skipif(not _rowstats.numba_available(), reason="needs numba"),
    ),
    "numpy",
]
KINDS = ("probabilities", "logits", "probability", "logit")
SOURCES = ("a.csv", "b.csv")


@dataclasses.dataclass
class Data:
    kind: str
    n_classes: int
    policy: str
    scores: np.ndarray
    labels: np.ndarray
    weights: np.ndarray | None
    source: np.ndarray  # index into SOURCES
    rows: np.ndarray  # row number within its source
    batch: np.ndarray  # batch id


@st.composite
def datasets(draw: st.DrawFn) -> Data:
    kind = draw(st.sampled_from(KINDS))
    k = 2 if kind in ("probability", "logit") else draw(st.integers(2, 5))
    n = draw(st.integers(0, 40))
    policy = draw(st.sampled_from(["skip", "clip"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "probabilities":
        x = np.round(rng.random((n, k)) ** 3, 1)  # zeros and ties
        x[x.sum(axis=1) == 0, 0] = 1.0
        x /= x.sum(axis=1, keepdims=True)
    elif kind == "logits":
        x = np.round(rng.standard_normal((n, k)) * 3, 0)
    elif kind == "probability":
        x = np.round(rng.random(n), 1)  # 0, 0.5 and 1 occur
    else:
        x = np.round(rng.standard_normal(n) * 4, 1)
    y = rng.integers(0, k, n)
    broken = rng.random(n) < 0.15
    if broken.any():
        x[broken] = -0.5 if kind in ("probabilities", "probability") else np.inf
        x[broken & (rng.random(n) < 0.5)] = np.nan
        y[rng.random(n) < 0.05] = k  # unknown labels
    weighted = draw(st.booleans())
    weights = rng.integers(0, 16, n) / 4 if weighted else None
    source = rng.integers(0, 2, n)
    rows = np.zeros(n, dtype=np.int64)
    for s in (0, 1):
        rows[source == s] = rng.permutation(np.count_nonzero(source == s)) + 10 * s
    batch = rng.integers(0, draw(st.integers(1, 6)), n)
    return Data(kind, k, policy, x, y, weights, source, rows, batch)


def _accumulator(data: Data) -> ScoreAccumulator:
    return ScoreAccumulator(
        data.n_classes,
        n_bins=4,
        top_k=(1, 2, 3),
        worst=5,
        bootstrap=16,
        seed=1,
        on_invalid=data.policy,  # type: ignore[arg-type]
    )


def _update(acc: ScoreAccumulator, data: Data, mask: np.ndarray, source: int) -> ScoreAccumulator:
    return acc.update(
        data.scores[mask],
        data.labels[mask],
        kind=data.kind,  # type: ignore[arg-type]
        sample_weight=None if data.weights is None else data.weights[mask],
        source=SOURCES[source],
        rows=data.rows[mask],
    )


def _same(a: Any, b: Any, where: str) -> None:
    if isinstance(a, float) or isinstance(b, float):
        if math.isnan(a):
            assert math.isnan(b), where
        else:
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-13), (where, a, b)
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape, where
        if a.dtype.kind in "iub":
            np.testing.assert_array_equal(a, b, err_msg=where)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13, err_msg=where)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, tuple):
        assert len(a) == len(b), (where, a, b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def _check(got: ScoreResult, want: ScoreResult) -> None:
    _same(got, want, "result")


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=60)
@given(data=datasets(), order=st.randoms(use_true_random=False), tree=st.booleans())
def test_any_split_in_any_order_gives_the_same_result(
    backend: str, data: Data, order: Any, tree: bool
) -> None:
    with mock.patch.object(_rowstats, "use_numba", return_value=backend == "numba"):
        one = _accumulator(data)
        for s in (0, 1):
            if np.any(data.source == s):  # (an empty update would still list its source)
                one = _update(one, data, data.source == s, s)
        want = one.result()
        pieces = [(s, b) for s in (0, 1) for b in np.unique(data.batch[data.source == s])]
        order.shuffle(pieces)
        # batches into one accumulator, in a random order
        acc = _accumulator(data)
        for s, b in pieces:
            acc = _update(acc, data, (data.source == s) & (data.batch == b), s)
        _check(acc.result(), want)
        # one accumulator per batch, merged as a tree or one by one (either side first)
        parts = [
            _update(_accumulator(data), data, (data.source == s) & (data.batch == b), s)
            for s, b in pieces
        ]
        if not parts:
            return
        if tree:
            merged = merge_all(parts)
        else:
            merged = parts[0]
            for part in parts[1:]:
                merged = part.merge(merged) if order.random() < 0.5 else merged.merge(part)
        _check(merged.result(), want)
        assert merged.n_rows == want.n_rows


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_bootstrap_does_not_depend_on_batching(backend: str) -> None:
    rng = np.random.default_rng(21)
    n = 3000
    p = rng.random((n, 3))
    p /= p.sum(axis=1, keepdims=True)
    y = rng.integers(0, 3, n)
    with mock.patch.object(_rowstats, "use_numba", return_value=backend == "numba"):
        whole = ScoreAccumulator(3, bootstrap=200, seed=9).update(p, y).result()
        acc = ScoreAccumulator(3, bootstrap=200, seed=9)
        for lo in range(0, n, 700):  # default rows continue per source
            acc = acc.update(p[lo : lo + 700], y[lo : lo + 700])
        assert whole.interval is not None
        _same(acc.result().interval, whole.interval, "interval")
        # the same rows under another source name are other rows: other draws
        other = ScoreAccumulator(3, bootstrap=200, seed=9).update(p, y, source="x").result()
        assert other.interval != whole.interval
