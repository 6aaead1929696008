"""PyTorch autograd functions: fused cross-entropy and chunked linear + cross-entropy.

Importing this module imports PyTorch (``pip install 'crossentropy[torch]'``);
``import crossentropy`` alone never does.

* :func:`cross_entropy` / :class:`CrossEntropyLoss`: a drop-in for
  ``torch.nn.functional.cross_entropy`` that, on CPU, computes the loss and its gradient
  in one fused pass (:mod:`crossentropy.kernels`) and only scales it in backward.
* :func:`linear_cross_entropy` / :class:`LinearCrossEntropyLoss`: the loss of
  ``hidden @ weight.T + bias`` against integer labels and its gradients, computed in
  chunks of rows so that the ``(N, V)`` logits never exist (large-vocabulary heads).

Examples
--------
>>> import torch
>>> from crossentropy.torch import linear_cross_entropy
>>> hidden = torch.tensor([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0]])
>>> weight = torch.tensor([[0.2, 0.1], [-0.3, 0.8], [1.0, 0.0], [0.0, -1.0]])
>>> labels = torch.tensor([1, 3, -100])
>>> naive = torch.nn.functional.cross_entropy(hidden @ weight.T, labels)
>>> bool(torch.isclose(linear_cross_entropy(hidden, weight, labels), naive))
True
"""

import importlib

try:  # name the extra to install rather than failing on the first ``import torch``
    importlib.import_module("torch")
except ImportError as err:
    msg = "crossentropy.torch needs PyTorch: pip install 'crossentropy[torch]'"
    raise ImportError(msg) from err

from crossentropy.torch._cross_entropy import CrossEntropyLoss, CrossEntropyOutput, cross_entropy
from crossentropy.torch._linear import (
    LinearCrossEntropyLoss,
    LinearCrossEntropyOutput,
    LinearPlan,
    linear_cross_entropy,
    plan_linear_cross_entropy,
)

__all__ = [
    "CrossEntropyLoss",
    "CrossEntropyOutput",
    "LinearCrossEntropyLoss",
    "LinearCrossEntropyOutput",
    "LinearPlan",
    "cross_entropy",
    "linear_cross_entropy",
    "plan_linear_cross_entropy",
]
