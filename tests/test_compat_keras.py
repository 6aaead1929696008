"""``crossentropy.compat.keras`` against Keras 3 itself, on its PyTorch backend.

Float64: on its JAX and PyTorch backends Keras computes float64 inputs partly in
float32: its type promotion maps 64-bit results to 32 bits (``BIT64_TO_BIT32_DTYPE``,
"aligned with JAX's default", hitting ``ops.mean`` and ``ops.divide_no_nan``), and on
PyTorch ``ops.clip`` turns Python bounds into ``floatx`` (float32) tensors, so the
clip bounds become ``float32(1e-7)``. The float64 tests therefore run Keras configured
for float64 (``floatx="float64"``, 64-bit promotion kept as on its TensorFlow backend;
the ``keras_float64`` fixture), where it computes in float64 throughout, and assert
``rtol=1e-12`` (measured: <= 4e-16). ``test_float64_without_the_float64_setup`` shows the
default behaviour (agreement to ~1e-7). Float32 compares with Keras' default float32 at
``rtol=2e-6, atol=1e-6`` (sums such as KL's cancel to a few float32 ulps of their terms).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from crossentropy.compat import keras as ck

if TYPE_CHECKING:
    from collections.abc import Iterator

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
from keras.src.backend.common import dtypes as keras_dtypes  # noqa: E402

DTYPES = [np.float64, np.float32]
RTOL = {np.float64: 1e-12, np.float32: 2e-6}
ATOL = {np.float64: 0.0, np.float32: 1e-6}
KERAS_REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]


@pytest.fixture
def keras_float64(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keras configured for float64: floatx float64, 64-bit promotion kept (TF's rule)."""
    monkeypatch.setitem(keras_dtypes.BIT64_TO_BIT32_DTYPE, "float64", "float64")
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx(previous)


@pytest.fixture(params=DTYPES, ids=["float64", "float32"])
def dtype(request: pytest.FixtureRequest) -> Any:
    if request.param == np.float64:
        request.getfixturevalue("keras_float64")
    return request.param


def assert_matches(ours: Any, ref: Any, rtol: float, atol: float | None = None) -> None:
    """Same shape and dtype, NaN where Keras has NaN, close elsewhere."""
    ref_np = ref.detach().numpy() if hasattr(ref, "detach") else np.asarray(ref)
    ours_np = np.asarray(ours)
    assert ours_np.shape == ref_np.shape
    assert ours_np.dtype == ref_np.dtype, (ours_np.dtype, ref_np.dtype)
    if atol is None:
        atol = ATOL[np.float32] if ref_np.dtype == np.float32 else 0.0
    np.testing.assert_allclose(ours_np, ref_np, rtol=rtol, atol=atol, equal_nan=True)


def keras_dtype(dtype: Any) -> str:
    return np.dtype(dtype).name


SHAPES = [(6, 4), (3, 5, 4), (4,)]


def data(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, np.ndarray]:
    n_classes = shape[-1]
    labels = rng.integers(0, n_classes, size=shape[:-1])
    return {
        "logits": (3 * rng.normal(size=shape)).astype(dtype),
        "raw": rng.uniform(0.0, 1.0, size=shape).astype(dtype),  # unnormalised
        "soft": rng.uniform(0.0, 1.0, size=shape).astype(dtype),
        "labels": labels,
        "onehot": np.eye(n_classes, dtype=dtype)[labels],
    }


# --- per-sample functions ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_categorical_crossentropy(rng, dtype, shape, from_logits, label_smoothing) -> None:
    d = data(rng, shape, dtype)
    y_pred = d["logits"] if from_logits else d["raw"]
    for axis in {-1, len(shape) - 1, 0} if len(shape) > 1 else {-1}:
        ours = ck.categorical_crossentropy(
            d["onehot"], y_pred, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
        )
        ref = keras.losses.categorical_crossentropy(
            d["onehot"], y_pred, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
        )
        assert_matches(ours, ref, RTOL[dtype])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("ignore_class", [None, 1, -1])
