"""Independent (diagonal) normal coordinates, optionally truncated to a box."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
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
from crossentropy.method._families._normal import interval_mass, truncated_standard_normal

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Gaussian", "box_bounds", "real_samples", "scale_weight"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def box_bounds(
    lower: ArrayLike | None, upper: ArrayLike | None, mean: NDArray[np.float64]
) -> tuple[NDArray[np.float64] | None, NDArray[np.float64] | None]:
    """Validated ``(lower, upper)`` of shape ``mean.shape``, or ``(None, None)``.

    Scalars broadcast; a missing side becomes ``-inf`` / ``+inf``. Requires
    ``lower < upper`` coordinate-wise (the mean may lie outside: a tail of a normal).
    """
    if lower is None and upper is None:
        return None, None
    d = mean.shape[0]
    lo = np.full(d, -math.inf) if lower is None else np.broadcast_to(np.asarray(lower), (d,))
    hi = np.full(d, math.inf) if upper is None else np.broadcast_to(np.asarray(upper), (d,))
    lo = parameter_array("lower", lo, ndim=1, allow_inf=True)
    hi = parameter_array("upper", hi, ndim=1, allow_inf=True)
    bad = ~(lo < hi)
    if bad.any():
        j = int(np.argmax(bad))
        msg = f"lower must be < upper in every coordinate; coordinate {j} has [{lo[j]}, {hi[j]}]"
        raise ValueError(msg)
    return lo, hi


def scale_weight(alpha: float, scale_alpha: float | None) -> float:
    """The weight for the scale: ``scale_alpha`` checked to lie in ``(0, 1]``, else ``alpha``."""
    if scale_alpha is None:
        return alpha
    if isinstance(scale_alpha, bool) or not isinstance(
        scale_alpha, (int, float, np.floating, np.integer)
    ):
        msg = (
            f"scale_alpha must be a number in (0, 1], got {type(scale_alpha).__name__} "
            f"{scale_alpha!r}"
        )
        raise TypeError(msg)
    if not 0 < scale_alpha <= 1:
        msg = f"scale_alpha must be in (0, 1], got {scale_alpha!r}"
        raise ValueError(msg)
    return float(scale_alpha)


def real_samples(
    samples: ArrayLike,
    d: int,
    lower: NDArray[np.float64] | None,
    upper: NDArray[np.float64] | None,
    *,
    check_bounds: bool,
) -> NDArray[np.float64]:
    """``samples`` of shape ``(m, d)`` as finite ``float64`` (within the box if asked)."""
    x = sample_matrix("samples", samples, (d,)).astype(np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        msg = f"samples must be finite; found {x[bad][0]} at {index_text(bad)}"
        raise ValueError(msg)
    if check_bounds and lower is not None and upper is not None:
        bad = (x < lower) | (x > upper)
        if bad.any():
            msg = (
                f"samples must lie within [lower, upper] to fit a truncated family; found "
                f"{x[bad][0]} at {index_text(bad)}"
            )
            raise ValueError(msg)
    return x


@dataclass(frozen=True, eq=False, init=False)
class Gaussian:
    r"""Independent normal coordinates :math:`X_j \sim N(\mu_j, \sigma_j^2)`, optionally truncated.

    The cross-entropy method's family for continuous problems (and, with the mean
    shifted, for rare events with normal inputs). For correlated coordinates use
    :class:`MultivariateGaussian`.

    Parameters
    ----------
    mean : array_like, shape (d,)
        The means :math:`\mu_j` (finite).
    std : array_like, shape (d,)
        The standard deviations :math:`\sigma_j \ge 0` (finite). A zero makes that
        coordinate a point mass at its mean (the limit the CE method converges to).
    lower, upper : array_like, shape (d,) or scalar, optional
        Truncation bounds (``-inf`` / ``inf`` allowed per coordinate, ``lower < upper``).
        Coordinate :math:`j` is then distributed as :math:`N(\mu_j, \sigma_j^2)`
        conditioned on :math:`l_j \le X_j \le u_j`. The mean may lie outside the box
        (a normal tail), as long as the box keeps a representable probability
        (about 37 standard deviations out at most).

    Attributes
    ----------
    mean, std : ndarray, shape (d,)
        Read-only ``float64`` copies.
    lower, upper : ndarray, shape (d,), or None
        Both ``None`` when the family is not truncated.

    Notes
    -----
    **Density.** With :math:`z_j = (x_j - \mu_j)/\sigma_j`, :math:`\alpha_j =
    (l_j - \mu_j)/\sigma_j` and :math:`\beta_j = (u_j - \mu_j)/\sigma_j`,

    .. math:: \ln f(x) = \sum_j \Big[-\tfrac12 z_j^2 - \ln \sigma_j - \tfrac12 \ln 2\pi
              - \ln\big(\Phi(\beta_j) - \Phi(\alpha_j)\big)\Big]

    for :math:`x` in the box, :math:`-\infty` outside; the truncation normaliser is
    included, so likelihood ratios between truncated families are exact. A point-mass
    coordinate contributes :math:`+\infty` on its mean and :math:`-\infty` off it.

    **Sampling.** Untruncated coordinates are :math:`\mu + \sigma Z`; truncated ones are
    drawn by inverse cdf, :math:`\mu + \sigma\,\Phi^{-1}(\Phi(\alpha) + U(\Phi(\beta) -
    \Phi(\alpha)))`, computed from whichever tail keeps full precision, so bounds far
    in a tail cost nothing (no rejection).

    **Update.** :meth:`fit` returns the weighted sample mean and (maximum-likelihood,
    divide-by-:math:`\sum w`) variance,

    .. math:: \hat\mu_j = \frac{\sum_i w_i x_{ij}}{\sum_i w_i}, \qquad
              \hat\sigma_j^2 = \frac{\sum_i w_i (x_{ij} - \hat\mu_j)^2}{\sum_i w_i},

    the exact CE solution for the untruncated normal family. For a truncated family it
    is the CE method's customary update (de Boer et al. [1]_ use it with bounded
    domains), not the truncated-normal maximum-likelihood estimate, which has no closed
    form; the bounds are carried over. :meth:`smooth` mixes mean and standard
    deviation parameter-wise, as in [1]_.

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67.
    .. [2] R. Y. Rubinstein and D. P. Kroese, "The Cross-Entropy Method", Springer
       (2004).

    Examples
    --------
    >>> import numpy as np
    >>> family = Gaussian.from_bounds([-2.0, 0.0], [2.0, 10.0])
    >>> family.mean, family.std
    (array([0., 5.]), array([2., 5.]))
    >>> x = family.sample(np.random.default_rng(1), 1000)
    >>> bool(np.all((x >= [-2, 0]) & (x <= [2, 10])))
    True
    >>> elites = np.array([[1.0, 2.0], [3.0, 2.0]])
    >>> Gaussian.standard(2).fit(elites).std
    array([1., 0.])
    """

    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    lower: NDArray[np.float64] | None
    upper: NDArray[np.float64] | None
    _log_mass: NDArray[np.float64] = field(repr=False)

    def __init__(
        self,
        mean: ArrayLike,
        std: ArrayLike,
        *,
        lower: ArrayLike | None = None,
        upper: ArrayLike | None = None,
    ) -> None:
        mu = parameter_array("mean", mean, ndim=1)
        sigma = parameter_array("std", std, ndim=1, shape=mu.shape)
        bad = sigma < 0
        if bad.any():
            msg = f"std must be non-negative; found {sigma[bad][0]} at {index_text(bad)}"
            raise ValueError(msg)
        lo, hi = box_bounds(lower, upper, mu)
        log_mass = np.zeros_like(mu)
        if lo is not None and hi is not None:
            spread = sigma > 0
            safe = np.where(spread, sigma, 1.0)
            mass = np.where(spread, interval_mass((lo - mu) / safe, (hi - mu) / safe), 1.0)
            # A point-mass coordinate has mass 1 in the box if its mean is inside, else 0.
            mass = np.where(~spread & ((mu < lo) | (mu > hi)), 0.0, mass)
            empty = ~(mass > 0)
            if empty.any():
                j = int(np.argmax(empty))
                msg = (
                    f"[lower, upper] = [{lo[j]}, {hi[j]}] carries no probability (below "
                    f"1e-308) under N({mu[j]}, {sigma[j]}**2) in coordinate {j}: the "
                    "truncated family cannot be sampled"
                )
                raise ValueError(msg)
            log_mass = np.log(mass)
        object.__setattr__(self, "mean", mu)
        object.__setattr__(self, "std", sigma)
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", hi)
        object.__setattr__(self, "_log_mass", log_mass)

    @classmethod
    def standard(cls, d: int) -> Gaussian:
        """The standard normal :math:`N(0, I_d)`: the nominal law of reliability inputs."""
        size = check_count(d, "d", minimum=1)
        return cls(np.zeros(size), np.ones(size))

    @classmethod
    def from_bounds(cls, lower: ArrayLike, upper: ArrayLike, *, truncate: bool = True) -> Gaussian:
        """A wide start on a box: mean at the centre, std half the width.

        With ``truncate=True`` (default) the family is truncated to the box, so every
        sample is feasible; otherwise the bounds only set the start.
        """
        lo = parameter_array("lower", lower, ndim=1)
        hi = parameter_array("upper", upper, ndim=1, shape=lo.shape)
        centre, half_width = 0.5 * (lo + hi), 0.5 * (hi - lo)
        if truncate:
            return cls(centre, half_width, lower=lo, upper=hi)
        return cls(centre, half_width)

    @property
    def dim(self) -> int:
        """The dimension ``d`` of a sample."""
        return int(self.mean.shape[0])

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """Draw ``n`` points, shape ``(n, d)``, ``float64``."""
        generator = check_rng(rng)
        count = check_count(n)
        z = generator.standard_normal((count, self.dim))
        if self.lower is not None and self.upper is not None:
            cut = (self.std > 0) & (np.isfinite(self.lower) | np.isfinite(self.upper))
            if cut.any():
                sigma = self.std[cut]
                alpha = (self.lower[cut] - self.mean[cut]) / sigma
                beta = (self.upper[cut] - self.mean[cut]) / sigma
                z[:, cut] = truncated_standard_normal(generator, alpha, beta, count)
            x = self.mean + self.std * z
            # mean + std * z can round one ulp past a bound: put it back on the edge.
            return np.clip(x, self.lower, self.upper)
        return self.mean + self.std * z

    def fit(self, samples: ArrayLike, weights: ArrayLike | None = None) -> Gaussian:
        """Weighted mean and variance (bounds kept); see the class Notes."""
        x = real_samples(samples, self.dim, self.lower, self.upper, check_bounds=True)
        w = normalized_weights(weights, x.shape[0])
        mu = w @ x
        if self.lower is not None and self.upper is not None:
            # A weighted mean of in-box points is in the box up to rounding of sum(w) = 1.
            mu = np.clip(mu, self.lower, self.upper)
        var = w @ (x - mu) ** 2
        return Gaussian(mu, np.sqrt(var), lower=self.lower, upper=self.upper)

    def smooth(
        self, previous: Gaussian, alpha: float, *, scale_alpha: float | None = None
    ) -> Gaussian:
        r"""Mix with ``previous``: the mean with weight ``alpha``, the std with ``scale_alpha``.

        ``mean = alpha * self.mean + (1 - alpha) * previous.mean`` and ``std =
        beta * self.std + (1 - beta) * previous.std`` with ``beta = scale_alpha``, or
        ``alpha`` when it is ``None``. A separate, decreasing ``beta_t`` for the scale is
        the dynamic smoothing of Kroese, Porotsky and Rubinstein (2006) for continuous
        multi-extremal problems (``CrossEntropyOptimizer(scale_alpha=...)``).
        """
        a = check_alpha(alpha)
        b = scale_weight(a, scale_alpha)
        check_same_family(self, previous, shaped="mean", same=("lower", "upper"))
        return Gaussian(
            a * self.mean + (1.0 - a) * previous.mean,
            b * self.std + (1.0 - b) * previous.std,
            lower=self.lower,
            upper=self.upper,
        )

    def log_density(self, samples: ArrayLike) -> NDArray[np.float64]:
        """Log-density of each point, truncation normaliser included (see Notes)."""
        x = real_samples(samples, self.dim, self.lower, self.upper, check_bounds=False)
        spread = self.std > 0
        safe = np.where(spread, self.std, 1.0)
        z = (x - self.mean) / safe
        terms = -0.5 * z * z - np.log(safe) - _LOG_SQRT_2PI - self._log_mass
        total = np.where(spread, terms, 0.0).sum(axis=1)
        impossible = np.any(~spread & (x != self.mean), axis=1)
        if self.lower is not None and self.upper is not None:
            impossible |= np.any((x < self.lower) | (x > self.upper), axis=1)
        on_point = bool((~spread).any())
        return np.where(impossible, -math.inf, math.inf if on_point else total)

    def is_degenerate(self, tol: float) -> bool:
        """Whether every standard deviation is at most ``tol``."""
        return bool(self.std.max() <= check_tol(tol))

    def summary(self) -> dict[str, float]:
        """``max_std`` and ``min_std``."""
        return {"max_std": float(self.std.max()), "min_std": float(self.std.min())}
