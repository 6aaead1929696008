"""Shared input handling for the information measures.

:func:`prepare` turns the caller's distributions into arrays of one namespace and one
compute dtype, checks them (or, with ``normalize=True``, renormalises them explicitly),
and broadcasts them against each other; :func:`finish` converts a result in nats to the
requested base and casts it back to the caller's dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crossentropy._array_api import Array, compute_dtype, is_lazy, to_numpy
from crossentropy._numerics import logsumexp
from crossentropy._validation import (
    check_axis,
    check_finite,
    check_nonnegative,
    check_probabilities,
    check_tolerance,
    default_tolerance,
    first_index,
    format_index,
    found_any,
    surely_none,
)

__all__ = [
    "check_tol",
    "finish",
    "log_ratio",
    "normalize_slices",
    "output_dtype",
    "prepare",
    "safe_exp",
]


def check_tol(tol: object) -> float | None:
    """Return the row-sum tolerance ``tol``: ``None`` or a finite float ``>= 0``."""
    return check_tolerance("tol", tol, optional=True)


def output_dtype(xp: Any, arrays: tuple[Array, ...]) -> Any:
    """The dtype of the result: the promoted floating input dtype, else the default float."""
    floating = [a.dtype for a in arrays if xp.isdtype(a.dtype, "real floating")]
    for a in arrays:
        compute_dtype(xp, a.dtype)  # raises TypeError for complex input
    if floating:
        return xp.result_type(*floating) if len(floating) > 1 else floating[0]
    return compute_dtype(xp, arrays[0].dtype)


def _input_tolerance(xp: Any, x: Array, tol: float | None, dtype: Any) -> float:
    """``tol``, or ``sqrt(eps)`` of the caller's own floating dtype (``dtype`` for ints)."""
    if tol is not None:
        return tol
    own = x.dtype if xp.isdtype(x.dtype, "real floating") else dtype
    return default_tolerance(xp, own)


def _broadcast_axis(
    names: tuple[str, ...], arrays: tuple[Array, ...], axis: int
) -> tuple[int, list[int]]:
    """The distribution axis in the broadcast shape and in each input's own shape.

    Shapes are aligned at the right, as in broadcasting. The distribution axis must
    have the same length in every input (a length-1 class axis is never stretched);
    the other (batch) dimensions broadcast.
    """
    shapes = [tuple(a.shape) for a in arrays]
    listed = " and ".join(f"{n} {s}" for n, s in zip(names, shapes, strict=True))
    for name, shape in zip(names, shapes, strict=True):
        if len(shape) == 0:
            msg = f"{name} must have at least one dimension (the distribution axis), got 0-d"
            raise ValueError(msg)
    ndim = max(len(shape) for shape in shapes)
    axis_b = check_axis(axis, ndim)
    own_axes = [axis_b - (ndim - len(shape)) for shape in shapes]
    lengths = {
        shape[own] if own >= 0 else None for shape, own in zip(shapes, own_axes, strict=True)
    }
    if len(lengths) > 1:
        msg = (
            f"the distributions must have the same number of outcomes along axis {axis}; "
            f"got shapes {listed} (only the other, batch dimensions broadcast)"
        )
        raise ValueError(msg)
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        msg = f"the batch dimensions of {listed} do not broadcast against each other"
        raise ValueError(msg) from None
    return axis_b, own_axes


def normalize_slices(
    xp: Any, name: str, x: Array, *, axis: int | tuple[int, ...], log: bool, what: str
) -> Array:
    """Divide each slice of ``x`` along ``axis`` by its sum (``log``: subtract its LSE).

    Rejects NaN and negative entries (``log``: NaN and ``+inf``), infinite entries,
    and slices whose sum is zero or overflows, naming the first offending index.
    ``what`` names a slice in messages (``"slice"``, ``"table"``).
    """
    axes = axis if isinstance(axis, tuple) else (axis,)
    if any(x.shape[a] == 0 for a in axes):
        return x  # nothing to renormalise: the measures of an empty slice are 0
    if log:
        check_finite(xp, name, xp.where(x == -math.inf, xp.zeros_like(x), x))
        if len(axes) == 1:
            totals = logsumexp(x, axis=axes[0], keepdims=True)
        else:  # logsumexp over two axes: reshape them into one
            flat = xp.reshape(x, (*tuple(x.shape)[:-2], -1))
            totals = xp.reshape(logsumexp(flat, axis=-1), (*tuple(x.shape)[:-2], 1, 1))
        bad = totals == -math.inf
    else:
        check_nonnegative(xp, name, x)
        check_finite(xp, name, x)
        with np.errstate(over="ignore"):  # a sum past the range: rescaled below
            totals = xp.sum(x, axis=axis, keepdims=True)
        bad = totals == 0
    if not is_lazy(x) and found_any(xp, bad):
        squeezed = xp.squeeze(bad, axis=axis)
        index = first_index(squeezed) if squeezed.ndim else ()
        total = float(to_numpy(xp.squeeze(totals, axis=axis))[index])
        where = f" at index {format_index(index)}" if index else ""
        kind = "log-sum-exp" if log else "sum"
        msg = (
            f"{name} cannot be normalised: the {what}{where} along axis {axis} has {kind} {total!r}"
        )
        raise ValueError(msg)
    if log:
        return x - totals
    if surely_none(xp, ~xp.isfinite(totals)):
        return x / totals  # the common case: no sum overflowed, no second pass
    # Finite entries whose sum overflows ([1e308, 1e308]) are normalisable: divide by the
    # slice's largest entry first, where (and only where) the plain sum is infinite.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        largest = xp.max(x, axis=axis, keepdims=True)
        largest = xp.where(largest > 0, largest, xp.ones_like(largest))
        scaled = x / largest
        rescaled = scaled / xp.sum(scaled, axis=axis, keepdims=True)
        plain = x / totals
    return xp.where(xp.isfinite(totals), plain, rescaled)


