"""Large-vocabulary linear cross-entropy: time and extra memory, ours against naive torch.

For each shape (N tokens, H hidden, V classes; float32, ``--threads`` threads) and each
method, forward+backward of ``loss(h @ W.T, y)`` with the gradients of ``h`` and ``W``:

* ``floor``: the three matrix products alone (``h @ W.T``, ``G @ W``, ``G.T @ h`` into
  preallocated buffers), what any method must pay;
* ``naive``: ``F.cross_entropy(h @ W.T, y).backward()``;
* ``ours`` at the default budget (64 MiB) and at ``memory_budget=1 GiB``, and each
  schedule forced at the default budget's tile sizes.

Time: the median of ``--repeat`` runs after one warm-up. Extra memory: each method runs
once in a fresh process; the process's peak resident memory (``ru_maxrss``) minus its
resident memory with the inputs allocated, minus the gradients' own bytes (``dW`` and
``dh``): what the method needs beyond its inputs and outputs. Ratios are against the
floor and naive torch measured in the same run.

    python benchmarks/linear_benchmark.py [--shapes 2048x512x65536,...] [--repeat 2]
        [--out benchmarks/results/linear-DATE.json [--force]]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SHAPES = [(2048, 512, 65536), (4096, 1024, 128256), (8192, 2048, 32000)]
METHODS = ["floor", "naive", "ours", "ours-1GiB", "ours-blocked", "ours-chunked"]


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _one(method: str, shape: tuple[int, int, int], repeat: int, threads: int, mode: str) -> dict:
    import torch
    import torch.nn.functional as F

    from crossentropy.torch import LinearPlan, linear_cross_entropy, plan_linear_cross_entropy

    torch.set_num_threads(threads)
    n, h, v = shape
    gen = torch.Generator().manual_seed(0)
    hidden = torch.empty(n, h).normal_(generator=gen).requires_grad_()
    weight = torch.empty(v, h).normal_(generator=gen).div_(h**0.5).requires_grad_()
    labels = torch.randint(0, v, (n,), generator=gen)
    # Load the code first (numba's compiled kernels, MKL): a fixed cost, not extra memory.
    tiny = torch.randn(4, h, requires_grad=True)
    if method.startswith("ours"):
        linear_cross_entropy(tiny, torch.randn(8, h), torch.zeros(4, dtype=torch.long)).backward()
    else:
        F.cross_entropy(tiny @ torch.randn(8, h).T, torch.zeros(4, dtype=torch.long)).backward()
    base = _rss()  # with the inputs (and the floor's buffers, allocated below) resident
    grad_bytes = (n * h + v * h) * 4
    default = plan_linear_cross_entropy(n, h, v)

    buffers = None
    if method == "floor":  # the logits (reused as G) and the two gradients, preallocated
        buffers = (torch.empty(n, v), torch.empty(n, h), torch.empty(v, h))

    def run() -> None:
        hidden.grad = weight.grad = None
        if buffers is not None:
            g, gh, gw = buffers
            with torch.no_grad():
                torch.mm(hidden, weight.T, out=g)
                torch.mm(g, weight, out=gh)
                torch.mm(g.T, hidden, out=gw)
            return
        if method == "naive":
            F.cross_entropy(hidden @ weight.T, labels).backward()
            return
        kw: dict = {}
        if method == "ours-1GiB":
            kw["memory_budget"] = 1 << 30
        elif method == "ours-blocked":
            rows = min(n, 8192)
            kw["plan"] = LinearPlan(
                "vocab-blocked",
                rows,
                max(128, (48 << 20) // (rows * 4) // 128 * 128),
                0,
                64 << 20,
                4,
            )
        elif method == "ours-chunked":
            kw["plan"] = LinearPlan(
                "token-chunked", max(1, min(n, (48 << 20) // (v * 4))), v, 0, 64 << 20, 3
            )
        linear_cross_entropy(hidden, weight, labels, **kw).backward()

    run()  # the memory run (and the warm-up)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    extra = peak - base - grad_bytes - (n * v * 4 if method == "floor" else 0)
    times = []
    for _ in range(repeat if mode == "time" else 0):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return {
        "method": method,
        "shape": list(shape),
        "seconds": statistics.median(times) if times else None,
        "times": times,
        "extra_bytes": extra,
        "default_plan": default.__dict__,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default=",".join("x".join(map(str, s)) for s in SHAPES))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, method, shape = args.one.split(":")
        dims = tuple(int(x) for x in shape.split("x"))
        print(json.dumps(_one(method, dims, args.repeat, args.threads, mode)))  # type: ignore[arg-type]
        return 0
    if args.out and Path(args.out).exists() and not args.force:
        print(f"--out {args.out} exists; pass --force to replace it", file=sys.stderr)
        return 2
    rows = []
    for shape in args.shapes.split(","):
        by_method = {}
        for method in args.methods.split(","):

            def child(
                mode: str, env: dict[str, str], method: str = method, shape: str = shape
            ) -> dict | None:
                cmd = [sys.executable, __file__, "--one", f"{mode}:{method}:{shape}"]
                cmd += ["--repeat", str(args.repeat), "--threads", str(args.threads)]
                done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
                if done.returncode:
                    last = done.stderr.strip().splitlines()[-1:]
                    print(f"{method} {shape} ({mode}): failed: {last}", file=sys.stderr)
                    return None
                return dict(json.loads(done.stdout))

            # Memory in its own process, with a fixed mmap threshold: glibc then returns
            # every large block when it is freed, so the peak resident size is what was
            # live at once. Time in another, with glibc's defaults (the fixed threshold
            # makes every large allocation fault its pages in anew).
            memory = child("memory", {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"})
            timing = child("time", dict(os.environ))
            if memory is None or timing is None:
                continue
            result = {**timing, "extra_bytes": memory["extra_bytes"]}
            by_method[method] = result
            rows.append(result)
            floor = by_method.get("floor", {}).get("seconds")
            naive = by_method.get("naive", {}).get("seconds")
            ratio = f"{result['seconds'] / floor:5.2f}x floor" if floor else ""
            vs = f"{result['seconds'] / naive:5.2f}x naive" if naive else ""
            print(
                f"{shape:>18} {method:>13} {result['seconds']:8.2f} s  {ratio}  {vs}  "
                f"extra {result['extra_bytes'] / 2**20:9.1f} MiB",
                flush=True,
            )
    if args.out:
        tmp = Path(args.out).with_suffix(".tmp")
        tmp.write_text(json.dumps({"threads": args.threads, "results": rows}, indent=1))
        tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
