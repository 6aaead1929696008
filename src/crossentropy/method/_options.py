"""Validation of the optimiser's options and of told values.

Each check raises ``TypeError`` (wrong type) or ``ValueError`` (wrong value) naming the
argument, what was expected and what was found (with the first offending index).
"""

from __future__ import annotations

import inspect
import math
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.method._checks import as_generator, check_count, check_real, optional_count
from crossentropy.method._schedule import AdaptiveSampleSize

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from crossentropy.method._protocol import SamplingFamily

__all__ = [
    "as_generator",
    "check_count",
    "check_real",
    "check_scale_smoothing",
    "check_values",
    "initial_sample_size",
    "optional_count",
]


def initial_sample_size(family: SamplingFamily, sample_size: object) -> int:
    """The first sample size: ``sample_size`` itself, its minimum, or the default.

    The default, ``max(50, 10 * d)`` with ``d`` the number of entries of one candidate,
    is found by drawing one candidate from a private generator seeded with 0, so the
    user's generator is not touched.
    """
    if sample_size is None:
        probe = np.asarray(family.sample(np.random.default_rng(0), 1))
        entries = math.prod(probe.shape[1:])
        return max(50, 10 * int(entries))
    if isinstance(sample_size, AdaptiveSampleSize):
        return sample_size.minimum
    return check_count("sample_size", sample_size, 1)


def check_values(values: ArrayLike, n: int, *, maximize: bool) -> NDArray[np.float64]:
    """``values`` as ``float64`` of shape ``(n,)``: no NaN, no infinity on the good side."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        msg = f"values must be real numbers, one per candidate; got {values!r:.80}"
        raise TypeError(msg) from error
    if array.shape != (n,):
        msg = f"values must have shape ({n},), one per candidate, got {array.shape}"
        raise ValueError(msg)
    nan = np.flatnonzero(np.isnan(array))
    if nan.size:
        worst = "-inf" if maximize else "+inf"
        msg = (
            f"values must not contain NaN; found NaN at index {int(nan[0])} "
            f"(give an infeasible candidate the worst value, {worst})"
        )
        raise ValueError(msg)
    good = math.inf if maximize else -math.inf
    unbounded = np.flatnonzero(array == good)
    if unbounded.size:
        side = "maximising" if maximize else "minimising"
        msg = (
            f"values must not be {good} when {side} (the objective looks unbounded); "
            f"found {good} at index {int(unbounded[0])}"
        )
        raise ValueError(msg)
    return array


def check_scale_smoothing(family: SamplingFamily) -> None:
    """Raise ``TypeError`` unless ``family.smooth`` accepts the keyword ``scale_alpha``."""
    try:
        parameters = inspect.signature(family.smooth).parameters
    except (TypeError, ValueError):  # no signature to inspect (a builtin): let it try
        return
    accepts = "scale_alpha" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )
    if not accepts:
        msg = (
            f"scale_alpha needs a family whose smooth() takes the keyword scale_alpha; "
            f"{type(family).__name__}.smooth does not (pass the schedule as alpha= to "
            f"smooth every parameter with it)"
        )
        raise TypeError(msg)
