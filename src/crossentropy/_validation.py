"""``check_*`` helpers that raise ``ValueError``/``TypeError`` naming the argument.

Each message says which argument was wrong, what was expected and what was found,
with the first offending index. Checks on data values run on eager arrays (NumPy,
PyTorch, CuPy, array-api-strict, concrete JAX arrays, and Dask, which is computed); they
are skipped only for values that cannot be inspected, such as JAX tracers inside ``jit``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal, overload

import numpy as np

from crossentropy._array_api import Array, is_eager, is_lazy, to_numpy

__all__ = [
    "NUMBER_KINDS",
    "OUTCOME_KINDS",
    "Reduction",
    "check_axis",
    "check_finite",
    "check_int",
    "check_labels",
    "check_nonnegative",
    "check_probabilities",
    "check_reduction",
    "check_same_shape",
    "check_tolerance",
    "first_index",
    "format_index",
    "found_any",
    "surely_none",
]

#: NumPy dtype kinds of real numbers (signed and unsigned integers, floats): what a
#: parameter array such as class weights must hold. ``bool`` is not a number here, as for
#: every scalar option of the library.
NUMBER_KINDS = "iuf"
#: The same plus ``bool``: for data whose entries are 0/1 outcomes (samples of a
#: Bernoulli family, binary labels), where ``True``/``False`` are the natural values.
OUTCOME_KINDS = "biuf"

Reduction = Literal["none", "mean", "sum"]
_REDUCTIONS = ("none", "mean", "sum")


def first_index(mask: Array) -> tuple[int, ...]:
    """Index of the first ``True`` in ``mask`` (C order), as a tuple of ints."""
    found = np.argwhere(to_numpy(mask))
    return tuple(int(i) for i in found[0]) if len(found) else ()


def format_index(index: tuple[int, ...]) -> str:
    """``(1, 2)`` -> ``"[1, 2]"``: the index format of every message of the library."""
    return "[" + ", ".join(str(i) for i in index) + "]"


def check_int(name: str, value: object, minimum: int | None = None) -> int:
    """``value`` as an int if it is one (Python or NumPy; ``bool`` refused), ``>= minimum``.

    Raises
    ------
    TypeError
        ``value`` is not an integer (``1.0`` and ``True`` are not), naming ``name``.
    ValueError
        ``value < minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"{name} must be an integer, got {type(value).__name__} {value!r:.80}"
        raise TypeError(msg)
    if minimum is not None and value < minimum:
        msg = f"{name} must be >= {minimum}, got {value}"
        raise ValueError(msg)
    return int(value)


@overload
def check_tolerance(name: str, value: object, *, optional: Literal[False] = False) -> float: ...
@overload
def check_tolerance(name: str, value: object, *, optional: bool) -> float | None: ...
def check_tolerance(name: str, value: object, *, optional: bool = False) -> float | None:
    """``value`` as a float if it is a finite real number ``>= 0``; ``None`` if ``optional``.

    The one rule for every tolerance of the library (row sums, degeneracy, stalls):
    infinity is refused (it would switch a check off silently; ``normalize=True`` is the
    way to accept any row sum), and so are NaN, ``bool`` and non-numbers. ``optional``
    lets ``None`` through, meaning "the default for the dtype".

    Raises
    ------
    TypeError
        ``value`` is not a real number (nor ``None`` when ``optional``), naming ``name``.
    ValueError
        ``value`` is negative, infinite or NaN.

    Examples
    --------
    >>> check_tolerance("tol", 1e-6), check_tolerance("tol", None, optional=True)
    (1e-06, None)
    >>> check_tolerance("tol", float("inf"))
    Traceback (most recent call last):
    ...
    ValueError: tol must be a finite number >= 0, got inf
    """
    expected = f"{'None or ' if optional else ''}a finite number >= 0"
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name} must be {expected}, got {type(value).__name__} {value!r:.80}"
        raise TypeError(msg)
    number = float(value)
    if not (number >= 0 and math.isfinite(number)):
        msg = f"{name} must be {expected}, got {value!r}"
        raise ValueError(msg)
    return number


def found_any(xp: Any, mask: Array) -> bool:
    """Whether some entry of ``mask`` is ``True``, as far as can be known now.

    ``False`` when the answer is traced: inside ``jax.jit`` even operations on concrete
    (closed-over) arrays give tracers, so a check whose input was concrete can still
    meet a traced mask. Data checks call this, never ``bool(xp.any(mask))``.
    """
    hit = xp.any(mask)
    return not is_lazy(hit) and bool(hit)


def surely_none(xp: Any, mask: Array) -> bool:
    """Whether ``mask`` is concrete and holds no ``True``: a rare fallback may be skipped.

    ``False`` for a traced (JAX under ``jit``) or a Dask ``mask``, whose answer would cost
    a computation; those take the fallback through ``where`` instead, and stay lazy.
    """
    return is_eager(mask) and not bool(xp.any(mask))


def check_reduction(reduction: object) -> Reduction:
    """Return ``reduction`` if it is one of ``"none"``, ``"mean"``, ``"sum"``."""
    if reduction not in _REDUCTIONS:
        msg = f"reduction must be one of 'none', 'mean', 'sum', got {reduction!r}"
        raise ValueError(msg)
    return reduction  # type: ignore[return-value]


