"""Binary cross-entropy from probabilities and from logits.

Oracles: PyTorch's ``F.binary_cross_entropy`` / ``F.binary_cross_entropy_with_logits``
and their autograd (float64), scikit-learn's ``log_loss``, Keras' binary label
smoothing, central finite differences, closed-form edge values, Hypothesis properties.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from crossentropy.losses import (
    ValueAndGrad,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    sigmoid,
    value_and_grad,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

BCE = binary_cross_entropy
BCEL = binary_cross_entropy_with_logits
REDUCTIONS = ["none", "mean", "sum"]


def _t(a: Any, **kw: Any) -> Any:
    return torch.tensor(np.asarray(a), dtype=torch.float64, **kw)


def _data(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 3.0) -> Any:
    x = rng.normal(size=shape) * scale
    p = 1.0 / (1.0 + np.exp(-x))
    y_soft = rng.random(shape)
    y_hard = (rng.random(shape) < 0.5).astype(np.float64)
    return x, p, y_soft, y_hard


def _relerr(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if a.size else 0.0


def central_diff(f: Any, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar ``f`` (float64) at ``a``."""
    out = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[i] = eps
        out[i] = (float(f(a + e)) - float(f(a - e))) / (2 * eps)
    return out


# ---------------------------------------------------------------------------------------
# PyTorch oracles (float64)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(7,), (5, 3), (2, 3, 4)])
def test_with_logits_equals_torch(
    rng: np.random.Generator, reduction: str, shape: tuple[int, ...]
) -> None:
    x, _, y, _ = _data(rng, shape, scale=10.0)
    w = rng.random(shape) * 2
    pw = rng.random(shape[-1:]) * 3
    for kw in ({}, {"weight": w}, {"pos_weight": pw}, {"weight": w[..., :1], "pos_weight": pw}):
        ours = BCEL(x, y, reduction=reduction, **kw)
        ref = F.binary_cross_entropy_with_logits(
            _t(x), _t(y), reduction=reduction, **{k: _t(v) for k, v in kw.items()}
        ).numpy()
        assert ours.shape == ref.shape
        assert _relerr(ours, ref) <= 1e-12


def test_with_logits_more_accurate_than_torch_where_torch_cancels() -> None:
    # PyTorch computes (1 - y) x - (1 + (w - 1) y) log_sigmoid(x): for x << 0 and small y
    # the two terms cancel (relative error ~eps / y). Against 50-digit arithmetic:
    mp = pytest.importorskip("mpmath").mp
    x, y = np.array([-10.469327176483374, -12.5]), np.array([0.0010903860758290085, 3e-4])
    ours = BCEL(x, y, reduction="none")
    theirs = F.binary_cross_entropy_with_logits(_t(x), _t(y), reduction="none").numpy()
    with mp.workdps(50):
        for i in range(2):
            xi, yi = mp.mpf(float(x[i])), mp.mpf(float(y[i]))
            truth = yi * mp.log1p(mp.exp(-xi)) + (1 - yi) * mp.log1p(mp.exp(xi))
            assert abs(ours[i] - truth) <= 2e-16 * truth
            assert abs(theirs[i] - truth) > abs(ours[i] - truth)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_probs_equal_torch(rng: np.random.Generator, reduction: str) -> None:
    # p strictly inside (0, 1): PyTorch clamps each log at -100, this function does not.
    _, p, y, y_hard = _data(rng, (6, 5))
    w = rng.random((6, 5))
    for target in (y, y_hard):
        for kw in ({}, {"weight": w}, {"weight": w[:1]}):
            ours = BCE(p, target, reduction=reduction, **kw)
            ref = F.binary_cross_entropy(
                _t(p), _t(target), reduction=reduction, **{k: _t(v) for k, v in kw.items()}
            ).numpy()
            assert _relerr(ours, ref) <= 1e-12