def test_sparse_categorical_crossentropy(rng, dtype, shape, from_logits, ignore_class) -> None:
    d = data(rng, shape, dtype)
    y_pred = d["logits"] if from_logits else d["raw"]
    labels = d["labels"]
    if ignore_class == -1 and labels.ndim:
        labels = labels.copy()
        labels.flat[0] = -1
    ours = ck.sparse_categorical_crossentropy(
        labels, y_pred, from_logits=from_logits, ignore_class=ignore_class
    )
    ref = keras.losses.sparse_categorical_crossentropy(
        labels, y_pred, from_logits=from_logits, ignore_class=ignore_class
    )
    assert_matches(ours, ref, RTOL[dtype])
    if len(shape) == 3:  # classes on axis 1, labels with a trailing axis of size 1
        moved = np.moveaxis(y_pred, -1, 1)
        ours = ck.sparse_categorical_crossentropy(
            labels, moved, from_logits=from_logits, ignore_class=ignore_class, axis=1
        )
        ref = keras.losses.sparse_categorical_crossentropy(
            labels, moved, from_logits=from_logits, ignore_class=ignore_class, axis=1
        )
        assert_matches(ours, ref, RTOL[dtype])
        col = d["labels"][..., None]
        assert_matches(
            ck.sparse_categorical_crossentropy(col, y_pred, from_logits=from_logits),
            keras.losses.sparse_categorical_crossentropy(col, y_pred, from_logits=from_logits),
            RTOL[dtype],
        )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_binary_crossentropy(rng, dtype, shape, from_logits, label_smoothing) -> None:
    d = data(rng, shape, dtype)
    y_pred = d["logits"] if from_logits else d["raw"]
    for axis in (-1, 0):
        ours = ck.binary_crossentropy(
            d["soft"], y_pred, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
        )
        ref = keras.losses.binary_crossentropy(
            d["soft"], y_pred, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
        )
        assert_matches(ours, ref, RTOL[dtype])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("apply_class_balancing", [False, True])
def test_binary_focal_crossentropy(rng, dtype, shape, from_logits, apply_class_balancing) -> None:
    d = data(rng, shape, dtype)
    y_pred = d["logits"] if from_logits else d["raw"]
    for label_smoothing, gamma, alpha in ((0.0, 2.0, 0.25), (0.2, 1.5, 0.6)):
        kwargs = {
            "apply_class_balancing": apply_class_balancing,
            "alpha": alpha,
            "gamma": gamma,
            "from_logits": from_logits,
            "label_smoothing": label_smoothing,
        }
        ours = ck.binary_focal_crossentropy(d["soft"], y_pred, **kwargs)
        ref = keras.losses.binary_focal_crossentropy(d["soft"], y_pred, **kwargs)
        assert_matches(ours, ref, RTOL[dtype])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_focal_crossentropy(rng, dtype, shape, from_logits) -> None:
    d = data(rng, shape, dtype)
    y_pred = d["logits"] if from_logits else d["raw"]
    alpha_vec = rng.uniform(0.1, 1.0, size=shape[-1]).astype(dtype)
    for alpha, gamma, label_smoothing in ((0.25, 2.0, 0.0), (alpha_vec, 0.5, 0.1)):
        kwargs = {
            "alpha": alpha,
            "gamma": gamma,
            "from_logits": from_logits,
            "label_smoothing": label_smoothing,
        }
        ours = ck.categorical_focal_crossentropy(d["onehot"], y_pred, **kwargs)
        ref = keras.losses.categorical_focal_crossentropy(d["onehot"], y_pred, **kwargs)
        assert_matches(ours, ref, RTOL[dtype])


