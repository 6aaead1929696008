"""softmax_cross_entropy and its gradient against independent oracles.

Oracles: ``torch.nn.functional.cross_entropy`` in float64 (and its autograd), a slow
pure-Python loop, central finite differences, and identities under Hypothesis.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from crossentropy.losses import (
    ValueAndGrad,
    categorical_cross_entropy,
    softmax,
    softmax_cross_entropy,
    value_and_grad,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

REDUCTIONS = ["none", "sum", "mean"]


# --------------------------------------------------------------------------------------
# Oracles
# --------------------------------------------------------------------------------------


def reference_loss(
    logits: np.ndarray,
    target: np.ndarray,
    *,
    axis: int = -1,
    weight: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> Any:
    """The loss written out item by item in plain Python floats (math.fsum sums)."""
    x = np.moveaxis(np.asarray(logits, dtype=np.float64), axis, -1)
    n_classes = x.shape[-1]
    item_shape = x.shape[:-1]
    rows = x.reshape(-1, n_classes).tolist()
    soft = np.asarray(target).dtype.kind == "f"
    targets = (
        np.moveaxis(target, axis, -1).reshape(-1, n_classes).tolist()
        if soft
        else np.asarray(target).reshape(-1).tolist()
    )
    w = [1.0] * n_classes if weight is None else [float(v) for v in weight]
    sw = (
        [1.0] * len(rows)
        if sample_weight is None
        else np.broadcast_to(sample_weight, item_shape).reshape(-1).tolist()
    )
    eps = label_smoothing
    losses, denominators = [], []
    for row, tgt, s in zip(rows, targets, sw, strict=True):
        top = max(row)
        lse = top + math.log(math.fsum(math.exp(v - top) for v in row))
        log_p = [v - lse for v in row]
        if soft:
            y, item_weight = tgt, s
        elif ignore_index is not None and tgt == ignore_index:
            losses.append(0.0)
            denominators.append(0.0)
            continue
        else:
            y, item_weight = [float(c == tgt) for c in range(n_classes)], s * w[tgt]
        y = [(1 - eps) * yc + eps / n_classes for yc in y]
        losses.append(
            s * math.fsum(-w[c] * y[c] * log_p[c] for c in range(n_classes) if w[c] * y[c] != 0)
        )
        denominators.append(item_weight)
    if reduction == "none":
        return np.array(losses).reshape(item_shape)
    if reduction == "sum":
        return math.fsum(losses)
    total = math.fsum(denominators)
    return math.fsum(losses) / total if total else math.nan


def torch_loss(
    logits: np.ndarray,
    target: np.ndarray,
    *,
    axis: int = -1,
    weight: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    requires_grad: bool = False,
) -> Any:
    """PyTorch's F.cross_entropy (class axis moved to 1); sample_weight applied on top."""
    x = torch.tensor(
        np.moveaxis(logits, axis, 1) if logits.ndim > 1 else logits,
        dtype=torch.float64,
        requires_grad=requires_grad,
    )
    soft = target.dtype.kind == "f"
    t = torch.tensor(np.moveaxis(target, axis, 1) if soft and target.ndim > 1 else target)
    w = None if weight is None else torch.tensor(weight, dtype=torch.float64)
    kwargs = {"weight": w, "label_smoothing": label_smoothing}
    if not soft:
        kwargs["ignore_index"] = ignore_index
    if sample_weight is None:
        return x, F.cross_entropy(x, t, reduction=reduction, **kwargs)
    per_item = F.cross_entropy(x, t, reduction="none", **kwargs)
    s = torch.tensor(np.broadcast_to(sample_weight, per_item.shape).copy())
    weighted = per_item * s
    if reduction == "none":
        return x, weighted
    if reduction == "sum":
        return x, weighted.sum()
    if soft:
        return x, weighted.sum() / s.sum()
    valid = t != ignore_index
    w_y = torch.ones_like(s) if w is None else w[t.clamp(min=0)]
    return x, weighted.sum() / (s * w_y * valid).sum()


