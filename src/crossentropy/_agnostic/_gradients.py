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

import functools
import inspect
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np

from crossentropy._agnostic._elementwise import mul0
from crossentropy._numerics import _finish
from crossentropy._validation import Reduction, check_finite, check_nonnegative, surely_none

if TYPE_CHECKING:
    from crossentropy._array_api import Array

__all__ = [
    "ValueAndGrad",
    "broadcast_weight",
    "differentiable",
    "reduce_loss",
    "reduce_value_and_grad",
    "value_and_grad",
]


class ValueAndGrad(NamedTuple):
    """A loss value and its exact gradient with respect to the loss's first argument.

    For ``reduction="none"`` the gradient is that of the *sum* of the per-item losses;
    items are independent, so each item's slice is that item's own gradient.
    """

    value: Array
    grad: Array


_LossT = TypeVar("_LossT", bound=Callable[..., Any])
_REGISTRY: dict[Callable[..., Any], Callable[..., ValueAndGrad]] = {}


def differentiable(impl: Callable[..., ValueAndGrad]) -> Callable[[_LossT], _LossT]:
    """Decorate a loss to register ``impl``, its shared implementation, for its gradient.

    ``impl`` takes the loss's arguments (every one given: the loss supplies the
    defaults) and a keyword ``with_grad: bool``, and returns a :class:`ValueAndGrad`
    whose ``grad`` is ``None`` unless ``with_grad``. The loss's body calls it with
    ``with_grad=False``; ``value_and_grad(loss)`` is a function with the loss's
    signature, docstring and a name ``value_and_grad(<loss>)`` that binds its arguments
    to that signature and calls ``impl(..., with_grad=True)``.
    """

    def decorate(loss: _LossT) -> _LossT:
        signature = inspect.signature(loss)

        def loss_value_and_grad(*args: Any, **kwargs: Any) -> ValueAndGrad:
            bound = signature.bind(*args, **kwargs)  # the loss's own TypeError for bad calls
            bound.apply_defaults()
            return impl(*bound.args, **bound.kwargs, with_grad=True)

        functools.update_wrapper(loss_value_and_grad, loss)  # signature, docstring, module
        name = f"value_and_grad({loss.__name__})"
        loss_value_and_grad.__name__ = loss_value_and_grad.__qualname__ = name
        _REGISTRY[loss] = loss_value_and_grad
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


def broadcast_weight(
    xp: Any,
    name: str,
    weight: Array | None,
    shape: tuple[int, ...],
    dtype: Any,
    *,
    shape_name: str = "the per-item loss shape",
) -> Array | None:
    """Validate a weight (finite, >= 0) and broadcast it to ``shape`` in ``dtype``.

    ``name`` and ``shape_name`` word the errors (``sample_weight`` of the per-item loss,
    ``pos_weight`` of the input, ...).
    """
    if weight is None:
        return None
    weight = xp.asarray(weight)
    check_finite(xp, name, weight)
    check_nonnegative(xp, name, weight)
    try:
        return xp.broadcast_to(xp.astype(weight, dtype), shape)
    except (ValueError, RuntimeError) as exc:
        msg = f"{name} of shape {tuple(weight.shape)} does not broadcast to {shape_name} {shape}"
        raise ValueError(msg) from exc


