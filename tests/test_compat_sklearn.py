"""``crossentropy.compat.sklearn`` against scikit-learn itself.

Both compute in ``y_proba``'s dtype with the same operations, so float64 and float32
agree at ``rtol=1e-12`` (measured: <= 8e-16).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from crossentropy.compat import sklearn as cs

metrics = pytest.importorskip("sklearn.metrics")

RTOL = 1e-12


def both(ours_fn: Any, ref_fn: Any, *args: Any, **kwargs: Any) -> tuple[float, float]:
    return ours_fn(*args, **kwargs), ref_fn(*args, **kwargs)


def assert_same(ours: float, ref: float) -> None:
    assert isinstance(ours, float)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_log_loss_random(rng, dtype, n_classes, normalize, weighted) -> None:
    y_proba = rng.dirichlet(np.ones(n_classes), size=40).astype(dtype)
    y_true = rng.integers(0, n_classes, size=40)
    y_true[:n_classes] = np.arange(n_classes)  # every class present
    sw = rng.uniform(0, 3, size=40) if weighted else None
    assert_same(
        *both(cs.log_loss, metrics.log_loss, y_true, y_proba, normalize=normalize, sample_weight=sw)
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_d2_log_loss_score(rng, dtype) -> None:
    y_proba = rng.dirichlet(np.ones(3), size=30).astype(dtype)
    y_true = rng.integers(0, 3, size=30)
    for sw in (None, rng.uniform(0, 2, size=30)):
        assert_same(
            *both(
                cs.d2_log_loss_score, metrics.d2_log_loss_score, y_true, y_proba, sample_weight=sw
            )
        )
    assert_same(*both(cs.d2_log_loss_score, metrics.d2_log_loss_score, y_true % 2, y_proba[:, 0]))


def test_string_labels_and_explicit_labels(rng) -> None:
    names = np.array(["cat", "dog", "emu"])
    y_proba = rng.dirichlet(np.ones(3), size=12)
    y_true = names[rng.integers(0, 3, size=12)]
    y_true[:3] = names
    assert_same(*both(cs.log_loss, metrics.log_loss, list(y_true), y_proba))
    # y_true holds only two of the three labels: labels= names the columns.
    two = np.where(y_true == "emu", "cat", y_true)
    assert_same(*both(cs.log_loss, metrics.log_loss, two, y_proba, labels=names))
    assert_same(*both(cs.log_loss, metrics.log_loss, [True, False, True], [0.9, 0.2, 0.6]))


def test_binary_1d_probabilities_and_label_shapes(rng) -> None:
    p = rng.uniform(size=10)
    y = rng.integers(0, 2, size=10)
    y[:2] = [0, 1]
    assert_same(*both(cs.log_loss, metrics.log_loss, y, p))
    assert_same(*both(cs.log_loss, metrics.log_loss, y[:, None], p))  # column vector
    assert_same(*both(cs.log_loss, metrics.log_loss, y, p[:, None]))  # (n, 1) y_proba
    assert_same(*both(cs.log_loss, metrics.log_loss, ["no", "yes"] * 5, p))


def test_indicator_matrix_y_true(rng) -> None:
    y = np.array([[0, 1, 1], [1, 0, 0], [1, 1, 0], [0, 0, 1]])
    p = rng.dirichlet(np.ones(3), size=4)
    assert_same(*both(cs.log_loss, metrics.log_loss, y, p))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_probabilities_of_exactly_zero_and_one(dtype) -> None:
    # Clipped to [eps, 1 - eps] of the dtype: a 0 on the true class costs -log(eps).
    y_proba = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], dtype=dtype)
    y_true = [0, 0, 1, 1]
    ours, ref = both(cs.log_loss, metrics.log_loss, y_true, y_proba, normalize=False)
    assert_same(ours, ref)
    assert np.isfinite(ours)
    assert_same(*both(cs.log_loss, metrics.log_loss, [0, 1], np.array([0, 1])))  # ints


def test_rows_not_summing_to_one_warn_and_are_used_as_given() -> None:
    y_proba = [[0.2, 0.7], [0.5, 0.5]]
    with pytest.warns(UserWarning, match="do not sum to one"):
        ours = cs.log_loss([0, 1], y_proba)
    with pytest.warns(UserWarning, match="do not sum to one"):
        ref = metrics.log_loss([0, 1], y_proba)
    assert_same(ours, ref)


def test_unsorted_labels_warn() -> None:
    with pytest.warns(UserWarning, match="sorted labels"):
        ours = cs.log_loss([0, 0, 0], [0.2, 0.3, 0.4], labels=[1, 0])
    with pytest.warns(UserWarning, match="lexicographically"):
        ref = metrics.log_loss([0, 0, 0], [0.2, 0.3, 0.4], labels=[1, 0])
    assert_same(ours, ref)


def test_negative_weights_are_allowed_as_in_sklearn() -> None:
    args = ([0, 1, 1], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]])
    assert_same(*both(cs.log_loss, metrics.log_loss, *args, sample_weight=[1.0, -1.0, 0.5]))


def test_d2_needs_two_samples() -> None:
    with pytest.warns(cs.UndefinedMetricWarning, match="two samples"):
        ours = cs.d2_log_loss_score([1], [0.3])
    with pytest.warns(UserWarning, match="two samples"):
        ref = metrics.d2_log_loss_score([1], [0.3])
    assert np.isnan(ours)
    assert np.isnan(ref)


def test_deprecated_y_pred_keyword() -> None:
    with pytest.warns(FutureWarning, match="y_proba"):
        ours = cs.log_loss([0, 1], y_pred=[0.3, 0.6])
    with pytest.warns(FutureWarning, match="y_proba"):
        ref = metrics.log_loss([0, 1], y_pred=[0.3, 0.6])
    assert_same(ours, ref)
    with pytest.raises(ValueError, match="both"):
        cs.log_loss([0, 1], [0.3, 0.6], y_pred=[0.3, 0.6])


def test_backends(backend, rng) -> None:
    y_proba = rng.dirichlet(np.ones(3), size=9).astype(np.float32)
    y_true = np.array([0, 1, 2] * 3)
    sw = rng.uniform(0.5, 2, size=9).astype(np.float32)
    ours = cs.log_loss(y_true, backend.asarray(y_proba), sample_weight=backend.asarray(sw))
    assert isinstance(ours, float)
    ref = metrics.log_loss(y_true, y_proba, sample_weight=sw)
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    if backend.name in ("torch", "array_api_strict"):  # labels as an array of that library
        ours = cs.log_loss(backend.asarray(y_true), backend.asarray(y_proba))
        np.testing.assert_allclose(ours, metrics.log_loss(y_true, y_proba), rtol=1e-6)


ERROR_CASES = [
    ("y_proba > 1", (["a", "b"], [0.2, 1.2]), {}, r"1\.2"),
    ("NaN", (["a", "b"], [0.2, np.nan]), {}, "finite"),
    ("lengths", (["a", "b"], [0.2]), {}, "same number of samples"),
    (
        "weight length",
        (["a", "b"], [0.2, 0.3]),
        {"sample_weight": [1.0, 2.0, 3.0]},
        "same number of samples",
    ),
    ("3-d", (["a", "b"], np.zeros((2, 2, 2))), {}, "1-D"),
    ("empty", ([], []), {}, "at least one sample"),
    ("one class", ([0, 0, 0], [0.2, 0.3, 0.4]), {}, "only one label"),
    ("not in labels", ([0, 0, 2], [0.2, 0.3, 0.4]), {"labels": [0, 1]}, r"\[2\]"),
    ("continuous", ([0.5, 0.2, 1.0], [0.2, 0.3, 0.4]), {}, "continuous"),
    ("columns", ([0, 1, 2], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]), {}, "columns"),
    (
        "columns with labels",
        ([0, 1, 2], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]),
        {"labels": [0, 1, 2]},
        "columns",
    ),
    (
        "multioutput",
        (np.array([[0, 1], [1, 0], [1, 2]]), [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]),
        {},
        "indicator",
    ),
    (
        "zero weights",
        ([0, 1, 1], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]),
        {"sample_weight": [0.0, 0.0, 0.0]},
        "non-zero",
    ),
    (
        "NaN weight",
        ([0, 1, 1], [[0.2, 0.8], [0.3, 0.7], [0.5, 0.5]]),
        {"sample_weight": [1.0, np.nan, 0.5]},
        "finite",
    ),
]


@pytest.mark.parametrize(
    ("case", "args", "kwargs", "match"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_errors_where_sklearn_raises(case, args, kwargs, match) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sklearn may warn before raising
        with pytest.raises(ValueError):  # only the type is common
            metrics.log_loss(*args, **kwargs)
    with pytest.raises(ValueError, match=match):
        cs.log_loss(*args, **kwargs)


def test_weights_summing_to_zero() -> None:
    args = ([0, 1], [[0.2, 0.8], [0.3, 0.7]])
    with pytest.raises(ZeroDivisionError):
        metrics.log_loss(*args, sample_weight=[1.0, -1.0])
    with pytest.raises(ZeroDivisionError, match="sums to zero"):
        cs.log_loss(*args, sample_weight=[1.0, -1.0])
