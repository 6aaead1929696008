"""The scoring engine against independent oracles: scikit-learn, SciPy, exact values.

Oracles: ``sklearn.metrics`` (log_loss, accuracy, top-k accuracy, Brier, d2 log loss,
confusion matrix, recall), ``scipy.special.softmax`` for logits, closed forms for tiny
binary probabilities, and the exact text of the error messages. Every test runs on both
backends (the fused numba kernel and the NumPy implementation) through the ``backend``
fixture. The slow row-by-row reference and the kernel-vs-NumPy checks are in
``test_scoring_kernel.py``; merge and split invariance in ``test_scoring_merge.py``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from scipy.special import softmax
from sklearn import metrics

from crossentropy.scoring import (
    InvalidRow,
    ScoreAccumulator,
    ScoreOptions,
    merge_all,
    result_to_dict,
    rule_of_thumb,
    score,
    verdict,
)
from crossentropy.scoring._stats import _rowstats
from crossentropy.scoring._types import Batch

BACKENDS = [
    pytest.param(
        "numba",
        marks=pytest.mark.skipif(not _rowstats.numba_available(), reason="numba is not installed"),
    ),
    "numpy",
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with the numba kernel, then with the NumPy implementation."""
    name: str = request.param
    monkeypatch.setattr(_rowstats, "use_numba", lambda _backend: name == "numba")
    return name


