"""Pieces shared by the per-sample Keras mirrors: shape checks, smoothing, clipping."""

from __future__ import annotations

import warnings
from typing import Any

from crossentropy._array_api import Array, namespace
from crossentropy.compat._common import (
    as_float,
)

__all__ = [
    "EPSILON",
    "check_rank",
    "check_same_shape",
    "clipped_log_probs",
    "prepare",
    "smooth_categorical",
    "torch_bce",
    "warn_single_class",
]

#: Keras' fuzz factor ``keras.config.epsilon()`` (its default; not a global switch here).
EPSILON = 1e-7


# --- shared pieces -------------------------------------------------------------------


def prepare(y_true: Array, y_pred: Array) -> tuple[Any, Array, Array, Any]:
    """Namespace, ``y_true`` and ``y_pred`` in the compute dtype, and the output dtype."""
    xp, (yt, yp) = namespace(y_true, y_pred)
    ypc = as_float(xp, yp)
    out_dtype = yp.dtype if xp.isdtype(yp.dtype, "real floating") else ypc.dtype
    return xp, yt, ypc, out_dtype


def check_same_shape(y_true: Array, y_pred: Array) -> None:
    if tuple(y_true.shape) != tuple(y_pred.shape):
        msg = (
            f"y_true and y_pred must have the same shape, got {tuple(y_true.shape)} and "
            f"{tuple(y_pred.shape)}"
        )
        raise ValueError(msg)


def check_rank(y_pred: Array) -> None:
    if y_pred.ndim < 1:
        msg = "y_pred must have at least 1 dimension (the classes), got a 0-d array"
        raise ValueError(msg)


def warn_single_class(name: str, y_pred: Array) -> None:
    if y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {name}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
            f"'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,  # Keras' category
            stacklevel=3,
        )


def smooth_categorical(xp: Any, y_true: Array, label_smoothing: float) -> Array:
    # Keras: y * (1 - e) + e / C with C = y_true.shape[-1] (the last axis, whatever
    # `axis` is), the division done in the data's dtype.
    num_classes = xp.full_like(y_true, float(y_true.shape[-1]))
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def clipped_log_probs(xp: Any, y_pred: Array, axis: int) -> Array:
    """``log(clip(y_pred / sum(y_pred), eps, 1 - eps))``: Keras' probability path."""
    output = y_pred / xp.sum(y_pred, axis=axis, keepdims=True)
    return xp.log(xp.clip(output, EPSILON, 1.0 - EPSILON))


def torch_bce(xp: Any, y_true: Array, probs: Array) -> Array:
    """``torch.nn.functional.binary_cross_entropy`` elementwise, on clipped ``probs``."""
    floor = xp.full_like(probs, -100.0)
    return (y_true - 1) * xp.maximum(xp.log1p(-probs), floor) - y_true * xp.maximum(
        xp.log(probs), floor
    )


# --- per-sample functions -------------------------------------------------------------