def reduce_loss(xp: Any, per_item: Array, item_weight: Array | None, reduction: Reduction) -> Array:
    """Reduce weighted per-item losses.

    ``per_item`` already includes every weight (and is ``0`` for ignored items);
    ``item_weight`` is each item's total weight (``None`` meaning all ones) and is the
    normaliser of ``"mean"``.
    """
    if reduction == "none":
        return per_item
    with np.errstate(over="ignore"):  # a sum past the dtype's range is inf: the answer
        total = xp.sum(per_item)
    if isinstance(total, np.generic):  # NumPy reductions give scalars: return 0-d arrays
        total = np.asarray(total)
    if reduction == "sum":
        return total
    denominator = (
        xp.asarray(float(math.prod(per_item.shape)), dtype=per_item.dtype)
        if item_weight is None
        else xp.sum(item_weight)
    )
    mean = _divide(xp, total, denominator, where_zero=math.nan)
    if not math.prod(per_item.shape) or surely_none(xp, xp.isinf(total)):
        return mean  # the common case: no overflow, no second pass
    # Where the sum overflowed although every item is finite, the mean itself may well be
    # representable (the mean of [1e308, 1e308] is 1e308): scale before summing. Chosen
    # with `where`, not `if`, so that lazy arrays (Dask, JAX under jit) are not computed.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        scale = xp.max(xp.abs(per_item))
        scale = xp.where((scale > 0) & xp.isfinite(scale), scale, xp.ones_like(scale))
        scaled = _divide(xp, xp.sum(per_item / scale), denominator / scale, where_zero=math.nan)
    overflowed = xp.isinf(total) & xp.all(xp.isfinite(per_item))
    return xp.where(overflowed, scaled, mean)


def reduce_value_and_grad(
    xp: Any,
    like: Array,
    per_item: Array,
    grad: Array | None,
    *,
    reduction: Reduction,
    item_weight: Array | None,
    factor: Array | None = None,
    axis: int | None = None,
) -> ValueAndGrad:
    """Weight and reduce per-item losses, chain their gradient, cast both like ``like``.

    Parameters
    ----------
    per_item : array, item shape
        The per-item losses.
    grad : array of the input's shape, or None
        The gradient of ``sum(per_item)`` with respect to the input; ``None`` for the
        value alone.
    reduction : {"none", "mean", "sum"}
        ``"none"`` and ``"sum"`` keep the gradient of the sum; ``"mean"`` divides it by
        the mean's denominator (see :func:`reduce_loss`).
    item_weight : array of the item shape, or None
        The normaliser of ``"mean"``: ``None`` divides by the item count.
    factor : array of the item shape, or None
        A per-item multiplier not yet in ``per_item`` and ``grad``. An item whose factor
        is 0 contributes 0 to the value and to the gradient, even where its loss or
        gradient is infinite.
    axis : int, optional
        The class axis of ``grad`` (``factor`` is broadcast along it); ``None`` when the
        loss is elementwise (``grad`` has the item shape).

    Returns
    -------
    ValueAndGrad
        With ``grad`` ``None`` when ``grad`` is. Where no item counts (every item
        ignored or zero-weighted, or no items), ``"mean"`` is NaN and its gradient 0,
        as PyTorch's for an all-ignored batch.
    """
    if factor is not None:
        per_item = mul0(xp, factor, per_item)
    value = _finish(xp, reduce_loss(xp, per_item, item_weight, reduction), like)
    if grad is None:
        return ValueAndGrad(value, None)
    if factor is not None:
        grad = mul0(xp, factor if axis is None else xp.expand_dims(factor, axis=axis), grad)
    if reduction == "mean":
        # d(mean)/d(per_item_i) = 1 / denominator, a constant: the gradient is divided.
        if item_weight is None:
            count = math.prod(per_item.shape)
            grad = grad / count if count else grad  # no items: an empty gradient
        else:
            grad = _divide(xp, grad, xp.sum(item_weight), where_zero=0.0)
    return ValueAndGrad(value, _finish(xp, grad, like))


def _divide(xp: Any, numerator: Array, denominator: Array, *, where_zero: float) -> Array:
    """``numerator / denominator``, and ``where_zero`` (without a NumPy warning) where it is 0.

    A zero denominator means no item counts (all ignored, all weights zero, or empty):
    the mean is ``0 / 0 = nan`` by the convention above, and its gradient 0.
    """
    zero = denominator == 0
    safe = xp.where(zero, xp.ones_like(denominator), denominator)
    with np.errstate(over="ignore"):  # a quotient past the range is inf: the answer
        quotient = numerator / safe
    return xp.where(zero, xp.full_like(quotient, where_zero), quotient)
