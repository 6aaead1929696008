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
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import torch
from torch import nn

from crossentropy._agnostic._options import check_label_smoothing
from crossentropy._validation import Reduction, check_int, check_reduction
from crossentropy.torch._autograd import (
    is_one,
    is_plain_tensor,
    loss_dtype,
    may_overwrite_saved,
    refuse_double_backward,
    scale_saved,
)
from crossentropy.torch._linear_blocked import (
    DEFAULT_MEMORY_BUDGET,
    LinearPlan,
    RowStats,
    RowTargets,
    TileOptions,
    blocked_gradients,
    blocked_statistics,
    check_softcap,
    check_z_loss,
    plan_linear_cross_entropy,
    reduce_rows,
    row_losses,
    row_scales,
    row_targets,
)
from crossentropy.torch._linear_chunks import (
    ChunkOptions,
    detached_in_dtype,
    forward_backward_in_chunks,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "LinearCrossEntropyLoss",
    "LinearCrossEntropyOutput",
    "LinearPlan",
    "linear_cross_entropy",
    "plan_linear_cross_entropy",
]


class LinearCrossEntropyOutput(NamedTuple):
    """What :func:`linear_cross_entropy` returns with ``return_lse=True``.

    Attributes
    ----------
    loss : Tensor
        The loss, z-loss included (what to call ``backward`` on).
    z_loss : Tensor
        The z-loss part of ``loss``, reduced the same way (0 without ``z_loss``).
    lse : Tensor
        Each row's log-sum-exp of the (capped) logits, the shape of ``labels``;
        differentiable.
    correct : Tensor of bool
        Whether each row's argmax is its label (False for ignored rows).
    """

    loss: torch.Tensor
    z_loss: torch.Tensor
    lse: torch.Tensor
    correct: torch.Tensor


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
        opts: ChunkOptions,
    ) -> torch.Tensor:
        ctx.opts = opts
        ctx.dtypes = (hidden.dtype, weight.dtype, None if bias is None else bias.dtype)
        h, w, b = detached_in_dtype(hidden, weight, bias, opts.compute_dtype)
        if opts.reduction == "none":
            losses, _ = forward_backward_in_chunks(
                h, w, b, labels, opts, scale=None, want=(False, False, False)
            )
            ctx.save_for_backward(hidden, weight, bias, labels)
            return losses.to(opts.loss_dtype)
        scale = 1.0 if opts.reduction == "sum" else (1.0 / count if count else 0.0)
        losses, grads = forward_backward_in_chunks(
            h, w, b, labels, opts, scale=scale, want=_wanted(ctx)
        )
        # Kept in the compute dtype: backward scales them, then rounds once to each
        # input's dtype (the float32 weight gradient exists in forward anyway). Kept on
        # ctx, not saved: backward drops its reference when the graph is freed, so that
        # autograd takes the buffer as the .grad instead of copying it (a weight-sized
        # copy otherwise).
        ctx.grads = grads
        return _reduce(losses, count, opts.reduction).to(opts.loss_dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        refuse_double_backward("crossentropy.torch.linear_cross_entropy")
        opts: ChunkOptions = ctx.opts
        if opts.reduction == "none":
            hidden, weight, bias, labels = ctx.saved_tensors
            h, w, b = detached_in_dtype(hidden, weight, bias, opts.compute_dtype)
            # Chain rule per row: dL/dz_i = grad_output[i] * d loss_i / d z_i.
            row_scale = grad_output.reshape(-1).to(h.dtype)
            _, grads = forward_backward_in_chunks(
                h, w, b, labels, opts, scale=row_scale, want=_wanted(ctx)
            )
        else:
            grads = list(ctx.grads)
            if may_overwrite_saved():
                del ctx.grads  # the returned tensors are then the only references
            if not is_one(grad_output):  # dL/dtheta = grad_output * dloss/dtheta
                grads = [None if g is None else scale_saved(g, grad_output) for g in grads]
        out = [
            None if g is None or d is None else g.to(d)  # back to each input's dtype
            for g, d in zip(grads, ctx.dtypes, strict=True)
        ]
        return out[0], out[1], out[2], None, None, None


# Function.apply is untyped in PyTorch's stubs; this is its type here.
_linear_apply: Callable[..., torch.Tensor] = _LinearCrossEntropy.apply


@dataclass(frozen=True)
class _BlockedRun:
    """Everything the two-pass computation needs besides the tensors.

    The weight holds the whole vocabulary here; :mod:`crossentropy.torch.distributed`
    subclasses this for a shard of it, overriding the four methods below.
    """

    tile: TileOptions
    plan: LinearPlan
    reduction: Reduction
    compute_dtype: torch.dtype
    loss_dtype: torch.dtype
    name: ClassVar[str] = "crossentropy.torch.linear_cross_entropy"

    def labels_here(self, labels: torch.Tensor) -> torch.Tensor:
        """The labels as positions in this process's weight."""
        return labels

    def statistics(
        self,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        labels: torch.Tensor,
    ) -> RowStats:
        """Pass 1 over the whole vocabulary (``labels`` from :meth:`labels_here`)."""
        return blocked_statistics(hidden, weight, bias, labels, self.tile, self.plan)

    def targets(self, labels: torch.Tensor, weight: torch.Tensor, dtype: torch.dtype) -> RowTargets:
        """Each row's target over the whole vocabulary."""
        return row_targets(labels, self.tile, weight.shape[0], dtype)

    def finish_hidden_grad(self, grad_hidden: torch.Tensor) -> None:
        """Complete the hidden gradient (a sum over the vocabulary) in place."""


class _BlockedLinearCrossEntropy(torch.autograd.Function):
    """Pass 1 in forward (per-row statistics), pass 2 in backward (the gradients).

    Outputs: the loss, its z-loss part, the per-row log-sum-exp and the per-row
    correctness (not differentiable). Backward recomputes every tile once.
    """

    @staticmethod
    def forward(  # noqa: PLR0917 - autograd passes a Function's inputs positionally
        ctx: Any,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        labels: torch.Tensor,
        run: _BlockedRun,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        ctx.run = run
        ctx.dtypes = (hidden.dtype, weight.dtype, None if bias is None else bias.dtype)
        h, w, b = _blocked_inputs(hidden, weight, bias, run.compute_dtype)
        stats = run.statistics(h, w, b, run.labels_here(labels))
        targets = run.targets(labels, weight, run.compute_dtype)
        ce, zeta = row_losses(stats, targets, run.tile)
        loss, z_part, mass, count = reduce_rows(ce, zeta, targets, run.reduction)
        # per-row, not inputs or outputs: kept on ctx, for backward to reuse
        ctx.denominators, ctx.targets = (mass, count), targets
        ctx.save_for_backward(hidden, weight, bias, labels, stats.lse)
        correct = (stats.argmax == labels) & targets.counted
        ctx.mark_non_differentiable(correct)
        out = run.loss_dtype
        return loss.to(out), z_part.to(out), stats.lse.to(out), correct

    @staticmethod
    def backward(
        ctx: Any,
        grad_loss: torch.Tensor,
        grad_z: torch.Tensor,
        grad_lse: torch.Tensor,
        _grad_correct: torch.Tensor | None,
    ) -> tuple[torch.Tensor | None, ...]:
        run: _BlockedRun = ctx.run
        refuse_double_backward(run.name)
        hidden, weight, bias, labels, lse = ctx.saved_tensors
        h, w, b = _blocked_inputs(hidden, weight, bias, run.compute_dtype)
        dtype = run.compute_dtype
        g, gz = row_scales(grad_loss, grad_z, h.shape[0], run.reduction, ctx.denominators, dtype)
        lse_grad = grad_lse.reshape(-1).to(dtype)
        grads = blocked_gradients(
            h,
            w,
            b,
            run.labels_here(labels),
            lse.to(dtype),
            ctx.targets,
            run.tile,
            run.plan,
            g,
            gz,
            lse_grad if bool(lse_grad.any()) else None,
            (
                bool(ctx.needs_input_grad[0]),
                bool(ctx.needs_input_grad[1]),
                bias is not None and bool(ctx.needs_input_grad[2]),
            ),
        )
        if grads[0] is not None:
            run.finish_hidden_grad(grads[0])
        out = [
            None if gr is None or d is None else gr.to(d)
            for gr, d in zip(grads, ctx.dtypes, strict=True)
        ]
        return out[0], out[1], out[2], None, None


_blocked_apply: Callable[..., tuple[torch.Tensor, ...]] = _BlockedLinearCrossEntropy.apply


def _blocked_inputs(
    hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Detached; hidden and bias in the compute dtype, the weight as it is.

    The weight is converted a block at a time, so a half-precision weight is never
    copied whole.
    """
    return (
        hidden.detach().to(dtype),
        weight.detach(),
        None if bias is None else bias.detach().to(dtype),
    )


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
    class_weight: torch.Tensor | None = None,
    z_loss: float = 0.0,
    softcap: float | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    plan: LinearPlan | None = None,
    return_lse: bool = False,
    grad_filter: float = 0.0,
) -> Any:
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
        Force the token-chunked schedule with this many rows per chunk (the schedule
        and sizes are otherwise chosen by ``memory_budget``).
    class_weight : Tensor, shape (V,), optional
        PyTorch's ``weight=`` of ``F.cross_entropy``: row ``i`` counts ``w[y_i]`` times,
        and ``"mean"`` divides by the sum of the counted rows' ``w[y_i]``.
    z_loss : float, default 0
        PaLM's z-loss: ``z_loss * lse_i**2`` added to each counted row's loss (its mean is
        over the counted rows, unweighted). Returned separately with ``return_lse``.
    softcap : float > 0, optional
        Gemma 2's logit soft cap: the logits are ``softcap * tanh(z / softcap)`` before the
        softmax (the derivative is taken through it).
    memory_budget : int, default 64 MiB
        Extra memory (bytes) the computation may use besides its inputs and the gradients:
        it picks the schedule and the tile sizes (:func:`plan_linear_cross_entropy`).
    plan : LinearPlan, optional
        Run this plan instead (from :func:`plan_linear_cross_entropy`, or made by hand).
    return_lse : bool, default False
        Return a :class:`LinearCrossEntropyOutput` (loss, z-loss, per-row log-sum-exp,
        per-row correctness) instead of the loss alone.
    grad_filter : float, default 0 (off)
        An approximation, as cut-cross-entropy's gradient filtering: in backward, a tile
        whose every gradient entry is below ``grad_filter`` in absolute value adds
        nothing to the hidden and weight gradients (its two matrix products are
        skipped). The loss is exact; the gradients' error is at most ``grad_filter``
        per skipped entry. See the README for its measured effect.

    Returns
    -------
    Tensor or LinearCrossEntropyOutput
        The loss: 0-d for ``"mean"``/``"sum"``, the shape of ``labels`` for ``"none"``;
        the promoted dtype of ``hidden``, ``weight`` and ``bias`` (float32 for half
        precision under ``torch.autocast``, as PyTorch's cross-entropy). Each gradient
        has its input's dtype.

    Raises
    ------
    TypeError
        A non-tensor argument, a non-floating ``hidden``/``weight``/``bias``,
        non-integer labels.
    ValueError
        Mismatched shapes or devices, a label outside ``[0, V)`` that is not
        ``ignore_index`` (naming its index), ``chunk_size < 1``, an invalid
        ``reduction`` or ``label_smoothing``, ``softcap <= 0``, ``z_loss < 0``, a
        ``class_weight`` of another shape than ``(V,)`` or with a negative entry, a
        ``memory_budget`` too small for one tile row.

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

    Two schedules (see :class:`LinearPlan`). *Token-chunked*, taken when a chunk of at
    least 256 rows of full-vocabulary logits fits ``memory_budget``: the loss and the
    gradients are formed in forward, three matrix products. *Vocabulary-blocked*
    (cut-cross-entropy's design), otherwise: forward runs over ``rows x V_block`` tiles
    keeping only each row's log-sum-exp, backward recomputes each tile and forms its
    gradient; four matrix products, one tile of memory. ``class_weight``, ``z_loss``,
    ``softcap`` and ``return_lse`` always run the two-pass form (with full-vocabulary
    tiles when the token-chunked schedule is planned).

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
        class_weight=class_weight,
        z_loss=z_loss,
        softcap=softcap,
        memory_budget=memory_budget,
        plan=plan,
        return_lse=return_lse,
        grad_filter=grad_filter,
    )


def _is_plan(value: object) -> bool:
    return isinstance(value, LinearPlan)


def _check_features(
    class_weight: Any, z_loss: Any, softcap: Any, memory_budget: Any, num_classes: int
) -> tuple[float, float | None, int]:
    z_loss, softcap = check_z_loss(z_loss), check_softcap(softcap)
    budget = check_int("memory_budget", memory_budget)
    if class_weight is not None:
        if not is_plain_tensor(class_weight) or not class_weight.is_floating_point():
            what = type(class_weight).__name__
            if is_plain_tensor(class_weight):
                what = f"dtype {class_weight.dtype}"
            msg = f"class_weight must be a floating-point torch.Tensor, got {what}"
            raise TypeError(msg)
        if tuple(class_weight.shape) != (num_classes,):
            msg = f"class_weight must have shape ({num_classes},), got {tuple(class_weight.shape)}"
            raise ValueError(msg)
        bad = ~(torch.isfinite(class_weight) & (class_weight >= 0))
        if bool(bad.any()):
            index = int(torch.nonzero(bad)[0, 0])
            msg = (
                f"class_weight must be finite and >= 0; found {float(class_weight[index])} "
                f"at index {index}"
            )
            raise ValueError(msg)
    return z_loss, softcap, budget


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
    class_weight: torch.Tensor | None = None,
    z_loss: float = 0.0,
    softcap: float | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    plan: LinearPlan | None = None,
    return_lse: bool = False,
    grad_filter: float = 0.0,
) -> Any:
    ignore_index = check_int("ignore_index", ignore_index)
    if (
        isinstance(grad_filter, bool)
        or not isinstance(grad_filter, (int, float))
        or not (0 <= grad_filter < math.inf)
    ):
        msg = f"grad_filter must be a finite float >= 0 (0: off), got {grad_filter!r}"
        raise ValueError(msg)
    reduction = check_reduction(reduction)
    label_smoothing = check_label_smoothing(label_smoothing)
    hidden_size, num_classes = _check_tensors(hidden, weight, labels, bias)
    z_loss, softcap, memory_budget = _check_features(
        class_weight, z_loss, softcap, memory_budget, num_classes
    )
    if class_weight is not None and class_weight.device != hidden.device:
        msg = f"class_weight must be on {hidden.device}, got {class_weight.device}"
        raise ValueError(msg)
    rows = hidden.reshape(-1, hidden_size)
    # int64 first: torch compares uint8 labels with ignore_index=-100 modulo 256
    labels_long = labels.long()
    flat_labels = labels_long.reshape(-1)
    dtypes = [t.dtype for t in (hidden, weight, bias) if t is not None]
    compute_dtype = torch.float64 if torch.float64 in dtypes else torch.float32
    result_dtype = functools.reduce(torch.promote_types, dtypes)
    chunk = None if chunk_size is None else check_int("chunk_size", chunk_size)
    if chunk is not None and chunk < 1:
        msg = f"chunk_size must be a positive int, got {chunk_size}"
        raise ValueError(msg)
    count = _count_labels(labels_long, num_classes, ignore_index)
    if plan is None:
        if chunk is None:
            plan = plan_linear_cross_entropy(
                rows.shape[0],
                hidden_size,
                num_classes,
                dtype=compute_dtype,
                memory_budget=memory_budget,
                softcap=softcap is not None,
                convert_weight=weight.dtype != compute_dtype,
            )
        else:  # chunk_size forces the token-chunked schedule
            plan = LinearPlan("token-chunked", chunk, num_classes, 0, memory_budget, 3)
    elif not _is_plan(plan):
        msg = (
            f"plan must be a LinearPlan (from plan_linear_cross_entropy), got {type(plan).__name__}"
        )
        raise TypeError(msg)
    features = (
        class_weight is not None or z_loss or softcap is not None or return_lse or grad_filter
    )
    if features or plan.schedule == "vocab-blocked":
        run = _BlockedRun(
            TileOptions(
                ignore_index,
                label_smoothing,
                z_loss,
                softcap,
                None if class_weight is None else class_weight.detach().to(compute_dtype),
                float(grad_filter),
            ),
            plan,
            reduction,
            compute_dtype,
            loss_dtype(result_dtype, hidden.device),
        )
        loss, z_part, lse, correct = _blocked_apply(rows, weight, bias, flat_labels, run)
        if reduction == "none":
            loss, z_part = loss.reshape(labels.shape), z_part.reshape(labels.shape)
        if not return_lse:
            return loss
        return LinearCrossEntropyOutput(
            loss, z_part, lse.reshape(labels.shape), correct.reshape(labels.shape)
        )
    chunk = plan.row_block
    opts = ChunkOptions(
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
        h, w, b = detached_in_dtype(rows, weight, bias, compute_dtype)
        losses, _ = forward_backward_in_chunks(
            h, w, b, flat_labels, opts, scale=None, want=(False, False, False)
        )
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
    class_weight, z_loss, softcap, memory_budget, return_lse
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
        class_weight: torch.Tensor | None = None,
        z_loss: float = 0.0,
        softcap: float | None = None,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        return_lse: bool = False,
    ) -> None:
        super().__init__()
        self.class_weight = class_weight
        self.z_loss, self.softcap, self.memory_budget = z_loss, softcap, memory_budget
        self.return_lse = return_lse
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
    ) -> Any:
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
            class_weight=self.class_weight,
            z_loss=self.z_loss,
            softcap=self.softcap,
            memory_budget=self.memory_budget,
            return_lse=self.return_lse,
        )

    def extra_repr(self) -> str:
        """The options, for ``repr``."""
        return (
            f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, "
            f"label_smoothing={self.label_smoothing}, chunk_size={self.chunk_size}, "
            f"z_loss={self.z_loss}, softcap={self.softcap}, memory_budget={self.memory_budget}"
        )
