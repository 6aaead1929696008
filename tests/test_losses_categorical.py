"""categorical_cross_entropy (from probabilities) and its gradient against oracles.

Oracles: PyTorch's ``nll_loss`` / ``cross_entropy`` on ``log(probs)`` in float64 (and its
autograd), scikit-learn's ``log_loss``, a pure-Python loop, central finite differences,
the identity with ``softmax_cross_entropy``, and known values.
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
    categorical_cross_entropy,
    softmax,
    softmax_cross_entropy,
    value_and_grad,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

REDUCTIONS = ["none", "sum", "mean"]


def reference_loss(
    probs: np.ndarray,
    target: np.ndarray,
    *,
    weight: Any = None,
    sample_weight: Any = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    clip: float | None = None,
) -> Any:
    """Item by item in plain Python floats; classes on the last axis."""
    n_classes = probs.shape[-1]
    rows = probs.reshape(-1, n_classes).tolist()
    soft = target.dtype.kind == "f"
    targets = target.reshape(-1, n_classes).tolist() if soft else target.reshape(-1).tolist()
    w = [1.0] * n_classes if weight is None else list(weight)
    sw = [1.0] * len(rows) if sample_weight is None else list(sample_weight)
    losses, denominators = [], []
    if clip is not None:
        rows = [[min(max(v, clip), 1 - clip) for v in row] for row in rows]
    for row, tgt, s in zip(rows, targets, sw, strict=True):
        if not soft and tgt == ignore_index:
            losses.append(0.0)
            denominators.append(0.0)
            continue
        y = tgt if soft else [float(c == tgt) for c in range(n_classes)]
        y = [(1 - label_smoothing) * v + label_smoothing / n_classes for v in y]
        terms = [
            w[c] * y[c] * (math.log(row[c]) if row[c] > 0 else -math.inf)
            for c in range(n_classes)
            if w[c] * y[c] != 0
        ]
        losses.append(-s * math.fsum(terms))
        denominators.append(s if soft else s * w[tgt])
    if reduction == "none":
        return np.array(losses).reshape(probs.shape[:-1])
    if reduction == "sum":
        return math.fsum(losses)
    total = math.fsum(denominators)
    return math.fsum(losses) / total if total else math.nan


def random_probs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    p = rng.random(shape) ** 2 + 1e-3
    return p / p.sum(axis=-1, keepdims=True)


def assert_close_to(got: Any, want: Any, rtol: float = 1e-12) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-300)


# --------------------------------------------------------------------------------------
# Known values
# --------------------------------------------------------------------------------------


def test_cat_dog_horse() -> None:
    probs = np.array([[0.4, 0.4, 0.2], [0.1, 0.2, 0.7]])  # cat, dog, horse
    got = categorical_cross_entropy(probs, np.array([1, 2]), reduction="none")
    np.testing.assert_allclose(got, [-math.log(0.4), -math.log(0.7)], rtol=1e-15)
    assert np.round(got, 2).tolist() == [0.92, 0.36]
    assert float(categorical_cross_entropy(probs, np.array([1, 2]))) == pytest.approx(
        (math.log(1 / 0.4) + math.log(1 / 0.7)) / 2, rel=1e-15
    )
    # the same with one-hot targets
    onehot = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(
        categorical_cross_entropy(probs, onehot, reduction="none"), got, rtol=1e-15
    )


# --------------------------------------------------------------------------------------
# Against PyTorch (nll_loss / cross_entropy on log probs), scikit-learn and the loop
# --------------------------------------------------------------------------------------


OPTIONS = [  # (soft, weighted, smoothing, ignore); ignore_index is for labels only
    c
    for c in itertools.product([False, True], [False, True], [0.0, 0.3], [False, True])
    if not (c[0] and c[3])
]


@pytest.mark.parametrize("shape", [(7, 5), (4, 1), (13, 11), (0, 3)])
@pytest.mark.parametrize("options", OPTIONS)
def test_matches_torch_and_loop(
    rng: np.random.Generator, shape: tuple[int, int], options: tuple[bool, bool, float, bool]
) -> None:
    soft, weighted, smoothing, ignore = options
    probs = random_probs(rng, shape)
    if soft:
        target = random_probs(rng, shape)
    else:
        target = rng.integers(0, shape[1], shape[0])
        if ignore:
            target = np.where(rng.random(shape[0]) < 0.3, -100, target)
    weight = rng.random(shape[1]) + 0.1 if weighted else None
    log_p = torch.log(torch.tensor(probs))
    w_t = None if weight is None else torch.tensor(weight)
    for reduction in REDUCTIONS:
        kwargs = {"weight": weight, "label_smoothing": smoothing, "reduction": reduction}
        got = categorical_cross_entropy(probs, target, **kwargs)
        if not soft and smoothing == 0:  # nll_loss is exactly -w_y log p_y
            want = F.nll_loss(log_p, torch.tensor(target), weight=w_t, reduction=reduction)
        else:  # log_softmax(log p) = log p - log(sum p) = log p up to rounding
            want = F.cross_entropy(
                log_p,
                torch.tensor(target),
                weight=w_t,
                label_smoothing=smoothing,
                reduction=reduction,
            )
        assert_close_to(got, want.numpy())
        assert_close_to(got, reference_loss(probs, target, **kwargs))


def test_matches_sklearn_log_loss(rng: np.random.Generator) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    probs = random_probs(rng, (50, 4))
    labels = rng.integers(0, 4, 50)
    sample_weight = rng.random(50)
    ours = categorical_cross_entropy(probs, labels)
    theirs = metrics.log_loss(labels, probs, labels=[0, 1, 2, 3])
    assert float(ours) == pytest.approx(theirs, rel=1e-12)
    ours_w = categorical_cross_entropy(probs, labels, sample_weight=sample_weight)
    theirs_w = metrics.log_loss(labels, probs, sample_weight=sample_weight, labels=[0, 1, 2, 3])
    assert float(ours_w) == pytest.approx(theirs_w, rel=1e-12)


def test_class_axis_and_k_dim(rng: np.random.Generator) -> None:
    probs = random_probs(rng, (2, 3, 4, 5))  # classes last: (N, d1, d2, C)
    labels = rng.integers(0, 5, (2, 3, 4))
    labels[1, 2] = -100
    weight = rng.random(5) + 0.5
    for reduction in REDUCTIONS:
        kwargs = {"weight": weight, "label_smoothing": 0.2, "reduction": reduction}
        last = categorical_cross_entropy(probs, labels, **kwargs)
        moved = categorical_cross_entropy(np.moveaxis(probs, -1, 1), labels, axis=1, **kwargs)
        want = F.cross_entropy(
            torch.log(torch.tensor(np.moveaxis(probs, -1, 1))),
            torch.tensor(labels),
            weight=torch.tensor(weight),
            label_smoothing=0.2,
            reduction=reduction,
        )
        assert_close_to(last, want.numpy())
        assert_close_to(moved, want.numpy())


def test_sample_weight_and_ignore_index_against_loop(rng: np.random.Generator) -> None:
    probs = random_probs(rng, (9, 4))
    labels = np.array([0, 1, 2, 3, -100, 1, 2, 0, 3])
    sample_weight = rng.random(9) * 2
    weight = np.array([1.0, 0.0, 2.0, 0.5])
    for reduction, smoothing in itertools.product(REDUCTIONS, [0.0, 0.4]):
        kwargs = {
            "weight": weight,
            "sample_weight": sample_weight,
            "label_smoothing": smoothing,
            "reduction": reduction,
        }
        assert_close_to(
            categorical_cross_entropy(probs, labels, **kwargs),
            reference_loss(probs, labels, **kwargs),
        )


# --------------------------------------------------------------------------------------
# Exact by default; clipping only when asked
# --------------------------------------------------------------------------------------


def test_zero_probability_is_exact() -> None:
    probs = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = value_and_grad(categorical_cross_entropy)(
            probs, np.array([1, 0, 2]), reduction="none"
        )
        # the true class at probability 0: +inf; a zero elsewhere costs nothing
        assert out.value.tolist() == [math.inf, math.log(2.0), 0.0]
        np.testing.assert_array_equal(
            out.grad, [[0.0, -math.inf, 0.0], [-2.0, 0.0, 0.0], [0.0, 0.0, -1.0]]
        )
        # soft targets: 0 log 0 = 0 where both vanish
        soft = categorical_cross_entropy(
            probs, np.array([[1.0, 0, 0], [0.5, 0.5, 0], [0, 0, 1.0]]), reduction="none"
        )
        assert soft.tolist() == [0.0, math.log(2.0), 0.0]
        # smoothing gives every class weight e / C > 0: a zero probability costs inf
        smoothed = categorical_cross_entropy(
            probs, np.array([0, 0, 2]), label_smoothing=0.1, reduction="none"
        )
        assert np.isinf(smoothed).all()


def test_clip_is_an_explicit_opt_in(rng: np.random.Generator) -> None:
    probs = np.array([[1.0, 0.0], [0.3, 0.7], [1e-9, 1 - 1e-9]])
    labels = np.array([1, 0, 0])
    eps = 1e-7
    out = value_and_grad(categorical_cross_entropy)(probs, labels, clip=eps, reduction="none")
    np.testing.assert_allclose(
        out.value, [-math.log(eps), -math.log(0.3), -math.log(eps)], rtol=1e-15
    )
    # zero gradient where a probability was moved by the clip
    np.testing.assert_array_equal(out.grad[0], [0.0, 0.0])
    np.testing.assert_array_equal(out.grad[2], [0.0, 0.0])
    np.testing.assert_allclose(out.grad[1], [-1 / 0.3, 0.0], rtol=1e-15)
    assert_close_to(out.value, reference_loss(probs, labels, clip=eps, reduction="none"))
    # torch autograd through clamp agrees, boundary included (p == clip passes)
    at_edge = np.array([[eps, 1 - eps], [0.5, 0.5]])
    x = torch.tensor(at_edge, requires_grad=True)
    want = F.nll_loss(torch.log(x.clamp(eps, 1 - eps)), torch.tensor([0, 1]), reduction="sum")
    (want_grad,) = torch.autograd.grad(want, x)
    got = value_and_grad(categorical_cross_entropy)(
        at_edge, np.array([0, 1]), clip=eps, reduction="sum"
    )
    np.testing.assert_allclose(got.grad, want_grad.numpy(), rtol=1e-15)
    assert float(got.value) == pytest.approx(float(want.detach()), rel=1e-15)


# --------------------------------------------------------------------------------------
# Gradients
# --------------------------------------------------------------------------------------

GRAD_CASES = [
    {"reduction": "mean"},
    {"reduction": "sum", "label_smoothing": 0.2},
    {"reduction": "mean", "weight": [0.5, 2.0, 1.0, 3.0], "label_smoothing": 0.1},
    {"reduction": "none", "weight": [0.5, 2.0, 1.0, 3.0]},
    {"reduction": "mean", "sample_weight": [1.0, 0.0, 2.0, 0.5, 1.5], "clip": 1e-3},
]


@pytest.mark.parametrize("case", GRAD_CASES)
@pytest.mark.parametrize("soft", [False, True])
def test_gradient_finite_differences_and_torch(
    rng: np.random.Generator, case: dict[str, Any], soft: bool
) -> None:
    kwargs = {k: np.asarray(v) if isinstance(v, list) else v for k, v in case.items()}
    probs = random_probs(rng, (5, 4))
    target = random_probs(rng, (5, 4)) if soft else np.array([0, 3, -100, 1, 2])
    value, grad = value_and_grad(categorical_cross_entropy)(probs, target, **kwargs)
    assert grad.shape == probs.shape
    assert grad.dtype == probs.dtype
    # central differences, each entry moved on its own (rows then leave the simplex by h:
    # the row-sum check is loosened accordingly)
    h = 1e-7
    numerical = np.zeros_like(probs)
    for index in np.ndindex(probs.shape):
        step = np.zeros_like(probs)
        step[index] = h
        up = categorical_cross_entropy(probs + step, target, tol=1e-6, **kwargs)
        down = categorical_cross_entropy(probs - step, target, tol=1e-6, **kwargs)
        numerical[index] = (np.sum(up) - np.sum(down)) / (2 * h)
    np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-6)
    # torch autograd through our implementation, and through the reference loss in torch
    x = torch.tensor(probs, requires_grad=True)
    kw_t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours = categorical_cross_entropy(x, torch.tensor(target), **kw_t)
    (auto,) = torch.autograd.grad(ours.sum(), x)
    np.testing.assert_allclose(grad, auto.numpy(), rtol=1e-12, atol=1e-15)
    assert_close_to(value, ours.detach().numpy())
    if "sample_weight" not in kwargs and "clip" not in kwargs:
        xt = torch.tensor(probs, requires_grad=True)
        w = None if "weight" not in kwargs else torch.tensor(kwargs["weight"])
        want = F.cross_entropy(
            torch.log(xt),
            torch.tensor(target),
            weight=w,
            label_smoothing=kwargs.get("label_smoothing", 0.0),
            reduction=kwargs["reduction"],
        )
        (want_grad,) = torch.autograd.grad(want.sum(), xt)
        # cross_entropy on log p differs from -log p by log(sum p), whose gradient adds
        # the per-row constant sum_c t_c / sum p (a direction off the simplex): remove it.
        diff = grad - want_grad.numpy()
        np.testing.assert_allclose(diff, diff[:, :1] * np.ones((1, 4)), rtol=1e-10, atol=1e-12)


def test_all_ignored_mean_is_nan_with_zero_gradient(rng: np.random.Generator) -> None:
    probs = random_probs(rng, (3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = value_and_grad(categorical_cross_entropy)(
            probs, np.full(3, -100), label_smoothing=0.2
        )
    assert math.isnan(float(out.value))
    np.testing.assert_array_equal(out.grad, np.zeros((3, 4)))


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    logits=hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=6), elements=st.floats(-8, 8)
    ),
    data=st.data(),
    smoothing=st.sampled_from([0.0, 0.05, 1.0]),
)
def test_equals_softmax_cross_entropy_of_logits(
    logits: np.ndarray, data: Any, smoothing: float
) -> None:
    n, c = logits.shape
    labels = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    weight = data.draw(hnp.arrays(np.float64, (c,), elements=st.floats(0.0, 3.0)))
    kwargs = {"label_smoothing": smoothing, "weight": weight, "reduction": "none"}
    np.testing.assert_allclose(
        categorical_cross_entropy(softmax(logits), labels, **kwargs),
        softmax_cross_entropy(logits, labels, **kwargs),
        rtol=1e-12,
        atol=1e-13,
    )


@settings(max_examples=60, deadline=None)
@given(
    probs=hnp.arrays(np.float64, (4, 3), elements=st.floats(0.01, 1.0)),
    labels=hnp.arrays(np.int64, (4,), elements=st.integers(0, 2)),
)
def test_loss_is_nonnegative_and_labels_equal_one_hot(
    probs: np.ndarray, labels: np.ndarray
) -> None:
    probs = probs / probs.sum(axis=1, keepdims=True)
    by_label = categorical_cross_entropy(probs, labels, reduction="none")
    by_onehot = categorical_cross_entropy(probs, np.eye(3)[labels], reduction="none")
    assert np.all(by_label >= 0)
    np.testing.assert_allclose(by_label, by_onehot, rtol=1e-15)


# --------------------------------------------------------------------------------------
# Precision and backends
# --------------------------------------------------------------------------------------


def test_float32_within_a_few_ulps(rng: np.random.Generator) -> None:
    probs32 = random_probs(rng, (200, 7)).astype(np.float32)
    labels = rng.integers(0, 7, 200)
    truth = categorical_cross_entropy(
        probs32.astype(np.float64), labels, reduction="none", label_smoothing=0.1, tol=1e-5
    )
    ours = categorical_cross_entropy(probs32, labels, reduction="none", label_smoothing=0.1)
    assert ours.dtype == np.float32
    eps32 = float(np.finfo(np.float32).eps)
    assert np.all(np.abs(ours - truth) <= 8 * eps32 * np.abs(truth))


def test_half_precision(rng: np.random.Generator) -> None:
    probs = random_probs(rng, (6, 3)).astype(np.float16)  # rows sum to 1 within float16's tol
    labels = rng.integers(0, 3, 6)
    out = value_and_grad(categorical_cross_entropy)(probs, labels)
    assert out.value.dtype == out.grad.dtype == np.float16
    assert out.value == categorical_cross_entropy(
        probs.astype(np.float32), labels, tol=1e-2
    ).astype(np.float16)
    x = torch.tensor(probs.astype(np.float32), dtype=torch.bfloat16)
    assert categorical_cross_entropy(x, torch.tensor(labels)).dtype == torch.bfloat16


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backends_keep_type_dtype_and_values(
    backend: Any, to_np: Any, rng: np.random.Generator, dtype: str
) -> None:
    probs = random_probs(rng, (6, 4))
    labels = np.array([0, 1, 2, 3, -100, 1])
    weight, sample_weight = rng.random(4) + 0.5, rng.random(6)
    want = value_and_grad(categorical_cross_entropy)(
        probs.astype(dtype),
        labels,
        weight=weight,
        sample_weight=sample_weight,
        label_smoothing=0.1,
        clip=1e-3,
    )
    p = backend.asarray(probs, dtype=dtype)
    got = value_and_grad(categorical_cross_entropy)(
        p,
        backend.asarray(labels),
        weight=backend.asarray(weight, dtype=dtype),
        sample_weight=backend.asarray(sample_weight, dtype=dtype),
        label_smoothing=0.1,
        clip=1e-3,
    )
    for out, ref in ((got.value, want.value), (got.grad, want.grad)):
        assert type(out) is type(p)
        assert out.dtype == p.dtype
        np.testing.assert_allclose(to_np(out), ref, rtol=8 * np.finfo(dtype).eps, atol=1e-7)


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------

PROBS = np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
LABELS = np.array([0, 1, 1])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"probs": np.array([[0.2, 0.8], [0.5, 0.6], [1.0, 0.0]])},
            ValueError,
            (
                r"probs must sum to 1 along axis 1 \(tolerance 1.49e-08\); the slice at "
                r"index \[1\] sums to 1.1.*larger tol"
            ),
        ),
        (
            {"probs": np.array([[0.2, 0.8], [-0.5, 1.5], [1.0, 0.0]])},
            ValueError,
            r"probs must contain probabilities in \[0, 1\]; found -0.5 at index \[1, 0\]",
        ),
        (
            {"probs": np.array([[0.2, 0.8], [0.5, 0.5], [np.nan, 0.0]])},
            ValueError,
            r"probs must contain probabilities in \[0, 1\]; found nan at index \[2, 0\]",
        ),
        (
            {"target": np.array([0, 2, 1])},
            ValueError,
            (
                r"target must be class indices in \[0, 2\) or ignore_index=-100; found 2 at "
                r"index \[1\]"
            ),
        ),
        (
            {"target": np.array([[1.0, 0.0], [0.5, 0.5], [-1.0, 2.0]])},
            ValueError,
            r"target must be non-negative.*index \[2, 0\]",
        ),
        ({"clip": 0.5}, ValueError, r"clip must be None or in the open interval \(0, 0.5\)"),
        ({"clip": 0.0}, ValueError, r"clip must be None or in the open interval"),
        ({"clip": "1e-7"}, TypeError, r"clip must be a real number"),
        ({"tol": -1e-3}, ValueError, r"tol must be None or a finite number >= 0"),
        ({"tol": "big"}, TypeError, r"tol must be None or a finite number >= 0"),
        ({"label_smoothing": 2.0}, ValueError, r"label_smoothing must be in \[0, 1\]"),
        (
            {"weight": np.array([1.0, 2.0, 3.0])},
            ValueError,
            r"weight must have one entry per class",
        ),
        ({"reduction": "total"}, ValueError, r"reduction must be one of"),
        ({"probs": np.array(0.5)}, ValueError, r"probs must have a class axis"),
    ],
)
def test_bad_input_raises_naming_the_argument(
    kwargs: dict[str, Any], error: type, match: str
) -> None:
    probs = kwargs.pop("probs", PROBS)
    target = kwargs.pop("target", LABELS)
    with pytest.raises(error, match=match):
        categorical_cross_entropy(probs, target, **kwargs)
    with pytest.raises(error, match=match):
        value_and_grad(categorical_cross_entropy)(probs, target, **kwargs)


def test_tol_loosens_the_row_sum_check() -> None:
    probs = np.array([[0.2, 0.8001]])
    with pytest.raises(ValueError, match="probs must sum to 1"):
        categorical_cross_entropy(probs, np.array([1]))
    got = categorical_cross_entropy(probs, np.array([1]), tol=1e-3)
    assert float(got) == pytest.approx(-math.log(0.8001), rel=1e-15)  # not renormalised


def test_integer_probabilities_are_accepted() -> None:
    got = categorical_cross_entropy([[0, 1, 0]], [1])
    assert float(got) == 0.0
    assert got.dtype == np.float64
