"""TSPLIB reading and writing, Held-Karp, and the shipped instances' published optima."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from crossentropy.method import problems

DATA = Path(problems.__file__).parent / "data" / "tsplib"


def _brute_force_tour_length(d: np.ndarray) -> float:
    n = d.shape[0]
    best = math.inf
    for rest in itertools.permutations(range(1, n)):
        tour = (0, *rest)
        best = min(best, sum(float(d[tour[k], tour[(k + 1) % n]]) for k in range(n)))
    return best


@pytest.mark.parametrize(("n", "symmetric"), [(3, True), (5, False), (7, True), (8, False)])
def test_held_karp_matches_brute_force(n: int, symmetric: bool) -> None:
    rng = np.random.default_rng(n)
    d = rng.integers(1, 100, (n, n)).astype(float)
    if symmetric:
        d = np.triu(d, 1) + np.triu(d, 1).T
    np.fill_diagonal(d, 0)
    exact = problems.held_karp(d)
    assert exact.length == _brute_force_tour_length(d)
    assert sorted(exact.tour.tolist()) == list(range(n))
    assert exact.tour[0] == 0
    assert problems.TravellingSalesman(d).evaluate(exact.tour) == exact.length


@pytest.mark.parametrize(
    ("name", "optimum"), [("burma14", 3323), ("ulysses16", 6859), ("gr17", 2085)]
)
def test_small_tsplib_optima_by_held_karp(name: str, optimum: int) -> None:
    problem = problems.load_tsplib(name)
    assert problem.optimum == optimum
    exact = problems.held_karp(problem.distances)
    assert exact.length == optimum
    assert problem.evaluate(exact.tour) == optimum


@pytest.mark.parametrize(
    ("name", "optimum", "kind"), [("att48", 10628, "ATT"), ("berlin52", 7542, "EUC_2D")]
)
def test_published_optimal_tours_have_the_published_length(
    name: str, optimum: int, kind: str
) -> None:
    problem = problems.load_tsplib(name)
    assert problem.edge_weight_type == kind
    tour = problems.read_tsplib_tour(DATA / f"{name}.opt.tour")
    assert problem.evaluate(tour) == optimum == problem.optimum
    np.testing.assert_array_equal(problem.optimal_tour, tour)
    # and no 2-opt move improves it (a weak but independent sanity check)
    d = problem.distances
    n = problem.n_cities
    for i in range(n - 1):
        for j in range(i + 2, n if i else n - 1):
            a, b, c, e = tour[i], tour[i + 1], tour[j], tour[(j + 1) % n]
            assert d[a, c] + d[b, e] >= d[a, b] + d[c, e]


def test_metadata_of_the_shipped_files() -> None:
    burma = problems.read_tsplib(DATA / "burma14.tsp")
    assert (burma.name, burma.n_cities, burma.edge_weight_type) == ("burma14", 14, "GEO")
    assert burma.comment == "14-Staedte in Burma (Zaw Win)"
    assert burma.coordinates is not None
    np.testing.assert_array_equal(burma.coordinates[0], [16.47, 96.10])
    assert burma.distances.dtype == np.int64
    assert burma.symmetric
    assert problems.read_tsplib(DATA / "ulysses16.tsp").name == "ulysses16"  # NAME: ulysses16.tsp
    gr17 = problems.read_tsplib(DATA / "gr17.tsp")
    assert gr17.coordinates is None
    assert gr17.distances[1, 0] == gr17.distances[0, 1] == 633
    assert gr17.distances[16, 15] == 336
    assert "optimum 2085" in problems.load_tsplib("gr17").describe()


def test_geo_distance_formula_by_hand() -> None:
    # burma14 cities 1 and 2: (16.47, 96.10) and (16.47, 94.44), degrees.minutes
    def radians(x: float) -> float:
        degrees = int(x)
        return 3.141592 * (degrees + 5.0 * (x - degrees) / 3.0) / 180.0

    lat1, lon1, lat2, lon2 = radians(16.47), radians(96.10), radians(16.47), radians(94.44)
    q1, q2, q3 = math.cos(lon1 - lon2), math.cos(lat1 - lat2), math.cos(lat1 + lat2)
    expected = int(6378.388 * math.acos(0.5 * ((1 + q1) * q2 - (1 - q1) * q3)) + 1.0)
    assert problems.load_tsplib("burma14").distances[0, 1] == expected == 153


def test_att_and_euclidean_rounding_by_hand() -> None:
    coords = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0], [1.0, 1.0]])
    att = problems.tsplib_distances(coords, "ATT")
    # sqrt((9 + 16) / 10) = 1.58 -> nint 2 (not below r): 2; sqrt(100 / 10) = 3.16 -> 3 < r: 4
    assert att[0, 1] == 2
    assert att[0, 2] == 4
    assert att[0, 3] == 1  # sqrt(0.2) = 0.447 -> nint 0 < r: 1
    euc = problems.tsplib_distances(coords, "EUC_2D")
    assert (euc[0, 1], euc[0, 3], euc[1, 2]) == (5, 1, 8)  # 1.414 -> 1; 8.06 -> 8
    assert problems.tsplib_distances(coords, "CEIL_2D")[0, 3] == 2
    assert problems.tsplib_distances(coords, "MAN_2D")[0, 1] == 7
    assert problems.tsplib_distances(coords, "MAX_2D")[0, 1] == 4
    half = problems.tsplib_distances(np.array([[0.0, 0.0], [0.5, 0.0], [2.5, 0.0]]), "EUC_2D")
    assert (half[0, 1], half[0, 2]) == (1, 3)  # nint rounds halves up
    with pytest.raises(ValueError, match="edge_weight_type must be one of"):
        problems.tsplib_distances(coords, "XRAY1")


def _explicit_text(d: np.ndarray, fmt: str) -> str:
    """A TSPLIB file for matrix ``d`` in format ``fmt``, written from TSPLIB's definitions."""
    n = d.shape[0]
    keep = {
        "UPPER": lambda i, j: i < j,
        "UPPER_DIAG": lambda i, j: i <= j,
        "LOWER": lambda i, j: i > j,
        "LOWER_DIAG": lambda i, j: i >= j,
    }
    if fmt == "FULL_MATRIX":
        lines = [[d[i, j] for j in range(n)] for i in range(n)]
    elif fmt.endswith("_ROW"):  # row by row, each row's entries of the triangle (i, j)
        inside = keep[fmt.removesuffix("_ROW")]
        lines = [[d[i, j] for j in range(n) if inside(i, j)] for i in range(n)]
    else:  # column by column, each column's entries of the triangle (i, j) top to bottom
        inside = keep[fmt.removesuffix("_COL")]
        lines = [[d[i, j] for i in range(n) if inside(i, j)] for j in range(n)]
    body = "\n".join(" ".join(str(v) for v in line) for line in lines if line)
    return (
        f"NAME : m\nTYPE : TSP\nDIMENSION : {n}\nEDGE_WEIGHT_TYPE : EXPLICIT\n"
        f"EDGE_WEIGHT_FORMAT : {fmt}\nEDGE_WEIGHT_SECTION\n{body}\nEOF\n"
    )


