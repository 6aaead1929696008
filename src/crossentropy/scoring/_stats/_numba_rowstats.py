r"""The fused numba kernels of scoring: every statistic of a batch in one pass over its rows.

The rows are split into chunks, a few per thread, taken by the threads from a queue (a
thread slowed down by other work on its core leaves its share to the others); each chunk
fills its own slice of the output tallies (float64 sums), added up afterwards. Per row,
with the same formulas as :mod:`crossentropy.scoring._stats._rowstats` (the NumPy
implementation and these kernels' test oracle):

1. the label is checked; one scalar loop over the row (about 8 operations an entry;
   with the arg-max tracked in it, it does not vectorise, and measured faster so)
   gives the sum, the sum of squares, the smallest and largest entries, the first
   arg-max (a select, no branch) and how many entries are above and equal to the
   label's. A NaN reaches the sum and an infinity the extremes, so there is no test per
   entry: an invalid row is recognised from these and only then scanned again for its
   reason. For logits a second loop sums :math:`e^{x_j - m}` and :math:`e^{2(x_j - m)}`
   (the vectorisable exponential of :mod:`crossentropy._jit.intrinsics`);
2. the cross-entropy (``log`` for probabilities, log-sum-exp for logits, ``log1p`` and
   softplus for the binary kinds), the confidence, the label's rank and the Brier term
   follow; a valid row is added to its chunk: running totals in registers, per-class
   sums, the confusion cell, uniform and fine calibration bins, the cross-entropy
   histogram bin, the weight by rank (for the top-k accuracies);
3. the chunk keeps its ``worst`` rows sorted by :math:`(-\ell, \text{row})`; a row is
   compared with the chunk's current last one (two registers), so almost always a
   single comparison;
4. with a bootstrap, the row's B Poisson(1) weights come from a SplitMix64 stream keyed
   by (seed, source, row), the same in any batch and any process.

``fastmath`` is used in one place, the sum of exponentials of logits, and limited there
to reassociation and contraction (so that the loop vectorises; no ``nnan``/``ninf``, so
NaN and infinity reach the sum). It is a function of its own: numba drops the flags of a
function it inlines. The other loops are compiled without fastmath.

There is one kernel per kind, compiled on first use (about 2-3 s each) and cached on
disk (``cache=True``); ``nogil`` kernels run on a small thread pool, one chunk each.
(A ``prange`` version measured the same speed but compiled 3-4 times slower, because
numba's parfor passes analyse the whole inlined loop body.)

The compiled code of scoring stays in this one file although it passes 500 lines:
numba's disk cache is invalidated only by changes to the file that defines a kernel, not
to the files of the functions it inlines, so a split would let stale machine code outlive
an edit. (The one exception is ``fast_exp64``, shared with the softmax kernels: after
changing ``crossentropy/_jit/intrinsics.py``, touch this file.)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

import numba
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from crossentropy._jit.intrinsics import fast_exp64
from crossentropy.scoring._stats._row_spec import BatchOutput, RowSpec
from crossentropy.scoring._stats._tallies import (
    FINE_BINS,
    FINE_LINEAR,
    FINE_LOG,
    FINE_TOP0,
    GOLDEN,
    HIST_BINS,
    HIST_LIMIT,
    HIST_WIDTH_INVERSE,
    MIX1,
    MIX2,
    N_TOTALS,
    POISSON_THRESHOLDS,
    STATUS_INFINITE,
    STATUS_NAN,
    STATUS_NEGATIVE,
    STATUS_OVER_ONE,
    STATUS_SUM,
    STATUS_UNKNOWN_LABEL,
    Tallies,
    chunked_zeros,
)

__all__ = ["tally"]

_F = TypeVar("_F", bound=Callable[..., Any])
_SUM = {"reassoc", "contract"}  # not nnan/ninf: NaN and inf must reach the sums
_MIN_CHUNK_ROWS = 16384
_CHUNKS_PER_THREAD = 8
_SMALL_CONFUSION = 128  # classes: up to this, a confusion matrix per chunk is cheap


def _jit(**options: Any) -> Callable[[_F], _F]:
    """``numba.njit(**options)`` with its type for mypy (the function's own)."""

    def wrap(fn: _F) -> _F:
        return cast("_F", njit(**options)(fn))

    return wrap


def _bits_intrinsic(typingctx: Any, x: Any) -> Any:  # noqa: ARG001
    """The bits of a float64 as an int64 (a bit cast, no conversion)."""
    if x != types.float64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:  # noqa: ARG001
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(x), codegen


_float_bits = cast("Callable[[float], int]", intrinsic(_bits_intrinsic))

_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)
_M1, _M2, _G = np.uint64(MIX1), np.uint64(MIX2), np.uint64(GOLDEN)
_INF = math.inf


