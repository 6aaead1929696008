"""Loss heads: the mean loss of the logits and its gradient with respect to the logits.

Cross-entropy comes from :mod:`crossentropy.losses` (``softmax_cross_entropy`` and
``binary_cross_entropy_with_logits``, with their analytic gradients via
``value_and_grad``); the squared error of the predicted probabilities is derived here,
as it is not a cross-entropy loss.
"""

from __future__ import annotations

import numpy as np

from crossentropy.losses import (
    binary_cross_entropy_with_logits,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    value_and_grad,
)

__all__ = ["binary_head", "multiclass_head"]


def multiclass_head(
    logits: np.ndarray, y: np.ndarray, loss: str, *, with_grad: bool = True
) -> tuple[float, np.ndarray | None]:
    """Mean loss over the n rows of ``logits`` (n, K) for labels ``y`` in ``[0, K)``.

    Returns the loss and, if ``with_grad``, its gradient with respect to ``logits``.
    """
    n = logits.shape[0]
    if loss == "cross_entropy":
        # L = -(1/n) sum_i log softmax(z_i)[y_i]; dL/dz_i = (p_i - onehot(y_i)) / n,
        # both from the library (crossentropy.losses), max-shifted and exact.
        if not with_grad:
            return float(softmax_cross_entropy(logits, y)), None
        out = value_and_grad(softmax_cross_entropy)(logits, y)
        return float(out.value), np.asarray(out.grad)
    # Squared error of the probabilities (the multiclass Brier score):
    #   L = (1/n) sum_i sum_c r_ic^2,   r_ic = p_ic - [c = y_i],   p_i = softmax(z_i).
    # Through the softmax, dp_c/dz_j = p_c ([c = j] - p_j), so
    #   dL_i/dz_j = sum_c 2 r_c p_c ([c = j] - p_j) = 2 p_j (r_j - sum_c r_c p_c).
    # Unlike cross-entropy's p - y, this carries a factor p_j: a confidently wrong
    # prediction (p_y -> 0) gets a vanishing gradient, the classic reason to prefer CE.
    p = np.asarray(softmax(logits))
    residual = p.copy()
    residual[np.arange(n), y] -= 1.0
    value = float(np.sum(residual * residual)) / n
    if not with_grad:
        return value, None
    inner = np.sum(residual * p, axis=1, keepdims=True)
    return value, 2.0 * p * (residual - inner) / n


def binary_head(
    logits: np.ndarray, y: np.ndarray, loss: str, *, with_grad: bool = True
) -> tuple[float, np.ndarray | None]:
    """Mean loss over the n ``logits`` (n,) for labels ``y`` in ``{0, 1}``.

    Returns the loss and, if ``with_grad``, its gradient with respect to ``logits``.
    """
    n = logits.shape[0]
    target = y.astype(np.float64)
    if loss == "cross_entropy":
        # L = -(1/n) sum_i [y_i log s_i + (1 - y_i) log(1 - s_i)], s = sigmoid(z), from
        # logits with log_sigmoid (stable); dL/dz_i = (s_i - y_i) / n. From the library.
        if not with_grad:
            return float(binary_cross_entropy_with_logits(logits, target)), None
        out = value_and_grad(binary_cross_entropy_with_logits)(logits, target)
        return float(out.value), np.asarray(out.grad)
    # Squared error of the probability (the Brier score): L = (1/n) sum_i (s_i - y_i)^2.
    # With ds/dz = s (1 - s): dL/dz_i = 2 (s_i - y_i) s_i (1 - s_i) / n, which vanishes
    # when s saturates at the wrong end (s -> 0 while y = 1), unlike CE's s - y.
    s = np.asarray(sigmoid(logits))
    residual = s - target
    value = float(np.sum(residual * residual)) / n
    if not with_grad:
        return value, None
    return value, 2.0 * residual * s * (1.0 - s) / n
