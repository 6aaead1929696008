"""Tours sampled from a Markov transition matrix without revisits (TSP-like problems)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.method._families._checks import (
    check_alpha,
    check_count,
    check_rng,
    check_same_family,
    check_tol,
    normalized_weights,
    sample_matrix,
)
from crossentropy.method._families._discrete import choose, row_entropy, stochastic_matrix

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Permutation"]


@dataclass(frozen=True, eq=False, init=False)
class Permutation:
    r"""Tours (permutations of ``0..n-1``) from a transition matrix, without revisits.

    Parameters
    ----------
    transition : array_like, shape (n, n)
        A row-stochastic matrix (entries in ``[0, 1]``, rows summing to one within
        ``sqrt(eps)``), ``n >= 2``. Entry :math:`P_{ij}` weighs the move from city
        :math:`i` to city :math:`j`. The diagonal is never used (the current city is
        always visited already); :meth:`uniform` and :meth:`fit` give it zeros.
    start : int, default 0
        The city every sampled tour starts from.

    Attributes
    ----------
    transition : ndarray, shape (n, n)
        A read-only ``float64`` copy.
    start : int

    Notes
    -----
    **Sampling** (de Boer et al. [1]_, the travelling-salesman section): a tour starts at ``start``;
    from the current city :math:`i`, with :math:`U` the set of cities not visited yet,
    the next city is :math:`j \in U` with probability
    :math:`P_{ij} / \sum_{k \in U} P_{ik}` (row :math:`i` renormalised over
    :math:`U`). When every unvisited city has :math:`P_{ik} = 0` (which happens after
    fitting to few elites without smoothing), the next city is uniform over :math:`U`:
    the family stays a distribution over all tours and :meth:`log_density` follows the
    same rule. A sample is an ``int64`` array of shape ``(n,)``.

    **Update**: the weighted fraction of elite tours that use each transition,
    counting the closing edge back to the first city,

    .. math:: \hat P_{ij} = \frac{\sum_k w_k\, 1\{x_k \text{ moves } i \to j\}}
                                 {\sum_k w_k},

    which is de Boer et al.'s update for the TSP. It is the maximum-likelihood estimate of
    the unrestricted Markov chain, not of the renormalised tour distribution (which
    has no closed form); each row of :math:`\hat P` sums to one because every tour
    leaves each city exactly once. Tours may start anywhere in :meth:`fit`.

    **Density**: :meth:`log_density` is the log of the product of the renormalised
    transition probabilities along the tour, ``-inf`` for tours not starting at
    ``start``; over the :math:`(n-1)!` tours from ``start`` the probabilities sum to 1.

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67.

    Examples
    --------
    With four cities there are 3! = 6 tours from city 0, equally likely at the start:

    >>> import numpy as np
    >>> family = Permutation.uniform(4)
    >>> tours = family.sample(np.random.default_rng(0), 2)
    >>> tours.shape, bool(np.all(tours[:, 0] == 0))
    ((2, 4), True)
    >>> np.exp(family.log_density(tours))
    array([0.16666667, 0.16666667])
    >>> Permutation.uniform(3).fit([[0, 1, 2]]).transition
    array([[0., 1., 0.],
           [0., 0., 1.],
           [1., 0., 0.]])
    """

    transition: NDArray[np.float64]
    start: int

    def __init__(self, transition: ArrayLike, *, start: int = 0) -> None:
        matrix = stochastic_matrix("transition", transition)
        n = matrix.shape[0]
        if matrix.shape != (n, n) or n < 2:
            msg = f"transition must be a square matrix with n >= 2 cities, got {matrix.shape}"
            raise ValueError(msg)
        first = check_count(start, "start")
        if first >= n:
            msg = f"start must be a city in [0, {n}), got {first}"
            raise ValueError(msg)
        object.__setattr__(self, "transition", matrix)
        object.__setattr__(self, "start", first)

    @classmethod
    def uniform(cls, n: int, *, start: int = 0) -> Permutation:
        """Every move equally likely: ``P_ij = 1 / (n - 1)`` off the diagonal, 0 on it."""
        size = check_count(n, minimum=2)
        matrix = np.full((size, size), 1.0 / (size - 1))
        np.fill_diagonal(matrix, 0.0)
        return cls(matrix, start=start)

    @property
    def n_cities(self) -> int:
        """The number of cities ``n`` (the length of a tour)."""
        return int(self.transition.shape[0])

    def _tours(self, samples: ArrayLike) -> NDArray[np.int64]:
        x = sample_matrix("samples", samples, (self.n_cities,))
        valid = np.all(np.sort(x, axis=1) == np.arange(self.n_cities), axis=1)
        if not valid.all():
            row = int(np.argmin(valid))
            msg = (
                f"samples must be permutations of 0..{self.n_cities - 1}; row {row} is "
                f"{x[row].tolist()}"
            )
            raise ValueError(msg)
        return x.astype(np.int64)

    def _step_weights(
        self, current: NDArray[np.int64], visited: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """Row ``current`` of the matrix restricted to unvisited cities, per tour.

        Rows with no weight left on an unvisited city become uniform over those cities.
        """
        weights = np.where(visited, 0.0, self.transition[current])
        stuck = ~(weights > 0).any(axis=1)
        if stuck.any():
            weights[stuck] = (~visited[stuck]).astype(np.float64)
        return weights

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.int64]:
        """Draw ``n`` tours from ``start``, shape ``(n, n_cities)``, ``int64``."""
        generator = check_rng(rng)
        count = check_count(n)
        tours = np.empty((count, self.n_cities), dtype=np.int64)
        tours[:, 0] = self.start
        visited = np.zeros((count, self.n_cities), dtype=bool)
        visited[:, self.start] = True
        rows = np.arange(count)
        for step in range(1, self.n_cities):
            weights = self._step_weights(tours[:, step - 1], visited)
            nxt = choose(np.cumsum(weights, axis=1), generator.random(count))
            tours[:, step] = nxt
            visited[rows, nxt] = True
        return tours

    def fit(self, samples: ArrayLike, weights: ArrayLike | None = None) -> Permutation:
        """Weighted fraction of tours using each transition (closing edge included)."""
        tours = self._tours(samples)
        w = normalized_weights(weights, tours.shape[0])
        n = self.n_cities
        edges = tours * n + np.roll(tours, -1, axis=1)  # i -> j, and last -> first
        counts = np.bincount(edges.ravel(), weights=np.repeat(w, n), minlength=n * n)
        # Each row sums to one up to rounding (every tour leaves each city once).
        return Permutation(np.clip(counts.reshape(n, n), 0.0, 1.0), start=self.start)

    def smooth(self, previous: Permutation, alpha: float) -> Permutation:
        """``alpha * transition + (1 - alpha) * previous.transition`` (rows stay stochastic)."""
        a = check_alpha(alpha)
        check_same_family(self, previous, shaped="transition", same=("start",))
        mixed = a * self.transition + (1.0 - a) * previous.transition
        return Permutation(mixed, start=self.start)

    def log_density(self, samples: ArrayLike) -> NDArray[np.float64]:
        """Log-probability of each tour under the sequential renormalised sampling."""
        tours = self._tours(samples)
        m = tours.shape[0]
        out = np.zeros(m)
        visited = np.zeros((m, self.n_cities), dtype=bool)
        visited[:, self.start] = True
        rows = np.arange(m)
        for step in range(1, self.n_cities):
            weights = self._step_weights(tours[:, step - 1], visited)
            chosen = weights[rows, tours[:, step]]
            with np.errstate(divide="ignore"):  # ln 0 = -inf: a move the family never makes
                out += np.log(chosen) - np.log(weights.sum(axis=1))
            visited[rows, tours[:, step]] = True
        return np.where(tours[:, 0] == self.start, out, -math.inf)

    def is_degenerate(self, tol: float) -> bool:
        """Whether every row puts at least ``1 - tol`` on one transition."""
        return bool(np.all(self.transition.max(axis=1) >= 1.0 - check_tol(tol)))

    def summary(self) -> dict[str, float]:
        """``min_max_prob`` (smallest row maximum) and ``row_entropy`` (sum over rows, nats)."""
        return {
            "min_max_prob": float(self.transition.max(axis=1).min()),
            "row_entropy": float(row_entropy(self.transition).sum()),
        }
