"""Helpers for the discrete families: row-stochastic checks and inverse-cdf choices."""

from __future__ import annotations

from typing import TYPE_CHECKING

import array_api_compat.numpy as xnp
import numpy as np

from crossentropy._validation import check_probabilities
from crossentropy.method._families._checks import parameter_array

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["choose", "row_entropy", "stochastic_matrix"]


def stochastic_matrix(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """``value`` as a read-only 2-D ``float64`` array whose rows are distributions.

    Entries must be in ``[0, 1]`` and each row must sum to one within ``sqrt(eps)``
    (the package-wide tolerance); nothing is renormalised.
    """
    matrix = parameter_array(name, value, ndim=2)
    check_probabilities(
        xnp, name, matrix, axis=-1, hint="Normalise each row before building the family."
    )
    return matrix


def choose(cdf: NDArray[np.float64], u: NDArray[np.float64]) -> NDArray[np.int64]:
    """Index ``k`` with ``cdf[k-1] <= u * cdf[-1] < cdf[k]`` along the last axis of ``cdf``.

    ``cdf`` holds cumulative sums of non-negative weights (any positive total), shape
    broadcastable to ``u.shape + (K,)``; ``u`` holds uniforms in ``[0, 1)``. A chosen
    index always has positive weight. ``u * total`` can round up to ``total`` itself;
    that draw is given to the last index with positive weight, where it belongs.
    """
    total = cdf[..., -1]
    target = u * total
    index = (cdf <= target[..., None]).sum(axis=-1)
    k = cdf.shape[-1]
    if np.any(index >= k):
        weights = np.diff(cdf, axis=-1, prepend=0.0)
        last_positive = k - 1 - np.argmax(weights[..., ::-1] > 0, axis=-1)
        index = np.where(index >= k, np.broadcast_to(last_positive, index.shape), index)
    return np.asarray(index, dtype=np.int64)


def row_entropy(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Shannon entropy (nats) of each row, with ``0 ln 0 = 0``."""
    positive = matrix > 0
    logs = np.log(np.where(positive, matrix, 1.0))  # ln 1 = 0 stands in for 0 ln 0
    return np.asarray(0.0 - (matrix * logs).sum(axis=-1), dtype=np.float64)
