"""Tests of crossentropy.info's distribution measures against independent oracles.

Oracles: scipy.stats.entropy (both forms), scipy.special.entr / rel_entr / xlogy,
scipy.spatial.distance.jensenshannon, a slow pure-Python loop with math.fsum, and
closed forms. Float64 agreement is required to rtol 1e-12.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import array_api_compat
import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

import crossentropy
import crossentropy.info
from crossentropy.info import (
    cross_entropy,
    entropy,
    information,
    js_distance,
    js_divergence,
    kl_divergence,
    perplexity,
)

if TYPE_CHECKING:
    from collections.abc import Callable

RTOL = 1e-12
LN2 = math.log(2.0)
PAIR_FUNCTIONS = [cross_entropy, kl_divergence, js_divergence, js_distance]


def dirichlet(rng: np.random.Generator, shape: tuple[int, ...], zeros: float = 0.0) -> np.ndarray:
    """Random distributions along the last axis; a fraction ``zeros`` of entries set to 0."""
    x = rng.gamma(0.7, size=shape)
    if zeros:
        x = np.where(rng.random(shape) < zeros, 0.0, x)
        x[..., 0] = np.where(x.sum(axis=-1) == 0, 1.0, x[..., 0])
    return x / x.sum(axis=-1, keepdims=True)


def log_of(p: np.ndarray) -> np.ndarray:
    """Natural log with log 0 = -inf, without NumPy's divide-by-zero warning."""
    return np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), -np.inf)


# --- the slow, obviously right reference: pure Python over lists ----------------------


def ref_entropy(p: list[float]) -> float:
    return -math.fsum(pi * math.log(pi) for pi in p if pi > 0)


def ref_cross_entropy(p: list[float], q: list[float]) -> float:
    terms = []
    for pi, qi in zip(p, q, strict=True):
        if pi == 0:
            continue
        if qi == 0:
            return math.inf
        terms.append(-pi * math.log(qi))
    return math.fsum(terms)


def ref_kl(p: list[float], q: list[float]) -> float:
    terms = []
    for pi, qi in zip(p, q, strict=True):
        if pi == 0:
            continue
        if qi == 0:
            return math.inf
        terms.append(pi * math.log(pi / qi))
    return math.fsum(terms)


def ref_js(p: list[float], q: list[float]) -> float:
    m = [(pi + qi) / 2 for pi, qi in zip(p, q, strict=True)]
    return (ref_kl(p, m) + ref_kl(q, m)) / 2


def ref_rows(fn: Callable[..., float], *arrays: np.ndarray) -> np.ndarray:
    """Apply a reference to every row (last axis) of equally shaped arrays."""
    lead = arrays[0].shape[:-1]
    out = np.empty(lead)
    for index in np.ndindex(*lead):
        out[index] = fn(*(a[index].tolist() for a in arrays))
    return out


# --- public surface -------------------------------------------------------------------


def test_all_matches_definitions() -> None:
    defined = {
        name
        for name, value in vars(crossentropy.info).items()
        if callable(value) and not name.startswith("_")
    }
    assert set(crossentropy.info.__all__) == defined
    for name in crossentropy.info.__all__:
        assert getattr(crossentropy, name) is getattr(crossentropy.info, name)


# --- known values ----------------------------------------------------------------------


def test_cat_dog_horse() -> None:
    dog = cross_entropy(np.array([0.0, 1.0, 0.0]), np.array([0.4, 0.4, 0.2]))
    horse = cross_entropy(np.array([0.0, 0.0, 1.0]), np.array([0.1, 0.2, 0.7]))
    assert float(dog) == pytest.approx(-math.log(0.4), rel=RTOL)
    assert float(horse) == pytest.approx(-math.log(0.7), rel=RTOL)
    assert round(float(dog), 2) == 0.92
    assert round(float(horse), 2) == 0.36


