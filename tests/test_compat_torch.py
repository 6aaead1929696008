"""``crossentropy.compat.torch`` against PyTorch itself (CPU).

Float64 agreement is asserted at ``rtol=1e-12`` (measured: <= 5e-16 on these inputs);
float32 at ``rtol=2e-6``. NaN must match NaN and infinities must match exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from crossentropy.compat import torch as ct

torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL = {np.float64: 1e-12, np.float32: 2e-6}
DTYPES = [np.float64, np.float32]
REDUCTIONS = ["none", "mean", "sum"]


def T(x: Any) -> Any:
    return None if x is None else torch.from_numpy(np.asarray(x))


def assert_matches(ours: Any, ref: Any, rtol: float, atol: float = 0.0) -> None:
    """Same shape, same dtype, NaN where the reference is NaN, close elsewhere."""
    ref_np = ref.detach().numpy() if hasattr(ref, "detach") else np.asarray(ref)
    ours_np = np.asarray(ours)
    assert ours_np.shape == ref_np.shape
    assert ours_np.dtype == ref_np.dtype
    np.testing.assert_allclose(ours_np, ref_np, rtol=rtol, atol=atol, equal_nan=True)


def class_dim(shape: tuple[int, ...]) -> int:
    return 0 if len(shape) == 1 else 1


SHAPES = [(7, 5), (5,), (3, 4, 6), (2, 3, 4, 2), (2, 3, 2, 2, 2)]


def labels_for(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    n_classes = shape[class_dim(shape)]
    item_shape = () if len(shape) == 1 else (shape[0], *shape[2:])
    return rng.integers(0, n_classes, size=item_shape)


def probabilities_for(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    dim = class_dim(shape)
    moved = np.moveaxis(np.empty(shape), dim, -1).shape
    p = (
        rng.dirichlet(np.ones(moved[-1]), size=moved[:-1])
        if len(moved) > 1
        else (rng.dirichlet(np.ones(moved[-1])))
    )
    return np.moveaxis(p, -1, dim).astype(dtype)


# --- cross_entropy / nll_loss --------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_class_indices(rng, dtype, shape, label_smoothing, weighted) -> None:
    x = (3 * rng.normal(size=shape)).astype(dtype)
    t = labels_for(rng, shape)
    if t.ndim:
        t.flat[0] = -100  # one ignored item
    w = rng.uniform(0.1, 2.0, size=shape[class_dim(shape)]).astype(dtype) if weighted else None
    for reduction in REDUCTIONS:
        ours = ct.cross_entropy(
            x, t, weight=w, reduction=reduction, label_smoothing=label_smoothing
        )
        ref = F.cross_entropy(
            T(x), T(t), weight=T(w), reduction=reduction, label_smoothing=label_smoothing
        )
        assert_matches(ours, ref, RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
def test_cross_entropy_probability_targets(rng, dtype, shape, label_smoothing) -> None:
    x = (3 * rng.normal(size=shape)).astype(dtype)
    p = probabilities_for(rng, shape, dtype)
    w = rng.uniform(0.1, 2.0, size=shape[class_dim(shape)]).astype(dtype)
    for weight in (None, w):
        for reduction in REDUCTIONS:
            ours = ct.cross_entropy(
                x, p, weight=weight, reduction=reduction, label_smoothing=label_smoothing
            )
            ref = F.cross_entropy(
                T(x), T(p), weight=T(weight), reduction=reduction, label_smoothing=label_smoothing
            )
            assert_matches(ours, ref, RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_nll_loss(rng, dtype, shape) -> None:
    logp = F.log_softmax(
        T((2 * rng.normal(size=shape)).astype(dtype)), dim=class_dim(shape)
    ).numpy()
    t = labels_for(rng, shape)
    if t.ndim:
        t.flat[0] = 7  # ignored below
    w = rng.uniform(0.1, 2.0, size=shape[class_dim(shape)]).astype(dtype)
    ignore = 7 if t.ndim else -100
    for weight in (None, w):
        for reduction in REDUCTIONS:
            ours = ct.nll_loss(logp, t, weight=weight, ignore_index=ignore, reduction=reduction)
            ref = F.nll_loss(
                T(logp), T(t), weight=T(weight), ignore_index=ignore, reduction=reduction
            )
            assert_matches(ours, ref, RTOL[dtype])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_all_ignored(rng, weighted, label_smoothing) -> None:
    x = rng.normal(size=(4, 3))
    t = np.full(4, -100)
    w = np.array([1.0, 2.0, 3.0]) if weighted else None
    for reduction in REDUCTIONS:
        ours = ct.cross_entropy(
            x, t, weight=w, reduction=reduction, label_smoothing=label_smoothing
        )
        ref = F.cross_entropy(
            T(x), T(t), weight=T(w), reduction=reduction, label_smoothing=label_smoothing
        )
        assert_matches(ours, ref, 1e-12)
    assert np.isnan(ct.cross_entropy(x, t))  # PyTorch: 0 / 0


def test_cross_entropy_zero_weights_and_empty_batch(rng) -> None:
    x = rng.normal(size=(4, 3))
    t = np.array([0, 1, 0, 1])
    w = np.array([0.0, 0.0, 5.0])
    assert_matches(
        ct.cross_entropy(x, t, weight=w), F.cross_entropy(T(x), T(t), weight=T(w)), 1e-12
    )
    assert np.isnan(ct.cross_entropy(x, t, weight=w))
    empty, none = np.zeros((0, 3)), np.zeros((0,), dtype=np.int64)
    for reduction in REDUCTIONS:
        assert_matches(
            ct.cross_entropy(empty, none, reduction=reduction),
            F.cross_entropy(T(empty), T(none), reduction=reduction),
            1e-12,
        )
        assert_matches(
            ct.cross_entropy(empty, empty, reduction=reduction),
            F.cross_entropy(T(empty), T(empty), reduction=reduction),
            1e-12,
        )


@pytest.mark.parametrize(("dtype", "big"), [(np.float32, 1e4), (np.float64, 1e300)])
def test_cross_entropy_extreme_logits(rng, dtype, big) -> None:
    x = np.array([[big, -big, 0.0], [-big, -big, big], [big, big, -big]], dtype=dtype)
    t = np.array([1, 2, 0])
    p = probabilities_for(rng, (3, 3), dtype)
    for target in (t, p):
        for reduction in REDUCTIONS:
            for label_smoothing in (0.0, 0.2):
                ours = ct.cross_entropy(
                    x, target, reduction=reduction, label_smoothing=label_smoothing
                )
                ref = F.cross_entropy(
                    T(x), T(target), reduction=reduction, label_smoothing=label_smoothing
                )
                assert np.all(np.isfinite(ref.numpy()))
                assert_matches(ours, ref, RTOL[dtype])


def test_cross_entropy_infinite_logits_follow_torch() -> None:
    # PyTorch propagates NaN from -inf - -inf and 0 * -inf; the mirror does too.
    x = np.array([[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 0.0]])
    p = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    t = np.array([1, 0, 0])
    for target in (t, p):
        for label_smoothing in (0.0, 0.1):
            ours = ct.cross_entropy(x, target, reduction="none", label_smoothing=label_smoothing)
            ref = F.cross_entropy(
                T(x), T(target), reduction="none", label_smoothing=label_smoothing
            )
            assert_matches(ours, ref, 1e-12)


def test_unbatched_input(rng) -> None:
    x = rng.normal(size=5)
    for t in (np.array(3), np.array(-100)):
        for reduction in REDUCTIONS:
            assert_matches(
                ct.cross_entropy(x, t, reduction=reduction, label_smoothing=0.1),
                F.cross_entropy(T(x), T(t), reduction=reduction, label_smoothing=0.1),
                1e-12,
            )
            assert_matches(
                ct.nll_loss(x, t, reduction=reduction),
                F.nll_loss(T(x), T(t), reduction=reduction),
                1e-12,
            )
    assert ct.cross_entropy(x, np.array(3), reduction="none").shape == ()


@pytest.mark.parametrize(
    ("size_average", "reduce"), [(None, False), (False, None), (True, True), (False, False)]
)
def test_legacy_arguments_map_like_torch(rng, size_average, reduce) -> None:
    x, t = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    with pytest.warns(UserWarning, match="size_average and reduce"):
        ours = ct.cross_entropy(x, t, None, size_average, -100, reduce)
    with pytest.warns(UserWarning, match="size_average and reduce"):
        ref = F.cross_entropy(T(x), T(t), None, size_average, -100, reduce)
    assert_matches(ours, ref, 1e-12)
    p, y = rng.uniform(size=(4, 3)), rng.uniform(size=(4, 3))
    with pytest.warns(UserWarning, match="size_average and reduce"):
        ours = ct.binary_cross_entropy(p, y, None, size_average, reduce)
    with pytest.warns(UserWarning, match="size_average and reduce"):
        ref = F.binary_cross_entropy(T(p), T(y), None, size_average, reduce)
    assert_matches(ours, ref, 1e-12)


def test_positional_signature_matches_torch() -> None:
    import inspect

    for name in ct.__all__:
        ours = list(inspect.signature(getattr(ct, name)).parameters)
        ref = list(inspect.signature(getattr(F, name)).parameters)
        assert ours == ref, name


def test_agrees_with_core_softmax_cross_entropy(rng) -> None:
    """Where the semantics coincide (finite logits, weights >= 0), the core loss agrees."""
    from crossentropy.losses import softmax_cross_entropy

    x = rng.normal(size=(6, 4, 3))
    t = rng.integers(0, 4, size=(6, 3))
    t[0, 0] = -100
    w = rng.uniform(0.5, 2.0, size=4)
    for reduction in REDUCTIONS:
        np.testing.assert_allclose(
            ct.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=0.1),
            softmax_cross_entropy(x, t, axis=1, weight=w, reduction=reduction, label_smoothing=0.1),
            rtol=1e-12,
        )


# --- binary cross-entropy --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8,), (5, 3), (2, 3, 4)])
def test_binary_cross_entropy(rng, dtype, shape) -> None:
    p = rng.uniform(size=shape).astype(dtype)
    p.flat[0], p.flat[-1] = 0.0, 1.0  # exact 0 and 1: PyTorch clamps the log at -100
    y = rng.uniform(size=shape).astype(dtype)
    y.flat[0], y.flat[-1] = 1.0, 0.0
    w = rng.uniform(0, 2, size=shape[-1:]).astype(dtype)
    for weight in (None, w):
        for reduction in REDUCTIONS:
            ours = ct.binary_cross_entropy(p, y, weight=weight, reduction=reduction)
            ref = F.binary_cross_entropy(T(p), T(y), weight=T(weight), reduction=reduction)
            assert_matches(ours, ref, RTOL[dtype])
    assert float(ct.binary_cross_entropy(np.array([0.0]), np.array([1.0]))) == 100.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8,), (5, 3), (2, 3, 4)])
def test_binary_cross_entropy_with_logits(rng, dtype, shape) -> None:
    x = (4 * rng.normal(size=shape)).astype(dtype)
    y = rng.uniform(size=shape).astype(dtype)
    w = rng.uniform(0, 2, size=shape).astype(dtype)
    pw = rng.uniform(0.5, 3, size=shape[-1:]).astype(dtype)
    for weight in (None, w):
        for pos_weight in (None, pw):
            for reduction in REDUCTIONS:
                ours = ct.binary_cross_entropy_with_logits(
                    x, y, weight=weight, reduction=reduction, pos_weight=pos_weight
                )
                ref = F.binary_cross_entropy_with_logits(
                    T(x), T(y), weight=T(weight), reduction=reduction, pos_weight=T(pos_weight)
                )
                assert_matches(ours, ref, RTOL[dtype])


@pytest.mark.parametrize(("dtype", "big"), [(np.float32, 1e4), (np.float64, 1e300)])
def test_binary_cross_entropy_with_logits_extremes(dtype, big) -> None:
    x = np.array([big, -big, big, -big, -40.0, 30.0], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0], dtype=dtype)
    pw = np.array([2.0], dtype=dtype)
    ours = ct.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=pw)
    ref = F.binary_cross_entropy_with_logits(T(x), T(y), reduction="none", pos_weight=T(pw))
    assert np.all(np.isfinite(ref.numpy()))
    assert_matches(ours, ref, RTOL[dtype])
    # PyTorch's (1 - y) x - log sigmoid(x) cancels to exactly 0 at x = -40, y = 0 (the
    # exact value is 4.2e-18): the mirror reproduces PyTorch's number, not the exact one.
    assert ours[4] == 0.0


# --- kl_div ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
def test_kl_div(rng, dtype, log_target, reduction) -> None:
    logq = np.log(rng.dirichlet(np.ones(4), size=5)).astype(dtype)
    p = rng.dirichlet(np.ones(4), size=5).astype(dtype)
    p[0, 1] = 0.0  # xlogy: 0 log 0 = 0
    with np.errstate(divide="ignore"):  # log(0) = -inf is the log-space zero
        target = np.log(p) if log_target else p
    ref_args = (T(logq), T(target))
    if reduction == "mean":
        with pytest.warns(UserWarning, match="batchmean"):
            ours = ct.kl_div(logq, target, reduction=reduction, log_target=log_target)
        with pytest.warns(UserWarning, match="batchmean"):
            ref = F.kl_div(*ref_args, reduction=reduction, log_target=log_target)
    else:
        ours = ct.kl_div(logq, target, reduction=reduction, log_target=log_target)
        ref = F.kl_div(*ref_args, reduction=reduction, log_target=log_target)
    assert_matches(ours, ref, RTOL[dtype], atol=1e-15 if dtype == np.float64 else 1e-7)


def test_kl_div_edge_values() -> None:
    logq = np.array([[-np.inf, 0.0], [-1.0, -0.5], [-0.1, -3.0]])
    p = np.array([[0.0, 1.0], [-0.5, 1.5], [np.nan, 0.0]])
    ours = ct.kl_div(logq, p, reduction="none")
    ref = F.kl_div(T(logq), T(p), reduction="none")
    assert_matches(ours, ref, 1e-12)
    assert np.isnan(ours[0, 0])  # 0 * -inf, as in PyTorch
    broadcast = ct.kl_div(logq, np.array([0.25, 0.75]), reduction="batchmean")
    assert_matches(
        broadcast, F.kl_div(T(logq), T(np.array([0.25, 0.75])), reduction="batchmean"), 1e-12
    )


# --- array libraries, dtypes, errors ------------------------------------------------------------


def test_backends_and_dtype_preservation(backend, to_np, rng) -> None:
    x = (2 * rng.normal(size=(5, 3, 2))).astype(np.float32)
    t = rng.integers(0, 3, size=(5, 2))
    t[0, 0] = -100
    xb, tb = backend.asarray(x), backend.asarray(t)
    ours = ct.cross_entropy(xb, tb, label_smoothing=0.1)
    assert type(ours) is type(xb) or backend.name == "dask"
    assert ours.dtype == xb.dtype
    ref = F.cross_entropy(T(x), T(t), label_smoothing=0.1)
    np.testing.assert_allclose(to_np(ours), ref.numpy(), rtol=2e-6)
    p = rng.uniform(size=(5, 3)).astype(np.float32)
    y = rng.uniform(size=(5, 3)).astype(np.float32)
    out = ct.binary_cross_entropy(backend.asarray(p), backend.asarray(y))
    np.testing.assert_allclose(to_np(out), F.binary_cross_entropy(T(p), T(y)).numpy(), rtol=2e-6)
    kl = ct.kl_div(backend.asarray(np.log(p)), backend.asarray(y), reduction="batchmean")
    np.testing.assert_allclose(
        to_np(kl), F.kl_div(T(np.log(p)), T(y), reduction="batchmean").numpy(), rtol=2e-6
    )


def test_torch_tensors_in_torch_tensors_out(rng) -> None:
    x = torch.tensor(rng.normal(size=(4, 3)))
    t = torch.tensor([0, 1, 2, 1])
    out = ct.cross_entropy(x, t)
    assert isinstance(out, torch.Tensor)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, F.cross_entropy(x, t), rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ct.cross_entropy(np.zeros((2, 3)), np.array([0, 3])), ValueError, r"\[0, 3\)"),
        (lambda: ct.cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError, "shape"),
        (lambda: ct.cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), TypeError, "integer"),
        (
            lambda: ct.cross_entropy(np.zeros((2, 3)), np.zeros((2, 3), dtype=np.int64)),
            TypeError,
            "floating",
        ),
        (
            lambda: ct.cross_entropy(np.zeros((2, 3)), np.zeros((2, 3)), ignore_index=0),
            ValueError,
            "ignore_index",
        ),
        (
            lambda: ct.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), weight=np.ones(2)),
            ValueError,
            "weight",
        ),
        (
            lambda: ct.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), label_smoothing=1.5),
            ValueError,
            "label_smoothing",
        ),
        (
            lambda: ct.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), reduction="avg"),
            ValueError,
            "reduction",
        ),
        (lambda: ct.cross_entropy(np.array(1.0), np.array(0)), ValueError, "dimension"),
        (lambda: ct.nll_loss(np.zeros((2, 3)), np.array([-1, 0])), ValueError, "index"),
        (
            lambda: ct.binary_cross_entropy(np.array([1.5]), np.array([1.0])),
            ValueError,
            r"\[0, 1\]",
        ),
        (
            lambda: ct.binary_cross_entropy(np.array([0.5]), np.array([1.0, 0.0])),
            ValueError,
            "same shape",
        ),
        (
            lambda: ct.binary_cross_entropy_with_logits(
                np.zeros(3), np.zeros(3), pos_weight=np.ones(2)
            ),
            ValueError,
            "pos_weight",
        ),
        (lambda: ct.kl_div(np.zeros(3), np.zeros(2), reduction="sum"), ValueError, "broadcast"),
    ],
)
def test_errors_name_the_problem(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
