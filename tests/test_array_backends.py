"""Array-library behaviour the backend matrix cannot check: JAX tracing and autodiff.

The ``backend`` fixture (tests/conftest.py) runs the shared tests on concrete JAX
arrays. Here the same functions run on *traced* JAX values, under ``jax.jit`` and
``jax.grad``, and must give the eager numbers.

Why validation is skipped under tracing: a traced value has no data, so a check such
as ``bool(xp.any(p < 0))`` would raise ``TracerBoolConversionError`` and nothing could
be jitted. :func:`crossentropy._array_api.is_lazy` is ``True`` exactly for tracers, and
every ``check_*`` data check returns early for them (shape, dtype and option checks,
which need no data, still run). The same inputs, passed concretely, are validated; both
sides are tested below. Under ``jit`` the code also takes the branch that handles
non-finite slices, since it cannot test for them; the results must still agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from crossentropy._array_api import is_eager, is_lazy, namespace, to_numpy
from crossentropy.info import cross_entropy, entropy, kl_divergence
from crossentropy.losses import (
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    softmax_cross_entropy,
    value_and_grad,
)

if TYPE_CHECKING:
    from collections.abc import Callable

jax = pytest.importorskip("jax")
jnp = jax.numpy

# Same as eager to a few ulp: XLA may fuse and reorder the float64 arithmetic of a jitted
# function, and the eager call takes the all-finite fast path where jit cannot choose it.
JIT_RTOL = 1e-13


def _rand(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _logits(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape) * 3.0


def _probs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    e = np.exp(_logits(rng, shape))
    return e / e.sum(axis=-1, keepdims=True)


def _case_data() -> dict[str, tuple[Callable[..., Any], dict[str, np.ndarray], dict[str, Any]]]:
    """``name -> (function, array arguments, static options)``.

    Array arguments (data *and* weights) are what ``jit`` traces; ``input``/``target``
    (or ``p``/``q``) are positional, the others keywords.
    """
    rng = _rand(20261122)
    n, c = 7, 5  # primes: no accidental symmetry
    logits = _logits(rng, (n, c))
    logits_inf = logits.copy()
    logits_inf[1, 2] = -np.inf  # a class with probability 0
    logits_inf[3, 0] = np.inf  # the one-hot limit
    labels = rng.integers(0, c, n)
    labels_ignored = labels.copy()
    labels_ignored[[0, 4]] = -100
    soft = _probs(rng, (n, c))
    weight = rng.uniform(0.5, 2.0, c)
    sample_weight = rng.uniform(0.0, 2.0, n)
    probs = _probs(rng, (n, c))
    probs[2] = [0.0, 1.0, 0.0, 0.0, 0.0]  # 0 log 0 = 0
    logits_nchw = _logits(rng, (3, c, 2, 4))  # PyTorch's (N, C, d1, d2) layout
    labels_nchw = rng.integers(0, c, (3, 2, 4))
    bin_logits = _logits(rng, (n, 3))
    bin_logits[0, 0] = -np.inf
    bin_target = rng.uniform(0.0, 1.0, (n, 3))
    p, q = _probs(rng, (n, c)), _probs(rng, (n, c))
    p[0, :2] = 0.0
    p[0] /= p[0].sum()
    q_zero = q.copy()
    q_zero[5] = [0.5, 0.5, 0.0, 0.0, 0.0]  # p > 0 where q = 0: +inf
    with np.errstate(divide="ignore"):
        log_p = np.log(p)  # log 0 = -inf: a log-probability of 0
    log_q = np.log(q)

    sce, cce, bce = (
        softmax_cross_entropy,
        categorical_cross_entropy,
        binary_cross_entropy_with_logits,
    )
    return {
        "softmax_ce_mean": (sce, {"input": logits, "target": labels}, {}),
        "softmax_ce_inf_logits_none": (
            sce,
            {"input": logits_inf, "target": labels},
            {"reduction": "none"},
        ),
        "softmax_ce_weighted_ignored": (
            sce,
            {"input": logits, "target": labels_ignored, "weight": weight},
            {"label_smoothing": 0.1},
        ),
        "softmax_ce_soft_sample_weight_sum": (
            sce,
            {"input": logits, "target": soft, "sample_weight": sample_weight},
            {"reduction": "sum", "ignore_index": None},
        ),
        "softmax_ce_axis1": (
            sce,
            {"input": logits_nchw, "target": labels_nchw},
            {"axis": 1, "reduction": "none"},
        ),
        "categorical_ce_mean": (cce, {"input": probs, "target": labels}, {}),
        "categorical_ce_soft_weighted": (
            cce,
            {"input": probs, "target": soft, "weight": weight},
            {"reduction": "none", "ignore_index": None, "label_smoothing": 0.2},
        ),
        "categorical_ce_clip_ignored": (
            cce,
            {"input": probs, "target": labels_ignored},
            {"clip": 1e-7, "reduction": "sum"},
        ),
        "binary_ce_logits_mean": (bce, {"input": bin_logits, "target": bin_target}, {}),
        "binary_ce_logits_pos_weight_none": (
            bce,
            {"input": bin_logits, "target": bin_target, "pos_weight": weight[:3]},
            {"reduction": "none", "label_smoothing": 0.05},
        ),
        "cross_entropy": (cross_entropy, {"p": p, "q": q}, {}),
        "cross_entropy_inf_bits": (cross_entropy, {"p": p, "q": q_zero}, {"base": "bits"}),
        "cross_entropy_log_input_axis0": (
            cross_entropy,
            {"p": log_p.T, "q": log_q.T},
            {"axis": 0, "log_input": True},
        ),
        "entropy": (entropy, {"p": p}, {}),
        "entropy_normalize_dits": (entropy, {"p": 3.0 * p}, {"normalize": True, "base": "dits"}),
        "kl_divergence": (kl_divergence, {"p": p, "q": q}, {}),
        "kl_divergence_inf": (kl_divergence, {"p": p, "q": q_zero}, {}),
        "kl_divergence_log_input": (
            kl_divergence,
            {"p": log_p, "q": log_q},
            {"log_input": True, "base": 2.0},
        ),
    }


CASES = _case_data()
_POSITIONAL = ("input", "target", "p", "q")


def _call(fn: Callable[..., Any], arrays: dict[str, Any], static: dict[str, Any]) -> Any:
    positional = [arrays[k] for k in _POSITIONAL if k in arrays]
    keywords = {k: v for k, v in arrays.items() if k not in _POSITIONAL}
    return fn(*positional, **keywords, **static)


def _to_jax(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    return {k: jnp.asarray(v) for k, v in arrays.items()}


def test_x64_is_on_and_namespace_is_jax_numpy() -> None:
    assert jax.config.jax_enable_x64, "conftest enables float64 for the whole session"
    x = jnp.asarray([0.25, 0.75])
    assert x.dtype == jnp.float64
    xp, (same, from_list) = namespace(x, [1.0, 2.0])
    assert xp is jnp  # no array_api_compat.jax: jax.numpy is the array-API namespace
    assert same is x
    assert isinstance(from_list, jax.Array)
    assert from_list.dtype == jnp.float64


def test_is_lazy_only_for_tracers() -> None:
    x = jnp.asarray([0.25, 0.75])
    assert not is_lazy(x)
    assert is_eager(x)
    seen: list[tuple[bool, bool]] = []

    def probe(v: Any) -> Any:
        seen.append((is_lazy(v), is_eager(v)))
        return jnp.sum(v)

    jax.jit(probe)(x)
    jax.grad(probe)(x)
    jax.vmap(probe)(jnp.stack([x, x]))
    assert seen == [(True, False)] * 3


@pytest.mark.parametrize("case", list(CASES))
def test_jit_matches_eager(case: str) -> None:
    fn, arrays, static = CASES[case]
    args = _to_jax(arrays)
    eager = _call(fn, args, static)
    assert isinstance(eager, jax.Array)
    want = to_numpy(eager)
    first = next(k for k in _POSITIONAL if k in args)
    # Every array traced; and only the first, the others closed over as constants. Inside
    # jit, operations on those constants are traced too: the checks on them must notice.
    all_traced = jax.jit(lambda a: _call(fn, a, static))(args)
    first_traced = jax.jit(lambda v: _call(fn, {**args, first: v}, static))(args[first])
    for traced in (all_traced, first_traced):
        assert isinstance(traced, jax.Array)
        assert traced.dtype == eager.dtype == jnp.float64
        assert traced.shape == eager.shape
        got = to_numpy(traced)
        np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
        np.testing.assert_allclose(got, want, rtol=JIT_RTOL, atol=0.0)
    # The eager JAX numbers are NumPy's numbers (an oracle independent of the tracing).
    np.testing.assert_allclose(want, to_numpy(_call(fn, arrays, static)), rtol=JIT_RTOL)
    assert not np.all(np.isnan(want))  # a case that could not fail is a defect


@pytest.mark.parametrize(
    ("fn", "arrays", "match"),
    [
        (
            cross_entropy,
            {"p": [[0.5, 0.5, 0.0]], "q": [[0.4, 0.7, -0.1]]},
            r"q must contain probabilities .* index \[0, 2\]",
        ),
        (entropy, {"p": [[0.5, 0.6]]}, r"p must sum to 1 along axis"),
        (
            softmax_cross_entropy,
            {"input": [[0.0, np.nan]], "target": np.array([1])},
            r"logits must contain no NaN",
        ),
        (
            categorical_cross_entropy,
            {"input": [[0.2, 0.8]], "target": np.array([2])},
            r"target must be class indices in \[0, 2\)",
        ),
    ],
)
def test_concrete_jax_is_validated_traced_is_not(
    fn: Callable[..., Any], arrays: dict[str, Any], match: str
) -> None:
    args = _to_jax({k: np.asarray(v) for k, v in arrays.items()})
    with pytest.raises(ValueError, match=match):
        _call(fn, args, {})
    # Traced: nothing to inspect, so no data check and no TracerBoolConversionError.
    out = jax.jit(lambda a: _call(fn, a, {}))(args)
    assert isinstance(out, jax.Array)


SOFTMAX_GRAD_CASES: list[dict[str, Any]] = [
    {},
    {"reduction": "sum", "label_smoothing": 0.2},
    {"weight": True, "label_smoothing": 0.1},
    {"reduction": "none", "weight": True},
    {"sample_weight": True},
    {"ignored": True},
    {"ignored": True, "weight": True, "reduction": "sum"},
    {"soft": True, "ignore_index": None},
    {"soft": True, "ignore_index": None, "weight": True, "label_smoothing": 0.3},
    {"axis1": True, "reduction": "mean"},
]


def _softmax_grad_case(options: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    rng = _rand(7)
    opts = dict(options)
    n, c = 11, 5
    if opts.pop("axis1", False):
        logits = _logits(rng, (3, c, 2))
        target = rng.integers(0, c, (3, 2))
        opts["axis"] = 1
    else:
        logits = _logits(rng, (n, c))
        target = _probs(rng, (n, c)) if opts.pop("soft", False) else rng.integers(0, c, n)
    if opts.pop("ignored", False):
        target[[1, 6]] = -100
    if opts.pop("weight", False):
        opts["weight"] = jnp.asarray(rng.uniform(0.5, 2.0, c))
    if opts.pop("sample_weight", False):
        opts["sample_weight"] = jnp.asarray(rng.uniform(0.0, 2.0, n))
    return jnp.asarray(logits), jnp.asarray(target), opts


@pytest.mark.parametrize("options", SOFTMAX_GRAD_CASES, ids=repr)
def test_jax_grad_equals_analytic_gradient(options: dict[str, Any]) -> None:
    logits, target, opts = _softmax_grad_case(options)

    def total(x: Any) -> Any:
        # reduction="none": value_and_grad's gradient is that of the sum of the items
        return jnp.sum(softmax_cross_entropy(x, target, **opts))

    analytic = value_and_grad(softmax_cross_entropy)(logits, target, **opts)
    assert isinstance(analytic.grad, jax.Array)
    assert analytic.grad.dtype == jnp.float64
    autodiff = jax.grad(total)(logits)
    jitted = jax.jit(jax.grad(total))(logits)
    want = to_numpy(analytic.grad)
    assert np.all(np.isfinite(want))
    assert np.any(want != 0.0)
    np.testing.assert_allclose(to_numpy(autodiff), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_numpy(jitted), want, rtol=1e-12, atol=1e-12)
    # The analytic gradient traces too, and gives its eager numbers.
    traced = jax.jit(lambda x: value_and_grad(softmax_cross_entropy)(x, target, **opts))(logits)
    np.testing.assert_allclose(to_numpy(traced.grad), want, rtol=JIT_RTOL, atol=1e-15)
    np.testing.assert_allclose(
        to_numpy(traced.value), to_numpy(analytic.value), rtol=JIT_RTOL, atol=0.0
    )


# JAX's default, 32-bit mode cannot run in this process (conftest turns x64 on for the
# whole session, and no test may flip it), so it runs in a child interpreter, with every
# warning an error: asking JAX for a 64-bit dtype it does not have warns and truncates.
_X64_OFF_SCRIPT = """
import warnings
warnings.simplefilter("error")
import jax
jax.config.update("jax_enable_x64", False)
import jax.numpy as jnp
from crossentropy._array_api import compute_dtype, index_dtype, namespace
from crossentropy.compat import keras, torch
from crossentropy.info import cross_entropy, entropy, kl_divergence, mutual_information
from crossentropy.losses import (
    binary_cross_entropy_with_logits, categorical_cross_entropy, logsumexp, softmax,
    softmax_cross_entropy, softmax_focal_loss, value_and_grad,
)
p = jnp.asarray([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
x = jnp.asarray([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
y = jnp.asarray([0, 2])
xp, (_, floats, ints) = namespace(p, [0.5, 0.5], [1, 2])
assert (floats.dtype, ints.dtype) == (jnp.float32, jnp.int32), (floats.dtype, ints.dtype)
assert index_dtype(xp) == jnp.int32 and compute_dtype(xp, jnp.int32) == jnp.float32
results = [
    cross_entropy(p, [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]),
    entropy(jnp.asarray([1, 0, 0])),
    kl_divergence(p, p[::-1], base="bits"),
    mutual_information(p / 2),
    jax.jit(cross_entropy)(p, p),
    jax.grad(lambda q: kl_divergence(p, q).sum())(p),
    logsumexp(x),
    softmax(x),
    binary_cross_entropy_with_logits(x, p),
    softmax_cross_entropy(x, y),
    categorical_cross_entropy(p, y),
    softmax_focal_loss(x, y),
    value_and_grad(softmax_cross_entropy)(x, y).grad,
    jax.jit(softmax_cross_entropy)(x, y),
    torch.cross_entropy(x, y),
    keras.sparse_categorical_crossentropy(y, p),
]
assert all(r.dtype == jnp.float32 for r in results), [r.dtype for r in results]
print("ok")
"""


def test_jax_default_32_bit_mode_gives_float32_without_warnings() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "JAX_ENABLE_X64": "0", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-c", _X64_OFF_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"
