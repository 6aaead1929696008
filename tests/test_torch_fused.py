"""``crossentropy.torch.cross_entropy`` against ``torch.nn.functional.cross_entropy``.

Oracles: PyTorch's own ``F.cross_entropy`` and its autograd (float64, and float64 again
as the reference that half precision is measured against), ``torch.autograd.gradcheck``
(central finite differences in float64). Every comparison on the fused path also asserts
that the fused Function ran, so a silent fallback to PyTorch cannot pass for a match.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from crossentropy.torch import CrossEntropyLoss, cross_entropy  # noqa: E402

REDUCTIONS = ["mean", "sum", "none"]
SHAPES = [(7, 5), (3, 4, 6), (2, 3, 4, 2)]


def fused(loss: Any) -> bool:
    return type(loss.grad_fn).__name__ == "_FusedCrossEntropyBackward"


def make(
    shape: tuple[int, ...], dtype: Any = torch.float64, seed: int = 0, ignore: int = 1
) -> tuple[Any, Any]:
    """Logits of ``shape`` and labels with ``ignore`` entries set to -100."""
    gen = torch.Generator().manual_seed(seed)
    x = (3 * torch.randn(shape, generator=gen, dtype=torch.float64)).to(dtype)
    y = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=gen)
    y.view(-1)[:ignore] = -100
    return x, y


def loss_and_grad(fn: Any, x: Any, y: Any, seed: int = 1, **kw: Any) -> tuple[Any, Any, Any]:
    """The loss, the gradient for a random grad_output, and the loss object."""
    x = x.detach().clone().requires_grad_()
    loss = fn(x, y, **kw)
    gen = torch.Generator().manual_seed(seed)
    grad_out = torch.rand(loss.shape, generator=gen, dtype=torch.float64).to(loss.dtype) + 0.5
    (grad,) = torch.autograd.grad(loss, x, grad_out)
    return loss.detach(), grad, loss


# --------------------------------------------------------------------------------------
# Values and gradients against PyTorch
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
@pytest.mark.parametrize("weighted", [False, True])
def test_float64_matches_torch(
    shape: tuple[int, ...], reduction: str, smoothing: float, weighted: bool
) -> None:
    x, y = make(shape)
    w = torch.linspace(0.2, 2.0, shape[1], dtype=torch.float64) if weighted else None
    kw = {"weight": w, "reduction": reduction, "label_smoothing": smoothing}
    ours, grad, loss = loss_and_grad(cross_entropy, x, y, **kw)
    ref, ref_grad, _ = loss_and_grad(F.cross_entropy, x, y, **kw)
    assert fused(loss)
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12, atol=1e-14)
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad.numpy(), ref_grad.numpy(), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_float32_matches_torch(reduction: str) -> None:
    x, y = make((64, 300), torch.float32, ignore=5)
    w = torch.rand(300, generator=torch.Generator().manual_seed(3)) + 0.1
    kw = {"weight": w, "reduction": reduction, "label_smoothing": 0.05}
    ours, grad, loss = loss_and_grad(cross_entropy, x, y, **kw)
    ref, ref_grad, _ = loss_and_grad(F.cross_entropy, x, y, **kw)
    assert fused(loss)
    assert ours.dtype == grad.dtype == torch.float32
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=2e-6)
    scale = float(ref_grad.abs().max())
    np.testing.assert_allclose(grad.numpy(), ref_grad.numpy(), rtol=0, atol=2e-6 * scale)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_half_precision_is_no_worse_than_torch(dtype: Any, reduction: str) -> None:
    """Against float64 on the same (rounded) inputs, our error <= PyTorch's + one ulp."""
    x, y = make((32, 50), dtype, ignore=3)
    exact, exact_grad, _ = loss_and_grad(F.cross_entropy, x.double(), y, reduction=reduction)
    ours, grad, loss = loss_and_grad(cross_entropy, x, y, reduction=reduction)
    ref, ref_grad, _ = loss_and_grad(F.cross_entropy, x, y, reduction=reduction)
    assert fused(loss)
    assert ours.dtype == grad.dtype == dtype
    ulp = float(torch.finfo(dtype).eps)
    for mine, theirs, truth in ((ours, ref, exact), (grad, ref_grad, exact_grad)):
        err = float((mine.double() - truth).abs().max())
        err_torch = float((theirs.double() - truth).abs().max())
        assert err <= err_torch + ulp * float(truth.abs().max()), (err, err_torch)


