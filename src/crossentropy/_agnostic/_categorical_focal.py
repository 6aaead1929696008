r"""Categorical focal losses (Lin et al., 2017), from probabilities or logits, with gradients.

Keras' ``CategoricalFocalCrossentropy`` semantics: each class's cross-entropy term
:math:`-t_c \log p_c` is multiplied by the modulating factor :math:`(1 - p_c)^\gamma`,
which down-weights well-classified classes, and optionally by a balancing factor
:math:`\alpha_c`. With ``gamma=0`` and ``alpha=None`` each is exactly the corresponding
categorical cross-entropy.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from crossentropy._agnostic._elementwise import (
    clip_probabilities,
    modulating_factor,
    mul0,
    ratio,
    safe_log,
)
from crossentropy._agnostic._gradients import (
    ValueAndGrad,
    broadcast_weight,
    differentiable,
    reduce_value_and_grad,
)
from crossentropy._agnostic._options import (
    check_alpha_scalar,
    check_clip,
    check_gamma,
    check_ignore_index,
    check_label_smoothing,
)
from crossentropy._agnostic._targets import check_class_axis, class_shape, label_one_hot
from crossentropy._array_api import Array, device, namespace
from crossentropy._numerics import _softmax_parts, half_log_softmax, upcast
from crossentropy._validation import (
    Reduction,
    check_finite,
    check_probabilities,
    check_reduction,
    surely_none,
)

__all__ = ["categorical_focal_loss", "softmax_focal_loss"]


class _FocalInputs(NamedTuple):
    xp: Any
    input: Array  # the caller's array (result dtype)
    x: Array  # probabilities or logits in the compute dtype
    t: Array  # (smoothed) target distribution, same shape as x, 0 on ignored items
    alpha: Array | None  # per-class factor broadcast along the class axis, or None
    factor: Array | None  # per-item weight (sample_weight * not-ignored), item shape
    axis: int
    reduction: Reduction


def _prepare(
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
) -> _FocalInputs:
    red = check_reduction(reduction)
    smoothing = check_label_smoothing(label_smoothing)
    alpha_is_scalar = alpha is None or isinstance(alpha, (int, float))
    alpha_array = None if alpha_is_scalar else alpha
    xp, (x, t, sw, a) = namespace(
        values,
        target,
        sample_weight,
        alpha_array,
        names=(input_name, "target", "sample_weight", "alpha"),
    )
    ax = check_class_axis(input_name, x, axis)
    num_classes = int(x.shape[ax])
    item_shape = tuple(n for d, n in enumerate(x.shape) if d != ax)
    xc = upcast(xp, x)  # half precision computes in float32
    dtype = xc.dtype
    if input_name == "probs":
        # Checked, never renormalised; the message names the caller's axis.
        hint = f"Renormalise explicitly, e.g. probs / probs.sum(axis={axis}, keepdims=True)."
        check_probabilities(xp, "probs", xc, axis=axis, hint=hint)
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
        ignore = check_ignore_index(ignore_index)
        _, hot, valid = label_one_hot(xp, t, num_classes, axis=ax, ignore_index=ignore)
        tt = xp.astype(hot, dtype)
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
        alpha_b = xp.reshape(a, class_shape(x.ndim, ax, num_classes) if a.ndim else ())
    elif alpha is not None:
        alpha_b = xp.full((), check_alpha_scalar(alpha), dtype=dtype, device=device(xc))

    sw_b = broadcast_weight(xp, "sample_weight", sw, item_shape, dtype)
    factor = sw_b
    if valid is not None:
        valid_f = xp.astype(valid, dtype)
        factor = valid_f if sw_b is None else sw_b * valid_f
    return _FocalInputs(xp, x, xc, tt, alpha_b, factor, ax, red)


def _focal_terms(
    inp: _FocalInputs, log_p: Array, q: Array, gamma: float
) -> tuple[Array, Array, Array]:
    """``alpha_c t_c``, ``(1 - p_c)^gamma`` and the per-item loss (before its weight)."""
    xp = inp.xp
    # Class weight alpha_c t_c; 0 where the target has no mass (then the term is 0).
    at = inp.t if inp.alpha is None else inp.alpha * inp.t
    mod = modulating_factor(xp, q, gamma)
    # l = -sum_c alpha_c t_c (1 - p_c)^gamma log p_c. log p_c is zeroed where the class
    # weight is 0 *before* any product, so neither the value nor autograd meets 0 * -inf
    # (p_c = 0 in a class without target mass is common); mod = 0 only where log p_c = 0.
    log_p_used = xp.where(at == 0, xp.zeros_like(log_p), log_p)
    per_class = (at * mod) * (0.0 - log_p_used)
    return at, mod, xp.sum(per_class, axis=inp.axis)


def _over_q(xp: Any, a: Array, q: Array) -> Array:
    """``a / q``, and 0 where ``q = 1 - p_c = 0``.

    There ``a / q`` stays bounded (``log p / q -> -1``) and the gradient term it enters,
    ``gamma q^gamma a / q``, vanishes (``gamma > 0``), so 0 is that term's limit.
    """
    q_zero = q == 0
    q_safe = xp.where(q_zero, xp.ones_like(q), q)
    return xp.where(q_zero, xp.zeros_like(q), a / q_safe)


def _reduce(inp: _FocalInputs, per_item: Array, grad: Array | None) -> ValueAndGrad:
    # The item weight s_i [not ignored] multiplies the loss and is the mean's normaliser.
    return reduce_value_and_grad(
        inp.xp,
        inp.input,
        per_item,
        grad,
        reduction=inp.reduction,
        item_weight=inp.factor,
        factor=inp.factor,
        axis=inp.axis,
    )


def _categorical_focal(
    probs: Array,
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
    eps = check_clip(clip)
    inp = _prepare(
        "probs",
        probs,
        target,
        alpha=alpha,
        axis=axis,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
    )
    xp = inp.xp
    p, inside = clip_probabilities(xp, inp.x, eps)
    log_p = safe_log(xp, p)
    q = 1.0 - p
    at, mod, per_item = _focal_terms(inp, log_p, q, g)
    grad = None
    if with_grad:
        # With f_c(p) = -alpha_c t_c (1 - p)^gamma log p (classes treated independently):
        #   f_c'(p) = alpha_c t_c [gamma (1-p)^(gamma-1) log p - (1-p)^gamma / p]
        #           = alpha_c t_c [gamma q^gamma (log p / q) - q^gamma / p],   q = 1 - p,
        # the second form never raising q to a negative power; log p / q -> -1 as q -> 0,
        # so its term vanishes there (gamma > 0).
        d = 0.0 - ratio(xp, mod, p)
        if g != 0.0:
            d = d + g * mul0(xp, mod, _over_q(xp, log_p, q))
        grad = mul0(xp, at, d)
        if inside is not None:  # d clip(p) / dp = 0 where p was moved
            grad = xp.where(inside, grad, xp.zeros_like(grad))
    return _reduce(inp, per_item, grad)


def _softmax_focal(
    logits: Array,
    target: Array,
    *,
    gamma: float,
    alpha: float | Array | None,
    axis: int,
    sample_weight: Array | None,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: str,
    with_grad: bool,
) -> ValueAndGrad:
    g = check_gamma(gamma)
    inp = _prepare(
        "logits",
        logits,
        target,
        alpha=alpha,
        axis=axis,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
    )
    xp = inp.xp
    z, s = _softmax_parts(xp, inp.x, inp.axis)
    log_p = z - xp.log(s)
    q = -xp.expm1(log_p)  # 1 - p_c from log p_c: no rounding of p_c near 1 first
    at, mod, per_item = _focal_terms(inp, log_p, q, g)
    if not surely_none(xp, xp.isinf(per_item)):
        # As in softmax_cross_entropy: a log-probability past the dtype's range weighted
        # by less than one (label smoothing, alpha) may give a representable loss; such
        # items are redone from half log-probabilities (the term is linear in log p).
        half = half_log_softmax(xp, inp.x, z, s, inp.axis)
        with np.errstate(over="ignore"):  # beyond the range: inf is the answer
            redone = 2.0 * _focal_terms(inp, half, q, g)[2]
        per_item = xp.where(xp.isinf(per_item), redone, per_item)
    grad = None
    if with_grad:
        # With f_c'(p) = alpha_c t_c [gamma q^gamma (log p / q) - q^gamma / p] (derived in
        # _categorical_focal) and, through the softmax, dp_c/dx_k = p_c (delta_ck - p_k),
        # with h_c = p_c f_c'(p_c)
        #   dl/dx_k = h_k - p_k sum_c h_c,
        #   h_c = alpha_c t_c [gamma q^gamma (p log p / q) - q^gamma]   (no division by p).
        p = xp.exp(log_p)
        h = 0.0 - mod
        if g != 0.0:
            p_log_p = mul0(xp, p, log_p)  # 0 log 0 = 0 for -inf logits
            h = h + g * mod * _over_q(xp, p_log_p, q)
        h = mul0(xp, at, h)
        grad = h - p * xp.sum(h, axis=inp.axis, keepdims=True)
    return _reduce(inp, per_item, grad)


@differentiable(_categorical_focal)
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


@differentiable(_softmax_focal)
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
    return _softmax_focal(
        logits,
        target,
        gamma=gamma,
        alpha=alpha,
        axis=axis,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        with_grad=False,
    ).value
