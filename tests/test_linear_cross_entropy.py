"""``crossentropy.torch.linear_cross_entropy`` against the naive PyTorch expression.

Oracle: ``F.cross_entropy(hidden @ weight.T + bias, labels)`` and its autograd (in
float64, also as the reference that float32 and bfloat16 are measured against), and
``torch.autograd.gradcheck`` (central finite differences in float64). Both chunk steps
run: the fused CPU kernel and the plain-torch step that CUDA uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import crossentropy.torch._linear_chunks as lin  # noqa: E402
from crossentropy import kernels  # noqa: E402
from crossentropy.torch import LinearCrossEntropyLoss, linear_cross_entropy  # noqa: E402

REDUCTIONS = ["mean", "sum", "none"]


@pytest.fixture(params=["kernel", "torch"])
def step(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run with the fused-kernel chunk step (CPU default) and with the plain-torch one."""
    if request.param == "kernel":
        if not kernels.numba_available():
            pytest.skip("numba is not installed: the kernel step is not the CPU default")
        assert lin.select_step(torch.device("cpu")) is lin._chunk_step_kernel
    else:
        monkeypatch.setattr(lin, "select_step", lambda device: lin._chunk_step_torch)
    return str(request.param)


def make(
    n: int = 13,
    h: int = 5,
    v: int = 7,
    dtype: Any = torch.float64,
    *,
    bias: bool = True,
    ignore: int = 2,
    seed: int = 0,
) -> tuple[Any, Any, Any, Any]:
    gen = torch.Generator().manual_seed(seed)
    hidden = torch.randn(n, h, generator=gen, dtype=torch.float64).to(dtype)
    weight = (torch.randn(v, h, generator=gen, dtype=torch.float64) / h**0.5).to(dtype)
    b = torch.randn(v, generator=gen, dtype=torch.float64).to(dtype) if bias else None
    labels = torch.randint(0, v, (n,), generator=gen)
    labels[: min(ignore, n)] = -100
    return hidden, weight, b, labels


def naive(hidden: Any, weight: Any, labels: Any, bias: Any = None, **kw: Any) -> Any:
    kw.pop("chunk_size", None)
    logits = hidden @ weight.T
    if bias is not None:
        logits = logits + bias
    return F.cross_entropy(logits, labels, **kw)


def run(fn: Any, hidden: Any, weight: Any, bias: Any, labels: Any, **kw: Any) -> tuple[Any, ...]:
    """The loss and the gradients of hidden, weight, bias for a random grad_output."""
    leaves = [t.detach().clone().requires_grad_() for t in (hidden, weight)]
    if bias is not None:
        leaves.append(bias.detach().clone().requires_grad_())
    loss = fn(leaves[0], leaves[1], labels, leaves[2] if bias is not None else None, **kw)
    gen = torch.Generator().manual_seed(7)
    grad_out = (torch.rand(loss.shape, generator=gen, dtype=torch.float64) + 0.5).to(loss.dtype)
    grads = torch.autograd.grad(loss, leaves, grad_out)
    return (loss.detach(), *grads)


def assert_close(ours: tuple[Any, ...], ref: tuple[Any, ...], rtol: float, atol: float) -> None:
    assert len(ours) == len(ref)
    for mine, theirs in zip(ours, ref, strict=True):
        assert mine.shape == theirs.shape
        assert mine.dtype == theirs.dtype
        np.testing.assert_allclose(
            mine.double().numpy(), theirs.double().numpy(), rtol=rtol, atol=atol, equal_nan=True
        )