def test_autocast_gives_a_float32_loss_as_torch() -> None:
    x, y = make((16, 9), torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours, grad, loss = loss_and_grad(cross_entropy, x, y, label_smoothing=0.1)
        ref, ref_grad, _ = loss_and_grad(F.cross_entropy, x, y, label_smoothing=0.1)
    assert fused(loss)
    assert ours.dtype == ref.dtype == torch.float32
    assert grad.dtype == ref_grad.dtype == torch.bfloat16
    torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-2, atol=1e-3)


def test_ignore_index_may_be_a_class() -> None:
    x, y = make((9, 4), ignore=0)
    for reduction in REDUCTIONS:
        ours, grad, loss = loss_and_grad(cross_entropy, x, y, ignore_index=2, reduction=reduction)
        ref, ref_grad, _ = loss_and_grad(F.cross_entropy, x, y, ignore_index=2, reduction=reduction)
        assert fused(loss)
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12)
        np.testing.assert_allclose(grad.numpy(), ref_grad.numpy(), rtol=1e-12, atol=1e-15)
        assert torch.all(grad[y == 2] == 0)


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_all_ignored(smoothing: float) -> None:
    x, y = make((4, 3), ignore=4)
    for reduction, expected in (("mean", np.nan), ("sum", 0.0)):
        ours, grad, loss = loss_and_grad(
            cross_entropy, x, y, reduction=reduction, label_smoothing=smoothing
        )
        ref, ref_grad, _ = loss_and_grad(
            F.cross_entropy, x, y, reduction=reduction, label_smoothing=smoothing
        )
        assert fused(loss)
        np.testing.assert_equal(ours.item(), expected)
        np.testing.assert_equal(ref.item(), expected)
        assert torch.equal(grad, torch.zeros_like(x))
        assert torch.equal(ref_grad, torch.zeros_like(x))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_empty_batch(reduction: str) -> None:
    x = torch.zeros((0, 5), dtype=torch.float64)
    y = torch.zeros(0, dtype=torch.long)
    ours, grad, loss = loss_and_grad(cross_entropy, x, y, reduction=reduction)
    ref = F.cross_entropy(x, y, reduction=reduction)
    assert fused(loss)
    np.testing.assert_equal(ours.numpy(), ref.numpy())
    assert grad.shape == (0, 5)


def test_integer_target_dtypes() -> None:
    """int64 and uint8 as PyTorch; other integer dtypes are accepted too."""
    x, y = make((6, 5), ignore=0)
    ref = F.cross_entropy(x, y)
    for dtype in (torch.int64, torch.uint8, torch.int32, torch.int16):
        assert torch.equal(cross_entropy(x, y.to(dtype)), ref)


def test_non_contiguous_input_and_input_untouched() -> None:
    base, _ = make((6, 10))
    x = base.T  # (10, 6), non-contiguous
    y = torch.tensor([0, 5, 2, -100, 3, 3, 1, 4, 0, 2])
    assert not x.is_contiguous()
    before = x.clone()
    ours, grad, loss = loss_and_grad(cross_entropy, x, y, reduction="none")
    ref, ref_grad, _ = loss_and_grad(F.cross_entropy, x, y, reduction="none")
    assert fused(loss)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad.numpy(), ref_grad.numpy(), rtol=1e-12, atol=1e-15)
    # Contiguous float32/float64 logits are read in place (zero copy) and never written.
    x = before.contiguous().requires_grad_()
    kept = x.detach().clone()
    cross_entropy(x, y).backward()
    assert torch.equal(x.detach(), kept)


