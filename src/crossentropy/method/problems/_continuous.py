"""Continuous test functions with known optima, vectorised over candidate rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.method._families import Gaussian
from crossentropy.method.problems._base import Sense, as_candidates, frozen_array

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ContinuousProblem",
    "ackley",
    "peaks",
    "rastrigin",
    "rosenbrock",
    "sphere",
    "two_bump",
]


@dataclass(frozen=True, eq=False, init=False)
class ContinuousProblem:
    r"""A function on a box of :math:`\mathbb{R}^d` with a known global optimum.

    Parameters
    ----------
    name : str
    function : callable
        Maps an ``(..., d)`` float64 array to an ``(...)`` array of values.
    lower, upper : array_like, shape (d,)
        The search box (bounds for a truncated Gaussian family, say).
    sense : {"minimize", "maximize"}
    optimum : float
        The global optimum's value.
    optimizer : array_like, shape (d,)
        Where it is attained (one such point where there are several).
    reference : str, default ""
        Where the function comes from.

    Examples
    --------
    >>> from crossentropy.method.problems import rastrigin
    >>> problem = rastrigin(3)
    >>> problem.evaluate([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    array([0., 1.])
    """

    name: str
    function: Callable[[NDArray[np.float64]], NDArray[np.float64]] = field(repr=False)
    lower: NDArray[np.float64] = field(repr=False)
    upper: NDArray[np.float64] = field(repr=False)
    sense: Sense
    optimum: float
    optimizer: NDArray[np.float64] = field(repr=False)
    reference: str = field(default="", repr=False)

    def __init__(
        self,
        function: Callable[[NDArray[np.float64]], NDArray[np.float64]],
        *,
        name: str,
        lower: ArrayLike,
        upper: ArrayLike,
        sense: Sense,
        optimum: float,
        optimizer: ArrayLike,
        reference: str = "",
    ) -> None:
        for key, value in (
            ("function", function),
            ("name", name),
            ("lower", lower),
            ("upper", upper),
            ("sense", sense),
            ("optimum", optimum),
            ("optimizer", optimizer),
            ("reference", reference),
        ):
            object.__setattr__(self, key, value)
        self._validate()

    def _validate(self) -> None:
        lower = np.array(self.lower, dtype=np.float64)
        upper = np.array(self.upper, dtype=np.float64)
        where = np.array(self.optimizer, dtype=np.float64)
        if lower.ndim != 1 or lower.size < 1 or upper.shape != lower.shape:
            msg = (
                f"lower and upper must be 1-D of the same length, got {lower.shape}, {upper.shape}"
            )
            raise ValueError(msg)
        if not np.all(lower < upper):
            msg = "lower must be below upper in every coordinate"
            raise ValueError(msg)
        if where.shape != lower.shape or not np.all((lower <= where) & (where <= upper)):
            msg = f"optimizer must be a point of the box with shape {lower.shape}"
            raise ValueError(msg)
        if self.sense not in ("minimize", "maximize"):
            msg = f"sense must be 'minimize' or 'maximize', got {self.sense!r}"
            raise ValueError(msg)
        object.__setattr__(self, "lower", frozen_array(lower))
        object.__setattr__(self, "upper", frozen_array(upper))
        object.__setattr__(self, "optimizer", frozen_array(where))
        object.__setattr__(self, "optimum", float(self.optimum))

    @property
    def dimension(self) -> int:
        """The number of variables ``d``."""
        return int(self.lower.size)

    def evaluate(self, candidates: ArrayLike) -> NDArray[np.float64]:
        """The function's value at each row of ``candidates`` (shape ``(..., d)``)."""
        x = as_candidates(candidates, self.dimension).astype(np.float64)
        return np.asarray(self.function(x), dtype=np.float64)

    # The cross-entropy method's starting point for this problem (used by `crossentropy cem`).

    def initial_family(self) -> Gaussian:
        """The sampling family the cross-entropy method starts from.

        A Gaussian truncated to the box, centred in it with standard deviations of half its
        width.
        """
        return Gaussian.from_bounds(self.lower, self.upper)

    @property
    def default_sample_size(self) -> int:
        """Candidates per iteration that suit this problem: ``max(50, 10 d)`` in d dimensions."""
        return max(50, 10 * self.dimension)

    @property
    def default_rho(self) -> float:
        """The elite fraction that suits this problem (the usual 0.1)."""
        return 0.1

    def describe(self) -> str:
        """What the function is, its box and its known optimum."""
        lo, hi = self.lower, self.upper
        box = (
            f"[{lo[0]:g}, {hi[0]:g}]^{self.dimension}"
            if np.all(lo == lo[0]) and np.all(hi == hi[0])
            else "a box"
        )
        where = ", ".join(f"{v:.6g}" for v in self.optimizer)
        return f"{self.name}: {self.sense} over {box}; optimum {self.optimum:.10g} at ({where})"


def _check_dimension(dimension: int, minimum: int = 1) -> int:
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < minimum:
        msg = f"dimension must be an int >= {minimum}, got {dimension!r}"
        raise ValueError(msg)
    return dimension


def _box(dimension: int, half_width: float) -> tuple[NDArray, NDArray]:
    return np.full(dimension, -half_width), np.full(dimension, half_width)


def _sphere(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.sum(x**2, axis=-1), dtype=np.float64)


def _rosenbrock(x: NDArray[np.float64]) -> NDArray[np.float64]:
    head, tail = x[..., :-1], x[..., 1:]
    return np.asarray(
        np.sum(100.0 * (tail - head**2) ** 2 + (1.0 - head) ** 2, axis=-1), dtype=np.float64
    )


def _rastrigin(x: NDArray[np.float64]) -> NDArray[np.float64]:
    terms = np.sum(x**2 - 10.0 * np.cos(2.0 * np.pi * x), axis=-1)
    return np.asarray(10.0 * x.shape[-1] + terms, dtype=np.float64)


def _ackley(x: NDArray[np.float64]) -> NDArray[np.float64]:
    rms = np.sqrt(np.mean(x**2, axis=-1))
    waves = np.exp(np.mean(np.cos(2.0 * np.pi * x), axis=-1))
    return np.asarray(-20.0 * np.exp(-0.2 * rms) - waves + 20.0 + math.e, dtype=np.float64)


def _two_bump(x: NDArray[np.float64]) -> NDArray[np.float64]:
    s = x[..., 0]
    return np.exp(-((s - 2.0) ** 2)) + 0.8 * np.exp(-((s + 2.0) ** 2))


def _peaks(x: NDArray[np.float64]) -> NDArray[np.float64]:
    u, v = x[..., 0], x[..., 1]
    return (
        3.0 * (1.0 - u) ** 2 * np.exp(-(u**2) - (v + 1.0) ** 2)
        - 10.0 * (u / 5.0 - u**3 - v**5) * np.exp(-(u**2) - v**2)
        - np.exp(-((u + 1.0) ** 2) - v**2) / 3.0
    )


def sphere(dimension: int = 2) -> ContinuousProblem:
    r"""Return the sphere :math:`f(x) = \sum_i x_i^2` on :math:`[-5.12, 5.12]^d` (min 0 at 0).

    Examples
    --------
    >>> from crossentropy.method.problems import sphere
    >>> sphere(2).evaluate([3.0, 4.0])
    array(25.)
    """
    d = _check_dimension(dimension)
    lower, upper = _box(d, 5.12)
    return ContinuousProblem(
        _sphere,
        name=f"sphere-{d}d",
        lower=lower,
        upper=upper,
        sense="minimize",
        optimum=0.0,
        optimizer=np.zeros(d),
        reference="De Jong (1975), function F1",
    )


def rosenbrock(dimension: int = 2) -> ContinuousProblem:
    r"""Return Rosenbrock's valley on :math:`[-5, 10]^d` (min 0 at :math:`(1, \dots, 1)`).

    Notes
    -----
    :math:`f(x) = \sum_{i=1}^{d-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2`, the
    multidimensional extension of Rosenbrock [1]_; a narrow curved valley that is easy
    to reach and slow to follow (:math:`d \ge 2`).

    References
    ----------
    .. [1] H. H. Rosenbrock, "An automatic method for finding the greatest or least
       value of a function", The Computer Journal 3 (1960), 175-184.

    Examples
    --------
    >>> from crossentropy.method.problems import rosenbrock
    >>> rosenbrock(3).evaluate([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    array([0., 2.])
    """
    d = _check_dimension(dimension, 2)
    lower, upper = np.full(d, -5.0), np.full(d, 10.0)
    return ContinuousProblem(
        _rosenbrock,
        name=f"rosenbrock-{d}d",
        lower=lower,
        upper=upper,
        sense="minimize",
        optimum=0.0,
        optimizer=np.ones(d),
        reference="Rosenbrock (1960)",
    )


def rastrigin(dimension: int = 2) -> ContinuousProblem:
    r"""Return Rastrigin's function on :math:`[-5.12, 5.12]^d` (min 0 at 0).

    Notes
    -----
    :math:`f(x) = 10 d + \sum_i \left(x_i^2 - 10 \cos(2\pi x_i)\right)`: a bowl covered
    with :math:`\approx 10^d` local minima near the integer points [1]_.

    References
    ----------
    .. [1] H. Mühlenbein, D. Schomisch and J. Born, "The parallel genetic algorithm as
       function optimizer", Parallel Computing 17 (1991), 619-632.

    Examples
    --------
    >>> from crossentropy.method.problems import rastrigin
    >>> rastrigin(2).evaluate([0.5, 0.0])
    array(20.25)
    """
    d = _check_dimension(dimension)
    lower, upper = _box(d, 5.12)
    return ContinuousProblem(
        _rastrigin,
        name=f"rastrigin-{d}d",
        lower=lower,
        upper=upper,
        sense="minimize",
        optimum=0.0,
        optimizer=np.zeros(d),
        reference="Mühlenbein, Schomisch and Born (1991)",
    )


def ackley(dimension: int = 2) -> ContinuousProblem:
    r"""Return Ackley's function on :math:`[-32.768, 32.768]^d` (min 0 at 0).

    Notes
    -----
    :math:`f(x) = -20 \exp\left(-0.2 \sqrt{\tfrac1d \sum_i x_i^2}\right) -
    \exp\left(\tfrac1d \sum_i \cos 2\pi x_i\right) + 20 + e` [1]_. In floating point
    :math:`f(0)` is about :math:`4 \times 10^{-16}`, not exactly 0.

    References
    ----------
    .. [1] D. H. Ackley, *A Connectionist Machine for Genetic Hillclimbing*, Kluwer
       (1987).

    Examples
    --------
    >>> from crossentropy.method.problems import ackley
    >>> bool(abs(ackley(5).evaluate([0.0] * 5)) < 1e-15)
    True
    """
    d = _check_dimension(dimension)
    lower, upper = _box(d, 32.768)
    return ContinuousProblem(
        _ackley,
        name=f"ackley-{d}d",
        lower=lower,
        upper=upper,
        sense="minimize",
        optimum=0.0,
        optimizer=np.zeros(d),
        reference="Ackley (1987)",
    )


#: Where the two-bump function peaks: the root of S'(x) near 2 (the far bump pulls it
#: left by 3.6e-7), and the maximum there; Newton's method in the tests.
_TWO_BUMP_ARGMAX = 2.0 - 3.6011356413401355e-07
_TWO_BUMP_MAX = 1.0000000900282695


def two_bump() -> ContinuousProblem:
    r"""Return the one-dimensional two-bump function of the continuous CE example.

    Notes
    -----
    :math:`S(x) = e^{-(x-2)^2} + 0.8\, e^{-(x+2)^2}` on :math:`[-10, 10]`, to be
    maximised: a global maximum :math:`S \approx 1 + 0.8 e^{-16}` at
    :math:`x^* \approx 2 - 3.6 \times 10^{-7}` and a local one of about 0.8 near
    :math:`-2` that traps a search started on the left. It is the worked example of
    the Gaussian cross-entropy algorithm in the Wikipedia article "Cross-entropy
    method" [2]_ (started at :math:`\mu = -6, \sigma^2 = 100`, with :math:`N = 100`
    samples and 10 elites); the algorithm is the one of the tutorial and of Kroese,
    Porotsky and Rubinstein [1]_ for continuous multi-extremal problems.

    References
    ----------
    .. [1] D. P. Kroese, S. Porotsky and R. Y. Rubinstein, "The Cross-Entropy Method
       for Continuous Multi-Extremal Optimization", Methodology and Computing in
       Applied Probability 8 (2006), 383-407.
    .. [2] Wikipedia, "Cross-entropy method", section "Continuous optimization -
       example".

    Examples
    --------
    >>> from crossentropy.method.problems import two_bump
    >>> problem = two_bump()
    >>> problem.evaluate([[2.0], [-2.0]]).round(6)
    array([1. , 0.8])
    """
    return ContinuousProblem(
        _two_bump,
        name="two-bump",
        lower=[-10.0],
        upper=[10.0],
        sense="maximize",
        optimum=_TWO_BUMP_MAX,
        optimizer=[_TWO_BUMP_ARGMAX],
        reference="Wikipedia, Cross-entropy method (continuous optimization example)",
    )


#: Matlab's peaks: the global maximum and minimum (BFGS to a gradient of 1e-7, and
#: checked with scipy.optimize from many starting points in the tests).
_PEAKS_MAX = (8.106213589442337, (-0.009317591395845285, 1.5813679592404506))
_PEAKS_MIN = (-6.551133332835838, (0.22827891387251933, -1.6255349646782036))


def peaks(*, sense: Sense = "maximize") -> ContinuousProblem:
    r"""Return MATLAB's ``peaks`` function on :math:`[-3, 3]^2`.

    Parameters
    ----------
    sense : {"maximize", "minimize"}, default "maximize"
        Which optimum the problem asks for: the maximum :math:`\approx 8.10621` at
        :math:`\approx (-0.00932, 1.58137)` or the minimum :math:`\approx -6.55113` at
        :math:`\approx (0.22828, -1.62553)`.

    Notes
    -----
    .. math::

        z = 3(1-x)^2 e^{-x^2 - (y+1)^2} - 10\left(\tfrac{x}{5} - x^3 - y^5\right)
            e^{-x^2 - y^2} - \tfrac13 e^{-(x+1)^2 - y^2},

    a sum of translated, scaled Gaussians with three local maxima and three local
    minima [1]_.

    References
    ----------
    .. [1] The MathWorks, MATLAB documentation, ``peaks``.

    Examples
    --------
    >>> from crossentropy.method.problems import peaks
    >>> problem = peaks()
    >>> round(problem.optimum, 4), round(peaks(sense="minimize").optimum, 4)
    (8.1062, -6.5511)
    """
    if sense not in ("minimize", "maximize"):
        msg = f"sense must be 'minimize' or 'maximize', got {sense!r}"
        raise ValueError(msg)
    value, where = _PEAKS_MAX if sense == "maximize" else _PEAKS_MIN
    return ContinuousProblem(
        _peaks,
        name=f"peaks-{sense[:3]}",
        lower=[-3.0, -3.0],
        upper=[3.0, 3.0],
        sense=sense,
        optimum=value,
        optimizer=where,
        reference="MATLAB peaks",
    )
