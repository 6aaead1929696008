"""Max-cut: weighted graphs, an edge-list file format and the tutorial's planted instances."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from crossentropy.method._checks import as_generator
from crossentropy.method._families import Bernoulli
from crossentropy.method.problems._base import (
    as_binary,
    file_error,
    frozen_array,
)
from crossentropy.method.problems._data import data_path

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["MaxCut", "load_maxcut", "planted_maxcut", "read_maxcut", "write_maxcut"]

#: Known optima of the shipped graphs (verified by enumerating every cut in the tests).
_KNOWN_OPTIMA: dict[str, float] = {"petersen": 12.0, "random20": 360.0}


@dataclass(frozen=True, eq=False, init=False)
class MaxCut:
    r"""A weighted max-cut instance: split the nodes in two to maximise the cut weight.

    Parameters
    ----------
    weights : array_like, shape (n, n)
        Symmetric edge weights :math:`w_{ij} = w_{ji}` (0 where there is no edge), zero
        diagonal, finite.
    name : str, default "maxcut"
    optimum : float, optional
        The known maximal cut weight, where known.
    optimal_cut : array_like of 0/1, shape (n,), optional
        A cut achieving it (stored with node 0 on side 0); checked against ``optimum``.

    Attributes
    ----------
    sense : {"maximize"}
        Larger cuts are better.

    Notes
    -----
    A cut is a binary vector :math:`x \in \{0, 1\}^n` (the side of each node); its weight
    is

    .. math:: S(x) = \sum_{i < j} w_{ij} [x_i \ne x_j] = \sum_{i, j} w_{ij} x_i (1 - x_j).

    :math:`x` and :math:`1 - x` are the same cut, so the convention is to fix node 0 on
    side 0 (a Bernoulli sampling family with :math:`p_0 = 0`), as in the tutorial.

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67,
       Section 5.

    Examples
    --------
    A triangle with weights 1, 2, 3: the best cut isolates the node between the two
    heaviest edges.

    >>> import numpy as np
    >>> from crossentropy.method.problems import MaxCut
    >>> problem = MaxCut(np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]]))
    >>> problem.evaluate([[0, 0, 1], [0, 1, 0], [0, 1, 1]])
    array([5., 4., 3.])
    """

    weights: NDArray[np.float64] = field(repr=False)
    name: str = "maxcut"
    optimum: float | None = None
    optimal_cut: NDArray[np.int8] | None = field(default=None, repr=False)

    def __init__(
        self,
        weights: ArrayLike,
        *,
        name: str = "maxcut",
        optimum: float | None = None,
        optimal_cut: ArrayLike | None = None,
    ) -> None:
        for key, value in (
            ("weights", weights),
            ("name", name),
            ("optimum", optimum),
            ("optimal_cut", optimal_cut),
        ):
            object.__setattr__(self, key, value)
        self._validate()

    def _validate(self) -> None:
        w = np.array(self.weights, dtype=np.float64)
        if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 2:
            msg = f"weights must be a square matrix with at least 2 nodes, got shape {w.shape}"
            raise ValueError(msg)
        if not np.isfinite(w).all():
            index = [int(i) for i in np.argwhere(~np.isfinite(w))[0]]
            msg = f"weights must be finite, got {float(w[tuple(index)])!r} at index {index}"
            raise ValueError(msg)
        if np.any(np.diag(w) != 0):
            k = int(np.argmax(np.diag(w) != 0))
            value = float(w[k, k])
            msg = f"weights must have a zero diagonal (no self-loops), got {value!r} at [{k}, {k}]"
            raise ValueError(msg)
        if np.any(w != w.T):
            i, j = (int(v) for v in np.argwhere(w != w.T)[0])
            msg = (
                f"weights must be symmetric, got {float(w[i, j])!r} at [{i}, {j}] and "
                f"{float(w[j, i])!r} at [{j}, {i}]"
            )
            raise ValueError(msg)
        object.__setattr__(self, "weights", frozen_array(w))
        if self.optimum is not None:
            object.__setattr__(self, "optimum", float(self.optimum))
        if self.optimal_cut is not None:
            cut = as_binary(self.optimal_cut, w.shape[0], "optimal_cut")
            if cut.ndim != 1:
                msg = f"optimal_cut must have shape ({w.shape[0]},), got {cut.shape}"
                raise ValueError(msg)
            if cut[0] == 1:
                cut = 1.0 - cut  # the same cut with node 0 on side 0
            value = float(self.evaluate(cut))
            if self.optimum is not None and not math.isclose(
                value, self.optimum, rel_tol=1e-12, abs_tol=1e-12
            ):
                msg = f"optimal_cut has weight {value!r}, not the given optimum {self.optimum!r}"
                raise ValueError(msg)
            object.__setattr__(self, "optimal_cut", frozen_array(cut, np.int8))

    @property
    def sense(self) -> Literal["maximize"]:
        """``"maximize"``: larger cuts are better."""
        return "maximize"

    @property
    def n_nodes(self) -> int:
        """The number of nodes ``n`` (the length of a cut vector)."""
        return int(self.weights.shape[0])

    @property
    def edges(self) -> list[tuple[int, int, float]]:
        """The edges ``(i, j, w)`` with ``i < j`` and ``w != 0``, 0-based, row by row."""
        i, j = np.nonzero(np.triu(self.weights, 1))
        return [(int(a), int(b), float(self.weights[a, b])) for a, b in zip(i, j, strict=True)]

    def evaluate(self, candidates: ArrayLike) -> NDArray[np.float64]:
        """The weight of each cut; ``candidates`` has shape ``(..., n)`` with 0/1 entries."""
        x = as_binary(candidates, self.n_nodes)
        # einsum, not BLAS: a row's value is the same bit for bit alone or in any batch
        weight_to = np.einsum("...i,ij->...j", x, self.weights)
        return np.asarray(np.einsum("...j,...j->...", weight_to, 1.0 - x))

    # The cross-entropy method's starting point for this problem (used by `crossentropy cem`).

    def initial_family(self) -> Bernoulli:
        """The sampling family the cross-entropy method starts from.

        Each node on either side with probability 1/2, except node 1, fixed on side 0 (x and
        1 - x are the same cut, so fixing one node halves the search and breaks the tie).
        """
        p = np.full(self.n_nodes, 0.5)
        p[0] = 0.0
        return Bernoulli(p)

    @property
    def default_sample_size(self) -> int:
        """Candidates per iteration that suit this problem: ``max(1000, 10 n)`` for n nodes."""
        return max(1000, 10 * self.n_nodes)

    @property
    def default_rho(self) -> float:
        """The elite fraction that suits this problem (the usual 0.1)."""
        return 0.1

    def describe(self) -> str:
        """What the instance is and its known optimum."""
        known = "unknown" if self.optimum is None else f"{self.optimum:g}"
        return (
            f"{self.name}: max-cut on {self.n_nodes} nodes and {len(self.edges)} edges "
            f"(total weight {np.triu(self.weights, 1).sum():g}); maximise; optimum {known}"
        )


def read_maxcut(path: str | os.PathLike[str], *, name: str | None = None) -> MaxCut:
    r"""Read a max-cut instance from an edge-list file.

    Parameters
    ----------
    path : str or path-like
        The file (format in the Notes).
    name : str, optional
        The instance name; default the file name without its extension.

    Returns
    -------
    MaxCut
        With ``optimum=None``: a file carries no known answer.

    Raises
    ------
    ValueError
        If the file is malformed, naming the file and line: a header that is not two
        non-negative integers, an edge line that is not ``i j w``, a node outside
        ``1..n``, a self-loop, an edge given twice, a non-finite weight, or a number of
        edges different from the header's.

    Notes
    -----
    The format is that of the G-set max-cut benchmarks (rudy), plus comments::

        # lines starting with '#' and blank lines are ignored
        n_nodes n_edges
        i j w          # one line per edge: 1-based nodes 1 <= i, j <= n_nodes, weight w

    Nodes are numbered from 1 in the file and from 0 in :class:`MaxCut`; each
    unordered pair appears at most once.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crossentropy.method.problems import read_maxcut
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "triangle.txt"
    >>> _ = path.write_text("# a triangle\n3 3\n1 2 1\n2 3 3\n1 3 2\n")
    >>> read_maxcut(path).edges
    [(0, 1, 1.0), (0, 2, 2.0), (1, 2, 3.0)]
    """
    header: tuple[int, int, int] | None = None  # (n_nodes, n_edges, line)
    weights = np.zeros((0, 0))
    seen: dict[tuple[int, int], int] = {}
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            tokens = line.split()
            if header is None:
                if len(tokens) != 2 or not all(t.isdigit() for t in tokens):
                    raise file_error(
                        path, number, f"expected the header 'n_nodes n_edges', got {line!r}"
                    )
                header = (int(tokens[0]), int(tokens[1]), number)
                if header[0] < 2:
                    raise file_error(path, number, f"need at least 2 nodes, got {header[0]}")
                weights = np.zeros((header[0], header[0]))
                continue
            if len(tokens) != 3:
                raise file_error(path, number, f"expected an edge 'i j w', got {line!r}")
            try:
                i, j, w = int(tokens[0]), int(tokens[1]), float(tokens[2])
            except ValueError:
                raise file_error(
                    path, number, f"expected integers i, j and a number w, got {line!r}"
                ) from None
            n = header[0]
            if not (1 <= i <= n and 1 <= j <= n):
                raise file_error(path, number, f"node out of range 1..{n} in {line!r}")
            if i == j:
                raise file_error(path, number, f"self-loop on node {i}")
            if not math.isfinite(w):
                raise file_error(path, number, f"weight must be finite, got {tokens[2]!r}")
            key = (min(i, j), max(i, j))
            if key in seen:
                raise file_error(path, number, f"edge {key} already given on line {seen[key]}")
            seen[key] = number
            weights[i - 1, j - 1] = weights[j - 1, i - 1] = w
    if header is None:
        raise file_error(path, None, "no header line 'n_nodes n_edges' (the file is empty)")
    if len(seen) != header[1]:
        raise file_error(
            path, header[2], f"the header announces {header[1]} edges, the file has {len(seen)}"
        )
    stem = os.path.basename(os.fspath(path)).rsplit(".", 1)[0]
    return MaxCut(weights, name=stem if name is None else name)


def write_maxcut(
    path: str | os.PathLike[str], problem: MaxCut, *, comment: str | None = None
) -> None:
    """Write ``problem`` in the edge-list format of :func:`read_maxcut`.

    Weights are written with 17 significant digits, so reading the file back gives the
    same weights exactly. ``comment`` (may span lines) is written first, each line
    prefixed with ``# ``.
    """
    edges = problem.edges
    lines = [f"# {text}" for text in (comment.splitlines() if comment else [])]
    lines.append(f"{problem.n_nodes} {len(edges)}")
    lines.extend(f"{i + 1} {j + 1} {w:.17g}" for i, j, w in edges)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def load_maxcut(name: str) -> MaxCut:
    """Load a shipped max-cut instance, with its known optimum.

    Parameters
    ----------
    name : {"petersen", "random20"}
        ``"petersen"``: the Petersen graph (10 nodes, 15 unit edges, maximum cut 12);
        ``"random20"``: a random graph on 20 nodes (each pair an edge with probability
        1/2, integer weights 1..10; maximum cut 360). Both optima are verified in the
        tests by enumerating all :math:`2^{n-1}` cuts.

    Returns
    -------
    MaxCut

    Examples
    --------
    >>> from crossentropy.method.problems import load_maxcut
    >>> petersen = load_maxcut("petersen")
    >>> petersen.n_nodes, len(petersen.edges), petersen.optimum
    (10, 15, 12.0)
    """
    with data_path("maxcut", name, ".txt") as path:
        problem = read_maxcut(path, name=name)
    return MaxCut(problem.weights, name=name, optimum=_KNOWN_OPTIMA.get(name))


def planted_maxcut(
    n_nodes: int,
    block_size: int,
    *,
    cross_weight: float = 1.0,
    low: float = 0.0,
    high: float = 1.0,
    rng: np.random.Generator | int | None = None,
) -> MaxCut:
    r"""Return the tutorial's synthetic max-cut instance with a known (planted) optimum.

    Parameters
    ----------
    n_nodes : int
        :math:`n \ge 2`.
    block_size : int
        :math:`m`, the size of the first block :math:`V_1 = \{0, \dots, m - 1\}`
        (:math:`1 \le m < n`); :math:`V_2` holds the other :math:`n - m` nodes.
    cross_weight : float, default 1.0
        :math:`c`, the weight of every edge between the blocks.
    low, high : float, default 0 and 1
        Weights inside each block are independent :math:`U(a, b)` draws,
        :math:`0 \le a < b`.
    rng : numpy.random.Generator, int or None
        Randomness for the weights inside the blocks.

    Returns
    -------
    MaxCut
        With ``optimum`` :math:`c\,m(n - m)` and ``optimal_cut`` the planted partition
        (0 on :math:`V_1`, 1 on :math:`V_2`).

    Raises
    ------
    ValueError
        If :math:`c < b \max(m, n-m) / \min(m, n-m)`: the planted cut is then not
        guaranteed optimal.

    Notes
    -----
    The weight matrix is :math:`\begin{pmatrix} Z_{11} & B_{12} \\ B_{21} & Z_{22}
    \end{pmatrix}` with :math:`Z_{kk}` symmetric with :math:`U(a, b)` entries above the
    (zero) diagonal and every entry of :math:`B_{12} = B_{21}^\top` equal to :math:`c`.
    The tutorial states that for :math:`c > b(n - m)/m` the planted cut
    :math:`\{V_1, V_2\}` is optimal with value :math:`\gamma^* = c\,m(n-m)`. That
    holds for :math:`m \le n/2`; for larger :math:`m` the roles of the blocks swap
    (e.g. :math:`n = 10, m = 6, b = 1, c = 0.7 > 4/6` is not enough: moving one node
    of :math:`V_1` across can gain). So this function asks for
    :math:`c \ge b \max(m, n-m) / \min(m, n-m)`. Proof: a cut that moves :math:`k_1`
    nodes of :math:`V_1` and :math:`k_2` of :math:`V_2` across loses
    :math:`c\,[k_1(n - m) + k_2 m - 2 k_1 k_2]` of cross weight and gains less than
    :math:`b\,[k_1(m - k_1) + k_2(n - m - k_2)]` inside the blocks (weights are below
    :math:`b`), and the first bracket is at least :math:`\min(m, n-m)/\max(m, n-m)`
    times the second; the tests check the bound by enumeration.

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67,
       Section 5 (synthetic max-cut problem).

    Examples
    --------
    >>> from crossentropy.method.problems import planted_maxcut
    >>> problem = planted_maxcut(8, 4, rng=0)
    >>> problem.optimum, problem.optimal_cut.tolist()
    (16.0, [0, 0, 0, 0, 1, 1, 1, 1])
    """
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, int) or n_nodes < 2:
        msg = f"n_nodes must be an int >= 2, got {n_nodes!r}"
        raise ValueError(msg)
    if isinstance(block_size, bool) or not isinstance(block_size, int):
        msg = f"block_size must be an int, got {block_size!r}"
        raise ValueError(msg)
    if not 1 <= block_size < n_nodes:
        msg = f"block_size must be in [1, n_nodes) = [1, {n_nodes}), got {block_size}"
        raise ValueError(msg)
    if not (math.isfinite(low) and math.isfinite(high) and 0.0 <= low < high):
        msg = f"need 0 <= low < high (finite), got low={low!r}, high={high!r}"
        raise ValueError(msg)
    m, rest = block_size, n_nodes - block_size
    needed = high * max(m, rest) / min(m, rest)
    if not (math.isfinite(cross_weight) and cross_weight > 0.0 and cross_weight >= needed):
        msg = (
            f"cross_weight must be >= high * max(m, n-m) / min(m, n-m) = {needed:g} for the "
            f"planted cut to be optimal, got {cross_weight!r}"
        )
        raise ValueError(msg)
    generator = as_generator(rng)
    weights = np.full((n_nodes, n_nodes), float(cross_weight))
    for lo_node, size in ((0, m), (m, rest)):
        block = np.triu(low + (high - low) * generator.random((size, size)), 1)
        weights[lo_node : lo_node + size, lo_node : lo_node + size] = block + block.T
    cut = np.r_[np.zeros(m, dtype=np.int8), np.ones(rest, dtype=np.int8)]
    optimum = float(cross_weight) * m * rest
    return MaxCut(weights, name=f"planted-{n_nodes}-{m}", optimum=optimum, optimal_cut=cut)
