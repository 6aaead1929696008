"""Linear cross-entropy cases: ``loss = cross_entropy(h @ W.T, y)``, forward+backward.

Hidden states ``h`` (N, H) and weight ``W`` (V, H) are float32, scaled so the logits are
about standard normal; the gradients with respect to both are computed. Three cases:

* naive torch: ``F.cross_entropy(h @ W.T, y).backward()`` materialises the ``(N, V)``
  logits, their log-softmax and their gradient;
* ours: ``crossentropy.torch.linear_cross_entropy(h, W, y, bias=None).backward()``;
* the matmul floor: the three matrix products alone, ``h @ W.T -> (N, V)``,
  ``g @ W -> (N, H)`` and ``g.T @ h -> (V, H)``, written into preallocated buffers
  (``out=``), with ``g`` the logits buffer reused (the values do not change the time).
  When one ``(N, V)`` buffer would take more than a quarter of the available memory the
  products run over chunks of tokens (``(chunk, V)`` buffer, weight gradient
  accumulated with ``addmm_``): the same FLOPs, recorded in the case's details.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy.bench._measure import Prepared
from crossentropy.bench._softmax_cases import grad_check

if TYPE_CHECKING:
    from collections.abc import Callable

    from crossentropy.bench._spec import CaseSpec

__all__ = ["SETUPS", "available_bytes", "linear_inputs"]


def available_bytes() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes, or None where there is none."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def linear_inputs(shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hidden states (N, H), weight (V, H) scaled by 1/sqrt(H), labels (N,)."""
    n, h, v = shape
    rng = np.random.default_rng(seed)
    hidden = rng.standard_normal((n, h), dtype=np.float32)
    weight = rng.standard_normal((v, h), dtype=np.float32)
    weight *= np.float32(1 / math.sqrt(h))
    return hidden, weight, rng.integers(0, v, n)


def _tensors(spec: CaseSpec) -> tuple[Any, Any, Any, Any]:
    import torch

    torch.set_num_threads(spec.threads)
    hidden, weight, labels = linear_inputs(spec.shape, spec.seed)
    return (
        torch,
        torch.from_numpy(hidden).requires_grad_(True),
        torch.from_numpy(weight).requires_grad_(True),
        torch.from_numpy(labels),
    )


def _logits_bytes(spec: CaseSpec) -> int:
    n, _, v = spec.shape
    return n * v * 4


def _autograd_case(spec: CaseSpec, loss_of: Callable[[Any, Any, Any], Any]) -> Prepared:
    _, hidden, weight, labels = _tensors(spec)

    def reset() -> None:
        hidden.grad = None
        weight.grad = None

    def run() -> Any:
        loss: Any = loss_of(hidden, weight, labels)
        loss.backward()
        return loss.detach()

    def finish(loss: Any) -> tuple[float | None, float | None]:
        return loss.item(), grad_check(hidden.grad) + grad_check(weight.grad)

    details = {"grad_check": "sum of squares of the first 64 rows of h.grad and W.grad"}
    return Prepared(run, _logits_bytes(spec), reset, finish, details)


def _naive(spec: CaseSpec) -> Prepared:
    from torch.nn.functional import cross_entropy

    return _autograd_case(spec, lambda h, w, y: cross_entropy(h @ w.T, y))


def _ours(spec: CaseSpec) -> Prepared:
    from crossentropy.bench._softmax_cases import _ours_torch

    linear_cross_entropy = _ours_torch("linear_cross_entropy")
    return _autograd_case(spec, lambda h, w, y: linear_cross_entropy(h, w, y, bias=None))


def _floor(spec: CaseSpec) -> Prepared:
    torch, hidden, weight, _ = _tensors(spec)
    hidden, weight = hidden.detach(), weight.detach()
    n, h, v = spec.shape
    available = available_bytes()
    chunk = n
    if available is not None and n * v * 4 > available // 4:
        chunk = max(1, min(n, available // 4 // (v * 4)))
    logits = torch.empty((chunk, v))  # also serves as g, the logits' gradient
    grad_hidden = torch.empty((n, h))
    grad_weight = torch.empty((v, h))

    def run() -> None:
        for start in range(0, n, chunk):
            rows = hidden[start : start + chunk]
            g = logits[: rows.shape[0]]
            torch.matmul(rows, weight.T, out=g)  # (c, H) @ (H, V)
            torch.matmul(g, weight, out=grad_hidden[start : start + rows.shape[0]])  # (c, V)@(V, H)
            if start == 0:
                torch.matmul(g.T, rows, out=grad_weight)  # (V, c) @ (c, H)
            else:
                grad_weight.addmm_(g.T, rows)

    details = {
        "timed": "h@W.T -> (N,V), g@W -> (N,H), g.T@h -> (V,H) into preallocated out= "
        "buffers; g is the logits buffer reused",
        "chunk_tokens": chunk,
        "flop": 6 * n * h * v,
    }
    return Prepared(run, _logits_bytes(spec), finish=lambda _: (None, None), details=details)


SETUPS: dict[str, Callable[[CaseSpec], Prepared]] = {
    "torch": _naive,
    "torch-ours": _ours,
    "matmul-floor": _floor,
}