def test_float32_close_to_torch(rng: np.random.Generator) -> None:
    x, p, y, _ = _data(rng, (64, 8))
    x32, p32, y32 = (torch.tensor(v, dtype=torch.float32) for v in (x, p, y))
    ours = BCEL(x32, y32, reduction="none")
    assert ours.dtype == torch.float32
    ref = F.binary_cross_entropy_with_logits(x32, y32, reduction="none")
    assert _relerr(ours.numpy(), ref.numpy()) <= 1e-5
    assert (
        _relerr(
            BCE(p32, y32, reduction="none").numpy(),
            F.binary_cross_entropy(p32, y32, reduction="none").numpy(),
        )
        <= 1e-5
    )


def test_weight_keeps_torch_plain_mean(rng: np.random.Generator) -> None:
    _, p, y, _ = _data(rng, (4, 3))
    w = rng.random((4, 3))
    per = BCE(p, y, reduction="none")
    assert np.isclose(BCE(p, y, weight=w), np.mean(w * per), rtol=1e-14)


def test_torch_own_backward_matches_our_gradient(rng: np.random.Generator) -> None:
    x, _, y, _ = _data(rng, (5, 4), scale=4.0)
    w, pw = rng.random((5, 4)), rng.random(4) * 2
    xt = _t(x, requires_grad=True)
    ref = F.binary_cross_entropy_with_logits(xt, _t(y), weight=_t(w), pos_weight=_t(pw))
    (g_ref,) = torch.autograd.grad(ref, xt)
    out = value_and_grad(BCEL)(x, y, weight=w, pos_weight=pw)
    np.testing.assert_allclose(out.grad, g_ref.numpy(), rtol=1e-10, atol=1e-16)
    _, p, _, _ = _data(rng, (5, 4))
    pt = _t(p, requires_grad=True)
    (g_ref,) = torch.autograd.grad(F.binary_cross_entropy(pt, _t(y), weight=_t(w)), pt)
    out = value_and_grad(BCE)(p, y, weight=w)
    np.testing.assert_allclose(out.grad, g_ref.numpy(), rtol=1e-10)


# ---------------------------------------------------------------------------------------
# scikit-learn and Keras oracles
# ---------------------------------------------------------------------------------------


def test_two_class_log_loss_equals_sklearn(rng: np.random.Generator) -> None:
    from sklearn.metrics import log_loss

    n = 50
    p = rng.uniform(0.01, 0.99, n)
    y = (rng.random(n) < p).astype(np.int64)
    sw = rng.random(n) * 3
    assert _relerr(BCE(p, y), log_loss(y, p)) <= 1e-12
    assert _relerr(BCE(p, y, sample_weight=sw), log_loss(y, p, sample_weight=sw)) <= 1e-12


def test_label_smoothing_is_keras_binary_smoothing(rng: np.random.Generator) -> None:
    keras = pytest.importorskip("keras")
    _, p, y, _ = _data(rng, (6, 1))
    for e in (0.1, 0.3):
        ref = keras.losses.binary_crossentropy(torch.tensor(y), torch.tensor(p), label_smoothing=e)
        ours = BCE(p, y, label_smoothing=e, reduction="none")[:, 0]
        # Keras averages the last axis through a float32 cast: agreement to float32.
        assert _relerr(ours, ref.detach().cpu().numpy()) <= 1e-6
        # and exactly the formula y (1 - e) + e / 2
        assert np.array_equal(ours, BCE(p, y * (1 - e) + e / 2, reduction="none")[:, 0])


# ---------------------------------------------------------------------------------------
# Exact edges, clipping, extreme logits, empty input
# ---------------------------------------------------------------------------------------


def test_exact_edges_probs() -> None:
    p = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 0.25])
    out = value_and_grad(BCE)(p, y, reduction="none")
    assert out.value.tolist() == [0.0, math.inf, 0.0, math.inf, math.inf, math.inf]
    assert out.grad.tolist() == [1.0, -math.inf, -1.0, math.inf, -math.inf, math.inf]
    assert BCE(p, y) == math.inf


def test_exact_edges_with_pos_weight_zero() -> None:
    # 0 * log 0 = 0: a zero positive weight removes the infinite term exactly.
    assert float(BCE(np.array([0.0]), np.array([1.0]), pos_weight=np.array([0.0]))) == 0.0


