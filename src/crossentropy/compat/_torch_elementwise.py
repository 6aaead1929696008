"""PyTorch's ``F.binary_cross_entropy``, ``F.binary_cross_entropy_with_logits`` and ``F.kl_div``.

Elementwise losses, on any array library, in PyTorch's operation order; see
:mod:`crossentropy.compat.torch`.
"""

from __future__ import annotations

import warnings
from typing import Any

from crossentropy._array_api import Array, compute_dtype, namespace
from crossentropy._validation import check_probabilities
from crossentropy.compat._common import (
    as_float,
    finish,
    ignore_fp_warnings,
    torch_log_sigmoid,
)
from crossentropy.compat._torch_reduction import (
    as_floating,
    broadcast_to,
    check_torch_reduction,
    legacy_reduction,
    reduce_loss,
    resolve_reduction,
)

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]


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
    reduction = resolve_reduction(reduction, size_average, reduce)
    xp, (x, t, w) = namespace(input, target, weight)
    if tuple(t.shape) != tuple(x.shape):
        msg = (
            f"target and input must have the same shape, got target {tuple(t.shape)} and "
            f"input {tuple(x.shape)}"
        )
        raise ValueError(msg)
    xc, out_dtype = as_floating(xp, x)
    tc = as_float(xp, t, xc.dtype)
    check_probabilities(xp, "input", xc, axis=None)
    check_probabilities(xp, "target", tc, axis=None)
    with ignore_fp_warnings():
        floor = -100.0  # PyTorch clamps each log at -100 so that log(0) stays finite
        log_x = xp.maximum(xp.log(xc), xp.full_like(xc, floor))
        log_1mx = xp.maximum(xp.log1p(-xc), xp.full_like(xc, floor))
        loss = (tc - 1) * log_1mx - tc * log_x
        if w is not None:
            loss = loss * broadcast_to(xp, "weight", w, tuple(xc.shape), xc.dtype)
        result = reduce_loss(xp, loss, reduction)
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
    reduction = resolve_reduction(reduction, size_average, reduce)
    xp, (x, t, w, pw) = namespace(input, target, weight, pos_weight)
    if tuple(t.shape) != tuple(x.shape):
        msg = (
            f"target and input must have the same shape, got target {tuple(t.shape)} and "
            f"input {tuple(x.shape)}"
        )
        raise ValueError(msg)
    xc, out_dtype = as_floating(xp, x)
    tc = as_float(xp, t, xc.dtype)
    shape = tuple(xc.shape)
    with ignore_fp_warnings():
        log_sig = torch_log_sigmoid(xp, xc)
        if pw is not None:
            pwc = broadcast_to(xp, "pos_weight", pw, shape, xc.dtype)
            log_sig = log_sig * ((pwc - 1) * tc + 1)
        loss = (1 - tc) * xc - log_sig
        if w is not None:
            loss = loss * broadcast_to(xp, "weight", w, shape, xc.dtype)
        result = reduce_loss(xp, loss, reduction)
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
        base = legacy_reduction(size_average, reduce)
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
        base = "sum" if reduction == "batchmean" else check_torch_reduction(reduction)
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
        result = reduce_loss(xp, pointwise, base)
        if reduction == "batchmean" and x.ndim != 0:
            result = result / float(x.shape[0])
    return finish(xp, result, out_dtype)
