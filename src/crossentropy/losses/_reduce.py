"""Reductions, weights and the value-and-gradient registry shared by every loss.

Conventions (PyTorch's where PyTorch has the feature):

* ``reduction="none"`` returns the per-item loss, ``0`` where an item is ignored.
* ``reduction="sum"`` returns the sum of the per-item losses.
* ``reduction="mean"`` returns the *weighted* average: the sum of the weighted per-item
  losses divided by the sum of the item weights, where an item's weight is
  ``sample_weight[i] * weight[target[i]]`` (class weight of the target class, integer
  labels only) and ``0`` for ignored items. Without weights this is the mean over the
  non-ignored items. If every item is ignored (or all weights are zero) the mean is
  ``0 / 0 = nan``, as in PyTorch; :mod:`crossentropy.compat.keras` gives Keras' ``0``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np

from crossentropy._validation import Reduction, check_finite, check_nonnegative

if TYPE_CHECKING:
    from crossentropy._array_api import Array

__all__ = [
    "ValueAndGrad",
    "broadcast_sample_weight",
    "reduce_loss",
    "reduction_scale",
    "register_value_and_grad",
    "value_and_grad",
]


class ValueAndGrad(NamedTuple):
    """A loss value and its exact gradient with respect to the loss's first argument.

    For ``reduction="none"`` the gradient is that of the *sum* of the per-item losses;
    items are independent, so each item's slice is that item's own gradient.
    """

    value: Array
    grad: Array


_F = TypeVar("_F", bound=Callable[..., Any])
_REGISTRY: dict[Callable[..., Any], Callable[..., ValueAndGrad]] = {}


def register_value_and_grad(
    value_and_grad_fn: Callable[..., ValueAndGrad],
) -> Callable[[_F], _F]:
    """Decorate a loss to register ``value_and_grad_fn`` (same signature) as its gradient."""

    def decorate(loss: _F) -> _F:
        _REGISTRY[loss] = value_and_grad_fn
        return loss

    return decorate


def value_and_grad(loss: Callable[..., Any]) -> Callable[..., ValueAndGrad]:
    """Return a function computing ``loss`` and its exact gradient in one pass.

    The returned function takes the same arguments as ``loss`` and returns a
    :class:`ValueAndGrad` ``(value, grad)`` where ``grad`` has the shape and dtype of
    the loss's first argument (logits or probabilities). The gradient is analytic (the
    derivation is written beside each implementation), not automatic differentiation.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.losses import softmax_cross_entropy
    >>> out = value_and_grad(softmax_cross_entropy)(np.zeros((1, 2)), np.array([0]))
    >>> round(float(out.value), 6), out.grad.tolist()  # softmax - onehot
    (0.693147, [[-0.5, 0.5]])
    """
    try:
        return _REGISTRY[loss]
    except KeyError:
        name = getattr(loss, "__qualname__", repr(loss))
        known = ", ".join(sorted(f.__name__ for f in _REGISTRY))
        msg = f"no analytic gradient is registered for {name}; losses with one: {known}"
        raise ValueError(msg) from None


def broadcast_sample_weight(
    xp: Any, sample_weight: Array | None, shape: tuple[int, ...], dtype: Any
) -> Array | None:
    """Validate ``sample_weight`` (finite, >= 0) and broadcast it to the item ``shape``."""
    if sample_weight is None:
        return None
    sample_weight = xp.asarray(sample_weight)
    check_finite(xp, "sample_weight", sample_weight)
    check_nonnegative(xp, "sample_weight", sample_weight)
    try:
        return xp.broadcast_to(xp.astype(sample_weight, dtype), shape)
    except (ValueError, RuntimeError) as exc:
        msg = (
            f"sample_weight of shape {tuple(sample_weight.shape)} does not broadcast to "
            f"the per-item loss shape {shape}"
        )
        raise ValueError(msg) from exc


def reduce_loss(xp: Any, per_item: Array, item_weight: Array | None, reduction: Reduction) -> Array:
    """Reduce weighted per-item losses.

    ``per_item`` already includes every weight (and is ``0`` for ignored items);
    ``item_weight`` is each item's total weight (``None`` meaning all ones) and is the
    normaliser of ``"mean"``.
    """
    if reduction == "none":
        return per_item
    total = xp.sum(per_item)
    if isinstance(total, np.generic):  # NumPy reductions give scalars: return 0-d arrays
        total = np.asarray(total)
    if reduction == "sum":
        return total
    denominator = (
        xp.asarray(float(_size(per_item)), dtype=per_item.dtype)
        if item_weight is None
        else xp.sum(item_weight)
    )
    return _divide_or_nan(xp, total, denominator)


def reduction_scale(
    xp: Any,
    per_item_shape: tuple[int, ...],
    item_weight: Array | None,
    reduction: Reduction,
    dtype: Any,
) -> Array | float:
    """d(reduced loss) / d(weighted per-item loss): 1, or 1 / sum(item weights) for mean."""
    if reduction != "mean":
        return 1.0
    if item_weight is None:
        count = 1
        for n in per_item_shape:
            count *= n
        return 1.0 / count if count else float("nan")
    return _divide_or_nan(xp, 1.0, xp.astype(xp.sum(item_weight), dtype))


def _divide_or_nan(xp: Any, numerator: Array | float, denominator: Array) -> Array:
    """``numerator / denominator``, and ``nan`` (without a NumPy warning) where it is 0.

    A zero denominator means no item counts (all ignored, all weights zero, or empty):
    the mean is ``0 / 0 = nan`` by the convention above.
    """
    zero = denominator == 0
    safe = xp.where(zero, xp.ones_like(denominator), denominator)
    quotient = numerator / safe
    return xp.where(zero, xp.full_like(quotient, float("nan")), quotient)


def _size(x: Array) -> int:
    count = 1
    for n in x.shape:
        count *= int(n)
    return count