@_jit(inline="always")
def _mix(z: Any) -> Any:  # pragma: no cover - compiled
    # The SplitMix64 finaliser (uint64, wrapping).
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@_jit(inline="always")
def _fine_bin(c: float) -> int:  # pragma: no cover - compiled
    # The fine calibration grid of _tallies.fine_index, from the bits of d = 1 - c.
    if c < 0.875:
        return min(int(c * 1000.0), FINE_LINEAR - 1)
    d = 1.0 - c
    if d == 0.0:
        return FINE_BINS - 1
    j = FINE_TOP0 - (_float_bits(d) >> 48)
    return FINE_LINEAR + min(max(j, 0), FINE_LOG)


@_jit(inline="always")
def _sigmoid(z: float) -> float:  # pragma: no cover - compiled
    e = math.exp(-abs(z))
    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)


@_jit(inline="always")
def _scan(row: Any, py: float) -> Any:  # pragma: no cover - compiled
    # One scalar loop, about 8 operations an entry, for what every kind needs: the sum and
    # the sum of squares, the smallest entry, the largest and its first index (a select,
    # no branch), and how many entries are above / equal to the label's. (A NaN or +inf
    # reaches the sum, so no test per entry is needed for them.)
    total = 0.0
    squares = 0.0
    low = _INF
    top = -_INF
    arg = 0
    above = 0
    equal = 0
    for j in range(row.shape[0]):
        v = np.float64(row[j])
        total += v
        squares += v * v
        low = min(low, v)
        above += v > py
        equal += v == py
        if v > top:
            top = v
            arg = j
    return total, squares, low, top, arg, above, equal


@_jit(inline="always")
def _rank(row: Any, py: float, y: int, above: int, equal: int) -> int:  # pragma: no cover
    # #{j : p_j > p_y} + #{j < y : p_j = p_y}; the second term needs a loop only on ties.
    if equal == 1:
        return above
    for j in range(y):
        above += np.float64(row[j]) == py
    return above


@_jit(fastmath=_SUM)  # not inlined: numba would drop these flags, and the loop is
def _sum_exp(row: Any, top: float) -> Any:  # vectorised only with them (10x for K = 1000)
    # Max-shifted: every term in [0, 1] and the largest exactly 1, so no overflow.
    total = 0.0
    squares = 0.0
    for j in range(row.shape[0]):
        e = fast_exp64(np.float64(row[j]) - top)
        total += e
        squares += e * e
    return total, squares


@_jit(inline="always")
def _reason(row: Any, logits: bool) -> int:  # pragma: no cover - compiled
    # Which check an invalid row fails first (the rare slow path).
    nan = False
    inf = False
    negative = False
    over = False
    for j in range(row.shape[0]):
        v = np.float64(row[j])
        nan |= math.isnan(v)
        inf |= math.isinf(v)
        negative |= v < 0.0
        over |= v > 1.0
    if nan:
        return STATUS_NAN
    if inf or logits:
        return STATUS_INFINITE
    if negative:
        return STATUS_NEGATIVE
    if over:
        return STATUS_OVER_ONE
    return STATUS_SUM  # (also a sum within rounding of the tolerance: summed differently)


_BAD = 0.0, 0.0, 0, 0.0, 0, 0.0  # the other values of an invalid row


@_jit(inline="always")
def _probabilities_row(row: Any, y: int, tol: float, cap: float) -> Any:  # pragma: no cover
    if y < 0 or y >= row.shape[0]:
        return (STATUS_UNKNOWN_LABEL, *_BAD)
    py = np.float64(row[y])
    total, squares, low, top, arg, above, equal = _scan(row, py)
    # NaN makes the sum NaN, +inf makes the max > 1, -inf makes the min < 0.
    if not (low >= 0.0 and top <= 1.0 and abs(total - 1.0) <= tol):
        return (_reason(row, False), *_BAD)
    ce = min(-math.log(py), cap)  # -log 0 = inf
    rank = _rank(row, py, y, above, equal)
    return 0, ce, py, arg, top, rank, squares - 2.0 * py + 1.0


