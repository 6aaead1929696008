r"""``torch.nn.functional.cross_entropy`` with integer targets, on the fused CPU kernel.

Notation (PyTorch's, which :mod:`crossentropy.kernels` follows): logits :math:`x`
of shape ``(N, C)``, class indices :math:`y_i`, class weights :math:`w_c`, label smoothing
:math:`\varepsilon`, and the smoothed weighted target of a counted row

.. math::

    t_{ic} = w_c \bigl((1-\varepsilon)[c = y_i] + \varepsilon / C\bigr),
    \qquad \ell_i = -\sum_c t_{ic} \log \mathrm{softmax}(x_i)_c,

(:math:`t_{i\cdot} = 0` for an ignored row). With :math:`p_i = \mathrm{softmax}(x_i)` and
:math:`T_i = \sum_c t_{ic}`, :math:`\ell_i = T_i \log\sum_c e^{x_{ic}} - \sum_c t_{ic}
x_{ic}`, so

.. math::

    \frac{\partial \ell_i}{\partial x_{ij}} = T_i\, p_{ij} - t_{ij},

and ``"mean"`` divides the sum and its gradient by :math:`\sum_i w_{y_i}` over counted
rows. The kernel computes the loss and this gradient in one pass; backward only scales it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812  (PyTorch's own spelling)
from torch import nn

from crossentropy import kernels
from crossentropy._agnostic._options import check_label_smoothing
from crossentropy._validation import Reduction, check_int, check_reduction
from crossentropy.torch._autograd import (
    HALF_DTYPES,
    check_bool,
    is_one,
    is_plain_tensor,
    loss_dtype,
    refuse_double_backward,
    scale_saved,
    tracing,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CrossEntropyLoss", "CrossEntropyOutput", "cross_entropy"]

_FUSED_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


@dataclass(frozen=True)
class _Options:
    ignore_index: int
    reduction: Reduction
    label_smoothing: float
    inplace_backward: bool
    loss_dtype: torch.dtype


def _rows(input: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """``input`` as C-contiguous ``(rows, C)`` float32/float64 and whether that is a copy.

    ``(N, C, d1, ..., dk)`` moves the class axis last (a copy unless the memory is
    already channels-last); float16/bfloat16 are upcast to float32 (a copy).
    """
    x = input.detach()
    if x.ndim > 2:
        x = x.movedim(1, -1)
    rows = x.reshape(-1, input.shape[1])
    if rows.dtype in HALF_DTYPES:
        rows = rows.float()  # half precision is computed in float32
    rows = rows.contiguous()
    copied = rows.untyped_storage().data_ptr() != input.untyped_storage().data_ptr()
    return rows, copied


def _numpy_args(
    target: torch.Tensor, weight: torch.Tensor | None
) -> tuple[np.ndarray, np.ndarray | None]:
    labels = target.detach().reshape(-1).numpy()
    w = None if weight is None else weight.detach().to(torch.float64).numpy()
    return labels, w


def _loss_tensor(loss: np.ndarray, input: torch.Tensor, opts: _Options) -> torch.Tensor:
    """The kernel's loss as a tensor of ``input``'s dtype and item shape."""
    out = torch.from_numpy(np.asarray(loss)).to(opts.loss_dtype)
    if opts.reduction == "none":
        out = out.reshape(input.shape[0], *input.shape[2:])
    return out


def _forward_only(
    input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None, opts: _Options
) -> torch.Tensor:
    rows, _ = _rows(input)
    labels, w = _numpy_args(target, weight)
    loss = kernels.softmax_cross_entropy(
        rows.numpy(),
        labels,
        weight=w,
        ignore_index=opts.ignore_index,
        label_smoothing=opts.label_smoothing,
        reduction=opts.reduction,
    )
    return _loss_tensor(loss, input, opts)


class _FusedCrossEntropy(torch.autograd.Function):
    """Loss and gradient in one kernel pass (forward); backward scales the saved gradient."""

    @staticmethod
    def forward(
        ctx: Any,
        input: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor | None,
        opts: _Options,
    ) -> torch.Tensor:
        rows, copied = _rows(input)
        labels, w = _numpy_args(target, weight)
        # Our own copy (N-D, half, non-contiguous) always takes the gradient in place: the
        # copy becomes the one saved buffer. The caller's own buffer only on request.
        overwrite_input = opts.inplace_backward and not copied
        try:
            result = kernels.softmax_cross_entropy_with_grad(
                rows.numpy(),
                labels,
                weight=w,
                ignore_index=opts.ignore_index,
                label_smoothing=opts.label_smoothing,
                reduction=opts.reduction,
                inplace=copied or opts.inplace_backward,
            )
        finally:
            if overwrite_input:
                # The values changed behind autograd's back: bump the version so that any
                # other backward that saved these logits fails loudly instead of silently
                # using the gradient as logits.
                torch.autograd.graph.increment_version(input)
        # grad[i, j] = d loss / d x_ij (already divided by the mean's denominator).
        grad = torch.from_numpy(result.grad)
        if grad.dtype != input.dtype:
            grad = grad.to(input.dtype)  # half: saved at the input's precision
        ctx.save_for_backward(grad)
        ctx.reduction = opts.reduction
        ctx.input_shape = input.shape
        return _loss_tensor(result.loss, input, opts)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        refuse_double_backward("crossentropy.torch.cross_entropy")
        (grad,) = ctx.saved_tensors
        # Chain rule: dL/dx_ij = dL/dloss * dloss/dx_ij; for "none" row i only feeds
        # loss[i], so dL/dx_ij = grad_output[i] * dloss_i/dx_ij.
        if ctx.reduction == "none":
            grad = scale_saved(grad, grad_output.reshape(-1, 1))
        elif not is_one(grad_output):  # the usual loss.backward() skips the multiply
            grad = scale_saved(grad, grad_output)
        shape = ctx.input_shape
        if len(shape) > 2:  # rows back to (N, C, d1, ..., dk): a view
            grad = grad.reshape(shape[0], *shape[2:], shape[1]).movedim(-1, 1)
        return grad, None, None, None


# Function.apply is untyped in PyTorch's stubs; this is its type here.
_fused_apply: Callable[..., torch.Tensor] = _FusedCrossEntropy.apply


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _fusable(input: Any, target: Any, weight: Any) -> bool:
    """Whether the fused kernel computes exactly what ``F.cross_entropy`` would."""
    if tracing() or not (is_plain_tensor(input) and is_plain_tensor(target)):
        return False
    if input.device.type != "cpu" or target.device.type != "cpu":
        return False  # CUDA and others: PyTorch's own kernels
    if input.dtype not in _FUSED_DTYPES or input.ndim < 2 or input.shape[1] == 0:
        return False  # unbatched (C,) input, no classes: PyTorch's path and errors
    if target.dtype == torch.bool or target.is_floating_point() or target.is_complex():
        return False  # probability targets
    if tuple(target.shape) != (input.shape[0], *input.shape[2:]):
        return False  # PyTorch raises its own shape error
    if weight is None:
        return True
    return (
        is_plain_tensor(weight)
        and weight.device.type == "cpu"
        and weight.is_floating_point()
        and tuple(weight.shape) == (input.shape[1],)
        and not (weight.requires_grad and torch.is_grad_enabled())
    )


def cross_entropy(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
    label_smoothing: float = 0.0,
    inplace_backward: bool = False,
    z_loss: float = 0.0,
    softcap: float | None = None,
    return_lse: bool = False,
) -> Any:
    r"""``torch.nn.functional.cross_entropy``, fused into one pass on CPU.

    On CPU tensors with integer targets, the loss and its gradient with respect to
    ``input`` come from :func:`crossentropy.kernels.softmax_cross_entropy_with_grad`: one
    read of the logits and one write of the gradient, in the forward pass. Backward only
    multiplies the saved gradient by the incoming one (nothing at all for the usual
    ``loss.backward()``). Everything else runs ``torch.nn.functional.cross_entropy``
    unchanged, so this is a drop-in replacement.

    Parameters
    ----------
    input : Tensor, shape (N, C), (N, C, d1, ..., dk) or (C,)
        Unnormalised logits. Fused on CPU for float32/float64; float16/bfloat16 are
        computed in float32 and the loss and gradient rounded to the input's dtype.
    target : Tensor
        Class indices of shape ``(N,)`` / ``(N, d1, ..., dk)``, any integer dtype (PyTorch
        wants int64 or uint8), or class probabilities (PyTorch's path).
    weight : Tensor, shape (C,), optional
        Class weights (finite, non-negative on the fused path).
    ignore_index : int, default -100
        Target value that contributes neither to the loss nor to the mean's denominator.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` divides by :math:`\sum_i w_{y_i}` over non-ignored items (NaN when all
        are ignored, as PyTorch); ``"none"`` has the shape of ``target``.
    label_smoothing : float in [0, 1], default 0
        Target :math:`(1-\varepsilon)\,\mathrm{onehot} + \varepsilon / C`.
    inplace_backward : bool, default False
        Write the gradient over ``input``'s own memory instead of a new buffer (as
        Liger-Kernel does): the forward pass then needs no memory beyond the logits.
        **The values of** ``input`` **are destroyed** (they become the gradient), so use it
        only when nothing reads the logits after the loss, e.g. the output of the model's
        final linear layer. Only float32/float64 input that is already laid out as
        ``(rows, C)`` (a contiguous ``(N, C)`` tensor) is overwritten: other inputs are
        copied anyway and the copy takes the gradient. Only when a gradient is
        computed; never on a leaf tensor that requires grad (``ValueError``: its values
        are what an optimiser updates). ``input``'s version counter is bumped, so a
        backward that saved the logits raises PyTorch's "modified by an inplace
        operation" error instead of reading the gradient.
    z_loss : float, default 0
        PaLM's z-loss, ``z_loss * logsumexp(input)**2`` per counted item, added to the
        loss (its mean is over the counted items, unweighted), as in
        :func:`~crossentropy.torch.linear_cross_entropy`.
    softcap : float > 0, optional
        Gemma 2's soft cap: the logits become ``softcap * tanh(input / softcap)``.
    return_lse : bool, default False
        Return a :class:`CrossEntropyOutput` (loss, z-loss, per-item log-sum-exp of the
        (capped) logits, per-item correctness) instead of the loss alone.

    Returns
    -------
    Tensor or CrossEntropyOutput
        0-d for ``"mean"``/``"sum"``, the shape of ``target`` for ``"none"``; ``input``'s
        dtype (float32 for half precision under ``torch.autocast``, as PyTorch).

    Raises
    ------
    ValueError
        An invalid ``reduction`` or ``label_smoothing``; a target outside ``[0, C)`` that
        is not ``ignore_index`` (naming its index; PyTorch raises ``IndexError``); a
        negative or non-finite class weight; ``inplace_backward=True`` on a leaf that
        requires grad, or with NaN logits.
    TypeError
        ``ignore_index`` not an int, ``inplace_backward`` not a bool.

    See Also
    --------
    CrossEntropyLoss : The module form.
    crossentropy.torch.linear_cross_entropy : The loss of ``hidden @ weight.T`` without
        ever holding the full logits.

    Notes
    -----
    The fused path runs on strided CPU tensors of float dtype with integer targets, for
    ``(N, C)`` input (the logits are used in place, zero copy, when contiguous) and
    ``(N, C, d1, ..., dk)`` input (the class axis is moved last, one copy, which then
    becomes the saved gradient). It uses PyTorch's ``F.cross_entropy`` instead for
    CUDA and other devices, probability targets, unbatched ``(C,)`` input, tensor
    subclasses, under ``torch.compile`` and functorch transforms (``vmap``, ``grad``),
    and for a weight that requires grad.

    Memory (float32/float64 ``(N, C)``): with a gradient, one extra logits-sized buffer
    (the gradient, saved for backward and handed on without a copy: it becomes
    ``input.grad`` when ``input`` is a leaf and the backward is the usual
    ``loss.backward()``), none with ``inplace_backward=True``; without a gradient,
    nothing logits-sized. Half precision adds a float32 working copy during the forward
    pass and saves the gradient in the input's dtype. Backward scales the saved gradient
    in place unless the graph is retained. PyTorch's path keeps the log-softmax and
    writes a new gradient (about 3x the logits in all on this machine).

    NaN logits: the fused kernel refuses them, so the call is repeated on PyTorch's path,
    which propagates NaN exactly as ``F.cross_entropy`` does (a rare, slower path). With
    ``inplace_backward=True`` the logits are already overwritten by then, so it raises
    ``ValueError`` instead. ``+inf``/``-inf`` logits follow the kernel's limit conventions
    (:mod:`crossentropy.kernels`): a finite or infinite loss where PyTorch gives NaN.

    Double backward is not supported: a backward with ``create_graph=True`` raises
    ``RuntimeError`` (rather than silently dropping the second-order term).

    ``z_loss``, ``softcap`` and ``return_lse`` are computed with PyTorch's own operations
    (the cap, ``logsumexp`` and ``F.cross_entropy``, differentiated by autograd), not by
    the fused kernel: exact, with PyTorch's memory use.

    Examples
    --------
    >>> import torch
    >>> from crossentropy.torch import cross_entropy
    >>> logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], requires_grad=True)
    >>> target = torch.tensor([0, 1])
    >>> loss = cross_entropy(logits, target)
    >>> bool(torch.isclose(loss, torch.nn.functional.cross_entropy(logits, target)))
    True
    >>> loss.backward()
    >>> logits.grad.sum(dim=1).abs().max() < 1e-7  # softmax minus one-hot sums to zero
    tensor(True)
    """
    ignore_index = check_int("ignore_index", ignore_index)
    reduction = check_reduction(reduction)
    label_smoothing = check_label_smoothing(label_smoothing)
    inplace_backward = check_bool("inplace_backward", inplace_backward)
    if z_loss or softcap is not None or return_lse:
        return _with_extras(
            input,
            target,
            weight,
            ignore_index=ignore_index,
            reduction=reduction,
            label_smoothing=label_smoothing,
            z_loss=z_loss,
            softcap=softcap,
            return_lse=check_bool("return_lse", return_lse),
        )
    if not _fusable(input, target, weight):
        return F.cross_entropy(
            input,
            target,
            weight=weight,
            ignore_index=ignore_index,
            reduction=reduction,
            label_smoothing=label_smoothing,
        )
    opts = _Options(
        ignore_index,
        reduction,
        label_smoothing,
        inplace_backward,
        loss_dtype(input.dtype, input.device),
    )
    with_grad = torch.is_grad_enabled() and input.requires_grad
    if with_grad and inplace_backward and input.is_leaf:
        msg = (
            "inplace_backward=True would overwrite input, a leaf tensor that requires grad "
            "(its values are what the optimiser updates); use it on non-leaf logits such "
            "as the output of the final linear layer"
        )
        raise ValueError(msg)
    try:
        if with_grad:
            return _fused_apply(input, target, weight, opts)
        return _forward_only(input, target, weight, opts)
    except ValueError as err:
        # The kernel refuses NaN logits; PyTorch propagates them. Anything else (a bad
        # label, a bad weight) is a real error.
        if not bool(torch.isnan(input.detach()).any()):
            raise
        if with_grad and inplace_backward:
            msg = (
                "input contains NaN; with inplace_backward=True the logits were already "
                "overwritten, so PyTorch's NaN result cannot be computed"
            )
            raise ValueError(msg) from err
    return F.cross_entropy(
        input,
        target,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


class CrossEntropyOutput(NamedTuple):
    """What :func:`cross_entropy` returns with ``return_lse=True``.

    ``loss`` includes the z-loss; ``z_loss`` is that part, reduced the same way;
    ``lse`` is each item's log-sum-exp of the (capped) logits (differentiable);
    ``correct`` whether each item's argmax is its target (False for ignored items).
    """

    loss: torch.Tensor
    z_loss: torch.Tensor
    lse: torch.Tensor
    correct: torch.Tensor


def _with_extras(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    *,
    ignore_index: int,
    reduction: Reduction,
    label_smoothing: float,
    z_loss: Any,
    softcap: Any,
    return_lse: bool,
) -> Any:
    """``z_loss``, ``softcap``, ``return_lse`` with PyTorch's operations and autograd."""
    from crossentropy.torch._linear_blocked import check_softcap, check_z_loss

    z_loss, softcap = check_z_loss(z_loss), check_softcap(softcap)
    axis = 0 if input.ndim == 1 else 1
    logits = input if softcap is None else softcap * torch.tanh(input / softcap)
    loss = F.cross_entropy(
        logits,
        target,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )
    lse = torch.logsumexp(logits, dim=axis)
    probabilities = target.is_floating_point()
    counted = torch.ones_like(lse, dtype=torch.bool) if probabilities else target != ignore_index
    zeta = torch.where(counted, z_loss * lse.square(), 0.0)
    if reduction == "sum":
        zeta = zeta.sum()
    elif reduction == "mean":
        zeta = zeta.sum() / counted.sum()
    loss = loss + zeta
    if not return_lse:
        return loss
    argmax = logits.detach().argmax(dim=axis)
    labels = target.argmax(dim=axis) if probabilities else target
    return CrossEntropyOutput(loss, zeta, lse, (argmax == labels) & counted)


