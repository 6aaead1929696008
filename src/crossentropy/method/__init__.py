"""The cross-entropy method: rare-event estimation and optimisation.

The method (Rubinstein 1997; de Boer, Kroese, Mannor and Rubinstein 2005) turns a
rare-event estimate or a hard optimisation problem into a sequence of cross-entropy
minimisations over a parametric sampling family: sample, keep the elite, refit the family
to the elite by (weighted) maximum likelihood, repeat.

* Families: :class:`Bernoulli`, :class:`Categorical`, :class:`Permutation`,
  :class:`Gaussian`, :class:`MultivariateGaussian`, :class:`Exponential`, or your own
  object implementing :class:`SamplingFamily`.
* Optimisation: :class:`CrossEntropyOptimizer` (``ask``/``tell``/``stop``/``result``),
  :func:`minimize` and :func:`maximize`; scalar objectives can run on any
  ``concurrent.futures`` executor (a Dask cluster through
  ``client.get_executor(pure=False)``).
* Rare events: :func:`estimate_rare_event` (adaptive multilevel CE with likelihood ratios)
  and :func:`importance_sampling_estimate`.
* Problems with known answers: :mod:`crossentropy.method.problems`.
"""

from crossentropy.method._families import (
    Bernoulli,
    Categorical,
    Exponential,
    Gaussian,
    MultivariateGaussian,
    Permutation,
)
from crossentropy.method._importance_sampling import (
    Direction,
    ImportanceSamplingEstimate,
    importance_sampling_estimate,
)
from crossentropy.method._minimize import maximize, minimize
from crossentropy.method._optimizer import CrossEntropyOptimizer
from crossentropy.method._protocol import SamplingFamily
from crossentropy.method._rare_event import (
    RareEventLevel,
    RareEventResult,
    RareEventStalledError,
    estimate_rare_event,
)
from crossentropy.method._result import (
    STOP_REASONS,
    IterationLog,
    OptimizeResult,
    RunSummary,
    StopReason,
)
from crossentropy.method._schedule import AdaptiveSampleSize, DynamicSmoothing

__all__ = [
    "STOP_REASONS",
    "AdaptiveSampleSize",
    "Bernoulli",
    "Categorical",
    "CrossEntropyOptimizer",
    "Direction",
    "DynamicSmoothing",
    "Exponential",
    "Gaussian",
    "ImportanceSamplingEstimate",
    "IterationLog",
    "MultivariateGaussian",
    "OptimizeResult",
    "Permutation",
    "RareEventLevel",
    "RareEventResult",
    "RareEventStalledError",
    "RunSummary",
    "SamplingFamily",
    "StopReason",
    "estimate_rare_event",
    "importance_sampling_estimate",
    "maximize",
    "minimize",
]