def prepare(
    xp: Any,
    names: tuple[str, ...],
    arrays: tuple[Array, ...],
    *,
    axis: int,
    normalize: bool,
    tol: float | None,
    log_input: bool,
) -> tuple[tuple[Array, ...], int, Any]:
    """Check, optionally normalise, upcast and broadcast distributions along ``axis``.

    Returns the arrays in the compute dtype (broadcast to one shape), the distribution
    axis as a non-negative index into that shape, and the dtype of the result.
    """
    tol = check_tol(tol)
    axis_b, own_axes = _broadcast_axis(names, arrays, axis)
    out_dtype = output_dtype(xp, arrays)
    dtype = compute_dtype(xp, out_dtype)
    prepared = []
    for name, x, own in zip(names, arrays, own_axes, strict=True):
        xc = x if x.dtype == dtype else xp.astype(x, dtype)
        if normalize:
            xc = normalize_slices(xp, name, xc, axis=own, log=log_input, what="slice")
        else:
            tol_x = _input_tolerance(xp, x, tol, dtype)
            check_probabilities(xp, name, xc, axis=own, tol=tol_x, log=log_input)
        prepared.append(xc)
    shapes = {tuple(a.shape) for a in prepared}
    if len(shapes) > 1:
        prepared = list(xp.broadcast_arrays(*prepared))
    return tuple(prepared), axis_b, out_dtype


def safe_exp(xp: Any, log_p: Array) -> tuple[Array, Array]:
    """Return ``(mask, log_p_safe)``: where ``log_p = -inf`` and ``log_p`` with 0 there.

    Computing ``exp(lp) * lp`` at ``lp = -inf`` gives ``0 * -inf = NaN`` (and NaN
    gradients through ``where``); the masked copy keeps both forward and backward finite.
    """
    mask = log_p == -math.inf
    return mask, xp.where(mask, xp.zeros_like(log_p), log_p)


def log_ratio(xp: Any, x: Array, y: Array) -> Array:
    """``log(x / y)`` for ``0 < x <= 1`` and ``y > 0``, without overflow of ``x / y``.

    The ratio is one rounding from exact, where ``log x - log y`` loses
    ``eps * |log y|``. It can overflow only for subnormal ``y``; there ``y`` is scaled by
    ``2**64`` (exact, a power of two) and ``64 ln 2`` added back after the log.
    """
    small = y < xp.finfo(y.dtype).smallest_normal
    scale = xp.where(small, xp.full_like(y, 2.0**64), xp.ones_like(y))
    shift = xp.where(small, xp.full_like(y, 64.0 * math.log(2.0)), xp.zeros_like(y))
    return xp.log(x / (y * scale)) + shift


def finish(xp: Any, result_nats: Array, ln_base: float, out_dtype: Any) -> Array:
    """Convert ``result_nats`` to the base whose log is ``ln_base`` and cast to ``out_dtype``.

    A NumPy scalar becomes a 0-d array, so a single distribution gives a 0-d array
    on every backend.
    """
    result = result_nats / ln_base if ln_base != 1.0 else result_nats
    if result.dtype != out_dtype:
        # Values beyond the range of a narrower output dtype are +inf there; written in
        # explicitly so that the cast itself does not overflow (and warn).
        big = result > float(xp.finfo(out_dtype).max)
        result = xp.where(big, xp.full_like(result, math.inf), result)
        result = xp.astype(result, out_dtype)
    if isinstance(result, np.generic):
        return np.asarray(result)
    return result
