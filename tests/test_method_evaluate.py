"""The evaluation helper of the optimisers: per candidate, on an executor, vectorised."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from crossentropy.method._evaluate import evaluate

X = np.array([[1.0, 2.0], [3.0, 4.0]])


def test_one_call_per_candidate() -> None:
    np.testing.assert_array_equal(evaluate(lambda c: float(c @ c), X), [5.0, 25.0])


def test_on_an_executor() -> None:
    with ThreadPoolExecutor(2) as pool:
        got = evaluate(lambda c: float(c @ c), X, executor=pool)
    np.testing.assert_array_equal(got, [5.0, 25.0])


def test_vectorized() -> None:
    got = evaluate(lambda batch: (batch**2).sum(axis=1), X, vectorized=True)
    np.testing.assert_array_equal(got, [5.0, 25.0])