def test_zero_sample_weight_excludes_infinite_item() -> None:
    p, y = np.array([0.0, 0.5]), np.array([1.0, 1.0])
    out = value_and_grad(BCE)(p, y, sample_weight=np.array([0.0, 1.0]))
    assert np.isclose(out.value, math.log(2))
    assert out.grad.tolist() == [0.0, -2.0]


def test_clip_is_explicit(rng: np.random.Generator) -> None:
    p = np.array([0.0, 1e-9, 0.3, 1.0])
    y = np.array([1.0, 1.0, 0.0, 0.0])
    eps = 1e-7
    got = value_and_grad(BCE)(p, y, clip=eps, reduction="none")
    pc = np.clip(p, eps, 1 - eps)
    np.testing.assert_allclose(got.value, -(y * np.log(pc) + (1 - y) * np.log1p(-pc)), rtol=1e-15)
    assert got.grad[0] == 0.0
    assert got.grad[1] == 0.0
    assert got.grad[3] == 0.0
    assert np.isclose(got.grad[2], 1 / 0.7)
    # Keras' clip: torch F.binary_cross_entropy of the clipped probabilities
    np.testing.assert_allclose(
        got.value, F.binary_cross_entropy(_t(pc), _t(y), reduction="none"), rtol=1e-14
    )


@pytest.mark.parametrize(("dtype", "big"), [("float32", 1e4), ("float64", 1e300)])
def test_extreme_logits_are_finite_and_exact(dtype: str, big: float) -> None:
    x = np.array([big, big, -big, -big, 0.0], dtype=dtype)
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0], dtype=dtype)
    out = value_and_grad(BCEL)(x, y, reduction="none")
    assert out.value.dtype == np.dtype(dtype)
    assert out.grad.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(
        out.value, np.array([0.0, big, big, 0.0, math.log(2)], dtype=dtype)
    )
    np.testing.assert_array_equal(out.grad, np.array([0.0, 1.0, -1.0, 0.0, -0.5], dtype=dtype))
    for v in (BCEL(x, y), BCEL(x, y, pos_weight=np.array([2.0], dtype=dtype))):
        assert np.isfinite(v)


def test_infinite_logits_are_exact_limits() -> None:
    x = np.array([math.inf, math.inf, -math.inf, -math.inf])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    out = value_and_grad(BCEL)(x, y, reduction="none")
    assert out.value.tolist() == [0.0, math.inf, math.inf, 0.0]
    assert out.grad.tolist() == [0.0, 1.0, -1.0, 0.0]


@pytest.mark.parametrize("fn", [BCE, BCEL])
def test_empty_input(fn: Any) -> None:
    e = np.zeros((0, 3))
    assert fn(e, e, reduction="none").shape == (0, 3)
    assert float(fn(e, e, reduction="sum")) == 0.0
    assert math.isnan(float(fn(e, e)))
    out = value_and_grad(fn)(e, e, reduction="sum")
    assert out.grad.shape == (0, 3)


def test_all_zero_sample_weight_mean_is_nan() -> None:
    out = value_and_grad(BCE)(np.array([0.2, 0.4]), np.array([0.0, 1.0]), sample_weight=np.zeros(2))
    assert math.isnan(float(out.value))
    assert not out.grad.any()  # no item counts: zero gradient, as PyTorch's all-ignored mean


# ---------------------------------------------------------------------------------------
# Options: sample_weight, pos_weight, label smoothing, target types
# ---------------------------------------------------------------------------------------


def test_sample_weight_is_a_weighted_average(rng: np.random.Generator) -> None:
    x, _, y, _ = _data(rng, (6, 4))
    sw = rng.random((6, 1))
    per = BCEL(x, y, reduction="none")
    expected = np.sum(sw * per) / np.sum(np.broadcast_to(sw, per.shape))
    assert np.isclose(BCEL(x, y, sample_weight=sw), expected, rtol=1e-14)
    assert np.isclose(BCEL(x, y, sample_weight=sw, reduction="sum"), np.sum(sw * per))
    # integer counts == repeating rows
    counts = np.array([1, 2, 0, 1, 3, 1])
    rep = np.repeat(np.arange(6), counts)
    assert np.isclose(BCEL(x, y, sample_weight=counts[:, None]), BCEL(x[rep], y[rep]))


