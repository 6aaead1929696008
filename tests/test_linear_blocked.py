"""The vocabulary-blocked schedule, the memory plan and the LLM options of linear CE.

Oracle: the naive expression ``F.cross_entropy(cap(h @ W.T + b), y, weight=...,
label_smoothing=...)`` plus PaLM's z-loss ``z * logsumexp(z)**2`` written out, and its
autograd in float64; ``torch.autograd.gradcheck`` for the soft cap and the z-loss.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from crossentropy import kernels  # noqa: E402
from crossentropy.torch import (  # noqa: E402
    LinearCrossEntropyOutput,
    LinearPlan,
    linear_cross_entropy,
    plan_linear_cross_entropy,
)

N, H, V = 13, 5, 37
PLANS = [
    LinearPlan("vocab-blocked", 4, 8, 0, 0, 4),  # tiles that divide neither N nor V
    LinearPlan("vocab-blocked", 13, 128, 0, 0, 4),  # one tile
    LinearPlan("vocab-blocked", 1, 1, 0, 0, 4),  # one logit at a time
    LinearPlan("token-chunked", 5, V, 0, 0, 3),  # the two-pass form on whole rows
]


@pytest.fixture(params=["numba", "torch"])
def tiles(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The tile code: the numba row kernels (CPU default) or the plain-torch one (CUDA's)."""
    import crossentropy.torch._linear_blocked as blk

    if request.param == "numba":
        if not kernels.numba_available():
            pytest.skip("numba is not installed: the tile kernels are not the CPU default")
        assert blk._tile_kernels(torch.zeros(1)) is not None
    else:
        monkeypatch.setattr(blk, "USE_TILE_KERNELS", False)
    return str(request.param)


def make(dtype: Any = torch.float64, seed: int = 0) -> tuple[Any, ...]:
    gen = torch.Generator().manual_seed(seed)
    h = torch.randn(N, H, generator=gen, dtype=torch.float64).to(dtype).requires_grad_()
    w = (torch.randn(V, H, generator=gen, dtype=torch.float64) / 2).to(dtype).requires_grad_()
    b = torch.randn(V, generator=gen, dtype=torch.float64).to(dtype).requires_grad_()
    y = torch.randint(0, V, (N,), generator=gen)
    y[:2] = -100
    return h, w, b, y


def naive(h: Any, w: Any, b: Any, y: Any, **kw: Any) -> Any:
    cap, zl = kw.pop("softcap", None), kw.pop("z_loss", 0.0)
    cw = kw.pop("class_weight", None)
    z = h @ w.T + (0 if b is None else b)
    if cap:
        z = cap * torch.tanh(z / cap)
    reduction = kw.get("reduction", "mean")
    loss = F.cross_entropy(z, y, weight=cw, **kw)
    if zl:
        counted = y != -100
        zeta = torch.where(counted, zl * torch.logsumexp(z, 1) ** 2, 0.0)
        if reduction == "sum":
            zeta = zeta.sum()
        elif reduction == "mean":
            zeta = zeta.sum() / counted.sum()
        loss = loss + zeta
    return loss


