r"""Vocabulary-parallel linear cross-entropy over ``torch.distributed`` (Megatron's layout).

Each rank of a process group holds a contiguous slice of the output layer's rows: rank
:math:`r` has ``weight_shard`` :math:`W_r` of shape ``(V_r, H)``, the classes
``[offset_r, offset_r + V_r)`` in rank order (shards may differ in size). Every rank has
the same ``hidden`` states and ``labels``. No rank ever holds logits beyond one tile of
its own shard (the vocabulary-blocked schedule of :mod:`crossentropy.torch._linear_blocked`):

* forward: each rank's pass 1 gives, per row, the log-sum-exp of its shard's logits, the
  label's logit when it owns the label, and its part of the smoothing sum; one
  all-reduce of the maxima and one of the rescaled sums give the global log-sum-exp
  :math:`\mathrm{lse} = M + \log \sum_r e^{\mathrm{lse}_r - M}`; the label logit, the
  label's class weight and the smoothing sums are all-reduced (the owner holds the only
  non-zero term). Every rank then has the same loss.
* backward: each rank forms its shard's gradient tiles from the global log-sum-exp;
  :math:`\partial W_r` stays local, the partial :math:`\partial h` of each rank is
  all-reduced (a sum over the vocabulary).

The same options as :func:`crossentropy.torch.linear_cross_entropy`. Works with any
backend: gloo on CPU (as the tests run it) and NCCL on GPUs unchanged (the collectives
are ``all_reduce`` of ``(N,)`` statistics and of ``(N, H)`` for the hidden gradient).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.distributed as dist

from crossentropy._agnostic._options import check_label_smoothing
from crossentropy._validation import Reduction, check_int, check_reduction
from crossentropy.torch._autograd import loss_dtype
from crossentropy.torch._linear import (
    LinearCrossEntropyOutput,
    _blocked_apply,
    _BlockedRun,
    _check_features,
)
from crossentropy.torch._linear_blocked import (
    DEFAULT_MEMORY_BUDGET,
    RowStats,
    RowTargets,
    TileOptions,
    plan_linear_cross_entropy,
)

__all__ = ["vocab_parallel_linear_cross_entropy"]


def _all_reduce(tensor: torch.Tensor, group: Any, op: Any = None) -> torch.Tensor:
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM if op is None else op, group=group)
    return tensor


@dataclass(frozen=True)
class _Shard(_BlockedRun):
    """The two-pass computation on this rank's rows of the weight.

    ``tile.class_weight`` is this shard's slice; the statistics and the hidden gradient
    are all-reduced over ``group``.
    """

    group: Any
    offset: int
    num_classes: int  # the whole vocabulary
    local_classes: int  # this shard's
    name: ClassVar[str] = "crossentropy.torch.distributed.vocab_parallel_linear_cross_entropy"

    def labels_here(self, labels: torch.Tensor) -> torch.Tensor:
        """Positions in this shard; rows whose label is elsewhere get a value no block has.

        Ignored rows keep ``ignore_index`` (so they stay uncounted); the sentinel for
        "elsewhere" is ``-1`` (``-2`` when ``ignore_index`` is ``-1``), never in
        ``[0, V_r)``.
        """
        ignore = self.tile.ignore_index
        sentinel = -2 if ignore == -1 else -1
        local = labels - self.offset
        mine = (labels != ignore) & (local >= 0) & (local < self.local_classes)
        return torch.where(mine, local, torch.where(labels == ignore, labels, sentinel))

    def statistics(
        self,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        labels: torch.Tensor,
    ) -> RowStats:
        """The whole vocabulary's statistics from each shard's (all ranks get the same)."""
        local = super().statistics(hidden, weight, bias, labels)
        group = self.group
        peak = _all_reduce(local.lse.clone(), group, dist.ReduceOp.MAX)
        finite_peak = torch.where(torch.isfinite(peak), peak, 0.0)
        total = _all_reduce(torch.exp(local.lse - finite_peak), group)
        lse = finite_peak + torch.log(total)
        picked = _all_reduce(local.picked.clone(), group)
        target_dot = _all_reduce(local.target_dot.clone(), group)
        best = _all_reduce(local.best.clone(), group, dist.ReduceOp.MAX)
        # the first maximum over the whole vocabulary: the smallest global index holding it
        none = torch.iinfo(torch.int64).max
        candidate = torch.where(local.best == best, local.argmax + self.offset, none)
        argmax = _all_reduce(candidate, group, dist.ReduceOp.MIN)
        return RowStats(lse, picked, target_dot, argmax, best)

    def targets(self, labels: torch.Tensor, weight: torch.Tensor, dtype: torch.dtype) -> RowTargets:
        """Each row's target over the whole vocabulary: ``w_y`` from the label's owner."""
        del weight  # this shard's: the whole vocabulary's size is known
        counted = labels != self.tile.ignore_index
        cw = self.tile.class_weight
        if cw is None:
            return RowTargets(counted, counted.to(dtype), float(self.num_classes), self.num_classes)
        local = labels - self.offset
        mine = counted & (local >= 0) & (local < cw.shape[0])
        w_y = torch.where(mine, cw[torch.where(mine, local, 0)], 0.0).to(dtype)
        _all_reduce(w_y, self.group)
        mass = _all_reduce(cw.sum(dtype=torch.float64).reshape(1), self.group)
        return RowTargets(counted, w_y, float(mass), self.num_classes)

    def finish_hidden_grad(self, grad_hidden: torch.Tensor) -> None:
        """Sum each rank's share of the vocabulary sum."""
        _all_reduce(grad_hidden, self.group)


