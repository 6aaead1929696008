"""Validation shared by the sampling families: parameters, samples, weights, options.

Every check raises ``ValueError`` (bad value) or ``TypeError`` (bad type) naming the
argument, what was expected and what was found, with the first offending index.
Validated parameters are stored as read-only ``float64`` copies, so a family cannot be
changed behind its back through an array the caller still holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy._validation import OUTCOME_KINDS, check_tolerance
from crossentropy.method._checks import check_count as shared_check_count
from crossentropy.method._checks import check_rng

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "check_alpha",
    "check_count",
    "check_rng",
    "check_same_family",
    "check_tol",
    "frozen",
    "index_text",
    "normalized_weights",
    "parameter_array",
    "sample_matrix",
]


def index_text(mask: NDArray[np.bool_]) -> str:
    """``"index [i, j]"`` of the first ``True`` entry of ``mask``."""
    first = np.argwhere(mask)[0]
    return "index [" + ", ".join(str(int(i)) for i in first) + "]"


def frozen(array: NDArray[np.float64]) -> NDArray[np.float64]:
    """A read-only copy of ``array`` (parameters of an immutable family)."""
    out = np.array(array, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


def parameter_array(
    name: str,
    value: ArrayLike,
    *,
    ndim: int,
    allow_inf: bool = False,
    shape: tuple[int, ...] | None = None,
) -> NDArray[np.float64]:
    """``value`` as a read-only ``float64`` array with ``ndim`` dimensions.

    NaN is always rejected, infinities unless ``allow_inf``; ``shape`` (when given) must
    match exactly. Dimensions must be non-empty.
    """
    raw = np.asarray(value)
    if raw.dtype == object or raw.dtype.kind not in OUTCOME_KINDS:
        msg = f"{name} must be a real numeric array, got {type(value).__name__} {value!r:.80}"
        raise TypeError(msg)
    array = raw.astype(np.float64)
    if array.ndim != ndim:
        msg = f"{name} must have {ndim} dimension(s), got shape {array.shape}"
        raise ValueError(msg)
    if shape is not None and array.shape != shape:
        msg = f"{name} must have shape {shape}, got {array.shape}"
        raise ValueError(msg)
    if 0 in array.shape:
        msg = f"{name} must not be empty, got shape {array.shape}"
        raise ValueError(msg)
    bad = np.isnan(array) if allow_inf else ~np.isfinite(array)
    if bad.any():
        what = "no NaN" if allow_inf else "finite values"
        msg = f"{name} must contain {what}; found {array[bad][0]} at {index_text(bad)}"
        raise ValueError(msg)
    return frozen(array)


def sample_matrix(name: str, samples: ArrayLike, shape: tuple[int, ...]) -> NDArray[Any]:
    """``samples`` as an array of shape ``(m, *shape)`` (``m >= 0``), numeric and NaN-free."""
    array = np.asarray(samples)
    if array.dtype == object or array.dtype.kind not in OUTCOME_KINDS:
        msg = f"{name} must be a real numeric array, got dtype {array.dtype}"
        raise TypeError(msg)
    if array.ndim != len(shape) + 1 or array.shape[1:] != shape:
        msg = f"{name} must have shape (m, {', '.join(map(str, shape))}), got {array.shape}"
        raise ValueError(msg)
    if array.dtype.kind == "f" and np.isnan(array).any():
        bad = np.isnan(array)
        msg = f"{name} must not contain NaN; found NaN at {index_text(bad)}"
        raise ValueError(msg)
    return array


def normalized_weights(weights: ArrayLike | None, m: int) -> NDArray[np.float64]:
    """Weights for ``m`` samples scaled to sum to one (uniform for ``None``).

    Weights must be finite, non-negative and not all zero; they are divided by their
    maximum before summing so that huge likelihood ratios cannot overflow the sum.
    """
    if m == 0:
        msg = "samples must hold at least one sample to fit a family, got 0"
        raise ValueError(msg)
    if weights is None:
        return np.full(m, 1.0 / m)
    raw = np.asarray(weights)
    if raw.dtype == object or raw.dtype.kind not in OUTCOME_KINDS:
        msg = f"weights must be a real numeric array, got dtype {raw.dtype}"
        raise TypeError(msg)
    w: NDArray[np.float64] = raw.astype(np.float64)
    if w.shape != (m,):
        msg = f"weights must have shape ({m},), one per sample, got {w.shape}"
        raise ValueError(msg)
    bad = ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        msg = f"weights must be finite and non-negative; found {w[bad][0]} at {index_text(bad)}"
        raise ValueError(msg)
    top = w.max()
    if top == 0:
        msg = "weights must not all be zero"
        raise ValueError(msg)
    w = w / top  # scale first: the sum of huge likelihood ratios must not overflow
    total: float = w.sum()
    return w / total


def check_alpha(alpha: float) -> float:
    """Return the smoothing weight ``alpha`` if ``0 < alpha <= 1``."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating, np.integer)):
        msg = f"alpha must be a number in (0, 1], got {type(alpha).__name__} {alpha!r}"
        raise TypeError(msg)
    if not 0 < alpha <= 1:
        msg = f"alpha must be in (0, 1], got {alpha!r}"
        raise ValueError(msg)
    return float(alpha)


def check_tol(tol: float) -> float:
    """Return the degeneracy tolerance ``tol`` if it is a finite number ``>= 0``."""
    return check_tolerance("tol", tol)


def check_count(n: int, name: str = "n", *, minimum: int = 0) -> int:
    """Return ``n`` if it is an int ``>= minimum`` (``bool`` is refused)."""
    return shared_check_count(name, n, minimum)


def check_same_family(
    self: object, previous: object, *, shaped: str, same: tuple[str, ...] = ()
) -> None:
    """Raise unless ``previous`` is the same class as ``self``, shaped alike.

    The array field ``shaped`` must have the same shape in both; the fields ``same``
    must be equal (arrays in shape and value; ``None`` only matches ``None``).
    """
    if type(previous) is not type(self):
        msg = (
            f"previous must be a {type(self).__name__} like the family it smooths, "
            f"got {type(previous).__name__}"
        )
        raise TypeError(msg)
    mine_shape, their_shape = getattr(self, shaped).shape, getattr(previous, shaped).shape
    if mine_shape != their_shape:
        msg = (
            f"previous must have {shaped} of the same shape as the family it smooths, "
            f"got {their_shape} and {mine_shape}"
        )
        raise ValueError(msg)
    for field in same:
        mine, theirs = getattr(self, field), getattr(previous, field)
        if mine is None or theirs is None:
            equal = mine is None and theirs is None
        elif isinstance(mine, np.ndarray):
            equal = mine.shape == np.shape(theirs) and bool(np.array_equal(mine, theirs))
        else:
            equal = mine == theirs
        if not equal:
            msg = (
                f"previous must have the same {field} as the family it smooths, "
                f"got {theirs!r} and {mine!r}"
            )
            raise ValueError(msg)
