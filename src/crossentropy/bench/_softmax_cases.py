"""Softmax cross-entropy cases: float32 logits ``(N, C)``, integer labels, mean over rows.

Every implementation sees the same inputs (standard normal logits, uniform labels, from
the case's seed). Forward returns the loss; forward+backward also the gradient with
respect to the logits, whose check value (sum of squares of its first 64 rows, in
float64) is compared across implementations like the loss.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy.bench._measure import Prepared, Skip

if TYPE_CHECKING:
    from collections.abc import Callable

    from crossentropy.bench._spec import CaseSpec

__all__ = ["SETUPS", "grad_check", "softmax_inputs"]

_CHECK_ROWS = 64


def softmax_inputs(shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standard normal float32 logits of ``shape`` and uniform int64 labels."""
    n, c = shape
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c), dtype=np.float32), rng.integers(0, c, n)


def grad_check(grad: Any) -> float:
    """Sum of squares of the gradient's first rows, in float64: a cheap fingerprint."""
    head = np.asarray(grad[:_CHECK_ROWS], dtype=np.float64)
    return float(np.sum(head * head))


def _value_and_grad(result: Any) -> tuple[float | None, float | None]:
    loss, grad = result
    return float(loss), grad_check(grad)


def _torch_threads(spec: CaseSpec) -> Any:
    import torch

    torch.set_num_threads(spec.threads)
    return torch


# ----------------------------------------------------------------------------- peers


def _torch(spec: CaseSpec) -> Prepared:
    torch = _torch_threads(spec)
    from torch.nn.functional import cross_entropy

    return _torch_case(torch, spec, cross_entropy)


def _torch_case(torch: Any, spec: CaseSpec, cross_entropy: Any) -> Prepared:
    """Time ``cross_entropy(logits, labels)`` (and its backward) on torch CPU tensors."""
    x, y = softmax_inputs(spec.shape, spec.seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    if spec.mode == "forward":
        return Prepared(lambda: cross_entropy(xt, yt), x.nbytes, finish=_loss_item)
    xt.requires_grad_(True)

    def reset() -> None:
        xt.grad = None

    def run() -> Any:
        loss: Any = cross_entropy(xt, yt)
        loss.backward()
        return loss.detach()

    return Prepared(run, x.nbytes, reset, lambda loss: (loss.item(), grad_check(xt.grad)))


def _loss_item(loss: Any) -> tuple[float | None, float | None]:
    return float(loss.item()), None


def _jax(spec: CaseSpec) -> Prepared:
    import jax

    optax: Any = importlib.import_module("optax")  # no type information

    x, y = softmax_inputs(spec.shape, spec.seed)
    xj, yj = jax.device_put(x), jax.device_put(y.astype(np.int32))
    del x

    def mean_loss(logits: Any, labels: Any) -> Any:
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    nbytes = int(xj.nbytes)
    if spec.mode == "forward":
        forward: Any = jax.jit(mean_loss)
        return Prepared(lambda: forward(xj, yj).block_until_ready(), nbytes)
    both: Any = jax.jit(jax.value_and_grad(mean_loss))

    def run() -> Any:
        loss, grad = both(xj, yj)
        return loss.block_until_ready(), grad.block_until_ready()

    return Prepared(run, nbytes, finish=_value_and_grad)


def _numpy(spec: CaseSpec) -> Prepared:
    x, y = softmax_inputs(spec.shape, spec.seed)
    n = x.shape[0]
    rows = np.arange(n)

    def forward() -> Any:
        shifted = x - x.max(axis=1, keepdims=True)  # max shift: exp cannot overflow
        lse = np.log(np.exp(shifted).sum(axis=1))
        return np.mean(lse - shifted[rows, y])

    def both() -> Any:
        shifted = x - x.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - shifted[rows, y])
        grad = e / (total * n)  # d mean / dx = (softmax - onehot) / N
        grad[rows, y] -= np.float32(1 / n)
        return loss, grad

    if spec.mode == "forward":
        return Prepared(forward, x.nbytes, details={"steps": "max, subtract, exp, sum, log"})
    return Prepared(both, x.nbytes, finish=_value_and_grad)


def _scipy(spec: CaseSpec) -> Prepared:
    from scipy.special import log_softmax

    x, y = softmax_inputs(spec.shape, spec.seed)
    rows = np.arange(x.shape[0])
    return Prepared(lambda: -np.mean(log_softmax(x, axis=1)[rows, y]), x.nbytes)


# ----------------------------------------------------------------------------- ours


def _kernels(spec: CaseSpec) -> Prepared:
    from crossentropy import kernels

    x, y = softmax_inputs(spec.shape, spec.seed)
    details = {"numba": kernels.numba_available()}
    if spec.mode == "forward":
        return Prepared(lambda: kernels.softmax_cross_entropy(x, y), x.nbytes, details=details)

    def run() -> Any:
        result = kernels.softmax_cross_entropy_with_grad(x, y)
        return result.loss, result.grad

    return Prepared(run, x.nbytes, finish=_value_and_grad, details=details)


def _kernels_out(spec: CaseSpec) -> Prepared:
    from crossentropy import kernels

    x, y = softmax_inputs(spec.shape, spec.seed)
    buffer = np.empty_like(x)  # reused by every run; its pages are touched in warm-up

    def run() -> Any:
        return kernels.softmax_cross_entropy_with_grad(x, y, out=buffer).loss, buffer

    details = {"numba": kernels.numba_available(), "out": "one (N, C) buffer reused"}
    return Prepared(run, x.nbytes, finish=_value_and_grad, details=details)


def _kernels_inplace(spec: CaseSpec) -> Prepared:
    from crossentropy import kernels

    x, y = softmax_inputs(spec.shape, spec.seed)
    logits = x.copy()  # the buffer each run overwrites with the gradient

    def reset() -> None:
        np.copyto(logits, x)  # untimed: restore the logits before every run

    def run() -> Any:
        return kernels.softmax_cross_entropy_with_grad(logits, y, inplace=True).loss, logits

    details = {
        "numba": kernels.numba_available(),
        "inplace": "logits restored with np.copyto outside the timed region",
    }
    return Prepared(run, x.nbytes, reset, _value_and_grad, details)


def _losses(spec: CaseSpec) -> Prepared:
    from crossentropy.losses import softmax_cross_entropy

    x, y = softmax_inputs(spec.shape, spec.seed)
    return Prepared(lambda: softmax_cross_entropy(x, y), x.nbytes)


def _torch_ours(spec: CaseSpec) -> Prepared:
    return _torch_case(_torch_threads(spec), spec, _ours_torch("cross_entropy"))


def _ours_torch(name: str) -> Any:
    """``crossentropy.torch.<name>``, or :class:`Skip` when it is not there (yet)."""
    try:
        import crossentropy.torch as ours
    except ImportError as exc:
        msg = f"crossentropy.torch cannot be imported ({exc})"
        raise Skip(msg) from None
    function = getattr(ours, name, None)
    if function is None:
        msg = f"crossentropy.torch has no {name}"
        raise Skip(msg)
    return function


SETUPS: dict[str, Callable[[CaseSpec], Prepared]] = {
    "torch": _torch,
    "jax": _jax,
    "numpy": _numpy,
    "scipy": _scipy,
    "kernels": _kernels,
    "kernels-out": _kernels_out,
    "kernels-inplace": _kernels_inplace,
    "losses": _losses,
    "torch-ours": _torch_ours,
}
