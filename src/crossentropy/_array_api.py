"""The only module that talks to ``array_api_compat``.

Every public function turns its array arguments into one namespace ``xp`` with
:func:`namespace`, computes with ``xp.*`` only, and returns arrays of the caller's
type, dtype and device. :func:`to_numpy` is the single exit to NumPy (used for error
messages and for the CLI).
"""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

__all__ = [
    "Array",
    "compute_dtype",
    "device",
    "is_eager",
    "is_lazy",
    "namespace",
    "to_numpy",
]

#: Arrays are duck-typed through the array API standard.
Array = Any


def _is_array(value: object) -> bool:
    return bool(array_api_compat.is_array_api_obj(value))


def namespace(*values: object) -> tuple[Any, tuple[Array, ...]]:
    """Return the array namespace shared by ``values`` and the values as arrays of it.

    Python scalars, lists and tuples become NumPy arrays (``float64`` for non-integer
    data) unless another argument is an array of a different library, in which case
    they are created in that library on the same device. ``None`` is passed through.
    """
    arrays = [v for v in values if v is not None and _is_array(v)]
    if arrays:
        xp = array_api_compat.array_namespace(*arrays)
        device = array_api_compat.device(arrays[0])
    else:
        xp = array_api_compat.array_namespace(np.empty(0))
        device = None
    out: list[Array] = []
    for value in values:
        if value is None or _is_array(value):
            out.append(value)
            continue
        as_numpy = np.asarray(value)
        if as_numpy.dtype == object or as_numpy.dtype.kind in "USV":
            msg = f"expected numeric array-like data, got {type(value).__name__} {value!r:.80}"
            raise TypeError(msg)
        if as_numpy.dtype.kind == "b":
            out.append(xp.asarray(as_numpy.tolist(), dtype=xp.bool, device=device))
        elif as_numpy.dtype.kind in "iu":
            out.append(xp.asarray(as_numpy.tolist(), dtype=xp.int64, device=device))
        else:
            out.append(
                xp.asarray(as_numpy.astype(np.float64).tolist(), dtype=xp.float64, device=device)
            )
    return xp, tuple(out)


def compute_dtype(xp: Any, dtype: Any) -> Any:
    """Return the floating dtype to compute in for inputs of ``dtype``.

    Half precision (``float16``, ``bfloat16``) accumulates in ``float32``; ``float32``
    and ``float64`` compute in themselves; integer and boolean inputs compute in the
    namespace's default floating dtype (``float64`` for NumPy).
    """
    if dtype in (xp.float32, xp.float64):
        return dtype
    if xp.isdtype(dtype, "real floating"):
        return xp.float32  # float16 / bfloat16: accumulate in float32
    if xp.isdtype(dtype, "complex floating"):
        msg = f"complex input is not supported, got dtype {dtype}"
        raise TypeError(msg)
    return xp.float64 if _has_float64(xp) else xp.float32


def _has_float64(xp: Any) -> bool:
    try:
        info = xp.__array_namespace_info__()
        return "float64" in info.dtypes(kind="real floating")
    except AttributeError:  # pragma: no cover - namespaces without the inspection API
        return True


def device(x: Array) -> Any:
    """Return the device of ``x`` (for creating new arrays beside it, e.g. ``xp.arange``)."""
    return array_api_compat.device(x)


def is_lazy(x: Array) -> bool:
    """Whether ``x`` cannot be inspected eagerly (a traced JAX value, say).

    Dask arrays are lazy but can be computed, so data checks still run on them.
    """
    if array_api_compat.is_dask_array(x):
        return False
    return bool(array_api_compat.is_lazy_array(x))


def is_eager(x: Array) -> bool:
    """Whether the values of ``x`` can be read now, cheaply (not a tracer, not a Dask graph).

    Code may branch on data (say, a fast path for all-finite input) only when this holds.
    """
    return not (array_api_compat.is_dask_array(x) or array_api_compat.is_lazy_array(x))


def to_numpy(x: Array) -> np.ndarray:
    """Return ``x`` as a NumPy array (computing, detaching and copying to host as needed)."""
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_torch_array(x):
        return np.asarray(
            x.detach().cpu().float().numpy() if _torch_is_half(x) else x.detach().cpu().numpy()
        )
    if array_api_compat.is_dask_array(x):
        return np.asarray(x)  # computes the graph
    if array_api_compat.is_cupy_array(x):  # pragma: no cover - no GPU in CI
        return np.asarray(x.get())
    if array_api_compat.is_jax_array(x):  # pragma: no cover - exercised where jax is installed
        return np.asarray(x)
    try:
        return np.asarray(np.from_dlpack(x))
    except (TypeError, RuntimeError, BufferError, AttributeError):
        return np.asarray(x)


def _torch_is_half(x: Any) -> bool:
    import torch  # noqa: PLC0415 - only reached for torch tensors

    return bool(x.dtype == torch.bfloat16)
