"""PyTorch's ``F.cross_entropy`` and ``F.nll_loss`` on any array library.

Class indices (with class weights, ``ignore_index`` and label smoothing) and class
probabilities, in PyTorch's operation order; see :mod:`crossentropy.compat.torch`.
"""

from __future__ import annotations

import math
from typing import Any

from crossentropy._array_api import Array, namespace
from crossentropy._validation import check_labels
from crossentropy.compat._common import (
    as_float,
    finish,
    ignore_fp_warnings,
    numel,
    pick,
    torch_log_softmax,
)
from crossentropy.compat._torch_reduction import (
    as_floating,
    resolve_reduction,
)

__all__ = ["cross_entropy", "nll_loss"]


def _check_has_class_dim(x: Array) -> None:
    if x.ndim == 0:
        msg = "input must have at least 1 dimension (the classes), got a 0-d array"
        raise ValueError(msg)


def _class_weight(xp: Any, weight: Array | None, n_classes: int, dtype: Any) -> Array | None:
    """Validate a per-class ``weight`` of shape ``(C,)``."""
    if weight is None:
        return None
    if tuple(weight.shape) != (n_classes,):
        msg = (
            f"weight must have shape ({n_classes},), one weight per class, got shape "
            f"{tuple(weight.shape)}"
        )
        raise ValueError(msg)
    return as_float(xp, weight, dtype)


def _class_shape(weight: Array, ndim: int, class_dim: int) -> tuple[int, ...]:
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return tuple(shape)


def _check_class_target(
    xp: Any, x: Array, target: Array, class_dim: int, *, probabilities_allowed: bool
) -> None:
    """Integer class indices of shape ``input.shape`` without the class dimension."""
    expected = () if x.ndim == 1 else (x.shape[0], *x.shape[2:])
    if tuple(target.shape) != expected:
        alt = " or, for class probabilities, the shape of input" if probabilities_allowed else ""
        msg = (
            f"target must have shape {expected} (input shape {tuple(x.shape)} without "
            f"the class dimension {class_dim}){alt}; got shape {tuple(target.shape)}"
        )
        raise ValueError(msg)
    if not xp.isdtype(target.dtype, "integral"):
        msg = (
            f"target of shape {tuple(target.shape)} must hold integer class indices, got "
            f"dtype {target.dtype}"
        )
        raise TypeError(msg)


def _check_label_smoothing(label_smoothing: float) -> None:
    # PyTorch only checks (and applies) smoothing when label_smoothing > 0.
    if label_smoothing > 0.0 and not label_smoothing <= 1.0:
        msg = f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing!r}"
        raise ValueError(msg)


def _nll(
    xp: Any,
    logp: Array,
    target: Array,
    weight: Array | None,
    *,
    ignore_index: int,
    reduction: str,
    class_dim: int,
) -> Array:
    """PyTorch's ``nll_loss_nd`` on validated inputs.

    Per item ``-weight[t] * logp[t]`` (``0`` where ``t == ignore_index``); ``mean``
    divides by the summed weights of the non-ignored items, so ``0 / 0 = nan`` when
    every item is ignored or the input is empty.
    """
    valid = target != ignore_index
    safe = xp.where(valid, target, xp.zeros_like(target))
    picked = pick(xp, logp, safe, class_dim)
    zero = xp.zeros_like(picked)
    if weight is None:
        item_weight = None
        per_item = xp.where(valid, -picked, zero)
    else:
        full = xp.broadcast_to(
            xp.reshape(weight, _class_shape(weight, logp.ndim, class_dim)), tuple(logp.shape)
        )
        item_weight = xp.where(valid, pick(xp, full, safe, class_dim), zero)
        per_item = xp.where(valid, -picked * item_weight, zero)
    if reduction == "none":
        return per_item
    total = xp.sum(per_item)
    if reduction == "sum":
        return total
    denominator = (
        xp.sum(xp.astype(valid, per_item.dtype)) if item_weight is None else xp.sum(item_weight)
    )
    return total / denominator