def vocab_parallel_linear_cross_entropy(
    hidden: torch.Tensor,
    weight_shard: torch.Tensor,
    labels: torch.Tensor,
    bias_shard: torch.Tensor | None = None,
    *,
    group: Any = None,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
    label_smoothing: float = 0.0,
    class_weight_shard: torch.Tensor | None = None,
    z_loss: float = 0.0,
    softcap: float | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    return_lse: bool = False,
) -> Any:
    r"""Linear cross-entropy with the weight's rows split over the ranks of ``group``.

    The value and gradients of :func:`crossentropy.torch.linear_cross_entropy` on the
    concatenation (in rank order) of every rank's ``weight_shard`` (and ``bias_shard``,
    ``class_weight_shard``), called collectively by every rank of ``group`` with the same
    ``hidden`` and ``labels``. The logits are never gathered: each rank computes tiles of
    its own shard, and only per-row statistics (and, in backward, the hidden gradient)
    cross the network.

    Parameters
    ----------
    hidden : Tensor, shape (..., H)
        The same on every rank.
    weight_shard : Tensor, shape (V_r, H)
        This rank's contiguous rows of the output layer (``V_r`` may differ by rank).
    labels : Tensor of int, shape (...)
        Global class indices in ``[0, V)`` or ``ignore_index``; the same on every rank.
    bias_shard : Tensor, shape (V_r,), optional
    group : ProcessGroup, optional
        The tensor-parallel group (default: the whole world).
    ignore_index, reduction, label_smoothing, z_loss, softcap, memory_budget, return_lse
        As in :func:`~crossentropy.torch.linear_cross_entropy`.
    class_weight_shard : Tensor, shape (V_r,), optional
        This rank's slice of the class weights.

    Returns
    -------
    Tensor or LinearCrossEntropyOutput
        The same on every rank. ``weight_shard.grad`` (and ``bias_shard.grad``) is this
        rank's slice of the full gradient; ``hidden.grad`` is the full hidden gradient
        on every rank.

    Raises
    ------
    RuntimeError
        ``torch.distributed`` is not initialised.
    ValueError
        As :func:`~crossentropy.torch.linear_cross_entropy`; a label outside
        ``[0, V)``, naming its index (checked on every rank).

    Examples
    --------
    Run on each of two ranks (``torchrun --nproc-per-node 2``)::

        rank = dist.get_rank()
        shard = full_weight[rank * V // 2 : (rank + 1) * V // 2]
        loss = vocab_parallel_linear_cross_entropy(hidden, shard, labels)
        loss.backward()  # shard.grad: this rank's rows; hidden.grad: the whole
    """
    if not dist.is_available() or not dist.is_initialized():
        msg = (
            "vocab_parallel_linear_cross_entropy needs torch.distributed initialised "
            "(dist.init_process_group); for one process use linear_cross_entropy"
        )
        raise RuntimeError(msg)
    from crossentropy.torch._linear import _check_tensors, _count_labels

    ignore_index = check_int("ignore_index", ignore_index)
    reduction = check_reduction(reduction)
    label_smoothing = check_label_smoothing(label_smoothing)
    hidden_size, local_classes = _check_tensors(hidden, weight_shard, labels, bias_shard)
    z_loss, softcap, memory_budget = _check_features(
        class_weight_shard, z_loss, softcap, memory_budget, local_classes
    )
    sizes = torch.tensor([local_classes], dtype=torch.int64)
    world = dist.get_world_size(group)
    gathered = [torch.zeros(1, dtype=torch.int64) for _ in range(world)]
    backend_device = hidden.device if dist.get_backend(group) == "nccl" else torch.device("cpu")
    sizes = sizes.to(backend_device)
    gathered = [t.to(backend_device) for t in gathered]
    dist.all_gather(gathered, sizes, group=group)
    shard_sizes = [int(t) for t in gathered]
    rank = dist.get_rank(group)
    offset, num_classes = sum(shard_sizes[:rank]), sum(shard_sizes)
    labels_long = labels.long()
    _count_labels(labels_long, num_classes, ignore_index)
    rows = hidden.reshape(-1, hidden_size)
    dtypes = [t.dtype for t in (hidden, weight_shard, bias_shard) if t is not None]
    compute_dtype = torch.float64 if torch.float64 in dtypes else torch.float32
    result_dtype = dtypes[0]
    for other in dtypes[1:]:
        result_dtype = torch.promote_types(result_dtype, other)
    plan = plan_linear_cross_entropy(
        rows.shape[0],
        hidden_size,
        local_classes,
        dtype=compute_dtype,
        memory_budget=memory_budget,
        softcap=softcap is not None,
        convert_weight=weight_shard.dtype != compute_dtype,
    )
    shard = _Shard(
        TileOptions(
            ignore_index,
            label_smoothing,
            z_loss,
            softcap,
            None if class_weight_shard is None else class_weight_shard.detach().to(compute_dtype),
        ),
        plan,
        reduction,
        compute_dtype,
        loss_dtype(result_dtype, hidden.device),
        group,
        offset,
        num_classes,
        local_classes,
    )
    loss, z_part, lse, correct = _blocked_apply(
        rows, weight_shard, bias_shard, labels_long.reshape(-1), shard
    )
    if reduction == "none":
        loss, z_part = loss.reshape(labels.shape), z_part.reshape(labels.shape)
    if not return_lse:
        return loss
    return LinearCrossEntropyOutput(
        loss, z_part, lse.reshape(labels.shape), correct.reshape(labels.shape)
    )
