"""Which columns of a prediction file hold the label, the scores and the sample weights.

A :class:`ColumnSpec` says what the user chose (any part may be left to detection);
:func:`resolve_columns` turns it and a file's column names (and, for detection, its first
rows) into a :class:`ResolvedColumns` with a one-line description of what was chosen.

The selection syntax of each option (names, comma lists, globs, ranges of names or of
positions) is in :mod:`crossentropy.scoring._columns_select`; what is detected when a
part is left out, in :mod:`crossentropy.scoring._columns_detect`. The three stay at the
top of ``scoring``, beside the readers rather than in ``_read/``: :class:`ColumnSpec` and
:class:`ResolvedColumns` are public, and the command line builds a ColumnSpec before any
file is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crossentropy.scoring._columns_detect import (
    LABEL_NAMES,
    WEIGHT_NAMES,
    ColumnContext,
    detect_by_name,
    detect_scores,
    only_other_column,
    stripped_names,
)
from crossentropy.scoring._columns_select import POSITION, select_columns, select_one, span

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from crossentropy.scoring._types import ScoreKind

__all__ = ["ColumnSpec", "ResolvedColumns", "resolve_columns", "select_columns"]

_SCORE_OPTIONS: dict[str, ScoreKind] = {
    "probs": "probabilities",
    "logits": "logits",
    "prob": "probability",
    "logit": "logit",
}
_FLAGS = "--label, --probs, --logits, --prob, --logit or --weight"


@dataclass(frozen=True)
class ColumnSpec:
    """The columns a user named; every part left as None is detected.

    Attributes
    ----------
    label : str or None
        The label column.
    probs, logits : str or None
        Score columns, one per class: probabilities or logits.
    prob, logit : str or None
        One binary score column: the positive class's probability or logit.
    weight : str or None
        The sample-weight column; ``""`` means no weights (and no detection).
    classes : tuple of str or None
        Class names, one per score column (two for the binary kinds).

    At most one of ``probs``, ``logits``, ``prob``, ``logit`` may be given.
    """

    label: str | None = None
    probs: str | None = None
    logits: str | None = None
    prob: str | None = None
    logit: str | None = None
    weight: str | None = None
    classes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        given = [name for name in _SCORE_OPTIONS if getattr(self, name) is not None]
        if len(given) > 1:
            options = " and ".join(f"--{name}" for name in given)
            msg = f"give only one of --probs, --logits, --prob, --logit; got {options}"
            raise ValueError(msg)
        if self.classes is not None:
            classes = tuple(self.classes)
            if not all(isinstance(name, str) and name for name in classes):
                msg = f"classes must be non-empty strings; got {classes!r}"
                raise TypeError(msg)
            if len(set(classes)) != len(classes):
                msg = f"classes must be distinct; got {', '.join(classes)}"
                raise ValueError(msg)
            object.__setattr__(self, "classes", classes)

    @property
    def score_option(self) -> tuple[str, str, ScoreKind] | None:
        """``(option, selection, kind)`` of the score option given, or None."""
        for name, kind in _SCORE_OPTIONS.items():
            value = getattr(self, name)
            if value is not None:
                return name, value, kind
        return None


@dataclass(frozen=True)
class ResolvedColumns:
    """The columns to read and what they mean.

    Attributes
    ----------
    label : str
    scores : tuple of str
        One column per class for ``"probabilities"``/``"logits"`` (or a single matrix
        column of an ``.npz`` file), one column for ``"probability"``/``"logit"``.
    kind : ScoreKind
    weight : str or None
    classes : tuple of str
        The class names, in score-column order; ``("0", "1")`` by default for the binary
        kinds.
    description : str
        One line saying what was chosen and what was auto-detected.
    """

    label: str
    scores: tuple[str, ...]
    kind: ScoreKind
    weight: str | None
    classes: tuple[str, ...]
    description: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column to read: the label, the scores, then the weight."""
        weight = () if self.weight is None else (self.weight,)
        return (self.label, *self.scores, *weight)

    @property
    def binary(self) -> bool:
        """Whether the scores are one binary column (``"probability"``/``"logit"``)."""
        return self.kind in {"probability", "logit"}

    @property
    def n_classes(self) -> int:
        """K, the number of classes."""
        return len(self.classes)


def _class_listing(classes: Sequence[str]) -> str:
    if len(classes) <= 10:
        return ", ".join(classes)
    return f"{', '.join(classes[:5])}, ..., {', '.join(classes[-2:])}"


