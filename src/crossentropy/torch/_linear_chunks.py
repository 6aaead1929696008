"""The chunked forward+backward of linear + cross-entropy: one ``chunk x V`` buffer.

See :mod:`crossentropy.torch._linear` for the algorithm; this module holds the per-chunk
step (the fused CPU kernel or plain torch) and the loop over chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import torch

from crossentropy import kernels

if TYPE_CHECKING:
    from crossentropy._validation import Reduction

__all__ = [
    "CHUNK_BYTES",
    "MAX_CHUNK_ROWS",
    "MIN_CHUNK_ROWS",
    "ChunkOptions",
    "ChunkStep",
    "default_chunk_size",
    "detached_in_dtype",
    "forward_backward_in_chunks",
    "scale_rows",
    "select_step",
]

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
class ChunkOptions:
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
        opts: ChunkOptions,
    ) -> torch.Tensor: ...


def scale_rows(grad: torch.Tensor, scale: float | torch.Tensor) -> None:
    if isinstance(scale, torch.Tensor):
        grad.mul_(scale[:, None])
    elif scale != 1.0:
        grad.mul_(scale)


def _chunk_step_kernel(
    logits: torch.Tensor,
    labels: torch.Tensor,
    scale: float | torch.Tensor | None,
    opts: ChunkOptions,
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
    scale_rows(logits, scale)
    return torch.from_numpy(result.loss)


def _chunk_step_torch(
    logits: torch.Tensor,
    labels: torch.Tensor,
    scale: float | torch.Tensor | None,
    opts: ChunkOptions,
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


def select_step(device: torch.device) -> ChunkStep:
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


def forward_backward_in_chunks(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    labels: torch.Tensor,
    opts: ChunkOptions,
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
    step = select_step(device)
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


def detached_in_dtype(
    hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Detached, in the compute dtype (a copy only for another dtype)."""
    return (
        hidden.detach().to(dtype),
        weight.detach().to(dtype),
        None if bias is None else bias.detach().to(dtype),
    )
