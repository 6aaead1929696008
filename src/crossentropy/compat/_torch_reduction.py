"""PyTorch's reductions, legacy ``size_average``/``reduce`` mapping and dtype rules.

Shared by the mirrors of :mod:`crossentropy.compat.torch`.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

from crossentropy.compat._common import (
    as_float,
    numel,
)

if TYPE_CHECKING:
    from crossentropy._array_api import Array

__all__ = [
    "as_floating",
    "broadcast_to",
    "check_torch_reduction",
    "legacy_reduction",
    "reduce_loss",
    "resolve_reduction",
]

_REDUCTIONS = ("none", "mean", "sum")


# --- reductions ------------------------------------------------------------------


def legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """PyTorch's ``_Reduction.legacy_get_string``, with its deprecation warning."""
    average = True if size_average is None else size_average
    reduced = True if reduce is None else reduce
    if average and reduced:
        reduction = "mean"
    elif reduced:
        reduction = "sum"
    else:
        reduction = "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use "
        f"reduction='{reduction}' instead.",
        UserWarning,
        stacklevel=4,
    )
    return reduction


def check_torch_reduction(reduction: object) -> str:
    """PyTorch's ``_Reduction.get_enum``: 'none', 'mean', 'sum' ('elementwise_mean')."""
    if reduction == "elementwise_mean":
        warnings.warn(
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
            UserWarning,
            stacklevel=4,
        )
        return "mean"
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        msg = f"reduction must be one of 'none', 'mean', 'sum', got {reduction!r}"
        raise ValueError(msg)
    return reduction


def resolve_reduction(reduction: str, size_average: bool | None, reduce: bool | None) -> str:
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    return check_torch_reduction(reduction)


def reduce_loss(xp: Any, loss: Array, reduction: str) -> Array:
    """PyTorch's ``apply_loss_reduction``: the mean of no elements is ``nan``."""
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    if reduction == "sum":
        return total
    return total / float(numel(loss.shape)) if numel(loss.shape) else total * math.nan


# --- argument checks ---------------------------------------------------------------


def as_floating(xp: Any, x: Array) -> tuple[Array, Any]:
    """``x`` in its compute dtype and the dtype of the result (the input's own)."""
    xc = as_float(xp, x)
    out_dtype = x.dtype if xp.isdtype(x.dtype, "real floating") else xc.dtype
    return xc, out_dtype


def broadcast_to(xp: Any, name: str, value: Array, shape: tuple[int, ...], dtype: Any) -> Array:
    try:
        return xp.broadcast_to(as_float(xp, value, dtype), shape)
    except (ValueError, RuntimeError) as exc:
        msg = f"{name} of shape {tuple(value.shape)} does not broadcast to the input shape {shape}"
        raise ValueError(msg) from exc