def test_closed_forms() -> None:
    for k in (1, 2, 3, 7, 97):
        uniform = np.full(k, 1.0 / k)
        assert float(entropy(uniform)) == pytest.approx(math.log(k), rel=RTOL, abs=1e-15)
        assert float(perplexity(uniform)) == pytest.approx(k, rel=RTOL)
    assert float(entropy(np.array([0.5, 0.5]), base="bits")) == 1.0
    assert float(entropy(np.full(10, 0.1), base="dits")) == pytest.approx(1.0, rel=RTOL)
    # binary entropy h(0.1) = -0.1 ln 0.1 - 0.9 ln 0.9
    h = -0.1 * math.log(0.1) - 0.9 * math.log(0.9)
    assert float(entropy(np.array([0.1, 0.9]))) == pytest.approx(h, rel=RTOL)
    # KL of Bernoullis, and JS of disjoint supports = ln 2
    kl = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert float(kl_divergence(np.array([0.5, 0.5]), np.array([0.9, 0.1]))) == pytest.approx(
        kl, rel=RTOL
    )
    assert float(js_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0]))) == LN2
    assert float(js_distance(np.array([1.0, 0.0]), np.array([0.0, 1.0]), base="bits")) == 1.0


def test_information_values() -> None:
    p = np.array([1.0, 0.5, 0.25, 0.1, 0.0])
    out = information(p, base="bits")
    np.testing.assert_allclose(out[:3], [0.0, 1.0, 2.0], rtol=RTOL)
    assert out[3] == pytest.approx(-math.log2(0.1), rel=RTOL)
    assert out[4] == math.inf
    assert not np.signbit(out[0])  # +0.0 for a certain event
    np.testing.assert_array_equal(information(log_of(p), log_input=True), information(p))
    assert information(np.ones((2, 0, 3))).shape == (2, 0, 3)
    assert information(0.5).shape == ()  # elementwise: a scalar is fine here


# --- scipy oracles in float64 -----------------------------------------------------------