def relative_error(ours: Any, ref: Any) -> float:
    ours, ref = ours.detach(), ref.detach()
    return float((ours - ref).abs().max() / ref.abs().max().clamp_min(1e-300))


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: f"{p.schedule}-{p.row_block}x{p.vocab_block}")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_option_matches_naive_in_float64(
    plan: LinearPlan, reduction: str, tiles: str
) -> None:
    for eps, weighted, zl, cap in itertools.product(
        [0.0, 0.2], [False, True], [0.0, 1e-2], [None, 3.0]
    ):
        h, w, b, y = make()
        cw = torch.linspace(0.5, 2.0, V, dtype=torch.float64) if weighted else None
        kw = {
            "reduction": reduction,
            "label_smoothing": eps,
            "class_weight": cw,
            "z_loss": zl,
            "softcap": cap,
        }
        ours = linear_cross_entropy(h, w, y, b, plan=plan, **kw)
        ref = naive(h, w, b, y, **kw)
        grad_out = (
            torch.rand(ref.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
            + 0.5
        )
        mine = torch.autograd.grad(ours, (h, w, b), grad_out)
        theirs = torch.autograd.grad(ref, (h, w, b), grad_out)
        assert ours.shape == ref.shape
        for a, r in zip((ours, *mine), (ref, *theirs), strict=True):
            assert relative_error(a, r) <= 1e-12, (kw, relative_error(a, r))


def test_gradcheck_through_the_soft_cap_and_the_z_loss(tiles: str) -> None:
    h, w, b, y = make()

    def f(h: Any, w: Any, b: Any) -> Any:
        return linear_cross_entropy(
            h, w, y, b, softcap=2.0, z_loss=0.05, label_smoothing=0.1, plan=PLANS[0]
        )

    assert torch.autograd.gradcheck(f, (h, w, b))


def test_return_lse_gives_lse_z_loss_and_correct_rows_and_the_lse_is_differentiable(
    tiles: str,
) -> None:
    h, w, b, y = make()
    out = linear_cross_entropy(h, w, y, b, z_loss=1e-3, return_lse=True, plan=PLANS[0])
    assert isinstance(out, LinearCrossEntropyOutput)
    z = h @ w.T + b
    lse = torch.logsumexp(z, 1)
    counted = y != -100
    assert torch.allclose(out.lse, lse, rtol=1e-14, atol=0)
    assert torch.equal(out.correct, (z.argmax(1) == y) & counted)
    z_mean = (1e-3 * torch.where(counted, lse**2, 0.0)).sum() / counted.sum()
    assert torch.allclose(out.z_loss, z_mean, rtol=1e-13)
    assert torch.allclose(out.loss, F.cross_entropy(z, y) + z_mean, rtol=1e-13)
    mine = torch.autograd.grad(out.loss + out.lse.square().sum() + out.z_loss, (h, w, b))
    theirs = torch.autograd.grad(F.cross_entropy(z, y) + 2 * z_mean + lse.square().sum(), (h, w, b))
    for a, r in zip(mine, theirs, strict=True):
        assert relative_error(a, r) <= 1e-12


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_in_the_blocked_schedule_is_no_worse_than_naive(
    dtype: Any, tiles: str
) -> None:
    h64, w64, _, y = make()
    h, w = (t.detach().to(dtype).requires_grad_() for t in (h64, w64))
    he, we = (t.detach().double().requires_grad_() for t in (h, w))  # the same values, exactly
    truth = torch.autograd.grad(naive(he, we, None, y, label_smoothing=0.1), (he, we))
    loss = linear_cross_entropy(h, w, y, label_smoothing=0.1, plan=PLANS[0])
    ours = torch.autograd.grad(loss, (h, w))
    theirs = torch.autograd.grad(naive(h, w, None, y, label_smoothing=0.1), (h, w))
    for mine, other, exact in zip(ours, theirs, truth, strict=True):
        assert mine.dtype == dtype
        assert relative_error(mine.double(), exact) <= relative_error(other.double(), exact) + 1e-3


def test_the_plan_follows_the_memory_budget() -> None:
    mib = 1 << 20
    chunked = plan_linear_cross_entropy(2048, 512, 65536)
    assert (chunked.schedule, chunked.row_block, chunked.matmuls) == ("token-chunked", 192, 3)
    blocked = plan_linear_cross_entropy(4096, 1024, 128256)
    assert (blocked.schedule, blocked.row_block, blocked.vocab_block) == (
        "vocab-blocked",
        4096,
        3072,
    )
    assert blocked.matmuls == 4
    for shape in [
        (2048, 512, 65536),
        (4096, 1024, 128256),
        (8192, 2048, 32000),
        (100_000, 64, 10**6),
    ]:
        for budget in [mib, 64 * mib, 1 << 30]:
            plan = plan_linear_cross_entropy(*shape, memory_budget=budget)
            assert plan.tile_bytes <= budget, (shape, budget, plan)
    big = plan_linear_cross_entropy(4096, 1024, 128256, memory_budget=1 << 30)
    assert (big.schedule, big.row_block, big.matmuls) == ("token-chunked", 1024, 3)
    wide = plan_linear_cross_entropy(100_000, 64, 10**6)
    assert (wide.schedule, wide.row_block, wide.vocab_block) == ("vocab-blocked", 8192, 1536)
    with pytest.raises(
        ValueError,
        match=r"memory_budget must hold at least one row of a 128-class tile \(512 bytes here\) "
        r"besides a quarter kept for workspace, got 100",
    ):
        plan_linear_cross_entropy(10, 8, 1000, memory_budget=100)


def test_the_default_plan_never_builds_the_logits(monkeypatch: pytest.MonkeyPatch) -> None:
    import crossentropy.torch._linear_blocked as blk

    seen: list[tuple[int, int]] = []
    original = blk._tile

    def spy(h: Any, w_blk: Any, b_blk: Any, out: Any) -> Any:
        seen.append(tuple(out.shape))
        return original(h, w_blk, b_blk, out)

    monkeypatch.setattr(blk, "_tile", spy)
    h, w, b, y = make()
    budget = 4 * V * 8  # float64: 3 rows of all 37 classes after the reserve, not 13
    plan = plan_linear_cross_entropy(N, H, V, dtype=torch.float64, memory_budget=budget)
    assert plan.schedule == "vocab-blocked"
    linear_cross_entropy(h, w, y, b, memory_budget=budget).backward()
    assert seen
    assert all(rows * cols * 8 <= budget for rows, cols in seen)
    assert max(rows * cols for rows, cols in seen) < N * V


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"softcap": 0.0}, ValueError, "softcap must be a finite float > 0"),
        ({"softcap": -1.0}, ValueError, "softcap"),
        ({"softcap": float("inf")}, ValueError, "softcap"),
        ({"z_loss": -0.1}, ValueError, "z_loss must be a float >= 0"),
        (
            {"class_weight": torch.ones(3, dtype=torch.float64)},
            ValueError,
            r"class_weight must have shape \(37,\)",
        ),
        (
            {"class_weight": torch.ones(V, dtype=torch.int64)},
            TypeError,
            "class_weight must be a floating-point",
        ),
        (
            {"class_weight": -torch.ones(V, dtype=torch.float64)},
            ValueError,
            "found -1.0 at index 0",
        ),
        ({"memory_budget": 10}, ValueError, "memory_budget must hold at least one row"),
        ({"plan": "blocked"}, TypeError, "plan must be a LinearPlan"),
    ],
)
def test_bad_options_are_named(change: dict[str, Any], error: type[Exception], match: str) -> None:
    h, w, b, y = make()
    with pytest.raises(error, match=match):
        linear_cross_entropy(h, w, y, b, **change)


