"""What every command of the command line shares: the usage error and the small parsers.

Light on purpose: it imports no NumPy and no command module, so each command's module
imports it and ``crossentropy --help`` stays fast.
"""

from __future__ import annotations

import math
from fractions import Fraction

__all__ = ["UsageError", "json_number", "parse_distribution"]


class UsageError(Exception):
    """Bad input on the command line: reported in one line, exit status 2."""


def parse_distribution(text: str, name: str) -> list[float]:
    """Parse ``"0.4,0.4,0.2"`` (fractions such as ``1/3`` allowed) into floats."""
    items = [item.strip() for item in text.replace(";", ",").split(",")]
    if not text.strip() or any(not item for item in items):
        msg = f"--{name} must be comma-separated numbers such as 0.4,0.4,0.2, got {text!r}"
        raise UsageError(msg)
    values: list[float] = []
    for position, item in enumerate(items):
        try:
            value = float(Fraction(item))
        except (ValueError, ZeroDivisionError):
            msg = f"--{name}: entry {position} is not a number: {item!r}"
            raise UsageError(msg) from None
        values.append(value)
    return values


def json_number(value: float) -> float | str:
    """JSON has no infinities: non-finite values are written as "inf", "-inf", "nan"."""
    return value if math.isfinite(value) else str(value)
