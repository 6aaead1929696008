"""Helpers shared by the compat mirrors: dtypes, gathers, and PyTorch's op order.

The mirrors reproduce other libraries' numbers to the last few bits, so the order of
floating-point operations matters: :func:`torch_log_softmax` computes
``(x - max) - log(sum(exp(x - max)))`` exactly as PyTorch's CPU kernel does (and hence
as Keras on its PyTorch backend does), which differs from ``x - logsumexp(x)`` by a
rounding when the result is tiny.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy._array_api import Array, compute_dtype, namespace, to_numpy
from crossentropy._validation import first_index, format_index

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "as_float",
    "finish",
    "first_bad",
    "ignore_fp_warnings",
    "numel",
    "pick",
    "torch_log_sigmoid",
    "torch_log_softmax",
]


@contextmanager
def ignore_fp_warnings() -> Iterator[None]:
    """Silence NumPy's floating-point warnings: the mirrored libraries return inf/NaN.

    ``log(0) = -inf`` and ``0 * -inf = nan`` are the libraries' documented answers
    (PyTorch then clamps or propagates them); NumPy would add a ``RuntimeWarning``.
    """
    with np.errstate(all="ignore"):
        yield


def finish(xp: Any, result: Array, dtype: Any) -> Array:
    """``result`` as an array of ``xp`` in ``dtype`` (NumPy reductions return scalars)."""
    result = xp.asarray(result)
    return result if result.dtype == dtype else xp.astype(result, dtype)


def numel(shape: tuple[int, ...]) -> int:
    """Number of elements of an array of ``shape``."""
    return math.prod(int(n) for n in shape)


def as_float(xp: Any, x: Array, dtype: Any = None) -> Array:
    """``x`` in ``dtype`` (default: its compute dtype; integers become float64)."""
    target = compute_dtype(xp, x.dtype) if dtype is None else dtype
    return x if x.dtype == target else xp.astype(x, target)


def pick(xp: Any, values: Array, index: Array, axis: int) -> Array:
    """``values[..., index, ...]`` along ``axis``; ``index`` has the other dimensions.

    Implemented as a one-hot select and sum (exact: one term is kept, the others are
    zeros) so that it runs on every array-API library, Dask included.
    """
    n = values.shape[axis]
    _, (_, classes) = namespace(values, list(range(n)))
    shape = [1] * values.ndim
    shape[axis] = n
    hit = xp.expand_dims(index, axis=axis) == xp.reshape(
        xp.astype(classes, index.dtype), tuple(shape)
    )
    return xp.sum(xp.where(hit, values, xp.zeros_like(values)), axis=axis)


def torch_log_softmax(xp: Any, x: Array, axis: int) -> Array:
    """``log_softmax`` in PyTorch's CPU operation order: ``(x - m) - log(sum(exp(x - m)))``.

    An all ``-inf`` slice gives NaN and a ``+inf`` entry gives NaN, as in PyTorch.
    """
    if x.shape[axis] == 0:
        return x
    shifted = x - xp.max(x, axis=axis, keepdims=True)  # max shift: exponents <= 0
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def torch_log_sigmoid(xp: Any, x: Array) -> Array:
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, PyTorch's CPU formula."""
    return xp.minimum(x, xp.zeros_like(x)) - xp.log1p(xp.exp(-xp.abs(x)))


def first_bad(bad: Array, values: Array) -> tuple[str, Any]:
    """The index (formatted) and value of the first ``True`` of ``bad`` in ``values``."""
    index = first_index(bad)
    value = to_numpy(values)[index] if index else to_numpy(values)
    return format_index(index), value
