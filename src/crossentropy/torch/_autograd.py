"""What the fused autograd Functions share: argument checks, dtypes, saved-tensor rules.

Used by :mod:`crossentropy.torch._cross_entropy` and :mod:`crossentropy.torch._linear`.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "HALF_DTYPES",
    "check_bool",
    "is_one",
    "is_plain_tensor",
    "loss_dtype",
    "may_overwrite_saved",
    "refuse_double_backward",
    "scale_saved",
    "tracing",
]

HALF_DTYPES = (torch.float16, torch.bfloat16)
# Subclasses (DTensor, FakeTensor, masked tensors, ...) keep PyTorch's own dispatch.
_PLAIN_TENSORS = (torch.Tensor, nn.Parameter)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a ``bool``; ``TypeError`` naming ``name`` otherwise."""
    if not isinstance(value, bool):
        msg = f"{name} must be a bool, got {type(value).__name__} {value!r:.80}"
        raise TypeError(msg)
    return value


def is_plain_tensor(value: object) -> bool:
    """Whether ``value`` is an ordinary strided ``torch.Tensor`` (or ``nn.Parameter``)."""
    return (
        isinstance(value, torch.Tensor)
        and type(value) in _PLAIN_TENSORS
        and value.layout == torch.strided
    )


def tracing() -> bool:
    """Whether torch.compile or a functorch transform (vmap, grad) is running.

    The fused path leaves PyTorch for NumPy, which neither can trace, so callers fall back
    to plain torch operations then.
    """
    return bool(torch.compiler.is_compiling() or torch._C._are_functorch_transforms_active())


def may_overwrite_saved() -> bool:
    """Whether the graph running backward now is freed afterwards (no ``retain_graph``).

    Only then may a backward scale its saved gradient in place: with ``retain_graph=True``
    a second backward would read the scaled buffer. When the running PyTorch cannot tell,
    the answer is ``False`` (out of place: correct, one more buffer).
    """
    keep_graph = getattr(torch._C._autograd, "_get_current_graph_task_keep_graph", None)
    return keep_graph is not None and not keep_graph()


def is_one(grad_output: torch.Tensor) -> bool:
    """Whether ``grad_output`` is the scalar 1 (``loss.backward()``): no scaling needed."""
    return grad_output.numel() == 1 and bool(grad_output.reshape(()) == 1)


def loss_dtype(dtype: torch.dtype, device: torch.device) -> torch.dtype:
    """The loss's dtype: ``dtype``, but float32 for half precision under autocast.

    PyTorch's autocast runs cross-entropy in float32 (its "fp32" op list), so under
    ``torch.autocast`` a float16/bfloat16 input gives a float32 loss; the gradient keeps
    the input's dtype.
    """
    if dtype in HALF_DTYPES and torch.is_autocast_enabled(device.type):
        return torch.float32
    return dtype


def refuse_double_backward(name: str) -> None:
    """Raise if backward runs with ``create_graph=True`` (grad mode is on only then).

    The saved gradient is a constant to autograd, so a graph built through it would
    silently miss the second-order term (what ``@once_differentiable`` does when the
    incoming gradient needs no grad): an explicit error instead.
    """
    if torch.is_grad_enabled():
        msg = (
            f"{name} does not support double backward (create_graph=True); use the plain "
            "PyTorch expression where second derivatives are needed"
        )
        raise RuntimeError(msg)


def scale_saved(grad: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``grad * factor`` in ``grad``'s dtype, over ``grad`` when :func:`may_overwrite_saved`.

    ``factor`` keeps its own (possibly wider) dtype: a half-precision product is formed
    in float32 and rounded once.
    """
    if may_overwrite_saved():
        return grad.mul_(factor)
    return torch.mul(grad, factor, out=torch.empty_like(grad))


# --------------------------------------------------------------------------------------
# The autograd Function
#
