"""Focal losses: binary (torchvision semantics) and categorical (Keras semantics).

Oracles: slow element-by-element references written from the paper (Lin et al. 2017)
and torchvision's formula, evaluated in 40-digit arithmetic (mpmath); Keras'
``CategoricalFocalCrossentropy`` / ``BinaryFocalCrossentropy``; PyTorch's
cross-entropy for the ``gamma=0`` identity; central finite differences, high-precision
numerical derivatives and torch autograd for every gradient.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np
import pytest

from crossentropy.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    binary_focal_loss,
    binary_focal_loss_with_logits,
    categorical_focal_loss,
    softmax_focal_loss,
    value_and_grad,
)

mp = pytest.importorskip("mpmath").mp
torch = pytest.importorskip("torch")
F = torch.nn.functional

BFL = binary_focal_loss
BFLL = binary_focal_loss_with_logits
CFL = categorical_focal_loss
SFL = softmax_focal_loss
GAMMAS = [0.0, 0.5, 1.0, 2.0, 5.0]
REDUCTIONS = ["none", "mean", "sum"]


def _t(a: Any, **kw: Any) -> Any:
    a = np.asarray(a)
    dtype = torch.int64 if a.dtype.kind in "iu" else torch.float64
    return torch.tensor(a, dtype=dtype, **kw)


def _relerr(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if a.size else 0.0


def _reduce(per_item: np.ndarray, weights: np.ndarray, reduction: str) -> Any:
    if reduction == "none":
        return per_item
    total = np.sum(per_item * weights)
    return total if reduction == "sum" else total / np.sum(weights)


# ---------------------------------------------------------------------------------------
# Slow references (40 significant digits)
# ---------------------------------------------------------------------------------------


def _mp_xlogy(a: Any, b: Any) -> Any:
    return mp.mpf(0) if a == 0 else a * mp.log(b)


def ref_binary_focal_item(
    v: Any,
    y: float,
    *,
    gamma: float,
    alpha: float | None,
    logits: bool,
    smoothing: float = 0.0,
    dps: int | None = 40,
) -> Any:
    """torchvision.ops.sigmoid_focal_loss for one element, from its formula.

    ``dps=None`` keeps the caller's precision (``mp.diff`` raises it while it works).
    """
    with mp.workdps(dps) if dps else contextlib.nullcontext():
        y = mp.mpf(y) * (1 - mp.mpf(smoothing)) + mp.mpf(smoothing) / 2
        p = 1 / (1 + mp.exp(-mp.mpf(v))) if logits else mp.mpf(v)
        ce = -(_mp_xlogy(y, p) + _mp_xlogy(1 - y, 1 - p))
        p_t = p * y + (1 - p) * (1 - y)
        loss = ce * (1 - p_t) ** gamma if gamma else ce
        if alpha is not None:
            loss *= alpha * y + (1 - alpha) * (1 - y)
        return loss


def ref_binary_focal(v: np.ndarray, y: np.ndarray, **kw: Any) -> np.ndarray:
    return np.array(
        [
            float(ref_binary_focal_item(float(a), float(b), **kw))
            for a, b in zip(v.ravel(), y.ravel(), strict=True)
        ]
    ).reshape(v.shape)


def ref_categorical_focal(
    v: np.ndarray,
    target: np.ndarray,
    *,
    gamma: float,
    alpha: Any,
    logits: bool,
    smoothing: float = 0.0,
    ignore_index: int = -100,
) -> np.ndarray:
    """-sum_c alpha_c t_c (1 - p_c)^gamma log p_c per row (class axis last)."""
    n, c = v.shape
    alphas = [1.0] * c if alpha is None else list(np.broadcast_to(alpha, (c,)))
    out = []
    with mp.workdps(40):
        for i in range(n):
            row = [mp.mpf(float(a)) for a in v[i]]
            if logits:
                m = max(row)
                z = mp.fsum(mp.exp(a - m) for a in row)
                probs = [mp.exp(a - m) / z for a in row]
            else:
                probs = row
            if target.ndim == 1:
                if target[i] == ignore_index:
                    out.append(0.0)
                    continue
                t = [mp.mpf(1) if k == target[i] else mp.mpf(0) for k in range(c)]
            else:
                t = [mp.mpf(float(a)) for a in target[i]]
            t = [tk * (1 - mp.mpf(smoothing)) + mp.mpf(smoothing) / c for tk in t]
            total = mp.mpf(0)
            for k in range(c):
                if t[k] != 0:
                    total -= alphas[k] * t[k] * (1 - probs[k]) ** gamma * mp.log(probs[k])
            out.append(float(total))
    return np.array(out)


def _binary_data(rng: np.random.Generator, shape: tuple[int, ...]) -> Any:
    x = rng.normal(size=shape) * 3
    p = 1 / (1 + np.exp(-x))
    y = rng.random(shape)
    y[..., 0] = np.round(y[..., 0])  # some hard labels
    return x, p, y


def _categorical_data(rng: np.random.Generator, n: int, c: int) -> Any:
    x = rng.normal(size=(n, c)) * 2
    p = np.exp(x - x.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    labels = rng.integers(0, c, size=n)
    soft = rng.dirichlet(np.ones(c), size=n)
    return x, p, labels, soft


# ---------------------------------------------------------------------------------------
# Binary focal loss against the slow reference
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", [None, 0.25, 0.9])
def test_binary_focal_equals_reference(
    rng: np.random.Generator, gamma: float, alpha: float | None
) -> None:
    x, p, y = _binary_data(rng, (4, 3))
    for fn, v, logits in ((BFL, p, False), (BFLL, x, True)):
        ref = ref_binary_focal(v, y, gamma=gamma, alpha=alpha, logits=logits)
        sw = rng.random((4, 1)) + 0.1
        for reduction in REDUCTIONS:
            ours = fn(v, y, gamma=gamma, alpha=alpha, reduction=reduction)
            assert _relerr(ours, _reduce(ref, np.ones_like(ref), reduction)) <= 1e-12
            ours = fn(v, y, gamma=gamma, alpha=alpha, reduction=reduction, sample_weight=sw)
            expected = _reduce(ref, np.broadcast_to(sw, ref.shape), reduction)
            if reduction == "none":
                expected = ref * sw
            assert _relerr(ours, expected) <= 1e-12


def test_binary_focal_label_smoothing_equals_reference(rng: np.random.Generator) -> None:
    x, p, y = _binary_data(rng, (3, 4))
    for fn, v, logits in ((BFL, p, False), (BFLL, x, True)):
        ref = ref_binary_focal(v, y, gamma=1.5, alpha=0.3, logits=logits, smoothing=0.2)
        ours = fn(v, y, gamma=1.5, alpha=0.3, label_smoothing=0.2, reduction="none")
        assert _relerr(ours, ref) <= 1e-12


def test_binary_focal_hard_labels_are_the_papers_formula(rng: np.random.Generator) -> None:
    # -alpha_t (1 - p_t)^gamma log p_t, in plain float64
    p = rng.uniform(0.01, 0.99, 20)
    y = (rng.random(20) < 0.5).astype(np.float64)
    p_t = np.where(y == 1, p, 1 - p)
    a_t = np.where(y == 1, 0.25, 0.75)
    paper = -a_t * (1 - p_t) ** 2 * np.log(p_t)
    np.testing.assert_allclose(BFL(p, y, alpha=0.25, reduction="none"), paper, rtol=1e-13)


def test_binary_focal_extreme_logits(rng: np.random.Generator) -> None:
    for dtype, big in (("float32", 1e4), ("float64", 1e300)):
        x = np.array([big, big, -big, -big, 30.0, -30.0], dtype=dtype)
        y = np.array([1, 0, 1, 0, 1, 1], dtype=dtype)
        for gamma in GAMMAS:
            out = value_and_grad(BFLL)(x, y, gamma=gamma, alpha=0.25, reduction="none")
            assert out.value.dtype == np.dtype(dtype)
            assert np.all(np.isfinite(out.value))
            assert np.all(np.isfinite(out.grad))
            assert out.value[0] == 0
            assert out.value[3] == 0
            assert out.value[1] == np.asarray(0.75 * big, dtype=dtype)  # wrong: |x| alpha_t
            assert out.grad[1] == np.asarray(0.75, dtype=dtype)
            assert out.grad[2] == np.asarray(-0.25, dtype=dtype)
    inf = np.array([math.inf, -math.inf])
    out = value_and_grad(BFLL)(inf, np.array([0.0, 1.0]), gamma=0.5, reduction="none")
    assert out.value.tolist() == [math.inf, math.inf]
    assert out.grad.tolist() == [1.0, -1.0]


def test_binary_focal_exact_edges() -> None:
    p = np.array([1.0, 0.0, 0.0, 1.0, 0.0])
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.5])
    for gamma in GAMMAS:
        out = value_and_grad(BFL)(p, y, gamma=gamma, reduction="none")
        assert out.value.tolist() == [0.0, 0.0, math.inf, math.inf, math.inf]
        first = [-1.0, 1.0] if gamma == 0 else [0.0, 0.0]  # (gamma + 1) q^gamma -> 0
        assert out.grad.tolist() == [*first, -math.inf, math.inf, -math.inf]


# ---------------------------------------------------------------------------------------
# Categorical focal loss against the slow reference and Keras
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", GAMMAS)
def test_categorical_focal_equals_reference(rng: np.random.Generator, gamma: float) -> None:
    x, p, labels, soft = _categorical_data(rng, 6, 4)
    labels[2] = -100
    alpha = np.array([0.1, 0.4, 0.7, 1.0])
    for fn, v, logits in ((CFL, p, False), (SFL, x, True)):
        for target in (labels, soft):
            for a in (None, 0.25, alpha):
                for e in (0.0, 0.1):
                    ref = ref_categorical_focal(
                        v, target, gamma=gamma, alpha=a, logits=logits, smoothing=e
                    )
                    ours = fn(v, target, gamma=gamma, alpha=a, label_smoothing=e, reduction="none")
                    assert ours.shape == (6,)
                    assert _relerr(ours, ref) <= 1e-12
                    valid = (target != -100) if target.ndim == 1 else np.ones(6, bool)
                    mean = fn(v, target, gamma=gamma, alpha=a, label_smoothing=e)
                    assert _relerr(mean, ref.sum() / valid.sum()) <= 1e-12


def _np_alpha(kw: dict[str, Any]) -> dict[str, Any]:
    alpha = kw["alpha"]
    return {**kw, "alpha": alpha.numpy() if isinstance(alpha, torch.Tensor) else alpha}


@pytest.fixture
def keras64() -> Any:
    """Keras with floatx float64 (its Python-scalar options become float64), restored after."""
    keras = pytest.importorskip("keras")
    before = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield keras
    keras.config.set_floatx(before)


def test_categorical_focal_equals_keras(rng: np.random.Generator, keras64: Any) -> None:
    keras = keras64
    x, p, _, soft = _categorical_data(rng, 8, 5)
    # a float64 tensor: Keras would turn a Python list into float32
    alpha_list = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5], dtype=torch.float64)
    for kw in (
        {"alpha": 0.25, "gamma": 2.0},
        {"alpha": 0.6, "gamma": 0.5},
        {"alpha": alpha_list, "gamma": 1.5},
        {"alpha": 1.0, "gamma": 0.0},
    ):
        for e in (0.0, 0.2):
            # float64 tensors in, float64 out: Keras' functions keep the input dtype
            ref = keras.losses.categorical_focal_crossentropy(
                torch.tensor(soft), torch.tensor(p), label_smoothing=e, **kw
            )
            assert ref.dtype == torch.float64
            ours = CFL(p, soft, label_smoothing=e, reduction="none", **_np_alpha(kw))
            assert _relerr(ours, ref.numpy()) <= 1e-12
            ref = keras.losses.categorical_focal_crossentropy(
                torch.tensor(soft), torch.tensor(x), label_smoothing=e, from_logits=True, **kw
            )
            ours = SFL(x, soft, label_smoothing=e, reduction="none", **_np_alpha(kw))
            assert _relerr(ours, ref.numpy()) <= 1e-12
    # the class: its reduction "sum_over_batch_size" is our "mean" (through float32)
    loss = keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0)
    ref = float(loss(torch.tensor(soft), torch.tensor(p)))
    assert _relerr(CFL(p, soft, alpha=0.25), ref) <= 1e-6


def test_binary_focal_equals_keras(rng: np.random.Generator, keras64: Any) -> None:
    keras = keras64
    _, p, y = _binary_data(rng, (6, 3))
    for kw in ({"gamma": 2.0}, {"gamma": 0.5, "alpha": 0.3}, {"gamma": 1.0, "alpha": 0.8}):
        for e in (0.0, 0.1):
            keras_kw = {
                "apply_class_balancing": "alpha" in kw,
                "alpha": kw.get("alpha", 0.25),
                "gamma": kw["gamma"],
                "label_smoothing": e,
            }
            ref = keras.losses.binary_focal_crossentropy(
                torch.tensor(y), torch.tensor(p), **keras_kw
            )
            ours = BFL(p, y, label_smoothing=e, reduction="none", **kw).mean(axis=-1)
            # Keras' final mean over the last axis goes through float32.
            assert _relerr(ours, ref.numpy()) <= 1e-6


def test_categorical_axis_and_layouts(rng: np.random.Generator) -> None:
    # PyTorch's (N, C, d) layout with axis=1 equals the channels-last computation.
    x = rng.normal(size=(3, 4, 5))
    labels = rng.integers(0, 4, size=(3, 5))
    labels[0, 1] = -100
    sw = rng.random((3, 5))
    last = np.moveaxis(x, 1, -1)
    for red in REDUCTIONS:
        a = SFL(x, labels, axis=1, alpha=[0.2, 0.4, 0.6, 0.8], sample_weight=sw, reduction=red)
        b = SFL(last, labels, axis=-1, alpha=[0.2, 0.4, 0.6, 0.8], sample_weight=sw, reduction=red)
        np.testing.assert_allclose(a, b, rtol=1e-14)
    g1 = value_and_grad(SFL)(x, labels, axis=1, sample_weight=sw).grad
    g2 = value_and_grad(SFL)(last, labels, sample_weight=sw).grad
    np.testing.assert_allclose(g1, np.moveaxis(g2, -1, 1), rtol=1e-13)


def test_categorical_ignore_index_and_sample_weight(rng: np.random.Generator) -> None:
    x, p, labels, _ = _categorical_data(rng, 6, 3)
    labels[[1, 4]] = 7  # a custom ignore_index
    sw = rng.random(6)
    per = SFL(x, labels, ignore_index=7, reduction="none")
    assert per[1] == 0
    assert per[4] == 0
    valid = labels != 7
    expected = np.sum(per * sw) / np.sum(sw * valid)
    assert np.isclose(SFL(x, labels, ignore_index=7, sample_weight=sw), expected, rtol=1e-14)
    # all ignored: nan mean (PyTorch's convention), zero gradient parts stay finite in "sum"
    all_ignored = np.full(6, 7)
    assert math.isnan(float(SFL(x, all_ignored, ignore_index=7)))
    out = value_and_grad(SFL)(x, all_ignored, ignore_index=7, reduction="sum")
    assert float(out.value) == 0.0
    assert not out.grad.any()
    out = value_and_grad(SFL)(x, all_ignored, ignore_index=7)  # mean: nan value, 0 gradient
    assert math.isnan(float(out.value))
    assert not out.grad.any()  # as PyTorch's all-ignored cross_entropy
    # ignore_index inside [0, C) ignores that class's items
    per0 = CFL(p, labels % 3, ignore_index=0, reduction="none")
    assert np.all(per0[labels % 3 == 0] == 0)
    assert np.all(per0[labels % 3 != 0] > 0)


def test_categorical_empty_and_edges() -> None:
    e = np.zeros((0, 3))
    lab = np.zeros(0, dtype=np.int64)
    assert SFL(e, lab, reduction="none").shape == (0,)
    assert math.isnan(float(SFL(e, lab)))
    assert value_and_grad(CFL)(e, lab, reduction="sum").grad.shape == (0, 3)
    # p_c = 0 in a class without target mass costs nothing; in the target class, inf.
    p = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    for gamma in GAMMAS:
        out = value_and_grad(CFL)(p, np.array([0, 0]), gamma=gamma, reduction="none")
        assert out.value.tolist() == [0.0, math.inf]
        assert np.all(out.grad[0] == [-1.0 if gamma == 0 else 0.0, 0, 0])
        assert out.grad[1, 0] == -math.inf
    # -inf logits mask classes exactly
    x = np.array([[0.0, -math.inf, 1.0]])
    out = value_and_grad(SFL)(x, np.array([2]), gamma=2.0)
    ref = SFL(np.array([[0.0, 1.0]]), np.array([1]), gamma=2.0)
    assert np.isclose(out.value, ref, rtol=1e-15)
    assert out.grad[0, 1] == 0.0
    assert np.all(np.isfinite(out.grad))
    # one +inf logit is the one-hot limit (as log_softmax), costing 0 or inf
    x = np.array([[math.inf, 0.0, -math.inf], [0.0, math.inf, 1.0]])
    for gamma in GAMMAS:
        out = value_and_grad(SFL)(x, np.array([0, 0]), gamma=gamma, reduction="none")
        assert out.value.tolist() == [0.0, math.inf]
        assert np.all(np.isfinite(out.grad))
        assert out.grad[0].tolist() == [0.0, 0.0, 0.0]


def test_softmax_focal_extreme_logits() -> None:
    for dtype, big in (("float32", 1e4), ("float64", 1e300)):
        x = np.array([[big, -big, 0.0], [-big, big, 0.0]], dtype=dtype)
        for gamma in GAMMAS:
            out = value_and_grad(SFL)(x, np.array([0, 0]), gamma=gamma, reduction="none")
            assert out.value.dtype == np.dtype(dtype)
            assert np.all(np.isfinite(out.value))
            assert np.all(np.isfinite(out.grad))
            assert out.value[0] == 0
            assert out.value[1] == np.asarray(2 * big, dtype=dtype)


# ---------------------------------------------------------------------------------------
# gamma = 0, alpha = None: exactly the cross-entropy
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_gamma_zero_is_exactly_bce(rng: np.random.Generator, reduction: str) -> None:
    x, p, y = _binary_data(rng, (5, 3))
    sw = rng.random((5, 1))
    for kw in ({}, {"sample_weight": sw, "label_smoothing": 0.1}):
        a = value_and_grad(BFL)(p, y, gamma=0.0, reduction=reduction, **kw)
        b = value_and_grad(binary_cross_entropy)(p, y, reduction=reduction, **kw)
        assert np.array_equal(a.value, b.value)
        assert np.array_equal(a.grad, b.grad)
        a = value_and_grad(BFLL)(x, y, gamma=0.0, reduction=reduction, **kw)
        b = value_and_grad(binary_cross_entropy_with_logits)(x, y, reduction=reduction, **kw)
        assert np.array_equal(a.value, b.value)
        assert np.array_equal(a.grad, b.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_categorical_gamma_zero_is_torch_cross_entropy(
    rng: np.random.Generator, reduction: str
) -> None:
    x, p, labels, soft = _categorical_data(rng, 7, 4)
    labels[3] = -100
    for e in (0.0, 0.15):
        for target in (labels, soft):
            ref = F.cross_entropy(_t(x), _t(target), reduction=reduction, label_smoothing=e)
            ours = value_and_grad(SFL)(x, target, gamma=0.0, label_smoothing=e, reduction=reduction)
            assert _relerr(ours.value, ref.numpy()) <= 1e-12
            xt = _t(x, requires_grad=True)
            ref = F.cross_entropy(xt, _t(target), reduction=reduction, label_smoothing=e)
            (g,) = torch.autograd.grad(ref.sum(), xt)
            np.testing.assert_allclose(ours.grad, g.numpy(), rtol=1e-11, atol=1e-15)
    ref = F.nll_loss(torch.log(_t(p)), _t(labels), reduction=reduction)
    assert _relerr(CFL(p, labels, gamma=0.0, reduction=reduction), ref.numpy()) <= 1e-12


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_categorical_gamma_zero_is_the_library_cross_entropy(
    rng: np.random.Generator, reduction: str
) -> None:
    from crossentropy.losses import categorical_cross_entropy, softmax_cross_entropy

    x, p, labels, soft = _categorical_data(rng, 6, 3)
    labels[1] = -100
    sw = rng.random(6)
    for target in (labels, soft):
        for kw in ({}, {"label_smoothing": 0.2, "sample_weight": sw}):
            a = value_and_grad(CFL)(p, target, gamma=0.0, reduction=reduction, **kw)
            b = value_and_grad(categorical_cross_entropy)(p, target, reduction=reduction, **kw)
            np.testing.assert_allclose(a.value, b.value, rtol=1e-14)
            np.testing.assert_allclose(a.grad, b.grad, rtol=1e-14)
            a = value_and_grad(SFL)(x, target, gamma=0.0, reduction=reduction, **kw)
            b = value_and_grad(softmax_cross_entropy)(x, target, reduction=reduction, **kw)
            np.testing.assert_allclose(a.value, b.value, rtol=1e-14)
            np.testing.assert_allclose(a.grad, b.grad, rtol=1e-13, atol=1e-16)


def test_ignore_index_none(rng: np.random.Generator) -> None:
    x, _, labels, _ = _categorical_data(rng, 4, 3)
    np.testing.assert_array_equal(SFL(x, labels, ignore_index=None), SFL(x, labels))
    with pytest.raises(ValueError, match=r"target must be class indices in \[0, 3\)"):
        SFL(x, np.array([0, 1, -100, 2]), ignore_index=None)
    with pytest.raises(TypeError, match="ignore_index must be an int or None"):
        SFL(x, labels, ignore_index=1.5)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Gradients: finite differences, high-precision derivatives, torch autograd
# ---------------------------------------------------------------------------------------


def central_diff(f: Any, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[i] = eps
        out[i] = (float(f(a + e)) - float(f(a - e))) / (2 * eps)
    return out


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("fn", [BFL, BFLL])
def test_binary_gradient_finite_differences(
    rng: np.random.Generator, fn: Any, gamma: float
) -> None:
    x, p, y = _binary_data(rng, (3, 4))
    p = np.clip(p, 0.02, 0.98)  # keep p +- eps inside [0, 1]
    v = p if fn is BFL else x
    sw = rng.random((3, 1)) + 0.1
    for kw in (
        {},
        {"alpha": 0.3, "sample_weight": sw, "label_smoothing": 0.1},
        {"reduction": "sum"},
        {"reduction": "none", "alpha": 0.8},
    ):
        out = value_and_grad(fn)(v, y, gamma=gamma, **kw)
        assert out.grad.shape == v.shape
        assert out.grad.dtype == v.dtype

        def total(a: np.ndarray, kw: dict[str, Any] = kw) -> float:
            return float(np.sum(fn(a, y, gamma=gamma, **kw)))

        np.testing.assert_allclose(out.grad, central_diff(total, v), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_softmax_gradient_finite_differences(rng: np.random.Generator, gamma: float) -> None:
    x, _, labels, soft = _categorical_data(rng, 4, 3)
    labels[1] = -100
    sw = rng.random(4) + 0.1
    for target in (labels, soft):
        for kw in (
            {},
            {"alpha": [0.2, 0.5, 0.9], "sample_weight": sw, "label_smoothing": 0.1},
            {"reduction": "none", "alpha": 0.25},
        ):
            out = value_and_grad(SFL)(x, target, gamma=gamma, **kw)

            def total(a: np.ndarray, kw: dict[str, Any] = kw, t: Any = target) -> float:
                return float(np.sum(SFL(a, t, gamma=gamma, **kw)))

            np.testing.assert_allclose(out.grad, central_diff(total, x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_categorical_gradient_finite_differences_on_the_simplex(
    rng: np.random.Generator, gamma: float
) -> None:
    # probs must sum to one, so differentiate along the simplex: d/dh L(p + h (e_j - e_0))
    # = g_j - g_0. The full gradient (classes independent) is checked by torch autograd.
    _, p, labels, soft = _categorical_data(rng, 4, 3)
    p = (p + 0.05) / (p + 0.05).sum(-1, keepdims=True)
    eps = 1e-7
    for target in (labels, soft):
        kw = {"alpha": [0.3, 0.6, 0.9], "label_smoothing": 0.1, "reduction": "sum"}
        g = value_and_grad(CFL)(p, target, gamma=gamma, **kw).grad
        for j in (1, 2):
            d = np.zeros_like(p)
            d[:, j], d[:, 0] = eps, -eps
            fd = (CFL(p + d, target, gamma=gamma, **kw) - CFL(p - d, target, gamma=gamma, **kw)) / (
                2 * eps
            )
            assert np.isclose(fd, np.sum(g[:, j] - g[:, 0]), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_gradients_equal_torch_autograd(rng: np.random.Generator, gamma: float) -> None:
    x, p, y = _binary_data(rng, (4, 3))
    xc, pc, labels, soft = _categorical_data(rng, 5, 3)
    labels[2] = -100
    cases = [
        (BFL, p, y, {"alpha": 0.3, "label_smoothing": 0.1}),
        (BFL, p, y, {"clip": 0.1, "reduction": "sum"}),
        (BFLL, x, y, {"alpha": 0.7, "sample_weight": np.full((4, 1), 2.0)}),
        (CFL, pc, labels, {"alpha": [0.2, 0.5, 0.8], "label_smoothing": 0.1}),
        (CFL, pc, soft, {"clip": 0.1, "reduction": "none"}),
        (SFL, xc, labels, {"alpha": 0.4, "sample_weight": np.arange(5.0)}),
        (SFL, xc, soft, {"reduction": "sum"}),
    ]
    for fn, v, target, kw in cases:
        kw_t = {k: (_t(a) if isinstance(a, np.ndarray) else a) for k, a in kw.items()}
        vt = _t(v, requires_grad=True)
        value = fn(vt, _t(target), gamma=gamma, **kw_t)
        (auto,) = torch.autograd.grad(value.sum(), vt)
        out = value_and_grad(fn)(_t(v), _t(target), gamma=gamma, **kw_t)
        assert isinstance(out.grad, torch.Tensor)
        assert out.grad.dtype == torch.float64
        np.testing.assert_allclose(out.grad.numpy(), auto.numpy(), rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 5.0])
def test_gradient_autograd_at_p_t_one_is_finite(gamma: float) -> None:
    # The modulating factor is built so that autograd never meets 0 ** (gamma - 1).
    pt = _t([1.0, 0.0], requires_grad=True)
    (auto,) = torch.autograd.grad(BFL(pt, _t([1.0, 0.0]), gamma=gamma), pt)
    assert auto.tolist() == [0.0, 0.0]
    pt = _t([[1.0, 0.0]], requires_grad=True)
    (auto,) = torch.autograd.grad(CFL(pt, _t(np.array([0])), gamma=gamma), pt)
    assert auto.tolist() == [[0.0, 0.0]]


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 5.0])
def test_binary_gradient_near_p_t_one_is_accurate(gamma: float) -> None:
    # High-precision numerical derivative of the slow reference where 1 - p_t is tiny.
    x = np.array([20.0, 35.0, 300.0, -20.0])
    y = np.array([1.0, 1.0, 1.0, 0.0])
    got = value_and_grad(BFLL)(x, y, gamma=gamma, reduction="none").grad
    p = np.array([1 - 1e-9, 1 - 1e-15, 1e-12, 1e-100])
    yp = np.array([1.0, 1.0, 0.0, 0.0])
    got_p = value_and_grad(BFL)(p, yp, gamma=gamma, reduction="none").grad
    with mp.workdps(200):  # sigma(300) = 1 - 5e-131 needs ~150 digits
        for v, t, g, logits in [
            *zip(x, y, got, [True] * 4, strict=True),
            *zip(p, yp, got_p, [False] * 4, strict=True),
        ]:
            ref = mp.diff(
                lambda a, t=t, logits=logits: ref_binary_focal_item(
                    a, float(t), gamma=gamma, alpha=None, logits=logits, dps=None
                ),
                mp.mpf(float(v)),
            )
            assert abs(g - float(ref)) <= 1e-12 * abs(float(ref)) + 1e-300


# ---------------------------------------------------------------------------------------
# Backend matrix, dtypes
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backends(backend: Any, to_np: Any, rng: np.random.Generator, dtype: str) -> None:
    x, p, y = _binary_data(rng, (6, 3))
    xc, pc, labels, soft = _categorical_data(rng, 6, 3)
    labels[4] = -100
    cases = [
        (BFL, p, y, {"alpha": 0.25}),
        (BFLL, x, y, {"gamma": 0.5, "label_smoothing": 0.1}),
        (CFL, pc, labels, {"alpha": [0.2, 0.3, 0.9]}),
        (CFL, pc, soft, {"gamma": 1.0}),
        (SFL, xc, labels, {"sample_weight": "sw", "reduction": "sum"}),
        (SFL, xc, soft, {"reduction": "none"}),
    ]
    sw = rng.random(6)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for fn, v, target, kw in cases:
        ref = value_and_grad(fn)(v, target, **{k: (sw if a == "sw" else a) for k, a in kw.items()})
        kw_b = {k: (backend.asarray(sw, dtype) if a == "sw" else a) for k, a in kw.items()}
        arr = backend.asarray(v, dtype)
        tgt = backend.asarray(target, "int64" if target.dtype.kind == "i" else dtype)
        out = value_and_grad(fn)(arr, tgt, **kw_b)
        assert out.value.dtype == arr.dtype
        assert out.grad.dtype == arr.dtype
        assert type(out.grad) is type(arr)
        assert np.array_equal(to_np(fn(arr, tgt, **kw_b)), to_np(out.value))
        np.testing.assert_allclose(to_np(out.value), ref.value, rtol=tol)
        np.testing.assert_allclose(to_np(out.grad), ref.grad, rtol=tol, atol=tol * 1e-2)


@pytest.mark.parametrize("half", ["float16", "bfloat16"])
def test_half_precision(rng: np.random.Generator, half: str) -> None:
    dt = getattr(torch, half)
    eps = float(torch.finfo(dt).eps)
    x, _, y = _binary_data(rng, (16,))
    xh, yh = torch.tensor(x, dtype=dt), torch.tensor(y, dtype=dt)
    exact = BFLL(xh.double(), yh.double(), alpha=0.25, reduction="none").numpy()
    ours = BFLL(xh, yh, alpha=0.25, reduction="none")
    assert ours.dtype == dt
    np.testing.assert_allclose(ours.float().numpy(), exact, rtol=eps, atol=eps * 1e-3)
    xc, _, labels, _ = _categorical_data(rng, 8, 5)
    xh = torch.tensor(xc, dtype=dt)
    out = value_and_grad(SFL)(xh, torch.tensor(labels))
    assert out.value.dtype == dt
    assert out.grad.dtype == dt
    exact = SFL(xh.double(), torch.tensor(labels)).item()
    assert abs(out.value.item() - exact) <= eps * abs(exact)


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------

_P = np.array([[0.2, 0.8], [0.5, 0.5]])
_L = np.array([1, 0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: BFL(np.array([0.5, 1.2]), np.array([0, 1])),
            r"probs must contain probabilities in \[0, 1\]; found 1.2 at index \[1\]",
        ),
        (lambda: BFL(np.array([0.5, 0.2]), np.array([0.0, 3.0])), r"target .* index \[1\]"),
        (
            lambda: BFLL(np.array([np.nan]), np.array([0.0])),
            r"logits must contain no NaN; .* index \[0\]",
        ),
        (lambda: BFL(np.array([0.5]), np.array([1.0, 0.0])), r"probs and target .* same shape"),
        (lambda: BFL(np.array([0.5]), np.array([1.0]), gamma=-1.0), r"gamma must be .* >= 0"),
        (lambda: BFLL(np.array([0.5]), np.array([1.0]), gamma=math.inf), r"gamma"),
        (lambda: BFLL(np.array([0.5]), np.array([1.0]), alpha=1.5), r"alpha .* \[0, 1\]"),
        (lambda: BFL(np.array([0.5]), np.array([1.0]), clip=0.7), r"clip .* \(0, 0.5\)"),
        (lambda: BFL(np.array([0.5]), np.array([1.0]), label_smoothing=-0.1), r"label_smoothing"),
        (
            lambda: CFL(np.array([[0.25, 0.5]]), np.array([0])),
            r"probs must sum to 1 along axis -1 .* index \[0\] sums to 0.75",
        ),
        (lambda: CFL(np.array([[0.2, 0.9], [-0.1, 1.1]]), _L), r"probs .* -0.1 at index \[1, 0\]"),
        (lambda: CFL(_P, np.array([1, 2])), r"target must be class indices in \[0, 2\) .* \[1\]"),
        (lambda: CFL(_P, np.array([1, 0, 1])), r"integer target .* shape"),
        (lambda: CFL(_P, np.array([[0.5, 0.5]])), r"target must have the shape of probs"),
        (lambda: CFL(_P, np.array([[0.5, 0.5], [1.5, -0.5]])), r"target .* index \[1, 0\]"),
        (lambda: CFL(_P, _L, gamma=-0.5), r"gamma"),
        (lambda: CFL(_P, _L, alpha=-0.1), r"alpha must be None or in \[0, 1\]"),
        (lambda: CFL(_P, _L, alpha=[0.5, 1.5]), r"alpha must contain .* \[0, 1\].* index \[1\]"),
        (lambda: CFL(_P, _L, alpha=[0.5, 0.5, 0.5]), r"alpha must be a scalar or have shape"),
        (lambda: CFL(_P, _L, clip=0.5), r"clip"),
        (lambda: CFL(_P, _L, sample_weight=np.array([1.0, -1.0])), r"sample_weight"),
        (lambda: CFL(np.array(0.5), _L), r"class axis"),
        (lambda: SFL(np.array([[0.0, np.nan]]), np.array([0])), r"logits .* index \[0, 1\]"),
        (lambda: SFL(_P, _L, reduction="mean_over_batch"), r"reduction"),
        (lambda: SFL(_P, _L, axis=2), r"axis=2 is out of range"),
    ],
)
def test_bad_input_raises_value_error(call: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_option_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="gamma must be a real number"):
        BFL(np.array([0.5]), np.array([1.0]), gamma="2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="alpha must be a real number"):
        BFLL(np.array([0.5]), np.array([1.0]), alpha=True)
    with pytest.raises(TypeError, match="axis must be an int"):
        SFL(_P, _L, axis=1.0)  # type: ignore[arg-type]
