"""Network unreliability: the probability that independent edge failures cut s from t."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.method._checks import as_generator
from crossentropy.method._families import Bernoulli
from crossentropy.method.problems._base import as_binary, frozen_array

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike, NDArray

__all__ = ["NetworkReliability", "bridge_reliability", "grid_reliability"]

#: At most this many nodes: the s-t cuts are enumerated over 2^(nodes - 2) node subsets.
MAX_NODES = 20
#: At most this many edges for the exact probability by enumeration of all 2^edges states.
MAX_EXACT_EDGES = 24


@dataclass(frozen=True, eq=False, init=False)
class NetworkReliability:
    r"""Unreliability of an undirected network whose edges fail independently.

    Edge :math:`e` fails with probability :math:`q_e` (a Bernoulli variable
    :math:`X_e = 1`); the rare event is that the failures disconnect the source from the
    terminal.

    Parameters
    ----------
    n_nodes : int
        Number of nodes, labelled ``0 .. n_nodes - 1`` (at most 20).
    edges : sequence of (int, int)
        The undirected edges; parallel edges are allowed, self-loops are not.
    source, terminal : int
        The two nodes that must stay connected.
    failure_probabilities : sequence of float
        :math:`q_e \in [0, 1]`, one per edge.
    name : str, default "network"

    Attributes
    ----------
    threshold : float
        0: the event is ``performance(x) >= 0``.
    exact_probability : float
        The unreliability :math:`P(s \not\leftrightarrow t)`, by enumeration of all
        :math:`2^{|E|}` failure patterns (at most 24 edges).

    Notes
    -----
    The performance of a failure pattern :math:`x \in \{0, 1\}^{|E|}` is minus the
    number of edge-disjoint working s-t paths, which by Menger's theorem equals minus
    the fewest working edges in any s-t cut :math:`C`:

    .. math:: S(x) = -\min_C \sum_{e \in C} (1 - x_e),

    so :math:`S(x) \in \{-k, \dots, 0\}` (:math:`k` the edge connectivity) and the
    network is cut exactly when :math:`S(x) \ge 0`. A graded performance rather than
    a 0/1 indicator lets the multilevel cross-entropy algorithm climb towards the
    event one level at a time. The minimal cuts are enumerated once, over the node
    subsets containing s and not t; ``performance`` is then one matrix product.

    References
    ----------
    .. [1] K.-P. Hui, N. Bean, M. Kraetzl and D. P. Kroese, "The Cross-Entropy Method
       for Network Reliability Estimation", Annals of Operations Research 134 (2005),
       101-118.
    .. [2] K. Menger, "Zur allgemeinen Kurventheorie", Fundamenta Mathematicae 10
       (1927), 96-115.

    Examples
    --------
    The bridge network with every edge failing with probability 1/2 is cut with
    probability 1/2 (it is self-dual):

    >>> from crossentropy.method.problems import bridge_reliability
    >>> round(bridge_reliability(0.5).exact_probability, 12)
    0.5
    >>> bridge_reliability(0.5).performance([[0, 0, 0, 0, 0], [1, 1, 0, 0, 0]])
    array([-2.,  0.])
    """

    n_nodes: int
    edges: tuple[tuple[int, int], ...]
    source: int
    terminal: int
    failure_probabilities: NDArray[np.float64] = field(repr=False)
    name: str = "network"

    def __init__(
        self,
        n_nodes: int,
        edges: Sequence[tuple[int, int]],
        source: int,
        terminal: int,
        failure_probabilities: ArrayLike,
        *,
        name: str = "network",
    ) -> None:
        for key, value in (
            ("n_nodes", n_nodes),
            ("edges", edges),
            ("source", source),
            ("terminal", terminal),
            ("failure_probabilities", failure_probabilities),
            ("name", name),
        ):
            object.__setattr__(self, key, value)
        self._validate()

    def _validate(self) -> None:
        n = self.n_nodes
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_NODES:
            msg = f"n_nodes must be an int in [2, {MAX_NODES}], got {n!r}"
            raise ValueError(msg)
        edges = tuple((int(u), int(v)) for u, v in self.edges)
        for k, (u, v) in enumerate(edges):
            if not (0 <= u < n and 0 <= v < n) or u == v:
                msg = f"edges[{k}] = {(u, v)} is a self-loop or names a node outside [0, {n})"
                raise ValueError(msg)
        for label, node in (("source", self.source), ("terminal", self.terminal)):
            if not 0 <= int(node) < n:
                msg = f"{label} must be a node in [0, {n}), got {node!r}"
                raise ValueError(msg)
        if int(self.source) == int(self.terminal):
            msg = f"source and terminal must differ, both are {self.source!r}"
            raise ValueError(msg)
        q = np.asarray(self.failure_probabilities, dtype=np.float64)
        if q.shape != (len(edges),):
            msg = (
                f"failure_probabilities must have one entry per edge ({len(edges)}), "
                f"got shape {q.shape}"
            )
            raise ValueError(msg)
        bad = ~((q >= 0.0) & (q <= 1.0))
        if bad.any():
            k = int(np.argmax(bad))
            msg = f"failure_probabilities must lie in [0, 1], got {float(q[k])!r} at index {k}"
            raise ValueError(msg)
        object.__setattr__(self, "n_nodes", int(n))
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "source", int(self.source))
        object.__setattr__(self, "terminal", int(self.terminal))
        object.__setattr__(self, "failure_probabilities", frozen_array(q))

    @property
    def dimension(self) -> int:
        """The number of edges (the length of a failure pattern)."""
        return len(self.edges)

    @property
    def threshold(self) -> float:
        """0: the network is cut exactly when ``performance(x) >= 0``."""
        return 0.0

    @cached_property
    def minimal_cuts(self) -> NDArray[np.bool_]:
        """The minimal s-t cuts as rows of an ``(n_cuts, n_edges)`` boolean matrix."""
        others = [v for v in range(self.n_nodes) if v not in (self.source, self.terminal)]
        subsets = np.arange(2 ** len(others), dtype=np.int64)
        side = np.zeros((subsets.size, self.n_nodes), dtype=bool)  # True: on the source side
        side[:, self.source] = True
        for bit, node in enumerate(others):
            side[:, node] = (subsets >> bit) & 1 == 1
        u = np.array([e[0] for e in self.edges], dtype=np.intp)
        v = np.array([e[1] for e in self.edges], dtype=np.intp)
        cuts = np.unique(side[:, u] != side[:, v], axis=0)
        cuts = cuts[np.argsort(cuts.sum(axis=1), kind="stable")]
        kept: list[NDArray[np.bool_]] = []
        for cut in cuts:  # by size: a cut is minimal unless a kept (smaller) one is inside it
            if not any(np.all(k <= cut) for k in kept):
                kept.append(cut)
        out = np.array(kept, dtype=bool).reshape(-1, len(self.edges))
        out.setflags(write=False)
        return out

    def performance(self, samples: ArrayLike) -> NDArray[np.float64]:
        """Minus the number of working s-t edge-disjoint paths; ``>= 0`` means cut.

        ``samples`` has shape ``(..., n_edges)`` with 1 for a failed edge, 0 for a
        working one.
        """
        failed = as_binary(samples, self.dimension, "samples")
        working_in_cut = (1.0 - failed) @ self.minimal_cuts.T.astype(np.float64)
        if working_in_cut.shape[-1] == 0:  # s and t are never connected
            return np.zeros(failed.shape[:-1])
        return np.asarray(-working_in_cut.min(axis=-1))

    def sample_nominal(self, rng: np.random.Generator | int | None, n: int) -> NDArray[np.float64]:
        """``n`` failure patterns (1 = failed) under the nominal probabilities."""
        draws = as_generator(rng).random((n, self.dimension))
        return (draws < self.failure_probabilities).astype(np.float64)

    @cached_property
    def exact_probability(self) -> float:
        """The unreliability, summed over every failure pattern that cuts s from t."""
        n_edges = self.dimension
        if n_edges > MAX_EXACT_EDGES:
            msg = (
                f"the exact probability enumerates 2^{n_edges} failure patterns; "
                f"at most {MAX_EXACT_EDGES} edges are supported"
            )
            raise ValueError(msg)
        q = self.failure_probabilities
        log_q = np.log(np.where(q > 0, q, 1.0))  # log 0 is never taken: masked below
        log_p = np.log(np.where(q < 1, 1.0 - q, 1.0))
        total = 0.0
        chunk = 1 << 16
        bits = np.arange(n_edges, dtype=np.int64)
        for start in range(0, 1 << n_edges, chunk):
            states = np.arange(start, min(start + chunk, 1 << n_edges), dtype=np.int64)
            failed = ((states[:, None] >> bits) & 1).astype(np.float64)
            cut = self.performance(failed) >= 0.0
            if not cut.any():
                continue
            failed = failed[cut]
            possible = ~np.any(((failed == 1) & (q == 0)) | ((failed == 0) & (q == 1)), axis=1)
            log_prob = failed @ log_q + (1.0 - failed) @ log_p
            total += math.fsum(np.exp(log_prob[possible]).tolist())
        return total

    # The multilevel cross-entropy method's settings for this problem (`crossentropy cem`).

    def nominal_family(self) -> Bernoulli:
        """The nominal distribution of the inputs, as a sampling family.

        Each edge fails independently with its failure probability.
        """
        return Bernoulli(self.failure_probabilities)

    @property
    def default_rho(self) -> float:
        """The elite fraction that suits this problem.

        0.01: most samples tie at "no edge failed", so the elite fraction must be below the
        chance that any edge fails.
        """
        return 0.01

    @property
    def default_alpha(self) -> float:
        """The smoothing weight that suits this problem.

        0.7: smoothing keeps every edge able to fail.
        """
        return 0.7

    def describe(self) -> str:
        """What the network is and its exact unreliability."""
        q = self.failure_probabilities
        q_text = f"{q[0]:g}" if np.all(q == q[0]) else f"in [{q.min():g}, {q.max():g}]"
        return (
            f"{self.name}: {self.n_nodes} nodes, {self.dimension} edges failing "
            f"independently with probability {q_text}; P(node {self.source} cut from node "
            f"{self.terminal}) = {self.exact_probability:.6e} (exact, by enumeration)"
        )


def _probabilities(failure_probability: float | Sequence[float], n_edges: int) -> NDArray:
    q = np.asarray(failure_probability, dtype=np.float64)
    return np.full(n_edges, float(q)) if q.ndim == 0 else q


def bridge_reliability(failure_probability: float | Sequence[float] = 1e-3) -> NetworkReliability:
    r"""Return the bridge network (source 0, terminal 3) with independent edge failures.

    Parameters
    ----------
    failure_probability : float or sequence of 5 floats, default 1e-3
        The failure probability of every edge, or one per edge.

    Returns
    -------
    NetworkReliability
        Nodes 0 (source), 1, 2, 3 (terminal); edges in the order of
        :func:`bridge_performance`: 0-1, 0-2, 1-2, 1-3, 2-3.

    Notes
    -----
    With equal failure probability :math:`q` (:math:`p = 1 - q`) the reliability is
    :math:`2p^2 + 2p^3 - 5p^4 + 2p^5`, so the unreliability is about :math:`2q^2`:
    about ``2.0e-06`` for the default.

    Examples
    --------
    >>> from crossentropy.method.problems import bridge_reliability
    >>> print(f"{bridge_reliability().exact_probability:.6e}")
    2.001995e-06
    """
    edges = ((0, 1), (0, 2), (1, 2), (1, 3), (2, 3))
    q = _probabilities(failure_probability, len(edges))
    return NetworkReliability(4, edges, 0, 3, q, name="bridge-reliability")


def grid_reliability(
    rows: int = 3, cols: int = 4, failure_probability: float | Sequence[float] = 1e-4
) -> NetworkReliability:
    r"""Return a ``rows x cols`` grid network, source and terminal at opposite corners.

    Parameters
    ----------
    rows, cols : int, default 3 and 4
        The grid's size; node ``r * cols + c`` sits at row ``r``, column ``c``
        (at most 20 nodes).
    failure_probability : float or sequence of float, default 1e-4
        The failure probability of every edge, or one per edge (horizontal edges
        first, row by row, then vertical edges, row by row).

    Returns
    -------
    NetworkReliability
        Source node 0, terminal node ``rows * cols - 1``; the default grid has 12 nodes
        and 17 edges.

    Notes
    -----
    Each corner has two edges, so the unreliability is about :math:`2q^2` for small
    :math:`q`: about ``2.0e-08`` for the default.

    Examples
    --------
    >>> from crossentropy.method.problems import grid_reliability
    >>> problem = grid_reliability()
    >>> problem.n_nodes, problem.dimension
    (12, 17)
    >>> print(f"{problem.exact_probability:.4e}")
    2.0007e-08
    """
    if rows < 1 or cols < 1 or rows * cols < 2:
        msg = f"the grid needs at least two nodes, got rows={rows}, cols={cols}"
        raise ValueError(msg)
    horizontal = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)]
    vertical = [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)]
    edges = tuple(horizontal + vertical)
    q = _probabilities(failure_probability, len(edges))
    return NetworkReliability(
        rows * cols, edges, 0, rows * cols - 1, q, name=f"grid-{rows}x{cols}-reliability"
    )