SHAPES = [(1,), (2,), (3,), (13,), (101,), (4, 7), (3, 5, 11), (0, 5)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("base", ["nats", "bits", "dits", 3.0])
def test_against_scipy(rng: np.random.Generator, shape: tuple[int, ...], base: Any) -> None:
    p, q = dirichlet(rng, shape, zeros=0.2), dirichlet(rng, shape)
    b = {"nats": None, "bits": 2.0, "dits": 10.0}.get(base, base)
    ln_b = 1.0 if b is None else math.log(b)
    if shape[0] == 0:
        expected_h = np.empty(shape[:-1])
        expected_kl = expected_h
    else:
        expected_h = scipy.stats.entropy(p, base=b, axis=-1)
        expected_kl = scipy.stats.entropy(p, q, base=b, axis=-1)
    np.testing.assert_allclose(entropy(p, base=base), expected_h, rtol=RTOL)
    np.testing.assert_allclose(
        entropy(p, base=base), scipy.special.entr(p).sum(axis=-1) / ln_b, rtol=RTOL
    )
    np.testing.assert_allclose(kl_divergence(p, q, base=base), expected_kl, rtol=RTOL)
    np.testing.assert_allclose(
        kl_divergence(p, q, base=base), scipy.special.rel_entr(p, q).sum(axis=-1) / ln_b, rtol=RTOL
    )
    np.testing.assert_allclose(
        cross_entropy(p, q, base=base), -scipy.special.xlogy(p, q).sum(axis=-1) / ln_b, rtol=RTOL
    )
    if shape[0]:
        js = jensenshannon(p, q, base=b, axis=-1)
        np.testing.assert_allclose(js_distance(p, q, base=base), js, rtol=RTOL)
        np.testing.assert_allclose(js_divergence(p, q, base=base), js**2, rtol=RTOL)


@pytest.mark.parametrize("axis", [0, 1, -2])
def test_axis_against_scipy(rng: np.random.Generator, axis: int) -> None:
    p = np.moveaxis(dirichlet(rng, (4, 5, 6)), -1, axis)
    q = np.moveaxis(dirichlet(rng, (4, 5, 6)), -1, axis)
    np.testing.assert_allclose(entropy(p, axis=axis), scipy.stats.entropy(p, axis=axis), RTOL)
    np.testing.assert_allclose(
        kl_divergence(p, q, axis=axis), scipy.stats.entropy(p, q, axis=axis), rtol=RTOL
    )
    np.testing.assert_allclose(
        js_distance(p, q, axis=axis), jensenshannon(p, q, axis=axis), rtol=RTOL
    )


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7, 11, 97])
def test_against_python_reference(rng: np.random.Generator, k: int) -> None:
    p, q = dirichlet(rng, (6, k), zeros=0.3), dirichlet(rng, (6, k), zeros=0.3)
    np.testing.assert_allclose(entropy(p), ref_rows(ref_entropy, p), rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(cross_entropy(p, q), ref_rows(ref_cross_entropy, p, q), rtol=RTOL)
    np.testing.assert_allclose(kl_divergence(p, q), ref_rows(ref_kl, p, q), rtol=RTOL)
    np.testing.assert_allclose(js_divergence(p, q), ref_rows(ref_js, p, q), rtol=RTOL)
    np.testing.assert_allclose(
        perplexity(p, q), np.exp(ref_rows(ref_cross_entropy, p, q)), rtol=RTOL
    )


# --- identities ------------------------------------------------------------------------


def test_identities(rng: np.random.Generator) -> None:
    p, q = dirichlet(rng, (50, 9), zeros=0.2), dirichlet(rng, (50, 9))
    np.testing.assert_allclose(cross_entropy(p, p), entropy(p), rtol=RTOL)
    np.testing.assert_allclose(
        cross_entropy(p, q), entropy(p) + kl_divergence(p, q), rtol=RTOL, atol=1e-15
    )
    np.testing.assert_array_equal(kl_divergence(p, p), 0.0)
    np.testing.assert_array_equal(js_divergence(p, p), 0.0)
    np.testing.assert_allclose(js_distance(p, q) ** 2, js_divergence(p, q), rtol=RTOL)
    m = (p + q) / 2
    np.testing.assert_allclose(
        js_divergence(p, q), (kl_divergence(p, m) + kl_divergence(q, m)) / 2, rtol=RTOL
    )
    np.testing.assert_allclose(perplexity(p), np.exp(entropy(p)), rtol=RTOL)
    np.testing.assert_allclose(perplexity(p, q), np.exp(cross_entropy(p, q)), rtol=RTOL)
    # perplexity is base-independent: b ** H_b = e ** H_nats
    np.testing.assert_allclose(2.0 ** entropy(p, base="bits"), perplexity(p), rtol=RTOL)


@pytest.mark.parametrize("fn", [entropy, cross_entropy, kl_divergence, js_divergence])
def test_base_conversion(rng: np.random.Generator, fn: Callable[..., Any]) -> None:
    args = (dirichlet(rng, (5, 8)),) * (1 if fn is entropy else 2)
    if fn is not entropy:
        args = (args[0], dirichlet(rng, (5, 8)))
    nats = fn(*args)
    np.testing.assert_allclose(fn(*args, base="bits"), nats / LN2, rtol=RTOL)
    np.testing.assert_allclose(fn(*args, base="dits"), nats / math.log(10), rtol=RTOL)
    np.testing.assert_allclose(fn(*args, base=math.e), nats, rtol=RTOL)
    np.testing.assert_allclose(fn(*args, base=5), nats / math.log(5), rtol=RTOL)


def test_log_input_matches(rng: np.random.Generator) -> None:
    p, q = dirichlet(rng, (20, 6), zeros=0.3), dirichlet(rng, (20, 6), zeros=0.3)
    lp, lq = log_of(p), log_of(q)
    np.testing.assert_allclose(entropy(lp, log_input=True), entropy(p), rtol=1e-13)
    np.testing.assert_allclose(perplexity(lp, log_input=True), perplexity(p), rtol=1e-13)
    for fn in [*PAIR_FUNCTIONS, perplexity]:
        expected = fn(p, q)
        got = fn(lp, lq, log_input=True)
        np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
        finite = np.isfinite(expected)
        np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-13, atol=1e-15)
    assert np.isinf(cross_entropy(lp, lq, log_input=True)).any()  # the case was covered


def test_normalize(rng: np.random.Generator) -> None:
    counts = rng.integers(0, 5, size=(6, 7)).astype(float)
    counts[:, 0] += 1  # no all-zero row
    weights = rng.random((6, 7)) * 10
    p, q = counts / counts.sum(-1, keepdims=True), weights / weights.sum(-1, keepdims=True)
    np.testing.assert_allclose(entropy(counts, normalize=True), entropy(p), rtol=RTOL)
    for fn in PAIR_FUNCTIONS:
        np.testing.assert_allclose(fn(counts, weights, normalize=True), fn(p, q), rtol=RTOL)
        np.testing.assert_allclose(
            fn(log_of(counts), np.log(weights), normalize=True, log_input=True),
            fn(p, q),
            rtol=1e-12,
            atol=1e-15,
        )
    # integer counts work too; normalize with axis=0
    assert float(entropy(np.array([3, 1]), normalize=True)) == pytest.approx(
        scipy.stats.entropy([3, 1]), rel=RTOL
    )
    np.testing.assert_allclose(entropy(counts.T, axis=0, normalize=True), entropy(p), rtol=RTOL)


