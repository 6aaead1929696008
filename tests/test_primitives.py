"""The stable primitives of ``_numerics``: logsumexp, log_softmax, softmax, sigmoid, log_sigmoid.

Oracles: ``scipy.special`` (independent implementations), 50-digit ``mpmath`` for the
extreme ranges, and identities (shift invariance, normalisation) under Hypothesis.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from crossentropy._numerics import (
    _softmax_parts,
    log_sigmoid,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
)

special = pytest.importorskip("scipy.special")
mpmath = pytest.importorskip("mpmath")

SOFTMAX_FAMILY = [logsumexp, log_softmax, softmax]


# --------------------------------------------------------------------------------------
# 50-digit references
# --------------------------------------------------------------------------------------


def _mp_logsumexp(row: np.ndarray) -> Any:
    return mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row))


def mp_reference(name: str, x: np.ndarray) -> np.ndarray:
    """``name`` of ``x`` along the last axis, to 50 significant digits, rounded to float64.

    x - logsumexp(x) cancels up to the size of x: the working precision grows with it.
    """
    rows = x.reshape(-1, x.shape[-1]).astype(np.float64)
    out = []
    digits = 50 + int(math.log10(float(np.abs(rows).max()) + 1.0))
    with mpmath.workdps(digits):
        for row in rows:
            lse = _mp_logsumexp(row)
            if name == "logsumexp":
                out.append([float(lse)])
            elif name == "log_softmax":
                out.append([float(mpmath.mpf(float(v)) - lse) for v in row])
            else:
                out.append([float(mpmath.exp(mpmath.mpf(float(v)) - lse)) for v in row])
    shape = x.shape[:-1] if name == "logsumexp" else x.shape
    return np.array(out, dtype=np.float64).reshape(shape)


def _ulps_off(got: np.ndarray, want: np.ndarray, dtype: Any) -> float:
    """Largest error in units of ``dtype``'s spacing at the true value (ulp >= tiny)."""
    spacing = np.maximum(
        np.spacing(np.abs(want).astype(dtype)).astype(np.float64),
        np.finfo(dtype).smallest_subnormal,
    )
    return float(np.max(np.abs(got.astype(np.float64) - want) / spacing, initial=0.0))


# --------------------------------------------------------------------------------------
# Against scipy.special
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (2, 3, 11), (4, 1), (13, 2)])
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_family_matches_scipy(
    rng: np.random.Generator, shape: tuple[int, ...], axis: int
) -> None:
    x = rng.standard_normal(shape) * 10
    np.testing.assert_allclose(
        logsumexp(x, axis=axis), special.logsumexp(x, axis=axis), rtol=1e-14, atol=1e-14
    )
    np.testing.assert_allclose(
        logsumexp(x, axis=axis, keepdims=True),
        special.logsumexp(x, axis=axis, keepdims=True),
        rtol=1e-14,
        atol=1e-14,
    )
    np.testing.assert_allclose(
        log_softmax(x, axis=axis), special.log_softmax(x, axis=axis), rtol=1e-13, atol=1e-13
    )
    np.testing.assert_allclose(
        softmax(x, axis=axis), special.softmax(x, axis=axis), rtol=1e-14, atol=1e-300
    )


def test_sigmoids_match_scipy(rng: np.random.Generator) -> None:
    x = np.concatenate([rng.standard_normal(50) * 20, [-800.0, -40.0, 0.0, 40.0, 800.0]])
    np.testing.assert_allclose(sigmoid(x), special.expit(x), rtol=1e-15, atol=0)
    np.testing.assert_allclose(log_sigmoid(x), special.log_expit(x), rtol=1e-15, atol=0)
    # log(1 - sigmoid(x)) = log_sigmoid(-x), exact where 1 - expit(x) cancels to 0
    np.testing.assert_allclose(log_sigmoid(-x), special.log_expit(-x), rtol=1e-15)