# --------------------------------------------------------------------------------------
# Autograd behaviour
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 3)])
def test_gradcheck(reduction: str, shape: tuple[int, ...]) -> None:
    x, y = make(shape)
    x.requires_grad_()
    w = torch.tensor([0.5, 1.0, 2.0, 1.5][: shape[1]], dtype=torch.float64)

    def fn(logits: Any) -> Any:
        return cross_entropy(logits, y, w, reduction=reduction, label_smoothing=0.1)

    assert fused(fn(x))
    assert torch.autograd.gradcheck(fn, (x,), eps=1e-6, atol=1e-8, rtol=1e-6)


def test_backward_scales_out_of_place_when_graph_is_retained() -> None:
    """retain_graph=True: a second backward must see the unscaled saved gradient."""
    x, y = make((6, 4))
    x.requires_grad_()
    loss = cross_entropy(x, y)
    (3.0 * loss).backward(retain_graph=True)
    first = x.grad.clone()
    x.grad = None
    (2.0 * loss).backward()  # the last backward may scale the saved buffer in place
    ref = torch.autograd.grad(F.cross_entropy(x, y), x)[0]
    np.testing.assert_allclose(first.numpy(), 3.0 * ref.numpy(), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * ref.numpy(), rtol=1e-12, atol=1e-16)


def test_plain_backward_may_scale_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-place scaling is really used when the graph is freed (not always a copy)."""
    import crossentropy.torch._autograd as module

    answers: list[bool] = []
    original = module.may_overwrite_saved

    def spy() -> bool:
        answers.append(original())
        return answers[-1]

    monkeypatch.setattr(module, "may_overwrite_saved", spy)
    x, y = make((5, 4))
    x.requires_grad_()
    (2.0 * cross_entropy(x, y)).backward()
    assert answers == [True]
    ref = torch.autograd.grad(2.0 * F.cross_entropy(x, y), x)[0]
    np.testing.assert_allclose(x.grad.numpy(), ref.numpy(), rtol=1e-12, atol=1e-16)


def test_none_reduction_scales_each_row() -> None:
    x, y = make((5, 3))
    x.requires_grad_()
    rows = cross_entropy(x, y, reduction="none")
    weights = torch.tensor([1.0, -2.0, 0.0, 0.5, 3.0], dtype=torch.float64)
    (rows * weights).sum().backward()
    ref = torch.autograd.grad((F.cross_entropy(x, y, reduction="none") * weights).sum(), x)[0]
    np.testing.assert_allclose(x.grad.numpy(), ref.numpy(), rtol=1e-12, atol=1e-16)


def test_double_backward_is_refused() -> None:
    x, y = make((4, 3))
    x.requires_grad_()
    with pytest.raises(RuntimeError, match="does not support double backward"):
        torch.autograd.grad(cross_entropy(x, y), x, create_graph=True)


def test_gradient_flows_to_upstream_parameters() -> None:
    gen = torch.Generator().manual_seed(4)
    layer = torch.nn.Linear(6, 5).double()
    h = torch.randn(8, 6, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 5, (8,), generator=gen)
    cross_entropy(layer(h), y, label_smoothing=0.2).backward()
    ours = [p.grad.clone() for p in layer.parameters()]
    layer.zero_grad()
    F.cross_entropy(layer(h), y, label_smoothing=0.2).backward()
    for mine, ref in zip(ours, (p.grad for p in layer.parameters()), strict=True):
        np.testing.assert_allclose(mine.numpy(), ref.numpy(), rtol=1e-12, atol=1e-16)


# --------------------------------------------------------------------------------------
# inplace_backward
# --------------------------------------------------------------------------------------


def test_inplace_backward_writes_the_gradient_over_the_logits() -> None:
    x, y = make((6, 5))
    reference = x.clone().requires_grad_()
    ref_loss = F.cross_entropy(reference, y, label_smoothing=0.1)
    (ref_grad,) = torch.autograd.grad(ref_loss, reference)
    a = x.clone().requires_grad_()
    logits = a * 1.0  # a non-leaf, like the output of the last linear layer
    version = logits._version
    loss = cross_entropy(logits, y, label_smoothing=0.1, inplace_backward=True)
    assert fused(loss)
    assert logits._version > version  # autograd is told the values changed
    # The logits' memory now holds d loss / d logits: no extra buffer was used.
    np.testing.assert_allclose(logits.detach().numpy(), ref_grad.numpy(), rtol=1e-12, atol=1e-16)
    (3.0 * loss).backward()
    np.testing.assert_allclose(a.grad.numpy(), 3.0 * ref_grad.numpy(), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=1e-12)


def test_inplace_backward_refuses_a_leaf() -> None:
    x, y = make((4, 3))
    x.requires_grad_()
    with pytest.raises(ValueError, match="leaf tensor"):
        cross_entropy(x, y, inplace_backward=True)


def test_inplace_backward_is_caught_when_logits_were_saved() -> None:
    """exp saves its output for backward: overwriting it must fail loudly, not silently."""
    x, y = make((4, 3))
    x.requires_grad_()
    logits = torch.exp(x)
    loss = cross_entropy(logits, y, inplace_backward=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_inplace_backward_leaves_copied_inputs_alone() -> None:
    """Half precision and N-D inputs are copied anyway; the caller's tensor is kept."""
    for x, y in (make((5, 4), torch.bfloat16), make((2, 4, 3))):
        logits = x.clone().requires_grad_() * 1
        kept = logits.detach().clone()
        cross_entropy(logits, y, inplace_backward=True).backward()
        assert torch.equal(logits.detach(), kept)


