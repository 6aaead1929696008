"""Numerically stable primitives shared by the information measures and the losses.

All functions take and return arrays of any array-API library (see
:mod:`crossentropy._array_api`), are stable for every finite input, and compute half
precision in ``float32`` before casting the result back to the input dtype.
"""

from __future__ import annotations

import math
from typing import Any

from crossentropy._array_api import Array, compute_dtype, namespace
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
    gives ``-inf`` (the log of an empty sum).

    Examples
    --------
    >>> import numpy as np
    >>> float(logsumexp(np.array([1000.0, 1000.0])))  # 1000 + ln 2, no overflow
    1000.6931471805599
    """
    xp, (x,) = namespace(x)
    axis = check_axis(axis, x.ndim)
    xc = upcast(xp, x)
    if xc.shape[axis] == 0:
        shape = list(xc.shape)
        shape[axis] = 1
        out = xp.full(tuple(shape), -math.inf, dtype=xc.dtype)
        return _finish(xp, out if keepdims else xp.squeeze(out, axis=axis), x)
    m = xp.max(xc, axis=axis, keepdims=True)
    # Shift by the max so every exponent is <= 0; a non-finite max (all -inf, or +inf)
    # is replaced by 0 so that -inf - -inf never makes NaN.
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(xc - m), axis=axis, keepdims=True)) + m
    return _finish(xp, out if keepdims else xp.squeeze(out, axis=axis), x)


def log_softmax(x: Array, /, *, axis: int = -1) -> Array:
    r"""Return :math:`x_i - \log\sum_j e^{x_j}` along ``axis``, stably.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax(np.array([0.0, 0.0])).round(6).tolist()
    [-0.693147, -0.693147]
    """
    xp, (x,) = namespace(x)
    axis = check_axis(axis, x.ndim)
    xc = upcast(xp, x)
    return _finish(xp, xc - logsumexp(xc, axis=axis, keepdims=True), x)


def softmax(x: Array, /, *, axis: int = -1) -> Array:
    r"""Return :math:`e^{x_i} / \sum_j e^{x_j}` along ``axis``, stably.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([1e4, 0.0])).tolist()  # no overflow for huge logits
    [1.0, 0.0]
    """
    xp, (x,) = namespace(x)
    axis = check_axis(axis, x.ndim)
    xc = upcast(xp, x)
    return _finish(xp, xp.exp(xc - logsumexp(xc, axis=axis, keepdims=True)), x)


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
    xp, (x,) = namespace(x)
    xc = upcast(xp, x)
    z = xp.exp(-xp.abs(xc))
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
    xp, (x,) = namespace(x)
    xc = upcast(xp, x)
    out = xp.minimum(xc, xp.zeros_like(xc)) - xp.log1p(xp.exp(-xp.abs(xc)))
    return _finish(xp, out, x)


def xlogy(xp: Any, x: Array, y: Array) -> Array:
    r"""Return :math:`x \log y` with the convention :math:`0 \log y = 0` (even for y = 0).

    ``x > 0`` with ``y = 0`` gives ``-inf``. The log is taken of ``where(x == 0, 1, y)``
    so that autograd through the masked entries stays finite.
    """
    zero = x == 0
    safe_y = xp.where(zero, xp.ones_like(y), y)
    return xp.where(zero, xp.zeros_like(x), x * xp.log(safe_y))
