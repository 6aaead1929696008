r"""Validation and per-row coefficients shared by every softmax cross-entropy kernel.

Every kernel computes, for row :math:`i` of an ``(N, C)`` logits matrix with
:math:`\mathrm{lse}_i = \log \sum_c e^{x_{ic}}`,

.. math::

    \ell_i = a_i\,(\mathrm{lse}_i - x_{i y_i})
           + b_i \Bigl(W\,\mathrm{lse}_i - \sum_c w_c x_{ic}\Bigr),
    \qquad
    \frac{\partial \ell_i}{\partial x_{ij}} = T_i\, p_{ij} - a_i [j = y_i] - b_i w_j,

with :math:`a_i = (1 - \varepsilon)\, s_i w_{y_i}` and :math:`b_i = s_i \varepsilon / C`
(both 0 for an ignored row), :math:`W = \sum_c w_c` and :math:`T_i = a_i + b_i W`. This is
:math:`-\sum_c t_{ic} \log p_{ic}` with PyTorch's smoothed, weighted target
:math:`t_{ic} = s_i w_c ((1-\varepsilon)[c = y_i] + \varepsilon / C)` (see
:mod:`crossentropy._agnostic._targets`). The coefficients are O(N) work done here in NumPy,
so the kernels only stream the logits.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from crossentropy._agnostic._options import check_ignore_index, check_label_smoothing
from crossentropy._validation import NUMBER_KINDS, Reduction, check_reduction

__all__ = [
    "InvalidInputError",
    "RowPlan",
    "as_matrix",
    "grad_scale",
    "plan_rows",
    "reduce_rows",
]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class InvalidInputError(ValueError):
    """A NaN logit or an invalid probability found by a kernel (a ``ValueError``).

    The library's losses catch it and rerun their generic path, which reports the entry
    in the caller's own shape and words.
    """


class RowPlan(NamedTuple):
    """What a kernel needs besides the logits, and the mean's normaliser."""

    labels: np.ndarray  # int64 (N,); -1 for an ignored row
    hot: np.ndarray  # float64 (N,): a_i
    spread: np.ndarray | None  # float64 (N,): b_i, None without label smoothing
    weight: np.ndarray | None  # float64 (C,): w_c, None for all ones
    weight_total: float  # W = sum_c w_c (C without weights)
    denominator: float  # the mean's normaliser: sum_i s_i w_{y_i} over counted rows
    reduction: Reduction


def as_matrix(logits: Any, name: str = "logits") -> tuple[np.ndarray, np.dtype[Any]]:
    """Return ``logits`` (or probabilities) as C-contiguous 2-D float32/64, and the out dtype.

    Half precision (float16, or bfloat16 from ml_dtypes) is upcast to float32, as the
    library computes it; the output dtype stays the input's.
    """
    if not isinstance(logits, np.ndarray):
        msg = f"{name} must be a NumPy array, got {type(logits).__name__}"
        raise TypeError(msg)
    if logits.ndim != 2:
        msg = f"{name} must be 2-D (N, C), got shape {logits.shape}"
        raise ValueError(msg)
    if logits.dtype.kind != "f" and logits.dtype.name != "bfloat16":
        msg = f"{name} must be real floating, got dtype {logits.dtype}"
        raise TypeError(msg)
    out_dtype = logits.dtype
    if logits.dtype not in _FLOATS:
        logits = logits.astype(np.float32)
    return np.ascontiguousarray(logits), out_dtype