@_jit(inline="always")
def _logits_row(row: Any, y: int, tol: float, cap: float) -> Any:  # noqa: ARG001  # pragma: no cover
    if y < 0 or y >= row.shape[0]:
        return (STATUS_UNKNOWN_LABEL, *_BAD)
    xy = np.float64(row[y])
    _, _, low, top, arg, above, equal = _scan(row, xy)  # softmax keeps the order
    total, squares = _sum_exp(row, top)
    # NaN and +inf make the sum of exponentials NaN; -inf shows as the smallest entry.
    if not (low > -_INF and total < _INF):
        return (_reason(row, True), *_BAD)
    shifted = xy - top  # the label's logit minus the max
    ce = min(math.log(total) - shifted, cap)  # log-sum-exp minus the label's logit
    p = math.exp(shifted) / total
    rank = _rank(row, xy, y, above, equal)
    return 0, ce, p, arg, 1.0 / total, rank, squares / (total * total) - 2.0 * p + 1.0


@_jit(inline="always")
def _probability_row(row: Any, y: int, tol: float, cap: float) -> Any:  # noqa: ARG001  # pragma: no cover
    p = np.float64(row[0])
    if not 0 <= y <= 1:
        return (STATUS_UNKNOWN_LABEL, *_BAD)
    if not 0.0 <= p <= 1.0:
        return (_reason(row, False), *_BAD)
    if y == 1:
        ce = -math.log(p)
        py = p
    else:
        ce = -math.log1p(-p)  # exact for tiny p
        py = 1.0 - p
    predicted = 1 if p > 0.5 else 0
    d = p - y
    rank = 0 if predicted == y else 1
    return 0, min(ce, cap), py, predicted, max(p, 1.0 - p), rank, 2.0 * d * d


@_jit(inline="always")
def _logit_row(row: Any, y: int, tol: float, cap: float) -> Any:  # noqa: ARG001  # pragma: no cover
    v = np.float64(row[0])
    if not 0 <= y <= 1:
        return (STATUS_UNKNOWN_LABEL, *_BAD)
    if not abs(v) < _INF:
        return (_reason(row, True), *_BAD)
    z = -v if y == 1 else v  # -ln p(label) = softplus(z)
    ce = max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    wrong = _sigmoid(z)  # 1 - p(label), without cancellation
    predicted = 1 if v > 0.0 else 0
    rank = 0 if predicted == y else 1
    return 0, min(ce, cap), _sigmoid(-z), predicted, _sigmoid(abs(v)), rank, 2.0 * wrong * wrong


@_jit(inline="always")
def _before(ce: float, row: int, other_ce: float, other_row: int) -> bool:  # pragma: no cover
    # The worst-rows order: larger cross-entropy first, then the smaller row number.
    return ce > other_ce or (ce == other_ce and row < other_row)


@_jit(inline="always")
def _row_number(rows: Any, offset: int, i: int) -> int:  # pragma: no cover - compiled
    # Row numbers as given, or offset + i when none were given (no array to read).
    return rows[i] if rows.shape[0] else offset + i


@_jit(inline="always")
def _keep_worst(  # noqa: PLR0917
    c: int,
    i: int,
    ce: float,
    rows: Any,
    offset: int,
    worst_ce: Any,
    worst_index: Any,
    worst_n: Any,
) -> Any:  # pragma: no cover - compiled
    # Insert row i into chunk c's sorted list; return the new last entry (ce, row), the
    # bar a later row must pass (ce -1 while the list is not full: every row passes).
    limit = worst_ce.shape[1]
    size = worst_n[c]
    r = _row_number(rows, offset, i)
    j = size if size < limit else limit - 1
    if size < limit:
        size += 1
        worst_n[c] = size
    while j > 0 and _before(
        ce, r, worst_ce[c, j - 1], _row_number(rows, offset, worst_index[c, j - 1])
    ):
        worst_ce[c, j] = worst_ce[c, j - 1]
        worst_index[c, j] = worst_index[c, j - 1]
        j -= 1
    worst_ce[c, j] = ce
    worst_index[c, j] = i
    if size < limit:
        return -1.0, 0
    return worst_ce[c, limit - 1], _row_number(rows, offset, worst_index[c, limit - 1])