def _probs(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    p = rng.random((n, k)) ** 3 + 1e-3
    return p / p.sum(axis=1, keepdims=True)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# -- against scikit-learn ------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_multiclass_probabilities_match_sklearn(backend: str, weighted: bool) -> None:
    rng = np.random.default_rng(1)
    n, k = 3001, 7
    p = _probs(rng, n, k)
    y = rng.integers(0, k, n)
    w = rng.random(n) * 3 if weighted else None
    labels = np.arange(k)
    r = score(p, y, sample_weight=w, top_k=(2, 3, 5, 9))
    assert _rel(r.cross_entropy, metrics.log_loss(y, p, labels=labels, sample_weight=w)) < 1e-12
    predicted = p.argmax(axis=1)
    assert r.accuracy == pytest.approx(
        metrics.accuracy_score(y, predicted, sample_weight=w), rel=1e-12
    )
    assert set(r.top_k_accuracy) == {2, 3, 5}  # 9 >= K is not reported
    for kk, value in r.top_k_accuracy.items():
        expected = metrics.top_k_accuracy_score(y, p, k=kk, labels=labels, sample_weight=w)
        assert value == pytest.approx(expected, rel=1e-12)
    brier = metrics.brier_score_loss(y, p, labels=labels, sample_weight=w, scale_by_half=False)
    assert r.brier_score == pytest.approx(brier, rel=1e-12)
    d2 = metrics.d2_log_loss_score(y, p, labels=labels, sample_weight=w)
    assert r.skill == pytest.approx(d2, rel=1e-10)
    confusion = metrics.confusion_matrix(y, predicted, labels=labels, sample_weight=w)
    assert r.confusion is not None
    np.testing.assert_allclose(r.confusion, confusion, rtol=1e-12)
    recall = metrics.recall_score(y, predicted, labels=labels, average=None, sample_weight=w)
    np.testing.assert_allclose(r.class_accuracy, recall, rtol=1e-12)
    np.testing.assert_array_equal(r.class_count, np.bincount(y, minlength=k))
    ww = np.ones(n) if w is None else w
    np.testing.assert_allclose(r.class_weight, np.bincount(y, ww, minlength=k), rtol=1e-12)
    assert r.total_weight == pytest.approx(ww.sum(), rel=1e-12)
    assert r.n_rows == n
    assert r.n_infinite == 0


def test_logits_match_sklearn_on_softmax(backend: str) -> None:
    rng = np.random.default_rng(2)
    n, k = 2000, 12
    x = rng.standard_normal((n, k)) * 4
    y = rng.integers(0, k, n)
    w = rng.random(n)
    p = softmax(x, axis=1)
    r = score(x, y, kind="logits", sample_weight=w)
    expected = metrics.log_loss(y, p, labels=np.arange(k), sample_weight=w)
    assert _rel(r.cross_entropy, expected) < 1e-12
    assert r.accuracy == pytest.approx(
        metrics.accuracy_score(y, x.argmax(axis=1), sample_weight=w), rel=1e-12
    )
    brier = metrics.brier_score_loss(
        y, p, labels=np.arange(k), sample_weight=w, scale_by_half=False
    )
    assert r.brier_score == pytest.approx(brier, rel=1e-12)
    top5 = metrics.top_k_accuracy_score(y, p, k=5, labels=np.arange(k), sample_weight=w)
    assert r.top_k_accuracy[5] == pytest.approx(top5, rel=1e-12)
    # the same result as scoring the softmax probabilities
    q = score(p, y, sample_weight=w)
    assert r.cross_entropy == pytest.approx(q.cross_entropy, rel=1e-12)
    assert r.ece == pytest.approx(q.ece, rel=1e-9, abs=1e-12)


def test_logits_are_exact_where_softmax_underflows(backend: str) -> None:
    x = np.array([[0.0, -1000.0, 5.0], [1e300, -1e300, 0.0], [-5.0, -5.0, -5.0]])
    r = score(x, [1, 0, 2], kind="logits")
    expected = (math.log(1 + math.exp(-5)) + 5 + 1000 + 0.0 + math.log(3)) / 3
    assert r.cross_entropy == pytest.approx(expected, rel=1e-14)
    assert r.n_infinite == 0


def test_binary_kinds_match_sklearn(backend: str) -> None:
    rng = np.random.default_rng(3)
    n = 2500
    p = rng.random(n)
    y = (rng.random(n) < p).astype(int)
    w = rng.random(n) + 0.5
    r = score(p, y, kind="probability", sample_weight=w)
    assert r.binary
    assert r.classes == ("0", "1")
    assert _rel(r.cross_entropy, metrics.log_loss(y, p, sample_weight=w)) < 1e-12
    # sklearn's binary Brier score is the positive class only: half of ours.
    assert r.brier_score / 2 == pytest.approx(
        metrics.brier_score_loss(y, p, sample_weight=w), rel=1e-12
    )
    assert r.accuracy == pytest.approx(
        metrics.accuracy_score(y, p > 0.5, sample_weight=w), rel=1e-12
    )
    assert r.top_k_accuracy == {}  # only k < K = 2 could be reported
    # the same rows as two columns
    two = score(np.column_stack([1 - p, p]), y, sample_weight=w)
    assert two.binary
    assert two.cross_entropy == pytest.approx(r.cross_entropy, rel=1e-12)
    assert two.brier_score == pytest.approx(r.brier_score, rel=1e-12)
    assert two.accuracy == pytest.approx(r.accuracy, rel=1e-12)
    # logits: the same as sigmoid probabilities
    z = rng.standard_normal(n) * 3
    rl = score(z, y, kind="logit")
    pz = 1 / (1 + np.exp(-z))
    assert _rel(rl.cross_entropy, metrics.log_loss(y, pz)) < 1e-12
    assert rl.brier_score / 2 == pytest.approx(metrics.brier_score_loss(y, pz), rel=1e-12)


def test_binary_tiny_probabilities_are_exact(backend: str) -> None:
    # -log(p) for the positive class, -log1p(-p) for the negative: no 1 - p rounding.
    p = np.array([1e-300, 1e-300, 1.0 - 2.0**-53, 0.25])
    y = np.array([1, 0, 0, 1])
    r = score(p, y, kind="probability")
    expected = [300 * math.log(10), 1e-300, -math.log1p(-(1.0 - 2.0**-53)), math.log(4)]
    assert r.cross_entropy == pytest.approx(math.fsum(expected) / 4, rel=1e-14)
    worst = r.worst_rows[0]
    assert (worst.row, worst.label, worst.predicted) == (0, "1", "0")
    assert worst.cross_entropy == pytest.approx(690.7755278982137, rel=1e-14)
    assert worst.probability == 1e-300
    # logits far out: softplus, never log(1 + exp(800)) = inf
    rl = score(np.array([-800.0, 800.0, 40.0]), [1, 0, 1], kind="logit")
    assert rl.cross_entropy == pytest.approx((800 + 800 + math.exp(-40)) / 3, rel=1e-14)
    assert rl.n_infinite == 0


def test_float32_inputs_are_scored_in_float64(backend: str) -> None:
    rng = np.random.default_rng(4)
    p = _probs(rng, 999, 5).astype(np.float32)
    y = rng.integers(0, 5, 999)
    r = score(p, y)
    p64 = p.astype(np.float64)
    expected = -np.mean(np.log(p64[np.arange(999), y]))
    assert _rel(r.cross_entropy, float(expected)) < 1e-12
    x = rng.standard_normal((999, 5)).astype(np.float32)
    rl = score(x, y, kind="logits")
    expected = metrics.log_loss(y, softmax(x.astype(np.float64), axis=1), labels=range(5))
    assert _rel(rl.cross_entropy, expected) < 1e-12


# -- infinite cross-entropy, eps ------------------------------------------------------------


def test_probability_zero_is_infinite_and_counted(backend: str) -> None:
    p = np.array([[0.0, 1.0], [0.5, 0.5], [0.0, 1.0]])
    r = score(p, [0, 1, 1])
    assert r.cross_entropy == math.inf
    assert r.n_infinite == 1
    assert r.class_cross_entropy[0] == math.inf
    assert r.class_cross_entropy[1] == pytest.approx(math.log(2) / 2)
    assert r.histogram_weight[-1] == 1.0
    assert r.worst_rows[0].cross_entropy == math.inf
    assert r.worst_rows[0].probability == 0.0
    v = verdict(r)
    assert v.level == "broken"
    assert v.headline == (
        "Broken: 1 row gave probability 0 to its true label, so the cross-entropy is infinite."
    )
    # eps floors the probability for the log only
    capped = score(p, [0, 1, 1], eps=1e-15)
    assert capped.cross_entropy == pytest.approx((-math.log(1e-15) + math.log(2)) / 3, rel=1e-14)
    assert capped.n_infinite == 0
    # sklearn clips at its dtype's machine epsilon
    eps = float(np.finfo(np.float64).eps)
    assert score(p, [0, 1, 1], eps=eps).cross_entropy == pytest.approx(
        metrics.log_loss([0, 1, 1], p), rel=1e-12
    )


def test_a_zero_weight_row_moves_no_mean(backend: str) -> None:
    p = np.array([[0.0, 1.0], [0.25, 0.75]])
    r = score(p, [0, 1], sample_weight=[0.0, 2.0])
    assert r.cross_entropy == pytest.approx(-math.log(0.75))
    assert r.n_infinite == 1  # the row still has infinite cross-entropy
    assert r.n_rows == 2
    assert r.total_weight == 2.0


# -- labels ---------------------------------------------------------------------------------


def test_labels_map_by_name_position_and_bool(backend: str) -> None:
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    base = score(p, [0, 1, 2]).cross_entropy
    named = ScoreAccumulator(["cat", "dog", "owl"])
    assert named.update(p, ["cat", "dog", "owl"]).result().cross_entropy == base
    assert named.update(p, np.array([b"cat", b"dog", b"owl"])).result().cross_entropy == base
    assert named.update(
        p, np.array(["cat", "dog", "owl"], dtype=object)
    ).result().cross_entropy == (base)
    assert named.update(p, [0, 1, 2]).result().cross_entropy == base  # names not integers
    integers = ScoreAccumulator(["1", "2", "3"])  # columns p_1..p_3, labels 1..3
    assert integers.update(p, [1, 2, 3]).result().cross_entropy == base
    assert integers.update(p, ["1", "2", "3"]).result().cross_entropy == base
    assert integers.update(p, np.array([1.0, 2.0, 3.0])).result().cross_entropy == base
    assert ScoreAccumulator([10, 20, 30]).update(p, [10, 20, 30]).result().cross_entropy == base
    binary = score(np.array([0.9, 0.2]), np.array([True, False]), kind="probability")
    assert binary.cross_entropy == pytest.approx((-math.log(0.9) - math.log(0.8)) / 2)
    signs = ScoreAccumulator(["-1", "1"]).update(np.array([0.9, 0.2]), [1, -1], kind="probability")
    assert signs.result().cross_entropy == binary.cross_entropy
    column = score(np.array([[0.9], [0.2]]), [1, 0], kind="probability")  # (n, 1) is (n,)
    assert column.cross_entropy == binary.cross_entropy


@pytest.mark.parametrize(
    ("classes", "labels", "detail"),
    [
        (3, [0, 3], "label 3"),
        (3, [0, -1], "label -1"),
        (["a", "b", "c"], ["a", "d"], "label 'd'"),
        (["1", "2", "3"], [1, 0], "label 0"),
        (3, [0.0, 1.5], "label 1.5"),
        (3, [0.0, float("nan")], "label nan"),
    ],
)
def test_unknown_labels(backend: str, classes: Any, labels: Any, detail: str) -> None:
    p = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]])
    with pytest.raises(
        ValueError, match=rf"^cannot score <array>, row 1: unknown label \({detail}\);"
    ):
        ScoreAccumulator(classes).update(p, labels)
    r = ScoreAccumulator(classes, on_invalid="skip").update(p, labels).result()
    assert r.n_rows == 1
    assert r.invalid.reasons == {"unknown label": 1}
    # clip cannot repair a label: skipped and counted
    r = ScoreAccumulator(classes, on_invalid="clip").update(p, labels).result()
    assert (r.n_rows, r.invalid.n_skipped, r.invalid.n_clipped) == (1, 1, 0)


