"""Implementation of :mod:`crossentropy.compat.torch` (see its docstring for the conventions)."""

from __future__ import annotations

import math
import warnings
from typing import Any

from crossentropy._array_api import Array, compute_dtype, namespace
from crossentropy._validation import check_labels, check_probabilities
from crossentropy.compat._common import (
    as_float,
    finish,
    ignore_fp_warnings,
    numel,
    pick,
    torch_log_sigmoid,
    torch_log_softmax,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "kl_div",
    "nll_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


# --- reductions ------------------------------------------------------------------


def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """PyTorch's ``_Reduction.legacy_get_string``, with its deprecation warning."""
    average = True if size_average is None else size_average
    reduced = True if reduce is None else reduce
    if average and reduced:
        reduction = "mean"
    elif reduced:
        reduction = "sum"
    else:
        reduction = "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use "
        f"reduction='{reduction}' instead.",
        UserWarning,
        stacklevel=4,
    )
    return reduction


def _check_reduction(reduction: object) -> str:
    """PyTorch's ``_Reduction.get_enum``: 'none', 'mean', 'sum' ('elementwise_mean')."""
    if reduction == "elementwise_mean":
        warnings.warn(
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
            UserWarning,
            stacklevel=4,
        )
        return "mean"
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        msg = f"reduction must be one of 'none', 'mean', 'sum', got {reduction!r}"
        raise ValueError(msg)
    return reduction


def _resolve_reduction(reduction: str, size_average: bool | None, reduce: bool | None) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    return _check_reduction(reduction)


def _reduce(xp: Any, loss: Array, reduction: str) -> Array:
    """PyTorch's ``apply_loss_reduction``: the mean of no elements is ``nan``."""
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    if reduction == "sum":
        return total
    return total / float(numel(loss.shape)) if numel(loss.shape) else total * math.nan


# --- argument checks ---------------------------------------------------------------


def _floating(xp: Any, x: Array) -> tuple[Array, Any]:
    """``x`` in its compute dtype and the dtype of the result (the input's own)."""
    xc = as_float(xp, x)
    out_dtype = x.dtype if xp.isdtype(x.dtype, "real floating") else xc.dtype
    return xc, out_dtype


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


def _broadcast_to(xp: Any, name: str, value: Array, shape: tuple[int, ...], dtype: Any) -> Array:
    try:
        return xp.broadcast_to(as_float(xp, value, dtype), shape)
    except (ValueError, RuntimeError) as exc:
        msg = f"{name} of shape {tuple(value.shape)} does not broadcast to the input shape {shape}"
        raise ValueError(msg) from exc


# --- negative log-likelihood core ------------------------------------------------------


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
    reduction = _resolve_reduction(reduction, size_average, reduce)
    xp, (x, t, w) = namespace(input, target, weight)
    _check_has_class_dim(x)
    xc, out_dtype = _floating(xp, x)
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
    reduction = _resolve_reduction(reduction, size_average, reduce)
    xp, (x, t, w) = namespace(input, target, weight)
    _check_has_class_dim(x)
    xc, out_dtype = _floating(xp, x)
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