# --------------------------------------------------------------------------------------
# Non-finite logits
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nan_logits_propagate_as_in_torch(reduction: str) -> None:
    x, y = make((5, 4), ignore=0)
    x[2, 1] = np.nan
    ours, grad, _ = loss_and_grad(cross_entropy, x, y, reduction=reduction)
    ref, ref_grad, _ = loss_and_grad(F.cross_entropy, x, y, reduction=reduction)
    assert torch.isnan(ours).any()
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(grad.numpy(), ref_grad.numpy(), rtol=1e-12, equal_nan=True)
    with torch.no_grad():
        np.testing.assert_allclose(
            cross_entropy(x, y, reduction=reduction).numpy(), ref.numpy(), equal_nan=True
        )


def test_nan_logits_with_inplace_backward_raise() -> None:
    x, y = make((5, 4))
    x[2, 1] = np.nan
    logits = x.requires_grad_() * 1
    with pytest.raises(ValueError, match="NaN"):
        cross_entropy(logits, y, inplace_backward=True)


def test_infinite_logits_follow_the_kernel_limits() -> None:
    """The one documented difference: +inf at the target gives 0 (PyTorch: NaN)."""
    x = torch.tensor([[np.inf, 0.0], [0.0, np.inf], [1.0, 2.0]], dtype=torch.float64)
    y = torch.tensor([0, 0, 1])
    rows = cross_entropy(x, y, reduction="none")
    assert rows[0].item() == 0.0
    assert rows[1].item() == np.inf
    assert rows[2].item() == pytest.approx(F.cross_entropy(x[2:], y[2:]).item(), rel=1e-12)
    assert torch.isnan(F.cross_entropy(x, y, reduction="none")[:2]).all()


# --------------------------------------------------------------------------------------
# Fallbacks and errors
# --------------------------------------------------------------------------------------