def _smoothed_nll(
    xp: Any,
    logp: Array,
    target: Array,
    weight: Array | None,
    *,
    ignore_index: int,
    reduction: str,
    class_dim: int,
    label_smoothing: float,
) -> Array:
    """PyTorch's ``cross_entropy_loss_label_smoothing``: ``(1-e) nll + e/C smooth``."""
    nll = _nll(
        xp,
        logp,
        target,
        weight,
        ignore_index=ignore_index,
        reduction=reduction,
        class_dim=class_dim,
    )
    n_classes = logp.shape[class_dim]
    if weight is None:
        smooth = -xp.sum(logp, axis=class_dim)
    else:
        weight_b = xp.reshape(weight, _class_shape(weight, logp.ndim, class_dim))
        smooth = -xp.sum(logp * weight_b, axis=class_dim)
    ignored = target == ignore_index
    smooth = xp.where(ignored, xp.zeros_like(smooth), smooth)
    if reduction == "none":
        ret = smooth
    elif reduction == "sum":
        ret = xp.sum(smooth)
    else:
        if weight is None:
            denominator = xp.sum(xp.astype(~ignored, smooth.dtype))
        else:
            safe = xp.where(ignored, xp.zeros_like(target), target)
            full = xp.broadcast_to(
                xp.reshape(weight, _class_shape(weight, logp.ndim, class_dim)), tuple(logp.shape)
            )
            picked = pick(xp, full, safe, class_dim)
            denominator = xp.sum(xp.where(ignored, xp.zeros_like(picked), picked))
        ret = xp.sum(smooth) / denominator
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


