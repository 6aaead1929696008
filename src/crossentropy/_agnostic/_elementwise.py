"""Masked elementwise helpers of the losses: exact at the edges, never warning.

No NaN from ``0 * inf`` and no NumPy warning from ``log(0)`` or ``x / 0``: ``where``
evaluates both branches, so the branch that is not used is made harmless (a ``1`` under
the log or the division) before the operation, and the edge value is written in
afterwards. Autograd through these functions stays finite for the same reason.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crossentropy._array_api import Array

__all__ = [
    "clip_probabilities",
    "modulating_factor",
    "mul0",
    "ratio",
    "safe_log",
    "xlog1py",
]


def mul0(xp: Any, a: Array, b: Array) -> Array:
    """``a * b`` with ``0 * b = 0`` even for infinite or NaN ``b``."""
    return a * xp.where(a == 0, xp.ones_like(b), b)


def safe_log(xp: Any, b: Array) -> Array:
    """``log(b)`` for ``b >= 0``, with ``log(0) = -inf`` computed without a warning."""
    zero = b == 0
    out = xp.log(xp.where(zero, xp.ones_like(b), b))
    return xp.where(zero, xp.full_like(b, -math.inf), out)


def xlog1py(xp: Any, a: Array, b: Array) -> Array:
    """``a * log1p(b)`` (``b >= -1``) with ``0 * log1p(b) = 0`` and ``log1p(-1) = -inf``."""
    minus_one = b == -1
    log1p_b = xp.log1p(xp.where(minus_one, xp.zeros_like(b), b))
    return mul0(xp, a, xp.where(minus_one, xp.full_like(b, -math.inf), log1p_b))


def ratio(xp: Any, a: Array, b: Array) -> Array:
    """``a / b`` for ``a, b >= 0`` with ``0 / b = 0`` (even ``b = 0``) and ``a / 0 = inf``."""
    b_zero = b == 0
    out = a / xp.where(b_zero, xp.ones_like(b), b)
    return xp.where(b_zero & (a != 0), xp.full_like(out, math.inf), out)


def clip_probabilities(xp: Any, p: Array, clip: float | None) -> tuple[Array, Array | None]:
    """Return ``p`` clipped to ``[clip, 1 - clip]`` and the mask where it was not moved.

    The bounds are ``clip`` and ``1 - clip`` rounded once to ``p``'s dtype (as
    ``torch.clamp`` and Keras' ``clip`` take them). ``where`` rather than
    ``minimum``/``maximum``: at ``p == clip`` autograd passes the whole gradient (as
    ``torch.clamp`` does), matching the mask used by the analytic gradients.
    """
    if clip is None:
        return p, None
    low = xp.full_like(p, clip)
    high = xp.full_like(p, 1.0 - clip)
    inside = (p >= low) & (p <= high)
    return xp.where(p < low, low, xp.where(p > high, high, p)), inside


def modulating_factor(xp: Any, q: Array, gamma: float) -> Array:
    """The focal loss's ``q ** gamma`` for ``q = 1 - p_t >= 0``, with ``0 ** 0 = 1``.

    ``q == 0`` is replaced by 1 before the power, so autograd through the unused branch
    never meets ``gamma * 0 ** (gamma - 1) = inf`` (for ``gamma < 1``).
    """
    if gamma == 0.0:
        return xp.ones_like(q)
    zero = q == 0
    powered = xp.where(zero, xp.ones_like(q), q) ** gamma
    return xp.where(zero, xp.zeros_like(q), powered)