def test_no_grad_path_matches_and_builds_no_graph() -> None:
    x, y = make((7, 6))
    x.requires_grad_()
    with torch.no_grad():
        loss = cross_entropy(x, y, label_smoothing=0.2)
    assert loss.grad_fn is None
    ref = F.cross_entropy(x.detach(), y, label_smoothing=0.2)
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-12)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (torch.randn(4, generator=torch.Generator().manual_seed(0)), torch.tensor(2)),
        (
            torch.randn(3, 4, generator=torch.Generator().manual_seed(1)),
            torch.softmax(torch.randn(3, 4, generator=torch.Generator().manual_seed(2)), 1),
        ),
    ],
    ids=["unbatched", "probabilities"],
)
def test_falls_back_to_torch(x: Any, y: Any) -> None:
    x = x.double().requires_grad_()
    y = y.double() if y.is_floating_point() else y
    loss = cross_entropy(x, y, label_smoothing=0.1)
    assert not fused(loss)
    ref = F.cross_entropy(x, y, label_smoothing=0.1)
    assert torch.equal(loss, ref)


def test_torch_errors_are_kept_on_fallback() -> None:
    x, _ = make((4, 3))
    with pytest.raises(ValueError, match=r"batch_size \(4\) to match target batch_size \(5\)"):
        cross_entropy(x, torch.zeros(5, dtype=torch.long))  # target of the wrong length


def test_bad_label_names_its_index() -> None:
    x, _ = make((4, 3))
    with pytest.raises(ValueError, match=r"found 7 at index \[2\]"):
        cross_entropy(x, torch.tensor([0, 1, 7, 2]))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"reduction": "avg"}, ValueError, "reduction"),
        ({"label_smoothing": 1.5}, ValueError, "label_smoothing"),
        ({"ignore_index": 1.0}, TypeError, "ignore_index"),
        ({"inplace_backward": 1}, TypeError, "inplace_backward"),
    ],
)
def test_option_errors(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    x, y = make((4, 3))
    with pytest.raises(error, match=match):
        cross_entropy(x, y, **kwargs)


def test_negative_class_weight_is_an_error() -> None:
    x, y = make((4, 3))
    with pytest.raises(ValueError, match="weight"):
        cross_entropy(x, y, torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64))


# --------------------------------------------------------------------------------------
# Module, public surface, light import
# --------------------------------------------------------------------------------------


def test_module_matches_torch_module() -> None:
    x, y = make((8, 4), ignore=2)
    w = torch.tensor([1.0, 2.0, 0.5, 1.0], dtype=torch.float64)
    criterion = CrossEntropyLoss(w, reduction="sum", label_smoothing=0.1, ignore_index=-100)
    ref_module = torch.nn.CrossEntropyLoss(w, reduction="sum", label_smoothing=0.1)
    ours, grad, loss = loss_and_grad(criterion, x, y)
    ref, ref_grad, _ = loss_and_grad(ref_module, x, y)
    assert fused(loss)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad.numpy(), ref_grad.numpy(), rtol=1e-12, atol=1e-16)
    assert torch.equal(criterion.state_dict()["weight"], w)
    assert "label_smoothing=0.1" in repr(criterion)
    with pytest.raises(ValueError, match="reduction"):
        CrossEntropyLoss(reduction="bad")  # type: ignore[arg-type]


def test_public_surface() -> None:
    import inspect

    import crossentropy.torch as ct

    assert ct.__all__ == sorted(ct.__all__)
    public = {
        name
        for name, value in vars(ct).items()
        if not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
    }
    assert public == set(ct.__all__)
    for name in ct.__all__:
        assert inspect.getdoc(getattr(ct, name))


def test_import_crossentropy_does_not_import_torch() -> None:
    code = (
        "import sys, crossentropy, crossentropy.kernels; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_torch_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "try:\n    import crossentropy.torch\n"
        "except ImportError as err:\n    print(err)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert "pip install 'crossentropy[torch]'" in out.stdout


@pytest.mark.gpu
def test_cuda_falls_back_to_torch() -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    x, y = make((6, 5))
    x, y = x.cuda().requires_grad_(), y.cuda()
    loss = cross_entropy(x, y, label_smoothing=0.1)
    assert not fused(loss)
    assert torch.equal(loss, F.cross_entropy(x, y, label_smoothing=0.1))
