"""Reading and writing TSPLIB files: symmetric and asymmetric TSP instances and tours.

The distances of the coordinate-based edge-weight types are in ``_tsplib_distances``.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.method.problems._base import file_error
from crossentropy.method.problems._data import data_path, shipped_names
from crossentropy.method.problems._tsp import TravellingSalesman
from crossentropy.method.problems._tsplib_distances import (
    COORDINATE_TYPES,
    tsplib_distances,
    tsplib_float_distances,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "COORDINATE_TYPES",
    "MATRIX_FORMATS",
    "MAX_DIMENSION",
    "load_tsplib",
    "read_tsplib",
    "read_tsplib_tour",
    "tsplib_distances",
    "write_tsplib",
]

#: The published optima of the shipped instances (TSPLIB).
_KNOWN_OPTIMA: dict[str, float] = {
    "att48": 10628.0,
    "berlin52": 7542.0,
    "burma14": 3323.0,
    "gr17": 2085.0,
    "ulysses16": 6859.0,
}
#: The EDGE_WEIGHT_FORMATs of explicit matrices that the reader understands.
MATRIX_FORMATS = (
    "FULL_MATRIX",
    "UPPER_ROW",
    "LOWER_ROW",
    "UPPER_DIAG_ROW",
    "LOWER_DIAG_ROW",
    "UPPER_COL",
    "LOWER_COL",
    "UPPER_DIAG_COL",
    "LOWER_DIAG_COL",
)
_SECTIONS = (
    "NODE_COORD_SECTION",
    "EDGE_WEIGHT_SECTION",
    "DISPLAY_DATA_SECTION",
    "TOUR_SECTION",
    "FIXED_EDGES_SECTION",
)
#: The most nodes a file may declare: its n x n distance matrix (800 MB of int64 at
#: 10000) must fit in memory, as for ``crossentropy cem tsp --random``.
MAX_DIMENSION = 10_000
_SPEC = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")


@dataclass
class _Parsed:
    """The raw content of a TSPLIB file: specification entries and section tokens."""

    spec: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (value, line)
    comments: list[str] = field(default_factory=list)
    sections: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    section_lines: dict[str, int] = field(default_factory=dict)


def _parse(path: str | os.PathLike[str]) -> _Parsed:
    """Split a TSPLIB file into specification entries and the tokens of each section."""
    parsed = _Parsed()
    current: str | None = None
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.strip()
            if not line:
                continue
            head = line.split()[0].rstrip(":")
            if head == "EOF":
                break
            if head in _SECTIONS:
                if head in parsed.sections:
                    raise file_error(path, number, f"{head} appears twice")
                current = head
                parsed.sections[head] = []
                parsed.section_lines[head] = number
                rest = line[len(line.split()[0]) :].strip().lstrip(":").split()
                parsed.sections[head].extend((token, number) for token in rest)
                continue
            spec = _SPEC.match(line)
            if spec is not None and not head[0].isdigit():
                current = None
                key, value = spec.group(1).upper(), spec.group(2).strip()
                if key == "COMMENT":
                    parsed.comments.append(value)
                elif key in parsed.spec:
                    raise file_error(path, number, f"{key} is given twice")
                else:
                    parsed.spec[key] = (value, number)
                continue
            if current is None:
                raise file_error(
                    path, number, f"expected 'KEYWORD : value' or a section name, got {line!r}"
                )
            parsed.sections[current].extend((token, number) for token in line.split())
    return parsed


def _number(path: str | os.PathLike[str], token: str, line: int, what: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise file_error(path, line, f"expected a number for {what}, got {token!r}") from None
    if not math.isfinite(value):
        raise file_error(path, line, f"{what} must be finite, got {token!r}")
    return value


def _integer(path: str | os.PathLike[str], token: str, line: int, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise file_error(path, line, f"expected an integer for {what}, got {token!r}") from None


def _required(path: str | os.PathLike[str], parsed: _Parsed, key: str) -> tuple[str, int]:
    if key not in parsed.spec:
        raise file_error(path, None, f"the specification {key} is missing")
    return parsed.spec[key]


def _dimension(path: str | os.PathLike[str], parsed: _Parsed, minimum: int) -> int:
    value, line = _required(path, parsed, "DIMENSION")
    try:
        n = int(value)
    except ValueError:
        raise file_error(
            path, line, f"expected an integer for DIMENSION (the number of nodes), got {value!r}"
        ) from None
    if n < minimum:
        raise file_error(path, line, f"DIMENSION must be at least {minimum}, got {n}")
    if n > MAX_DIMENSION:
        raise file_error(
            path,
            line,
            f"DIMENSION must be at most {MAX_DIMENSION} (the n x n distance matrix must fit "
            f"in memory), got {n}",
        )
    return n


def _coordinates(
    path: str | os.PathLike[str], parsed: _Parsed, n: int, dim: int, *, geo: bool = False
) -> NDArray:
    if "NODE_COORD_SECTION" not in parsed.sections:
        raise file_error(path, None, "NODE_COORD_SECTION is missing")
    tokens = parsed.sections["NODE_COORD_SECTION"]
    coords = np.full((n, dim), np.nan)
    width = dim + 1
    if len(tokens) != n * width:
        line = parsed.section_lines["NODE_COORD_SECTION"]
        raise file_error(
            path,
            line,
            f"NODE_COORD_SECTION must hold {n} lines 'node x y{' z' if dim == 3 else ''}' "
            f"({n * width} numbers), found {len(tokens)} numbers",
        )
    for k in range(n):
        row = tokens[k * width : (k + 1) * width]
        node = _integer(path, row[0][0], row[0][1], "the node number")
        if any(line != row[0][1] for _, line in row):
            raise file_error(path, row[0][1], f"expected 'node x y' on one line for node {node}")
        if not 1 <= node <= n:
            raise file_error(path, row[0][1], f"node {node} is outside 1..{n}")
        if not np.isnan(coords[node - 1, 0]):
            raise file_error(path, row[0][1], f"node {node} is given twice")
        coords[node - 1] = [_number(path, t, line, f"node {node}") for t, line in row[1:]]
        if geo:  # DDD.MM degrees: a latitude within 90, a longitude within 180
            latitude, longitude = coords[node - 1]
            if not (abs(latitude) <= 90 and abs(longitude) <= 180):
                raise file_error(
                    path,
                    row[0][1],
                    f"node {node}: GEO coordinates are latitude (at most 90 degrees) and "
                    f"longitude (at most 180), got {latitude:g} and {longitude:g}",
                )
    return coords


def _matrix_positions(matrix_format: str, n: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column of each successive entry of an explicit matrix in format ``matrix_format``."""
    if matrix_format == "FULL_MATRIX":
        rows, cols = np.divmod(np.arange(n * n), n)
        return rows, cols
    # a COL format of the upper (lower) triangle lists the lower (upper) one row-wise
    swap = {"UPPER_COL": "LOWER_ROW", "LOWER_COL": "UPPER_ROW"}
    swap |= {"UPPER_DIAG_COL": "LOWER_DIAG_ROW", "LOWER_DIAG_COL": "UPPER_DIAG_ROW"}
    transposed = matrix_format in swap
    matrix_format = swap.get(matrix_format, matrix_format)
    diag = "DIAG" in matrix_format
    upper = matrix_format.startswith("UPPER")
    pairs = [
        (i, j)
        for i in range(n)
        for j in (range(i if diag else i + 1, n) if upper else range(i + diag))
    ]
    rows = np.array([p[0] for p in pairs], dtype=np.intp)
    cols = np.array([p[1] for p in pairs], dtype=np.intp)
    return (cols, rows) if transposed else (rows, cols)


