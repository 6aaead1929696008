"""Differential fuzzing of the fast paths: kernels vs the generic path vs an exact reference.

Every property draws a whole case (dtype, shape, scale, layout, labels, options, special
rows) with Hypothesis, runs it through

* the fused kernels, both backends (numba where installed, and the chunked NumPy one),
  value, gradient and log-sum-exp;
* the public losses, which hand large NumPy inputs to the kernels (the dispatch);
* ``crossentropy.torch.cross_entropy`` on CPU, forward and backward;
* the generic array-API path, which never dispatches;

and holds each to a reference computed in ``np.longdouble`` (80-bit extended precision on
x86: an 11-bit wider significand than float64 and an exponent range that no float64
logit difference can overflow). The rule, from issue 12: wherever the reference is
finite, a fast path's error is no worse than the generic path's plus a few units in the
last place of the result's dtype; where the reference is ``inf`` or NaN (no limit), every
path says so too.

Profiles. The default suite runs a fixed-seed subset (``derandomize`` under ``CI=true``,
``FUZZ_EXAMPLES`` examples per property, a few seconds each). For a long hunt set
``CROSSENTROPY_FUZZ_EXAMPLES`` (say ``20000``) and, to explore new cases rather than
replay, leave ``CI`` unset::

    CROSSENTROPY_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz_losses.py -p no:cacheprovider
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossentropy import kernels, losses
from crossentropy._agnostic._softmax import generic_softmax_cross_entropy
from crossentropy._jit import numba_available

LONG = np.longdouble
if np.finfo(LONG).eps >= np.finfo(np.float64).eps:  # pragma: no cover - not x86 Linux
    pytest.skip("np.longdouble is no wider than float64 here", allow_module_level=True)

FUZZ_EXAMPLES = int(os.environ.get("CROSSENTROPY_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BACKENDS = ["numba", "numpy"] if numba_available() else ["numpy"]
DTYPES = [np.float16, np.float32, np.float64]
ULPS = 8  # the slack, in units of the result dtype's eps, beyond the generic path's error


def _sum_ulps(terms: int) -> float:
    """Extra ulps for a sum of ``terms`` numbers taken in another order.

    The kernels add a row in the lanes of a vectorised loop, NumPy pairwise; the two
    roundings differ by O(log2 n) ulps in the typical case (by O(n) at worst).
    """
    return 2.0 * float(np.log2(max(terms, 1)))


@dataclass
class Case:
    x: np.ndarray
    labels: np.ndarray
    options: dict[str, Any]

    def describe(self) -> str:
        opts = {
            k: (v if np.isscalar(v) else f"array{np.shape(v)}") for k, v in self.options.items()
        }
        return f"x {self.x.dtype} {self.x.shape} C={self.x.flags.c_contiguous} {opts}"


def losses_kernel_min_size() -> int:
    from crossentropy.losses._dispatch import KERNEL_MIN_SIZE

    return KERNEL_MIN_SIZE


def _scale(draw: Any, dtype: Any) -> float:
    top = float(np.finfo(dtype).max)
    choices = [s for s in (1.0, 30.0, 1e4, 1e15, 1e30) if s < top / 4] + [top / 3, top]
    return draw(st.sampled_from(choices))


@st.composite
def cases(draw: Any, *, dense_rows: bool = False) -> Case:
    """A softmax cross-entropy call: logits, labels and options, as adversarial as allowed."""
    dtype = draw(st.sampled_from(DTYPES))
    classes = draw(st.sampled_from([1, 2, 3, 5, 17, 64, 2049, 40000]))
    rows = draw(st.integers(1, max(1, min(300, 6000 // classes))))
    if dense_rows and draw(st.booleans()):  # past the public losses' dispatch threshold
        rows = losses_kernel_min_size() // classes + draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = _scale(draw, dtype)
    top = float(np.finfo(dtype).max)
    kind = draw(st.sampled_from(["shifted", "spread", "extreme"]))
    if kind == "shifted":  # a large constant per row plus O(1..30) differences
        width = draw(st.sampled_from([1e-3, 1.0, 30.0]))
        offset = scale * rng.choice([-1.0, 1.0], size=(rows, 1))
        x = offset + width * rng.standard_normal((rows, classes))
    elif kind == "spread":  # differences of the order of the scale itself
        x = scale * rng.uniform(-1.0, 1.0, (rows, classes))
    else:  # entries near +-max: differences past the dtype's range
        x = rng.choice([-top, top, top / 2, -top / 2, 0.0], size=(rows, classes))
    with np.errstate(over="ignore"):
        x = np.clip(x, -top, top).astype(dtype)
    special = draw(st.sampled_from(["none", "none", "plus_inf", "two_plus_inf", "minus_inf"]))
    hit = rng.random(rows) < 0.3
    if special == "plus_inf":
        x[hit, rng.integers(0, classes)] = np.inf
    elif special == "two_plus_inf" and classes >= 2:
        x[hit, :2] = np.inf
    elif special == "minus_inf":
        x[hit, : max(1, classes - rng.integers(0, 2))] = -np.inf  # some rows all -inf
    labels = rng.integers(0, classes, rows)
    options: dict[str, Any] = {
        "reduction": draw(st.sampled_from(["none", "sum", "mean"])),
        "label_smoothing": draw(st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0])),
    }
    if draw(st.booleans()):
        labels[rng.random(rows) < 0.2] = -100  # the default ignore_index
    if draw(st.booleans()):
        w = rng.uniform(0.0, 3.0, classes)
        w[rng.random(classes) < 0.2] = 0.0
        options["weight"] = w
    if draw(st.booleans()):
        sw = rng.uniform(0.0, 2.0, rows)
        sw[rng.random(rows) < 0.1] = 0.0
        options["sample_weight"] = sw
    layout = draw(st.sampled_from(["C", "F", "strided", "read-only"]))
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "strided":
        wide = np.empty((rows, 2 * classes), dtype=dtype)
        wide[:, ::2] = x
        x = wide[:, ::2]
    elif layout == "read-only":
        x = x.copy()
        x.flags.writeable = False
    return Case(x, labels, options)


# ------------------------------------------------------------------------ the reference


def _reference(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(value, grad, lse)`` in long double, with the generic path's conventions.

    Rows with one ``+inf`` take the limit (all mass there); several ``+inf``, or only
    ``-inf`` with two or more classes, have no limit: NaN. One class is probability 1.
    """
    x = case.x.astype(LONG)
    n, c = x.shape
    o = case.options
    y = case.labels
    counted = y != -100
    w = np.ones(c, dtype=LONG) if "weight" not in o else o["weight"].astype(LONG)
    sw = np.ones(n, dtype=LONG) if "sample_weight" not in o else o["sample_weight"].astype(LONG)
    eps = LONG(o["label_smoothing"])
    target = np.zeros((n, c), dtype=LONG)
    rows = np.flatnonzero(counted)
    target[rows] = eps / c
    target[rows, y[rows]] += 1 - eps
    target *= w[None, :]
    # item weight: the mean's normaliser (the label's class weight times sample weight)
    item = np.where(counted, w[np.where(counted, y, 0)], 0) * sw
    target *= sw[:, None]
    m = x.max(axis=1, keepdims=True)
    n_plus = (x == np.inf).sum(axis=1)
    finite_m = np.isfinite(m[:, 0])
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        rel = np.where(finite_m[:, None], x - np.where(finite_m[:, None], m, 0), 0)
        limit = np.where(x == m, LONG(0), LONG(-np.inf))
        rel = np.where(finite_m[:, None], rel, limit)
        s = np.exp(rel).sum(axis=1, keepdims=True)
        log_p = rel - np.log(s)
        p = np.exp(log_p)
        defined = finite_m | (n_plus == 1) | (c == 1)
        lse = np.where(finite_m, m[:, 0] + np.log(s[:, 0]), m[:, 0])
        if c == 1:
            log_p = np.zeros_like(log_p)
            p = np.ones_like(p)
        terms = np.where(target == 0, LONG(0), target * log_p)
        value = -terms.sum(axis=1)
        grad = target.sum(axis=1, keepdims=True) * p - target
    # A row without target mass (ignored, or of weight 0) does not depend on its logits:
    # loss 0 and gradient 0 even where its softmax has no limit.
    massless = target.sum(axis=1) == 0
    value = np.where(massless, 0, np.where(defined, value, LONG(np.nan)))
    grad = np.where(massless[:, None], 0, np.where(defined[:, None], grad, LONG(np.nan)))
    red = o["reduction"]
    if red == "none":
        return value, grad, lse
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        total = value.sum()
        if red == "sum":
            return np.asarray(total), grad, lse
        denom = item.sum()
        if denom == 0:
            return np.asarray(LONG(np.nan)), np.zeros_like(grad), lse
        return np.asarray(total / denom), grad / denom, lse


