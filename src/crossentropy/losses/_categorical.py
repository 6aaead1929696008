"""Categorical cross-entropy from probabilities: the public layer.

It only chooses: the fused kernel (:mod:`crossentropy.kernels`) for the value on the large
NumPy inputs it covers, else the generic array-API implementation in
:mod:`crossentropy._agnostic`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crossentropy._agnostic._categorical import generic_categorical_cross_entropy
from crossentropy._agnostic._gradients import ValueAndGrad, differentiable
from crossentropy.losses._dispatch import kernel_categorical

if TYPE_CHECKING:
    from crossentropy._array_api import Array
    from crossentropy._validation import Reduction

__all__ = ["categorical_cross_entropy"]


def _categorical_cross_entropy(
    probs: Array,
    target: Array,
    *,
    axis: int,
    weight: Array | None,
    sample_weight: Array | None,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: Reduction,
    clip: float | None,
    tol: float | None,
    with_grad: bool,
) -> ValueAndGrad:
    """The fused kernel for a large NumPy input it covers, else the generic path."""
    if not with_grad:
        fast = kernel_categorical(
            probs,
            target,
            axis=axis,
            weight=weight,
            sample_weight=sample_weight,
            ignore_index=ignore_index,
            label_smoothing=label_smoothing,
            reduction=reduction,
            clip=clip,
            tol=tol,
        )
        if fast is not None:  # a large NumPy input: the fused kernel (same numbers)
            return ValueAndGrad(fast, None)
    return generic_categorical_cross_entropy(
        probs,
        target,
        axis=axis,
        weight=weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        clip=clip,
        tol=tol,
        with_grad=with_grad,
    )


@differentiable(_categorical_cross_entropy)
def categorical_cross_entropy(
    probs: Array,
    target: Array,
    /,
    *,
    axis: int = -1,
    weight: Array | None = None,
    sample_weight: Array | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
    clip: float | None = None,
    tol: float | None = None,
) -> Any:
    r"""Cross-entropy between targets and predicted class probabilities, exactly.

    The same targets, class weights, ``ignore_index``, label smoothing, sample weights
    and reductions as :func:`softmax_cross_entropy`, with :math:`\log q` of the given
    probabilities in place of the log-softmax of logits. Nothing is clipped or
    renormalised unless asked: a true class predicted with probability 0 costs ``+inf``.

    Parameters
    ----------
    probs : array, shape (..., C, ...)
        Predicted probabilities in ``[0, 1]``, each slice along ``axis`` summing to 1
        within ``tol``.
    target : array
        Either integer class labels in ``[0, C)`` (or ``ignore_index``), shape
        ``probs.shape`` without ``axis``; or real floating class probabilities, shape
        ``probs.shape``. The dtype decides, as in PyTorch.
    axis : int, default -1
        The class axis.
    weight : array, shape (C,), optional
        Class weights :math:`w_c \ge 0`, finite.
    sample_weight : array, optional
        Per-item weights :math:`s_i \ge 0`, finite, broadcastable to the item shape.
    ignore_index : int or None, default -100
        Items whose label equals it contribute nothing and are left out of the mean
        (integer labels only; ``None`` ignores nothing).
    label_smoothing : float in [0, 1], default 0
        :math:`\varepsilon`: the target becomes :math:`(1 - \varepsilon) y +
        \varepsilon / C`.
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`softmax_cross_entropy` (PyTorch's weighted mean).
    clip : float in (0, 0.5), optional
        The explicit opt-in to clip ``probs`` to ``[clip, 1 - clip]`` before the log,
        which bounds the loss by :math:`-\log(\text{clip})` per unit of target weight
        (Keras uses ``1e-7``). The gradient is 0 where a probability was clipped.
    tol : float, optional
        Tolerance on the row sums; default :math:`\sqrt{\epsilon}` of ``probs``' dtype
        (scikit-learn's choice).

    Returns
    -------
    array
        The loss, with the array type, device and floating dtype of ``probs``.

    Raises
    ------
    ValueError
        ``probs`` outside ``[0, 1]`` or NaN, or a slice not summing to 1 within ``tol``
        (naming the index); ``clip`` outside ``(0, 0.5)``; and every target or option
        error of :func:`softmax_cross_entropy`.
    TypeError
        A target that is neither integer nor real floating, a non-numeric ``clip``/``tol``.

    See Also
    --------
    softmax_cross_entropy : the same loss from logits (stabler: prefer it).

    Notes
    -----
    .. math::

        t_{ic} = s_i\, w_c \left((1 - \varepsilon)\, y_{ic} + \frac{\varepsilon}{C}\right),
        \qquad \ell_i = -\sum_c t_{ic} \log q_{ic},

    with :math:`0 \log 0 = 0`, :math:`y_{ic} = [c = y_i]` for labels, :math:`t_{i\cdot}
    = 0` for ignored items and the ``"mean"`` denominator :math:`\sum_i s_i w_{y_i}`
    (labels) or :math:`\sum_i s_i` (probabilities), NaN when it is 0. So
    ``categorical_cross_entropy(softmax(z), y)`` equals
    ``softmax_cross_entropy(z, y)`` up to rounding.

    The gradient (``value_and_grad``) treats every :math:`q_{ij}` as a free variable:
    :math:`\partial \ell_i / \partial q_{ij} = -t_{ij} / q_{ij}` (0 where
    :math:`t_{ij} = 0`, ``-inf`` where :math:`t_{ij} > 0 = q_{ij}`), times 0 where
    ``clip`` moved the probability, and divided by the mean's denominator for
    ``"mean"``.

    References
    ----------
    .. [1] T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed.,
       Wiley, 2006, section 2.3 (cross-entropy and relative entropy).
    .. [2] PyTorch, ``torch.nn.functional.nll_loss`` and ``cross_entropy``,
       https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html
    .. [3] scikit-learn, ``sklearn.metrics.log_loss`` (the ``sqrt(eps)`` row-sum
       tolerance), https://scikit-learn.org/stable/modules/generated/sklearn.metrics.log_loss.html

    Examples
    --------
    Classes cat, dog, horse. The model says (0.4, 0.4, 0.2) for a dog and
    (0.1, 0.2, 0.7) for a horse: the losses are :math:`-\ln 0.4` and :math:`-\ln 0.7`.

    >>> import numpy as np
    >>> from crossentropy.losses import categorical_cross_entropy
    >>> probs = np.array([[0.4, 0.4, 0.2], [0.1, 0.2, 0.7]])
    >>> categorical_cross_entropy(probs, np.array([1, 2]), reduction="none").tolist()
    [0.92, 0.36]

    Exact by default: probability 0 for the true class is an infinite loss; ``clip``
    is the explicit opt-in to bound it.

    >>> float(categorical_cross_entropy(np.array([[1.0, 0.0]]), np.array([1])))
    inf
    >>> float(categorical_cross_entropy(np.array([[1.0, 0.0]]), np.array([1]), clip=1e-7))
    16.118
    """
    return _categorical_cross_entropy(
        probs,
        target,
        axis=axis,
        weight=weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        clip=clip,
        tol=tol,
        with_grad=False,
    ).value
