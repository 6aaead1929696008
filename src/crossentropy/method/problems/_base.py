r"""What every shipped problem offers: the two protocols and the shared input checks.

An *optimisation problem* has a vectorised ``evaluate(candidates)``, a ``sense``
(``"minimize"`` or ``"maximize"``), a known ``optimum`` (or ``None``) and ``describe()``.
A *rare-event problem* has a vectorised ``performance(samples)``, a ``threshold``, the
``exact_probability`` of :math:`\{S(X) \ge \gamma\}` under the nominal distribution,
``sample_nominal(rng, n)`` and ``describe()``. Both are structural protocols: the
problems below satisfy them without inheriting from anything.

Candidates are stacked along the leading axes, shape ``(..., width)``, and the result
has shape ``(...)``. A batch evaluates to exactly the same bits as its rows evaluated
one at a time (no BLAS reductions whose order depends on the batch size), so serial,
batched and parallel evaluation agree exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from os import PathLike

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "OptimizationProblem",
    "RareEventProblem",
    "Sense",
    "as_binary",
    "as_candidates",
    "file_error",
    "frozen_array",
]

#: Whether smaller or larger objective values are better.
Sense = Literal["minimize", "maximize"]


@runtime_checkable
class OptimizationProblem(Protocol):
    """A problem with a vectorised objective and a known optimum (or ``None``)."""

    @property
    def name(self) -> str:
        """Short name of the instance."""
        ...

    @property
    def sense(self) -> Sense:
        """``"minimize"`` or ``"maximize"``."""
        ...

    @property
    def optimum(self) -> float | None:
        """The known optimal objective value, or ``None`` where it is not known."""
        ...

    def evaluate(self, candidates: ArrayLike) -> NDArray[np.float64]:
        """Objective value of each candidate; shape ``candidates.shape[:-1]``."""
        ...

    def describe(self) -> str:
        """A few lines saying what the instance is and what its known answer is."""
        ...


@runtime_checkable
class RareEventProblem(Protocol):
    r"""A rare event :math:`\{S(X) \ge \gamma\}` with its exact probability."""

    @property
    def name(self) -> str:
        """Short name of the instance."""
        ...

    @property
    def threshold(self) -> float:
        r"""The level :math:`\gamma`: the event is ``performance(x) >= threshold``."""
        ...

    @property
    def exact_probability(self) -> float:
        r""":math:`P(S(X) \ge \gamma)` under the nominal distribution, computed exactly."""
        ...

    def performance(self, samples: ArrayLike) -> NDArray[np.float64]:
        """The performance :math:`S(x)` of each sample; shape ``samples.shape[:-1]``."""
        ...

    def sample_nominal(self, rng: np.random.Generator | int | None, n: int) -> NDArray[np.float64]:
        """``n`` samples of the nominal distribution, shape ``(n, dimension)``."""
        ...

    def describe(self) -> str:
        """A few lines saying what the event is and what its exact probability is."""
        ...


def as_candidates(candidates: ArrayLike, width: int, name: str = "candidates") -> NDArray:
    """``candidates`` as an array whose last axis has length ``width`` (batch: the rest).

    The result is C-contiguous: reductions along the last axis then run row by row in the
    same order whatever the batch's shape or memory layout, so batches and single rows
    give the same bits.
    """
    x = np.ascontiguousarray(candidates)
    if x.ndim == 0 or x.shape[-1] != width:
        msg = f"{name} must have shape (..., {width}) (one candidate per row), got shape {x.shape}"
        raise ValueError(msg)
    if x.dtype == object or not (
        np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.bool_)
    ):
        msg = f"{name} must be numeric, got dtype {x.dtype}"
        raise TypeError(msg)
    return x


def as_binary(candidates: ArrayLike, width: int, name: str = "candidates") -> NDArray[np.float64]:
    """``candidates`` checked to hold only 0 and 1, as float64 with last axis ``width``."""
    x = as_candidates(candidates, width, name).astype(np.float64)
    bad = (x != 0.0) & (x != 1.0)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        msg = f"{name} must hold only 0 and 1, got {float(x[index])!r} at index {list(index)}"
        raise ValueError(msg)
    return x


def frozen_array(values: ArrayLike, dtype: type | np.dtype | None = None) -> NDArray:
    """A read-only copy of ``values`` (the problems are immutable)."""
    out = np.array(values, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def file_error(path: str | PathLike[str], line: int | None, message: str) -> ValueError:
    """A ``ValueError`` naming the file and (1-based) line of a malformed input."""
    where = f"{path}" if line is None else f"{path}, line {line}"
    return ValueError(f"{where}: {message}")
