"""One rule for every tolerance: a finite real number >= 0 (None where a default exists)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from crossentropy import info, losses
from crossentropy.method import Bernoulli, CrossEntropyOptimizer

P = np.array([[0.25, 0.75], [0.5, 0.5]])


def _entropy(tol: Any) -> Any:
    return info.entropy(P, tol=tol)


def _categorical(tol: Any) -> Any:
    return losses.categorical_cross_entropy(P, np.array([[0.0, 1.0], [1.0, 0.0]]), tol=tol)


def _degenerate(tol: Any) -> Any:
    return Bernoulli.uniform(3).is_degenerate(tol)


def _optimizer(tol: Any) -> Any:
    return CrossEntropyOptimizer(Bernoulli.uniform(3), degenerate_tol=tol)


OPTIONAL = [("tol", _entropy), ("tol", _categorical)]
REQUIRED = [("tol", _degenerate), ("degenerate_tol", _optimizer)]


@pytest.mark.parametrize(("name", "call"), OPTIONAL + REQUIRED)
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, -1e-3, np.float64(np.inf)])
def test_infinite_nan_and_negative_tolerances_are_refused_alike(
    name: str, call: Any, bad: float
) -> None:
    optional = "None or " if (name, call) in OPTIONAL else ""
    with pytest.raises(ValueError, match=rf"^{name} must be {optional}a finite number >= 0, got"):
        call(bad)


@pytest.mark.parametrize(("name", "call"), OPTIONAL + REQUIRED)
@pytest.mark.parametrize("bad", [True, "1e-3", [1e-3]])
def test_non_numbers_are_type_errors(name: str, call: Any, bad: object) -> None:
    with pytest.raises(TypeError, match=rf"^{name} must be .*a finite number >= 0, got"):
        call(bad)


def test_none_means_the_default_only_where_there_is_one() -> None:
    # the default tolerance of the dtype: exactly what the libraries' own checks allow
    expected = -(P * np.log(P)).sum(axis=-1)
    np.testing.assert_allclose(_entropy(None), expected, rtol=1e-15)
    assert float(_categorical(None)) == pytest.approx(-(np.log(0.75) + np.log(0.5)) / 2)
    with pytest.raises(TypeError, match="tol must be a finite number >= 0, got NoneType"):
        _degenerate(None)


def test_finite_tolerances_are_used() -> None:
    assert _degenerate(0.5) is True  # p = 0.5 is within 0.5 of {0, 1}
    assert _degenerate(0.0) is False
    np.testing.assert_allclose(_entropy(np.float32(1e-3)), -(P * np.log(P)).sum(axis=-1))
