"""PyTorch's ``torch.nn.functional`` classification losses, on any array library.

Each function has the signature of its PyTorch 2.13 namesake (``size_average`` and
``reduce`` included) and reproduces PyTorch's numbers, including its conventions
where they differ from :mod:`crossentropy.losses`:

* the class dimension is ``1`` (``0`` for an unbatched ``(C,)`` input), not ``-1``;
* ``reduction="mean"`` with class indices divides by the summed class weights of
  the non-ignored targets, so all targets ignored gives ``nan``; with class
  probabilities it divides by the number of items ``N * d1 * ... * dk``;
* :func:`binary_cross_entropy` clamps each log at ``-100``, so probabilities of
  exactly 0 and 1 give a finite loss;
* :func:`kl_div` takes ``input`` as log-probabilities; ``reduction="mean"`` is the
  elementwise mean (with PyTorch's warning), ``"batchmean"`` divides the sum by the
  batch size;
* the legacy ``size_average`` / ``reduce`` arguments are mapped to ``reduction``
  exactly as PyTorch maps them, with PyTorch's deprecation ``UserWarning``.

The functions take NumPy arrays, PyTorch tensors or any array-API array (PyTorch is
not imported) and return an array of the same library, in the input's floating dtype
(float16/bfloat16 are computed in float32 and rounded once, so they can differ from
PyTorch's half-precision kernels by an ulp of the half type).
The mirrors follow PyTorch's formulas and operation order rather than calling
:mod:`crossentropy.losses`, which is exact where PyTorch rounds: for logit ``-40`` and
target 0, PyTorch's ``(1 - y) x - log(sigmoid(x))`` cancels to ``0.0`` (the exact loss
is ``4.2e-18``), and ``0 * log(0)`` terms on ``-inf`` logits give NaN in PyTorch but 0 in
the core. On finite inputs with non-negative weights the two agree to rounding.
Invalid arguments raise ``ValueError`` / ``TypeError`` naming the argument where
PyTorch raises ``RuntimeError`` / ``IndexError``; integer ``input`` is computed in
float64 where PyTorch raises.

Examples
--------
>>> import numpy as np
>>> from crossentropy.compat import torch as F
>>> logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
>>> round(float(F.cross_entropy(logits, np.array([0, 2]))), 6)
0.175456
"""

from crossentropy.compat._torch_categorical import cross_entropy, nll_loss
from crossentropy.compat._torch_elementwise import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    kl_div,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "kl_div",
    "nll_loss",
]
