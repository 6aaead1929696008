"""Independent Bernoulli components: the family for binary vectors (max-cut, knapsack)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.method._families._checks import (
    check_alpha,
    check_count,
    check_rng,
    check_same_family,
    check_tol,
    index_text,
    normalized_weights,
    parameter_array,
    sample_matrix,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Bernoulli"]


def _binary(name: str, samples: ArrayLike, n: int) -> NDArray[np.float64]:
    """``samples`` of shape ``(m, n)`` with entries 0 or 1, as ``float64``."""
    x = sample_matrix(name, samples, (n,)).astype(np.float64)
    bad = (x != 0) & (x != 1)
    if bad.any():
        msg = f"{name} must hold 0/1 entries; found {x[bad][0]} at {index_text(bad)}"
        raise ValueError(msg)
    return x


@dataclass(frozen=True, eq=False, init=False)
class Bernoulli:
    r"""Independent Bernoulli components: binary vectors :math:`x \in \{0, 1\}^n`.

    Parameters
    ----------
    p : array_like, shape (n,)
        Success probabilities :math:`p_j = P(X_j = 1)`, each in ``[0, 1]``.

    Attributes
    ----------
    p : ndarray, shape (n,)
        A read-only ``float64`` copy of the probabilities.

    Notes
    -----
    The mass function is :math:`f(x; p) = \prod_j p_j^{x_j} (1 - p_j)^{1 - x_j}`.
    Samples are ``int64`` arrays of 0/1, shape ``(N, n)``.

    The cross-entropy update is the weighted maximum-likelihood estimate, the weighted
    mean of the elite samples,

    .. math:: \hat p_j = \frac{\sum_i w_i\, x_{ij}}{\sum_i w_i},

    which solves :math:`\max_p \sum_i w_i \ln f(x_i; p)` exactly (the Bernoulli family
    is a natural exponential family). With ``weights=None`` all :math:`w_i = 1`.

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67
       (the combinatorial-optimisation example and max-cut).

    Examples
    --------
    The fitted probabilities are the column means of the elites:

    >>> import numpy as np
    >>> elites = np.array([[1, 0, 1], [1, 1, 0]])
    >>> Bernoulli.uniform(3).fit(elites).p
    array([1. , 0.5, 0.5])
    >>> float(np.exp(Bernoulli([0.9, 0.2]).log_density([[1, 0]]))[0])  # 0.9 * 0.8
    0.72
    """

    p: NDArray[np.float64]

    def __init__(self, p: ArrayLike) -> None:
        probs = parameter_array("p", p, ndim=1)
        bad = (probs < 0) | (probs > 1)
        if bad.any():
            msg = (
                f"p must contain probabilities in [0, 1]; found {probs[bad][0]} at "
                f"{index_text(bad)}"
            )
            raise ValueError(msg)
        object.__setattr__(self, "p", probs)

    @classmethod
    def uniform(cls, n: int) -> Bernoulli:
        """All ``n`` components fair: ``p = 0.5`` (the usual start of the CE method)."""
        return cls(np.full(check_count(n, minimum=1), 0.5))

    @property
    def size(self) -> int:
        """The length ``n`` of a sample."""
        return int(self.p.shape[0])

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.int64]:
        """Draw ``n`` binary vectors, shape ``(n, size)``, ``int64`` 0/1."""
        draws = check_rng(rng).random((check_count(n), self.size))
        return (draws < self.p).astype(np.int64)

    def fit(self, samples: ArrayLike, weights: ArrayLike | None = None) -> Bernoulli:
        """Weighted maximum-likelihood family: ``p = sum_i w_i x_i / sum_i w_i``."""
        x = _binary("samples", samples, self.size)
        w = normalized_weights(weights, x.shape[0])
        # The weighted mean of 0/1 values can round a hair past 1: clip to the exact range.
        return Bernoulli(np.clip(w @ x, 0.0, 1.0))

    def smooth(self, previous: Bernoulli, alpha: float) -> Bernoulli:
        """``alpha * p + (1 - alpha) * previous.p``."""
        a = check_alpha(alpha)
        check_same_family(self, previous, shaped="p")
        return Bernoulli(np.clip(a * self.p + (1.0 - a) * previous.p, 0.0, 1.0))

    def log_density(self, samples: ArrayLike) -> NDArray[np.float64]:
        """``sum_j x_j ln p_j + (1 - x_j) ln(1 - p_j)`` per sample, ``-inf`` if impossible."""
        x = _binary("samples", samples, self.size).astype(bool)
        prob = np.where(x, self.p, 1.0 - self.p)
        # ln 0 = -inf is the exact answer for an impossible sample; no warning wanted.
        with np.errstate(divide="ignore"):
            return np.asarray(np.log(prob).sum(axis=1), dtype=np.float64)

    def is_degenerate(self, tol: float) -> bool:
        """Whether every ``p_j`` is within ``tol`` of 0 or 1."""
        t = check_tol(tol)
        return bool(np.all(np.minimum(self.p, 1.0 - self.p) <= t))

    def summary(self) -> dict[str, float]:
        """``min_p``, ``max_p`` and ``entropy`` (of the whole vector, nats)."""
        p = self.p
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 ln 0 = 0, set below
            terms = -(p * np.log(p) + (1.0 - p) * np.log1p(-p))
        entropy = float(np.where((p == 0) | (p == 1), 0.0, terms).sum())
        return {"min_p": float(p.min()), "max_p": float(p.max()), "entropy": entropy}