@pytest.mark.parametrize("shape", SHAPES)
def test_kl_divergence(rng, dtype, shape) -> None:
    d = data(rng, shape, dtype)
    y_true = d["onehot"]  # zeros are clipped to 1e-7 by Keras
    assert_matches(
        ck.kl_divergence(y_true, d["raw"]),
        keras.losses.kl_divergence(y_true, d["raw"]),
        RTOL[dtype],
    )
    assert_matches(
        ck.kl_divergence(d["soft"], d["raw"]),
        keras.losses.kl_divergence(d["soft"], d["raw"]),
        RTOL[dtype],
    )


def test_probabilities_of_exactly_zero_and_one(dtype) -> None:
    y_true = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=dtype)
    y_pred = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=dtype)
    labels = np.array([1, 0, 2])
    for ours, ref in (
        (
            ck.categorical_crossentropy(y_true, y_pred),
            keras.losses.categorical_crossentropy(y_true, y_pred),
        ),
        (
            ck.sparse_categorical_crossentropy(labels, y_pred),
            keras.losses.sparse_categorical_crossentropy(labels, y_pred),
        ),
        (ck.binary_crossentropy(y_true, y_pred), keras.losses.binary_crossentropy(y_true, y_pred)),
        (
            ck.binary_focal_crossentropy(y_true, y_pred),
            keras.losses.binary_focal_crossentropy(y_true, y_pred),
        ),
        (
            ck.categorical_focal_crossentropy(y_true, y_pred),
            keras.losses.categorical_focal_crossentropy(y_true, y_pred),
        ),
        (ck.kl_divergence(y_true, y_pred), keras.losses.kl_divergence(y_true, y_pred)),
    ):
        assert_matches(ours, ref, RTOL[dtype])
    # The all-zero row renormalises to 0 / 0: NaN in Keras and here.
    assert np.isnan(ck.categorical_crossentropy(y_true, y_pred)[2])


@pytest.mark.parametrize(("dtype", "big"), [(np.float32, 1e4), (np.float64, 1e300)])
def test_extreme_logits(request, dtype, big) -> None:
    if dtype == np.float64:
        request.getfixturevalue("keras_float64")
    y_pred = np.array([[big, -big, 0.0], [-big, -big, big], [big, big, -big]], dtype=dtype)
    y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], dtype=dtype)
    labels = np.array([1, 2, 0])
    for ours, ref in (
        (
            ck.categorical_crossentropy(y_true, y_pred, from_logits=True),
            keras.losses.categorical_crossentropy(y_true, y_pred, from_logits=True),
        ),
        (
            ck.sparse_categorical_crossentropy(labels, y_pred, from_logits=True),
            keras.losses.sparse_categorical_crossentropy(labels, y_pred, from_logits=True),
        ),
        (
            ck.binary_crossentropy(y_true, y_pred, from_logits=True),
            keras.losses.binary_crossentropy(y_true, y_pred, from_logits=True),
        ),
        (
            ck.binary_focal_crossentropy(y_true, y_pred, from_logits=True),
            keras.losses.binary_focal_crossentropy(y_true, y_pred, from_logits=True),
        ),
        (
            ck.categorical_focal_crossentropy(y_true, y_pred, from_logits=True),
            keras.losses.categorical_focal_crossentropy(y_true, y_pred, from_logits=True),
        ),
    ):
        assert np.all(np.isfinite(ref.numpy()))
        assert_matches(ours, ref, RTOL[dtype])


def test_single_class_warning_like_keras(rng) -> None:
    y = np.ones((3, 1))
    with pytest.warns(SyntaxWarning, match="num_classes > 1"):
        ours = ck.categorical_crossentropy(y, y)
    with pytest.warns(SyntaxWarning, match="num_classes > 1"):
        ref = keras.losses.categorical_crossentropy(y, y)
    assert_matches(ours, ref, 1e-12)


# --- Loss classes and reductions ------------------------------------------------------------