def _explicit(path: str | os.PathLike[str], parsed: _Parsed, n: int, asymmetric: bool) -> NDArray:
    value, line = _required(path, parsed, "EDGE_WEIGHT_FORMAT")
    matrix_format = value.upper()
    if matrix_format not in MATRIX_FORMATS:
        choices = ", ".join(MATRIX_FORMATS)
        raise file_error(path, line, f"EDGE_WEIGHT_FORMAT must be one of {choices}, got {value!r}")
    if asymmetric and matrix_format != "FULL_MATRIX":
        raise file_error(path, line, f"an ATSP needs EDGE_WEIGHT_FORMAT FULL_MATRIX, got {value!r}")
    if "EDGE_WEIGHT_SECTION" not in parsed.sections:
        raise file_error(path, None, "EDGE_WEIGHT_SECTION is missing")
    tokens = parsed.sections["EDGE_WEIGHT_SECTION"]
    full = "FULL" in matrix_format
    diagonal = "DIAG" in matrix_format
    expected = n * n if full else n * (n + 1) // 2 if diagonal else n * (n - 1) // 2
    if len(tokens) != expected:
        raise file_error(
            path,
            parsed.section_lines["EDGE_WEIGHT_SECTION"],
            f"EDGE_WEIGHT_SECTION in {matrix_format} for DIMENSION {n} must hold "
            f"{expected} numbers, found {len(tokens)}",
        )
    rows, cols = _matrix_positions(matrix_format, n)
    values = np.array([_number(path, t, ln, "an edge weight") for t, ln in tokens])
    integral = bool(np.all(values == np.round(values)))
    limit = _largest_distance(n, integral=integral)
    if values.size and not np.max(np.abs(values)) <= limit:
        k = int(np.argmax(np.abs(values) > limit))
        token, token_line = tokens[k]
        raise file_error(
            path,
            token_line,
            f"the edge weight {token} between nodes {rows[k] + 1} and {cols[k] + 1} "
            f"overflows: a tour of {n} such distances must stay below "
            f"{'2**63 (int64)' if integral else 'the largest float64'}; at most {limit:.4g} each",
        )
    matrix = np.zeros((n, n), dtype=np.int64 if integral else np.float64)
    matrix[rows, cols] = values
    if matrix_format != "FULL_MATRIX":
        matrix[cols, rows] = values
    return matrix