def test_pos_weight_broadcasts_over_last_axis(rng: np.random.Generator) -> None:
    x, _, y, _ = _data(rng, (5, 3))
    pw = np.array([1.0, 2.0, 0.5])
    p = 1 / (1 + np.exp(-x))
    expected = -(pw * y * np.log(p) + (1 - y) * np.log1p(-p))
    np.testing.assert_allclose(BCEL(x, y, pos_weight=pw, reduction="none"), expected, rtol=1e-12)
    np.testing.assert_allclose(BCE(p, y, pos_weight=pw, reduction="none"), expected, rtol=1e-12)


def test_integer_and_boolean_targets(rng: np.random.Generator) -> None:
    _, p, _, y = _data(rng, (8,))
    ref = BCE(p, y)
    assert BCE(p, y.astype(np.int64)) == ref
    assert BCE(p, y.astype(bool)) == ref
    assert BCE(p.tolist(), y.astype(int).tolist()) == ref


def test_value_and_grad_is_registered() -> None:
    out = value_and_grad(BCEL)(np.array([0.0]), np.array([1.0]))
    assert isinstance(out, ValueAndGrad)
    assert out.grad.tolist() == [-0.5]


# ---------------------------------------------------------------------------------------
# Gradients: finite differences and torch autograd, for every option
# ---------------------------------------------------------------------------------------

OPTION_SETS: list[dict[str, Any]] = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"label_smoothing": 0.2},
    {"weight": "w"},
    {"pos_weight": "pw"},
    {"sample_weight": "sw", "weight": "w", "pos_weight": "pw"},
    {"sample_weight": "sw", "reduction": "sum", "label_smoothing": 0.1},
]


def _options(
    opts: dict[str, Any], rng: np.random.Generator, shape: tuple[int, ...], conv: Any = np.asarray
) -> dict[str, Any]:
    arrays = {
        "w": rng.random(shape) + 0.1,
        "pw": rng.random(shape[-1:]) * 2 + 0.1,
        "sw": rng.random((*shape[:1], 1)) + 0.1,
    }
    return {k: conv(arrays[v]) if v in arrays and k != "reduction" else v for k, v in opts.items()}


@pytest.mark.parametrize("opts", OPTION_SETS)
@pytest.mark.parametrize("fn", [BCE, BCEL])
def test_gradient_finite_differences(
    rng: np.random.Generator, fn: Any, opts: dict[str, Any]
) -> None:
    x, p, y, _ = _data(rng, (4, 3), scale=2.0)
    a = p if fn is BCE else x
    kw = _options(opts, rng, a.shape)
    out = value_and_grad(fn)(a, y, **kw)
    assert out.grad.shape == a.shape
    assert out.grad.dtype == a.dtype
    assert np.array_equal(out.value, fn(a, y, **kw))

    def total(v: np.ndarray) -> float:
        return float(np.sum(fn(v, y, **kw)))

    np.testing.assert_allclose(out.grad, central_diff(total, a), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("fn", "opts"),
    [(fn, opts) for fn in (BCE, BCEL) for opts in OPTION_SETS]
    + [(BCE, {"clip": 0.05}), (BCE, {"clip": 0.2, "pos_weight": "pw", "reduction": "sum"})],
)
def test_gradient_equals_torch_autograd(
    rng: np.random.Generator, fn: Any, opts: dict[str, Any]
) -> None:
    x, p, y, _ = _data(rng, (5, 3), scale=2.0)
    a = p if fn is BCE else x
    kw = _options(opts, rng, a.shape, conv=_t)
    a_t = _t(a, requires_grad=True)
    value = fn(a_t, _t(y), **kw)
    (auto,) = torch.autograd.grad(value.sum(), a_t)
    out = value_and_grad(fn)(_t(a), _t(y), **kw)
    assert isinstance(out.grad, torch.Tensor)
    np.testing.assert_allclose(out.grad.numpy(), auto.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out.value.numpy(), value.detach().numpy(), rtol=1e-15)


# ---------------------------------------------------------------------------------------
# Hypothesis properties
# ---------------------------------------------------------------------------------------

