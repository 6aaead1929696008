"""Guessing which columns hold the label, the scores and the weights, from names and a sample.

What :func:`~crossentropy.scoring._columns.resolve_columns` detects when a
:class:`~crossentropy.scoring._columns.ColumnSpec` leaves a part out: the vocabulary of
names, the score families (``p_*``, ``logit_*``, ...), probabilities told from logits by
the first rows, and class names from the score columns' names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crossentropy._validation import NUMBER_KINDS
from crossentropy.scoring._columns_select import listing, span, where

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from crossentropy.scoring._types import ScoreKind

__all__ = [
    "LABEL_NAMES",
    "WEIGHT_NAMES",
    "ColumnContext",
    "detect_by_name",
    "detect_scores",
    "only_other_column",
    "stripped_names",
]

# Detection vocabulary; names compare case-insensitively.
LABEL_NAMES = ("label", "labels", "y", "y_true", "target", "true", "truth", "class", "actual")
WEIGHT_NAMES = ("weight", "sample_weight", "weights")
_PROBABILITY_PREFIXES = ("p_", "prob_", "proba_", "probability_", "pred_")
_LOGIT_PREFIXES = ("logit_", "logits_")
# A column with one of these names holds a binary positive-class probability, or, when it
# is a matrix (an .npz array of shape (n, K)), the K class probabilities.
_PROBABILITY_NAMES = (
    "p",
    "prob",
    "proba",
    "y_prob",
    "y_proba",
    "y_score",
    "probability",
    "score",
    "pred",
    "probs",
    "probabilities",
)
_LOGIT_NAMES = ("logit", "logits")
_SCORE_FLAGS = "--probs, --logits, --prob or --logit"
_SUM_TOLERANCE = 1e-3
_SEPARATORS = "_-.:/ |"


# --------------------------------------------------------------------------- detection


@dataclass(frozen=True)
class _Candidate:
    """Score columns that detection found, their kind, and why (for the description)."""

    columns: tuple[str, ...]
    kind: ScoreKind
    note: str = ""


def _numeric(name: str, sample: Mapping[str, np.ndarray] | None) -> bool | None:
    """Whether the sample shows ``name`` numeric; None when there is no sample of it."""
    if sample is None or name not in sample:
        return None
    return np.asarray(sample[name]).dtype.kind in NUMBER_KINDS


def _by_name(names: Sequence[str], vocabulary: Sequence[str]) -> list[str]:
    return [name for name in names if name.lower() in vocabulary]


def detect_by_name(
    free: Sequence[str], vocabulary: Sequence[str], what: str, flag: str, ctx: ColumnContext
) -> str | None:
    """The one column of ``free`` named in ``vocabulary``, None if none; several: ValueError."""
    found = _by_name(free, vocabulary)
    if len(found) > 1:
        msg = (
            f"{ctx.where}several columns could be the {what}: {', '.join(found)}; "
            f"columns are: {ctx.listing}; choose with {flag}"
        )
        raise ValueError(msg)
    return found[0] if found else None


@dataclass(frozen=True)
class ColumnContext:
    """A file's columns as resolution sees them, and how messages name the file.

    ``widths``: the columns that are matrices (an ``.npz`` array of shape ``(n, K)``) and
    their ``K``; ``sample``: the first rows, when there are any.
    """

    names: tuple[str, ...]
    widths: Mapping[str, int]
    sample: Mapping[str, np.ndarray] | None
    source: str

    @property
    def where(self) -> str:
        """The file, as messages start (``"data.csv: "``), or nothing."""
        return where(self.source)

    @property
    def listing(self) -> str:
        """The column names, as messages list them."""
        return listing(self.names)

    def width(self, name: str) -> int:
        """How many score columns ``name`` holds: ``K`` for a matrix, else 1."""
        return int(self.widths.get(name, 1))


def _score_candidates(free: Sequence[str], ctx: ColumnContext) -> list[_Candidate]:
    candidates = []
    families: tuple[tuple[tuple[str, ...], ScoreKind], ...] = (
        (_PROBABILITY_PREFIXES, "probabilities"),
        (_LOGIT_PREFIXES, "logits"),
    )
    for prefixes, kind in families:
        for prefix in prefixes:
            family = tuple(
                name
                for name in free
                if name.lower().startswith(prefix)
                and len(name) > len(prefix)
                and ctx.width(name) == 1
                and _numeric(name, ctx.sample) is not False
            )
            if len(family) >= 2:
                candidates.append(_Candidate(family, kind))
    for name in free:
        if _numeric(name, ctx.sample) is False:
            continue
        matrix = ctx.width(name) > 1
        if name.lower() in _PROBABILITY_NAMES:
            candidates.append(_Candidate((name,), "probabilities" if matrix else "probability"))
        elif name.lower() in _LOGIT_NAMES:
            candidates.append(_Candidate((name,), "logits" if matrix else "logit"))
    return candidates


def _describe_candidate(candidate: _Candidate, ctx: ColumnContext) -> str:
    return f"{span(candidate.columns, ctx.names)} ({candidate.kind})"


def _sample_matrix(columns: Sequence[str], ctx: ColumnContext) -> np.ndarray | None:
    if ctx.sample is None or any(name not in ctx.sample for name in columns):
        return None
    parts = [np.asarray(ctx.sample[name], dtype=np.float64) for name in columns]
    # reshape(n, 1) for a column of n values (0 included: a header-only file has none)
    matrix = np.column_stack(
        [part.reshape(part.shape[0], -1 if part.size else 1) for part in parts]
    )
    return matrix[~np.isnan(matrix).any(axis=1)]


def _remaining_numeric(free: Sequence[str], ctx: ColumnContext) -> _Candidate | None:
    """The other columns, when they are all numeric.

    Probabilities if the sample's rows lie in [0, 1] and sum to 1 (within 1e-3), else
    logits; one column: a binary probability if in [0, 1], else a binary logit.
    """
    if not free or any(_numeric(name, ctx.sample) is not True for name in free):
        return None
    matrix = _sample_matrix(free, ctx)
    if matrix is None or matrix.shape[0] == 0:
        return None
    in_unit = bool(np.all((matrix >= 0) & (matrix <= 1)))
    if matrix.shape[1] == 1:
        kind: ScoreKind = "probability" if in_unit else "logit"
        note = "in [0, 1]" if in_unit else "not all in [0, 1]"
    else:
        sums_to_one = bool(np.all(np.abs(matrix.sum(axis=1) - 1) <= _SUM_TOLERANCE))
        kind = "probabilities" if in_unit and sums_to_one else "logits"
        note = "rows sum to 1" if kind == "probabilities" else "rows do not sum to 1"
    return _Candidate(tuple(free), kind, f"the other numeric columns; {note}")


def detect_scores(free: Sequence[str], ctx: ColumnContext) -> _Candidate:
    candidates = _score_candidates(free, ctx)
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        options = " or ".join(_describe_candidate(candidate, ctx) for candidate in candidates)
        msg = (
            f"{ctx.where}cannot tell which columns hold the scores: {options}; "
            f"columns are: {ctx.listing}; choose with {_SCORE_FLAGS}"
        )
        raise ValueError(msg)
    fallback = _remaining_numeric(free, ctx)
    if fallback is not None:
        return fallback
    msg = (
        f"{ctx.where}found no score columns (looked for names starting with "
        f"{', '.join(_PROBABILITY_PREFIXES + _LOGIT_PREFIXES)}, a column named "
        f"{', '.join(_PROBABILITY_NAMES[:9])} or logit, or only numeric columns besides the "
        f"label); columns are: {ctx.listing}; choose with {_SCORE_FLAGS}"
    )
    raise ValueError(msg)


def _boundary(name: str, i: int) -> bool:
    """Whether a prefix of length ``i`` ends at a word boundary of ``name``."""
    before, after = name[i - 1], name[i]
    return before in _SEPARATORS or before.isdigit() != after.isdigit()


def stripped_names(columns: Sequence[str]) -> tuple[str, ...]:
    """Column names without their longest common prefix that ends at a word boundary.

    ``p_cat, p_dog -> cat, dog``; ``p10, p11 -> 10, 11``; the full names when that prefix
    would leave an empty name.
    """
    common = len(columns[0])
    for name in columns[1:]:
        common = min(common, len(name))
        common = next((i for i in range(common) if name[i] != columns[0][i]), common)
    for i in range(common, 0, -1):
        if all(i < len(name) and _boundary(name, i) for name in columns):
            return tuple(name[i:] for name in columns)
    return tuple(columns)


def only_other_column(
    free: list[str], scores: tuple[str, ...] | None, ctx: ColumnContext
) -> str | None:
    """The label when no column has a label's name: the one column left beside the scores.

    ``species, p_setosa, p_versicolor, p_virginica`` has no column named like a label,
    but once the scores are found only ``species`` is left, and it can be nothing else.
    """
    if scores is None:
        try:
            scores = detect_scores(free, ctx).columns
        except ValueError:
            return None
    others = [name for name in free if name not in scores and name.lower() not in WEIGHT_NAMES]
    return others[0] if len(others) == 1 else None
