r"""Linear + cross-entropy by vocabulary blocks: bounded memory at any vocabulary size.

The token-chunked schedule (:mod:`crossentropy.torch._linear_chunks`) holds a whole
``chunk x V`` block of logits; at V = 128k a chunk of a few hundred rows is already a
quarter gigabyte, and a smaller chunk rereads the weight too often. The vocabulary-blocked
schedule (the cut-cross-entropy design, Wijmans et al. 2024) never holds more than one
``rows x V_block`` tile:

* **Pass 1** (forward): for each vocabulary block and each row block, the tile
  :math:`Z = h_r W_b^\top + b_b` from one matrix product; each row's running maximum and
  rescaled sum of exponentials (online log-sum-exp), its label's logit when the label is
  in the block, the target-weighted sum of its logits (label smoothing) and its argmax.
  Per row this leaves :math:`\mathrm{lse}_i`, :math:`z_{i y_i}`, :math:`\sum_j w_j z_{ij}`.
* **Pass 2** (backward): each tile is recomputed, turned into its gradient in place,
  :math:`G_{ij} = a_i p_{ij} - b_i [j = y_i] - d_i w_j` with
  :math:`p_{ij} = \exp(z_{ij} - \mathrm{lse}_i)`, and multiplied out at once:
  :math:`\partial h_r \mathrel{+}= G W_b` and :math:`\partial W_b \mathrel{+}= G^\top h_r`
  (each weight block's gradient is finished before the next block starts).

Four matrix products instead of three (:math:`8 N H V` flops instead of :math:`6 N H V`),
and extra memory of one tile (two with ``softcap``) plus a few numbers per row.

The loss of row :math:`i` (counted rows; ignored ones are 0) with smoothing
:math:`\varepsilon`, class weights :math:`w` (all 1 without), :math:`W = \sum_j w_j`,
z-loss factor :math:`\zeta` and logits :math:`z` (after the soft cap
:math:`z \mapsto c \tanh(z / c)` when one is given):

.. math::

    \ell_i = (1-\varepsilon) w_{y_i} (\mathrm{lse}_i - z_{i y_i})
           + \tfrac{\varepsilon}{V} \big(W \mathrm{lse}_i - \textstyle\sum_j w_j z_{ij}\big),
    \qquad \zeta_i = \zeta\, \mathrm{lse}_i^2,

PyTorch's ``F.cross_entropy(..., weight=w, label_smoothing=eps)`` per row, and PaLM's
z-loss. Its derivative in :math:`z_{ij}`, scaled by the row's share :math:`c_i` of the
reduction (times the incoming gradient) and :math:`c^z_i` for the z-loss, plus the
incoming gradient :math:`g_i` of a returned :math:`\mathrm{lse}_i`, is

.. math::

    a_i p_{ij} - b_i [j = y_i] - d_i w_j, \quad
    a_i = c_i \big((1-\varepsilon) w_{y_i} + \tfrac{\varepsilon}{V} W\big)
          + 2 \zeta c^z_i \mathrm{lse}_i + g_i, \quad
    b_i = c_i (1-\varepsilon) w_{y_i}, \quad d_i = c_i \tfrac{\varepsilon}{V},

times :math:`1 - (z_{ij}/c)^2` (the soft cap's derivative, in terms of the capped logit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import torch

if TYPE_CHECKING:
    from collections.abc import Iterator

    from crossentropy._validation import Reduction

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "LinearPlan",
    "RowStats",
    "RowTargets",
    "TileOptions",
    "blocked_gradients",
    "blocked_statistics",
    "check_softcap",
    "check_z_loss",
    "plan_linear_cross_entropy",
    "reduce_rows",
    "row_losses",
    "row_scales",
    "row_targets",
]

#: The default extra-memory budget of :func:`~crossentropy.torch.linear_cross_entropy`.
DEFAULT_MEMORY_BUDGET = 64 << 20  # 64 MiB
#: The token-chunked schedule is taken when a chunk of at least this many rows (or the
#: whole batch) fits the budget: below it the weight is reread too often.
MIN_TOKEN_ROWS = 128
#: Part of the budget kept for what the tiles do not hold: the matrix products' packing
#: workspace (MKL's is ~10 MiB at these shapes) and the per-row statistics.
RESERVE_BYTES = 16 << 20


def reserve(memory_budget: int) -> int:
    """The bytes of ``memory_budget`` not given to tiles: 16 MiB, at most a quarter."""
    return min(RESERVE_BYTES, memory_budget // 4)


#: The token-chunked schedule's chunk never exceeds this many rows (measured: past ~1024
#: rows larger chunks only cost memory).
MAX_TOKEN_ROWS = 1024
#: Vocabulary blocks are multiples of this many classes (whole GEMM panels), and at
#: least this wide unless the vocabulary is narrower.
VOCAB_QUANTUM = 128
#: Row blocks of the vocabulary-blocked schedule are at most this many rows.
MAX_ROW_BLOCK = 8192
#: CPU float32/float64 tiles use the numba row kernels (:mod:`crossentropy.kernels.
#: _numba_tiles`) when numba is installed; False forces the plain-torch tile code (the
#: tests compare the two).
USE_TILE_KERNELS = True

Schedule = Literal["token-chunked", "vocab-blocked"]


@dataclass(frozen=True)
class LinearPlan:
    """How :func:`~crossentropy.torch.linear_cross_entropy` runs, within its memory budget.

    Attributes
    ----------
    schedule : {"token-chunked", "vocab-blocked"}
        ``"token-chunked"``: ``row_block`` rows of full-vocabulary logits at a time, three
        matrix products (the gradients are formed in forward). ``"vocab-blocked"``:
        ``row_block x vocab_block`` tiles, four matrix products (the logits are
        recomputed in backward).
    row_block, vocab_block : int
        The tile: rows, and classes (``V`` for token-chunked).
    tile_bytes : int
        The extra memory the plan uses: its tile buffers (two with a soft cap) and, for a
        weight in another dtype than the computation's, the converted weight block.
    memory_budget : int
        The budget it was planned for (bytes).
    matmuls : int
        Matrix products of ``N x H x V`` per forward+backward: 3 or 4.
    """

    schedule: Schedule
    row_block: int
    vocab_block: int
    tile_bytes: int
    memory_budget: int
    matmuls: int


def _itemsize(dtype: torch.dtype) -> int:
    return 8 if dtype == torch.float64 else 4  # half precision is computed in float32


def plan_linear_cross_entropy(
    num_rows: int,
    hidden_size: int,
    num_classes: int,
    *,
    dtype: torch.dtype = torch.float32,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    softcap: bool = False,
    convert_weight: bool = False,
) -> LinearPlan:
    """The schedule and tile sizes for ``N`` rows, ``H`` hidden units, ``V`` classes.

    The tiles get ``memory_budget`` less a reserve (:func:`reserve`: 16 MiB, at most a
    quarter) for the matrix products' workspace and the per-row statistics. The
    token-chunked schedule when a chunk of :data:`MIN_TOKEN_ROWS` rows (or all ``N``)
    of full-vocabulary logits fits; otherwise vocabulary blocks of the widest multiple
    of :data:`VOCAB_QUANTUM` classes that fits with ``min(N, 8192)`` rows (fewer rows
    when even one quantum would not fit).

    Raises
    ------
    ValueError
        ``memory_budget`` below one row of one vocabulary quantum.
    """
    item = _itemsize(dtype)
    buffers = 2 if softcap else 1
    n = max(int(num_rows), 1)
    quantum = min(num_classes, VOCAB_QUANTUM)
    smallest = buffers * quantum * item + (quantum * hidden_size * item if convert_weight else 0)
    budget, memory_budget = memory_budget, memory_budget - reserve(memory_budget)
    if memory_budget < smallest:
        msg = (
            f"memory_budget must hold at least one row of a {quantum}-class tile "
            f"({smallest} bytes here) besides a quarter kept for workspace, got {budget}"
        )
        raise ValueError(msg)
    full_row = buffers * num_classes * item
    fits = memory_budget // full_row
    if not convert_weight and fits >= min(n, MIN_TOKEN_ROWS):
        rows = min(n, MAX_TOKEN_ROWS, fits)
        rows = rows if rows == n or rows < 64 else rows // 64 * 64
        return LinearPlan("token-chunked", rows, num_classes, rows * full_row, budget, 3)
    rows = min(n, MAX_ROW_BLOCK)

    def width(rows: int) -> int:
        per_class = buffers * rows * item + (hidden_size * item if convert_weight else 0)
        return int(memory_budget // per_class)

    while rows > 1 and width(rows) < quantum:
        rows //= 2
    vocab = min(num_classes, width(rows))
    if vocab < num_classes:
        vocab = max(quantum, vocab // VOCAB_QUANTUM * VOCAB_QUANTUM)
    used = buffers * rows * vocab * item + (vocab * hidden_size * item if convert_weight else 0)
    return LinearPlan("vocab-blocked", rows, vocab, used, budget, 4)


@dataclass(frozen=True)
class TileOptions:
    """What the loss of a row is: everything but the reduction."""

    ignore_index: int
    label_smoothing: float
    z_loss: float
    softcap: float | None
    class_weight: torch.Tensor | None  # (V,) in the compute dtype
    grad_filter: float = 0.0  # skip tiles whose every |gradient| is below it (approximate)


@dataclass
class RowStats:
    """Per-row results of pass 1 (compute dtype, ``(N,)``)."""

    lse: torch.Tensor
    picked: torch.Tensor  # the (capped) logit of the label; 0 for ignored rows
    target_dot: torch.Tensor  # sum_j w_j z_ij (0 without smoothing)
    argmax: torch.Tensor  # int64
    best: torch.Tensor  # the largest (capped) logit of the row


def _tile_kernels(tensor: torch.Tensor) -> Any:
    """The numba tile kernels for CPU float32/float64 tiles, or None (plain torch ops)."""
    if tensor.device.type != "cpu" or tensor.dtype not in (torch.float32, torch.float64):
        return None
    from crossentropy._jit import numba_available

    if not numba_available():
        return None
    from crossentropy.kernels import _numba_tiles

    return _numba_tiles


def _np(tensor: torch.Tensor | None, like: torch.Tensor) -> Any:
    """The NumPy view of ``tensor`` (an empty array standing for None)."""
    if tensor is None:
        return torch.empty(0, dtype=like.dtype).numpy()
    return tensor.detach().numpy()


def _blocks(size: int, step: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, size, step):
        yield lo, min(lo + step, size)


def _tile(
    h: torch.Tensor,
    w_blk: torch.Tensor,
    b_blk: torch.Tensor | None,
    out: torch.Tensor,
) -> torch.Tensor:
    """``out = h @ w_blk.T + b_blk``, written into the reused buffer."""
    if b_blk is None:
        return torch.mm(h, w_blk.T, out=out)
    return torch.addmm(b_blk, h, w_blk.T, out=out)


def _cap(z: torch.Tensor, softcap: float | None) -> torch.Tensor:
    if softcap is not None:
        z.div_(softcap).tanh_().mul_(softcap)
    return z


def _weight_block(weight: torch.Tensor, lo: int, hi: int, dtype: torch.dtype) -> torch.Tensor:
    return weight[lo:hi].to(dtype)  # a copy only when the weight has another dtype


def blocked_statistics(  # noqa: PLR0917 - the tensors, then how to compute
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    labels: torch.Tensor,
    opts: TileOptions,
    plan: LinearPlan,
) -> RowStats:
    """Pass 1: log-sum-exp, label logit, target-weighted logit sum and argmax per row.

    ``hidden`` and ``bias`` are in the compute dtype; ``weight`` may be in another (each
    block is converted as it is used).
    """
    n, num_classes = hidden.shape[0], weight.shape[0]
    dtype, device = hidden.dtype, hidden.device
    peak = torch.full((n,), -torch.inf, dtype=dtype, device=device)
    total = torch.zeros(n, dtype=dtype, device=device)
    picked = torch.zeros(n, dtype=dtype, device=device)
    target_dot = torch.zeros(n, dtype=dtype, device=device)
    best = torch.full((n,), -torch.inf, dtype=dtype, device=device)
    argmax = torch.zeros(n, dtype=torch.int64, device=device)
    counted = labels != opts.ignore_index
    buffer = torch.empty(
        (min(plan.row_block, max(n, 1)), plan.vocab_block), dtype=dtype, device=device
    )
    fused = _tile_kernels(buffer) if USE_TILE_KERNELS else None
    for v0, v1 in _blocks(num_classes, plan.vocab_block):
        w_blk = _weight_block(weight, v0, v1, dtype)
        b_blk = None if bias is None else bias[v0:v1]
        cw = None if opts.class_weight is None else opts.class_weight[v0:v1]
        for r0, r1 in _blocks(n, plan.row_block):
            if fused is not None:  # one sweep per tile row, in cache
                fused.tile_statistics(
                    _tile(hidden[r0:r1], w_blk, b_blk, buffer[: r1 - r0, : v1 - v0]).numpy(),
                    labels[r0:r1].numpy(),
                    v0,
                    opts.ignore_index,
                    opts.softcap or 0.0,
                    opts.label_smoothing > 0,
                    _np(cw, buffer),
                    *(t[r0:r1].numpy() for t in (peak, total, picked, target_dot, best)),
                    argmax[r0:r1].numpy(),
                )
                continue
            z = _cap(_tile(hidden[r0:r1], w_blk, b_blk, buffer[: r1 - r0, : v1 - v0]), opts.softcap)
            y = labels[r0:r1]
            here = counted[r0:r1] & (y >= v0) & (y < v1)
            if bool(here.any()):
                rows = torch.nonzero(here)[:, 0]
                picked[r0 + rows] = z[rows, y[rows] - v0]
            if opts.label_smoothing > 0:
                target_dot[r0:r1] += z.sum(1) if cw is None else z @ cw
            top, where = z.max(1)
            better = top > best[r0:r1]  # the first maximum wins, as torch.argmax
            best[r0:r1] = torch.where(better, top, best[r0:r1])
            argmax[r0:r1] = torch.where(better, where + v0, argmax[r0:r1])
            old = peak[r0:r1]
            new = torch.maximum(old, top)
            # exp(-inf - finite) = 0 for the first block; z - new <= 0 never overflows
            total[r0:r1] = total[r0:r1] * torch.exp(old - new) + z.sub_(new[:, None]).exp_().sum(1)
            peak[r0:r1] = new
    lse = peak + torch.log(total)
    return RowStats(lse, picked, target_dot, argmax, best)


@dataclass(frozen=True)
class RowTargets:
    """What each row's target is, over the whole vocabulary (all shards).

    ``counted``: the rows whose label is not ``ignore_index``; ``w_y``: their label's
    class weight (1 without class weights, 0 for ignored rows); ``mass``: the sum of the
    class weights (``V`` without); ``num_classes``: ``V``.
    """

    counted: torch.Tensor
    w_y: torch.Tensor
    mass: float
    num_classes: int


def row_targets(
    labels: torch.Tensor, opts: TileOptions, num_classes: int, dtype: torch.dtype
) -> RowTargets:
    """The targets of one process's rows over its whole vocabulary."""
    counted = labels != opts.ignore_index
    if opts.class_weight is None:
        return RowTargets(counted, counted.to(dtype), float(num_classes), num_classes)
    safe = torch.where(counted, labels, 0)
    w_y = torch.where(counted, opts.class_weight[safe], 0.0).to(dtype)
    mass = float(opts.class_weight.sum(dtype=torch.float64))
    return RowTargets(counted, w_y, mass, num_classes)