# -- invalid rows ---------------------------------------------------------------------------

_BAD = np.array(
    [
        [0.2, 0.3, 0.5],  # row 0: valid
        [0.2, 0.9, -0.1],  # row 1: negative probability (sums to 1)
        [np.nan, 0.5, 0.5],  # row 2: nan
        [0.3, 0.3, 0.3],  # row 3: sum 0.9
        [0.0, np.inf, 0.0],  # row 4: infinite
        [0.0, 1.25, -0.25],  # row 5: > 1 comes after negative in the order of checks
        [0.0, 0.0, 1.0005],  # row 6: > 1 (the sum is within the tolerance)
    ]
)
_LABELS = [2, 1, 0, 0, 1, 1, 2]


def test_invalid_rows_error_names_the_first(backend: str) -> None:
    message = (
        "cannot score scores.csv, row 11, column 2: negative probability (-0.1); pass "
        "on_invalid='skip' to leave invalid rows out (counted) or on_invalid='clip' to "
        "repair what can be repaired"
    )
    rows = np.arange(10, 17)
    with pytest.raises(ValueError) as info:
        ScoreAccumulator(3).update(_BAD, _LABELS, source="scores.csv", rows=rows)
    assert str(info.value) == message
    # the first by row number, not by position in the batch
    with pytest.raises(ValueError, match=r"row 3, column 0: nan \(nan\)"):
        ScoreAccumulator(3).update(_BAD[[2, 0]], [0, 2], rows=[3, 4])
    with pytest.raises(ValueError, match=r"row 0: sum != 1 \(sum 0\.9\)"):
        ScoreAccumulator(3).update(_BAD[[3]], [0])
    with pytest.raises(ValueError, match=r"row 0, column 1: infinite \(inf\)"):
        ScoreAccumulator(3).update(_BAD[[4]], [0])
    with pytest.raises(ValueError, match=r"row 0, column 1: probability > 1 \(1\.0005\)"):
        ScoreAccumulator(3).update(np.array([[0.0, 1.0005, 0.0]]), [0])
    with pytest.raises(ValueError, match=r"row 0, column 2: negative probability \(-0\.25\)"):
        ScoreAccumulator(3).update(_BAD[[5]], [0])