# --- edge cases --------------------------------------------------------------------------


def test_zero_conventions() -> None:
    p = np.array([0.0, 0.5, 0.5])
    assert float(cross_entropy(p, np.array([0.0, 0.5, 0.5]))) == pytest.approx(LN2, rel=RTOL)
    assert float(kl_divergence(p, np.array([0.0, 0.5, 0.5]))) == 0.0  # 0 log 0 = 0
    assert float(cross_entropy(p, np.array([0.5, 0.5, 0.0]))) == math.inf  # p > 0, q = 0
    assert float(kl_divergence(p, np.array([0.5, 0.5, 0.0]))) == math.inf
    assert float(perplexity(p, np.array([0.5, 0.5, 0.0]))) == math.inf
    js = float(js_divergence(p, np.array([0.5, 0.5, 0.0])))
    assert math.isfinite(js)
    assert js == pytest.approx(ref_js([0.0, 0.5, 0.5], [0.5, 0.5, 0.0]), rel=RTOL)
    assert float(entropy(np.array([0.0, 1.0, 0.0]))) == 0.0
    assert not np.signbit(entropy(np.array([1.0, 0.0])))  # +0.0, not -0.0
    assert not np.signbit(cross_entropy(np.array([1.0, 0.0]), np.array([1.0, 0.0])))


def test_one_class_and_empty() -> None:
    one = np.array([1.0])
    for fn in PAIR_FUNCTIONS:
        assert float(fn(one, one)) == 0.0
    assert float(entropy(one)) == 0.0
    assert float(perplexity(one)) == 1.0
    # an empty batch gives an empty result; an empty distribution (K = 0) the empty sum
    assert entropy(np.empty((0, 4))).shape == (0,)
    assert kl_divergence(np.empty((0, 4)), np.empty((0, 4))).shape == (0,)
    np.testing.assert_array_equal(entropy(np.empty((3, 0))), np.zeros(3))
    np.testing.assert_array_equal(cross_entropy(np.empty((3, 0)), np.empty((3, 0))), 0.0)
    np.testing.assert_array_equal(perplexity(np.empty((3, 0))), 1.0)
    np.testing.assert_array_equal(entropy(np.empty((3, 0)), normalize=True), 0.0)


def test_returns_arrays_and_dtypes() -> None:
    out = cross_entropy([0, 1, 0], [0.4, 0.4, 0.2])  # lists -> float64 NumPy
    assert isinstance(out, np.ndarray)
    assert out.shape == ()
    assert out.dtype == np.float64
    for fn in PAIR_FUNCTIONS:
        assert isinstance(fn([0.5, 0.5], [0.5, 0.5]), np.ndarray)
    assert isinstance(entropy([1.0]), np.ndarray)
    assert isinstance(perplexity([1.0]), np.ndarray)
    assert entropy(np.array([1, 0])).dtype == np.float64  # integers: default float
    assert entropy(np.array([0.5, 0.5], dtype=np.float32)).dtype == np.float32
    mixed = cross_entropy(np.array([0.5, 0.5], np.float32), np.array([0.5, 0.5]))
    assert mixed.dtype == np.float64  # promoted


def test_broadcasting(rng: np.random.Generator) -> None:
    p, q = dirichlet(rng, (7,)), dirichlet(rng, (4, 7))
    for fn in PAIR_FUNCTIONS:
        np.testing.assert_array_equal(fn(p, q), fn(np.broadcast_to(p, (4, 7)), q))
        np.testing.assert_array_equal(fn(q, p), fn(q, np.broadcast_to(p, (4, 7))))
    pq = dirichlet(rng, (3, 1, 7))
    assert cross_entropy(pq, q).shape == (3, 4)
    # along axis 0 the batch dimension is the trailing one
    assert cross_entropy(p[:, None], q.T, axis=0).shape == (4,)