# ------------------------------------------------------------------------ the comparison


def _ulp(dtype: Any) -> float:
    return float(np.finfo(dtype).eps)


def _check(  # noqa: PLR0917
    name: str,
    got: np.ndarray,
    generic: np.ndarray,
    ref: np.ndarray,
    dtype: Any,
    magnitude: np.ndarray | float,
    terms: int = 1,
) -> None:
    """``got``'s error against ``ref`` is at most the generic path's plus a few ulps.

    A few: :data:`ULPS`, plus :func:`_sum_ulps` of the ``terms`` the value sums.

    Where ``ref`` is not finite (rounded to ``dtype``: a value past the dtype's range is
    ``inf`` there), ``got`` must equal it exactly (NaN for NaN).
    """
    got64 = np.asarray(got, dtype=np.float64)
    gen64 = np.asarray(generic, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        ref_out = np.asarray(ref).astype(dtype).astype(np.float64)
        ref64 = np.asarray(ref).astype(np.float64)
    special = ~np.isfinite(ref_out)
    np.testing.assert_array_equal(
        got64[special], ref_out[special], err_msg=f"{name}: the limit (inf/NaN) differs"
    )
    ok = ~special
    if not ok.any():
        return
    with np.errstate(over="ignore", invalid="ignore"):
        err = np.abs(got64[ok] - ref64[ok])
        gen_err = np.abs(gen64[ok] - ref64[ok])
        gen_err = np.where(np.isfinite(gen_err), gen_err, np.inf)
        mag = np.broadcast_to(np.asarray(magnitude, dtype=np.float64), ref64.shape)[ok]
        tiny = float(np.finfo(dtype).smallest_normal)  # results in the subnormal range
        ulps = ULPS + _sum_ulps(terms)
        slack = ulps * (_ulp(dtype) * (np.abs(ref64[ok]) + mag) + tiny)
    bad = ~(err <= gen_err + slack)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{name}: error {err[i]:.3g} > generic {gen_err[i]:.3g} + slack {slack[i]:.3g} "
            f"(got {got64[ok][i]!r}, generic {gen64[ok][i]!r}, reference {ref64[ok][i]!r}); "
            f"{int(bad.sum())} of {bad.size} entries"
        )
        raise AssertionError(msg)