def _size_text(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "beyond the float64 range"


def _largest_distance(n: int, *, integral: bool) -> float:
    """The largest distance with which every tour of ``n`` cities has a representable length."""
    return float((2**63 - 1) // n) if integral else float(np.finfo(np.float64).max) / n


def _coordinate_distances(
    path: str | os.PathLike[str], parsed: _Parsed, coordinates: NDArray, weight_type: str
) -> NDArray:
    """TSPLIB's distances; one that overflows names its node pair and their lines."""
    n = coordinates.shape[0]
    exact = tsplib_float_distances(coordinates, weight_type)
    limit = _largest_distance(n, integral=True)
    bad = ~(exact <= limit)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        tokens = parsed.sections["NODE_COORD_SECTION"]
        width = coordinates.shape[1] + 1
        line_of = {int(tokens[k * width][0]): tokens[k * width][1] for k in range(n)}
        raise file_error(
            path,
            line_of.get(i + 1),
            f"the distance between node {i + 1} and node {j + 1} (line {line_of.get(j + 1)}) "
            f"overflows: it is {_size_text(float(exact[i, j]))}, and a tour of {n} such "
            f"distances must stay below 2**63 (int64), at most {limit:.4g} each; "
            "scale the coordinates down",
        )
    return exact.astype(np.int64)


def read_tsplib(path: str | os.PathLike[str]) -> TravellingSalesman:
    r"""Read a TSPLIB ``.tsp`` (or ``.atsp``) file into a travelling salesman problem.

    Parameters
    ----------
    path : str or path-like
        A TSPLIB file of TYPE ``TSP`` or ``ATSP``.

    Returns
    -------
    TravellingSalesman
        Its ``distances`` (int64, TSPLIB's rounding; float64 for an explicit matrix
        with fractional entries), ``name``, ``comment``, ``edge_weight_type`` and, for
        coordinate types, ``coordinates``; ``optimum=None`` (use
        :func:`load_tsplib` for the shipped instances with their known optima).

    Raises
    ------
    ValueError
        If the file is malformed or unsupported, naming the file and line: a missing
        DIMENSION or EDGE_WEIGHT_TYPE, a TYPE other than TSP/ATSP, an edge-weight type
        or matrix format not listed in :data:`COORDINATE_TYPES` / :data:`MATRIX_FORMATS`,
        the wrong number of entries in a section, a node given twice or out of range,
        a token that is not a number, a DIMENSION that is not a whole number or above
        :data:`MAX_DIMENSION`, or a distance so large that a tour's length would
        overflow (int64 for TSPLIB's integer distances; the node pair is named).

    Notes
    -----
    Supported: ``EDGE_WEIGHT_TYPE`` ``EXPLICIT`` with any of ``FULL_MATRIX``,
    ``UPPER_ROW``, ``LOWER_ROW``, ``UPPER_DIAG_ROW``, ``LOWER_DIAG_ROW`` and their
    ``_COL`` counterparts, and the coordinate types of :func:`tsplib_distances`
    (``EUC_2D``, ``ATT``, ``GEO``, ``CEIL_2D``, ``EUC_3D``, ``MAN``, ``MAX``).
    ``DISPLAY_DATA_SECTION`` and ``FIXED_EDGES_SECTION`` are read past and ignored.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crossentropy.method.problems import read_tsplib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "square.tsp"
    >>> _ = path.write_text(
    ...     "NAME: square\nTYPE: TSP\nDIMENSION: 4\nEDGE_WEIGHT_TYPE: EUC_2D\n"
    ...     "NODE_COORD_SECTION\n1 0 0\n2 0 10\n3 10 10\n4 10 0\nEOF\n"
    ... )
    >>> problem = read_tsplib(path)
    >>> problem.distances[0].tolist(), problem.evaluate([0, 1, 2, 3])
    ([0, 10, 14, 10], array(40.))
    """
    parsed = _parse(path)
    kind_value, kind_line = parsed.spec.get("TYPE", ("TSP", 0))
    kind = kind_value.split()[0].upper() if kind_value else "TSP"
    if kind not in ("TSP", "ATSP"):
        raise file_error(path, kind_line, f"TYPE must be TSP or ATSP, got {kind_value!r}")
    n = _dimension(path, parsed, 3)
    weight_value, weight_line = _required(path, parsed, "EDGE_WEIGHT_TYPE")
    weight_type = weight_value.upper()
    coordinates = None
    if weight_type == "EXPLICIT":
        distances = _explicit(path, parsed, n, asymmetric=kind == "ATSP")
    elif weight_type in COORDINATE_TYPES:
        if kind == "ATSP":
            raise file_error(path, weight_line, "an ATSP needs EDGE_WEIGHT_TYPE EXPLICIT")
        coordinates = _coordinates(
            path, parsed, n, COORDINATE_TYPES[weight_type], geo=weight_type == "GEO"
        )
        distances = _coordinate_distances(path, parsed, coordinates, weight_type)
    else:
        choices = ", ".join(("EXPLICIT", *COORDINATE_TYPES))
        raise file_error(
            path, weight_line, f"EDGE_WEIGHT_TYPE must be one of {choices}, got {weight_value!r}"
        )
    name = os.path.basename(os.fspath(path)).split(".", 1)[0]
    if parsed.spec.get("NAME", ("", 0))[0]:
        name = parsed.spec["NAME"][0].split()[0].removesuffix(".tsp")
    return TravellingSalesman(
        distances,
        name=name,
        comment="\n".join(parsed.comments),
        edge_weight_type=weight_type,
        coordinates=coordinates,
    )


def read_tsplib_tour(path: str | os.PathLike[str]) -> NDArray[np.intp]:
    """Read the first tour of a TSPLIB ``.tour`` file, as 0-based city indices.

    Parameters
    ----------
    path : str or path-like
        A TSPLIB file of TYPE ``TOUR`` with a ``TOUR_SECTION`` (cities numbered from 1,
        ended by ``-1`` or the end of the file).

    Returns
    -------
    ndarray of intp, shape (n,)
        A permutation of ``0 .. n - 1``.

    Raises
    ------
    ValueError
        If the file is malformed, naming the file and line: TYPE not TOUR, a missing
        DIMENSION or TOUR_SECTION, a city outside ``1..n`` or visited twice, or a tour
        of the wrong length.
    """
    parsed = _parse(path)
    kind_value, kind_line = _required(path, parsed, "TYPE")
    if kind_value.split()[0].upper() != "TOUR":
        raise file_error(path, kind_line, f"TYPE must be TOUR, got {kind_value!r}")
    n = _dimension(path, parsed, 1)
    if "TOUR_SECTION" not in parsed.sections:
        raise file_error(path, None, "TOUR_SECTION is missing")
    tour: list[int] = []
    seen: set[int] = set()
    last_line = parsed.section_lines["TOUR_SECTION"]
    for token, line in parsed.sections["TOUR_SECTION"]:
        last_line = line
        city = _integer(path, token, line, "a city")
        if city == -1:
            break
        if not 1 <= city <= n:
            raise file_error(path, line, f"city {city} is outside 1..{n}")
        if city in seen:
            raise file_error(path, line, f"city {city} is visited twice")
        seen.add(city)
        tour.append(city - 1)
    if len(tour) != n:
        raise file_error(path, last_line, f"the tour visits {len(tour)} cities, DIMENSION is {n}")
    return np.array(tour, dtype=np.intp)


def _number_text(value: float) -> str:
    """Shortest text that reads back as exactly ``value`` (integers without a point)."""
    if isinstance(value, (int, np.integer)) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def write_tsplib(path: str | os.PathLike[str], problem: TravellingSalesman) -> None:
    """Write ``problem`` as a TSPLIB file that :func:`read_tsplib` reads back identically.

    Coordinate-based instances (``edge_weight_type`` in :data:`COORDINATE_TYPES` with
    coordinates) are written as a ``NODE_COORD_SECTION``; all others, including random
    Euclidean instances with unrounded distances, as an ``EXPLICIT`` ``FULL_MATRIX``
    (TYPE ``ATSP`` when the matrix is not symmetric). Numbers are written in their
    shortest exact form (``repr``), so they round-trip exactly.
    """
    d = problem.distances
    symmetric = bool(np.array_equal(d, d.T))
    lines = [f"NAME: {problem.name}", f"TYPE: {'TSP' if symmetric else 'ATSP'}"]
    lines += [f"COMMENT: {text}" for text in problem.comment.splitlines()]
    lines.append(f"DIMENSION: {problem.n_cities}")
    if problem.coordinates is not None and problem.edge_weight_type in COORDINATE_TYPES:
        lines += [f"EDGE_WEIGHT_TYPE: {problem.edge_weight_type}", "NODE_COORD_SECTION"]
        lines += [
            f"{k + 1} " + " ".join(_number_text(c) for c in row)
            for k, row in enumerate(problem.coordinates)
        ]
    else:
        lines += ["EDGE_WEIGHT_TYPE: EXPLICIT", "EDGE_WEIGHT_FORMAT: FULL_MATRIX"]
        lines.append("EDGE_WEIGHT_SECTION")
        lines += [" ".join(_number_text(v) for v in row) for row in d.tolist()]
    lines.append("EOF")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def load_tsplib(name: str) -> TravellingSalesman:
    """Load a shipped TSPLIB instance with its published optimum.

    Parameters
    ----------
    name : {"burma14", "ulysses16", "gr17", "att48", "berlin52"}
        ``burma14`` (GEO, optimum 3323), ``ulysses16`` (GEO, 6859), ``gr17`` (EXPLICIT
        LOWER_DIAG_ROW, 2085), ``att48`` (ATT, 10628) and ``berlin52`` (EUC_2D, 7542).
        The first three are verified by Held-Karp in the tests; ``att48`` and
        ``berlin52`` come with TSPLIB's optimal tour (``optimal_tour``), whose length
        is checked against the optimum when loading.

    Returns
    -------
    TravellingSalesman

    Examples
    --------
    >>> from crossentropy.method.problems import load_tsplib
    >>> berlin = load_tsplib("berlin52")
    >>> berlin.n_cities, berlin.optimum, berlin.evaluate(berlin.optimal_tour)
    (52, 7542.0, array(7542.))
    """
    with data_path("tsplib", name, ".tsp") as path:
        problem = read_tsplib(path)
    tour = None
    if name in shipped_names("tsplib", ".opt.tour"):
        with data_path("tsplib", name, ".opt.tour") as path:
            tour = read_tsplib_tour(path)
    return TravellingSalesman(
        problem.distances,
        name=name,
        comment=problem.comment,
        edge_weight_type=problem.edge_weight_type,
        coordinates=problem.coordinates,
        optimum=_KNOWN_OPTIMA.get(name),
        optimal_tour=tour,
    )