def test_tiny_probabilities() -> None:
    # q subnormal: p / q would overflow; the result must still be finite and right
    for q0 in (5e-324, 1e-310):
        p, q = np.array([0.5, 0.5]), np.array([q0, 1 - q0])
        expected = 0.5 * (math.log(0.5) - math.log(q0)) + 0.5 * math.log(0.5 / (1 - q0))
        assert float(kl_divergence(p, q)) == pytest.approx(expected, rel=RTOL)
        assert float(kl_divergence(p, q)) == pytest.approx(
            float(cross_entropy(p, q) - entropy(p)), rel=RTOL
        )
    q32 = np.array([1e-45, 1.0], dtype=np.float32)  # float32 subnormal
    p32 = np.array([0.5, 0.5], dtype=np.float32)
    expected32 = 0.5 * (math.log(0.5) - math.log(float(q32[0]))) + 0.5 * math.log(0.5)
    assert float(kl_divergence(p32, q32)) == pytest.approx(expected32, rel=1e-6)


def test_perplexity_overflow_is_inf() -> None:
    # H = -ln(1e-40) = 92 nats > ln(float32 max) = 88.7: exp overflows to inf, no warning
    q = np.array([1e-40, 1.0], dtype=np.float32)
    p = np.array([1.0, 0.0], dtype=np.float32)
    assert float(perplexity(p, q)) == math.inf
    q64 = q.astype(np.float64)  # the float32 subnormal 1e-40, exactly
    assert float(perplexity(p.astype(np.float64), q64)) == pytest.approx(1 / q64[0], rel=RTOL)
    # float16 output: perplexity 1e5 exceeds float16's max 65504
    q16 = np.array([1e-5, 1.0 - 1e-5], dtype=np.float16)
    p16 = np.array([1.0, 0.0], dtype=np.float16)
    out = perplexity(p16, q16)
    assert out.dtype == np.float16
    assert float(out) == math.inf


def test_default_tolerance_is_sqrt_eps() -> None:
    tol64 = math.sqrt(np.finfo(np.float64).eps)  # 1.49e-8
    entropy(np.array([0.5, 0.5 + 0.9 * tol64]))
    with pytest.raises(ValueError, match=r"p must sum to 1 .*tolerance 1.49e-08"):
        entropy(np.array([0.5, 0.5 + 1.1 * tol64]))
    tol32 = math.sqrt(np.finfo(np.float32).eps)  # 3.45e-4
    entropy(np.array([0.5, 0.5 + 0.5 * tol32], dtype=np.float32))
    with pytest.raises(ValueError, match=r"tolerance 0\.000345"):
        entropy(np.array([0.5, 0.5 + 2 * tol32], dtype=np.float32))
    entropy(np.array([0.5, 0.6]), tol=0.2)  # explicit tolerance


# --- errors ----------------------------------------------------------------------------