@pytest.mark.parametrize(
    "fmt",
    [
        "FULL_MATRIX",
        "UPPER_ROW",
        "LOWER_ROW",
        "UPPER_DIAG_ROW",
        "LOWER_DIAG_ROW",
        "UPPER_COL",
        "LOWER_COL",
        "UPPER_DIAG_COL",
        "LOWER_DIAG_COL",
    ],
)
def test_every_explicit_format_reads_the_same_matrix(tmp_path: Path, fmt: str) -> None:
    d = np.asarray(problems.load_tsplib("gr17").distances)
    path = tmp_path / f"{fmt}.tsp"
    path.write_text(_explicit_text(d, fmt))
    np.testing.assert_array_equal(problems.read_tsplib(path).distances, d)
    # the same numbers wrapped 7 to a line, as real files do, still read the same
    head, body = _explicit_text(d, fmt).split("EDGE_WEIGHT_SECTION\n")
    tokens = body.removesuffix("EOF\n").split()
    wrapped = "\n".join(" ".join(tokens[k : k + 7]) for k in range(0, len(tokens), 7))
    path.write_text(f"{head}EDGE_WEIGHT_SECTION\n{wrapped}\nEOF\n")
    np.testing.assert_array_equal(problems.read_tsplib(path).distances, d)


