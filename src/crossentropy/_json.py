"""JSON for the numbers the library produces: the one place non-finite floats are written.

JSON has no infinities and no NaN, so :func:`json_safe` writes them as the strings
``"inf"``, ``"-inf"`` and ``"nan"``, which Python's ``float()`` reads back. Arrays and
NumPy scalars become lists and Python numbers (through their ``tolist``, so this module
imports no NumPy and the command line's ``--help`` stays light), tuples lists,
dictionary keys strings, dataclass instances dictionaries of their fields. Anything
else is refused with a ``TypeError`` rather than written as its ``repr``.

The command line (``--json`` of every command), ``crossentropy.scoring``'s
``result_to_dict`` and the benchmark results all write their numbers through here.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

__all__ = ["dumps", "json_number", "json_safe"]


def json_number(value: float) -> float | str:
    """``value`` itself when finite; otherwise ``"inf"``, ``"-inf"`` or ``"nan"``.

    >>> json_number(0.5), json_number(float("-inf")), json_number(float("nan"))
    (0.5, '-inf', 'nan')
    """
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON data (see the module's docstring for the rules).

    >>> json_safe({"loss": float("inf"), 2: (1, 2.5), "ok": True, "none": None})
    {'loss': 'inf', '2': [1, 2.5], 'ok': True, 'none': None}
    >>> json_safe(object())
    Traceback (most recent call last):
    ...
    TypeError: cannot turn a object into JSON
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return json_number(float(value))
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_safe(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # NumPy arrays and scalars
        return json_safe(value.tolist())
    msg = f"cannot turn a {type(value).__name__} into JSON"
    raise TypeError(msg)


def dumps(value: Any) -> str:
    """``value`` through :func:`json_safe`, as indented, strictly valid JSON text."""
    return json.dumps(json_safe(value), indent=2, allow_nan=False)