def check_axis(axis: int, ndim: int, name: str = "axis") -> int:
    """Return ``axis`` normalised to ``0 <= axis < ndim``."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        msg = f"{name} must be an int, got {type(axis).__name__} {axis!r}"
        raise TypeError(msg)
    if not -ndim <= axis < ndim:
        msg = f"{name}={axis} is out of range for an input with {ndim} dimension(s)"
        raise ValueError(msg)
    return axis % ndim


def check_same_shape(name_a: str, a: Array, name_b: str, b: Array) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if tuple(a.shape) != tuple(b.shape):
        msg = (
            f"{name_a} and {name_b} must have the same shape, got {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )
        raise ValueError(msg)


def check_finite(xp: Any, name: str, x: Array, *, allow_inf: bool = False) -> None:
    """Raise ``ValueError`` naming the first NaN (or infinite) entry of ``x``.

    A non-numeric array (strings, objects, complex, dates) is a ``TypeError`` naming
    ``name`` and its dtype, before any arithmetic can fail on it with a message of its own.
    """
    if not xp.isdtype(x.dtype, ("real floating", "integral", "bool")):
        msg = f"{name}: expected an array of real numbers, got dtype {x.dtype}"
        raise TypeError(msg)
    if is_lazy(x):
        return
    bad = xp.isnan(x) if allow_inf else ~xp.isfinite(x)
    if found_any(xp, bad):
        index = first_index(bad)
        value = to_numpy(x)[index]
        what = "NaN" if allow_inf else "finite values"
        expected = f"no {what}" if allow_inf else what
        msg = f"{name} must contain {expected}; found {value} at index {format_index(index)}"
        raise ValueError(msg)


def check_nonnegative(xp: Any, name: str, x: Array) -> None:
    """Raise ``ValueError`` naming the first negative or NaN entry of ``x``."""
    if is_lazy(x):
        return
    bad = ~(x >= 0)  # NaN compares False, so it is caught here too
    if found_any(xp, bad):
        index = first_index(bad)
        value = to_numpy(x)[index]
        msg = (
            f"{name} must be non-negative and not NaN; found {value} at index {format_index(index)}"
        )
        raise ValueError(msg)


def default_tolerance(xp: Any, dtype: Any) -> float:
    """``sqrt(eps)`` of ``dtype``: the tolerance on row sums (scikit-learn's choice)."""
    return math.sqrt(float(xp.finfo(dtype).eps))


def check_probabilities(
    xp: Any,
    name: str,
    p: Array,
    *,
    axis: int | None,
    tol: float | None = None,
    log: bool = False,
    hint: str = "Pass normalize=True to renormalise explicitly.",
) -> None:
    """Check that ``p`` holds probability distributions along ``axis``.

    Entries must be in ``[0, 1 + tol]`` and not NaN (for ``log=True``: log-probabilities
    in ``[-inf, tol]``); when ``axis`` is not ``None`` every slice along it must sum to one
    within ``tol`` (default ``sqrt(eps)`` of the dtype). The message names ``name``,
    the first offending index and the offending value or sum.
    """
    if is_lazy(p):
        return
    if tol is None:
        tol = default_tolerance(xp, p.dtype)
    # Entries may exceed 1 (log-probabilities 0) by the same tolerance as the sums: a
    # marginal summed from a table can be 1.0000000000000002 and is still a distribution.
    if log:
        bad = xp.isnan(p) | (p > tol)
        expected = "log-probabilities in [-inf, 0]"
    else:
        bad = ~((p >= 0.0) & (p <= 1.0 + tol))
        expected = "probabilities in [0, 1]"
    if found_any(xp, bad):
        index = first_index(bad)
        value = to_numpy(p)[index]
        msg = f"{name} must contain {expected}; found {value} at index {format_index(index)}"
        raise ValueError(msg)
    if axis is None or p.shape[axis] == 0:
        return
    totals = xp.sum(xp.exp(p) if log else p, axis=axis)
    off = xp.abs(totals - 1.0) > tol
    if found_any(xp, off):
        index = first_index(off)
        total = (
            float(to_numpy(totals)[index]) if index or totals.ndim == 0 else float(to_numpy(totals))
        )
        where = f"at index {format_index(index)} " if index else ""
        kind = "exp(" + name + ")" if log else name
        msg = (
            f"{kind} must sum to 1 along axis {axis} (tolerance {tol:.3g}); the slice "
            f"{where}sums to {total!r}. {hint}"
        )
        raise ValueError(msg)


def check_labels(
    xp: Any,
    name: str,
    labels: Array,
    num_classes: int,
    *,
    ignore_index: int | None = None,
) -> None:
    """Check integer class labels: in ``[0, num_classes)`` or equal to ``ignore_index``."""
    if not xp.isdtype(labels.dtype, "integral"):
        msg = f"{name} must be integer class labels, got dtype {labels.dtype}"
        raise TypeError(msg)
    if is_lazy(labels):
        return
    bad = (labels < 0) | (labels >= num_classes)
    if ignore_index is not None:
        bad = bad & (labels != ignore_index)
    if found_any(xp, bad):
        index = first_index(bad)
        value = int(to_numpy(labels)[index]) if index else int(to_numpy(labels))
        or_ignored = f" or ignore_index={ignore_index}" if ignore_index is not None else ""
        msg = (
            f"{name} must be class indices in [0, {num_classes}){or_ignored}; found {value} at "
            f"index {format_index(index)}"
        )
        raise ValueError(msg)