GOOD = np.array([[0.2, 0.8], [0.5, 0.5]])
BAD_VALUES = [
    (np.array([[0.2, 0.8], [-0.1, 1.1]]), r"found -0.1 at index \[1, 0\]"),
    (np.array([[0.2, 0.8], [0.0, 1.5]]), r"found 1.5 at index \[1, 1\]"),
    (np.array([[0.2, np.nan], [0.5, 0.5]]), r"found nan at index \[0, 1\]"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_VALUES)
def test_bad_values_name_argument_and_index(bad: np.ndarray, message: str) -> None:
    message = r" must contain probabilities in \[0, 1\]; " + message
    with pytest.raises(ValueError, match="^p" + message):
        entropy(bad)
    for fn in [*PAIR_FUNCTIONS, perplexity]:
        with pytest.raises(ValueError, match="^p" + message):
            fn(bad, GOOD)
        with pytest.raises(ValueError, match="^q" + message):
            fn(GOOD, bad)


def test_bad_sums_name_argument_and_slice() -> None:
    bad = np.array([[0.2, 0.8], [0.5, 0.4]])
    message = r" must sum to 1 along axis 1 .*the slice at index \[1\] sums to 0.9"
    with pytest.raises(ValueError, match="^p" + message):
        entropy(bad)
    with pytest.raises(ValueError, match=r"^p must sum to 1 along axis 0 .*index \[1\]"):
        entropy(bad.T, axis=0)
    with pytest.raises(ValueError, match=r"^p must sum to 1 along axis 0 .*sums to 0.9"):
        entropy(np.array([0.5, 0.4]))
    for fn in [*PAIR_FUNCTIONS, perplexity]:
        with pytest.raises(ValueError, match="^p" + message):
            fn(bad, GOOD)
        with pytest.raises(ValueError, match="^q" + message):
            fn(GOOD, bad)


def test_bad_log_values() -> None:
    with pytest.raises(ValueError, match=r"^p must contain log-probabilities .*0.5 at index \[1\]"):
        entropy(np.array([-1.0, 0.5]), log_input=True)
    with pytest.raises(ValueError, match=r"^exp\(q\) must sum to 1"):
        kl_divergence(np.log([0.5, 0.5]), np.log([0.5, 0.4]), log_input=True)
    with pytest.raises(ValueError, match=r"^p must contain log-probabilities.*nan at index \[0\]"):
        information(np.array([np.nan]), log_input=True)
    with pytest.raises(ValueError, match=r"^p must contain probabilities .*2.0 at index \[1\]"):
        information(np.array([0.5, 2.0]))


def test_normalize_still_rejects() -> None:
    with pytest.raises(ValueError, match=r"^p must be non-negative .*-1.0 at index \[0, 1\]"):
        entropy(np.array([[1.0, -1.0], [1.0, 1.0]]), normalize=True)
    with pytest.raises(ValueError, match=r"^q must be non-negative .*nan at index \[1\]"):
        kl_divergence(np.array([1.0, 1.0]), np.array([1.0, np.nan]), normalize=True)
    with pytest.raises(ValueError, match=r"^p must contain finite values; found inf at index"):
        entropy(np.array([1.0, np.inf]), normalize=True)
    with pytest.raises(ValueError, match=r"^q cannot be normalised: the slice at index \[1\] "):
        cross_entropy(np.ones((2, 3)), np.array([[1.0, 2, 3], [0, 0, 0]]), normalize=True)
    with pytest.raises(ValueError, match=r"^p cannot be normalised: .* log-sum-exp -inf"):
        entropy(np.array([-np.inf, -np.inf]), normalize=True, log_input=True)
    with pytest.raises(ValueError, match=r"^p must contain finite values; found inf"):
        entropy(np.array([0.0, np.inf]), normalize=True, log_input=True)


def test_shape_and_argument_errors() -> None:
    with pytest.raises(
        ValueError,
        match=r"same number of outcomes along axis -1; got shapes "
        r"p \(3,\) and q \(4,\)",
    ):
        cross_entropy(np.full(3, 1 / 3), np.full(4, 0.25))
    with pytest.raises(ValueError, match="same number of outcomes"):  # no stretching of K
        kl_divergence(np.ones((2, 1)), np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="same number of outcomes along axis 0"):
        kl_divergence(np.full(3, 1 / 3), np.full((4, 3), 0.25), axis=0)
    with pytest.raises(
        ValueError, match=r"batch dimensions of p \(2, 3\) and q \(4, 3\) do not broadcast"
    ):
        js_divergence(np.full((2, 3), 1 / 3), np.full((4, 3), 1 / 3))
    with pytest.raises(ValueError, match="p must have at least one dimension"):
        entropy(np.float64(1.0))
    with pytest.raises(ValueError, match="axis=2 is out of range"):
        entropy(GOOD, axis=2)
    with pytest.raises(TypeError, match="axis must be an int"):
        entropy(GOOD, axis=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="base must be"):
        entropy(GOOD, base="bytes")
    with pytest.raises(ValueError, match="base must be a finite positive number"):
        entropy(GOOD, base=1)
    with pytest.raises(ValueError, match="tol must be None or a finite number >= 0"):
        entropy(GOOD, tol=-1e-3)
    with pytest.raises(TypeError, match="tol must be None or a finite number >= 0"):
        entropy(GOOD, tol="1e-3")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="p: expected an array of real numbers, got dtype complex"):
        entropy(np.array([0.5 + 0j, 0.5]))
    with pytest.raises(TypeError, match="p: expected numeric array-like data"):
        entropy(["a", "b"])
    with pytest.raises(TypeError, match="q: expected an array of real numbers, got dtype <U3"):
        kl_divergence(GOOD, np.array(["0.5", "0.5"]))


# --- properties ------------------------------------------------------------------------

weights = st.lists(st.floats(0.0, 1.0, allow_subnormal=False), min_size=1, max_size=12).filter(
    lambda w: sum(w) > 1e-6
)


def as_distribution(w: list[float]) -> np.ndarray:
    a = np.array(w)
    return a / a.sum()


@st.composite
def pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    k = draw(st.integers(1, 12))
    w = st.lists(st.floats(0.0, 1.0, allow_subnormal=False), min_size=k, max_size=k)
    a, b = draw(w.filter(lambda v: sum(v) > 1e-6)), draw(w.filter(lambda v: sum(v) > 1e-6))
    return as_distribution(a), as_distribution(b)