# --------------------------------------------------------------------------------------
# Extreme ranges: float32 up to +-1e4, float64 up to +-1e300
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "scale", "max_ulps"),
    [
        (np.float64, 1e300, 2.0),
        (np.float64, 1e4, 4.0),
        (np.float32, 1e4, 4.0),
    ],
)
def test_extreme_logits_against_50_digits(
    rng: np.random.Generator, dtype: Any, scale: float, max_ulps: float
) -> None:
    x = np.concatenate(
        [
            rng.uniform(-scale, scale, (6, 5)),
            [[scale, -scale, 0.0, scale, -scale]],  # ties at the extremes
            [[scale, scale * (1 - 1e-6), -scale, 0.0, 1.0]],  # near-tie at the max
        ]
    ).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lse, lsm, sm = logsumexp(x), log_softmax(x), softmax(x)
    for got in (lse, lsm, sm):
        assert got.dtype == dtype
        assert not np.isnan(got).any()
    # logsumexp is within a few ulps of the truth; the log-softmax error is at most a few
    # ulps of the terms x - max and logsumexp(x - max) it is made of.
    assert _ulps_off(lse, mp_reference("logsumexp", x), dtype) <= max_ulps
    want = mp_reference("log_softmax", x)
    eps = float(np.finfo(dtype).eps)
    shifted = np.abs(x.astype(np.float64) - x.max(axis=-1, keepdims=True)) + 1.0
    assert np.all(np.abs(lsm - want) <= max_ulps * eps * shifted)
    np.testing.assert_allclose(
        sm,
        mp_reference("softmax", x),
        rtol=max_ulps * 4 * eps,
        atol=float(np.finfo(dtype).smallest_subnormal),
    )
    np.testing.assert_allclose(np.sum(sm, axis=-1), 1.0, rtol=8 * eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoids_do_not_overflow(dtype: Any) -> None:
    big = 1e4 if dtype == np.float32 else 1e300
    x = np.array([-big, -30.0, 0.0, 100.0, big], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, ls, lsn = sigmoid(x), log_sigmoid(x), log_sigmoid(-x)
    assert s.dtype == ls.dtype == dtype
    assert s.tolist() == pytest.approx([0.0, math.exp(-30.0), 0.5, 1.0, 1.0], abs=0, rel=1e-6)
    assert ls[0] == -big
    assert ls[-1] == 0.0
    assert lsn[-1] == -big
    assert ls[1] == pytest.approx(-30.0, rel=1e-7)


def test_float32_softmax_no_worse_than_scipy_float32(rng: np.random.Generator) -> None:
    # The low-precision rule: our float32 error against float64 truth is no worse than
    # an independent float32 implementation's (scipy), plus a rounding-sized margin.
    x64 = rng.standard_normal((64, 37)) * 30
    x32 = x64.astype(np.float32)
    truth = special.log_softmax(x32.astype(np.float64), axis=-1)
    ours = np.abs(log_softmax(x32).astype(np.float64) - truth).max()
    theirs = np.abs(special.log_softmax(x32, axis=-1).astype(np.float64) - truth).max()
    assert ours <= theirs + 4 * np.finfo(np.float32).eps * np.abs(truth).max()


# --------------------------------------------------------------------------------------
# Half precision: computed in float32, returned in the input dtype
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [*SOFTMAX_FAMILY, sigmoid, log_sigmoid])
def test_float16_in_float16_out_rounded_float32_result(rng: np.random.Generator, func: Any) -> None:
    x = (rng.standard_normal((5, 9)) * 8).astype(np.float16)
    got = func(x)
    assert got.dtype == np.float16
    # computed in float32 then cast once: equal to the float32 result rounded to float16
    np.testing.assert_array_equal(got, func(x.astype(np.float32)).astype(np.float16))


def test_float16_large_logits_do_not_overflow() -> None:
    # exp(60000) overflows everything; x - max stays within float16's range (65504).
    x = np.array([[60000.0, 30000.0, 0.0]], dtype=np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert softmax(x).tolist() == [[1.0, 0.0, 0.0]]
        assert log_softmax(x).tolist() == [[0.0, -30000.0, -60000.0]]
        assert float(logsumexp(x)[0]) == 60000.0


def test_torch_half_and_bfloat16() -> None:
    torch = pytest.importorskip("torch")
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(0)) * 5
    for dtype in (torch.float16, torch.bfloat16):
        xh = x.to(dtype)
        for func in SOFTMAX_FAMILY:
            got = func(xh)
            assert got.dtype == dtype
            ref = (
                getattr(torch, func.__name__)(xh.float(), dim=-1)
                if func is not softmax
                else torch.softmax(xh.float(), dim=-1)
            )
            torch.testing.assert_close(got, ref.to(dtype), rtol=0, atol=0)


# --------------------------------------------------------------------------------------
# Empty axes and odd shapes
# --------------------------------------------------------------------------------------


def test_empty_class_axis() -> None:
    x = np.zeros((3, 0))
    assert logsumexp(x, axis=1).tolist() == [-math.inf] * 3  # log of an empty sum
    assert logsumexp(x, axis=1, keepdims=True).shape == (3, 1)
    assert log_softmax(x, axis=1).shape == (3, 0)
    assert softmax(x, axis=1).shape == (3, 0)


def test_empty_batch_axis() -> None:
    x = np.zeros((0, 5), dtype=np.float32)
    assert logsumexp(x).shape == (0,)
    assert logsumexp(x).dtype == np.float32
    assert log_softmax(x).shape == (0, 5)
    assert softmax(x, axis=-1).dtype == np.float32
    assert sigmoid(x).shape == (0, 5)


def test_scalar_input_needs_an_axis() -> None:
    with pytest.raises(ValueError, match=r"axis=-1 is out of range"):
        logsumexp(np.float64(1.0))
    assert float(sigmoid(np.float64(0.0))) == 0.5


def test_lists_become_numpy() -> None:
    assert softmax([0.0, 0.0]).tolist() == [0.5, 0.5]
    assert isinstance(logsumexp([1, 2, 3]), np.ndarray | np.floating)


# --------------------------------------------------------------------------------------
# Non-finite input: exact limits where they exist, NaN where not, never a warning
# --------------------------------------------------------------------------------------

NONFINITE_CASES = [
    # x, logsumexp, log_softmax
    ([math.inf, 0.0], math.inf, [0.0, -math.inf]),
    ([math.inf, 1000.0], math.inf, [0.0, -math.inf]),  # exp(1000) is never evaluated
    ([math.inf, math.inf], math.inf, [math.nan, math.nan]),  # no limit
    ([-math.inf, 0.0], 0.0, [-math.inf, 0.0]),
    ([-math.inf, -math.inf], -math.inf, [math.nan, math.nan]),  # 0 / 0
    ([-math.inf], -math.inf, [0.0]),  # one class: probability 1 whatever the logit
    ([math.inf], math.inf, [0.0]),
    ([math.nan, 1000.0], math.nan, [math.nan, math.nan]),
    ([math.nan, math.inf], math.nan, [math.nan, math.nan]),
]


@pytest.mark.parametrize(("x", "lse", "lsm"), NONFINITE_CASES)
def test_nonfinite_slices(x: list[float], lse: float, lsm: list[float]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for arr in (np.array(x), np.array([x, [1.0] * len(x)])):  # alone, and beside a finite row
            got_lse = logsumexp(arr)
            got_lsm = log_softmax(arr)
            got_sm = softmax(arr)
            np.testing.assert_array_equal(np.reshape(got_lse, -1)[0], lse)
            np.testing.assert_array_equal(np.reshape(got_lsm, (-1, len(x)))[0], lsm)
            np.testing.assert_array_equal(np.reshape(got_sm, (-1, len(x)))[0], np.exp(lsm))
            if arr.ndim == 2:  # the finite row is unaffected
                np.testing.assert_allclose(got_sm[1], 1.0 / len(x), rtol=1e-15)


def test_nonfinite_path_equals_fast_path_on_finite_rows(rng: np.random.Generator) -> None:
    # Dask always takes the non-finite-safe path: it must agree with NumPy's fast path.
    da = pytest.importorskip("dask.array")
    x = rng.standard_normal((9, 7)) * 50
    lazy = da.from_array(x, chunks=4)
    np.testing.assert_allclose(log_softmax(lazy).compute(), log_softmax(x), rtol=1e-15, atol=1e-13)
    np.testing.assert_allclose(softmax(lazy).compute(), softmax(x), rtol=1e-15)
    np.testing.assert_allclose(logsumexp(lazy).compute(), logsumexp(x), rtol=1e-15)


def test_softmax_parts_contract(rng: np.random.Generator) -> None:
    x = rng.standard_normal((4, 6))
    z, s = _softmax_parts(np, x, 1)
    assert np.all(z <= 0)
    assert np.all(s >= 1)
    np.testing.assert_allclose(z - np.log(s), special.log_softmax(x, axis=1), rtol=1e-14)


# --------------------------------------------------------------------------------------
# Identities under Hypothesis
# --------------------------------------------------------------------------------------

_finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
_rows = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6), elements=_finite
)


