r"""Targets of the categorical losses, as per-class weights in a factored form.

Every categorical loss here is :math:`\ell_i = -\sum_c t_{ic} \log q_{ic}` for a
per-class target weight :math:`t_{ic}` and predicted probabilities :math:`q` (from
logits or given). :func:`categorical_target` turns each target form into
:class:`CategoricalTarget`, and the helpers below (:func:`target_total`,
:func:`weighted_sum`, :func:`minus_target`, :func:`dense_target`) compute with it, so
the losses and their gradients never branch on the target form:

* integer class labels :math:`y_i` (the input's shape without the class axis), or
  class probabilities :math:`y_{ic}` (the input's shape), dispatched on the dtype;
* label smoothing :math:`\tilde y_{ic} = (1 - \varepsilon)\, y_{ic} + \varepsilon / C`
  (PyTorch's and Keras' convention: the true class keeps its share of
  :math:`\varepsilon / C`);
* class weights :math:`w_c` and per-item ``sample_weight`` :math:`s_i`:
  :math:`t_{ic} = s_i\, w_c\, \tilde y_{ic}`, and :math:`t_{i\cdot} = 0` for an
  ignored item.

For labels :math:`t_{ic} = a_i [c = y_i] + b_i w_c` with :math:`a_i = (1 - \varepsilon)
s_i w_{y_i}` and :math:`b_i = s_i \varepsilon / C` (both 0 if ignored): the one-hot mask
and two per-item numbers, never a dense float array of the input's size unless a
consumer asks for one (:func:`dense_target`).

The mean's normaliser (see :mod:`crossentropy._agnostic._gradients`) is PyTorch's: the item
weight :math:`s_i w_{y_i}` for labels (``0`` if ignored), :math:`s_i` (or the item count)
for probabilities, whose class weights are not part of the normaliser.

The focal losses build dense targets of their own but share the label and axis checks
here (:func:`label_one_hot`, :func:`check_class_axis`, :func:`class_shape`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from crossentropy._agnostic._elementwise import mul0
from crossentropy._agnostic._gradients import broadcast_weight
from crossentropy._agnostic._options import check_ignore_index, check_label_smoothing
from crossentropy._array_api import Array, device, index_dtype
from crossentropy._validation import check_axis, check_finite, check_labels, check_nonnegative

__all__ = [
    "CategoricalTarget",
    "categorical_target",
    "check_class_axis",
    "check_num_classes",
    "class_shape",
    "class_weight",
    "cross_entropy_terms",
    "dense_target",
    "label_one_hot",
    "minus_target",
    "target_total",
    "weighted_sum",
]


class CategoricalTarget(NamedTuple):
    r"""A categorical loss's target :math:`t_{ic}`, factored, with the mean's normaliser.

    Exactly one of ``dense`` (probability targets) and ``hot`` (labels) is set.

    Attributes
    ----------
    dense : array of the input's shape, or None
        Probability targets: :math:`t_{ic} = s_i w_c ((1 - \varepsilon) y_{ic} +
        \varepsilon / C)` in full.
    hot : bool array of the input's shape, or None
        Labels: the one-hot mask :math:`[c = y_i]` (all ``False`` for an ignored item).
    hot_weight : array of the item shape, keepdims, or None
        Labels: :math:`a_i = (1 - \varepsilon) s_i w_{y_i}` (0 if ignored).
    spread_weight : array of the item shape, keepdims, or None
        Labels with smoothing: :math:`b_i = s_i \varepsilon / C` (0 if ignored); the
        smoothing part of :math:`t_{ic}` is :math:`b_i w_c`.
    class_weight : array broadcasting along the class axis, or None
        :math:`w_c` (``None``: all ones).
    item_weight : array of the item shape, or None
        Each item's weight in the ``"mean"`` denominator; ``None`` means one per item
        (the mean divides by the item count).
    item_shape : tuple of int
        The input's shape without the class axis: the shape of ``reduction="none"``.
    axis : int
        The class axis (non-negative). "keepdims" arrays have length 1 there.
    """

    dense: Array | None
    hot: Array | None
    hot_weight: Array | None
    spread_weight: Array | None
    class_weight: Array | None
    item_weight: Array | None
    item_shape: tuple[int, ...]
    axis: int


def check_class_axis(name: str, x: Array, axis: int) -> int:
    """Return the class ``axis`` of ``x`` as a non-negative int (``ValueError`` if 0-d)."""
    if x.ndim == 0:
        msg = f"{name} must have a class axis; got a 0-d array"
        raise ValueError(msg)
    return check_axis(axis, x.ndim)


def check_num_classes(name: str, shape: tuple[int, ...], axis: int) -> int:
    """Return the number of classes ``C = shape[axis]``; ``ValueError`` if it is 0."""
    num_classes = int(shape[axis])
    if num_classes == 0:
        msg = (
            f"{name} must have at least one class along axis {axis}; got shape {shape} "
            "(a distribution over no classes does not exist)"
        )
        raise ValueError(msg)
    return num_classes


def class_shape(ndim: int, axis: int, num_classes: int) -> tuple[int, ...]:
    """The shape ``(1, ..., C, ..., 1)`` that broadcasts a per-class vector along ``axis``."""
    return tuple(num_classes if d == axis else 1 for d in range(ndim))


def class_weight(xp: Any, weight: Array | None, num_classes: int, dtype: Any) -> Array | None:
    """Validate class weights (shape ``(C,)``, finite, ``>= 0``) and cast them to ``dtype``."""
    if weight is None:
        return None
    if tuple(weight.shape) != (num_classes,):
        msg = (
            f"weight must have one entry per class, shape ({num_classes},); "
            f"got shape {tuple(weight.shape)}"
        )
        raise ValueError(msg)
    if not xp.isdtype(weight.dtype, ("integral", "real floating")):  # bool is neither
        msg = f"weight must be real numbers, got dtype {weight.dtype}"
        raise TypeError(msg)
    check_finite(xp, "weight", weight)
    check_nonnegative(xp, "weight", weight)
    return xp.astype(weight, dtype)


def label_one_hot(
    xp: Any, labels: Array, num_classes: int, *, axis: int, ignore_index: int | None
) -> tuple[Array, Array, Array | None]:
    """Check integer ``labels``; return them widened, their one-hot mask and validity.

    Labels become int64 (int32 on JAX without x64, which has no 64-bit integers).

    The boolean one-hot mask has the class axis inserted at ``axis`` and is all
    ``False`` for an ignored item; the validity mask (item shape) is
    ``labels != ignore_index``, ``None`` when nothing is ignored. The mask is built by
    comparison with ``arange(C)`` (no gather: Dask has no ``take_along_axis``).
    """
    # A wide signed dtype first: comparisons with ignore_index (say -100) must not overflow
    # uint8 labels. int64 where the library has it (JAX without x64 has only int32).
    index = index_dtype(xp)
    labels = labels if labels.dtype == index else xp.astype(labels, index)
    check_labels(xp, "target", labels, num_classes, ignore_index=ignore_index)
    classes = xp.arange(num_classes, dtype=labels.dtype, device=device(labels))
    classes = xp.reshape(classes, class_shape(labels.ndim + 1, axis, num_classes))
    hot = xp.expand_dims(labels, axis=axis) == classes  # a label outside [0, C): all False
    valid = None if ignore_index is None else labels != ignore_index
    if valid is not None and ignore_index is not None and 0 <= ignore_index < num_classes:
        hot = hot & xp.expand_dims(valid, axis=axis)  # an ignored label that is a class
    return labels, hot, valid


def categorical_target(
    xp: Any,
    target: Array,
    *,
    input_name: str,
    input_shape: tuple[int, ...],
    axis: int,
    dtype: Any,
    weight: Array | None = None,
    sample_weight: Array | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
) -> CategoricalTarget:
    """Validate a categorical loss's target and options and build its weights.

    ``target`` holding integers is class labels (shape ``input_shape`` without ``axis``);
    real floating values are class probabilities (shape ``input_shape``), as in PyTorch.
    ``ignore_index`` applies to labels only; like PyTorch, a non-negative ``ignore_index``
    with probabilities is an error (it cannot mean anything there).
    """
    smoothing = check_label_smoothing(label_smoothing)
    ignore = check_ignore_index(ignore_index)
    num_classes = check_num_classes(input_name, input_shape, axis)
    item_shape = input_shape[:axis] + input_shape[axis + 1 :]
    w = class_weight(xp, weight, num_classes, dtype)
    w_b = None if w is None else xp.reshape(w, class_shape(len(input_shape), axis, num_classes))
    sw = broadcast_weight(xp, "sample_weight", sample_weight, item_shape, dtype)
    if xp.isdtype(target.dtype, "integral"):
        return _from_labels(
            xp,
            target,
            num_classes=num_classes,
            item_shape=item_shape,
            axis=axis,
            dtype=dtype,
            w_b=w_b,
            sw=sw,
            ignore_index=ignore,
            smoothing=smoothing,
            input_name=input_name,
        )
    if xp.isdtype(target.dtype, "real floating"):
        return _from_probabilities(
            xp,
            target,
            num_classes=num_classes,
            input_shape=input_shape,
            axis=axis,
            dtype=dtype,
            w_b=w_b,
            sw=sw,
            ignore_index=ignore,
            smoothing=smoothing,
            item_shape=item_shape,
            input_name=input_name,
        )
    msg = (
        "target must be integer class labels or real floating class probabilities, "
        f"got dtype {target.dtype}"
    )
    raise TypeError(msg)


def _from_labels(
    xp: Any,
    labels: Array,
    *,
    num_classes: int,
    item_shape: tuple[int, ...],
    axis: int,
    dtype: Any,
    w_b: Array | None,
    sw: Array | None,
    ignore_index: int | None,
    smoothing: float,
    input_name: str,
) -> CategoricalTarget:
    if tuple(labels.shape) != item_shape:
        msg = (
            f"target holds integer class labels, so its shape must be {item_shape} (the "
            f"shape of {input_name} without its class axis {axis}); got "
            f"{tuple(labels.shape)}. Class probabilities need a floating dtype and the "
            f"shape of {input_name}."
        )
        raise ValueError(msg)
    labels, hot, valid = label_one_hot(
        xp, labels, num_classes, axis=axis, ignore_index=ignore_index
    )
    # The item weight s_i w_{y_i} [not ignored]: a gather of w (on the item shape, cheap).
    item_weight = None if valid is None else xp.astype(valid, dtype)
    if w_b is not None:
        safe = labels if valid is None else xp.where(valid, labels, xp.zeros_like(labels))
        w_y = xp.reshape(xp.take(xp.reshape(w_b, (-1,)), xp.reshape(safe, (-1,))), item_shape)
        item_weight = w_y if item_weight is None else w_y * item_weight
    if sw is not None:
        item_weight = sw if item_weight is None else item_weight * sw
    ones = xp.ones(item_shape, dtype=dtype, device=device(labels))
    base = ones if item_weight is None else item_weight
    hot_weight = xp.expand_dims(base * (1.0 - smoothing), axis=axis)
    spread_weight = None
    if smoothing:
        spread = ones if valid is None else xp.astype(valid, dtype)
        spread = spread if sw is None else spread * sw
        spread_weight = xp.expand_dims(spread * (smoothing / num_classes), axis=axis)
    return CategoricalTarget(
        None, hot, hot_weight, spread_weight, w_b, item_weight, item_shape, axis
    )


def _from_probabilities(
    xp: Any,
    target: Array,
    *,
    num_classes: int,
    input_shape: tuple[int, ...],
    axis: int,
    dtype: Any,
    w_b: Array | None,
    sw: Array | None,
    ignore_index: int | None,
    smoothing: float,
    item_shape: tuple[int, ...],
    input_name: str,
) -> CategoricalTarget:
    if tuple(target.shape) != input_shape:
        msg = (
            f"target holds floating class probabilities, so it must have the shape of "
            f"{input_name}, {input_shape}; got {tuple(target.shape)}. Class labels need an "
            "integer dtype."
        )
        raise ValueError(msg)
    if ignore_index is not None and ignore_index >= 0:
        msg = (
            f"ignore_index={ignore_index} applies to integer class labels only; with class "
            "probabilities give a negative ignore_index (the default) or None, and drop "
            "items with sample_weight=0"
        )
        raise ValueError(msg)
    # Probability targets are not required to sum to one (PyTorch does not check either):
    # the loss is then -sum_c t_c log q_c as written. They must be finite and >= 0.
    check_finite(xp, "target", target)
    check_nonnegative(xp, "target", target)
    t = target if target.dtype == dtype else xp.astype(target, dtype)
    if smoothing:
        t = t * (1.0 - smoothing) + smoothing / num_classes
    if w_b is not None:
        t = t * w_b
    if sw is not None:
        t = t * xp.expand_dims(sw, axis=axis)
    return CategoricalTarget(t, None, None, None, w_b, sw, item_shape, axis)


# --------------------------------------------------------------------------------------
# Computing with a target: totals, weighted sums, t itself
# --------------------------------------------------------------------------------------


def target_total(xp: Any, target: CategoricalTarget) -> Array:
    r""":math:`T_i = \sum_c t_{ic}` (item shape, keepdims along the class axis)."""
    hot = target.hot
    if hot is None:
        return xp.sum(target.dense, axis=target.axis, keepdims=True)
    total = target.hot_weight
    if target.spread_weight is not None:
        w = target.class_weight  # sum_c w_c: C without class weights
        total = total + target.spread_weight * (hot.shape[target.axis] if w is None else xp.sum(w))
    return total


def weighted_sum(xp: Any, target: CategoricalTarget, values: Array) -> Array:
    r""":math:`\sum_c t_{ic} v_{ic}` with :math:`0 \cdot v = 0` even for infinite ``v``.

    The class axis is reduced (not kept). ``values`` has the input's shape.
    """
    axis = target.axis
    if target.dense is not None:
        t = target.dense
        # where first: 0 * -inf would be NaN (and a NumPy warning); t > 0 keeps -inf.
        return xp.sum(t * xp.where(t == 0, xp.zeros_like(values), values), axis=axis)
    # a_i v_{i y_i}: the label's value, picked with the one-hot mask (no gather).
    picked = xp.sum(xp.where(target.hot, values, xp.zeros_like(values)), axis=axis)
    out = mul0(xp, xp.squeeze(target.hot_weight, axis=axis), picked)
    if target.spread_weight is not None:
        w = target.class_weight
        spread = xp.sum(values if w is None else mul0(xp, w, values), axis=axis)
        out = out + mul0(xp, xp.squeeze(target.spread_weight, axis=axis), spread)
    return out


def minus_target(xp: Any, values: Array, target: CategoricalTarget) -> Array:
    """``values - t`` (input shape)."""
    if target.dense is not None:
        return values - target.dense
    out = xp.where(target.hot, values - target.hot_weight, values)
    if target.spread_weight is not None:
        w = target.class_weight
        out = out - (target.spread_weight if w is None else target.spread_weight * w)
    return out


def dense_target(xp: Any, target: CategoricalTarget) -> Array:
    """:math:`t_{ic}` as a dense array of the input's shape."""
    if target.dense is not None:
        return target.dense
    zero = xp.zeros_like(target.hot_weight)
    t = xp.where(target.hot, target.hot_weight, zero)
    if target.spread_weight is not None:
        w = target.class_weight
        t = t + (target.spread_weight if w is None else target.spread_weight * w)
    return t


def cross_entropy_terms(xp: Any, target: CategoricalTarget, log_q: Array) -> Array:
    """Per-item ``-sum_c t_c log q_c`` with ``0 log 0 = 0`` (``t_c = 0`` never meets ``-inf``)."""
    # 0 - sum rather than -sum: an ignored item (all t = 0) gives +0, not -0.
    return 0.0 - weighted_sum(xp, target, log_q)
