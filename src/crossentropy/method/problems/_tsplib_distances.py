"""TSPLIB's distances from node coordinates (EUC, MAN, MAX, CEIL, GEO, ATT), to the bit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["COORDINATE_TYPES", "tsplib_distances", "tsplib_float_distances"]

#: Edge-weight types computed from node coordinates, with their coordinate dimension.
COORDINATE_TYPES: dict[str, int] = {
    "EUC_2D": 2,
    "EUC_3D": 3,
    "MAN_2D": 2,
    "MAN_3D": 3,
    "MAX_2D": 2,
    "MAX_3D": 3,
    "CEIL_2D": 2,
    "GEO": 2,
    "ATT": 2,
}
# TSPLIB's constants for GEO distances (Reinelt 1991, and the TSPLIB FAQ).
_PI = 3.141592
_EARTH_RADIUS = 6378.388


def _nint(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """TSPLIB's nint: ``(int) (x + 0.5)``, i.e. round half up for the non-negative ``x``."""
    return np.floor(x + 0.5)


def _geo_radians(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """TSPLIB's DDD.MM degrees-and-minutes to radians, with PI = 3.141592."""
    degrees = np.trunc(x)  # (int) x in the FAQ's reference code; see tsplib_distances
    minutes = x - degrees
    return _PI * (degrees + 5.0 * minutes / 3.0) / 180.0


def tsplib_distances(coordinates: NDArray[np.float64], edge_weight_type: str) -> NDArray[np.int64]:
    r"""The integer distance matrix of TSPLIB's coordinate-based edge-weight types.

    Parameters
    ----------
    coordinates : ndarray, shape (n, 2) or (n, 3)
        Node coordinates as in the file (GEO: latitude and longitude in DDD.MM form).
    edge_weight_type : str
        One of ``EUC_2D, EUC_3D, MAN_2D, MAN_3D, MAX_2D, MAX_3D, CEIL_2D, GEO, ATT``.

    Returns
    -------
    ndarray of int64, shape (n, n)
        Symmetric with a zero diagonal.

    Notes
    -----
    With :math:`\mathrm{nint}(x) = \lfloor x + 0.5 \rfloor` (Reinelt [1]_):

    * ``EUC``: :math:`\mathrm{nint}(\|p_i - p_j\|_2)`; ``CEIL_2D`` rounds up instead;
      ``MAN``, ``MAX``: the same with the 1- and :math:`\infty`-norms.
    * ``ATT`` (pseudo-Euclidean): :math:`r = \sqrt{(\Delta x^2 + \Delta y^2)/10}`,
      :math:`t = \mathrm{nint}(r)`, distance :math:`t + 1` if :math:`t < r` else
      :math:`t`.
    * ``GEO``: each coordinate ``DDD.MM`` is :math:`\mathrm{deg} = \mathrm{trunc}(x)`,
      :math:`\mathrm{min} = x - \mathrm{deg}`, radians
      :math:`\pi (\mathrm{deg} + 5\,\mathrm{min}/3)/180` with :math:`\pi = 3.141592`;
      then :math:`q_1 = \cos(\mathrm{lon}_i - \mathrm{lon}_j)`,
      :math:`q_2 = \cos(\mathrm{lat}_i - \mathrm{lat}_j)`,
      :math:`q_3 = \cos(\mathrm{lat}_i + \mathrm{lat}_j)` and the distance is
      :math:`\lfloor R \arccos(\tfrac12((1 + q_1) q_2 - (1 - q_1) q_3)) + 1 \rfloor`
      with :math:`R = 6378.388`. The degrees are truncated, as in the TSPLIB FAQ's
      reference code (the 1991 paper's text writes ``nint``); truncation reproduces
      the published optima of burma14 (3323) and ulysses16 (6859), which the tests
      check by Held-Karp.

    Raises
    ------
    ValueError
        An unknown type, or two nodes so far apart that their distance overflows int64
        (naming the 0-based pair; :func:`read_tsplib` names the nodes and lines).

    References
    ----------
    .. [1] G. Reinelt, "TSPLIB - A Traveling Salesman Problem Library", ORSA Journal
       on Computing 3 (1991), 376-384; and "TSPLIB 95" (documentation and FAQ),
       Universität Heidelberg.
    """
    dist = tsplib_float_distances(coordinates, edge_weight_type)
    fits = dist < 2.0**63
    if not fits.all():
        i, j = (int(k) for k in np.argwhere(~fits)[0])
        msg = (
            f"the distance between nodes {i} and {j} (0-based) overflows int64: "
            f"{dist[i, j]:.4g}; scale the coordinates down"
        )
        raise ValueError(msg)
    return dist.astype(np.int64)


def tsplib_float_distances(
    coordinates: NDArray[np.float64], edge_weight_type: str
) -> NDArray[np.float64]:
    """:func:`tsplib_distances` before the cast to int64 (integral floats, inf on overflow)."""
    kind = edge_weight_type.upper()
    if kind not in COORDINATE_TYPES:
        choices = ", ".join(COORDINATE_TYPES)
        msg = f"edge_weight_type must be one of {choices}, got {edge_weight_type!r}"
        raise ValueError(msg)
    p = np.asarray(coordinates, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # too far apart: inf, refused above
        return _distances(p, kind)


def _distances(p: NDArray[np.float64], kind: str) -> NDArray[np.float64]:
    if kind == "GEO":
        lat, lon = _geo_radians(p[:, 0]), _geo_radians(p[:, 1])
        q1 = np.cos(lon[:, None] - lon[None, :])
        q2 = np.cos(lat[:, None] - lat[None, :])
        q3 = np.cos(lat[:, None] + lat[None, :])
        # rounding can push the cosine a hair past 1 for coincident cities: arccos needs <= 1
        cosine = np.clip(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3), -1.0, 1.0)
        dist = np.floor(_EARTH_RADIUS * np.arccos(cosine) + 1.0)
    else:
        delta = p[:, None, :] - p[None, :, :]
        if kind.startswith("MAN"):
            dist = _nint(np.abs(delta).sum(axis=-1))
        elif kind.startswith("MAX"):
            dist = _nint(np.abs(delta).max(axis=-1))
        elif kind == "ATT":
            r = np.sqrt((delta**2).sum(axis=-1) / 10.0)
            t = _nint(r)
            dist = np.where(t < r, t + 1, t)
        elif kind == "CEIL_2D":
            dist = np.ceil(np.sqrt((delta**2).sum(axis=-1)))
        else:
            dist = _nint(np.sqrt((delta**2).sum(axis=-1)))
    np.fill_diagonal(dist, 0)
    return np.asarray(dist, dtype=np.float64)
