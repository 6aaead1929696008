"""Softmax cross-entropy from logits (PyTorch's ``F.cross_entropy``): the public layer.

It only chooses: the fused kernel (:mod:`crossentropy.kernels`) for the large NumPy inputs
it covers, else the generic array-API implementation in :mod:`crossentropy._agnostic`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crossentropy._agnostic._gradients import ValueAndGrad, differentiable
from crossentropy._agnostic._softmax import generic_softmax_cross_entropy
from crossentropy.losses._dispatch import kernel_softmax

if TYPE_CHECKING:
    from crossentropy._array_api import Array
    from crossentropy._validation import Reduction

__all__ = ["softmax_cross_entropy"]


def _softmax_cross_entropy(
    logits: Array,
    target: Array,
    *,
    axis: int,
    weight: Array | None,
    sample_weight: Array | None,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: Reduction,
    with_grad: bool,
) -> ValueAndGrad:
    """The fused kernel for a large NumPy input it covers, else the generic path."""
    fast = kernel_softmax(
        logits,
        target,
        axis=axis,
        weight=weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        with_grad=with_grad,
    )
    if fast is not None:  # a large NumPy input: the fused kernel (same numbers)
        return fast
    return generic_softmax_cross_entropy(
        logits,
        target,
        axis=axis,
        weight=weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        with_grad=with_grad,
    )


@differentiable(_softmax_cross_entropy)
def softmax_cross_entropy(
    logits: Array,
    target: Array,
    /,
    *,
    axis: int = -1,
    weight: Array | None = None,
    sample_weight: Array | None = None,
    ignore_index: int | None = -100,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
) -> Any:
    r"""Cross-entropy between targets and the softmax of ``logits``, as PyTorch computes it.

    The semantics are those of :func:`torch.nn.functional.cross_entropy` (class weights,
    ``ignore_index``, label smoothing, probability targets, the weighted mean), plus
    per-item ``sample_weight``, on any array library.

    Parameters
    ----------
    logits : array, shape (..., C, ...)
        Unnormalised log-probabilities, the classes along ``axis``. ``-inf`` means
        probability 0 and ``+inf`` is taken as a limit (see Notes); NaN is an error.
    target : array
        Either integer class labels in ``[0, C)`` (or ``ignore_index``), shape
        ``logits.shape`` without ``axis``; or real floating class probabilities, shape
        ``logits.shape``. The dtype decides, as in PyTorch.
    axis : int, default -1
        The class axis. Use ``axis=1`` for PyTorch's ``(N, C, d1, ..., dk)`` layout.
    weight : array, shape (C,), optional
        Class weights :math:`w_c \ge 0`, finite.
    sample_weight : array, optional
        Per-item weights :math:`s_i \ge 0`, finite, broadcastable to the item shape
        (``logits.shape`` without ``axis``). Not in PyTorch.
    ignore_index : int or None, default -100
        Items whose label equals it contribute nothing and are left out of the mean.
        Integer labels only; ``None`` ignores nothing.
    label_smoothing : float in [0, 1], default 0
        :math:`\varepsilon`: the target becomes :math:`(1 - \varepsilon) y +
        \varepsilon / C` (the true class keeps its share :math:`\varepsilon / C`).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"``: the per-item losses (shape of the items; 0 where ignored).
        ``"sum"``: their sum. ``"mean"``: their weighted mean (see Notes).

    Returns
    -------
    array
        The loss, with the array type, device and floating dtype of ``logits`` (half
        precision is computed in float32 and cast back; integer logits give the
        default floating dtype).

    Raises
    ------
    ValueError
        NaN in ``logits`` (with its index); a label outside ``[0, C)`` that is not
        ``ignore_index`` (naming ``target`` and the first offending index); negative or
        non-finite probability targets, ``weight`` or ``sample_weight``; a target shape
        that does not fit its dtype; ``weight`` not of shape ``(C,)``; ``label_smoothing``
        outside ``[0, 1]``; ``C = 0``; a non-negative ``ignore_index`` with probability
        targets (as in PyTorch).
    TypeError
        A target that is neither integer nor real floating.

    See Also
    --------
    categorical_cross_entropy : the same loss from probabilities.
    crossentropy.losses.value_and_grad : the loss with its analytic gradient.

    Notes
    -----
    With :math:`\log p_{ic} = x_{ic} - \log\sum_k e^{x_{ik}}` (computed with the max
    shift) and, for item :math:`i` with label :math:`y_i` or target distribution
    :math:`y_{ic}`,

    .. math::

        t_{ic} = s_i\, w_c \left((1 - \varepsilon)\, y_{ic} + \frac{\varepsilon}{C}\right),
        \qquad \ell_i = -\sum_c t_{ic} \log p_{ic},

    where :math:`y_{ic} = [c = y_i]` for labels and :math:`t_{i\cdot} = 0` for an ignored
    item. For labels this is PyTorch's
    :math:`(1-\varepsilon)\, w_{y_i}(-\log p_{iy_i}) + \frac{\varepsilon}{C}\sum_c
    w_c(-\log p_{ic})`. ``"mean"`` is :math:`\sum_i \ell_i / \sum_i s_i w_{y_i}` over the
    non-ignored items for labels, and :math:`\sum_i \ell_i / \sum_i s_i` for
    probabilities (the item count without ``sample_weight``; class weights are not in
    this denominator, as in PyTorch).

    Edge conventions: :math:`0 \log 0 = 0`, so a class with target weight 0 and logit
    ``-inf`` contributes 0 (PyTorch gives NaN there); a positive target on a ``-inf``
    logit gives ``+inf``. A slice with exactly one ``+inf`` logit is the limit
    (softmax one-hot there); several ``+inf``, or only ``-inf`` logits with
    :math:`C \ge 2`, have no limit and give NaN. ``"mean"`` over nothing (every item
    ignored, all weights 0, or no items) is NaN, as in PyTorch. Probability targets
    are not required to sum to one (PyTorch does not check either); they must be
    finite and non-negative.

    The gradient (``value_and_grad``) with respect to the logits is
    :math:`\partial \ell_i / \partial x_{ij} = p_{ij} \sum_c t_{ic} - t_{ij}`, divided
    by the mean's denominator for ``"mean"`` (0 where that denominator is 0, as
    PyTorch's gradient for an all-ignored batch).

    References
    ----------
    .. [1] PyTorch, ``torch.nn.functional.cross_entropy``,
       https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html
    .. [2] C. Szegedy et al., "Rethinking the Inception Architecture for Computer
       Vision", CVPR 2016 (label smoothing), https://arxiv.org/abs/1512.00567
    .. [3] C. M. Bishop, *Pattern Recognition and Machine Learning*, Springer, 2006,
       section 4.3.4 (multiclass logistic regression and its gradient).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.losses import softmax_cross_entropy, value_and_grad
    >>> logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    >>> labels = np.array([0, 1])
    >>> softmax_cross_entropy(logits, labels, reduction="none").round(4).tolist()
    [0.417, 0.22]
    >>> round(float(softmax_cross_entropy(logits, labels)), 4)  # the mean
    0.3185

    Integer labels and their one-hot probabilities give the same loss; label smoothing
    and an ignored item:

    >>> onehot = np.eye(3)[labels]
    >>> round(float(softmax_cross_entropy(logits, onehot)), 4)
    0.3185
    >>> softmax_cross_entropy(logits, np.array([0, -100]), label_smoothing=0.1,
    ...                       reduction="none").round(4).tolist()
    [0.5137, 0.0]

    The gradient is softmax minus the target (over the item count, for the mean):

    >>> value, grad = value_and_grad(softmax_cross_entropy)(logits, labels)
    >>> grad.round(4).tolist()
    [[-0.1705, 0.1212, 0.0493], [0.0543, -0.0988, 0.0445]]
    """
    return _softmax_cross_entropy(
        logits,
        target,
        axis=axis,
        weight=weight,
        sample_weight=sample_weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        with_grad=False,
    ).value