_EPS = float(np.finfo(np.float64).eps)
_probs = hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(0.0, 1.0, allow_nan=False))
_logits = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.float64, n, elements=st.floats(-30, 30)),
        hnp.arrays(np.float64, n, elements=st.floats(0.0, 1.0)),
    )
)


@settings(max_examples=60, deadline=None)
@given(_probs, st.data())
def test_property_nonnegative(p: np.ndarray, data: st.DataObject) -> None:
    y = data.draw(hnp.arrays(np.float64, p.shape, elements=st.floats(0.0, 1.0)))
    assert np.all(BCE(p, y, reduction="none") >= 0)


@settings(max_examples=60, deadline=None)
@given(_logits)
def test_property_logits_equal_probs_of_sigmoid(xy: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = xy
    # Going through p = sigmoid(x) rounds 1 - p with absolute error ~eps, i.e. relative
    # error ~eps e^|x| (the condition number of the probability route): allow exactly that.
    a, b = BCEL(x, y, reduction="none"), BCE(sigmoid(x), y, reduction="none")
    assert np.all(np.abs(a - b) <= 1e-13 * (1 + np.abs(b)) + 4 * _EPS * np.exp(np.abs(x)))


@settings(max_examples=60, deadline=None)
@given(_logits)
def test_property_symmetry(xy: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = xy
    # 1 - (1 - y) differs from y by up to eps, which moves the loss by up to eps |x|.
    a, b = BCEL(x, y, reduction="none"), BCEL(-x, 1 - y, reduction="none")
    assert np.all(np.abs(a - b) <= 1e-13 * np.abs(b) + 2 * _EPS * np.abs(x))
    hard = np.round(y)
    assert np.array_equal(BCEL(x, hard, reduction="none"), BCEL(-x, 1 - hard, reduction="none"))
    p = sigmoid(x)
    a, b = BCE(p, y, reduction="none"), BCE(1 - p, 1 - y, reduction="none")
    assert np.all(np.abs(a - b) <= 1e-13 * (1 + np.abs(b)) + 4 * _EPS * np.exp(np.abs(x)))


# ---------------------------------------------------------------------------------------
# Backend matrix, dtypes
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_backends(
    backend: Any, to_np: Any, rng: np.random.Generator, dtype: str, reduction: str
) -> None:
    x, p, y, _ = _data(rng, (6, 3))
    sw = rng.random((6, 1))
    ref_probs = -(y * np.log(p) + (1 - y) * np.log1p(-p)) * sw
    ref_logits = ref_probs  # p = sigmoid(x)
    for fn, a, ref in ((BCE, p, ref_probs), (BCEL, x, ref_logits)):
        arr = backend.asarray(a, dtype)
        out = value_and_grad(fn)(
            arr,
            backend.asarray(y, dtype),
            sample_weight=backend.asarray(sw, dtype),
            reduction=reduction,
        )
        # (NumPy's sum of a 0-d reduction is a NumPy scalar, np.float64.)
        assert isinstance(out.value, (type(arr), np.generic if backend.name == "numpy" else ()))
        assert type(out.grad) is type(arr)
        assert out.value.dtype == arr.dtype
        assert out.grad.dtype == arr.dtype
        assert tuple(out.grad.shape) == a.shape
        expected = {"none": ref, "sum": ref.sum(), "mean": ref.sum() / (sw.sum() * 3)}[reduction]
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(to_np(out.value), expected, rtol=tol)
        reference_grad = value_and_grad(fn)(a, y, sample_weight=sw, reduction=reduction).grad
        np.testing.assert_allclose(to_np(out.grad), reference_grad, rtol=tol, atol=tol * 1e-3)


@pytest.mark.parametrize("half", ["float16", "bfloat16"])
def test_half_precision_computed_in_float32(rng: np.random.Generator, half: str) -> None:
    x, _, y, _ = _data(rng, (32,))
    xt = torch.tensor(x, dtype=getattr(torch, half))
    yt = torch.tensor(y, dtype=getattr(torch, half))
    exact = BCEL(xt.double(), yt.double(), reduction="none").numpy()
    ours = BCEL(xt, yt, reduction="none")
    assert ours.dtype == xt.dtype
    out = value_and_grad(BCEL)(xt, yt)
    assert out.value.dtype == xt.dtype
    assert out.grad.dtype == xt.dtype
    # Computed in float32 and rounded once: within half a unit of the half format.
    eps = float(torch.finfo(xt.dtype).eps)
    np.testing.assert_allclose(ours.float().numpy(), exact, rtol=eps, atol=eps)
    probs = torch.sigmoid(xt.float()).to(xt.dtype)
    assert BCE(probs, yt).dtype == xt.dtype


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: BCE(np.array([0.5, 1.5]), np.array([0.0, 1.0])),
            r"probs must contain probabilities in \[0, 1\]; found 1.5 at index \[1\]",
        ),
        (
            lambda: BCE(np.array([[0.5, np.nan]]), np.array([[0.0, 1.0]])),
            r"probs .* at index \[0, 1\]",
        ),
        (
            lambda: BCE(np.array([0.5, 0.5]), np.array([0.0, -0.1])),
            r"target must contain probabilities in \[0, 1\]; found -0.1 at index \[1\]",
        ),
        (lambda: BCEL(np.array([0.5, 1.0]), np.array([2.0, 1.0])), r"target .* index \[0\]"),
        (
            lambda: BCEL(np.array([0.0, np.nan]), np.array([0.0, 1.0])),
            r"logits must contain no NaN; found nan at index \[1\]",
        ),
        (lambda: BCE(np.array([0.5, 0.5]), np.array([1.0])), r"probs and target .* same shape"),
        (lambda: BCEL(np.zeros((2, 3)), np.zeros((3, 2))), r"logits and target .* same shape"),
        (lambda: BCE(np.array([0.5]), np.array([1.0]), clip=0.5), r"clip .* \(0, 0.5\)"),
        (lambda: BCE(np.array([0.5]), np.array([1.0]), clip=0.0), r"clip"),
        (
            lambda: BCEL(np.array([0.5]), np.array([1.0]), label_smoothing=1.5),
            r"label_smoothing must be in \[0, 1\]",
        ),
        (lambda: BCEL(np.array([0.5]), np.array([1.0]), reduction="avg"), r"reduction"),
        (
            lambda: BCEL(np.zeros(3), np.zeros(3), weight=np.array([1.0, -1.0, 1.0])),
            r"weight must be non-negative .* index \[1\]",
        ),
        (lambda: BCEL(np.zeros(3), np.zeros(3), weight=np.ones(2)), r"weight .* broadcast"),
        (
            lambda: BCEL(np.zeros((2, 3)), np.zeros((2, 3)), pos_weight=np.ones(2)),
            r"pos_weight .* broadcast",
        ),
        (
            lambda: BCEL(np.zeros(3), np.zeros(3), pos_weight=np.array([np.inf])),
            r"pos_weight must contain finite values",
        ),
        (
            lambda: BCEL(np.zeros(3), np.zeros(3), sample_weight=np.array([1.0, 2.0, -3.0])),
            r"sample_weight must be non-negative",
        ),
        (
            lambda: BCEL(np.zeros((2, 3)), np.zeros((2, 3)), sample_weight=np.ones(2)),
            r"sample_weight .* does not broadcast",
        ),
    ],
)
def test_bad_input_raises_value_error(call: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_option_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="clip must be a real number"):
        BCE(np.array([0.5]), np.array([1.0]), clip="1e-7")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="label_smoothing"):
        BCEL(np.array([0.5]), np.array([1.0]), label_smoothing=True)
    with pytest.raises(TypeError, match="numeric"):
        BCEL(np.array([0.5]), ["a"])


def test_bad_input_names_argument_on_every_backend(backend: Any) -> None:
    p = backend.asarray(np.array([0.2, 0.5, -0.5]), "float64")
    y = backend.asarray(np.array([0.0, 1.0, 1.0]), "float64")
    with pytest.raises(ValueError, match=r"probs .* index \[2\]"):
        BCE(p, y)
    with pytest.raises(ValueError, match=r"target .* index \[2\]"):
        BCE(y, p)