@settings(max_examples=150, deadline=None)
@given(pairs())
def test_gibbs_and_js_bounds(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    assert float(kl_divergence(p, q)) >= -1e-15  # Gibbs' inequality, up to rounding
    js_pq, js_qp = float(js_divergence(p, q)), float(js_divergence(q, p))
    assert js_pq == js_qp  # symmetric exactly: the same terms in swapped order per element
    assert -1e-15 <= js_pq <= LN2 + 1e-15
    assert 0.0 <= float(js_distance(p, q, base="bits")) <= 1.0 + 1e-15
    assert float(cross_entropy(p, q)) >= float(entropy(p)) - 1e-13


@settings(max_examples=150, deadline=None)
@given(weights)
def test_entropy_bounds(w: list[float]) -> None:
    p = as_distribution(w)
    k = len(w)
    h = float(entropy(p))
    assert 0.0 <= h <= math.log(k) + 1e-13
    assert h <= float(entropy(np.full(k, 1.0 / k))) + 1e-13  # uniform maximises
    assert 1.0 <= float(perplexity(p)) <= k * (1 + 1e-12)
    assert h == pytest.approx(ref_entropy(p.tolist()), rel=1e-12, abs=1e-15)


# --- backend matrix ----------------------------------------------------------------------

MEASURES: dict[str, tuple[Callable[..., Any], Callable[..., float] | None]] = {
    "entropy": (entropy, ref_entropy),
    "cross_entropy": (cross_entropy, ref_cross_entropy),
    "kl_divergence": (kl_divergence, ref_kl),
    "js_divergence": (js_divergence, ref_js),
    "js_distance": (js_distance, lambda p, q: math.sqrt(ref_js(p, q))),
    "perplexity": (perplexity, lambda p, q: math.exp(ref_cross_entropy(p, q))),
}


def _inputs(rng: np.random.Generator, name: str) -> tuple[np.ndarray, ...]:
    p, q = dirichlet(rng, (6, 7), zeros=0.2), dirichlet(rng, (6, 7))
    return (p,) if name == "entropy" else (p, q)


@pytest.mark.parametrize("name", list(MEASURES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backend_matrix(
    backend: Any, to_np: Any, rng: np.random.Generator, name: str, dtype: str
) -> None:
    fn, ref = MEASURES[name]
    data = [a.astype(dtype) for a in _inputs(rng, name)]
    args = [backend.asarray(a, dtype) for a in data]
    out = fn(*args)
    assert type(out) is type(args[0])
    assert out.dtype == args[0].dtype
    assert array_api_compat.device(out) == array_api_compat.device(args[0])
    assert out.shape == (6,)
    assert ref is not None
    truth = ref_rows(ref, *(a.astype(np.float64) for a in data))
    got = to_np(out).astype(np.float64)
    if dtype == "float64":
        np.testing.assert_allclose(got, truth, rtol=RTOL)
    else:  # a few float32 ulps of the float64 truth of the same (rounded) inputs
        ulp = np.finfo(np.float32).eps * np.abs(truth)
        assert np.all(np.abs(got - truth) <= 8 * ulp), np.max(np.abs(got - truth) / ulp)


def test_backend_single_distribution_and_log_input(backend: Any, to_np: Any) -> None:
    p = backend.asarray(np.array([0.0, 1.0, 0.0]))
    q = backend.asarray(np.array([0.4, 0.4, 0.2]))
    out = cross_entropy(p, q)
    assert out.shape == ()
    assert type(out) is type(p)
    assert float(to_np(out)) == pytest.approx(-math.log(0.4), rel=RTOL)
    lp, lq = (backend.asarray(log_of(np.array(v))) for v in ([0.0, 1.0, 0.0], [0.4, 0.4, 0.2]))
    assert float(to_np(cross_entropy(lp, lq, log_input=True))) == pytest.approx(-math.log(0.4))
    assert float(to_np(kl_divergence(lp, lq, log_input=True))) == pytest.approx(-math.log(0.4))
    inf = kl_divergence(q, backend.asarray(np.array([0.5, 0.5, 0.0])))
    assert float(to_np(inf)) == math.inf
    surprisal = information(backend.asarray(np.array([0.5, 0.0])), base="bits")
    np.testing.assert_array_equal(to_np(surprisal), [1.0, math.inf])
    with pytest.raises(ValueError, match=r"^q must contain probabilities .* at index \[2\]"):
        cross_entropy(p, backend.asarray(np.array([0.4, 0.7, -0.1])))


@pytest.mark.parametrize("half", ["float16", "bfloat16"])
def test_half_precision_computes_in_float32(backend: Any, to_np: Any, half: str) -> None:
    if backend.name == "array_api_strict":
        pytest.skip("array-api-strict has no half-precision dtype")
    if half == "bfloat16" and backend.name not in ("torch", "torch_cuda", "jax"):
        pytest.skip("bfloat16 is a PyTorch and JAX dtype, not a NumPy or Dask one")
    xp = backend.xp
    p = backend.asarray(np.array([[0.25, 0.25, 0.5], [0.0, 1.0, 0.0]]), "float32")
    q = backend.asarray(np.array([[0.5, 0.25, 0.25], [0.4, 0.4, 0.2]]), "float32")
    half_dtype = np.float16 if backend.name == "dask" else getattr(xp, half)
    p_h, q_h = xp.astype(p, half_dtype), xp.astype(q, half_dtype)
    for fn in [*PAIR_FUNCTIONS, perplexity]:
        out = fn(p_h, q_h)
        assert out.dtype == p_h.dtype
        assert type(out) is type(p_h)
        # computed in float32 from the half inputs, then rounded once to half
        # (tol: the half-rounded inputs are normalised only to half precision)
        in32 = fn(xp.astype(p_h, xp.float32), xp.astype(q_h, xp.float32), tol=1e-2)
        np.testing.assert_array_equal(
            to_np(out).astype(np.float32), to_np(xp.astype(xp.astype(in32, p_h.dtype), xp.float32))
        )
    assert entropy(p_h).dtype == p_h.dtype
    assert information(p_h).dtype == p_h.dtype


def test_dask_stays_lazy(rng: np.random.Generator) -> None:
    da = pytest.importorskip("dask.array")
    p, q = dirichlet(rng, (8, 5)), dirichlet(rng, (8, 5))
    out = kl_divergence(da.from_array(p, chunks=3), da.from_array(q, chunks=3))
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), scipy.stats.entropy(p, q, axis=-1), rtol=RTOL)


# --- autograd ----------------------------------------------------------------------------


def test_torch_autograd_cross_entropy() -> None:
    torch = pytest.importorskip("torch")
    p = torch.tensor([0.0, 0.7, 0.3], dtype=torch.float64)
    q = torch.tensor([0.0, 0.5, 0.5], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(cross_entropy(p, q), q)
    assert torch.isfinite(grad).all()
    # d/dq_i (-sum p log q) = -p_i / q_i, and 0 where p_i = 0 (even at q_i = 0)
    torch.testing.assert_close(grad, torch.tensor([0.0, -1.4, -0.6], dtype=torch.float64))
    (grad_bits,) = torch.autograd.grad(cross_entropy(p, q, base="bits"), q)
    torch.testing.assert_close(grad_bits, grad / LN2)
    q2 = torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: cross_entropy(p, x, tol=1e-3), (q2,))
    assert torch.autograd.gradcheck(lambda x: kl_divergence(p, x, tol=1e-3), (q2,))
    assert torch.autograd.gradcheck(lambda x: js_divergence(p, x, tol=1e-3), (q2,))
    assert torch.autograd.gradcheck(lambda x: entropy(x, tol=1e-3), (q2,))


def test_torch_autograd_log_input() -> None:
    torch = pytest.importorskip("torch")
    lp = torch.log(torch.tensor([0.0, 0.7, 0.3], dtype=torch.float64))  # has -inf
    lq = torch.log(torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64)).requires_grad_()
    (grad,) = torch.autograd.grad(cross_entropy(lp, lq, log_input=True), lq)
    # d/d(lq_i) (-sum e^{lp_i} lq_i) = -p_i
    torch.testing.assert_close(grad, torch.tensor([0.0, -0.7, -0.3], dtype=torch.float64))
    lp_grad = lp.clone().requires_grad_()
    for fn in (entropy, perplexity):
        (g,) = torch.autograd.grad(fn(lp_grad, log_input=True), lp_grad)
        assert torch.isfinite(g).all()
    (g,) = torch.autograd.grad(kl_divergence(lp_grad, lq, log_input=True), lp_grad)
    assert torch.isfinite(g).all()