def assert_close_to(got: Any, want: Any, rtol: float = 1e-12) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-300)


def random_case(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    axis: int,
    *,
    soft: bool,
    ignore: bool,
    scale: float = 3.0,
) -> tuple[np.ndarray, np.ndarray]:
    logits = rng.standard_normal(shape) * scale
    n_classes = shape[axis]
    item_shape = tuple(s for d, s in enumerate(shape) if d != axis % len(shape))
    if soft:
        target = rng.random(shape) ** 3  # some near-zero targets
        target /= target.sum(axis=axis, keepdims=True)
        return logits, target
    labels = rng.integers(0, n_classes, item_shape)
    if ignore:
        labels = np.where(rng.random(item_shape) < 0.3, -100, labels)
    return logits, labels


# (shape, axis): 2-D, K-dim with PyTorch's layout, one class, prime sizes, 1-D, empty batch
LAYOUTS = [
    ((7, 5), -1),
    ((3, 4, 2, 3), 1),
    ((4, 1), -1),
    ((13, 11), -1),
    ((5,), 0),
    ((0, 3), -1),
    ((2, 3, 5), 1),
]


# --------------------------------------------------------------------------------------
# Against PyTorch and the loop reference (float64, rtol 1e-12)
# --------------------------------------------------------------------------------------


OPTIONS = [  # (soft, weighted, smoothing, ignore); ignore_index is for labels only
    c
    for c in itertools.product([False, True], [False, True], [0.0, 0.25], [False, True])
    if not (c[0] and c[3])
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("options", OPTIONS)
def test_matches_torch(
    rng: np.random.Generator,
    layout: tuple[tuple[int, ...], int],
    options: tuple[bool, bool, float, bool],
) -> None:
    (shape, axis), (soft, weighted, smoothing, ignore) = layout, options
    logits, target = random_case(rng, shape, axis, soft=soft, ignore=ignore)
    weight = rng.random(shape[axis]) + 0.1 if weighted else None
    for reduction in REDUCTIONS:
        kwargs = {"weight": weight, "label_smoothing": smoothing, "reduction": reduction}
        got = softmax_cross_entropy(logits, target, axis=axis, **kwargs)
        _, want = torch_loss(logits, target, axis=axis, **kwargs)
        assert_close_to(got, want.detach().numpy())  # torch's items (N, d1, ...) are ours
        assert_close_to(got, reference_loss(logits, target, axis=axis, **kwargs))


@pytest.mark.parametrize(("shape", "axis"), [((6, 4), -1), ((3, 5, 4), 1), ((7, 3), 0)])
@pytest.mark.parametrize("soft", [False, True])
def test_sample_weight_against_torch_and_loop(
    rng: np.random.Generator, shape: tuple[int, ...], axis: int, soft: bool
) -> None:
    logits, target = random_case(rng, shape, axis, soft=soft, ignore=not soft)
    item_shape = tuple(s for d, s in enumerate(shape) if d != axis % len(shape))
    sample_weight = rng.random(item_shape) * 2
    sample_weight.reshape(-1)[0] = 0.0  # a zero-weight item counts for nothing
    weight = rng.random(shape[axis]) + 0.5
    for reduction, smoothing in itertools.product(REDUCTIONS, [0.0, 0.1]):
        kwargs = {
            "weight": weight,
            "sample_weight": sample_weight,
            "label_smoothing": smoothing,
            "reduction": reduction,
        }
        got = softmax_cross_entropy(logits, target, axis=axis, **kwargs)
        _, want = torch_loss(logits, target, axis=axis, **kwargs)
        assert_close_to(got, want.detach().numpy())
        assert_close_to(got, reference_loss(logits, target, axis=axis, **kwargs))


def test_sample_weight_broadcasts_over_items(rng: np.random.Generator) -> None:
    logits, labels = random_case(rng, (4, 3, 5), 1, soft=False, ignore=False)
    per_row = np.array([1.0, 2.0, 0.5, 3.0])[:, None]  # (N, 1) over items (N, 5)
    got = softmax_cross_entropy(logits, labels, axis=1, sample_weight=per_row)
    want = reference_loss(logits, labels, axis=1, sample_weight=per_row)
    assert_close_to(got, want)


def test_ignore_index_that_is_a_class_and_none(rng: np.random.Generator) -> None:
    logits = rng.standard_normal((9, 4))
    labels = np.array([0, 1, 2, 3, 2, 2, 1, 0, 3])
    for ignore_index in (2, None, 7):
        for smoothing in (0.0, 0.2):
            kwargs = {
                "ignore_index": ignore_index,
                "label_smoothing": smoothing,
                "weight": np.array([1.0, 2.0, 3.0, 4.0]),
            }
            got = softmax_cross_entropy(logits, labels, **kwargs)
            assert_close_to(got, reference_loss(logits, labels, **kwargs))
            if ignore_index is not None:
                _, want = torch_loss(logits, labels, **kwargs)
                assert_close_to(got, want.detach().numpy())


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.uint64])
def test_any_integer_label_dtype(rng: np.random.Generator, dtype: Any) -> None:
    logits = rng.standard_normal((5, 3))
    labels = np.array([0, 2, 1, 1, 0])
    assert_close_to(
        softmax_cross_entropy(logits, labels.astype(dtype)), softmax_cross_entropy(logits, labels)
    )


