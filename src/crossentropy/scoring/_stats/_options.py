"""The options of a :class:`~crossentropy.scoring.ScoreAccumulator`, checked once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crossentropy._validation import check_int, check_tolerance

if TYPE_CHECKING:
    from crossentropy.scoring._types import InvalidPolicy

__all__ = ["ScoreOptions"]

_POLICIES = ("error", "skip", "clip")


@dataclass(frozen=True)
class ScoreOptions:
    r"""How an accumulator scores; two accumulators merge only when these are equal.

    Attributes
    ----------
    n_bins : int
        Calibration bins (uniform, and at most this many equal-mass ones).
    top_k : tuple of int
        The k of the top-k accuracies, sorted and unique (those ``>= K`` are not reported:
        top-K accuracy is always 1).
    worst : int
        How many of the worst rows (largest cross-entropy) to keep.
    bootstrap : int
        Bootstrap resamples for the interval of the cross-entropy (0: none).
    seed : int
        The bootstrap's seed.
    on_invalid : {"error", "skip", "clip"}
        What to do with a row that cannot be scored as given (see ``InvalidPolicy``).
    sum_tolerance : float
        How far a row of probabilities may sum from 1.
    eps : float or None
        Floor the label's probability at ``eps`` for the log (cap each cross-entropy at
        :math:`-\\ln \\varepsilon`); None: exact, a probability of 0 costs :math:`+\\infty`.
    """

    n_bins: int = 15
    top_k: tuple[int, ...] = (5,)
    worst: int = 10
    bootstrap: int = 0
    seed: int = 0
    on_invalid: InvalidPolicy = "error"
    sum_tolerance: float = 1e-3
    eps: float | None = None

    def __post_init__(self) -> None:
        check_int("n_bins", self.n_bins, 1)
        check_int("worst", self.worst, 0)
        check_int("bootstrap", self.bootstrap, 0)
        check_int("seed", self.seed, -(1 << 63))
        given: object = self.top_k
        if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            msg = f"top_k must be a sequence of integers, got {given!r}"
            raise TypeError(msg)
        ks = tuple(sorted({check_int("top_k", k, 1) for k in given}))
        object.__setattr__(self, "top_k", ks)
        if self.on_invalid not in _POLICIES:
            msg = f"on_invalid must be one of {_POLICIES}, got {self.on_invalid!r}"
            raise ValueError(msg)
        check_tolerance("sum_tolerance", self.sum_tolerance)
        if self.eps is not None and not (isinstance(self.eps, (int, float)) and 0 < self.eps < 1):
            msg = f"eps must be None or a number in (0, 1), got {self.eps!r}"
            raise ValueError(msg)
