"""Section 5: the worked examples users know, computed by the library, checked exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

import crossentropy as ce
from crossentropy import examples
from crossentropy.losses import (
    binary_cross_entropy,
    categorical_cross_entropy,
    softmax_cross_entropy,
)


@pytest.mark.parametrize("row", examples.CAT_DOG_HORSE, ids=lambda r: r.name)
def test_cat_dog_horse(row: examples.ClassificationExample) -> None:
    oracle = -math.log(row.prediction[row.target])
    by_info = float(ce.cross_entropy(row.target_distribution, row.prediction))
    by_loss = float(categorical_cross_entropy(np.array([row.prediction]), np.array([row.target])))
    assert by_info == pytest.approx(oracle, rel=1e-15)
    assert by_loss == pytest.approx(oracle, rel=1e-15)
    assert round(by_info, 2) == row.printed


def test_cat_dog_horse_batch_mean_and_sum() -> None:
    probs = np.array([row.prediction for row in examples.CAT_DOG_HORSE])
    labels = np.array([row.target for row in examples.CAT_DOG_HORSE])
    total = -math.log(0.4) - math.log(0.7)
    assert float(categorical_cross_entropy(probs, labels, reduction="sum")) == pytest.approx(
        total, rel=1e-15
    )
    assert float(categorical_cross_entropy(probs, labels)) == pytest.approx(total / 2, rel=1e-15)
    # the same numbers from logits: log-probabilities are logits up to a constant
    assert float(softmax_cross_entropy(np.log(probs) + 3.0, labels)) == pytest.approx(
        total / 2, rel=1e-14
    )


def test_iris_rows_and_the_printed_total() -> None:
    probabilities = np.array([row.probability for row in examples.IRIS_ROWS])
    losses = ce.information(probabilities)
    assert losses.tolist() == pytest.approx(
        [-math.log(0.57), -math.log(0.58), -math.log(0.52)], rel=1e-15
    )
    assert [round(v, 2) for v in losses.tolist()] == [row.printed for row in examples.IRIS_ROWS]
    total = float(np.sum(losses))
    assert total == pytest.approx(examples.iris_total(), rel=1e-15)
    # The tutorial prints 1.75: the sum of its rounded terms. The exact sum rounds to 1.76.
    assert round(sum(row.printed for row in examples.IRIS_ROWS), 2) == examples.IRIS_PRINTED_TOTAL
    assert round(total, 2) == 1.76
    assert round(total, 2) != examples.IRIS_PRINTED_TOTAL


def test_distribution_with_itself_gives_its_entropy() -> None:
    p = np.array([0.4, 0.4, 0.2])
    h = -(2 * 0.4 * math.log(0.4) + 0.2 * math.log(0.2))
    assert float(ce.cross_entropy(p, p)) == pytest.approx(h, rel=1e-15)
    assert float(ce.entropy(p)) == pytest.approx(h, rel=1e-15)
    assert float(ce.kl_divergence(p, p)) == 0.0


def test_cross_entropy_through_kl() -> None:
    p = np.array([0.1, 0.2, 0.7])
    q = np.array([0.3, 0.3, 0.4])
    oracle = -sum(pi * math.log(qi) for pi, qi in zip(p, q, strict=True))
    assert float(ce.cross_entropy(p, q)) == pytest.approx(oracle, rel=1e-15)
    assert float(ce.entropy(p) + ce.kl_divergence(p, q)) == pytest.approx(oracle, rel=1e-14)


def test_uniform_has_more_entropy_than_skewed() -> None:
    uniform = float(ce.entropy([0.25] * 4, base="bits"))
    skewed = float(ce.entropy([0.7, 0.1, 0.1, 0.1], base="bits"))
    assert uniform == pytest.approx(2.0, rel=1e-15)
    assert skewed == pytest.approx(-(0.7 * math.log2(0.7) + 0.3 * math.log2(0.1)), rel=1e-14)
    assert uniform > skewed


def test_binary_log_loss_is_two_class_cross_entropy() -> None:
    from sklearn.metrics import log_loss

    p = np.array([0.9, 0.2, 0.65, 0.5, 0.01])
    y = np.array([1, 0, 1, 0, 0])
    binary = float(binary_cross_entropy(p, y.astype(np.float64)))
    two_class = float(categorical_cross_entropy(np.stack([1 - p, p], axis=-1), y))
    oracle = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert binary == pytest.approx(oracle, rel=1e-14)
    assert two_class == pytest.approx(oracle, rel=1e-14)
    assert log_loss(y, p) == pytest.approx(binary, rel=1e-14)
