"""The travelling salesman problem: tours, exact solutions by Held-Karp, shipped instances."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np

from crossentropy.method._checks import as_generator
from crossentropy.method._families import Permutation
from crossentropy.method.problems._base import as_candidates, frozen_array

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["ExactTour", "TravellingSalesman", "held_karp", "random_euclidean_tsp"]

#: Published optimal tour lengths of the shipped TSPLIB instances (Reinelt's TSPLIB).
#: Held-Karp needs 2^(n-1) (n-1) table entries: n = 20 is about 10^7.
MAX_HELD_KARP_CITIES = 20


class ExactTour(NamedTuple):
    """An optimal tour and its length, from :func:`held_karp`."""

    length: float
    tour: NDArray[np.intp]


def _check_permutations(tours: NDArray, n: int, name: str) -> NDArray[np.intp]:
    """``tours`` as intp after checking that every row is a permutation of ``0..n-1``."""
    if not (np.issubdtype(tours.dtype, np.integer) or np.all(tours == np.round(tours))):
        msg = f"{name} must hold integer city indices, got dtype {tours.dtype}"
        raise ValueError(msg)
    t = tours.astype(np.intp)
    bad = np.any(np.sort(t, axis=-1) != np.arange(n), axis=-1)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        row = t[index] if index else t
        msg = f"{name} must be permutations of 0..{n - 1}; row {list(index)} is {row.tolist()}"
        raise ValueError(msg)
    return t


@dataclass(frozen=True, eq=False, init=False)
class TravellingSalesman:
    r"""A travelling salesman instance: the shortest closed tour through all cities.

    Parameters
    ----------
    distances : array_like, shape (n, n)
        :math:`d_{ij} \ge 0`, the cost of going from city :math:`i` to :math:`j`
        (need not be symmetric); the diagonal is ignored.
    name : str, default "tsp"
    comment : str, default ""
        Free text (a TSPLIB file's COMMENT lines).
    edge_weight_type : str, default "EXPLICIT"
        How the distances were made (TSPLIB's EDGE_WEIGHT_TYPE, or ``"EUCLIDEAN"`` for
        :func:`random_euclidean_tsp`).
    coordinates : array_like, shape (n, k), optional
        City coordinates, where the instance has them.
    optimum : float, optional
        The known optimal tour length.
    optimal_tour : array_like of int, shape (n,), optional
        An optimal tour (0-based), checked against ``optimum``.

    Attributes
    ----------
    sense : {"minimize"}
        Shorter tours are better.

    Notes
    -----
    A tour is a permutation :math:`\pi` of :math:`0, \dots, n-1`; its length is

    .. math:: S(\pi) = \sum_{k=0}^{n-1} d_{\pi_k \pi_{k+1}}, \qquad \pi_n = \pi_0,

    the objective of the tutorial's Section 4 with a Markov-chain (permutation)
    sampling family.

    Examples
    --------
    >>> from crossentropy.method.problems import TravellingSalesman
    >>> square = TravellingSalesman([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]])
    >>> square.evaluate([[0, 1, 2, 3], [0, 2, 1, 3]])
    array([4., 6.])
    """

    distances: NDArray[np.generic] = field(repr=False)
    name: str = "tsp"
    comment: str = field(default="", repr=False)
    edge_weight_type: str = "EXPLICIT"
    coordinates: NDArray[np.float64] | None = field(default=None, repr=False)
    optimum: float | None = None
    optimal_tour: NDArray[np.intp] | None = field(default=None, repr=False)

    def __init__(
        self,
        distances: ArrayLike,
        *,
        name: str = "tsp",
        comment: str = "",
        edge_weight_type: str = "EXPLICIT",
        coordinates: ArrayLike | None = None,
        optimum: float | None = None,
        optimal_tour: ArrayLike | None = None,
    ) -> None:
        for key, value in (
            ("distances", distances),
            ("name", name),
            ("comment", comment),
            ("edge_weight_type", edge_weight_type),
            ("coordinates", coordinates),
            ("optimum", optimum),
            ("optimal_tour", optimal_tour),
        ):
            object.__setattr__(self, key, value)
        self._validate()

    def _validate(self) -> None:
        d = np.array(self.distances)
        if d.dtype == object or not np.issubdtype(d.dtype, np.number):
            msg = f"distances must be numeric, got dtype {d.dtype}"
            raise TypeError(msg)
        if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] < 3:
            msg = f"distances must be a square matrix with at least 3 cities, got shape {d.shape}"
            raise ValueError(msg)
        bad = ~np.isfinite(d) | (d < 0)
        if bad.any():
            index = [int(i) for i in np.argwhere(bad)[0]]
            value = d[tuple(index)].item()
            msg = f"distances must be finite and >= 0, got {value!r} at index {index}"
            raise ValueError(msg)
        object.__setattr__(self, "distances", frozen_array(d))
        if self.coordinates is not None:
            coords = np.array(self.coordinates, dtype=np.float64)
            if coords.ndim != 2 or coords.shape[0] != d.shape[0]:
                msg = f"coordinates must have shape ({d.shape[0]}, k), got {coords.shape}"
                raise ValueError(msg)
            object.__setattr__(self, "coordinates", frozen_array(coords))
        if self.optimum is not None:
            object.__setattr__(self, "optimum", float(self.optimum))
        if self.optimal_tour is not None:
            tour = as_candidates(self.optimal_tour, d.shape[0], "optimal_tour")
            if tour.ndim != 1:
                msg = f"optimal_tour must have shape ({d.shape[0]},), got {tour.shape}"
                raise ValueError(msg)
            tour = _check_permutations(tour, d.shape[0], "optimal_tour")
            length = float(self.evaluate(tour))
            if self.optimum is not None and not math.isclose(length, self.optimum, rel_tol=1e-12):
                msg = f"optimal_tour has length {length!r}, not the given optimum {self.optimum!r}"
                raise ValueError(msg)
            object.__setattr__(self, "optimal_tour", frozen_array(tour))

    @property
    def sense(self) -> Literal["minimize"]:
        """``"minimize"``: shorter tours are better."""
        return "minimize"

    @property
    def n_cities(self) -> int:
        """The number of cities ``n`` (the length of a tour)."""
        return int(self.distances.shape[0])

    @property
    def symmetric(self) -> bool:
        """Whether :math:`d_{ij} = d_{ji}` for all cities."""
        return bool(np.array_equal(self.distances, self.distances.T))

    def evaluate(self, candidates: ArrayLike) -> NDArray[np.float64]:
        """The length of each closed tour; ``candidates`` has shape ``(..., n)``.

        Raises ``ValueError`` naming the first row that is not a permutation.
        """
        tours = _check_permutations(
            as_candidates(candidates, self.n_cities), self.n_cities, "candidates"
        )
        following = np.roll(tours, -1, axis=-1)
        return np.asarray(self.distances[tours, following].sum(axis=-1), dtype=np.float64)

    # The cross-entropy method's starting point for this problem (used by `crossentropy cem`).

    def initial_family(self) -> Permutation:
        """The sampling family the cross-entropy method starts from: every tour equally likely."""
        return Permutation.uniform(self.n_cities)

    @property
    def default_sample_size(self) -> int:
        """Candidates per iteration that suit this problem.

        ``10 n^2`` for n cities (a Markov-chain family has n^2 parameters).
        """
        return 10 * self.n_cities**2

    @property
    def default_rho(self) -> float:
        """The elite fraction that suits this problem.

        0.02: the elite of a permutation sample must be small to sharpen the transition
        matrix.
        """
        return 0.02

    def describe(self) -> str:
        """What the instance is and its known optimum."""
        known = "unknown" if self.optimum is None else f"{self.optimum:g}"
        kind = "symmetric" if self.symmetric else "asymmetric"
        return (
            f"{self.name}: {kind} TSP with {self.n_cities} cities ({self.edge_weight_type}); "
            f"minimise the tour length; optimum {known}"
        )


def held_karp(distances: ArrayLike) -> ExactTour:
    r"""Return an optimal tour by the Held-Karp dynamic programme.

    Parameters
    ----------
    distances : array_like, shape (n, n)
        Non-negative distances, :math:`3 \le n \le 20` (may be asymmetric).

    Returns
    -------
    ExactTour
        ``(length, tour)`` with the tour starting at city 0.

    Notes
    -----
    With city 0 as the start, :math:`C(S, j)` is the length of the shortest path from 0
    through the set :math:`S` ending at :math:`j \in S`:

    .. math:: C(S, j) = \min_{k \in S \setminus \{j\}} C(S \setminus \{j\}, k) + d_{kj},
              \qquad C(\{j\}, j) = d_{0j},

    and the optimum is :math:`\min_j C(V \setminus \{0\}, j) + d_{j0}`. Time
    :math:`O(2^n n^2)`, memory :math:`O(2^n n)`; the subsets of one size are processed
    together as arrays.

    References
    ----------
    .. [1] M. Held and R. M. Karp, "A Dynamic Programming Approach to Sequencing
       Problems", Journal of the SIAM 10 (1962), 196-210.

    Examples
    --------
    >>> from crossentropy.method.problems import held_karp
    >>> held_karp([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]]).length
    4.0
    """
    d = np.asarray(distances, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1] or not 3 <= d.shape[0] <= MAX_HELD_KARP_CITIES:
        msg = (
            f"distances must be square with 3 to {MAX_HELD_KARP_CITIES} cities, got shape {d.shape}"
        )
        raise ValueError(msg)
    m = d.shape[0] - 1  # the cities other than 0, as bits 0 .. m-1
    inner = d[1:, 1:]
    cost = np.full((1 << m, m), np.inf)
    parent = np.full((1 << m, m), -1, dtype=np.int8)
    bits = 1 << np.arange(m)
    cost[bits, np.arange(m)] = d[0, 1:]
    popcount = np.array([s.bit_count() for s in range(1 << m)])
    for size in range(2, m + 1):
        for masks in np.array_split(np.flatnonzero(popcount == size), max(1, (1 << m) // 4096)):
            if masks.size == 0:
                continue
            previous = masks[:, None] ^ bits  # (L, j): the set without j
            # via[l, j, k] = C(S - {j}, k) + d(k, j); C is inf where k is not in S - {j}
            via = cost[previous] + inner.T[None, :, :]
            best = via.argmin(axis=-1)
            value = np.take_along_axis(via, best[..., None], axis=-1)[..., 0]
            inside = (masks[:, None] & bits) != 0
            cost[masks] = np.where(inside, value, np.inf)
            parent[masks] = np.where(inside, best, -1)
    full: int = (1 << m) - 1
    closing = cost[full] + d[1:, 0]
    last = int(closing.argmin())
    tour = [last]
    mask = full
    while len(tour) < m:
        before = int(parent[mask, tour[-1]])
        mask ^= 1 << tour[-1]
        tour.append(before)
    order = np.array([0, *(city + 1 for city in reversed(tour))], dtype=np.intp)
    return ExactTour(float(closing[last]), order)


def random_euclidean_tsp(
    n_cities: int, *, rng: np.random.Generator | int | None = None, solve: bool = False
) -> TravellingSalesman:
    r"""Return cities uniform on the unit square with Euclidean (unrounded) distances.

    Parameters
    ----------
    n_cities : int
        At least 3.
    rng : numpy.random.Generator, int or None
        Randomness for the coordinates.
    solve : bool, default False
        Also compute the exact optimum and an optimal tour by :func:`held_karp`
        (needs ``n_cities <= 20``; about a second at 17 cities).

    Returns
    -------
    TravellingSalesman
        ``edge_weight_type="EUCLIDEAN"``, ``coordinates`` the cities.

    Notes
    -----
    For many uniform cities the optimal length is about
    :math:`0.7124 \sqrt{n}` (Beardwood, Halton and Hammersley; the constant by
    Applegate et al.), a yardstick for instances too large to solve exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.method.problems import random_euclidean_tsp
    >>> problem = random_euclidean_tsp(8, rng=1, solve=True)
    >>> bool(np.isclose(problem.evaluate(problem.optimal_tour), problem.optimum))
    True
    """
    if isinstance(n_cities, bool) or not isinstance(n_cities, int) or n_cities < 3:
        msg = f"n_cities must be an int >= 3, got {n_cities!r}"
        raise ValueError(msg)
    coords = as_generator(rng).random((n_cities, 2))
    d = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=-1))
    exact = held_karp(d) if solve else None
    return TravellingSalesman(
        d,
        name=f"random-euclidean-{n_cities}",
        edge_weight_type="EUCLIDEAN",
        coordinates=coords,
        optimum=None if exact is None else exact.length,
        optimal_tour=None if exact is None else exact.tour,
    )