def _vector(name: str, value: Any, length: int, what: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.shape != (length,):
        msg = f"{name} must have shape ({length},) ({what}), got shape {arr.shape}"
        raise ValueError(msg)
    if arr.dtype.kind not in NUMBER_KINDS:
        msg = f"{name} must be real numbers, got dtype {arr.dtype}"
        raise TypeError(msg)
    arr = arr.astype(np.float64)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        msg = f"{name} must be finite and non-negative; found {arr[index]} at index [{index}]"
        raise ValueError(msg)
    return arr


def plan_rows(
    labels: Any,
    num_rows: int,
    num_classes: int,
    *,
    weight: Any,
    sample_weight: Any,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: str,
    input_name: str = "logits",
) -> RowPlan:
    """Validate the labels and options; return the per-row coefficients."""
    red = check_reduction(reduction)
    eps = check_label_smoothing(label_smoothing)
    ignore = check_ignore_index(ignore_index)
    if num_classes == 0:
        msg = f"{input_name} must have at least one class, got shape ({num_rows}, 0)"
        raise ValueError(msg)
    lab = np.asarray(labels)
    if lab.dtype.kind not in "iu":
        msg = f"labels must be integer class labels, got dtype {lab.dtype}"
        raise TypeError(msg)
    if lab.shape != (num_rows,):
        msg = f"labels must have shape ({num_rows},) (one per row of {input_name}), got {lab.shape}"
        raise ValueError(msg)
    lab = lab.astype(np.int64, copy=False)
    ignored = None if ignore is None else lab == ignore
    if ignored is not None and not ignored.any():
        ignored = None  # the usual case: fewer passes below
    # One unsigned comparison finds labels < 0 and >= C alike.
    out_of_range = lab.view(np.uint64) >= num_classes
    if ignored is not None:
        out_of_range &= ~ignored
    if out_of_range.any():
        index = int(np.flatnonzero(out_of_range)[0])
        or_ignored = f" or ignore_index={ignore}" if ignore is not None else ""
        msg = (
            f"labels must be class indices in [0, {num_classes}){or_ignored}; found {lab[index]} "
            f"at index [{index}]"
        )
        raise ValueError(msg)
    w = None if weight is None else _vector("weight", weight, num_classes, "one per class")
    sw = (
        None
        if sample_weight is None
        else _vector("sample_weight", sample_weight, num_rows, "one per row")
    )
    if ignored is not None:
        lab = np.where(ignored, -1, lab)
    item = np.ones(num_rows) if w is None else w[np.maximum(lab, 0)]
    if sw is not None:
        item *= sw
    if ignored is not None:
        item[ignored] = 0.0
    spread = None
    if eps > 0:
        spread = np.full(num_rows, eps / num_classes) if sw is None else sw * (eps / num_classes)
        if ignored is not None:
            spread[ignored] = 0.0
    if w is None and sw is None:
        denominator = float(num_rows - (0 if ignored is None else np.count_nonzero(ignored)))
    else:
        denominator = float(item.sum())
    hot = item if eps == 0 else (1.0 - eps) * item
    return RowPlan(
        labels=lab,
        hot=hot,
        spread=spread,
        weight=w,
        weight_total=float(num_classes if w is None else math.fsum(w)),
        denominator=denominator,
        reduction=red,
    )


def grad_scale(plan: RowPlan) -> float:
    """The gradient's factor: ``1 / denominator`` for the mean (0 if nothing counts)."""
    if plan.reduction != "mean":
        return 1.0
    return 1.0 / plan.denominator if plan.denominator > 0 else 0.0


def reduce_rows(per_row: np.ndarray, plan: RowPlan, dtype: np.dtype[Any]) -> np.ndarray:
    """Reduce float64 per-row losses as ``plan.reduction`` says, cast to ``dtype``."""
    with np.errstate(over="ignore"):  # beyond the half range is inf, the right answer
        if plan.reduction == "none":
            return per_row.astype(dtype)
        total = float(np.sum(per_row))
        if plan.reduction == "mean":
            if math.isinf(total) and plan.denominator > 0 and bool(np.isfinite(per_row).all()):
                # the sum overflowed, the mean may not: scale before summing
                scale = float(np.max(np.abs(per_row)))
                total = float(np.sum(per_row / scale)) / (plan.denominator / scale)
            else:
                total = total / plan.denominator if plan.denominator > 0 else math.nan
        return np.asarray(total, dtype=dtype)
