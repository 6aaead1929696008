"""The public losses choose between the fused kernels and the generic path, never looping.

Regression for the kernels<->losses recursion: a float64 (40, 1000) input with one +inf
per row holds >= 32768 entries in its non-finite rows, so the kernels' exact recomputation
of those rows used to dispatch to the kernels again, without end (RecursionError).
"""

from __future__ import annotations

import numpy as np
import pytest

from crossentropy import kernels
from crossentropy._agnostic._categorical import generic_categorical_cross_entropy
from crossentropy._agnostic._softmax import generic_softmax_cross_entropy
from crossentropy.losses import categorical_cross_entropy, softmax_cross_entropy, value_and_grad
from crossentropy.losses._dispatch import KERNEL_MIN_SIZE

ROWS, CLASSES = 40, 1000


def _inf_rows(label_hit: bool) -> tuple[np.ndarray, np.ndarray]:
    """One +inf per row: on the label (loss 0) or beside it (loss +inf)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(ROWS, CLASSES))
    labels = rng.integers(0, CLASSES, size=ROWS)
    where = labels if label_hit else (labels + 1) % CLASSES
    x[np.arange(ROWS), where] = np.inf
    return x, labels


def _generic(x: np.ndarray, labels: np.ndarray, reduction: str, with_grad: bool):  # type: ignore[no-untyped-def]
    return generic_softmax_cross_entropy(
        x,
        labels,
        axis=-1,
        weight=None,
        sample_weight=None,
        ignore_index=-100,
        label_smoothing=0.0,
        reduction=reduction,  # type: ignore[arg-type]
        with_grad=with_grad,
    )


def test_the_case_is_past_the_dispatch_threshold() -> None:
    x, _ = _inf_rows(label_hit=True)
    assert x.size >= KERNEL_MIN_SIZE  # the non-finite rows alone hold 40000 entries


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_hit", [True, False])
def test_value_with_inf_rows(reduction: str, label_hit: bool) -> None:
    x, labels = _inf_rows(label_hit)
    got = softmax_cross_entropy(x, labels, reduction=reduction)
    expected = 0.0 if label_hit else np.inf  # the limit: softmax is one-hot at the +inf
    np.testing.assert_array_equal(got, np.broadcast_to(expected, np.shape(got)))
    np.testing.assert_array_equal(got, _generic(x, labels, reduction, with_grad=False).value)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_value_and_grad_with_inf_rows(reduction: str) -> None:
    x, labels = _inf_rows(label_hit=True)
    got = value_and_grad(softmax_cross_entropy)(x, labels, reduction=reduction)
    ref = _generic(x, labels, reduction, with_grad=True)
    np.testing.assert_array_equal(got.value, ref.value)
    np.testing.assert_array_equal(got.grad, ref.grad)
    # softmax is one-hot on the label itself, so the gradient p - t is exactly 0
    np.testing.assert_array_equal(got.grad, np.zeros_like(x))


def test_label_smoothing_and_weights_with_inf_rows() -> None:
    x, labels = _inf_rows(label_hit=True)
    w = np.linspace(0.5, 1.5, CLASSES)
    options = {"weight": w, "label_smoothing": 0.1, "reduction": "none"}
    got = value_and_grad(softmax_cross_entropy)(x, labels, **options)
    ref = generic_softmax_cross_entropy(
        x,
        labels,
        axis=-1,
        weight=w,
        sample_weight=None,
        ignore_index=-100,
        label_smoothing=0.1,
        reduction="none",
        with_grad=True,
    )
    np.testing.assert_array_equal(got.value, ref.value)  # smoothing puts mass on -inf terms
    np.testing.assert_allclose(got.grad, ref.grad, rtol=1e-15, atol=0)


def test_kernel_entry_points_with_inf_rows() -> None:
    x, labels = _inf_rows(label_hit=True)
    assert float(kernels.softmax_cross_entropy(x, labels)) == 0.0
    result = kernels.softmax_cross_entropy_with_grad(x, labels, reduction="sum")
    assert float(result.loss) == 0.0
    np.testing.assert_array_equal(result.grad, np.zeros_like(x))
    np.testing.assert_array_equal(result.lse, np.inf)


def test_categorical_with_zero_probability_rows() -> None:
    rng = np.random.default_rng(3)
    p = rng.random((ROWS, CLASSES))
    labels = rng.integers(0, CLASSES, size=ROWS)
    p[np.arange(ROWS), labels] = 0.0  # every row's true class has probability 0
    p /= p.sum(axis=1, keepdims=True)
    got = categorical_cross_entropy(p, labels, reduction="none")
    np.testing.assert_array_equal(got, np.inf)
    ref = generic_categorical_cross_entropy(
        p,
        labels,
        axis=-1,
        weight=None,
        sample_weight=None,
        ignore_index=-100,
        label_smoothing=0.0,
        reduction="none",
        clip=None,
        tol=None,
        with_grad=False,
    )
    np.testing.assert_array_equal(got, ref.value)
    # the categorical value and gradient of the public function
    pair = value_and_grad(categorical_cross_entropy)(p, labels, reduction="sum")
    assert float(pair.value) == np.inf
