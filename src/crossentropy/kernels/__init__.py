"""Fused CPU kernels for cross-entropy on NumPy arrays.

One pass over the logits per row (running maximum, rescaled running sum, the target
logit gathered on the way), rows in parallel, compiled with numba (``pip install
'crossentropy[fast]'``; compiled once and cached on disk). Without numba a chunked NumPy
path computes the same numbers with a few MB of temporary memory.

The public losses (:func:`crossentropy.losses.softmax_cross_entropy`, ...) dispatch here
on their own for large NumPy inputs; call these directly for the extras: the gradient
in place over the logits, a reusable output buffer, each row's log-sum-exp.
"""

from crossentropy.kernels._plan import InvalidInputError
from crossentropy.kernels._probs import categorical_cross_entropy
from crossentropy.kernels._softmax import (
    Backend,
    KernelResult,
    numba_available,
    softmax_cross_entropy,
    softmax_cross_entropy_with_grad,
)

__all__ = [
    "Backend",
    "InvalidInputError",
    "KernelResult",
    "categorical_cross_entropy",
    "numba_available",
    "softmax_cross_entropy",
    "softmax_cross_entropy_with_grad",
]
