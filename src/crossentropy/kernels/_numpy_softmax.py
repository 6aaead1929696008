"""The pure-NumPy fallback of the fused kernels: chunked over rows, bounded temporaries.

Used when numba (the ``fast`` extra) is absent, or on request (``backend="numpy"``). Each
chunk holds about :data:`CHUNK_ELEMENTS` logits, so the temporary memory is a few MB
whatever the input's size; the formulas are those of :mod:`crossentropy.kernels._plan`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from crossentropy.kernels._plan import RowPlan

__all__ = ["CHUNK_ELEMENTS", "forward", "forward_backward"]

CHUNK_ELEMENTS = 1 << 18  # 1 MiB of float32 per temporary


def _chunks(num_rows: int, num_classes: int) -> range:
    step = max(1, CHUNK_ELEMENTS // max(num_classes, 1))
    return range(0, num_rows, step)


def _rows(x: np.ndarray, plan: RowPlan, lo: int, hi: int) -> tuple[Any, ...]:
    """Loss, lse and exp(x - max) of rows ``lo:hi`` (float64 per-row values)."""
    block = x[lo:hi]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        m = np.max(block, axis=1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0).astype(x.dtype)  # +-inf rows: patched later
        e = np.exp(block - m)
        s = np.sum(e, axis=1, dtype=np.float64)
        m64 = m[:, 0].astype(np.float64)
        log_s = np.log(s)
        lse = m64 + log_s
        lab = plan.labels[lo:hi]
        counted = lab >= 0
        # Every logit relative to the row maximum, the label's too: a constant added to a
        # row changes nothing (m + log s - x_y would round log s away at logits of 1e30).
        picked = np.where(
            counted,
            block[np.arange(hi - lo), np.maximum(lab, 0)].astype(np.float64) - m64,
            0.0,
        )
        hot = plan.hot[lo:hi]
        loss = np.where(hot != 0, hot * (log_s - picked), 0.0)
        if plan.spread is not None:
            spread = plan.spread[lo:hi]
            relative = block.astype(np.float64) - m64[:, None]
            dot = _dot(relative, plan.weight)
            loss = loss + np.where(spread != 0, spread * (plan.weight_total * log_s - dot), 0.0)
        if np.isinf(loss).any():
            _redo_in_halves(block, plan, lo, loss, m64, log_s)
    return loss, lse, e, s


def _dot(relative: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """Each row's ``sum_c w_c v_c``, with ``0 * -inf = 0`` for a class of weight 0."""
    if weight is None:
        total: np.ndarray = np.sum(relative, axis=1)
        return total
    w = weight.astype(np.float64)
    if (w == 0).any():
        relative = np.where(w == 0, 0.0, relative)
    dot: np.ndarray = relative @ w
    return dot


def _redo_in_halves(  # noqa: PLR0917
    block: np.ndarray, plan: RowPlan, lo: int, loss: np.ndarray, m64: Any, log_s: Any
) -> None:
    """Redo in place the rows whose loss overflowed although their logits are finite.

    A logit more than the dtype's range below the row maximum makes ``x - M = -inf``, yet a
    weight below one on it may leave the loss representable (label smoothing 0.5 on
    ``[1e308, -1e308]``: 5e307): twice the same sum of halves, ``x/2 - M/2``, is.
    """
    rows = np.flatnonzero(np.isinf(loss) & np.isfinite(m64) & np.isfinite(log_s))
    if not rows.size:
        return
    x = block[rows].astype(np.float64) / 2 - m64[rows, None] / 2
    half_log = log_s[rows] / 2
    lab = plan.labels[lo:][rows]
    hot = plan.hot[lo:][rows]
    picked = np.where(lab >= 0, x[np.arange(rows.size), np.maximum(lab, 0)], 0.0)
    half = np.where(hot != 0, hot * (half_log - picked), 0.0)
    if plan.spread is not None:
        spread = plan.spread[lo:][rows]
        dot = _dot(x, plan.weight)
        half = half + np.where(spread != 0, spread * (plan.weight_total * half_log - dot), 0.0)
    loss[rows] = 2.0 * half


def forward(x: np.ndarray, plan: RowPlan, loss: np.ndarray, lse: np.ndarray) -> None:
    """Write each row's loss and log-sum-exp (float64) into ``loss`` and ``lse``."""
    chunks = _chunks(*x.shape)
    for lo in chunks:
        hi = min(lo + chunks.step, x.shape[0])
        loss[lo:hi], lse[lo:hi], _, _ = _rows(x, plan, lo, hi)


def forward_backward(  # noqa: PLR0917 - the same signature as the numba kernel's
    x: np.ndarray,
    plan: RowPlan,
    scale: float,
    grad: np.ndarray,
    loss: np.ndarray,
    lse: np.ndarray,
) -> None:
    """Also write ``scale * dloss_i/dx`` into ``grad`` (which may be ``x`` itself).

    Rows whose log-sum-exp is not finite are left unwritten (see the numba kernel).
    """
    chunks = _chunks(*x.shape)
    for lo in chunks:
        hi = min(lo + chunks.step, x.shape[0])
        loss[lo:hi], lse[lo:hi], e, s = _rows(x, plan, lo, hi)
        # dl_i/dx_ij = T_i p_ij - a_i [j = y_i] - b_i w_j, times the reduction's scale.
        hot = plan.hot[lo:hi]
        spread = plan.spread[lo:hi] if plan.spread is not None else None
        total = hot if spread is None else hot + spread * plan.weight_total
        with np.errstate(invalid="ignore", divide="ignore"):
            g = e * (scale * total / s)[:, None].astype(x.dtype)
        if spread is not None:
            w = np.ones(x.shape[1]) if plan.weight is None else plan.weight
            g -= (scale * spread[:, None] * w[None, :]).astype(x.dtype)
        rows = np.flatnonzero(plan.labels[lo:hi] >= 0)
        g[rows, plan.labels[lo:hi][rows]] -= (scale * hot[rows]).astype(x.dtype)
        finite = np.isfinite(lse[lo:hi])
        if finite.all():
            grad[lo:hi] = g
        else:  # as the numba kernel: a non-finite row is left for the caller to recompute
            grad[lo:hi][finite] = g[finite]
