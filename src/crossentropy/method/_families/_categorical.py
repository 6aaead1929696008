"""Independent categorical choices per position (assignment and discrete-choice problems)."""

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
    sample_matrix,
)
from crossentropy.method._families._discrete import choose, row_entropy, stochastic_matrix

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Categorical"]


@dataclass(frozen=True, eq=False, init=False)
class Categorical:
    r"""Independent categorical choices, one distribution per position.

    Parameters
    ----------
    probs : array_like, shape (n_positions, n_choices)
        Row ``j`` is the distribution of the choice at position ``j``: entries in
        ``[0, 1]``, each row summing to one (within ``sqrt(eps)``; nothing is
        renormalised). Positions with fewer choices put zero mass on the extra columns.

    Attributes
    ----------
    probs : ndarray, shape (n_positions, n_choices)
        A read-only ``float64`` copy.

    Notes
    -----
    A sample is an ``int64`` vector :math:`x` of shape ``(n_positions,)`` with
    :math:`x_j \in \{0, \dots, n_{choices} - 1\}` and mass
    :math:`f(x; P) = \prod_j P_{j, x_j}`. The cross-entropy update, the weighted
    maximum-likelihood estimate, is the weighted frequency of each choice,

    .. math:: \hat P_{jc} = \frac{\sum_i w_i\, 1\{x_{ij} = c\}}{\sum_i w_i}.

    Smoothing is a convex combination of the two matrices, so rows stay distributions.

    References
    ----------
    .. [1] R. Y. Rubinstein and D. P. Kroese, "The Cross-Entropy Method: A Unified
       Approach to Combinatorial Optimization, Monte-Carlo Simulation, and Machine
       Learning", Springer (2004), chapter 4.

    Examples
    --------
    >>> import numpy as np
    >>> elites = np.array([[0, 2], [1, 2], [0, 2], [0, 1]])
    >>> Categorical.uniform(2, 3).fit(elites).probs
    array([[0.75, 0.25, 0.  ],
           [0.  , 0.25, 0.75]])
    """

    probs: NDArray[np.float64]

    def __init__(self, probs: ArrayLike) -> None:
        object.__setattr__(self, "probs", stochastic_matrix("probs", probs))

    @classmethod
    def uniform(cls, n_positions: int, n_choices: int) -> Categorical:
        """Every position uniform over ``n_choices`` choices."""
        rows = check_count(n_positions, "n_positions", minimum=1)
        cols = check_count(n_choices, "n_choices", minimum=1)
        return cls(np.full((rows, cols), 1.0 / cols))

    @property
    def n_positions(self) -> int:
        """The number of positions (the length of a sample)."""
        return int(self.probs.shape[0])

    @property
    def n_choices(self) -> int:
        """The number of choices per position."""
        return int(self.probs.shape[1])

    def _choices(self, samples: ArrayLike) -> NDArray[np.int64]:
        x = sample_matrix("samples", samples, (self.n_positions,))
        bad = (x < 0) | (x >= self.n_choices) | (x != np.round(x))
        if bad.any():
            msg = (
                f"samples must hold integer choices in [0, {self.n_choices}); found "
                f"{x[bad][0]} at {index_text(bad)}"
            )
            raise ValueError(msg)
        return x.astype(np.int64)

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.int64]:
        """Draw ``n`` choice vectors, shape ``(n, n_positions)``, ``int64``."""
        u = check_rng(rng).random((check_count(n), self.n_positions))
        return choose(np.cumsum(self.probs, axis=1), u)

    def fit(self, samples: ArrayLike, weights: ArrayLike | None = None) -> Categorical:
        """Weighted frequency of each choice at each position."""
        x = self._choices(samples)
        w = normalized_weights(weights, x.shape[0])
        flat = (np.arange(self.n_positions) * self.n_choices + x).ravel()
        counts = np.bincount(
            flat, weights=np.repeat(w, self.n_positions), minlength=self.probs.size
        )
        rows = counts.reshape(self.probs.shape)
        # Rows of weights summing to one can round a hair off; the check allows sqrt(eps).
        return Categorical(np.clip(rows, 0.0, 1.0))

    def smooth(self, previous: Categorical, alpha: float) -> Categorical:
        """``alpha * probs + (1 - alpha) * previous.probs`` (rows stay distributions)."""
        a = check_alpha(alpha)
        check_same_family(self, previous, shaped="probs")
        return Categorical(a * self.probs + (1.0 - a) * previous.probs)

    def log_density(self, samples: ArrayLike) -> NDArray[np.float64]:
        """``sum_j ln probs[j, x_j]`` per sample (``-inf`` for an impossible choice)."""
        x = self._choices(samples)
        chosen = self.probs[np.arange(self.n_positions), x]
        with np.errstate(divide="ignore"):  # ln 0 = -inf is the exact answer
            return np.asarray(np.log(chosen).sum(axis=1), dtype=np.float64)

    def is_degenerate(self, tol: float) -> bool:
        """Whether every position puts at least ``1 - tol`` on one choice."""
        return bool(np.all(self.probs.max(axis=1) >= 1.0 - check_tol(tol)))

    def summary(self) -> dict[str, float]:
        """``min_max_prob`` (the least decided position's top probability), ``entropy`` (nats)."""
        return {
            "min_max_prob": float(self.probs.max(axis=1).min()),
            "entropy": float(row_entropy(self.probs).sum()),
        }
