"""The normal family with a full covariance matrix, optionally restricted to a box."""

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
    normalized_weights,
    parameter_array,
)
from crossentropy.method._families._gaussian import box_bounds, real_samples, scale_weight

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["MultivariateGaussian"]

_LOG_2PI = math.log(2.0 * math.pi)
#: Rejection sampling into the box gives up below this acceptance rate.
MIN_ACCEPTANCE = 1e-3
#: Draws made before the acceptance rate is judged.
_PILOT_DRAWS = 10_000
#: Largest batch of candidate numbers drawn at once (rows times d; a memory bound).
_MAX_BATCH_ENTRIES = 10_000_000


def _covariance(cov: ArrayLike, d: int) -> NDArray[np.float64]:
    """``cov`` validated as a symmetric positive semi-definite ``(d, d)`` matrix."""
    matrix = parameter_array("cov", cov, ndim=2, shape=(d, d))
    scale = max(float(np.abs(matrix).max()), np.finfo(np.float64).tiny)
    tol = 1e-10 * scale
    asym = np.abs(matrix - matrix.T) > tol
    if asym.any():
        i, j = (int(k) for k in np.argwhere(asym)[0])
        msg = (
            f"cov must be symmetric; cov[{i}, {j}] = {matrix[i, j]} but "
            f"cov[{j}, {i}] = {matrix[j, i]}"
        )
        raise ValueError(msg)
    smallest = float(np.linalg.eigvalsh(matrix).min())
    if smallest < -tol:
        msg = f"cov must be positive semi-definite; its smallest eigenvalue is {smallest:.6g}"
        raise ValueError(msg)
    return matrix


def _square_root(cov: NDArray[np.float64]) -> NDArray[np.float64]:
    """A factor ``L`` with ``L @ L.T == cov``: Cholesky, or eigen for a singular matrix."""
    try:
        return np.asarray(np.linalg.cholesky(cov), dtype=np.float64)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(cov)
        # Validation allowed eigenvalues down to -1e-10 * scale: rounding, taken as 0.
        return np.asarray(vectors * np.sqrt(np.clip(values, 0.0, None)), dtype=np.float64)


