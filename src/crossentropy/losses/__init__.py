"""Classification losses with exact gradients, on any array library.

Every loss takes its data positionally as ``(input, target)``, the class axis as
``axis=-1`` (use ``axis=1`` for PyTorch's ``(N, C, d1, ..., dk)`` layout) and its options
keyword-only; ``reduction`` is ``"none"``, ``"mean"`` (weighted, PyTorch's convention)
or ``"sum"``. ``value_and_grad(loss)`` gives any loss with its analytic gradient.

This package is the public layer: ``softmax_cross_entropy`` and
``categorical_cross_entropy`` hand large NumPy inputs to :mod:`crossentropy.kernels`.
Every implementation is generic (array API only) in ``crossentropy._agnostic``, which
never dispatches, so the kernels call it without any way to loop back here.
"""

from crossentropy._agnostic._binary import binary_cross_entropy, binary_cross_entropy_with_logits
from crossentropy._agnostic._binary_focal import binary_focal_loss, binary_focal_loss_with_logits
from crossentropy._agnostic._categorical_focal import categorical_focal_loss, softmax_focal_loss
from crossentropy._agnostic._gradients import ValueAndGrad, value_and_grad
from crossentropy._numerics import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax
from crossentropy.losses._categorical import categorical_cross_entropy
from crossentropy.losses._softmax import softmax_cross_entropy

__all__ = [
    "ValueAndGrad",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "binary_focal_loss",
    "binary_focal_loss_with_logits",
    "categorical_cross_entropy",
    "categorical_focal_loss",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "softmax_focal_loss",
    "value_and_grad",
]