def test_asymmetric_full_matrix(tmp_path: Path) -> None:
    path = tmp_path / "a.atsp"
    path.write_text(
        "NAME: a\nTYPE: ATSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\n"
        "EDGE_WEIGHT_FORMAT: FULL_MATRIX\nEDGE_WEIGHT_SECTION\n0 1 9\n5 0 2\n3 7 0\nEOF\n"
    )
    problem = problems.read_tsplib(path)
    assert not problem.symmetric
    np.testing.assert_array_equal(problem.evaluate([[0, 1, 2], [0, 2, 1]]), [1 + 2 + 3, 9 + 7 + 5])
    assert problems.held_karp(problem.distances).length == 6


def test_write_tsplib_round_trips(tmp_path: Path) -> None:
    for problem in (
        problems.load_tsplib("burma14"),
        problems.load_tsplib("gr17"),
        problems.load_tsplib("att48"),
    ):
        path = tmp_path / f"{problem.name}.tsp"
        problems.write_tsplib(path, problem)
        again = problems.read_tsplib(path)
        np.testing.assert_array_equal(again.distances, problem.distances)
        assert (again.name, again.edge_weight_type, again.comment) == (
            problem.name,
            problem.edge_weight_type,
            problem.comment,
        )
    rand = problems.random_euclidean_tsp(9, rng=3)
    path = tmp_path / "r.tsp"
    problems.write_tsplib(path, rand)
    assert "EDGE_WEIGHT_FORMAT: FULL_MATRIX" in path.read_text()
    np.testing.assert_array_equal(problems.read_tsplib(path).distances, rand.distances)  # exact


def test_random_euclidean_instances() -> None:
    a = problems.random_euclidean_tsp(10, rng=4)
    b = problems.random_euclidean_tsp(10, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a.coordinates, b.coordinates)
    assert a.optimum is None
    assert np.all((a.coordinates >= 0) & (a.coordinates < 1))
    np.testing.assert_allclose(a.distances[2, 5], np.hypot(*(a.coordinates[2] - a.coordinates[5])))
    solved = problems.random_euclidean_tsp(9, rng=4, solve=True)
    assert solved.optimum == pytest.approx(_brute_force_tour_length(solved.distances), rel=1e-12)
    assert solved.evaluate(solved.optimal_tour) == pytest.approx(solved.optimum, rel=1e-12)


def test_tour_validation() -> None:
    problem = problems.load_tsplib("burma14")
    with pytest.raises(ValueError, match=r"permutations of 0\.\.13; row \[1\] is"):
        problem.evaluate([list(range(14)), [0] * 14])
    with pytest.raises(ValueError, match="integer city indices"):
        problem.evaluate(np.linspace(0, 13, 14) + 0.5)
    with pytest.raises(ValueError, match="not the given optimum"):
        problems.TravellingSalesman(problem.distances, optimum=1.0, optimal_tour=np.arange(14))
    with pytest.raises(ValueError, match=r"finite and >= 0, got -1 at index \[0, 1\]"):
        problems.TravellingSalesman([[0, -1, 1], [1, 0, 1], [1, 1, 0]])
    with pytest.raises(ValueError, match="3 to 20 cities"):
        problems.held_karp(np.zeros((21, 21)))
    with pytest.raises(ValueError, match="no shipped tsplib instance named 'pr76'"):
        problems.load_tsplib("pr76")


