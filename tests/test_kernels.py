"""The fused kernels against a slow row-by-row reference, the generic losses and NumPy.

Oracles: :mod:`crossentropy.kernels._reference` (float64, ``math.fsum``, one row at a
time), the library's generic array-API path (forced by raising the dispatch threshold),
``np.exp`` in float64 for the polynomial exponentials, and the naive float32 NumPy
computation for the float32 error budget.
"""

from __future__ import annotations

import math
import subprocess
import sys
import tracemalloc
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossentropy import kernels
from crossentropy.kernels import _numpy_softmax, _softmax
from crossentropy.kernels._reference import softmax_cross_entropy_reference
from crossentropy.losses import (
    _dispatch,
    categorical_cross_entropy,
    softmax_cross_entropy,
    value_and_grad,
)

numba = pytest.importorskip("numba")

BACKENDS = ["numba", "numpy"]


@pytest.fixture
def generic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the library's generic (array-API) path: no dispatch to the kernels."""
    monkeypatch.setattr(_dispatch, "KERNEL_MIN_SIZE", 1 << 62)


def _problem(
    rng: np.random.Generator, n: int, c: int, dtype: Any = np.float64, *, ignored: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    x = (rng.standard_normal((n, c)) * 3).astype(dtype)
    y = rng.integers(0, c, n)
    y[rng.choice(n, size=min(ignored, n), replace=False)] = -100
    return x, y


def _rel(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    # Relative to the largest entry (at least 1e-3: a C = 1 gradient is 0 up to rounding).
    scale = max(float(np.max(np.abs(b))), 1e-3) if b.size else 1.0
    return float(np.max(np.abs(a - b))) / scale if a.size else 0.0


# -- the polynomial exponentials ----------------------------------------------------------


def _exp_kernels() -> tuple[Any, Any, Any]:
    from crossentropy._jit.intrinsics import fast_exp32, fast_exp64, sum_exp_term32

    @numba.njit
    def exp32(z: np.ndarray) -> np.ndarray:
        out = np.empty_like(z)
        for i in range(z.size):
            out[i] = fast_exp32(z[i])
        return out

    @numba.njit
    def exp64(z: np.ndarray) -> np.ndarray:
        out = np.empty_like(z)
        for i in range(z.size):
            out[i] = fast_exp64(z[i])
        return out

    @numba.njit
    def term32(z: np.ndarray) -> np.ndarray:
        out = np.empty_like(z)
        for i in range(z.size):
            out[i] = sum_exp_term32(z[i])
        return out

    return exp32, exp64, term32


def test_fast_exp_accuracy() -> None:
    exp32, exp64, term32 = _exp_kernels()
    z32 = np.linspace(-87.0, 0.0, 400_001, dtype=np.float32)
    truth = np.exp(z32.astype(np.float64))
    inside = z32 >= -86.0  # below, e^z < 5e-38: 0 (fast_exp32) or e^-86 (the sum's term)
    ulps = np.abs(exp32(z32) - truth) / np.spacing(truth.astype(np.float32))
    assert ulps[inside].max() <= 1.0  # measured 0.99 ulp
    assert not exp32(z32[~inside]).any()
    term_ulps = np.abs(term32(z32) - truth) / np.spacing(truth.astype(np.float32))
    assert term_ulps[inside].max() <= 1.0  # measured 0.99 ulp
    assert np.all(np.abs(term32(z32[~inside]) - truth[~inside]) < 5e-38)  # e^-86 at most
    z64 = np.linspace(-708.0, 0.0, 400_001)
    exact = np.exp(z64)
    assert np.max(np.abs(exp64(z64) - exact) / exact) <= 4e-16  # measured 2.2e-16


def test_fast_exp_special_values() -> None:
    exp32, exp64, term32 = _exp_kernels()
    special = term32(np.array([0.0, -np.inf, np.nan], dtype=np.float32))
    assert special[0] == 1.0
    assert 0.0 < special[1] < 5e-38
    assert np.isnan(special[2])
    got32 = exp32(np.array([0.0, -np.inf, np.nan, -200.0], dtype=np.float32))
    got64 = exp64(np.array([0.0, -np.inf, np.nan, -800.0]))
    for got in (got32, got64):
        assert got[0] == 1.0
        assert got[1] == 0.0
        assert np.isnan(got[2])
        assert got[3] == 0.0


# -- the softmax kernels against the reference --------------------------------------------

OPTIONS = [
    {},
    {"label_smoothing": 0.2},
    {"weight": "w"},
    {"sample_weight": "s", "label_smoothing": 0.1},
    {"weight": "w", "sample_weight": "s", "label_smoothing": 0.3, "ignore_index": -100},
    {"ignore_index": None},
]


def _options(spec: dict[str, Any], rng: np.random.Generator, n: int, c: int) -> dict[str, Any]:
    out = dict(spec)
    if out.get("weight") == "w":
        out["weight"] = rng.random(c) + 0.1
    if out.get("sample_weight") == "s":
        out["sample_weight"] = rng.random(n)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("num_classes", [1, 7, 2048, 2049, 5000])
@pytest.mark.parametrize("spec", OPTIONS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_matches_reference_float64(
    backend: str, num_classes: int, spec: dict[str, Any], reduction: str
) -> None:
    rng = np.random.default_rng(num_classes)
    n = 24
    x, y = _problem(rng, n, num_classes)
    if spec.get("ignore_index", -100) is None:
        y = np.abs(y) % num_classes
    options = _options(spec, rng, n, num_classes)
    want, want_grad = softmax_cross_entropy_reference(x, y, reduction=reduction, **options)
    got = kernels.softmax_cross_entropy(x, y, reduction=reduction, backend=backend, **options)
    both = kernels.softmax_cross_entropy_with_grad(
        x, y, reduction=reduction, backend=backend, **options
    )
    assert got.dtype == np.float64
    assert got.shape == (() if reduction != "none" else (n,))
    assert _rel(got, want) <= 1e-12
    assert _rel(both.loss, want) <= 1e-12
    assert _rel(both.grad, want_grad) <= 1e-12
    assert _rel(both.lse, [math.log(math.fsum(np.exp(r - r.max()))) + r.max() for r in x]) < 1e-13


@pytest.mark.parametrize("backend", BACKENDS)
@given(
    n=st.integers(0, 9),
    c=st.integers(1, 300),
    smoothing=st.sampled_from([0.0, 0.05, 1.0]),
    weighted=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_softmax_property(  # noqa: PLR0917
    backend: str, n: int, c: int, smoothing: float, weighted: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c)) * rng.choice([0.1, 10.0, 300.0])
    y = rng.integers(-1, c, n)
    options = {"weight": rng.random(c) if weighted else None, "ignore_index": -1}
    want, want_grad = softmax_cross_entropy_reference(
        x, y, label_smoothing=smoothing, reduction="sum", **options
    )
    got = kernels.softmax_cross_entropy_with_grad(
        x, y, label_smoothing=smoothing, reduction="sum", backend=backend, **options
    )
    assert abs(float(got.loss) - want) <= 1e-12 * max(1.0, abs(want))
    assert _rel(got.grad, want_grad) <= 1e-12


@pytest.mark.parametrize("num_classes", [1000, 32000])
def test_float32_no_worse_than_naive_float32(num_classes: int) -> None:
    """Each row's error against float64 is within the naive float32 computation's."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((256, num_classes)) * 4).astype(np.float32)
    y = rng.integers(0, num_classes, 256)
    truth, truth_grad = softmax_cross_entropy_reference(x, y, reduction="none")
    top = x.max(axis=1, keepdims=True)
    log_p = x - (np.log(np.sum(np.exp(x - top), axis=1, keepdims=True)) + top)
    naive = -log_p[np.arange(256), y]
    naive_grad = np.exp(log_p)
    naive_grad[np.arange(256), y] -= 1
    ours = kernels.softmax_cross_entropy_with_grad(x, y, reduction="none")
    assert ours.loss.dtype == np.float32
    assert ours.grad.dtype == np.float32
    assert np.max(np.abs(ours.loss - truth)) <= np.max(np.abs(naive - truth))
    assert np.max(np.abs(ours.grad - truth_grad)) <= 1.5 * np.max(np.abs(naive_grad - truth_grad))
    mean = kernels.softmax_cross_entropy(x, y)
    assert abs(float(mean) - truth.mean()) <= abs(float(naive.mean()) - truth.mean()) + 1e-7


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_computes_in_float32(dtype: str) -> None:
    if dtype == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        np_dtype: Any = ml_dtypes.bfloat16
    else:
        np_dtype = np.float16
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 300)).astype(np_dtype)
    y = rng.integers(0, 300, 8)
    got = kernels.softmax_cross_entropy_with_grad(x, y)
    want, want_grad = softmax_cross_entropy_reference(x.astype(np.float64), y)
    assert got.loss.dtype == np_dtype
    assert got.grad.dtype == np_dtype
    eps = 2.0**-8 if dtype == "bfloat16" else 2.0**-11  # half an ulp of 1: the final rounding
    assert abs(float(got.loss) - want) <= eps * abs(want)
    assert np.max(np.abs(got.grad.astype(np.float64) - want_grad)) <= eps * np.max(
        np.abs(want_grad)
    )


# -- in place, out=, memory -----------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inplace_and_out_match(backend: str, dtype: Any) -> None:
    rng = np.random.default_rng(3)
    x, y = _problem(rng, 40, 3000, dtype)
    options = {"label_smoothing": 0.1, "weight": rng.random(3000), "backend": backend}
    plain = kernels.softmax_cross_entropy_with_grad(x, y, **options)
    buffer = np.full_like(x, np.nan)
    into = kernels.softmax_cross_entropy_with_grad(x, y, out=buffer, **options)
    assert into.grad is buffer
    work = x.copy()
    inplace = kernels.softmax_cross_entropy_with_grad(work, y, inplace=True, **options)
    assert inplace.grad is work
    for other in (into, inplace):
        assert float(other.loss) == float(plain.loss)
        np.testing.assert_array_equal(other.grad, plain.grad)


def test_out_and_inplace_are_checked() -> None:
    x = np.zeros((4, 5), dtype=np.float32)
    y = np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError, match="out must be a writeable C-contiguous float32"):
        kernels.softmax_cross_entropy_with_grad(x, y, out=np.zeros((4, 5)))
    with pytest.raises(ValueError, match="out must not overlap logits"):
        kernels.softmax_cross_entropy_with_grad(x, y, out=x)
    with pytest.raises(ValueError, match="either out= or inplace=True"):
        kernels.softmax_cross_entropy_with_grad(x, y, out=x.copy(), inplace=True)
    with pytest.raises(ValueError, match="inplace=True needs logits as a writeable"):
        kernels.softmax_cross_entropy_with_grad(x.astype(np.float16), y, inplace=True)
    frozen = x.copy()
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="inplace=True needs"):
        kernels.softmax_cross_entropy_with_grad(frozen, y, inplace=True)


def test_numpy_fallback_memory_is_bounded() -> None:
    """The chunked fallback's temporaries stay near its chunk, not the input's size."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2048, 4096)).astype(np.float32)  # 32 MiB
    y = rng.integers(0, 4096, 2048)
    grad = np.empty_like(x)
    tracemalloc.start()
    try:
        kernels.softmax_cross_entropy(x, y, backend="numpy")
        kernels.softmax_cross_entropy_with_grad(x, y, backend="numpy", out=grad)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * _numpy_softmax.CHUNK_ELEMENTS * 8  # 16 MiB, half the input


# -- limits, NaN, empty -------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_infinite_logits_follow_the_library(backend: str, generic: None) -> None:
    x = np.random.default_rng(6).standard_normal((6, 2100))
    y = np.array([0, 1, 2, 3, 4, 5])
    x[0, 7] = np.inf  # one +inf: the limit, softmax one-hot at 7
    x[1, :] = -np.inf  # only -inf: no limit, NaN
    x[2, 2] = -np.inf  # the target at -inf: +inf
    x[3, 2050] = np.inf  # +inf in the second block
    x[3, 5] = np.inf  # two +inf: NaN
    x[4, :2048] = -np.inf  # a whole first block of -inf, then finite
    want = value_and_grad(softmax_cross_entropy)(x, y, reduction="none")
    got = kernels.softmax_cross_entropy_with_grad(x, y, reduction="none", backend=backend)
    np.testing.assert_allclose(got.loss, want.value, rtol=1e-12)
    np.testing.assert_allclose(got.grad, want.grad, rtol=1e-12, atol=1e-300)
    assert got.loss[2] == np.inf
    work = x.copy()
    inplace = kernels.softmax_cross_entropy_with_grad(
        work, y, reduction="none", backend=backend, inplace=True
    )
    np.testing.assert_allclose(inplace.grad, want.grad, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_is_named(backend: str) -> None:
    x = np.zeros((5, 3000), dtype=np.float32)
    x[3, 2999] = np.nan
    y = np.zeros(5, dtype=np.int64)
    with pytest.raises(kernels.InvalidInputError, match=r"found nan at index \[3, 2999\]"):
        kernels.softmax_cross_entropy(x, y, backend=backend)
    with pytest.raises(ValueError, match=r"index \[3, 2999\]"):
        kernels.softmax_cross_entropy_with_grad(x, y, backend=backend, inplace=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_all_ignored_and_empty(backend: str) -> None:
    x = np.ones((3, 4))
    y = np.full(3, -100)
    got = kernels.softmax_cross_entropy_with_grad(x, y, backend=backend)
    assert math.isnan(float(got.loss))
    assert not got.grad.any()
    assert float(kernels.softmax_cross_entropy(x, y, reduction="sum", backend=backend)) == 0.0
    empty = kernels.softmax_cross_entropy_with_grad(
        np.zeros((0, 4)), np.zeros(0, int), backend=backend
    )
    assert math.isnan(float(empty.loss))
    assert empty.grad.shape == (0, 4)


def test_bad_input_is_named() -> None:
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 4\).*found 4 at"):
        kernels.softmax_cross_entropy(x, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"found -3 at index \[2\]"):
        kernels.softmax_cross_entropy(x, np.array([0, 1, -3]))
    with pytest.raises(TypeError, match="labels must be integer class labels"):
        kernels.softmax_cross_entropy(x, np.zeros(3))
    with pytest.raises(ValueError, match=r"labels must have shape \(3,\)"):
        kernels.softmax_cross_entropy(x, np.zeros(4, int))
    with pytest.raises(ValueError, match=r"logits must be 2-D \(N, C\)"):
        kernels.softmax_cross_entropy(np.zeros(4), np.zeros(4, int))
    with pytest.raises(TypeError, match="logits must be a NumPy array"):
        kernels.softmax_cross_entropy([[0.0]], np.zeros(1, int))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        kernels.softmax_cross_entropy(x, np.zeros(3, int), weight=np.ones(3))
    with pytest.raises(ValueError, match=r"sample_weight must be finite.*-1.0 at index \[1\]"):
        kernels.softmax_cross_entropy(x, np.zeros(3, int), sample_weight=np.array([1, -1, 1]))
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        kernels.softmax_cross_entropy(x, np.zeros(3, int), label_smoothing=2.0)
    with pytest.raises(ValueError, match="reduction"):
        kernels.softmax_cross_entropy(x, np.zeros(3, int), reduction="avg")
    with pytest.raises(ValueError, match="backend must be"):
        kernels.softmax_cross_entropy(x, np.zeros(3, int), backend="gpu")  # type: ignore[arg-type]


def test_without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    import crossentropy._jit

    monkeypatch.setattr(crossentropy._jit, "numba_available", lambda: False)
    assert _softmax._backend("auto") is _numpy_softmax
    with pytest.raises(ImportError, match=r"crossentropy\[fast\]"):
        kernels.softmax_cross_entropy(np.zeros((2, 3)), np.zeros(2, int), backend="numba")
    with pytest.raises(ImportError, match=r"crossentropy\[fast\]"):
        kernels.categorical_cross_entropy(np.ones((2, 1)), np.zeros(2, int), backend="numba")
    p = np.full((2, 4), 0.25)
    assert float(kernels.categorical_cross_entropy(p, np.zeros(2, int))) == pytest.approx(
        math.log(4), rel=1e-15
    )


def test_second_process_loads_the_compiled_code() -> None:
    """``cache=True``: a fresh process finds the machine code on disk, no recompiling."""
    code = (
        "import numpy as np\n"
        "from crossentropy import kernels\n"
        "from crossentropy.kernels import _numba_softmax as k\n"
        "x = np.zeros((2, 3), np.float32); y = np.zeros(2, np.int64)\n"
        "kernels.softmax_cross_entropy(x, y)\n"
        "print(sum(k._forward.stats.cache_hits.values()),"
        " sum(k._forward.stats.cache_misses.values()))\n"
    )
    for _ in range(2):  # the first run may have to compile and write the cache
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    hits, misses = map(int, out.stdout.split())
    assert hits >= 1
    assert misses == 0


# -- the public losses dispatch to the kernels --------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("spec", OPTIONS[:5])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_public_loss_dispatch_matches_generic(
    dtype: Any, spec: dict[str, Any], reduction: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((4, 64, 160)) * 2).astype(dtype)  # 40960 >= KERNEL_MIN_SIZE
    y = rng.integers(0, 160, (4, 64))
    y[1, 3] = -100
    options = _options(spec, rng, 64, 160)  # sample_weight (64,) broadcasts to (4, 64)
    assert x.size >= _dispatch.KERNEL_MIN_SIZE
    calls: list[int] = []
    original = kernels.softmax_cross_entropy_with_grad
    monkeypatch.setattr(
        kernels,
        "softmax_cross_entropy_with_grad",
        lambda *a, **k: calls.append(1) or original(*a, **k),
    )
    fast = value_and_grad(softmax_cross_entropy)(x, y, reduction=reduction, **options)
    value = softmax_cross_entropy(x, y, reduction=reduction, **options)
    assert calls == [1]
    monkeypatch.setattr(_dispatch, "KERNEL_MIN_SIZE", 1 << 62)
    slow = value_and_grad(softmax_cross_entropy)(x, y, reduction=reduction, **options)
    assert fast.value.dtype == slow.value.dtype == dtype
    assert fast.value.shape == slow.value.shape
    assert fast.grad.dtype == slow.grad.dtype == dtype
    tol = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-13}[dtype]
    assert _rel(fast.value, slow.value) <= tol
    assert _rel(value, slow.value) <= tol
    assert _rel(fast.grad, slow.grad) <= tol


def test_public_loss_errors_are_the_generic_ones() -> None:
    x = np.zeros((300, 200))
    y = np.zeros(300, dtype=np.int64)
    y[123] = 500
    with pytest.raises(ValueError, match=r"target must be class indices .* index \[123\]"):
        softmax_cross_entropy(x, y)
    y[123] = 0
    x3 = np.zeros((3, 100, 200))
    x3[2, 50, 7] = np.nan
    with pytest.raises(ValueError, match=r"found nan at index \[2, 50, 7\]"):
        softmax_cross_entropy(x3, np.zeros((3, 100), dtype=np.int64))


# -- probabilities -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("spec", OPTIONS[:5])
@pytest.mark.parametrize("clip", [None, 1e-3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_probabilities_match_generic(
    backend: str, spec: dict[str, Any], clip: float | None, reduction: str, generic: None
) -> None:
    rng = np.random.default_rng(9)
    p = rng.dirichlet(np.full(12, 0.3), size=50)
    p[0, :] = 0.0
    p[0, 3] = 1.0  # exact zeros: 0 log 0 = 0, and a zero at a label is +inf
    y = rng.integers(0, 12, 50)
    y[5] = -100
    options = _options(spec, rng, 50, 12)
    want = categorical_cross_entropy(p, y, reduction=reduction, clip=clip, **options)
    got = kernels.categorical_cross_entropy(
        p, y, reduction=reduction, clip=clip, backend=backend, **options
    )
    if np.all(np.isfinite(want)):
        assert _rel(got, want) <= 1e-13
    else:
        np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
def test_probabilities_errors(backend: str) -> None:
    p = np.full((4, 5), 0.2)
    y = np.zeros(4, dtype=np.int64)
    p[2, 3] = np.nan
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]; found nan at index \[2, 3"):
        kernels.categorical_cross_entropy(p, y, backend=backend)
    p[2, 3] = 0.2
    p[1] = [0.5, 0.5, 0.5, 0.0, 0.0]
    with pytest.raises(ValueError, match=r"the slice at index \[1\] sums to 1.5"):
        kernels.categorical_cross_entropy(p, y, backend=backend)


def test_public_categorical_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(10)
    p = rng.dirichlet(np.ones(10), size=20_000)
    y = rng.integers(0, 10, 20_000)
    fast = categorical_cross_entropy(p, y)
    monkeypatch.setattr(_dispatch, "KERNEL_MIN_SIZE", 1 << 62)
    slow = categorical_cross_entropy(p, y)
    assert abs(float(fast) - float(slow)) <= 1e-14 * float(slow)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    ref = sklearn_metrics.log_loss(y, p, labels=np.arange(10))
    assert abs(float(fast) - ref) <= 1e-12 * ref
