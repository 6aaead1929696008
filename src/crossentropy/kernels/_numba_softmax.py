r"""The numba kernels of softmax cross-entropy with integer labels.

Per row (rows in parallel with ``prange``), in blocks of :data:`BLOCK` logits that stay
in L1 cache:

1. the block's maximum (``llvm.maxnum``, vectorised) updates the running maximum
   :math:`M`; the running sum is rescaled, :math:`S \leftarrow S\,e^{M_{old} - M}`, only
   when :math:`M` grew;
2. :math:`S \mathrel{+}= \sum_{k \in block} e^{x_k - M}` with a vectorised polynomial exp
   in the logits' precision; each block's sum goes into a float64 :math:`S`.

So each logit is read from memory once, and :math:`\mathrm{lse} = M + \log S`. The
forward+backward kernels then make one more pass over the row (now in L2 cache) that
writes :math:`g_j = c\,(T\, e^{x_j - \mathrm{lse}} - b\, w_j)` and subtracts
:math:`c\,a` at the label (see :mod:`crossentropy.kernels._plan` for :math:`a, b, T, c`).
In place (``grad is x``) the gradient loop is a loop of its own over one array: numba
does not vectorise one loop handed the same array as input and output.

Compiled on first use and cached on disk (``cache=True``), so a later process loads the
machine code in a fraction of a second.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from crossentropy._jit.intrinsics import (
    as_element,
    exp_nonpositive,
    maxnum,
    strict_sub,
    sum_exp_term,
)

if TYPE_CHECKING:
    from crossentropy.kernels._plan import RowPlan

__all__ = ["BLOCK", "forward", "forward_backward"]

BLOCK = 2048
AHEAD = 8 * BLOCK  # how far ahead of the current block rows are prefetched
LINE = 16  # float32 entries per 64-byte cache line (float64 asks twice per line: harmless)
_FAST = {"reassoc", "contract", "nsz", "arcp"}  # not nnan/ninf: NaN and inf must survive


@njit(inline="always", fastmath=_FAST)
def _block_max(blk):  # pragma: no cover - compiled
    m = blk[0]
    for k in range(1, blk.shape[0]):
        m = maxnum(m, blk[k])
    return m


@njit(inline="always", fastmath=_FAST)
def _block_sumexp(blk, m):  # pragma: no cover - compiled
    shift = as_element(blk, m)
    s = as_element(blk, 0.0)
    for k in range(blk.shape[0]):
        s += sum_exp_term(blk[k] - shift)
    return s


@njit(inline="always", fastmath=_FAST)
def _row_max_sum(row):  # pragma: no cover - compiled
    """The row's maximum M and S = sum exp(x - M), reading it once (blocks of BLOCK)."""
    big = -np.inf
    total = 0.0
    c = row.shape[0]
    for j0 in range(0, c, BLOCK):
        blk = row[j0 : min(j0 + BLOCK, c)]
        bm = _block_max(blk)
        if bm > big:  # the running max grew: rescale what was summed so far
            if total > 0.0:
                total *= math.exp(big - bm)
            big = bm
        elif not bm <= big:  # NaN: no comparison holds; let it reach the sum
            big = bm
        if big == -np.inf:  # every logit so far is -inf (they add exactly 0) or NaN:
            for k in range(blk.shape[0]):  # maxnum passes NaN over; the sum must see it
                if blk[k] != blk[k]:
                    total = np.nan
            continue
        total += _block_sumexp(blk, big)
    return big, total


@njit(inline="always", fastmath=_FAST)
def _row_dot(row, weight, shift):  # pragma: no cover - compiled
    # sum_c w_c (x_c - M): relative to the row maximum, like every term of the loss
    acc = 0.0
    if weight.shape[0] == 0:
        for k in range(row.shape[0]):
            acc += strict_sub(row[k], shift)
    else:
        for k in range(row.shape[0]):  # a class of weight 0 adds 0, even at x = -inf
            acc += 0.0 if weight[k] == 0.0 else weight[k] * strict_sub(row[k], shift)
    return acc


@njit(inline="always")
def _row_loss(row, big, log_sum, label, hot, spread, weight, weight_total):  # noqa: PLR0917  # pragma: no cover - compiled
    # With lse = M + log S: l = a (log S - (x_y - M)) + b (W log S - sum_c w_c (x_c - M)),
    # every logit taken relative to the row maximum M, so that a constant added to the row
    # changes nothing (at logits of 1e30, M + log S would round log S away). A term is left
    # out when its weight is 0 (0 * inf = 0 for an ignored row or a -inf logit: mul0).
    # The differences are strict_sub: in the fastmath kernels "reassoc" would otherwise
    # turn log S - (x_y - M) back into (log S - x_y) + M and lose log S again.
    loss = 0.0
    if hot != 0.0:
        loss += hot * (log_sum - strict_sub(row[label], big))
    if spread != 0.0:
        loss += spread * (weight_total * log_sum - _row_dot(row, weight, big))
    if loss == np.inf and -np.inf < big < np.inf:
        return _row_loss_halves(row, big, log_sum, label, hot, spread, weight, weight_total)
    return loss


