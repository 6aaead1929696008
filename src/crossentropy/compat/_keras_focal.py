"""Keras' ``binary_focal_crossentropy`` and ``categorical_focal_crossentropy``, per sample."""

from __future__ import annotations

from crossentropy._array_api import Array, namespace
from crossentropy._numerics import sigmoid
from crossentropy._validation import check_axis
from crossentropy.compat._common import (
    as_float,
    finish,
    ignore_fp_warnings,
)
from crossentropy.compat._keras_common import (
    EPSILON,
    check_rank,
    check_same_shape,
    prepare,
    smooth_categorical,
    torch_bce,
    warn_single_class,
)

__all__ = ["binary_focal_crossentropy", "categorical_focal_crossentropy"]


def binary_focal_crossentropy(  # noqa: PLR0917 - Keras' positional signature
    y_true: Array,
    y_pred: Array,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Array:
    r"""``keras.losses.binary_focal_crossentropy``: focal BCE averaged over ``axis``.

    Mirrors Keras 3.15: the focal factor :math:`(1 - p_t)^\gamma` uses the *unclipped*
    probability, the cross-entropy the clipped one; ``alpha`` weighs positives only
    with ``apply_class_balancing=True``.

    Parameters
    ----------
    y_true : array
        Targets in ``[0, 1]``, the shape of ``y_pred``.
    y_pred : array
        Probabilities or, with ``from_logits=True``, logits.
    apply_class_balancing : bool, default False
        Weigh positives by ``alpha`` and negatives by ``1 - alpha``.
    alpha : float, default 0.25
        The positive-class weight (only with ``apply_class_balancing``).
    gamma : float, default 2.0
        Focusing parameter; 0 gives :func:`binary_crossentropy`.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    label_smoothing : float, default 0.0
        Targets move toward 0.5 as in :func:`binary_crossentropy`.
    axis : int, default -1
        The axis to average over.

    Returns
    -------
    array
        ``y_pred``'s shape without ``axis``.

    Raises
    ------
    ValueError
        If the shapes differ or ``axis`` is out of range.

    Notes
    -----
    With :math:`p = \sigma(x)` from logits, :math:`p_t = y p + (1-y)(1-p)`:
    :math:`\ell = w\,(1 - p_t)^\gamma\,\mathrm{BCE}(y, \operatorname{clip}(p))`, with
    :math:`w = y\alpha + (1-y)(1-\alpha)` under class balancing, else 1.

    Examples
    --------
    >>> import numpy as np
    >>> y_true, y_pred = np.array([[0, 1], [0, 0]]), np.array([[0.6, 0.4], [0.4, 0.6]])
    >>> binary_focal_crossentropy(y_true, y_pred, gamma=2).round(4).tolist()
    [0.3299, 0.2058]
    """
    xp, yt, yp, out_dtype = prepare(y_true, y_pred)
    yt = as_float(xp, yt, yp.dtype)
    check_same_shape(yt, yp)
    axis = check_axis(axis, yp.ndim)
    with ignore_fp_warnings():
        if label_smoothing:
            yt = yt * (1.0 - label_smoothing) + 0.5 * label_smoothing
        if from_logits:
            yp = sigmoid(yp)
        bce = torch_bce(xp, yt, xp.clip(yp, EPSILON, 1.0 - EPSILON))
        p_t = yt * yp + (1 - yt) * (1 - yp)
        focal = (1.0 - p_t) ** gamma * bce
        if apply_class_balancing:
            focal = (yt * alpha + (1 - yt) * (1 - alpha)) * focal
        result = xp.mean(focal, axis=axis)
    return finish(xp, result, out_dtype)


def categorical_focal_crossentropy(  # noqa: PLR0917 - Keras' positional signature
    y_true: Array,
    y_pred: Array,
    alpha: float | Array = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Array:
    r"""``keras.losses.categorical_focal_crossentropy``: per-sample focal CE.

    Mirrors Keras 3.15: ``y_pred`` (softmax of the logits with ``from_logits=True``) is
    renormalised and clipped to ``[1e-7, 1 - 1e-7]``; every class term is weighted by
    ``alpha * (1 - p_c)^gamma``.

    Parameters
    ----------
    y_true : array, shape (..., C)
        One-hot (or soft) targets, the shape of ``y_pred``.
    y_pred : array, shape (..., C)
        Probabilities or, with ``from_logits=True``, logits.
    alpha : float or array of shape (C,), default 0.25
        Class weight(s), broadcast against the last axis.
    gamma : float, default 2.0
        Focusing parameter.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    label_smoothing : float, default 0.0
        As in :func:`categorical_crossentropy`.
    axis : int, default -1
        The class axis.

    Returns
    -------
    array
        One loss per sample.

    Raises
    ------
    ValueError
        If the shapes differ or ``y_pred`` is 0-d.

    Warns
    -----
    SyntaxWarning
        When the last axis has size 1 (Keras' warning).

    Notes
    -----
    :math:`\sum_c -\alpha_c (1 - p_c)^\gamma\, y_c \log p_c` with
    :math:`p = \operatorname{clip}(q / \sum_j q_j)`.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[0, 1, 0], [0, 0, 1]])
    >>> y_pred = np.array([[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]])
    >>> categorical_focal_crossentropy(y_true, y_pred).round(6).tolist()
    [0.000263, 0.675912]
    """
    xp, yt, yp, out_dtype = prepare(y_true, y_pred)
    yt = as_float(xp, yt, yp.dtype)
    check_rank(yp)
    warn_single_class("categorical_focal_crossentropy", yp)
    check_same_shape(yt, yp)
    axis = check_axis(axis, yp.ndim)
    _, (_, alpha_arr) = namespace(yp, alpha)
    alpha_arr = as_float(xp, alpha_arr, yp.dtype)
    with ignore_fp_warnings():
        if label_smoothing:
            yt = smooth_categorical(xp, yt, label_smoothing)
        if from_logits:
            shifted = xp.exp(yp - xp.max(yp, axis=axis, keepdims=True))
            yp = shifted * (1.0 / xp.sum(shifted, axis=axis, keepdims=True))
        output = yp / xp.sum(yp, axis=axis, keepdims=True)
        output = xp.clip(output, EPSILON, 1.0 - EPSILON)
        cce = -yt * xp.log(output)
        weighting = (1.0 - output) ** gamma * alpha_arr
        result = xp.sum(weighting * cce, axis=axis)
    return finish(xp, result, out_dtype)