def test_invalid_rows_skip(backend: str) -> None:
    r = ScoreAccumulator(3, on_invalid="skip").update(_BAD, _LABELS, source="s").result()
    assert r.n_rows == 1
    assert r.cross_entropy == pytest.approx(-math.log(0.5))
    assert r.invalid.policy == "skip"
    assert (r.invalid.n_skipped, r.invalid.n_clipped) == (6, 0)
    assert r.invalid.reasons == {
        "negative probability": 2,
        "nan": 1,
        "sum != 1": 1,
        "infinite": 1,
        "probability > 1": 1,
    }
    assert [e.row for e in r.invalid.examples] == [1, 2, 3, 4, 5, 6]
    assert r.invalid.examples[0] == InvalidRow("s", 1, "2", "negative probability", "-0.1")
    assert r.invalid.examples[-1] == InvalidRow("s", 6, "2", "probability > 1", "1.0005")


def test_invalid_rows_clip_repairs_what_it_can(backend: str) -> None:
    r = ScoreAccumulator(3, on_invalid="clip").update(_BAD, _LABELS).result()
    repaired = np.array(
        [
            [0.2, 0.3, 0.5],
            [0.2 / 1.1, 0.9 / 1.1, 0.0],
            [1 / 3, 1 / 3, 1 / 3],
            [0.0, 1.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ]
    )
    expected = score(repaired, [2, 1, 0, 1, 1, 2])
    assert r.n_rows == 6
    assert (r.invalid.n_skipped, r.invalid.n_clipped) == (1, 5)  # the NaN row is skipped
    assert r.invalid.reasons["nan"] == 1
    assert r.cross_entropy == pytest.approx(expected.cross_entropy, rel=1e-14)
    assert r.brier_score == pytest.approx(expected.brier_score, rel=1e-14)
    # a row of zeros (or of negatives) has no sum to renormalise by: skipped, counted
    zeros = np.array([[0.0, 0.0, 0.0], [-0.5, 0.0, 0.0], [0.5, 0.5, 0.0]])
    r = ScoreAccumulator(3, on_invalid="clip").update(zeros, [0, 1, 2]).result()
    assert (r.n_rows, r.invalid.n_skipped, r.invalid.n_clipped) == (1, 2, 0)
    assert r.invalid.reasons == {"sum != 1": 1, "negative probability": 1}
    assert r.cross_entropy == math.inf


def test_logits_invalid_rows(backend: str) -> None:
    x = np.array([[0.0, 1.0], [np.inf, 0.0], [np.nan, 0.0], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match=r"row 1, column 0: infinite \(inf\)"):
        score(x, [0, 0, 0, 0], kind="logits")
    r = score(x, [0, 0, 0, 1], kind="logits", on_invalid="skip")
    assert (r.n_rows, r.invalid.reasons) == (1, {"infinite": 2, "nan": 1})
    r = score(x, [0, 0, 0, 1], kind="logits", on_invalid="clip")
    # +inf -> the largest float: p = 1 for class 0; -inf, -inf -> equal logits: p = 1/2
    expected = (math.log1p(math.e) - 0.0 + 0.0 + math.log(2)) / 3
    assert r.n_rows == 3
    assert r.cross_entropy == pytest.approx(expected, rel=1e-14)
    assert (r.invalid.n_clipped, r.invalid.n_skipped) == (2, 1)
    with pytest.raises(ValueError, match=r"row 1: infinite \(-inf\)"):
        score(np.array([0.5, -np.inf]), [0, 1], kind="logit")
    with pytest.raises(ValueError, match=r"row 0: probability > 1 \(1\.5\)"):
        score(np.array([1.5]), [0], kind="probability")


def test_reader_invalid_rows_follow_the_policy(backend: str) -> None:
    bad = InvalidRow("a.csv", 3, "", "wrong column count", "3 fields, expected 4")
    p = np.array([[0.5, 0.5]])
    with pytest.raises(ValueError) as info:
        ScoreAccumulator(2).update(p, [0], source="a.csv", rows=[4], invalid=[bad])
    assert str(info.value).startswith(
        "cannot score a.csv, row 3: wrong column count (3 fields, expected 4); pass"
    )
    for policy in ("skip", "clip"):
        acc = ScoreAccumulator(2, on_invalid=policy)
        batch = Batch(p, np.array([0]), "probabilities", "a.csv", np.array([4]), None, (bad,))
        r = acc.update_batch(batch).result()
        assert r.n_rows == 1
        assert r.invalid.n_skipped == 1
        assert r.invalid.reasons == {"wrong column count": 1}
        assert r.invalid.examples == (bad,)
        assert r.sources == ("a.csv",)


def test_examples_keep_the_first_twenty_by_row(backend: str) -> None:
    p = np.full((50, 2), np.nan)
    acc = ScoreAccumulator(2, on_invalid="skip")
    acc = acc.update(p[:25], np.zeros(25, int), rows=np.arange(25, 50))
    acc = acc.update(p[25:], np.zeros(25, int), rows=np.arange(25)[::-1])
    r = acc.result()
    assert r.invalid.n_skipped == 50
    assert [e.row for e in r.invalid.examples] == list(range(20))


# -- rows, sources, worst rows --------------------------------------------------------------


def test_default_rows_continue_per_source(backend: str) -> None:
    p = np.array([[0.5, 0.5], [0.9, 0.1], [0.99, 0.01]])
    acc = ScoreAccumulator(2, worst=3)
    acc = acc.update(p[:2], [0, 1], source="a").update(p[2:], [1], source="a")
    acc = acc.update(p[1:2], [1], source="b")
    r = acc.result()
    assert [(w.source, w.row) for w in r.worst_rows] == [("a", 2), ("a", 1), ("b", 0)]
    assert r.sources == ("a", "b")
    first = r.worst_rows[0]
    assert (first.label, first.predicted) == ("1", "0")
    assert first.probability == pytest.approx(0.01)
    assert first.confidence == pytest.approx(0.99)


def test_worst_rows_tie_break_by_source_and_row(backend: str) -> None:
    p = np.full((6, 2), 0.5)
    acc = ScoreAccumulator(2, worst=4).update(p[:3], [0, 1, 0], source="b", rows=[5, 1, 3])
    acc = acc.update(p[3:], [1, 1, 1], source="a", rows=[9, 8, 7])
    r = acc.result()
    assert [(w.source, w.row) for w in r.worst_rows] == [("a", 7), ("a", 8), ("a", 9), ("b", 1)]


# -- calibration ----------------------------------------------------------------------------


def test_calibration_bins(backend: str) -> None:
    p = np.array([[0.95, 0.05], [0.95, 0.05], [0.6, 0.4], [0.45, 0.55], [1.0, 0.0]])
    y = [0, 1, 0, 0, 0]
    r = score(p, y, n_bins=10)
    cal = r.calibration
    assert cal.strategy == "uniform"
    np.testing.assert_allclose(cal.edges, np.linspace(0, 1, 11))
    np.testing.assert_array_equal(cal.count, [0, 0, 0, 0, 0, 1, 1, 0, 0, 3])
    assert cal.confidence[9] == pytest.approx((0.95 + 0.95 + 1.0) / 3)
    assert cal.accuracy[9] == pytest.approx(2 / 3)
    assert cal.accuracy[5] == 0.0  # predicted 1 (0.55), label 0
    assert math.isnan(cal.confidence[0])
    gaps = [abs(2 / 3 - 2.9 / 3) * 3, abs(1 - 0.6), abs(0 - 0.55)]
    assert cal.ece == pytest.approx(sum(gaps) / 5)
    assert cal.mce == pytest.approx(0.55)
    em = r.calibration_equal_mass
    assert em.strategy == "equal-mass"
    assert em.count.sum() == 5
    assert em.edges[0] == 0.0
    assert em.edges[-1] == 1.0
    assert np.all(np.diff(em.edges) >= 0)


def test_equal_mass_bins_have_about_equal_mass(backend: str) -> None:
    rng = np.random.default_rng(5)
    p = rng.random(6000) * 0.5 + 0.5
    p[:500] = 1.0 - rng.random(500) * 1e-9  # very confident rows: the fine log bins
    y = (rng.random(6000) < p).astype(int)
    em = score(p, y, kind="probability", n_bins=10).calibration_equal_mass
    assert len(em.count) == 10
    assert em.count.sum() == 6000
    assert np.all(np.abs(em.count - 600) <= 60)  # within the fine grid's granularity
    conf = np.maximum(p, 1 - p)
    for b in range(10):
        inside = (conf >= em.edges[b]) & (conf < em.edges[b + 1])
        if b == 9:
            inside |= conf == 1.0
        assert np.count_nonzero(inside) == em.count[b]
        assert em.confidence[b] == pytest.approx(conf[inside].mean(), rel=1e-12)
        predicted = (p > 0.5).astype(int)
        assert em.accuracy[b] == pytest.approx(np.mean(predicted[inside] == y[inside]))


def test_equal_mass_drops_empty_groups(backend: str) -> None:
    p = np.array([[1.0, 0.0]] * 9 + [[0.7, 0.3]])
    em = score(p, [0] * 10, n_bins=5).calibration_equal_mass
    assert list(em.count) == [1, 9]  # confidence 1 is one point mass: one bin
    assert list(em.edges) == [0.0, 1.0, 1.0]


# -- the result's other parts -------------------------------------------------------------


def test_histogram_of_cross_entropy(backend: str) -> None:
    p = np.array([[0.5, 0.5], [0.99, 0.01], [1.0, 0.0], [1e-6, 1 - 1e-6]])
    r = score(p, [0, 1, 1, 0], sample_weight=[1.0, 2.0, 3.0, 4.0])
    edges, weight = r.histogram_edges, r.histogram_weight
    assert edges[0] == 0.0
    assert edges[-1] == math.inf
    assert edges[-2] == 16.0
    assert len(weight) == len(edges) - 1
    assert weight.sum() == 10.0
    assert weight[int(math.log(2) * 100)] == 1.0
    assert weight[int(-math.log(0.01) * 100)] == 2.0
    assert weight[-1] == 3.0  # CE inf
    assert weight[int(-math.log(1e-6) * 100)] == 4.0


def test_prior_and_skill(backend: str) -> None:
    y = np.array([0] * 90 + [1] * 10)
    prior_pred = np.tile([0.9, 0.1], (100, 1))
    r = score(prior_pred, y)
    h = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))
    assert r.prior_entropy == pytest.approx(h, rel=1e-14)
    np.testing.assert_allclose(r.prior, [0.9, 0.1])
    assert r.cross_entropy == pytest.approx(h, rel=1e-14)
    assert abs(r.skill) < 1e-12
    assert verdict(r).level == "no skill"
    assert r.uniform_baseline == pytest.approx(math.log(2))


