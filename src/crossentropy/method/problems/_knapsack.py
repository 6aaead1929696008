"""The 0/1 knapsack problem, its text file format and the shipped instances."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np

from crossentropy.method._families import Bernoulli
from crossentropy.method.problems._base import as_binary, file_error, frozen_array
from crossentropy.method.problems._data import data_path

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Knapsack", "KnapsackAssessment", "load_knapsack", "read_knapsack", "write_knapsack"]

#: Known optima of the shipped instances (verified by dynamic programming in the tests).
_KNOWN_OPTIMA: dict[str, float] = {"p01": 309.0, "p07": 1458.0, "corr40": 1218.0}


class KnapsackAssessment(NamedTuple):
    """Value, weight and excess weight of each selection, from :meth:`Knapsack.assess`."""

    value: NDArray[np.float64]
    weight: NDArray[np.float64]
    excess: NDArray[np.float64]

    @property
    def feasible(self) -> NDArray[np.bool_]:
        """Whether each selection fits (zero excess weight)."""
        return np.asarray(self.excess == 0.0)


@dataclass(frozen=True, eq=False, init=False)
class Knapsack:
    r"""A 0/1 knapsack instance: choose items of maximal value within the capacity.

    Parameters
    ----------
    values : array_like, shape (n,)
        Item values :math:`v_j \ge 0`.
    weights : array_like, shape (n,)
        Item weights :math:`w_j \ge 0`.
    capacity : float
        :math:`W \ge 0`.
    name : str, default "knapsack"
    optimum : float, optional
        The known optimal value, where known.

    Attributes
    ----------
    sense : {"maximize"}
        Larger values are better.

    Notes
    -----
    A selection is :math:`x \in \{0, 1\}^n`, with value :math:`v^\top x`, weight
    :math:`w^\top x` and excess weight :math:`e(x) = (w^\top x - W)^+`. :meth:`evaluate`
    is

    .. math::

        S(x) = \begin{cases} v^\top x & e(x) = 0, \\ -e(x) & e(x) > 0, \end{cases}

    so every infeasible selection scores below every feasible one and lower the more it
    overflows, with no penalty constant to tune; ``evaluate(x, penalty=c)`` gives the
    classical :math:`v^\top x - c\, e(x)` instead. :meth:`assess` returns value, weight
    and excess separately.

    References
    ----------
    .. [1] D. L. Kreher and D. R. Stinson, *Combinatorial Algorithms: Generation,
       Enumeration and Search*, CRC Press (1999) (instances P01 and P07, as collected
       by J. Burkardt, "KNAPSACK_01").
    .. [2] R. Y. Rubinstein and D. P. Kroese, *The Cross-Entropy Method*, Springer
       (2004), Chapter 4.

    Examples
    --------
    >>> from crossentropy.method.problems import Knapsack
    >>> problem = Knapsack(values=[10, 7, 4], weights=[5, 4, 3], capacity=8)
    >>> problem.evaluate([[1, 0, 1], [1, 1, 0], [0, 1, 1]])
    array([14., -1., 11.])
    >>> problem.evaluate([[1, 1, 0]], penalty=2.0)
    array([15.])
    """

    values: NDArray[np.float64] = field(repr=False)
    weights: NDArray[np.float64] = field(repr=False)
    capacity: float
    name: str = "knapsack"
    optimum: float | None = None

    def __init__(
        self,
        values: ArrayLike,
        weights: ArrayLike,
        capacity: float,
        *,
        name: str = "knapsack",
        optimum: float | None = None,
    ) -> None:
        for key, value in (
            ("values", values),
            ("weights", weights),
            ("capacity", capacity),
            ("name", name),
            ("optimum", optimum),
        ):
            object.__setattr__(self, key, value)
        self._validate()

    def _validate(self) -> None:
        v = np.array(self.values, dtype=np.float64)
        w = np.array(self.weights, dtype=np.float64)
        if v.ndim != 1 or v.size < 1 or w.shape != v.shape:
            msg = (
                "values and weights must be 1-D of the same length >= 1, got shapes "
                f"{v.shape} and {w.shape}"
            )
            raise ValueError(msg)
        for label, arr in (("values", v), ("weights", w)):
            bad = ~(np.isfinite(arr) & (arr >= 0))
            if bad.any():
                k = int(np.argmax(bad))
                msg = f"{label} must be finite and >= 0, got {float(arr[k])!r} at index {k}"
                raise ValueError(msg)
        if not (math.isfinite(self.capacity) and self.capacity >= 0):
            msg = f"capacity must be finite and >= 0, got {self.capacity!r}"
            raise ValueError(msg)
        object.__setattr__(self, "values", frozen_array(v))
        object.__setattr__(self, "weights", frozen_array(w))
        object.__setattr__(self, "capacity", float(self.capacity))
        if self.optimum is not None:
            object.__setattr__(self, "optimum", float(self.optimum))

    @property
    def sense(self) -> Literal["maximize"]:
        """``"maximize"``: larger total values are better."""
        return "maximize"

    @property
    def n_items(self) -> int:
        """The number of items ``n`` (the length of a selection)."""
        return int(self.values.size)

    def assess(self, candidates: ArrayLike) -> KnapsackAssessment:
        """Value, weight and excess weight of each selection (shape ``(..., n)``, 0/1)."""
        x = as_binary(candidates, self.n_items)
        # einsum, not BLAS: a row's value is the same bit for bit alone or in any batch
        weight = np.einsum("...i,i->...", x, self.weights)
        return KnapsackAssessment(
            value=np.asarray(np.einsum("...i,i->...", x, self.values)),
            weight=np.asarray(weight),
            excess=np.asarray(np.maximum(weight - self.capacity, 0.0)),
        )

    def evaluate(
        self, candidates: ArrayLike, *, penalty: float | None = None
    ) -> NDArray[np.float64]:
        """The objective of each selection: see the Notes (``penalty``: linear penalty)."""
        value, _, excess = self.assess(candidates)
        if penalty is None:
            return np.where(excess > 0.0, -excess, value)
        if not (math.isfinite(penalty) and penalty >= 0):
            msg = f"penalty must be finite and >= 0, got {penalty!r}"
            raise ValueError(msg)
        return value - penalty * excess

    # The cross-entropy method's starting point for this problem (used by `crossentropy cem`).

    def initial_family(self) -> Bernoulli:
        """The sampling family the cross-entropy method starts from.

        Each item in or out with probability 1/2.
        """
        return Bernoulli.uniform(self.n_items)

    @property
    def default_sample_size(self) -> int:
        """Candidates per iteration that suit this problem: ``max(1000, 10 n)`` for n items."""
        return max(1000, 10 * self.n_items)

    @property
    def default_rho(self) -> float:
        """The elite fraction that suits this problem (the usual 0.1)."""
        return 0.1

    def describe(self) -> str:
        """What the instance is and its known optimum."""
        known = "unknown" if self.optimum is None else f"{self.optimum:g}"
        return (
            f"{self.name}: 0/1 knapsack with {self.n_items} items and capacity "
            f"{self.capacity:g} (total weight {self.weights.sum():g}); maximise the value; "
            f"optimum {known}"
        )


def read_knapsack(path: str | os.PathLike[str], *, name: str | None = None) -> Knapsack:
    r"""Read a 0/1 knapsack instance from a text file.

    Parameters
    ----------
    path : str or path-like
        The file (format in the Notes).
    name : str, optional
        The instance name; default the file name without its extension.

    Returns
    -------
    Knapsack
        With ``optimum=None`` (use :func:`load_knapsack` for the shipped instances).

    Raises
    ------
    ValueError
        If the file is malformed, naming the file and line: a header that is not
        ``n capacity``, an item line that is not ``value weight``, a negative or
        non-finite number, or a number of items different from ``n``.

    Notes
    -----
    The format::

        # lines starting with '#' and blank lines are ignored
        n capacity       # the number of items (an integer) and the capacity
        value weight     # one line per item, n lines

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crossentropy.method.problems import read_knapsack
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.txt"
    >>> _ = path.write_text("# three items\n3 8\n10 5\n7 4\n4 3\n")
    >>> problem = read_knapsack(path)
    >>> problem.values.tolist(), problem.weights.tolist(), problem.capacity
    ([10.0, 7.0, 4.0], [5.0, 4.0, 3.0], 8.0)
    """
    header: tuple[int, float, int] | None = None  # (n, capacity, line)
    items: list[tuple[float, float]] = []
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            tokens = line.split()
            if len(tokens) != 2:
                expected = "the header 'n capacity'" if header is None else "an item 'value weight'"
                raise file_error(path, number, f"expected {expected}, got {line!r}")
            if header is None:
                if not tokens[0].isdigit():
                    raise file_error(
                        path, number, f"the number of items must be an integer, got {tokens[0]!r}"
                    )
                capacity = _nonnegative(path, number, tokens[1], "the capacity")
                header = (int(tokens[0]), capacity, number)
                continue
            if len(items) == header[0]:
                raise file_error(path, number, f"more than the {header[0]} items announced")
            items.append(
                (
                    _nonnegative(path, number, tokens[0], "a value"),
                    _nonnegative(path, number, tokens[1], "a weight"),
                )
            )
    if header is None:
        raise file_error(path, None, "no header line 'n capacity' (the file is empty)")
    if header[0] == 0:
        raise file_error(
            path, header[2], "the header announces 0 items; a knapsack needs 1 or more"
        )
    if len(items) != header[0] or not items:
        raise file_error(
            path, header[2], f"the header announces {header[0]} items, the file has {len(items)}"
        )
    stem = os.path.basename(os.fspath(path)).rsplit(".", 1)[0]
    values, weights = (np.array(column) for column in zip(*items, strict=True))
    return Knapsack(values, weights, header[1], name=stem if name is None else name)


def _nonnegative(path: str | os.PathLike[str], line: int, token: str, what: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise file_error(path, line, f"expected a number for {what}, got {token!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise file_error(path, line, f"{what} must be finite and >= 0, got {token!r}")
    return value


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def write_knapsack(
    path: str | os.PathLike[str], problem: Knapsack, *, comment: str | None = None
) -> None:
    """Write ``problem`` in the format of :func:`read_knapsack` (exact round trip).

    ``comment`` (may span lines) is written first, each line prefixed with ``# ``.
    """
    lines = [f"# {text}" for text in (comment.splitlines() if comment else [])]
    lines.append(f"{problem.n_items} {_text(problem.capacity)}")
    items = zip(problem.values, problem.weights, strict=True)
    lines += [f"{_text(v)} {_text(w)}" for v, w in items]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def load_knapsack(name: str) -> Knapsack:
    """Load a shipped knapsack instance with its known optimum.

    Parameters
    ----------
    name : {"p01", "p07", "corr40"}
        ``p01``: 10 items, capacity 165, optimum 309; ``p07``: 15 items, capacity 750,
        optimum 1458 (both from Kreher and Stinson, via Burkardt's KNAPSACK_01 set);
        ``corr40``: 40 items with strongly correlated values (value = weight + 10),
        capacity half the total weight, optimum 1218. All three optima are verified by
        dynamic programming in the tests.

    Returns
    -------
    Knapsack

    Examples
    --------
    >>> from crossentropy.method.problems import load_knapsack
    >>> p01 = load_knapsack("p01")
    >>> p01.n_items, p01.capacity, p01.optimum
    (10, 165.0, 309.0)
    >>> p01.evaluate([1, 1, 1, 1, 0, 1, 0, 0, 0, 0])
    array(309.)
    """
    with data_path("knapsack", name, ".txt") as path:
        problem = read_knapsack(path, name=name)
    return Knapsack(
        problem.values,
        problem.weights,
        problem.capacity,
        name=name,
        optimum=_KNOWN_OPTIMA.get(name),
    )
