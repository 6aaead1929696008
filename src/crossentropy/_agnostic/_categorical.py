"""Categorical cross-entropy from probabilities and its gradient, generic over array libraries.

The implementation that never dispatches; :func:`crossentropy.losses.categorical_cross_entropy`
chooses between it and the fused kernel.
"""

from __future__ import annotations

import math
from typing import Any

from crossentropy._agnostic._elementwise import clip_probabilities, safe_log
from crossentropy._agnostic._gradients import ValueAndGrad, reduce_value_and_grad
from crossentropy._agnostic._options import check_clip, check_tol
from crossentropy._agnostic._targets import (
    CategoricalTarget,
    categorical_target,
    check_class_axis,
    cross_entropy_terms,
    dense_target,
)
from crossentropy._array_api import Array, namespace
from crossentropy._numerics import upcast
from crossentropy._validation import (
    Reduction,
    check_probabilities,
    check_reduction,
    default_tolerance,
)

__all__ = ["generic_categorical_cross_entropy"]

_SUM_HINT = "Renormalise probs yourself (p / p.sum(axis)) or pass a larger tol."


def generic_categorical_cross_entropy(
    probs: Array,
    target: Array,
    *,
    axis: int,
    weight: Array | None,
    sample_weight: Array | None,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: Reduction,
    clip: float | None,
    tol: float | None,
    with_grad: bool,
) -> ValueAndGrad:
    """The loss (and, with ``with_grad``, its gradient) by array-API operations only.

    The semantics and arguments of :func:`crossentropy.losses.categorical_cross_entropy`.
    """
    reduction = check_reduction(reduction)
    eps = check_clip(clip)
    tol = check_tol(tol)
    xp, (probs, target, weight, sample_weight) = namespace(
        probs, target, weight, sample_weight, names=("probs", "target", "weight", "sample_weight")
    )
    axis = check_class_axis("probs", probs, axis)
    p = upcast(xp, probs)  # half precision computes in float32
    if tol is None and xp.isdtype(probs.dtype, "real floating"):
        tol = default_tolerance(xp, probs.dtype)  # the input's own precision (float16: ~0.03)
    check_probabilities(xp, "probs", p, axis=axis, tol=tol, hint=_SUM_HINT)
    t = categorical_target(
        xp,
        target,
        input_name="probs",
        input_shape=tuple(p.shape),
        axis=axis,
        dtype=p.dtype,
        weight=weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
    )
    q, inside = clip_probabilities(xp, p, eps)
    # -sum_c t_c log q_c with 0 log 0 = 0; t_c > 0 on q_c = 0 is +inf (no clipping unless
    # asked).
    per_item = cross_entropy_terms(xp, t, safe_log(xp, q))
    grad = _grad_wrt_probs(xp, t, q, inside) if with_grad else None
    return reduce_value_and_grad(
        xp, probs, per_item, grad, reduction=reduction, item_weight=t.item_weight
    )


def _grad_wrt_probs(xp: Any, t: CategoricalTarget, q: Array, inside: Array | None) -> Array:
    # L = -sum_c t_c log q_c with q = clip(p, eps, 1 - eps) (q = p without clip), every
    # p_j a free variable (no simplex constraint, as autograd sees it):
    #   dL/dp_j = -t_j / q_j * dq_j/dp_j,   dq_j/dp_j = 1 on eps <= p_j <= 1 - eps, else 0
    # (torch.clamp's convention at the boundary). t_j = 0 gives 0 even at q_j = 0; t_j > 0
    # on q_j = 0 gives -inf. -t/q is formed only where it cannot overflow (q * max >= t),
    # so NumPy never warns; where it would, the true value is below -max: -inf.
    w = dense_target(xp, t)
    overflow = q * xp.finfo(q.dtype).max < w  # includes q = 0 < t
    safe_q = xp.where(overflow | (w == 0), xp.ones_like(q), q)
    grad = xp.where(overflow, xp.full_like(q, -math.inf), 0.0 - w / safe_q)
    if inside is not None:
        grad = xp.where(inside, grad, xp.zeros_like(grad))
    return grad