def test_empty_accumulator_result(backend: str) -> None:
    r = ScoreAccumulator(3).result()
    assert r.n_rows == 0
    assert math.isnan(r.cross_entropy)
    assert math.isnan(r.accuracy)
    assert math.isnan(r.ece)
    assert math.isnan(r.prior_entropy)
    assert r.worst_rows == ()
    assert r.interval is None
    assert np.all(np.isnan(r.class_cross_entropy))
    v = verdict(r)
    assert (v.level, v.headline) == ("broken", "Broken: no rows were scored.")
    all_bad = score(np.full((2, 2), np.nan), [0, 1], on_invalid="skip")
    assert verdict(all_bad).headline == (
        "Broken: no rows were scored (2 invalid rows skipped (nan: 2))."
    )


def test_one_class_is_rejected() -> None:
    with pytest.raises(ValueError, match="need at least 2 classes, got 1"):
        ScoreAccumulator(1)
    with pytest.raises(ValueError, match="need at least 2 classes, got 1"):
        score(np.ones((3, 1)), [0, 0, 0])


def test_a_large_class_count_has_no_confusion_matrix(backend: str) -> None:
    rng = np.random.default_rng(6)
    p = _probs(rng, 50, 1001)
    y = rng.integers(0, 1001, 50)
    r = score(p, y)
    assert r.confusion is None
    assert r.cross_entropy == pytest.approx(
        metrics.log_loss(y, p, labels=np.arange(1001)), rel=1e-12
    )


