r"""The numba kernel of cross-entropy from predicted probabilities with integer labels.

One pass per row (rows in parallel): the entries are checked (in ``[0, 1 + tol]``, not
NaN) and summed, then :math:`\ell_i = a_i(-\log q_{iy_i}) + b_i \sum_c w_c (-\log q_{ic})`
with :math:`q` the probabilities, clipped to ``[lo, hi]`` only when asked, and a term
left out when its weight is 0 (:math:`0 \log 0 = 0`). A row that fails a check gets a
status code instead of a loss; the caller then reports it with the library's message.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

if TYPE_CHECKING:
    from crossentropy.kernels._plan import RowPlan

__all__ = ["BAD_ENTRY", "BAD_SUM", "forward"]

BAD_ENTRY = 1  # an entry outside [0, 1 + tol], or NaN
BAD_SUM = 2  # the row does not sum to 1 within tol


@njit(inline="always")
def _neg_log(v, lo, hi):  # pragma: no cover - compiled
    if v < lo:
        v = lo
    elif v > hi:
        v = hi
    return -math.log(v)  # -log 0 = +inf


@njit(parallel=True, cache=True)
def _forward(p, labels, hot, spread, weight, lo, hi, tol, loss, status):  # noqa: PLR0917  # pragma: no cover - compiled
    num_classes = p.shape[1]
    for i in prange(p.shape[0]):
        row = p[i]
        total = 0.0
        ok = True
        for c in range(num_classes):
            v = row[c]
            ok &= (v >= 0.0) & (v <= 1.0 + tol)  # NaN fails both
            total += v
        if not ok:
            status[i] = BAD_ENTRY
            continue
        if abs(total - 1.0) > tol:
            status[i] = BAD_SUM
            continue
        status[i] = 0
        value = 0.0
        y = labels[i]
        if y >= 0 and hot[i] != 0.0:
            value += hot[i] * _neg_log(np.float64(row[y]), lo, hi)
        b = spread[i] if spread.shape[0] else 0.0
        if b != 0.0:
            acc = 0.0
            for c in range(num_classes):
                w = weight[c] if weight.shape[0] else 1.0
                if w != 0.0:
                    acc += w * _neg_log(np.float64(row[c]), lo, hi)
            value += b * acc
        loss[i] = value


def forward(
    p: np.ndarray, plan: RowPlan, clip: float | None, tol: float, loss: np.ndarray
) -> np.ndarray:
    """Write each row's loss into ``loss``; return the rows' status codes (0: valid)."""
    status = np.empty(p.shape[0], dtype=np.int8)
    if p.shape[0]:
        lo, hi = (0.0, np.inf) if clip is None else (clip, 1.0 - clip)
        spread = np.empty(0) if plan.spread is None else plan.spread
        weight = np.empty(0) if plan.weight is None else plan.weight
        _forward(p, plan.labels, plan.hot, spread, weight, lo, hi, tol, loss, status)
    return status