class CrossEntropyLoss(nn.Module):
    """``torch.nn.CrossEntropyLoss`` on :func:`cross_entropy` (fused on CPU).

    Parameters
    ----------
    weight : Tensor, shape (C,), optional
        Class weights, kept as a buffer (moves with ``.to()``, saved in the state dict),
        as in PyTorch.
    ignore_index, reduction, label_smoothing, inplace_backward
        As in :func:`cross_entropy`.

    Examples
    --------
    >>> import torch
    >>> from crossentropy.torch import CrossEntropyLoss
    >>> criterion = CrossEntropyLoss(label_smoothing=0.1)
    >>> logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    >>> target = torch.tensor([0, 1])
    >>> reference = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(logits, target)
    >>> bool(torch.isclose(criterion(logits, target), reference))
    True
    """

    weight: torch.Tensor | None

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        *,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
        label_smoothing: float = 0.0,
        inplace_backward: bool = False,
    ) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.ignore_index = check_int("ignore_index", ignore_index)
        self.reduction: Reduction = check_reduction(reduction)
        self.label_smoothing = check_label_smoothing(label_smoothing)
        self.inplace_backward = check_bool("inplace_backward", inplace_backward)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` logits against ``target``; see :func:`cross_entropy`."""
        loss: torch.Tensor = cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
            inplace_backward=self.inplace_backward,
        )
        return loss

    def extra_repr(self) -> str:
        """The options, for ``repr``."""
        return (
            f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, "
            f"label_smoothing={self.label_smoothing}, "
            f"inplace_backward={self.inplace_backward}"
        )
