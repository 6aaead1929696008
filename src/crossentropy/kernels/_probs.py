"""Cross-entropy from predicted probabilities and integer labels, fused: the kernel API."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crossentropy._agnostic._options import check_clip, check_tol
from crossentropy._jit import Backend, use_numba
from crossentropy.kernels._plan import InvalidInputError, as_matrix, plan_rows, reduce_rows

__all__ = ["categorical_cross_entropy"]

_CHUNK_ROWS = 1 << 15


def categorical_cross_entropy(
    probs: np.ndarray,
    labels: np.ndarray,
    /,
    *,
    weight: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    clip: float | None = None,
    tol: float | None = None,
    backend: Backend = "auto",
) -> np.ndarray:
    r"""Cross-entropy of ``(N, C)`` predicted probabilities and integer labels, one pass.

    The value of :func:`crossentropy.losses.categorical_cross_entropy` with integer
    labels (scikit-learn's ``log_loss`` for valid probabilities), with the input checks
    done in the same pass: each entry in ``[0, 1]`` (up to ``tol``) and not NaN, each row
    summing to 1 within ``tol``.

    Parameters
    ----------
    probs : ndarray, shape (N, C)
        float32 or float64 (half precision is computed in float32).
    labels : ndarray of int, shape (N,)
    weight, sample_weight, ignore_index, label_smoothing, reduction
        As in :func:`crossentropy.kernels.softmax_cross_entropy`.
    clip : float in (0, 0.5), optional
        Clip the probabilities to ``[clip, 1 - clip]`` before the log (off by default:
        a true class predicted with probability 0 costs ``+inf``).
    tol : float, optional
        Tolerance of the checks; default :math:`\sqrt{\epsilon}` of the dtype.
    backend : {"auto", "numba", "numpy"}, default "auto"

    Returns
    -------
    ndarray
        0-d for ``"mean"``/``"sum"``, ``(N,)`` for ``"none"``, in the probabilities'
        dtype; accumulated in float64.

    Raises
    ------
    ValueError
        An invalid entry or row sum (naming the row, column and value), and the label and
        option errors of :func:`crossentropy.kernels.softmax_cross_entropy`.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import kernels
    >>> p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    >>> round(float(kernels.categorical_cross_entropy(p, np.array([0, 1]))), 6)
    0.289909
    """
    p, out_dtype = as_matrix(probs, "probs")
    eps = check_clip(clip)
    tolerance = check_tol(tol)
    if tolerance is None:
        tolerance = math.sqrt(float(np.finfo(p.dtype).eps))
    plan = plan_rows(
        labels,
        p.shape[0],
        p.shape[1],
        weight=weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        input_name="probs",
    )
    loss = np.empty(p.shape[0])
    if use_numba(backend):
        from crossentropy.kernels._numba_probs import forward

        status = forward(p, plan, eps, tolerance, loss)
        bad = np.flatnonzero(status)
        if bad.size:
            _raise_invalid(p, int(bad[0]), tolerance)
    else:
        _numpy_forward(p, plan, eps, tolerance, loss)
    return reduce_rows(loss, plan, out_dtype)


def _raise_invalid(p: np.ndarray, row: int, tol: float) -> None:
    values = p[row]
    wrong = np.flatnonzero(~((values >= 0) & (values <= 1.0 + tol)))
    if wrong.size:
        col = int(wrong[0])
        msg = (
            f"probs must contain probabilities in [0, 1]; found {values[col]} at index "
            f"[{row}, {col}]"
        )
        raise InvalidInputError(msg)
    total = float(np.sum(values, dtype=np.float64))
    msg = (
        f"probs must sum to 1 along axis 1 (tolerance {tol:.3g}); the slice at index [{row}] "
        f"sums to {total!r}. Renormalise probs yourself (p / p.sum(axis)) or pass a larger tol."
    )
    raise InvalidInputError(msg)


def _numpy_forward(
    p: np.ndarray, plan: Any, clip: float | None, tol: float, loss: np.ndarray
) -> None:
    """The same as the numba kernel, in chunks of rows (bounded temporary memory)."""
    step = max(1, _CHUNK_ROWS * 16 // max(p.shape[1], 1))
    for lo in range(0, p.shape[0], step):
        hi = min(lo + step, p.shape[0])
        block = p[lo:hi]
        ok = (block >= 0) & (block <= 1.0 + tol)
        if not ok.all():
            _raise_invalid(p, lo + int(np.flatnonzero(~ok.all(axis=1))[0]), tol)
        sums = np.sum(block, axis=1, dtype=np.float64)
        off = np.abs(sums - 1.0) > tol
        if off.any():
            _raise_invalid(p, lo + int(np.flatnonzero(off)[0]), tol)
        q = block.astype(np.float64)
        if clip is not None:
            q = np.clip(q, clip, 1.0 - clip)
        with np.errstate(divide="ignore"):
            neg_log = -np.log(q)
        lab = plan.labels[lo:hi]
        hot = plan.hot[lo:hi]
        picked = neg_log[np.arange(hi - lo), np.maximum(lab, 0)]
        value = np.where((lab >= 0) & (hot != 0), hot * np.where(hot != 0, picked, 0.0), 0.0)
        if plan.spread is not None:
            w = np.ones(p.shape[1]) if plan.weight is None else plan.weight
            terms = np.where(w != 0, w * np.where(w != 0, neg_log, 0.0), 0.0)
            spread = plan.spread[lo:hi]
            with np.errstate(invalid="ignore"):
                value = value + np.where(spread != 0, spread * terms.sum(axis=1), 0.0)
        loss[lo:hi] = value
