"""Independent exponential coordinates parameterised by their means (rare events)."""

from __future__ import annotations

import math
from dataclasses import dataclass
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
)
from crossentropy.method._families._gaussian import real_samples

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Exponential"]


@dataclass(frozen=True, eq=False, init=False)
class Exponential:
    r"""Independent exponential coordinates with means :math:`u_j`.

    The family of the tutorial's shortest-path rare event (random edge lengths), and
    of waiting times in queueing and reliability models.

    Parameters
    ----------
    mean : array_like, shape (d,)
        The means :math:`u_j > 0` (finite); the rates are :math:`1/u_j`.

    Attributes
    ----------
    mean : ndarray, shape (d,)
        A read-only ``float64`` copy.

    Notes
    -----
    The density is :math:`f(x; u) = \prod_j u_j^{-1} e^{-x_j / u_j}` for
    :math:`x \ge 0` (zero elsewhere). Parameterised by its means this is a natural
    exponential family, for which the cross-entropy program
    :math:`\max_v \sum_i w_i \ln f(x_i; v)` is solved exactly by the weighted mean,

    .. math:: \hat v_j = \frac{\sum_i w_i\, x_{ij}}{\sum_i w_i},

    with :math:`w_i = f(x_i; u) / f(x_i; v_{t-1})` the likelihood ratios in the rare-event
    algorithm (de Boer et al. [1]_, the bridge-network example). :meth:`smooth` mixes
    the means. :meth:`is_degenerate` compares the largest mean (which is also the
    largest standard deviation) with ``tol``.

    References
    ----------
    .. [1] P.-T. de Boer, D. P. Kroese, S. Mannor and R. Y. Rubinstein, "A Tutorial on
       the Cross-Entropy Method", Annals of Operations Research 134 (2005), 19-67.

    Examples
    --------
    >>> import numpy as np
    >>> family = Exponential([0.25, 0.4, 0.1, 0.3, 0.2])  # the tutorial's bridge
    >>> x = family.sample(np.random.default_rng(0), 100_000)
    >>> np.round(x.mean(axis=0), 2)
    array([0.25, 0.4 , 0.1 , 0.3 , 0.2 ])
    >>> Exponential([2.0]).log_density([[2.0]])  # ln(e^{-2/2} / 2) = -1 - ln 2
    array([-1.69314718])
    """

    mean: NDArray[np.float64]

    def __init__(self, mean: ArrayLike) -> None:
        means = parameter_array("mean", mean, ndim=1)
        bad = ~(means > 0)
        if bad.any():
            msg = f"mean must be positive; found {means[bad][0]} at {index_text(bad)}"
            raise ValueError(msg)
        object.__setattr__(self, "mean", means)

    @property
    def dim(self) -> int:
        """The dimension ``d`` of a sample."""
        return int(self.mean.shape[0])

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """Draw ``n`` points, shape ``(n, d)``, ``float64``."""
        return check_rng(rng).exponential(self.mean, size=(check_count(n), self.dim))

    def fit(self, samples: ArrayLike, weights: ArrayLike | None = None) -> Exponential:
        """Weighted mean of each coordinate (the exact CE update)."""
        x = real_samples(samples, self.dim, None, None, check_bounds=False)
        bad = x < 0
        if bad.any():
            msg = f"samples must be non-negative; found {x[bad][0]} at {index_text(bad)}"
            raise ValueError(msg)
        w = normalized_weights(weights, x.shape[0])
        means = w @ x
        zero = ~(means > 0)
        if zero.any():
            j = int(np.argmax(zero))
            msg = (
                f"samples with positive weight are all 0 in coordinate {j}: the fitted "
                "mean would be 0, which is no exponential distribution"
            )
            raise ValueError(msg)
        return Exponential(means)

    def smooth(self, previous: Exponential, alpha: float) -> Exponential:
        """``alpha * mean + (1 - alpha) * previous.mean``."""
        a = check_alpha(alpha)
        check_same_family(self, previous, shaped="mean")
        return Exponential(a * self.mean + (1.0 - a) * previous.mean)

    def log_density(self, samples: ArrayLike) -> NDArray[np.float64]:
        """``sum_j (-ln u_j - x_j / u_j)`` per point; ``-inf`` if some ``x_j < 0``."""
        x = real_samples(samples, self.dim, None, None, check_bounds=False)
        total = (-np.log(self.mean) - x / self.mean).sum(axis=1)
        return np.where(np.any(x < 0, axis=1), -math.inf, total)

    def is_degenerate(self, tol: float) -> bool:
        """Whether every mean (= standard deviation) is at most ``tol``."""
        return bool(self.mean.max() <= check_tol(tol))

    def summary(self) -> dict[str, float]:
        """``min_mean`` and ``max_mean``."""
        return {"min_mean": float(self.mean.min()), "max_mean": float(self.mean.max())}
