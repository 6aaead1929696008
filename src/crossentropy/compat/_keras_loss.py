"""The ``keras.losses.Loss`` mirrors and Keras' reduction (``keras.src.losses.loss``)."""

from __future__ import annotations

from typing import Any

from crossentropy._array_api import Array, namespace
from crossentropy.compat._common import as_float, finish, ignore_fp_warnings, numel
from crossentropy.compat._keras import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    sparse_categorical_crossentropy_with_mask,
)
from crossentropy.compat._keras_focal import (
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)

__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "KLDivergence",
    "Loss",
    "SparseCategoricalCrossentropy",
    "reduce_weighted_values",
]

_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


# --- reductions (keras.src.losses.loss) -----------------------------------------------


def _standardize_reduction(reduction: object) -> str | None:
    if reduction not in _REDUCTIONS:
        msg = (
            f"reduction must be one of 'sum_over_batch_size', 'sum', 'mean', "
            f"'mean_with_sample_weight', 'none' or None, got {reduction!r}"
        )
        raise ValueError(msg)
    return reduction


def _squeeze_or_expand_to_same_rank(
    x1: Array, x2: Array, xp: Any, expand_rank_1: bool = True
) -> tuple[Array, Array]:
    """Keras' helper: fix a rank difference of one caused by a trailing axis of size 1."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = xp.expand_dims(x2, axis=-1)
        else:
            x1 = xp.squeeze(x1, axis=-1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = xp.expand_dims(x1, axis=-1)
        else:
            x2 = xp.squeeze(x2, axis=-1)
    return x1, x2


def _divide_no_nan(xp: Any, x: Array, y: Array) -> Array:
    """``x / y``, and ``0`` where ``y == 0``."""
    safe = xp.where(y == 0, xp.ones_like(y), y)
    return xp.where(y == 0, xp.zeros_like(x / safe), x / safe)


def _weighted(xp: Any, values: Array, weight: Array) -> Array:
    values, weight = _squeeze_or_expand_to_same_rank(values, weight, xp)
    try:
        return values * weight
    except (ValueError, RuntimeError) as exc:
        msg = (
            f"sample_weight of shape {tuple(weight.shape)} does not broadcast to the "
            f"per-sample loss shape {tuple(values.shape)}"
        )
        raise ValueError(msg) from exc


def reduce_weighted_values(
    values: Array,
    sample_weight: Array | None = None,
    mask: Array | None = None,
    reduction: str | None = "sum_over_batch_size",
) -> Array:
    r"""Keras' ``reduce_weighted_values``: weight, mask and reduce per-sample losses.

    Mirrors ``keras.src.losses.loss.reduce_weighted_values`` of Keras 3.15, the
    reduction every ``keras.losses.Loss`` applies.

    Parameters
    ----------
    values : array
        Per-sample losses.
    sample_weight : array, optional
        Weights broadcast against ``values`` (a trailing axis of size 1 is squeezed or
        added to match ranks, as in Keras).
    mask : array of bool, optional
        ``False`` for samples to drop (``ignore_class``).
    reduction : {'sum_over_batch_size', 'mean', 'sum', 'mean_with_sample_weight', 'none', None}
        ``'sum_over_batch_size'`` (= ``'mean'``): the weighted sum divided by the number
        of elements of ``values`` (with a mask: by the number of unmasked elements);
        ``'mean_with_sample_weight'``: divided by the sum of the (masked) weights;
        ``'sum'``; ``'none'``/``None``: the weighted values. A divisor of 0 gives 0.

    Returns
    -------
    array
        The reduced loss. A 0-d ``values`` or one of shape ``(0,)`` is returned
        unreduced (weighted), as Keras does.

    Raises
    ------
    ValueError
        For an unknown reduction or a ``sample_weight`` that does not broadcast.

    Notes
    -----
    With a mask and a mean reduction, Keras weights each unmasked sample by
    :math:`\text{total}/\text{valid}` and then divides by ``total``, so the result is
    the mean over unmasked samples, and ``0`` when all are masked.

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([1.0, 2.0, 4.0])
    >>> float(reduce_weighted_values(values, sample_weight=np.array([1.0, 0.0, 0.5])))
    1.0
    >>> float(reduce_weighted_values(values, mask=np.array([False, False, False])))
    0.0
    """
    reduction = _standardize_reduction(reduction)
    xp, (v, sw, m) = namespace(values, sample_weight, mask)
    v = as_float(xp, v)
    dtype = v.dtype
    if sw is not None:
        sw = as_float(xp, sw, dtype)
    if m is not None:
        m = m if xp.isdtype(m.dtype, "bool") else m != 0
        if reduction in ("mean", "sum_over_batch_size"):
            # Unmasked samples get weight total / valid, so that dividing the sum by
            # the total count gives the mean over the unmasked samples.
            total = xp.full_like(xp.sum(v), float(numel(m.shape)))
            valid = xp.sum(xp.astype(m, dtype))
            float_mask = xp.where(m, _divide_no_nan(xp, total, valid), xp.zeros_like(total))
        else:
            float_mask = xp.astype(m, dtype)
        if sw is not None:
            float_mask, sw = _squeeze_or_expand_to_same_rank(float_mask, sw, xp)
            sw = _weighted(xp, sw, float_mask)
        else:
            sw = float_mask
    with ignore_fp_warnings():
        if sw is not None:
            v, sw = _squeeze_or_expand_to_same_rank(v, sw, xp)
            v = _weighted(xp, v, sw)
        return finish(xp, _reduce_values(xp, v, sw, reduction), dtype)


def _reduce_values(
    xp: Any, values: Array, sample_weight: Array | None, reduction: str | None
) -> Array:
    if reduction in (None, "none") or tuple(values.shape) in ((), (0,)):
        return values
    loss = xp.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = xp.sum(sample_weight)
        else:
            divisor = xp.full_like(loss, float(numel(values.shape)))
        loss = _divide_no_nan(xp, loss, divisor)
    return loss


# --- Loss classes --------------------------------------------------------------------------


class Loss:
    """Base of the ``keras.losses.Loss`` mirrors: ``loss(y_true, y_pred, sample_weight)``.

    Parameters
    ----------
    reduction : str or None, default 'sum_over_batch_size'
        See :func:`reduce_weighted_values`.
    name : str, optional
        Kept for Keras' signature; not used in the computation.
    dtype : str, optional
        Name of the dtype to compute in (``"float32"``, ``"float64"``, ...). ``None``
        (the default) computes in ``y_pred``'s floating dtype, where Keras would use
        ``keras.config.floatx()``.
    """

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: str | None = None,
    ) -> None:
        self.name = name or type(self).__name__
        self.reduction = _standardize_reduction(reduction)
        self.dtype = dtype

    def __call__(self, y_true: Array, y_pred: Array, sample_weight: Array | None = None) -> Array:
        """Per-sample losses of ``(y_true, y_pred)``, weighted and reduced."""
        xp, (yt, yp, sw) = namespace(y_true, y_pred, sample_weight)
        if self.dtype is None:
            dtype = as_float(xp, yp).dtype
        else:
            dtype = getattr(xp, str(self.dtype), None)
            if dtype is None or not xp.isdtype(dtype, "real floating"):
                msg = f"dtype must name a floating dtype such as 'float32', got {self.dtype!r}"
                raise ValueError(msg)
        yp = as_float(xp, yp, dtype)
        yt = as_float(xp, yt, dtype)  # Keras casts y_true to the loss dtype too
        yt, yp = _squeeze_or_expand_to_same_rank(yt, yp, xp)
        values, mask = self.call(yt, yp)
        return reduce_weighted_values(values, sample_weight=sw, mask=mask, reduction=self.reduction)

    def call(self, y_true: Array, y_pred: Array) -> tuple[Array, Array | None]:
        """Per-sample losses and the mask of kept samples (``None``: all kept)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class CategoricalCrossentropy(Loss):
    """``keras.losses.CategoricalCrossentropy``; see :func:`categorical_crossentropy`.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[0, 1, 0], [0, 0, 1]])
    >>> y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> loss = CategoricalCrossentropy()
    >>> round(float(loss(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))), 3)
    0.814
    """

    def __init__(  # noqa: PLR0917 - Keras' positional signature
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def call(self, y_true: Array, y_pred: Array) -> tuple[Array, Array | None]:
        return categorical_crossentropy(
            y_true,
            y_pred,
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
        ), None


class SparseCategoricalCrossentropy(Loss):
    """``keras.losses.SparseCategoricalCrossentropy``; see :func:`sparse_categorical_crossentropy`.

    With ``ignore_class``, the ignored samples are masked: the default reduction is the
    mean over the *non-ignored* samples, and ``0`` when every sample is ignored.

    Examples
    --------
    >>> import numpy as np
    >>> y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> loss = SparseCategoricalCrossentropy(ignore_class=-1)
    >>> round(float(loss(np.array([1, -1]), y_pred)), 4)  # mean over the one kept sample
    0.0513
    >>> float(loss(np.array([-1, -1]), y_pred))
    0.0
    """

    def __init__(  # noqa: PLR0917 - Keras' positional signature
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str = "sparse_categorical_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def call(self, y_true: Array, y_pred: Array) -> tuple[Array, Array | None]:
        xp, _ = namespace(y_pred)
        return sparse_categorical_crossentropy_with_mask(
            xp,
            y_true,
            y_pred,
            from_logits=self.from_logits,
            ignore_class=self.ignore_class,
            axis=self.axis,
        )


class BinaryCrossentropy(Loss):
    """``keras.losses.BinaryCrossentropy``; see :func:`binary_crossentropy`.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[0, 1], [0, 0]])
    >>> y_pred = np.array([[-18.6, 0.51], [2.94, -12.8]])
    >>> loss = BinaryCrossentropy(from_logits=True)
    >>> round(float(loss(y_true, y_pred, sample_weight=np.array([0.8, 0.2]))), 3)
    0.244
    """

    def __init__(  # noqa: PLR0917 - Keras' positional signature
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def call(self, y_true: Array, y_pred: Array) -> tuple[Array, Array | None]:
        return binary_crossentropy(
            y_true,
            y_pred,
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
        ), None


class BinaryFocalCrossentropy(Loss):
    """``keras.losses.BinaryFocalCrossentropy``; see :func:`binary_focal_crossentropy`.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([0, 1, 0, 0])
    >>> y_pred = np.array([-18.6, 0.51, 2.94, -12.8])
    >>> loss = BinaryFocalCrossentropy(gamma=2, from_logits=True)
    >>> round(float(loss(y_true, y_pred)), 3)
    0.691
    """

    def __init__(  # noqa: PLR0917 - Keras' positional signature
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_focal_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def call(self, y_true: Array, y_pred: Array) -> tuple[Array, Array | None]:
        return binary_focal_crossentropy(
            y_true,
            y_pred,
            apply_class_balancing=self.apply_class_balancing,
            alpha=self.alpha,
            gamma=self.gamma,
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
        ), None


class CategoricalFocalCrossentropy(Loss):
    """``keras.losses.CategoricalFocalCrossentropy``; see :func:`categorical_focal_crossentropy`.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> round(float(CategoricalFocalCrossentropy()(y_true, y_pred)), 4)
    0.2332
    """

    def __init__(  # noqa: PLR0917 - Keras' positional signature
        self,
        alpha: float | Array = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.alpha = alpha
        self.gamma = gamma
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def call(self, y_true: Array, y_pred: Array) -> tuple[Array, Array | None]:
        return categorical_focal_crossentropy(
            y_true,
            y_pred,
            alpha=self.alpha,
            gamma=self.gamma,
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
        ), None


class KLDivergence(Loss):
    """``keras.losses.KLDivergence``; see :func:`kl_divergence`.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> round(float(KLDivergence()(y_true, np.array([[0.5, 0.5], [0.9, 0.1]]))), 6)
    0.601986
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "kl_divergence",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true: Array, y_pred: Array) -> tuple[Array, Array | None]:
        return kl_divergence(y_true, y_pred), None
