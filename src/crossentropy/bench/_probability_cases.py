"""Cross-entropy of float64 probabilities ``(N, C)`` with integer labels (log loss).

The probabilities are the softmax of standard normal logits, so every row sums to one
to rounding and no probability is near the clipping bound of scikit-learn: all
implementations compute the same mean of ``-log p[i, y_i]`` and must agree to ~1e-12.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossentropy.bench._measure import Prepared

if TYPE_CHECKING:
    from collections.abc import Callable

    from crossentropy.bench._spec import CaseSpec

__all__ = ["SETUPS", "probability_inputs"]


def probability_inputs(shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of probabilities (a softmax of normal logits) and uniform int64 labels."""
    n, c = shape
    rng = np.random.default_rng(seed)
    p = np.exp(rng.standard_normal((n, c)))
    p /= p.sum(axis=1, keepdims=True)
    return p, rng.integers(0, c, n)


def _sklearn(spec: CaseSpec) -> Prepared:
    from sklearn.metrics import log_loss

    p, y = probability_inputs(spec.shape, spec.seed)
    labels = list(range(p.shape[1]))
    return Prepared(lambda: log_loss(y, p, labels=labels), p.nbytes)


def _numpy(spec: CaseSpec) -> Prepared:
    p, y = probability_inputs(spec.shape, spec.seed)
    rows = np.arange(p.shape[0])
    return Prepared(lambda: -np.mean(np.log(p[rows, y])), p.nbytes)


def _losses(spec: CaseSpec) -> Prepared:
    from crossentropy.losses import categorical_cross_entropy

    p, y = probability_inputs(spec.shape, spec.seed)
    return Prepared(lambda: categorical_cross_entropy(p, y), p.nbytes)


def _compat(spec: CaseSpec) -> Prepared:
    from crossentropy.compat.sklearn import log_loss

    p, y = probability_inputs(spec.shape, spec.seed)
    labels = list(range(p.shape[1]))
    return Prepared(lambda: log_loss(y, p, labels=labels), p.nbytes)


SETUPS: dict[str, Callable[[CaseSpec], Prepared]] = {
    "sklearn": _sklearn,
    "numpy": _numpy,
    "losses": _losses,
    "compat": _compat,
}