def class_pairs(
    d: dict[str, np.ndarray],
) -> list[tuple[str, dict[str, Any], np.ndarray, np.ndarray]]:
    return [
        ("CategoricalCrossentropy", {"label_smoothing": 0.1}, d["onehot"], d["raw"]),
        ("SparseCategoricalCrossentropy", {"from_logits": True}, d["labels"], d["logits"]),
        ("SparseCategoricalCrossentropy", {"ignore_class": 1}, d["labels"], d["raw"]),
        ("BinaryCrossentropy", {"from_logits": True}, d["soft"], d["logits"]),
        ("BinaryFocalCrossentropy", {"apply_class_balancing": True}, d["soft"], d["raw"]),
        ("CategoricalFocalCrossentropy", {"from_logits": True}, d["onehot"], d["logits"]),
        ("KLDivergence", {}, d["soft"], d["raw"]),
    ]


@pytest.mark.parametrize("reduction", KERAS_REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 4)])
def test_loss_classes(rng, dtype, reduction, shape) -> None:
    d = data(rng, shape, dtype)
    weights = [
        None,
        rng.uniform(0, 2, size=shape[0]).astype(dtype),
        rng.uniform(0, 2, size=(shape[0], 1)).astype(dtype),
    ]
    if len(shape) == 3:
        weights.append(rng.uniform(0, 2, size=shape[:2]).astype(dtype))
    for name, kwargs, y_true, y_pred in class_pairs(d):
        ours_loss = getattr(ck, name)(reduction=reduction, **kwargs)
        ref_loss = getattr(keras.losses, name)(
            reduction=reduction, dtype=keras_dtype(dtype), **kwargs
        )
        for sample_weight in weights:
            if sample_weight is not None and sample_weight.ndim == 1 and len(shape) == 3:
                continue  # (N,) against (N, d1) losses does not broadcast, in Keras either
            if (
                sample_weight is not None
                and sample_weight.shape[-1] == 1
                and len(shape) == 3
                and "ignore_class" in kwargs
            ):
                continue  # Keras fails (in-place broadcast of the mask); the mirror broadcasts
            ours = ours_loss(y_true, y_pred, sample_weight=sample_weight)
            ref = ref_loss(y_true, y_pred, sample_weight=sample_weight)
            assert_matches(ours, ref, RTOL[dtype])


@pytest.mark.parametrize("reduction", KERAS_REDUCTIONS)
def test_ignore_class_masks_the_mean(rng, dtype, reduction) -> None:
    d = data(rng, (8, 3), dtype)
    labels = d["labels"].copy()
    labels[:3] = 255
    sw = rng.uniform(0.5, 2, size=8).astype(dtype)
    all_ignored = np.full(8, 255)
    ours_loss = ck.SparseCategoricalCrossentropy(ignore_class=255, reduction=reduction)
    ref_loss = keras.losses.SparseCategoricalCrossentropy(
        ignore_class=255, reduction=reduction, dtype=keras_dtype(dtype)
    )
    for y_true in (labels, all_ignored):
        for sample_weight in (None, sw, np.zeros(8, dtype=dtype)):
            assert_matches(
                ours_loss(y_true, d["raw"], sample_weight=sample_weight),
                ref_loss(y_true, d["raw"], sample_weight=sample_weight),
                RTOL[dtype],
            )
    if reduction in ("sum_over_batch_size", "mean"):
        kept = ck.sparse_categorical_crossentropy(labels, d["raw"], ignore_class=255)[3:]
        np.testing.assert_allclose(ours_loss(labels, d["raw"]), np.mean(kept), rtol=RTOL[dtype])
        assert float(ours_loss(all_ignored, d["raw"])) == 0.0  # Keras: 0, not nan


def test_binary_class_expands_rank_1_targets(rng, dtype) -> None:
    y_true = rng.integers(0, 2, size=6).astype(dtype)
    y_pred = rng.uniform(size=(6, 1)).astype(dtype)
    for reduction in ("none", "sum_over_batch_size"):
        ours = ck.BinaryCrossentropy(reduction=reduction)(y_true, y_pred)
        ref = keras.losses.BinaryCrossentropy(reduction=reduction, dtype=keras_dtype(dtype))(
            y_true, y_pred
        )
        assert_matches(ours, ref, RTOL[dtype])


