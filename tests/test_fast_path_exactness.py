"""The fused kernels against an exact reference: shift invariance, float32 gradients, layouts.

The reference is computed in float64 from the logits as stored (float32 logits are exact
in float64), with every logit taken relative to its row maximum. Each backend (numba and
the chunked NumPy fallback) must be as close to it as the generic array-API path is, up
to a few units of the logits' precision, whatever constant the rows are shifted by.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from crossentropy import kernels, losses
from crossentropy._jit import numba_available

BACKENDS = [
    pytest.param(
        "numba", marks=pytest.mark.skipif(not numba_available(), reason="numba is not installed")
    ),
    "numpy",
]
SCALES = [0.0, 1e4, 1e15, 1e30]
ROWS = 16384  # with 2+ classes, past the dispatch threshold of the public losses


def _reference(
    x: np.ndarray, y: np.ndarray, *, smoothing: float, weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row loss and d(sum of losses)/dx in float64, from the stored logits."""
    x64 = x.astype(np.float64)
    rel = x64 - x64.max(axis=1, keepdims=True)
    log_p = rel - np.log(np.exp(rel).sum(axis=1, keepdims=True))
    n, c = x.shape
    target = np.full((n, c), smoothing / c)
    target[np.arange(n), y] += 1.0 - smoothing
    w = np.ones(c) if weight is None else weight.astype(np.float64)
    target *= w
    loss = -(target * log_p).sum(axis=1)
    grad = target.sum(axis=1, keepdims=True) * np.exp(log_p) - target
    return loss, grad


