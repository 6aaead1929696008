"""The per-sample functions of :mod:`crossentropy.compat.keras` (``keras.losses.*``)."""

from __future__ import annotations

from typing import Any

from crossentropy._array_api import Array, index_dtype, is_lazy
from crossentropy._validation import check_axis, found_any
from crossentropy.compat._common import (
    as_float,
    finish,
    first_bad,
    ignore_fp_warnings,
    pick,
    torch_log_sigmoid,
    torch_log_softmax,
)
from crossentropy.compat._keras_common import (
    EPSILON,
    check_rank,
    check_same_shape,
    clipped_log_probs,
    prepare,
    smooth_categorical,
    torch_bce,
    warn_single_class,
)

__all__ = [
    "EPSILON",
    "binary_crossentropy",
    "categorical_crossentropy",
    "kl_divergence",
    "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy_with_mask",
]


def categorical_crossentropy(
    y_true: Array,
    y_pred: Array,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Array:
    r"""``keras.losses.categorical_crossentropy``: per-sample CE with one-hot targets.

    Mirrors Keras 3.15. Unlike :func:`crossentropy.losses.categorical_cross_entropy`
    (exact, checked probabilities), Keras renormalises ``y_pred`` along ``axis`` and
    clips it to ``[1e-7, 1 - 1e-7]``; a zero-sum row gives NaN.

    Parameters
    ----------
    y_true : array, shape (..., C, ...)
        One-hot (or soft) targets, the shape of ``y_pred``.
    y_pred : array, shape (..., C, ...)
        Probabilities (renormalised by Keras) or logits with ``from_logits=True``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    label_smoothing : float, default 0.0
        :math:`\epsilon`: targets become :math:`(1-\epsilon)\,y + \epsilon / C`, with
        :math:`C` the size of the *last* axis (as in Keras, whatever ``axis`` is).
    axis : int, default -1
        The class axis.

    Returns
    -------
    array
        One loss per sample: ``y_pred``'s shape without ``axis``.

    Raises
    ------
    ValueError
        If the shapes differ or ``y_pred`` is 0-d.

    Warns
    -----
    SyntaxWarning
        When the last axis has size 1 (Keras' warning: use binary cross-entropy).

    Notes
    -----
    :math:`-\sum_c y_c \log \operatorname{clip}(p_c / \sum_j p_j)`, or
    :math:`-\sum_c y_c \operatorname{log\_softmax}(x)_c` from logits. A target of 0
    against a logit of ``-inf`` gives NaN (``0 * -inf``), as in Keras.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> categorical_crossentropy(y_true, np.array([[0.0, 1.0], [0.5, 0.5]])).tolist()
    [1.0000000494736474e-07, 0.6931471805599453]
    """
    xp, yt, yp, out_dtype = prepare(y_true, y_pred)
    yt = as_float(xp, yt, yp.dtype)
    check_rank(yp)
    warn_single_class("categorical_crossentropy", yp)
    check_same_shape(yt, yp)
    axis = check_axis(axis, yp.ndim)
    with ignore_fp_warnings():
        if label_smoothing:
            yt = smooth_categorical(xp, yt, label_smoothing)
        if from_logits:
            log_prob = torch_log_softmax(xp, yp, axis)
        else:
            log_prob = clipped_log_probs(xp, yp, axis)
        result = -xp.sum(yt * log_prob, axis=axis)
    return finish(xp, result, out_dtype)


def sparse_categorical_crossentropy_with_mask(
    xp: Any,
    y_true: Array,
    y_pred: Array,
    *,
    from_logits: bool,
    ignore_class: int | None,
    axis: int,
) -> tuple[Array, Array | None]:
    """Per-sample sparse CE and the mask of non-ignored items (``None`` without one)."""
    check_rank(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = xp.squeeze(y_true, axis=axis)
    class_axis = check_axis(axis, y_pred.ndim)
    expected = tuple(n for i, n in enumerate(y_pred.shape) if i != class_axis)
    if tuple(y_true.shape) != expected:
        msg = (
            f"y_true must have y_pred's shape without the class axis, {expected} (or with "
            f"a trailing 1), got {tuple(y_true.shape)}"
        )
        raise ValueError(msg)
    valid = None if ignore_class is None else y_true != ignore_class
    labels = _integer_labels(xp, y_true, valid, y_pred.shape[class_axis])
    with ignore_fp_warnings():
        if from_logits:
            log_prob = torch_log_softmax(xp, y_pred, class_axis)
        else:
            log_prob = clipped_log_probs(xp, y_pred, class_axis)
        result = -pick(xp, log_prob, labels, class_axis)
    if valid is not None:
        result = xp.where(valid, result, xp.zeros_like(result))
    return result, valid


def _integer_labels(xp: Any, y_true: Array, valid: Array | None, n_classes: int) -> Array:
    """``y_true`` as int64 class indices (``0`` where not ``valid``), checked in range.

    ``int32`` where the namespace has no ``int64`` (JAX without x64): see ``index_dtype``.
    """
    int_dtype = index_dtype(xp)
    if xp.isdtype(y_true.dtype, "bool"):
        y_true = xp.astype(y_true, int_dtype)
    check = not is_lazy(y_true)
    if check and not xp.isdtype(y_true.dtype, "integral"):
        bad = xp.floor(y_true) != y_true
        if valid is not None:
            bad = bad & valid
        if found_any(xp, bad):
            where, value = first_bad(bad, y_true)
            msg = f"y_true must hold integer class indices, found {value} at index {where}"
            raise ValueError(msg)
    labels = y_true if y_true.dtype == int_dtype else xp.astype(y_true, int_dtype)
    if valid is not None:
        labels = xp.where(valid, labels, xp.zeros_like(labels))
    bad = (labels < 0) | (labels >= n_classes)
    if check and found_any(xp, bad):
        where, value = first_bad(bad, labels)
        or_ignored = "" if valid is None else " or ignore_class"
        msg = (
            f"y_true must be class indices in [0, {n_classes}){or_ignored}; found {value} at "
            f"index {where}"
        )
        raise ValueError(msg)
    return labels


def sparse_categorical_crossentropy(
    y_true: Array,
    y_pred: Array,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> Array:
    r"""``keras.losses.sparse_categorical_crossentropy``: per-sample CE, integer labels.

    Mirrors Keras 3.15: probabilities are renormalised and clipped as in
    :func:`categorical_crossentropy`; items whose label equals ``ignore_class`` get a
    loss of ``0`` (the classes' reductions also drop them from the mean's count, see
    :class:`SparseCategoricalCrossentropy`).

    Parameters
    ----------
    y_true : array
        Class indices, of ``y_pred``'s shape without ``axis`` (a trailing axis of size
        1 is squeezed). Floating labels must be whole numbers.
    y_pred : array, shape (..., C, ...)
        Probabilities or, with ``from_logits=True``, logits.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    ignore_class : int, optional
        Label to ignore (e.g. ``-1`` or ``255`` for a "void" class).
    axis : int, default -1
        The class axis.

    Returns
    -------
    array
        One loss per sample, ``0`` for ignored samples.

    Raises
    ------
    ValueError
        For mismatched shapes, or labels that are not whole numbers in ``[0, C)``
        (other than ``ignore_class``).

    Examples
    --------
    >>> import numpy as np
    >>> y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> sparse_categorical_crossentropy(np.array([1, -1]), y_pred,
    ...                                 ignore_class=-1).round(4).tolist()
    [0.0513, 0.0]
    """
    xp, yt, yp, out_dtype = prepare(y_true, y_pred)
    result, _ = sparse_categorical_crossentropy_with_mask(
        xp, yt, yp, from_logits=from_logits, ignore_class=ignore_class, axis=axis
    )
    return finish(xp, result, out_dtype)


def binary_crossentropy(
    y_true: Array,
    y_pred: Array,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Array:
    r"""``keras.losses.binary_crossentropy``: BCE averaged over ``axis``.

    Mirrors Keras 3.15: probabilities are clipped to ``[1e-7, 1 - 1e-7]`` (so 0 and 1
    give a finite loss of about 16.1), label smoothing moves targets toward 0.5, and the
    elementwise losses are *averaged* over ``axis`` (the last, by default). From
    logits the loss is exact for any finite logit.

    Parameters
    ----------
    y_true : array
        Targets in ``[0, 1]``, the shape of ``y_pred``.
    y_pred : array
        Probabilities or, with ``from_logits=True``, logits.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    label_smoothing : float, default 0.0
        :math:`\epsilon`: targets become :math:`(1-\epsilon)\,y + \epsilon / 2`.
    axis : int, default -1
        The axis to average over.

    Returns
    -------
    array
        ``y_pred``'s shape without ``axis`` (a 1-d input gives a scalar).

    Raises
    ------
    ValueError
        If the shapes differ or ``axis`` is out of range.

    Notes
    -----
    From probabilities, with :math:`p = \operatorname{clip}(q, 10^{-7}, 1-10^{-7})`:
    :math:`-(y\log p + (1-y)\log(1-p))`; from logits
    :math:`(1-y)\,x - \log\sigma(x)`.

    Examples
    --------
    >>> import numpy as np
    >>> y_true, y_pred = np.array([[0, 1], [0, 0]]), np.array([[0.6, 0.4], [0.4, 0.6]])
    >>> binary_crossentropy(y_true, y_pred).round(4).tolist()
    [0.9163, 0.7136]
    """
    xp, yt, yp, out_dtype = prepare(y_true, y_pred)
    yt = as_float(xp, yt, yp.dtype)
    check_same_shape(yt, yp)
    axis = check_axis(axis, yp.ndim)
    with ignore_fp_warnings():
        if label_smoothing:
            yt = yt * (1.0 - label_smoothing) + 0.5 * label_smoothing
        if from_logits:
            elementwise = (1 - yt) * yp - torch_log_sigmoid(xp, yp)
        else:
            elementwise = torch_bce(xp, yt, xp.clip(yp, EPSILON, 1.0 - EPSILON))
        result = xp.mean(elementwise, axis=axis)
    return finish(xp, result, out_dtype)


def kl_divergence(y_true: Array, y_pred: Array) -> Array:
    r"""``keras.losses.kl_divergence``: :math:`\sum y \log(y / \hat y)` over the last axis.

    Mirrors Keras 3.15: both arguments are clipped to ``[1e-7, 1]`` first, so zeros
    in ``y_true`` contribute :math:`10^{-7}\log(10^{-7}/\hat y)` rather than 0, and the
    arguments are not renormalised. (Compare :func:`crossentropy.kl_divergence`, exact.)

    Parameters
    ----------
    y_true : array, shape (..., C)
        Reference distribution :math:`p`.
    y_pred : array, shape (..., C)
        Model distribution :math:`q`; broadcast against ``y_true``.

    Returns
    -------
    array
        One divergence per sample (the last axis reduced).

    Raises
    ------
    ValueError
        If the shapes do not broadcast or the input is 0-d.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> kl_divergence(y_true, np.array([[0.5, 0.5], [0.9, 0.1]])).round(6).tolist()
    [0.693146, 0.510826]
    """
    xp, yt, yp, out_dtype = prepare(y_true, y_pred)
    yt = as_float(xp, yt, yp.dtype)
    try:
        yt, yp = xp.broadcast_arrays(yt, yp)
    except (ValueError, RuntimeError) as exc:
        msg = (
            f"y_true of shape {tuple(yt.shape)} and y_pred of shape {tuple(yp.shape)} do "
            f"not broadcast"
        )
        raise ValueError(msg) from exc
    check_rank(yp)
    with ignore_fp_warnings():
        yt = xp.clip(yt, EPSILON, 1.0)
        yp = xp.clip(yp, EPSILON, 1.0)
        result = xp.sum(yt * xp.log(yt / yp), axis=-1)
    return finish(xp, result, out_dtype)