HEADER = "NAME: x\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\n"
EXPLICIT = "NAME: x\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "NAME: x\nTYPE: TSP\nEDGE_WEIGHT_TYPE: EUC_2D\nEOF\n",
            None,
            "the specification DIMENSION is missing",
        ),
        ("NAME: x\nTYPE: CVRP\nDIMENSION: 3\n", 2, "TYPE must be TSP or ATSP, got 'CVRP'"),
        (
            "NAME: x\nDIMENSION: three\nEDGE_WEIGHT_TYPE: EUC_2D\n",
            2,
            "expected an integer for DIMENSION",
        ),
        ("NAME: x\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: EUC_2D\n", 2, "DIMENSION must be at least 3"),
        ("NAME: x\nDIMENSION: 3\n", None, "the specification EDGE_WEIGHT_TYPE is missing"),
        ("NAME: x\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: XRAY1\n", 3, "EDGE_WEIGHT_TYPE must be one of"),
        (HEADER + "EOF\n", None, "NODE_COORD_SECTION is missing"),
        (
            HEADER + "NODE_COORD_SECTION\n1 0 0\n2 1 1\nEOF\n",
            5,
            "NODE_COORD_SECTION must hold 3 lines 'node x y'",
        ),
        (HEADER + "NODE_COORD_SECTION\n1 0 0\n2 1 1\n2 3 3\n", 8, "node 2 is given twice"),
        (HEADER + "NODE_COORD_SECTION\n1 0 0\n2 1 1\n4 3 3\n", 8, r"node 4 is outside 1\.\.3"),
        (
            HEADER + "NODE_COORD_SECTION\n1 0 0\n2 1 x\n3 3 3\n",
            7,
            "expected a number for node 2, got 'x'",
        ),
        (
            HEADER + "NODE_COORD_SECTION\n1 0 0\n2 1\n1 3 3 3\n",
            7,
            "expected 'node x y' on one line for node 2",
        ),
        (HEADER + "this is not tsplib\n", 5, "expected 'KEYWORD : value' or a section name"),
        (HEADER + "DIMENSION: 4\n", 5, "DIMENSION is given twice"),
        (
            "NAME: x\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_SECTION\n1 2 3\n",
            None,
            "the specification EDGE_WEIGHT_FORMAT is missing",
        ),
        (
            EXPLICIT + "EDGE_WEIGHT_FORMAT: UPPER_ROW\nEDGE_WEIGHT_SECTION\n1 2\nEOF\n",
            5,
            "EDGE_WEIGHT_SECTION in UPPER_ROW for DIMENSION 3 must hold 3 numbers, found 2",
        ),
        (
            "NAME: x\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: FUNCTION\n",
            4,
            "EDGE_WEIGHT_FORMAT must be one of",
        ),
        (
            "NAME: x\nTYPE: ATSP\n" + EXPLICIT[8:] + "EDGE_WEIGHT_FORMAT: UPPER_ROW\n",
            5,
            "an ATSP needs EDGE_WEIGHT_FORMAT FULL_MATRIX",
        ),
        (
            EXPLICIT + "EDGE_WEIGHT_FORMAT: UPPER_ROW\nEDGE_WEIGHT_SECTION\n1 2\nx\n",
            7,
            "expected a number for an edge weight, got 'x'",
        ),
    ],
)
def test_malformed_tsplib_files_name_file_and_line(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    path = tmp_path / "bad.tsp"
    path.write_text(text)
    where = f"bad.tsp, line {line}: " if line else "bad.tsp: "
    with pytest.raises(ValueError, match=where + message):
        problems.read_tsplib(path)


@pytest.mark.parametrize(
    ("section", "line", "message"),
    [
        ("1\n2\n3\n-1\n", None, None),
        ("1 2 3\nEOF\n", None, None),  # no -1: the end of the file ends the tour
        ("1\n2\n2\n-1\n", 7, "city 2 is visited twice"),
        ("1\n2\n4\n-1\n", 7, r"city 4 is outside 1\.\.3"),
        ("1\n2\n-1\n", 7, "the tour visits 2 cities, DIMENSION is 3"),
        ("1\nb\n3\n-1\n", 6, "expected an integer for a city, got 'b'"),
    ],
)
def test_tour_files(tmp_path: Path, section: str, line: int | None, message: str | None) -> None:
    path = tmp_path / "t.tour"
    path.write_text("NAME : t\nTYPE : TOUR\nDIMENSION : 3\nTOUR_SECTION\n" + section)
    if message is None:
        np.testing.assert_array_equal(problems.read_tsplib_tour(path), [0, 1, 2])
        return
    with pytest.raises(ValueError, match=f"t.tour, line {line}: {message}"):
        problems.read_tsplib_tour(path)


def test_tour_file_needs_type_tour(tmp_path: Path) -> None:
    path = tmp_path / "t.tour"
    path.write_text("NAME : t\nTYPE : TSP\nDIMENSION : 3\nTOUR_SECTION\n1 2 3 -1\n")
    with pytest.raises(ValueError, match=r"t\.tour, line 2: TYPE must be TOUR"):
        problems.read_tsplib_tour(path)