def _generic(case: Case) -> Any:
    o = case.options
    return generic_softmax_cross_entropy(
        case.x,
        case.labels,
        axis=-1,
        weight=o.get("weight"),
        sample_weight=o.get("sample_weight"),
        ignore_index=-100,
        label_smoothing=o["label_smoothing"],
        reduction=o["reduction"],
        with_grad=True,
    )


def _grad_magnitude(case: Case, ref_grad: np.ndarray) -> np.ndarray:
    """Per row, its total target weight T (times the mean's 1/denominator).

    A gradient entry is ``T p_j - t_j``, a difference of two terms of up to that size: its
    rounding error is a few ulps of T, not of the (possibly exactly 0) result.
    """
    o = case.options
    y = case.labels
    n, c = case.x.shape
    w = np.ones(c) if "weight" not in o else o["weight"]
    sw = np.ones(n) if "sample_weight" not in o else o["sample_weight"]
    counted = y != -100
    eps = o["label_smoothing"]
    hot = np.where(counted, (1 - eps) * w[np.where(counted, y, 0)], 0.0)
    total = (hot + np.where(counted, eps / c * w.sum(), 0.0)) * sw
    if o["reduction"] == "mean":
        denom = float((np.where(counted, w[np.where(counted, y, 0)], 0.0) * sw).sum())
        total = total / denom if denom > 0 else np.zeros_like(total)
    return np.broadcast_to(total[:, None], ref_grad.shape)


