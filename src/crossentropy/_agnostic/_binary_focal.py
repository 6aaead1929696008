r"""Binary focal losses (Lin et al., 2017), from probabilities or logits, with gradients.

The focal loss multiplies each binary cross-entropy term by the modulating factor
:math:`(1 - p_t)^\gamma`, which down-weights well-classified examples, and optionally
by a balancing factor :math:`\alpha_t` (``torchvision.ops.sigmoid_focal_loss``
semantics). With ``gamma=0`` and ``alpha=None`` each is exactly the corresponding
binary cross-entropy of :mod:`crossentropy._agnostic._binary`, whose input preparation and
reduction they share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crossentropy._agnostic._binary import BinaryInputs, finish_binary, prepare_binary
from crossentropy._agnostic._elementwise import (
    clip_probabilities,
    modulating_factor,
    mul0,
    ratio,
    xlog1py,
)
from crossentropy._agnostic._gradients import ValueAndGrad, differentiable
from crossentropy._agnostic._options import check_alpha_scalar, check_clip, check_gamma
from crossentropy._numerics import log_sigmoid, sigmoid, xlogy

if TYPE_CHECKING:
    from crossentropy._array_api import Array
    from crossentropy._validation import Reduction

__all__ = ["binary_focal_loss", "binary_focal_loss_with_logits"]


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
    mod = modulating_factor(xp, q, gamma)
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


@differentiable(_binary_focal)
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


@differentiable(_binary_focal_logits)
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
