"""A :class:`~crossentropy.scoring.ScoreResult` as plain JSON-safe Python data.

The conversion is :func:`crossentropy._json.json_safe`, the one every ``--json`` uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crossentropy._json import json_safe
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
    out: dict[str, Any] = json_safe(result)
    for name in _DERIVED:
        out[name] = json_safe(getattr(result, name))
    out["verdict"] = json_safe(verdict(result))
    return out
