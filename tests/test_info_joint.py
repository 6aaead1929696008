"""Tests of mutual_information and conditional_entropy on joint probability tables.

Oracles: scikit-learn's mutual_info_score on contingency counts, scipy.stats.entropy
(the KL form against the product of the marginals, and row-wise conditional entropies),
a pure-Python loop, and the identities I = H(X) + H(Y) - H(X, Y), H(Y|X) = H(X,Y) - H(X).
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat
import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import mutual_info_score

from crossentropy.info import conditional_entropy, entropy, mutual_information

RTOL = 1e-12


def random_joint(rng: np.random.Generator, shape: tuple[int, ...], zeros: float = 0.0) -> Any:
    x = rng.gamma(0.8, size=shape)
    if zeros:
        x = np.where(rng.random(shape) < zeros, 0.0, x)
        x[..., 0, 0] += 1e-3  # never an all-zero table
    return x / x.sum(axis=(-2, -1), keepdims=True)


def ref_mutual_information(table: list[list[float]]) -> float:
    rows = [math.fsum(r) for r in table]
    cols = [math.fsum(c) for c in zip(*table, strict=True)]
    return math.fsum(
        pij * math.log(pij / (rows[i] * cols[j]))
        for i, r in enumerate(table)
        for j, pij in enumerate(r)
        if pij > 0
    )


def ref_conditional_given_rows(table: list[list[float]]) -> float:
    terms = []
    for r in table:
        ri = math.fsum(r)
        terms.extend(-pij * math.log(pij / ri) for pij in r if pij > 0)
    return math.fsum(terms)


def h_rows_cols_joint(joint: np.ndarray) -> tuple[Any, Any, Any]:
    flat = joint.reshape((*joint.shape[:-2], -1))
    return entropy(joint.sum(axis=-1)), entropy(joint.sum(axis=-2)), entropy(flat)


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (3, 5), (7, 2), (11, 13)])
def test_against_oracles(rng: np.random.Generator, shape: tuple[int, int]) -> None:
    joint = random_joint(rng, shape, zeros=0.25)
    rows, cols = joint.sum(axis=1), joint.sum(axis=0)
    mi = float(mutual_information(joint))
    kl = scipy.stats.entropy(joint.ravel(), np.outer(rows, cols).ravel())
    assert mi == pytest.approx(kl, rel=RTOL, abs=1e-15)
    assert mi == pytest.approx(ref_mutual_information(joint.tolist()), rel=RTOL, abs=1e-15)
    h_given_rows = float(conditional_entropy(joint, given="rows"))
    oracle = sum(r * scipy.stats.entropy(row / r) for r, row in zip(rows, joint, strict=True))
    assert h_given_rows == pytest.approx(oracle, rel=RTOL, abs=1e-15)
    assert h_given_rows == pytest.approx(
        ref_conditional_given_rows(joint.tolist()), rel=RTOL, abs=1e-15
    )
    h_given_cols = float(conditional_entropy(joint, given="columns"))
    assert h_given_cols == pytest.approx(
        ref_conditional_given_rows(joint.T.tolist()), rel=RTOL, abs=1e-15
    )


def test_against_sklearn_counts(rng: np.random.Generator) -> None:
    for shape in [(2, 3), (5, 5), (4, 9)]:
        counts = rng.integers(0, 20, size=shape)
        counts[0, 0] += 1
        expected = mutual_info_score(None, None, contingency=counts)
        got = float(mutual_information(counts, normalize=True))
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-15)
        bits = float(mutual_information(counts, normalize=True, base="bits"))
        assert bits == pytest.approx(expected / math.log(2), rel=1e-10, abs=1e-15)


def test_identities_batched(rng: np.random.Generator) -> None:
    joint = random_joint(rng, (4, 3, 6, 5), zeros=0.2)
    h_x, h_y, h_xy = h_rows_cols_joint(joint)
    mi = mutual_information(joint)
    assert mi.shape == (4, 3)
    np.testing.assert_allclose(mi, h_x + h_y - h_xy, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(
        conditional_entropy(joint, given="rows"), h_xy - h_x, rtol=1e-11, atol=1e-14
    )
    np.testing.assert_allclose(
        conditional_entropy(joint, given="columns"), h_xy - h_y, rtol=1e-11, atol=1e-14
    )
    np.testing.assert_allclose(
        conditional_entropy(joint, given="rows"), h_y - mi, rtol=1e-11, atol=1e-14
    )
    # symmetric in X and Y: the transpose swaps them
    np.testing.assert_allclose(mutual_information(np.swapaxes(joint, -1, -2)), mi, rtol=RTOL)
    np.testing.assert_allclose(
        conditional_entropy(np.swapaxes(joint, -1, -2), given="columns"),
        conditional_entropy(joint, given="rows"),
        rtol=RTOL,
    )
    # batch entries agree with one table at a time
    assert float(mi[2, 1]) == pytest.approx(float(mutual_information(joint[2, 1])), rel=RTOL)


def test_closed_forms() -> None:
    copy = np.eye(4) / 4  # Y = X, uniform over 4
    assert float(mutual_information(copy, base="bits")) == pytest.approx(2.0, rel=RTOL)
    assert float(conditional_entropy(copy, given="rows")) == 0.0
    assert not np.signbit(conditional_entropy(copy, given="rows"))
    independent = np.outer([0.2, 0.3, 0.5], [0.1, 0.6, 0.3])
    assert abs(float(mutual_information(independent))) <= 1e-15
    np.testing.assert_allclose(
        conditional_entropy(independent, given="rows"), entropy(independent.sum(axis=0)), RTOL
    )
    assert float(mutual_information(np.array([[1.0]]))) == 0.0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0.01, 1.0), min_size=1, max_size=6),
    st.lists(st.floats(0.01, 1.0), min_size=1, max_size=6),
)
def test_independence_gives_zero(a: list[float], b: list[float]) -> None:
    rows, cols = np.array(a) / sum(a), np.array(b) / sum(b)
    joint = np.outer(rows, cols)
    assert abs(float(mutual_information(joint, tol=1e-12))) <= 1e-14


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_bounds(r: int, c: int, data: st.DataObject) -> None:
    cells = data.draw(st.lists(st.floats(0.0, 1.0), min_size=r * c, max_size=r * c))
    if sum(cells) < 1e-6:
        cells[0] = 1.0
    joint = np.array(cells).reshape(r, c)
    joint = joint / joint.sum()
    mi = float(mutual_information(joint))
    assert -1e-14 <= mi <= min(math.log(r), math.log(c)) + 1e-13
    h_y_given_x = float(conditional_entropy(joint, given="rows"))
    assert 0.0 <= h_y_given_x <= float(entropy(joint.sum(axis=0))) + 1e-13  # conditioning


def test_empty_tables() -> None:
    assert mutual_information(np.empty((0, 3, 3))).shape == (0,)
    np.testing.assert_array_equal(mutual_information(np.empty((2, 0, 3))), [0.0, 0.0])
    np.testing.assert_array_equal(conditional_entropy(np.empty((2, 3, 0)), given="rows"), 0.0)


def test_errors() -> None:
    good = np.array([[0.25, 0.25], [0.25, 0.25]])
    with pytest.raises(ValueError, match=r"^joint must have at least 2 dimensions"):
        mutual_information(np.array([0.5, 0.5]))
    with pytest.raises(
        ValueError,
        match=r"^joint must contain probabilities .*-0.1 at index "
        r"\[1, 0, 1\]",
    ):
        mutual_information(np.stack([good, np.array([[0.6, -0.1], [0.25, 0.25]])]))
    with pytest.raises(ValueError, match=r"^joint must contain probabilities .*nan at index"):
        conditional_entropy(np.array([[np.nan, 0.5], [0.25, 0.25]]), given="rows")
    with pytest.raises(
        ValueError,
        match=r"^joint must sum to 1 over its last two axes .*the "
        r"table at index \[1\] sums to 0.9",
    ):
        mutual_information(np.stack([good, good * 0.9]))
    with pytest.raises(ValueError, match=r"^joint must sum to 1 .*the table sums to 2.0"):
        conditional_entropy(good * 2, given="columns")
    with pytest.raises(
        ValueError,
        match=r"^joint cannot be normalised: the table at index "
        r"\[1\]",
    ):
        mutual_information(np.stack([good, 0 * good]), normalize=True)
    with pytest.raises(ValueError, match=r"^joint must be non-negative"):
        mutual_information(-good, normalize=True)
    with pytest.raises(ValueError, match=r"^given must be 'rows' .* or 'columns'"):
        conditional_entropy(good, given="X")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="given"):
        conditional_entropy(good)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="base must be"):
        mutual_information(good, base=-2.0)
    mutual_information(good * 1.05, tol=0.1)  # explicit tolerance


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backend_matrix(backend: Any, to_np: Any, rng: np.random.Generator, dtype: str) -> None:
    joint_np = random_joint(rng, (3, 4, 5), zeros=0.2).astype(dtype)
    joint = backend.asarray(joint_np, dtype)
    truth64 = joint_np.astype(np.float64)
    for fn, ref in [
        (mutual_information, ref_mutual_information),
        (lambda j: conditional_entropy(j, given="rows"), ref_conditional_given_rows),
    ]:
        out = fn(joint)
        assert type(out) is type(joint)
        assert out.dtype == joint.dtype
        assert array_api_compat.device(out) == array_api_compat.device(joint)
        assert out.shape == (3,)
        truth = np.array([ref(t.tolist()) for t in truth64])
        got = to_np(out).astype(np.float64)
        if dtype == "float64":
            np.testing.assert_allclose(got, truth, rtol=RTOL)
        else:  # a few float32 ulps (of the larger of the terms' scale, H(X,Y) <= ln 20)
            assert np.all(np.abs(got - truth) <= 16 * np.finfo(np.float32).eps * math.log(20))
    single = mutual_information(backend.asarray(np.eye(2) / 2))
    assert single.shape == ()
    assert float(to_np(single)) == pytest.approx(math.log(2), rel=RTOL)


def test_half_precision_and_autograd() -> None:
    torch = pytest.importorskip("torch")
    joint = torch.tensor([[0.3, 0.1], [0.2, 0.4]], dtype=torch.float16)
    out = mutual_information(joint)
    assert out.dtype == torch.float16
    in32 = mutual_information(joint.float(), tol=1e-2).to(torch.float16)
    assert out.item() == in32.item()
    j64 = torch.tensor([[0.3, 0.1], [0.2, 0.4]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda j: mutual_information(j, tol=1e-3), (j64,))
    assert torch.autograd.gradcheck(
        lambda j: conditional_entropy(j, given="rows", tol=1e-3), (j64,)
    )
