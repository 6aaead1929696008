"""The value types of ``crossentropy.scoring``: batches, invalid rows, and the result.

These are the contracts between the readers (``_read/``), the mergeable accumulator
(``_stats/``), the reports (``_report/``) and the command line.
All are frozen dataclasses; arrays inside them are NumPy arrays that nobody mutates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "Batch",
    "CalibrationBins",
    "Interval",
    "InvalidPolicy",
    "InvalidRow",
    "InvalidRowError",
    "InvalidSummary",
    "ScoreKind",
    "ScoreResult",
    "Verdict",
    "WorstRow",
]

#: What the score columns hold. ``"probabilities"``/``"logits"``: one column per class
#: (shape ``(n, K)``); ``"probability"``/``"logit"``: binary, one column with the
#: positive class's probability or logit (shape ``(n,)``, classes ``(negative, positive)``).
ScoreKind = Literal["probabilities", "logits", "probability", "logit"]

#: What to do with a row that cannot be scored as given.
#: ``"error"``: raise, naming source, row and column (the default).
#: ``"skip"``: leave the row out and count it, by reason.
#: ``"clip"``: repair what has an obvious repair (probabilities outside [0, 1] clipped to
#: it, then the row renormalised; infinite logits clipped to the largest finite float)
#: and skip, counting, what has none (NaN, unknown labels, unreadable rows).
InvalidPolicy = Literal["error", "skip", "clip"]


@dataclass(frozen=True)
class Batch:
    """One batch of predictions read from a source, before validation.

    Attributes
    ----------
    scores : ndarray
        float32 or float64, shape ``(n, K)`` for ``"probabilities"``/``"logits"``,
        ``(n,)`` for ``"probability"``/``"logit"``.
    labels : ndarray
        shape ``(n,)``: integers (class positions) or strings (class names), as read.
    kind : ScoreKind
    source : str
        Where the rows came from: a file path as given, ``"<stdin>"`` or ``"<array>"``.
    rows : ndarray
        int64, shape ``(n,)``: each row's 0-based data-row number within ``source``
        (a CSV header is not a data row). Used for error messages, the worst rows,
        and to key the bootstrap's resampling weights, so it must not depend on batching.
    sample_weight : ndarray or None
        float64, shape ``(n,)``.
    invalid : tuple of InvalidRow
        Rows the reader itself could not turn into numbers (wrong column count,
        undecodable text, unparsable numbers); they are not in ``scores``.
    """

    scores: np.ndarray
    labels: np.ndarray
    kind: ScoreKind
    source: str
    rows: np.ndarray
    sample_weight: np.ndarray | None = None
    invalid: tuple[InvalidRow, ...] = ()


@dataclass(frozen=True, order=True)
class InvalidRow:
    """A row that could not be scored as given: where it is and why.

    ``row`` is the 0-based data-row number within ``source`` (a CSV header is not a data
    row). When the row comes from a file, the dataset reader fills ``location`` with how
    an editor or a data tool finds it, and ``line`` for text files: ``"data row 39
    (line 41)"`` for CSV/TSV (the 1-based line where the row starts, counting the
    header, blank lines and quoted newlines; standard input, read once, gives
    ``"data row 39"`` only), ``"row 39 (counting from 0)"`` for Parquet, Arrow and
    NumPy files (the index ``table.slice(39, 1)`` or ``array[39]`` takes). Both are
    left out of comparisons and sorting.
    """

    source: str
    row: int
    column: str  # the column's name (or position as a string); "" for the whole row
    reason: str  # a short stable key such as "nan", "negative probability", "sum != 1"
    detail: str = ""  # the offending value or text, shortened
    line: int | None = field(default=None, compare=False)  # text files: 1-based line
    location: str = field(default="", compare=False)  # "data row 39 (line 41)"; "": row N

    def describe(self) -> str:
        """One line for an error message: ``file.csv, row 17, column p_cat: nan (...)``.

        With a ``location``: ``file.csv, data row 17 (line 19), column p_cat: ...``.
        """
        where = f"{self.source}, {self.location or f'row {self.row}'}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


class InvalidRowError(ValueError):
    """``on_invalid="error"`` met an invalid row: the ValueError that names it.

    ``row`` is the :class:`InvalidRow`; :meth:`located` gives the same error for the
    row with its place in the file filled in (what the dataset reader does).
    """

    def __init__(self, row: InvalidRow) -> None:
        super().__init__(
            f"cannot score {row.describe()}; pass on_invalid='skip' to leave invalid rows "
            "out (counted) or on_invalid='clip' to repair what can be repaired"
        )
        self.row = row

    def __reduce__(self) -> tuple[type[InvalidRowError], tuple[InvalidRow]]:
        return (InvalidRowError, (self.row,))  # crosses processes (Dask) with its row

    def located(self, row: InvalidRow) -> InvalidRowError:
        """The error for ``row`` (this one's row, located)."""
        return InvalidRowError(row)


@dataclass(frozen=True)
class InvalidSummary:
    """What happened to the rows that could not be scored as given."""

    policy: InvalidPolicy
    n_skipped: int
    n_clipped: int
    reasons: dict[str, int]  # reason -> number of rows (skipped or clipped)
    examples: tuple[InvalidRow, ...]  # the first few, ordered by (source, row)


@dataclass(frozen=True)
class CalibrationBins:
    """Top-label calibration of the predictions.

    Confidence is the largest predicted probability; a row is correct when the arg-max
    class (the first on ties) is the label.

    ``weight[b]`` is the sample weight in bin ``b``; ``confidence[b]`` and ``accuracy[b]``
    its weighted means (NaN for an empty bin). ``ece = sum_b weight_b/W |acc_b - conf_b|``;
    ``mce = max_b |acc_b - conf_b|`` over non-empty bins.
    """

    strategy: Literal["uniform", "equal-mass"]
    edges: np.ndarray  # (n_bins + 1,)
    weight: np.ndarray  # (n_bins,)
    count: np.ndarray  # (n_bins,) int64 rows
    confidence: np.ndarray  # (n_bins,)
    accuracy: np.ndarray  # (n_bins,)
    ece: float
    mce: float


@dataclass(frozen=True)
class Interval:
    """A confidence interval for the cross-entropy (nats)."""

    low: float
    high: float
    level: float  # e.g. 0.95
    n_resamples: int
    method: str  # e.g. "Poisson bootstrap, percentile"


@dataclass(frozen=True)
class WorstRow:
    """One of the rows with the largest cross-entropy."""

    source: str
    row: int
    label: str
    cross_entropy: float  # nats; inf when the label got probability 0
    probability: float  # the probability given to the label
    predicted: str  # the arg-max class
    confidence: float  # its probability


@dataclass(frozen=True)
class Verdict:
    """The interpretation, in words, driven by the baselines and the skill."""

    level: Literal["excellent", "good", "some skill", "no skill", "worse than guessing", "broken"]
    headline: str  # one sentence, shown first
    details: tuple[str, ...]  # a few short sentences with the numbers behind the headline
    rule_of_thumb: str  # the band of the tutorial scale, e.g. "< 0.20 nats: fine"
    rule_of_thumb_note: str  # why that scale can mislead (classes, balance)


@dataclass(frozen=True)
class ScoreResult:
    """Everything ``crossentropy score`` reports.

    Cross-entropies are in nats unless the name says bits; means are weighted by the
    sample weights when given.
    """

    classes: tuple[str, ...]
    binary: bool
    n_rows: int  # rows scored
    total_weight: float
    cross_entropy: float  # nats: mean of -ln p(label)
    accuracy: float
    top_k_accuracy: dict[int, float]  # k -> accuracy, for the requested k < K
    brier_score: float  # mean over rows of sum_k (p_k - y_k)^2, in [0, 2] (Brier 1950)
    calibration: CalibrationBins  # uniform bins
    calibration_equal_mass: CalibrationBins
    class_weight: np.ndarray  # (K,) sample weight (rows when unweighted) with that label
    class_count: np.ndarray  # (K,) int64 rows with that label
    class_cross_entropy: np.ndarray  # (K,) mean CE of the rows with that label; NaN if none
    class_accuracy: np.ndarray  # (K,) recall of that class; NaN if none
    confusion: np.ndarray | None  # (K, K) weights [true, predicted]; None when K > 1000
    prior: np.ndarray  # (K,) label frequencies (class_weight / total_weight)
    prior_entropy: float  # nats: H(prior), the cross-entropy of always predicting the prior
    histogram_edges: np.ndarray  # per-row cross-entropy histogram, nats; last edge inf
    histogram_weight: np.ndarray
    n_infinite: int  # rows whose label got probability 0 (cross-entropy inf)
    worst_rows: tuple[WorstRow, ...]
    interval: Interval | None  # bootstrap CI of the cross-entropy, on request
    invalid: InvalidSummary
    sources: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)  # how it was computed (bins, eps...)

    @property
    def n_classes(self) -> int:
        """K, the number of classes."""
        return len(self.classes)

    @property
    def cross_entropy_bits(self) -> float:
        """The cross-entropy in bits: nats / ln 2."""
        return self.cross_entropy / math.log(2)

    @property
    def perplexity(self) -> float:
        """``exp(cross-entropy)``: the effective number of equally likely choices."""
        return math.exp(self.cross_entropy) if self.cross_entropy < 709 else math.inf

    @property
    def uniform_baseline(self) -> float:
        """``ln K``: the cross-entropy of predicting 1/K for every class."""
        return math.log(self.n_classes)

    @property
    def skill(self) -> float:
        """``1 - CE / H(prior)``: McFadden's pseudo-R2, scikit-learn's ``d2_log_loss_score``.

        1 is perfect, 0 is no better than always predicting the label frequencies,
        negative is worse. NaN when ``H(prior) = 0`` (a single class in the labels).
        """
        if self.prior_entropy == 0:
            return math.nan
        return 1.0 - self.cross_entropy / self.prior_entropy

    @property
    def ece(self) -> float:
        """Expected calibration error with uniform bins."""
        return self.calibration.ece

    @property
    def mce(self) -> float:
        """Maximum calibration error with uniform bins."""
        return self.calibration.mce
