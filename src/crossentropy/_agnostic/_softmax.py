"""Softmax cross-entropy from logits and its gradient, generic over array libraries.

This is the implementation that never dispatches: :func:`crossentropy.losses.softmax_cross_entropy`
chooses between it and the fused kernels, and the kernels call it (never the public
function) to recompute rows with non-finite logits exactly, so no call can loop back.
"""

from __future__ import annotations

import numpy as np

from crossentropy._agnostic._elementwise import mul0
from crossentropy._agnostic._gradients import ValueAndGrad, reduce_value_and_grad
from crossentropy._agnostic._targets import (
    categorical_target,
    check_class_axis,
    minus_target,
    target_total,
    weighted_sum,
)
from crossentropy._array_api import Array, namespace
from crossentropy._numerics import _softmax_parts, half_log_softmax, upcast
from crossentropy._validation import Reduction, check_finite, check_reduction, surely_none

__all__ = ["generic_softmax_cross_entropy"]


def generic_softmax_cross_entropy(
    logits: Array,
    target: Array,
    *,
    axis: int,
    weight: Array | None,
    sample_weight: Array | None,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: Reduction,
    with_grad: bool,
) -> ValueAndGrad:
    """The loss (and, with ``with_grad``, its gradient) by array-API operations only.

    The semantics and arguments of :func:`crossentropy.losses.softmax_cross_entropy`.
    """
    reduction = check_reduction(reduction)
    xp, (logits, target, weight, sample_weight) = namespace(
        logits, target, weight, sample_weight, names=("logits", "target", "weight", "sample_weight")
    )
    axis = check_class_axis("logits", logits, axis)
    check_finite(xp, "logits", logits, allow_inf=True)  # +-inf are limits; NaN is an error
    x = upcast(xp, logits)  # half precision computes in float32
    t = categorical_target(
        xp,
        target,
        input_name="logits",
        input_shape=tuple(x.shape),
        axis=axis,
        dtype=x.dtype,
        weight=weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
    )
    # log softmax(x) = z - log s with z = x - max(x) <= 0 and s = sum(exp(z)) >= 1, so
    #   -sum_c t_c log p_c = T log s - sum_c t_c z_c,   T = sum_c t_c,
    # a sum of two non-negative terms (no cancellation) that never forms log p in full.
    z, s = _softmax_parts(xp, x, axis)
    total = target_total(xp, t)  # T, keepdims
    # A weighted loss past the dtype's range is inf, the answer (1.5 * 3e38 in float32);
    # NumPy's overflow warning for it says nothing wrong and is silenced.
    with np.errstate(over="ignore"):
        spread = xp.squeeze(mul0(xp, total, xp.log(s)), axis=axis)  # an ignored item: 0
        per_item = spread - weighted_sum(xp, t, z)
    if not surely_none(xp, xp.isinf(per_item)):
        # An infinite loss from finite logits: a logit more than the dtype's range below
        # its row's maximum has z = -inf, and a target weight below one on it may still
        # make the loss representable (label smoothing 0.5 on [1e308, -1e308]: 5e307).
        # Those rows are redone as twice a sum of half log-probabilities; the rest keep
        # their value (a where, so Dask and traced arrays stay lazy).
        half = half_log_softmax(xp, x, z, s, axis)
        with np.errstate(over="ignore"):  # beyond the range: inf is the answer
            redone = 2.0 * (0.0 - weighted_sum(xp, t, half))
        per_item = xp.where(xp.isinf(per_item), redone, per_item)
    grad = None
    if with_grad:
        # Gradient. With t_c the item's target weights (smoothed, class- and
        # sample-weighted, 0 if ignored), T = sum_c t_c and p = softmax(x):
        #   L = -sum_c t_c log p_c = -sum_c t_c x_c + T logsumexp(x)
        #   dL/dx_j = -t_j + T p_j = p_j T - t_j.
        # It sums to zero over the classes (shift invariance), for any t. The reduction
        # is linear in the per-item losses with constant weights: "sum"/"none" leave it
        # as is, "mean" divides it by the sum of the item weights.
        # An item of total weight 0 (ignored, or a zero weight) does not depend on its
        # logits: gradient 0, even where its softmax has no limit (mul0: 0 * NaN = 0),
        # as its loss is 0.
        p = xp.exp(z) / s
        grad = minus_target(xp, mul0(xp, total, p), t)
    return reduce_value_and_grad(
        xp, logits, per_item, grad, reduction=reduction, item_weight=t.item_weight
    )