@_jit(inline="always")
def _resample(  # noqa: PLR0917
    c: int, key: Any, w: float, ce: float, finite: bool, thresholds: Any, boot: Any
) -> None:  # pragma: no cover - compiled
    stream = key
    levels = thresholds.shape[0]
    for b in range(boot.shape[1]):
        stream += _G
        h = _mix(stream)
        draw = 0  # Poisson(1) by inverting its CDF at h: #{k : h >= T_k}
        while draw < levels and h >= thresholds[draw]:
            draw += 1
        if draw:
            wd = w * draw
            if finite:
                boot[c, b, 0] += wd * ce
            else:
                boot[c, b, 2] += wd
            boot[c, b, 1] += wd


@_jit(inline="always")
def _chunk(row_values: Any, c: int, lo: int, hi: int, args: Any) -> None:  # pragma: no cover
    # Rows lo..hi into chunk c's tallies (``args``: the arrays, as tally() packs them).
    (
        x,
        y,
        w,
        rows,
        offset,
        tol,
        cap,
        ranks,
        boot_key,
        thresholds,
        status,
        totals,
        per_class,
        confusion,
        calibration,
        fine,
        hist,
        boot,
        worst_ce,
        worst_index,
        worst_n,
    ) = args
    n_bins = calibration.shape[1]
    n_ranks = ranks.shape[1]
    weighted = w.shape[0] > 0
    with_confusion = confusion.shape[1] > 0
    with_worst = worst_ce.shape[1] > 0
    with_boot = boot.shape[1] > 0
    # The chunk's totals in registers, written once at the end.
    n_rows = 0.0
    n_inf = 0.0
    w_sum = 0.0
    ce_sum = 0.0
    inf_sum = 0.0
    brier_sum = 0.0
    correct_sum = 0.0
    bar_ce = -1.0  # a row enters the worst list if it comes before (bar_ce, bar_row)
    bar_row = 0
    for i in range(lo, hi):
        yi = y[i]
        st, ce, _, predicted, conf, rank, brier = row_values(x[i], yi, tol, cap)
        if st != 0:
            status[i] = st  # (status starts as zeros: valid rows write nothing)
            continue
        wi = w[i] if weighted else 1.0
        finite = ce < _INF
        wce = wi * ce if finite else 0.0
        winf = 0.0 if finite else wi
        wcorrect = wi if rank == 0 else 0.0
        n_rows += 1.0
        n_inf += 0.0 if finite else 1.0
        w_sum += wi
        ce_sum += wce
        inf_sum += winf
        brier_sum += wi * brier
        correct_sum += wcorrect
        if rank < n_ranks:
            ranks[c, rank] += wi  # weight by the label's rank, up to the largest k
        per_class[c, yi, 0] += wi
        per_class[c, yi, 1] += wce
        if not finite:
            per_class[c, yi, 2] += winf
        per_class[c, yi, 3] += wcorrect
        per_class[c, yi, 4] += 1.0
        if with_confusion:
            confusion[c, yi, predicted] += wi
        wconf = wi * conf
        b = min(int(conf * n_bins), n_bins - 1)
        calibration[c, b, 0] += wi
        calibration[c, b, 1] += wconf
        calibration[c, b, 2] += wcorrect
        calibration[c, b, 3] += 1.0
        f = _fine_bin(conf)
        fine[c, f, 0] += wi
        fine[c, f, 1] += wconf
        fine[c, f, 2] += wcorrect
        fine[c, f, 3] += 1.0
        h = int(ce * HIST_WIDTH_INVERSE) if ce < HIST_LIMIT else HIST_BINS - 1
        hist[c, h] += wi
        # (the row number is only read on a tie with the bar)
        if with_worst and (
            ce > bar_ce or (ce == bar_ce and _row_number(rows, offset, i) < bar_row)
        ):
            bar_ce, bar_row = _keep_worst(c, i, ce, rows, offset, worst_ce, worst_index, worst_n)
        if with_boot:
            key = _mix(boot_key ^ np.uint64(_row_number(rows, offset, i)))
            _resample(c, key, wi, ce, finite, thresholds, boot)
    totals[c, 0] = n_rows
    totals[c, 1] = n_inf
    totals[c, 2] = w_sum
    totals[c, 3] = ce_sum
    totals[c, 4] = inf_sum
    totals[c, 5] = brier_sum
    totals[c, 6] = correct_sum