def binary_cross_entropy(  # noqa: PLR0917 - PyTorch's positional signature
    input: Array,
    target: Array,
    weight: Array | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Array:
    r"""``torch.nn.functional.binary_cross_entropy``: BCE from probabilities.

    Mirrors PyTorch 2.13, including its clamp of each log at ``-100``: a probability of
    exactly 0 or 1 on the wrong side costs 100 nats instead of ``inf``. (The core
    :func:`crossentropy.losses.binary_cross_entropy` is exact and returns ``inf``.)

    Parameters
    ----------
    input : array
        Probabilities in ``[0, 1]``.
    target : array, same shape as ``input``
        Targets in ``[0, 1]`` (soft targets allowed).
    weight : array, optional
        Rescaling weights broadcast to ``input``'s shape (not a per-class weight).
    size_average, reduce : bool, optional
        Deprecated; mapped to ``reduction`` as PyTorch does (with its warning).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'mean'`` is the plain elementwise mean (weights do not normalise it).

    Returns
    -------
    array
        A scalar, or the elementwise losses for ``reduction='none'``.

    Raises
    ------
    ValueError
        For shapes that differ, values outside ``[0, 1]`` or NaN (PyTorch raises
        ``RuntimeError``), a weight that does not broadcast, or an unknown reduction.

    Notes
    -----
    :math:`\ell = (y - 1)\max(\log(1 - x), -100) - y \max(\log x, -100)`, with
    :math:`\log(1 - x)` computed as ``log1p(-x)``, as in PyTorch's CPU kernel.

    Examples
    --------
    >>> import numpy as np
    >>> binary_cross_entropy(np.array([0.0, 0.9]), np.array([1.0, 1.0]),
    ...                      reduction="none").round(6).tolist()
    [100.0, 0.105361]
    """
    reduction = _resolve_reduction(reduction, size_average, reduce)
    xp, (x, t, w) = namespace(input, target, weight)
    if tuple(t.shape) != tuple(x.shape):
        msg = (
            f"target and input must have the same shape, got target {tuple(t.shape)} and "
            f"input {tuple(x.shape)}"
        )
        raise ValueError(msg)
    xc, out_dtype = _floating(xp, x)
    tc = as_float(xp, t, xc.dtype)
    check_probabilities(xp, "input", xc, axis=None)
    check_probabilities(xp, "target", tc, axis=None)
    with ignore_fp_warnings():
        floor = -100.0  # PyTorch clamps each log at -100 so that log(0) stays finite
        log_x = xp.maximum(xp.log(xc), xp.full_like(xc, floor))
        log_1mx = xp.maximum(xp.log1p(-xc), xp.full_like(xc, floor))
        loss = (tc - 1) * log_1mx - tc * log_x
        if w is not None:
            loss = loss * _broadcast_to(xp, "weight", w, tuple(xc.shape), xc.dtype)
        result = _reduce(xp, loss, reduction)
    return finish(xp, result, out_dtype)


def binary_cross_entropy_with_logits(  # noqa: PLR0917 - PyTorch's positional signature
    input: Array,
    target: Array,
    weight: Array | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Array | None = None,
) -> Array:
    r"""``torch.nn.functional.binary_cross_entropy_with_logits``: BCE from logits.

    Mirrors PyTorch 2.13, with its formula and operation order (stable for any finite
    logit: ``1e300`` gives ``1e300``, not ``inf``).

    Parameters
    ----------
    input : array
        Logits.
    target : array, same shape as ``input``
        Targets, usually in ``[0, 1]`` (not checked, as in PyTorch).
    weight : array, optional
        Rescaling weights broadcast to ``input``'s shape.
    size_average, reduce : bool, optional
        Deprecated; mapped to ``reduction`` as PyTorch does (with its warning).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'mean'`` is the plain elementwise mean.
    pos_weight : array, optional
        Weight of the positive term, broadcast along the last dimension (one per class
        in multi-label problems).

    Returns
    -------
    array
        A scalar, or the elementwise losses for ``reduction='none'``.

    Raises
    ------
    ValueError
        For shapes that differ, weights that do not broadcast, or an unknown reduction.

    Notes
    -----
    With :math:`\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})`:
    :math:`\ell = (1 - y)\,x - (1 + (p - 1)\,y)\log\sigma(x)`, where :math:`p` is
    ``pos_weight`` (1 when absent); this equals
    :math:`-p\,y\log\sigma(x) - (1-y)\log\sigma(-x)`.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([-1e4, 0.0, 1e300]), np.array([1.0, 0.5, 0.0])
    >>> binary_cross_entropy_with_logits(x, y, reduction="none").round(6).tolist()
    [10000.0, 0.693147, 1e+300]
    """
    reduction = _resolve_reduction(reduction, size_average, reduce)
    xp, (x, t, w, pw) = namespace(input, target, weight, pos_weight)
    if tuple(t.shape) != tuple(x.shape):
        msg = (
            f"target and input must have the same shape, got target {tuple(t.shape)} and "
            f"input {tuple(x.shape)}"
        )
        raise ValueError(msg)
    xc, out_dtype = _floating(xp, x)
    tc = as_float(xp, t, xc.dtype)
    shape = tuple(xc.shape)
    with ignore_fp_warnings():
        log_sig = torch_log_sigmoid(xp, xc)
        if pw is not None:
            pwc = _broadcast_to(xp, "pos_weight", pw, shape, xc.dtype)
            log_sig = log_sig * ((pwc - 1) * tc + 1)
        loss = (1 - tc) * xc - log_sig
        if w is not None:
            loss = loss * _broadcast_to(xp, "weight", w, shape, xc.dtype)
        result = _reduce(xp, loss, reduction)
    return finish(xp, result, out_dtype)


def _torch_xlogy(xp: Any, x: Array, y: Array) -> Array:
    """``torch.xlogy``: ``0`` where ``x == 0`` (unless ``y`` is NaN), else ``x * log(y)``."""
    zero = x == 0
    safe_y = xp.where(zero, xp.ones_like(y), y)
    out = xp.where(zero, xp.zeros_like(x), x * xp.log(safe_y))
    return xp.where(xp.isnan(y), y, out)


def kl_div(  # noqa: PLR0917 - PyTorch's positional signature
    input: Array,
    target: Array,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Array:
    r"""``torch.nn.functional.kl_div``: pointwise KL divergence, ``input`` in log space.

    Mirrors PyTorch 2.13. Note the argument roles: ``input`` is the *model's*
    log-probabilities :math:`\log q` and ``target`` the reference :math:`p`, so the
    result is :math:`\mathrm{KL}(p \,\|\, q)` (the reverse of the argument order of
    :func:`crossentropy.kl_divergence`).

    Parameters
    ----------
    input : array
        Log-probabilities :math:`\log q`.
    target : array, broadcastable with ``input``
        Probabilities :math:`p` (or :math:`\log p` with ``log_target=True``).
    size_average, reduce : bool, optional
        Deprecated; mapped to ``reduction`` as PyTorch does (with its warning).
    reduction : {'mean', 'batchmean', 'sum', 'none'}, default 'mean'
        ``'mean'`` divides by the number of *elements* and warns, as PyTorch does;
        ``'batchmean'`` divides the sum by ``input.shape[0]`` (the true KL per sample).
    log_target : bool, default False
        Whether ``target`` is given in log space.

    Returns
    -------
    array
        A scalar, or the pointwise terms for ``reduction='none'``.

    Raises
    ------
    ValueError
        For an unknown reduction or shapes that do not broadcast.

    Warns
    -----
    UserWarning
        For ``reduction='mean'`` (PyTorch's advice to use ``'batchmean'``), and for
        the legacy arguments.

    Notes
    -----
    Pointwise :math:`p\log p - p\log q` with ``xlogy``'s convention
    :math:`0 \log 0 = 0` (so a target of 0 costs nothing unless ``input`` is
    ``-inf``, where ``0 * -inf`` gives NaN as in PyTorch), or
    :math:`e^{t}(t - \log q)` for ``log_target=True``.

    Examples
    --------
    >>> import numpy as np
    >>> logq = np.log(np.array([[0.5, 0.5], [0.9, 0.1]]))
    >>> p = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> round(float(kl_div(logq, p, reduction="batchmean")), 6)
    0.601986
    """
    if size_average is not None or reduce is not None:
        base = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.",
                UserWarning,
                stacklevel=2,
            )
        base = "sum" if reduction == "batchmean" else _check_reduction(reduction)
    xp, (x, t) = namespace(input, target)
    if xp.isdtype(x.dtype, "real floating") and xp.isdtype(t.dtype, "real floating"):
        out_dtype = xp.result_type(x.dtype, t.dtype)  # PyTorch's type promotion
    else:
        out_dtype = compute_dtype(xp, x.dtype)
    dtype = compute_dtype(xp, out_dtype)
    xc, tc = as_float(xp, x, dtype), as_float(xp, t, dtype)
    try:
        xc, tc = xp.broadcast_arrays(xc, tc)
    except (ValueError, RuntimeError) as exc:
        msg = (
            f"input of shape {tuple(x.shape)} and target of shape {tuple(t.shape)} do not broadcast"
        )
        raise ValueError(msg) from exc
    with ignore_fp_warnings():
        pointwise = xp.exp(tc) * (tc - xc) if log_target else _torch_xlogy(xp, tc, tc) - tc * xc
        result = _reduce(xp, pointwise, base)
        if reduction == "batchmean" and x.ndim != 0:
            result = result / float(x.shape[0])
    return finish(xp, result, out_dtype)
