"""Numerically stable primitives shared by the information measures and the losses.

All functions take and return arrays of any array-API library (see
:mod:`crossentropy._array_api`), are stable for every finite input, and compute half
precision in ``float32`` before casting the result back to the input dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crossentropy._array_api import Array, compute_dtype, device, is_eager, namespace
from crossentropy._validation import check_axis

__all__ = [
    "Base",
    "log_base",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "softmax",
    "upcast",
    "xlogy",
]

#: Unit of an information measure: a name or a positive number other than 1.
Base = str | float

_NAMED_BASES = {"nats": 1.0, "bits": math.log(2.0), "dits": math.log(10.0)}


def log_base(base: Base) -> float:
    """Return ``ln(base)``: divide a quantity in nats by it to express it in ``base``.

    ``"nats"`` (base e), ``"bits"`` (base 2, also called shannons), ``"dits"`` (base
    10, also called hartleys or bans) or any positive number other than 1.

    Examples
    --------
    >>> log_base("bits")
    0.6931471805599453
    """
    if isinstance(base, str):
        try:
            return _NAMED_BASES[base]
        except KeyError:
            msg = f"base must be 'nats', 'bits', 'dits' or a positive number, got {base!r}"
            raise ValueError(msg) from None
    if isinstance(base, bool) or not isinstance(base, (int, float)):
        msg = f"base must be 'nats', 'bits', 'dits' or a positive number, got {base!r}"
        raise TypeError(msg)
    if not (base > 0 and base != 1 and math.isfinite(base)):
        msg = f"base must be a finite positive number other than 1, got {base!r}"
        raise ValueError(msg)
    return math.log(base)


def upcast(xp: Any, x: Array) -> Array:
    """Return ``x`` in its compute dtype (half precision -> float32, ints -> float64)."""
    dtype = compute_dtype(xp, x.dtype)
    return x if x.dtype == dtype else xp.astype(x, dtype)


def _finish(xp: Any, result: Array, like: Array) -> Array:
    """Cast ``result`` back to the floating dtype of ``like`` (half stays half)."""
    if xp.isdtype(like.dtype, "real floating") and result.dtype != like.dtype:
        if isinstance(result, np.ndarray | np.generic):
            # A float32 result beyond the half range rounds to inf: the right answer, so
            # NumPy's overflow warning is silenced for this cast only.
            with np.errstate(over="ignore"):
                return xp.astype(result, like.dtype)
        return xp.astype(result, like.dtype)
    return result


def logsumexp(x: Array, /, *, axis: int = -1, keepdims: bool = False) -> Array:
    r"""Return :math:`\log \sum_j \exp x_j` along ``axis``, stably.

    Parameters
    ----------
    x : array, shape (..., C, ...)
        Real values; ``-inf`` entries contribute nothing, ``+inf`` gives ``+inf``.
    axis : int, default -1
        Axis to reduce.
    keepdims : bool, default False
        Keep the reduced axis with length one.

    Returns
    -------
    array
        Same dtype as ``x`` (half precision is accumulated in float32).

    Notes
    -----
    With :math:`m = \max_j x_j`, :math:`\operatorname{LSE}(x) = m + \log\sum_j
    e^{x_j - m}`; every exponent is :math:`\le 0`, so nothing overflows. An empty axis
    gives ``-inf`` (the log of an empty sum); a slice whose max is ``+inf``, ``-inf`` or
    NaN gives that max.

    Examples
    --------
    >>> import numpy as np
    >>> float(logsumexp(np.array([1000.0, 1000.0])))  # 1000 + ln 2, no overflow
    1000.6931471805599
    """
    xp, (x,) = namespace(x, names=("x",))
    axis = check_axis(axis, x.ndim)
    xc = upcast(xp, x)
    if xc.shape[axis] == 0:
        shape = list(xc.shape)
        shape[axis] = 1
        out = xp.full(tuple(shape), -math.inf, dtype=xc.dtype, device=device(xc))
        return _finish(xp, out if keepdims else xp.squeeze(out, axis=axis), x)
    m = xp.max(xc, axis=axis, keepdims=True)
    if _all_finite(xp, m):
        # Shift by the max so every exponent is <= 0: nothing overflows.
        out = xp.log(xp.sum(xp.exp(xc - m), axis=axis, keepdims=True)) + m
    else:
        # A slice whose max is not finite (+inf, all -inf, or NaN) has that max as its
        # log-sum-exp; its entries are replaced by 0 before exp so that neither
        # inf - inf nor exp(large) is ever evaluated (no NaN, no NumPy warning).
        finite = xp.isfinite(m)
        m0 = xp.where(finite, m, xp.zeros_like(m))
        z = xp.where(finite, xc - m0, xp.zeros_like(xc))
        out = xp.where(finite, xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True)) + m0, m)
    return _finish(xp, out if keepdims else xp.squeeze(out, axis=axis), x)


def _all_finite(xp: Any, m: Array) -> bool:
    """Whether every slice max ``m`` is finite, known cheaply (``False`` if unknowable).

    Eager arrays take the short path when it holds; Dask graphs and traced arrays always
    take the path that handles non-finite slices, so no data is read to decide.
    """
    return is_eager(m) and bool(xp.all(xp.isfinite(m)))


def _softmax_parts(xp: Any, xc: Array, axis: int) -> tuple[Array, Array]:
    r"""Return ``(z, s)`` with ``log_softmax = z - log(s)`` and ``softmax = exp(z) / s``.

    ``xc`` is in its compute dtype with a non-empty ``axis`` (already normalised). For a
    slice with a finite max ``m``, ``z = x - m`` and ``s = sum(exp(z)) >= 1``. A slice with
    a non-finite max gets the limit where one exists: exactly one ``+inf`` entry (or a
    single class) puts all the mass there (``z = 0`` there, ``-inf`` elsewhere, ``s = 1``);
    otherwise (several ``+inf``, all ``-inf`` with two or more classes, or any NaN) the
    slice is NaN (``s = nan``).
    """
    m = xp.max(xc, axis=axis, keepdims=True)
    if _all_finite(xp, m):
        # Every exponent <= 0. An entry more than the dtype's range below the maximum
        # (-1e308 beside 1e308) gets -inf: its probability underflows to 0 exactly, so
        # NumPy's overflow warning says nothing wrong and is silenced (see half_log_softmax
        # for the losses that need such a log-probability in full).
        with np.errstate(over="ignore"):
            z = xc - m
        return z, xp.sum(xp.exp(z), axis=axis, keepdims=True)
    finite = xp.isfinite(m)
    m0 = xp.where(finite, m, xp.zeros_like(m))
    # Non-finite max: entries equal to it (the +inf ones, or every entry of an all -inf
    # slice) share the mass; the rest get probability 0. Never evaluates inf - inf.
    limit = xp.where(xc == m, xp.zeros_like(xc), xp.full_like(xc, -math.inf))
    with np.errstate(over="ignore"):
        z = xp.where(finite, xc - m0, limit)
    s = xp.sum(xp.exp(z), axis=axis, keepdims=True)
    # The limit exists only when a single entry carries the mass (s == 1); NaN max: no limit.
    defined = finite | ((s == 1) & ~xp.isnan(m))
    return z, xp.where(defined, s, xp.full_like(s, math.nan))


def half_log_softmax(xp: Any, xc: Array, z: Array, s: Array, axis: int) -> Array:
    r"""Half the log-softmax, :math:`(\log p)/2`, finite wherever ``xc`` is.

    ``z, s`` are :func:`_softmax_parts` of ``xc``. Where ``z`` overflowed to ``-inf``
    (an entry more than the dtype's range below its slice's maximum) the half is taken
    before the difference, :math:`x/2 - m/2`, which cannot overflow; elsewhere it is
    ``z/2``, exact. A loss that weights such an entry by less than one (label smoothing,
    a probability target: ``0.25 * 2e308 = 5e307``) is then representable as twice a sum
    of these halves. Only the overflow fallbacks call this.
    """
    m = xp.max(xc, axis=axis, keepdims=True)
    finite = xp.isfinite(m)
    m0 = xp.where(finite, m, xp.zeros_like(m))
    overflowed = xp.isinf(z) & xp.isfinite(xc) & finite
    with np.errstate(over="ignore", invalid="ignore"):
        half = xp.where(overflowed, xc / 2 - m0 / 2, z / 2)
    return half - xp.log(s) / 2


def log_softmax(x: Array, /, *, axis: int = -1) -> Array:
    r"""Return :math:`x_i - \log\sum_j e^{x_j}` along ``axis``, stably.

    Notes
    -----
    Computed as :math:`(x_i - m) - \log\sum_j e^{x_j - m}` with :math:`m = \max_j x_j`.
    ``-inf`` entries get ``-inf`` (probability 0). A slice with exactly one ``+inf``
    entry gets the limit (``0`` there, ``-inf`` elsewhere); a slice with several
    ``+inf`` entries, only ``-inf`` entries (two or more classes) or a NaN has no limit
    and gives NaN, silently. An empty axis gives an empty result.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax(np.array([0.0, 0.0])).round(6).tolist()
    [-0.693147, -0.693147]
    """
    xp, (x,) = namespace(x, names=("x",))
    axis = check_axis(axis, x.ndim)
    xc = upcast(xp, x)
    if xc.shape[axis] == 0:
        return _finish(xp, xc, x)
    z, s = _softmax_parts(xp, xc, axis)
    return _finish(xp, z - xp.log(s), x)


def softmax(x: Array, /, *, axis: int = -1) -> Array:
    r"""Return :math:`e^{x_i} / \sum_j e^{x_j}` along ``axis``, stably.

    Notes
    -----
    Computed as :math:`e^{x_i - m} / \sum_j e^{x_j - m}` with :math:`m = \max_j x_j`;
    non-finite entries follow :func:`log_softmax` (one ``+inf`` gives a one-hot slice).

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([1e4, 0.0])).tolist()  # no overflow for huge logits
    [1.0, 0.0]
    """
    xp, (x,) = namespace(x, names=("x",))
    axis = check_axis(axis, x.ndim)
    xc = upcast(xp, x)
    if xc.shape[axis] == 0:
        return _finish(xp, xc, x)
    z, s = _softmax_parts(xp, xc, axis)
    # exp(z) / s rather than exp(z - log s): the relative error stays a few ulp for
    # large C, where log s is large.
    return _finish(xp, xp.exp(z) / s, x)


def sigmoid(x: Array, /) -> Array:
    r"""Return the logistic function :math:`1 / (1 + e^{-x})`, stably.

    Notes
    -----
    With :math:`z = e^{-|x|} \in (0, 1]`: :math:`1/(1+z)` for :math:`x \ge 0` and
    :math:`z/(1+z)` otherwise, so neither branch overflows (and autograd through the
    unused branch stays finite).

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid(np.array([-800.0, 0.0, 800.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    xp, (x,) = namespace(x, names=("x",))
    xc = upcast(xp, x)
    # exp(-|x|) written with where, not abs: autograd's d|x|/dx = 0 at x = 0 would give
    # sigmoid'(0) = 0 instead of 1/4.
    z = xp.exp(xp.where(xc >= 0, -xc, xc))
    return _finish(xp, xp.where(xc >= 0, 1.0 / (1.0 + z), z / (1.0 + z)), x)


def log_sigmoid(x: Array, /) -> Array:
    r"""Return :math:`\log \sigma(x) = -\log(1 + e^{-x})`, stably.

    Notes
    -----
    :math:`\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})`; use ``log_sigmoid(-x)`` for
    :math:`\log(1 - \sigma(x))`.

    Examples
    --------
    >>> import numpy as np
    >>> log_sigmoid(np.array([-1000.0, 0.0])).round(6).tolist()
    [-1000.0, -0.693147]
    """
    xp, (x,) = namespace(x, names=("x",))
    xc = upcast(xp, x)
    # min(x, 0) and -|x| written with where so that autograd takes one side at x = 0
    # (abs and minimum have kinks there); the values are the same.
    nonneg = xc >= 0
    zero = xp.zeros_like(xc)
    out = xp.where(nonneg, zero, xc) - xp.log1p(xp.exp(xp.where(nonneg, -xc, xc)))
    return _finish(xp, out, x)


def xlogy(xp: Any, x: Array, y: Array) -> Array:
    r"""Return :math:`x \log y` with the convention :math:`0 \log y = 0` (even for y = 0).

    ``x > 0`` with ``y = 0`` gives ``-inf``. The log is taken of ``where(x == 0, 1, y)``
    so that autograd through the masked entries stays finite; ``y = 0`` is masked too
    (its log is set to ``-inf`` directly) so that NumPy and Dask raise no divide-by-zero
    warning.
    """
    zero = x == 0
    y_zero = (y == 0) & ~zero
    safe_y = xp.where(zero | y_zero, xp.ones_like(y), y)
    # log(0) = -inf written in directly: x * -inf is -inf for x > 0, with no warning.
    log_y = xp.where(y_zero, xp.full_like(y, -math.inf), xp.log(safe_y))
    return xp.where(zero, xp.zeros_like(x), x * log_y)
