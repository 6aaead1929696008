"""Hand large NumPy inputs of the categorical losses to the fused kernels.

:func:`crossentropy.losses.softmax_cross_entropy` (value and gradient) and
:func:`crossentropy.losses.categorical_cross_entropy` (value) with integer labels, the
class axis last, and at least :data:`KERNEL_MIN_SIZE` entries run in
:mod:`crossentropy.kernels` (numba when installed, else its chunked NumPy path). The
results are the generic path's to rounding (float64 to about 1e-15; the tests hold them
to it). Whatever the kernels do not cover (other array libraries, probability targets,
another class axis, small inputs), and every error, goes through the generic path, so
messages and conventions are the same either way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crossentropy._agnostic._gradients import ValueAndGrad

__all__ = ["KERNEL_MIN_SIZE", "kernel_categorical", "kernel_softmax"]

#: Entries from which the kernels take over (below, NumPy's own calls are as fast).
KERNEL_MIN_SIZE = 1 << 15

_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _rows(
    x: Any, target: Any, axis: int, weight: Any, sample_weight: Any
) -> tuple[np.ndarray, np.ndarray, Any, Any] | None:
    """``(x2d, labels1d, weight, sample_weight1d)`` when the kernels apply, else ``None``."""
    if not (
        type(x) is np.ndarray
        and type(target) is np.ndarray
        and x.dtype in _FLOATS
        and target.dtype.kind in "iu"
        and x.ndim >= 1
        and x.size >= KERNEL_MIN_SIZE
        and axis in (-1, x.ndim - 1)
        and target.shape == x.shape[:-1]
        and (weight is None or type(weight) is np.ndarray)
        and (sample_weight is None or type(sample_weight) is np.ndarray)
    ):
        return None
    item_shape = x.shape[:-1]
    sw = None
    if sample_weight is not None:
        try:
            sw = np.broadcast_to(sample_weight, item_shape).reshape(-1)
        except ValueError:
            return None  # the generic path names the mismatch
    return x.reshape(-1, x.shape[-1]), target.reshape(-1), weight, sw


def kernel_softmax(
    logits: Any,
    target: Any,
    *,
    axis: int,
    weight: Any,
    sample_weight: Any,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: str,
    with_grad: bool,
) -> ValueAndGrad | None:
    """The softmax cross-entropy by the fused kernel, or ``None`` where it does not apply."""
    rows = _rows(logits, target, axis, weight, sample_weight)
    if rows is None:
        return None
    from crossentropy import kernels

    x, labels, w, sw = rows
    options: dict[str, Any] = {
        "weight": w,
        "sample_weight": sw,
        "ignore_index": ignore_index,
        "label_smoothing": label_smoothing,
        "reduction": reduction,
    }
    try:
        if with_grad:
            result = kernels.softmax_cross_entropy_with_grad(x, labels, **options)
            value, grad = result.loss, result.grad.reshape(logits.shape)
        else:
            value, grad = kernels.softmax_cross_entropy(x, labels, **options), None
    except (ValueError, TypeError):
        return None  # the generic path reports it in the caller's shape and words
    if reduction == "none":
        value = value.reshape(logits.shape[:-1])
    return ValueAndGrad(value, grad)


def kernel_categorical(
    probs: Any,
    target: Any,
    *,
    axis: int,
    weight: Any,
    sample_weight: Any,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: str,
    clip: float | None,
    tol: float | None,
) -> Any:
    """Cross-entropy from probabilities by the fused kernel, or ``None``."""
    rows = _rows(probs, target, axis, weight, sample_weight)
    if rows is None:
        return None
    from crossentropy import kernels

    p, labels, w, sw = rows
    try:
        value = kernels.categorical_cross_entropy(
            p,
            labels,
            weight=w,
            sample_weight=sw,
            ignore_index=ignore_index,
            label_smoothing=label_smoothing,
            reduction=reduction,
            clip=clip,
            tol=tol,
        )
    except (ValueError, TypeError):
        return None
    return value.reshape(probs.shape[:-1]) if reduction == "none" else value