# One kernel per kind, each compiled on its first use: rows lo..hi into chunk c's
# tallies. ``args`` holds the arrays and options as tally() packs them.
_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}


@_jit(**_OPTIONS)
def _probabilities(c: int, lo: int, hi: int, args: Any) -> None:  # pragma: no cover
    _chunk(_probabilities_row, c, lo, hi, args)


@_jit(**_OPTIONS)
def _logits(c: int, lo: int, hi: int, args: Any) -> None:  # pragma: no cover
    _chunk(_logits_row, c, lo, hi, args)


@_jit(**_OPTIONS)
def _probability(c: int, lo: int, hi: int, args: Any) -> None:  # pragma: no cover
    _chunk(_probability_row, c, lo, hi, args)


@_jit(**_OPTIONS)
def _logit(c: int, lo: int, hi: int, args: Any) -> None:  # pragma: no cover
    _chunk(_logit_row, c, lo, hi, args)


_KERNELS = (_probabilities, _logits, _probability, _logit)
_POOL: dict[int, ThreadPoolExecutor] = {}  # by process id: a forked child makes its own


def _pool() -> ThreadPoolExecutor:
    """The worker threads of this process (created on first use, ``NUMBA_NUM_THREADS``)."""
    pid = os.getpid()
    if pid not in _POOL:
        _POOL.clear()  # a pool inherited through fork has no threads behind it
        _POOL[pid] = ThreadPoolExecutor(
            max_workers=numba.get_num_threads(), thread_name_prefix="crossentropy-score"
        )
    return _POOL[pid]


def tally(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None,
    rows: np.ndarray | None,
    spec: RowSpec,
) -> BatchOutput:
    """Tally a batch with the fused kernel (same contract as ``_rowstats.tally_numpy``)."""
    n = scores.shape[0]
    threads = numba.get_num_threads()
    # A few chunks per thread, taken from a queue: a thread slowed down by other work on
    # its core leaves its share to the others. A large confusion matrix is per chunk, so
    # then one chunk per thread.
    per_thread = 1 if spec.confusion and spec.n_classes > _SMALL_CONFUSION else _CHUNKS_PER_THREAD
    chunks = max(1, min(threads * per_thread, n // _MIN_CHUNK_ROWS))
    parts = chunked_zeros(
        chunks,
        spec.n_classes,
        len(spec.top_k),
        spec.n_bins,
        spec.n_boot,
        confusion=spec.confusion,
    )
    status = np.zeros(n, dtype=np.int8)
    worst_ce = np.zeros((chunks, spec.worst))
    worst_index = np.zeros((chunks, spec.worst), dtype=np.int64)
    worst_n = np.zeros(chunks, dtype=np.int64)
    ranks = np.zeros((chunks, max(spec.top_k, default=0)))
    args = (
        scores,
        labels,
        np.zeros(0) if weights is None else weights,
        np.zeros(0, dtype=np.int64) if rows is None else rows,
        spec.row_offset,
        spec.tolerance,
        spec.cap,
        ranks,
        np.uint64(spec.boot_key),
        POISSON_THRESHOLDS,
        status,
        parts["totals"],
        parts["per_class"],
        parts["confusion"],
        parts["calibration"],
        parts["fine"],
        parts["hist"],
        parts["bootstrap"],
        worst_ce,
        worst_index,
        worst_n,
    )
    kernel = _KERNELS[spec.kind]
    step = -(-n // chunks)
    if chunks == 1:
        kernel(0, 0, n, args)
    else:
        futures = [
            _pool().submit(kernel, c, c * step, min(n, (c + 1) * step), args) for c in range(chunks)
        ]
        for future in futures:
            future.result()
    for t, k in enumerate(spec.top_k):
        parts["totals"][:, N_TOTALS + t] = ranks[:, :k].sum(axis=1)
    ce = np.concatenate([worst_ce[c, : worst_n[c]] for c in range(chunks)])
    index = np.concatenate([worst_index[c, : worst_n[c]] for c in range(chunks)])
    numbers = spec.row_offset + index if rows is None else rows[index]
    order = np.lexsort((index, numbers, -ce))[: spec.worst]
    return BatchOutput(
        Tallies.from_chunks(parts),
        index[order],
        ce[order],
        status,
        int(np.count_nonzero(status)),
    )
