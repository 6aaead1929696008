"""Gradient filtering's effect: time and gradient error against the exact gradient.

``linear_cross_entropy(..., grad_filter=eps)`` skips, in backward, each tile whose every
gradient entry is below ``eps``. For one shape (float32, 2 threads, the vocabulary-blocked
schedule at the default budget) this prints, per ``eps``, the forward+backward time and
the largest relative error of the hidden and weight gradients against ``grad_filter=0``.

    python benchmarks/linear_grad_filter.py [--shape 2048x512x65536] [--scale 4]

``--scale`` multiplies the hidden states: confident (peaked) softmaxes have more tiles of
tiny gradients to skip, as in a trained language model.
"""

from __future__ import annotations

import argparse
import time

import torch

from crossentropy.torch import linear_cross_entropy, plan_linear_cross_entropy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", default="2048x512x65536")
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n, h, v = (int(x) for x in args.shape.split("x"))
    gen = torch.Generator().manual_seed(0)
    hidden = torch.randn(n, h, generator=gen).mul_(args.scale)
    weight = torch.randn(v, h, generator=gen).div_(h**0.5)
    labels = torch.randint(0, v, (n,), generator=gen)
    base = plan_linear_cross_entropy(n, h, v, memory_budget=16 << 20)  # force vocab blocks
    plan = base if base.schedule == "vocab-blocked" else None
    print(f"shape {args.shape}, scale {args.scale}, plan {plan}")

    def grads(eps: float) -> tuple[float, torch.Tensor, torch.Tensor]:
        hh, ww = hidden.clone().requires_grad_(), weight.clone().requires_grad_()
        t0 = time.perf_counter()
        linear_cross_entropy(hh, ww, labels, plan=plan, grad_filter=eps).backward()
        return time.perf_counter() - t0, hh.grad, ww.grad

    exact_time, gh, gw = grads(0.0)
    exact_time, gh, gw = grads(0.0)  # the second run: warm
    print(f"  grad_filter=0        {exact_time:6.2f} s   (exact)")
    for eps in [2.0**-24, 2.0**-20, 2.0**-16, 2.0**-12]:
        seconds, fh, fw = grads(eps)
        eh = float((fh - gh).abs().max() / gh.abs().max())
        ew = float((fw - gw).abs().max() / gw.abs().max())
        print(
            f"  grad_filter=2^{round(torch.log2(torch.tensor(eps)).item()):<4d} {seconds:6.2f} s"
            f"  {seconds / exact_time:5.2f}x   max rel. error: hidden {eh:.1e}, weight {ew:.1e}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
