r"""Problems shipped with the cross-entropy method, each with a known answer.

Rare events (``performance(x) >= threshold`` under a nominal distribution, with the
``exact_probability``):

* :class:`BridgeNetwork` - the tutorial's shortest path in the bridge network
  (:math:`\ell \approx 1.3425 \times 10^{-5}`), :func:`bridge_performance`;
* :class:`NetworkReliability` - s-t unreliability under independent edge failures,
  :func:`bridge_reliability`, :func:`grid_reliability`;
* :class:`LinearSeriesSystem` - structural reliability with Gaussian inputs,
  :func:`linear_limit_state`, :func:`series_system`.

Optimisation (``evaluate(candidates)``, ``sense``, ``optimum``):

* :class:`MaxCut` - :func:`read_maxcut`, :func:`write_maxcut`, :func:`load_maxcut`,
  :func:`planted_maxcut` (the tutorial's synthetic instances);
* :class:`TravellingSalesman` - :func:`read_tsplib`, :func:`read_tsplib_tour`,
  :func:`write_tsplib`, :func:`load_tsplib` (burma14, ulysses16, gr17, att48, berlin52),
  :func:`random_euclidean_tsp`, :func:`held_karp`;
* :class:`Knapsack` - :func:`read_knapsack`, :func:`write_knapsack`,
  :func:`load_knapsack`;
* :class:`ContinuousProblem` - :func:`sphere`, :func:`rosenbrock`, :func:`rastrigin`,
  :func:`ackley`, :func:`two_bump`, :func:`peaks`;
* :class:`BufferAllocation` - a noisy production-line simulation whose optimum is
  known exactly through :func:`line_throughput`.

Every ``evaluate``/``performance`` takes candidates stacked along the leading axes,
shape ``(..., width)``, and returns one float64 per candidate, shape ``(...)``.

Examples
--------
>>> from crossentropy.method.problems import BridgeNetwork, load_tsplib
>>> print(f"{BridgeNetwork().exact_probability:.4e}")
1.3425e-05
>>> load_tsplib("burma14").optimum
3323.0
"""

from __future__ import annotations

from crossentropy.method.problems._base import OptimizationProblem, RareEventProblem, Sense
from crossentropy.method.problems._bridge import BridgeNetwork, bridge_performance
from crossentropy.method.problems._continuous import (
    ContinuousProblem,
    ackley,
    peaks,
    rastrigin,
    rosenbrock,
    sphere,
    two_bump,
)
from crossentropy.method.problems._data import shipped_instances
from crossentropy.method.problems._knapsack import (
    Knapsack,
    KnapsackAssessment,
    load_knapsack,
    read_knapsack,
    write_knapsack,
)
from crossentropy.method.problems._limit_state import (
    LinearSeriesSystem,
    linear_limit_state,
    series_system,
)
from crossentropy.method.problems._maxcut import (
    MaxCut,
    load_maxcut,
    planted_maxcut,
    read_maxcut,
    write_maxcut,
)
from crossentropy.method.problems._production_line import BufferAllocation, line_throughput
from crossentropy.method.problems._reliability import (
    NetworkReliability,
    bridge_reliability,
    grid_reliability,
)
from crossentropy.method.problems._tsp import (
    ExactTour,
    TravellingSalesman,
    held_karp,
    random_euclidean_tsp,
)
from crossentropy.method.problems._tsplib import (
    load_tsplib,
    read_tsplib,
    read_tsplib_tour,
    tsplib_distances,
    write_tsplib,
)

__all__ = [
    "BridgeNetwork",
    "BufferAllocation",
    "ContinuousProblem",
    "ExactTour",
    "Knapsack",
    "KnapsackAssessment",
    "LinearSeriesSystem",
    "MaxCut",
    "NetworkReliability",
    "OptimizationProblem",
    "RareEventProblem",
    "Sense",
    "TravellingSalesman",
    "ackley",
    "bridge_performance",
    "bridge_reliability",
    "grid_reliability",
    "held_karp",
    "line_throughput",
    "linear_limit_state",
    "load_knapsack",
    "load_maxcut",
    "load_tsplib",
    "peaks",
    "planted_maxcut",
    "random_euclidean_tsp",
    "rastrigin",
    "read_knapsack",
    "read_maxcut",
    "read_tsplib",
    "read_tsplib_tour",
    "rosenbrock",
    "series_system",
    "shipped_instances",
    "sphere",
    "tsplib_distances",
    "two_bump",
    "write_knapsack",
    "write_maxcut",
    "write_tsplib",
]