# --------------------------------------------------------------------------------------
# Edge cases
# --------------------------------------------------------------------------------------


def test_all_ignored(rng: np.random.Generator) -> None:
    logits = rng.standard_normal((3, 4))
    labels = np.full(3, -100)
    for smoothing in (0.0, 0.3):
        kwargs = {"label_smoothing": smoothing, "weight": np.ones(4)}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mean = value_and_grad(softmax_cross_entropy)(logits, labels, **kwargs)
            total = softmax_cross_entropy(logits, labels, reduction="sum", **kwargs)
            none = softmax_cross_entropy(logits, labels, reduction="none", **kwargs)
        x, want = torch_loss(logits, labels, requires_grad=True, **kwargs)
        (want_grad,) = torch.autograd.grad(want, x)
        assert math.isnan(float(mean.value))
        assert math.isnan(float(want.detach()))
        np.testing.assert_array_equal(mean.grad, want_grad.numpy())  # zeros, as torch
        assert float(total) == 0.0
        assert none.tolist() == [0.0, 0.0, 0.0]
        assert not np.signbit(none).any()  # +0, not -0


def test_zero_class_weights(rng: np.random.Generator) -> None:
    logits = rng.standard_normal((6, 3))
    labels = np.array([0, 1, 2, 0, 1, 2])
    weight = np.array([0.0, 1.0, 2.0])
    for smoothing, reduction in itertools.product([0.0, 0.2], REDUCTIONS):
        kwargs = {"weight": weight, "label_smoothing": smoothing, "reduction": reduction}
        _, want = torch_loss(logits, labels, **kwargs)
        assert_close_to(softmax_cross_entropy(logits, labels, **kwargs), want.detach().numpy())
    # every present class weighted 0: the mean is 0 / 0 = nan (torch too)
    only_zero = np.zeros(6, dtype=np.int64)
    got = softmax_cross_entropy(logits, only_zero, weight=weight)
    _, want = torch_loss(logits, only_zero, weight=weight)
    assert math.isnan(float(got))
    assert math.isnan(float(want))


def test_weights_smoothing_and_ignore_together(rng: np.random.Generator) -> None:
    logits = rng.standard_normal((2, 5, 3, 7)) * 4  # K-dim, classes on axis 1
    labels = rng.integers(0, 5, (2, 3, 7))
    labels[0, 1] = -100
    weight = rng.random(5) * 3
    for reduction in REDUCTIONS:
        kwargs = {"weight": weight, "label_smoothing": 0.37, "reduction": reduction}
        got = softmax_cross_entropy(logits, labels, axis=1, **kwargs)
        _, want = torch_loss(logits, labels, axis=1, **kwargs)
        assert_close_to(got, want.detach().numpy())