def test_double_backward_is_refused_in_the_blocked_schedule() -> None:
    h, w, b, y = make()
    loss = linear_cross_entropy(h, w, y, b, plan=PLANS[0])
    with pytest.raises(RuntimeError, match="double backward"):
        torch.autograd.grad(loss, h, create_graph=True)


def test_gradient_filtering_is_off_by_default_and_bounded_when_on(tiles: str) -> None:
    h, w, b, y = make()
    exact = torch.autograd.grad(naive(h, w, b, y), (h, w, b))
    for threshold in [1e-12, 1e-3, 1e-1]:
        loss = linear_cross_entropy(h, w, y, b, plan=PLANS[0], grad_filter=threshold)
        assert relative_error(loss, naive(h, w, b, y)) <= 1e-12  # the loss stays exact
        filtered = torch.autograd.grad(loss, (h, w, b))
        # a skipped tile holds entries below the threshold only, so an entry of the
        # weight (bias) gradient moves by at most N x threshold x max|h| (N x threshold),
        # one of the hidden gradient by at most V x threshold x max|W|
        drift = [float((a - r).abs().max()) for a, r in zip(filtered, exact, strict=True)]
        assert drift[0] <= V * threshold * float(w.detach().abs().max()) + 1e-15
        assert drift[1] <= N * threshold * float(h.detach().abs().max()) + 1e-15
        assert drift[2] <= N * threshold + 1e-15
        if threshold == 1e-1:
            assert max(drift) > 0  # something was skipped: the check can fail
    tiny = linear_cross_entropy(h, w, y, b, plan=PLANS[0], grad_filter=1e-30)
    for a, r in zip(torch.autograd.grad(tiny, (h, w, b)), exact, strict=True):
        assert relative_error(a, r) <= 1e-12
    with pytest.raises(ValueError, match="grad_filter must be a finite float >= 0"):
        linear_cross_entropy(h, w, y, b, grad_filter=-1.0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_takes_z_loss_softcap_and_return_lse(reduction: str) -> None:
    from crossentropy.torch import CrossEntropyOutput, cross_entropy

    gen = torch.Generator().manual_seed(4)
    z = torch.randn(9, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 6, (9,), generator=gen)
    y[0] = -100
    out = cross_entropy(z, y, reduction=reduction, z_loss=0.02, softcap=2.5, return_lse=True)
    assert isinstance(out, CrossEntropyOutput)
    capped = 2.5 * torch.tanh(z / 2.5)
    lse = torch.logsumexp(capped, 1)
    counted = y != -100
    zeta = torch.where(counted, 0.02 * lse**2, 0.0)
    zeta = {"none": zeta, "sum": zeta.sum(), "mean": zeta.sum() / counted.sum()}[reduction]
    ref = F.cross_entropy(capped, y, reduction=reduction) + zeta
    assert relative_error(out.loss, ref) <= 1e-14
    assert relative_error(out.lse, lse) <= 1e-14
    assert torch.equal(out.correct, (capped.argmax(1) == y) & counted)
    mine = torch.autograd.grad(out.loss.sum(), z)[0]
    theirs = torch.autograd.grad(ref.sum(), z)[0]
    assert relative_error(mine, theirs) <= 1e-13
    with pytest.raises(ValueError, match="softcap must be a finite float > 0"):
        cross_entropy(z, y, softcap=0.0)
    with pytest.raises(ValueError, match="z_loss must be a float >= 0"):
        cross_entropy(z, y, z_loss=-1.0)


def test_non_finite_hidden_propagates_nan_as_naive_does(tiles: str) -> None:
    h, w, b, y = make()
    h = h.detach().clone()
    h[3, 1] = float("nan")
    h.requires_grad_()
    for plan in PLANS:
        ours = linear_cross_entropy(h, w, y, b, reduction="none", plan=plan)
        ref = naive(h, w, b, y, reduction="none")
        assert torch.equal(torch.isnan(ours), torch.isnan(ref))
        assert bool(torch.isnan(ours[3]))


@pytest.mark.parametrize("plan", PLANS[:2], ids=["tiles", "one-tile"])
def test_float32_gradients_within_1e5_of_float64(plan: LinearPlan, tiles: str) -> None:
    h64, w64, b64, y = make(seed=2)
    kw = {"label_smoothing": 0.1, "z_loss": 1e-3, "softcap": 5.0}
    exact = torch.autograd.grad(naive(h64, w64, b64, y, **kw), (h64, w64, b64))
    h, w, b = (t.detach().float().requires_grad_() for t in (h64, w64, b64))
    ours = torch.autograd.grad(linear_cross_entropy(h, w, y, b, plan=plan, **kw), (h, w, b))
    for mine, truth in zip(ours, exact, strict=True):
        assert mine.dtype == torch.float32
        assert relative_error(mine.double(), truth) <= 1e-5
