r"""Focal losses (Lin et al., 2017), binary and categorical, each beside its gradient.

The focal loss multiplies each cross-entropy term by the modulating factor
:math:`(1 - p_t)^\gamma`, which down-weights well-classified examples, and optionally
by a balancing factor :math:`\alpha_t`. With ``gamma=0`` and ``alpha=None`` every
focal loss here is exactly the corresponding cross-entropy.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from crossentropy._array_api import Array, compute_dtype, device, namespace, to_numpy
from crossentropy._numerics import _finish, log_sigmoid, log_softmax, sigmoid
from crossentropy._validation import (
    Reduction,
    check_axis,
    check_finite,
    check_labels,
    check_probabilities,
    check_reduction,
    default_tolerance,
    first_index,
)
from crossentropy.losses._binary import (
    BinaryInputs,
    apply_reduction_scale,
    check_alpha_scalar,
    check_clip,
    check_gamma,
    check_label_smoothing,
    clip_probabilities,
    finish_binary,
    mul0,
    prepare_binary,
    ratio,
    safe_log,
    xlog1py,
    xlogy,
)
from crossentropy.losses._reduce import (
    ValueAndGrad,
    broadcast_sample_weight,
    reduce_loss,
    reduction_scale,
    register_value_and_grad,
)

__all__ = [
    "binary_focal_loss",
    "binary_focal_loss_with_logits",
    "categorical_focal_loss",
    "softmax_focal_loss",
]


def _modulating_factor(xp: Any, q: Array, gamma: float) -> Array:
    """``q ** gamma`` for ``q = 1 - p_t >= 0``, with ``0 ** 0 = 1``.

    ``q == 0`` is replaced by 1 before the power, so autograd through the unused branch
    never meets ``gamma * 0 ** (gamma - 1) = inf`` (for ``gamma < 1``).
    """
    if gamma == 0.0:
        return xp.ones_like(q)
    zero = q == 0
    powered = xp.where(zero, xp.ones_like(q), q) ** gamma
    return xp.where(zero, xp.zeros_like(q), powered)


# --------------------------------------------------------------------------------------
# Binary focal loss (torchvision.ops.sigmoid_focal_loss semantics)
# --------------------------------------------------------------------------------------


def _alpha_t(inp: BinaryInputs, alpha: float | None) -> Array | None:
    # alpha_t = alpha y + (1 - alpha)(1 - y): positives weighted by alpha, negatives by
    # 1 - alpha (torchvision; Keras' apply_class_balancing=True).
    if alpha is None:
        return None
    return alpha * inp.y + (1.0 - alpha) * (1.0 - inp.y)


def _binary_focal_finish(
    inp: BinaryInputs,
    *,
    alpha_t: Array | None,
    q: Array,
    bce: Array,
    dbce: Array | None,
    dq: Array | None,
    gamma: float,
) -> ValueAndGrad:
    """Combine ``FL = alpha_t q^gamma BCE`` and, when asked, its derivative.

    ``dbce`` and ``dq`` are the derivatives of the BCE term and of ``q = 1 - p_t`` with
    respect to the input. Product rule:

        dFL = alpha_t [gamma q^(gamma-1) dq BCE + q^gamma dBCE]
            = alpha_t [gamma q^gamma (dq BCE / q) + q^gamma dBCE]

    The second form never raises q to a negative power (gamma < 1). ``dq BCE / q`` is
    bounded where q -> 0 (hard targets: BCE ~ q and dq ~ q or const), and its term
    vanishes there for gamma > 0 (it is ~ q^gamma); where BCE is infinite (p at the
    wrong end) the BCE derivative term dominates and carries the sign, so the first
    term is dropped.
    """
    xp = inp.xp
    mod = _modulating_factor(xp, q, gamma)
    loss = mul0(xp, mod, bce)  # q = 0 only where p_t = 1, i.e. BCE = 0
    if alpha_t is not None:
        loss = mul0(xp, alpha_t, loss)
    grad = None
    if dbce is not None and dq is not None:
        grad = mul0(xp, mod, dbce)
        if gamma != 0.0:
            drop = (q == 0) | xp.isinf(bce)
            q_safe = xp.where(drop, xp.ones_like(q), q)
            bce_safe = xp.where(drop, xp.zeros_like(bce), bce)
            grad = grad + gamma * mod * (dq * (bce_safe / q_safe))  # no underflow of dq * BCE
        if alpha_t is not None:
            grad = mul0(xp, alpha_t, grad)
    return finish_binary(inp, loss, grad)


def _binary_focal(
    probs: Array,
    target: Array,
    *,
    gamma: float,
    alpha: float | None,
    sample_weight: Array | None,
    label_smoothing: float,
    reduction: str,
    clip: float | None,
    with_grad: bool,
) -> ValueAndGrad:
    g = check_gamma(gamma)
    a = None if alpha is None else check_alpha_scalar(alpha)
    eps = check_clip(clip)
    inp = prepare_binary(
        "probs",
        probs,
        target,
        sample_weight=sample_weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
    )
    xp, y = inp.xp, inp.y
    p, inside = clip_probabilities(xp, inp.x, eps)
    # q = 1 - p_t with p_t = p y + (1 - p)(1 - y), written as y (1 - p) + (1 - y) p so a
    # hard negative's q = p is exact even for tiny p (1 - p_t would cancel).
    q = y * (1.0 - p) + (1.0 - y) * p
    # torchvision multiplies the (soft-target) BCE itself, not -log p_t.
    bce = 0.0 - (xlogy(xp, y, p) + xlog1py(xp, 1.0 - y, -p))
    dbce = dq = None
    if with_grad:
        dbce = ratio(xp, 1.0 - y, 1.0 - p) - ratio(xp, y, p)  # d BCE / dp
        dq = 1.0 - 2.0 * y  # d q / dp
    out = _binary_focal_finish(
        inp, alpha_t=_alpha_t(inp, a), q=q, bce=bce, dbce=dbce, dq=dq, gamma=g
    )
    if inside is not None and out.grad is not None:  # d clip(p) / dp = 0 where p moved
        return ValueAndGrad(out.value, xp.where(inside, out.grad, xp.zeros_like(out.grad)))
    return out


def _binary_focal_logits(
    logits: Array,
    target: Array,
    *,
    gamma: float,
    alpha: float | None,
    sample_weight: Array | None,
    label_smoothing: float,
    reduction: str,
    with_grad: bool,
) -> ValueAndGrad:
    g = check_gamma(gamma)
    a = None if alpha is None else check_alpha_scalar(alpha)
    inp = prepare_binary(
        "logits",
        logits,
        target,
        sample_weight=sample_weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
    )
    xp, x, y = inp.xp, inp.x, inp.y
    s, s_neg = sigmoid(x), sigmoid(-x)  # sigma(-x) = 1 - sigma(x) without cancellation
    q = y * s_neg + (1.0 - y) * s  # 1 - p_t
    bce = 0.0 - (mul0(xp, y, log_sigmoid(x)) + mul0(xp, 1.0 - y, log_sigmoid(-x)))
    dbce = dq = None
    if with_grad:
        dbce = (1.0 - y) * s - y * s_neg  # d BCE / dx = sigma(x) - y
        dq = (1.0 - 2.0 * y) * (s * s_neg)  # d q / dx, as sigma' = sigma(x) sigma(-x)
    return _binary_focal_finish(
        inp, alpha_t=_alpha_t(inp, a), q=q, bce=bce, dbce=dbce, dq=dq, gamma=g
    )


def _binary_focal_value_and_grad(
    probs: Array,
    target: Array,
    /,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    sample_weight: Array | None = None,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
    clip: float | None = None,
) -> ValueAndGrad:
    return _binary_focal(
        probs,
        target,
        gamma=gamma,
        alpha=alpha,
        sample_weight=sample_weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
        clip=clip,
        with_grad=True,
    )


def _binary_focal_logits_value_and_grad(
    logits: Array,
    target: Array,
    /,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    sample_weight: Array | None = None,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
) -> ValueAndGrad:
    return _binary_focal_logits(
        logits,
        target,
        gamma=gamma,
        alpha=alpha,
        sample_weight=sample_weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
        with_grad=True,
    )


@register_value_and_grad(_binary_focal_value_and_grad)
def binary_focal_loss(
    probs: Array,
    target: Array,
    /,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    sample_weight: Array | None = None,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
    clip: float | None = None,
) -> Array:
    r"""Binary focal loss from probabilities, elementwise.

    Parameters
    ----------
    probs : array, shape (...)
        Predicted probabilities of the positive outcome, in ``[0, 1]``; every entry is
        one item.
    target : array, shape (...)
        Targets in ``[0, 1]`` (hard or soft labels), same shape as ``probs``.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`; ``0`` gives the binary cross-entropy.
    alpha : float, optional
        Balancing factor in ``[0, 1]``: positives are weighted by ``alpha``, negatives
        by ``1 - alpha``. Default ``None``: no balancing (torchvision's default is 0.25).
    sample_weight : array, optional
        Non-negative per-item weights broadcast to the input shape; ``"mean"`` is the
        average weighted by them.
    label_smoothing : float, default 0.0
        ``e`` in ``[0, 1]``: the target becomes ``y (1 - e) + e / 2`` before anything
        else (Keras' ``BinaryFocalCrossentropy``).
    reduction : {"mean", "sum", "none"}, default "mean"
        torchvision's default is ``"none"``.
    clip : float, optional
        Clip ``probs`` to ``[clip, 1 - clip]`` first (``0 < clip < 0.5``); default exact.

    Returns
    -------
    array
        Scalar, or the input shape for ``reduction="none"``, in the floating dtype,
        array type and device of ``probs``.

    Raises
    ------
    ValueError
        If ``probs`` or ``target`` has an entry outside ``[0, 1]`` or NaN, the shapes
        differ, ``gamma < 0``, ``alpha`` is outside ``[0, 1]``, or ``clip`` is outside
        ``(0, 0.5)``.

    See Also
    --------
    binary_focal_loss_with_logits : The same loss from logits, computed stably.
    binary_cross_entropy : The ``gamma=0``, ``alpha=None`` case.

    Notes
    -----
    With :math:`p_t = p y + (1 - p)(1 - y)` and
    :math:`\alpha_t = \alpha y + (1 - \alpha)(1 - y)`, item :math:`i` has the loss

    .. math::

        \ell_i = -s_i\,\alpha_t (1 - p_t)^\gamma
                 \left[ y \log p + (1 - y) \log(1 - p) \right],

    which for hard labels is the paper's :math:`-\alpha_t (1 - p_t)^\gamma \log p_t`.
    For soft labels the modulating factor multiplies the binary cross-entropy, exactly
    as ``torchvision.ops.sigmoid_focal_loss`` and Keras' ``BinaryFocalCrossentropy``
    (which averages over the last axis; use ``reduction="none"`` and average yourself
    to reproduce it). :math:`1 - p_t` is computed as :math:`y(1 - p) + (1 - y) p`, and
    :math:`0^0 = 1`. The ``"mean"`` normaliser is the sum of ``sample_weight`` (the item
    count without it); ``alpha`` is part of the loss, not of the normaliser. Edge
    conventions (``inf`` at ``p = 0`` with ``y > 0``, NaN mean over no items) follow
    :func:`binary_cross_entropy`.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss for Dense
       Object Detection", ICCV 2017, https://arxiv.org/abs/1708.02002

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.losses import binary_cross_entropy
    >>> p = np.array([0.9, 0.6, 0.1])
    >>> y = np.array([1.0, 1.0, 0.0])
    >>> binary_focal_loss(p, y, reduction="none").round(6).tolist()  # easy items fade
    [0.001054, 0.081732, 0.001054]
    >>> bool(binary_focal_loss(p, y, gamma=0.0) == binary_cross_entropy(p, y))
    True
    """
    return _binary_focal(
        probs,
        target,
        gamma=gamma,
        alpha=alpha,
        sample_weight=sample_weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
        clip=clip,
        with_grad=False,
    ).value


@register_value_and_grad(_binary_focal_logits_value_and_grad)
def binary_focal_loss_with_logits(
    logits: Array,
    target: Array,
    /,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    sample_weight: Array | None = None,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
) -> Array:
    r"""Binary focal loss of ``sigmoid(logits)``: ``torchvision.ops.sigmoid_focal_loss``.

    Parameters
    ----------
    logits : array, shape (...)
        Real-valued scores of the positive outcome (``+-inf`` allowed, NaN not).
    target : array, shape (...)
        Targets in ``[0, 1]`` (hard or soft labels), same shape as ``logits``.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : float, optional
        Balancing factor in ``[0, 1]`` for positives (``1 - alpha`` for negatives).
        Default ``None``: none (torchvision's default is 0.25, its ``alpha < 0`` means
        none).
    sample_weight : array, optional
        Non-negative per-item weights broadcast to the input shape.
    label_smoothing : float, default 0.0
        ``e`` in ``[0, 1]``: the target becomes ``y (1 - e) + e / 2``.
    reduction : {"mean", "sum", "none"}, default "mean"
        torchvision's default is ``"none"``.

    Returns
    -------
    array
        Scalar, or the input shape for ``reduction="none"``, in the floating dtype,
        array type and device of ``logits``.

    Raises
    ------
    ValueError
        If ``logits`` has a NaN, ``target`` an entry outside ``[0, 1]``, the shapes
        differ, ``gamma < 0`` or ``alpha`` is outside ``[0, 1]``.

    See Also
    --------
    binary_focal_loss : The same loss from probabilities.
    binary_cross_entropy_with_logits : The ``gamma=0``, ``alpha=None`` case.

    Notes
    -----
    As :func:`binary_focal_loss` with :math:`p = \sigma(x)`; the cross-entropy term is
    :func:`binary_cross_entropy_with_logits` and
    :math:`1 - p_t = y\,\sigma(-x) + (1 - y)\,\sigma(x)`, so nothing cancels or
    overflows for any finite logit. With ``alpha=0.25, reduction="none"`` this is
    ``torchvision.ops.sigmoid_focal_loss`` (up to rounding: torchvision forms
    ``1 - p_t`` by subtraction).

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss for Dense
       Object Detection", ICCV 2017, https://arxiv.org/abs/1708.02002
    .. [2] torchvision, ``torchvision.ops.sigmoid_focal_loss``,
       https://pytorch.org/vision/stable/generated/torchvision.ops.sigmoid_focal_loss.html

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([3.0, -2.0, 40.0])
    >>> y = np.array([1.0, 1.0, 0.0])
    >>> binary_focal_loss_with_logits(x, y, alpha=0.25, reduction="none").round(6).tolist()
    [2.7e-05, 0.41252, 30.0]
    """
    return _binary_focal_logits(
        logits,
        target,
        gamma=gamma,
        alpha=alpha,
        sample_weight=sample_weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
        with_grad=False,
    ).value


# --------------------------------------------------------------------------------------
# Categorical focal loss (Keras' CategoricalFocalCrossentropy semantics)
# --------------------------------------------------------------------------------------


class _CategoricalInputs(NamedTuple):
    xp: Any
    input: Array  # the caller's array (result dtype)
    x: Array  # probabilities or logits in the compute dtype
    t: Array  # (smoothed) target distribution, same shape as x, 0 on ignored items
    alpha: Array | None  # per-class factor broadcast along the class axis, or None
    factor: Array | None  # per-item weight (sample_weight * not-ignored), item shape
    axis: int
    reduction: Reduction


def _class_shape(ndim: int, axis: int, num_classes: int) -> tuple[int, ...]:
    return tuple(num_classes if d == axis else 1 for d in range(ndim))


def _check_sums_to_one(xp: Any, p: Array, axis: int, shown_axis: int) -> None:
    """Raise ``ValueError`` unless every slice of ``probs`` along ``axis`` sums to 1."""
    if p.shape[axis] == 0:
        return
    tol = default_tolerance(xp, p.dtype)
    totals = xp.sum(p, axis=axis)
    off = xp.abs(totals - 1.0) > tol
    if bool(xp.any(off)):
        index = first_index(off)
        where = "[" + ", ".join(str(i) for i in index) + "]"
        total = float(to_numpy(totals)[index])
        msg = (
            f"probs must sum to 1 along axis {shown_axis} (tolerance {tol:.3g}); the slice at "
            f"index {where} sums to {total!r}. Renormalise explicitly, e.g. "
            f"probs / probs.sum(axis={shown_axis}, keepdims=True)."
        )
        raise ValueError(msg)


def _prepare_categorical(
    input_name: str,
    values: Array,
    target: Array,
    *,
    alpha: float | Array | None,
    axis: int,
    sample_weight: Array | None,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: str,
) -> _CategoricalInputs:
    red = check_reduction(reduction)
    smoothing = check_label_smoothing(label_smoothing)
    alpha_is_scalar = alpha is None or isinstance(alpha, (int, float))
    alpha_array = None if alpha_is_scalar else alpha
    xp, (x, t, sw, a) = namespace(values, target, sample_weight, alpha_array)
    if x.ndim == 0:
        msg = f"{input_name} must have a class axis (at least 1 dimension), got a scalar"
        raise ValueError(msg)
    ax = check_axis(axis, x.ndim)
    num_classes = int(x.shape[ax])
    item_shape = tuple(n for d, n in enumerate(x.shape) if d != ax)
    dtype = compute_dtype(xp, x.dtype)
    xc = x if x.dtype == dtype else xp.astype(x, dtype)
    if input_name == "probs":
        check_probabilities(xp, "probs", xc, axis=None)
        _check_sums_to_one(xp, xc, ax, axis)
    else:
        check_finite(xp, "logits", xc, allow_inf=True)  # +-inf are limits; NaN is an error

    valid = None
    if xp.isdtype(t.dtype, "integral"):
        if tuple(t.shape) != item_shape:
            msg = (
                f"integer target (class labels) must have the shape of {input_name} "
                f"without axis {axis}, {item_shape}, got {tuple(t.shape)}"
            )
            raise ValueError(msg)
        if ignore_index is not None and (
            isinstance(ignore_index, bool) or not isinstance(ignore_index, int)
        ):
            msg = f"ignore_index must be an int or None, got {ignore_index!r}"
            raise TypeError(msg)
        check_labels(xp, "target", t, num_classes, ignore_index=ignore_index)
        classes = xp.reshape(
            xp.arange(num_classes, dtype=t.dtype, device=device(t)),
            _class_shape(x.ndim, ax, num_classes),
        )
        # One-hot by comparison, not take_along_axis (which Dask lacks).
        onehot = xp.expand_dims(t, axis=ax) == classes
        if ignore_index is not None:
            valid = t != ignore_index
            onehot = onehot & xp.expand_dims(valid, axis=ax)
        tt = xp.astype(onehot, dtype)
    else:
        if tuple(t.shape) != tuple(x.shape):
            msg = (
                f"target must have the shape of {input_name}, {tuple(x.shape)} "
                f"(probabilities), or {item_shape} (integer class labels), got "
                f"{tuple(t.shape)}"
            )
            raise ValueError(msg)
        tt = t if t.dtype == dtype else xp.astype(t, dtype)
        check_probabilities(
            xp, "target", t if xp.isdtype(t.dtype, "real floating") else tt, axis=None
        )
    if smoothing != 0.0:
        # PyTorch's and Keras' rule (1 - e) t + e / C, including the true class.
        tt = tt * (1.0 - smoothing) + smoothing / num_classes
        if valid is not None:
            tt = xp.where(xp.expand_dims(valid, axis=ax), tt, xp.zeros_like(tt))

    alpha_b = None
    if a is not None:
        if tuple(a.shape) not in ((), (num_classes,)):
            msg = (
                f"alpha must be a scalar or have shape ({num_classes},) (one factor per "
                f"class), got shape {tuple(a.shape)}"
            )
            raise ValueError(msg)
        a = xp.astype(a, dtype)
        check_probabilities(xp, "alpha", a, axis=None)
        alpha_b = xp.reshape(a, _class_shape(x.ndim, ax, num_classes) if a.ndim else ())
    elif alpha is not None:
        alpha_b = xp.full((), check_alpha_scalar(alpha), dtype=dtype, device=device(xc))

    sw_b = broadcast_sample_weight(xp, sw, item_shape, dtype)
    factor = sw_b
    if valid is not None:
        valid_f = xp.astype(valid, dtype)
        factor = valid_f if sw_b is None else sw_b * valid_f
    return _CategoricalInputs(xp, x, xc, tt, alpha_b, factor, ax, red)


def _categorical_focal(
    input_name: str,
    values: Array,
    target: Array,
    *,
    gamma: float,
    alpha: float | Array | None,
    axis: int,
    sample_weight: Array | None,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: str,
    clip: float | None,
    with_grad: bool,
) -> ValueAndGrad:
    g = check_gamma(gamma)
    eps = check_clip(clip) if input_name == "probs" else None
    inp = _prepare_categorical(
        input_name,
        values,
        target,
        alpha=alpha,
        axis=axis,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
    )
    xp, ax = inp.xp, inp.axis
    inside = None
    if input_name == "probs":
        p, inside = clip_probabilities(xp, inp.x, eps)
        log_p = safe_log(xp, p)
        q = 1.0 - p
    else:
        log_p = log_softmax(inp.x, axis=ax)
        p = xp.exp(log_p)
        q = -xp.expm1(log_p)  # 1 - p_c from log p_c: no rounding of p_c near 1 first
    # Class weight alpha_c t_c; 0 where the target has no mass (then the term is 0).
    at = inp.t if inp.alpha is None else inp.alpha * inp.t
    mod = _modulating_factor(xp, q, g)
    # l = -sum_c alpha_c t_c (1 - p_c)^gamma log p_c. log p_c is zeroed where the class
    # weight is 0 *before* any product, so neither the value nor autograd meets 0 * -inf
    # (p_c = 0 in a class without target mass is common); mod = 0 only where log p_c = 0.
    log_p_used = xp.where(at == 0, xp.zeros_like(log_p), log_p)
    per_class = (at * mod) * (0.0 - log_p_used)
    per_item = xp.sum(per_class, axis=ax)
    factor = inp.factor
    weighted = per_item if factor is None else mul0(xp, factor, per_item)
    value = _finish(xp, reduce_loss(xp, weighted, factor, inp.reduction), inp.input)
    if not with_grad:
        return ValueAndGrad(value, None)

    # With f_c(p) = -alpha_c t_c (1 - p)^gamma log p (classes treated independently):
    #   f_c'(p) = alpha_c t_c [gamma (1-p)^(gamma-1) log p - (1-p)^gamma / p]
    #           = alpha_c t_c [gamma q^gamma (log p / q) - q^gamma / p],   q = 1 - p,
    # the second form never raising q to a negative power; log p / q -> -1 as q -> 0,
    # so its term vanishes there (gamma > 0).
    q_zero = q == 0
    q_safe = xp.where(q_zero, xp.ones_like(q), q)
    if input_name == "probs":
        d = 0.0 - ratio(xp, mod, p)
        if g != 0.0:
            log_ratio = xp.where(q_zero, xp.zeros_like(q), log_p / q_safe)
            d = d + g * mul0(xp, mod, log_ratio)
        grad = mul0(xp, at, d)
        if inside is not None:  # d clip(p) / dp = 0 where p was moved
            grad = xp.where(inside, grad, xp.zeros_like(grad))
    else:
        # Through the softmax, dp_c/dx_k = p_c (delta_ck - p_k), so with h_c = p_c f_c'(p_c)
        #   dl/dx_k = h_k - p_k sum_c h_c,
        #   h_c = alpha_c t_c [gamma q^gamma (p log p / q) - q^gamma]   (no division by p).
        h = 0.0 - mod
        if g != 0.0:
            p_log_p = mul0(xp, p, log_p)  # 0 log 0 = 0 for -inf logits
            h = h + g * mod * xp.where(q_zero, xp.zeros_like(q), p_log_p / q_safe)
        h = mul0(xp, at, h)
        grad = h - p * xp.sum(h, axis=ax, keepdims=True)
    if factor is not None:
        grad = mul0(xp, xp.expand_dims(factor, axis=ax), grad)
    scale = reduction_scale(xp, tuple(per_item.shape), factor, inp.reduction, grad.dtype)
    return ValueAndGrad(value, _finish(xp, apply_reduction_scale(xp, grad, scale), inp.input))


def _categorical_focal_value_and_grad(
    probs: Array,
    target: Array,
    /,
    *,
    gamma: float = 2.0,
    alpha: float | Array | None = None,
    axis: int = -1,
    sample_weight: Array | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
    clip: float | None = None,
) -> ValueAndGrad:
    return _categorical_focal(
        "probs",
        probs,
        target,
        gamma=gamma,
        alpha=alpha,
        axis=axis,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        clip=clip,
        with_grad=True,
    )


def _softmax_focal_value_and_grad(
    logits: Array,
    target: Array,
    /,
    *,
    gamma: float = 2.0,
    alpha: float | Array | None = None,
    axis: int = -1,
    sample_weight: Array | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
) -> ValueAndGrad:
    return _categorical_focal(
        "logits",
        logits,
        target,
        gamma=gamma,
        alpha=alpha,
        axis=axis,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        clip=None,
        with_grad=True,
    )


@register_value_and_grad(_categorical_focal_value_and_grad)
def categorical_focal_loss(
    probs: Array,
    target: Array,
    /,
    *,
    gamma: float = 2.0,
    alpha: float | Array | None = None,
    axis: int = -1,
    sample_weight: Array | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
    clip: float | None = None,
) -> Array:
    r"""Categorical focal loss from class probabilities.

    Parameters
    ----------
    probs : array, shape (..., C, ...)
        Predicted class probabilities along ``axis``: entries in ``[0, 1]``, each slice
        summing to one (within ``sqrt(eps)`` of the dtype; nothing is renormalised).
    target : array
        Integer class labels of shape ``probs.shape`` without ``axis`` (``ignore_index``
        marks items to skip), or target probabilities of the shape of ``probs``.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`; ``0`` gives the cross-entropy.
    alpha : float or array of shape (C,), optional
        Balancing factor(s) in ``[0, 1]``, one for all classes or one per class.
        Default ``None``: no balancing (Keras' default is 0.25).
    axis : int, default -1
        The class axis (``1`` for PyTorch's ``(N, C, d1, ...)`` layout).
    sample_weight : array, optional
        Non-negative per-item weights, broadcast to ``probs.shape`` without ``axis``.
    ignore_index : int or None, default -100
        Label value whose items contribute 0 and do not count in the mean (integer
        labels only); ``None``: every label must be a class.
    label_smoothing : float, default 0.0
        ``e`` in ``[0, 1]``: the target becomes ``(1 - e) t + e / C``.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per item (``probs.shape`` without ``axis``).
    clip : float, optional
        Clip ``probs`` to ``[clip, 1 - clip]`` first (``0 < clip < 0.5``); default exact.

    Returns
    -------
    array
        Scalar, or the item shape for ``reduction="none"``, in the floating dtype, array
        type and device of ``probs``.

    Raises
    ------
    ValueError
        If ``probs`` has an entry outside ``[0, 1]``, a NaN or a slice not summing to
        one; if ``target`` has a label out of range or a probability outside ``[0, 1]``;
        on a shape mismatch; or if ``gamma``, ``alpha`` or ``clip`` is out of range.
    TypeError
        If an option has the wrong type.

    See Also
    --------
    softmax_focal_loss : The same loss from logits.
    binary_focal_loss : The binary (sigmoid) focal loss.

    Notes
    -----
    Item :math:`i` with target distribution :math:`t` (the one-hot of its label,
    smoothed if asked) has the loss

    .. math::

        \ell_i = -s_i \sum_c \alpha_c\, t_c\, (1 - p_c)^\gamma \log p_c,

    Keras' ``CategoricalFocalCrossentropy`` (whose ``reduction="sum_over_batch_size"``
    is our ``"mean"`` without ``sample_weight``; Keras renormalises and clips to
    ``1e-7`` where this function checks and is exact). With ``gamma=0`` and
    ``alpha=None`` it is the categorical cross-entropy. Terms with :math:`t_c = 0` are 0
    even where :math:`p_c = 0`, and :math:`0^0 = 1`. ``"mean"`` divides by the sum of
    ``sample_weight`` over non-ignored items (their count without it); ``alpha`` is part
    of the loss, not of the normaliser; with every item ignored the mean is NaN and its
    gradient 0 (PyTorch's convention).

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss for Dense
       Object Detection", ICCV 2017, https://arxiv.org/abs/1708.02002
    .. [2] Keras, ``keras.losses.CategoricalFocalCrossentropy``,
       https://keras.io/api/losses/probabilistic_losses/

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    >>> labels = np.array([0, 1])
    >>> categorical_focal_loss(p, labels, reduction="none").round(6).tolist()
    [0.032101, 0.589947]
    >>> ce = -np.log([0.7, 0.3]).mean()
    >>> bool(np.isclose(categorical_focal_loss(p, labels, gamma=0.0), ce))
    True
    """
    return _categorical_focal(
        "probs",
        probs,
        target,
        gamma=gamma,
        alpha=alpha,
        axis=axis,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        clip=clip,
        with_grad=False,
    ).value


@register_value_and_grad(_softmax_focal_value_and_grad)
def softmax_focal_loss(
    logits: Array,
    target: Array,
    /,
    *,
    gamma: float = 2.0,
    alpha: float | Array | None = None,
    axis: int = -1,
    sample_weight: Array | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
) -> Array:
    r"""Categorical focal loss of ``softmax(logits, axis)``, computed stably.

    Parameters
    ----------
    logits : array, shape (..., C, ...)
        Real-valued class scores along ``axis``; ``-inf`` is a masked class
        (probability 0) and a single ``+inf`` the limit where its class has all the
        mass (as :func:`~crossentropy.losses.log_softmax`); NaN is an error.
    target : array
        Integer class labels of shape ``logits.shape`` without ``axis``, or target
        probabilities of the shape of ``logits``.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`; ``0`` gives the softmax cross-entropy.
    alpha : float or array of shape (C,), optional
        Balancing factor(s) in ``[0, 1]``; default ``None`` (none).
    axis : int, default -1
        The class axis.
    sample_weight : array, optional
        Non-negative per-item weights, broadcast to ``logits.shape`` without ``axis``.
    ignore_index : int or None, default -100
        Label value of items to skip (integer labels only); ``None``: none.
    label_smoothing : float, default 0.0
        ``e`` in ``[0, 1]``: the target becomes ``(1 - e) t + e / C``.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per item.

    Returns
    -------
    array
        Scalar, or the item shape for ``reduction="none"``, in the floating dtype, array
        type and device of ``logits``.

    Raises
    ------
    ValueError
        On NaN logits, bad labels or target probabilities, a shape
        mismatch, or ``gamma``/``alpha`` out of range.

    See Also
    --------
    categorical_focal_loss : The same loss from probabilities (formula, conventions).

    Notes
    -----
    :math:`\log p_c` is ``log_softmax(logits)`` (max-shifted, no overflow) and
    :math:`1 - p_c = -\operatorname{expm1}(\log p_c)`. With ``gamma=0`` and
    ``alpha=None`` this is the softmax cross-entropy, PyTorch's ``cross_entropy``
    (labels, ``ignore_index``, ``label_smoothing``, probability targets). The gradient
    (``value_and_grad``) is :math:`h_k - p_k \sum_c h_c` with
    :math:`h_c = p_c\, \partial\ell/\partial p_c`; for ``gamma=0, alpha=None`` it is
    :math:`p - t`.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss for Dense
       Object Detection", ICCV 2017, https://arxiv.org/abs/1708.02002

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.losses import value_and_grad
    >>> x = np.array([[2.0, 0.0, -1.0]])
    >>> round(float(softmax_focal_loss(x, np.array([0]))), 6)
    0.004144
    >>> out = value_and_grad(softmax_focal_loss)(x, np.array([0]), gamma=0.0)
    >>> out.grad.round(6).tolist()  # softmax(x) - onehot
    [[-0.156205, 0.114195, 0.04201]]
    """
    return _categorical_focal(
        "logits",
        logits,
        target,
        gamma=gamma,
        alpha=alpha,
        axis=axis,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        clip=None,
        with_grad=False,
    ).value
