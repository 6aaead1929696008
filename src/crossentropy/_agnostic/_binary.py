"""Binary cross-entropy from probabilities or logits, each beside its analytic gradient.

Both losses are elementwise: every entry of the input is one item (one independent
yes/no prediction), as in :func:`torch.nn.functional.binary_cross_entropy`. The
preparation of the inputs (:func:`prepare_binary`) and the weighting and reduction
(:func:`finish_binary`) are shared with the binary focal losses
(:mod:`crossentropy._agnostic._binary_focal`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from crossentropy._agnostic._elementwise import clip_probabilities, mul0, ratio, xlog1py
from crossentropy._agnostic._gradients import (
    ValueAndGrad,
    broadcast_weight,
    differentiable,
    reduce_value_and_grad,
)
from crossentropy._agnostic._options import check_clip, check_label_smoothing
from crossentropy._array_api import Array, namespace
from crossentropy._numerics import log_sigmoid, sigmoid, upcast, xlogy
from crossentropy._validation import (
    Reduction,
    check_finite,
    check_probabilities,
    check_reduction,
    check_same_shape,
)

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits"]


def smooth_binary(y: Array, label_smoothing: float) -> Array:
    """Keras' binary label smoothing ``y (1 - e) + e / 2`` (PyTorch's ``e / C``, C = 2)."""
    if label_smoothing == 0.0:
        return y
    return y * (1.0 - label_smoothing) + 0.5 * label_smoothing


class BinaryInputs(NamedTuple):
    """Validated, upcast inputs of an elementwise binary loss."""

    xp: Any
    input: Array  # the caller's array: its dtype is the result's dtype
    x: Array  # probabilities or logits in the compute dtype
    y: Array  # (smoothed) targets in the compute dtype
    factor: Array | None  # elementwise loss multiplier (weight * sample_weight)
    pos_weight: Array | None  # broadcast to the input shape
    item_weight: Array | None  # normaliser of "mean": sample_weight broadcast, or None
    reduction: Reduction


def prepare_binary(
    input_name: str,
    values: Array,
    target: Array,
    *,
    weight: Array | None = None,
    sample_weight: Array | None = None,
    pos_weight: Array | None = None,
    label_smoothing: float,
    reduction: str,
) -> BinaryInputs:
    """Validate and upcast the arguments shared by every elementwise binary loss."""
    red = check_reduction(reduction)
    smoothing = check_label_smoothing(label_smoothing)
    xp, (x, t, w, sw, pw) = namespace(
        values,
        target,
        weight,
        sample_weight,
        pos_weight,
        names=(input_name, "target", "weight", "sample_weight", "pos_weight"),
    )
    check_same_shape(input_name, x, "target", t)
    shape = tuple(x.shape)
    xc = upcast(xp, x)  # half precision computes in float32
    dtype = xc.dtype
    if input_name == "probs":
        check_probabilities(xp, "probs", xc, axis=None)
    else:
        check_finite(xp, input_name, xc, allow_inf=True)  # +-inf logits are exact limits
    tc = t if t.dtype == dtype else xp.astype(t, dtype)
    check_probabilities(xp, "target", t if xp.isdtype(t.dtype, "real floating") else tc, axis=None)
    w_b = broadcast_weight(xp, "weight", w, shape, dtype, shape_name="the input shape")
    pw_b = broadcast_weight(xp, "pos_weight", pw, shape, dtype, shape_name="the input shape")
    sw_b = broadcast_weight(xp, "sample_weight", sw, shape, dtype)
    factor = sw_b if w_b is None else (w_b if sw_b is None else w_b * sw_b)
    return BinaryInputs(xp, x, xc, smooth_binary(tc, smoothing), factor, pw_b, sw_b, red)


def finish_binary(inp: BinaryInputs, loss: Array, grad: Array | None) -> ValueAndGrad:
    """Weight, reduce and cast back an elementwise loss and its elementwise derivative.

    ``grad`` is d(loss_i)/d(input_i); the chain rule through the weighting and the
    reduction multiplies it by the item's factor and by the reduction's scale.
    """
    return reduce_value_and_grad(
        inp.xp,
        inp.input,
        loss,
        grad,
        reduction=inp.reduction,
        item_weight=inp.item_weight,
        factor=inp.factor,
    )


# --------------------------------------------------------------------------------------
# Binary cross-entropy from probabilities
# --------------------------------------------------------------------------------------


def _bce(
    probs: Array,
    target: Array,
    *,
    weight: Array | None,
    sample_weight: Array | None,
    pos_weight: Array | None,
    label_smoothing: float,
    reduction: str,
    clip: float | None,
    with_grad: bool,
) -> ValueAndGrad:
    eps = check_clip(clip)
    inp = prepare_binary(
        "probs",
        probs,
        target,
        weight=weight,
        sample_weight=sample_weight,
        pos_weight=pos_weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
    )
    xp, y = inp.xp, inp.y
    p, inside = clip_probabilities(xp, inp.x, eps)
    wy = y if inp.pos_weight is None else inp.pos_weight * y
    # l = -[w_pos y log p + (1 - y) log(1 - p)]; log1p(-p) is exact for tiny p, and the
    # 0 log 0 = 0 convention (xlogy) keeps p in {0, 1} exact: inf only when y says so.
    loss = 0.0 - (xlogy(xp, wy, p) + xlog1py(xp, 1.0 - y, -p))
    grad = None
    if with_grad:
        # dl/dp = -w_pos y / p + (1 - y) / (1 - p); each ratio is 0 when its numerator
        # is 0 (even at p in {0, 1}) and +-inf when only its denominator is.
        grad = ratio(xp, 1.0 - y, 1.0 - p) - ratio(xp, wy, p)
        if inside is not None:  # d clip(p) / dp = 0 where p was moved
            grad = xp.where(inside, grad, xp.zeros_like(grad))
    return finish_binary(inp, loss, grad)


@differentiable(_bce)
def binary_cross_entropy(
    probs: Array,
    target: Array,
    /,
    *,
    weight: Array | None = None,
    sample_weight: Array | None = None,
    pos_weight: Array | None = None,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
    clip: float | None = None,
) -> Array:
    r"""Binary cross-entropy between predicted probabilities and targets, elementwise.

    Parameters
    ----------
    probs : array, shape (...)
        Predicted probabilities of the positive outcome, in ``[0, 1]``. Every entry is
        one item (multi-label problems are several independent binary items).
    target : array, shape (...)
        Targets in ``[0, 1]``, same shape as ``probs``: hard ``0``/``1`` labels or soft
        labels (integer and boolean targets are accepted).
    weight : array, optional
        PyTorch's elementwise rescaling weight, broadcast to the input shape. It scales
        each item's loss and does **not** enter the ``"mean"`` normaliser (as in PyTorch).
    sample_weight : array, optional
        Non-negative per-item weights, broadcast to the input shape (for per-row weights
        of an ``(N, K)`` multi-label input pass shape ``(N, 1)``). ``"mean"`` is the
        average weighted by them (scikit-learn's ``log_loss``).
    pos_weight : array, optional
        Weight of the positive term, broadcast to the input shape; a ``(K,)`` vector
        weights the ``K`` labels of the last axis, as in PyTorch.
    label_smoothing : float, default 0.0
        ``e`` in ``[0, 1]``: the target becomes ``y (1 - e) + e / 2``.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-item losses (input shape).
    clip : float, optional
        Opt-in clipping: ``probs`` is clipped to ``[clip, 1 - clip]`` first, with
        ``0 < clip < 0.5`` (Keras uses ``1e-7``). Default: no clipping, exact results.

    Returns
    -------
    array
        Scalar, or the input shape for ``reduction="none"``; the floating dtype of
        ``probs`` (half precision is computed in float32), its array type and device.

    Raises
    ------
    ValueError
        If ``probs`` or ``target`` has an entry outside ``[0, 1]`` or NaN (naming the
        argument and the first index), if the shapes differ, if a weight is negative,
        non-finite or does not broadcast, or if an option is out of range.

    See Also
    --------
    binary_cross_entropy_with_logits : The same loss from logits, stable for any logit.

    Notes
    -----
    With :math:`w` = ``weight``, :math:`s` = ``sample_weight`` and
    :math:`w_+` = ``pos_weight`` (each 1 when not given), item :math:`i` has the loss

    .. math::

        \ell_i = -w_i s_i \left[ w_{+,i}\, y_i \log p_i + (1 - y_i) \log(1 - p_i) \right]

    and ``"mean"`` returns :math:`\sum_i \ell_i / \sum_i s_i` (the plain mean over
    elements without ``sample_weight``, exactly PyTorch's ``binary_cross_entropy`` with
    ``weight``). The value is exact: :math:`0 \log 0 = 0`, so ``p = 0`` with ``y = 0``
    costs nothing, while ``p = 0`` with ``y > 0`` gives ``+inf``. PyTorch instead clamps
    each logarithm at ``-100`` (a loss of at most 100 per term); ``clip`` is the explicit
    way to bound the loss. ``log1p(-p)`` keeps :math:`\log(1-p)` exact for tiny ``p``.

    Binary label smoothing moves the target toward 0.5 (Keras'
    ``BinaryCrossentropy(label_smoothing=e)``); it is PyTorch's ``e / C`` rule with
    ``C = 2`` classes. An item whose ``weight * sample_weight`` is 0 contributes 0, even
    where its loss is infinite. The mean over no items (empty input, or all
    ``sample_weight`` zero) is NaN, with a zero gradient (PyTorch's convention for an
    all-ignored mean). ``value_and_grad(binary_cross_entropy)`` gives the
    exact gradient :math:`\partial\ell/\partial p = w s\,[(1-y)/(1-p) - w_+ y / p]`.

    References
    ----------
    .. [1] PyTorch, ``torch.nn.BCELoss``,
       https://pytorch.org/docs/stable/generated/torch.nn.BCELoss.html
    .. [2] C. M. Bishop, *Pattern Recognition and Machine Learning*, Springer, 2006,
       section 4.3.2 (logistic regression and the cross-entropy error).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([0.9, 0.2, 0.5])
    >>> y = np.array([1.0, 0.0, 1.0])
    >>> round(float(binary_cross_entropy(p, y)), 6)  # -(ln .9 + ln .8 + ln .5) / 3
    0.34055
    >>> binary_cross_entropy(p, y, reduction="none").round(6).tolist()
    [0.105361, 0.223144, 0.693147]

    Exact at the edges; clipping is explicit:

    >>> binary_cross_entropy(np.array([0.0, 0.0]), np.array([0.0, 1.0]), reduction="none")
    array([ 0., inf])
    >>> float(binary_cross_entropy(np.array([0.0]), np.array([1.0]), clip=1e-7))
    16.11809565095832
    """
    return _bce(
        probs,
        target,
        weight=weight,
        sample_weight=sample_weight,
        pos_weight=pos_weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
        clip=clip,
        with_grad=False,
    ).value


# --------------------------------------------------------------------------------------
# Binary cross-entropy from logits
# --------------------------------------------------------------------------------------


def _bce_logits(
    logits: Array,
    target: Array,
    *,
    weight: Array | None,
    sample_weight: Array | None,
    pos_weight: Array | None,
    label_smoothing: float,
    reduction: str,
    with_grad: bool,
) -> ValueAndGrad:
    inp = prepare_binary(
        "logits",
        logits,
        target,
        weight=weight,
        sample_weight=sample_weight,
        pos_weight=pos_weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
    )
    xp, x, y = inp.xp, inp.x, inp.y
    wy = y if inp.pos_weight is None else inp.pos_weight * y
    # l = -[w_pos y log sigma(x) + (1 - y) log sigma(-x)]: log(1 - sigma(x)) is taken as
    # log_sigmoid(-x), finite for every finite x (no overflow, no log(0)); mul0 keeps an
    # infinite logit exact (0 * -inf = 0 when the other label's weight is 0).
    loss = 0.0 - (mul0(xp, wy, log_sigmoid(x)) + mul0(xp, 1.0 - y, log_sigmoid(-x)))
    grad = None
    if with_grad:
        # d/dx log sigma(x) = sigma(-x) and d/dx log sigma(-x) = -sigma(x), so
        #   dl/dx = -w_pos y sigma(-x) + (1 - y) sigma(x) = (1 + (w_pos - 1) y) sigma(x) - w_pos y.
        # The first form is used: both products are accurate even where sigma(x) ~ 1.
        grad = (1.0 - y) * sigmoid(x) - wy * sigmoid(-x)
    return finish_binary(inp, loss, grad)


@differentiable(_bce_logits)
def binary_cross_entropy_with_logits(
    logits: Array,
    target: Array,
    /,
    *,
    weight: Array | None = None,
    sample_weight: Array | None = None,
    pos_weight: Array | None = None,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
) -> Array:
    r"""Binary cross-entropy of ``sigmoid(logits)`` against targets, computed stably.

    Parameters
    ----------
    logits : array, shape (...)
        Real-valued scores (log-odds) of the positive outcome; ``+-inf`` are allowed
        (the exact limits), NaN is not.
    target : array, shape (...)
        Targets in ``[0, 1]``, same shape as ``logits`` (hard or soft labels).
    weight : array, optional
        PyTorch's elementwise rescaling weight, broadcast to the input shape; not part
        of the ``"mean"`` normaliser.
    sample_weight : array, optional
        Non-negative per-item weights, broadcast to the input shape; ``"mean"`` is the
        average weighted by them.
    pos_weight : array, optional
        Weight of the positive term, broadcast to the input shape (a ``(K,)`` vector
        weights the ``K`` labels of the last axis, as in PyTorch).
    label_smoothing : float, default 0.0
        ``e`` in ``[0, 1]``: the target becomes ``y (1 - e) + e / 2``.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-item losses (input shape).

    Returns
    -------
    array
        Scalar, or the input shape for ``reduction="none"``; the floating dtype of
        ``logits`` (half precision is computed in float32), its array type and device.

    Raises
    ------
    ValueError
        If ``logits`` has a NaN, ``target`` an entry outside ``[0, 1]`` (naming the
        first index), the shapes differ, a weight is negative, non-finite or does not
        broadcast, or an option is out of range.

    See Also
    --------
    binary_cross_entropy : The same loss from probabilities.

    Notes
    -----
    .. math::

        \ell_i = -w_i s_i \left[ w_{+,i}\, y_i \log\sigma(x_i)
                 + (1 - y_i) \log\sigma(-x_i) \right]

    with :math:`\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})`, finite for every
    finite logit (``+-1e4`` in float32, ``+-1e300`` in float64), and
    :math:`\log(1 - \sigma(x))` taken as :math:`\log\sigma(-x)`. Weights, ``"mean"``
    and label smoothing follow :func:`binary_cross_entropy`; without
    ``label_smoothing`` and ``sample_weight`` the result is PyTorch's
    ``binary_cross_entropy_with_logits`` (``weight``, ``pos_weight`` and every
    reduction). The gradient (``value_and_grad``) is
    :math:`\partial\ell/\partial x = w s\,[(1 - y)\,\sigma(x) - w_+ y\,\sigma(-x)]`.

    References
    ----------
    .. [1] PyTorch, ``torch.nn.BCEWithLogitsLoss``,
       https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.losses import binary_cross_entropy, sigmoid
    >>> x = np.array([2.0, -1.0, 0.0])
    >>> y = np.array([1.0, 0.0, 1.0])
    >>> bool(np.isclose(binary_cross_entropy_with_logits(x, y),
    ...                 binary_cross_entropy(sigmoid(x), y)))
    True

    Huge logits stay finite and exact (the loss of a wrong logit ``x`` is ``|x|``):

    >>> binary_cross_entropy_with_logits(np.array([1e300, -1e300]), np.array([0.0, 0.0]),
    ...                                  reduction="none").tolist()
    [1e+300, 0.0]
    """
    return _bce_logits(
        logits,
        target,
        weight=weight,
        sample_weight=sample_weight,
        pos_weight=pos_weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
        with_grad=False,
    ).value
