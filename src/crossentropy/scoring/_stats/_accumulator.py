r"""The mergeable statistics engine of ``crossentropy score``: :class:`ScoreAccumulator`.

An accumulator keeps sufficient statistics only: weighted sums and counts on fixed grids
(:mod:`crossentropy.scoring._stats._tallies`), plus two bounded lists (the worst rows, the
first invalid rows). ``update`` scores a batch (:mod:`crossentropy.scoring._stats._batch`)
and returns a new accumulator; ``merge`` adds two; ``result`` turns the sums into a
:class:`~crossentropy.scoring.ScoreResult`. Any split of the rows into batches, merged in
any order, gives the same result up to float64 rounding of the sums (about 1e-15
relative), and exactly the same worst rows, invalid examples, counts and bootstrap draws.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from crossentropy.scoring._stats._batch import BatchRows, batch_state
from crossentropy.scoring._stats._finalize import build_result
from crossentropy.scoring._stats._inputs import (
    LabelMap,
    check_classes,
    check_rows,
    check_sample_weight,
    check_scores,
)
from crossentropy.scoring._stats._options import ScoreOptions
from crossentropy.scoring._stats._rowstats import RowSpec
from crossentropy.scoring._stats._state import State
from crossentropy.scoring._stats._tallies import (
    CONFUSION_MAX_CLASSES,
    KIND_CODES,
    T_ROWS,
    Tallies,
    bootstrap_key,
)
from crossentropy.scoring._types import (
    Batch,
    InvalidPolicy,
    InvalidRow,
    InvalidSummary,
    ScoreKind,
    ScoreResult,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ScoreAccumulator"]


class ScoreAccumulator:
    r"""Mergeable statistics of a classifier's predicted probabilities against labels.

    Each valid row :math:`i` (label position :math:`y_i`, weight :math:`w_i`, 1 when not
    given) adds to weighted sums; ``result()`` divides by :math:`W = \sum_i w_i`:

    .. math::

        \mathrm{CE} = \frac{1}{W} \sum_i w_i\,(-\ln p_{i y_i}), \qquad
        \mathrm{Brier} = \frac{1}{W} \sum_i w_i \sum_k (p_{ik} - [k = y_i])^2,

    accuracy and top-k accuracy (the label's rank
    :math:`\#\{j : p_{ij} > p_{iy}\} + \#\{j < y : p_{ij} = p_{iy}\}` below k, so top-1
    is the first arg-max), per-class sums, the confusion matrix (K <= 1000), top-label
    calibration bins (confidence :math:`\max_k p_{ik}`), a histogram of
    :math:`-\ln p_{iy_i}`, the ``worst`` rows and, with ``bootstrap=B``, B Poisson
    bootstrap replicates of the cross-entropy sums. Counts (``n_rows``, class counts,
    calibration counts) are rows, unweighted; every mean is weighted.

    The accumulator is immutable: :meth:`update` and :meth:`merge` return new ones.

    Parameters
    ----------
    classes : int or sequence of str or int
        ``K`` (names ``"0"``, ..., ``"K-1"``) or the class names in score-column order
        (converted to str; unique; at least 2). For the binary kinds: (negative,
        positive).
    n_bins : int, default 15
        Calibration bins on ``[0, 1]``: ``n_bins`` uniform ones, and at most ``n_bins``
        of about equal weight (grouped from a fixed fine grid; see ``_finalize``).
    top_k : sequence of int, default (5,)
        The k of the top-k accuracies (k >= K is not reported: it is always 1).
    worst : int, default 10
        Keep this many rows with the largest cross-entropy (ties: by source, then row).
    bootstrap : int, default 0
        Poisson bootstrap resamples for a percentile interval of the cross-entropy.
    seed : int, default 0
        The bootstrap's seed. Each row's resampling weights are a function of (seed,
        source name, row number, replicate) only, so any batching gives the same
        interval.
    on_invalid : {"error", "skip", "clip"}, default "error"
        A row that cannot be scored (NaN, an infinite or out-of-range probability, a row
        sum off by more than ``sum_tolerance``, a label that is no class, or a row the
        reader could not parse): ``"error"`` raises ``ValueError`` naming the first such
        row (source, row, column, value); ``"skip"`` leaves it out and counts it by
        reason; ``"clip"`` clips probabilities to ``[0, 1]`` and renormalises the row,
        clips infinite logits to the largest float, and skips (counting) what cannot be
        repaired (NaN, unknown labels, unreadable rows, all-zero rows). Nothing is
        dropped silently: ``result().invalid`` has the counts and the first
        20 rows by (source, row).
    sum_tolerance : float, default 1e-3
        How far a row of probabilities may sum from 1 (checked as
        :math:`|\sum_k p_k - 1| \le` tolerance).
    eps : float in (0, 1), optional
        Floor the label's probability at ``eps`` for the log only (scikit-learn-like
        clipping, asked for explicitly). By default a label probability of exactly 0
        gives a cross-entropy of :math:`+\infty`, which is the right answer: the row is
        counted in ``n_infinite`` and the verdict says so.

    Raises
    ------
    ValueError, TypeError
        Invalid classes or options, naming the parameter.

    See Also
    --------
    score : the one-shot convenience.
    merge_all : merge many accumulators (pairwise, as a tree).

    Notes
    -----
    **Kinds.** ``"probabilities"``/``"logits"``: shape ``(n, K)``; ``"probability"``/
    ``"logit"``: shape ``(n,)``, the positive class (K must be 2). Cross-entropies are
    computed in float64 whatever the input dtype: ``-log p`` for the positive class and
    ``-log1p(-p)`` for the negative one (exact for tiny probabilities), softplus for
    binary logits, a max-shifted log-sum-exp for logits (finite logits never give NaN).
    For the binary kinds the Brier term is :math:`2(p - y)^2` (the sum over both
    classes): scikit-learn's binary ``brier_score_loss`` is half of ``brier_score``.
    Binary predictions are positive iff :math:`p > 1/2` (:math:`x > 0`), the confidence
    is :math:`\max(p, 1 - p)`. A two-class result is ``binary`` whatever the kind.

    **Labels.** Strings map by class name; integers by name when every class name is an
    integer (``classes=["1", "2", "3"]`` with labels 1..3), otherwise by position;
    booleans by position (False: class 0, True: class 1).

    **Rows.** Row numbers identify rows in messages, worst rows and the bootstrap. By
    default they continue where this accumulator's last batch from the same ``source``
    stopped (0, 1, ... for the first), which is right when one accumulator sees a
    source's batches in order. Pass ``rows`` when batches arrive out of order or are
    scored by different accumulators that are merged later.

    **Calibration.** Top-label: confidence :math:`c_i = \max_k p_{ik}`, correct iff the
    first arg-max is the label. Uniform bins: ``n_bins`` on ``[0, 1]``,
    :math:`\mathrm{ECE} = \sum_b (W_b / W)\,|a_b - c_b|` and
    :math:`\mathrm{MCE} = \max_b |a_b - c_b|` over bins with weight (:math:`a_b, c_b`
    the bin's weighted accuracy and confidence). Equal-mass bins are grouped at
    ``result()`` time from a fixed fine histogram (0.001 wide below 0.875; above, 16 bins
    per octave of :math:`1 - c` down to :math:`2^{-40}`; then :math:`c = 1`), so their
    edges are exact to that grid while each bin's means are exact.

    **Bootstrap.** Row :math:`i` gets, in replicate :math:`b`, the weight
    :math:`\beta_{ib} \sim \mathrm{Poisson}(1)` drawn from a counter-based hash of
    (seed, a BLAKE2b key of the source name, row number, b); replicate :math:`b`'s
    cross-entropy is :math:`\sum_i w_i \beta_{ib} \ell_i / \sum_i w_i \beta_{ib}` and the
    interval is the percentile interval at ``level``. The replicate sums add, so the
    bootstrap is mergeable and the same for any batching.

    **Merging.** Any split of the rows, scored and merged in any order, gives the same
    result up to the rounding of float64 sums (tested to 1e-12 relative), and the very
    same counts, worst rows, invalid examples and bootstrap draws. The equal-mass bin
    boundaries depend on weight sums, so they agree exactly when those sums are exact
    (unweighted rows, or weights such as multiples of 1/4).

    **Empty.** ``result()`` of an accumulator with no valid rows does not raise: its
    means are NaN, its counts 0, and its verdict is "broken" with the reason, so a report
    can still show why every row was invalid.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from crossentropy.scoring import ScoreAccumulator
    >>> p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    >>> acc = ScoreAccumulator(["cat", "dog", "owl"]).update(p, ["cat", "dog", "cat"])
    >>> result = acc.result()
    >>> round(result.cross_entropy, 6)  # (-ln 0.7 - ln 0.8 - ln 0.3) / 3
    0.594597
    >>> result.accuracy  # doctest: +ELLIPSIS
    0.666...

    Any split merges to the same numbers:

    >>> a = ScoreAccumulator(3).update(p[:1], [0], rows=[0])
    >>> b = ScoreAccumulator(3).update(p[1:], [1, 0], rows=[1, 2])
    >>> math.isclose(a.merge(b).result().cross_entropy, result.cross_entropy)
    True
    """

    __slots__ = ("_classes", "_labels", "_options", "_state")

    def __init__(
        self,
        classes: Sequence[str | int] | int,
        *,
        n_bins: int = 15,
        top_k: Sequence[int] = (5,),
        worst: int = 10,
        bootstrap: int = 0,
        seed: int = 0,
        on_invalid: InvalidPolicy = "error",
        sum_tolerance: float = 1e-3,
        eps: float | None = None,
    ) -> None:
        self._classes = check_classes(classes)
        self._options = ScoreOptions(
            n_bins=n_bins,
            top_k=tuple(top_k),
            worst=worst,
            bootstrap=bootstrap,
            seed=seed,
            on_invalid=on_invalid,
            sum_tolerance=float(sum_tolerance),
            eps=None if eps is None else float(eps),
        )
        self._labels = LabelMap(self._classes)
        k = len(self._classes)
        self._state = State(
            Tallies.zeros(
                k,
                len(self._top_k),
                n_bins,
                bootstrap,
                confusion=k <= CONFUSION_MAX_CLASSES,
            )
        )

    # -- properties -------------------------------------------------------------------------

    @property
    def classes(self) -> tuple[str, ...]:
        """The class names, in score-column order."""
        return self._classes

    @property
    def options(self) -> ScoreOptions:
        """The options (a frozen dataclass)."""
        return self._options

    @property
    def n_rows(self) -> int:
        """Rows scored so far (valid or repaired; not the skipped ones)."""
        return int(self._state.tallies.totals[T_ROWS])

    @property
    def _top_k(self) -> tuple[int, ...]:
        return tuple(k for k in self._options.top_k if k < len(self._classes))

    def __repr__(self) -> str:
        return (
            f"ScoreAccumulator(classes={len(self._classes)}, n_rows={self.n_rows}, {self._options})"
        )

    def _with_state(self, state: State) -> ScoreAccumulator:
        new = object.__new__(ScoreAccumulator)
        new._classes = self._classes
        new._labels = self._labels
        new._options = self._options
        new._state = state
        return new

    def _spec(self, kind: str, source: str, row_offset: int = 0) -> RowSpec:
        eps = self._options.eps
        return RowSpec(
            kind=KIND_CODES[kind],
            n_classes=len(self._classes),
            tolerance=self._options.sum_tolerance,
            cap=math.inf if eps is None else -math.log(eps),
            n_bins=self._options.n_bins,
            top_k=self._top_k,
            worst=self._options.worst,
            n_boot=self._options.bootstrap,
            boot_key=bootstrap_key(self._options.seed, source),
            confusion=len(self._classes) <= CONFUSION_MAX_CLASSES,
            row_offset=row_offset,
        )

    # -- update / merge / result ------------------------------------------------------------

    def update(
        self,
        scores: Any,
        labels: Any,
        *,
        kind: ScoreKind = "probabilities",
        sample_weight: Any = None,
        source: str = "<array>",
        rows: Any = None,
        invalid: Sequence[InvalidRow] = (),
    ) -> ScoreAccumulator:
        """Score a batch; return a new accumulator holding these rows and the old ones.

        Parameters
        ----------
        scores : array_like
            ``(n, K)`` for ``kind="probabilities"``/``"logits"``; ``(n,)`` (the positive
            class) for ``"probability"``/``"logit"``. float32 or float64 (computed in
            float64).
        labels : array_like, shape (n,)
            Class names (str), integers (by name when the class names are integers,
            else positions) or booleans (positions).
        kind : {"probabilities", "logits", "probability", "logit"}
        sample_weight : array_like, shape (n,), optional
            Non-negative finite row weights.
        source : str, default "<array>"
            Where the rows come from (a file name): shown in messages and worst rows,
            and part of each row's bootstrap key.
        rows : array_like of int, shape (n,), optional
            Row numbers within ``source``; by default the rows continue after those this
            accumulator already saw from ``source``.
        invalid : sequence of InvalidRow
            Rows a reader could not parse; they follow ``on_invalid`` (raised on
            "error", counted as skipped otherwise).

        Returns
        -------
        ScoreAccumulator

        Raises
        ------
        ValueError
            Shapes that do not fit, negative or non-finite sample weights (naming the
            first index), and with ``on_invalid="error"`` the first invalid row by row
            number (``"cannot score data.csv, row 17, column 2: negative probability
            (-0.1); ..."``).
        TypeError
            Scores, labels, weights or rows of a type that cannot be used.
        """
        x = check_scores(scores, kind, len(self._classes))
        n = x.shape[0]
        positions = self._labels.positions(labels, n)
        w = check_sample_weight(sample_weight, n)
        state = self._state
        offset = dict(state.seen).get(source, 0)
        given = None if rows is None else check_rows(rows, n)
        rows_in = BatchRows(
            scores=x,
            labels=labels,
            positions=positions,
            weights=w,
            rows=given,
            offset=offset,
            source=source,
            kind=kind,
            unreadable=tuple(invalid),
        )
        spec = self._spec(kind, source, offset)
        batch = batch_state(rows_in, spec, self._classes, self._options.on_invalid)
        return self._with_state(state.combine(batch, self._options.worst))

    def update_batch(self, batch: Batch) -> ScoreAccumulator:
        """:meth:`update` with a reader's :class:`~crossentropy.scoring.Batch`."""
        return self.update(
            batch.scores,
            batch.labels,
            kind=batch.kind,
            sample_weight=batch.sample_weight,
            source=batch.source,
            rows=batch.rows,
            invalid=batch.invalid,
        )

    def merge(self, other: ScoreAccumulator) -> ScoreAccumulator:
        """The accumulator of both sets of rows (``a.merge(b)`` equals ``b.merge(a)``).

        Raises
        ------
        ValueError
            The classes or options differ (named in the message).
        """
        given: object = other
        if not isinstance(given, ScoreAccumulator):
            msg = f"can only merge a ScoreAccumulator, got {type(given).__name__}"
            raise TypeError(msg)
        if other._classes != self._classes:
            msg = (
                "cannot merge accumulators with different classes: "
                f"{self._classes} vs {other._classes}"
            )
            raise ValueError(msg)
        if other._options != self._options:
            differ = [
                f"{f.name}={getattr(self._options, f.name)!r} vs "
                f"{getattr(other._options, f.name)!r}"
                for f in fields(ScoreOptions)
                if getattr(self._options, f.name) != getattr(other._options, f.name)
            ]
            msg = f"cannot merge accumulators with different options: {', '.join(differ)}"
            raise ValueError(msg)
        return self._with_state(self._state.combine(other._state, self._options.worst))

    def result(self, *, level: float = 0.95) -> ScoreResult:
        r"""The scores of every row so far.

        Parameters
        ----------
        level : float in (0, 1), default 0.95
            The bootstrap interval's confidence level (used with ``bootstrap > 0``).

        Returns
        -------
        ScoreResult
            Means weighted by the sample weights; NaN where there is no weight (see the
            class notes). ``prior`` is ``class_weight / total_weight`` and
            ``prior_entropy`` :math:`= -\sum_k \pi_k \ln \pi_k` (:math:`0 \ln 0 = 0`),
            the cross-entropy of always predicting the label frequencies.
        """
        if not (isinstance(level, (int, float)) and 0 < level < 1):
            msg = f"level must be a number in (0, 1), got {level!r}"
            raise ValueError(msg)
        state = self._state
        invalid = InvalidSummary(
            policy=self._options.on_invalid,
            n_skipped=state.n_skipped,
            n_clipped=state.n_clipped,
            reasons=dict(state.reasons),
            examples=state.examples,
        )
        sources = tuple(source for source, _ in state.seen)
        return build_result(
            self._classes, self._options, state.tallies, state.worst, invalid, sources, level
        )