# -- options, errors, merge --------------------------------------------------------------


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="n_bins must be >= 1, got 0"):
        ScoreAccumulator(2, n_bins=0)
    with pytest.raises(TypeError, match="top_k must be an integer"):
        ScoreAccumulator(2, top_k=(1.5,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="on_invalid must be one of"):
        ScoreAccumulator(2, on_invalid="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="eps must be None or a number in"):
        ScoreAccumulator(2, eps=0.0)
    with pytest.raises(ValueError, match="sum_tolerance must be a finite number"):
        ScoreAccumulator(2, sum_tolerance=-1.0)
    with pytest.raises(ValueError, match="classes must be unique; 'a' appears more"):
        ScoreAccumulator(["a", "b", "a"])
    with pytest.raises(ValueError, match="level must be a number in"):
        ScoreAccumulator(2).result(level=1.0)
    assert ScoreAccumulator(3, top_k=(5, 2, 2)).options == ScoreOptions(top_k=(2, 5))


def test_inputs_are_checked() -> None:
    acc = ScoreAccumulator(3)
    with pytest.raises(ValueError, match=r"must have shape \(n, 3\)"):
        acc.update(np.ones((2, 4)) / 4, [0, 1])
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\)"):
        acc.update(np.ones((2, 3)) / 3, [0, 1, 2])
    with pytest.raises(ValueError, match="needs exactly 2 classes; got 3"):
        acc.update(np.ones(2) / 2, [0, 1], kind="probability")
    with pytest.raises(ValueError, match="kind must be one of"):
        acc.update(np.ones((2, 3)) / 3, [0, 1], kind="probs")  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"sample_weight must be finite and non-negative; found -1.0 at index 1"
    ):
        acc.update(np.ones((2, 3)) / 3, [0, 1], sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match=r"found nan at index 0"):
        acc.update(np.ones((2, 3)) / 3, [0, 1], sample_weight=[np.nan, 1.0])
    with pytest.raises(TypeError, match="labels must be integers, booleans or strings"):
        acc.update(np.ones((2, 3)) / 3, np.array([1j, 2j]))


