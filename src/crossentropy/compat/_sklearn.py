"""Implementation of :mod:`crossentropy.compat.sklearn` (see its docstring for the conventions)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from crossentropy._array_api import Array, compute_dtype, namespace, to_numpy
from crossentropy._validation import OUTCOME_KINDS, check_finite, found_any
from crossentropy.compat._common import first_bad, ignore_fp_warnings

__all__ = [
    "UndefinedMetricWarning",
    "d2_log_loss_score",
    "log_loss",
]


class UndefinedMetricWarning(UserWarning):
    """A metric is not defined for the input (scikit-learn's warning of that name)."""


_DEPRECATED = "deprecated"


def _resolve_y_proba(y_proba: Array | None, y_pred: object) -> Array:
    """scikit-learn 1.9's renaming of ``y_pred`` to ``y_proba``."""
    if not (isinstance(y_pred, str) and y_pred == _DEPRECATED):
        if y_proba is not None:
            msg = "Cannot use both `y_pred` and `y_proba`. `y_pred` is deprecated, use `y_proba`."
            raise ValueError(msg)
        warnings.warn(
            "`y_pred` was renamed to `y_proba` in scikit-learn 1.9 and will be removed in "
            "1.11. Use `y_proba` instead.",
            FutureWarning,
            stacklevel=3,
        )
        return y_pred
    if y_proba is None:
        msg = "y_proba is required: pass the predicted probabilities"
        raise TypeError(msg)
    return y_proba


def _num_samples(name: str, value: Any) -> int:
    shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
    if len(shape) == 0:
        msg = f"{name} must be an array of samples, got a scalar {value!r:.40}"
        raise ValueError(msg)
    return int(shape[0])


def _check_consistent_length(**named: object) -> int:
    """Raise unless every given argument has the same number of samples; return it."""
    counts = {name: _num_samples(name, value) for name, value in named.items() if value is not None}
    if len(set(counts.values())) > 1:
        found = ", ".join(f"{name} has {n}" for name, n in counts.items())
        msg = f"the inputs must have the same number of samples; {found}"
        raise ValueError(msg)
    return next(iter(counts.values()))


def _check_proba(y_proba: Array) -> tuple[Any, Array]:
    """``y_proba`` as a floating array (float64 for integers), 1-D or 2-D, finite, in [0, 1]."""
    xp, (p,) = namespace(y_proba)
    if not xp.isdtype(p.dtype, "real floating"):
        p = xp.astype(p, compute_dtype(xp, p.dtype))
    if p.ndim not in (1, 2):
        msg = (
            f"y_proba must be 1-D (the positive-class probability) or 2-D (n_samples, "
            f"n_classes), got shape {tuple(p.shape)}"
        )
        raise ValueError(msg)
    if p.shape[0] == 0 or (p.ndim == 2 and p.shape[1] == 0):
        msg = f"y_proba must hold at least one sample and one class, got shape {tuple(p.shape)}"
        raise ValueError(msg)
    check_finite(xp, "y_proba", p)
    for bad, bound in ((p > 1, "greater than 1"), (p < 0, "lower than 0")):
        if found_any(xp, bad):
            where, value = first_bad(bad, p)
            msg = f"y_proba must hold probabilities; found {value} ({bound}) at index {where}"
            raise ValueError(msg)
    return xp, p


def _check_sample_weight(p: Array, sample_weight: Array | None, n_samples: int) -> Array | None:
    """1-D finite weights, not all zero (negative weights are allowed, as in scikit-learn)."""
    if sample_weight is None:
        return None
    xp, (_, sw) = namespace(p, sample_weight)
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        msg = (
            f"sample_weight must be a 1-D array of {n_samples} weights, got shape {tuple(sw.shape)}"
        )
        raise ValueError(msg)
    if not xp.isdtype(sw.dtype, "real floating"):
        sw = xp.astype(sw, compute_dtype(xp, sw.dtype))
    check_finite(xp, "sample_weight", sw)
    if not bool(xp.any(sw != 0)):
        msg = "sample_weight must contain at least one non-zero weight, got all zeros"
        raise ValueError(msg)
    return sw


def _as_labels(value: object) -> np.ndarray:
    """Host copy of discrete labels (strings allowed)."""
    if hasattr(value, "__array_namespace__") or hasattr(value, "__dlpack__"):
        return to_numpy(value)
    return np.asarray(value)


def _is_continuous(y: np.ndarray) -> bool:
    return y.dtype.kind == "f" and bool(np.any(y != np.floor(y)))


def _binarize(y_true: object, labels: object) -> np.ndarray:
    """One-hot encode ``y_true`` over the sorted classes, as ``LabelBinarizer`` does."""
    y = _as_labels(y_true)
    if y.dtype.kind == "f" and bool(np.any(np.isnan(y))):
        where = tuple(int(i) for i in np.argwhere(np.isnan(y))[0])
        msg = f"y_true must not contain NaN; found NaN at index {list(where)}"
        raise ValueError(msg)
    if y.ndim == 2 and y.shape[1] > 1:
        if labels is not None:
            msg = (
                "labels cannot be combined with a 2-D indicator y_true; pass 1-D class "
                "labels or omit labels"
            )
            raise ValueError(msg)
        if y.dtype.kind not in OUTCOME_KINDS or not bool(np.all((y == 0) | (y == 1))):
            msg = (
                f"a 2-D y_true must be a 0/1 indicator matrix (multilabel); got shape "
                f"{y.shape} with values other than 0 and 1"
            )
            raise ValueError(msg)
        return y.astype(np.int64)
    if y.ndim == 2:
        y = y[:, 0]  # a column vector of labels
    if y.ndim != 1:
        msg = f"y_true must be 1-D labels or a 2-D indicator matrix, got shape {y.shape}"
        raise ValueError(msg)
    if _is_continuous(y):
        msg = (
            f"y_true must hold class labels, got continuous values such as "
            f"{y[y != np.floor(y)][0]!r}"
        )
        raise ValueError(msg)
    if labels is None:
        classes = np.unique(y)
        if classes.shape[0] == 1:
            msg = (
                f"y_true contains only one label ({classes[0].item()!r}); pass all the expected "
                f"class labels through the labels argument"
            )
            raise ValueError(msg)
    else:
        given = _as_labels(labels).ravel()
        classes = np.unique(given)
        if classes.shape != given.shape or not bool(np.all(classes == given)):
            warnings.warn(
                f"Labels passed were {given.tolist()}, but log_loss orders the columns of "
                f"y_proba by the sorted labels {classes.tolist()}; pass labels in that order "
                f"and make sure the columns of y_proba follow it.",
                UserWarning,
                stacklevel=4,
            )
        if classes.shape[0] < 2:
            msg = f"labels must contain at least two distinct labels, got {classes.tolist()}"
            raise ValueError(msg)
        unknown = ~np.isin(y, classes)
        if bool(np.any(unknown)):
            values = sorted(set(y[unknown].tolist()), key=str)
            msg = f"y_true contains labels {values} that are not in labels={given.tolist()}"
            raise ValueError(msg)
    return np.asarray(y[:, None] == classes[None, :], dtype=np.int64)


def _validate(
    y_true: object, y_proba: Array, sample_weight: Array | None, labels: object
) -> tuple[Any, Array, Array, Array | None]:
    """scikit-learn's ``_validate_multiclass_probabilistic_prediction``.

    Returns the namespace, the one-hot targets and the ``(n, k)`` probabilities (a
    1-D input becomes ``[1 - p, p]``) in ``y_proba``'s namespace, and the weights.
    """
    xp, p = _check_proba(y_proba)
    n_samples = _check_consistent_length(y_proba=p, y_true=y_true, sample_weight=sample_weight)
    sw = _check_sample_weight(p, sample_weight, n_samples)
    onehot = _binarize(y_true, labels)
    if p.ndim == 1:
        p = xp.reshape(p, (-1, 1))
    if p.shape[1] == 1:
        p = xp.concat([1 - p, p], axis=1)
    eps = float(xp.finfo(p.dtype).eps)
    totals = xp.sum(p, axis=1)
    off = ~(xp.abs(totals - 1) <= 1e-8 + math.sqrt(eps))  # scikit-learn's isclose test
    if bool(xp.any(off)):
        where, total = first_bad(off, totals)
        warnings.warn(
            f"The y_proba rows do not sum to one (row {where} sums to {float(total)!r}); "
            f"they are used as given. Make sure to pass probabilities.",
            UserWarning,
            stacklevel=3,
        )
    n_classes = onehot.shape[1]
    if n_classes != p.shape[1]:
        source = "y_true" if labels is None else "labels"
        hint = (
            " Pass all the class labels explicitly through the labels argument."
            if labels is None
            else ""
        )
        msg = (
            f"y_proba has {p.shape[1]} columns but {source} has {n_classes} classes; "
            f"they must match.{hint}"
        )
        raise ValueError(msg)
    if type(p) is np.ndarray:
        return xp, onehot, p, sw  # NumPy already (a Python list of 1e6 rows costs seconds)
    _, (_, targets) = namespace(p, onehot.tolist())
    return xp, targets, p, sw


def _average(
    xp: Any, values: Array, weights: Array | None, *, normalize: bool, axis: int | None = None
) -> Array:
    """``numpy.average`` (``normalize``) or the weighted sum, with NumPy's promotion."""
    if weights is None:
        values = (
            xp.astype(values, compute_dtype(xp, values.dtype))
            if not xp.isdtype(values.dtype, "real floating")
            else values
        )
        return xp.mean(values, axis=axis) if normalize else xp.sum(values, axis=axis)
    dtype = xp.result_type(compute_dtype(xp, values.dtype), weights.dtype)
    values, weights = xp.astype(values, dtype), xp.astype(weights, dtype)
    if axis is not None:
        weights = xp.reshape(weights, (-1, 1))
    total = xp.sum(values * weights, axis=axis)
    if not normalize:
        return total
    scale = xp.sum(weights) if axis is None else xp.sum(weights, axis=0)
    if bool(xp.any(scale == 0)):
        msg = "sample_weight sums to zero, so the weighted average is undefined"
        raise ZeroDivisionError(msg)
    return total / scale


def _log_loss(xp: Any, targets: Array, p: Array, sw: Array | None, *, normalize: bool) -> float:
    """scikit-learn's ``_log_loss``: clip to the dtype's eps, sum ``-y log p`` per row."""
    eps = float(xp.finfo(p.dtype).eps)
    with ignore_fp_warnings():
        p = xp.clip(p, eps, 1 - eps)
        t = xp.astype(targets, p.dtype)
        zero = xp.zeros_like(p)
        # xlogy: 0 * log(p) = 0 (p > 0 after clipping, so this is t * log(p) exactly).
        loss = -xp.sum(xp.where(t == 0, zero, t * xp.log(p)), axis=1)
        return float(_average(xp, loss, sw, normalize=normalize))


def log_loss(
    y_true: Array,
    y_proba: Array | None = None,
    *,
    normalize: bool = True,
    sample_weight: Array | None = None,
    labels: Array | None = None,
    y_pred: Any = _DEPRECATED,
) -> float:
    r"""``sklearn.metrics.log_loss``: the mean negative log-likelihood of labels.

    Mirrors scikit-learn 1.9. Unlike :mod:`crossentropy.losses`, the probabilities are
    clipped to ``[eps, 1 - eps]`` of their dtype, rows not summing to one only warn,
    and labels may be of any kind.

    Parameters
    ----------
    y_true : array-like, shape (n_samples,) or (n_samples, n_classes)
        True labels (strings, integers, booleans, whole-number floats), or a 0/1
        indicator matrix.
    y_proba : array, shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the order of the sorted labels; a 1-D
        array is the probability of the positive (second) class.
    normalize : bool, default True
        Return the (weighted) mean per sample; otherwise the (weighted) sum.
    sample_weight : array, shape (n_samples,), optional
        Sample weights (negative weights are accepted, as in scikit-learn).
    labels : array-like, optional
        All class labels; required when ``y_true`` holds fewer classes than
        ``y_proba`` has columns.
    y_pred : array, optional
        Deprecated alias of ``y_proba`` (scikit-learn 1.9), with a ``FutureWarning``.

    Returns
    -------
    float
        The log loss in nats.

    Raises
    ------
    ValueError
        For probabilities outside ``[0, 1]`` or non-finite, inconsistent sample counts,
        continuous or single-class ``y_true`` without ``labels``, labels of ``y_true``
        missing from ``labels``, or a number of columns that does not match the classes.
    ZeroDivisionError
        If the sample weights sum to zero (possible with negative weights).

    Warns
    -----
    UserWarning
        When a row of ``y_proba`` does not sum to one, or ``labels`` is not sorted.

    Notes
    -----
    :math:`-\frac{1}{\sum_i w_i}\sum_i w_i \sum_k y_{ik}\log\operatorname{clip}(p_{ik},
    \epsilon, 1-\epsilon)` with :math:`\epsilon` the machine epsilon of ``y_proba``'s
    dtype.

    Examples
    --------
    >>> round(log_loss([0, 1, 1], [0.1, 0.8, 0.6]), 6)  # positive-class probabilities
    0.279777
    >>> round(log_loss([1, 1], [[0.5, 0.5], [1.0, 0.0]], labels=[0, 1]), 4)  # 0 -> eps
    18.3684
    """
    y_proba = _resolve_y_proba(y_proba, y_pred)
    xp, targets, p, sw = _validate(y_true, y_proba, sample_weight, labels)
    return _log_loss(xp, targets, p, sw, normalize=normalize)


def d2_log_loss_score(
    y_true: Array,
    y_proba: Array | None = None,
    *,
    sample_weight: Array | None = None,
    labels: Array | None = None,
    y_pred: Any = _DEPRECATED,
) -> float:
    r"""``sklearn.metrics.d2_log_loss_score``: the fraction of log loss explained.

    Mirrors scikit-learn 1.9: :math:`D^2 = 1 - \mathrm{LL}(y, p) / \mathrm{LL}(y,
    \bar p)` where :math:`\bar p` predicts the (weighted) class frequencies of
    ``y_true`` for every sample. 1 is perfect, 0 is the frequency baseline, and it
    can be negative.

    Parameters
    ----------
    y_true, y_proba, sample_weight, labels, y_pred
        As in :func:`log_loss`.

    Returns
    -------
    float
        The score; ``nan`` with an :class:`UndefinedMetricWarning` for fewer than two
        samples.

    Raises
    ------
    ValueError
        As :func:`log_loss`.

    Examples
    --------
    >>> round(d2_log_loss_score([0, 1, 1, 0], [0.2, 0.7, 0.9, 0.4]), 6)
    0.568633
    """
    y_proba = _resolve_y_proba(y_proba, y_pred)
    n_samples = _check_consistent_length(
        y_proba=y_proba, y_true=y_true, sample_weight=sample_weight
    )
    if n_samples < 2:
        warnings.warn(
            "D^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return math.nan
    xp, targets, p, sw = _validate(y_true, y_proba, sample_weight, labels)
    # scikit-learn averages the integer one-hot targets, so the baseline is float64.
    frequencies = _average(xp, targets, sw, normalize=True, axis=0)
    baseline = xp.broadcast_to(xp.reshape(frequencies, (1, -1)), (p.shape[0], p.shape[1]))
    numerator = _log_loss(xp, targets, p, sw, normalize=False)
    denominator = _log_loss(xp, targets, baseline, sw, normalize=False)
    return 1 - numerator / denominator
