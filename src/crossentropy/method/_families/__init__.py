"""Sampling families of the cross-entropy method (private; re-exported by ``method``).

Each family is an immutable frozen dataclass implementing
:class:`crossentropy.method._protocol.SamplingFamily`, one module per family.
"""

from crossentropy.method._families._bernoulli import Bernoulli
from crossentropy.method._families._categorical import Categorical
from crossentropy.method._families._exponential import Exponential
from crossentropy.method._families._gaussian import Gaussian
from crossentropy.method._families._multivariate_gaussian import MultivariateGaussian
from crossentropy.method._families._permutation import Permutation

__all__ = [
    "Bernoulli",
    "Categorical",
    "Exponential",
    "Gaussian",
    "MultivariateGaussian",
    "Permutation",
]
