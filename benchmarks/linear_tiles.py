"""Tile sizes of the vocabulary-blocked schedule: forward+backward time per tile shape.

For one shape (float32, 2 threads), the vocabulary-blocked schedule forced with row
blocks and vocabulary blocks of several sizes, against the three matrix products alone
(the floor), each the median of ``--repeat`` runs after a warm-up, in one process.

    python benchmarks/linear_tiles.py [--shape 2048x512x65536] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from crossentropy.torch import LinearPlan, linear_cross_entropy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", default="2048x512x65536")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n, h, v = (int(x) for x in args.shape.split("x"))
    gen = torch.Generator().manual_seed(0)
    hidden = torch.randn(n, h, generator=gen).requires_grad_()
    weight = torch.randn(v, h, generator=gen).div_(h**0.5).requires_grad_()
    labels = torch.randint(0, v, (n,), generator=gen)
    g, gh, gw = torch.empty(n, v), torch.empty(n, h), torch.empty(v, h)

    def timed(fn) -> float:  # type: ignore[no-untyped-def]
        fn()
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    def floor() -> None:
        with torch.no_grad():
            torch.mm(hidden, weight.T, out=g)
            torch.mm(g, weight, out=gh)
            torch.mm(g.T, hidden, out=gw)

    base = timed(floor)
    print(f"shape {args.shape}: the three matrix products alone {base:.2f} s")
    for rows in sorted({min(n, r) for r in (512, 2048, n)}):
        for vocab in (512, 1536, 4096, 12288):
            tile_mib = rows * vocab * 4 / 2**20
            plan = LinearPlan("vocab-blocked", rows, vocab, 0, 0, 4)

            def run(plan: LinearPlan = plan) -> None:
                hidden.grad = weight.grad = None
                linear_cross_entropy(hidden, weight, labels, plan=plan).backward()

            seconds = timed(run)
            print(
                f"  rows {rows:5d} x vocab {vocab:6d} ({tile_mib:6.1f} MiB tile): "
                f"{seconds:6.2f} s  {seconds / base:5.2f}x the floor",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
