r"""Importance-sampling estimates of rare-event probabilities, and their shared plumbing.

:func:`importance_sampling_estimate` estimates :math:`P_u(S(X) \ge \gamma)` from samples
of any proposal family, weighted by likelihood ratios computed in log space; the nominal
family itself as proposal gives crude Monte Carlo. It is also the final step of
:func:`crossentropy.method._rare_event.estimate_rare_event`, which shares the option
checks and the performance evaluation (serial, vectorised, or over an executor) here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from crossentropy.method._checks import as_generator, check_count, check_open_interval
from crossentropy.method._families._normal import norm_ppf
from crossentropy.method._protocol import SamplingFamily

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Executor

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Direction",
    "ImportanceSamplingEstimate",
    "check_direction",
    "check_family",
    "check_threshold",
    "evaluate_performance",
    "importance_sampling_estimate",
    "log_ratios",
]

#: ``">="``: the event :math:`S(X) \ge \gamma`; ``"<="``: :math:`S(X) \le \gamma`.
Direction = Literal[">=", "<="]

#: At most this many chunks of samples are handed to an executor per batch.
_MAX_CHUNKS = 64


@dataclass(frozen=True)
class ImportanceSamplingEstimate:
    r"""An importance-sampling estimate of a probability, with its uncertainty.

    Attributes
    ----------
    probability : float
        :math:`\hat\ell = \frac1N \sum_i 1\{x_i \in A\}\, W(x_i)`.
    relative_error : float
        :math:`\hat s / (\sqrt N\, \hat\ell)` with :math:`\hat s` the sample standard
        deviation of the terms; ``inf`` when no sample hit the event.
    confidence_interval : tuple of float
        The normal-approximation interval :math:`\hat\ell \pm z\, \hat s / \sqrt N`,
        its lower end clipped at 0 (a probability); ``(0.0, 0.0)`` with no hits.
    confidence : float
        The interval's nominal coverage.
    sample_size : int
        :math:`N`, the number of samples (and of performance evaluations).
    n_hits : int
        How many samples fell in the event.
    """

    probability: float
    relative_error: float
    confidence_interval: tuple[float, float]
    confidence: float
    sample_size: int
    n_hits: int


def check_direction(direction: object) -> Direction:
    """Return ``direction`` if it is ``">="`` or ``"<="``."""
    if direction not in (">=", "<="):
        msg = f"direction must be '>=' or '<=', got {direction!r}"
        raise ValueError(msg)
    return "<=" if direction == "<=" else ">="


def check_family(name: str, family: object) -> SamplingFamily:
    """Return ``family`` if it implements the sampling-family protocol."""
    if not isinstance(family, SamplingFamily):
        msg = (
            f"{name} must be a sampling family (sample, fit, smooth, log_density, "
            f"is_degenerate, summary), got {type(family).__name__}"
        )
        raise TypeError(msg)
    return family


def _evaluate_rows(performance: Callable[[Any], Any], chunk: NDArray[Any]) -> list[float]:
    """A scalar performance applied to each row of ``chunk`` (module level: picklable)."""
    return [float(performance(row)) for row in chunk]


def evaluate_performance(
    performance: Callable[[Any], Any],
    samples: NDArray[Any],
    *,
    vectorized: bool,
    executor: Executor | None,
) -> NDArray[np.float64]:
    """:math:`S(x_i)` for every sample, shape ``(N,)``, in sample order.

    Vectorised: ``performance(samples)`` (or ``performance(chunk)`` per contiguous chunk
    on the executor). Scalar: ``performance(x)`` per row, a loop (or a loop per chunk on
    the executor). ``executor.map`` keeps order, so the values equal the serial ones.
    """
    n = samples.shape[0]
    if executor is None:
        raw: Any = performance(samples) if vectorized else _evaluate_rows(performance, samples)
    else:
        chunks = np.array_split(samples, min(n, _MAX_CHUNKS))
        task = performance if vectorized else partial(_evaluate_rows, performance)
        parts = [
            np.asarray(part, dtype=np.float64).reshape(-1) for part in executor.map(task, chunks)
        ]
        raw = np.concatenate(parts) if parts else np.empty(0)
    values = np.asarray(raw, dtype=np.float64)
    if values.shape != (n,):
        msg = (
            f"performance must return one value per sample, shape ({n},), got shape "
            f"{values.shape}"
            + ("; pass vectorized=False for a scalar function" if vectorized else "")
        )
        raise ValueError(msg)
    if np.isnan(values).any():
        i = int(np.argmax(np.isnan(values)))
        msg = f"performance returned NaN for sample {i}: {samples[i]!r}"
        raise ValueError(msg)
    return values


def log_ratios(
    nominal: SamplingFamily, proposal: SamplingFamily, samples: NDArray[Any]
) -> NDArray[np.float64]:
    r""":math:`\ln W = \ln f(x; u) - \ln f(x; v)`, checked for NaN (inf - inf)."""
    if proposal is nominal:
        return np.zeros(samples.shape[0])
    with np.errstate(invalid="ignore"):  # inf - inf is reported below, by sample
        log_w = nominal.log_density(samples) - proposal.log_density(samples)
    if np.isnan(log_w).any():
        i = int(np.argmax(np.isnan(log_w)))
        msg = (
            f"the likelihood ratio of sample {i} is undefined (log-densities "
            f"{nominal.log_density(samples[i : i + 1])[0]} under the nominal family and "
            f"{proposal.log_density(samples[i : i + 1])[0]} under the proposal): the "
            "proposal has degenerated"
        )
        raise ValueError(msg)
    return np.asarray(log_w, dtype=np.float64)


def _estimate(
    hits: NDArray[np.bool_], log_w: NDArray[np.float64], confidence: float
) -> ImportanceSamplingEstimate:
    """The estimate from hit indicators and log likelihood ratios of the hits."""
    n = hits.shape[0]
    terms = np.zeros(n)
    terms[hits] = np.exp(log_w)
    mean = float(terms.mean())
    n_hits = int(hits.sum())
    if n_hits == 0 or mean == 0.0:
        return ImportanceSamplingEstimate(0.0, math.inf, (0.0, 0.0), confidence, n, n_hits)
    std = float(terms.std(ddof=1))
    half_width = float(norm_ppf(0.5 + 0.5 * confidence)) * std / math.sqrt(n)
    return ImportanceSamplingEstimate(
        probability=mean,
        relative_error=std / (math.sqrt(n) * mean),
        confidence_interval=(max(0.0, mean - half_width), mean + half_width),
        confidence=confidence,
        sample_size=n,
        n_hits=n_hits,
    )


def check_threshold(threshold: object) -> float:
    """Return ``threshold`` as a finite float."""
    if isinstance(threshold, bool) or not isinstance(
        threshold, (int, float, np.integer, np.floating)
    ):
        msg = f"threshold must be a real number, got {type(threshold).__name__} {threshold!r}"
        raise TypeError(msg)
    if not math.isfinite(threshold):
        msg = f"threshold must be finite, got {threshold!r}"
        raise ValueError(msg)
    return float(threshold)


def importance_sampling_estimate(
    performance: Callable[[Any], ArrayLike],
    nominal: SamplingFamily,
    proposal: SamplingFamily,
    threshold: float,
    *,
    sample_size: int = 100_000,
    direction: Direction = ">=",
    confidence: float = 0.95,
    vectorized: bool = True,
    executor: Executor | None = None,
    rng: np.random.Generator | int | None = None,
) -> ImportanceSamplingEstimate:
    r"""Estimate :math:`\ell = P_u(S(X) \ge \gamma)` by importance sampling from ``proposal``.

    Parameters
    ----------
    performance : callable
        :math:`S`. With ``vectorized=True`` it takes the samples, shape ``(N, ...)``,
        and returns ``N`` values; otherwise it takes one sample and returns a number.
    nominal : SamplingFamily
        The true law :math:`f(\cdot; u)` of :math:`X`.
    proposal : SamplingFamily
        The sampling law :math:`g`; it must be positive wherever
        :math:`1\{S(x) \ge \gamma\} f(x; u)` is. Passing ``nominal`` gives crude Monte
        Carlo.
    threshold : float
        :math:`\gamma`.
    sample_size : int, default 100_000
        :math:`N \ge 2`.
    direction : {">=", "<="}, default ">="
        The event :math:`S(X) \ge \gamma`, or :math:`S(X) \le \gamma` (a limit state
        :math:`g(X) \le 0` in structural reliability).
    confidence : float, default 0.95
        Coverage of the normal-approximation confidence interval.
    vectorized : bool, default True
        Whether ``performance`` takes a whole batch.
    executor : concurrent.futures.Executor, optional
        Evaluate contiguous chunks of the samples with ``executor.map`` (in order, so
        results equal serial ones): a process pool, or a Dask cluster's
        ``client.get_executor(pure=False)``. ``performance`` must then be picklable.
    rng : numpy.random.Generator, int or None
        Randomness (``np.random.default_rng(rng)``); the global NumPy state is untouched.

    Returns
    -------
    ImportanceSamplingEstimate

    Raises
    ------
    ValueError
        For bad options, a performance of the wrong shape or with NaN, or an undefined
        likelihood ratio.

    Notes
    -----
    With :math:`x_1, \dots, x_N \sim g` and :math:`W(x) = f(x; u) / g(x)` (computed
    as :math:`\exp(\ln f - \ln g)`),

    .. math:: \hat\ell = \frac1N \sum_{i=1}^N 1\{S(x_i) \ge \gamma\}\, W(x_i), \qquad
              \mathrm{RE} = \frac{\hat s}{\sqrt N\, \hat\ell},

    :math:`\hat s` the sample standard deviation of the terms. The interval is
    :math:`\hat\ell \pm \Phi^{-1}(\tfrac{1 + c}{2})\, \hat s / \sqrt N`.

    References
    ----------
    .. [1] R. Y. Rubinstein and D. P. Kroese, "The Cross-Entropy Method", Springer
       (2004), chapter 1 (importance sampling) and chapter 3.

    Examples
    --------
    :math:`P(Z \ge 4) = 3.17 \times 10^{-5}` for a standard normal, from :math:`N(4, 1)`:

    >>> from crossentropy.method import Gaussian
    >>> est = importance_sampling_estimate(
    ...     lambda x: x[:, 0], Gaussian.standard(1), Gaussian([4.0], [1.0]), 4.0, rng=1
    ... )
    >>> print(f"{est.probability:.3e}, relative error {est.relative_error:.1%}")
    3.170e-05, relative error 0.7%
    """
    direction = check_direction(direction)
    nominal = check_family("nominal", nominal)
    proposal = check_family("proposal", proposal)
    gamma = check_threshold(threshold)
    n = check_count("sample_size", sample_size, 2)
    level = check_open_interval("confidence", confidence, 0.0, 1.0)
    generator = as_generator(rng)
    sign = 1.0 if direction == ">=" else -1.0
    x = proposal.sample(generator, n)
    s = sign * evaluate_performance(performance, x, vectorized=vectorized, executor=executor)
    hits = s >= sign * gamma
    return _estimate(hits, log_ratios(nominal, proposal, x[hits]), level)
