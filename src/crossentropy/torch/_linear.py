r"""Linear layer + cross-entropy in chunks of rows: the ``(N, V)`` logits never exist.

For hidden states :math:`h` ``(N, H)``, a weight :math:`W` ``(V, H)``, a bias :math:`b`
``(V,)`` and labels :math:`y`, the logits are :math:`z = h W^\top + b` and the loss is
PyTorch's cross-entropy of :math:`z` (ignore index, label smoothing :math:`\varepsilon`,
reductions). With :math:`G = \partial L / \partial z` (``(N, V)``), the chain rule gives

.. math::

    \frac{\partial L}{\partial h} = G W, \qquad
    \frac{\partial L}{\partial W} = G^\top h = \sum_i G_i^\top h_i, \qquad
    \frac{\partial L}{\partial b} = \sum_i G_i,

and row :math:`i` of :math:`G` depends only on row :math:`i` of :math:`z` and on the
reduction's scale (``1 / number of counted labels`` for ``"mean"``, known from the labels
alone). So the rows can be taken in chunks: compute the chunk's logits, overwrite them with
the chunk's rows of :math:`G`, add the chunk's share to the three gradients, reuse the
buffer for the next chunk. Peak memory is one ``chunk x V`` buffer besides the gradients
themselves (the Liger-Kernel design; Wijmans et al., "Cut Your Losses in Large-Vocabulary
Language Models", 2024, for the motivation).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import torch
from torch import nn

from crossentropy import kernels
from crossentropy._agnostic._options import check_label_smoothing
from crossentropy._validation import Reduction, check_int, check_reduction
from crossentropy.torch._cross_entropy import (
    is_one,
    is_plain_tensor,
    loss_dtype,
    refuse_double_backward,
    scale_saved,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["LinearCrossEntropyLoss", "linear_cross_entropy"]

#: The default chunk size aims at this many bytes of ``chunk x V`` logits ...
CHUNK_BYTES = 1 << 28  # 256 MiB: 512 rows of a 128k vocabulary in float32
#: ... within these bounds, in rows. Measured on the 2-core machine (N=2048, H=1024,
#: V=32000, float32, forward+backward; the three matrix products alone took 2.93 s):
#: 3.32 / 3.13 / 2.98 / 2.91 / 2.90 s for 128 / 256 / 512 / 1024 / 2048 rows. Small
#: chunks lose because every chunk reads and writes the whole (V, H) weight gradient in
#: its ``addmm_``, whose inner dimension is the chunk: past ~1024 rows that traffic is
#: small next to the products' flops, and larger chunks only cost memory.
MIN_CHUNK_ROWS, MAX_CHUNK_ROWS = 128, 1024


@dataclass(frozen=True)
class _Options:
    ignore_index: int
    reduction: Reduction
    label_smoothing: float
    chunk_size: int
    compute_dtype: torch.dtype  # float64 if any input is float64, else float32
    loss_dtype: torch.dtype


class ChunkStep(Protocol):
    """Turn a chunk's logits into its row losses and (optionally) its rows of ``G``.

    ``logits`` is a C-contiguous ``(n, V)`` float32/float64 scratch buffer. Returns the
    ``(n,)`` unscaled row losses (0 for ignored rows). When ``scale`` is given (a float, or
    an ``(n,)`` tensor for per-row scales), ``logits`` is overwritten with
    ``scale_i * d loss_i / d z_i``; otherwise its contents are left undefined.
    """

    def __call__(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor,
        scale: float | torch.Tensor | None,
        opts: _Options,
    ) -> torch.Tensor: ...


def _scale_rows(grad: torch.Tensor, scale: float | torch.Tensor) -> None:
    if isinstance(scale, torch.Tensor):
        grad.mul_(scale[:, None])
    elif scale != 1.0:
        grad.mul_(scale)


def _chunk_step_kernel(
    logits: torch.Tensor,
    labels: torch.Tensor,
    scale: float | torch.Tensor | None,
    opts: _Options,
) -> torch.Tensor:
    """The CPU step: the fused :mod:`crossentropy.kernels` pass, in place, zero copy."""
    z = logits.numpy()  # shares memory with the torch buffer
    y = labels.numpy()
    if scale is None:
        loss = kernels.softmax_cross_entropy(
            z,
            y,
            ignore_index=opts.ignore_index,
            label_smoothing=opts.label_smoothing,
            reduction="none",
        )
        return torch.from_numpy(loss)
    # reduction="none": row i of the gradient is d loss_i / d z_i (the same as "sum").
    result = kernels.softmax_cross_entropy_with_grad(
        z,
        y,
        ignore_index=opts.ignore_index,
        label_smoothing=opts.label_smoothing,
        reduction="none",
        inplace=True,
    )
    _scale_rows(logits, scale)
    return torch.from_numpy(result.loss)


def _chunk_step_torch(
    logits: torch.Tensor,
    labels: torch.Tensor,
    scale: float | torch.Tensor | None,
    opts: _Options,
) -> torch.Tensor:
    """Any device: plain torch operations, in place on the chunk buffer."""
    z = logits
    n, num_classes = z.shape
    eps = opts.label_smoothing
    counted = labels != opts.ignore_index
    safe = torch.where(counted, labels, 0)  # ignored rows gather class 0, then count 0
    picked = z.gather(1, safe[:, None])[:, 0]
    # loss_i = lse_i - (1-eps) z_{i,y_i} - (eps/V) sum_j z_ij: PyTorch's smoothed target
    # (1-eps) onehot + eps/V has total mass 1, so lse enters with coefficient 1.
    target_dot = (1.0 - eps) * picked
    if eps > 0:
        target_dot = target_dot + (eps / num_classes) * z.sum(1)
    # Stability: exponentiate z - max_j z_ij <= 0, never overflowing.
    peak = z.amax(1, keepdim=True)
    z.sub_(peak).exp_()
    total = z.sum(1, keepdim=True)
    lse = (peak + total.log())[:, 0]
    loss = torch.where(counted, lse - target_dot, 0.0)
    if scale is not None:
        # d loss_i / d z_ij = p_ij - (1-eps)[j = y_i] - eps/V (0 for an ignored row),
        # with p_ij = exp(z_ij - max) / total; times the row's scale c_i.
        c = counted.to(z.dtype) * (scale if isinstance(scale, float) else scale.to(z.dtype))
        z.mul_(c[:, None] / total)
        if eps > 0:
            z.sub_((c * (eps / num_classes))[:, None])
        rows = torch.arange(n, device=z.device)
        z.index_put_((rows, safe), -(1.0 - eps) * c, accumulate=True)
    return loss


#: Hook for a GPU kernel. A Triton step (Liger-Kernel's cross-entropy kernel: one
#: program per row, online softmax, the gradient written over the logits, the scale
#: applied in the same pass) would be assigned here with the :class:`ChunkStep`
#: signature and is then used for CUDA tensors; nothing else changes, since the chunking,
#: the matrix products and the accumulation are device-agnostic torch operations. None
#: is written: without one, CUDA uses :func:`_chunk_step_torch`.
_triton_chunk_step: ChunkStep | None = None


def _select_step(device: torch.device) -> ChunkStep:
    """The chunk step for ``device`` (see :data:`_triton_chunk_step` for GPUs)."""
    if device.type == "cpu" and kernels.numba_available():
        return _chunk_step_kernel
    if device.type == "cuda" and _triton_chunk_step is not None:
        return _triton_chunk_step
    return _chunk_step_torch


def default_chunk_size(num_rows: int, num_classes: int, dtype: torch.dtype) -> int:
    """Rows per chunk: about :data:`CHUNK_BYTES` of logits, within the bounds, at most N.

    Rounded down to a multiple of 64 rows (whole blocks for the matrix products).
    """
    itemsize = 8 if dtype == torch.float64 else 4  # half precision is computed in float32
    rows = CHUNK_BYTES // max(1, num_classes * itemsize)
    rows = min(MAX_CHUNK_ROWS, max(MIN_CHUNK_ROWS, rows // 64 * 64))
    return max(1, min(rows, num_rows))


def _chunked(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    labels: torch.Tensor,
    opts: _Options,
    *,
    scale: float | torch.Tensor | None,
    want: tuple[bool, bool, bool],
) -> tuple[torch.Tensor, list[torch.Tensor | None]]:
    """Row losses (compute dtype) and the wanted gradients scaled by ``scale``.

    ``hidden``, ``weight`` and ``bias`` are already in the compute dtype. ``scale`` is the
    reduction's factor or per-row ``grad_output`` (``None``: losses only).
    """
    num_rows = hidden.shape[0]
    num_classes = weight.shape[0]
    grads = scale is not None and any(want)
    dtype, device = hidden.dtype, hidden.device
    grad_hidden = torch.empty_like(hidden) if grads and want[0] else None
    grad_weight = torch.zeros_like(weight) if grads and want[1] else None
    grad_bias = torch.zeros_like(bias) if grads and want[2] and bias is not None else None
    losses = torch.empty(num_rows, dtype=dtype, device=device)
    step = _select_step(device)
    chunk = min(opts.chunk_size, max(num_rows, 1))
    buffer = torch.empty((chunk, num_classes), dtype=dtype, device=device)  # reused
    weight_t = weight.T
    for lo in range(0, num_rows, chunk):
        hi = min(lo + chunk, num_rows)
        h = hidden[lo:hi]
        z = buffer[: hi - lo]

        def logits(h: torch.Tensor = h, z: torch.Tensor = z) -> None:
            # z = h W^T + b, written into the reused buffer
            if bias is None:
                torch.mm(h, weight_t, out=z)
            else:
                torch.addmm(bias, h, weight_t, out=z)

        logits()
        part = scale[lo:hi] if isinstance(scale, torch.Tensor) else scale
        part = part if grads else None
        try:
            losses[lo:hi] = step(z, labels[lo:hi], part, opts)
        except ValueError:
            # The fused kernel refuses NaN logits (from NaN in hidden, weight or bias);
            # the naive computation propagates them, and so does the torch step.
            if step is _chunk_step_torch:
                raise
            logits()
            if not bool(torch.isnan(z).any()):
                raise
            losses[lo:hi] = _chunk_step_torch(z, labels[lo:hi], part, opts)
        if not grads:
            continue
        g = z  # now rows lo:hi of G = dL/dz
        if grad_hidden is not None:
            torch.mm(g, weight, out=grad_hidden[lo:hi])  # dL/dh_i = G_i W
        if grad_weight is not None:
            grad_weight.addmm_(g.T, h)  # dL/dW += G_chunk^T h_chunk
        if grad_bias is not None:
            grad_bias.add_(g.sum(0))  # dL/db += sum_i G_i
    return losses, [grad_hidden, grad_weight, grad_bias]


def _compute_all(
    hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Detached, in the compute dtype (a copy only for another dtype)."""
    return (
        hidden.detach().to(dtype),
        weight.detach().to(dtype),
        None if bias is None else bias.detach().to(dtype),
    )


