"""What the row kernels take and give: the batch's options, row values, batch tallies.

Its own module so that both implementations of the row statistics (NumPy in
:mod:`crossentropy.scoring._stats._rowstats`, numba in
:mod:`crossentropy.scoring._stats._numba_rowstats`) import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from crossentropy.scoring._stats._tallies import Tallies

__all__ = ["BatchOutput", "RowSpec", "RowValues"]


@dataclass(frozen=True)
class RowSpec:
    """What the kernels need besides the arrays."""

    kind: int  # KIND_CODES
    n_classes: int
    tolerance: float  # |row sum - 1| allowed ("probabilities")
    cap: float  # -ln(eps), or inf without eps
    n_bins: int
    top_k: tuple[int, ...]  # the k < K to count
    worst: int
    n_boot: int
    boot_key: int  # bootstrap_key(seed, source)
    confusion: bool
    row_offset: int = 0  # row numbers when none are given: row_offset + position


@dataclass(frozen=True)
class RowValues:
    """Per-row values (entries of invalid rows are unspecified)."""

    status: np.ndarray  # int8
    ce: np.ndarray  # float64, nats
    label_probability: np.ndarray  # float64
    predicted: np.ndarray  # int64
    confidence: np.ndarray  # float64
    rank: np.ndarray  # int64
    brier: np.ndarray  # float64


@dataclass(frozen=True)
class BatchOutput:
    """The tallies of a batch's valid rows, its worst rows, and every row's status."""

    tallies: Tallies
    worst_index: np.ndarray  # int64 positions in the batch, worst first
    worst_ce: np.ndarray  # float64, their cross-entropies
    status: np.ndarray  # int8 (n,): 0 valid, else a status code
    n_invalid: int
