"""The one-shot convenience :func:`score` and :func:`merge_all`, on top of the accumulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy.scoring._stats._accumulator import ScoreAccumulator
from crossentropy.scoring._stats._inputs import BINARY_KINDS

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from crossentropy.scoring._types import InvalidPolicy, ScoreKind, ScoreResult

__all__ = ["merge_all", "score"]


def score(
    scores: Any,
    labels: Any,
    *,
    classes: Sequence[str | int] | int | None = None,
    kind: ScoreKind = "probabilities",
    sample_weight: Any = None,
    level: float = 0.95,
    n_bins: int = 15,
    top_k: Sequence[int] = (5,),
    worst: int = 10,
    bootstrap: int = 0,
    seed: int = 0,
    on_invalid: InvalidPolicy = "error",
    sum_tolerance: float = 1e-3,
    eps: float | None = None,
) -> ScoreResult:
    """Score predictions in one call: ``ScoreAccumulator(...).update(...).result()``.

    Parameters
    ----------
    scores, labels, kind, sample_weight
        As in :meth:`ScoreAccumulator.update`.
    classes : int or sequence, optional
        Default: ``K = scores.shape[1]`` (names ``"0"``..``"K-1"``), or ``("0", "1")`` for
        the binary kinds.
    level : float, default 0.95
        The bootstrap interval's level.
    n_bins, top_k, worst, bootstrap, seed, on_invalid, sum_tolerance, eps
        As in :class:`ScoreAccumulator`.

    Returns
    -------
    ScoreResult

    Examples
    --------
    Binary probabilities of the positive class; tiny probabilities stay exact:

    >>> import numpy as np
    >>> from crossentropy.scoring import score
    >>> result = score(np.array([1e-300, 0.5]), np.array([1, 0]), kind="probability")
    >>> round(result.cross_entropy, 6)  # (300 ln 10 + ln 2) / 2
    345.734338
    >>> result.n_infinite
    0
    """
    if classes is None:
        if kind in BINARY_KINDS:
            classes = 2
        else:
            shape = np.shape(scores)
            if len(shape) != 2:
                msg = f"scores of kind {kind!r} must have shape (n, K), got {shape}"
                raise ValueError(msg)
            classes = shape[1]
    accumulator = ScoreAccumulator(
        classes,
        n_bins=n_bins,
        top_k=top_k,
        worst=worst,
        bootstrap=bootstrap,
        seed=seed,
        on_invalid=on_invalid,
        sum_tolerance=sum_tolerance,
        eps=eps,
    )
    return accumulator.update(scores, labels, kind=kind, sample_weight=sample_weight).result(
        level=level
    )


def merge_all(accumulators: Iterable[ScoreAccumulator]) -> ScoreAccumulator:
    """Merge accumulators pairwise, as a balanced tree (rounding grows as log n, not n).

    Raises
    ------
    ValueError
        No accumulators, or two that cannot be merged.
    """
    items = list(accumulators)
    if not items:
        msg = "merge_all needs at least one accumulator"
        raise ValueError(msg)
    while len(items) > 1:
        pairs = [items[i].merge(items[i + 1]) for i in range(0, len(items) - 1, 2)]
        items = pairs + items[len(items) - len(items) % 2 :]
    return items[0]
