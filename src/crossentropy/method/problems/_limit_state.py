"""Structural reliability: linear limit states in standard normal space, in series."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.method._checks import as_generator
from crossentropy.method._families import Gaussian
from crossentropy.method.problems._base import as_candidates, frozen_array

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["LinearSeriesSystem", "linear_limit_state", "series_system"]


@dataclass(frozen=True, eq=False, init=False)
class LinearSeriesSystem:
    r"""A series system of linear limit states with standard normal inputs.

    Inputs :math:`X \sim N(0, I_d)`; component :math:`i` fails when
    :math:`g_i(x) = \beta_i - a_i^\top x \le 0` (:math:`\|a_i\| = 1`), and the system
    fails when any component does: :math:`g(x) = \min_i g_i(x) \le 0`. One component is
    the classical linear limit state with :math:`P_f = \Phi(-\beta)`.

    Parameters
    ----------
    normals : array_like, shape (m, d)
        The directions :math:`a_i` (any nonzero length; they are normalised).
    betas : array_like, shape (m,)
        The reliability indices :math:`\beta_i > 0` (the distance from the origin to
        each limit-state plane).
    name : str, default "series-system"

    Attributes
    ----------
    threshold : float
        0: failure is ``performance(x) >= 0``, with ``performance = -g``.
    exact_probability : float
        :math:`P_f = P(g(X) \le 0)`, exact to about 14 digits (see Notes) when the
        normals span at most two dimensions (always so for one or two components).

    Notes
    -----
    Only the projection :math:`Y = Q^\top X \sim N(0, I_2)` onto the plane spanned by
    the normals matters. Along the ray at angle :math:`\theta` the first failure is at
    radius :math:`r(\theta) = \min_i \{\beta_i / \cos(\theta - \varphi_i) :
    \cos(\theta - \varphi_i) > 0\}`, and since :math:`\|Y\|^2 / 2` is a standard
    exponential,

    .. math:: P_f = \frac{1}{2\pi} \int_{-\pi}^{\pi} e^{-r(\theta)^2 / 2}\, d\theta

    (for one component this is Craig's formula for :math:`\Phi(-\beta)`). The
    integrand is smooth between the angles where the nearest plane changes, which are
    known in closed form; composite Gauss-Legendre quadrature on those pieces is exact
    to rounding. The tests compare with ``scipy.stats.multivariate_normal`` and with
    crude Monte Carlo.

    References
    ----------
    .. [1] O. Ditlevsen and H. O. Madsen, *Structural Reliability Methods*, Wiley
       (1996), chapters 5 and 14.
    .. [2] J. W. Craig, "A new, simple and exact result for calculating the probability
       of error for two-dimensional signal constellations", IEEE MILCOM (1991).

    Examples
    --------
    >>> import math
    >>> from crossentropy.method.problems import linear_limit_state
    >>> problem = linear_limit_state(4.0, dimension=3)
    >>> math.isclose(problem.exact_probability, 0.5 * math.erfc(4.0 / math.sqrt(2.0)))
    True
    """

    normals: NDArray[np.float64] = field(repr=False)
    betas: NDArray[np.float64] = field(repr=False)
    name: str = "series-system"

    def __init__(
        self, normals: ArrayLike, betas: ArrayLike, *, name: str = "series-system"
    ) -> None:
        for key, value in (("normals", normals), ("betas", betas), ("name", name)):
            object.__setattr__(self, key, value)
        self._validate()

    def _validate(self) -> None:
        a = np.array(self.normals, dtype=np.float64)
        beta = np.array(self.betas, dtype=np.float64)
        if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
            msg = f"normals must have shape (m, d) with m, d >= 1, got shape {a.shape}"
            raise ValueError(msg)
        if beta.shape != (a.shape[0],):
            msg = f"betas must have shape ({a.shape[0]},) (one per normal), got {beta.shape}"
            raise ValueError(msg)
        norms = np.linalg.norm(a, axis=1)
        bad = ~(np.isfinite(norms) & (norms > 0))
        if bad.any():
            msg = f"normals must be finite and nonzero, row {int(np.argmax(bad))} is not"
            raise ValueError(msg)
        bad = ~(np.isfinite(beta) & (beta > 0))
        if bad.any():
            k = int(np.argmax(bad))
            value = float(beta[k])
            msg = f"betas must be finite and > 0 (the origin safe), got {value!r} at index {k}"
            raise ValueError(msg)
        object.__setattr__(self, "normals", frozen_array(a / norms[:, None]))
        object.__setattr__(self, "betas", frozen_array(beta))

    @property
    def dimension(self) -> int:
        """The number of standard normal inputs ``d``."""
        return int(self.normals.shape[1])

    @property
    def threshold(self) -> float:
        """0: the system fails exactly when ``performance(x) >= 0``."""
        return 0.0

    def limit_state(self, samples: ArrayLike) -> NDArray[np.float64]:
        r""":math:`g(x) = \min_i (\beta_i - a_i^\top x)`; ``<= 0`` means failure."""
        x = as_candidates(samples, self.dimension, "samples").astype(np.float64)
        # einsum, not BLAS: a row's value is the same bit for bit alone or in any batch
        projections = np.einsum("...i,ji->...j", x, self.normals)
        return np.asarray(np.min(self.betas - projections, axis=-1))

    def performance(self, samples: ArrayLike) -> NDArray[np.float64]:
        r""":math:`S(x) = -g(x) = \max_i (a_i^\top x - \beta_i)`; ``>= 0`` means failure."""
        return -self.limit_state(samples)

    def sample_nominal(self, rng: np.random.Generator | int | None, n: int) -> NDArray[np.float64]:
        """``n`` standard normal input vectors, shape ``(n, d)``."""
        return as_generator(rng).standard_normal((n, self.dimension))

    @cached_property
    def exact_probability(self) -> float:
        r""":math:`P(g(X) \le 0)` by the angular integral in the Notes."""
        return _series_failure_probability(self.normals, self.betas)

    # The multilevel cross-entropy method's settings for this problem (`crossentropy cem`).

    def nominal_family(self) -> Gaussian:
        """The nominal distribution of the inputs, as a sampling family.

        Independent standard normal inputs.
        """
        return Gaussian.standard(self.dimension)

    @property
    def default_rho(self) -> float:
        """The elite fraction that suits this problem (the usual 0.1)."""
        return 0.1

    @property
    def default_alpha(self) -> float:
        """The smoothing weight that suits this problem (1: no smoothing)."""
        return 1.0

    def describe(self) -> str:
        """What the system is and its exact failure probability."""
        m, d = self.normals.shape
        betas = ", ".join(f"{b:g}" for b in self.betas)
        kind = "linear limit state" if m == 1 else f"series system of {m} linear limit states"
        return (
            f"{self.name}: {kind} in {d} standard normal inputs, reliability indices "
            f"({betas}); exact failure probability {self.exact_probability:.6e}"
        )


def _plane_angles(normals: NDArray[np.float64]) -> NDArray[np.float64]:
    """Angle of each normal in the plane that the normals span (ValueError beyond 2-D)."""
    d = normals.shape[1]
    if d == 1:  # pad with an independent dummy input: Y = (X, Z)
        return np.where(normals[:, 0] > 0, 0.0, np.pi)
    _, sing, vt = np.linalg.svd(normals, full_matrices=True)
    if sing.size > 2 and sing[2] > 1e-10 * sing[0]:
        msg = (
            "the exact probability needs the normals to span at most two dimensions; "
            f"these span {int(np.sum(sing > 1e-10 * sing[0]))}"
        )
        raise ValueError(msg)
    plane = normals @ vt[:2].T
    return np.asarray(np.arctan2(plane[:, 1], plane[:, 0]), dtype=np.float64)


def _series_failure_probability(
    normals: NDArray[np.float64], betas: NDArray[np.float64], *, nodes: int = 20
) -> float:
    """The angular integral of :class:`LinearSeriesSystem` by composite Gauss-Legendre."""
    phi = _plane_angles(normals)
    m = phi.size
    breaks = [phi, phi + np.pi / 2, phi - np.pi / 2]
    for i in range(m):  # where planes i and j are equally near: A cos t + B sin t = 0
        for j in range(i + 1, m):
            a_coef = betas[i] * math.cos(phi[j]) - betas[j] * math.cos(phi[i])
            b_coef = betas[i] * math.sin(phi[j]) - betas[j] * math.sin(phi[i])
            if a_coef != 0.0 or b_coef != 0.0:
                t0 = math.atan2(-a_coef, b_coef)
                breaks.append(np.array([t0, t0 + np.pi]))
    cuts = np.mod(np.concatenate(breaks) + np.pi, 2 * np.pi) - np.pi
    # and a uniform grid, so that each piece is narrower than the peaks (width ~ 1/beta)
    grid = np.linspace(-np.pi, np.pi, 129)
    cuts = np.unique(np.concatenate([cuts, grid]))
    x, w = np.polynomial.legendre.leggauss(nodes)
    lo, hi = cuts[:-1], cuts[1:]
    theta = ((lo + hi) / 2)[:, None] + ((hi - lo) / 2)[:, None] * x
    weight = ((hi - lo) / 2)[:, None] * w
    cos = np.cos(theta[..., None] - phi)  # (pieces, nodes, m)
    with np.errstate(divide="ignore"):
        radius = np.where(cos > 0, betas / np.where(cos > 0, cos, 1.0), np.inf).min(axis=-1)
    return float(np.sum(weight * np.exp(-(radius**2) / 2)) / (2 * np.pi))


def linear_limit_state(beta: float = 4.0, *, dimension: int = 2) -> LinearSeriesSystem:
    r"""Return :math:`g(x) = \beta - (x_1 + \dots + x_d)/\sqrt d` with :math:`P_f = \Phi(-\beta)`.

    Parameters
    ----------
    beta : float, default 4.0
        The reliability index (:math:`\Phi(-4) \approx 3.167 \times 10^{-5}`).
    dimension : int, default 2
        The number of standard normal inputs.

    Returns
    -------
    LinearSeriesSystem
        One component.

    Examples
    --------
    >>> from crossentropy.method.problems import linear_limit_state
    >>> print(f"{linear_limit_state().exact_probability:.4e}")
    3.1671e-05
    """
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
        msg = f"dimension must be a positive int, got {dimension!r}"
        raise ValueError(msg)
    return LinearSeriesSystem(
        np.ones((1, dimension)), [float(beta)], name=f"linear-limit-state-{dimension}d"
    )


def series_system(
    normals: ArrayLike = ((1.0, 0.0), (0.6, 0.8)), betas: ArrayLike = (3.5, 4.0)
) -> LinearSeriesSystem:
    r"""Return a series system of linear limit states (default: two, correlated 0.6).

    Parameters
    ----------
    normals : array_like, shape (m, d), default ((1, 0), (0.6, 0.8))
        The component directions.
    betas : array_like, shape (m,), default (3.5, 4.0)
        The components' reliability indices.

    Returns
    -------
    LinearSeriesSystem
        The default fails when :math:`x_1 \ge 3.5` or :math:`0.6 x_1 + 0.8 x_2 \ge 4`;
        the two design points differ, so the failure domain has two important regions.

    Notes
    -----
    With two components whose normals have correlation :math:`\rho = a_1^\top a_2`,
    :math:`P_f = \Phi(-\beta_1) + \Phi(-\beta_2) - \Phi_2(-\beta_1, -\beta_2; \rho)`.

    Examples
    --------
    >>> from crossentropy.method.problems import series_system
    >>> print(f"{series_system().exact_probability:.4e}")
    2.6059e-04
    """
    return LinearSeriesSystem(normals, betas)