# --------------------------------------------------------------------------- classes


def _classes(
    scores: Sequence[str], kind: ScoreKind, spec: ColumnSpec, ctx: ColumnContext
) -> tuple[str, ...]:
    count = 1 if kind in {"probability", "logit"} else sum(ctx.width(name) for name in scores)
    wanted = 2 if count == 1 else count
    if spec.classes is not None:
        if len(spec.classes) != wanted:
            what = "a binary score column" if count == 1 else f"{count} score columns"
            msg = (
                f"{ctx.where}{len(spec.classes)} class names given for {what}; "
                f"expected {wanted}: {', '.join(spec.classes)}"
            )
            raise ValueError(msg)
        return spec.classes
    if count == 1 or len(scores) == 1 or all(POSITION.match(name) for name in scores):
        return tuple(str(k) for k in range(wanted))  # positions: classes 0..K-1
    return stripped_names(scores)


# --------------------------------------------------------------------------- resolution


def _check_scores(scores: Sequence[str], kind: ScoreKind, option: str, ctx: ColumnContext) -> None:
    widths = [ctx.width(name) for name in scores]
    if kind in {"probability", "logit"}:
        if len(scores) != 1 or widths[0] != 1:
            what = f"{len(scores)} columns" if len(scores) != 1 else f"a matrix of {widths[0]}"
            msg = f"{ctx.where}--{option} selects {what}; expected one binary score column"
            raise ValueError(msg)
        return
    if max(widths) > 1 and len(scores) > 1:
        matrix = scores[widths.index(max(widths))]
        msg = f"{ctx.where}--{option}: the matrix column {matrix!r} must be selected alone"
        raise ValueError(msg)
    if sum(widths) < 2:
        msg = (
            f"{ctx.where}--{option} selects one column ({scores[0]}); a score per class needs "
            f"at least two; for a binary positive-class score use --prob or --logit"
        )
        raise ValueError(msg)


def _check_distinct(
    label: str, scores: Sequence[str], weight: str | None, ctx: ColumnContext
) -> None:
    if label in scores:
        msg = f"{ctx.where}column {label!r} is selected as the label and as a score"
        raise ValueError(msg)
    if weight is not None and weight in {label, *scores}:
        role = "the label" if weight == label else "a score"
        msg = f"{ctx.where}column {weight!r} is selected as the weight and as {role}"
        raise ValueError(msg)
    if ctx.width(label) > 1 or (weight is not None and ctx.width(weight) > 1):
        name = label if ctx.width(label) > 1 else weight
        msg = (
            f"{ctx.where}column {name!r} is a matrix; "
            "the label and the weight must be single columns"
        )
        raise ValueError(msg)


def _score_text(
    scores: Sequence[str], kind: ScoreKind, classes: Sequence[str], note: str, ctx: ColumnContext
) -> str:
    details = [note] if note else []
    if kind in {"probability", "logit"}:
        what = "positive-class probability" if kind == "probability" else "positive-class logit"
        details.append(f"classes: {', '.join(classes)}")
        return f"{what} {scores[0]!r} ({'; '.join(details)})"
    details.append(f"{len(classes)} classes: {_class_listing(classes)}")
    return f"{kind} {span(scores, ctx.names)} ({'; '.join(details)})"


def _description(parts: Sequence[tuple[str, bool]]) -> str:
    given = [text for text, auto in parts if not auto]
    detected = [text for text, auto in parts if auto]
    groups = []
    if given:
        groups.append("given: " + ", ".join(given))
    if detected:
        groups.append("auto-detected: " + ", ".join(detected))
    return "; ".join(groups)