def test_soft_targets_with_weights_and_smoothing_divide_by_item_count(
    rng: np.random.Generator,
) -> None:
    logits, target = random_case(rng, (8, 6), -1, soft=True, ignore=False)
    weight = rng.random(6) * 4
    got = softmax_cross_entropy(logits, target, weight=weight, label_smoothing=0.15)
    summed = softmax_cross_entropy(
        logits, target, weight=weight, label_smoothing=0.15, reduction="sum"
    )
    _, want = torch_loss(logits, target, weight=weight, label_smoothing=0.15)
    assert_close_to(got, want.detach().numpy())
    assert_close_to(got, summed / 8)  # PyTorch: class weights are not in the denominator


@pytest.mark.parametrize(("dtype", "scale"), [(np.float32, 1e4), (np.float64, 1e300)])
def test_extreme_logits(rng: np.random.Generator, dtype: Any, scale: float) -> None:
    logits = (rng.choice([-1.0, 0.0, 1.0], (9, 4)) * scale).astype(dtype)
    logits[0] = [scale, scale, -scale, 0.0]
    labels = rng.integers(0, 4, 9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = value_and_grad(softmax_cross_entropy)(
            logits, labels, reduction="none", label_smoothing=0.1
        )
    assert not np.isnan(value).any()
    assert not np.isnan(grad).any()
    assert value.dtype == grad.dtype == dtype
    _, want = torch_loss(logits.astype(np.float64), labels, reduction="none", label_smoothing=0.1)
    assert_close_to(value, want.detach().numpy(), rtol=4 * np.finfo(dtype).eps)
    np.testing.assert_allclose(grad.sum(axis=-1), 0.0, atol=4 * np.finfo(dtype).eps)


def test_infinite_logits_are_limits() -> None:
    inf = math.inf
    logits = np.array([[0.0, -inf, 1.0], [inf, 0.0, 2.0], [inf, inf, 0.0], [-inf, 0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = value_and_grad(softmax_cross_entropy)(
            logits, np.array([2, 0, 0, 0]), reduction="none"
        )
        assert out.value[0] == pytest.approx(math.log1p(math.exp(-1.0)), rel=1e-15)
        assert out.value[1] == 0.0  # softmax is exactly one-hot on the +inf
        assert math.isnan(out.value[2])  # two +inf: no limit
        assert out.value[3] == inf  # the true class has probability 0
        np.testing.assert_array_equal(out.grad[1], [0.0, 0.0, 0.0])
        np.testing.assert_array_equal(out.grad[3], [-1.0, 0.5, 0.5])
        # 0 log 0 = 0: a -inf logit with zero target weight costs nothing (torch: nan)
        soft = softmax_cross_entropy(np.array([[0.0, -inf]]), np.array([[1.0, 0.0]]))
        assert float(soft) == 0.0
        # with smoothing every class has weight e / C > 0: the loss is infinite
        smoothed = softmax_cross_entropy(
            np.array([[0.0, -inf]]), np.array([0]), label_smoothing=0.1
        )
        assert float(smoothed) == inf


def test_one_class_and_empty_batch() -> None:
    assert softmax_cross_entropy(np.array([[3.0], [-2.0]]), np.array([0, 0])).tolist() == 0.0
    empty = np.zeros((0, 4))
    assert math.isnan(float(softmax_cross_entropy(empty, np.zeros(0, dtype=np.int64))))
    assert float(softmax_cross_entropy(empty, np.zeros(0, dtype=np.int64), reduction="sum")) == 0
    assert softmax_cross_entropy(empty, np.zeros((0, 4)), reduction="none").shape == (0,)
    out = value_and_grad(softmax_cross_entropy)(empty, np.zeros(0, dtype=np.int64))
    assert out.grad.shape == (0, 4)


def test_single_item_1d_logits() -> None:
    logits = np.array([1.0, 2.0, 3.0])
    got = softmax_cross_entropy(logits, np.array(2))
    _, want = torch_loss(logits, np.array(2))
    assert got.shape == ()
    assert_close_to(got, want.detach().numpy())


# --------------------------------------------------------------------------------------
# Precision
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_float32_no_worse_than_torch_float32(rng: np.random.Generator, smoothing: float) -> None:
    logits = (rng.standard_normal((257, 101)) * 20).astype(np.float32)
    labels = rng.integers(0, 101, 257)
    weight = rng.random(101).astype(np.float32) + 0.5
    kwargs = {"label_smoothing": smoothing, "weight": weight}
    truth = softmax_cross_entropy(
        logits.astype(np.float64),
        labels,
        reduction="none",
        label_smoothing=smoothing,
        weight=weight.astype(np.float64),
    )
    ours = softmax_cross_entropy(logits, labels, reduction="none", **kwargs)
    theirs = F.cross_entropy(
        torch.tensor(logits),
        torch.tensor(labels),
        reduction="none",
        label_smoothing=smoothing,
        weight=torch.tensor(weight),
    ).numpy()
    ours_err = np.abs(ours - truth).max()
    theirs_err = np.abs(theirs - truth).max()
    eps32 = float(np.finfo(np.float32).eps)
    assert ours_err <= theirs_err + 4 * eps32 * np.abs(truth).max()
    assert np.all(np.abs(ours - truth) <= 16 * eps32 * (np.abs(truth) + 1.0))


@pytest.mark.parametrize("dtype", [np.float16, "bfloat16", "float16"])
def test_half_precision_in_float32(rng: np.random.Generator, dtype: Any) -> None:
    logits = rng.standard_normal((6, 5)) * 3
    labels = rng.integers(0, 5, 6)
    if isinstance(dtype, str):  # torch half types
        x = torch.tensor(logits, dtype=getattr(torch, dtype))
        y = torch.tensor(labels)
        out = value_and_grad(softmax_cross_entropy)(x, y, label_smoothing=0.1)
        assert out.value.dtype == out.grad.dtype == x.dtype
        want = softmax_cross_entropy(x.float(), y, label_smoothing=0.1).to(x.dtype)
        assert float(out.value) == float(want)  # float32 compute, one rounding at the end
        return
    x16 = logits.astype(dtype)
    out = value_and_grad(softmax_cross_entropy)(x16, labels)
    assert out.value.dtype == out.grad.dtype == np.float16
    assert out.value == softmax_cross_entropy(x16.astype(np.float32), labels).astype(np.float16)


# --------------------------------------------------------------------------------------
# Gradients: finite differences, torch autograd of F.cross_entropy and of our own code
# --------------------------------------------------------------------------------------

GRAD_CASES = [
    {"reduction": "mean"},
    {"reduction": "sum", "label_smoothing": 0.2},
    {"reduction": "mean", "weight": [0.5, 2.0, 1.0, 3.0], "label_smoothing": 0.1},
    {"reduction": "none", "weight": [0.5, 2.0, 1.0, 3.0]},
    {"reduction": "mean", "sample_weight": [1.0, 0.0, 2.0, 0.5, 1.5]},
    {
        "reduction": "mean",
        "weight": [1.0, 0.0, 1.0, 2.0],
        "sample_weight": [1.0, 2, 3, 4, 5],
        "label_smoothing": 0.3,
    },
]


def _numerical_gradient(func: Any, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (float(np.sum(func(x + step))) - float(np.sum(func(x - step)))) / (2 * h)
    return grad


@pytest.mark.parametrize("case", GRAD_CASES)
@pytest.mark.parametrize("soft", [False, True])
def test_gradient_finite_differences_and_torch(
    rng: np.random.Generator, case: dict[str, Any], soft: bool
) -> None:
    kwargs = {k: np.asarray(v) if isinstance(v, list) else v for k, v in case.items()}
    logits, target = random_case(rng, (5, 4), -1, soft=soft, ignore=False)
    if not soft:
        target[3] = -100
    value, grad = value_and_grad(softmax_cross_entropy)(logits, target, **kwargs)
    assert grad.shape == logits.shape
    assert grad.dtype == logits.dtype
    numerical = _numerical_gradient(lambda z: softmax_cross_entropy(z, target, **kwargs), logits)
    np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-8)
    # torch autograd of PyTorch's own loss
    x, want = torch_loss(logits, target, requires_grad=True, **kwargs)
    (want_grad,) = torch.autograd.grad(want.sum(), x)
    np.testing.assert_allclose(grad, want_grad.numpy(), rtol=1e-12, atol=1e-15)
    assert_close_to(value, want.detach().numpy())
    # torch autograd flowing through our implementation
    xt = torch.tensor(logits, requires_grad=True)
    kw_t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours_t = softmax_cross_entropy(xt, torch.tensor(target), **kw_t)
    (auto,) = torch.autograd.grad(ours_t.sum(), xt)
    np.testing.assert_allclose(grad, auto.numpy(), rtol=1e-12, atol=1e-15)


def test_gradient_k_dim_axis_1(rng: np.random.Generator) -> None:
    logits, labels = random_case(rng, (2, 3, 4), 1, soft=False, ignore=True)
    kwargs = {"axis": 1, "label_smoothing": 0.1, "weight": np.array([1.0, 2.0, 0.5])}
    _, grad = value_and_grad(softmax_cross_entropy)(logits, labels, **kwargs)
    x, want = torch_loss(logits, labels, requires_grad=True, **kwargs)
    (want_grad,) = torch.autograd.grad(want, x)
    np.testing.assert_allclose(grad, want_grad.numpy(), rtol=1e-12, atol=1e-15)


def test_none_gradient_is_that_of_the_sum(rng: np.random.Generator) -> None:
    logits, labels = random_case(rng, (4, 3), -1, soft=False, ignore=True)
    none = value_and_grad(softmax_cross_entropy)(logits, labels, reduction="none")
    total = value_and_grad(softmax_cross_entropy)(logits, labels, reduction="sum")
    assert isinstance(none, ValueAndGrad)
    assert none.value.shape == (4,)
    np.testing.assert_array_equal(none.grad, total.grad)


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@st.composite
def problems(draw: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    n = draw(st.integers(1, 6))
    c = draw(st.integers(1, 6))
    logits = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-50, 50)))
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    kwargs: dict[str, Any] = {"label_smoothing": draw(st.sampled_from([0.0, 0.1, 1.0]))}
    if draw(st.booleans()):
        kwargs["weight"] = draw(hnp.arrays(np.float64, (c,), elements=st.floats(0.0, 5.0)))
    if draw(st.booleans()):
        kwargs["sample_weight"] = draw(hnp.arrays(np.float64, (n,), elements=st.floats(0.0, 5.0)))
    return logits, labels, kwargs


@settings(max_examples=80, deadline=None)
@given(problem=problems(), shift=st.floats(-100, 100))
def test_shift_invariance(problem: Any, shift: float) -> None:
    logits, labels, kwargs = problem
    a = softmax_cross_entropy(logits, labels, reduction="none", **kwargs)
    b = softmax_cross_entropy(logits + shift, labels, reduction="none", **kwargs)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * (1 + np.abs(logits).max()))


@settings(max_examples=80, deadline=None)
@given(problem=problems())
def test_gradient_sums_to_zero_over_classes(problem: Any) -> None:
    # Holds for every target, class weight, sample weight and smoothing: the loss is
    # invariant to adding a constant to an item's logits, so the gradient is orthogonal
    # to (1, ..., 1). Numerically: up to rounding of the item's total target weight.
    logits, labels, kwargs = problem
    _, grad = value_and_grad(softmax_cross_entropy)(logits, labels, reduction="sum", **kwargs)
    scale = 1.0 + np.abs(grad).sum(axis=-1)
    assert np.all(np.abs(grad.sum(axis=-1)) <= 1e-13 * scale)


@settings(max_examples=80, deadline=None)
@given(problem=problems())
def test_labels_equal_one_hot_targets(problem: Any) -> None:
    logits, labels, kwargs = problem
    onehot = np.eye(logits.shape[1])[labels]
    for reduction in ("none", "sum"):  # the per-item losses agree for every option
        np.testing.assert_allclose(
            softmax_cross_entropy(logits, labels, reduction=reduction, **kwargs),
            softmax_cross_entropy(logits, onehot, reduction=reduction, **kwargs),
            rtol=1e-13,
            atol=1e-13,
        )
    # the mean agrees when the denominators do: no class weights (PyTorch divides
    # labels by sum_i s_i w_{y_i}, probabilities by sum_i s_i)
    kwargs.pop("weight", None)
    np.testing.assert_allclose(
        softmax_cross_entropy(logits, labels, **kwargs),
        softmax_cross_entropy(logits, onehot, **kwargs),
        rtol=1e-13,
        atol=1e-13,
        equal_nan=True,
    )


@settings(max_examples=80, deadline=None)
@given(problem=problems())
def test_equals_categorical_cross_entropy_of_softmax(problem: Any) -> None:
    logits, labels, kwargs = problem
    logits = logits / 5  # keep softmax away from underflow: log(softmax) must be finite
    np.testing.assert_allclose(
        softmax_cross_entropy(logits, labels, reduction="none", **kwargs),
        categorical_cross_entropy(softmax(logits), labels, reduction="none", **kwargs),
        rtol=1e-12,
        atol=1e-13,
    )


# --------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("soft", [False, True])
def test_backends_keep_type_dtype_and_values(
    backend: Any, to_np: Any, rng: np.random.Generator, dtype: str, soft: bool
) -> None:
    logits, target = random_case(rng, (6, 4), -1, soft=soft, ignore=not soft)
    weight, sample_weight = rng.random(4) + 0.5, rng.random(6)
    kwargs = {"label_smoothing": 0.1}
    want = value_and_grad(softmax_cross_entropy)(
        logits.astype(dtype),
        target.astype(dtype) if soft else target,
        weight=weight,
        sample_weight=sample_weight,
        **kwargs,
    )
    x = backend.asarray(logits, dtype=dtype)
    t = backend.asarray(target, dtype=dtype if soft else "int64")
    got = value_and_grad(softmax_cross_entropy)(
        x,
        t,
        weight=backend.asarray(weight, dtype=dtype),
        sample_weight=backend.asarray(sample_weight, dtype=dtype),
        **kwargs,
    )
    for out, ref in ((got.value, want.value), (got.grad, want.grad)):
        assert type(out) is type(x)
        assert out.dtype == x.dtype
        np.testing.assert_allclose(to_np(out), ref, rtol=8 * np.finfo(dtype).eps, atol=1e-7)
    none = softmax_cross_entropy(x, t, reduction="none")
    assert type(none) is type(x)
    assert tuple(none.shape) == (6,)


def test_torch_device_is_kept(rng: np.random.Generator) -> None:
    x = torch.tensor(rng.standard_normal((3, 4)))
    out = value_and_grad(softmax_cross_entropy)(x, torch.tensor([0, 1, 3]))
    assert out.value.device == x.device
    assert out.grad.device == x.device


# --------------------------------------------------------------------------------------
# Bad input: clear errors naming the argument (and the index)
# --------------------------------------------------------------------------------------

LOGITS = np.zeros((3, 4))
LABELS = np.array([0, 1, 2])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"logits": np.array([[0.0, 1.0], [np.nan, 0.0]]), "target": np.array([0, 1])},
            ValueError,
            r"logits must contain no NaN; found nan at index \[1, 0\]",
        ),
        (
            {"target": np.array([0, 4, 2])},
            ValueError,
            (
                r"target must be class indices in \[0, 4\) or ignore_index=-100; found 4 at "
                r"index \[1\]"
            ),
        ),
        ({"target": np.array([0, 1, -1])}, ValueError, r"target.*found -1 at index \[2\]"),
        (
            {"target": np.array([0, 1, 2]), "ignore_index": None, "logits": np.zeros((3, 2))},
            ValueError,
            r"target must be class indices in \[0, 2\); found 2 at index \[2\]",
        ),
        ({"target": np.array([True, False, True])}, TypeError, r"target must be integer class"),
        (
            {"target": np.array([0.0, 1.0, 2.0])},
            ValueError,
            (
                r"target holds floating class probabilities, so it must have the shape of logits, "
                r"\(3, 4\); got \(3,\)"
            ),
        ),
        (
            {"target": np.zeros((3, 4), dtype=np.int64)},
            ValueError,
            r"target holds integer class labels, so its shape must be \(3,\)",
        ),
        (
            {"target": np.full((3, 4), 0.25), "ignore_index": 0},
            ValueError,
            r"ignore_index=0 applies to integer class labels only",
        ),
        (
            {"target": np.array([[0.5, 0.5, 0, 0], [1, 0, 0, 0], [0, 0, -0.1, 1.1]])},
            ValueError,
            r"target must be non-negative and not NaN; found -0.1 at index \[2, 2\]",
        ),
        (
            {"target": np.array([[0.5, 0.5, 0, 0], [1, 0, 0, 0], [0, 0, np.inf, 0]])},
            ValueError,
            r"target must contain finite values; found inf at index \[2, 2\]",
        ),
        ({"label_smoothing": 1.5}, ValueError, r"label_smoothing must be in \[0, 1\], got 1.5"),
        ({"label_smoothing": -0.1}, ValueError, r"label_smoothing must be in \[0, 1\]"),
        ({"label_smoothing": math.nan}, ValueError, r"label_smoothing must be in \[0, 1\]"),
        ({"label_smoothing": "0.1"}, TypeError, r"label_smoothing must be a real number"),
        (
            {"weight": np.ones(3)},
            ValueError,
            r"weight must have one entry per class, shape \(4,\); got shape \(3,\)",
        ),
        (
            {"weight": np.array([1.0, -1.0, 1.0, 1.0])},
            ValueError,
            r"weight must be non-negative and not NaN; found -1.0 at index \[1\]",
        ),
        (
            {"weight": np.array([1.0, 1.0, np.nan, 1.0])},
            ValueError,
            r"weight must contain finite values; found nan at index \[2\]",
        ),
        (
            {"sample_weight": np.array([1.0, -2.0, 1.0])},
            ValueError,
            r"sample_weight must be non-negative.*index \[1\]",
        ),
        ({"sample_weight": np.ones(4)}, ValueError, r"sample_weight of shape \(4,\) does not"),
        ({"reduction": "avg"}, ValueError, r"reduction must be one of 'none', 'mean', 'sum'"),
        ({"axis": 2}, ValueError, r"axis=2 is out of range"),
        ({"axis": 1.0}, TypeError, r"axis must be an int"),
        (
            {"logits": np.float64(1.0), "target": np.array(0)},
            ValueError,
            r"logits must have a class axis",
        ),
        (
            {"logits": np.zeros((3, 0)), "target": np.zeros(3, dtype=np.int64)},
            ValueError,
            r"logits must have at least one class along axis 1",
        ),
        ({"ignore_index": 1.5}, TypeError, r"ignore_index must be an int or None"),
    ],
)
def test_bad_input_raises_naming_the_argument(
    kwargs: dict[str, Any], error: type, match: str
) -> None:
    logits = kwargs.pop("logits", LOGITS)
    target = kwargs.pop("target", LABELS)
    with pytest.raises(error, match=match):
        softmax_cross_entropy(logits, target, **kwargs)
    with pytest.raises(error, match=match):
        value_and_grad(softmax_cross_entropy)(logits, target, **kwargs)


def test_infinite_logits_are_not_an_error() -> None:
    assert float(softmax_cross_entropy(np.array([[-math.inf, 0.0]]), np.array([1]))) == 0.0
