"""The small protocol every sampling family of the cross-entropy method implements.

A family is an *immutable* parametric distribution over candidates (binary vectors,
choices, tours, real vectors). The cross-entropy method only ever asks it to

* ``sample(rng, n)``: draw ``n`` candidates, stacked along axis 0;
* ``fit(samples, weights=None)``: the (weighted) maximum-likelihood member of the family
  for those samples, as a new family;
* ``smooth(previous, alpha)``: ``alpha * self + (1 - alpha) * previous`` in the family's
  natural parameters (the CE method's smoothing), as a new family;
* ``log_density(samples)``: log-pmf or log-pdf of each candidate (likelihood ratios for
  rare events);
* ``is_degenerate(tol)``: whether the family has (nearly) collapsed to one point, which
  ends an optimisation;
* ``summary()``: a few named numbers describing the family, for the iteration log.

Any object with these methods works: users plug in their own family without inheriting
from anything (structural typing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["SamplingFamily"]

F = TypeVar("F", bound="SamplingFamily")


@runtime_checkable
class SamplingFamily(Protocol):
    """A parametric sampling distribution the cross-entropy method can fit and sample."""

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.generic]:
        """Draw ``n`` candidates; the result has shape ``(n, *candidate_shape)``."""
        ...

    def fit(
        self: F,
        samples: NDArray[np.generic],
        weights: NDArray[np.float64] | None = None,
    ) -> F:
        """The (weighted) maximum-likelihood member of the family for ``samples``."""
        ...

    def smooth(self: F, previous: F, alpha: float) -> F:
        """``alpha * self + (1 - alpha) * previous``, parameter-wise (``0 < alpha <= 1``)."""
        ...

    def log_density(self, samples: NDArray[np.generic]) -> NDArray[np.float64]:
        """Log-probability (mass or density) of each candidate, shape ``(n,)``."""
        ...

    def is_degenerate(self, tol: float) -> bool:
        """Whether the family is within ``tol`` of a point mass."""
        ...

    def summary(self) -> dict[str, float]:
        """A few named numbers for the iteration log (e.g. max std, min/max probability)."""
        ...
