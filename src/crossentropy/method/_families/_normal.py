"""The standard normal distribution's special functions in NumPy, and truncated sampling.

NumPy has no ``erf``; the core package may not import SciPy. ``math.erfc`` (correctly
rounded to within an ulp or two) is mapped over arrays, and the quantile function uses
Acklam's rational approximation (relative error below 1.2e-9) refined by one Halley
step on ``erfc``, which brings it to full double precision.

Upper-tail quantities are always computed from the survival function rather than as
``1 - cdf``, so that nothing is lost to cancellation ten standard deviations out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "interval_mass",
    "norm_cdf",
    "norm_ppf",
    "norm_sf",
    "open_uniform",
    "truncated_standard_normal",
]

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
_ERFC = np.frompyfunc(math.erfc, 1, 1)
_ERF = np.frompyfunc(math.erf, 1, 1)

# Acklam's coefficients (central region and lower tail).
_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
      -30.66479806614716, 2.506628277459239)  # fmt: skip
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
      -13.28068155288572)  # fmt: skip
_C = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
      4.374664141464968, 2.938163982698783)  # fmt: skip
_D = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
_P_LOW = 0.02425


def _erfc(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(_ERFC(x), dtype=np.float64)


def _erf(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(_ERF(x), dtype=np.float64)


def norm_cdf(x: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\Phi(x) = \operatorname{erfc}(-x/\sqrt2) / 2`, accurate in the lower tail."""
    return 0.5 * _erfc(-np.asarray(x, dtype=np.float64) / _SQRT2)


def norm_sf(x: ArrayLike) -> NDArray[np.float64]:
    r""":math:`1 - \Phi(x) = \operatorname{erfc}(x/\sqrt2) / 2`, accurate in the upper tail."""
    return 0.5 * _erfc(np.asarray(x, dtype=np.float64) / _SQRT2)


def _polyval(coefficients: tuple[float, ...], x: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        out = out * x + c
    return out


def _lower_ppf(p: NDArray[np.float64]) -> NDArray[np.float64]:
    r""":math:`\Phi^{-1}(p)` for ``0 <= p <= 0.5`` (so the result is ``<= 0``)."""
    x = np.empty_like(p)
    tail = p < _P_LOW
    zero = p == 0
    pt = np.where(tail & ~zero, p, _P_LOW)  # placeholder keeps log() finite off the branch
    q = np.sqrt(-2.0 * np.log(pt))
    x_tail = _polyval(_C, q) / (_polyval(_D, q) * q + 1.0)
    r = (p - 0.5) ** 2
    x_mid = _polyval(_A, r) * (p - 0.5) / (_polyval(_B, r) * r + 1.0)
    x = np.where(tail, x_tail, x_mid)
    # One Halley step on Phi(x) - p: e / phi(x) with phi(x) = exp(-x^2/2) / sqrt(2 pi).
    # Skipped below 1e-300, where exp(x^2/2) would overflow (Acklam alone is 1e-9 there).
    refine = p >= 1e-300
    xr = np.where(refine, x, 0.0)
    e = norm_cdf(xr) - np.where(refine, p, 0.5)
    u = e * _SQRT2PI * np.exp(0.5 * xr * xr)
    x = np.where(refine, xr - u / (1.0 + 0.5 * xr * u), x)
    return np.where(zero, -math.inf, x)


def norm_ppf(p: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\Phi^{-1}(p)`, the standard normal quantile, for ``p`` in ``[0, 1]``.

    Examples
    --------
    >>> float(norm_ppf(0.975))
    1.959963984540054
    """
    pa = np.asarray(p, dtype=np.float64)
    upper = pa > 0.5
    # 1 - p is exact for p > 0.5 (Sterbenz), and Phi^{-1}(p) = -Phi^{-1}(1 - p).
    folded = np.where(upper, 1.0 - pa, pa)
    x = _lower_ppf(folded)
    return np.where(upper, -x, x)


def interval_mass(alpha: NDArray[np.float64], beta: NDArray[np.float64]) -> NDArray[np.float64]:
    r""":math:`\Phi(\beta) - \Phi(\alpha)` for ``alpha <= beta``, without cancellation.

    Intervals above zero use the survival function, intervals below zero the cdf, and
    intervals around zero ``(erf(beta / sqrt 2) + erf(-alpha / sqrt 2)) / 2``, a sum of
    two non-negative terms that stays exact however narrow the interval.
    """
    above = alpha > 0
    below = beta < 0
    around = 0.5 * (_erf(beta / _SQRT2) + _erf(-alpha / _SQRT2))
    return np.where(
        above,
        norm_sf(alpha) - norm_sf(beta),
        np.where(below, norm_cdf(beta) - norm_cdf(alpha), around),
    )


def open_uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray[np.float64]:
    """Uniform draws on the open interval (0, 1): the grid ``(k + 1/2) 2**-52``.

    ``rng.random`` can return exactly 0, whose quantile is infinite.
    """
    k = rng.integers(0, 2**52, size=shape, dtype=np.int64)
    return (k.astype(np.float64) + 0.5) * 2.0**-52


def truncated_standard_normal(
    rng: np.random.Generator,
    alpha: NDArray[np.float64],
    beta: NDArray[np.float64],
    n: int,
) -> NDArray[np.float64]:
    """``n`` draws of ``Z ~ N(0, 1)`` conditioned on ``alpha <= Z <= beta``, per coordinate.

    Inverse-cdf sampling: with ``U`` uniform and ``Z = Phi(beta) - Phi(alpha)``, the draw
    is ``Phi^{-1}(Phi(alpha) + U Z)``. Where that lower-tail probability exceeds 1/2 the
    draw is taken instead as ``-Phi^{-1}(Q(beta) + (1 - U) Z)`` with ``Q = 1 - Phi``,
    the same point computed from the other tail, so both tails keep full precision.
    """
    shape = (n, alpha.shape[0])
    u = open_uniform(rng, shape)
    mass = interval_mass(alpha, beta)
    p_low = norm_cdf(alpha) + u * mass
    p_high = norm_sf(beta) + (1.0 - u) * mass
    use_low = p_low <= 0.5
    x = _lower_ppf(np.clip(np.where(use_low, p_low, p_high), 0.0, 0.5))
    x = np.where(use_low, x, -x)
    # Rounding in the last ulp can step just outside the interval: put it back on the edge.
    return np.clip(x, alpha, beta)