def row_losses(
    stats: RowStats, targets: RowTargets, opts: TileOptions
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(cross-entropy, z-loss)`` per row (0 for ignored rows), compute dtype."""
    counted, eps, num_classes = targets.counted, opts.label_smoothing, targets.num_classes
    loss = (1.0 - eps) * targets.w_y * (stats.lse - stats.picked)
    if eps > 0:
        smooth = (eps / num_classes) * (targets.mass * stats.lse - stats.target_dot)
        loss = loss + torch.where(counted, smooth, 0.0)
    loss = torch.where(counted, loss, 0.0)
    zeta = torch.where(counted, opts.z_loss * stats.lse.square(), 0.0)
    return loss, zeta


def blocked_gradients(  # noqa: PLR0917
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    labels: torch.Tensor,
    lse: torch.Tensor,
    targets: RowTargets,
    opts: TileOptions,
    plan: LinearPlan,
    scale: torch.Tensor,
    z_scale: torch.Tensor,
    lse_grad: torch.Tensor | None,
    want: tuple[bool, bool, bool],
) -> list[torch.Tensor | None]:
    """Pass 2: the gradients of hidden, weight, bias (compute dtype; None where not wanted).

    ``labels`` are positions in this ``weight``'s classes (any other value: a label
    elsewhere, or ignored); ``lse`` and ``targets`` are over the whole vocabulary.
    ``scale``/``z_scale`` (``(N,)``): each row's factor for its cross-entropy and its
    z-loss (the reduction's share times the incoming gradient); ``lse_grad``: the
    incoming gradient of the returned log-sum-exp, if any.
    """
    n, num_classes = hidden.shape[0], weight.shape[0]
    dtype, device = hidden.dtype, hidden.device
    counted, eps, vocab = targets.counted, opts.label_smoothing, targets.num_classes
    w_y = targets.w_y.to(dtype)
    c = torch.where(counted, scale.to(dtype), 0.0)
    a = c * ((1.0 - eps) * w_y + (eps / vocab) * targets.mass)
    if opts.z_loss:
        a = a + torch.where(counted, z_scale.to(dtype), 0.0) * (2.0 * opts.z_loss) * lse
    if lse_grad is not None:
        a = a + lse_grad.to(dtype)
    b_coef = c * (1.0 - eps) * w_y
    d_coef = c * (eps / vocab)
    grad_hidden = torch.zeros_like(hidden) if want[0] else None
    grad_weight = torch.zeros(weight.shape, dtype=dtype, device=device) if want[1] else None
    grad_bias = torch.zeros(num_classes, dtype=dtype, device=device) if want[2] else None
    rows_shape = (min(plan.row_block, max(n, 1)), plan.vocab_block)
    buffer = torch.empty(rows_shape, dtype=dtype, device=device)
    fused = _tile_kernels(buffer) if USE_TILE_KERNELS else None
    capped = None
    if opts.softcap and fused is None:
        capped = torch.empty(rows_shape, dtype=dtype, device=device)
    for v0, v1 in _blocks(num_classes, plan.vocab_block):
        w_blk = _weight_block(weight, v0, v1, dtype)
        b_blk = None if bias is None else bias[v0:v1]
        cw = None if opts.class_weight is None else opts.class_weight[v0:v1]
        for r0, r1 in _blocks(n, plan.row_block):
            g = _tile(hidden[r0:r1], w_blk, b_blk, buffer[: r1 - r0, : v1 - v0])
            if fused is not None:  # one sweep per tile row: the gradient over the logits
                fused.tile_gradient(
                    g.numpy(),
                    labels[r0:r1].numpy(),
                    v0,
                    opts.ignore_index,
                    opts.softcap or 0.0,
                    *(t[r0:r1].numpy() for t in (lse, a, b_coef, d_coef)),
                    _np(cw, buffer),
                )
            else:
                _torch_tile_gradient(
                    g,
                    capped,
                    labels[r0:r1],
                    v0,
                    v1,
                    counted[r0:r1],
                    lse[r0:r1],
                    a[r0:r1],
                    b_coef[r0:r1],
                    d_coef[r0:r1],
                    cw,
                    opts,
                )
            if opts.grad_filter and float(g.abs().amax()) < opts.grad_filter:
                continue  # gradient filtering: this tile's products are skipped
            if grad_hidden is not None:
                grad_hidden[r0:r1].addmm_(g, w_blk)
            if grad_weight is not None:
                grad_weight[v0:v1].addmm_(g.T, hidden[r0:r1])
            if grad_bias is not None:
                grad_bias[v0:v1] += g.sum(0)
    return [grad_hidden, grad_weight, grad_bias]


def _torch_tile_gradient(  # noqa: PLR0917
    g: torch.Tensor,
    capped: torch.Tensor | None,
    y: torch.Tensor,
    v0: int,
    v1: int,
    counted: torch.Tensor,
    lse: torch.Tensor,
    a: torch.Tensor,
    b_coef: torch.Tensor,
    d_coef: torch.Tensor,
    cw: torch.Tensor | None,
    opts: TileOptions,
) -> None:
    """The tile's gradient over its raw logits ``g``, in plain torch ops (any device).

    ``capped``: a buffer for the capped logits (the cap's derivative needs them), or
    None without a soft cap; the per-row tensors are the tile's rows'.
    """
    rows, cols = g.shape
    if capped is not None:
        capped[:rows, :cols].copy_(_cap(g, opts.softcap))
    g.sub_(lse[:, None]).exp_().mul_(a[:, None])  # a_i p_ij
    if opts.label_smoothing > 0:
        g.sub_(d_coef[:, None] if cw is None else d_coef[:, None] * cw[None, :])
    here = counted & (y >= v0) & (y < v1)
    if bool(here.any()):
        at = torch.nonzero(here)[:, 0]
        g[at, y[at] - v0] -= b_coef[at]
    if capped is not None and opts.softcap is not None:  # times d(c tanh(z/c))/dz
        zc = capped[:rows, :cols]  # = 1 - (capped / c)^2
        g.mul_(zc.div_(opts.softcap).square_().neg_().add_(1.0))


def check_z_loss(z_loss: Any) -> float:
    """``z_loss`` as a float >= 0, or a ValueError naming it."""
    if isinstance(z_loss, bool) or not isinstance(z_loss, (int, float)) or not z_loss >= 0:
        msg = f"z_loss must be a float >= 0, got {z_loss!r}"
        raise ValueError(msg)
    return float(z_loss)


def check_softcap(softcap: Any) -> float | None:
    """``softcap`` as a finite float > 0 or None, or a ValueError naming it."""
    if softcap is None:
        return None
    if (
        isinstance(softcap, bool)
        or not isinstance(softcap, (int, float))
        or not (0 < softcap < math.inf)
    ):
        msg = f"softcap must be a finite float > 0 (or None), got {softcap!r}"
        raise ValueError(msg)
    return float(softcap)


def reduce_rows(
    ce: torch.Tensor, zeta: torch.Tensor, targets: RowTargets, reduction: Reduction
) -> tuple[torch.Tensor, torch.Tensor, float, int]:
    """``(loss, z-loss)`` reduced, and the mean's two denominators.

    The cross-entropy's mean divides by the sum of the counted rows' ``w_y`` (PyTorch's
    weighted mean), the z-loss's by the number of counted rows; NaN when none is counted.
    """
    count = int(targets.counted.sum())
    mass = float(targets.w_y.sum(dtype=torch.float64))
    if reduction == "none":
        return ce + zeta, zeta, mass, count
    ce_total, z_total = ce.sum(dtype=torch.float64), zeta.sum(dtype=torch.float64)
    if reduction == "mean":
        ce_total = ce_total / mass if count else torch.full_like(ce_total, math.nan)
        z_total = z_total / count if count else torch.full_like(z_total, math.nan)
    return ce_total + z_total, z_total, mass, count


def row_scales(  # noqa: PLR0917
    grad_loss: torch.Tensor,
    grad_z: torch.Tensor,
    n: int,
    reduction: Reduction,
    denominators: tuple[float, int],
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row's factor for its cross-entropy and for its z-loss, from backward's input.

    The loss output carries both parts, the z-loss output only the z-loss; ``"mean"``
    divides by the denominators of :func:`reduce_rows` (zero factors when they are 0).
    """
    mass, count = denominators
    g = grad_loss.to(dtype).reshape(-1)
    g = g.expand(n) if g.numel() == 1 else g
    gz = g + grad_z.to(dtype).reshape(-1).expand(n)
    if reduction == "mean":
        g = g / mass if mass else torch.zeros_like(g)
        gz = gz / count if count else torch.zeros_like(gz)
    return g, gz
