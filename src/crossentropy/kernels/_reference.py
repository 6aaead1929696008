r"""A slow, obviously right reference for the kernels' tests: one row at a time in float64.

For row :math:`i` with label :math:`y` (not ignored), row weight :math:`s`, class
weights :math:`w` and smoothing :math:`\varepsilon`, the target is
:math:`t_c = s\,w_c\,((1-\varepsilon)[c = y] + \varepsilon / C)` and

.. math::

    \ell = -\sum_c t_c \log p_c, \qquad
    \frac{\partial \ell}{\partial x_j} = p_j \sum_c t_c - t_j,

with :math:`\log p_c = x_c - \log \sum_k e^{x_k}` summed exactly (``math.fsum``). The
mean divides by :math:`\sum_i s_i w_{y_i}` over the rows not ignored.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["softmax_cross_entropy_reference"]


def softmax_cross_entropy_reference(
    logits: Any,
    labels: Any,
    *,
    weight: Any = None,
    sample_weight: Any = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> tuple[Any, np.ndarray]:
    """The loss and its gradient with respect to the logits, row by row in float64."""
    x = np.asarray(logits, dtype=np.float64)
    num_rows, num_classes = x.shape
    w = np.ones(num_classes) if weight is None else np.asarray(weight, dtype=np.float64)
    s = np.ones(num_rows) if sample_weight is None else np.asarray(sample_weight, np.float64)
    eps = float(label_smoothing)
    losses = np.zeros(num_rows)
    grad = np.zeros_like(x)
    denominator = 0.0
    for i in range(num_rows):
        y = int(labels[i])
        if ignore_index is not None and y == ignore_index:
            continue
        row = [float(v) for v in x[i]]
        top = max(row)
        lse = top + math.log(math.fsum(math.exp(v - top) for v in row))
        t = [s[i] * w[c] * ((1.0 - eps) * (c == y) + eps / num_classes) for c in range(num_classes)]
        losses[i] = math.fsum(-t[c] * (row[c] - lse) for c in range(num_classes) if t[c])
        total = math.fsum(t)
        grad[i] = [math.exp(row[c] - lse) * total - t[c] for c in range(num_classes)]
        denominator += s[i] * w[y]
    if reduction == "none":
        return losses, grad
    value = math.fsum(losses)
    if reduction == "mean":
        if denominator == 0:
            return math.nan, np.zeros_like(x)
        return value / denominator, grad / denominator
    return value, grad
