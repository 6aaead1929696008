r"""Per-row statistics of scored predictions, and their tallies: the NumPy implementation.

For each row :math:`i` with label position :math:`y_i` (a class index in ``[0, K)``) the
scorer needs

* its status: valid, or the first reason it cannot be scored (:data:`REASONS` order:
  unknown label, NaN, infinite, negative probability, probability > 1, sum != 1);
* the cross-entropy :math:`\ell_i = -\ln p_{i y_i}`, exact in float64 for each kind:
  ``"probabilities"``: :math:`-\ln p_{iy}` (:math:`+\infty` for :math:`p_{iy} = 0`);
  ``"logits"``: :math:`\ln \sum_j e^{x_{ij} - m_i} - (x_{iy} - m_i)` with
  :math:`m_i = \max_j x_{ij}` (log-sum-exp, so finite logits never give NaN);
  ``"probability"``: :math:`-\ln p` for :math:`y = 1`, :math:`-\operatorname{log1p}(-p)`
  for :math:`y = 0` (exact for tiny :math:`p` and :math:`1 - p`); ``"logit"``:
  :math:`\operatorname{softplus}(\mp x) = \max(\mp x, 0) + \operatorname{log1p}(e^{-|x|})`.
  With ``eps``, :math:`\ell_i` is capped at :math:`-\ln \varepsilon` (the probability
  floored at :math:`\varepsilon` for the log only);
* the arg-max :math:`\hat y_i` (first on ties; binary: positive iff :math:`p > 1/2`, i.e.
  :math:`x > 0`), the confidence :math:`p_{i\hat y_i}`, the label's rank
  :math:`\#\{j : p_{ij} > p_{iy}\} + \#\{j < y : p_{ij} = p_{iy}\}` (correct at :math:`k`
  iff rank :math:`< k`; rank 0 iff :math:`\hat y_i = y_i`), and the Brier term
  :math:`\sum_j (p_{ij} - [j = y_i])^2 = \sum_j p_{ij}^2 - 2 p_{iy} + 1` (binary:
  :math:`2 (p - y)^2`).

:func:`row_values` computes these vectorised; :func:`tally_numpy` sums them into
:class:`~crossentropy.scoring._stats._tallies.Tallies`; :func:`compute` dispatches to the fused
numba kernel (:mod:`crossentropy.scoring._stats._numba_rowstats`) when numba is installed. This
module is both the fallback and the kernel's test oracle.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crossentropy._jit import Backend, numba_available, use_numba
from crossentropy.scoring._stats._row_spec import BatchOutput, RowSpec, RowValues
from crossentropy.scoring._stats._tallies import (
    FINE_BINS,
    GOLDEN,
    HIST_BINS,
    POISSON_THRESHOLDS,
    Tallies,
    fine_index,
    hist_index,
    mix64_array,
)

__all__ = [
    "BatchOutput",
    "RowSpec",
    "RowValues",
    "compute",
    "numba_available",
    "row_values",
    "tally_numpy",
]

_CHUNK_ELEMENTS = 1 << 20  # rows per NumPy chunk: about this many scores (8 MB float64)


def _status(m: int, *masks: Any) -> np.ndarray:
    """The first applicable code per row: ``masks[0]`` is code 1, and so on."""
    status = np.zeros(m, dtype=np.int8)
    for code in range(len(masks), 0, -1):  # the highest priority written last
        status[masks[code - 1]] = code
    return status


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # Stable both ways: 1 / (1 + e^-z) for z >= 0, e^z / (1 + e^z) for z < 0.
    e = np.exp(-np.abs(z))
    out: np.ndarray = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out


def _probabilities(x: np.ndarray, y: np.ndarray, tolerance: float, cap: float) -> RowValues:
    m, k = x.shape
    unknown = (y < 0) | (y >= k)
    ys = np.where(unknown, 0, y)
    idx = np.arange(m)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        bad_sum = np.abs(x.sum(axis=1) - 1.0) > tolerance
        status = _status(
            m,
            unknown,
            np.isnan(x).any(axis=1),
            np.isinf(x).any(axis=1),
            (x < 0).any(axis=1),
            (x > 1).any(axis=1),
            bad_sum,
        )
        py = x[idx, ys]
        ce = np.minimum(-np.log(py), cap)
        predicted = np.argmax(x, axis=1)
        above = np.count_nonzero(x > py[:, None], axis=1)
        tied_before = np.count_nonzero((x == py[:, None]) & (np.arange(k) < ys[:, None]), axis=1)
        brier = np.einsum("ij,ij->i", x, x) - 2.0 * py + 1.0
    return RowValues(status, ce, py, predicted, x[idx, predicted], above + tied_before, brier)


def _logits(x: np.ndarray, y: np.ndarray, cap: float) -> RowValues:
    m, k = x.shape
    unknown = (y < 0) | (y >= k)
    ys = np.where(unknown, 0, y)
    idx = np.arange(m)
    status = _status(m, unknown, np.isnan(x).any(axis=1), np.isinf(x).any(axis=1))
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        top = x.max(axis=1)
        e = np.exp(x - top[:, None])  # max-shifted: every term in [0, 1], the max is 1
        total = e.sum(axis=1)
        xy = x[idx, ys]
        shifted = xy - top
        ce = np.minimum(np.log(total) - shifted, cap)  # log-sum-exp minus the label logit
        py = np.exp(shifted) / total
        brier = np.einsum("ij,ij->i", e, e) / (total * total) - 2.0 * py + 1.0
        above = np.count_nonzero(x > xy[:, None], axis=1)  # softmax keeps the order
        tied_before = np.count_nonzero((x == xy[:, None]) & (np.arange(k) < ys[:, None]), axis=1)
    return RowValues(status, ce, py, np.argmax(x, axis=1), 1.0 / total, above + tied_before, brier)


def _probability(x: np.ndarray, y: np.ndarray, cap: float) -> RowValues:
    p = x[:, 0]
    unknown = (y != 0) & (y != 1)
    status = _status(p.shape[0], unknown, np.isnan(p), np.isinf(p), p < 0, p > 1)
    positive = y == 1
    with np.errstate(invalid="ignore", divide="ignore"):
        # -log1p(-p) for the negative class: exact when p is tiny (1 - p rounds to 1).
        ce = np.minimum(np.where(positive, -np.log(p), -np.log1p(-p)), cap)
    predicted = (p > 0.5).astype(np.int64)
    return RowValues(
        status,
        ce,
        np.where(positive, p, 1.0 - p),
        predicted,
        np.maximum(p, 1.0 - p),
        (predicted != y).astype(np.int64),
        2.0 * (p - positive) ** 2,
    )


def _logit(x: np.ndarray, y: np.ndarray, cap: float) -> RowValues:
    v = x[:, 0]
    unknown = (y != 0) & (y != 1)
    status = _status(v.shape[0], unknown, np.isnan(v), np.isinf(v))
    # z = -x for the positive class, x for the negative: -ln p(label) = softplus(z).
    z = np.where(y == 1, -v, v)
    with np.errstate(invalid="ignore", over="ignore"):
        ce = np.minimum(np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))), cap)
        wrong = _sigmoid(z)  # 1 - p(label), without cancellation
        predicted = (v > 0).astype(np.int64)
        return RowValues(
            status,
            ce,
            _sigmoid(-z),
            predicted,
            _sigmoid(np.abs(v)),
            (predicted != y).astype(np.int64),
            2.0 * wrong * wrong,
        )


def row_values(
    scores: np.ndarray, labels: np.ndarray, kind: int, tolerance: float, cap: float
) -> RowValues:
    """Per-row values of ``scores`` (``(m, K)``, or ``(m, 1)`` for the binary kinds).

    ``labels`` are int64 class positions (anything outside ``[0, K)`` is unknown).
    Computed in float64 whatever the scores' dtype.
    """
    x = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if kind == 0:
        return _probabilities(x, y, tolerance, cap)
    if kind == 1:
        return _logits(x, y, cap)
    if kind == 2:
        return _probability(x, y, cap)
    return _logit(x, y, cap)


def _bootstrap(
    rows: np.ndarray, w: np.ndarray, ce: np.ndarray, finite: np.ndarray, spec: RowSpec
) -> np.ndarray:
    """``(B, 3)`` replicate sums: w b ce (finite rows), w b, w b [ce = inf]; b ~ Poisson(1)."""
    out = np.zeros((3, spec.n_boot))
    if rows.size and spec.n_boot:
        keys = mix64_array(np.uint64(spec.boot_key) ^ rows.astype(np.int64).view(np.uint64))
        offsets = np.arange(1, spec.n_boot + 1, dtype=np.uint64) * np.uint64(GOLDEN)
        step = max(1, _CHUNK_ELEMENTS // spec.n_boot)
        per_row = np.stack([np.where(finite, ce, 0.0), np.ones(rows.size), ~finite])
        for lo in range(0, rows.size, step):
            h = mix64_array(keys[lo : lo + step, None] + offsets)  # SplitMix64 streams
            draws = np.searchsorted(POISSON_THRESHOLDS, h, side="right").astype(np.float64)
            # w b first: a huge CE times a draw of 0 stays 0 (never inf * 0).
            out += per_row[:, lo : lo + step] @ (w[lo : lo + step, None] * draws)
    transposed: np.ndarray = out.T.copy()
    return transposed


def _bin_sums(index: np.ndarray, size: int, *weights: np.ndarray) -> np.ndarray:
    """``(size, len(weights) + 1)``: per-bin sums of each weight array, then the count."""
    sums = [np.bincount(index, weights=a, minlength=size) for a in weights]
    return np.stack([*sums, np.bincount(index, minlength=size).astype(np.float64)], axis=1)


def _tally(v: RowValues, y: np.ndarray, w: np.ndarray, rows: np.ndarray, spec: RowSpec) -> Tallies:
    """The tallies of valid rows (``v``, ``y``, ``w``, ``rows`` already restricted)."""
    k, n_bins = spec.n_classes, spec.n_bins
    finite = v.ce < math.inf
    w_ce = w * np.where(finite, v.ce, 0.0)
    w_inf = np.where(finite, 0.0, w)
    w_correct = np.where(v.rank == 0, w, 0.0)
    topk = [float(np.sum(w[v.rank < kk])) for kk in spec.top_k]
    totals = np.array(
        [
            y.size,
            np.count_nonzero(~finite),
            w.sum(),
            w_ce.sum(),
            w_inf.sum(),
            np.dot(w, v.brier),
            w_correct.sum(),
            *topk,
        ],
        dtype=np.float64,
    )
    confusion = None
    if spec.confusion:
        cells = np.bincount(y * k + v.predicted, weights=w, minlength=k * k)
        confusion = cells.reshape(k, k)
    b = np.minimum((v.confidence * n_bins).astype(np.int64), n_bins - 1)
    w_conf = w * v.confidence
    return Tallies(
        totals=totals,
        per_class=_bin_sums(y, k, w, w_ce, w_inf, w_correct),
        confusion=confusion,
        calibration=_bin_sums(b, n_bins, w, w_conf, w_correct),
        fine=_bin_sums(fine_index(v.confidence), FINE_BINS, w, w_conf, w_correct),
        hist=np.bincount(hist_index(v.ce), weights=w, minlength=HIST_BINS),
        bootstrap=_bootstrap(rows, w, v.ce, finite, spec),
    )


def _worst_positions(ce: np.ndarray, rows: np.ndarray, index: np.ndarray, count: int) -> np.ndarray:
    """Positions (into ``ce``) of the ``count`` largest by ``(-ce, row)``, worst first."""
    if count <= 0 or not ce.size:
        return np.zeros(0, dtype=np.int64)
    pick = np.arange(ce.size)
    if ce.size > count:
        threshold = np.partition(ce, ce.size - count)[ce.size - count]
        pick = np.flatnonzero(ce >= threshold)  # ties at the threshold all stay
    order = np.lexsort((index[pick], rows[pick], -ce[pick]))
    return pick[order[:count]]


def tally_numpy(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None,
    rows: np.ndarray | None,
    spec: RowSpec,
) -> BatchOutput:
    """Tally a batch with NumPy, in chunks of rows (a few MB of temporaries)."""
    n = scores.shape[0]
    if rows is None:
        rows = np.arange(spec.row_offset, spec.row_offset + n, dtype=np.int64)
    k = max(1, scores.shape[1])
    step = max(1, _CHUNK_ELEMENTS // k)
    tallies = Tallies.zeros(
        spec.n_classes, len(spec.top_k), spec.n_bins, spec.n_boot, confusion=spec.confusion
    )
    status = np.zeros(n, dtype=np.int8)
    cand_ce: list[np.ndarray] = [np.zeros(0)]
    cand_index: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        v = row_values(scores[lo:hi], labels[lo:hi], spec.kind, spec.tolerance, spec.cap)
        status[lo:hi] = v.status
        ok = np.flatnonzero(v.status == 0)
        if ok.size < hi - lo:
            v = RowValues(*(getattr(v, name)[ok] for name in RowValues.__dataclass_fields__))
        index = ok + lo
        w = np.ones(ok.size) if weights is None else weights[index]
        with np.errstate(over="ignore"):  # sums of huge finite CEs may overflow to inf
            tallies = tallies.add(_tally(v, labels[index], w, rows[index], spec))
        best = _worst_positions(v.ce, rows[index], index, spec.worst)
        cand_ce.append(v.ce[best])
        cand_index.append(index[best])
    ce = np.concatenate(cand_ce)
    index = np.concatenate(cand_index)
    best = _worst_positions(ce, rows[index], index, spec.worst)
    return BatchOutput(tallies, index[best], ce[best], status, int(np.count_nonzero(status)))


def compute(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None,
    rows: np.ndarray | None,
    spec: RowSpec,
    *,
    backend: Backend = "auto",
) -> BatchOutput:
    """Tally a batch: the fused numba kernel when available, else :func:`tally_numpy`.

    ``scores``: C-contiguous float32/float64, ``(n, K)`` (``(n, 1)`` for the binary
    kinds); ``labels``: int64 ``(n,)``; ``rows``: int64 ``(n,)``, or None for
    ``spec.row_offset + arange(n)``; ``weights``: float64 ``(n,)`` or None.
    """
    if use_numba(backend):
        from crossentropy.scoring._stats import _numba_rowstats

        return _numba_rowstats.tally(scores, labels, weights, rows, spec)
    return tally_numpy(scores, labels, weights, rows, spec)
