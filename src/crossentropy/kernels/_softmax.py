"""Fused softmax cross-entropy with integer labels on NumPy arrays: the public kernel API."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from crossentropy._agnostic._softmax import generic_softmax_cross_entropy
from crossentropy._jit import Backend, numba_available, use_numba
from crossentropy.kernels._plan import (
    InvalidInputError,
    RowPlan,
    as_matrix,
    grad_scale,
    plan_rows,
    reduce_rows,
)

__all__ = [
    "Backend",
    "KernelResult",
    "numba_available",
    "softmax_cross_entropy",
    "softmax_cross_entropy_with_grad",
]


class KernelResult(NamedTuple):
    r"""The loss, its gradient with respect to the logits, and each row's log-sum-exp.

    Attributes
    ----------
    loss : ndarray
        0-d for ``"mean"``/``"sum"``, shape ``(N,)`` for ``"none"``; the logits' dtype.
    grad : ndarray, shape (N, C)
        :math:`\partial\,\mathrm{loss} / \partial\,\mathrm{logits}` (for ``"none"``
        row ``i`` is the gradient of ``loss[i]``); the logits' dtype. With
        ``inplace=True`` it *is* the logits array.
    lse : ndarray, shape (N,), float64
        :math:`\log \sum_c e^{x_{ic}}` of each row (useful for a z-loss or to recompute
        the softmax later).
    """

    loss: np.ndarray
    grad: np.ndarray
    lse: np.ndarray


def _backend(backend: str) -> Any:
    if not use_numba(backend):
        from crossentropy.kernels import _numpy_softmax

        return _numpy_softmax
    from crossentropy.kernels import _numba_softmax

    return _numba_softmax


def _prepare(  # noqa: PLR0917
    logits: Any,
    labels: Any,
    weight: Any,
    sample_weight: Any,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: str,
) -> tuple[np.ndarray, np.dtype[Any], RowPlan]:
    x, out_dtype = as_matrix(logits)
    plan = plan_rows(
        labels,
        x.shape[0],
        x.shape[1],
        weight=weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
    )
    return x, out_dtype, plan


def softmax_cross_entropy(
    logits: np.ndarray,
    labels: np.ndarray,
    /,
    *,
    weight: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    backend: Backend = "auto",
) -> np.ndarray:
    r"""Softmax cross-entropy of ``(N, C)`` logits and integer labels in one pass.

    The value of :func:`crossentropy.losses.softmax_cross_entropy` (PyTorch's
    ``F.cross_entropy`` semantics: class ``weight``, ``ignore_index``,
    ``label_smoothing``, the weighted mean) plus per-row ``sample_weight``, computed by a
    fused kernel that reads each logit once: a running maximum and a rescaled running sum
    of exponentials per row, the target logit gathered on the way, rows in parallel.

    Parameters
    ----------
    logits : ndarray, shape (N, C)
        float32 or float64 (float16/bfloat16 are computed in float32). NaN is an error;
        ``+inf``/``-inf`` follow the library's limit conventions (those rows take the
        exact slow path).
    labels : ndarray of int, shape (N,)
        Class indices in ``[0, C)`` or ``ignore_index``.
    weight : ndarray, shape (C,), optional
        Class weights, finite and non-negative.
    sample_weight : ndarray, shape (N,), optional
        Row weights, finite and non-negative.
    ignore_index : int or None, default -100
    label_smoothing : float in [0, 1], default 0
    reduction : {"mean", "sum", "none"}, default "mean"
    backend : {"auto", "numba", "numpy"}, default "auto"
        ``"auto"`` uses numba when installed, else the chunked NumPy fallback (bounded
        temporary memory, a few MB).

    Returns
    -------
    ndarray
        0-d for ``"mean"``/``"sum"``, ``(N,)`` for ``"none"``, in the logits' dtype. Row
        losses and the reduction accumulate in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import kernels
    >>> logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], dtype=np.float32)
    >>> float(kernels.softmax_cross_entropy(logits, np.array([0, 1])))  # doctest: +ELLIPSIS
    0.318...
    """
    x, out_dtype, plan = _prepare(
        logits, labels, weight, sample_weight, ignore_index, label_smoothing, reduction
    )
    loss = np.empty(x.shape[0])
    lse = np.empty(x.shape[0])
    _backend(backend).forward(x, plan, loss, lse)
    _patch_nonfinite(x, plan, loss, lse, None, 1.0, (weight, sample_weight, label_smoothing))
    return reduce_rows(loss, plan, out_dtype)


def softmax_cross_entropy_with_grad(
    logits: np.ndarray,
    labels: np.ndarray,
    /,
    *,
    weight: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    out: np.ndarray | None = None,
    inplace: bool = False,
    backend: Backend = "auto",
) -> KernelResult:
    r"""The loss of :func:`softmax_cross_entropy` and its gradient, fused.

    One read of each logit for the row statistics and one write of the gradient
    :math:`\partial \ell / \partial x_{ij} = c\,(T_i\, \mathrm{softmax}(x_i)_j - t_{ij})`
    (:math:`c` is ``1 / sum of item weights`` for ``"mean"``, else 1), while the row is
    still in cache.

    Parameters
    ----------
    logits, labels, weight, sample_weight, ignore_index, label_smoothing, reduction, backend
        As in :func:`softmax_cross_entropy`.
    out : ndarray, shape (N, C), optional
        A buffer of the logits' compute dtype to write the gradient into (reusing one
        saves the page faults of fresh memory).
    inplace : bool, default False
        Write the gradient over ``logits`` (which must be a writeable C-contiguous float32
        or float64 array): no extra memory at all; the logits are lost.

    Returns
    -------
    KernelResult
        ``(loss, grad, lse)``.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import kernels
    >>> logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    >>> result = kernels.softmax_cross_entropy_with_grad(logits, np.array([0, 1]))
    >>> result.grad.round(4).tolist()
    [[-0.1705, 0.1212, 0.0493], [0.0543, -0.0988, 0.0445]]
    """
    if inplace and out is not None:
        msg = "pass either out= or inplace=True, not both"
        raise ValueError(msg)
    if inplace:
        _check_inplace(logits)
    x, out_dtype, plan = _prepare(
        logits, labels, weight, sample_weight, ignore_index, label_smoothing, reduction
    )
    if inplace:
        grad = x
    elif out is not None:
        if not (
            isinstance(out, np.ndarray)
            and out.shape == x.shape
            and out.dtype == x.dtype
            and out.flags.c_contiguous
            and out.flags.writeable
        ):
            msg = (
                f"out must be a writeable C-contiguous {x.dtype} array of shape {x.shape}, "
                f"got {type(out).__name__} {getattr(out, 'dtype', '')} "
                f"{getattr(out, 'shape', '')}"
            )
            raise ValueError(msg)
        if np.shares_memory(out, x):
            msg = "out must not overlap logits; use inplace=True to overwrite the logits"
            raise ValueError(msg)
        grad = out
    else:
        grad = np.empty_like(x)
    loss = np.empty(x.shape[0])
    lse = np.empty(x.shape[0])
    scale = grad_scale(plan)
    row_options = (weight, sample_weight, label_smoothing)
    # The kernels leave the gradient of a row with a non-finite lse unwritten, so even in
    # place its logits are still there for the exact path to recompute it.
    _backend(backend).forward_backward(x, plan, scale, grad, loss, lse)
    _patch_nonfinite(x, plan, loss, lse, grad, scale, row_options)
    if grad.dtype != out_dtype:
        with np.errstate(over="ignore"):
            grad = grad.astype(out_dtype)
    return KernelResult(reduce_rows(loss, plan, out_dtype), grad, lse)


def _check_inplace(logits: Any) -> None:
    if not (
        isinstance(logits, np.ndarray)
        and logits.dtype in (np.float32, np.float64)
        and logits.flags.c_contiguous
        and logits.flags.writeable
    ):
        msg = (
            "inplace=True needs logits as a writeable C-contiguous float32 or float64 "
            f"NumPy array, got {type(logits).__name__} {getattr(logits, 'dtype', '')}"
        )
        raise ValueError(msg)


def _patch_nonfinite(  # noqa: PLR0917
    x: np.ndarray,
    plan: RowPlan,
    loss: np.ndarray,
    lse: np.ndarray,
    grad: np.ndarray | None,
    scale: float,
    row_options: tuple[Any, Any, float],
) -> None:
    """Recompute rows whose log-sum-exp is not finite with the exact library path.

    A row with a NaN is an error (named by its index); a row with ``+inf`` logits, or
    only ``-inf`` ones, takes the limit conventions of
    :func:`crossentropy.losses.softmax_cross_entropy` (exact, slow, and rare).
    """
    rows = np.flatnonzero(~np.isfinite(lse))
    if rows.size == 0:
        return
    sub = x[rows]
    nan = np.isnan(sub)
    if nan.any():
        r, c = np.argwhere(nan)[0]
        msg = f"logits must contain no NaN; found nan at index [{rows[r]}, {c}]"
        raise InvalidInputError(msg)

    weight, sample_weight, label_smoothing = row_options
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)[rows]
    # "none" with the gradient: each row's loss, and the gradient of their sum (row i's
    # slice is row i's own gradient).
    # The generic implementation never dispatches back to these kernels.
    result = generic_softmax_cross_entropy(
        sub.astype(np.float64),
        plan.labels[rows],
        axis=-1,
        weight=None if weight is None else np.asarray(weight, dtype=np.float64),
        sample_weight=sw,
        ignore_index=-1,
        label_smoothing=label_smoothing,
        reduction="none",
        with_grad=grad is not None,
    )
    loss[rows] = result.value
    if grad is not None:
        # scale 0 (a mean over no weight): gradient 0 even where a row's softmax has no
        # limit, as on the generic path (0 * nan would be nan)
        grad[rows] = 0.0 if scale == 0.0 else (result.grad * scale).astype(grad.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        m = np.max(sub, axis=1)
        lse[rows] = np.where(np.isfinite(m), m + np.log(np.sum(np.exp(sub - m[:, None]), 1)), m)