# --------------------------------------------------------------------------------------
# Parity with the naive expression
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("chunk_size", [4, 13, 100])  # divides N no / exactly / N < chunk
@pytest.mark.parametrize("bias", [True, False])
def test_float64_matches_naive(
    step: str, reduction: str, smoothing: float, chunk_size: int, bias: bool
) -> None:
    hidden, weight, b, labels = make(bias=bias)
    kw = {"reduction": reduction, "label_smoothing": smoothing, "chunk_size": chunk_size}
    ours = run(linear_cross_entropy, hidden, weight, b, labels, **kw)
    ref = run(naive, hidden, weight, b, labels, **kw)
    assert_close(ours, ref, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_one_row_chunks(step: str, reduction: str) -> None:
    hidden, weight, b, labels = make()
    kw = {"reduction": reduction, "label_smoothing": 0.1, "chunk_size": 1}
    ours = run(linear_cross_entropy, hidden, weight, b, labels, **kw)
    ref = run(naive, hidden, weight, b, labels, **kw)
    assert_close(ours, ref, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_float32_relative_error(step: str, reduction: str) -> None:
    """Against the float64 naive result: relative (norm) error <= 1e-5 everywhere."""
    hidden, weight, b, labels = make(96, 32, 500, torch.float32, ignore=7)
    kw = {"reduction": reduction, "label_smoothing": 0.1, "chunk_size": 40}
    ours = run(linear_cross_entropy, hidden, weight, b, labels, **kw)
    exact = run(naive, hidden.double(), weight.double(), b.double(), labels, **kw)
    for mine, truth in zip(ours, exact, strict=True):
        assert mine.dtype == torch.float32
        rel = float(torch.linalg.norm(mine.double() - truth) / torch.linalg.norm(truth))
        assert rel <= 1e-5, rel


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_is_no_worse_than_naive(step: str, dtype: Any) -> None:
    """Accumulating in float32 must do at least as well as the naive half computation."""
    hidden, weight, b, labels = make(40, 16, 300, dtype, ignore=3)
    kw = {"label_smoothing": 0.1, "chunk_size": 16}
    ours = run(linear_cross_entropy, hidden, weight, b, labels, **kw)
    theirs = run(naive, hidden, weight, b, labels, **kw)
    exact = run(naive, hidden.double(), weight.double(), b.double(), labels, **kw)
    ulp = float(torch.finfo(dtype).eps)
    for mine, other, truth in zip(ours, theirs, exact, strict=True):
        assert mine.dtype == dtype
        err = float(torch.linalg.norm(mine.double() - truth))
        err_naive = float(torch.linalg.norm(other.double() - truth))
        assert err <= err_naive + ulp * float(torch.linalg.norm(truth)), (err, err_naive)


def test_mixed_dtypes_compute_in_float32(step: str) -> None:
    """bfloat16 activations with float32 master weights: float32 math, grads per input."""
    hidden, weight, b, labels = make(20, 8, 50, torch.float32, ignore=2)
    hidden = hidden.bfloat16()
    ours = run(linear_cross_entropy, hidden, weight, b, labels, chunk_size=8)
    ref = run(naive, hidden.float(), weight, b, labels)
    assert [t.dtype for t in ours] == [torch.float32, torch.bfloat16, torch.float32, torch.float32]
    for mine, theirs in zip(ours, ref, strict=True):
        # float32 results to float32 rounding; the bfloat16 gradient to one bfloat16 ulp
        tol = 2**-8 if mine.dtype == torch.bfloat16 else 1e-5
        torch.testing.assert_close(mine.float(), theirs, rtol=tol, atol=tol * 1e-2)


def test_autocast_does_not_change_the_computation(step: str) -> None:
    hidden, weight, b, labels = make(20, 8, 50, torch.float32)
    ref = run(linear_cross_entropy, hidden, weight, b, labels, chunk_size=8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours = run(linear_cross_entropy, hidden, weight, b, labels, chunk_size=8)
        half = linear_cross_entropy(hidden.bfloat16(), weight.bfloat16(), labels)
    assert_close(ours, ref, rtol=0, atol=0)
    assert half.dtype == torch.float32  # cross-entropy is a float32 op under autocast


def test_leading_axes_are_flattened(step: str) -> None:
    hidden, weight, b, labels = make(12)
    hidden3, labels3 = hidden.reshape(3, 4, 5), labels.reshape(3, 4)
    for reduction in REDUCTIONS:
        ours = run(linear_cross_entropy, hidden3, weight, b, labels3, reduction=reduction)
        ref = run(
            lambda h, w, y, bb, **kw: naive(h.reshape(-1, 5), w, y.reshape(-1), bb, **kw).reshape(
                y.shape if kw["reduction"] == "none" else ()
            ),
            hidden3,
            weight,
            b,
            labels3,
            reduction=reduction,
        )
        assert ours[0].shape == ((3, 4) if reduction == "none" else ())
        assert_close(ours, ref, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("smoothing", [0.0, 0.4])
def test_all_ignored(step: str, smoothing: float) -> None:
    hidden, weight, b, labels = make(ignore=13)
    for reduction in ("mean", "sum"):
        kw = {"reduction": reduction, "label_smoothing": smoothing, "chunk_size": 5}
        ours = run(linear_cross_entropy, hidden, weight, b, labels, **kw)
        ref = run(naive, hidden, weight, b, labels, **kw)
        np.testing.assert_equal(ours[0].item(), np.nan if reduction == "mean" else 0.0)
        assert_close(ours, ref, rtol=0, atol=0)
        assert all(torch.count_nonzero(g) == 0 for g in ours[1:])


def test_empty_batch(step: str) -> None:
    hidden, weight, b, labels = make(0)
    for reduction in REDUCTIONS:
        ours = run(linear_cross_entropy, hidden, weight, b, labels, reduction=reduction)
        ref = run(naive, hidden, weight, b, labels, reduction=reduction)
        assert_close(ours, ref, rtol=0, atol=0)


def test_ignore_index_may_be_a_class(step: str) -> None:
    hidden, weight, b, labels = make(ignore=0)
    ours = run(linear_cross_entropy, hidden, weight, b, labels, ignore_index=3, chunk_size=4)
    ref = run(naive, hidden, weight, b, labels, ignore_index=3)
    assert_close(ours, ref, rtol=1e-12, atol=1e-13)


def test_uint8_labels_are_not_taken_modulo_256(step: str) -> None:
    """Label 156 is a class, not ignore_index=-100 (torch's uint8 comparison wraps)."""
    hidden, weight, b, _ = make(4, 3, 200)
    labels = torch.tensor([156, 3, 199, 0], dtype=torch.uint8)
    ours = run(linear_cross_entropy, hidden, weight, b, labels, chunk_size=3)
    ref = run(naive, hidden, weight, b, labels.long())
    assert_close(ours, ref, rtol=1e-12, atol=1e-13)


def test_nan_propagates_as_in_naive(step: str) -> None:
    hidden, weight, b, labels = make(ignore=0)
    hidden[5, 1] = np.nan
    for reduction in REDUCTIONS:
        kw = {"reduction": reduction, "chunk_size": 4}
        ours = run(linear_cross_entropy, hidden, weight, b, labels, **kw)
        ref = run(naive, hidden, weight, b, labels, **kw)
        assert torch.isnan(ours[0]).any()
        assert_close(ours, ref, rtol=1e-12, atol=1e-13)


# --------------------------------------------------------------------------------------
# Autograd behaviour
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck(step: str, reduction: str) -> None:
    hidden, weight, b, labels = make(5, 3, 4, ignore=1)
    inputs = tuple(t.requires_grad_() for t in (hidden, weight, b))

    def fn(h: Any, w: Any, bb: Any) -> Any:
        return linear_cross_entropy(
            h, w, labels, bb, reduction=reduction, label_smoothing=0.1, chunk_size=2
        )

    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)


def test_only_requested_gradients(step: str) -> None:
    """A frozen weight (or hidden) gets no gradient; the others are still right."""
    hidden, weight, b, labels = make()
    h = hidden.clone().requires_grad_()
    w = weight.clone()  # frozen
    loss = linear_cross_entropy(h, w, labels, b, chunk_size=3)
    (grad_h,) = torch.autograd.grad(loss, h)
    (ref,) = torch.autograd.grad(naive(h, w, labels, b), h)
    np.testing.assert_allclose(grad_h.numpy(), ref.numpy(), rtol=1e-12, atol=1e-14)
    w.requires_grad_()
    (grad_w,) = torch.autograd.grad(linear_cross_entropy(hidden, w, labels, chunk_size=3), w)
    (ref,) = torch.autograd.grad(naive(hidden, w, labels), w)
    np.testing.assert_allclose(grad_w.numpy(), ref.numpy(), rtol=1e-12, atol=1e-14)


def test_retain_graph_scales_out_of_place(step: str) -> None:
    hidden, weight, b, labels = make()
    w = weight.clone().requires_grad_()
    loss = linear_cross_entropy(hidden, w, labels, b, chunk_size=5)
    (3.0 * loss).backward(retain_graph=True)
    first = w.grad.clone()
    w.grad = None
    (2.0 * loss).backward()
    (ref,) = torch.autograd.grad(naive(hidden, w, labels, b), w)
    np.testing.assert_allclose(first.numpy(), 3.0 * ref.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(w.grad.numpy(), 2.0 * ref.numpy(), rtol=1e-12, atol=1e-14)


# Dynamo itself touches .grad of non-leaf tensors while it inspects the inputs.
@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_under_torch_compile() -> None:
    """Dynamo runs the chunked loss eagerly (a graph break) and the fused CE as torch's."""
    from crossentropy.torch import cross_entropy

    hidden, weight, b, labels = make()

    def loss_fn(h: Any, w: Any) -> Any:
        return 3 * linear_cross_entropy(2 * h, w, labels, b) + cross_entropy(h @ w.T, labels)

    compiled = torch.compile(loss_fn, backend="eager", fullgraph=False)
    ours = run(lambda h, w, y, bb: compiled(h, w), hidden, weight, None, labels)

    def reference(h: Any, w: Any, y: Any, bb: Any) -> Any:
        return 3 * naive(2 * h, w, y, b) + F.cross_entropy(h @ w.T, y)

    ref = run(reference, hidden, weight, None, labels)
    assert_close(ours, ref, rtol=1e-12, atol=1e-13)


def test_double_backward_is_refused() -> None:
    hidden, weight, _, labels = make()
    w = weight.requires_grad_()
    with pytest.raises(RuntimeError, match="does not support double backward"):
        torch.autograd.grad(linear_cross_entropy(hidden, w, labels), w, create_graph=True)


def test_no_grad_path(step: str) -> None:
    hidden, weight, b, labels = make()
    for reduction in REDUCTIONS:
        with torch.no_grad():
            ours = linear_cross_entropy(
                hidden.requires_grad_(), weight, labels, b, reduction=reduction, chunk_size=3
            )
        assert ours.grad_fn is None
        ref = naive(hidden.detach(), weight, labels, b, reduction=reduction)
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12, atol=1e-13)


def test_logits_are_never_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chunk step sees at most chunk_size rows, and together they cover N once."""
    seen: list[int] = []
    inner = lin.select_step(torch.device("cpu"))

    def spy(logits: Any, labels: Any, scale: Any, opts: Any) -> Any:
        seen.append(logits.shape[0])
        return inner(logits, labels, scale, opts)

    monkeypatch.setattr(lin, "select_step", lambda device: spy)
    hidden, weight, b, labels = make(13)
    run(linear_cross_entropy, hidden, weight, b, labels, chunk_size=5)
    assert seen == [5, 5, 3]  # forward only: backward just scales the saved gradients
    seen.clear()
    run(linear_cross_entropy, hidden, weight, b, labels, chunk_size=5, reduction="none")
    assert seen == [5, 5, 3, 5, 5, 3]  # "none" recomputes the chunks in backward


def test_default_chunk_size() -> None:
    assert lin.default_chunk_size(100_000, 32_000, torch.float32) == 1024
    assert lin.default_chunk_size(100_000, 32_000, torch.bfloat16) == 1024
    assert lin.default_chunk_size(100_000, 128_256, torch.float32) == 512
    assert lin.default_chunk_size(100_000, 128_256, torch.float64) == 256
    assert lin.default_chunk_size(100_000, 256_000, torch.float32) == 256
    assert lin.default_chunk_size(100_000, 10, torch.float32) == lin.MAX_CHUNK_ROWS
    assert lin.default_chunk_size(100_000, 10**7, torch.float32) == lin.MIN_CHUNK_ROWS
    assert lin.default_chunk_size(7, 32_000, torch.float32) == 7


# --------------------------------------------------------------------------------------
# Errors and the module
# --------------------------------------------------------------------------------------


def test_bad_label_names_its_index() -> None:
    hidden, weight, _, _ = make(6)
    labels = torch.tensor([[0, 1, 2], [3, 9, -100]])
    with pytest.raises(ValueError, match=r"found 9 at index \[1, 1\]"):
        linear_cross_entropy(hidden.reshape(2, 3, 5), weight, labels)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"weight": torch.zeros(7, 5, dtype=torch.int64)}, TypeError, "weight must be real"),
        ({"weight": torch.zeros(7, 4, dtype=torch.float64)}, ValueError, "weight"),
        ({"bias": torch.zeros(6, dtype=torch.float64)}, ValueError, "bias must have shape"),
        ({"labels": torch.zeros(12, dtype=torch.long)}, ValueError, "labels must have shape"),
        ({"labels": torch.zeros(13)}, TypeError, "labels must be integer"),
        ({"hidden": np.zeros((13, 5))}, TypeError, "hidden must be a strided torch.Tensor"),
        ({"chunk_size": 0}, ValueError, "chunk_size"),
        ({"chunk_size": True}, TypeError, "chunk_size"),
        ({"reduction": "avg"}, ValueError, "reduction"),
        ({"label_smoothing": -0.1}, ValueError, "label_smoothing"),
        ({"ignore_index": None}, TypeError, "ignore_index"),
    ],
)
def test_argument_errors(change: dict[str, Any], error: type[Exception], match: str) -> None:
    hidden, weight, b, labels = make()
    args: dict[str, Any] = {"hidden": hidden, "weight": weight, "labels": labels, "bias": b}
    args.update(change)
    with pytest.raises(error, match=match):
        linear_cross_entropy(**args)


def test_module() -> None:
    hidden, weight, b, labels = make()
    criterion = LinearCrossEntropyLoss(reduction="sum", label_smoothing=0.1, chunk_size=4)
    ours = run(criterion, hidden, weight, b, labels)
    ref = run(naive, hidden, weight, b, labels, reduction="sum", label_smoothing=0.1)
    assert_close(ours, ref, rtol=1e-12, atol=1e-13)
    assert "chunk_size=4" in repr(criterion)
    with pytest.raises(ValueError, match="chunk_size"):
        LinearCrossEntropyLoss(chunk_size=-1)


@pytest.mark.gpu
def test_cuda_matches_naive() -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    assert lin.select_step(torch.device("cuda")) is lin._chunk_step_torch
    hidden, weight, b, labels = (t.cuda() for t in make(64, 16, 300, torch.float32))
    for reduction in REDUCTIONS:
        kw = {"reduction": reduction, "label_smoothing": 0.1, "chunk_size": 24}
        ours = run(linear_cross_entropy, hidden, weight, b, labels, **kw)
        ref = run(naive, hidden, weight, b, labels, **kw)
        for mine, theirs in zip(ours, ref, strict=True):
            assert mine.is_cuda
            torch.testing.assert_close(mine, theirs, rtol=1e-4, atol=1e-5)
