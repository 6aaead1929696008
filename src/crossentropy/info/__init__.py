"""Information measures of discrete distributions and joint tables.

Distributions lie along ``axis`` (default the last) and are batched over the other
axes; joint tables lie over the last two axes. Every function accepts arrays of any
array-API library (NumPy, PyTorch, CuPy, Dask, ...) and Python sequences, returns the
caller's array type, dtype and device, and reports results in nats unless
``base="bits"``, ``"dits"`` or a number is given.

Examples
--------
>>> import numpy as np
>>> from crossentropy.info import cross_entropy, entropy, kl_divergence
>>> p, q = np.array([0.0, 1.0, 0.0]), np.array([0.4, 0.4, 0.2])
>>> print(cross_entropy(p, q))  # target "dog", the model gives dog 0.4
0.92
>>> bool(np.isclose(cross_entropy(p, q), entropy(p) + kl_divergence(p, q)))
True
"""

from __future__ import annotations

from crossentropy.info._divergence import js_distance, js_divergence, kl_divergence
from crossentropy.info._joint import conditional_entropy, mutual_information
from crossentropy.info._measures import cross_entropy, entropy, information, perplexity

__all__ = [
    "conditional_entropy",
    "cross_entropy",
    "entropy",
    "information",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "mutual_information",
    "perplexity",
]
