"""Where the shipped instance files live (``problems/data``), found via importlib.resources."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from importlib.abc import Traversable
    from pathlib import Path

__all__ = ["data_file", "data_path", "shipped_instances", "shipped_names"]


def _folder(kind: str) -> Traversable:
    return resources.files("crossentropy.method.problems") / "data" / kind


def shipped_names(kind: str, suffix: str) -> tuple[str, ...]:
    """The names of the shipped ``kind`` instances (files ending in ``suffix``), sorted."""
    return tuple(
        sorted(
            entry.name[: -len(suffix)]
            for entry in _folder(kind).iterdir()
            if entry.is_file() and entry.name.endswith(suffix)
        )
    )


def data_file(kind: str, name: str, suffix: str) -> Traversable:
    """The shipped file ``data/<kind>/<name><suffix>``; ValueError naming the choices."""
    names = shipped_names(kind, suffix)
    if name not in names:
        msg = f"no shipped {kind} instance named {name!r}; choose one of {', '.join(names)}"
        raise ValueError(msg)
    return _folder(kind) / f"{name}{suffix}"


def data_path(kind: str, name: str, suffix: str) -> AbstractContextManager[Path]:
    """A context manager giving a filesystem path to a shipped file (see ``data_file``)."""
    return resources.as_file(data_file(kind, name, suffix))


def shipped_instances() -> dict[str, tuple[str, ...]]:
    """The names of the instance files shipped with the library, by kind.

    Returns
    -------
    dict
        ``{"knapsack": ..., "maxcut": ..., "tsplib": ...}``: the names that
        :func:`load_knapsack`, :func:`load_maxcut` and :func:`load_tsplib` accept.

    Examples
    --------
    >>> from crossentropy.method.problems import shipped_instances
    >>> shipped_instances()["tsplib"]
    ('att48', 'berlin52', 'burma14', 'gr17', 'ulysses16')
    """
    return {
        "knapsack": shipped_names("knapsack", ".txt"),
        "maxcut": shipped_names("maxcut", ".txt"),
        "tsplib": shipped_names("tsplib", ".tsp"),
    }
