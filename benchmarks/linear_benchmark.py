"""Large-vocabulary linear cross-entropy: time and extra memory, ours against naive torch.

For each shape (N tokens, H hidden, V classes; float32, ``--threads`` threads) and each
method, forward+backward of ``loss(h @ W.T, y)`` with the gradients of ``h`` and ``W``:

* ``floor``: the three matrix products alone (``h @ W.T``, ``G @ W``, ``G.T @ h`` into
  preallocated buffers), what any method must pay;
* ``naive``: ``F.cross_entropy(h @ W.T, y).backward()``;
* ``ours``: ``crossentropy.torch.linear_cross_entropy`` at the default budget (64 MiB);
  ``ours-1GiB`` with ``memory_budget=1 GiB``; ``ours-blocked`` and ``ours-chunked``
  with that schedule forced (tiles of the default budget).

Time: all methods of a shape run in one process, round robin (floor, naive, ours, ... then
again), ``--repeat`` rounds after a warm-up round; each ratio is the median over rounds of
the method's time divided by the floor's (or naive torch's) in the same round, so that
the drift of a shared machine cancels. Extra memory: each method once in a fresh process
with a fixed glibc mmap threshold (freed blocks go back to the system): the peak resident
size (``ru_maxrss``) minus the resident size with the inputs allocated and the code
loaded, minus the gradients' own bytes (``dW`` and ``dh``; the floor: minus its buffers).

    python benchmarks/linear_benchmark.py [--shapes 2048x512x65536,...] [--repeat 3]
        [--methods floor,naive,ours,...] [--out benchmarks/results/linear-DATE.json [--force]]
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
from typing import Any

SHAPES = [(2048, 512, 65536), (4096, 1024, 128256), (8192, 2048, 32000)]
METHODS = ["floor", "naive", "ours", "ours-1GiB", "ours-blocked"]


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _setup(shape: tuple[int, int, int], threads: int) -> tuple[Any, ...]:
    import torch

    torch.set_num_threads(threads)
    n, h, v = shape
    gen = torch.Generator().manual_seed(0)
    hidden = torch.empty(n, h).normal_(generator=gen).requires_grad_()
    weight = torch.empty(v, h).normal_(generator=gen).div_(h**0.5).requires_grad_()
    labels = torch.randint(0, v, (n,), generator=gen)
    return hidden, weight, labels


def _runner(method: str, hidden: Any, weight: Any, labels: Any) -> Any:
    """A function running ``method`` once (forward+backward)."""
    import torch
    import torch.nn.functional as F

    from crossentropy.torch import LinearPlan, linear_cross_entropy

    n, h = hidden.shape
    v = weight.shape[0]
    if method == "floor":  # the logits (reused as G) and the two gradients, preallocated
        g, gh, gw = torch.empty(n, v), torch.empty(n, h), torch.empty(v, h)

        def floor() -> None:
            with torch.no_grad():
                torch.mm(hidden, weight.T, out=g)
                torch.mm(g, weight, out=gh)
                torch.mm(g.T, hidden, out=gw)

        return floor
    kw: dict[str, Any] = {}
    if method == "ours-1GiB":
        kw["memory_budget"] = 1 << 30
    elif method == "ours-blocked":
        rows = min(n, 8192)
        vocab = max(128, (48 << 20) // (rows * 4) // 128 * 128)
        kw["plan"] = LinearPlan("vocab-blocked", rows, vocab, 0, 64 << 20, 4)
    elif method == "ours-chunked":
        rows = max(1, min(n, (48 << 20) // (v * 4)))
        kw["plan"] = LinearPlan("token-chunked", rows, v, 0, 64 << 20, 3)

    def run() -> None:
        hidden.grad = weight.grad = None
        if method == "naive":
            F.cross_entropy(hidden @ weight.T, labels).backward()
        else:
            linear_cross_entropy(hidden, weight, labels, **kw).backward()
        hidden.grad = weight.grad = None

    return run


def _memory(method: str, shape: tuple[int, int, int], threads: int) -> dict[str, Any]:
    import torch
    import torch.nn.functional as F

    from crossentropy.torch import linear_cross_entropy

    hidden, weight, labels = _setup(shape, threads)
    n, h, v = shape
    # Load the code first (numba's compiled kernels, MKL): a fixed cost, not extra memory.
    tiny = torch.randn(4, h, requires_grad=True)
    if method.startswith("ours"):  # both schedules' code: the softmax and the tile kernels
        from crossentropy.torch import LinearPlan

        for plan in (None, LinearPlan("vocab-blocked", 2, 4, 0, 0, 4)):
            y = torch.zeros(4, dtype=torch.long)
            linear_cross_entropy(tiny, torch.randn(8, h), y, plan=plan).backward()
    else:
        F.cross_entropy(tiny @ torch.randn(8, h).T, torch.zeros(4, dtype=torch.long)).backward()
    base = _rss()
    _runner(method, hidden, weight, labels)()  # the floor's buffers are allocated here
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    grad_bytes = (n * h + v * h) * 4
    extra = peak - base - grad_bytes - (n * v * 4 if method == "floor" else 0)
    return {"method": method, "shape": list(shape), "extra_bytes": extra}


def _time(methods: list[str], shape: tuple[int, int, int], repeat: int, threads: int) -> dict:
    hidden, weight, labels = _setup(shape, threads)
    runs = {m: _runner(m, hidden, weight, labels) for m in methods}
    times: dict[str, list[float]] = {m: [] for m in methods}
    for round_ in range(repeat + 1):  # the first round warms up
        for method, run in runs.items():
            t0 = time.perf_counter()
            run()
            if round_:
                times[method].append(time.perf_counter() - t0)
    return times


def _child(args: list[str], env: dict[str, str]) -> Any:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, env=env
    )
    if done.returncode:
        print(f"{' '.join(args)}: failed: {done.stderr.strip()[-2000:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout)


def _ratio(times: dict[str, list[float]], method: str, against: str) -> float | None:
    if against not in times:
        return None
    pairs = zip(times[method], times[against], strict=True)
    return statistics.median(a / b for a, b in pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default=",".join("x".join(map(str, s)) for s in SHAPES))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--memory", help=argparse.SUPPRESS)
    parser.add_argument("--time", help=argparse.SUPPRESS)
    args = parser.parse_args()
    methods = args.methods.split(",")
    if args.memory or args.time:
        shape = tuple(int(x) for x in (args.memory or args.time).split(":")[-1].split("x"))
        if args.memory:
            result = _memory(args.memory.split(":")[0], shape, args.threads)  # type: ignore[arg-type]
        else:
            result = _time(methods, shape, args.repeat, args.threads)  # type: ignore[arg-type]
        print(json.dumps(result))
        return 0
    if args.out and Path(args.out).exists() and not args.force:
        print(f"--out {args.out} exists; pass --force to replace it", file=sys.stderr)
        return 2
    rows = []
    common = ["--threads", str(args.threads)]
    fixed = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}
    for shape in args.shapes.split(","):
        memory = {}
        for method in methods:
            found = _child(["--memory", f"{method}:{shape}", *common], fixed)
            if found is not None:
                memory[method] = found["extra_bytes"]
        timing_args = ["--time", shape, "--methods", args.methods, "--repeat", str(args.repeat)]
        times = _child([*timing_args, *common], dict(os.environ))
        if times is None:
            continue
        for method in methods:
            row = {
                "shape": shape,
                "method": method,
                "seconds": statistics.median(times[method]),
                "times": times[method],
                "x_floor": _ratio(times, method, "floor"),
                "x_naive": _ratio(times, method, "naive"),
                "extra_bytes": memory.get(method),
            }
            rows.append(row)
            extra = row["extra_bytes"]
            print(
                f"{shape:>18} {method:>13} {row['seconds']:8.2f} s"
                f"  {row['x_floor'] or 0:5.2f}x floor  {row['x_naive'] or 0:5.2f}x naive"
                f"  extra {(extra or 0) / 2**20:9.1f} MiB",
                flush=True,
            )
    if args.out:
        tmp = Path(args.out).with_suffix(".tmp")
        tmp.write_text(json.dumps({"threads": args.threads, "results": rows}, indent=1))
        tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