def _wanted(ctx: Any) -> tuple[bool, bool, bool]:
    """Which of hidden, weight, bias need a gradient."""
    needs = ctx.needs_input_grad
    return bool(needs[0]), bool(needs[1]), bool(needs[2])


def _reduce(losses: torch.Tensor, count: int, reduction: Reduction) -> torch.Tensor:
    if reduction == "none":
        return losses
    total = losses.sum(dtype=torch.float64)  # accumulate the rows in float64
    if reduction == "mean":
        total = total / count if count else torch.full_like(total, math.nan)
    return total


class _LinearCrossEntropy(torch.autograd.Function):
    """Forward computes the loss and all gradients chunk by chunk; backward scales them.

    For ``"none"`` the gradients depend on the per-row ``grad_output``, which is not known
    in forward: forward computes only the losses and backward recomputes the chunks (one
    more matrix product, no saved gradients).
    """

    @staticmethod
    def forward(  # noqa: PLR0917 - autograd passes a Function's inputs positionally
        ctx: Any,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        labels: torch.Tensor,
        count: int,
        opts: _Options,
    ) -> torch.Tensor:
        ctx.opts = opts
        ctx.dtypes = (hidden.dtype, weight.dtype, None if bias is None else bias.dtype)
        h, w, b = _compute_all(hidden, weight, bias, opts.compute_dtype)
        if opts.reduction == "none":
            losses, _ = _chunked(h, w, b, labels, opts, scale=None, want=(False, False, False))
            ctx.save_for_backward(hidden, weight, bias, labels)
            return losses.to(opts.loss_dtype)
        scale = 1.0 if opts.reduction == "sum" else (1.0 / count if count else 0.0)
        losses, grads = _chunked(h, w, b, labels, opts, scale=scale, want=_wanted(ctx))
        # Saved in the compute dtype: backward scales them, then rounds once to each
        # input's dtype (the float32 weight gradient exists in forward anyway).
        ctx.save_for_backward(*grads)
        return _reduce(losses, count, opts.reduction).to(opts.loss_dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        refuse_double_backward("crossentropy.torch.linear_cross_entropy")
        opts: _Options = ctx.opts
        if opts.reduction == "none":
            hidden, weight, bias, labels = ctx.saved_tensors
            h, w, b = _compute_all(hidden, weight, bias, opts.compute_dtype)
            # Chain rule per row: dL/dz_i = grad_output[i] * d loss_i / d z_i.
            row_scale = grad_output.reshape(-1).to(h.dtype)
            _, grads = _chunked(h, w, b, labels, opts, scale=row_scale, want=_wanted(ctx))
        else:
            grads = list(ctx.saved_tensors)
            if not is_one(grad_output):  # dL/dtheta = grad_output * dloss/dtheta
                grads = [None if g is None else scale_saved(g, grad_output) for g in grads]
        out = [
            None if g is None or d is None else g.to(d)  # back to each input's dtype
            for g, d in zip(grads, ctx.dtypes, strict=True)
        ]
        return out[0], out[1], out[2], None, None, None


# Function.apply is untyped in PyTorch's stubs; this is its type here.
_linear_apply: Callable[..., torch.Tensor] = _LinearCrossEntropy.apply


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _check_tensors(hidden: Any, weight: Any, labels: Any, bias: Any) -> tuple[int, int]:
    """Check types, dtypes, shapes and devices; return ``(H, V)``."""
    named = {"hidden": hidden, "weight": weight, "labels": labels}
    if bias is not None:
        named["bias"] = bias
    for name, value in named.items():
        if not is_plain_tensor(value):
            msg = f"{name} must be a strided torch.Tensor, got {type(value).__name__}"
            raise TypeError(msg)
    for name in ("hidden", "weight", "bias"):
        if name in named and not named[name].is_floating_point():
            msg = f"{name} must be real floating point, got dtype {named[name].dtype}"
            raise TypeError(msg)
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        msg = f"labels must be integer class indices, got dtype {labels.dtype}"
        raise TypeError(msg)
    if hidden.ndim < 1 or weight.ndim != 2 or weight.shape[1] != hidden.shape[-1]:
        msg = (
            f"hidden must have shape (..., H) and weight (V, H), got {tuple(hidden.shape)} "
            f"and {tuple(weight.shape)}"
        )
        raise ValueError(msg)
    num_classes = weight.shape[0]
    if num_classes == 0:
        msg = "weight must have at least one row (class), got shape (0, H)"
        raise ValueError(msg)
    if bias is not None and tuple(bias.shape) != (num_classes,):
        msg = f"bias must have shape ({num_classes},), got {tuple(bias.shape)}"
        raise ValueError(msg)
    if tuple(labels.shape) != tuple(hidden.shape[:-1]):
        msg = (
            f"labels must have shape {tuple(hidden.shape[:-1])} (hidden without its last "
            f"axis), got {tuple(labels.shape)}"
        )
        raise ValueError(msg)
    devices = {name: value.device for name, value in named.items()}
    if len(set(devices.values())) > 1:
        msg = f"hidden, weight, labels and bias must be on one device, got {devices}"
        raise ValueError(msg)
    return hidden.shape[-1], num_classes


def _count_labels(labels: torch.Tensor, num_classes: int, ignore_index: int) -> int:
    """Number of counted labels (the mean's denominator); ``ValueError`` for a bad one."""
    counted = labels != ignore_index
    bad = counted & ((labels < 0) | (labels >= num_classes))
    if bool(bad.any()):
        flat = int(torch.nonzero(bad.reshape(-1))[0, 0])
        index = [int(i) for i in torch.unravel_index(torch.tensor(flat), labels.shape)]
        msg = (
            f"labels must be class indices in [0, {num_classes}) or ignore_index="
            f"{ignore_index}; found {int(labels.reshape(-1)[flat])} at index {index}"
        )
        raise ValueError(msg)
    return int(counted.sum())


def linear_cross_entropy(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    labels: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
    label_smoothing: float = 0.0,
    chunk_size: int | None = None,
) -> torch.Tensor:
    r"""Cross-entropy of ``hidden @ weight.T + bias`` without materialising the logits.

    The value and gradients of
    ``F.cross_entropy(hidden @ weight.T + bias, labels, ignore_index=..., reduction=...,
    label_smoothing=...)``, computed ``chunk_size`` rows at a time: each chunk's logits
    are computed into one reused ``chunk x V`` buffer, turned into their gradient in place,
    and multiplied into the gradients of ``hidden``, ``weight`` and ``bias`` right away,
    in the forward pass. Backward only scales these by the incoming gradient.

    Parameters
    ----------
    hidden : Tensor, shape (..., H)
        Hidden states (e.g. ``(batch, sequence, H)``; the leading axes are flattened).
    weight : Tensor, shape (V, H)
        The output layer's weight (``nn.Linear(H, V).weight``). Its dtype may differ
        from ``hidden``'s (float32 master weights with bfloat16 activations).
    labels : Tensor of int, shape (...)
        Class indices in ``[0, V)`` or ``ignore_index``; ``hidden``'s leading shape.
    bias : Tensor, shape (V,), optional
        The output layer's bias.
    ignore_index : int, default -100
        Label value that contributes neither to the loss nor to the mean's denominator.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` divides by the number of counted labels (NaN, with zero gradients,
        when there are none, as PyTorch); ``"none"`` has the shape of ``labels``.
    label_smoothing : float in [0, 1], default 0
        Target :math:`(1-\varepsilon)\,\mathrm{onehot} + \varepsilon / V`.
    chunk_size : int, optional
        Rows per chunk. Default: about 256 MiB of logits, between 128 and 1024 rows, in
        multiples of 64 (1024 rows for ``V = 32000``, 512 for ``V = 128256`` in float32);
        see Notes.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``, the shape of ``labels`` for ``"none"``; the promoted
        dtype of ``hidden``, ``weight`` and ``bias`` (float32 for half precision under
        ``torch.autocast``, as PyTorch's cross-entropy). Each gradient has its input's
        dtype.

    Raises
    ------
    TypeError
        A non-tensor argument, a non-floating ``hidden``/``weight``/``bias``,
        non-integer labels.
    ValueError
        Mismatched shapes or devices, a label outside ``[0, V)`` that is not
        ``ignore_index`` (naming its index), ``chunk_size < 1``, an invalid
        ``reduction`` or ``label_smoothing``.

    See Also
    --------
    LinearCrossEntropyLoss : The module form.
    crossentropy.torch.cross_entropy : When the logits exist already.

    Notes
    -----
    With :math:`z = h W^\top + b` and :math:`G = \partial L / \partial z`,
    :math:`\partial L / \partial h = G W`, :math:`\partial L / \partial W = G^\top h` and
    :math:`\partial L / \partial b = \sum_i G_i`; rows of :math:`G` only need their own
    logits and the reduction's scale (:math:`1/\#\{\text{counted labels}\}` for
    ``"mean"``, computed from the labels first), so the sums are accumulated chunk by
    chunk (``addmm_`` into the weight gradient, ``mm(out=)`` into the hidden gradient).

    Time: the three matrix products (:math:`6 N H V` flops) dominate; the softmax step per
    chunk is the fused CPU kernel (:mod:`crossentropy.kernels`, in place over the chunk,
    zero copy) when numba is installed, plain torch operations otherwise and on other
    devices (a Triton kernel would plug in at ``_triton_chunk_step``). Memory: the
    gradients themselves (``weight``'s size is the floor), one ``chunk x V`` buffer, and
    nothing ``N x V``. The computation and the accumulation run in float64 if any input
    is float64, else in float32: float16/bfloat16 inputs are copied to float32 (for a
    half ``weight``, its float32 copy and float32 gradient are ``4 x`` its size) and the
    gradients returned in each input's dtype. ``torch.autocast`` does not change this.

    For ``reduction="none"`` the gradients depend on each row's incoming gradient, unknown
    in forward: forward computes only the losses and backward recomputes the chunks (one
    more matrix product). Double backward (``create_graph=True``) raises ``RuntimeError``.
    NaN in ``hidden``, ``weight`` or ``bias`` propagates to the loss and gradients as in
    the naive expression.

    Examples
    --------
    >>> import torch
    >>> from crossentropy.torch import linear_cross_entropy
    >>> hidden = torch.tensor([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0]], requires_grad=True)
    >>> weight = torch.tensor([[0.2, 0.1], [-0.3, 0.8], [1.0, 0.0]], requires_grad=True)
    >>> loss = linear_cross_entropy(hidden, weight, torch.tensor([1, 2, 0]), chunk_size=2)
    >>> round(loss.item(), 4)
    1.791
    >>> loss.backward()
    >>> weight.grad.sum(dim=0).abs().max() < 1e-6  # softmax minus one-hot sums to zero
    tensor(True)
    """
    return _linear_cross_entropy(
        hidden,
        weight,
        labels,
        bias,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
        chunk_size=chunk_size,
    )


def _linear_cross_entropy_impl(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    labels: torch.Tensor,
    bias: torch.Tensor | None,
    *,
    ignore_index: int,
    reduction: Reduction,
    label_smoothing: float,
    chunk_size: int | None,
) -> torch.Tensor:

    ignore_index = check_int("ignore_index", ignore_index)
    reduction = check_reduction(reduction)
    label_smoothing = check_label_smoothing(label_smoothing)
    hidden_size, num_classes = _check_tensors(hidden, weight, labels, bias)
    rows = hidden.reshape(-1, hidden_size)
    # int64 first: torch compares uint8 labels with ignore_index=-100 modulo 256
    labels_long = labels.long()
    flat_labels = labels_long.reshape(-1)
    dtypes = [t.dtype for t in (hidden, weight, bias) if t is not None]
    compute_dtype = torch.float64 if torch.float64 in dtypes else torch.float32
    result_dtype = functools.reduce(torch.promote_types, dtypes)
    if chunk_size is None:
        chunk = default_chunk_size(rows.shape[0], num_classes, compute_dtype)
    else:
        chunk = check_int("chunk_size", chunk_size)
        if chunk < 1:
            msg = f"chunk_size must be a positive int, got {chunk_size}"
            raise ValueError(msg)
    count = _count_labels(labels_long, num_classes, ignore_index)
    opts = _Options(
        ignore_index,
        reduction,
        label_smoothing,
        chunk,
        compute_dtype,
        loss_dtype(result_dtype, hidden.device),
    )
    tensors = (hidden, weight) if bias is None else (hidden, weight, bias)
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        loss = _linear_apply(rows, weight, bias, flat_labels, count, opts)
    else:
        h, w, b = _compute_all(rows, weight, bias, compute_dtype)
        losses, _ = _chunked(h, w, b, flat_labels, opts, scale=None, want=(False, False, False))
        loss = _reduce(losses, count, reduction).to(opts.loss_dtype)
    return loss.reshape(labels.shape) if reduction == "none" else loss


# Dynamo cannot trace the NumPy/numba kernels: under torch.compile this runs eagerly
# (a graph break), with the same memory behaviour. (disable() is untyped in PyTorch.)
_compiler_disable: Callable[..., Any] = torch.compiler.disable
_linear_cross_entropy: Callable[..., torch.Tensor] = _compiler_disable(_linear_cross_entropy_impl)


class LinearCrossEntropyLoss(nn.Module):
    """:func:`linear_cross_entropy` as a module: ``loss(hidden, weight, labels, bias)``.

    The output layer's ``weight`` (and ``bias``) are arguments of ``forward``, not
    parameters of this module, so a model keeps owning (or tying) its output layer and
    passes ``model.lm_head.weight`` in place of calling ``model.lm_head``.

    Parameters
    ----------
    ignore_index, reduction, label_smoothing, chunk_size
        As in :func:`linear_cross_entropy`.

    Examples
    --------
    >>> import torch
    >>> from crossentropy.torch import LinearCrossEntropyLoss
    >>> head = torch.nn.Linear(2, 3)
    >>> hidden, labels = torch.tensor([[1.0, -1.0], [0.5, 2.0]]), torch.tensor([1, 2])
    >>> loss = LinearCrossEntropyLoss()(hidden, head.weight, labels, head.bias)
    >>> naive = torch.nn.functional.cross_entropy(head(hidden), labels)
    >>> bool(torch.isclose(loss, naive))
    True
    """

    def __init__(
        self,
        *,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
        label_smoothing: float = 0.0,
        chunk_size: int | None = None,
    ) -> None:
        super().__init__()
        self.ignore_index = check_int("ignore_index", ignore_index)
        self.reduction: Reduction = check_reduction(reduction)
        self.label_smoothing = check_label_smoothing(label_smoothing)
        if chunk_size is not None and check_int("chunk_size", chunk_size) < 1:
            msg = f"chunk_size must be a positive int, got {chunk_size}"
            raise ValueError(msg)
        self.chunk_size = chunk_size

    def forward(
        self,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        labels: torch.Tensor,
        bias: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The loss of ``hidden @ weight.T + bias``; see :func:`linear_cross_entropy`."""
        return linear_cross_entropy(
            hidden,
            weight,
            labels,
            bias,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
            chunk_size=self.chunk_size,
        )

    def extra_repr(self) -> str:
        """The options, for ``repr``."""
        return (
            f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, "
            f"label_smoothing={self.label_smoothing}, chunk_size={self.chunk_size}"
        )