@njit
def _row_loss_halves(row, big, log_sum, label, hot, spread, weight, weight_total):  # noqa: PLR0917  # pragma: no cover - compiled
    # The rare row whose loss overflowed although its logits are finite: a logit more
    # than the dtype's range below M makes x - M = -inf, yet a weight below one on it
    # can leave the loss representable (label smoothing 0.5 on [1e308, -1e308]: 5e307).
    # Redone as twice the same sum of halves, x/2 - M/2, which cannot overflow; compiled
    # without fast-math, so nothing folds the halves back into x - M.
    half_big = big * 0.5
    half_log = log_sum * 0.5
    loss = 0.0
    if hot != 0.0:
        loss += hot * (half_log - (row[label] * 0.5 - half_big))
    if spread != 0.0:
        acc = 0.0
        for k in range(row.shape[0]):
            w = weight[k] if weight.shape[0] else 1.0
            if w != 0.0:
                acc += w * (row[k] * 0.5 - half_big)
        loss += spread * (weight_total * half_log - acc)
    return 2.0 * loss


@njit(parallel=True, cache=True, fastmath=_FAST)
def _forward(x, labels, hot, spread, weight, weight_total, loss, lse):  # noqa: PLR0917  # pragma: no cover - compiled
    for i in prange(x.shape[0]):
        row = x[i]
        big, total = _row_max_sum(row)
        log_sum = math.log(total)
        lse[i] = big + log_sum
        s = spread[i] if spread.shape[0] else 0.0
        loss[i] = _row_loss(row, big, log_sum, labels[i], hot[i], s, weight, weight_total)


@njit(inline="always", fastmath=_FAST)
def _subtract_smoothing(out, smooth, weight):  # pragma: no cover - compiled
    # The label-smoothing part of the target: g_j -= c b w_j (w_j = 1 without weights).
    if smooth != 0.0:
        if weight.shape[0] == 0:
            for k in range(out.shape[0]):
                out[k] -= smooth
        else:
            for k in range(out.shape[0]):
                out[k] -= smooth * weight[k]


@njit(inline="always", fastmath=_FAST)
def _grad_row(row, out, big, factor):  # pragma: no cover - compiled
    # g_j = c T p_j with p_j = exp(x_j - M) / S; `factor` = c T / S. The shift is the row
    # maximum M, a logit itself and so exact in the logits' precision (lse rounded to
    # float32 would be off by half an ulp of the logits: 5e-4 at 1e4, a 22% error in p).
    f = as_element(row, factor)
    shift = as_element(row, big)
    for k in range(row.shape[0]):
        out[k] = f * exp_nonpositive(row[k] - shift)


@njit(inline="always", fastmath=_FAST)
def _grad_row_inplace(row, big, factor):  # pragma: no cover - compiled
    # The same loop over one array: numba vectorises it only written this way.
    f = as_element(row, factor)
    shift = as_element(row, big)
    for k in range(row.shape[0]):
        row[k] = f * exp_nonpositive(row[k] - shift)


@njit(parallel=True, cache=True, fastmath=_FAST)
def _forward_backward(  # noqa: PLR0917
    x, labels, hot, spread, weight, weight_total, scale, grad, inplace, loss, lse
):  # pragma: no cover - compiled
    for i in prange(x.shape[0]):
        row = x[i]
        # grad is x itself in place; never `row if inplace else grad[i]`, which types the
        # output as x's type and cannot compile for a read-only x
        out = grad[i]
        big, sum_exp = _row_max_sum(row)
        log_sum = math.log(sum_exp)
        r = big + log_sum
        lse[i] = r
        s = spread[i] if spread.shape[0] else 0.0
        loss[i] = _row_loss(row, big, log_sum, labels[i], hot[i], s, weight, weight_total)
        if not -np.inf < r < np.inf:  # (math.isfinite is True for NaN under these flags)
            continue  # left as it is: the caller recomputes this row from its logits
        total = hot[i] + s * weight_total
        if total == 0.0 and s == 0.0:
            out[:] = 0.0  # an ignored or zero-weight row
            continue
        if inplace:
            _grad_row_inplace(out, big, scale * total / sum_exp)
        else:
            _grad_row(row, out, big, scale * total / sum_exp)
        _subtract_smoothing(out, scale * s, weight)
        if labels[i] >= 0 and hot[i] != 0.0:
            # rounded to the output dtype first, as the target of the generic path: with one
            # class (or p = 1) the two roundings cancel exactly and the gradient is 0
            out[labels[i]] -= as_element(out, scale * hot[i])


_EMPTY = np.empty(0)


def _args(x: np.ndarray, plan: RowPlan) -> tuple[object, ...]:
    spread = _EMPTY if plan.spread is None else plan.spread
    weight = np.empty(0, dtype=x.dtype) if plan.weight is None else plan.weight.astype(x.dtype)
    return (x, plan.labels, plan.hot, spread, weight, plan.weight_total)


def forward(x: np.ndarray, plan: RowPlan, loss: np.ndarray, lse: np.ndarray) -> None:
    """Write each row's loss and log-sum-exp (float64) into ``loss`` and ``lse``."""
    if x.shape[0]:
        _forward(*_args(x, plan), loss, lse)


def forward_backward(  # noqa: PLR0917
    x: np.ndarray,
    plan: RowPlan,
    scale: float,
    grad: np.ndarray,
    loss: np.ndarray,
    lse: np.ndarray,
) -> None:
    """Also write ``scale * dloss_i/dx`` into ``grad`` (which may be ``x`` itself).

    Rows whose log-sum-exp is not finite (``+inf`` or NaN logits, or only ``-inf``) are
    left unwritten, so that in place their logits survive for the exact recomputation.
    """
    if not x.shape[0]:
        return
    _forward_backward(*_args(x, plan), scale, grad, grad is x, loss, lse)