def resolve_columns(
    spec: ColumnSpec,
    column_names: Sequence[str],
    sample: Mapping[str, np.ndarray] | None = None,
    *,
    widths: Mapping[str, int] | None = None,
    source: str = "",
) -> ResolvedColumns:
    r"""Choose the label, score and weight columns: what ``spec`` gives, the rest detected.

    Parameters
    ----------
    spec : ColumnSpec
    column_names : sequence of str
        The file's columns, in file order.
    sample : mapping of str to ndarray, optional
        The first rows of (some of) the columns: numeric columns as numbers, others as
        strings. Detection uses it to skip non-numeric columns and to tell probabilities
        from logits.
    widths : mapping of str to int, optional
        Columns that are matrices (an ``.npz`` array of shape ``(n, K)``): their ``K``.
        By default, the 2-D arrays of ``sample``.
    source : str
        The file, for messages.

    Returns
    -------
    ResolvedColumns

    Raises
    ------
    ValueError
        A selection matches nothing, a column has two roles, the class names do not match
        the score columns, or detection finds nothing or several possibilities; the message
        lists the columns and the options to choose with.

    Notes
    -----
    Detection (names compare case-insensitively): the label is the column named one of
    label, labels, y, y_true, target, true, truth, class, actual; the weight one named
    weight, sample_weight or weights. The scores are a family of at least two numeric
    columns named ``p_*``, ``prob_*``, ``proba_*``, ``probability_*``, ``pred_*``
    (probabilities) or ``logit_*``, ``logits_*`` (logits); or one column named p, prob,
    proba, y_prob, y_proba, y_score, probability, score, pred, probs, probabilities (a binary
    probability; the class probabilities when it is a matrix) or logit, logits; or else
    all the other columns when they are numeric: probabilities when the sample's rows lie in
    [0, 1] and sum to 1 within 1e-3, logits otherwise. Class names are the score columns'
    names less their common prefix (``p_cat, p_dog -> cat, dog``), ``0..K-1`` for
    positional names and matrices, ``("0", "1")`` for the binary kinds.

    Examples
    --------
    >>> names = ["species", "p_setosa", "p_versicolor", "p_virginica"]
    >>> resolved = resolve_columns(ColumnSpec(label="species"), names)
    >>> resolved.scores, resolved.kind
    (('p_setosa', 'p_versicolor', 'p_virginica'), 'probabilities')
    >>> resolved.classes
    ('setosa', 'versicolor', 'virginica')
    >>> print(resolved.description.replace("; ", ";\n"))
    given: label 'species';
    auto-detected: probabilities p_setosa..p_virginica (3 classes: setosa, versicolor, virginica)
    """
    names = tuple(column_names)
    # A 2-D sample array is a matrix column (an .npz array of shape (n, K)).
    matrices = {
        name: np.shape(values)[1] for name, values in (sample or {}).items() if np.ndim(values) == 2
    }
    ctx = ColumnContext(names, {**matrices, **(widths or {})}, sample, source)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        msg = f"{ctx.where}duplicate column names: {', '.join(duplicates)}"
        raise ValueError(msg)
    parts: list[tuple[str, bool]] = []

    label = None if spec.label is None else select_one(spec.label, names, "--label", source)
    weight = None if not spec.weight else select_one(spec.weight, names, "--weight", source)
    option = spec.score_option
    scores: tuple[str, ...] | None = None
    if option is not None:
        flag, selection, kind = option
        scores = select_columns(selection, names, option=f"--{flag}", source=source)
        _check_scores(scores, kind, flag, ctx)
    taken = {name for name in (label, weight) if name is not None} | set(scores or ())

    label_auto = label is None
    if label is None:
        free = [name for name in names if name not in taken and ctx.width(name) == 1]
        label = detect_by_name(free, LABEL_NAMES, "label", "--label", ctx)
        if label is None:
            label = only_other_column(free, scores, ctx)
        if label is None:
            msg = (
                f"{ctx.where}no label column found (looked for {', '.join(LABEL_NAMES)}); "
                f"columns are: {ctx.listing}; choose with {_FLAGS}"
            )
            raise ValueError(msg)
        taken.add(label)
    weight_auto = weight is None and spec.weight is None
    if weight_auto:
        free = [name for name in names if name not in taken and ctx.width(name) == 1]
        weight = detect_by_name(free, WEIGHT_NAMES, "sample weight", "--weight", ctx)
        if weight is not None:
            taken.add(weight)
    note = ""
    scores_auto = scores is None
    if scores is None:
        candidate = detect_scores([name for name in names if name not in taken], ctx)
        scores, kind, note = candidate.columns, candidate.kind, candidate.note
    _check_distinct(label, scores, weight, ctx)
    classes = _classes(scores, kind, spec, ctx)

    parts.append((f"label {label!r}", label_auto))
    parts.append((_score_text(scores, kind, classes, note, ctx), scores_auto))
    if weight is not None:
        parts.append((f"weight {weight!r}", weight_auto))
    return ResolvedColumns(label, scores, kind, weight, classes, _description(parts))
