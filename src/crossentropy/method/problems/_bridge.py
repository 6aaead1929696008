"""The rare-event shortest path in the bridge network of the cross-entropy tutorial."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.method._checks import as_generator
from crossentropy.method._families import Exponential
from crossentropy.method.problems._base import as_candidates

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["BridgeNetwork", "bridge_performance"]

#: The nominal mean edge lengths of the tutorial, Example 1.1 / Section 2.
TUTORIAL_MEANS = (0.25, 0.4, 0.1, 0.3, 0.2)


def bridge_performance(lengths: ArrayLike) -> NDArray[np.float64]:
    r"""Return the shortest-path length from A to B in the bridge network.

    Parameters
    ----------
    lengths : array_like, shape (..., 5)
        Edge lengths :math:`x_1, \dots, x_5`, one network per row.

    Returns
    -------
    ndarray, shape (...)
        :math:`S(x) = \min(x_1 + x_4,\; x_1 + x_3 + x_5,\; x_2 + x_5,\; x_2 + x_3 + x_4)`,
        as float64.

    Raises
    ------
    ValueError
        If the last axis does not have length 5.

    Notes
    -----
    The bridge network has nodes A, C, D, B and edges 1 = A-C, 2 = A-D, 3 = C-D,
    4 = C-B, 5 = D-B; its four A-B paths are the four sums above (de Boer et al. [1]_,
    Figure 1).

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67.

    Examples
    --------
    >>> from crossentropy.method.problems import bridge_performance
    >>> bridge_performance([[1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 1.0, 0.0, 1.0, 1.0]])
    array([5., 2.])
    """
    x = as_candidates(lengths, 5, "lengths").astype(np.float64)
    x1, x2, x3, x4, x5 = (x[..., i] for i in range(5))
    return np.asarray(
        np.minimum(np.minimum(x1 + x4, x1 + x3 + x5), np.minimum(x2 + x5, x2 + x3 + x4))
    )


@dataclass(frozen=True)
class BridgeNetwork:
    r"""The tutorial's rare event: a long shortest path in the bridge network.

    Five independent exponential edge lengths :math:`X_j \sim \mathrm{Exp}` with means
    :math:`u_j`; the event is :math:`\{S(X) \ge \gamma\}` with :math:`S` from
    :func:`bridge_performance`.

    Parameters
    ----------
    means : tuple of 5 floats, default (0.25, 0.4, 0.1, 0.3, 0.2)
        The nominal means :math:`u_1, \dots, u_5 > 0` (the tutorial's values).
    threshold : float, default 2.0
        The level :math:`\gamma`.
    name : str, default "bridge"

    Attributes
    ----------
    exact_probability : float
        :math:`\ell = P(S(X) \ge \gamma)` by the quadrature in the Notes,
        about ``1.3425e-05`` for the defaults, as in the tutorial.

    Notes
    -----
    Given :math:`X_1 = a, X_2 = b, X_3 = c` the event needs
    :math:`X_4 \ge \gamma - \min(a, b + c)` and :math:`X_5 \ge \gamma - \min(b, a + c)`, so

    .. math::

        \ell = E\left[e^{-(\gamma - \min(X_1, X_2 + X_3))^+ / u_4}
                      e^{-(\gamma - \min(X_2, X_1 + X_3))^+ / u_5}\right].

    The expectation over :math:`X_3` is done in closed form (on :math:`a \le b` the
    integrand is :math:`e^{-(\gamma - a)^+/u_4}` times :math:`e^{-(\gamma - a - c)^+/u_5}`
    for :math:`c < b - a` and :math:`e^{-(\gamma - b)^+/u_5}` after; :math:`a > b` is the
    mirror image), and the remaining double integral over :math:`(a, b)` by composite
    Gauss-Legendre quadrature on pieces split at the kinks :math:`a = \gamma`,
    :math:`b = \gamma`, :math:`a = b`, with exponential tails cut at 48 means (a relative
    error below :math:`10^{-12}`). The tests check it against adaptive quadrature
    conditioned on :math:`(X_3, X_4, X_5)` instead, and against crude Monte Carlo where
    the event is not rare.

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67,
       Example 1.1 and Section 2.

    Examples
    --------
    >>> from crossentropy.method.problems import BridgeNetwork
    >>> problem = BridgeNetwork()
    >>> print(f"{problem.exact_probability:.4e}")
    1.3425e-05
    >>> problem.performance(problem.sample_nominal(0, 3)).shape
    (3,)
    """

    means: tuple[float, ...] = TUTORIAL_MEANS
    threshold: float = 2.0
    name: str = "bridge"

    def __post_init__(self) -> None:
        means = tuple(float(u) for u in self.means)
        if len(means) != 5 or not all(math.isfinite(u) and u > 0 for u in means):
            msg = f"means must be 5 finite positive numbers, got {self.means!r}"
            raise ValueError(msg)
        if not math.isfinite(self.threshold):
            msg = f"threshold must be finite, got {self.threshold!r}"
            raise ValueError(msg)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "threshold", float(self.threshold))

    @property
    def dimension(self) -> int:
        """The number of random edge lengths, 5."""
        return 5

    def performance(self, samples: ArrayLike) -> NDArray[np.float64]:
        """The shortest-path length of each sample (see :func:`bridge_performance`)."""
        return bridge_performance(samples)

    def sample_nominal(self, rng: np.random.Generator | int | None, n: int) -> NDArray[np.float64]:
        """``n`` independent draws of the five nominal exponential lengths, shape ``(n, 5)``."""
        return as_generator(rng).exponential(self.means, size=(n, 5))

    @cached_property
    def exact_probability(self) -> float:
        r""":math:`P(S(X) \ge \gamma)` under the nominal means (quadrature, see Notes)."""
        return bridge_probability(self.threshold, self.means)

    # The multilevel cross-entropy method's settings for this problem (`crossentropy cem`).

    def nominal_family(self) -> Exponential:
        """The nominal distribution of the inputs, as a sampling family.

        Independent exponential edge lengths with the problem's means.
        """
        return Exponential(self.means)

    @property
    def default_rho(self) -> float:
        """The elite fraction that suits this problem (0.1, the tutorial's)."""
        return 0.1

    @property
    def default_alpha(self) -> float:
        """The smoothing weight that suits this problem (1: no smoothing, the tutorial's)."""
        return 1.0

    def describe(self) -> str:
        """What the event is and its exact probability."""
        means = ", ".join(f"{u:g}" for u in self.means)
        return (
            f"{self.name}: P(shortest path >= {self.threshold:g}) in the bridge network "
            f"with independent exponential edge lengths of means ({means}); "
            f"exact probability {self.exact_probability:.6e} (quadrature)"
        )


def _given_ab(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    gamma: float,
    *,
    rate3: float,
    rate_a: float,
    rate_b: float,
) -> NDArray[np.float64]:
    """``E[P(event) | X1 = a, X2 = b]`` on ``a <= b``, with ``X3`` integrated exactly.

    ``rate_a`` is the rate of the edge that completes the path through ``a`` alone
    (edge 4 when ``a = X1``), ``rate_b`` that of the path through ``b`` (edge 5).
    """
    over_a = np.maximum(gamma - a, 0.0)
    gap = b - a  # >= 0: for X3 < gap the shorter path to the far edge goes via X3
    kink = np.minimum(gap, over_a)  # where (gamma - a - c)^+ reaches 0
    k = rate_b - rate3
    # int_0^kink rate3 e^{-rate3 c} e^{-rate_b (gamma - a - c)} dc, with expm1 for k ~ 0
    ramp = np.expm1(k * kink) / k if k != 0.0 else kink
    first = rate3 * np.exp(-rate_b * over_a) * ramp
    middle = np.exp(-rate3 * kink) - np.exp(-rate3 * gap)  # the far edge is free there
    last = np.exp(-rate3 * gap - rate_b * np.maximum(gamma - b, 0.0))  # X3 >= gap
    return np.asarray(np.exp(-rate_a * over_a) * (first + middle + last), dtype=np.float64)


def _pieces(
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    nodes: NDArray[np.float64],
    weights: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gauss-Legendre nodes and weights on each piece ``[lo, hi]`` (last axis: pieces)."""
    width = hi - lo
    x = lo[..., None] + width[..., None] * nodes
    w = width[..., None] * weights
    return x.reshape(*x.shape[:-2], -1), w.reshape(*w.shape[:-2], -1)


def bridge_probability(
    threshold: float, means: tuple[float, ...], *, nodes: int = 24, tail: int = 48
) -> float:
    """``P(S(X) >= threshold)`` for exponential edge lengths with ``means`` (see BridgeNetwork)."""
    if threshold <= 0.0:
        return 1.0
    rates = [1.0 / u for u in means]
    x, w = np.polynomial.legendre.leggauss(nodes)
    x, w = (x + 1.0) / 2.0, w / 2.0
    g = threshold
    # outer variable a = X1: [0, g] in 4 pieces, then `tail` pieces one mean wide
    edges_a = np.concatenate([np.linspace(0.0, g, 5), g + means[0] * np.arange(1, tail + 1)])
    a, wa = _pieces(edges_a[:-1], edges_a[1:], x, w)
    # inner variable b = X2, split where the integrand has kinks: b = min(a, g), max(a, g)
    low, high = np.minimum(a, g), np.maximum(a, g)
    edges_b = np.concatenate(
        [
            np.zeros((a.size, 1)),
            low[:, None],
            high[:, None],
            high[:, None] + means[1] * np.arange(1, tail + 1),
        ],
        axis=1,
    )
    b, wb = _pieces(edges_b[:, :-1], edges_b[:, 1:], x, w)
    a = np.broadcast_to(a[:, None], b.shape)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    inner = np.where(
        a <= b,
        _given_ab(lo, hi, g, rate3=rates[2], rate_a=rates[3], rate_b=rates[4]),
        _given_ab(lo, hi, g, rate3=rates[2], rate_a=rates[4], rate_b=rates[3]),  # X2 < X1
    )
    density = rates[0] * np.exp(-rates[0] * a) * rates[1] * np.exp(-rates[1] * b)
    return float(np.sum(wa[:, None] * wb * density * inner))
