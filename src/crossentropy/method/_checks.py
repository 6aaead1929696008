"""The scalar argument checks every part of the cross-entropy method shares.

Each raises ``TypeError`` for a wrong type and ``ValueError`` for a wrong value, naming
the argument, the expectation and the value found. ``bool`` is never accepted as a
number.
"""

from __future__ import annotations

import numpy as np

from crossentropy._validation import check_int

__all__ = [
    "as_generator",
    "check_count",
    "check_open_interval",
    "check_real",
    "check_rng",
    "optional_count",
]


def as_generator(rng: object) -> np.random.Generator:
    """``rng`` itself if it is a Generator, else ``np.random.default_rng(rng)``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    msg = f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
    raise TypeError(msg)


def check_rng(rng: object) -> np.random.Generator:
    """Return ``rng`` if it is a :class:`numpy.random.Generator`; never a seed.

    The families' ``sample(n, rng)`` take a Generator only: a seed there would restart
    the same stream at every call and give identical samples each iteration. The entry
    points (``minimize``, ``estimate_rare_event``, ...) take a seed through
    :func:`as_generator` and hand its one Generator down.
    """
    if not isinstance(rng, np.random.Generator):
        msg = (
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
        raise TypeError(msg)
    return rng


def check_count(name: str, value: object, minimum: int) -> int:
    """``value`` as an int if it is one (``bool`` refused) and ``>= minimum``."""
    return check_int(name, value, minimum)


def optional_count(name: str, value: object, minimum: int) -> int | None:
    """``None``, or ``value`` checked by :func:`check_count`."""
    return None if value is None else check_count(name, value, minimum)


def check_real(name: str, value: object) -> float:
    """``value`` as a float if it is a real number (``bool`` refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        msg = f"{name} must be a real number, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return float(value)


def check_open_interval(name: str, value: object, low: float, high: float) -> float:
    """``value`` as a float strictly between ``low`` and ``high``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        msg = f"{name} must be a number in ({low:g}, {high:g}), got {type(value).__name__}"
        raise TypeError(msg)
    if not low < value < high:
        msg = f"{name} must be in ({low:g}, {high:g}), got {value!r}"
        raise ValueError(msg)
    return float(value)
