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
    "index_dtype",
    "is_eager",
    "is_lazy",
    "namespace",
    "to_numpy",
]

#: Arrays are duck-typed through the array API standard.
Array = Any


def _is_array(value: object) -> bool:
    return bool(array_api_compat.is_array_api_obj(value))


_NUMERIC_KINDS = "biuf"  # bool, integers, real floats (NumPy dtype kinds)


def _non_numeric(value: object) -> str | None:
    """The dtype of a NumPy array that holds no real numbers (strings, objects, ...)."""
    if isinstance(value, np.ndarray | np.generic) and value.dtype.kind not in _NUMERIC_KINDS:
        return str(value.dtype)
    return None


def namespace(
    *values: object, names: tuple[str, ...] | None = None
) -> tuple[Any, tuple[Array, ...]]:
    """Return the array namespace shared by ``values`` and the values as arrays of it.

    ``names`` (the arguments' names, in order) word the ``TypeError`` for data that is not
    numeric (a string, object or date array, a list holding one); without them the
    argument is named by its position.

    Python scalars, lists and tuples become NumPy arrays (``float64`` for non-integer
    data, ``int64`` for integers) unless another argument is an array of a different
    library, in which case they are created in that library on the same device, in
    ``float64`` / :func:`index_dtype` where it has them (JAX without ``jax_enable_x64``
    has neither: ``float32`` / ``int32`` there). ``None`` is passed through.
    """
    arrays = [v for v in values if v is not None and _is_array(v)]
    if arrays:
        xp = array_api_compat.array_namespace(*arrays)
        device = array_api_compat.device(arrays[0])
    else:
        xp = array_api_compat.array_namespace(np.empty(0))
        device = None
    out: list[Array] = []
    for position, value in enumerate(values):
        name = names[position] if names else f"argument {position + 1}"
        if value is None or _is_array(value):
            bad = _non_numeric(value)
            if bad is not None:
                msg = f"{name}: expected an array of real numbers, got dtype {bad}"
                raise TypeError(msg)
            out.append(value)
            continue
        as_numpy = np.asarray(value)
        if as_numpy.dtype.kind not in _NUMERIC_KINDS:
            msg = (
                f"{name}: expected numeric array-like data, "
                f"got {type(value).__name__} {value!r:.80}"
            )
            raise TypeError(msg)
        if as_numpy.dtype.kind == "b":
            out.append(xp.asarray(as_numpy.tolist(), dtype=xp.bool, device=device))
        elif as_numpy.dtype.kind in "iu":
            out.append(xp.asarray(as_numpy.tolist(), dtype=index_dtype(xp), device=device))
        else:
            dtype = xp.float64 if _has_dtype(xp, "float64", "real floating") else xp.float32
            out.append(xp.asarray(as_numpy.astype(np.float64).tolist(), dtype=dtype, device=device))
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
    return xp.float64 if _has_dtype(xp, "float64", "real floating") else xp.float32


def index_dtype(xp: Any) -> Any:
    """Return the integer dtype for class labels: ``int64`` where ``xp`` has it.

    JAX without ``jax_enable_x64`` has no 64-bit dtypes (asking for one warns and gives
    32 bits), so there it is the namespace's default integer dtype, ``int32``.
    """
    if _has_dtype(xp, "int64", "signed integer"):
        return xp.int64
    return xp.__array_namespace_info__().default_dtypes()["integral"]


def _has_dtype(xp: Any, name: str, kind: str) -> bool:
    """Whether ``xp`` has the dtype ``name`` (asked each time: JAX's x64 switch can change)."""
    try:
        info = xp.__array_namespace_info__()
    except AttributeError:  # pragma: no cover - namespaces without the inspection API
        return True
    return name in info.dtypes(kind=kind)


def device(x: Array) -> Any:
    """Return the device of ``x`` (for creating new arrays beside it, e.g. ``xp.arange``)."""
    return array_api_compat.device(x)


def is_lazy(x: Array) -> bool:
    """Whether ``x`` cannot be inspected eagerly (a traced JAX value, say).

    Dask arrays are lazy but can be computed, so data checks still run on them. A
    concrete JAX array is not lazy (its values can be read); a JAX tracer (inside
    ``jax.jit``, ``jax.grad``, ``jax.vmap``) is.
    """
    if array_api_compat.is_dask_array(x):
        return False
    if array_api_compat.is_jax_array(x):
        # array_api_compat.is_lazy_array calls every JAX array lazy, to be safe; only a
        # tracer is, and treating concrete arrays so would skip every data check on them.
        return _is_jax_tracer(x)
    return bool(array_api_compat.is_lazy_array(x))


def is_eager(x: Array) -> bool:
    """Whether the values of ``x`` can be read now, cheaply (not a tracer, not a Dask graph).

    Code may branch on data (say, a fast path for all-finite input) only when this holds.
    """
    return not array_api_compat.is_dask_array(x) and not is_lazy(x)


def _is_jax_tracer(x: Any) -> bool:
    import jax  # only reached for JAX arrays, so jax is already imported

    return isinstance(x, jax.core.Tracer)


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
    if array_api_compat.is_jax_array(x):
        return np.asarray(x)  # copies to host; fails, as it must, for a tracer
    try:
        return np.asarray(np.from_dlpack(x))
    except (TypeError, RuntimeError, BufferError, AttributeError):
        return np.asarray(x)


def _torch_is_half(x: Any) -> bool:
    import torch  # only reached for torch tensors

    return bool(x.dtype == torch.bfloat16)