def test_update_is_immutable_and_merge_checks(backend: str) -> None:
    p = np.array([[0.6, 0.4], [0.3, 0.7]])
    empty = ScoreAccumulator(2)
    one = empty.update(p, [0, 1])
    assert (empty.n_rows, one.n_rows) == (0, 2)
    assert one.merge(one).n_rows == 4
    with pytest.raises(ValueError, match=r"different classes: \('0', '1'\) vs \('a', 'b'\)"):
        one.merge(ScoreAccumulator(["a", "b"]))
    with pytest.raises(ValueError, match="different options: n_bins=15 vs 10, worst=10 vs 3"):
        one.merge(ScoreAccumulator(2, n_bins=10, worst=3))
    with pytest.raises(TypeError, match="can only merge a ScoreAccumulator"):
        one.merge("x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one accumulator"):
        merge_all([])
    parts = [ScoreAccumulator(2).update(p[i : i + 1], [i], rows=[i]) for i in range(2)]
    assert merge_all(parts).result().cross_entropy == pytest.approx(
        one.result().cross_entropy, rel=1e-15
    )


# -- bootstrap ------------------------------------------------------------------------------


def test_bootstrap_interval(backend: str) -> None:
    rng = np.random.default_rng(7)
    n = 4000
    p = _probs(rng, n, 4)
    y = rng.integers(0, 4, n)
    r = score(p, y, bootstrap=400, seed=3)
    ci = r.interval
    assert ci is not None
    assert ci.method == "Poisson bootstrap (400 resamples), percentile"
    assert (ci.level, ci.n_resamples) == (0.95, 400)
    assert ci.low < r.cross_entropy < ci.high
    ce = -np.log(p[np.arange(n), y])
    half = 1.96 * ce.std() / math.sqrt(n)  # the normal approximation
    assert (ci.high - ci.low) / 2 == pytest.approx(half, rel=0.15)
    assert score(p, y, bootstrap=400, seed=3).interval == ci  # deterministic
    assert score(p, y, bootstrap=400, seed=4).interval != ci
    narrow = ScoreAccumulator(4, bootstrap=400, seed=3).update(p, y).result(level=0.5)
    assert narrow.interval is not None
    assert ci.low < narrow.interval.low < narrow.interval.high < ci.high