def _probability_target(
    xp: Any,
    logp: Array,
    target: Array,
    weight: Array | None,
    *,
    reduction: str,
    class_dim: int,
    label_smoothing: float,
) -> Array:
    """PyTorch's ``cross_entropy_loss_prob_target``: ``-sum(target * logp)``.

    ``mean`` divides by the number of items (``numel / C``), not by weights. A target
    of 0 against a log-probability of ``-inf`` gives ``nan`` (``0 * -inf``), as in PyTorch.
    """
    n_classes = logp.shape[class_dim]
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    product = logp * target
    if weight is not None:
        product = product * xp.reshape(weight, _class_shape(weight, logp.ndim, class_dim))
    if reduction == "none":
        return -xp.sum(product, axis=class_dim)
    total = -xp.sum(product)
    if reduction == "sum":
        return total
    size = numel(logp.shape)
    return total / float(size // n_classes) if size else total * math.nan


# --- public functions --------------------------------------------------------------------


def cross_entropy(  # noqa: PLR0917 - PyTorch's positional signature
    input: Array,
    target: Array,
    weight: Array | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Array:
    r"""``torch.nn.functional.cross_entropy``: softmax cross-entropy from logits.

    Mirrors PyTorch 2.13. Differences from :func:`crossentropy.losses.softmax_cross_entropy`:
    positional PyTorch signature, class dimension ``1``, and the legacy arguments.

    Parameters
    ----------
    input : array, shape (C,), (N, C) or (N, C, d1, ..., dk)
        Unnormalised logits; the class dimension is 1 (0 when unbatched).
    target : array
        Integer class indices of shape ``()``, ``(N,)`` or ``(N, d1, ..., dk)``, or
        class probabilities of the same shape as ``input`` (chosen by shape, as in
        PyTorch).
    weight : array, shape (C,), optional
        Per-class rescaling weights.
    size_average, reduce : bool, optional
        Deprecated; mapped to ``reduction`` as PyTorch does (with its warning).
    ignore_index : int, default -100
        Class index whose items contribute nothing, neither to the loss nor to the mean's
        denominator. Must be negative with probability targets.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'mean'`` with class indices divides by the summed class weights of the
        non-ignored items; with probabilities by the number of items.
    label_smoothing : float, default 0.0
        :math:`\epsilon \in [0, 1]`; the target becomes
        :math:`(1-\epsilon)\,y + \epsilon / C`. Values <= 0 mean no smoothing.

    Returns
    -------
    array
        A scalar, or the per-item losses (shape of the class-index target) for
        ``reduction='none'``; in the dtype of ``input``.

    Raises
    ------
    ValueError
        For a target of the wrong shape or a class index outside ``[0, C)`` that is
        not ``ignore_index``, a weight not of shape ``(C,)``, ``label_smoothing > 1``,
        ``ignore_index >= 0`` with probability targets, or an unknown reduction.
    TypeError
        For non-integer class indices or non-floating probability targets.

    Notes
    -----
    Per item :math:`\ell_n = -w_{y_n} \log\operatorname{softmax}(x_n)_{y_n}`, and with
    smoothing :math:`(1-\epsilon)\,\ell_n + \frac{\epsilon}{C}\sum_c -w_c\log p_{n,c}`.
    ``log_softmax`` is computed in PyTorch's operation order
    :math:`(x - m) - \log\sum_j e^{x_j - m}` with :math:`m = \max_j x_j`.

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> cross_entropy(logits, np.array([0, 2]), reduction="none").round(6).tolist()
    [0.241311, 0.109601]
    >>> float(cross_entropy(logits, np.array([-100, -100])))  # all ignored: 0 / 0
    nan
    """
    reduction = resolve_reduction(reduction, size_average, reduce)
    xp, (x, t, w) = namespace(input, target, weight)
    _check_has_class_dim(x)
    xc, out_dtype = as_floating(xp, x)
    class_dim = 0 if xc.ndim == 1 else 1
    n_classes = xc.shape[class_dim]
    w = _class_weight(xp, w, n_classes, xc.dtype)
    _check_label_smoothing(label_smoothing)
    with ignore_fp_warnings():
        logp = torch_log_softmax(xp, xc, class_dim)
        if tuple(t.shape) == tuple(xc.shape):
            if not xp.isdtype(t.dtype, "real floating"):
                msg = (
                    f"target of the shape of input holds class probabilities and must be "
                    f"floating, got dtype {t.dtype}"
                )
                raise TypeError(msg)
            if ignore_index >= 0:
                msg = (
                    f"ignore_index is not supported for class-probability targets (it must "
                    f"be negative), got {ignore_index}"
                )
                raise ValueError(msg)
            result = _probability_target(
                xp,
                logp,
                as_float(xp, t, xc.dtype),
                w,
                reduction=reduction,
                class_dim=class_dim,
                label_smoothing=label_smoothing,
            )
        else:
            _check_class_target(xp, xc, t, class_dim, probabilities_allowed=True)
            check_labels(xp, "target", t, n_classes, ignore_index=ignore_index)
            if label_smoothing > 0.0:
                result = _smoothed_nll(
                    xp,
                    logp,
                    t,
                    w,
                    ignore_index=ignore_index,
                    reduction=reduction,
                    class_dim=class_dim,
                    label_smoothing=label_smoothing,
                )
            else:
                result = _nll(
                    xp,
                    logp,
                    t,
                    w,
                    ignore_index=ignore_index,
                    reduction=reduction,
                    class_dim=class_dim,
                )
    return finish(xp, result, out_dtype)


def nll_loss(  # noqa: PLR0917 - PyTorch's positional signature
    input: Array,
    target: Array,
    weight: Array | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Array:
    r"""``torch.nn.functional.nll_loss``: negative log-likelihood of log-probabilities.

    Mirrors PyTorch 2.13: per item :math:`-w_{y_n}\,x_{n, y_n}`, ``0`` for ignored
    items; ``mean`` divides by the summed class weights of the non-ignored items
    (``nan`` when all are ignored). ``input`` is used as given (PyTorch does not check
    that it holds log-probabilities, and neither does this mirror).

    Parameters
    ----------
    input : array, shape (C,), (N, C) or (N, C, d1, ..., dk)
        Log-probabilities; the class dimension is 1 (0 when unbatched).
    target : array of int, shape (), (N,) or (N, d1, ..., dk)
        Class indices in ``[0, C)`` or ``ignore_index``.
    weight : array, shape (C,), optional
        Per-class rescaling weights.
    size_average, reduce : bool, optional
        Deprecated; mapped to ``reduction`` as PyTorch does (with its warning).
    ignore_index : int, default -100
        Class index whose items are skipped.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How to reduce the per-item losses.

    Returns
    -------
    array
        A scalar, or the per-item losses for ``reduction='none'``.

    Raises
    ------
    ValueError
        For a target of the wrong shape, an out-of-range class index, a weight not of
        shape ``(C,)`` or an unknown reduction.
    TypeError
        For non-integer targets.

    Examples
    --------
    >>> import numpy as np
    >>> logp = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]))
    >>> round(float(nll_loss(logp, np.array([0, 2]), weight=np.array([1.0, 1.0, 3.0]))), 6)
    0.340644
    """
    reduction = resolve_reduction(reduction, size_average, reduce)
    xp, (x, t, w) = namespace(input, target, weight)
    _check_has_class_dim(x)
    xc, out_dtype = as_floating(xp, x)
    class_dim = 0 if xc.ndim == 1 else 1
    n_classes = xc.shape[class_dim]
    w = _class_weight(xp, w, n_classes, xc.dtype)
    _check_class_target(xp, xc, t, class_dim, probabilities_allowed=False)
    check_labels(xp, "target", t, n_classes, ignore_index=ignore_index)
    with ignore_fp_warnings():
        result = _nll(
            xp, xc, t, w, ignore_index=ignore_index, reduction=reduction, class_dim=class_dim
        )
    return finish(xp, result, out_dtype)