def _rows(scale: float, dtype: Any, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = (3.0 * rng.standard_normal((ROWS, classes)) + scale).astype(dtype)
    return x, rng.integers(0, classes, ROWS)


def _tolerances(dtype: Any) -> dict[str, float]:
    """A few units of the dtype's precision, relative and (for losses near 0) absolute."""
    eps = float(np.finfo(dtype).eps)
    return {"rtol": 16 * eps, "atol": 4 * eps}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(("smoothing", "weighted"), [(0.0, False), (0.2, True)])
def test_a_constant_added_to_every_logit_changes_nothing(
    backend: str, dtype: Any, scale: float, smoothing: float, weighted: bool
) -> None:
    x, y = _rows(scale, dtype, 3)
    weight = np.array([1.0, 2.0, 0.5]) if weighted else None
    want, _ = _reference(x, y, smoothing=smoothing, weight=weight)
    got = kernels.softmax_cross_entropy(
        x, y, weight=weight, label_smoothing=smoothing, reduction="none", backend=backend
    )
    np.testing.assert_allclose(got, want, **_tolerances(dtype))


@pytest.mark.parametrize("backend", BACKENDS)
def test_equal_logits_of_1e30_give_ln2_not_zero(backend: str) -> None:
    x = np.full((ROWS, 2), 1e30)
    y = np.zeros(ROWS, dtype=np.int64)
    assert float(kernels.softmax_cross_entropy(x, y, backend=backend)) == pytest.approx(
        np.log(2.0), rel=1e-15
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_one_class_is_zero_loss_and_zero_gradient_at_any_scale(backend: str, dtype: Any) -> None:
    big = float(np.finfo(dtype).max) / 4
    x = np.full((40000, 1), big, dtype=dtype)
    y = np.zeros(40000, dtype=np.int64)
    result = kernels.softmax_cross_entropy_with_grad(
        x,
        y,
        weight=np.array([2.0]),
        sample_weight=np.full(40000, 3.0),
        label_smoothing=0.1,
        reduction="sum",
        backend=backend,
    )
    assert float(result.loss) == 0.0  # was -5e20 or +4e20 in float32, +-6e-8 in float16
    # T p - t with p = 1: zero up to the rounding of the target (6 here) in float32
    np.testing.assert_allclose(result.grad, 0.0, atol=8 * 6.0 * np.finfo(np.float32).eps)


@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_gradients_at_logits_of_1e4_are_exact_to_float32(backend: str) -> None:
    x = np.tile(np.float32([1e4, 1e4 + 6.684]), (ROWS, 1))
    y = np.ones(ROWS, dtype=np.int64)
    _, want = _reference(x, y, smoothing=0.0, weight=None)
    got = kernels.softmax_cross_entropy_with_grad(x, y, reduction="sum", backend=backend).grad
    # was [0.00125005, -0.00097609] on the fast path: 22% off, not summing to 0
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-7)
    np.testing.assert_allclose(got.sum(axis=1), 0.0, atol=1e-7)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scale", [0.0, 1e4])
def test_random_float32_gradients_are_as_good_as_the_generic_path(
    backend: str, scale: float
) -> None:
    x, y = _rows(scale, np.float32, 7, seed=3)
    _, want = _reference(x, y, smoothing=0.0, weight=None)
    fast = kernels.softmax_cross_entropy_with_grad(x, y, reduction="sum", backend=backend).grad
    # the generic path on rows few enough to stay off the kernels
    generic = np.concatenate(
        [
            losses.value_and_grad(losses.softmax_cross_entropy)(
                x[i : i + 8], y[i : i + 8], reduction="sum"
            )[1]
            for i in range(0, 512, 8)
        ]
    )
    generic_error = np.max(np.abs(generic - want[:512]))
    assert np.max(np.abs(fast - want)) <= generic_error + 4 * np.finfo(np.float32).eps


@pytest.mark.parametrize("backend", BACKENDS)
def test_fortran_strided_and_read_only_inputs_give_the_same_numbers(backend: str) -> None:
    x, y = _rows(1e4, np.float64, 5, seed=5)
    x[7, 2] = np.inf  # a row for the exact path: it must not write into the input
    want = kernels.softmax_cross_entropy_with_grad(x, y, reduction="sum", backend=backend)
    wide = np.zeros((ROWS, 10))
    wide[:, ::2] = x
    read_only = x.copy()
    read_only.flags.writeable = False
    for layout in (np.asfortranarray(x), wide[:, ::2], read_only):
        before = layout.copy()
        got = kernels.softmax_cross_entropy_with_grad(layout, y, reduction="sum", backend=backend)
        np.testing.assert_array_equal(got.grad, want.grad)
        assert float(got.loss) == float(want.loss)
        np.testing.assert_array_equal(layout, before)


def test_the_public_losses_and_torch_agree_at_logits_of_1e30() -> None:
    torch = pytest.importorskip("torch")
    from crossentropy.torch import cross_entropy

    x = np.full((ROWS, 2), 1e30)
    y = np.zeros(ROWS, dtype=np.int64)
    assert float(losses.softmax_cross_entropy(x, y)) == pytest.approx(np.log(2.0), rel=1e-15)
    t = torch.from_numpy(x).requires_grad_()
    value = cross_entropy(t, torch.from_numpy(y))
    reference = torch.nn.functional.cross_entropy(torch.from_numpy(x), torch.from_numpy(y))
    assert value.item() == pytest.approx(reference.item(), rel=1e-15)
    value.backward()
    np.testing.assert_allclose(t.grad.numpy(), np.tile([-0.5, 0.5], (ROWS, 1)) / ROWS)


# ------------------------------------------------------------------ finite stays finite


@pytest.mark.parametrize("rows", [2, ROWS])  # the generic path, then the kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_mean_of_huge_finite_losses_is_not_inf(rows: int, dtype: Any) -> None:
    """The mean of [1e308, 1e308] is 1e308: the sum overflows, the answer does not."""
    big = float(np.finfo(dtype).max) / 1.5
    x = np.tile(np.array([big, 0.0], dtype=dtype), (rows, 1))
    y = np.ones(rows, dtype=np.int64)
    mean = losses.softmax_cross_entropy(x, y)
    assert float(mean) == pytest.approx(big, rel=1e-6)
    weighted = losses.softmax_cross_entropy(x, y, sample_weight=np.full(rows, 0.25, dtype=dtype))
    assert float(weighted) == pytest.approx(big, rel=1e-6)
    assert np.isinf(float(losses.softmax_cross_entropy(x, y, reduction="sum")))  # truly past max


def test_normalize_accepts_finite_entries_whose_sum_overflows() -> None:
    from crossentropy import info

    assert float(info.entropy([1e308, 1e308], normalize=True)) == pytest.approx(np.log(2.0))
    skewed = np.array([1e308, 1e308, 7e307])  # sums past the float64 range
    p = skewed / skewed.sum(dtype=np.longdouble)
    assert float(info.entropy(skewed, normalize=True)) == pytest.approx(
        float(-(p * np.log(p)).sum()), rel=1e-12
    )
    with pytest.raises(ValueError, match=r"has sum 0\.0"):
        info.entropy([0.0, 0.0], normalize=True)


def _overflowing_rows(rows: int, dtype: Any) -> tuple[np.ndarray, float]:
    """Rows ``[b, -b]`` whose spread ``2b`` is past the dtype's range; and ``b``."""
    big = float(np.finfo(dtype).max) / 1.5
    return np.tile(np.array([big, -big], dtype=dtype), (rows, 1)), big


@pytest.mark.parametrize("rows", [1, ROWS])  # the generic path, then the kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("options", "label", "share"),
    [
        # label smoothing 0.5 puts 1/4 of the mass on the logit 2b below: 2b/4 = b/2
        ({"label_smoothing": 0.5}, 0, 0.25),
        # a class weight of 1/4 on a label 2b below the maximum: b/2
        ({"weight": np.array([1.0, 0.25])}, 1, 0.25),
        ({"sample_weight": "quarter", "reduction": "none"}, 1, 0.25),
    ],
)
def test_a_loss_weighted_below_one_past_the_range_is_representable(
    rows: int, dtype: Any, options: dict[str, Any], label: int, share: float
) -> None:
    """Per item: 0.25 * 2e308 = 5e307 is finite, though 2e308 is not (issue 12 §2)."""
    x, big = _overflowing_rows(rows, dtype)
    y = np.full(rows, label, dtype=np.int64)
    options = dict(options)
    if options.get("sample_weight") == "quarter":
        options["sample_weight"] = np.full(rows, 0.25)
    exact = share * 2 * big  # log(1 + e^{-2b}) = 0 exactly
    value = losses.softmax_cross_entropy(x, y, **options)
    if options.get("reduction") == "none":
        np.testing.assert_allclose(value, exact, rtol=4 * np.finfo(dtype).eps)
    elif "weight" in options:
        # the weighted mean divides by the label's weight 1/4: 2b, past the range
        assert np.isinf(float(value))
        total = losses.softmax_cross_entropy(x[:1], y[:1], reduction="sum", **options)
        assert float(total) == pytest.approx(exact, rel=4 * float(np.finfo(dtype).eps))
    else:
        assert float(value) == pytest.approx(exact, rel=4 * float(np.finfo(dtype).eps))
    both = losses.value_and_grad(losses.softmax_cross_entropy)(x, y, **options)
    np.testing.assert_array_equal(both.value, value)
    assert np.isfinite(both.grad).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_kernels_redo_an_overflowed_row_like_the_generic_path(backend: str) -> None:
    x, big = _overflowing_rows(ROWS, np.float64)
    x[::2] = [[1.0, -2.0]]  # ordinary rows in between keep their own values
    y = np.zeros(ROWS, dtype=np.int64)
    fast = kernels.softmax_cross_entropy(
        x, y, label_smoothing=0.5, reduction="none", backend=backend
    )
    generic = losses.softmax_cross_entropy(x[:2], y[:2], label_smoothing=0.5, reduction="none")
    np.testing.assert_allclose(fast[:2], generic, rtol=1e-15)
    assert fast[1] == pytest.approx(big / 2, rel=1e-15)
    assert fast[0] == pytest.approx(
        float(-(np.array([0.75, 0.25]) * (np.array([1.0, -2.0]) - np.logaddexp(1.0, -2.0))).sum()),
        rel=1e-14,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_probability_targets_and_focal_losses_past_the_range(dtype: Any) -> None:
    x, big = _overflowing_rows(1, dtype)
    half = np.array([[0.5, 0.5]], dtype=dtype)
    rel = 4 * float(np.finfo(dtype).eps)
    assert float(losses.softmax_cross_entropy(x, half)) == pytest.approx(big, rel=rel)
    assert float(losses.softmax_focal_loss(x, half, gamma=0.0)) == pytest.approx(big, rel=rel)
    smoothed = losses.softmax_focal_loss(x, [0], label_smoothing=0.5)
    assert float(smoothed) == pytest.approx(big / 2, rel=rel)  # (1 - 0)^2 * 1/4 * 2b
    grad = losses.value_and_grad(losses.softmax_focal_loss)(x, [0], label_smoothing=0.5).grad
    np.testing.assert_allclose(grad, [[0.25, -0.25]], atol=1e-7)
    assert np.isinf(float(losses.softmax_focal_loss(x, [1])))  # 2b itself: past the range
    z = np.array([big, -big], dtype=dtype)
    two = np.array([0.0, 1.0], dtype=dtype)
    assert float(losses.binary_cross_entropy_with_logits(z, two)) == pytest.approx(big, rel=rel)
    assert float(losses.binary_focal_loss_with_logits(z, two, gamma=0.0)) == pytest.approx(
        big, rel=rel
    )
    # the log-probability itself is past the range: -inf, and no overflow warning
    assert losses.log_softmax(x)[0, 1] == -np.inf


@pytest.mark.parametrize(
    "bad",
    [np.array([["a", "b"]]), np.array([[1.0, 2.0]], dtype=object), np.array([[1j, 2.0]])],
    ids=["str", "object", "complex"],
)
@pytest.mark.parametrize(
    ("loss", "name"),
    [
        (losses.softmax_cross_entropy, "logits"),
        (losses.categorical_cross_entropy, "probs"),
        (losses.softmax_focal_loss, "logits"),
    ],
)
def test_non_numeric_arrays_are_a_type_error_naming_the_argument(
    bad: np.ndarray, loss: Any, name: str
) -> None:
    """Not numpy's raw "ufunc 'isnan' not supported" (issue 12 §3)."""
    with pytest.raises(TypeError, match=rf"^{name}: expected an array of real numbers, got dtype"):
        loss(bad, [0])
    with pytest.raises(TypeError, match=r"^target: expected"):
        loss(np.array([[0.0, 1.0]]), np.array(["0"]))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("nan_at", [0, 1024])
def test_a_nan_among_minus_inf_before_a_finite_block_is_refused(
    backend: str, dtype: Any, nan_at: int
) -> None:
    # found by tests/test_fuzz_losses.py: the numba kernel's block maximum (maxnum) passes
    # NaN over, and a block whose logits are all -inf was skipped without its sum, so the
    # NaN vanished when a later block (C > 2048) was finite: loss nan or inf, no error
    x = np.full((2, 2049), -np.inf, dtype=dtype)
    x[:, -1] = 0.0
    x[1, nan_at] = np.nan
    labels = np.array([2048, 0])
    for function in (kernels.softmax_cross_entropy, kernels.softmax_cross_entropy_with_grad):
        with pytest.raises(ValueError, match="NaN"):
            function(x, labels, backend=backend)
    with pytest.raises(ValueError, match="NaN"):
        losses.softmax_cross_entropy(np.tile(x, (16, 1)), np.tile(labels, 16))