def _compare(name: str, case: Case, value: Any, grad: Any, lse: Any | None) -> None:
    ref_value, ref_grad, ref_lse = _reference(case)
    gen = _generic(case)
    dtype = case.x.dtype
    assert np.asarray(value).dtype == dtype, f"{name}: value dtype {np.asarray(value).dtype}"
    # losses are sums of non-negative terms: relative error, no cancellation to allow for
    n, c = case.x.shape
    terms = c * (1 if case.options["reduction"] == "none" else n)
    _check(f"{name} value", value, gen.value, ref_value, dtype, 0.0, terms)
    if grad is not None:
        assert np.asarray(grad).dtype == dtype
        _check(f"{name} grad", grad, gen.grad, ref_grad, dtype, _grad_magnitude(case, ref_grad), c)
    if lse is not None:
        # lse is float64 whatever the logits' dtype, its exponentials summed in the compute
        # dtype (float32 for half precision); the generic path has no lse of its own, so
        # it is held to ULPS ulps of the compute dtype (relative, plus one for log S).
        compute = np.float64 if dtype == np.float64 else np.float32
        _check(f"{name} lse", lse, ref_lse.astype(compute), ref_lse, compute, 1.0, c)


# ------------------------------------------------------------------------ the properties


@pytest.mark.parametrize("backend", BACKENDS)
@FUZZ
@given(case=cases())
def test_kernels_are_as_exact_as_the_generic_path(backend: str, case: Case) -> None:
    o = case.options
    both = kernels.softmax_cross_entropy_with_grad(case.x, case.labels, backend=backend, **o)
    _compare(f"{backend} value_and_grad [{case.describe()}]", case, both.loss, both.grad, both.lse)
    value = kernels.softmax_cross_entropy(case.x, case.labels, backend=backend, **o)
    np.testing.assert_array_equal(value, both.loss)  # forward only: the same numbers


@FUZZ
@given(case=cases(dense_rows=True))
def test_the_public_dispatch_is_as_exact_as_the_generic_path(case: Case) -> None:
    """Large inputs go to the kernels, small ones stay generic: both held to the reference."""
    both = losses.value_and_grad(losses.softmax_cross_entropy)(case.x, case.labels, **case.options)
    _compare(f"public [{case.describe()}]", case, both.value, both.grad, None)


@FUZZ
@given(case=cases())
def test_torch_cross_entropy_on_cpu_is_as_exact_as_the_generic_path(case: Case) -> None:
    torch = pytest.importorskip("torch")
    from crossentropy.torch import cross_entropy

    # torch's signature has no sample_weight: the case without it
    o = {k: v for k, v in case.options.items() if k != "sample_weight"}
    case = Case(case.x, case.labels, o)
    x = torch.tensor(np.array(case.x), requires_grad=True)
    kwargs: dict[str, Any] = {
        "reduction": o["reduction"],
        "label_smoothing": o["label_smoothing"],
    }
    if "weight" in o:
        kwargs["weight"] = torch.tensor(o["weight"], dtype=x.dtype)
    value = cross_entropy(x, torch.tensor(case.labels), **kwargs)
    grad = None
    if value.numel() and bool(torch.isfinite(value).all()):
        (grad,) = torch.autograd.grad(value.sum(), x)
        grad = grad.numpy()
        if o["reduction"] == "none":
            grad = None  # the sum's gradient is not a per-row gradient: values only
    _compare(f"torch [{case.describe()}]", case, value.detach().numpy(), grad, None)


@pytest.mark.parametrize("backend", BACKENDS)
@FUZZ
@given(case=cases(), where=st.integers(0, 10**6))
def test_a_nan_logit_is_the_same_error_on_every_path(backend: str, case: Case, where: int) -> None:
    x = np.array(case.x)
    x.flat[where % x.size] = np.nan
    with pytest.raises(ValueError, match="logits must contain no NaN") as generic:
        generic_softmax_cross_entropy(
            x,
            case.labels,
            axis=-1,
            weight=None,
            sample_weight=None,
            ignore_index=-100,
            label_smoothing=0.0,
            reduction="mean",
            with_grad=False,
        )
    with pytest.raises(ValueError) as fast:
        kernels.softmax_cross_entropy(x, case.labels, backend=backend)
    assert "NaN" in str(fast.value), (str(fast.value), str(generic.value))