def test_poisson_draws_have_mean_and_variance_one() -> None:
    from crossentropy.scoring._stats._tallies import GOLDEN, POISSON_THRESHOLDS, mix64_array

    keys = mix64_array(np.arange(200_000, dtype=np.uint64))
    draws = np.searchsorted(POISSON_THRESHOLDS, mix64_array(keys + np.uint64(GOLDEN)), "right")
    assert draws.mean() == pytest.approx(1.0, abs=0.01)
    assert draws.var() == pytest.approx(1.0, abs=0.02)
    assert np.mean(draws == 0) == pytest.approx(math.exp(-1), abs=0.005)


# -- verdict, rule of thumb, JSON -------------------------------------------------------------


@pytest.mark.parametrize(
    ("ce", "band"),
    [
        (0.0, "0.00 nats: perfect"),
        (0.01, "< 0.02 nats: great"),
        (0.02, "< 0.05 nats: on the right track"),
        (0.1, "< 0.20 nats: fine"),
        (0.2, "0.20-0.30 nats: in between (the scale has no word for it)"),
        (0.3, "0.20-0.30 nats: in between (the scale has no word for it)"),
        (0.5, "> 0.30 nats: not great"),
        (1.5, "> 1.00 nats: terrible"),
        (2.5, "> 2.00 nats: something is broken"),
        (math.inf, "> 2.00 nats: something is broken"),
    ],
)
def test_rule_of_thumb_bands(ce: float, band: str) -> None:
    got, note = rule_of_thumb(ce)
    assert got == band
    assert "6.91 for 1000" in note
    assert "0.056 nats" in note


def test_verdict_levels(backend: str) -> None:
    y = np.array([0, 1, 2, 0, 1, 2])
    eye = np.eye(3)[y]

    def level(p: np.ndarray) -> str:
        return verdict(score(p, y)).level

    assert level(0.97 * eye + 0.01) == "excellent"
    assert level(0.6 * eye + 0.4 / 3) == "good"
    assert level(0.15 * eye + 0.85 / 3) == "some skill"
    assert level(np.full((6, 3), 1 / 3)) == "no skill"
    assert level(0.6 * (1 - eye) / 2 + 0.4 / 3) == "worse than guessing"
    r = score(0.6 * eye + 0.4 / 3, y, bootstrap=50)
    v = verdict(r)
    assert v.headline.startswith("Good: the model removes")
    assert any(d.startswith("95% interval of the cross-entropy") for d in v.details)
    assert any(d.startswith("Baselines: the uniform guess ln 3 = 1.0986") for d in v.details)
    assert any("miscalibrated, under-confident" in d for d in v.details)
    over = verdict(score(0.97 * np.eye(3)[[1, 2, 0, 0, 1, 2]] + 0.01, y))
    assert over.level == "worse than guessing"
    single = verdict(score(np.array([[0.9, 0.1], [0.8, 0.2]]), [0, 0]))
    assert single.level == "no skill"
    assert "every scored row has the label '0'" in single.headline


def test_result_to_dict_is_json_safe(backend: str) -> None:
    p = np.array([[1.0, 0.0], [0.2, 0.8], [0.5, 0.5]])
    data = result_to_dict(score(p, [1, 1, 0], bootstrap=10, top_k=(1,)))
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["cross_entropy"] == "inf"
    assert back["n_classes"] == 2
    assert back["perplexity"] == "inf"
    assert back["uniform_baseline"] == pytest.approx(math.log(2))
    assert back["top_k_accuracy"] == {"1": pytest.approx(2 / 3)}  # a tie: the first
    assert back["histogram_edges"][-1] == "inf"
    assert back["verdict"]["level"] == "broken"
    assert back["calibration"]["strategy"] == "uniform"
    assert back["interval"]["n_resamples"] == 10
    assert back["worst_rows"][0]["cross_entropy"] == "inf"
    assert back["options"]["top_k"] == [1]
    for name in ("cross_entropy_bits", "skill", "ece", "mce"):
        assert name in back
    finite = result_to_dict(score(p[1:], [1, 0]))
    assert finite["cross_entropy"] == pytest.approx((-math.log(0.8) + math.log(2)) / 2)
    assert finite["cross_entropy_bits"] == pytest.approx(finite["cross_entropy"] / math.log(2))
