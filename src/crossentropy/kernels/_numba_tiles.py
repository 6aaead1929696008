r"""Numba row kernels for the vocabulary-blocked linear cross-entropy's tiles.

A tile holds rows ``r0:r1`` of the logits of classes ``v0:v1`` (:mod:`crossentropy.torch.
_linear_blocked`). Row by row (rows in parallel), each kernel does in one sweep over the
row, while it is in cache, what the plain-torch tile code does in several passes over
the whole tile:

* :func:`tile_statistics`: cap the logits (``c tanh(z / c)``, in place), the row's
  maximum and sum of exponentials over the tile (:func:`_row_max_sum` of the softmax
  kernels: each logit read once), merged into the running ``peak``/``total`` (online
  log-sum-exp), the first argmax, the label's logit and the smoothing sum;
* :func:`tile_gradient`: overwrite the tile's raw logits with
  :math:`G_{ij} = (a_i p_{ij} - b_i [j = y_i] - d_i w_j)\,(1 - (z^c_{ij}/c)^2)`,
  :math:`p_{ij} = e^{z^c_{ij} - \mathrm{lse}_i}`.

Labels are positions in the whole weight; a row's label is in this tile when
``v0 <= y < v1`` and ``y != ignore_index``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from crossentropy._jit.intrinsics import as_element, exp_nonpositive
from crossentropy.kernels._numba_softmax import _row_max_sum

_FAST = {"reassoc", "contract", "nsz", "arcp"}  # not nnan/ninf: NaN and inf must survive


@njit(inline="always", fastmath=_FAST)
def _row_sum(row, weight):  # pragma: no cover - compiled
    acc = 0.0
    if weight.shape[0] == 0:
        for j in range(row.shape[0]):
            acc += row[j]
    else:
        for j in range(row.shape[0]):
            acc += row[j] * weight[j]
    return acc


@njit(inline="always", fastmath=_FAST)
def _scaled_exp(row, shift, factor):  # pragma: no cover - compiled
    # row_j = factor * exp(row_j - shift); row_j <= shift (the shift is the row's lse)
    f = as_element(row, factor)
    s = as_element(row, shift)
    for j in range(row.shape[0]):
        row[j] = f * exp_nonpositive(row[j] - s)


@njit(inline="always", fastmath=_FAST)
def _subtract(row, weight, scale):  # pragma: no cover - compiled
    d = as_element(row, scale)
    if weight.shape[0] == 0:
        for j in range(row.shape[0]):
            row[j] -= d
    else:
        for j in range(row.shape[0]):
            row[j] -= d * weight[j]


__all__ = ["tile_gradient", "tile_statistics"]


@njit(parallel=True, cache=True)
def tile_statistics(  # noqa: PLR0917  # pragma: no cover - compiled
    z,
    labels,
    v0,
    ignore_index,
    softcap,
    smoothing,
    class_weight,
    peak,
    total,
    picked,
    target_dot,
    best,
    argmax,
):
    """Update rows ``r0:r1``'s running statistics (the 1-D arrays are those rows')."""
    n, c = z.shape
    for i in prange(n):
        row = z[i]
        if softcap > 0.0:
            for j in range(c):
                row[j] = softcap * math.tanh(row[j] / softcap)
        m, s = _row_max_sum(row)
        if m > best[i]:  # the first maximum wins, as torch.argmax
            for j in range(c):
                if row[j] == m:
                    argmax[i] = v0 + j
                    break
            best[i] = m
        elif not m <= best[i] and not math.isnan(best[i]):  # NaN in this tile
            best[i] = m
        old = peak[i]
        new = max(old, m) if not (math.isnan(m) or math.isnan(old)) else np.nan
        if new != -np.inf:  # (while every logit so far is -inf the total stays 0)
            total[i] = total[i] * math.exp(old - new) + s * math.exp(m - new)
        peak[i] = new
        y = labels[i]
        if y != ignore_index and v0 <= y < v0 + c:
            picked[i] = row[y - v0]
        if smoothing:
            target_dot[i] += _row_sum(row, class_weight)


@njit(parallel=True, cache=True)
def tile_gradient(  # noqa: PLR0917  # pragma: no cover - compiled
    g,
    labels,
    v0,
    ignore_index,
    softcap,
    lse,
    a,
    b,
    d,
    class_weight,
):
    """Overwrite the tile's raw logits with their gradient (see the module docstring)."""
    n, c = g.shape
    weighted = class_weight.shape[0] > 0
    for i in prange(n):
        row = g[i]
        ai, bi, di, li = a[i], b[i], d[i], lse[i]
        y = labels[i]
        mine = y != ignore_index and v0 <= y < v0 + c
        if softcap > 0.0:  # the cap's derivative needs each capped logit: one scalar loop
            for j in range(c):
                zc = softcap * math.tanh(row[j] / softcap)
                value = ai * math.exp(zc - li)
                if di != 0.0:
                    value -= di * (class_weight[j] if weighted else 1.0)
                if mine and j == y - v0:
                    value -= bi
                t = zc / softcap
                row[j] = value * (1.0 - t * t)
            continue
        _scaled_exp(row, li, ai)  # vectorised loops, the row in cache
        if di != 0.0:
            _subtract(row, class_weight, di)
        if mine:
            row[y - v0] -= bi
