"""One rank of the vocab-parallel test (run by tests/test_torch_distributed.py, not pytest).

Every rank builds the same inputs from one seed, takes its (uneven) slice of the weight,
bias and class weights, runs ``vocab_parallel_linear_cross_entropy``, and compares the
loss, the per-row log-sum-exp and every gradient with the single-process
``linear_cross_entropy`` on the whole weight. It writes ``{"rank": r, "errors": [...]}``
to ``OUT/rank-r.json``: one worst relative error per case.

    python tests/distributed_worker.py RANK WORLD PORT OUT
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from crossentropy.torch import linear_cross_entropy
from crossentropy.torch.distributed import vocab_parallel_linear_cross_entropy

N, H, V = 11, 6, 23


def shard_bounds(world: int) -> list[tuple[int, int]]:
    """Uneven contiguous shards: rank r gets a share growing with r (the last the rest)."""
    weights = list(range(1, world + 1))
    cuts = [0]
    for w in weights[:-1]:
        cuts.append(cuts[-1] + max(1, V * w // sum(weights)))
    cuts.append(V)
    return list(itertools.pairwise(cuts))


def relative(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().double(), b.detach().double()
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-300))


def case(rank: int, world: int, dtype: torch.dtype, options: dict, labels_on: str) -> float:
    gen = torch.Generator().manual_seed(5)
    hidden = torch.randn(N, H, generator=gen, dtype=torch.float64).to(dtype)
    weight = (torch.randn(V, H, generator=gen, dtype=torch.float64) / 2).to(dtype)
    bias = torch.randn(V, generator=gen, dtype=torch.float64).to(dtype)
    cw = torch.linspace(0.5, 2.0, V, dtype=dtype)
    lo, hi = shard_bounds(world)[rank]
    first_lo, first_hi = shard_bounds(world)[0]
    if labels_on == "first":  # every label on rank 0: the other shards hold none
        labels = torch.randint(first_lo, first_hi, (N,), generator=gen)
    else:
        labels = torch.randint(0, V, (N,), generator=gen)
    labels[:2] = -100
    weighted = options.pop("weighted", False)

    def run(fn, w: torch.Tensor, b: torch.Tensor, extra: dict) -> tuple[torch.Tensor, ...]:  # type: ignore[no-untyped-def]
        h = hidden.clone().requires_grad_()
        w = w.clone().requires_grad_()
        b = b.clone().requires_grad_()
        out = fn(h, w, labels, b, return_lse=True, **options, **extra)
        g = torch.rand(
            out.loss.shape, generator=torch.Generator().manual_seed(9), dtype=torch.float64
        )
        (out.loss * (g + 0.5).to(out.loss.dtype)).sum().add(out.lse.sum() * 0.25).backward()
        return out.loss.detach(), out.lse.detach(), h.grad, w.grad, b.grad

    ref = run(linear_cross_entropy, weight, bias, {"class_weight": cw} if weighted else {})
    mine = {"class_weight_shard": cw[lo:hi]} if weighted else {}
    ours = run(vocab_parallel_linear_cross_entropy, weight[lo:hi], bias[lo:hi], mine)
    expected = (ref[0], ref[1], ref[2], ref[3][lo:hi], ref[4][lo:hi])
    return max(relative(a, b) for a, b in zip(ours, expected, strict=True))


def main() -> int:
    rank, world, port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
    )
    errors = []
    cases = [
        {"reduction": "mean"},
        {"reduction": "sum", "label_smoothing": 0.2},
        {"reduction": "none", "z_loss": 0.01, "softcap": 3.0},
        {"reduction": "mean", "label_smoothing": 0.1, "weighted": True},
        {"reduction": "mean", "z_loss": 1e-3, "weighted": True, "memory_budget": 4 * 64 * 8},
    ]
    for dtype in (torch.float64, torch.float32):
        for options, labels_on in itertools.product(cases, ["any", "first"]):
            error = case(rank, world, dtype, dict(options), labels_on)
            errors.append(
                {"dtype": str(dtype), "options": options, "labels": labels_on, "error": error}
            )
    (out / f"rank-{rank}.json").write_text(json.dumps({"rank": rank, "errors": errors}))
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