def test_unreduced_scalar_and_empty_values(dtype) -> None:
    # A 1-d binary input gives a 0-d loss, which Keras returns unreduced (weighted).
    y_true, y_pred = np.array([0.0, 1.0, 1.0], dtype=dtype), np.array([0.2, 0.7, 0.4], dtype=dtype)
    for reduction in ("sum", "sum_over_batch_size"):
        ours = ck.BinaryCrossentropy(reduction=reduction)(y_true, y_pred, sample_weight=2.0)
        ref = keras.losses.BinaryCrossentropy(reduction=reduction, dtype=keras_dtype(dtype))(
            y_true, y_pred, sample_weight=2.0
        )
        assert_matches(ours, ref, RTOL[dtype])
    empty = ck.reduce_weighted_values(np.zeros(0, dtype=dtype), reduction="sum")
    assert empty.shape == (0,)


def test_float64_without_the_float64_setup(rng) -> None:
    """Default Keras on the PyTorch backend averages float64 in float32: ~1e-7 apart."""
    d = data(rng, (16, 5), np.float64)
    ref = keras.losses.BinaryCrossentropy(dtype="float64")(d["soft"], d["raw"])
    assert ref.dtype == torch.float32  # Keras' 64 -> 32-bit promotion
    ours = ck.BinaryCrossentropy()(d["soft"], d["raw"])
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, ref.numpy(), rtol=1e-6)
    # Computing as Keras does by default (float32) matches its default float32.
    ours32 = ck.BinaryCrossentropy(dtype="float32")(d["soft"], d["raw"])
    assert_matches(ours32, keras.losses.BinaryCrossentropy()(d["soft"], d["raw"]), 2e-6)


# --- array libraries, errors ---------------------------------------------------------------


def test_backends(backend, to_np, rng) -> None:
    d = data(rng, (5, 3), np.float32)
    y_pred = backend.asarray(d["raw"])
    out = ck.CategoricalCrossentropy(label_smoothing=0.1)(backend.asarray(d["onehot"]), y_pred)
    assert out.dtype == y_pred.dtype
    ref = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)(d["onehot"], d["raw"])
    np.testing.assert_allclose(to_np(out), ref.numpy(), rtol=2e-6)
    labels = d["labels"].copy()
    labels[0] = -1
    out = ck.SparseCategoricalCrossentropy(ignore_class=-1, from_logits=True)(
        backend.asarray(labels), backend.asarray(d["logits"])
    )
    ref = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1, from_logits=True)(
        labels, d["logits"]
    )
    np.testing.assert_allclose(to_np(out), ref.numpy(), rtol=2e-6)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ck.categorical_crossentropy(np.zeros((2, 3)), np.ones((2, 4))), "same shape"),
        (lambda: ck.binary_crossentropy(np.zeros(3), np.ones(4)), "same shape"),
        (
            lambda: ck.sparse_categorical_crossentropy(np.array([0, 3]), np.ones((2, 3))),
            r"\[0, 3\)",
        ),
        (
            lambda: ck.sparse_categorical_crossentropy(np.array([0.5, 1.0]), np.ones((2, 3))),
            "integer",
        ),
        (lambda: ck.sparse_categorical_crossentropy(np.array([0, 1, 1]), np.ones((2, 3))), "shape"),
        (lambda: ck.CategoricalCrossentropy(reduction="avg"), "reduction"),
        (lambda: ck.BinaryCrossentropy(dtype="int32")(np.zeros(2), np.ones(2)), "dtype"),
        (
            lambda: ck.reduce_weighted_values(np.ones((3, 2)), sample_weight=np.ones(3)),
            "sample_weight",
        ),
    ],
)
def test_errors_name_the_problem(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
