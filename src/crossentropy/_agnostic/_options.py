"""Checks of the losses' scalar options: ``TypeError``/``ValueError`` naming the option.

``numbers.Real`` and ``numbers.Integral`` admit Python and NumPy scalars alike; ``bool``
is an ``int`` but never a sensible value, so it is refused everywhere.
"""

from __future__ import annotations

import math
import numbers

from crossentropy._validation import check_tolerance

__all__ = [
    "check_alpha_scalar",
    "check_clip",
    "check_gamma",
    "check_ignore_index",
    "check_label_smoothing",
    "check_tol",
]


def _real(name: str, value: object, expected: str = "a real number") -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name} must be {expected}, got {type(value).__name__} {value!r:.80}"
        raise TypeError(msg)
    return float(value)


def check_label_smoothing(label_smoothing: object) -> float:
    """Return ``label_smoothing`` as a float in ``[0, 1]``."""
    value = _real("label_smoothing", label_smoothing)
    if not 0.0 <= value <= 1.0:  # NaN fails both comparisons
        msg = f"label_smoothing must be in [0, 1], got {label_smoothing!r}"
        raise ValueError(msg)
    return value


def check_clip(clip: object) -> float | None:
    """Return ``clip``: ``None`` or a float in the open interval ``(0, 0.5)``."""
    if clip is None:
        return None
    value = _real("clip", clip)
    if not 0.0 < value < 0.5:
        msg = f"clip must be None or in the open interval (0, 0.5), got {clip!r}"
        raise ValueError(msg)
    return value


def check_gamma(gamma: object) -> float:
    """Return the focusing parameter ``gamma`` as a finite float ``>= 0``."""
    value = _real("gamma", gamma)
    if not (value >= 0.0 and math.isfinite(value)):
        msg = f"gamma must be a finite number >= 0, got {gamma!r}"
        raise ValueError(msg)
    return value


def check_alpha_scalar(alpha: object) -> float:
    """Return a scalar balancing factor ``alpha`` as a float in ``[0, 1]``."""
    value = _real("alpha", alpha)
    if not 0.0 <= value <= 1.0:
        msg = f"alpha must be None or in [0, 1], got {alpha!r}"
        raise ValueError(msg)
    return value


def check_tol(tol: object) -> float | None:
    """Return the row-sum tolerance ``tol``: ``None`` or a finite float ``>= 0``."""
    return check_tolerance("tol", tol, optional=True)


def check_ignore_index(ignore_index: object) -> int | None:
    """Return ``ignore_index``: ``None`` or an int (not a bool, not ``1.0``)."""
    if ignore_index is None:
        return None
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        msg = f"ignore_index must be an int or None, got {ignore_index!r:.80}"
        raise TypeError(msg)
    return int(ignore_index)
