"""A :class:`~crossentropy.scoring.ScoreResult` as plain JSON-safe Python data."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy.scoring._report._verdict import verdict

if TYPE_CHECKING:
    from crossentropy.scoring._types import ScoreResult

__all__ = ["result_to_dict"]

_DERIVED = (
    "n_classes",
    "cross_entropy_bits",
    "perplexity",
    "uniform_baseline",
    "skill",
    "ece",
    "mce",
)


def _json_float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _json_float(float(value))
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    msg = f"cannot turn a {type(value).__name__} into JSON"
    raise TypeError(msg)


def result_to_dict(result: ScoreResult) -> dict[str, Any]:
    """Every field of ``result``, its derived properties and its verdict, JSON-safe.

    Non-finite floats become the strings ``"inf"``, ``"-inf"`` and ``"nan"`` (JSON has
    no such numbers), arrays nested lists, tuples lists, dictionary keys strings (the
    top-k accuracies are keyed ``"5"``), dataclasses dictionaries. Added beside the
    fields: ``n_classes``, ``cross_entropy_bits``, ``perplexity``, ``uniform_baseline``,
    ``skill``, ``ece``, ``mce`` and ``verdict``.

    Parameters
    ----------
    result : ScoreResult

    Returns
    -------
    dict
        Serialisable with ``json.dumps(..., allow_nan=False)``.

    Examples
    --------
    >>> import json
    >>> from crossentropy.scoring import score
    >>> data = result_to_dict(score([[1.0, 0.0], [0.2, 0.8]], [1, 1]))
    >>> data["cross_entropy"], data["n_infinite"], data["verdict"]["level"]
    ('inf', 1, 'broken')
    >>> data["histogram_edges"][-1]
    'inf'
    >>> len(json.dumps(data, allow_nan=False)) > 0
    True
    """
    out: dict[str, Any] = _jsonable(result)
    for name in _DERIVED:
        out[name] = _jsonable(getattr(result, name))
    out["verdict"] = _jsonable(verdict(result))
    return out