@settings(max_examples=60, deadline=None)
@given(x=_rows, shift=st.floats(-1e3, 1e3))
def test_shift_invariance(x: np.ndarray, shift: float) -> None:
    np.testing.assert_allclose(log_softmax(x + shift), log_softmax(x), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(logsumexp(x + shift), logsumexp(x) + shift, rtol=1e-12, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(x=_rows)
def test_softmax_is_a_distribution(x: np.ndarray) -> None:
    p = softmax(x)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.exp(log_softmax(x)), p, rtol=1e-12, atol=1e-300)
    assert np.all(logsumexp(x) >= x.max(axis=-1))  # the max is a lower bound


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-700, 700, allow_nan=False)))
def test_sigmoid_identities(x: np.ndarray) -> None:
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, rtol=1e-15)
    np.testing.assert_allclose(log_sigmoid(x) - log_sigmoid(-x), x, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------
# Backend matrix and autograd
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("func", [*SOFTMAX_FAMILY, sigmoid, log_sigmoid])
def test_backends_keep_type_and_dtype(
    backend: Any, to_np: Any, rng: np.random.Generator, dtype: str, func: Any
) -> None:
    x = rng.standard_normal((5, 4)) * 4
    x[0, 1] = -np.inf  # exercise a -inf entry on every backend
    xb = backend.asarray(x, dtype=dtype)
    got = func(xb)
    assert type(got) is type(xb)
    assert got.dtype == xb.dtype
    want = func(x.astype(dtype))
    np.testing.assert_allclose(to_np(got), want, rtol=4 * np.finfo(dtype).eps, atol=1e-30)


def test_backends_nonfinite_rows(backend: Any, to_np: Any) -> None:
    x = np.array([[math.inf, 0.0, 3.0], [1.0, 2.0, 3.0], [-math.inf, -math.inf, -math.inf]])
    got = to_np(log_softmax(backend.asarray(x)))
    np.testing.assert_array_equal(got[0], [0.0, -math.inf, -math.inf])
    np.testing.assert_allclose(got[1], special.log_softmax(x[1]), rtol=1e-15)
    assert np.isnan(got[2]).all()
    np.testing.assert_array_equal(
        to_np(logsumexp(backend.asarray(x)))[[0, 2]], [math.inf, -math.inf]
    )


def test_backends_empty_class_axis_keeps_type_dtype_and_device(backend: Any, to_np: Any) -> None:
    from crossentropy._array_api import device

    xb = backend.asarray(np.zeros((3, 0)), dtype="float32")
    for got, want in [
        (logsumexp(xb, axis=1), [-math.inf] * 3),  # a new array: must land on xb's device
        (logsumexp(xb, axis=1, keepdims=True), [[-math.inf]] * 3),
    ]:
        assert type(got) is type(xb)
        assert got.dtype == xb.dtype
        assert device(got) == device(xb)
        np.testing.assert_array_equal(to_np(got), want)
    for func in (log_softmax, softmax):
        got = func(xb, axis=1)
        assert tuple(got.shape) == (3, 0)
        assert device(got) == device(xb)


def test_torch_autograd_flows_through_primitives() -> None:
    torch = pytest.importorskip("torch")
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(logsumexp(x).sum(), x)
    torch.testing.assert_close(g, torch.softmax(x, -1), rtol=1e-14, atol=1e-15)
    t = torch.rand(3, 5, dtype=torch.float64)
    (g,) = torch.autograd.grad((t * log_softmax(x)).sum(), x)
    p = torch.softmax(x, -1)
    torch.testing.assert_close(g, t - p * t.sum(-1, keepdim=True), rtol=1e-13, atol=1e-14)
    # x = 0 exactly: the kink of |x| and min(x, 0) used inside must not leak into autograd
    y = torch.tensor([-800.0, -2.0, 0.0, 3.0, 800.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(log_sigmoid(y).sum() + sigmoid(y).sum(), y)
    s = torch.sigmoid(y)
    torch.testing.assert_close(g, (1 - s) + s * (1 - s), rtol=1e-14, atol=1e-300)
    assert torch.isfinite(g).all()