@dataclass(frozen=True, eq=False, init=False)
class MultivariateGaussian:
    r"""The normal family :math:`N(\mu, \Sigma)` with a full covariance matrix.

    Use it when the coordinates of good solutions are correlated (a narrow valley at
    an angle); :class:`Gaussian` (diagonal) is cheaper and is the CE method's default.

    Parameters
    ----------
    mean : array_like, shape (d,)
        The mean :math:`\mu` (finite).
    cov : array_like, shape (d, d)
        The covariance :math:`\Sigma`: symmetric (within ``1e-10`` of its largest
        entry) and positive semi-definite. A singular :math:`\Sigma` can be sampled
        (fits to fewer than ``d + 1`` elites are singular) but has no density.
    lower, upper : array_like, shape (d,) or scalar, optional
        A box to restrict samples to (``-inf`` / ``inf`` allowed, ``lower < upper``):
        :math:`X \sim N(\mu, \Sigma)` conditioned on the box.

    Attributes
    ----------
    mean : ndarray, shape (d,)
    cov : ndarray, shape (d, d)
    lower, upper : ndarray, shape (d,), or None

    Notes
    -----
    **Density.** :math:`\ln f(x) = -\tfrac12 (x - \mu)^\top \Sigma^{-1} (x - \mu) -
    \tfrac12 \ln\det\Sigma - \tfrac d2 \ln 2\pi`, computed from the Cholesky factor.
    It needs :math:`\Sigma` positive definite and no box: the normaliser
    :math:`P(l \le X \le u)` of a box-restricted correlated normal has no closed form,
    and a density without it would give silently wrong likelihood ratios, so
    :meth:`log_density` raises for a restricted family (use :class:`Gaussian`, whose
    truncation normaliser is exact).

    **Sampling.** :math:`\mu + L Z` with :math:`L L^\top = \Sigma`; with a box, by
    rejection: candidates are drawn in batches until ``n`` fall in the box. If fewer
    than ``MIN_ACCEPTANCE`` (0.1 %) of at least 10,000 candidates are accepted,
    :meth:`sample` raises rather than run for hours.

    **Update.** The weighted mean and maximum-likelihood covariance,

    .. math:: \hat\mu = \frac{\sum_i w_i x_i}{\sum_i w_i}, \qquad
              \hat\Sigma = \frac{\sum_i w_i (x_i - \hat\mu)(x_i - \hat\mu)^\top}{\sum_i w_i}

    (the exact CE solution for the unrestricted family; the bounds are carried over).
    :meth:`smooth` mixes :math:`\mu` and :math:`\Sigma` parameter-wise, which keeps
    :math:`\Sigma` positive semi-definite.

    References
    ----------
    .. [1] R. Y. Rubinstein and D. P. Kroese, "The Cross-Entropy Method", Springer
       (2004), chapter 8 (continuous optimisation).

    Examples
    --------
    >>> import numpy as np
    >>> family = MultivariateGaussian([0.0, 0.0], [[1.0, 0.9], [0.9, 1.0]])
    >>> x = family.sample(np.random.default_rng(0), 20_000)
    >>> round(float(np.corrcoef(x.T)[0, 1]), 1)
    0.9
    >>> bool(np.isclose(family.fit(x).cov[0, 1], 0.9, atol=0.05))
    True
    """

    mean: NDArray[np.float64]
    cov: NDArray[np.float64]
    lower: NDArray[np.float64] | None
    upper: NDArray[np.float64] | None
    _factor: NDArray[np.float64] = field(repr=False)

    def __init__(
        self,
        mean: ArrayLike,
        cov: ArrayLike,
        *,
        lower: ArrayLike | None = None,
        upper: ArrayLike | None = None,
    ) -> None:
        mu = parameter_array("mean", mean, ndim=1)
        sigma = _covariance(cov, mu.shape[0])
        lo, hi = box_bounds(lower, upper, mu)
        factor = _square_root(sigma)
        factor.setflags(write=False)
        object.__setattr__(self, "mean", mu)
        object.__setattr__(self, "cov", sigma)
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", hi)
        object.__setattr__(self, "_factor", factor)

    @classmethod
    def from_bounds(
        cls, lower: ArrayLike, upper: ArrayLike, *, truncate: bool = True
    ) -> MultivariateGaussian:
        """A wide start on a box: mean at the centre, covariance ``diag((width / 2)**2)``.

        With ``truncate=True`` (default) samples are restricted to the box.
        """
        lo = parameter_array("lower", lower, ndim=1)
        hi = parameter_array("upper", upper, ndim=1, shape=lo.shape)
        centre, cov = 0.5 * (lo + hi), np.diag((0.5 * (hi - lo)) ** 2)
        if truncate:
            return cls(centre, cov, lower=lo, upper=hi)
        return cls(centre, cov)

    @property
    def dim(self) -> int:
        """The dimension ``d`` of a sample."""
        return int(self.mean.shape[0])

    @property
    def std(self) -> NDArray[np.float64]:
        """The marginal standard deviations ``sqrt(diag(cov))``."""
        return np.sqrt(np.diag(self.cov))

    def _draw(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        z = rng.standard_normal((n, self.dim))
        return np.asarray(self.mean + z @ self._factor.T, dtype=np.float64)

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """Draw ``n`` points, shape ``(n, d)`` (by rejection into the box, if any)."""
        generator = check_rng(rng)
        count = check_count(n)
        if self.lower is None or self.upper is None:
            return self._draw(generator, count)
        lo, hi = self.lower, self.upper
        kept: list[NDArray[np.float64]] = []
        accepted = drawn = 0
        max_rows = max(256, _MAX_BATCH_ENTRIES // self.dim)
        while accepted < count:
            # Start hopeful (rate 1); then draw what the observed rate says is missing.
            rate = max(accepted, 1) / drawn if drawn else 1.0
            batch = min(max_rows, max(256, math.ceil(1.2 * (count - accepted) / rate)))
            x = self._draw(generator, batch)
            x = x[np.all((x >= lo) & (x <= hi), axis=1)]
            kept.append(x)
            accepted += x.shape[0]
            drawn += batch
            if accepted < count and drawn >= _PILOT_DRAWS and accepted < MIN_ACCEPTANCE * drawn:
                msg = (
                    f"only {accepted} of {drawn} draws from N(mean, cov) fell within "
                    f"[lower, upper] (acceptance below {MIN_ACCEPTANCE:.1%}): the box carries "
                    "too little of the family's mass for rejection sampling. Use Gaussian "
                    "(diagonal, exact inverse-cdf truncation) or widen the bounds."
                )
                raise ValueError(msg)
        return np.concatenate(kept)[:count]

    def fit(self, samples: ArrayLike, weights: ArrayLike | None = None) -> MultivariateGaussian:
        """Weighted mean and covariance (bounds kept); see the class Notes."""
        x = real_samples(samples, self.dim, self.lower, self.upper, check_bounds=True)
        w = normalized_weights(weights, x.shape[0])
        mu = w @ x
        if self.lower is not None and self.upper is not None:
            # A weighted mean of in-box points is in the box up to rounding of sum(w) = 1.
            mu = np.clip(mu, self.lower, self.upper)
        centred = x - mu
        cov = (centred * w[:, None]).T @ centred
        cov = 0.5 * (cov + cov.T)  # exact symmetry despite summation order
        return MultivariateGaussian(mu, cov, lower=self.lower, upper=self.upper)

    def smooth(
        self, previous: MultivariateGaussian, alpha: float, *, scale_alpha: float | None = None
    ) -> MultivariateGaussian:
        r"""Mix with ``previous``: the mean with weight ``alpha``, the cov with ``scale_alpha``.

        ``mean = alpha * self.mean + (1 - alpha) * previous.mean`` and ``cov =
        beta * self.cov + (1 - beta) * previous.cov`` with ``beta = scale_alpha``, or
        ``alpha`` when it is ``None`` (the dynamic smoothing of Kroese, Porotsky and
        Rubinstein (2006) passes a decreasing ``beta_t``); a convex combination of
        positive semi-definite matrices stays positive semi-definite.
        """
        a = check_alpha(alpha)
        b = scale_weight(a, scale_alpha)
        check_same_family(self, previous, shaped="mean", same=("lower", "upper"))
        return MultivariateGaussian(
            a * self.mean + (1.0 - a) * previous.mean,
            b * self.cov + (1.0 - b) * previous.cov,
            lower=self.lower,
            upper=self.upper,
        )

    def log_density(self, samples: ArrayLike) -> NDArray[np.float64]:
        """Log-density of each point (needs a positive-definite ``cov`` and no box)."""
        if self.lower is not None:
            msg = (
                "log_density is not available for a MultivariateGaussian restricted to "
                "[lower, upper]: the box's probability under a correlated normal has no "
                "closed form. Use Gaussian (diagonal), whose truncation normaliser is exact."
            )
            raise ValueError(msg)
        x = real_samples(samples, self.dim, None, None, check_bounds=False)
        try:
            chol = np.linalg.cholesky(self.cov)
        except np.linalg.LinAlgError:
            msg = "cov is singular (not positive definite): the family has no density"
            raise ValueError(msg) from None
        z = np.linalg.solve(chol, (x - self.mean).T)
        log_det = 2.0 * float(np.log(np.diag(chol)).sum())
        quadratic = np.asarray((z * z).sum(axis=0), dtype=np.float64)
        return quadratic * -0.5 - (0.5 * log_det + 0.5 * self.dim * _LOG_2PI)

    def is_degenerate(self, tol: float) -> bool:
        """Whether every marginal standard deviation is at most ``tol``."""
        return bool(self.std.max() <= check_tol(tol))

    def summary(self) -> dict[str, float]:
        """``max_std`` and ``min_std`` (marginal standard deviations)."""
        std = self.std
        return {"max_std": float(std.max()), "min_std": float(std.min())}
